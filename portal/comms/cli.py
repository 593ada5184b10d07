"""``flask --app portal remind-reports``: run from cron; tells reps what is due and directors what is missing."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.db import db, utcnow
from ..core.periods import to_local
from ..notifications.models import Notification
from ..notifications.services import notify
from ..people.models import Team
from . import queries as q

# A "due soon" reminder goes out this many hours before the due time.
REMIND_HOURS = 24


def remind(now=None) -> int:
    """Create the "due soon" and "missing" notifications not sent yet; returns how many were made.

    Idempotent: a notification with the same person, kind and link is never made twice.
    """
    now = now or utcnow()
    made = 0
    teams = list(db.session.scalars(select(Team)))
    existing = set(db.session.execute(select(Notification.user_id, Notification.kind, Notification.link).where(
        Notification.kind.in_(("report_due", "report_missing")))).all())

    def once(user, kind, link, title):
        nonlocal made
        if user is None or (user.id, kind, link) in existing:
            return
        existing.add((user.id, kind, link))
        made += len(notify([user], kind, title, link=link))

    # Due soon: the rep's current slot, plan or report not yet filed.
    filed = q.missing_work([t.id for t in teams], now=now + timedelta(hours=REMIND_HOURS))
    for row in filed:
        rep, slot, what = row["rep"], row["slot"], row["what"]
        due = slot.plan_due if what == "plan" else slot.report_due
        endpoint = "comms.plan_edit" if what == "plan" else "comms.report_new"
        link = url_for(endpoint, slot=slot.key)
        when = to_local(due).strftime("%Y-%m-%d %H:%M")
        if due > now:
            if what == "plan":
                once(rep, "report_due", link, lambda when=when: _("Your work plan is due at %(when)s", when=when))
            else:
                once(rep, "report_due", link, lambda when=when: _("Your work report is due at %(when)s", when=when))
        else:
            director = q.director_of(rep.team_id)
            if what == "plan":
                title = lambda when=when: _("Work plan missing (due %(when)s)", when=when)  # noqa: E731
                boss_title = lambda r=rep, when=when: _("%(name)s has not filed the work plan due %(when)s",  # noqa: E731
                                                        name=r.display_name, when=when)
            else:
                title = lambda when=when: _("Work report missing (due %(when)s)", when=when)  # noqa: E731
                boss_title = lambda r=rep, when=when: _("%(name)s has not filed the work report due %(when)s",  # noqa: E731
                                                        name=r.display_name, when=when)
            once(rep, "report_missing", link, title)
            once(director, "report_missing", url_for("comms.work", rep=rep.id, slot=slot.key), boss_title)
    return made


def init_app(app: Flask) -> None:
    @app.cli.command("remind-reports")
    def remind_reports_command():
        """Notify reps of plans/reports due within a day and directors of missing ones (for cron)."""
        with current_app.test_request_context("/"):
            made = remind()
            db.session.commit()
        click.echo(f"{made} notification(s) created")


