"""Contracts, orders and payments on a customer's timeline (registered with the customer log)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache, partial

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Integer,
    String,
    bindparam,
    cast,
    column,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from ..authz import scope_query, scope_signature
from ..core.db import db
from ..core.periods import local_midnight
from ..core.types import Money, UTCDateTime
from ..customers.timeline import TimelineItem, register_timeline_source
from ..i18n import money
from .models import Contract, Order, Payment


def _rows(model, order, kind: str, day, at, number, title, contract_id):
    """One source's columns, in the shape the three sources share, numbered newest first; a window
    count on each row says how many the source has in all. No subquery per source: the union's one
    outer select keeps the first ``limit`` of each (building a subquery's columns costs Python time
    on every page view)."""
    cols = [literal(kind, String).label("kind"), model.id.label("id"), day.label("day"),
            type_coerce(at, UTCDateTime()).label("at"), type_coerce(number, String).label("number"),
            type_coerce(title, String).label("title"), type_coerce(model.amount, Money()).label("amount"),
            contract_id.label("contract_id"), func.count().over().label("n"),
            func.row_number().over(order_by=order).label("rn")]
    return select(*cols)


@cache
def _sources() -> list[tuple]:
    """What of the union does not depend on the viewer, built once (building these selects costs more
    Python time than running the query): each source's select and which of its rows belong to the
    customer (the customer as a parameter). The viewer's scope is added on every call."""
    customer_id = bindparam("customer_id", type_=Integer)
    # Typed NULLs: PostgreSQL types a bare NULL in a subquery as text, which no UNION branch matches.
    none_at, none_text = cast(null(), Contract.created_at.type), cast(null(), String)
    return [
        (Contract, _rows(Contract, Contract.created_at.desc(), "contract", Contract.signed_on, Contract.created_at,
                         Contract.number, Contract.title, Contract.id),
         Contract.customer_id == customer_id),
        (Payment, _rows(Payment, Payment.paid_on.desc(), "payment", Payment.paid_on, none_at, none_text, none_text,
                        Payment.contract_id),
         Payment.contract_id.in_(select(Contract.id).where(Contract.customer_id == customer_id))),
        (Order, _rows(Order, Order.ordered_on.desc(), "order", Order.ordered_on, none_at, Order.number, none_text,
                      Order.contract_id),
         Order.customer_id == customer_id),
    ]


@cache
def _outer() -> tuple[list, object]:
    """The union's columns as plain names with their types (the subquery's own column collection
    costs Python time to build on each page view), and the newest ``limit`` of each source."""
    cols = [column("kind", String), column("id", Integer), column("day", Date), column("at", UTCDateTime()),
            column("number", String), column("title", String), column("amount", Money()),
            column("contract_id", Integer), column("n", Integer), column("rn", Integer)]
    return cols, cols[-1] <= bindparam("limit", type_=Integer)


def _fill(row, customer_id: int, item: TimelineItem) -> None:
    """The words, amount and link of a row the page shows (only those: each costs a translation,
    a money format and a url_for)."""
    item.summary = money(row.amount)
    if row.kind == "contract":
        item.badge = _("Contract")
        item.title = _("Contract %(number)s: %(title)s", number=row.number, title=row.title)
        item.url = url_for("contracts.detail", contract_id=row.id)
    elif row.kind == "payment":
        item.badge = item.title = _("Payment received")
        item.url = url_for("contracts.detail", contract_id=row.contract_id)
    else:
        item.badge = _("Sales order")
        item.title = _("Order %(number)s", number=row.number or row.id)
        item.url = url_for("contracts.orders", customer_id=customer_id)


_SCOPED: OrderedDict = OrderedDict()  # scope signature -> the union scoped so
_SCOPED_LOCK = threading.Lock()
_SCOPED_SIZE = 1024


def _scoped(viewer):
    """The union scoped for the viewer, kept per scope signature (``portal.authz.scope_signature``: the
    viewer, their teams and the data-scope settings): built on every call, a statement also costs
    SQLAlchemy its cache key on every run, a third of this source's time."""
    key = scope_signature(viewer)
    with _SCOPED_LOCK:
        stmt = _SCOPED.get(key)
        if stmt is not None:
            _SCOPED.move_to_end(key)
            return stmt
    union = union_all(*(scope_query(rows, model, viewer).where(mine) for model, rows, mine in _sources())).subquery()
    cols, newest = _outer()
    stmt = select(*cols).select_from(union).where(newest)
    with _SCOPED_LOCK:
        _SCOPED[key] = stmt
        while len(_SCOPED) > _SCOPED_SIZE:
            _SCOPED.popitem(last=False)
    return stmt


def contract_items(customer, viewer, limit: int) -> tuple[list[TimelineItem], int]:
    """What the viewer may see of this customer's contracts, payments and orders, in one UNION ALL
    query: the newest ``limit`` of each, and how many there are in all."""
    items, totals = [], {}
    for row in db.session.execute(_scoped(viewer), {"customer_id": customer.id, "limit": limit}):
        totals[row.kind] = row.n
        at = row.at if row.kind == "contract" and not row.day else local_midnight(row.day)
        items.append(TimelineItem(at=at, kind=row.kind, title="", fill=partial(_fill, row, customer.id)))
    return items, sum(totals.values())


register_timeline_source("contracts", contract_items)
