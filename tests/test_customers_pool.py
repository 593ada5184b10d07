"""The public pool: claiming limits, capacity per tier, the re-claim wait, every recycling rule across
holidays, reminders, keep-locks, the idempotent command, recycling when pages open, access per role."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_customers import customer, stage
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.errors import ServiceError
from portal.core.periods import local_midnight, local_today
from portal.customers import pool
from portal.customers.models import Customer, CustomerEvent, KeepRequest, Opportunity, PoolRule
from portal.notifications.models import Notification


@pytest.fixture
def world(world):
    """The shared world, everyone reading English (the assertions quote the English texts)."""
    for name in ("director_a", "director_b", "rep_a", "rep_a2", "rep_b", "gm", "admin"):
        getattr(world, name).locale = "en"
    db.session.commit()
    return world


def _rules(world, team=None, **tiers):
    """Save rules for team A (default): ``A={"capacity": 2}``; settings as keyword ``settings={...}``."""
    values = {"daily_claims": 5, "reclaim_days": 30, "remind_days": 2, "keep_max_days": 60}
    values.update(tiers.pop("settings", {}))
    for tier in "ABC":
        for name in pool.RULE_FIELDS:
            values[f"{tier}_{name}"] = (tiers.get(tier) or {}).get(name)
    team = team or world.team_a
    director = world.director_a if team.id == world.team_a.id else world.director_b
    with _as(director):
        pool.save_rules(director, team.id, values)
    db.session.commit()


class _as:
    """A request context signed in as ``user`` (for services that read the request memo or audit)."""

    def __init__(self, user):
        self.user = user

    def __enter__(self):
        from flask import current_app
        from flask_login import login_user

        self.ctx = current_app.test_request_context("/")
        self.ctx.push()
        login_user(self.user)
        return self.user

    def __exit__(self, *exc):
        self.ctx.pop()


def _at(day: date, hour: int = 10) -> datetime:
    return local_midnight(day) + timedelta(hours=hour)


def _owned(world, rep=None, since: datetime | None = None, **kw):
    rep = rep or world.rep_a
    c = customer(rep, **kw)
    c.owned_since = since or datetime.now(UTC) - timedelta(days=400)
    db.session.commit()
    return c


def _recycle(world, today=None):
    with _as(world.director_a):
        n = pool.recycle_team(world.team_a.id, today)
    db.session.commit()
    return n


# Working days and holidays -------------------------------------------------------------------------

def test_due_date_counts_chinese_working_days_across_national_day():
    # 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
    assert pool.due_date(date(2025, 9, 30), 5) == date(2025, 10, 14)
    assert pool.due_date(date(2025, 9, 27), 1) == date(2025, 9, 28)  # an adjusted Sunday is a working day
    assert pool.count_back(date(2025, 10, 14), 5) == date(2025, 10, 9)
    for last in (date(2025, 9, 26), date(2025, 9, 30), date(2025, 10, 3)):
        for today in (date(2025, 10, 9), date(2025, 10, 13), date(2025, 10, 14), date(2025, 10, 20)):
            assert (pool.due_date(last, 5) <= today) == (last < pool.count_back(today, 5))


def test_follow_up_rule_waits_over_the_holiday(app, world):
    _rules(world, C={"no_follow_up_days": 5})
    c = _owned(world, since=_at(date(2025, 9, 1)), last_contact_at=_at(date(2025, 9, 30)))
    assert _recycle(world, date(2025, 10, 5)) == 0  # five calendar days, no working day yet
    assert _recycle(world, date(2025, 10, 13)) == 0  # four working days
    assert _recycle(world, date(2025, 10, 14)) == 1  # the fifth working day
    db.session.refresh(c)
    assert c.owner_id is None and c.previous_owner_id == world.rep_a.id and c.pool_entered_at is not None


# Recycling rules ----------------------------------------------------------------------------------

def test_each_recycle_rule(app, world):
    today = local_today()
    old = datetime.now(UTC) - timedelta(days=200)
    recent = datetime.now(UTC) - timedelta(days=2)
    _rules(world, A={"no_follow_up_days": 20}, B={"no_opportunity_days": 20}, C={"no_deal_days": 20})
    s = stage()
    quiet_a = _owned(world, tier="A", last_contact_at=old)
    busy_a = _owned(world, tier="A", last_contact_at=recent)
    new_owner_a = _owned(world, tier="A", last_contact_at=old, since=recent)  # just claimed: counts from then
    no_opp_b = _owned(world, tier="B", last_contact_at=recent)
    opp_b = _owned(world, tier="B")
    untiered_no_deal = _owned(world, tier=None, last_contact_at=recent)
    won_c = _owned(world, tier="C")
    locked = _owned(world, tier="A", last_contact_at=old, locked_until=today + timedelta(days=3))
    lost = _owned(world, tier="A", last_contact_at=old, status="lost")
    db.session.add_all([
        Opportunity(title="new", customer_id=opp_b.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                    stage_id=s.id, amount=Decimal("1.00"), created_at=recent),
        Opportunity(title="won", customer_id=won_c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                    stage_id=s.id, amount=Decimal("1.00"), status="won", closed_at=recent, created_at=old)])
    db.session.commit()
    assert _recycle(world) == 3
    gone = {c.id for c in db.session.scalars(select(Customer).where(Customer.owner_id.is_(None)))}
    assert gone == {quiet_a.id, no_opp_b.id, untiered_no_deal.id}
    assert {busy_a.id, new_owner_a.id, opp_b.id, won_c.id, locked.id, lost.id}.isdisjoint(gone)
    events = db.session.scalars(select(CustomerEvent).where(CustomerEvent.kind == "recycled")).all()
    assert sorted(e.customer_id for e in events) == sorted(gone)
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pool_recycle")).all()
    assert sorted(int(a.object_id) for a in audits) == sorted(gone)
    assert all(a.changes == {"owner_id": [world.rep_a.id, None]} for a in audits)
    assert _recycle(world) == 0  # idempotent


def test_expired_lock_no_longer_protects(app, world):
    _rules(world, C={"no_follow_up_days": 5})
    c = _owned(world, locked_until=local_today() - timedelta(days=1))
    assert _recycle(world) == 1
    db.session.refresh(c)
    assert c.owner_id is None and c.locked_until is None


def test_other_team_untouched(app, world):
    _rules(world, C={"no_follow_up_days": 5})
    c = _owned(world, rep=world.rep_b)
    assert _recycle(world) == 0
    assert db.session.get(Customer, c.id).owner_id == world.rep_b.id


def test_cli_is_idempotent(app, world, runner):
    _rules(world, C={"no_follow_up_days": 5})
    for _n in range(3):
        _owned(world)
    result = runner.invoke(args=["recycle-pool"])
    assert result.exit_code == 0, result.output
    assert "3 customer(s) returned" in result.output
    n_events = db.session.scalar(select(func.count(CustomerEvent.id)))
    n_audit = db.session.scalar(select(func.count(AuditEntry.id)))
    again = runner.invoke(args=["recycle-pool"])
    assert "0 customer(s) returned" in again.output and "0 reminder(s)" in again.output
    assert db.session.scalar(select(func.count(CustomerEvent.id))) == n_events
    assert db.session.scalar(select(func.count(AuditEntry.id))) == n_audit


def test_list_open_recycles_with_one_update(client, world, count_queries):
    _rules(world, C={"no_follow_up_days": 5})
    for _n in range(5):
        _owned(world)
    sign_in(client, world.rep_a2)
    with count_queries() as q:
        assert client.get("/customers/").status_code == 200
    updates = [s for s in q.statements if s.lstrip().upper().startswith("UPDATE CUSTOMER")]
    assert len(updates) == 1
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id.is_(None))) == 5
    assert db.session.scalar(select(func.count(CustomerEvent.id)).where(CustomerEvent.kind == "recycled")) == 5


def test_customer_page_open_recycles(client, world):
    _rules(world, C={"no_follow_up_days": 5})
    c = _owned(world)
    sign_in(client, world.rep_a)
    resp = client.get(f"/customers/{c.id}")
    assert resp.status_code == 200  # still visible: it is in the team's pool now
    db.session.expire_all()
    assert db.session.get(Customer, c.id).owner_id is None
    assert "Returned to the pool by the rules" in resp.get_data(as_text=True)


def test_a_kept_timeline_shows_the_recycling(client, world):
    """The recycling's one UPDATE raises the customers' timeline versions for the events it writes in bulk:
    a worker that kept the timeline reads it again."""
    c = _owned(world, since=datetime.now(UTC))
    sign_in(client, world.director_a)
    for _ in range(2):
        assert "Returned to the pool by the rules" not in client.get(f"/customers/{c.id}").get_data(as_text=True)
    c.owned_since = datetime.now(UTC) - timedelta(days=400)
    db.session.commit()
    assert _recycle(world) == 0  # no rules yet
    _rules(world, C={"no_follow_up_days": 5})
    assert _recycle(world) == 1
    assert "Returned to the pool by the rules" in client.get(f"/customers/{c.id}").get_data(as_text=True)


# Reminders ---------------------------------------------------------------------------------------

def test_reminder_once_per_due_date(app, world):
    _rules(world, C={"no_follow_up_days": 10}, settings={"remind_days": 3})
    today = local_today()
    # Due in two working days: last contact nine working days ago (approximately: find it exactly).
    last = today
    while pool.due_date(last, 10) > pool.due_date(today, 2):
        last -= timedelta(days=1)
    c = _owned(world, last_contact_at=_at(last))
    far = _owned(world, last_contact_at=datetime.now(UTC))
    with _as(world.director_a):
        assert pool.remind(today) == 1
        assert pool.remind(today) == 0
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.kind == "pool_recycle_soon")).all()
    assert [n.user_id for n in notes] == [world.rep_a.id]
    db.session.refresh(c)
    assert c.reminded_due_on == pool.due_date(last, 10) and far.reminded_due_on is None
    # A follow-up moves the due date: a new reminder will come for the new date, not the old one.
    c.last_contact_at = _at(last + timedelta(days=1))
    db.session.commit()
    with _as(world.director_a):
        made = pool.remind(today)
    assert made in (0, 1)


# Claiming --------------------------------------------------------------------------------------

def test_daily_claim_limit(app, world):
    _rules(world, settings={"daily_claims": 2})
    pooled = [customer(team=world.team_a) for _n in range(3)]
    with _as(world.rep_a):
        pool.claim(world.rep_a, pooled[0])
        pool.claim(world.rep_a, pooled[1])
        with pytest.raises(ServiceError, match="daily limit"):
            pool.claim(world.rep_a, pooled[2])
        pool.claim(world.rep_a2, pooled[2])  # the limit is per rep
    # Yesterday's claims do not count.
    db.session.execute(CustomerEvent.__table__.update().values(occurred_at=datetime.now(UTC) - timedelta(days=1)))
    with _as(world.rep_a):
        assert pool.claims_today(world.rep_a.id) == 0


def test_capacity_per_tier(app, world):
    _rules(world, A={"capacity": 1}, C={"capacity": 2})
    customer(world.rep_a, tier="A")
    a, b, c = (customer(team=world.team_a, tier=t) for t in ("A", "B", None))
    with _as(world.rep_a):
        with pytest.raises(ServiceError, match="tier A"):
            pool.claim(world.rep_a, a)
        pool.claim(world.rep_a, b)  # no capacity for B
        pool.claim(world.rep_a, c)  # untiered counts as C
        customer(world.rep_a, tier="C")
        with pytest.raises(ServiceError, match="tier C"):
            pool.claim(world.rep_a, customer(team=world.team_a, tier="C"))


def test_reclaim_wait(app, world):
    _rules(world, settings={"reclaim_days": 30})
    from portal.customers import services

    c = customer(world.rep_a)
    with _as(world.rep_a):
        services.release(world.rep_a, c)
        with pytest.raises(ServiceError, match="claim it again from"):
            pool.claim(world.rep_a, c)
    with _as(world.rep_a2):
        pool.claim(world.rep_a2, c)  # another rep may
    db.session.commit()
    # Recycled from rep_a2: rep_a2 waits, and after 30 days may claim it back.
    c.owner_id, c.previous_owner_id = None, world.rep_a2.id
    c.pool_entered_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    with _as(world.rep_a2):
        pool.claim(world.rep_a2, c)
    assert c.owner_id == world.rep_a2.id


def test_claim_logs_timeline_and_audit(client, world):
    c = customer(team=world.team_a)
    sign_in(client, world.rep_a)
    resp = client.post(f"/customers/pool/{c.id}/claim", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "pool-row-" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, c.id).owner_id == world.rep_a.id
    assert db.session.scalar(select(CustomerEvent.kind).where(CustomerEvent.customer_id == c.id)) == "claimed"
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "claim"))


def test_refused_claim_shows_why_and_changes_nothing(client, world):
    _rules(world, settings={"daily_claims": 0})
    c = customer(team=world.team_a)
    sign_in(client, world.rep_a)
    resp = client.post(f"/customers/pool/{c.id}/claim", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "daily limit" in resp.get_data(as_text=True)
    resp = client.post(f"/customers/pool/{c.id}/claim")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, c.id).owner_id is None


def test_director_assigns_from_pool(client, world):
    _rules(world, A={"capacity": 1})
    customer(world.rep_a, tier="A")
    c = customer(team=world.team_a, tier="A")
    sign_in(client, world.director_a)
    resp = client.post(f"/customers/pool/{c.id}/assign", data={"rep_id": world.rep_a.id},
                       headers={"HX-Request": "true"})
    assert "the most allowed" in resp.get_data(as_text=True)
    client.post(f"/customers/pool/{c.id}/assign", data={"rep_id": world.rep_a2.id})
    db.session.expire_all()
    assert db.session.get(Customer, c.id).owner_id == world.rep_a2.id
    assert db.session.scalar(select(CustomerEvent.kind).where(CustomerEvent.customer_id == c.id)) == "assigned"
    told = db.session.scalar(select(Notification.user_id).where(Notification.kind == "pool_assigned"))
    assert told == world.rep_a2.id
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "pool_assign"))
    # Another team's rep cannot be chosen; another team's director cannot assign.
    d = customer(team=world.team_a)
    client.post(f"/customers/pool/{d.id}/assign", data={"rep_id": world.rep_b.id})
    sign_in(client, world.director_b)
    assert client.post(f"/customers/pool/{d.id}/assign", data={"rep_id": world.rep_a.id}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Customer, d.id).owner_id is None


# Keep-locks -------------------------------------------------------------------------------------

def test_keep_request_approved_locks_and_refused_does_not(client, world):
    _rules(world, C={"no_follow_up_days": 5})
    c = _owned(world)
    d = _owned(world)
    sign_in(client, world.rep_a)
    until = (local_today() + timedelta(days=20)).isoformat()
    resp = client.post(f"/customers/{c.id}/keep", data={"until": until, "reason": "大单谈判中"})
    assert resp.status_code == 302
    client.post(f"/customers/{d.id}/keep", data={"until": until, "reason": "再给一周"})
    # A second request for the same customer waits behind the first.
    again = client.post(f"/customers/{c.id}/keep", data={"until": until, "reason": "again"})
    assert "already waiting" in again.get_data(as_text=True)
    # Too far ahead: error beside the field.
    far = client.post(f"/customers/{d.id}/keep", data={"until": "2099-01-01", "reason": "x"})
    assert far.status_code == 200
    reqs = {r.customer_id: r for r in db.session.scalars(select(KeepRequest))}
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == world.director_a.id,
                                                                       Notification.kind == "pool_keep")) == 2
    sign_in(client, world.director_a)
    assert client.get("/customers/pool/keep-requests").status_code == 200
    client.post(f"/customers/pool/keep-requests/{reqs[c.id].id}", data={"decision": "approve"})
    client.post(f"/customers/pool/keep-requests/{reqs[d.id].id}", data={"decision": "refuse", "comment": ""})
    db.session.expire_all()
    assert db.session.get(KeepRequest, reqs[d.id].id).status == "pending"  # refusing needs a comment
    client.post(f"/customers/pool/keep-requests/{reqs[d.id].id}", data={"decision": "refuse", "comment": "按规则"})
    db.session.expire_all()
    assert db.session.get(Customer, c.id).locked_until == date.fromisoformat(until)
    assert _recycle(world) == 1  # the refused one; the kept one stays
    db.session.expire_all()
    assert db.session.get(Customer, d.id).owner_id is None
    assert db.session.get(Customer, c.id).owner_id == world.rep_a.id
    kinds = set(db.session.scalars(select(CustomerEvent.kind)))
    assert {"keep_asked", "locked", "keep_refused", "recycled"} <= kinds
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "pool_lock"))
    # The director lifts the lock: the rules apply again.
    client.post(f"/customers/{c.id}/unlock")
    assert _recycle(world) == 1


def test_other_teams_director_cannot_decide(client, world):
    c = _owned(world)
    req = KeepRequest(customer_id=c.id, team_id=world.team_a.id, requester_id=world.rep_a.id, reason="x",
                      until=local_today() + timedelta(days=5))
    db.session.add(req)
    db.session.commit()
    sign_in(client, world.director_b)
    assert client.post(f"/customers/pool/keep-requests/{req.id}", data={"decision": "approve"}).status_code == 404
    sign_in(client, world.rep_a2)
    assert client.post(f"/customers/{c.id}/keep", data={"until": "2030-01-01", "reason": "x"}).status_code in (403,
                                                                                                              404)


# Rules page ---------------------------------------------------------------------------------------

def test_rules_page_validates_beside_fields(client, world):
    sign_in(client, world.director_a)
    assert client.get("/customers/pool/rules").status_code == 200
    data = {"daily_claims": "abc", "reclaim_days": "30", "remind_days": "3", "keep_max_days": "60",
            "discount_threshold": "10", "A_capacity": "0", "A_no_follow_up_days": "2"}
    resp = client.post("/customers/pool/rules", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.count("invalid-feedback") >= 2
    data.update(daily_claims="4", A_capacity="50")
    resp = client.post("/customers/pool/rules", data=data)  # 2 days is not longer than the 3-day reminder
    assert resp.status_code == 200 and "longer than the reminder" in resp.get_data(as_text=True)
    data.update(A_no_follow_up_days="15", B_no_deal_days="60")
    assert client.post("/customers/pool/rules", data=data).status_code == 302
    rules = {r.tier: r for r in db.session.scalars(select(PoolRule).where(PoolRule.team_id == world.team_a.id))}
    assert rules["A"].capacity == 50 and rules["A"].no_follow_up_days == 15 and rules["B"].no_deal_days == 60
    assert rules["C"].no_follow_up_days is None
    with _as(world.director_a):
        assert pool.team_settings(world.team_a.id).daily_claims == 4
        assert pool.team_settings(world.team_b.id).daily_claims == 5  # the default, per team
    # Another team's rules are not reachable.
    assert client.get(f"/customers/pool/rules?team={world.team_b.id}").status_code == 404


# Access per role -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "pool_page", "rules", "keeps"), [
    ("rep_a", 200, 403, 403), ("director_a", 200, 200, 200), ("gm", 200, 403, 403), ("admin", 403, 403, 403)])
def test_access_per_role(client, world, who, pool_page, rules, keeps):
    sign_in(client, getattr(world, who))
    assert client.get("/customers/pool").status_code == pool_page
    assert client.get("/customers/pool/rules").status_code == rules
    assert client.get("/customers/pool/keep-requests").status_code == keeps


def test_pool_shows_only_own_teams(client, world):
    customer(team=world.team_a, name="甲队公海客户")
    theirs = customer(team=world.team_b, name="乙队公海客户")
    sign_in(client, world.rep_a)
    html = client.get("/customers/pool").get_data(as_text=True)
    assert "甲队公海客户" in html and "乙队公海客户" not in html
    assert client.post(f"/customers/pool/{theirs.id}/claim").status_code == 404
    sign_in(client, world.gm)
    html = client.get("/customers/pool").get_data(as_text=True)
    assert "甲队公海客户" in html and "乙队公海客户" in html and ">Claim<" not in html
    sign_in(client, world.director_a)
    assert client.post(f"/customers/pool/{theirs.id}/claim").status_code == 403


def test_pool_page_query_count_is_flat(client, world, count_queries):
    def fill(n):
        db.session.add_all([Customer(name=f"公海客户{n}-{i}", team_id=world.team_a.id, tier="ABC"[i % 3],
                                     region="杭州", industry="机械", previous_owner_id=world.rep_a2.id)
                            for i in range(n)])
        db.session.commit()

    def measure(role):
        sign_in(client, getattr(world, role))
        client.get("/customers/pool")  # the worker's caches (settings) are filled once, as in any worker
        pool.forget_recycle_checks()  # each open checks the rules, as the first one of the day does
        with count_queries() as q:
            assert client.get("/customers/pool?tier=A").status_code == 200
        pool.forget_recycle_checks()
        with count_queries() as q2:
            assert client.get("/customers/pool").status_code == 200
        return q.n, q2.n

    _rules(world, C={"no_follow_up_days": 5})
    fill(10)
    small = {r: measure(r) for r in ("rep_a", "director_a")}
    fill(490)
    large = {r: measure(r) for r in ("rep_a", "director_a")}
    assert small == large, (small, large)


def test_demo_pool(app):
    from portal.approvals.models import ApprovalRequest
    from portal.customers.demo import seed_customers, seed_pool
    from portal.people.demo import seed_people

    ctx: dict = {}
    seed_people(ctx)
    seed_customers(ctx)
    seed_pool(ctx)
    db.session.commit()
    teams = list(ctx["teams"].values())
    assert db.session.scalar(select(func.count(PoolRule.id))) == 3 * len(teams)
    assert db.session.scalar(select(func.count(KeepRequest.id)).where(KeepRequest.status == "pending")) >= 1
    req = db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.kind == "discount")).one()
    assert req.status == "pending" and req.record_type == "opportunity"
    today = local_today()
    with _as(ctx["reps"][0]):
        recycled = sum(pool.recycle_team(t.id) for t in teams)
        reminded = pool.remind(today)
    assert recycled == 2 * len(teams) and reminded == 2 * len(teams)


def test_company_pool(client, world):
    _rules(world, team=world.team_b, A={"capacity": 1})
    c = customer(team=world.team_a, name="公司公海客户", tier="B")
    sign_in(client, world.rep_b)
    assert client.get(f"/customers/{c.id}").status_code == 404  # team A's pool
    sign_in(client, world.rep_a)
    assert client.post(f"/customers/pool/{c.id}/move", data={"to": "company"}).status_code == 403
    sign_in(client, world.gm)
    resp = client.post(f"/customers/pool/{c.id}/move", data={"to": "company"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "Company pool" in resp.get_data(as_text=True)
    assert "公司公海客户" in client.get("/customers/pool?team=company").get_data(as_text=True)
    sign_in(client, world.rep_b)
    assert "公司公海客户" in client.get("/customers/pool").get_data(as_text=True)
    assert client.get(f"/customers/{c.id}").status_code == 200
    client.post(f"/customers/pool/{c.id}/claim")
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert (c.owner_id, c.team_id, c.company_pool) == (world.rep_b.id, world.team_b.id, False)
    kinds = list(db.session.scalars(select(CustomerEvent.kind).where(CustomerEvent.customer_id == c.id)
                                    .order_by(CustomerEvent.id)))
    assert kinds == ["to_company_pool", "claimed"]
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "pool_to_company_pool"))
    # Back to a team's pool.
    d = customer(team=world.team_a, company_pool=True)
    sign_in(client, world.gm)
    client.post(f"/customers/pool/{d.id}/move", data={"to": str(world.team_b.id)})
    db.session.expire_all()
    d = db.session.get(Customer, d.id)
    assert (d.team_id, d.company_pool) == (world.team_b.id, False)
    sign_in(client, world.rep_a)
    assert client.get(f"/customers/{d.id}").status_code == 404


def test_page_opens_check_a_team_once_a_day_until_reset(client, world):
    _rules(world, C={"no_follow_up_days": 5})
    first = _owned(world)
    sign_in(client, world.rep_a2)
    assert client.get("/customers/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, first.id).owner_id is None
    second = _owned(world)  # due at once, but the team was checked today under the same rules
    assert client.get("/customers/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, second.id).owner_id is not None
    pool.forget_recycle_checks(world.team_a.id)
    assert client.get("/customers/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, second.id).owner_id is None
    third = _owned(world)
    _rules(world, C={"no_follow_up_days": 6})  # new rules: the next open checks again
    assert client.get("/customers/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, third.id).owner_id is None


def test_every_pool_customer_has_an_arrival_time_and_the_newest_come_first(client, world):
    """The pool's order is read from an index with no NULLs to place: entering the pool sets the time."""
    created = customer(team=world.team_a, name="新建公海客户")  # created straight into the pool
    assert created.pool_entered_at is not None
    owned = customer(world.rep_a, name="后来放回公海的客户")
    assert owned.pool_entered_at is None
    owned.pool_entered_at = None
    owned.owner_id = None  # released by an edit, not by pool.release
    db.session.commit()
    assert owned.pool_entered_at is not None and owned.pool_entered_at >= created.pool_entered_at
    kept = owned.pool_entered_at
    owned.owner_id = None  # already in the pool: its arrival time stays
    db.session.commit()
    assert owned.pool_entered_at == kept
    sign_in(client, world.director_a)
    html = client.get("/customers/pool").get_data(as_text=True)
    assert html.index("后来放回公海的客户") < html.index("新建公海客户")


