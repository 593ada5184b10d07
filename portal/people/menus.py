"""People for filter menus and owner choices: plain (id, name) rows, not User objects.

A list page offers "owner" menus of up to a few hundred people; loading whole User rows (password hash,
session token and all) as ORM objects for that cost more than the list itself.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..core.db import db
from .models import User


class Person(NamedTuple):
    id: int
    display_name: str
    team_id: int | None
    role: str


@lru_cache(maxsize=16)
def _menu_statement(roles: tuple[str, ...], active_only: bool, by_team: bool):
    # Built once per shape: a list page asks for its menu on every request.
    stmt = select(User.id, User.display_name, User.team_id, User.role).where(User.role.in_(roles))
    if by_team:
        stmt = stmt.where(User.team_id.in_(bindparam("teams", expanding=True)))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return stmt.order_by(User.team_id, User.role.desc(), User.display_name, User.id)


def people_menu(team_ids: Iterable[int] | None, roles: tuple[str, ...] = ("rep",),
                active_only: bool = True) -> list[Person]:
    """People of ``roles`` in ``team_ids`` (None: the whole company), by team, reps before directors, then name."""
    if team_ids is None:
        rows = db.session.execute(_menu_statement(tuple(roles), active_only, False))
    else:
        ids = sorted(t for t in team_ids if t is not None)
        if not ids:
            return []
        rows = db.session.execute(_menu_statement(tuple(roles), active_only, True), {"teams": ids})
    return [Person(*row) for row in rows]


def choices(people: Iterable[Person]) -> list[tuple[int, str]]:
    """(value, label) pairs for a WTForms select."""
    return [(p.id, p.display_name) for p in people]
