from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from ..core.forms import PortalForm
from .passwords import problems


class LoginForm(PortalForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class NewPasswordMixin:
    def validate_new_password(self, field):
        found = problems(field.data or "", getattr(self, "_username", None))
        if found:
            raise ValidationError(" ".join(found))


class ChangePasswordForm(NewPasswordMixin, PortalForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                                 description=_l("At least 12 characters; a phrase of several words works well."))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", _l("The two entries differ."))])

    def __init__(self, *args, username: str | None = None, **kw):
        super().__init__(*args, **kw)
        self._username = username
