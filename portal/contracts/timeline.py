"""Contracts, orders and payments on a customer's timeline (registered with the customer log)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import String, cast, literal, null, select, type_coerce, union_all

from ..authz import scope_query
from ..core.db import db
from ..core.periods import local_midnight
from ..core.types import Money, UTCDateTime
from ..customers.timeline import TimelineItem, register_timeline_source
from ..i18n import money
from .models import Contract, Order, Payment

LIMIT = 100


def _rows(model, viewer, where, order, kind: str, day, at, number, title, contract_id):
    """One source's newest rows, in the shape the three sources share, limited and scoped."""
    cols = [literal(kind, String).label("kind"), model.id.label("id"), day.label("day"),
            type_coerce(at, UTCDateTime()).label("at"), type_coerce(number, String).label("number"),
            type_coerce(title, String).label("title"), type_coerce(model.amount, Money()).label("amount"),
            contract_id.label("contract_id")]
    stmt = scope_query(select(*cols), model, viewer).where(where).order_by(order).limit(LIMIT).subquery()
    return select(*stmt.c)


def contract_items(customer, viewer) -> list[TimelineItem]:
    """What the viewer may see of this customer's contracts, payments and orders, in one UNION ALL query."""
    # Typed NULLs: PostgreSQL types a bare NULL in a subquery as text, which no UNION branch matches.
    none_at, none_text = cast(null(), Contract.created_at.type), cast(null(), String)
    union = union_all(
        _rows(Contract, viewer, Contract.customer_id == customer.id, Contract.created_at.desc(), "contract",
              Contract.signed_on, Contract.created_at, Contract.number, Contract.title, Contract.id),
        _rows(Payment, viewer, Payment.contract_id.in_(select(Contract.id).where(Contract.customer_id == customer.id)),
              Payment.paid_on.desc(), "payment", Payment.paid_on, none_at, none_text, none_text, Payment.contract_id),
        _rows(Order, viewer, Order.customer_id == customer.id, Order.ordered_on.desc(), "order",
              Order.ordered_on, none_at, Order.number, none_text, Order.contract_id),
    ).subquery()
    items = []
    for row in db.session.execute(select(*union.c)):
        if row.kind == "contract":
            at = local_midnight(row.day) if row.day else row.at
            items.append(TimelineItem(at=at, kind="contract", badge=_("Contract"),
                                      title=_("Contract %(number)s: %(title)s", number=row.number, title=row.title),
                                      summary=money(row.amount), url=url_for("contracts.detail", contract_id=row.id)))
        elif row.kind == "payment":
            items.append(TimelineItem(at=local_midnight(row.day), kind="payment", badge=_("Payment received"),
                                      title=_("Payment received"), summary=money(row.amount),
                                      url=url_for("contracts.detail", contract_id=row.contract_id)))
        else:
            items.append(TimelineItem(at=local_midnight(row.day), kind="order", badge=_("Sales order"),
                                      title=_("Order %(number)s", number=row.number or row.id),
                                      summary=money(row.amount),
                                      url=url_for("contracts.orders", customer_id=customer.id)))
    return items


register_timeline_source("contracts", contract_items)
