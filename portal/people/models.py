"""People: teams (sales regions), user accounts with their role, and transfer requests."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.cache import invalidate_on_write
from ..core.db import db, utcnow
from ..core.types import UTCDateTime

ROLE_CHOICES = ("rep", "director", "gm", "admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class Team(db.Model):
    __tablename__ = "team"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    region: Mapped[str | None] = mapped_column(String(80))
    director_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    director: Mapped[User | None] = relationship(foreign_keys=[director_id], post_update=True)
    members: Mapped[list[User]] = relationship(back_populates="team", foreign_keys="User.team_id")

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __audited__ = True
    __audit_exclude__ = {"password_hash", "session_token", "last_login_at"}
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Part of the session cookie's user id: rotating it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    # "yuan" shows ¥1,234,567.00; "wan" shows 123.46 万元 for large figures.
    money_style: Mapped[str] = mapped_column(String(8), default="yuan")
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    __table_args__ = (Index("ix_user_team_role_active", "team_id", "role", "active"),)

    # Flask-Login: the cookie carries id and token, so a rotated token invalidates old cookies.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __str__(self) -> str:
        return self.display_name


class TransferRequest(db.Model):
    """A director asks to move a rep to another team; the admin or GM decides."""

    __tablename__ = "transfer_request"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    from_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    to_team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    from_team: Mapped[Team | None] = relationship(foreign_keys=[from_team_id])
    to_team: Mapped[Team] = relationship(foreign_keys=[to_team_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


# The team tree each worker keeps for record scoping (authz/scopes.py): who heads a team, and its parent.
invalidate_on_write("teams", Team, columns=("parent_id", "director_id"))
