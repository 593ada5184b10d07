"""Contract approval: a draft is signed only by its approval, is read-only while it waits, robots hear of it."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import sign_in
from samples_contracts import make_contract, make_instalment
from samples_plans import speak_english
from sqlalchemy import select

from portal.approvals.models import ApprovalRequest
from portal.contracts.models import Contract
from portal.core.db import db
from portal.core.periods import local_today
from portal.robots.models import Robot, RobotOutbox


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


@pytest.fixture
def draft(world):
    c = make_contract(world.rep_a, amount="80000.00", status="draft", number="HT-A-1")
    db.session.add(Robot(team_id=world.team_a.id, name="群", platform="feishu", url="http://127.0.0.1:9/r",
                         events=["contract_approved"], active=True))
    db.session.commit()
    return c


def _request():
    return db.session.scalar(select(ApprovalRequest).order_by(ApprovalRequest.id.desc()))


def test_a_draft_cannot_be_signed_by_hand(client, world, draft):
    sign_in(client, world.rep_a)
    resp = client.post(f"/contracts/{draft.id}/status", data={"status": "signed"}, follow_redirects=True)
    db.session.refresh(draft)
    assert draft.status == "draft" and "through approval" in resp.get_data(as_text=True)


def test_submit_lock_approve_sign_and_robot(client, world, draft):
    sign_in(client, world.rep_a)
    client.post(f"/contracts/{draft.id}/submit")
    req = _request()
    assert (req.kind, req.record_type, req.record_id, req.team_id, req.status, req.current_role) == (
        "contract", "contract", draft.id, world.team_a.id, "pending", "director")
    page = client.get(f"/contracts/{draft.id}").get_data(as_text=True)
    assert 'id="locked-note"' in page and "Approval history" in page and "Submit for approval" not in page
    # Read-only while it waits: edit, plan, status, a second submit.
    assert client.get(f"/contracts/{draft.id}/edit").status_code == 302
    client.post(f"/contracts/{draft.id}/edit", data={"number": "X", "customer_id": draft.customer_id, "title": "t",
                                                     "amount": "1", "currency": "CNY"})
    assert client.get(f"/contracts/{draft.id}/instalments/new").status_code == 302
    client.post(f"/contracts/{draft.id}/status", data={"status": "terminated", "reason": "x"})
    client.post(f"/contracts/{draft.id}/submit")
    db.session.refresh(draft)
    assert (draft.number, draft.status) == ("HT-A-1", "draft")
    assert db.session.scalar(select(ApprovalRequest.id).where(ApprovalRequest.id != req.id)) is None
    # The list shows it waiting.
    assert "Awaiting approval" in client.get("/contracts/").get_data(as_text=True)
    # Another team's director cannot decide; the team's director approves: signed today, robots told.
    sign_in(client, world.director_b)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 404
    sign_in(client, world.director_a)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.refresh(draft)
    assert (draft.status, draft.signed_on) == ("signed", local_today())
    outbox = db.session.scalar(select(RobotOutbox))
    assert outbox.event == "contract_approved" and "HT-A-1" in outbox.title


def test_the_signing_date_set_beforehand_is_kept(world, draft):
    from portal.approvals import services as approvals
    from portal.contracts import collections

    draft.signed_on = date(2026, 1, 2)
    req = collections.submit_for_approval(world.rep_a, draft)
    approvals.decide(world.director_a, req, "approve")
    assert (draft.status, draft.signed_on) == ("signed", date(2026, 1, 2))


def test_returned_and_rejected_go_back_to_draft_and_can_go_round_again(client, world, draft):
    sign_in(client, world.rep_a)
    client.post(f"/contracts/{draft.id}/submit")
    req = _request()
    sign_in(client, world.director_a)
    client.post(f"/approvals/{req.id}/decide", data={"decision": "return", "comment": "付款条件再确认"})
    db.session.refresh(draft)
    assert draft.status == "draft"
    sign_in(client, world.rep_a)
    assert client.get(f"/contracts/{draft.id}/edit").status_code == 200  # editable again
    client.post(f"/contracts/{draft.id}/submit")
    db.session.refresh(req)
    assert (req.status, req.round) == ("pending", 2)
    sign_in(client, world.director_a)
    client.post(f"/approvals/{req.id}/decide", data={"decision": "reject", "comment": "客户资信不足"})
    db.session.refresh(draft)
    assert draft.status == "draft" and db.session.scalar(select(RobotOutbox)) is None


def test_large_contracts_go_on_to_the_gm(client, world):
    c = make_contract(world.rep_a, amount="500000.00", status="draft", number="BIG-1")
    db.session.commit()
    sign_in(client, world.rep_a)
    client.post(f"/contracts/{c.id}/submit")
    req = _request()
    sign_in(client, world.director_a)
    client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"})
    db.session.refresh(c)
    assert c.status == "draft" and _request().current_role == "gm"
    sign_in(client, world.gm)
    client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"})
    db.session.refresh(c)
    assert c.status == "signed"


def test_who_may_see_and_change_collections(client, world):
    c = make_contract(world.rep_a, number="ACC-1")
    inst = make_instalment(c, 1, date(2026, 3, 1), "1000.00")
    db.session.commit()
    pages = [f"/contracts/{c.id}/instalments/new", f"/contracts/instalments/{inst.id}/edit",
             f"/contracts/{c.id}/instalments/split", f"/contracts/{c.id}/invoices/new"]
    expect = {"rep_a": 200, "director_a": 200, "rep_a2": 404, "rep_b": 404, "director_b": 404, "gm": 403, "admin": 403}
    for who, status in expect.items():
        sign_in(client, getattr(world, who))
        for url in pages:
            assert client.get(url).status_code == status, (who, url)
    for who, status in {"rep_a": 200, "director_a": 200, "gm": 200, "admin": 403, "rep_b": 200}.items():
        sign_in(client, getattr(world, who))
        resp = client.get("/contracts/instalments")
        assert resp.status_code == status, who
        if who == "rep_b":
            assert "ACC-1" not in resp.get_data(as_text=True)
    sign_in(client, world.gm)
    assert client.post(f"/contracts/instalments/{inst.id}/void").status_code == 403
    assert db.session.get(Contract, c.id) is not None
