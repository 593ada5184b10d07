"""Posting notifications. Features call ``notify``; the inbox and e-mail are this package's business."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale

from ..core.db import db
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
    return made
