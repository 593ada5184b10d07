from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.forms import PortalForm

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


STATUS_LABELS = {
    "draft": _l("Draft"), "signed": _l("Signed"), "in_fulfilment": _l("In fulfilment"),
    "fulfilled": _l("Fulfilled"), "terminated": _l("Terminated"),
}
_TRANSLATED: dict[str, dict[str, str]] = {}


def status_labels() -> dict[str, str]:
    """STATUS_LABELS translated once per language, for a list: a lazy label looks its catalog up again each
    time a row shows it."""
    locale = str(get_locale())
    if locale not in _TRANSLATED:
        _TRANSLATED[locale] = {code: str(label) for code, label in STATUS_LABELS.items()}
    return _TRANSLATED[locale]


STATUS_COLOURS = {"draft": "secondary", "signed": "info", "in_fulfilment": "primary", "fulfilled": "success",
                  "terminated": "dark"}


class ContractForm(PortalForm):
    number = StringField(_l("Contract number"), validators=[DataRequired(), Length(max=40)])
    customer_id = SelectField(_l("Customer"), coerce=int, choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    currency = SelectField(_l("Currency"), choices=[], default="CNY")
    owner_id = SelectField(_l("Owner (sales rep)"), coerce=int, choices=[])
    signed_on = DateField(_l("Signing date"), validators=[Optional()])
    start_on = DateField(_l("Start date"), validators=[Optional()])
    end_on = DateField(_l("End date"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()  # when editing: the contract's


class StatusForm(PortalForm):
    status = SelectField(_l("New status"), choices=[])
    reason = TextAreaField(_l("Reason (when terminating)"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()  # the contract's, see core/concurrency.py


class ProgressForm(PortalForm):
    progress = IntegerField(_l("Fulfilment progress (%)"), validators=[InputRequired(), NumberRange(0, 100)])
    version = HiddenField()


class PaymentForm(PortalForm):
    paid_on = DateField(_l("Date received"), validators=[DataRequired()])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    instalment_id = SelectField(_l("For instalment"), coerce=int, choices=[], validate_choice=False)
    note = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])


class OrderForm(PortalForm):
    number = StringField(_l("Order number"), validators=[Optional(), Length(max=40)])
    ordered_on = DateField(_l("Order date"), validators=[DataRequired()])
    customer_id = SelectField(_l("Customer"), coerce=int, choices=[])
    contract_id = SelectField(_l("Contract"), coerce=int, choices=[])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    cost = MoneyField(_l("Cost"), places=2, validators=[Optional(), NOT_NEGATIVE],
                        description=_l("Optional: with the cost, the order counts towards gross profit."))
    owner_id = SelectField(_l("Owner (sales rep)"), coerce=int, choices=[])
    note = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])


INSTALMENT_STATE_LABELS = {
    "pending": _l("Not yet due"), "partly_paid": _l("Partly paid"), "paid": _l("Paid in full"),
    "overdue": _l("Overdue"), "void": _l("Void"),
}
INSTALMENT_STATE_COLOURS = {"pending": "secondary", "partly_paid": "info", "paid": "success", "overdue": "danger",
                            "void": "dark"}
INVOICE_STATUS_LABELS = {"requested": _l("Invoice requested"), "issued": _l("Invoice issued"),
                         "rejected": _l("Invoice rejected")}
INVOICE_STATUS_COLOURS = {"requested": "warning", "issued": "success", "rejected": "secondary"}


class InstalmentForm(PortalForm):
    due_on = DateField(_l("Planned collection date"), validators=[DataRequired()])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    remind_days = IntegerField(_l("Remind days before"), default=7, validators=[InputRequired(), NumberRange(0, 90)])
    note = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])


class SplitForm(PortalForm):
    count = IntegerField(_l("Number of instalments"), default=3, validators=[InputRequired(), NumberRange(1, 60)])
    first_due = DateField(_l("First due date"), validators=[DataRequired()])
    months_apart = IntegerField(_l("Months apart"), default=1, validators=[InputRequired(), NumberRange(1, 12)])
    remind_days = IntegerField(_l("Remind days before"), default=7, validators=[InputRequired(), NumberRange(0, 90)])


class InvoiceForm(PortalForm):
    title = StringField(_l("Invoice title"), validators=[DataRequired(), Length(max=200)])
    tax_number = StringField(_l("Tax number (unified social credit code)"),
                             validators=[DataRequired(), Length(max=40)])
    amount = MoneyField(_l("Amount"), places=2, validators=[InputRequired(), POSITIVE])
    note = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])


class InvoiceDecisionForm(PortalForm):
    invoice_number = StringField(_l("Invoice number"), validators=[Optional(), Length(max=40)])
    reason = StringField(_l("Reason (when rejecting)"), validators=[Optional(), Length(max=300)])
