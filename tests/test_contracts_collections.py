"""Collection plans: matching payments to instalments, the states, the sums, reminders; invoice requests."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_contracts import VALID_CODES, make_contract, make_instalment
from samples_plans import speak_english
from sqlalchemy import func, select

from portal.contracts import collections
from portal.contracts.creditcode import check_char, is_valid
from portal.contracts.models import Instalment, InvoiceRequest, Payment
from portal.contracts.services import add_payment, delete_payment
from portal.core.db import db
from portal.core.periods import local_today
from portal.notifications.models import Notification
from portal.robots.models import Robot, RobotOutbox

D = Decimal


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


@pytest.fixture
def plan(world):
    """A ¥100,000 contract in three instalments: 30,000 (Feb), 50,000 (Mar), 20,000 (Apr)."""
    c = make_contract(world.rep_a)
    insts = [make_instalment(c, 1, date(2026, 2, 1), "30000.00"), make_instalment(c, 2, date(2026, 3, 1), "50000.00"),
             make_instalment(c, 3, date(2026, 4, 1), "20000.00")]
    db.session.commit()
    return c, insts


def _state(insts, today):
    for i in insts:
        db.session.refresh(i)
    return [(i.collected, i.state(today)) for i in insts]


def test_unnamed_payments_fill_the_earliest_open_instalments(world, plan):
    c, insts = plan
    add_payment(world.rep_a, c, paid_on=date(2026, 2, 1), amount=D("40000.00"), note=None)
    assert _state(insts, date(2026, 2, 15)) == [(D("30000.00"), "paid"), (D("10000.00"), "partly_paid"),
                                                 (D("0.00"), "pending")]
    assert insts[0].paid_off_on == date(2026, 2, 1)
    # Later the second is past due and not fully paid: overdue (partly paid money still shows).
    assert _state(insts, date(2026, 3, 2))[1] == (D("10000.00"), "overdue")


def test_a_named_payment_goes_to_its_instalment_and_the_excess_spills_over(world, plan):
    c, insts = plan
    add_payment(world.rep_a, c, paid_on=date(2026, 2, 1), amount=D("25000.00"), note=None, instalment_id=insts[2].id)
    assert _state(insts, date(2026, 1, 20)) == [(D("5000.00"), "partly_paid"), (D("0.00"), "pending"),
                                                 (D("20000.00"), "paid")]
    p = add_payment(world.rep_a, c, paid_on=date(2026, 2, 2), amount=D("10000.00"), note=None)
    assert [x[0] for x in _state(insts, date(2026, 1, 20))] == [D("15000.00"), D("0.00"), D("20000.00")]
    delete_payment(world.rep_a, p)
    assert [x[0] for x in _state(insts, date(2026, 1, 20))] == [D("5000.00"), D("0.00"), D("20000.00")]


def test_void_instalments_take_nothing_and_cannot_be_named(world, plan):
    from portal.core.errors import ServiceError

    c, insts = plan
    collections.void_instalment(world.rep_a, insts[0])
    add_payment(world.rep_a, c, paid_on=date(2026, 2, 1), amount=D("60000.00"), note=None)
    assert _state(insts, date(2026, 3, 10)) == [(D("0.00"), "void"), (D("50000.00"), "paid"),
                                                 (D("10000.00"), "partly_paid")]
    with pytest.raises(ServiceError):
        add_payment(world.rep_a, c, paid_on=date(2026, 2, 1), amount=D("1.00"), note=None, instalment_id=insts[0].id)
    # Restoring it is refused while it would push the plan above the contract amount? 30+50+20 = 100: fine.
    collections.void_instalment(world.rep_a, insts[0], False)
    assert [x[0] for x in _state(insts, date(2026, 3, 10))] == [D("30000.00"), D("30000.00"), D("0.00")]


def test_the_plan_never_adds_up_to_more_than_the_contract(client, world, plan):
    c, insts = plan
    sign_in(client, world.rep_a)
    resp = client.post(f"/contracts/{c.id}/instalments/new", data={"due_on": "2026-05-01", "amount": "0.01",
                                                                   "remind_days": "7"})
    assert resp.status_code == 200 and "add up to more than the contract amount" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Instalment.id))) == 3
    # Less is saved with a warning, and the contract page keeps warning.
    resp = client.post(f"/instalments/{insts[2].id}/edit".join(["/contracts", ""]),
                       data={"due_on": "2026-04-01", "amount": "15000", "remind_days": "3"}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "¥5,000.00 is not planned yet" in body and 'id="plan-warning"' in body
    # An equal split plans the rest: the last instalment takes the odd cents.
    client.post(f"/contracts/{c.id}/instalments/split", data={"count": "3", "first_due": "2026-05-31",
                                                              "months_apart": "1", "remind_days": "7"})
    new = list(db.session.scalars(select(Instalment).where(Instalment.number > 3).order_by(Instalment.number)))
    assert [(i.due_on, i.amount) for i in new] == [(date(2026, 5, 31), D("1666.66")), (date(2026, 6, 30), D("1666.66")),
                                                   (date(2026, 7, 31), D("1666.68"))]
    assert collections.unplanned(c) == 0
    # Bad input is the form back, never a 500.
    for data in ({"due_on": "nope", "amount": "x", "remind_days": "-1"}, {"due_on": "2025-01-01", "amount": "1",
                                                                          "remind_days": "1"}):
        resp = client.post(f"/contracts/{c.id}/instalments/new", data=data)
        assert resp.status_code in (200, 302)


def test_a_payment_form_can_name_its_instalment(client, world, plan):
    c, insts = plan
    sign_in(client, world.rep_a)
    resp = client.get(f"/contracts/{c.id}")
    assert "Instalment 3, due 2026-04-01" in resp.get_data(as_text=True)
    client.post(f"/contracts/{c.id}/payments", data={"paid_on": "2026-02-01", "amount": "20000",
                                                     "instalment_id": str(insts[2].id)})
    assert db.session.scalar(select(Payment.instalment_id)) == insts[2].id
    assert _state(insts, date(2026, 1, 1))[2] == (D("20000.00"), "paid")


def _robot(team):
    db.session.add(Robot(team_id=team.id, name="群", platform="wecom", url="http://127.0.0.1:9/r",
                         events=["instalment_overdue", "contract_approved"], active=True))
    db.session.commit()


def test_reminders_before_on_and_after_the_due_date_once_each(world, plan):
    c, insts = plan
    _robot(world.team_a)
    # 2026-01-25: the first instalment (due 02-01, remind 7 days before) is due soon.
    assert collections.remind_instalments(date(2026, 1, 25)) == {"before": 1, "due": 0, "overdue": 0}
    assert collections.remind_instalments(date(2026, 1, 25)) == {"before": 0, "due": 0, "overdue": 0}
    notes = list(db.session.scalars(select(Notification).order_by(Notification.id)))
    assert {n.user_id for n in notes} == {world.rep_a.id, world.director_a.id}
    assert notes[0].title.startswith("Instalment 1 of contract") and notes[0].link == f"/contracts/{c.id}"
    assert collections.remind_instalments(date(2026, 2, 1)) == {"before": 0, "due": 1, "overdue": 0}
    assert db.session.scalar(select(func.count(RobotOutbox.id))) == 0
    assert collections.remind_instalments(date(2026, 2, 2)) == {"before": 0, "due": 0, "overdue": 1}
    outbox = list(db.session.scalars(select(RobotOutbox)))
    assert [o.event for o in outbox] == ["instalment_overdue"]
    # Idempotent: the same day or later, nothing more for that instalment.
    assert collections.remind_instalments(date(2026, 2, 2)) == {"before": 0, "due": 0, "overdue": 0}
    assert collections.remind_instalments(date(2026, 2, 10)) == {"before": 0, "due": 0, "overdue": 0}
    assert db.session.scalar(select(func.count(Notification.id))) == 6
    # A cron that missed days sends only the overdue one for an instalment long past due.
    assert collections.remind_instalments(date(2026, 5, 1)) == {"before": 0, "due": 0, "overdue": 2}
    assert db.session.scalar(select(func.count(RobotOutbox.id))) == 3


def test_paid_void_and_unsigned_are_not_reminded_and_moving_the_date_starts_over(world, plan):
    c, insts = plan
    add_payment(world.rep_a, c, paid_on=date(2026, 1, 20), amount=D("30000.00"), note=None)
    collections.void_instalment(world.rep_a, insts[1])
    draft = make_contract(world.rep_a, status="draft", number="DRAFT-1")
    make_instalment(draft, 1, date(2026, 2, 1), "100.00")
    assert collections.remind_instalments(date(2026, 3, 30)) == {"before": 1, "due": 0, "overdue": 0}
    collections.save_instalment(world.rep_a, c, insts[2], due_on=date(2026, 4, 3), amount=D("20000.00"),
                                remind_days=7, note=None)
    assert collections.remind_instalments(date(2026, 3, 30)) == {"before": 1, "due": 0, "overdue": 0}


def test_the_cron_command_commits_and_is_idempotent(app, runner, world):
    today = local_today()
    c = make_contract(world.rep_a, signed_on=today - timedelta(days=60))
    make_instalment(c, 1, today - timedelta(days=3), "500.00")
    make_instalment(c, 2, today, "500.00")
    db.session.commit()
    result = runner.invoke(args=["remind-instalments"])
    assert result.exit_code == 0 and "1 due today, 1 newly overdue" in result.output
    result = runner.invoke(args=["remind-instalments"])
    assert "0 due soon, 0 due today, 0 newly overdue" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Instalment.id)).where(Instalment.reminded_overdue_at.is_not(None))) == 1


# Credit codes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", VALID_CODES + ("91110000802100433B", "  9144 0300 7152 6726 xg "))
def test_real_credit_codes_pass(code):
    assert is_valid(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y4Z",  # the standard's example with a wrong check character
    "9144030071526726XH", "914403001922038217",  # one character off
    "91350100M000100Y4", "91350100M000100Y433",  # too short, too long
    "91350100M0001O0Y43", "9135010IM000100Y43",  # O and I are not in the character set
    "", None,
])
def test_wrong_credit_codes_fail(code):
    assert not is_valid(code)


def test_check_character_of_the_standards_example():
    assert check_char("91350100M000100Y4") == "3"


# Invoice requests ---------------------------------------------------------------------------------

def _invoice(client, c, **kw):
    data = {"title": "上海东方自动化有限公司", "tax_number": VALID_CODES[1], "amount": "60000", "note": "", **kw}
    return client.post(f"/contracts/{c.id}/invoices/new", data=data)


def test_invoice_requests_stay_within_the_uninvoiced_amount(client, world, plan):
    c, _insts = plan
    sign_in(client, world.rep_a)
    assert _invoice(client, c).status_code == 302
    resp = _invoice(client, c, amount="40000.01")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Only ¥40,000.00 of this contract is not invoiced yet" in body
    resp = _invoice(client, c, amount="100", tax_number="9144030071526726XH")
    assert resp.status_code == 200 and "Not a valid unified social credit code" in resp.get_data(as_text=True)
    req = db.session.scalar(select(InvoiceRequest))
    assert (req.status, req.amount, req.tax_number, req.owner_id) == ("requested", D("60000.00"), VALID_CODES[1],
                                                                      world.rep_a.id)
    # Only the GM and the administrator mark issued; a rejection needs a reason and frees the amount.
    resp = client.post(f"/contracts/invoices/{req.id}", data={"decision": "issue"})
    assert resp.status_code == 403
    sign_in(client, world.director_a)
    assert client.post(f"/contracts/invoices/{req.id}", data={"decision": "issue"}).status_code == 403
    sign_in(client, world.gm)
    resp = client.post(f"/contracts/invoices/{req.id}", data={"decision": "reject", "reason": ""})
    assert resp.status_code == 200 and "Say why" in resp.get_data(as_text=True)
    client.post(f"/contracts/invoices/{req.id}", data={"decision": "reject", "reason": "抬头有误"})
    db.session.refresh(req)
    assert req.status == "rejected" and collections.uninvoiced(c) == D("100000.00")
    sign_in(client, world.rep_a)
    _invoice(client, c, amount="100000")
    second = db.session.scalar(select(InvoiceRequest).where(InvoiceRequest.status == "requested"))
    sign_in(client, world.admin)
    assert client.get("/contracts/invoices").status_code == 200
    client.post(f"/contracts/invoices/{second.id}", data={"decision": "issue", "invoice_number": "No.0012345"})
    db.session.refresh(second)
    assert (second.status, second.invoice_number, second.decided_by_id) == ("issued", "No.0012345", world.admin.id)
    resp = client.post(f"/contracts/invoices/{second.id}", data={"decision": "reject", "reason": "x"})
    assert "already decided" in resp.get_data(as_text=True)
    assert collections.uninvoiced(c) == 0
    # The requester heard of it.
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == world.rep_a.id, Notification.kind == "invoice_issued")) == 1


def test_invoices_only_on_signed_contracts_and_within_scope(client, world):
    draft = make_contract(world.rep_a, status="draft", number="D-1")
    other = make_contract(world.rep_b, number="B-1")
    db.session.commit()
    sign_in(client, world.rep_a)
    assert client.get(f"/contracts/{draft.id}/invoices/new").status_code == 302
    assert client.get(f"/contracts/{other.id}/invoices/new").status_code == 404
    sign_in(client, world.gm)
    assert client.get(f"/contracts/{other.id}/invoices/new").status_code == 403  # the GM reads, never requests


def test_the_contract_amount_and_owner_carry_over_to_the_plan(client, world, plan):
    c, insts = plan
    sign_in(client, world.director_a)
    data = {"number": c.number, "customer_id": c.customer_id, "title": c.title, "amount": "90000", "currency": "CNY",
            "owner_id": world.rep_a2.id, "signed_on": "2026-01-05", "start_on": "", "end_on": "", "notes": ""}
    resp = client.post(f"/contracts/{c.id}/edit", data=data)
    assert resp.status_code == 200 and "The collection plan adds up to ¥100,000.00" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert (c.amount, c.owner_id) == (D("100000.00"), world.rep_a.id)  # a refused save wrote nothing
    resp = client.post(f"/contracts/{c.id}/edit", data={**data, "amount": "100000"})
    assert resp.status_code == 302
    for i in insts:
        db.session.refresh(i)
    assert {(i.owner_id, i.team_id) for i in insts} == {(world.rep_a2.id, world.team_a.id)}
