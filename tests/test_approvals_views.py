"""Approval pages: each role's access, deciding from the page, the chain form, the history partial."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import sign_in, with_fragments
from flask import render_template_string

from portal.approvals import services
from portal.approvals.models import ApprovalRequest
from portal.core.db import db


def _submit(world, record_id=1, amount="150000", who=None):
    req = services.submit(who or world.rep_a, "contract", "demo", record_id, world.team_a.id, Decimal(amount),
                          f"Contract {record_id}", None)
    db.session.commit()
    return req.id


@pytest.mark.parametrize("who,status", [("rep_a", 403), ("director_a", 200), ("gm", 200), ("admin", 403)])
def test_todo_page_access(client, world, who, status):
    sign_in(client, getattr(world, who))
    assert client.get("/approvals/").status_code == status


def test_todo_lists_only_what_waits_for_me(client, world):
    _submit(world, 1)
    services.submit(world.rep_b, "contract", "demo", 2, world.team_b.id, Decimal("1"), "Team B contract", None)
    db.session.commit()
    sign_in(client, world.director_a)
    page = client.get("/approvals/").get_data(as_text=True)
    assert "Contract 1" in page and "Team B contract" not in page
    assert '<span class="badge text-bg-warning ms-1">1</span>' in page  # the navigation badge
    sign_in(client, world.gm)
    assert "Contract 1" not in client.get("/approvals/").get_data(as_text=True)  # waits at the director


def test_detail_visibility(client, world):
    approval_id = _submit(world)
    for who, status in (("rep_a", 200), ("director_a", 200), ("gm", 200), ("rep_a2", 404), ("director_b", 404),
                        ("rep_b", 404), ("admin", 403)):
        sign_in(client, getattr(world, who))
        assert client.get(f"/approvals/{approval_id}").status_code == status, who


def test_decide_from_the_page(client, world):
    approval_id = _submit(world)
    sign_in(client, world.director_a)
    page = client.get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert 'value="approve"' in page
    resp = client.post(f"/approvals/{approval_id}/decide", data={"decision": "return", "comment": ""})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)  # comment needed
    assert db.session.get(ApprovalRequest, approval_id).status == "pending"
    assert client.post(f"/approvals/{approval_id}/decide", data={"decision": "approve"}).status_code == 302
    req = db.session.get(ApprovalRequest, approval_id)
    assert req.current_role == "gm"
    # The director decided their step: the page no longer offers the buttons, the POST is refused.
    assert 'value="approve"' not in client.get(f"/approvals/{approval_id}").get_data(as_text=True)
    assert client.post(f"/approvals/{approval_id}/decide", data={"decision": "approve"}).status_code == 403
    sign_in(client, world.rep_a)
    assert client.post(f"/approvals/{approval_id}/decide", data={"decision": "approve"}).status_code == 403
    sign_in(client, world.gm)
    assert client.post(f"/approvals/{approval_id}/decide", data={"decision": "approve"}).status_code == 302
    assert db.session.get(ApprovalRequest, approval_id).status == "approved"


def test_requester_withdraws_and_resubmits(client, world):
    approval_id = _submit(world)
    sign_in(client, world.rep_a2)
    assert client.post(f"/approvals/{approval_id}/withdraw").status_code == 404
    sign_in(client, world.rep_a)
    page = client.get("/approvals/mine").get_data(as_text=True)
    assert "Contract 1" in page
    assert client.post(f"/approvals/{approval_id}/withdraw").status_code == 302
    assert db.session.get(ApprovalRequest, approval_id).status == "withdrawn"
    assert client.post(f"/approvals/{approval_id}/resubmit").status_code == 302
    req = db.session.get(ApprovalRequest, approval_id)
    assert req.status == "pending" and req.round == 2


@pytest.mark.parametrize("who,status", [("rep_a", 403), ("director_a", 200), ("gm", 403), ("admin", 200),
                                        ("director_b", 404)])
def test_chain_form_access(client, world, who, status):
    sign_in(client, getattr(world, who))
    assert client.get(f"/approvals/chains/{world.team_a.id}/contract").status_code == status


def test_chain_form_saves_and_validates(client, world):
    sign_in(client, world.director_a)
    url = f"/approvals/chains/{world.team_a.id}/expense"
    assert client.get("/approvals/chains/0/expense").status_code == 403  # the company default is the admin's
    assert client.get(f"/approvals/chains/{world.team_a.id}/bonus").status_code == 404
    bad = client.post(url, data={"steps-0-role": "director", "steps-0-min_amount": "-5"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.get_data(as_text=True)
    empty = client.post(url, data={"steps-0-role": "", "steps-0-min_amount": ""})
    assert empty.status_code == 200 and "alert-danger" in empty.get_data(as_text=True)
    ok = client.post(url, data={"steps-0-role": "director", "steps-0-min_amount": "",
                                "steps-1-role": "", "steps-1-min_amount": "",
                                "steps-2-role": "gm", "steps-2-min_amount": "50,000"})
    assert ok.status_code == 302
    assert services.effective_steps("expense", world.team_a.id) == [("director", None), ("gm", Decimal("50000.00"))]
    page = client.get("/approvals/chains").get_data(as_text=True)
    assert "¥50,000.00" in page
    assert client.post(f"{url}/reset").status_code == 302
    assert services.find_chain("expense", world.team_a.id) is None


def test_admin_edits_company_default(client, world):
    sign_in(client, world.admin)
    assert client.get("/approvals/chains").status_code == 200
    resp = client.post("/approvals/chains/0/plan", data={"steps-0-role": "gm", "steps-0-min_amount": ""})
    assert resp.status_code == 302
    assert services.effective_steps("plan", world.team_b.id) == [("gm", None)]


def test_history_partial(app, world):
    approval_id = _submit(world)
    services.decide(world.director_a, db.session.get(ApprovalRequest, approval_id), "return", "Fix the date")
    db.session.commit()
    with app.test_request_context():
        html = render_template_string(
            '{% with record_type="demo", record_id=1 %}{% include "approvals/_history.html" %}{% endwith %}')
    assert "Fix the date" in html and world.director_a.display_name in html


def test_todo_queries_stay_flat(client, world, make_user, count_queries):
    sign_in(client, world.director_a)

    def measure():
        with count_queries() as q:
            assert client.get("/approvals/").status_code == 200
        return q.n

    _submit(world, 1)
    client.get("/approvals/")  # the worker's caches (team tree, settings) are filled once, as in any worker
    few = measure()
    for i in range(2, 12):
        rep = make_user("rep", world.team_a)
        _submit(world, i, who=rep)
    assert measure() == few


@pytest.mark.parametrize("who,status", [("rep_a", 200), ("director_a", 200), ("gm", 200), ("admin", 403)])
def test_my_requests_access(client, world, who, status):
    sign_in(client, getattr(world, who))
    assert client.get("/approvals/mine").status_code == status


def test_a_record_page_shows_nothing_before_submission(app, world):
    with app.test_request_context():
        html = render_template_string(
            '{% with record_type="demo", record_id=5 %}{% include "approvals/_history.html" %}{% endwith %}')
    assert "尚未提交审批" in html  # the default language is Chinese


def test_home_panel_lists_what_waits(client, world):
    _submit(world, 1, amount="10")
    sign_in(client, world.director_a)
    from flask import url_for

    with client.application.test_request_context():
        home = url_for("home.index")
    assert "Contract 1" in with_fragments(client, home)
    sign_in(client, world.director_b)
    assert "Contract 1" not in with_fragments(client, home)
