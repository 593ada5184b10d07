"""E-mail copies of notifications, against a local SMTP server (aiosmtpd)."""
from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from conftest import sign_in
from sqlalchemy import select

from portal.core.db import db
from portal.notifications.models import Notification
from portal.notifications.services import notify


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    port, _ = smtp
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="portal@example.com",
                    MAIL_BASE_URL="https://portal.example.com")


def test_off_by_default(client, world, smtp):
    _, handler = smtp
    sign_in(client, world.rep_a)
    client.post("/comms/threads/new", data={"kind": "question", "subject": "Price list?", "body": "Where?",
                                            "token": "m0"})
    assert handler.messages == []
    assert db.session.scalar(select(Notification.emailed_at)) is None


def test_sent_after_commit_of_the_request(mail_app, world, smtp):
    _, handler = smtp
    world.director_a.email = "director@example.com"
    db.session.commit()
    client = mail_app.test_client()
    with mail_app.app_context():
        sign_in(client, world.rep_a)
        resp = client.post("/comms/threads/new", data={"kind": "difficulty", "subject": "Credit terms",
                                                       "body": "Customer wants 120 days", "token": "m1"})
        assert resp.status_code == 302
        assert len(handler.messages) == 1
        rcpts, msg = handler.messages[0]
        assert rcpts == ["director@example.com"]
        assert "Credit terms" in msg["Subject"]
        assert "https://portal.example.com/comms/threads/" in msg.get_content()
        assert db.session.scalar(select(Notification.emailed_at)) is not None


def test_failed_request_sends_nothing(mail_app, world, smtp):
    _, handler = smtp
    world.director_a.email = "director@example.com"
    db.session.commit()
    with mail_app.app_context():
        from flask import abort

        from portal.authz import SIGNED_IN, policy

        @policy(SIGNED_IN)
        def fails():
            notify([world.director_a], "x", "Never sent")
            abort(400)

        mail_app.add_url_rule("/fails", "fails", fails, methods=["POST"])
        client = mail_app.test_client()
        sign_in(client, world.rep_a)
        assert client.post("/fails").status_code == 400
    assert handler.messages == []
    assert db.session.scalar(select(Notification)) is None


def test_command_sends_pending_once(mail_app, world, smtp):
    _, handler = smtp
    world.rep_a.email = "rep@example.com"
    world.rep_a2.email = None
    db.session.commit()
    with mail_app.app_context():
        notify([world.rep_a, world.rep_a2], "x", "Report due Friday 18:00", link="/comms/work")
        db.session.commit()
        runner = mail_app.test_cli_runner()
        result = runner.invoke(args=["send-notification-mail"])
        assert result.exit_code == 0 and result.output.startswith("1 ")
        again = runner.invoke(args=["send-notification-mail"])
        assert again.output.startswith("0 ")
    assert [r for r, _ in handler.messages] == [["rep@example.com"]]


def test_command_without_server(runner):
    assert "not set" in runner.invoke(args=["send-notification-mail"]).output


def test_smtp_down_keeps_the_request_and_leaves_mail_for_the_command(make_app, world):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    world.director_a.email = "director@example.com"
    db.session.commit()
    client = app.test_client()
    with app.app_context():
        sign_in(client, world.rep_a)
        resp = client.post("/comms/threads/new", data={"kind": "question", "subject": "Down?", "body": "x",
                                                       "token": "m3"})
        assert resp.status_code == 302
        note = db.session.scalar(select(Notification))
        assert note is not None and note.emailed_at is None
