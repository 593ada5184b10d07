from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import PortalForm

GRADING_LABELS = {
    "highest": _l("Highest attempt"),
    "last": _l("Last attempt"),
    "average": _l("Average of attempts"),
    "first": _l("First attempt"),
}
QTYPE_LABELS = {
    "single": _l("Single choice"),
    "multi": _l("Multiple choice"),
    "truefalse": _l("True / false"),
    "short": _l("Short answer"),
    "numerical": _l("Numerical"),
    "matching": _l("Matching"),
    "essay": _l("Essay"),
}
STATUS_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "passed": _l("Passed"),
    "overdue": _l("Overdue"),
}


class CourseForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Course summary"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4},
                            description=_l("Markdown is allowed."))
    category = StringField(_l("Category"), validators=[Optional(), Length(max=80)])
    team_id = SelectField(_l("Audience"), coerce=int, choices=[])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)],
                       description=_l("Separated by commas, e.g. 电话拜访, 新客户开发. Appraisals suggest courses "
                                      "by these tags."))
    prerequisites = SelectMultipleField(_l("Required courses"), coerce=int, choices=[], validators=[Optional()])
    published = BooleanField(_l("Published (reps can see it)"))
    open_to_all = BooleanField(_l("Open to all reps of the audience, without an assignment"))


class LessonForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=100000)], render_kw={"rows": 16},
                         description=_l("Markdown. Upload images below and paste the Markdown line shown."))
    minutes = IntegerField(_l("Estimated minutes"), default=10, validators=[DataRequired(), NumberRange(1, 600)])


class FileForm(PortalForm):
    file = FileField(_l("File"))


class QuestionForm(PortalForm):
    source = TextAreaField(_l("Question in GIFT"), validators=[DataRequired(), Length(max=20000)],
                           render_kw={"rows": 8},
                           description=_l("For example: ::Title:: Question text {=right ~wrong #feedback}"))
    category = StringField(_l("Category"), validators=[Optional(), Length(max=200)])
    mark = DecimalField(_l("Mark"), places=2, default=1, validators=[DataRequired(), NumberRange(0.01, 100)])
    case_sensitive = BooleanField(_l("Short answers are case-sensitive"))


class ImportForm(PortalForm):
    file = FileField(_l("GIFT file (.gift or .txt)"))
    source = TextAreaField(_l("…or paste GIFT text"), validators=[Optional(), Length(max=2_000_000)],
                           render_kw={"rows": 12})


class QuizForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=5000)])
    mode = SelectField(_l("Questions"), choices=[("fixed", _l("Chosen questions")),
                                                 ("random", _l("Drawn at random from a category"))])
    question_ids = SelectMultipleField(_l("Chosen questions"), coerce=int, choices=[], validators=[Optional()])
    random_category_id = SelectField(_l("Category to draw from"), coerce=int, choices=[])
    random_count = IntegerField(_l("How many to draw"), default=0, validators=[Optional(), NumberRange(0, 500)])
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_answers = BooleanField(_l("Shuffle the answers"), default=True)
    per_page = IntegerField(_l("Questions per page"), default=5, validators=[DataRequired(), NumberRange(1, 100)])
    time_limit_minutes = IntegerField(_l("Time limit (minutes)"), validators=[Optional(), NumberRange(1, 1440)])
    open_at = DateTimeLocalField(_l("Opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    close_at = DateTimeLocalField(_l("Closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    max_attempts = IntegerField(_l("Attempts allowed"), validators=[Optional(), NumberRange(1, 100)],
                                description=_l("Empty: unlimited."))
    wait_minutes = IntegerField(_l("Wait between attempts (minutes)"), default=0,
                                validators=[Optional(), NumberRange(0, 100000)])
    pass_mark = DecimalField(_l("Pass mark (%)"), places=2, default=60,
                             validators=[DataRequired(), NumberRange(0, 100)])
    grading_method = SelectField(_l("Grade"), choices=list(GRADING_LABELS.items()))
    review_answers = BooleanField(_l("After an attempt the rep sees their answers"), default=True)
    review_correct = BooleanField(_l("…and the right answers"))
    review_feedback = BooleanField(_l("…and the feedback"), default=True)
    review_score = BooleanField(_l("…and the score"), default=True)


class AssignForm(PortalForm):
    user_ids = SelectMultipleField(_l("Reps"), coerce=int, choices=[], validators=[Optional()])
    team_id = SelectField(_l("Or the whole team"), coerce=int, choices=[])
    due_on = DateField(_l("Due on"), validators=[Optional()])
