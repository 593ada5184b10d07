"""Contracts, payments and orders: the workflow, the checks, who may write or read, the timeline."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_contracts import make_customer
from samples_plans import speak_english
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db
from portal.core.periods import local_today


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


@pytest.fixture
def customer(world):
    c = make_customer(world.rep_a, "上海东方自动化有限公司")
    db.session.commit()
    return c


def _contract_data(customer, **kw):
    return {"number": "HT2026-001", "customer_id": customer.id, "title": "Line upgrade", "amount": "500,000.00",
            "currency": "CNY", "owner_id": 0, "signed_on": "", "start_on": "2026-01-10", "end_on": "2026-06-30",
            "notes": "", **kw}


def test_rep_records_a_contract_through_its_life(client, world, customer):
    sign_in(client, world.rep_a)
    resp = client.post("/contracts/new", data=_contract_data(customer))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    contract = db.session.scalar(select(Contract))
    assert (contract.status, contract.owner_id, contract.team_id, contract.amount, contract.currency) == (
        "draft", world.rep_a.id, world.team_a.id, Decimal("500000.00"), "CNY")
    # The number is unique (case-insensitive), shown beside the field.
    resp = client.post("/contracts/new", data=_contract_data(customer, number="ht2026-001"))
    assert resp.status_code == 200 and "Another contract has this number" in resp.get_data(as_text=True)
    resp = client.post("/contracts/new", data=_contract_data(customer, number="X", end_on="2025-01-01"))
    assert resp.status_code == 200 and "before the start date" in resp.get_data(as_text=True)
    url = f"/contracts/{contract.id}"
    client.post(f"{url}/payments", data={"paid_on": "2026-02-01", "amount": "1000"})
    assert db.session.scalar(select(Payment)) is None  # not signed yet
    client.post(f"{url}/status", data={"status": "fulfilled"})
    db.session.refresh(contract)
    assert contract.status == "draft"  # draft cannot jump to fulfilled
    client.post(f"{url}/status", data={"status": "signed"})
    db.session.refresh(contract)
    assert contract.status == "draft"  # signed only through approval
    client.post(f"{url}/submit")
    from portal.approvals.models import ApprovalRequest

    req = db.session.scalar(select(ApprovalRequest))
    for approver in (world.director_a, world.gm):  # ¥500,000: the director, then the GM
        sign_in(client, approver)
        client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"})
    sign_in(client, world.rep_a)
    db.session.refresh(contract)
    assert contract.status == "signed" and contract.signed_on == local_today()
    signed_on = contract.signed_on
    client.post(f"{url}/payments", data={"paid_on": signed_on.isoformat(), "amount": "200000"})
    client.post(f"{url}/payments", data={"paid_on": signed_on.isoformat(), "amount": "300000.01"})  # too much
    assert [p.amount for p in db.session.scalars(select(Payment))] == [Decimal("200000.00")]
    client.post(f"{url}/payments", data={"paid_on": (signed_on - timedelta(days=1)).isoformat(), "amount": "1"})
    assert db.session.scalar(select(Payment).where(Payment.amount == Decimal("1.00"))) is None
    client.post(f"{url}/progress", data={"progress": "40"})
    db.session.refresh(contract)
    assert contract.progress == 40 and contract.status == "in_fulfilment"
    page = client.get(url).get_data(as_text=True)
    assert "¥200,000.00" in page and "¥300,000.00" in page  # received and still to collect
    client.post(f"{url}/status", data={"status": "terminated", "reason": ""})
    db.session.refresh(contract)
    assert contract.status == "in_fulfilment"  # terminating needs a reason
    client.post(f"{url}/status", data={"status": "fulfilled"})
    db.session.refresh(contract)
    assert contract.status == "fulfilled" and contract.progress == 100 and contract.fulfilled_on == local_today()
    assert client.get(f"{url}/edit").status_code == 302  # a fulfilled contract is closed
    statuses = [e.summary for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "status")
                                                      .order_by(AuditEntry.id))]
    assert statuses == ["draft → signed (approved)", "signed → in_fulfilment", "in_fulfilment → fulfilled"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment"))


def test_overdue_flag_and_terminate_with_reason(client, world, customer):
    today = local_today()
    contract = Contract(number="HT-9", customer_id=customer.id, title="late", amount=Decimal("1000.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, signed_on=today - timedelta(days=90),
                        end_on=today - timedelta(days=1), status="in_fulfilment")
    db.session.add(contract)
    db.session.commit()
    assert contract.is_overdue(today) and not contract.is_overdue(today - timedelta(days=2))
    sign_in(client, world.director_a)
    page = client.get("/contracts/?overdue=1").get_data(as_text=True)
    assert "HT-9" in page
    client.post(f"/contracts/{contract.id}/status", data={"status": "terminated", "reason": "Customer cancelled"})
    db.session.refresh(contract)
    assert contract.status == "terminated" and contract.terminated_reason == "Customer cancelled"
    assert not contract.is_overdue(today)
    assert "HT-9" not in client.get("/contracts/?overdue=1").get_data(as_text=True)


def test_contract_access_per_role(client, world, customer):
    contract = Contract(number="HT-A", customer_id=customer.id, title="a", amount=Decimal("10.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, status="draft")
    db.session.add(contract)
    db.session.commit()
    url = f"/contracts/{contract.id}"
    for who, status in ((world.rep_a, 200), (world.director_a, 200), (world.gm, 200), (world.rep_a2, 404),
                        (world.rep_b, 404), (world.director_b, 404), (world.admin, 403)):
        sign_in(client, who)
        assert client.get(url).status_code == status, who.username
        listed = client.get("/contracts/")
        assert ("HT-A" in listed.get_data(as_text=True)) == (status == 200), who.username
    sign_in(client, world.gm)
    assert client.get(f"{url}/edit").status_code == 403  # the GM reads contracts, reps and directors write them
    assert client.post(f"{url}/status", data={"status": "signed"}).status_code == 403
    sign_in(client, world.director_b)
    assert client.post(f"{url}/status", data={"status": "signed"}).status_code == 404
    # A rep cannot put a contract on a customer they cannot see.
    other = make_customer(world.rep_b, "天津北方重工有限公司")
    db.session.commit()
    sign_in(client, world.rep_a)
    resp = client.post("/contracts/new", data=_contract_data(other, number="HT-X"))
    assert resp.status_code == 200 and db.session.scalar(select(Contract).where(Contract.number == "HT-X")) is None


def test_orders_with_optional_contract(client, world, customer):
    contract = Contract(number="HT-O", customer_id=customer.id, title="o", amount=Decimal("10000.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, status="signed",
                        signed_on=date(2026, 1, 5))
    other_customer = make_customer(world.rep_a, "宁波海天模具有限公司")
    db.session.add(contract)
    db.session.commit()
    sign_in(client, world.rep_a)
    resp = client.post("/contracts/orders/new", data={
        "ordered_on": "2026-02-01", "customer_id": customer.id, "contract_id": contract.id, "amount": "3000",
        "cost": "2100", "owner_id": world.rep_a.id, "number": "DD-1", "note": ""})
    assert resp.status_code == 302
    order = db.session.scalar(select(Order))
    assert (order.amount, order.cost, order.contract_id, order.team_id) == (
        Decimal("3000.00"), Decimal("2100.00"), contract.id, world.team_a.id)
    resp = client.post("/contracts/orders/new", data={
        "ordered_on": "2026-02-01", "customer_id": other_customer.id, "contract_id": contract.id, "amount": "5",
        "owner_id": world.rep_a.id})
    assert resp.status_code == 200 and "contract of this customer" in resp.get_data(as_text=True)
    resp = client.post("/contracts/orders/new", data={"ordered_on": "nope", "customer_id": customer.id,
                                                      "contract_id": 0, "amount": "x", "owner_id": world.rep_a.id})
    assert resp.status_code == 200
    page = client.get("/contracts/orders?period=2026-02").get_data(as_text=True)
    assert "DD-1" in page and "¥900.00" in page  # gross profit of the order
    sign_in(client, world.director_b)
    assert client.get(f"/contracts/orders/{order.id}/edit").status_code == 404
    assert "DD-1" not in client.get("/contracts/orders").get_data(as_text=True)
    sign_in(client, world.director_a)
    assert client.post(f"/contracts/orders/{order.id}/delete").status_code == 302
    assert db.session.scalar(select(Order)) is None


def test_customer_timeline_shows_contracts_payments_orders(world, customer, app):
    from portal.customers.timeline import build_timeline

    contract = Contract(number="HT-T", customer_id=customer.id, title="t", amount=Decimal("100.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, status="signed",
                        signed_on=date(2026, 3, 1))
    draft = Contract(number="HT-D", customer_id=customer.id, title="d", amount=Decimal("7.00"),
                     owner_id=world.rep_a.id, team_id=world.team_a.id, status="draft",
                     created_at=datetime(2026, 3, 6, 1, 0, tzinfo=UTC))
    db.session.add_all([contract, draft])
    db.session.flush()
    db.session.add_all([
        Payment(contract_id=contract.id, paid_on=date(2026, 3, 9), amount=Decimal("40.00"), owner_id=world.rep_a.id,
                team_id=world.team_a.id),
        Order(ordered_on=date(2026, 3, 5), customer_id=customer.id, amount=Decimal("60.00"), owner_id=world.rep_a.id,
              team_id=world.team_a.id, number="DD-T"),
    ])
    db.session.commit()

    def kinds(viewer, **kw):
        page = build_timeline(customer, viewer, **kw)
        return [i.kind for i in page.items], page.total

    with app.test_request_context():
        # A signed contract at the start of its day, a draft when it was written (Shanghai: 09:00 on
        # the 6th, after the order of the 5th, before the payment of the 9th).
        assert kinds(world.rep_a) == (["payment", "contract", "order", "contract"], 4)
        page = build_timeline(customer, world.rep_a)
        orders = f"/contracts/orders?customer_id={customer.id}"
        assert [i.url for i in page.items] == [f"/contracts/{contract.id}", f"/contracts/{draft.id}", orders,
                                               f"/contracts/{contract.id}"]
        assert kinds(world.rep_a2) == ([], 0)  # a teammate does not see rep_a's contracts
        assert kinds(world.director_a)[1] == 4
        assert kinds(world.director_b) == ([], 0)
        assert kinds(world.director_a, per_page=1) == (["payment"], 4)  # the newest of all, all counted
        assert kinds(world.director_a, page=4, per_page=1) == (["contract"], 4)
        assert kinds(world.director_a, page=9, per_page=1) == ([], 4)  # past the end, still counted
    client = app.test_client()
    sign_in(client, world.rep_a)
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "HT-T" in page and "DD-T" in page and "¥40.00" in page  # on the customer log's own page


def test_bad_input_never_gives_a_500(client, world, customer):
    sign_in(client, world.rep_a)
    for amount in ("1e20", "9999999999999", "-5", "¥", "12.345.6"):
        resp = client.post("/contracts/new", data=_contract_data(customer, number=f"N{amount}", amount=amount))
        assert resp.status_code == 200, amount
    assert db.session.scalar(select(Contract)) is None
    assert client.get("/contracts/?period=2026-99&team_id=x&status=nope").status_code == 200
    assert client.get("/contracts/orders?period=W&rep_id=-1").status_code == 200
    sign_in(client, world.director_a)
    assert client.post("/plans/targets/split", data={"who": f"team:{world.team_a.id}", "year": "99999"}).status_code \
        == 404
    resp = client.post(f"/plans/targets/edit?scope=team&team_id={world.team_a.id}&period=2026",
                       data={"sales-base": "1" + "0" * 15})
    assert resp.status_code == 200 and "too large" in resp.get_data(as_text=True)
    for url in ("/plans/status?period=nonsense", "/plans/status?scope=team&team_id=999", "/plans/overview?kind=week",
                "/plans/budgets?period=2026-Q9", "/plans/targets?period=x"):
        assert client.get(url).status_code in (200, 404), url
