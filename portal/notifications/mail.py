"""E-mail copies of notifications, when MAIL_SERVER is set (off by default).

Sent after the request's commit (a teardown hook: the rows exist by then, and a rolled-back
request left none to send), or by ``flask --app portal send-notification-mail`` from cron, which
also retries what failed. A sent notification gets ``emailed_at``, so nothing goes out twice.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import click
from flask import Flask, current_app, has_request_context, request
from sqlalchemy import select

from ..core.db import db, utcnow
from ..core.memo import request_memo
from ..people.models import User
from .models import Notification

BATCH = 200


def enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _base_url() -> str:
    base = current_app.config.get("MAIL_BASE_URL") or (request.host_url if has_request_context() else "")
    return base.rstrip("/")


def _message(note: Notification, user: User) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = note.title
    msg["From"] = current_app.config.get("MAIL_FROM", "portal@localhost")
    msg["To"] = user.email
    lines = [note.title]
    if note.body:
        lines += ["", note.body]
    if note.link:
        lines += ["", _base_url() + note.link]
    msg.set_content("\n".join(lines))
    return msg


def send_pending(ids: list[int] | None = None) -> int:
    """E-mail notifications not e-mailed yet (only ``ids`` when given); returns how many were sent.
    Commits its own marks: it runs after the request's transaction or from the command line."""
    if not enabled():
        return 0
    stmt = (select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None), User.email.is_not(None), User.email != "",
                   User.active.is_(True))
            .order_by(Notification.id).limit(BATCH))
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(Notification.id.in_(ids))
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0
    cfg = current_app.config
    sent = 0
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
        for note, user in rows:
            smtp.send_message(_message(note, user))
            note.emailed_at = utcnow()
            sent += 1
    db.session.commit()
    return sent


def init_app(app: Flask) -> None:
    @app.teardown_request
    def mail_after_commit(exc):
        ids = request_memo().pop("notifications.new", None)
        if exc is not None or not ids or not enabled():
            return
        try:
            send_pending(ids)
        except (OSError, smtplib.SMTPException):
            # The command (cron) retries whatever is left without emailed_at.
            current_app.logger.exception("sending notification e-mail failed")
            db.session.rollback()

    @app.cli.command("send-notification-mail")
    def send_notification_mail():
        """E-mail every notification not e-mailed yet (when MAIL_SERVER is set)."""
        if not enabled():
            click.echo("MAIL_SERVER is not set: nothing sent")
            return
        total = 0
        while True:
            sent = send_pending()
            total += sent
            if sent < BATCH:
                break
        click.echo(f"{total} e-mail(s) sent")
