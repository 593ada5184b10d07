from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.forms import PortalForm
from ..core.periods import Period

# Money columns hold 14 digits, 2 after the point.
MAX_AMOUNT = Decimal("999999999999.99")
POSITIVE = NumberRange(min=Decimal("0.01"), max=MAX_AMOUNT)
NOT_NEGATIVE = NumberRange(min=Decimal("0"), max=MAX_AMOUNT)


class MoneyField(DecimalField):
    """A decimal amount that also accepts 1,234,567.89 (and full-width commas or a ¥ sign)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [v.replace(",", "").replace("，", "").replace("¥", "").strip() for v in valuelist]
        super().process_formdata(valuelist)


SCOPE_LABELS = {"company": _l("Company"), "team": _l("Team"), "rep": _l("Sales rep")}
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Waiting for approval"), "approved": _l("Approved"),
                 "returned": _l("Returned"), "rejected": _l("Rejected")}
STATUS_BADGES = {"draft": "secondary", "submitted": "warning", "approved": "success", "returned": "info",
                 "rejected": "danger"}
EXPENSE_APPROVAL_LABELS = {"pending": _l("Awaiting approval"), "approved": _l("Approved"), "rejected": _l("Rejected")}
MEASURE_LABELS = {
    "sales": _l("Sales amount"), "contracts": _l("Signed contract amount"), "payments": _l("Payments collected"),
    "new_customers": _l("New customers"), "orders": _l("Number of orders"), "gross_profit": _l("Gross profit"),
}
TIER_LABELS = {"base": _l("Base"), "sprint": _l("Sprint"), "challenge": _l("Challenge")}
KIND_LABELS = {"year": _l("Year"), "quarter": _l("Quarter"), "month": _l("Month"), "week": _l("Week")}


def validate_period_key(form, field):
    try:
        period = Period.parse(field.data or "")
    except ValueError:
        raise ValidationError(_l("Write a period as 2026, 2026-Q4 or 2026-11.")) from None
    if period.kind == "week":
        raise ValidationError(_l("Write a period as 2026, 2026-Q4 or 2026-11."))


class PlanForm(PortalForm):
    scope = SelectField(_l("Level"), choices=[])
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    owner_id = SelectField(_l("Sales rep"), coerce=int, choices=[])
    period = StringField(_l("Period"), validators=[DataRequired(), validate_period_key],
                         description=_l("A year (2026), a quarter (2026-Q4) or a month (2026-11)."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    analysis = TextAreaField(_l("Market and competitor analysis"), validators=[Optional(), Length(max=20000)],
                             description=_l("Markdown: **bold**, lists, tables."))
    strategy = TextAreaField(_l("Strategy"), validators=[Optional(), Length(max=20000)])
    steps = TextAreaField(_l("Implementation steps"), validators=[Optional(), Length(max=20000)])


class PlanEditForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    analysis = TextAreaField(_l("Market and competitor analysis"), validators=[Optional(), Length(max=20000)],
                             description=_l("Markdown: **bold**, lists, tables."))
    strategy = TextAreaField(_l("Strategy"), validators=[Optional(), Length(max=20000)])
    steps = TextAreaField(_l("Implementation steps"), validators=[Optional(), Length(max=20000)])
    version = HiddenField()  # the plan's, see core/concurrency.py


class DecisionForm(PortalForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class BudgetSettingsForm(PortalForm):
    reps_add = BooleanField(_l("Sales reps record their own expenses"))
    threshold = MoneyField(_l("Expenses above this amount need approval (¥)"), places=2,
                           validators=[InputRequired(), NOT_NEGATIVE])


class ProfileForm(PortalForm):
    name = StringField(_l("Profile name"), validators=[DataRequired(), Length(max=80)])
    weights = StringField(_l("Monthly weights"), validators=[DataRequired(), Length(max=300)],
                          description=_l("Twelve numbers, January to December, e.g. 6,5,8,8,9,9,8,8,9,9,10,11"))


class CategoryForm(PortalForm):
    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=80)])
    position = IntegerField(_l("Position"), default=100, validators=[Optional(), NumberRange(0, 10000)])
    active = BooleanField(_l("In use"), default=True)


class BudgetLineForm(PortalForm):
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    period = StringField(_l("Period"), validators=[DataRequired(), validate_period_key],
                         description=_l("A year (2026), a quarter (2026-Q4) or a month (2026-11)."))
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    amount = MoneyField(_l("Budget"), places=2, validators=[InputRequired(), NOT_NEGATIVE])
    note = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])


class ExpenseForm(PortalForm):
    owner_id = SelectField(_l("Spent by"), coerce=int, choices=[])
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    spent_on = DateField(_l("Date"), validators=[DataRequired()])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=500)])
    receipt = FileField(_l("Receipt (PDF or image)"))
