"""Chat robots: the event registry, managing robots, queueing messages and sending them.

``post_event`` only adds outbox rows to the current transaction. Sending happens after the commit
(a background thread started at the end of the request, see ``init_app``) or from
``flask --app portal send-robots`` (cron), which also retries failures with exponential back-off.
Each row is claimed with one conditional UPDATE, so two workers never send the same message.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote_plus, urlsplit

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from werkzeug.exceptions import Forbidden

from ..audit.services import record as audit
from ..authz import managed_team_ids
from ..core import settings
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.memo import request_memo
from .models import PLATFORMS, Robot, RobotDelivery, RobotOutbox

DEFAULT_ALLOWED_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn")
CONFIG_DEFAULTS = {
    "ROBOT_ALLOWED_HOSTS": DEFAULT_ALLOWED_HOSTS,  # hosts a webhook URL may point at
    "ROBOT_TIMEOUT": 5,  # seconds per HTTP attempt
    "ROBOT_MAX_ATTEMPTS": 6,  # then the message is marked failed
    "ROBOT_BACKOFF_MINUTES": 1,  # 1, 2, 4, 8 … minutes between attempts
    "ROBOT_CLAIM_TIMEOUT": 300,  # seconds after which a claim by a crashed worker is taken over
    "ROBOT_HTTP_PROXY": "",  # "" sends directly
    "ROBOT_BASE_URL": "",  # the portal's address for links in messages (else the request's host)
    "ROBOT_SEND_MODE": None,  # "thread" after each request; "off": cron only. None: thread, off in tests
}
BATCH = 100
EXCERPT = 500

PLATFORM_LABELS = {"wecom": _l("WeCom (企业微信)"), "dingtalk": _l("DingTalk (钉钉)"), "feishu": _l("Feishu (飞书)")}

# Event kinds robots can subscribe to; features add theirs with ``register_event``.
EVENTS: dict[str, object] = {}


def register_event(kind: str, label) -> None:
    EVENTS.setdefault(kind, label)


register_event("contract_approved", _l("A contract is approved"))
register_event("instalment_overdue", _l("An instalment is overdue"))
register_event("task_assigned_team", _l("A task is assigned to the team"))
register_event("difficulty_escalated", _l("A difficulty is escalated to the GM"))
register_event("appraisal_published", _l("Appraisal results are published"))


def config(key: str):
    return current_app.config.get(key, CONFIG_DEFAULTS[key])


# Who manages which robot --------------------------------------------------------------------------

def can_manage(user, robot_or_team_id) -> bool:
    """GM and admin manage every robot (company and teams); a director their own team's."""
    team_id = robot_or_team_id.team_id if isinstance(robot_or_team_id, Robot) else robot_or_team_id
    if not user.is_authenticated:
        return False
    if user.role in ("gm", "admin"):
        return True
    return user.role == "director" and team_id is not None and team_id in (managed_team_ids(user) or set())


def visible_robots(user):
    stmt = select(Robot)
    teams = managed_team_ids(user)
    if teams is None:
        return stmt
    return stmt.where(Robot.team_id.in_(teams or {-1}))


