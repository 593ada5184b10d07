"""Robot pages: who manages which robot, the form, the delivery log, the test button never breaking a page."""
from __future__ import annotations

import time

import pytest
from conftest import sign_in
from samples_robots import RecordingServer
from sqlalchemy import func, select

from portal import robots as robots_pkg
from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.robots import services
from portal.robots.models import Robot, RobotOutbox


@pytest.fixture
def server(app):
    app.config["ROBOT_ALLOWED_HOSTS"] = (*services.DEFAULT_ALLOWED_HOSTS, "127.0.0.1")
    srv = RecordingServer()
    yield srv
    srv.close()


def _robot(world, team=None, url="http://127.0.0.1:9/robot", company=False):
    robot = Robot(team_id=None if company else (team or world.team_a).id, name="Group", platform="wecom", url=url,
                  events=["task_assigned_team"])
    db.session.add(robot)
    db.session.commit()
    return robot


def _form(url, **extra):
    data = {"name": "华东区销售群", "platform": "dingtalk", "url": url, "secret": "SECabc",
            "events": ["contract_approved", "task_assigned_team"], "active": "y"}
    data.update(extra)
    return data


@pytest.mark.parametrize("who,status", [("rep_a", 403), ("director_a", 200), ("gm", 200), ("admin", 200)])
def test_index_access(client, world, who, status):
    sign_in(client, getattr(world, who))
    assert client.get("/robots/").status_code == status


def test_director_sees_and_manages_own_team_only(client, world):
    mine = _robot(world)
    theirs = _robot(world, team=world.team_b)
    company = _robot(world, company=True)
    sign_in(client, world.director_a)
    page = client.get("/robots/").get_data(as_text=True)
    assert f"/robots/{mine.id}/log" in page and f"/robots/{theirs.id}/log" not in page
    assert f"/robots/{company.id}/log" not in page
    for robot in (theirs, company):
        assert client.get(f"/robots/{robot.id}/log").status_code == 404
        assert client.post(f"/robots/{robot.id}/delete").status_code == 404
    sign_in(client, world.gm)
    page = client.get("/robots/").get_data(as_text=True)
    assert all(f"/robots/{r.id}/log" in page for r in (mine, theirs, company))
    assert "t0k" not in page and "127.0.0.1:9/robot" in page  # addresses are masked in lists


def test_create_validates_and_saves(client, world, server):
    sign_in(client, world.director_a)
    bad = client.post("/robots/new", data=_form("ftp://example.com/x", team_id=world.team_a.id))
    assert bad.status_code == 200
    html = bad.get_data(as_text=True)
    assert "invalid-feedback" in html and "ftp://example.com/x" in html  # typed value kept
    foreign = client.post("/robots/new", data=_form("https://evil.example.com/hook", team_id=world.team_a.id))
    assert foreign.status_code == 200 and db.session.scalar(select(func.count(Robot.id))) == 0
    company = client.post("/robots/new", data=_form(server.url(), team_id=0))  # not a choice for a director
    assert company.status_code == 200 and db.session.scalar(select(func.count(Robot.id))) == 0
    ok = client.post("/robots/new", data=_form(server.url(), team_id=world.team_a.id))
    assert ok.status_code == 302
    robot = db.session.scalar(select(Robot))
    assert robot.team_id == world.team_a.id and robot.secret == "SECabc"
    assert robot.events == ["contract_approved", "task_assigned_team"]
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "robot")))
    assert entries and all("SECabc" not in str(e.changes) and "t0k" not in str(e.changes) for e in entries)
    # Editing with the secret left empty keeps it; the form never shows it.
    edit = client.get(f"/robots/{robot.id}/edit").get_data(as_text=True)
    assert "SECabc" not in edit
    client.post(f"/robots/{robot.id}/edit", data=_form(server.url(), team_id=world.team_a.id, secret="", name="New"))
    db.session.expire_all()
    assert robot.name == "New" and robot.secret == "SECabc"


def test_admin_adds_a_company_robot(client, world, server):
    sign_in(client, world.admin)
    resp = client.post("/robots/new", data=_form(server.url(), team_id=0, platform="feishu", secret=""))
    assert resp.status_code == 302
    assert db.session.scalar(select(Robot.team_id)) is None


