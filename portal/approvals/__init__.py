"""Approvals (审批): per-team chains of approver steps, and the engine other features submit records to.

Integration API (``from portal.approvals import services as approvals``); every call flushes, the
request commits:

``submit(actor, kind, record_type, record_id, team_id, amount, title, link=None) -> ApprovalRequest``
    ``kind`` is "contract", "expense", "discount" or "plan" (it picks the chain); ``record_type`` and
    ``record_id`` name your record ("contract", 42); ``team_id`` the team whose chain and director
    apply; ``amount`` a Decimal (or None: steps with a minimum amount then drop out); ``title`` shown
    in to-do lists and notifications; ``link`` the path of your record page. Steps are resolved from
    the chain now (team's chain, else the company default, else director then GM from 100,000); a step
    whose only approver is the requester is skipped. Raises ServiceError when the record already waits.
``decide(actor, request, "approve" | "return" | "reject", comment=None)``
    Only the current step's approver (the team's director, or a GM), never the requester; return and
    reject need a comment. Forbidden otherwise.
``withdraw(actor, request)`` / ``resubmit(actor, request, *, amount=<keep>, title=None)``
    The requester only; resubmit re-resolves the steps and starts a new round.
``is_locked(record_type, record_id) -> bool``
    True while a request is pending: call it before any edit and refuse (records in approval are
    read-only).
``status_of(record_type, record_id) -> str | None``  latest request's status: pending, returned,
    withdrawn, approved, rejected (None: never submitted). ``latest_request(...)`` gives the row.
``history(record_type, record_id) -> list[ApprovalEvent]``  every event, oldest first.
``on_decided(kind, callback)``
    ``callback(request, outcome)`` runs inside the deciding transaction with outcome "approved"
    (final), "returned", "rejected" or "withdrawn"; register it in your ``init_app``.

Templates: ``{% with record_type="contract", record_id=contract.id %}{% include
"approvals/_history.html" %}{% endwith %}`` shows a record's approval history (``approval_history``
is a template global).
"""
from flask import Blueprint

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import demo, labels, panels, services  # noqa: F401 - registers demo data and the home panel

    register_nav("approvals.todo", _l("Approvals"), {"director", "gm"}, order=60, badge=services.todo_count)
    register_nav("approvals.mine", _l("My approvals"), {"rep"}, order=60)
    register_nav("approvals.chains", _l("Approval chains"), {"admin"}, order=85)

    @app.context_processor
    def approval_helpers():
        return {"approval_history": services.history, "approval_label": labels.label}


from . import views  # noqa: E402,F401