def check_url(url: str) -> str:
    """http(s) only, and only to the allowed hosts (the three platforms unless configured)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(_l("Enter the robot's webhook address, starting with https://."), "url")
    if parts.username or parts.password:
        raise ServiceError(_l("The address must not contain a user name or password."), "url")
    allowed = {h.lower() for h in config("ROBOT_ALLOWED_HOSTS")}
    if parts.hostname.lower() not in allowed:
        raise ServiceError(_l("Only these hosts are allowed: %(hosts)s", hosts=", ".join(sorted(allowed))), "url")
    return url


def save_robot(actor, robot: Robot | None, *, team_id: int | None, name: str, platform: str, url: str,
               secret: str | None, clear_secret: bool = False, events: list[str], active: bool = True) -> Robot:
    """Create or change a robot. A blank secret keeps the one stored (it is never shown again)."""
    if robot is not None and not can_manage(actor, robot):
        raise Forbidden()
    if not can_manage(actor, team_id):
        raise Forbidden()
    if platform not in PLATFORMS:
        raise ServiceError(_l("Choose a platform."), "platform")
    url = check_url(url)
    secret = (secret or "").strip() or None
    if secret and platform == "wecom":
        raise ServiceError(_l("WeCom robots do not sign requests: leave the secret empty."), "secret")
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise ServiceError(_l("Choose at least one event."), "events")
    if robot is None:
        robot = Robot(created_by_id=actor.id)
        db.session.add(robot)
    robot.team_id, robot.name, robot.platform, robot.url = team_id, name.strip(), platform, url
    if secret:
        robot.secret = secret
    elif clear_secret or platform == "wecom":
        robot.secret = None
    robot.events, robot.active = list(events), bool(active)
    db.session.flush()
    audit("robot_saved", obj=robot, actor=actor, summary=f"{platform} {urlsplit(url).hostname}")
    return robot


def delete_robot(actor, robot: Robot) -> None:
    if not can_manage(actor, robot):
        raise Forbidden()
    db.session.delete(robot)
    db.session.flush()


def masked_url(url: str) -> str:
    """The address with its token hidden, for lists and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path[:24]}{'…' if len(parts.path) > 24 or parts.query else ''}"


# Message formats ---------------------------------------------------------------------------------

def format_message(platform: str, title: str, text: str, url: str | None) -> dict:
    """The platform's documented JSON: markdown for WeCom and DingTalk, a rich-text post for Feishu."""
    if platform == "wecom":
        content = f"**{title}**\n{text}" + (f"\n[{url}]({url})" if url else "")
        return {"msgtype": "markdown", "markdown": {"content": content[:4000]}}
    if platform == "dingtalk":
        body = f"#### {title}\n\n{text}" + (f"\n\n[{url}]({url})" if url else "")
        return {"msgtype": "markdown", "markdown": {"title": title[:100], "text": body[:5000]}}
    lines = [[{"tag": "text", "text": line}] for line in text.splitlines() if line.strip()]
    if url:
        lines.append([{"tag": "a", "text": url, "href": url}])
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": lines}}}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", empty message))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_request(robot: Robot, body: dict, now: float | None = None) -> tuple[str, dict]:
    """The URL and body to post, signed now when the robot has a secret."""
    now = time.time() if now is None else now
    url, body = robot.url, dict(body)
    if robot.secret and robot.platform == "dingtalk":
        ts = int(now * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(robot.secret, ts)}"
    elif robot.secret and robot.platform == "feishu":
        ts = int(now)
        body["timestamp"], body["sign"] = str(ts), feishu_sign(robot.secret, ts)
    return url, body


# Queueing ----------------------------------------------------------------------------------------

def _absolute(link: str | None) -> str | None:
    if not link or link.startswith(("http://", "https://")):
        return link
    base = config("ROBOT_BASE_URL") or current_app.config.get("MAIL_BASE_URL") or (
        request.host_url if has_request_context() else "")
    return base.rstrip("/") + link if base else link


def _text(value) -> str:
    value = value() if callable(value) else value
    return str(value) if value is not None else ""


def post_event(kind: str, team_id: int | None, title, text, link: str | None = None) -> list[RobotOutbox]:
    """Queue a message for every active robot of the team and of the company that chose ``kind``.
    ``title``/``text`` may be lazy strings or callables: they are rendered in the company's language.
    Returns the outbox rows (added to the current transaction; sent after it commits)."""
    stmt = select(Robot).where(Robot.active.is_(True))
    stmt = stmt.where(or_(Robot.team_id.is_(None), Robot.team_id == team_id) if team_id else Robot.team_id.is_(None))
    robots = [r for r in db.session.scalars(stmt.order_by(Robot.id)) if kind in (r.events or [])]
    if not robots:
        return []
    with force_locale(settings.get("default_locale") or "zh_CN"):
        title_s, text_s = _text(title)[:200], _text(text)
    url = _absolute(link)
    rows = []
    for robot in robots:
        row = RobotOutbox(robot_id=robot.id, event=kind, title=title_s,
                          body=format_message(robot.platform, title_s, text_s, url),
                          status="queued", next_attempt_at=utcnow())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    request_memo().setdefault("robots.new", []).extend(r.id for r in rows)
    return rows


