from datetime import datetime, time

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..authz import OVERSEERS, guard_blueprint
from ..core.db import db
from ..core.pagination import paginate
from ..core.periods import company_tz
from ..people.models import User
from . import bp
from .models import AuditEntry

guard_blueprint(bp, OVERSEERS)


def _day(name: str, end: bool = False):
    raw = request.args.get(name) or ""
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=company_tz())


@bp.route("/")
def index():
    """Browse who changed what, newest first, filtered by person, action, record type and dates."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.actor))
    actor = request.args.get("actor", type=int)
    if actor:
        stmt = stmt.where(AuditEntry.actor_id == actor)
    for field, column in (("action", AuditEntry.action), ("object_type", AuditEntry.object_type)):
        value = (request.args.get(field) or "").strip()
        if value:
            stmt = stmt.where(column == value)
    object_id = (request.args.get("object_id") or "").strip()
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    start, end = _day("from"), _day("to", end=True)
    if start:
        stmt = stmt.where(AuditEntry.at >= start)
    if end:
        stmt = stmt.where(AuditEntry.at <= end)
    page = paginate(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), per_page=50)
    people = db.session.execute(select(User.id, User.display_name).order_by(User.display_name)).all()
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    types = db.session.scalars(select(AuditEntry.object_type).distinct().where(
        AuditEntry.object_type.is_not(None)).order_by(AuditEntry.object_type)).all()
    return render_template("audit/index.html", page=page, people=people, actions=actions, types=types)
