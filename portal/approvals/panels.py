"""Home-page panel: what waits for the director's or GM's approval, oldest first."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.db import db
from ..ui import Panel, register_panel
from . import services
from .models import ApprovalRequest


def _todo(user):
    rows = list(db.session.scalars(
        select(ApprovalRequest).where(services.todo_filter(user)).options(joinedload(ApprovalRequest.requester))
        .order_by(ApprovalRequest.submitted_at, ApprovalRequest.id).limit(5)))
    return {"rows": rows, "total": services.todo_count(user) if len(rows) == 5 else len(rows)}


register_panel(Panel("approvals.todo", _l("Waiting for my approval"), frozenset({"director", "gm"}),
                     "approvals/_panel_todo.html", _todo, order=20, width=6))