def send_test(actor, robot: Robot) -> RobotOutbox:
    """Queue a test message to one robot (whatever events it chose)."""
    if not can_manage(actor, robot):
        raise Forbidden()
    with force_locale(settings.get("default_locale") or "zh_CN"):
        title = str(_l("Test message from the sales portal"))
        text = str(_l("If you can read this, the robot is set up correctly."))
    row = RobotOutbox(robot_id=robot.id, event="test", title=title,
                      body=format_message(robot.platform, title, text, _absolute("/")),
                      status="queued", next_attempt_at=utcnow())
    db.session.add(row)
    db.session.flush()
    request_memo().setdefault("robots.new", []).append(row.id)
    return row


def retry_now(actor, row: RobotOutbox) -> None:
    """Make a waiting or given-up message due now (one more attempt; a sent one stays sent)."""
    if not can_manage(actor, row.robot):
        raise Forbidden()
    if row.status in ("queued", "failed"):
        row.status, row.next_attempt_at = "queued", utcnow()
        db.session.flush()
        request_memo().setdefault("robots.new", []).append(row.id)


# Sending -----------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook never redirects; following one could lead the server to an internal address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener():
    proxy = config("ROBOT_HTTP_PROXY")
    proxies = {"http": proxy, "https": proxy} if proxy else {}
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _NoRedirect)


def platform_accepted(text: str | None) -> bool:
    """WeCom and DingTalk answer {"errcode": 0}, Feishu {"code": 0} (older: {"StatusCode": 0})."""
    try:
        data = json.loads(text or "")
    except ValueError:
        return True  # not JSON: the HTTP status decides
    if not isinstance(data, dict):
        return True
    for key in ("errcode", "code", "StatusCode"):
        if key in data and data[key] not in (0, "0"):
            return False
    return True


