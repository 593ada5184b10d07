"""Words for the sheet: item names in the reader's language, reasons for a missing figure, states."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

NOTES = {
    "no_target": _l("No target set for this period"),
    "no_data": _l("No figure for this period"),
    "no_previous": _l("No sales in the previous period to compare with"),
    "no_requests": _l("No customer requests in this period"),
    "nothing_due": _l("No work plans, reports or tasks were due"),
    "not_judged": _l("Not scored yet"),
}
STATES = {
    "open": _l("Open"),
    "finalised": _l("Finalised"),
    "acknowledged": _l("Acknowledged"),
    "disputed": _l("Disputed"),
}
RULE_NAMES = {
    "linear": _l("Linear against target"),
    "rate": _l("Rate (percent)"),
    "growth": _l("Growth (percent)"),
    "inverse": _l("Fewer is better"),
    "judged": _l("Director's score 1–5"),
    "none": _l("Reference only"),
}
PERCENT_METRICS = {"growth", "plan_report_rate", "request_response"}
MONEY_METRICS = {"planned_target", "actual_sales"}


def item_name(item) -> str:
    return item.name_zh if str(get_locale() or "zh").startswith("zh") else item.name_en
