"""People for filter menus and owner choices: plain (id, name) rows, not User objects.

A list page offers "owner" menus of up to a few hundred people; loading whole User rows (password hash,
session token and all) as ORM objects for that cost more than the list itself.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select

from ..core.db import db
from .models import User


class Person(NamedTuple):
    id: int
    display_name: str
    team_id: int | None
    role: str


def people_menu(team_ids: Iterable[int] | None, roles: tuple[str, ...] = ("rep",),
                active_only: bool = True) -> list[Person]:
    """People of ``roles`` in ``team_ids`` (None: the whole company), by team, directors first, then name."""
    stmt = select(User.id, User.display_name, User.team_id, User.role).where(User.role.in_(roles))
    if team_ids is not None:
        ids = list(team_ids)
        if not ids:
            return []
        stmt = stmt.where(User.team_id.in_(ids))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    stmt = stmt.order_by(User.team_id, User.role.desc(), User.display_name, User.id)
    return [Person(*row) for row in db.session.execute(stmt)]


def choices(people: Iterable[Person]) -> list[tuple[int, str]]:
    """(value, label) pairs for a WTForms select."""
    return [(p.id, p.display_name) for p in people]
