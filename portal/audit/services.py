"""Writing the audit log: explicit events, and every change to an audited model at flush."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..core.db import db, utcnow
from .models import AuditEntry


def _actor() -> tuple[int | None, str | None]:
    if has_request_context():
        user = current_user._get_current_object()
        if user is not None and user.is_authenticated:
            return user.id, user.username
        return None, None
    return None, "cli"


def _ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def record(action: str, *, obj=None, object_type: str | None = None, object_id=None,
           summary: str | None = None, changes: dict | None = None, actor=None,
           actor_name: str | None = None, team_id: int | None = None) -> None:
    """Add an explicit entry (sign-ins, workflow steps) to the current transaction."""
    # Views pass flask_login's current_user, a proxy: record the object behind it.
    obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
    actor_id, name = _actor()
    if actor is not None:
        actor_id, name = actor.id, actor.username
    if obj is not None:
        object_type = object_type or type(obj).__tablename__
        object_id = object_id if object_id is not None else _pk(obj)
        team_id = team_id if team_id is not None else _team_of(obj)
    db.session.add(AuditEntry(
        actor_id=actor_id, actor_name=actor_name or name, action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id), summary=summary,
        changes=changes, ip=_ip(), team_id=team_id,
    ))


def _pk(obj) -> str:
    state = inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ":".join(str(i) for i in ident if i is not None)


def _team_of(obj) -> int | None:
    col = getattr(obj, "__team_column__", None)
    return getattr(obj, col, None) if col else None


def _diff(obj) -> dict:
    state = inspect(obj)
    exclude = getattr(obj, "__audit_exclude__", set())
    out = {}
    for attr in state.mapper.column_attrs:
        if attr.key in exclude or (attr.columns[0] is state.mapper.version_id_col):  # the lock's counter
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                out[attr.key] = [_plain(old), _plain(new)]
    return out


def _snapshot(obj) -> dict:
    exclude = getattr(obj, "__audit_exclude__", set())
    return {a.key: _plain(getattr(obj, a.key)) for a in inspect(obj).mapper.column_attrs
            if a.key not in exclude}


@event.listens_for(Session, "before_flush")
def _audit_before(session, _ctx, _instances):
    """Note what updates and deletes change while the old values are still at hand."""
    pending = session.info.setdefault("audit_rows", [])
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            diff = _diff(obj)
            if diff:
                pending.append(("update", obj, diff))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            pending.append(("delete", obj, _snapshot(obj)))


@event.listens_for(Session, "after_flush")
def _audit_after(session, _ctx):
    """Every create, update and delete of a model marked ``__audited__`` leaves an entry.

    Written after the flush, when new rows have their ids, as one multi-row INSERT: auditing a
    flush costs one statement however many records it touched.
    """
    pending = session.info.pop("audit_rows", [])
    pending += [("create", obj, None) for obj in session.new if getattr(obj, "__audited__", False)]
    if not pending:
        return
    actor_id, name = _actor()
    ip, now = _ip(), utcnow()
    rows = []
    for action, obj, changes in pending:
        if action == "create":
            changes = _snapshot(obj)
        rows.append({"at": now, "actor_id": actor_id, "actor_name": name, "action": action,
                     "object_type": type(obj).__tablename__, "object_id": _pk(obj), "team_id": _team_of(obj),
                     "summary": None, "changes": changes, "ip": ip})
    session.connection().execute(insert(AuditEntry.__table__), rows)
