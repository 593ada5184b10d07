"""Contracts with their payments received (回款), and orders (定单)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import concurrency
from ..core.cache import invalidate_on_write
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
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # see core/concurrency.py

    customer = relationship("Customer")
    owner = relationship("User", foreign_keys=[owner_id])
    team = relationship("Team")
    payments: Mapped[list[Payment]] = relationship(back_populates="contract", order_by="Payment.paid_on",
                                                   cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_contract_team_signed", "team_id", "signed_on"),
        Index("ix_contract_owner_signed", "owner_id", "signed_on"),
        # contract_summary's parts read these alone (index-only): in fulfilment / overdue now, signed in a period
        Index("ix_contract_status_cover", "status", "end_on", "team_id", "amount"),
        Index("ix_contract_signed_cover", "signed_on", "status", "team_id", "amount"),
    )
    __mapper_args__ = concurrency.mapper_args(version)

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
    # The instalment the payer named (optional); the matching rule places unnamed money.
    instalment_id: Mapped[int | None] = mapped_column(ForeignKey("instalment.id", ondelete="SET NULL"),
                                                      index=True)

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
        # The list's order with the id beside it: a page's ids are read from the index alone, so a deep
        # page on PostgreSQL skips index entries instead of sorting 200,000 rows (SQLite keeps the rowid
        # in every index anyway).
        Index("ix_sales_order_day_id", "ordered_on", "id"),
    )


# Collection plans (回款计划) and invoice requests (开票) -----------------------------------------------

INSTALMENT_STATES = ("pending", "partly_paid", "paid", "overdue", "void")
INVOICE_STATUSES = ("requested", "issued", "rejected")


class Instalment(db.Model):
    """One planned payment (一期回款) of a contract. ``collected`` is what the matching rule gave it from
    the contract's payments (see ``collections.allocate``); the state is derived from it and the day."""

    __tablename__ = "instalment"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 期数: 1, 2, 3 …
    due_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    remind_days: Mapped[int] = mapped_column(Integer, default=7)
    note: Mapped[str | None] = mapped_column(String(300))
    void: Mapped[bool] = mapped_column(default=False)
    collected: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    paid_off_on: Mapped[date | None] = mapped_column(Date)
    # Copied from the contract (like payments) so the sums by team and rep need no join.
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    # One reminder of each kind per instalment: cleared when the due date moves.
    reminded_before_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()

    __table_args__ = (
        Index("ix_instalment_team_due", "team_id", "due_on"),
        Index("ix_instalment_owner_due", "owner_id", "due_on"),
    )

    @property
    def outstanding(self) -> Decimal:
        return Decimal("0.00") if self.void else max(self.amount - (self.collected or 0), Decimal("0.00"))

    def state(self, today: date) -> str:
        """pending, partly_paid, paid, overdue (past due and not fully paid) or void."""
        if self.void:
            return "void"
        collected = self.collected or Decimal("0.00")
        if collected >= self.amount:
            return "paid"
        if self.due_on < today:
            return "overdue"
        return "partly_paid" if collected > 0 else "pending"


class InvoiceRequest(db.Model):
    """A request to invoice part of a contract (开票申请): 抬头, 税号, amount; the GM or admin marks it issued."""

    __tablename__ = "invoice_request"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # 发票抬头
    tax_number: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    reject_reason: Mapped[str | None] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


# The contract summary each worker keeps (queries.contract_summary): a contract added, removed, or its
# status, amount, dates, team or owner changed.
SUMMARY_CACHE = "contract_summary"
invalidate_on_write(SUMMARY_CACHE, Contract,
                    columns=("status", "amount", "signed_on", "end_on", "team_id", "owner_id"))
