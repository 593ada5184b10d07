from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import PortalForm


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RobotForm(PortalForm):
    name = StringField(_l("Robot name"), validators=[DataRequired(), Length(max=80)])
    team_id = SelectField(_l("Belongs to"), coerce=int, choices=[])
    platform = SelectField(_l("Platform"), choices=[])
    url = StringField(_l("Webhook address"), validators=[DataRequired(), Length(max=500)],
                      description=_l("Copied from the group's robot settings."))
    secret = PasswordField(_l("Signing secret (加签)"), validators=[Optional(), Length(max=200)],
                           description=_l("DingTalk and Feishu only, when the robot's security setting asks for "
                                          "a signature. Leave empty to keep the stored one."))
    clear_secret = BooleanField(_l("Remove the stored secret"))
    events = CheckboxesField(_l("Post these events"), choices=[])
    active = BooleanField(_l("Enabled"), default=True)
