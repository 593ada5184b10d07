"""Home-page panels: the rep's "My day" and the director's team follow-ups and requests."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload

from ..authz import managed_team_ids
from ..core import settings
from ..core.db import db, utcnow
from ..core.periods import local_today
from ..ui import Panel, register_panel
from .models import Activity, Customer, ResourceRequest
from .services import STALE_KEY

PANEL_ROWS = 8


def _open_follow_ups(stmt, today):
    # "= false", not "IS false": PostgreSQL uses the (team, done, due) index only for the former.
    return stmt.where(Activity.follow_up_done == false(), Activity.follow_up_on.is_not(None),
                      Activity.follow_up_on <= today)


def my_day(user) -> dict:
    """Follow-ups due today and overdue, requests waiting for the rep's answer, customers gone quiet."""
    today = local_today()
    follow_ups = list(db.session.scalars(
        _open_follow_ups(select(Activity).where(Activity.owner_id == user.id), today)
        .options(joinedload(Activity.customer)).order_by(Activity.follow_up_on, Activity.id).limit(PANEL_ROWS)))
    n_follow_ups = db.session.scalar(_open_follow_ups(
        select(func.count()).select_from(Activity).where(Activity.owner_id == user.id), today))
    requests = list(db.session.scalars(
        select(ResourceRequest).where(ResourceRequest.assignee_id == user.id, ResourceRequest.answered_at.is_(None))
        .options(joinedload(ResourceRequest.customer)).order_by(ResourceRequest.due_at).limit(PANEL_ROWS)))
    stale_days = int(settings.get(STALE_KEY) or 30)
    cutoff = utcnow() - timedelta(days=stale_days)
    stale = list(db.session.scalars(
        select(Customer).where(Customer.owner_id == user.id, Customer.status != "lost",
                               or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < cutoff))
        .order_by(Customer.last_contact_at.asc().nulls_first(), Customer.id).limit(PANEL_ROWS)))
    return {"today": today, "follow_ups": follow_ups, "n_follow_ups": n_follow_ups, "requests": requests,
            "stale": stale, "stale_days": stale_days, "now": utcnow()}


def team_watch(user) -> dict:
    """The director's teams: overdue follow-ups and unanswered requests, oldest first."""
    teams = managed_team_ids(user) or {-1}
    today = local_today()
    overdue_stmt = select(Activity).where(Activity.team_id.in_(teams), Activity.follow_up_done == false(),
                                          Activity.follow_up_on < today)
    overdue = list(db.session.scalars(overdue_stmt.options(joinedload(Activity.customer), joinedload(Activity.owner))
                                      .order_by(Activity.follow_up_on, Activity.id).limit(PANEL_ROWS)))
    # count(*), not count(id): PostgreSQL misjudges how many follow-ups are open (most rows have none) and
    # would read 45,000 team rows for a count(id); count(*) is answered from the partial index alone.
    n_overdue = db.session.scalar(overdue_stmt.with_only_columns(func.count()))
    req_stmt = select(ResourceRequest).where(ResourceRequest.team_id.in_(teams), ResourceRequest.answered_at.is_(None))
    unanswered = list(db.session.scalars(req_stmt.options(joinedload(ResourceRequest.customer),
                                                          joinedload(ResourceRequest.assignee))
                                         .order_by(ResourceRequest.due_at).limit(PANEL_ROWS)))
    n_unanswered = db.session.scalar(req_stmt.with_only_columns(func.count(ResourceRequest.id)))
    return {"overdue": overdue, "n_overdue": n_overdue, "unanswered": unanswered, "n_unanswered": n_unanswered,
            "now": utcnow(), "today": today}


register_panel(Panel("customers.my_day", _l("My day"), frozenset({"rep"}), "customers/_panel_my_day.html",
                     my_day, order=10, width=8))
register_panel(Panel("customers.team_watch", _l("Team follow-ups and requests"), frozenset({"director"}),
                     "customers/_panel_team.html", team_watch, order=20, width=8))
