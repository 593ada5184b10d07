from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import PortalForm

PERIOD_KINDS = [("month", _l("Month")), ("quarter", _l("Quarter")), ("year", _l("Year")), ("week", _l("Week"))]


class OpenCycleForm(PortalForm):
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    period_kind = SelectField(_l("Period"), choices=PERIOD_KINDS, default="month")
    period_key = StringField(_l("Which period"), validators=[DataRequired(), Length(max=10)],
                             description=_l("2026-11 for a month, 2026-Q4 for a quarter, 2026 for a year, "
                                            "2026-W48 for a week."))


class ReviewForm(PortalForm):
    comment = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class SelfAssessmentForm(PortalForm):
    self_assessment = TextAreaField(_l("Self-assessment"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class AcknowledgeForm(PortalForm):
    disagreement = TextAreaField(_l("Disagreement (leave empty to acknowledge)"),
                                 validators=[Optional(), Length(max=5000)])


class ReopenForm(PortalForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[DataRequired(), Length(max=2000)])


NOTE_KINDS = [("hire", _l("Hiring")), ("transfer", _l("Transfer")), ("promotion", _l("Promotion")),
              ("warning", _l("Warning")), ("dismissal", _l("Dismissal"))]


class NoteForm(PortalForm):
    kind = SelectField(_l("Kind"), choices=NOTE_KINDS)
    on = DateField(_l("Date"), validators=[DataRequired()])
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=5000)])


class TemplateForm(PortalForm):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=120)])
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    period_kind = SelectField(_l("Period"), choices=[("", _l("Any period"))] + PERIOD_KINDS)
    bands = StringField(_l("Grade bands"), validators=[DataRequired(), Length(max=200)],
                        description=_l("Grade and minimum total, best first: A 4.5, B 3.5, C 2.5, D 0"))
