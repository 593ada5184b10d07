"""Forms of the customer log; labels are lazy so they follow each user's language."""
from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..core.forms import PortalForm
from ..core.periods import company_tz

KIND_LABELS = {"customer": _l("Customer"), "partner": _l("Partner"), "distributor": _l("Distributor")}
STATUS_LABELS = {"prospect": _l("Prospect"), "active": _l("Active customer"), "lost": _l("Lost customer")}
SOURCE_LABELS = {
    "referral": _l("Referral"), "trade_show": _l("Trade show"), "cold_call": _l("Cold call"), "web": _l("Website"),
    "advertising": _l("Advertising"), "existing_network": _l("Existing relationship"), "other": _l("Other"),
}
ACTIVITY_LABELS = {"visit": _l("Visit"), "call": _l("Phone call"), "trade_show": _l("Trade show"),
                   "meeting": _l("Meeting"), "email": _l("E-mail")}
DIRECTION_LABELS = {"outgoing": _l("Outgoing"), "incoming": _l("Incoming")}
OPP_STATUS_LABELS = {"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost")}
REQUEST_LABELS = {"samples": _l("Samples"), "quotation": _l("Quotation"), "support": _l("Technical support"),
                  "visit": _l("Visit"), "other": _l("Other")}
MARKET_LABELS = {"trend": _l("Market trend"), "competitor": _l("Competitor"), "feedback": _l("Product feedback"),
                 "complaint": _l("Complaint")}
EVENT_LABELS = {"created": _l("Added to the log"), "activated": _l("Became an active customer"),
                "lost": _l("Marked as lost"), "won_back": _l("Won back"), "reassigned": _l("Reassigned"),
                "claimed": _l("Claimed from the public pool"), "released": _l("Put in the public pool"),
                "recycled": _l("Returned to the pool by the rules"), "assigned": _l("Assigned from the pool"),
                "keep_asked": _l("Asked to keep the customer"), "locked": _l("Kept out of the pool"),
                "keep_refused": _l("Keeping the customer refused"), "unlocked": _l("Keep-lock lifted"),
                "discount": _l("Discount approval"), "to_company_pool": _l("Moved to the company pool"),
                "to_team_pool": _l("Moved to a team's pool")}
TIERS = [("", "—"), ("A", "A"), ("B", "B"), ("C", "C")]


class AmountField(DecimalField):
    """A CNY amount: thousands separators (1,234,567.00 or 1，234) and a ¥ sign are accepted."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(v).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
                         for v in valuelist]
        super().process_formdata(valuelist)


def _choices(labels: dict, blank=None) -> list:
    out = [("", blank)] if blank is not None else []
    return out + list(labels.items())


def local_to_utc(value: datetime | None) -> datetime | None:
    """A naive date-time typed in the company's time zone, as an aware UTC instant."""
    if value is None:
        return None
    return value.replace(tzinfo=company_tz()).astimezone(UTC)


def utc_to_local_naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(company_tz()).replace(tzinfo=None, second=0, microsecond=0)


class CustomerForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS), default="customer")
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=80)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=80)])
    tier = SelectField(_l("Tier"), choices=TIERS, validators=[Optional()])
    source = SelectField(_l("Source"), choices=_choices(SOURCE_LABELS, "—"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    annual_value = AmountField(_l("Expected yearly purchases (CNY)"), places=2,
                                validators=[Optional(), NumberRange(min=0)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    owner_id = SelectField(_l("Owner"), coerce=int, choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[("prospect", _l("Prospect")), ("active", _l("Active customer"))],
                         default="prospect")
    version = HiddenField()  # when editing: the customer's, see core/concurrency.py


class ContactForm(PortalForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=80)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    wechat = StringField(_l("WeChat ID"), validators=[Optional(), Length(max=64)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class ActivityForm(PortalForm):
    kind = SelectField(_l("Kind"), choices=_choices(ACTIVITY_LABELS), default="visit")
    occurred_at = DateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[Optional(), NumberRange(min=0, max=1440)])
    direction = SelectField(_l("Direction"), choices=_choices(DIRECTION_LABELS, "—"), validators=[Optional()])
    contact_ids = SelectMultipleField(_l("Contacts met"), coerce=int, choices=[], validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=5000)])
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=5000)])
    next_step = StringField(_l("Next step"), validators=[Optional(), Length(max=300)])
    follow_up_on = DateField(_l("Follow-up date"), validators=[Optional()])

    def prefill(self) -> None:
        if self.occurred_at.data is None:
            self.occurred_at.data = utc_to_local_naive(datetime.now(UTC))


class StatusForm(PortalForm):
    status = SelectField(_l("New status"), choices=_choices(STATUS_LABELS))
    version = HiddenField()  # the customer's, see core/concurrency.py
    lost_reason_id = SelectField(_l("Lost reason"), coerce=int, choices=[], validators=[Optional()])
    note = TextAreaField(_l("Note (lost details or win-back plan)"), validators=[Optional(), Length(max=2000)])


class ReassignForm(PortalForm):
    owner_id = SelectField(_l("New owner"), coerce=int, choices=[])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    version = HiddenField()  # the customer's, see core/concurrency.py