def test_region_menus_are_kept_by_each_worker_until_a_region_or_a_visibility_changes(app, world, make_app):
    """The customer list's region menu is kept per worker and per visibility; a customer's new region, a
    customer handed to another owner and the pool's bulk recycling are seen by both workers at once."""
    from sqlalchemy import event

    from portal.customers.views import region_menu
    from portal.people.models import User

    other = make_app()
    mine = _owned(world, region="杭州")
    theirs = customer(world.rep_b, region="北京")

    def menu(worker, user_id) -> tuple[list, int]:
        with worker.test_request_context():
            statements = []

            def seen(_conn, _cursor, statement, *_args):
                statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", seen)
            try:
                regions = region_menu(db.session.get(User, user_id))
            finally:
                event.remove(db.engine, "before_cursor_execute", seen)
            return regions, sum("FROM customer" in s for s in statements)

    def both(user_id) -> list:
        answers = [menu(worker, user_id) for worker in (app, other)]
        assert answers[0][0] == answers[1][0]
        return answers[0][0]

    rep_a, director_a = world.rep_a.id, world.director_a.id
    for worker in (app, other):
        assert menu(worker, rep_a)[0] == ["杭州"]
        assert menu(worker, rep_a) == (["杭州"], 0)  # kept: no customer read
        assert menu(worker, director_a) == (["杭州"], 1)  # another visibility: its own entry
    mine.region = "温州"
    db.session.commit()
    assert both(rep_a) == ["温州"] and both(director_a) == ["温州"]
    theirs.owner_id, theirs.team_id = world.rep_a.id, world.team_a.id
    db.session.commit()
    assert both(rep_a) == ["北京", "温州"]
    # A customer of rep_a2's comes back to the team's pool by the rules (one UPDATE, no flush): rep_a
    # sees the team's pool.
    _rules(world, C={"no_follow_up_days": 5})
    _owned(world, rep=world.rep_a2, region="宁波")
    assert both(rep_a) == ["北京", "温州"]
    assert _recycle(world) >= 1
    assert "宁波" in both(rep_a)


