"""A customer's timeline: log entries, opportunities, requests and status changes, plus whatever
other features register (contracts and orders), newest first and paginated.

Another feature adds its items without editing this package::

    from portal.customers.timeline import TimelineItem, register_timeline_source

    def contract_items(customer, viewer, limit) -> tuple[list[TimelineItem], int]:
        rows = ...  # the newest ``limit`` rows the viewer may see, and how many there are in all
        return [TimelineItem(at=c.signed_at, kind="contract", fill=...) for c in rows], total

    register_timeline_source("contracts", contract_items)

Each source is called once per page view with (customer, viewer, limit) and returns at most
``limit`` items, newest first, with how many it has in all; it must check what the viewer may see
and should keep to one query. What costs to format (money, links, translations) goes in ``fill``,
which runs only for the items of the page shown: a long history costs no more than a short one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from ..core.db import db
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


@cache
def _own_statement() -> tuple:
    """The log's own four sources in one UNION ALL, built once (building a select costs more Python
    time than running it): log entries, opportunities, requests and status changes, each its newest
    ``limit`` rows of the customer (both parameters), as plain columns with the names the page shows,
    and a count subquery saying how many the source has in all.

    Each source is its own ORDER BY … LIMIT inside a subquery, read newest first from its
    (customer_id, date) index and stopping at ``limit``: a window count would make the database read
    and sort every row of a long history. The people's and contacts' names are scalar subqueries, run
    for the rows kept only. One round trip instead of four: on PostgreSQL each costs the page more than
    its rows do.

    Returns the statement and, per source, (entry class, kind, date field, title field, summary field,
    the row positions of the entry's fields)."""
    from ..people.models import User

    customer_id, limit = bindparam("customer_id", type_=Integer), bindparam("limit", type_=Integer)
    user = User.__table__

    def name_of(person_id):
        return select(user.c.display_name).where(user.c.id == person_id).scalar_subquery()

    def counted(table):
        alias = table.alias(f"{table.name}_counted")
        return select(func.count()).select_from(alias).where(alias.c.customer_id == customer_id).scalar_subquery()

    a = Activity.__table__
    contact, link = Contact.__table__, activity_contact
    names = (select(func.aggregate_strings(contact.c.name, ", "))
             .select_from(link.join(contact, contact.c.id == link.c.contact_id))
             .where(link.c.activity_id == a.c.id).scalar_subquery())
    o, stage = Opportunity.__table__, OpportunityStage.__table__
    r, e = ResourceRequest.__table__, CustomerEvent.__table__
    # (entry class, kind, date field, title field, summary field, table, its columns in the entry's order,
    # the order of its rows)
    sources = [
        (LogEntry, "activity", "occurred_at", "kind", "summary", a,
         [a.c.id, a.c.kind, a.c.owner_id, a.c.team_id, a.c.occurred_at, a.c.duration_minutes, a.c.direction,
          a.c.summary, a.c.outcome, a.c.next_step, a.c.follow_up_on, a.c.follow_up_done,
          type_coerce(name_of(a.c.owner_id), String), type_coerce(names, String)],
         (a.c.occurred_at.desc(), a.c.id.desc())),
        (OpportunityEntry, "opportunity", "created_at", "title", None, o,
         [o.c.id, o.c.title, o.c.created_at, o.c.amount, o.c.probability, o.c.status,
          type_coerce(select(stage.c.name).where(stage.c.id == o.c.stage_id).scalar_subquery(), String)],
         (o.c.created_at.desc(), o.c.id.desc())),
        (RequestEntry, "request", "asked_at", "kind", "description", r,
         [r.c.id, r.c.kind, r.c.description, r.c.asked_at, r.c.due_at, r.c.answered_at,
          type_coerce(name_of(r.c.assignee_id), String)],
         (r.c.asked_at.desc(), r.c.id.desc())),
        (EventEntry, "event", "occurred_at", "kind", "note", e,
         [e.c.id, e.c.kind, e.c.note, e.c.occurred_at, type_coerce(name_of(e.c.actor_id), String)],
         (e.c.occurred_at.desc(), e.c.id.desc())),
    ]
    # The slots: of each kind, as many as the source with the most columns of that kind needs.
    kinds = [[_slot_kind(col.type) for col in cols] for *_head, cols, _order in sources]
    widths = {kind: max(ks.count(kind) for ks in kinds) for kind in _SLOT_TYPES}
    layout = [(kind, i) for kind in _SLOT_TYPES for i in range(widths[kind])]
    arms, shapes = [], []
    for (entry, kind, at, title, summary, table, cols, order), col_kinds in zip(sources, kinds, strict=True):
        seen: dict[str, int] = {}
        slot_of, col_slots = {}, []  # (kind, i) -> the entry's column; each column's slot, in the entry's order
        for col, col_kind in zip(cols, col_kinds, strict=True):
            slot = (col_kind, seen.get(col_kind, 0))
            slot_of[slot] = col
            col_slots.append(slot)
            seen[col_kind] = slot[1] + 1
        typed = [type_coerce(slot_of[slot], _SLOT_TYPES[slot[0]]()) if slot in slot_of
                 else cast(null(), _SLOT_TYPES[slot[0]]()) for slot in layout]
        newest = (select(literal(kind, String).label("source"), *(c.label(f"{k}{i}") for c, (k, i) in
                                                                  zip(typed, layout, strict=True)),
                         counted(table).label("total"))
                  .where(table.c.customer_id == customer_id).order_by(*order).limit(limit).subquery(kind))
        arms.append(select(*newest.c))
        # Where each of the entry's fields sits in a row of the union (after the source's name).
        positions = [1 + layout.index(slot) for slot in col_slots]
        shapes.append((kind, (entry, at, title, summary, positions)))
    return union_all(*arms), dict(shapes)


def _own_sources(customer, limit: int) -> tuple[list, int]:
    """The log's own rows (see ``_own_statement``), each source limited to what the requested page can
    need, and how many there are in all. The rows are plain tuples of the columns shown."""
    stmt, shapes = _own_statement()
    items, totals = [], {}
    for row in db.session.execute(stmt, {"customer_id": customer.id, "limit": limit}):
        entry, at, title, summary, positions = shapes[row[0]]
        totals[row[0]] = row[-1]
        obj = entry._make([row[i] for i in positions])
        items.append(TimelineItem(getattr(obj, at), row[0], getattr(obj, title),
                                  getattr(obj, summary) if summary else None, obj=obj))
    return items, sum(totals.values())


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
    """One page of the merged timeline. Each source fetches at most page × per_page rows, so the
    number of queries does not grow with the number of entries."""
    page = max(1, page)
    limit = page * per_page
    items, total = _own_sources(customer, limit)
    for fn in SOURCES.values():
        extra, count = fn(customer, viewer, limit)
        items.extend(extra)
        total += count
    items.sort(key=lambda i: i.at, reverse=True)
    start = (page - 1) * per_page
    shown = items[start:start + per_page]
    for item in shown:
        if item.fill is not None:
            item.fill(item)
    return TimelinePage(items=shown, page=page, per_page=per_page, total=total)
