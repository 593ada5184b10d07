"""Group chat robots (WeCom, DingTalk, Feishu webhooks), their outbox and each delivery attempt."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db, utcnow
from ..core.types import UTCDateTime

PLATFORMS = ("wecom", "dingtalk", "feishu")


class Robot(db.Model):
    """A webhook of one group chat: a team's (team_id) or the company's (team_id None)."""

    __tablename__ = "robot"
    __audited__ = True
    # The URL holds the robot's access token and the secret signs requests: keep both out of the log.
    __audit_exclude__ = {"url", "secret"}
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team = relationship("Team", foreign_keys=[team_id])


class RobotOutbox(db.Model):
    """One message to one robot: queued in the transaction that caused it, sent after the commit."""

    __tablename__ = "robot_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    robot_id: Mapped[int] = mapped_column(ForeignKey("robot.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict] = mapped_column(JSON)  # the platform's JSON message, unsigned
    # queued (due at next_attempt_at), sending (claimed by a worker), sent, failed (gave up)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last attempt
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    robot: Mapped[Robot] = relationship()
    deliveries: Mapped[list[RobotDelivery]] = relationship(
        back_populates="outbox", order_by="RobotDelivery.id", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_robot_outbox_due", "status", "next_attempt_at"),
        Index("ix_robot_outbox_robot_created", "robot_id", "created_at"),
    )


class RobotDelivery(db.Model):
    """One HTTP attempt: what the platform answered (status, an excerpt of the body) or the error."""

    __tablename__ = "robot_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("robot_outbox.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    http_status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)  # the first 500 characters
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int | None] = mapped_column(Integer)

    outbox: Mapped[RobotOutbox] = relationship(back_populates="deliveries")
