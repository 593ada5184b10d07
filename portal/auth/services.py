"""Sign-in rules: checking credentials, recording attempts, rotating session tokens."""
from __future__ import annotations

from sqlalchemy import func, select

from ..audit.services import record
from ..core.db import db, utcnow
from ..people.models import User
from .passwords import burn_time, hash_password, verify_password


def authenticate(username: str, password: str) -> User | None:
    """The account for these credentials, or None; every attempt is audited."""
    name = (username or "").strip()
    user = db.session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    if user is None:
        burn_time(password)
        record("login_failed", object_type="user", actor_name=name[:80], summary="unknown username")
        return None
    if not verify_password(user.password_hash, password):
        record("login_failed", obj=user, actor_name=user.username, summary="wrong password")
        return None
    if not user.active:
        record("login_failed", obj=user, actor_name=user.username, summary="account deactivated")
        return None
    user.last_login_at = utcnow()
    record("login", obj=user, actor=user)
    return user


def set_password(user: User, new_password: str, *, must_change: bool = False) -> None:
    """Store a new password and sign the user out of every other session."""
    user.password_hash = hash_password(new_password)
    user.must_change_password = must_change
    user.rotate_session_token()
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> bool:
    if not verify_password(user.password_hash, current):
        return False
    set_password(user, new)
    record("password_changed", obj=user)
    return True


def sign_out_everywhere(user: User) -> None:
    user.rotate_session_token()
    record("logout", obj=user)
    db.session.flush()
