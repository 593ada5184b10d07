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
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..core.db import db
from .models import Activity, CustomerEvent, Opportunity, ResourceRequest


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


# Named once: a fresh anonymous alias per call would give each query a new cache key (compiled anew).
_COUNTED = {model: aliased(model, name=f"{model.__tablename__}_counted")
            for model in (Activity, Opportunity, ResourceRequest, CustomerEvent)}


def _own_sources(customer, limit: int) -> tuple[list, int]:
    """The log's own rows, each source limited to what the requested page can need, and how many
    there are in all: a count subquery rides on each query, so the total costs no query of its own.
    (A window count would make the database read and sort every row of a long history; the subquery
    counts on the customer_id index while the rows are read newest first and stop at ``limit``.)
    The person and stage a row shows are joined in; the contacts come in one more query."""
    sources = [
        (Activity, "activity", "occurred_at", lambda a: (a.kind, a.summary),
         [joinedload(Activity.owner), selectinload(Activity.contacts)],
         [Activity.occurred_at.desc(), Activity.id.desc()]),
        (Opportunity, "opportunity", "created_at", lambda o: (o.title, None),
         [joinedload(Opportunity.stage), joinedload(Opportunity.owner)], [Opportunity.created_at.desc()]),
        (ResourceRequest, "request", "asked_at", lambda r: (r.kind, r.description),
         [joinedload(ResourceRequest.assignee)], [ResourceRequest.asked_at.desc()]),
        (CustomerEvent, "event", "occurred_at", lambda e: (e.kind, e.note),
         [joinedload(CustomerEvent.actor)], [CustomerEvent.occurred_at.desc()]),
    ]
    items, total = [], 0
    for model, kind, at, text, options, order in sources:
        counted = _COUNTED[model]
        count = select(func.count()).select_from(counted).where(counted.customer_id == customer.id)
        stmt = (select(model, count.scalar_subquery()).where(model.customer_id == customer.id)
                .options(*options).order_by(*order).limit(limit))
        rows = db.session.execute(stmt).all()
        total += rows[0][1] if rows else 0
        for obj, _n in rows:
            title, summary = text(obj)
            items.append(TimelineItem(getattr(obj, at), kind, title, summary, obj=obj))
    return items, total


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