class ReassignAllForm(PortalForm):
    from_rep_id = SelectField(_l("Customers of"), coerce=int, choices=[])
    to_rep_id = SelectField(_l("Give them to"), coerce=int, choices=[])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class OpportunityForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    stage_id = SelectField(_l("Stage"), coerce=int, choices=[])
    amount = AmountField(_l("Expected amount (CNY)"), places=2, validators=[DataRequired(), NumberRange(min=0)])
    probability = IntegerField(_l("Probability (%)"), validators=[Optional(), NumberRange(min=0, max=100)],
                               description=_l("Leave empty to use the stage's default."))
    expected_close = DateField(_l("Expected close date"), validators=[Optional()])
    discount = DecimalField(_l("Discount (%)"), places=2, validators=[Optional(), NumberRange(min=0, max=100)],
                            description=_l("Above the team's threshold the discount needs approval."))


class StageMoveForm(PortalForm):
    stage_id = SelectField(_l("Move to stage"), coerce=int, choices=[])


class CloseForm(PortalForm):
    outcome = SelectField(_l("Outcome"), choices=[("won", _l("Won")), ("lost", _l("Lost"))])
    lost_reason_id = SelectField(_l("Lost reason"), coerce=int, choices=[], validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class RequestForm(PortalForm):
    kind = SelectField(_l("Asked for"), choices=_choices(REQUEST_LABELS), default="samples")
    description = TextAreaField(_l("What exactly"), validators=[DataRequired(), Length(max=5000)])
    asked_at = DateTimeLocalField(_l("Asked at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    assignee_id = SelectField(_l("Who answers"), coerce=int, choices=[])

    def prefill(self) -> None:
        if self.asked_at.data is None:
            self.asked_at.data = utc_to_local_naive(datetime.now(UTC))


class AnswerForm(PortalForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=5000)])
    answered_at = DateTimeLocalField(_l("Answered at"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                     description=_l("Leave empty for now."))


class MarketForm(PortalForm):
    kind = SelectField(_l("Tag"), choices=_choices(MARKET_LABELS), default="trend")
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Details"), validators=[DataRequired(), Length(max=20000)],
                         description=_l("Markdown is allowed."))
    customer_id = HiddenField()


class ListItemForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    probability = IntegerField(_l("Default probability (%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    position = IntegerField(_l("Order"), validators=[Optional()])
    active = BooleanField(_l("In use"), default=True)


class TeamSettingsForm(PortalForm):
    reps_read_team = BooleanField(_l("Reps may read all of the team's customers"))


class CompanySettingsForm(PortalForm):
    window_hours = IntegerField(_l("Service window for customer requests (working hours)"),
                                validators=[DataRequired(), NumberRange(min=1, max=500)])
    stale_days = IntegerField(_l("A customer is stale after this many days without contact"),
                              validators=[DataRequired(), NumberRange(min=1, max=365)])


class ImportUploadForm(PortalForm):
    file = FileField(_l("CSV or Excel file"), validators=[FileRequired()],
                     description=_l("The first row holds the column names. UTF-8 or GBK; .csv or .xlsx."))


class KeepForm(PortalForm):
    until = DateField(_l("Keep until"), validators=[DataRequired()])
    reason = TextAreaField(_l("Why keep this customer"), validators=[DataRequired(), Length(max=1000)])


class KeepDecisionForm(PortalForm):
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Keep")), ("refuse", _l("Refuse"))])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)])


class AssignForm(PortalForm):
    rep_id = SelectField(_l("Sales rep"), coerce=int, choices=[])


def _day_count(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=1, max=365)])


class PoolRulesForm(PortalForm):
    """The team's pool settings and, per tier, capacity and the three recycling rules."""

    daily_claims = IntegerField(_l("Claims per rep per day"), validators=[InputRequired(message=_l("Enter a number.")),
                                                                          NumberRange(min=0, max=1000)])
    reclaim_days = IntegerField(_l("Days before a rep may claim back a customer they gave up"),
                                validators=[Optional(), NumberRange(min=0, max=365)])
    remind_days = IntegerField(_l("Remind the owner this many working days before"),
                               validators=[Optional(), NumberRange(min=0, max=60)])
    keep_max_days = IntegerField(_l("Longest keep-lock (days)"),
                                 validators=[InputRequired(message=_l("Enter a number.")), NumberRange(min=1, max=365)])
    discount_threshold = DecimalField(_l("Discounts above this percentage need approval"), places=2,
                                      validators=[InputRequired(message=_l("Enter a number.")),
                                                  NumberRange(min=0, max=100)])


RULE_LABELS = {"capacity": _l("Capacity (customers per rep)"),
               "no_follow_up_days": _l("No follow-up for (working days)"),
               "no_opportunity_days": _l("No new opportunity for (working days)"),
               "no_deal_days": _l("No deal for (working days)")}
for _tier in ("A", "B", "C"):
    setattr(PoolRulesForm, f"{_tier}_capacity",
            IntegerField(RULE_LABELS["capacity"], validators=[Optional(), NumberRange(min=1, max=10000)]))
    for _name in ("no_follow_up_days", "no_opportunity_days", "no_deal_days"):
        setattr(PoolRulesForm, f"{_tier}_{_name}", _day_count(RULE_LABELS[_name]))
