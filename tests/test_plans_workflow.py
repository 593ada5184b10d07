"""Plans: who writes them, the submit / approve / return workflow, target editing rights, audit and notices."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import sign_in
from samples_plans import speak_english
from sqlalchemy import select

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


def test_director_writes_submits_gm_returns_then_approves(client, world):
    plan = _new_team_plan(client, world)
    assert plan.status == "draft" and plan.team_id == world.team_a.id and plan.period_key == "2027"
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "<strong>Growth</strong>" in page and "<script>alert" not in page
    assert client.post(f"/plans/{plan.id}/submit").status_code == 302
    db.session.refresh(plan)
    assert plan.status == "submitted"
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.gm.id))
    assert note is not None and note.kind == "plan_submitted" and f"/plans/{plan.id}" in note.link
    # Once submitted the director can no longer edit it, nor approve it.
    resp = client.get(f"/plans/{plan.id}/edit")
    assert resp.status_code == 302
    assert client.post(f"/plans/{plan.id}/decide", data={"decision": "approve"}).status_code == 403

    sign_in(client, world.gm)
    client.post(f"/plans/{plan.id}/decide", data={"decision": "return", "comment": ""})
    db.session.refresh(plan)
    assert plan.status == "submitted"  # a return needs a comment
    client.post(f"/plans/{plan.id}/decide", data={"decision": "return", "comment": "Raise the Q3 target"})
    db.session.refresh(plan)
    assert plan.status == "returned" and plan.review_comment == "Raise the Q3 target"
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.director_a.id,
                                                        Notification.kind == "plan_returned"))
    sign_in(client, world.director_a)
    assert client.post(f"/plans/{plan.id}/edit", data={"title": "Team A 2027 v2", "analysis": "", "strategy": "",
                                                       "steps": ""}).status_code == 302
    client.post(f"/plans/{plan.id}/submit")
    sign_in(client, world.gm)
    client.post(f"/plans/{plan.id}/decide", data={"decision": "approve", "comment": "OK"})
    db.session.refresh(plan)
    assert plan.status == "approved" and plan.decided_by_id == world.gm.id
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "plan")))
    assert {"create", "submit", "return", "approve", "update"} <= actions


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
    assert "Targets and completion" in client.get(f"/people/{world.rep_a.id}").get_data(as_text=True)
    sign_in(client, world.gm)
    for url in ("/plans/status?scope=company", f"/plans/status?scope=team&team_id={world.team_b.id}",
                f"/plans/status?scope=rep&rep_id={world.rep_b.id}", "/plans/overview", "/"):
        assert client.get(url).status_code == 200, url
    fragment = client.get("/plans/status?scope=company&period=2026-Q3", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "2026-Q4" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")
    sign_in(client, world.admin)
    assert client.get("/plans/status").status_code == 403
