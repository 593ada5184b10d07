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
_TRANSLATED: dict[str, dict[str, dict[str, str]]] = {}


def _translated(locale: str) -> dict[str, dict[str, str]]:
    if locale not in _TRANSLATED:
        _TRANSLATED[locale] = {"states": {code: str(label) for code, label in STATES.items()},
                               "notes": {code: str(label) for code, label in NOTES.items()}}
    return _TRANSLATED[locale]


def state_names() -> dict[str, str]:
    """STATES translated once per language, for a page that shows a state per row (a lazy label looks its
    catalog up again each time it is shown)."""
    return _translated(str(get_locale()))["states"]


def note_texts() -> dict[str, str]:
    """NOTES translated once per language, as state_names."""
    return _translated(str(get_locale()))["notes"]


PERCENT_METRICS = {"growth", "plan_report_rate", "request_response"}
MONEY_METRICS = {"planned_target", "actual_sales"}


def reads_chinese() -> bool:
    """Whether item names are shown in Chinese: asked once per page by the pages that name many items."""
    return str(get_locale() or "zh").startswith("zh")


def item_name(item) -> str:
    return item.name_zh if reads_chinese() else item.name_en
