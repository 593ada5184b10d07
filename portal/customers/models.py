"""The customer partnership log: customers and partners, contacts, log entries, opportunities,
resource requests, market information, and the editable lists (lost reasons, opportunity stages).

Every row that a rep creates carries who (owner_id), which team (team_id) and when, because the
appraisal counts several of its items from this log.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from pypinyin import Style, lazy_pinyin
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..core import concurrency
from ..core.cache import invalidate_on_write
from ..core.db import db, utcnow
from ..core.types import Money, UTCDateTime
from ..people.models import User

CUSTOMER_KINDS = ("customer", "partner", "distributor")
CUSTOMER_STATUSES = ("prospect", "active", "lost")
TIERS = ("A", "B", "C")
SOURCES = ("referral", "trade_show", "cold_call", "web", "advertising", "existing_network", "other")
ACTIVITY_KINDS = ("visit", "call", "trade_show", "meeting", "email")
CALL_DIRECTIONS = ("outgoing", "incoming")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
REQUEST_KINDS = ("samples", "quotation", "support", "visit", "other")
MARKET_KINDS = ("trend", "competitor", "feedback", "complaint")

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """The form of a name used for uniqueness: full-/half-width folded (NFKC), case folded, spaces squeezed."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(folded.split())


def pinyin_forms(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case letters and digits only: 杭州精密 -> hangzhoujingmi, hzjm."""
    text = unicodedata.normalize("NFKC", name or "")
    full = "".join(lazy_pinyin(text)).casefold()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).casefold()
    return _NOT_ALNUM.sub("", full)[:400], _NOT_ALNUM.sub("", initials)[:200]


class LostReason(db.Model):
    """An entry of the editable list of reasons a customer or an opportunity is lost.

    team_id NULL: company-wide (kept by the GM or the administrator); otherwise a team's own entry
    (kept by its director).
    """

    __tablename__ = "lost_reason"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class OpportunityStage(db.Model):
    """A stage of the pipeline with its default probability; company-wide (team_id NULL) or a team's."""

    __tablename__ = "opportunity_stage"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    probability: Mapped[int] = mapped_column(Integer, default=10)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Customer(db.Model):
    """A company we sell to or work with; owner_id NULL means it is in its team's public pool."""

    __tablename__ = "customer"
    __audited__ = True
    __audit_exclude__ = {"name_key", "pinyin_full", "pinyin_initials", "last_contact_at"}
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    pinyin_full: Mapped[str] = mapped_column(String(400), default="", index=True)
    pinyin_initials: Mapped[str] = mapped_column(String(200), default="", index=True)
    kind: Mapped[str] = mapped_column(String(16), default="customer", index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80), index=True)
    tier: Mapped[str | None] = mapped_column(String(1), index=True)
    source: Mapped[str | None] = mapped_column(String(24))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # What the customer is expected to buy from us in a year: sizes the account beside its tier.
    annual_value: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="prospect", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The rep who owned the customer when it became active: the appraisal credits them.
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lost_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reason.id"), index=True)
    lost_note: Mapped[str | None] = mapped_column(Text)
    winback_note: Mapped[str | None] = mapped_column(Text)
    # The last log entry's time, kept on the row so "no contact for N days" is one indexed filter.
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The public pool (see pool.py): since when the current owner has it (the recycling rules count
    # from here at the earliest), when it last entered the pool and from whom (the re-claim wait),
    # the keep-lock the director granted (never recycled through that day) and the due date the
    # owner was last reminded of (one reminder per due date).
    owned_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    pool_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    previous_owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    locked_until: Mapped[date | None] = mapped_column(Date)
    reminded_due_on: Mapped[date | None] = mapped_column(Date)
    # In the company pool the GM keeps: reps of every team see and claim it (it joins their team).
    company_pool: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # see core/concurrency.py
    # Raised by every write to the customer's history (timeline_writes.py): the workers keep timelines by it.
    timeline_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Name, phone, pinyin and the contacts' names and phones, for the list's search (see search.py).
    search_text: Mapped[str | None] = mapped_column(Text, deferred=True)

    owner = relationship("User", foreign_keys=[owner_id])
    team = relationship("Team", foreign_keys=[team_id])
    lost_reason: Mapped[LostReason | None] = relationship()
    previous_owner = relationship("User", foreign_keys=[previous_owner_id])
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", cascade="all, delete-orphan",
                                                   order_by="Contact.name")

    __table_args__ = (
        Index("ix_customer_team_status", "team_id", "status"),
        Index("ix_customer_owner_status", "owner_id", "status"),
        # Who may see a customer (owner, team, company pool) and its region: the list's count and its
        # region filter read these instead of the rows (a rep's list, then a director's).
        # The id last: PostgreSQL keeps no id in an index unless asked, and the list's count reads ids.
        Index("ix_customer_owner_scope", "owner_id", "team_id", "company_pool", "region", "id"),
        Index("ix_customer_team_scope", "team_id", "owner_id", "company_pool", "region", "id"),
        # The pool (no owner) in its page's order, newest arrivals first, and the values of its region
        # and industry menus, each read from an index alone. With most of a large company in the pool,
        # sorting or reading 30,000 rows per page view was the page's whole cost. Not partial indexes:
        # SQLite's statistics think "owner_id IS NULL" matches as few rows as one rep's customers, so it
        # only takes an index that also spares it the sort.
        # The company pool, which every rep's and director's list ORs in: from its own few rows. Without it
        # SQLite read every customer without an owner, in every team's pool, for each list, its count and
        # its region menu (the lists grew with the company, not with what the user sees).
        Index("ix_customer_company_pool_open", "owner_id", "status", "team_id", "region",
              sqlite_where=text("company_pool = 1"), postgresql_where=text("company_pool")),
        # The team's pool with a status filter: SQLite otherwise reads it through (owner, status), i.e.
        # every pool customer of that status in the company.
        Index("ix_customer_team_pool_status", "team_id", "owner_id", "status", "id"),
        Index("ix_customer_name_id", "name_key", "id"),  # the list's order, ids alone (see ix_sales_order_day_id)
        # A director's list by name, one team at a time (core.pagination's branches): its first rows in order.
        Index("ix_customer_team_name", "team_id", "name_key", "id"),
        Index("ix_customer_owner_arrival", "owner_id", "pool_entered_at", "id", "status", "team_id", "company_pool"),
        Index("ix_customer_owner_region", "owner_id", "region", "status", "team_id", "company_pool"),
        Index("ix_customer_owner_industry", "owner_id", "industry", "status", "team_id", "company_pool"),
    )
    __mapper_args__ = concurrency.mapper_args(version)

    @validates("owner_id")
    def _entering_pool(self, _key, value):
        # Every customer in the pool has the time it entered it (the pool lists newest arrivals first
        # from an index, with no NULLs to place); leaving an owner for the pool counts as entering it.
        if value is None and (self.owner_id is not None or self.pool_entered_at is None):
            self.pool_entered_at = utcnow()
        return value

    @validates("name")
    def _derive_keys(self, _key, value):
        value = " ".join((value or "").split())
        self.name_key = name_key(value)
        self.pinyin_full, self.pinyin_initials = pinyin_forms(value)
        return value

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def __str__(self) -> str:
        return self.name


