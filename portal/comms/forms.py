import uuid

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import PortalForm

PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High")}
STATUS_LABELS = {"open": _l("Not started"), "in_progress": _l("In progress"), "done": _l("Done, awaiting review"),
                 "accepted": _l("Accepted")}
KIND_LABELS = {"difficulty": _l("Difficulty"), "resource": _l("Resource need"), "suggestion": _l("Suggestion"),
               "question": _l("Question")}
LINK_LABELS = {"customer": _l("Customer"), "plan": _l("Sales plan"), "course": _l("Course")}
THREAD_STATUS_LABELS = {"open": _l("Not started"), "resolved": _l("Resolved")}
CADENCE_LABELS = {"week": _l("Weekly"), "day": _l("Daily")}
WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                  _l("Sunday")]
TIME_RE = r"^([01]\d|2[0-3]):[0-5]\d$"


def new_token() -> str:
    return uuid.uuid4().hex


class TokenForm(PortalForm):
    """A form that carries a one-time token: the server refuses the same token twice."""

    token = HiddenField()

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        if not self.token.data:
            self.token.data = new_token()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TaskForm(TokenForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)],
                                description=_l("Markdown is allowed."))
    priority = SelectField(_l("Priority"), choices=[(k, v) for k, v in PRIORITY_LABELS.items()], default="normal")
    due_on = DateField(_l("Due date"), validators=[DataRequired()])
    whole_team = BooleanField(_l("The whole team"))
    assignee_ids = MultiCheckboxField(_l("Assign to"), coerce=int, choices=[])
    link_type = SelectField(_l("Linked record"), choices=[("", _l("— none —"))] + list(LINK_LABELS.items()),
                            validators=[Optional()])
    link_id = IntegerField(_l("Record number"), validators=[Optional(), NumberRange(min=1)])


class CompleteForm(PortalForm):
    report = TextAreaField(_l("Completion report"), validators=[DataRequired(), Length(max=5000)])


class ReviewForm(PortalForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class ThreadForm(TokenForm):
    kind = SelectField(_l("Type"), choices=list(KIND_LABELS.items()))
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=10000)],
                         description=_l("Markdown is allowed."))
    customer_id = IntegerField(_l("Customer number (optional)"), validators=[Optional(), NumberRange(min=1)])


class ReplyForm(TokenForm):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=10000)])


class NoteForm(PortalForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=5000)])


class PlanForm(PortalForm):
    items = TextAreaField(_l("Planned items, one per line"), validators=[DataRequired(), Length(max=10000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])


class ReportLineForm(PortalForm):
    class Meta:
        csrf = False

    plan_item_id = HiddenField()
    done = BooleanField(_l("Done"))
    result = StringField(_l("Result"), validators=[Optional(), Length(max=2000)])
    problems = StringField(_l("Problems"), validators=[Optional(), Length(max=2000)])


class ReportForm(PortalForm):
    lines = FieldList(FormField(ReportLineForm))
    extra = TextAreaField(_l("Other work done, one per line"), validators=[Optional(), Length(max=5000)])
    summary = TextAreaField(_l("Summary and results"), validators=[Optional(), Length(max=10000)])
    problems = TextAreaField(_l("Problems met"), validators=[Optional(), Length(max=10000)])


class CommentForm(PortalForm):
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=5000)])


class SummaryForm(PortalForm):
    period = StringField(_l("Period"), validators=[DataRequired(), Regexp(r"^\d{4}-(Q[1-4]|\d{2})$",
                         message=_l("A month such as 2026-11 or a quarter such as 2026-Q4."))])
    work_done = TextAreaField(_l("Work done"), validators=[DataRequired(), Length(max=10000)])
    results = TextAreaField(_l("Results against target"), validators=[Optional(), Length(max=10000)])
    success_rules = TextAreaField(_l("Rules of success found"), validators=[Optional(), Length(max=10000)])
    failed_cases = TextAreaField(_l("Failed cases"), validators=[Optional(), Length(max=10000)])
    improvements = TextAreaField(_l("What to improve"), validators=[Optional(), Length(max=10000)])


class AnswerForm(PortalForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=10000)])


class DirectorReportForm(PortalForm):
    period = StringField(_l("Period"), validators=[DataRequired(), Regexp(r"^\d{4}-(Q[1-4]|\d{2})$",
                         message=_l("A month such as 2026-11 or a quarter such as 2026-Q4."))])
    body = TextAreaField(_l("Report"), validators=[DataRequired(), Length(max=20000)],
                         description=_l("Markdown is allowed."))


class TeamRulesForm(PortalForm):
    report_cadence = SelectField(_l("Plans and reports"), choices=list(CADENCE_LABELS.items()))
    weekly_plan_weekday = SelectField(_l("Weekly plan due on"), coerce=int,
                                      choices=list(enumerate(WEEKDAY_LABELS)))
    weekly_plan_time = StringField(_l("Weekly plan due at"), validators=[DataRequired(), Regexp(TIME_RE)])
    weekly_report_weekday = SelectField(_l("Weekly report due on"), coerce=int,
                                        choices=list(enumerate(WEEKDAY_LABELS)))
    weekly_report_time = StringField(_l("Weekly report due at"), validators=[DataRequired(), Regexp(TIME_RE)])
    daily_plan_time = StringField(_l("Daily plan due at"), validators=[DataRequired(), Regexp(TIME_RE)])
    daily_report_time = StringField(_l("Daily report due at"), validators=[DataRequired(), Regexp(TIME_RE)])
