"""Discounts on opportunities: above the team's threshold they go for approval, the opportunity is
read-only meanwhile, and the outcome is applied (approved stands; returned/rejected/withdrawn go back)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import sign_in
from samples_customers import customer, stage
from sqlalchemy import select

from portal.approvals import services as approvals
from portal.approvals.models import ApprovalRequest
from portal.core import settings
from portal.core.db import db
from portal.customers.models import CustomerEvent, Opportunity


@pytest.fixture
def world(world):
    """The shared world, everyone reading English (the assertions quote the English texts)."""
    for name in ("director_a", "director_b", "rep_a", "rep_a2", "rep_b", "gm", "admin"):
        getattr(world, name).locale = "en"
    db.session.commit()
    return world


def _opp(world):
    c = customer(world.rep_a)
    s = stage()
    o = Opportunity(title="年度采购", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                    stage_id=s.id, amount=Decimal("50000.00"), probability=30)
    db.session.add(o)
    db.session.commit()
    return o


def _edit(client, o, discount):
    return client.post(f"/customers/opportunities/{o.id}/edit", data={
        "title": o.title, "stage_id": o.stage_id, "amount": "50000", "discount": discount})


def test_small_discount_needs_no_approval(client, world):
    o = _opp(world)
    sign_in(client, world.rep_a)
    assert _edit(client, o, "8.5").status_code == 302
    db.session.expire_all()
    o = db.session.get(Opportunity, o.id)
    assert o.discount == Decimal("8.50") and o.discount_approved == Decimal("8.50")
    assert db.session.scalar(select(ApprovalRequest.id)) is None


def test_large_discount_goes_for_approval_and_locks(client, world):
    o = _opp(world)
    sign_in(client, world.rep_a)
    assert _edit(client, o, "15").status_code == 302
    db.session.expire_all()
    req = db.session.scalars(select(ApprovalRequest)).one()
    assert (req.kind, req.record_type, req.record_id, req.status) == ("discount", "opportunity", o.id, "pending")
    assert req.team_id == world.team_a.id and req.amount == Decimal("50000.00")
    assert approvals.is_locked("opportunity", o.id)
    page = client.get(f"/customers/opportunities/{o.id}").get_data(as_text=True)
    assert "read-only" in page and "Approval history" in page
    # Read-only: the edit page sends back, a move or a close is refused.
    assert client.get(f"/customers/opportunities/{o.id}/edit").status_code == 302
    _edit(client, o, "5")
    client.post(f"/customers/opportunities/{o.id}/close", data={"outcome": "won"})
    db.session.expire_all()
    o = db.session.get(Opportunity, o.id)
    assert o.discount == Decimal("15.00") and o.status == "open"
    # The director approves: the discount stands, the record is editable again.
    sign_in(client, world.director_a)
    with client.application.test_request_context("/"):
        approvals.decide(world.director_a, req, "approve")
        db.session.commit()
    o = db.session.get(Opportunity, o.id)
    assert o.discount == o.discount_approved == Decimal("15.00")
    assert not approvals.is_locked("opportunity", o.id)
    note = db.session.scalar(select(CustomerEvent.note).where(CustomerEvent.kind == "discount"))
    assert "15.00%" in note
    # Saving again with the same discount asks for nothing more.
    sign_in(client, world.rep_a)
    assert _edit(client, o, "15").status_code == 302
    assert db.session.scalar(select(ApprovalRequest.id).where(ApprovalRequest.status == "pending")) is None


def test_rejected_or_withdrawn_discount_goes_back(client, world):
    o = _opp(world)
    sign_in(client, world.rep_a)
    _edit(client, o, "5")
    _edit(client, o, "20")
    db.session.expire_all()
    req = db.session.scalars(select(ApprovalRequest)).one()
    with client.application.test_request_context("/"):
        approvals.decide(world.director_a, req, "reject", "太高")
        db.session.commit()
    o = db.session.get(Opportunity, o.id)
    assert o.discount == Decimal("5.00") == o.discount_approved
    assert "20.00%" in db.session.scalar(select(CustomerEvent.note).where(CustomerEvent.kind == "discount"))
    _edit(client, o, "30")
    db.session.expire_all()
    req = db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == "pending")).one()
    with client.application.test_request_context("/"):
        approvals.withdraw(world.rep_a, req)
        db.session.commit()
    assert db.session.get(Opportunity, o.id).discount == Decimal("5.00")


def test_threshold_is_a_team_setting(client, world):
    settings.put("customers.discount_threshold", "25", team_id=world.team_a.id)
    db.session.commit()
    o = _opp(world)
    sign_in(client, world.rep_a)
    _edit(client, o, "20")
    assert db.session.scalar(select(ApprovalRequest.id)) is None
    resp = _edit(client, o, "120")
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)


def test_new_opportunity_with_large_discount(client, world):
    c = customer(world.rep_a)
    s = stage()
    sign_in(client, world.rep_a)
    resp = client.post(f"/customers/{c.id}/opportunities/new", data={
        "title": "新品试用", "stage_id": s.id, "amount": "1000", "discount": "12"})
    assert resp.status_code == 302
    o = db.session.scalars(select(Opportunity)).one()
    assert approvals.status_of("opportunity", o.id) == "pending"
    assert o.discount == Decimal("12.00") and o.discount_approved is None
