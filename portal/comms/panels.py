"""Home-page panels: a rep's tasks and due work; a director's team; the GM's escalations and reports."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..authz import managed_team_ids
from ..core.db import db
from ..core.periods import local_today
from ..ui import Panel, register_panel
from . import queries as q
from .models import DirectorReport, Task, TaskAssignment, Thread, WorkPlan, WorkReport
from .schedule import current_slot, previous_slot, rules_for


def _my_tasks(user):
    parts = list(db.session.scalars(
        select(TaskAssignment).join(Task, Task.id == TaskAssignment.task_id)
        .options(joinedload(TaskAssignment.task))
        .where(TaskAssignment.assignee_id == user.id, TaskAssignment.status.in_(("open", "in_progress")))
        .order_by(Task.due_on).limit(8)))
    return {"parts": parts, "today": local_today()}


def _my_work(user):
    rules = rules_for(user.team_id)
    slot = current_slot(rules)
    slots = [slot] + [s for s in [previous_slot(rules, slot)] if s]
    starts = [s.start for s in slots]
    plans = {p.period_start: p for p in db.session.scalars(select(WorkPlan).where(
        WorkPlan.owner_id == user.id, WorkPlan.period_start.in_(starts)))}
    reports = {r.period_start: r for r in db.session.scalars(select(WorkReport).where(
        WorkReport.owner_id == user.id, WorkReport.period_start.in_(starts)))}
    return {"slots": slots, "plans": plans, "reports": reports, "rules": rules}


def _team_progress(user):
    tasks = list(db.session.scalars(select(Task).where(Task.assigner_id == user.id)
                                    .order_by(Task.due_on.desc(), Task.id.desc()).limit(6)))
    return {"tasks": tasks, "progress": q.task_progress(t.id for t in tasks), "today": local_today()}


def _missing(user):
    return {"missing": q.missing_work(managed_team_ids(user) or set())[:12]}


def _open_threads(user):
    teams = managed_team_ids(user) or set()
    threads = list(db.session.scalars(
        q.visible_threads(user).options(joinedload(Thread.author)).where(Thread.status == "open")
        .order_by(Thread.first_reply_at.is_not(None), Thread.created_at).limit(8)))
    return {"threads": threads, "stats": q.reply_stats(teams)}


def _escalations(user):
    threads = list(db.session.scalars(
        q.visible_threads(user).options(joinedload(Thread.author), joinedload(Thread.team))
        .where(Thread.status == "open").order_by(Thread.escalated_at.desc()).limit(8)))
    return {"threads": threads}


def _director_reports(user):
    reports = list(db.session.scalars(
        select(DirectorReport).options(joinedload(DirectorReport.author), joinedload(DirectorReport.team))
        .order_by(DirectorReport.gm_commented_at.is_not(None), DirectorReport.submitted_at.desc()).limit(6)))
    return {"reports": reports}


for panel in (
    Panel("comms.my_tasks", _l("My tasks"), frozenset({"rep", "director"}), "comms/_panel_my_tasks.html",
          _my_tasks, order=20, width=6),
    Panel("comms.my_work", _l("My plan and report"), frozenset({"rep"}), "comms/_panel_my_work.html",
          _my_work, order=21, width=6),
    Panel("comms.team_progress", _l("Team task progress"), frozenset({"director"}),
          "comms/_panel_team_progress.html", _team_progress, order=22, width=6),
    Panel("comms.missing", _l("Missing plans and reports"), frozenset({"director"}),
          "comms/_panel_missing.html", _missing, order=23, width=6),
    Panel("comms.open_threads", _l("Open threads"), frozenset({"director"}), "comms/_panel_open_threads.html",
          _open_threads, order=24, width=6),
    Panel("comms.escalations", _l("Escalations"), frozenset({"gm"}), "comms/_panel_escalations.html",
          _escalations, order=20, width=6),
    Panel("comms.director_reports", _l("Reports to the GM"), frozenset({"gm"}),
          "comms/_panel_director_reports.html", _director_reports, order=21, width=6),
):
    register_panel(panel)