class Contact(db.Model):
    """A person at a customer; seen and edited by whoever may see and edit the customer."""

    __tablename__ = "contact"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: a contact moved to another customer leaves the old one's search (search.py).
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True,
                                             active_history=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    wechat: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return self.name


activity_contact = Table(
    "activity_contact",
    db.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Activity(db.Model):
    """A log entry: a visit, phone call, trade show, meeting or e-mail, with its follow-up."""

    __tablename__ = "activity"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # the rep who logged it
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str | None] = mapped_column(String(10))  # calls: outgoing / incoming
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(String(300))
    follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)
    follow_up_done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])
    contacts: Mapped[list[Contact]] = relationship(secondary=activity_contact)

    __table_args__ = (
        Index("ix_activity_owner_kind_occurred", "owner_id", "kind", "occurred_at"),
        # A customer's timeline: the newest entries read backwards from the index (migration 0027).
        Index("ix_activity_customer_newest", "customer_id", "occurred_at", "id"),
        Index("ix_activity_followup_open", "owner_id", "follow_up_done", "follow_up_on"),
        # The director's panel: only the open follow-ups (a few thousand of a million entries), so the
        # planner never prefers scanning the team's whole log.
        Index("ix_activity_team_followup_due", "team_id", "follow_up_on",
              sqlite_where=text("follow_up_done = 0 AND follow_up_on IS NOT NULL"),
              postgresql_where=text("follow_up_done = false AND follow_up_on IS NOT NULL")),
    )


