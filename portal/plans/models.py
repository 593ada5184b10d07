"""Plans and their targets, seasonal profiles, budget lines, budget categories and expenses."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import concurrency
from ..core.cache import invalidate_on_write
from ..core.db import db, utcnow
from ..core.periods import Period
from ..core.types import Money, UTCDateTime

SCOPES = ("company", "team", "rep")
# A plan's status follows its approval request: submitted while it waits, then approved, returned (to
# change and resubmit) or rejected; withdrawn by the requester it is a draft again.
PLAN_STATUSES = ("draft", "submitted", "approved", "returned", "rejected")
# An expense above its team's threshold goes through approval: None (not needed, counts as spent),
# pending (waiting, or back with the requester), approved (counts), rejected (never counts).
EXPENSE_APPROVAL = ("pending", "approved", "rejected")
# The measures a target is set for; amounts are money, the others are counts.
MEASURES = ("sales", "contracts", "payments", "new_customers", "orders", "gross_profit")
MONEY_MEASURES = frozenset({"sales", "contracts", "payments", "gross_profit"})
TIERS = ("base", "sprint", "challenge")


class PeriodMixin:
    """A period stored as its kind, key and bounds, so SQL can filter and group by it."""

    period_kind: Mapped[str] = mapped_column(String(8))
    period_key: Mapped[str] = mapped_column(String(10), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start, self.period_end)

    def set_period(self, period: Period) -> None:
        self.period_kind, self.period_key = period.kind, period.key
        self.period_start, self.period_end = period.start, period.end


class Plan(PeriodMixin, db.Model):
    """A sales plan for a period and a scope: the analysis, the strategy and the steps."""

    __tablename__ = "plan"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # a rep's plan
    title: Mapped[str] = mapped_column(String(200))
    analysis: Mapped[str | None] = mapped_column(Text)
    strategy: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # see core/concurrency.py

    team = relationship("Team", foreign_keys=[team_id])
    owner = relationship("User", foreign_keys=[owner_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_plan_scope_period", "scope", "team_id", "owner_id", "period_key"),)
    __mapper_args__ = concurrency.mapper_args(version)


class Target(PeriodMixin, db.Model):
    """One measure's target for one scope and period, in three tiers (base / sprint / challenge)."""

    __tablename__ = "target"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    measure: Mapped[str] = mapped_column(String(16))
    base: Mapped[Decimal] = mapped_column(Money)
    sprint: Mapped[Decimal | None] = mapped_column(Money)
    challenge: Mapped[Decimal | None] = mapped_column(Money)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # see core/concurrency.py

    __table_args__ = (
        UniqueConstraint("scope", "team_id", "owner_id", "period_key", "measure", name="uq_target_slot"),
        Index("ix_target_scope_start", "scope", "period_start"),
    )
    __mapper_args__ = concurrency.mapper_args(version)


class SeasonalProfile(db.Model):
    """Weights per month (January first) for splitting a year's targets into months."""

    __tablename__ = "seasonal_profile"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    weights: Mapped[list] = mapped_column(JSON)  # twelve numbers as text, e.g. ["8", "6", …]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetCategory(db.Model):
    __tablename__ = "budget_category"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BudgetLine(PeriodMixin, db.Model):
    """The marketing expense budget (营销费用) of one team, period and category."""

    __tablename__ = "budget_line"
    __audited__ = True
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("budget_category.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team = relationship("Team")
    category: Mapped[BudgetCategory] = relationship()

    __table_args__ = (UniqueConstraint("team_id", "period_key", "category_id", name="uq_budget_line_slot"),)


class Expense(db.Model):
    """Money spent by a team member, counted against the budget lines of its category and date."""

    __tablename__ = "expense"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("budget_category.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(500))
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    approval_status: Mapped[str | None] = mapped_column(String(12), index=True)
    receipt_key: Mapped[str | None] = mapped_column(String(200))
    receipt_name: Mapped[str | None] = mapped_column(String(200))
    receipt_type: Mapped[str | None] = mapped_column(String(120))
    receipt_size: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team = relationship("Team")
    owner = relationship("User", foreign_keys=[owner_id])
    category: Mapped[BudgetCategory] = relationship()

    __table_args__ = (Index("ix_expense_team_cat_day", "team_id", "category_id", "spent_on"),
                      # a period's spending per team (budget vs actual) read from the index alone
                      Index("ix_expense_team_day", "team_id", "spent_on", "approval_status", "amount"))

    @property
    def counts_as_spent(self) -> bool:
        return self.approval_status in (None, "approved")


class SalesFigures:
    """The six actual figures a rollup cell holds."""

    sales: Mapped[Decimal] = mapped_column(Money)
    orders: Mapped[int] = mapped_column(Integer)
    gross_profit: Mapped[Decimal] = mapped_column(Money)  # orders whose cost is known
    contracts: Mapped[Decimal] = mapped_column(Money)  # signed (not draft, not terminated) by signing date
    payments: Mapped[Decimal] = mapped_column(Money)
    new_customers: Mapped[int] = mapped_column(Integer)  # by the rep who activated them


class SalesMonth(SalesFigures, db.Model):
    """Actual figures per calendar month and (team, rep): what target status sums for the company and
    its teams instead of every order, contract, payment and activated customer of the period.

    A derived table: ``portal.plans.rollup`` rewrites the cells a flush touches, in the same
    transaction, and ``flask --app portal rebuild-rollups`` recomputes it all from the source rows.
    Team or rep 0 stands for none (NULL would defeat the primary key).
    """

    __tablename__ = "sales_month"
    __table_args__ = (Index("ix_sales_month_owner_month", "owner_id", "month"),
                      Index("ix_sales_month_team_month", "team_id", "month"))

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class SalesMonthTeam(SalesFigures, db.Model):
    """The same figures per month and team (the sum of the team's ``SalesMonth`` cells, rewritten with
    them): company and team totals read twenty rows a year instead of one per rep and month."""

    __tablename__ = "sales_month_team"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: no team



invalidate_on_write("targets", Target)  # cached target figures (plans/queries.py) change with any target
