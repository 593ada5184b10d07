"""Plans: who writes them, the submit / approve / return workflow, target editing rights, audit and notices."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import sign_in, with_fragments
from samples_plans import speak_english
from sqlalchemy import select

from portal.approvals import services as approvals
from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.periods import Period
from portal.notifications.models import Notification
from portal.plans.models import Plan, Target


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


def _new_team_plan(client, world, period="2027"):
    sign_in(client, world.director_a)
    resp = client.post("/plans/new", data={
        "scope": "team", "team_id": world.team_a.id, "owner_id": 0, "period": period, "title": "Team A 2027",
        "analysis": "**Growth** in the east <script>alert(1)</script>", "strategy": "- key accounts",
        "steps": "1. visit"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return db.session.scalar(select(Plan).where(Plan.title == "Team A 2027"))


def _team_target(client, world, sales="1200000", period="2027", who=None):
    sign_in(client, who or world.director_a)
    resp = client.post(f"/plans/targets/edit?scope=team&team_id={world.team_a.id}&period={period}",
                       data={"sales-base": sales})
    return resp


def _req(plan):
    return approvals.latest_request("plan", plan.id)


def test_director_submits_gm_returns_then_approves_through_the_engine(client, world):
    plan = _new_team_plan(client, world)
    assert plan.status == "draft" and plan.team_id == world.team_a.id and plan.period_key == "2027"
    assert _team_target(client, world).status_code == 302
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "<strong>Growth</strong>" in page and "<script>alert" not in page
    assert "Not submitted for approval yet." in page
    assert client.post(f"/plans/{plan.id}/submit").status_code == 302
    db.session.refresh(plan)
    req = _req(plan)
    # The director cannot approve their own plan: the director step is skipped, the GM step remains.
    assert plan.status == "submitted" and req.status == "pending" and req.current_role == "gm"
    assert req.amount == Decimal("1200000.00") and req.kind == "plan" and req.team_id == world.team_a.id
    assert [(s.role, s.status) for s in req.steps] == [("director", "skipped"), ("gm", "waiting")]
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.gm.id))
    assert note is not None and note.kind == "approval_todo"
    # While it waits the plan and its targets are read-only, for the GM too.
    assert approvals.is_locked("plan", plan.id)
    assert client.get(f"/plans/{plan.id}/edit").status_code == 302
    resp = _team_target(client, world, sales="1")
    assert resp.status_code == 200 and "waiting for approval" in resp.get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/decide", data={"decision": "approve"}).status_code == 403
    sign_in(client, world.director_b)
    assert client.post(f"/plans/{plan.id}/decide", data={"decision": "approve"}).status_code == 404
    resp = _team_target(client, world, sales="1", who=world.gm)
    assert resp.status_code == 200 and "waiting for approval" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Target.base).where(Target.scope == "team")) == Decimal("1200000.00")

    sign_in(client, world.gm)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'id="plan-decide"' in page and "Approval history" in page
    resp = client.post(f"/plans/{plan.id}/decide", data={"decision": "return", "comment": ""})
    assert resp.status_code == 200 and "Say why" in resp.get_data(as_text=True)  # beside the comment box
    db.session.refresh(plan)
    assert plan.status == "submitted"  # a return needs a comment
    client.post(f"/plans/{plan.id}/decide", data={"decision": "return", "comment": "Raise the Q3 target"})
    db.session.refresh(plan)
    assert plan.status == "returned" and plan.review_comment == "Raise the Q3 target"
    assert plan.decided_by_id == world.gm.id and not approvals.is_locked("plan", plan.id)
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.director_a.id,
                                                        Notification.kind == "approval_returned"))
    sign_in(client, world.director_a)
    assert "Raise the Q3 target" in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/edit", data={"title": "Team A 2027 v2", "analysis": "", "strategy": "",
                                                       "steps": ""}).status_code == 302
    assert _team_target(client, world, sales="1500000").status_code == 302
    client.post(f"/plans/{plan.id}/submit")
    db.session.refresh(plan)
    req = _req(plan)
    assert plan.status == "submitted" and req.round == 2 and req.amount == Decimal("1500000.00")
    assert req.title == "Team A 2027 v2"
    # The requester withdraws it (a draft again), then resubmits: round 3 of the same request.
    assert client.post(f"/plans/{plan.id}/withdraw").status_code == 302
    db.session.refresh(plan)
    assert plan.status == "draft" and _req(plan).status == "withdrawn"
    client.post(f"/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.status == "submitted" and _req(plan).round == 3 and _req(plan).id == req.id
    sign_in(client, world.gm)
    client.post(f"/plans/{plan.id}/decide", data={"decision": "approve", "comment": "OK"})
    db.session.refresh(plan)
    assert plan.status == "approved" and plan.decided_by_id == world.gm.id and _req(plan).status == "approved"
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Round 3" in page and "Raise the Q3 target" in page
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "plan")))
    assert {"create", "submit", "return", "withdraw", "approve", "update"} <= actions
    # Approved: the director no longer changes the team's targets, the GM still does.
    assert "only the general manager" in _team_target(client, world, sales="1").get_data(as_text=True)
    assert _team_target(client, world, sales="1600000", who=world.gm).status_code == 302


def test_gm_rejects_with_a_comment_and_the_plan_is_final(client, world):
    plan = _new_team_plan(client, world)
    _team_target(client, world)
    client.post(f"/plans/{plan.id}/submit")
    sign_in(client, world.gm)
    resp = client.post(f"/plans/{plan.id}/decide", data={"decision": "reject", "comment": ""})
    assert resp.status_code == 200
    client.post(f"/plans/{plan.id}/decide", data={"decision": "reject", "comment": "Not this year"})
    db.session.refresh(plan)
    assert plan.status == "rejected" and plan.review_comment == "Not this year"
    sign_in(client, world.director_a)
    client.post(f"/plans/{plan.id}/submit")
    client.post(f"/plans/{plan.id}/edit", data={"title": "again", "analysis": "", "strategy": "", "steps": ""})
    db.session.refresh(plan)
    assert plan.status == "rejected" and plan.title == "Team A 2027"
    assert client.get("/plans/?status=rejected").get_data(as_text=True).count("Team A 2027") == 1


def test_resubmitting_from_the_approvals_page_keeps_the_plan_in_step(client, world):
    plan = _new_team_plan(client, world)
    _team_target(client, world)
    client.post(f"/plans/{plan.id}/submit")
    req = _req(plan)
    assert client.post(f"/approvals/{req.id}/withdraw").status_code == 302
    db.session.refresh(plan)
    assert plan.status == "draft"
    assert client.post(f"/approvals/{req.id}/resubmit").status_code == 302
    db.session.refresh(plan)
    assert plan.status == "submitted" and approvals.is_locked("plan", plan.id)
    sign_in(client, world.gm)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.refresh(plan)
    assert plan.status == "approved"


def test_no_one_else_to_approve_is_refused_unless_the_chain_says_so(client, world):
    """Without a sales target the default chain has only the director step, which the director cannot
    take for their own plan: submitting is refused rather than approving itself."""
    plan = _new_team_plan(client, world)
    resp = client.post(f"/plans/{plan.id}/submit", follow_redirects=True)
    assert "Nobody but you would approve this plan" in resp.get_data(as_text=True)
    db.session.refresh(plan)
    assert plan.status == "draft" and _req(plan) is None
    # A team chain sending every plan to the GM: now it goes there, whatever the amount.
    approvals.save_chain(world.admin, world.team_a.id, "plan", [("director", None), ("gm", None)])
    db.session.commit()
    client.post(f"/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.status == "submitted" and _req(plan).current_role == "gm" and _req(plan).amount is None


def test_a_gm_plan_for_a_team_goes_to_its_director_only(client, world):
    """Who approves follows the chain: the GM's team plan under 100,000 waits for team A's director."""
    sign_in(client, world.gm)
    client.post("/plans/new", data={"scope": "team", "team_id": world.team_a.id, "owner_id": 0,
                                    "period": "2027-03", "title": "March push"})
    plan = db.session.scalar(select(Plan).where(Plan.title == "March push"))
    client.post(f"/plans/targets/edit?scope=team&team_id={world.team_a.id}&period=2027-03",
                data={"sales-base": "80000"})
    client.post(f"/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.status == "submitted" and _req(plan).current_role == "director"
    for person, status in ((world.gm, 403), (world.director_b, 404), (world.rep_a, 403)):
        sign_in(client, person)
        assert client.post(f"/plans/{plan.id}/decide", data={"decision": "approve"}).status_code == status
    db.session.refresh(plan)
    assert plan.status == "submitted"
    sign_in(client, world.director_a)
    assert 'id="plan-decide"' in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.refresh(plan)
    assert plan.status == "approved" and plan.decided_by_id == world.director_a.id


def test_the_gm_company_plan_is_approved_on_submission(client, world):
    """The company plan has no approver above the GM: every step is skipped and it is approved at once."""
    sign_in(client, world.gm)
    client.post("/plans/new", data={"scope": "company", "team_id": 0, "owner_id": 0, "period": "2027",
                                    "title": "Company 2027"})
    plan = db.session.scalar(select(Plan).where(Plan.title == "Company 2027"))
    client.post("/plans/targets/edit?scope=company&period=2027", data={"sales-base": "5000000"})
    client.post(f"/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.status == "approved" and {s.status for s in _req(plan).steps} == {"skipped"}


def test_plan_page_query_count_is_flat(client, world, count_queries):
    plan = _new_team_plan(client, world)
    plan_id = plan.id
    _team_target(client, world)
    client.post(f"/plans/{plan_id}/submit")
    sign_in(client, world.gm)
    url = f"/plans/{plan_id}"
    client.get(url)
    db.session.expire_all()
    with count_queries() as q:
        assert client.get(url).status_code == 200
    first = q.n
    for i in range(4):  # more rounds, more history rows
        client.post(f"/plans/{plan_id}/decide", data={"decision": "return", "comment": f"again {i}"})
        sign_in(client, world.director_a)
        client.post(f"/plans/{plan_id}/submit")
        sign_in(client, world.gm)
    assert approvals.latest_request("plan", plan_id).round == 5
    db.session.expire_all()
    with count_queries() as q:
        assert client.get(url).status_code == 200
    assert q.n == first, q.statements


def test_other_team_and_reps_cannot_reach_a_team_plan(client, world):
    plan = _new_team_plan(client, world)
    sign_in(client, world.director_b)
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert client.post(f"/plans/{plan.id}/submit").status_code == 404
    sign_in(client, world.rep_a)
    assert client.get(f"/plans/{plan.id}").status_code == 404  # a rep reads the team plan once approved
    assert client.get("/plans/new").status_code == 403
    plan.status = "approved"
    db.session.commit()
    assert client.get(f"/plans/{plan.id}").status_code == 200
    sign_in(client, world.rep_b)
    assert client.get(f"/plans/{plan.id}").status_code == 404
    sign_in(client, world.admin)
    assert client.get("/plans/").status_code == 403


def test_director_cannot_plan_for_another_team(client, world):
    sign_in(client, world.director_a)
    resp = client.post("/plans/new", data={"scope": "team", "team_id": world.team_b.id, "owner_id": 0,
                                           "period": "2027", "title": "Not mine"})
    assert resp.status_code == 200  # the form again, with the error
    assert db.session.scalar(select(Plan).where(Plan.title == "Not mine")) is None
    resp = client.post("/plans/new", data={"scope": "company", "team_id": 0, "owner_id": 0,
                                           "period": "2027", "title": "Company"})
    assert resp.status_code == 200 and db.session.scalar(select(Plan)) is None
    resp = client.post("/plans/new", data={"scope": "team", "team_id": world.team_a.id, "owner_id": 0,
                                           "period": "2027-W05", "title": "weekly"})
    assert resp.status_code == 200 and db.session.scalar(select(Plan)) is None


def _grid(**values):
    data = {}
    for measure, tiers in values.items():
        for tier, value in zip(("base", "sprint", "challenge"), tiers, strict=False):
            data[f"{measure}-{tier}"] = value
    return data


def test_director_sets_rep_targets_not_other_teams(client, world):
    sign_in(client, world.director_a)
    url = f"/plans/targets/edit?scope=rep&rep_id={world.rep_a.id}&period=2027"
    assert client.get(url).status_code == 200
    resp = client.post(url, data=_grid(sales=("1,200,000", "1500000", "1800000"), orders=("100", "", "")))
    assert resp.status_code == 302
    rows = {t.measure: t for t in db.session.scalars(select(Target).where(Target.owner_id == world.rep_a.id))}
    assert rows["sales"].base == Decimal("1200000.00") and rows["sales"].challenge == Decimal("1800000.00")
    assert rows["orders"].base == Decimal("100") and rows["orders"].sprint is None
    # Bad input: shown beside the field, nothing saved, no 500.
    resp = client.post(url, data=_grid(sales=("abc", "", ""), orders=("2.5", "", "")))
    assert resp.status_code == 200 and "Not a number" in resp.get_data(as_text=True)
    resp = client.post(url, data=_grid(sales=("100", "90", "")))
    assert resp.status_code == 200 and "at least the base" in resp.get_data(as_text=True)
    assert db.session.get(Target, rows["sales"].id).base == Decimal("1200000.00")
    # Another team's rep, the company level: not for this director.
    assert client.get(f"/plans/targets/edit?scope=rep&rep_id={world.rep_b.id}&period=2027").status_code == 404
    assert client.get("/plans/targets/edit?scope=company&period=2027").status_code == 404
    sign_in(client, world.rep_a)
    assert client.get(url).status_code == 403
    assert client.post(url, data=_grid(sales=("1", "", ""))).status_code == 403


def test_approved_plan_locks_team_targets_for_the_director(client, world):
    plan = Plan(scope="team", team_id=world.team_a.id, title="A", status="approved", created_by_id=world.director_a.id)
    plan.set_period(Period.parse("2027"))
    db.session.add(plan)
    db.session.commit()
    url = f"/plans/targets/edit?scope=team&team_id={world.team_a.id}&period=2027"
    sign_in(client, world.director_a)
    resp = client.post(url, data=_grid(sales=("100", "", "")))
    assert resp.status_code == 200 and "only the general manager" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Target)) is None
    sign_in(client, world.gm)
    assert client.post(url, data=_grid(sales=("100", "", ""))).status_code == 302
    assert db.session.scalar(select(Target)).base == Decimal("100.00")


def test_split_and_overview_warn_when_things_do_not_add_up(client, world):
    sign_in(client, world.director_a)
    client.post(f"/plans/targets/edit?scope=team&team_id={world.team_a.id}&period=2027",
                data=_grid(sales=("1200000", "", "")))
    client.post(f"/plans/targets/edit?scope=rep&rep_id={world.rep_a.id}&period=2027", data=_grid(sales=("500000",)))
    page = client.get(f"/plans/targets?team_id={world.team_a.id}&period=2027").get_data(as_text=True)
    assert "sum-warning" in page and "¥500,000.00" in page
    resp = client.post("/plans/targets/split", data={"who": f"team:{world.team_a.id}", "year": "2027",
                                                      "profile_id": ""})
    assert resp.status_code == 302
    months = db.session.scalars(select(Target).where(Target.scope == "team", Target.period_kind == "month"))
    assert sorted({t.base for t in months}) == [Decimal("100000.00")]
    page = client.get(f"/plans/targets?team_id={world.team_a.id}&period=2027").get_data(as_text=True)
    assert "child-warning" not in page
    # Profiles: twelve weights, else the form says why.
    resp = client.post("/plans/profiles", data={"name": "Peak in Q4", "weights": "1,1,1"})
    assert resp.status_code == 200 and "twelve" in resp.get_data(as_text=True)
    assert client.post("/plans/profiles", data={"name": "Peak in Q4",
                                                "weights": "1,1,1,1,1,1,1,1,1,2,2,2"}).status_code == 302


def test_status_scopes_per_role(client, world):
    sign_in(client, world.rep_a)
    assert client.get("/plans/status").status_code == 200  # own status
    assert client.get(f"/plans/status?scope=rep&rep_id={world.rep_a2.id}").status_code == 404
    assert client.get(f"/plans/status?scope=team&team_id={world.team_a.id}").status_code == 404
    assert client.get("/plans/status?scope=company").status_code == 404
    assert client.get("/plans/overview").status_code == 403
    sign_in(client, world.director_a)
    assert client.get(f"/plans/status?scope=rep&rep_id={world.rep_a2.id}").status_code == 200
    assert client.get(f"/plans/status?scope=team&team_id={world.team_b.id}").status_code == 404
    assert client.get("/plans/status?scope=company").status_code == 404
    assert client.get("/plans/overview").status_code == 200
    assert "Targets and completion" in with_fragments(client, f"/people/{world.rep_a.id}")
    sign_in(client, world.gm)
    for url in ("/plans/status?scope=company", f"/plans/status?scope=team&team_id={world.team_b.id}",
                f"/plans/status?scope=rep&rep_id={world.rep_b.id}", "/plans/overview", "/"):
        assert client.get(url).status_code == 200, url
    fragment = client.get("/plans/status?scope=company&period=2026-Q3", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "2026-Q4" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")
    sign_in(client, world.admin)
    assert client.get("/plans/status").status_code == 403