def test_test_button_with_a_failing_robot_keeps_the_page_working(app, client, world):
    app.config["ROBOT_SEND_MODE"] = "inline"
    robot = _robot(world)  # nothing listens on port 9
    sign_in(client, world.director_a)
    resp = client.post(f"/robots/{robot.id}/test")
    assert resp.status_code == 302
    row = db.session.scalar(select(RobotOutbox))
    assert row.status == "queued" and row.attempts == 1 and row.last_error  # failed, retry scheduled
    log = client.get(f"/robots/{robot.id}/log").get_data(as_text=True)
    assert "#1" in log and row.title in log


def test_sending_after_the_request_does_not_block_it(app, client, world, server):
    app.config["ROBOT_SEND_MODE"] = "thread"
    server.delay = 2.0
    robot = _robot(world, url=server.url())
    sign_in(client, world.director_a)
    started = time.monotonic()
    assert client.post(f"/robots/{robot.id}/test").status_code == 302
    assert time.monotonic() - started < 1.5
    for thread in list(robots_pkg._THREADS):
        thread.join(10)
    assert len(server.received) == 1
    db.session.expire_all()
    assert db.session.scalar(select(RobotOutbox.status)) == "sent"


def test_a_rolled_back_request_sends_nothing(app, client, world, server):
    app.config["ROBOT_SEND_MODE"] = "inline"
    robot = _robot(world, url=server.url())
    sign_in(client, world.rep_a)  # refused: nothing queued, nothing sent
    assert client.post(f"/robots/{robot.id}/test").status_code == 403
    assert server.received == [] and db.session.scalar(select(func.count(RobotOutbox.id))) == 0


def test_log_is_paginated_and_its_queries_stay_flat(app, client, world, count_queries):
    robot = _robot(world)
    sign_in(client, world.director_a)

    def measure():
        with count_queries() as q:
            assert client.get(f"/robots/{robot.id}/log").status_code == 200
        return q.n

    def add(n):
        for _ in range(n):
            services.post_event("task_assigned_team", world.team_a.id, "t", "x")
        db.session.commit()
        for row in db.session.scalars(select(RobotOutbox).where(RobotOutbox.attempts == 0)):
            services.attempt(row)
        db.session.commit()

    add(2)
    client.get(f"/robots/{robot.id}/log")  # the worker's caches (team tree, settings) are filled once
    few = measure()
    add(30)
    assert measure() == few
    page = client.get(f"/robots/{robot.id}/log").get_data(as_text=True)
    assert "page=2" in page


def test_removing_a_robot_removes_its_log(app, client, world):
    robot = _robot(world)
    services.post_event("task_assigned_team", world.team_a.id, "t", "x")
    db.session.commit()
    sign_in(client, world.rep_a)
    assert client.post(f"/robots/{robot.id}/delete").status_code == 403
    sign_in(client, world.director_a)
    assert client.post(f"/robots/{robot.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(Robot.id))) == 0
    assert db.session.scalar(select(func.count(RobotOutbox.id))) == 0


def test_retry_now_makes_a_given_up_message_due(app, client, world, server):
    app.config["ROBOT_SEND_MODE"] = "inline"
    robot = _robot(world, url=server.url())
    (row,) = services.post_event("task_assigned_team", world.team_a.id, "t", "x")
    row.status, row.attempts, row.next_attempt_at = "failed", 6, None
    db.session.commit()
    sign_in(client, world.director_a)
    assert "Retry now" in client.get(f"/robots/{robot.id}/log").get_data(as_text=True) or \
        "立即重试" in client.get(f"/robots/{robot.id}/log").get_data(as_text=True)
    other = _robot(world, team=world.team_b)
    assert client.post(f"/robots/{other.id}/messages/{row.id}/retry").status_code == 404
    assert client.post(f"/robots/{robot.id}/messages/{row.id}/retry").status_code == 302
    db.session.expire_all()
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "sent" and row.attempts == 7 and len(server.received) == 1
