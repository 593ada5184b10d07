"""Record scoping: a rep sees their own records, a director their team's, the GM and admin all.

A model takes part by naming its columns: ``__owner_column__`` (the rep who owns a record) and
``__team_column__`` (the team it belongs to). Features with special rules (a thread seen by its
escalation target, say) add their own predicates beside these and keep them in their services.

How far a director's or a rep's view reaches is a company setting per role (数据权限), chosen by the
administrator:

* ``self`` (本人) — only records one owns;
* ``self_and_reports`` (本人及下属) — one's own and those owned by the reps of the teams one heads;
* ``dept`` (本部门) — every record of the teams one heads or belongs to;
* ``dept_and_sub`` (本部门及下属) — those teams and all their sub-teams, however deep.

Defaults: directors ``dept_and_sub``, reps ``self``.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, or_, select

from ..core import settings
from ..core.cache import VersionedCache
from ..core.db import db
from ..core.memo import request_memo

DATA_SCOPES = ("self", "self_and_reports", "dept", "dept_and_sub")
settings.declare("data_scope.director", "dept_and_sub")
settings.declare("data_scope.rep", "self")


def data_scope(role: str) -> str:
    """The configured reach of a role's view (one of DATA_SCOPES)."""
    memo = request_memo().setdefault("data_scope", {})
    if role not in memo:
        value = settings.get(f"data_scope.{role}")
        memo[role] = value if value in DATA_SCOPES else settings.DEFAULTS[f"data_scope.{role}"]
    return memo[role]


_TEAM_TREE = VersionedCache("teams", size=1)


def _team_tree() -> list[tuple[int, int | None, int | None]]:
    """(id, parent id, director id) of every team (a company has tens of teams): every director's page
    asks, and teams rarely change, so each worker keeps them until a team is written (people/models.py)."""
    from ..people.models import Team

    memo = request_memo()
    if "team_tree" not in memo:
        memo["team_tree"] = _TEAM_TREE.get("all", lambda: [
            tuple(r) for r in db.session.execute(select(Team.id, Team.parent_id, Team.director_id))])
    return memo["team_tree"]


def headed_team_ids(user_id: int) -> set[int]:
    """The teams whose head (director_id) is this person, from the kept team tree."""
    return {team_id for team_id, _parent, director in _team_tree() if director == user_id}


def _with_sub_teams(roots: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for team_id, parent_id, _director in _team_tree():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(team_id)
    out, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def managed_team_ids(user) -> set[int] | None:
    """Teams whose records a user may see as a manager; None means every team."""
    if user.role in ("gm", "admin"):
        return None
    if user.role == "director":
        # Asked several times per page: remember the answer for the request.
        cache = request_memo().setdefault("managed_team_ids", {})
        if user.id not in cache:
            scope = data_scope("director")
            ids = headed_team_ids(user.id)
            if user.team_id:
                ids.add(user.team_id)
            if scope == "self":
                ids = set()
            elif scope == "dept_and_sub":
                ids = _with_sub_teams(ids)
            cache[user.id] = ids
        return set(cache[user.id])
    return set()


def reps_see_team() -> bool:
    return data_scope("rep") in ("dept", "dept_and_sub")


def _columns(model):
    owner = getattr(model, "__owner_column__", None)
    team = getattr(model, "__team_column__", None)
    return (getattr(model, owner) if owner else None), (getattr(model, team) if team else None)


def scope_signature(user, *, team_visible_to_reps: bool = False) -> tuple:
    """Everything ``scope_query`` reads besides the statement: two users (or one user at two times) with
    the same signature get the same conditions, so a statement scoped for one may be kept and reused
    for the other. Keep in step with ``scope_query``."""
    if not user.is_authenticated:
        return ("anonymous",)
    teams = managed_team_ids(user)
    return (user.role, user.id, user.team_id, None if teams is None else tuple(sorted(teams)),
            data_scope(user.role) if user.role in ("rep", "director") else None,
            user.role == "rep" and (team_visible_to_reps or reps_see_team()))


def scope_query(stmt: Select, model, user, *, team_visible_to_reps: bool = False) -> Select:
    """Restrict a select of ``model`` to what ``user`` may see."""
    if not user.is_authenticated:
        return stmt.where(false())
    owner_col, team_col = _columns(model)
    teams = managed_team_ids(user)
    if teams is None:
        return stmt
    conds = []
    if teams and team_col is not None:
        conds.append(team_col.in_(teams))
    if user.role == "rep":
        if owner_col is not None:
            conds.append(owner_col == user.id)
        if (team_visible_to_reps or reps_see_team()) and team_col is not None and user.team_id:
            conds.append(team_col == user.team_id)
    if user.role == "director" and owner_col is not None:
        if data_scope("director") == "self_and_reports" and teams:
            # Only what the director and their reps own, not every record filed under the team.
            from ..people.models import User

            conds = [owner_col.in_(select(User.id).where(User.team_id.in_(teams), User.role == "rep"))]
        conds.append(owner_col == user.id)
    return stmt.where(or_(*conds)) if conds else stmt.where(false())


def can_see_record(user, record, *, team_visible_to_reps: bool = False) -> bool:
    if not user.is_authenticated:
        return False
    teams = managed_team_ids(user)
    if teams is None:
        return True
    owner = getattr(record, getattr(record, "__owner_column__", "") or "", None)
    team = getattr(record, getattr(record, "__team_column__", "") or "", None)
    if owner is not None and owner == user.id:
        return True
    if user.role == "director" and data_scope("director") == "self_and_reports" and \
            getattr(record, "__owner_column__", None):
        from ..people.models import User

        owner_user = db.session.get(User, owner) if owner is not None else None
        return owner_user is not None and owner_user.role == "rep" and owner_user.team_id in teams
    if team is not None and team in teams:
        return True
    return bool((team_visible_to_reps or reps_see_team()) and user.role == "rep" and team is not None
                and team == user.team_id)


def can_edit_record(user, record) -> bool:
    """Owners and their directors edit; the GM reads only (the admin owns no sales data)."""
    if not user.is_authenticated or user.role in ("gm", "admin"):
        return False
    if user.role == "rep":  # a wider reading scope never lets a rep change a colleague's records
        owner = getattr(record, getattr(record, "__owner_column__", "") or "", None)
        return owner is not None and owner == user.id
    return can_see_record(user, record)


def get_scoped_or_404(model, ident, user, **kw):
    """Load one record the user may see, or 404: a foreign id looks the same as a missing one."""
    record = db.session.get(model, ident)
    if record is None or not can_see_record(user, record, **kw):
        abort(404)
    return record


# People -------------------------------------------------------------------------------------

def visible_users(user) -> Select:
    """The people a user may look up: everyone for GM/admin, a director's teams, a rep themself."""
    from ..people.models import User

    stmt = select(User)
    teams = managed_team_ids(user)
    if teams is None:
        return stmt
    if user.role == "director":
        return stmt.where(or_(User.team_id.in_(teams), User.id == user.id))
    return stmt.where(User.id == user.id)


def can_see_user(viewer, person) -> bool:
    if not viewer.is_authenticated:
        return False
    if viewer.id == person.id:
        return True
    teams = managed_team_ids(viewer)
    return teams is None or (viewer.role == "director" and person.team_id in teams)


def can_manage_user(viewer, person) -> bool:
    """Admin manages every account; a director manages the reps of their own teams."""
    if not viewer.is_authenticated:
        return False
    if viewer.role == "admin":
        return True
    if viewer.role == "director" and person.role == "rep":
        teams = managed_team_ids(viewer) or set()
        return person.team_id in teams
    return False
