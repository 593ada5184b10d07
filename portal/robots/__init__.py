"""Chat robots (群机器人): WeCom, DingTalk and Feishu group webhooks that hear about chosen events.

Integration API (``from portal.robots import services as robots``):

``robots.post_event(kind, team_id, title, text, link=None) -> list[RobotOutbox]``
    Queue the message for every active robot of team ``team_id`` and every company robot that chose
    ``kind``, in the current transaction (nothing is sent if it rolls back). ``title``/``text`` may be
    lazy strings or callables (rendered in the company's language); ``link`` a path on this site.
    Never raises because a robot is down: sending happens after the commit. Called from a command
    (a cron job finding overdue instalments, say), the rows wait for ``send-robots``; or call
    ``robots.send_due([row.id for row in rows])`` after your commit. Set ROBOT_BASE_URL in production
    so links in messages are absolute outside requests.
``robots.register_event(kind, label)``
    Add an event kind robots can choose (call it at import time of your package). Built in:
    contract_approved, instalment_overdue, task_assigned_team, difficulty_escalated, appraisal_published.

Sending: after the request commits, a background thread sends the new rows (ROBOT_SEND_MODE
"thread"; it is "off" under TESTING). ``flask --app portal send-robots`` (cron, every minute) sends
whatever is due and retries failures after 1, 2, 4, 8 … minutes up to ROBOT_MAX_ATTEMPTS.
Settings: ROBOT_ALLOWED_HOSTS, ROBOT_TIMEOUT, ROBOT_MAX_ATTEMPTS, ROBOT_BACKOFF_MINUTES,
ROBOT_HTTP_PROXY, ROBOT_BASE_URL, ROBOT_SEND_MODE (see ``services.CONFIG_DEFAULTS``).
"""
import threading

from flask import Blueprint

bp = Blueprint("robots", __name__, url_prefix="/robots")

_THREADS: list[threading.Thread] = []  # the last senders started, so tests can wait for them


def _send_in_background(app, ids: list[int]) -> None:
    from ..core.db import db
    from . import services

    def run():
        with app.app_context():
            try:
                services.send_due(ids)
            except Exception:  # noqa: BLE001 - the cron worker retries whatever is left
                app.logger.exception("sending robot messages failed")
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="robots-send", daemon=True)
    thread.start()
    _THREADS[:] = [t for t in _THREADS if t.is_alive()] + [thread]


def init_app(app):
    import click
    from flask import current_app
    from flask_babel import lazy_gettext as _l

    from ..core.db import db
    from ..ui import register_nav
    from . import demo, services  # noqa: F401 - registers demo data

    for key, value in services.CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    register_nav("robots.index", _l("Chat robots"), {"director", "gm", "admin"}, order=88)

    def hand_over(ids):
        mode = services.send_mode()
        if mode == "thread":
            # The request has committed; end whatever a later hook began (on SQLite a POST's
            # transaction holds the write lock) so the sender does not wait for this one to close.
            db.session.rollback()
            _send_in_background(current_app._get_current_object(), ids)
        elif mode == "inline":  # tests and single-process setups that accept the wait
            try:
                services.send_due(ids)
            except Exception:  # noqa: BLE001 - never let a robot break the page
                current_app.logger.exception("sending robot messages failed")
                db.session.rollback()

    app.teardown_request(services.after_request_hook(hand_over))

    @app.cli.command("send-robots")
    @click.option("--limit", default=1000, show_default=True, help="At most this many messages per run.")
    def send_robots(limit):
        """Send queued chat-robot messages that are due and retry failed ones (run from cron)."""
        totals = {"sent": 0, "failed": 0, "skipped": 0}
        while limit > 0:
            counts = services.send_due(limit=min(limit, services.BATCH))
            for key in totals:
                totals[key] += counts[key]
            handled = sum(counts.values())
            limit -= handled
            if handled < services.BATCH:
                break
        click.echo(f"{totals['sent']} sent, {totals['failed']} failed (will retry or gave up), "
                   f"{totals['skipped']} taken by another worker")


from . import views  # noqa: E402,F401
