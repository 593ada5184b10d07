"""A customer's timeline: log entries, opportunities, requests and status changes, plus whatever
other features register (contracts and orders), newest first and paginated.

Another feature adds its kinds of row without editing this package, as arms of the timeline's one
statement (``TimelineArm``): each arm is a select of the customer's rows the viewer may see, newest
first, and ``make`` turns a row the page shows into a ``TimelineItem``::

    from portal.customers.timeline import CUSTOMER_ID, TimelineArm, register_timeline_arms

    def contract_arms(viewer) -> list[TimelineArm]:
        return [TimelineArm("contract", Contract.__table__, ContractEntry, [Contract.id, ...], "signed_on",
                            lambda s: scope_query(s.where(Contract.customer_id == CUSTOMER_ID), Contract, viewer),
                            (Contract.signed_on.desc(), Contract.id.desc()), make_contract_item, dated=True)]

    register_timeline_arms("contracts", contract_arms, key=scope_signature)

``key(viewer)`` says everything the arms depend on of the viewer: the statement is built once per
key. A source that cannot be a select registers a function instead (``register_timeline_source``):
called once per page view with (customer, viewer, limit), it returns at most ``limit`` items, newest
first, with how many it has in all, and must check what the viewer may see. Costly formatting (money,
links, translations) goes in ``make`` or an item's ``fill``, which run only for the items of the page
shown: a long history costs no more than a short one.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from types import SimpleNamespace
from typing import NamedTuple

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from ..core.cache import KeyedLRU, VersionedCache
from ..core.db import db
from ..core.periods import local_midnight
from ..core.types import Money, UTCDateTime
from .models import (
    Activity,
    Contact,
    CustomerEvent,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
    activity_contact,
)
from .timeline_writes import TIMELINE_CACHE


@dataclass
class TimelineItem:
    at: datetime  # aware UTC
    kind: str  # activity, opportunity, request, event, or the registering feature's own word
    title: str
    summary: str | None = None
    url: str | None = None
    badge: str | None = None
    obj: object | None = None
    template: str | None = None  # a partial that renders ``item``; None uses the generic layout
    extra: dict = field(default_factory=dict)
    fill: Callable[[TimelineItem], None] | None = None  # sets title, summary, url… when the item is shown


SOURCES: dict[str, Callable] = {}


def register_timeline_source(name: str, fn: Callable) -> None:
    """Add (or replace) a source of timeline items: fn(customer, viewer, limit) -> (items, total)."""
    SOURCES[name] = fn


# The statement's parameters, for the arms' conditions.
CUSTOMER_ID = bindparam("customer_id", type_=Integer)
LIMIT = bindparam("limit", type_=Integer)


@dataclass(frozen=True)
class TimelineArm:
    """One kind of row in the timeline's statement.

    ``entry`` is a NamedTuple whose fields are ``columns``, in order, ``id`` (an integer) first;
    ``when`` names the field that places the row in time: a UTC moment, or with ``dated`` a calendar
    day (placed at the company's midnight). ``rows`` restricts a select from ``table`` to the
    customer's rows (``CUSTOMER_ID``) the viewer may see; ``order`` is newest first, and should follow
    an index. ``make(at, entry, customer_id)`` builds the item, only for the rows a page shows."""

    source: str  # unique among the arms: names the arm's rows in the union
    table: Table
    entry: type
    columns: list
    when: str
    rows: Callable[[Select], Select]
    order: tuple
    make: Callable[..., TimelineItem]
    dated: bool = False


ARMS: dict[str, tuple[Callable, Callable]] = {}
_STATEMENTS = KeyedLRU(1024)  # (each registered name, its key for the viewer) -> (statement, shapes)


def register_timeline_arms(name: str, arms: Callable, key: Callable[..., Hashable]) -> None:
    """Add (or replace) arms of the timeline's statement: arms(viewer) -> [TimelineArm, ...], the same
    for every viewer with the same key(viewer)."""
    ARMS[name] = (arms, key)
    _STATEMENTS.clear()


@dataclass
class TimelinePage:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


class LogEntry(NamedTuple):
    """What the timeline shows of a log entry: plain columns, not an ORM object. The permission checks
    (can_edit_activity) read the owner and team through the model's column names, as on the model."""

    id: int
    kind: str
    owner_id: int
    team_id: int
    occurred_at: datetime
    duration_minutes: int | None
    direction: str | None
    summary: str
    outcome: str | None
    next_step: str | None
    follow_up_on: date | None
    follow_up_done: bool
    owner_name: str | None
    contact_names: str | None  # the entry's contacts, joined with ", " as the page shows them (in no set
    # order, as the relationship loaded them)
    __owner_column__ = Activity.__owner_column__
    __team_column__ = Activity.__team_column__


# The other kinds as the timeline shows them, plain columns too.
class OpportunityEntry(NamedTuple):
    id: int
    title: str
    created_at: datetime
    amount: Decimal
    probability: int
    status: str
    stage_name: str | None


class RequestEntry(NamedTuple):
    id: int
    kind: str
    description: str
    asked_at: datetime
    due_at: datetime
    answered_at: datetime | None
    assignee_name: str | None

    @property
    def on_time(self) -> bool | None:
        return None if self.answered_at is None else self.answered_at <= self.due_at


class EventEntry(NamedTuple):
    id: int
    kind: str
    note: str | None
    occurred_at: datetime
    actor_name: str | None


# The SQL types of the union's columns: each source's columns go to the slots of their kind, so the
# four sources share one row shape (PostgreSQL matches a UNION's branches column by column, by type).
_SLOT_TYPES = {"text": String, "int": Integer, "at": UTCDateTime, "date": Date, "bool": Boolean, "money": Money}


def _slot_kind(sql_type) -> str:
    if isinstance(sql_type, UTCDateTime):
        return "at"
    if isinstance(sql_type, Money):
        return "money"
    for kind in ("bool", "date", "int", "text"):  # Boolean first: it is no Integer, but be explicit
        if isinstance(sql_type, _SLOT_TYPES[kind]):
            return kind
    raise TypeError(f"no timeline slot for {sql_type!r}")


def _own_item(kind: str, title: str, summary: str | None):
    def make(at: datetime, obj, _customer_id: int) -> TimelineItem:
        return TimelineItem(at, kind, getattr(obj, title), getattr(obj, summary) if summary else None, obj=obj)
    return make


@cache
def _own_arms() -> list[TimelineArm]:
    """The log's own kinds: log entries, opportunities, requests and status changes, as plain columns
    with the names the page shows. The people's and contacts' names are scalar subqueries, run for the
    rows kept only."""
    from ..people.models import User

    user = User.__table__

    def name_of(person_id):
        return type_coerce(select(user.c.display_name).where(user.c.id == person_id).scalar_subquery(), String)

    def of_customer(table):
        return lambda stmt: stmt.where(table.c.customer_id == CUSTOMER_ID)

    a = Activity.__table__
    contact, link = Contact.__table__, activity_contact
    names = (select(func.aggregate_strings(contact.c.name, ", "))
             .select_from(link.join(contact, contact.c.id == link.c.contact_id))
             .where(link.c.activity_id == a.c.id).scalar_subquery())
    o, stage = Opportunity.__table__, OpportunityStage.__table__
    r, e = ResourceRequest.__table__, CustomerEvent.__table__
    return [
        TimelineArm("activity", a, LogEntry,
                    [a.c.id, a.c.kind, a.c.owner_id, a.c.team_id, a.c.occurred_at, a.c.duration_minutes,
                     a.c.direction, a.c.summary, a.c.outcome, a.c.next_step, a.c.follow_up_on, a.c.follow_up_done,
                     name_of(a.c.owner_id), type_coerce(names, String)],
                    "occurred_at", of_customer(a), (a.c.occurred_at.desc(), a.c.id.desc()),
                    _own_item("activity", "kind", "summary")),
        TimelineArm("opportunity", o, OpportunityEntry,
                    [o.c.id, o.c.title, o.c.created_at, o.c.amount, o.c.probability, o.c.status,
                     type_coerce(select(stage.c.name).where(stage.c.id == o.c.stage_id).scalar_subquery(), String)],
                    "created_at", of_customer(o), (o.c.created_at.desc(), o.c.id.desc()),
                    _own_item("opportunity", "title", None)),
        TimelineArm("request", r, RequestEntry,
                    [r.c.id, r.c.kind, r.c.description, r.c.asked_at, r.c.due_at, r.c.answered_at,
                     name_of(r.c.assignee_id)],
                    "asked_at", of_customer(r), (r.c.asked_at.desc(), r.c.id.desc()),
                    _own_item("request", "kind", "description")),
        TimelineArm("event", e, EventEntry,
                    [e.c.id, e.c.kind, e.c.note, e.c.occurred_at, name_of(e.c.actor_id)],
                    "occurred_at", of_customer(e), (e.c.occurred_at.desc(), e.c.id.desc()),
                    _own_item("event", "kind", "note")),
    ]


class _Shape(NamedTuple):
    arm: TimelineArm
    positions: list[int]  # where each of the entry's fields sits in a row of the union


_TOTAL = "total"  # the source of the one row that carries the count


def _build_statement(arms: list[TimelineArm]) -> tuple:
    """Every arm in one UNION ALL: one round trip instead of one per kind (on PostgreSQL each costs the
    page more than its rows do).

    Each arm is its own ORDER BY … LIMIT, read newest first from its index and stopping at ``limit``:
    a window count would make the database read and sort every row of a long history. The arms placed
    by a moment, then those placed by a day, are each merged and cut to ``limit`` in the database, so
    a page reads at most twice the rows it can show; which day comes first among moments needs the
    company's time zone, so those two lists are merged here. One more row carries how many entries
    there are in all (each arm's count, a subquery run once).

    The columns go to typed slots, each source's to the slots of their kind, so every arm shares one
    row shape (PostgreSQL matches a UNION's branches column by column, by type). After the slots: the
    moment, the day, the count."""
    kinds = []
    for arm in arms:
        col_kinds = [_slot_kind(col.type) for col in arm.columns]
        if arm.entry._fields[0] != "id" or col_kinds[0] != "int" or len(arm.columns) != len(arm.entry._fields) \
                or arm.source == _TOTAL:
            raise ValueError(f"timeline arm {arm.source}: the entry's fields, an integer id first, one per column")
        kinds.append(col_kinds)
    widths = {kind: max(ks.count(kind) for ks in kinds) for kind in _SLOT_TYPES}
    layout = [(kind, i) for kind in _SLOT_TYPES for i in range(widths[kind])]
    names = [f"{k}{i}" for k, i in layout]
    groups: dict[bool, list] = {False: [], True: []}
    shapes, counts = {}, []
    for arm, col_kinds in zip(arms, kinds, strict=True):
        seen: dict[str, int] = {}
        slot_of, col_slots = {}, []  # (kind, i) -> the entry's column; each column's slot, in the entry's order
        for col, col_kind in zip(arm.columns, col_kinds, strict=True):
            slot = (col_kind, seen.get(col_kind, 0))
            slot_of[slot] = col
            col_slots.append(slot)
            seen[col_kind] = slot[1] + 1
        typed = [type_coerce(slot_of[slot], _SLOT_TYPES[slot[0]]()) if slot in slot_of
                 else cast(null(), _SLOT_TYPES[slot[0]]()) for slot in layout]
        when = arm.columns[arm.entry._fields.index(arm.when)]
        moment = cast(null(), UTCDateTime()) if arm.dated else type_coerce(when, UTCDateTime())
        day = type_coerce(when, Date()) if arm.dated else cast(null(), Date())
        newest = arm.rows(select(literal(arm.source, String).label("source"),
                                 *(c.label(n) for c, n in zip(typed, names, strict=True)),
                                 moment.label("moment"), day.label("day"), cast(null(), Integer).label("n"))
                          .select_from(arm.table)).order_by(*arm.order).limit(LIMIT).subquery(arm.source)
        groups[arm.dated].append(select(*newest.c))
        counts.append(arm.rows(select(func.count()).select_from(arm.table)).scalar_subquery())
        shapes[arm.source] = _Shape(arm, [1 + layout.index(slot) for slot in col_slots])
    parts = []
    for dated, selects in groups.items():
        if selects:
            merged = union_all(*selects).subquery("days" if dated else "moments")
            placed = merged.c.day if dated else merged.c.moment
            # The id (the first int slot) breaks ties, so the pages never share or skip an entry.
            newest = (select(*merged.c).order_by(placed.desc(), merged.c.source, merged.c.int0.desc())
                      .limit(LIMIT).subquery(f"newest_{'days' if dated else 'moments'}"))
            parts.append(select(*newest.c))
    total = counts[0]
    for count in counts[1:]:
        total = total + count
    parts.append(select(literal(_TOTAL, String), *(cast(null(), _SLOT_TYPES[k]()) for k, _i in layout),
                        cast(null(), UTCDateTime()), cast(null(), Date()), type_coerce(total, Integer)))
    return union_all(*parts), shapes


def _statement(viewer) -> tuple:
    """The statement for the viewer and its key, built once per key of the registered arms (building a
    statement costs more Python time than running it, and a new one costs SQLAlchemy its cache key)."""
    key = tuple((name, key_of(viewer)) for name, (_arms, key_of) in ARMS.items())
    return key, _STATEMENTS.get(key, lambda: _build_statement(
        [*_own_arms(), *(arm for arms, _key in ARMS.values() for arm in arms(viewer))]))


# The rows of the timelines last read, by customer, its timeline version, the statement's key (what the
# viewer may see) and the number of rows; each worker keeps its own (timeline_writes.py says when they
# go stale). A page keeps at most 2 × limit + 1 rows: 256 timelines are a few megabytes.
_ROWS = VersionedCache(TIMELINE_CACHE, size=256)


def _placed_rows(customer, viewer, limit: int) -> tuple[list, int]:
    """(when, shape, row) for the newest ``limit`` rows of each list of the statement, and how many
    entries there are in all."""
    key, (stmt, shapes) = _statement(viewer)
    rows = _ROWS.get((customer.id, customer.timeline_version, key, limit), lambda: db.session.execute(
        stmt, {"customer_id": customer.id, "limit": limit}).all())
    placed, total, midnights = [], 0, {}
    for row in rows:
        shape = shapes.get(row[0])
        if shape is None:
            total = row[-1]
        elif shape.arm.dated:
            day = row[-2]
            at = midnights.get(day)
            if at is None:
                at = midnights[day] = local_midnight(day)
            placed.append((at, shape, row))
        else:
            placed.append((row[-3], shape, row))
    return placed, total


_WORDS: dict[str, SimpleNamespace] = {}


def timeline_words() -> SimpleNamespace:
    """The words every entry of the timeline may show, translated once per language (a translation
    in the template costs several context lookups, and a page shows twenty entries). Markup, as the
    template's ``_()`` gives them: the ones with placeholders are filled with ``%``, which escapes
    the values as ``_(…, name=value)`` does."""
    locale = str(get_locale())
    if locale not in _WORDS:
        words = {"outcome": _("Outcome"), "next_step": _("Next step"), "with": _("with"), "done": _("done"),
                 "mark_done": _("Mark done"), "delete": _("Delete"), "confirm_delete": _("Delete this log entry?"),
                 "opportunity": _("Opportunity"), "request": _("Customer request"), "on_time": _("on time"),
                 "late": _("late"), "minutes": _("%(n)s min"), "follow_up": _("follow up on %(d)s"),
                 "answered": _("Answered %(at)s by %(who)s"), "waiting": _("Waiting for %(who)s, due %(at)s")}
        # Our own catalogs' words, trusted as the template's _() trusts them (it marks them the same way).
        # An object, not a dict: the template reads ``W.outcome``, which Jinja tries as an attribute first.
        _WORDS[locale] = SimpleNamespace(**{key: Markup(text)  # noqa: S704  # nosec B704
                                            for key, text in words.items()})
    return _WORDS[locale]


def build_timeline(customer, viewer, page: int = 1, per_page: int = 20) -> TimelinePage:
    """One page of the merged timeline. Each arm and source fetches at most page × per_page rows, so
    the number of queries does not grow with the number of entries; items are made for the page's
    rows only."""
    page = max(1, page)
    limit = page * per_page
    placed, total = _placed_rows(customer, viewer, limit)
    for fn in SOURCES.values():
        extra, count = fn(customer, viewer, limit)
        placed.extend((item.at, None, item) for item in extra)
        total += count
    placed.sort(key=itemgetter(0), reverse=True)  # stable: ties keep the statement's order
    start = (page - 1) * per_page
    shown = []
    for at, shape, row in placed[start:start + per_page]:
        if shape is None:
            item = row
        else:
            item = shape.arm.make(at, shape.arm.entry._make([row[i] for i in shape.positions]), customer.id)
        if item.fill is not None:
            item.fill(item)
        shown.append(item)
    return TimelinePage(items=shown, page=page, per_page=per_page, total=total)
