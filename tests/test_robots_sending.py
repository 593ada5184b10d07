"""Robots: message formats, signatures, queueing, retries with back-off, error codes, idempotent workers.
Everything is sent to a local HTTP server; no real platform is contacted."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import timedelta
from urllib.parse import unquote

import pytest
from samples_robots import RecordingServer
from sqlalchemy import func, select

from portal.core.db import db, utcnow
from portal.core.errors import ServiceError
from portal.robots import services
from portal.robots.models import Robot, RobotDelivery, RobotOutbox


@pytest.fixture
def server(app):
    app.config["ROBOT_ALLOWED_HOSTS"] = (*services.DEFAULT_ALLOWED_HOSTS, "127.0.0.1")
    srv = RecordingServer()
    yield srv
    srv.close()


@pytest.fixture
def make_robot(world, server):
    def make(platform="wecom", team=None, secret=None, events=("task_assigned_team",), url=None, company=False,
             active=True):
        robot = Robot(team_id=None if company else (team or world.team_a).id, name=f"{platform} robot",
                      platform=platform, url=url or server.url(), secret=secret, events=list(events), active=active)
        db.session.add(robot)
        db.session.commit()
        return robot

    return make


def _post(team, kind="task_assigned_team"):
    rows = services.post_event(kind, team.id, "新任务：回访重点客户", "请本周内完成。\n第二行", "/tasks/7")
    db.session.commit()
    return rows


def _make_due(row_ids):
    for row in db.session.scalars(select(RobotOutbox).where(RobotOutbox.id.in_(row_ids))):
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_each_platform_gets_its_documented_format(app, world, server, make_robot):
    app.config["ROBOT_BASE_URL"] = "https://portal.example.com"
    make_robot("wecom")
    make_robot("dingtalk")
    make_robot("feishu")
    _post(world.team_a)
    assert services.send_due() == {"sent": 3, "failed": 0, "skipped": 0}
    wecom, ding, feishu = (r["json"] for r in server.received)
    assert wecom == {"msgtype": "markdown", "markdown": {
        "content": "**新任务：回访重点客户**\n请本周内完成。\n第二行\n"
                   "[https://portal.example.com/tasks/7](https://portal.example.com/tasks/7)"}}
    assert ding["msgtype"] == "markdown" and ding["markdown"]["title"] == "新任务：回访重点客户"
    assert ding["markdown"]["text"].startswith("#### 新任务：回访重点客户\n\n请本周内完成。")
    assert feishu["msg_type"] == "post"
    post = feishu["content"]["post"]["zh_cn"]
    assert post["title"] == "新任务：回访重点客户"
    assert post["content"][-1] == [{"tag": "a", "text": "https://portal.example.com/tasks/7",
                                    "href": "https://portal.example.com/tasks/7"}]
    assert server.received[0]["headers"]["Content-Type"].startswith("application/json")


def test_dingtalk_signature_matches_a_hand_computed_hmac(world, server, make_robot):
    secret = "SEC0123456789abcdef"
    # The documented recipe, by hand: HMAC-SHA256 keyed with the secret over "timestamp\nsecret", base64.
    expected = base64.b64encode(hmac.new(secret.encode(), f"1700000000000\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert unquote(services.dingtalk_sign(secret, 1700000000000)) == expected
    assert "+" not in services.dingtalk_sign(secret, 1700000000000).replace("%2B", "")
    make_robot("dingtalk", secret=secret)
    _post(world.team_a)
    services.send_due()
    query = server.received[0]["query"]
    ts = query["timestamp"][0]
    assert query["access_token"] == ["t0k"]
    assert abs(int(ts) - time.time() * 1000) < 60_000  # milliseconds, fresh
    by_hand = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert query["sign"] == [by_hand.decode()]  # parse_qs undid the URL encoding


def test_feishu_signature_in_the_body(world, server, make_robot):
    secret = "feishu-secret"
    make_robot("feishu", secret=secret)
    _post(world.team_a)
    services.send_due()
    body = server.received[0]["json"]
    ts = body["timestamp"]
    assert abs(int(ts) - time.time()) < 60  # seconds
    by_hand = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == by_hand


def test_post_event_reaches_team_and_company_robots_only(world, make_robot):
    mine = make_robot("wecom")
    company = make_robot("dingtalk", company=True)
    make_robot("feishu", team=world.team_b)
    make_robot("wecom", events=("appraisal_published",))
    make_robot("wecom", active=False)
    rows = _post(world.team_a)
    assert sorted(r.robot_id for r in rows) == sorted([mine.id, company.id])
    assert [r.robot_id for r in _post(world.team_b, "contract_approved")] == []


def test_queued_rows_follow_the_transaction(world, make_robot):
    make_robot("wecom")
    services.post_event("task_assigned_team", world.team_a.id, "t", "x")
    db.session.rollback()
    assert db.session.scalar(select(func.count(RobotOutbox.id))) == 0


def test_backoff_schedule(app):
    assert [services.backoff(n) for n in (1, 2, 3, 4, 5)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    app.config["ROBOT_BACKOFF_MINUTES"] = 3
    assert services.backoff(3) == timedelta(minutes=12)


def test_failures_retry_with_backoff_then_succeed(world, server, make_robot):
    server.replies = [(500, "oops"), (200, {"errcode": 310000, "errmsg": "sign not match"})]
    make_robot("dingtalk")
    (row,) = _post(world.team_a)
    before = utcnow()
    assert services.send_due() == {"sent": 0, "failed": 1, "skipped": 0}
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "queued" and row.attempts == 1 and row.last_status == 500
    assert timedelta(seconds=55) < row.next_attempt_at - before < timedelta(seconds=65)
    assert services.send_due() == {"sent": 0, "failed": 0, "skipped": 0}  # not due yet: nothing sent
    assert len(server.received) == 1
    _make_due([row.id])
    before = utcnow()
    services.send_due()
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "queued" and row.attempts == 2 and row.last_error == "platform error"
    assert timedelta(seconds=115) < row.next_attempt_at - before < timedelta(seconds=125)
    _make_due([row.id])
    assert services.send_due()["sent"] == 1
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "sent" and row.attempts == 3 and row.sent_at is not None
    attempts = list(db.session.scalars(select(RobotDelivery).where(RobotDelivery.outbox_id == row.id)
                                       .order_by(RobotDelivery.attempt)))
    assert [(d.attempt, d.ok, d.http_status) for d in attempts] == [(1, False, 500), (2, False, 200), (3, True, 200)]
    assert "sign not match" in attempts[1].response


def test_gives_up_after_max_attempts(app, world, server, make_robot):
    app.config["ROBOT_MAX_ATTEMPTS"] = 2
    server.default = (200, {"code": 19021, "msg": "sign match fail"})  # Feishu's error shape
    make_robot("feishu")
    (row,) = _post(world.team_a)
    services.send_due()
    _make_due([row.id])
    services.send_due()
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "failed" and row.attempts == 2 and row.next_attempt_at is None
    _make_due([row.id])  # a failed row is never picked up again
    assert services.send_due() == {"sent": 0, "failed": 0, "skipped": 0}


@pytest.mark.parametrize("body,ok", [({"errcode": 0, "errmsg": "ok"}, True), ({"errcode": 93000}, False),
                                     ({"code": 0, "msg": "success"}, True), ({"code": 9499}, False),
                                     ({"StatusCode": 0}, True), ("not json", True), ([1], True)])
def test_platform_error_codes(body, ok):
    import json

    assert services.platform_accepted(body if isinstance(body, str) else json.dumps(body)) is ok


def test_redirects_are_not_followed(world, server, make_robot):
    server.replies = [(302, "")]
    make_robot("wecom")
    _post(world.team_a)
    assert services.send_due()["failed"] == 1
    assert [r["path"] for r in server.received] == ["/robot/send"]


def test_times_out_fast(app, world, server, make_robot):
    app.config["ROBOT_TIMEOUT"] = 0.3
    server.delay = 1.5
    make_robot("wecom")
    (row,) = _post(world.team_a)
    started = time.monotonic()
    assert services.send_due()["failed"] == 1
    assert time.monotonic() - started < 1.2
    assert "timed out" in db.session.get(RobotOutbox, row.id).last_error


def test_unreachable_robot_is_a_failed_attempt(world, make_robot):
    make_robot("wecom", url="http://127.0.0.1:9/robot")
    (row,) = _post(world.team_a)
    assert services.send_due()["failed"] == 1
    row = db.session.get(RobotOutbox, row.id)
    assert row.status == "queued" and row.last_status is None and row.last_error


def test_worker_is_idempotent_and_claims_atomically(world, server, make_robot):
    make_robot("wecom")
    (row,) = _post(world.team_a)
    token = services.claim(row.id)
    assert token and services.claim(row.id) is None  # a second worker cannot take it
    assert services.send_due() == {"sent": 0, "failed": 0, "skipped": 0}  # claimed rows are not due
    # A claim left by a crashed worker is taken over once it is stale.
    stale = db.session.get(RobotOutbox, row.id, populate_existing=True)
    stale.claimed_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert services.send_due()["sent"] == 1
    assert services.send_due() == {"sent": 0, "failed": 0, "skipped": 0}
    assert len(server.received) == 1


def test_two_workers_never_send_the_same_message(app, world, server, make_robot):
    server.delay = 0.02
    make_robot("wecom")
    for _ in range(12):
        services.post_event("task_assigned_team", world.team_a.id, "t", "x")
    db.session.commit()
    results = []

    def worker():
        with app.app_context():
            results.append(services.send_due())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r["sent"] for r in results) == 12
    assert len(server.received) == 12
    assert db.session.scalar(select(func.count(RobotDelivery.id))) == 12


def test_cli_command_sends_what_is_due(app, world, server, make_robot):
    make_robot("wecom")
    _post(world.team_a)
    _post(world.team_a)
    result = app.test_cli_runner().invoke(args=["send-robots"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 failed" in result.output
    again = app.test_cli_runner().invoke(args=["send-robots"])
    assert "0 sent, 0 failed" in again.output
    assert len(server.received) == 2


def test_url_rules(app, world, server):
    with app.test_request_context():
        for url in ("ftp://127.0.0.1/x", "javascript:alert(1)", "https://evil.example.com/hook",
                    "http://user:pw@127.0.0.1/x", ""):
            with pytest.raises(ServiceError) as err:
                services.check_url(url)
            assert err.value.field == "url"
        assert services.check_url("https://oapi.dingtalk.com/robot/send?access_token=x")
        assert services.check_url(server.url())
        app.config["ROBOT_ALLOWED_HOSTS"] = services.DEFAULT_ALLOWED_HOSTS
        with pytest.raises(ServiceError):
            services.check_url(server.url())
        with pytest.raises(ServiceError) as err:
            services.save_robot(world.director_a, None, team_id=world.team_a.id, name="x", platform="wecom",
                                url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", secret="s",
                                events=["task_assigned_team"])
        assert err.value.field == "secret"


def test_registry_lets_features_add_events():
    services.register_event("demo_event_for_test", "Demo")
    try:
        assert "demo_event_for_test" in services.EVENTS
    finally:
        services.EVENTS.pop("demo_event_for_test")
