"""URL arguments for the route walk: a contract, a payment and an order of rep_a in team A."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db


def _customer(world):
    from portal.customers.models import Customer

    customer = db.session.scalar(select(Customer).where(Customer.owner_id == world.rep_a.id).limit(1))
    if customer is None:
        customer = Customer(name="样例精密机械有限公司", owner_id=world.rep_a.id, team_id=world.team_a.id,
                            status="active")
        db.session.add(customer)
        db.session.commit()
    return customer


def _contract(world):
    contract = Contract(number=f"S-{world.rep_a.id}", customer_id=_customer(world).id, title="sample",
                        amount=Decimal("1000.00"), owner_id=world.rep_a.id, team_id=world.team_a.id,
                        signed_on=date(2026, 3, 1), status="signed")
    db.session.add(contract)
    db.session.commit()
    return contract.id


def _payment(world):
    contract = db.session.scalar(select(Contract).where(Contract.owner_id == world.rep_a.id).limit(1))
    payment = Payment(contract_id=contract.id if contract else _contract(world), paid_on=date(2026, 4, 1),
                      amount=Decimal("100.00"), owner_id=world.rep_a.id, team_id=world.team_a.id)
    db.session.add(payment)
    db.session.commit()
    return payment.id


def _order(world):
    order = Order(ordered_on=date(2026, 4, 2), customer_id=_customer(world).id, amount=Decimal("500.00"),
                  owner_id=world.rep_a.id, team_id=world.team_a.id)
    db.session.add(order)
    db.session.commit()
    return order.id


def _instalment(world):
    from portal.contracts.models import Instalment

    contract = db.session.scalar(select(Contract).where(Contract.owner_id == world.rep_a.id).limit(1))
    inst = Instalment(contract_id=contract.id if contract else _contract(world), number=1,
                      due_on=date(2026, 5, 1), amount=Decimal("500.00"), owner_id=world.rep_a.id,
                      team_id=world.team_a.id)
    db.session.add(inst)
    db.session.commit()
    return inst.id


def _invoice(world):
    from portal.contracts.models import InvoiceRequest

    contract = db.session.scalar(select(Contract).where(Contract.owner_id == world.rep_a.id).limit(1))
    req = InvoiceRequest(contract_id=contract.id if contract else _contract(world), title="样例精密机械有限公司",
                         tax_number=VALID_CODE, amount=Decimal("300.00"), owner_id=world.rep_a.id,
                         team_id=world.team_a.id, requested_by_id=world.rep_a.id)
    db.session.add(req)
    db.session.commit()
    return req.id


# Real unified social credit codes (their check characters are right): the standard's own example,
# Tencent (Shenzhen) and Huawei Technologies.
VALID_CODE = "91350100M000100Y43"
VALID_CODES = ("91350100M000100Y43", "9144030071526726XG", "914403001922038216")

FACTORIES = {
    "contract_id": _contract,
    "payment_id": _payment,
    "order_id": _order,
    "instalment_id": _instalment,
    "invoice_id": _invoice,
}


# Helpers for the tests ---------------------------------------------------------------------------

def make_customer(owner, name, status="active"):
    from portal.customers.models import Customer

    customer = Customer(name=name, owner_id=owner.id if owner else None, team_id=owner.team_id, status=status)
    db.session.add(customer)
    db.session.flush()
    return customer


def make_opportunity(owner, customer, amount, probability, expected_close, status="open"):
    from portal.customers.models import Opportunity, OpportunityStage

    stage = db.session.scalar(select(OpportunityStage).limit(1))
    if stage is None:
        stage = OpportunityStage(name="Negotiation", probability=50)
        db.session.add(stage)
        db.session.flush()
    opp = Opportunity(title=f"opp {amount}", customer_id=customer.id, owner_id=owner.id, team_id=owner.team_id,
                      stage_id=stage.id, amount=Decimal(amount), probability=probability,
                      expected_close=expected_close, status=status)
    db.session.add(opp)
    db.session.flush()
    return opp


def make_contract(owner, customer=None, amount="100000.00", status="signed", signed_on=None, number=None):
    if customer is None:
        from portal.customers.models import Customer

        name = f"客户{owner.id}有限公司"
        customer = db.session.scalar(select(Customer).where(Customer.name == name)) or make_customer(owner, name)
    contract = Contract(number=number or f"HT-{owner.id}-{amount}-{status}", customer_id=customer.id, title="产线改造",
                        amount=Decimal(amount), owner_id=owner.id, team_id=owner.team_id,
                        signed_on=signed_on if signed_on is not None else (
                            date(2026, 1, 5) if status != "draft" else None), status=status)
    db.session.add(contract)
    db.session.flush()
    return contract


def make_instalment(contract, number, due_on, amount, remind_days=7, collected="0.00", void=False):
    from portal.contracts.models import Instalment

    inst = Instalment(contract_id=contract.id, number=number, due_on=due_on, amount=Decimal(amount),
                      remind_days=remind_days, collected=Decimal(collected), void=void, owner_id=contract.owner_id,
                      team_id=contract.team_id)
    db.session.add(inst)
    db.session.flush()
    return inst
