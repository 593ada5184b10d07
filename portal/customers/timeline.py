"""A customer's timeline: log entries, opportunities, requests and status changes, plus whatever
other features register (contracts and orders), newest first and paginated.

Another feature adds its items without editing this package::

    from portal.customers.timeline import TimelineItem, register_timeline_source

    def contract_items(customer, viewer) -> list[TimelineItem]:
        return [TimelineItem(at=c.signed_at, kind="contract", title=..., url=url_for(...)) for c in ...]

    register_timeline_source("contracts", contract_items)

Each source is called once per page view with (customer, viewer) and returns a list of
TimelineItem; it must check what the viewer may see and should keep to one query.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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


SOURCES: dict[str, Callable] = {}


def register_timeline_source(name: str, fn: Callable) -> None:
    """Add (or replace) a source of timeline items: fn(customer, viewer) -> list[TimelineItem]."""
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


def _own_sources(customer, limit: int):
    """The log's own rows, each source limited to what the requested page can need."""
    acts = list(db.session.scalars(
        select(Activity).where(Activity.customer_id == customer.id)
        .options(selectinload(Activity.owner), selectinload(Activity.contacts))
        .order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit)))
    opps = list(db.session.scalars(
        select(Opportunity).where(Opportunity.customer_id == customer.id)
        .options(selectinload(Opportunity.stage), selectinload(Opportunity.owner))
        .order_by(Opportunity.created_at.desc()).limit(limit)))
    reqs = list(db.session.scalars(
        select(ResourceRequest).where(ResourceRequest.customer_id == customer.id)
        .options(selectinload(ResourceRequest.assignee))
        .order_by(ResourceRequest.asked_at.desc()).limit(limit)))
    events = list(db.session.scalars(
        select(CustomerEvent).where(CustomerEvent.customer_id == customer.id)
        .options(selectinload(CustomerEvent.actor))
        .order_by(CustomerEvent.occurred_at.desc()).limit(limit)))
    items = [TimelineItem(a.occurred_at, "activity", a.kind, a.summary, obj=a) for a in acts]
    items += [TimelineItem(o.created_at, "opportunity", o.title, obj=o) for o in opps]
    items += [TimelineItem(r.asked_at, "request", r.kind, r.description, obj=r) for r in reqs]
    items += [TimelineItem(e.occurred_at, "event", e.kind, e.note, obj=e) for e in events]
    return items


def _own_total(customer) -> int:
    counts = [
        select(func.count(Activity.id)).where(Activity.customer_id == customer.id).scalar_subquery(),
        select(func.count(Opportunity.id)).where(Opportunity.customer_id == customer.id).scalar_subquery(),
        select(func.count(ResourceRequest.id)).where(ResourceRequest.customer_id == customer.id).scalar_subquery(),
        select(func.count(CustomerEvent.id)).where(CustomerEvent.customer_id == customer.id).scalar_subquery(),
    ]
    return int(db.session.scalar(select(counts[0] + counts[1] + counts[2] + counts[3])) or 0)


def build_timeline(customer, viewer, page: int = 1, per_page: int = 20) -> TimelinePage:
    """One page of the merged timeline. Each source fetches at most page × per_page rows, so the
    number of queries does not grow with the number of entries."""
    page = max(1, page)
    limit = page * per_page
    items = _own_sources(customer, limit)
    total = _own_total(customer)
    for fn in SOURCES.values():
        extra = list(fn(customer, viewer) or [])
        items.extend(extra)
        total += len(extra)
    items.sort(key=lambda i: i.at, reverse=True)
    start = (page - 1) * per_page
    return TimelinePage(items=items[start:start + per_page], page=page, per_page=per_page, total=total)
