"""What comms templates (and its home panels) can call: the same predicates the views use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import forms, queries

# Figures comms computes itself are stored with their key; the label is translated when shown.
FIGURE_LABELS = {
    "plans_on_time": _l("Work plans filed on time"),
    "reports_on_time": _l("Work reports filed on time"),
    "tasks_on_time": _l("Tasks done on time"),
    "completion_rate": _l("Plan and report completion rate (%)"),
    "open_difficulties": _l("Open difficulties"),
    "overdue_tasks": _l("Overdue task parts"),
}


def figure_label(fig: dict) -> str:
    if fig.get("source") == "comms" and fig.get("key") in FIGURE_LABELS:
        return str(FIGURE_LABELS[fig["key"]])
    return fig.get("label") or fig.get("key") or ""


def template_helpers() -> dict:
    return {
        "comms": queries,
        "comms_labels": {
            "priority": forms.PRIORITY_LABELS, "status": forms.STATUS_LABELS, "kind": forms.KIND_LABELS,
            "link": forms.LINK_LABELS, "thread_status": forms.THREAD_STATUS_LABELS,
            "cadence": forms.CADENCE_LABELS,
        },
        "figure_label": figure_label,
    }
