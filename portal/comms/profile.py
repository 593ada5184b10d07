"""The communication part of a rep's performance archive: punctuality by month, summaries, tasks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..core.db import db
from ..core.periods import Period
from ..people.profile import ProfileSection, register_profile_section
from .models import SalesSummary, TaskAssignment
from .queries import completion_rates_by_period

MONTHS = 3  # months of punctuality shown (one set of queries for all of them)


def archive_context(viewer, person):
    if person.role != "rep":
        return None
    periods = [Period.current("month")]
    while len(periods) < MONTHS:
        periods.append(periods[-1].previous())
    rates = completion_rates_by_period([person.id], periods)
    months = [(p, rates[p].get(person.id, {})) for p in periods]
    summaries = db.session.scalars(select(SalesSummary).where(SalesSummary.owner_id == person.id)
                                   .order_by(SalesSummary.submitted_at.desc()).limit(6)).all()
    done = func.sum(case((TaskAssignment.status == "done", 1), else_=0))
    parts, finished = db.session.execute(select(func.count(TaskAssignment.id), done)
                                         .where(TaskAssignment.assignee_id == person.id)).one()
    return {"months": months, "summaries": summaries, "parts": parts or 0, "finished": int(finished or 0)}


register_profile_section(ProfileSection("comms.punctuality", _l("Work plans, reports, summaries and tasks"),
                                        "comms/_profile.html", archive_context, order=30))