def test_the_customer_page_offers_the_lists_and_rules_as_they_are_now(app, world, two_workers):
    """The lost reasons and the pool rule the customer page shows are kept by each worker until a list or
    a rule is written; both workers show a new reason, a renamed or retired one, and a changed rule at once."""
    from portal.core.cache import bump
    from portal.customers.models import LostReason

    for name in ("customer_lists", "pool_rules"):  # as a migrated database has them
        bump(db.session.connection(), name)
    db.session.commit()
    mine = customer(world.rep_a, tier="C")
    mine.owned_since = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    workers = two_workers(world.rep_a)

    def pages() -> list[str]:
        out = []
        for worker, c in workers:
            with worker.app_context():
                out.append(c.get(f"/customers/{mine.id}").get_data(as_text=True))
        return out

    pages()
    reason = LostReason(name="预算被砍", team_id=world.team_a.id, position=99)
    db.session.add(reason)
    db.session.commit()
    assert all("预算被砍" in html for html in pages())
    reason.name = "预算取消"
    db.session.commit()
    assert all("预算取消" in html and "预算被砍" not in html for html in pages())
    reason.active = False
    db.session.commit()
    assert all("预算取消" not in html for html in pages())
    assert all("Returns to the public pool on" not in html for html in pages())
    _rules(world, C={"no_follow_up_days": 5})
    assert all("Returns to the public pool on" in html for html in pages())