class Opportunity(db.Model):
    """A sale being followed up: expected amount, probability, stage, expected close, outcome."""

    __tablename__ = "opportunity"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("opportunity_stage.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    probability: Mapped[int] = mapped_column(Integer, default=10)
    expected_close: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    # Discount in percent; above the team's threshold it needs approval ("discount" chain). The
    # approved value is what stands when an approval is returned, rejected or withdrawn.
    discount: Mapped[Decimal | None] = mapped_column(Money)
    discount_approved: Mapped[Decimal | None] = mapped_column(Money)
    lost_reason_id: Mapped[int | None] = mapped_column(ForeignKey("lost_reason.id"))
    close_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])
    stage: Mapped[OpportunityStage] = relationship()
    lost_reason: Mapped[LostReason | None] = relationship()

    __table_args__ = (Index("ix_opportunity_team_status_stage", "team_id", "status", "stage_id"),
                      # the weighted pipeline of a period: open ones expected to close in it, covering
                      # the columns target status sums, so those sums read the index alone
                      Index("ix_opportunity_open_pipeline", "status", "expected_close", "team_id", "owner_id",
                            "amount", "probability"))

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


class ResourceRequest(db.Model):
    """A customer's request for resources (samples, quotation, support, a visit) and its answer."""

    __tablename__ = "resource_request"
    __audited__ = True
    __owner_column__ = "assignee_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="samples")
    description: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The end of the service window, fixed when the request is logged (the setting may change later).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # who must answer
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    assignee = relationship("User", foreign_keys=[assignee_id])

    __table_args__ = (Index("ix_resource_request_assignee_open", "assignee_id", "answered_at"),)

    @property
    def on_time(self) -> bool | None:
        if self.answered_at is None:
            return None
        return self.answered_at <= self.due_at


class MarketInfo(db.Model):
    """Market information or user feedback: a trend, a competitor's move, product feedback, a complaint."""

    __tablename__ = "market_info"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    customer: Mapped[Customer | None] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])


class CustomerEvent(db.Model):
    """A status change or a change of hands, shown on the customer's timeline."""

    __tablename__ = "customer_event"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    # created, activated, lost, won_back, reassigned, claimed, released, recycled, assigned,
    # keep_asked, locked, keep_refused, unlocked, discount
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", foreign_keys=[actor_id])

    __table_args__ = (Index("ix_customer_event_customer_occurred", "customer_id", "occurred_at"),
                      Index("ix_customer_event_actor_kind_occurred", "actor_id", "kind", "occurred_at"))


class PoolRule(db.Model):
    """A team's public-pool rules for one customer tier (customers without a tier follow tier C).

    capacity: how many customers of the tier a rep may own (库容); the day counts return a customer
    to the pool after that many Chinese working days without a follow-up, a new opportunity or a
    deal. None switches a rule off.
    """

    __tablename__ = "pool_rule"
    __audited__ = True
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(1))
    capacity: Mapped[int | None] = mapped_column(Integer)
    no_follow_up_days: Mapped[int | None] = mapped_column(Integer)
    no_opportunity_days: Mapped[int | None] = mapped_column(Integer)
    no_deal_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("team_id", "tier", name="uq_pool_rule_team_tier"),)


class KeepRequest(db.Model):
    """An owner asks the director to keep (lock) a customer out of recycling until a date."""

    __tablename__ = "keep_request"
    __audited__ = True
    __owner_column__ = "requester_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending, approved, refused
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    requester = relationship("User", foreign_keys=[requester_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


invalidate_on_write("pipeline", Opportunity)  # the pipeline sums target status keeps (plans/queries.py)

invalidate_on_write("pool_rules", PoolRule)  # the rules' signatures each worker keeps (pool.py)

# The company's and teams' lists each worker keeps as menu choices (services.lost_reason_choices).
LISTS_CACHE = "customer_lists"
invalidate_on_write(LISTS_CACHE, LostReason, OpportunityStage)

# The region menus and the unfiltered counts of the customer list (views.region_menu, views.visible_total):
# they change with a customer's region, with who may see it (owner, team, company pool; added or removed),
# and with a person's team or role (a director's view can reach "their reps' customers"). The pool's bulk
# recycling bumps it itself (pool.py).
REGIONS_CACHE = "customer_regions"
invalidate_on_write(REGIONS_CACHE, Customer, User,
                    columns=("region", "owner_id", "team_id", "company_pool", "role"))


@event.listens_for(Customer, "before_insert")
def _created_in_pool(_mapper, _connection, customer: Customer) -> None:
    # A customer created without an owner (a director's "public pool", an import) enters the pool now.
    if customer.owner_id is None and customer.pool_entered_at is None:
        customer.pool_entered_at = utcnow()
