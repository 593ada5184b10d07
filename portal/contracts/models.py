"""Contracts with their payments received (回款), and orders (定单)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db, utcnow
from ..core.types import Money, UTCDateTime

CONTRACT_STATUSES = ("draft", "signed", "in_fulfilment", "fulfilled", "terminated")
# A contract counts as signed (for the signed-contract measure) in these states.
SIGNED_STATUSES = ("signed", "in_fulfilment", "fulfilled")
OPEN_STATUSES = ("signed", "in_fulfilment")
TRANSITIONS = {
    "draft": ("signed", "terminated"),
    "signed": ("in_fulfilment", "fulfilled", "terminated"),
    "in_fulfilment": ("fulfilled", "terminated"),
    "fulfilled": (),
    "terminated": (),
}
CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY")


class Contract(db.Model):
    __tablename__ = "contract"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # fulfilment, per cent
    terminated_reason: Mapped[str | None] = mapped_column(Text)
    fulfilled_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer = relationship("Customer")
    owner = relationship("User", foreign_keys=[owner_id])
    team = relationship("Team")
    payments: Mapped[list[Payment]] = relationship(back_populates="contract", order_by="Payment.paid_on",
                                                   cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_contract_team_signed", "team_id", "signed_on"),
        Index("ix_contract_owner_signed", "owner_id", "signed_on"),
        Index("ix_contract_status_end", "status", "end_on"),
    )

    def is_overdue(self, today: date) -> bool:
        """Past its end date and not yet fulfilled."""
        return self.status in OPEN_STATUSES and self.end_on is not None and self.end_on < today

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Payment(db.Model):
    """Money received against a contract; owner and team copied from the contract for fast sums."""

    __tablename__ = "payment"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="payments")

    __table_args__ = (
        Index("ix_payment_team_paid", "team_id", "paid_on"),
        Index("ix_payment_owner_paid", "owner_id", "paid_on"),
    )


class Order(db.Model):
    """An order (定单): date, customer, amount, optionally under a contract; cost gives the gross profit."""

    __tablename__ = "sales_order"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), index=True)
    ordered_on: Mapped[date] = mapped_column(Date, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer = relationship("Customer")
    contract: Mapped[Contract | None] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])

    __table_args__ = (
        Index("ix_sales_order_team_day", "team_id", "ordered_on"),
        Index("ix_sales_order_owner_day", "owner_id", "ordered_on"),
    )
