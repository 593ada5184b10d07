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
from sqlalchemy import Integer, bindparam, func, select

from ..core.db import db
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


@cache
def _own_statements() -> list[tuple]:
    """The four queries of the log's own sources, built once: building a select costs more Python time
    than running it. Each takes the customer and the limit as parameters and reads only the columns the
    page shows, joined to the names it shows (outer joins: a missing person reads as none, as a
    relationship would). A count subquery rides on each (see ``_own_sources``)."""
    from ..people.models import User

    customer_id, limit = bindparam("customer_id", type_=Integer), bindparam("limit", type_=Integer)
    user = User.__table__

    def counted(model):
        table = model.__table__.alias(f"{model.__tablename__}_counted")
        return select(func.count()).select_from(table).where(table.c.customer_id == customer_id).scalar_subquery()

    a, owner = Activity.__table__, user.alias("owner")
    contact, link = Contact.__table__, activity_contact
    names = (select(func.aggregate_strings(contact.c.name, ", "))
             .select_from(link.join(contact, contact.c.id == link.c.contact_id))
             .where(link.c.activity_id == a.c.id).scalar_subquery())
    activities = (select(a.c.id, a.c.kind, a.c.owner_id, a.c.team_id, a.c.occurred_at, a.c.duration_minutes,
                         a.c.direction, a.c.summary, a.c.outcome, a.c.next_step, a.c.follow_up_on,
                         a.c.follow_up_done, owner.c.display_name, names, counted(Activity))
                  .select_from(a.outerjoin(owner, owner.c.id == a.c.owner_id))
                  .where(a.c.customer_id == customer_id)
                  .order_by(a.c.occurred_at.desc(), a.c.id.desc()).limit(limit))

    o, stage = Opportunity.__table__, OpportunityStage.__table__
    opportunities = (select(o.c.id, o.c.title, o.c.created_at, o.c.amount, o.c.probability, o.c.status,
                            stage.c.name, counted(Opportunity))
                     .select_from(o.outerjoin(stage, stage.c.id == o.c.stage_id))
                     .where(o.c.customer_id == customer_id).order_by(o.c.created_at.desc()).limit(limit))

    r, assignee = ResourceRequest.__table__, user.alias("assignee")
    requests = (select(r.c.id, r.c.kind, r.c.description, r.c.asked_at, r.c.due_at, r.c.answered_at,
                       assignee.c.display_name, counted(ResourceRequest))
                .select_from(r.outerjoin(assignee, assignee.c.id == r.c.assignee_id))
                .where(r.c.customer_id == customer_id).order_by(r.c.asked_at.desc()).limit(limit))

    e, actor = CustomerEvent.__table__, user.alias("actor")
    events = (select(e.c.id, e.c.kind, e.c.note, e.c.occurred_at, actor.c.display_name, counted(CustomerEvent))
              .select_from(e.outerjoin(actor, actor.c.id == e.c.actor_id))
              .where(e.c.customer_id == customer_id).order_by(e.c.occurred_at.desc()).limit(limit))

    return [(activities, LogEntry, "activity", "occurred_at", "kind", "summary"),
            (opportunities, OpportunityEntry, "opportunity", "created_at", "title", None),
            (requests, RequestEntry, "request", "asked_at", "kind", "description"),
            (events, EventEntry, "event", "occurred_at", "kind", "note")]


def _own_sources(customer, limit: int) -> tuple[list, int]:
    """The log's own rows, each source limited to what the requested page can need, and how many
    there are in all: a count subquery rides on each query, so the total costs no query of its own.
    (A window count would make the database read and sort every row of a long history; the subquery
    counts on the customer_id index while the rows are read newest first and stop at ``limit``.)
    The rows are plain tuples of the columns shown, with the names of the people and contacts."""
    params = {"customer_id": customer.id, "limit": limit}
    items, total = [], 0
    execute = db.session.execute
    for stmt, entry, kind, at, title, summary in _own_statements():
        rows = execute(stmt, params).all()
        if not rows:
            continue
        total += rows[0][-1]
        make = entry._make
        for row in rows:
            obj = make(row[:-1])
            items.append(TimelineItem(getattr(obj, at), kind, getattr(obj, title),
                                      getattr(obj, summary) if summary else None, obj=obj))
    return items, total


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
