"""The customer log's rules, called as services: names, pinyin, status, pool, reassignment, log,
opportunities, requests and the editable lists."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from samples_customers import customer, stage
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from portal.audit.models import AuditEntry
from portal.core import settings
from portal.core.db import db
from portal.core.errors import ServiceError
from portal.customers import access, services
from portal.customers.models import (
    Activity,
    Customer,
    CustomerEvent,
    LostReason,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
    name_key,
    pinyin_forms,
)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_name_key_ignores_case_and_width():
    assert name_key("ＡＢＣ（杭州）Ltd") == name_key("abc(杭州)ltd")
    assert name_key("  Foo   Bar ") == "foo bar"


def test_pinyin_full_and_initials():
    full, initials = pinyin_forms("杭州精密机械有限公司")
    assert full.startswith("hangzhoujingmi")
    assert initials.startswith("hzjm")


def test_customer_name_unique_ignoring_width_and_case(world, ctx):
    services.create_customer(world.rep_a, {"name": "ACME（杭州）有限公司"})
    with pytest.raises(ServiceError) as err:
        services.create_customer(world.rep_b, {"name": "ａｃｍｅ(杭州)有限公司"})
    assert err.value.field == "name"


def test_rep_creates_own_director_creates_in_pool_or_for_rep(world, ctx):
    mine = services.create_customer(world.rep_a, {"name": "甲", "owner_id": world.rep_a2.id})
    assert mine.owner_id == world.rep_a.id and mine.team_id == world.team_a.id  # a rep cannot pick another owner
    pooled = services.create_customer(world.director_a, {"name": "乙"})
    assert pooled.owner_id is None
    given = services.create_customer(world.director_a, {"name": "丙", "owner_id": world.rep_a2.id})
    assert given.owner_id == world.rep_a2.id
    with pytest.raises(ServiceError):
        services.create_customer(world.director_a, {"name": "丁", "owner_id": world.rep_b.id})
    with pytest.raises(Forbidden):
        services.create_customer(world.gm, {"name": "戊"})
    events = db.session.scalars(select(CustomerEvent.kind).where(CustomerEvent.customer_id == mine.id)).all()
    assert events == ["created"]


def test_status_flow_and_lost_reason_required(world, ctx):
    c = customer(world.rep_a)
    services.set_status(world.rep_a, c, "active")
    assert c.status == "active" and c.activated_at is not None and c.activated_by_id == world.rep_a.id
    with pytest.raises(ServiceError) as err:
        services.set_status(world.rep_a, c, "lost")
    assert err.value.field == "lost_reason_id"
    foreign = LostReason(name="B only", team_id=world.team_b.id)
    db.session.add(foreign)
    db.session.flush()
    with pytest.raises(ServiceError):
        services.set_status(world.rep_a, c, "lost", reason_id=foreign.id)
    reason = services.lost_reasons_for(world.team_a.id)[0]
    services.set_status(world.rep_a, c, "lost", reason_id=reason.id, note="went local")
    assert c.status == "lost" and c.lost_at is not None and c.lost_by_id == world.rep_a.id
    services.set_status(world.rep_a, c, "active", note="new buyer")
    assert c.status == "active" and c.winback_note == "new buyer" and c.lost_at is not None
    kinds = db.session.scalars(select(CustomerEvent.kind).where(CustomerEvent.customer_id == c.id)
                               .order_by(CustomerEvent.id)).all()
    assert kinds == ["activated", "lost", "won_back"]
    db.session.commit()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "customer")).all()
    assert actions.count("status_changed") == 3


def test_other_rep_and_gm_cannot_change_status(world, ctx):
    c = customer(world.rep_a)
    for who in (world.rep_a2, world.gm, world.director_b):
        with pytest.raises(Forbidden):
            services.set_status(who, c, "active")
    services.set_status(world.director_a, c, "active")


def test_pool_claim_and_release(world, ctx):
    c = customer(team=world.team_a)
    assert access.can_see_customer(world.rep_a, c) and not access.can_see_customer(world.rep_b, c)
    with pytest.raises(Forbidden):
        services.claim(world.rep_b, c)
    services.claim(world.rep_a, c)
    assert c.owner_id == world.rep_a.id
    with pytest.raises(Forbidden):
        services.claim(world.rep_a2, c)
    services.release(world.rep_a, c)
    assert c.owner_id is None


def test_reps_read_team_setting(world, ctx):
    c = customer(world.rep_a2)
    assert not access.can_see_customer(world.rep_a, c)
    settings.put(access.TEAM_READ_KEY, True, team_id=world.team_a.id)
    from portal.core.memo import request_memo

    request_memo().clear()
    assert access.can_see_customer(world.rep_a, c)
    assert not access.can_edit_customer(world.rep_a, c)
    assert not access.can_see_customer(world.rep_b, c)
    visible = db.session.scalars(access.visible_customers(world.rep_a)).all()
    assert c in visible


def test_reassign_moves_open_work_and_is_audited(world, ctx):
    c = customer(world.rep_a)
    s = stage()
    opp = Opportunity(title="x", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                      stage_id=s.id, amount=Decimal("10.00"))
    now = datetime.now(UTC)
    req = ResourceRequest(customer_id=c.id, kind="samples", description="d", asked_at=now, due_at=now,
                          assignee_id=world.rep_a.id, team_id=world.team_a.id)
    db.session.add_all([opp, req])
    db.session.flush()
    with pytest.raises(Forbidden):
        services.reassign(world.rep_a, c, world.rep_a2.id)
    with pytest.raises(Forbidden):
        services.reassign(world.director_b, c, world.rep_b.id)
    with pytest.raises(ServiceError):
        services.reassign(world.director_a, c, world.rep_b.id)  # not of this team
    services.reassign(world.director_a, c, world.rep_a2.id, "holiday")
    assert (c.owner_id, opp.owner_id, req.assignee_id) == (world.rep_a2.id,) * 3
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign")).one()
    assert entry.changes == {"owner_id": [world.rep_a.id, world.rep_a2.id]}


def test_reassign_all_of_a_departing_rep(world, ctx):
    mine = [customer(world.rep_a) for _ in range(3)]
    other = customer(world.rep_a2)
    with pytest.raises(ServiceError):
        services.reassign_all(world.director_a, world.rep_b.id, world.rep_a2.id)
    with pytest.raises(Forbidden):
        services.reassign_all(world.gm, world.rep_a.id, world.rep_a2.id)
    n = services.reassign_all(world.director_a, world.rep_a.id, world.rep_a2.id)
    assert n == 3 and all(c.owner_id == world.rep_a2.id for c in mine) and other.owner_id == world.rep_a2.id
    n = services.reassign_all(world.director_a, world.rep_a2.id, None)  # to the pool
    assert n == 4 and all(c.owner_id is None for c in [*mine, other])
    db.session.commit()
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign")).all().__len__() == 7
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign_all")).all().__len__() == 2


def test_log_activity_rules(world, ctx):
    c = customer(world.rep_a)
    other = customer(world.rep_b)
    when = datetime.now(UTC) - timedelta(hours=2)
    data = {"kind": "visit", "occurred_at": when, "summary": "met the buyer", "follow_up_on": when.date()}
    a = services.log_activity(world.rep_a, c, data)
    assert a.owner_id == world.rep_a.id and a.team_id == world.team_a.id and c.last_contact_at == when
    with pytest.raises(Forbidden):
        services.log_activity(world.rep_a, other, data)
    with pytest.raises(ServiceError) as err:
        services.log_activity(world.rep_a, c, {**data, "kind": "fax"})
    assert err.value.field == "kind"
    with pytest.raises(ServiceError) as err:
        services.log_activity(world.rep_a, c, {**data, "occurred_at": datetime.now(UTC) + timedelta(days=1)})
    assert err.value.field == "occurred_at"
    with pytest.raises(ServiceError) as err:
        services.log_activity(world.rep_a, c, {**data, "contact_ids": [999999]})
    assert err.value.field == "contact_ids"
    older = services.log_activity(world.rep_a, c, {**data, "occurred_at": when - timedelta(days=3)})
    assert c.last_contact_at == when  # an older entry does not move the last contact back
    services.delete_activity(world.rep_a, a)
    assert c.last_contact_at == older.occurred_at
    with pytest.raises(Forbidden):
        services.complete_follow_up(world.rep_a2, older)
    services.complete_follow_up(world.director_a, older)
    assert older.follow_up_done


def test_default_lists_created_once_in_company_language(world, ctx):
    stages = services.stages_for(world.team_a.id)
    assert [s.probability for s in stages] == [10, 25, 50, 75, 90]
    assert stages[0].name == "初步接触"
    services.ensure_default_lists()
    assert db.session.query(OpportunityStage).count() == 5
    assert db.session.query(LostReason).count() == len(services.DEFAULT_LOST_REASONS)


def test_list_editing_by_scope(world, ctx):
    services.ensure_default_lists()
    company = services.stages_for(None)[0]
    own = services.save_list_item(world.director_a, OpportunityStage, None, name="Team A pilot", probability=40)
    assert own.team_id == world.team_a.id
    assert own in services.stages_for(world.team_a.id) and own not in services.stages_for(world.team_b.id)
    with pytest.raises(Forbidden):
        services.save_list_item(world.director_a, OpportunityStage, company, name="x", probability=5)
    with pytest.raises(Forbidden):
        services.save_list_item(world.director_b, OpportunityStage, own, name="x", probability=5)
    with pytest.raises(Forbidden):
        services.save_list_item(world.rep_a, LostReason, None, name="x")
    with pytest.raises(ServiceError):
        services.save_list_item(world.gm, OpportunityStage, company, name=company.name, probability=101)
    services.save_list_item(world.admin, LostReason, None, name="Moved abroad")
    with pytest.raises(ServiceError):
        services.save_list_item(world.gm, LostReason, None, name="moved ABROAD")


def test_opportunity_probability_follows_stage_and_won_activates(world, ctx):
    c = customer(world.rep_a)
    stages = services.stages_for(world.team_a.id)
    opp = services.save_opportunity(world.rep_a, None, c, {"title": "Line 2", "stage_id": stages[0].id,
                                                           "amount": Decimal("120000.00")})
    assert opp.probability == stages[0].probability and opp.owner_id == world.rep_a.id
    services.move_stage(world.rep_a, opp, stages[2].id)
    assert opp.probability == 50
    with pytest.raises(ServiceError):
        services.move_stage(world.rep_a, opp, 999999)
    with pytest.raises(Forbidden):
        services.move_stage(world.gm, opp, stages[1].id)
    with pytest.raises(ServiceError):
        services.close_opportunity(world.rep_a, opp, False)
    services.close_opportunity(world.rep_a, opp, True)
    assert opp.status == "won" and c.status == "active" and c.activated_by_id == world.rep_a.id
    with pytest.raises(ServiceError):
        services.move_stage(world.rep_a, opp, stages[1].id)


def test_request_due_in_working_hours_and_on_time(world, ctx):
    c = customer(world.rep_a)
    # Friday 2026-11-20 17:00 Shanghai = 09:00 UTC; 24 working hours (9–18) end Wednesday 2026-11-25 14:00.
    asked = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    req = services.create_request(world.rep_a, c, {"kind": "quotation", "description": "price list",
                                                   "asked_at": asked})
    assert req.due_at == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert req.assignee_id == world.rep_a.id
    services.answer_request(world.rep_a, req, "sent", answered_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    assert req.on_time is True
    with pytest.raises(ServiceError):
        services.answer_request(world.rep_a, req, "again")
    late = services.create_request(world.rep_a, c, {"kind": "samples", "description": "3 pcs", "asked_at": asked,
                                                    "assignee_id": world.rep_a2.id})
    assert late.assignee_id == world.rep_a2.id
    with pytest.raises(Forbidden):
        services.answer_request(world.rep_a, late, "not mine")
    services.answer_request(world.rep_a2, late, "ok", answered_at=datetime(2026, 11, 25, 6, 1, tzinfo=UTC))
    assert late.on_time is False
    with pytest.raises(ServiceError):
        services.create_request(world.rep_a, c, {"kind": "samples", "description": "x", "asked_at": asked,
                                                 "assignee_id": world.rep_b.id})


def test_service_window_is_a_setting(world, ctx):
    settings.put(services.WINDOW_KEY, 9)
    c = customer(world.rep_a)
    asked = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 Shanghai
    req = services.create_request(world.rep_a, c, {"kind": "support", "description": "alarm", "asked_at": asked})
    assert req.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 18:00 Shanghai


def test_customer_activity_cascade_keeps_types(world, ctx):
    c = customer(world.rep_a)
    services.log_activity(world.rep_a, c, {"kind": "call", "occurred_at": datetime.now(UTC), "summary": "s",
                                           "duration_minutes": 12, "direction": "incoming"})
    db.session.commit()
    a = db.session.scalars(select(Activity)).one()
    assert a.duration_minutes == 12 and a.direction == "incoming" and a.occurred_at.tzinfo is not None
    assert db.session.get(Customer, c.id).last_contact_at.tzinfo is not None
