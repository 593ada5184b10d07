"""Rules for contracts, payments and orders: who may write them, the status workflow, the checks."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..authz import can_edit_record, managed_team_ids
from ..core.db import db
from ..core.errors import ServiceError
from ..core.money import ZERO
from ..core.periods import local_today
from ..i18n import money
from ..people.models import User
from .collections import allocate, follow_contract, invoiced_total, planned_total, refuse_if_locked
from .models import CONTRACT_STATUSES, CURRENCIES, SIGNED_STATUSES, TRANSITIONS, Contract, Instalment, Order, Payment
from .queries import collected_by_contract


def can_write(user) -> bool:
    """Reps and directors record contracts and orders; the GM reads them."""
    return user.is_authenticated and user.role in ("rep", "director")


def can_edit_contract(user, contract: Contract) -> bool:
    return contract.status not in ("fulfilled", "terminated") and can_edit_record(user, contract)


def can_change_status(user, contract: Contract) -> bool:
    return bool(TRANSITIONS.get(contract.status)) and can_edit_record(user, contract)


def can_add_payment(user, contract: Contract) -> bool:
    return contract.status in SIGNED_STATUSES and can_edit_record(user, contract)


def can_edit_order(user, order: Order) -> bool:
    return can_edit_record(user, order)


def _owner(actor, owner_id: int | None) -> User:
    """The owning rep: a rep owns what they record; a director picks someone of their team."""
    if actor.role == "rep":
        return actor
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or owner.team_id not in (managed_team_ids(actor) or set()) or not owner.team_id:
        raise ServiceError(_l("Choose a member of your team."), "owner_id")
    return owner


def _customer(actor, customer_id: int | None):
    from ..customers.access import can_see_customer
    from ..customers.models import Customer

    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None or not can_see_customer(actor, customer):
        raise ServiceError(_l("Choose a customer from the list."), "customer_id")
    return customer


def save_contract(actor, contract: Contract | None, *, number: str, customer_id: int, title: str,
                  amount: Decimal, currency: str, owner_id: int | None, signed_on: date | None,
                  start_on: date | None, end_on: date | None, notes: str | None) -> Contract:
    if not can_write(actor) or (contract is not None and not can_edit_contract(actor, contract)):
        raise Forbidden()
    if contract is not None:
        refuse_if_locked(contract)
    number = number.strip()
    clash = db.session.scalar(select(Contract.id).where(func.lower(Contract.number) == number.lower()))
    if clash and (contract is None or clash != contract.id):
        raise ServiceError(_l("Another contract has this number."), "number")
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    if currency not in CURRENCIES:
        raise ServiceError(_l("Choose a currency."), "currency")
    if start_on and end_on and end_on < start_on:
        raise ServiceError(_l("The end date is before the start date."), "end_on")
    customer = _customer(actor, customer_id)
    owner = _owner(actor, owner_id)
    if contract is not None:  # checked before anything changes: a refused save writes nothing
        paid = collected_by_contract([contract.id]).get(contract.id, ZERO)
        if paid > amount:
            raise ServiceError(_l("Payments already received exceed this amount."), "amount")
        planned = planned_total(contract.id)
        if planned > amount:
            raise ServiceError(_l("The collection plan adds up to %(planned)s: lower or void instalments first.",
                                  planned=money(planned)), "amount")
        invoiced = invoiced_total(contract.id)
        if invoiced > amount:
            raise ServiceError(_l("Invoices of %(invoiced)s are requested or issued on this contract.",
                                  invoiced=money(invoiced)), "amount")
    if contract is None:
        contract = Contract(status="draft", created_by_id=actor.id, progress=0)
        db.session.add(contract)
    if contract.status != "draft" and signed_on is None:
        raise ServiceError(_l("A signed contract keeps its signing date."), "signed_on")
    contract.number, contract.customer_id, contract.title = number, customer.id, title.strip()
    contract.amount, contract.currency = amount, currency
    contract.owner_id, contract.team_id = owner.id, owner.team_id
    contract.signed_on, contract.start_on, contract.end_on = signed_on, start_on, end_on
    contract.notes = notes or None
    db.session.flush()
    if contract.payments:
        paid = sum((p.amount for p in contract.payments), ZERO)
        if paid > contract.amount:
            raise ServiceError(_l("Payments already received exceed this amount."), "amount")
        for payment in contract.payments:  # payments follow the contract's owner and team
            payment.owner_id, payment.team_id = contract.owner_id, contract.team_id
    follow_contract(contract)
    return contract


def change_status(actor, contract: Contract, status: str, *, reason: str | None = None,
                  on: date | None = None) -> None:
    """Move a contract along draft → signed → in fulfilment → fulfilled, or terminate it with a reason."""
    if not can_edit_record(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    if status not in CONTRACT_STATUSES or status not in manual_transitions(contract.status):
        if contract.status == "draft" and status in SIGNED_STATUSES:
            raise ServiceError(_l("A draft becomes signed through approval: submit it for approval."), "status")
        raise ServiceError(_l("A contract cannot go from this status to that one."), "status")
    today = on or local_today()
    old = contract.status
    if status == "signed" or (old == "draft" and status in SIGNED_STATUSES):
        contract.signed_on = contract.signed_on or today
    if status == "terminated":
        if not (reason or "").strip():
            raise ServiceError(_l("Give the reason for terminating the contract."), "reason")
        contract.terminated_reason = reason.strip()
    if status == "fulfilled":
        contract.progress, contract.fulfilled_on = 100, today
    contract.status = status
    record("status", obj=contract, summary=f"{old} → {status}", changes={"status": [old, status]})
    db.session.flush()


def manual_transitions(status: str) -> tuple[str, ...]:
    """The moves a person makes by hand: a draft is signed only by its approval (``collections``)."""
    return tuple(s for s in TRANSITIONS.get(status, ()) if not (status == "draft" and s in SIGNED_STATUSES))


def set_progress(actor, contract: Contract, progress: int) -> None:
    refuse_if_locked(contract)
    if not can_edit_record(actor, contract) or contract.status not in ("signed", "in_fulfilment"):
        raise ServiceError(_l("Fulfilment progress is kept while a contract is being fulfilled."), "progress")
    if progress is None or not 0 <= progress <= 100:
        raise ServiceError(_l("Progress is a percentage from 0 to 100."), "progress")
    contract.progress = progress
    if contract.status == "signed" and progress > 0:
        change_status(actor, contract, "in_fulfilment")
    db.session.flush()


def add_payment(actor, contract: Contract, *, paid_on: date, amount: Decimal, note: str | None,
                instalment_id: int | None = None) -> Payment:
    """Record money received; it may name its instalment, else the matching rule places it."""
    if not can_add_payment(actor, contract):
        raise ServiceError(_l("Payments are recorded against signed contracts."))
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    if contract.signed_on and paid_on < contract.signed_on:
        raise ServiceError(_l("A payment cannot come before the signing date."), "paid_on")
    paid = collected_by_contract([contract.id]).get(contract.id, ZERO)
    if paid + amount > contract.amount:
        raise ServiceError(_l("Payments would exceed the contract amount (%(left)s left to collect).",
                              left=contract.amount - paid), "amount")
    if instalment_id:
        inst = db.session.get(Instalment, instalment_id)
        if inst is None or inst.contract_id != contract.id or inst.void:
            raise ServiceError(_l("Choose an instalment of this contract, or none."), "instalment_id")
    payment = Payment(contract_id=contract.id, paid_on=paid_on, amount=amount, note=note or None,
                      owner_id=contract.owner_id, team_id=contract.team_id, created_by_id=actor.id,
                      instalment_id=instalment_id or None)
    db.session.add(payment)
    db.session.flush()
    record("payment", obj=contract, summary=f"{paid_on} {amount}")
    allocate(contract.id)
    return payment


def delete_payment(actor, payment: Payment) -> None:
    if not can_edit_record(actor, payment.contract):
        raise Forbidden()
    contract_id = payment.contract_id
    db.session.delete(payment)
    db.session.flush()
    allocate(contract_id)


def save_order(actor, order: Order | None, *, ordered_on: date, customer_id: int, contract_id: int | None,
               amount: Decimal, cost: Decimal | None, owner_id: int | None, number: str | None,
               note: str | None) -> Order:
    if not can_write(actor) or (order is not None and not can_edit_order(actor, order)):
        raise Forbidden()
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    if cost is not None and cost < 0:
        raise ServiceError(_l("The cost cannot be negative."), "cost")
    customer = _customer(actor, customer_id)
    owner = _owner(actor, owner_id)
    if contract_id:
        contract = db.session.get(Contract, contract_id)
        if contract is None or contract.customer_id != customer.id or not can_edit_record(actor, contract):
            raise ServiceError(_l("Choose a contract of this customer, or none."), "contract_id")
    if order is None:
        order = Order(created_by_id=actor.id)
        db.session.add(order)
    order.ordered_on, order.customer_id, order.contract_id = ordered_on, customer.id, contract_id or None
    order.amount, order.cost, order.number, order.note = amount, cost, (number or "").strip() or None, note or None
    order.owner_id, order.team_id = owner.id, owner.team_id
    db.session.flush()
    return order


def delete_order(actor, order: Order) -> None:
    if not can_edit_order(actor, order):
        raise Forbidden()
    db.session.delete(order)
    db.session.flush()