def deliver(robot: Robot, body: dict) -> tuple[bool, int | None, str | None, str | None]:
    """Post once: (accepted, HTTP status, response excerpt, error)."""
    url, payload = signed_request(robot, body)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - http(s) checked on save
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with _opener().open(req, timeout=config("ROBOT_TIMEOUT")) as resp:
            status, text = resp.status, resp.read(8192).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(8192).decode("utf-8", "replace") if exc.fp else ""
        finally:
            exc.close()
        return False, exc.code, text[:EXCERPT], f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, None, f"{type(exc).__name__}: {reason}"[:EXCERPT]
    if not 200 <= status < 300:
        return False, status, text[:EXCERPT], f"HTTP {status}"
    if not platform_accepted(text):
        return False, status, text[:EXCERPT], "platform error"
    return True, status, text[:EXCERPT], None


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 1, 2, 4, 8 … times ROBOT_BACKOFF_MINUTES."""
    return timedelta(minutes=config("ROBOT_BACKOFF_MINUTES") * 2 ** max(attempts - 1, 0))


def _next_state(attempts: int, ok: bool) -> dict:
    """Where a row goes after its n-th attempt: sent, queued again after the back-off, or failed."""
    if ok:
        return {"status": "sent", "sent_at": utcnow(), "next_attempt_at": None}
    if attempts >= config("ROBOT_MAX_ATTEMPTS"):
        return {"status": "failed", "next_attempt_at": None}
    return {"status": "queued", "next_attempt_at": utcnow() + backoff(attempts)}


def _timed_deliver(robot, body) -> tuple[bool, int | None, str | None, str | None, int]:
    started = time.monotonic()
    ok, status, text, error = deliver(robot, body)
    return ok, status, text, error, int((time.monotonic() - started) * 1000)


def attempt(row: RobotOutbox) -> bool:
    """Send one row now and record the attempt in the session (no commit): for the demo seeder."""
    ok, status, text, error, ms = _timed_deliver(row.robot, row.body)
    row.attempts += 1
    row.deliveries.append(RobotDelivery(attempt=row.attempts, ok=ok, http_status=status, response=text,
                                        error=error, duration_ms=ms))
    row.last_status, row.last_error = status, error
    row.claim_token = row.claimed_at = None
    for key, value in _next_state(row.attempts, ok).items():
        setattr(row, key, value)
    db.session.flush()
    return ok


def _due_condition(now):
    stale = now - timedelta(seconds=config("ROBOT_CLAIM_TIMEOUT"))
    return or_(and_(RobotOutbox.status == "queued", RobotOutbox.next_attempt_at <= now),
               and_(RobotOutbox.status == "sending", RobotOutbox.claimed_at < stale))


def claim(outbox_id: int) -> str | None:
    """Take one due row for this worker with a single conditional UPDATE (committed at once);
    returns the claim token, or None when another worker has it or it is not due."""
    now, token = utcnow(), secrets.token_hex(8)
    result = db.session.execute(
        update(RobotOutbox).where(RobotOutbox.id == outbox_id, _due_condition(now))
        .values(status="sending", claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if result.rowcount == 1 else None


def send_due(ids: list[int] | None = None, limit: int = BATCH) -> dict:
    """Send the rows that are due (only ``ids`` when given). Commits after each row. Returns counts."""
    now = utcnow()
    stmt = select(RobotOutbox.id).where(_due_condition(now)).order_by(RobotOutbox.next_attempt_at,
                                                                      RobotOutbox.id).limit(limit)
    if ids is not None:
        if not ids:
            return {"sent": 0, "failed": 0, "skipped": 0}
        stmt = stmt.where(RobotOutbox.id.in_(ids))
    due = list(db.session.scalars(stmt))
    db.session.commit()  # end the read: each claim is its own short write transaction
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for outbox_id in due:
        token = claim(outbox_id)
        if token is None:
            counts["skipped"] += 1
            continue
        row = db.session.get(RobotOutbox, outbox_id, populate_existing=True)
        if row is None or row.claim_token != token:
            db.session.rollback()
            counts["skipped"] += 1
            continue
        robot = SimpleNamespace(url=row.robot.url, platform=row.robot.platform, secret=row.robot.secret)
        body, attempts = row.body, row.attempts + 1
        db.session.commit()  # no transaction stays open across the network call
        ok, status, text, error, ms = _timed_deliver(robot, body)
        # The first statement writes (and checks the claim is still ours), so SQLite never has to
        # upgrade a read transaction to a write one, which fails at once under concurrency.
        result = db.session.execute(
            update(RobotOutbox).where(RobotOutbox.id == outbox_id, RobotOutbox.claim_token == token)
            .values(attempts=attempts, last_status=status, last_error=error, claim_token=None, claimed_at=None,
                    **_next_state(attempts, ok))
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            db.session.add(RobotDelivery(outbox_id=outbox_id, attempt=attempts, ok=ok, http_status=status,
                                         response=text, error=error, duration_ms=ms))
        db.session.commit()
        counts["sent" if ok else "failed"] += 1
    return counts


def send_mode() -> str:
    mode = config("ROBOT_SEND_MODE")
    if mode is None:
        return "off" if current_app.testing else "thread"
    return mode


def after_request_hook(callback: Callable[[list[int]], None]):
    """The teardown function: hands the ids queued by a committed request to ``callback``."""

    def hand_over(exc):
        ids = request_memo().pop("robots.new", None)
        if exc is None and ids:
            callback(ids)

    return hand_over
