from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..core.forms import PortalForm

ROLE_LABELS = {
    "rep": _l("Sales rep"),
    "director": _l("Sales director"),
    "gm": _l("General manager"),
    "admin": _l("Administrator"),
}


class UserForm(PortalForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only."))])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    role = SelectField(_l("Role"), choices=[])
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    joined_on = DateField(_l("Joined on"), validators=[Optional()])

    def __init__(self, *args, roles=(), teams=(), **kw):
        super().__init__(*args, **kw)
        self.role.choices = [(r, ROLE_LABELS[r]) for r in roles]
        self.team_id.choices = [(0, _l("— no team —"))] + [(t.id, t.name) for t in teams]

    def validate_team_id(self, field):
        if self.role.data in ("rep", "director") and not field.data:
            raise ValidationError(_l("Sales reps and directors belong to a team."))


class EditUserForm(UserForm):
    """The same fields; the username of an existing account stays as it is."""


class TransferForm(PortalForm):
    to_team_id = SelectField(_l("Move to team"), coerce=int, choices=[])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(PortalForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ProfileForm(PortalForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=[("zh_CN", "简体中文"), ("en", "English")])
    money_style = SelectField(_l("Large amounts"), choices=[
        ("yuan", _l("In yuan: ¥1,234,567.00")), ("wan", _l("In 10,000 yuan: 123.46 万元"))])


class TeamForm(PortalForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=80)])
    director_id = SelectField(_l("Director"), coerce=int, choices=[])
    parent_id = SelectField(_l("Parent team"), coerce=int, choices=[])
