"""Approvals: the chain of approver steps per team and kind, and each request with its steps and history."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db, utcnow
from ..core.types import Money, UTCDateTime

KINDS = ("contract", "expense", "discount", "plan")
STEP_ROLES = ("director", "gm")
# pending: waiting at a step; returned: back with the requester to change and resubmit;
# withdrawn: taken back by the requester; approved / rejected: final.
STATUSES = ("pending", "returned", "withdrawn", "approved", "rejected")


class ApprovalChain(db.Model):
    """The ordered approver steps for one kind of record, for one team (or the company default)."""

    __tablename__ = "approval_chain"
    __audited__ = True
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))  # None: company
    kind: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    steps: Mapped[list[ApprovalChainStep]] = relationship(
        back_populates="chain", order_by="ApprovalChainStep.position", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("team_id", "kind", name="uq_approval_chain_team_kind"),)


class ApprovalChainStep(db.Model):
    __tablename__ = "approval_chain_step"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("approval_chain.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    # The step applies only when the request's amount is at least this much (None: always).
    min_amount: Mapped[Decimal | None] = mapped_column(Money)

    chain: Mapped[ApprovalChain] = relationship(back_populates="steps")


class ApprovalRequest(db.Model):
    """One record submitted for approval; its steps were resolved from the chain when (re)submitted."""

    __tablename__ = "approval_request"
    __audited__ = True
    __owner_column__ = "requester_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The role of the step the request waits at (denormalised so the to-do badge is one COUNT).
    current_role: Mapped[str | None] = mapped_column(String(16))
    current_position: Mapped[int | None] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester = relationship("User", foreign_keys=[requester_id])
    team = relationship("Team", foreign_keys=[team_id])
    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="request", order_by="ApprovalStep.position", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_approval_request_record", "record_type", "record_id"),
        Index("ix_approval_request_todo", "status", "current_role", "team_id"),
    )

    @property
    def current_step(self) -> ApprovalStep | None:
        return next((s for s in self.steps if s.position == self.current_position), None)


class ApprovalStep(db.Model):
    """One step of a request's current round: waiting, approved, returned, rejected or skipped."""

    __tablename__ = "approval_step"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_request.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    min_amount: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    request: Mapped[ApprovalRequest] = relationship(back_populates="steps")
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class ApprovalEvent(db.Model):
    """The history: every submit, decision, withdrawal and resubmission, kept across rounds."""

    __tablename__ = "approval_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_request.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=1)
    # submitted, approved, returned, rejected, withdrawn, resubmitted, skipped
    action: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", foreign_keys=[actor_id])

    __table_args__ = (Index("ix_approval_event_record", "record_type", "record_id", "at"),)
