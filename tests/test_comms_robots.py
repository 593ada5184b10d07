"""Comms events reach the chat robots: a task for a whole team, a thread escalated to the GM.

ROBOT_SEND_MODE is "off" under TESTING: the messages stay queued in the outbox, which is what we check."""
from __future__ import annotations

from datetime import timedelta

from conftest import sign_in
from sqlalchemy import select

from portal.comms.models import Thread
from portal.core.db import db
from portal.core.periods import local_today
from portal.robots.models import Robot, RobotOutbox

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test"


def _robot(team, events, name="Group"):
    robot = Robot(team_id=team.id if team else None, name=name, platform="wecom", url=WEBHOOK, events=events,
                  active=True)
    db.session.add(robot)
    db.session.commit()
    return robot


def _outbox(event):
    return list(db.session.scalars(select(RobotOutbox).where(RobotOutbox.event == event).order_by(RobotOutbox.id)))


def _assign(client, world, token, **extra):
    sign_in(client, world.director_a)
    data = {"title": "Visit every key account", "priority": "high", "token": token,
            "due_on": (local_today() + timedelta(days=3)).isoformat(), **extra}
    return client.post("/comms/tasks/new", data=data)


def test_whole_team_task_is_queued_for_the_team_and_company_robots(client, world):
    team_robot = _robot(world.team_a, ["task_assigned_team"])
    company_robot = _robot(None, ["task_assigned_team", "difficulty_escalated"], name="Company")
    _robot(world.team_b, ["task_assigned_team"], name="Team B")  # another team's robot hears nothing
    _robot(world.team_a, ["contract_approved"], name="Contracts only")
    assert _assign(client, world, "robot-1", whole_team="y").status_code == 302
    rows = _outbox("task_assigned_team")
    assert {r.robot_id for r in rows} == {team_robot.id, company_robot.id}
    assert all(r.status == "queued" and r.attempts == 0 for r in rows)
    body = rows[0].body["markdown"]["content"] if "markdown" in rows[0].body else str(rows[0].body)
    assert "Visit every key account" in body and "/comms/tasks/" in body


def test_task_for_chosen_people_is_not_a_team_event(client, world):
    _robot(world.team_a, ["task_assigned_team"])
    resp = _assign(client, world, "robot-2", assignee_ids=[world.rep_a.id])
    assert resp.status_code == 302
    assert _outbox("task_assigned_team") == []


def test_escalation_is_queued_once_with_the_note(client, world):
    robot = _robot(world.team_a, ["difficulty_escalated"])
    _robot(world.team_b, ["difficulty_escalated"], name="Team B")
    sign_in(client, world.rep_a)
    client.post("/comms/threads/new", data={"kind": "difficulty", "subject": "Customer wants 120 days credit",
                                            "body": "They insist.", "token": "th-r"})
    thread = db.session.scalar(select(Thread))
    assert _outbox("difficulty_escalated") == []  # raising a thread is not an escalation
    sign_in(client, world.director_a)
    assert client.post(f"/comms/threads/{thread.id}/escalate", data={"note": "Beyond policy"}).status_code == 302
    rows = _outbox("difficulty_escalated")
    assert [r.robot_id for r in rows] == [robot.id]
    assert "Customer wants 120 days credit" in rows[0].title
    assert "Beyond policy" in str(rows[0].body) and f"/comms/threads/{thread.id}" in str(rows[0].body)
    client.post(f"/comms/threads/{thread.id}/escalate", data={})  # refused the second time: nothing more
    assert len(_outbox("difficulty_escalated")) == 1


def test_no_robot_no_rows_and_the_request_still_succeeds(client, world):
    assert _assign(client, world, "robot-3", whole_team="y").status_code == 302
    assert db.session.scalar(select(RobotOutbox)) is None
