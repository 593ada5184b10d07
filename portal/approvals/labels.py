"""Words shown for kinds, roles, statuses and history actions, in the reader's language."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "kind": {"contract": _l("Contract"), "expense": _l("Expense"), "discount": _l("Discount"),
             "plan": _l("Sales plan")},
    "role": {"director": _l("Sales director"), "gm": _l("General manager")},
    "status": {"pending": _l("Awaiting approval"), "returned": _l("Returned"), "withdrawn": _l("Withdrawn"),
               "approved": _l("Approved"), "rejected": _l("Rejected")},
    "step": {"waiting": _l("Awaiting approval"), "approved": _l("Approved"), "returned": _l("Returned"),
             "rejected": _l("Rejected"), "skipped": _l("Skipped")},
    "action": {"submitted": _l("Submitted"), "resubmitted": _l("Resubmitted"), "approved": _l("Approved"),
               "returned": _l("Returned"), "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn"),
               "skipped": _l("Step skipped (no other approver)")},
}


def label(group: str, value) -> str:
    return str(LABELS.get(group, {}).get(value, value if value is not None else "—"))
