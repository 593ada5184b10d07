"""Posting notifications. Features call ``notify``; the inbox and e-mail are this package's business."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from sqlalchemy import func, select, update

from ..core.db import db, utcnow
from ..core.memo import request_memo
from .models import Notification


def notify(recipients: Iterable, kind: str, title, *, link: str | None = None, body: str | None = None,
           actor=None) -> list[Notification]:
    """Tell each recipient (User objects) about something; ``title`` may be a lazy string or a
    callable returning one, rendered in each recipient's own language. The acting user is skipped."""
    made = []
    seen = set()
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id) or not user.active:
            continue
        seen.add(user.id)
        with force_locale(user.locale or "zh_CN"):
            text = str(title() if callable(title) else title)
        note = Notification(user_id=user.id, kind=kind, title=text[:200], body=body, link=link,
                            actor_id=actor.id if actor is not None else None)
        db.session.add(note)
        made.append(note)
    db.session.flush()
    # Remembered for the e-mail sent once the request has committed (see ``mail``).
    request_memo().setdefault("notifications.new", []).extend(n.id for n in made)
    return made


def unread_count(user) -> int:
    """The badge: one indexed count (user_id, read_at)."""
    if not user.is_authenticated:
        return 0
    memo = request_memo().setdefault("notifications.unread", {})
    if user.id not in memo:
        memo[user.id] = db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    return memo[user.id]


def mark_read(user, note: Notification) -> None:
    if note.user_id != user.id:
        raise PermissionError
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()


def mark_all_read(user) -> int:
    """One UPDATE whatever the number of unread notifications."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.flush()
    return result.rowcount or 0
