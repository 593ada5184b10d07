from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, FieldList, Form, FormField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from ..core.forms import PortalForm
from .labels import LABELS


class AmountField(DecimalField):
    """A Decimal amount that also accepts 100,000 or ¥100,000 as typed."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [v.replace(",", "").replace("，", "").replace("¥", "").strip() for v in valuelist]
        super().process_formdata(valuelist)


class StepForm(Form):
    role = SelectField(_l("Approver"), choices=[])
    min_amount = AmountField(_l("From amount (CNY)"), places=2, validators=[
        Optional(), NumberRange(min=0, message=_l("Amounts cannot be negative."))])

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.role.choices = [("", _l("— no step —"))] + [(k, v) for k, v in LABELS["role"].items()]


class ChainForm(PortalForm):
    """The steps in order; empty rows are ignored, so two spare rows let one add a step without script."""

    steps = FieldList(FormField(StepForm), min_entries=1)

    def chosen(self) -> list[tuple[str, object]]:
        return [(row.form.role.data, row.form.min_amount.data) for row in self.steps if row.form.role.data]

    def validate_steps(self, field):
        from wtforms import ValidationError

        if not self.chosen():
            raise ValidationError(_l("A chain needs at least one step."))


class DecisionForm(PortalForm):
    comment = TextAreaField(_l("Approval comment"), validators=[Optional(), Length(max=2000)])