def test_pool_facts_read_with_the_customer_are_those_read_alone(app, client, world, count_queries):
    """The customer page reads the newest opportunity, the last won deal and a waiting keep request in
    the customer's own query; they are the facts a query of their own gives, and the page shows them."""
    from portal.customers.access import customer_with, get_customer_with_or_404
    from portal.customers.pool_views import pool_fact_columns

    _rules(world, C={"no_follow_up_days": 5, "no_deal_days": 30})
    c, other = _owned(world, since=datetime.now(UTC)), _owned(world, since=datetime.now(UTC))
    at = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    for n, status in enumerate(("won", "won", "open")):
        db.session.add(Opportunity(title=f"单{n}", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                                   stage_id=stage().id, amount=Decimal("10.00"), probability=50, status=status,
                                   created_at=at + timedelta(days=n),
                                   closed_at=at + timedelta(days=10 * n) if status == "won" else None))
    db.session.add(KeepRequest(customer_id=c.id, team_id=world.team_a.id, requester_id=world.rep_a.id, reason="x",
                               until=local_today() + timedelta(days=5)))
    db.session.commit()
    with app.test_request_context():
        for customer_id in (c.id, other.id):
            with count_queries() as q:
                _row, facts = get_customer_with_or_404(customer_id, world.rep_a, customer_with(pool_fact_columns()))
            alone = db.session.execute(select(*pool_fact_columns()).where(Customer.id == customer_id)).one()
            reads = [s for s in q.statements if "opportunity" in s or "keep_request" in s]
            assert len(reads) == 1 and "FROM customer" in reads[0]  # (the others: the visibility check)
            assert facts == tuple(alone)
        assert facts == (None, None, None)  # the other customer has none of them
    sign_in(client, world.rep_a)
    html = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert "A request to keep it waits for the director." in html and "Ask to keep" not in html
    assert "A request to keep it waits" not in client.get(f"/customers/{other.id}").get_data(as_text=True)


