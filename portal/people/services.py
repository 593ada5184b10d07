"""Rules for accounts and teams: who may create, change, deactivate and move whom."""
from __future__ import annotations

import secrets
import string

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..auth.passwords import hash_password
from ..authz import can_manage_user, managed_team_ids
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from .models import Team, TransferRequest, User


def roles_assignable_by(actor) -> tuple[str, ...]:
    if actor.role == "admin":
        return ("rep", "director", "gm", "admin")
    if actor.role == "director":
        return ("rep",)
    return ()


def teams_assignable_by(actor) -> list[Team]:
    stmt = select(Team).order_by(Team.name)
    teams = managed_team_ids(actor)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    return list(db.session.scalars(stmt))


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def _check_assignment(actor, role: str, team_id: int | None) -> None:
    if role not in roles_assignable_by(actor):
        raise Forbidden()
    if actor.role != "admin" and team_id not in (managed_team_ids(actor) or set()):
        raise ServiceError(_("You can only add people to your own team."), "team_id")
    if team_id and db.session.get(Team, team_id) is None:
        raise ServiceError(_("Choose a team from the list."), "team_id")


def create_user(actor, *, username: str, display_name: str, role: str, team_id: int | None,
                email: str | None = None, phone: str | None = None, joined_on=None) -> tuple[User, str]:
    """Create an account with a one-time password the new user must replace at first sign-in."""
    team_id = team_id or None
    _check_assignment(actor, role, team_id)
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken:
        raise ServiceError(_("This username is taken."), "username")
    password = temporary_password()
    user = User(username=username, display_name=display_name, role=role, team_id=team_id,
                email=email or None, phone=phone or None, joined_on=joined_on,
                password_hash=hash_password(password), must_change_password=True)
    db.session.add(user)
    db.session.flush()
    if role == "director" and team_id:
        team = db.session.get(Team, team_id)
        if team.director_id is None:
            team.director_id = user.id
    return user, password


def update_user(actor, user: User, *, display_name: str, role: str, team_id: int | None,
                email: str | None, phone: str | None, joined_on=None) -> None:
    if not can_manage_user(actor, user):
        raise Forbidden()
    team_id = team_id or None
    if actor.role != "admin":
        # A director edits names and contact details; role and team change through a transfer.
        role, team_id = user.role, user.team_id
    _check_assignment(actor, role, team_id)
    if user.id == actor.id and role != user.role:
        raise ServiceError(_("You cannot change your own role."), "role")
    user.display_name, user.email, user.phone, user.joined_on = display_name, email or None, phone or None, joined_on
    if role != user.role or team_id != user.team_id:
        record("role_team_changed", obj=user, changes={"role": [user.role, role], "team_id": [user.team_id, team_id]})
        if user.role == "director" and user.team_id != team_id:
            for team in db.session.scalars(select(Team).where(Team.director_id == user.id)):
                team.director_id = None
        user.role, user.team_id = role, team_id
    db.session.flush()


def set_active(actor, user: User, active: bool) -> None:
    """Deactivate (dismissal) or reactivate an account; its records stay where they are."""
    if not can_manage_user(actor, user) or (active and actor.role != "admin"):
        raise Forbidden()
    if user.id == actor.id:
        raise ServiceError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.rotate_session_token()
        user.left_on = utcnow().date()
    else:
        user.left_on = None
    record("activated" if active else "deactivated", obj=user)
    db.session.flush()


def reset_password(actor, user: User) -> str:
    """A temporary password, shown once; the user must choose a new one at next sign-in."""
    if actor.role != "admin" or user.id == actor.id:
        raise Forbidden()
    from ..auth.services import set_password  # auth imports people's models: import late

    password = temporary_password()
    set_password(user, password, must_change=True)
    record("password_reset", obj=user)
    return password


def request_transfer(actor, user: User, to_team_id: int, reason: str) -> TransferRequest:
    if not can_manage_user(actor, user) or actor.role != "director":
        raise Forbidden()
    if to_team_id == user.team_id or db.session.get(Team, to_team_id) is None:
        raise ServiceError(_("Choose another team."), "to_team_id")
    open_one = db.session.scalar(select(TransferRequest.id).where(
        TransferRequest.user_id == user.id, TransferRequest.status == "pending"))
    if open_one:
        raise ServiceError(_("A transfer for this person is already waiting for a decision."))
    req = TransferRequest(user_id=user.id, from_team_id=user.team_id, to_team_id=to_team_id,
                          requested_by_id=actor.id, reason=reason)
    db.session.add(req)
    db.session.flush()
    return req


def decide_transfer(actor, req: TransferRequest, approve: bool, note: str | None) -> None:
    if actor.role not in ("admin", "gm"):
        raise Forbidden()
    if req.status != "pending":
        raise ServiceError(_("This request has already been decided."))
    req.status = "approved" if approve else "rejected"
    req.decided_by_id, req.decided_at, req.decision_note = actor.id, utcnow(), note or None
    if approve:
        req.user.team_id = req.to_team_id
    db.session.flush()


def save_team(actor, team: Team | None, *, name: str, region: str | None, director_id: int | None,
              parent_id: int | None) -> Team:
    if actor.role != "admin":
        raise Forbidden()
    clash = db.session.scalar(select(Team.id).where(func.lower(Team.name) == name.strip().lower()))
    if clash and (team is None or clash != team.id):
        raise ServiceError(_("A team with this name exists."), "name")
    if director_id:
        director = db.session.get(User, director_id)
        if director is None or director.role != "director":
            raise ServiceError(_("Choose a sales director."), "director_id")
    if team is not None and parent_id == team.id:
        raise ServiceError(_("A team cannot be its own parent."), "parent_id")
    if team is None:
        team = Team(name=name.strip())
        db.session.add(team)
    team.name, team.region = name.strip(), region or None
    team.director_id, team.parent_id = director_id or None, parent_id or None
    db.session.flush()
    if director_id:
        director = db.session.get(User, director_id)
        director.team_id = team.id
    db.session.flush()
    return team
