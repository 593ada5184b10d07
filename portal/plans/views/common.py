"""Small helpers the plans pages share: the period in the query string, the teams and reps one may pick."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from ...authz import managed_team_ids
from ...core.db import db
from ...core.periods import Period
from ...people.models import Team, User


def period_arg(default_kind: str = "month", name: str = "period") -> Period:
    """The period named in the query string (2026, 2026-Q4, 2026-11), else the current one."""
    raw = (request.args.get(name) or "").strip()
    if raw:
        try:
            period = Period.parse(raw)
            if period.kind != "week":
                return period
        except ValueError:
            pass
    kind = request.args.get("kind")
    return Period.current(kind if kind in ("month", "quarter", "year") else default_kind)


def visible_teams(user=None) -> list[Team]:
    user = user or current_user
    stmt = select(Team).order_by(Team.name)
    teams = managed_team_ids(user)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    return list(db.session.scalars(stmt))


def team_reps(team_ids, active_only: bool = True) -> list[User]:
    stmt = select(User).where(User.role == "rep", User.team_id.in_(list(team_ids) or [-1]))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt.order_by(User.team_id, User.display_name)))


def default_team_id(user=None) -> int | None:
    user = user or current_user
    if user.role in ("director", "rep"):
        return user.team_id
    teams = visible_teams(user)
    return teams[0].id if teams else None


def wants_fragment() -> bool:
    return bool(request.headers.get("HX-Request"))