def test_unfiltered_counts_are_kept_by_each_worker_until_a_visibility_changes(app, world, make_app, client):
    """The customer list's unfiltered count is kept per worker and per visibility beside the region menus:
    a new customer, one handed over, released to the company pool, recycled by the rules or deleted is
    counted by both workers at once; a change that moves no one's view (a status) needs no recount."""
    from portal.customers.views import visible_count, visible_total
    from portal.people.models import User

    other = make_app()
    people = [world.rep_a.id, world.rep_b.id, world.director_a.id, world.gm.id]

    def totals() -> list[int]:
        out = []
        for user_id in people:
            seen = []
            for worker in (app, other):
                with worker.test_request_context():
                    user = db.session.get(User, user_id)
                    seen.append((visible_total(user), db.session.scalar(visible_count(user, []))))
            assert seen[0] == seen[1] and seen[0][0] == seen[0][1], (user_id, seen)
            out.append(seen[0][0])
        return out

    first = _owned(world)
    assert totals() == [1, 0, 1, 1]
    second = _owned(world, rep=world.rep_a2)
    assert totals() == [1, 0, 2, 2]
    second.owner_id = world.rep_a.id
    db.session.commit()
    assert totals() == [2, 0, 2, 2]
    first.owner_id, first.company_pool = None, True  # released to the company pool: every rep sees it
    db.session.commit()
    assert totals() == [2, 1, 2, 2]
    second.status = "active"
    db.session.commit()
    assert totals() == [2, 1, 2, 2]
    _rules(world, C={"no_follow_up_days": 5})
    third = _owned(world, rep=world.rep_a2)
    assert totals() == [2, 1, 3, 3]
    assert _recycle(world) >= 1  # rep_a2's customer back to team A's pool (one UPDATE): rep_a sees it
    assert totals() == [3, 1, 3, 3]
    db.session.delete(db.session.get(Customer, third.id))
    db.session.commit()
    assert totals() == [2, 1, 2, 2]
    # The list shows the kept count.
    sign_in(client, world.director_a)
    html = client.get("/customers/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "2 in all" in html
