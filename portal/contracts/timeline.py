"""Contracts, payments and orders on a customer's timeline: arms of the customer log's statement
(``portal.customers.timeline``), each what the viewer may see of the customer's rows."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select

from ..authz import scope_query, scope_signature
from ..core.links import id_paths
from ..core.memo import request_memo
from ..customers.timeline import CUSTOMER_ID, TimelineArm, TimelineItem, register_timeline_arms
from ..customers.timeline_writes import track_timeline_writes
from ..i18n import money
from .models import Contract, Order, Payment


class ContractEntry(NamedTuple):
    id: int
    number: str
    title: str
    amount: Decimal
    signed_on: date | None
    created_at: datetime


class PaymentEntry(NamedTuple):
    id: int
    paid_on: date
    amount: Decimal
    contract_id: int


class OrderEntry(NamedTuple):
    id: int
    number: str | None
    ordered_on: date
    amount: Decimal


def _links() -> dict:
    """The page's links to contracts, built once per request (a url_for per entry costs more)."""
    memo = request_memo()
    links = memo.get("contracts.timeline.links")
    if links is None:
        links = memo["contracts.timeline.links"] = {"contract": id_paths("contracts.detail", "contract_id"),
                                                    "orders": id_paths("contracts.orders", "customer_id")}
    return links


def _contract_item(at: datetime, c: ContractEntry, _customer_id: int) -> TimelineItem:
    return TimelineItem(at, "contract", _("Contract %(number)s: %(title)s", number=c.number, title=c.title),
                        summary=money(c.amount), url=_links()["contract"](c.id), badge=_("Contract"))


def _payment_item(at: datetime, p: PaymentEntry, _customer_id: int) -> TimelineItem:
    word = _("Payment received")
    return TimelineItem(at, "payment", word, summary=money(p.amount), url=_links()["contract"](p.contract_id),
                        badge=word)


def _order_item(at: datetime, o: OrderEntry, customer_id: int) -> TimelineItem:
    return TimelineItem(at, "order", _("Order %(number)s", number=o.number or o.id), summary=money(o.amount),
                        url=_links()["orders"](customer_id), badge=_("Sales order"))


@cache
def _columns() -> dict:
    c, p, o = Contract, Payment, Order
    return {"contract": [c.id, c.number, c.title, c.amount, c.signed_on, c.created_at],
            "payment": [p.id, p.paid_on, p.amount, p.contract_id],
            "order": [o.id, o.number, o.ordered_on, o.amount]}


def contract_arms(viewer) -> list[TimelineArm]:
    """What the viewer may see of the customer's contracts (a signed one on the day it was signed, a
    draft when it was written), payments and orders."""
    cols = _columns()

    def scoped(model, *conditions):
        return lambda stmt: scope_query(stmt.where(*conditions), model, viewer)

    mine = Contract.customer_id == CUSTOMER_ID
    of_mine = Payment.contract_id.in_(select(Contract.id).where(mine))
    return [
        TimelineArm("contract", Contract.__table__, ContractEntry, cols["contract"], "signed_on",
                    scoped(Contract, mine, Contract.signed_on.is_not(None)),
                    (Contract.signed_on.desc(), Contract.id.desc()), _contract_item, dated=True),
        TimelineArm("contract_draft", Contract.__table__, ContractEntry, cols["contract"], "created_at",
                    scoped(Contract, mine, Contract.signed_on.is_(None)),
                    (Contract.created_at.desc(), Contract.id.desc()), _contract_item),
        TimelineArm("payment", Payment.__table__, PaymentEntry, cols["payment"], "paid_on", scoped(Payment, of_mine),
                    (Payment.paid_on.desc(), Payment.id.desc()), _payment_item, dated=True),
        TimelineArm("order", Order.__table__, OrderEntry, cols["order"], "ordered_on",
                    scoped(Order, Order.customer_id == CUSTOMER_ID),
                    (Order.ordered_on.desc(), Order.id.desc()), _order_item, dated=True),
    ]


register_timeline_arms("contracts", contract_arms, key=scope_signature)
# A payment names its contract, which names the customer.
for _model in (Contract, Order):
    track_timeline_writes(_model)
track_timeline_writes(Payment, "contract_id",
                      customers_of=lambda ids: select(Contract.customer_id).where(Contract.id.in_(ids)))
