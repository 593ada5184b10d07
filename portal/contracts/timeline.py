"""Contracts, orders and payments on a customer's timeline (registered with the customer log)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..authz import scope_query
from ..core.db import db
from ..core.periods import local_midnight
from ..customers.timeline import TimelineItem, register_timeline_source
from ..i18n import money
from .models import Contract, Order, Payment

LIMIT = 100


def contract_items(customer, viewer) -> list[TimelineItem]:
    """What the viewer may see of this customer's contracts, payments and orders (three small queries)."""
    items = []
    contracts = scope_query(select(Contract), Contract, viewer).where(Contract.customer_id == customer.id)
    for c in db.session.scalars(contracts.order_by(Contract.created_at.desc()).limit(LIMIT)):
        at = local_midnight(c.signed_on) if c.signed_on else c.created_at
        items.append(TimelineItem(at=at, kind="contract", badge=_("Contract"),
                                  title=_("Contract %(number)s: %(title)s", number=c.number, title=c.title),
                                  summary=money(c.amount), url=url_for("contracts.detail", contract_id=c.id)))
    payments = scope_query(select(Payment), Payment, viewer).join(Contract).where(Contract.customer_id == customer.id)
    for p in db.session.scalars(payments.order_by(Payment.paid_on.desc()).limit(LIMIT)):
        items.append(TimelineItem(at=local_midnight(p.paid_on), kind="payment", badge=_("Payment received"),
                                  title=_("Payment received"), summary=money(p.amount),
                                  url=url_for("contracts.detail", contract_id=p.contract_id)))
    orders = scope_query(select(Order), Order, viewer).where(Order.customer_id == customer.id)
    for o in db.session.scalars(orders.order_by(Order.ordered_on.desc()).limit(LIMIT)):
        items.append(TimelineItem(at=local_midnight(o.ordered_on), kind="order", badge=_("Sales order"),
                                  title=_("Order %(number)s", number=o.number or o.id), summary=money(o.amount),
                                  url=url_for("contracts.orders", customer_id=customer.id)))
    return items


register_timeline_source("contracts", contract_items)
