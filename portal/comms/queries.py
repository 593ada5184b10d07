"""Read side of comms: who sees what (named predicates and scoping queries) and the figures
other features read (appraisal item 11 calls ``completion_rates``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, exists, false, func, literal, or_, select, union_all

from ..authz import managed_team_ids, scope_query
from ..authz.scopes import headed_team_ids
from ..core.db import db, utcnow
from ..core.memo import request_memo
from ..core.periods import Period, local_today, to_local
from ..people.models import Team, User
from .models import (
    DirectorReport,
    SalesSummary,
    Task,
    TaskAssignment,
    Thread,
    ThreadMessage,
    ThreadRead,
    WorkPlan,
    WorkReport,
)
from .schedule import rules_for, slots_between

DONE = ("done", "accepted")


# Tasks: the assigner, the assignees and those above them ----------------------------------------

def _teams(user) -> set[int] | None:
    return managed_team_ids(user)


def can_see_task(user, task: Task) -> bool:
    if not user.is_authenticated or user.role == "admin":
        return False
    if user.role == "gm" or task.assigner_id == user.id:
        return True
    if any(p.assignee_id == user.id for p in task.parts):
        return True
    if user.role == "director":
        teams = _teams(user) or set()
        return task.team_id in teams or any(p.team_id in teams for p in task.parts)
    return False


def can_see_progress(user, task: Task) -> bool:
    """The per-assignee table: the assigner and those above (not fellow assignees)."""
    if not user.is_authenticated or user.role not in ("gm", "director"):
        return False
    if user.role == "gm" or task.assigner_id == user.id:
        return True
    return task.team_id in (_teams(user) or set())


def can_review_part(user, part: TaskAssignment) -> bool:
    """Only the assigner accepts a part or sends it back."""
    return user.is_authenticated and part.task.assigner_id == user.id and part.status == "done"


def can_work_on_part(user, part: TaskAssignment) -> bool:
    return user.is_authenticated and part.assignee_id == user.id and part.status in ("open", "in_progress")


def can_break_down(user, task: Task) -> bool:
    """A director who holds a part of a task (from the GM) may split it into rep tasks."""
    return (user.is_authenticated and user.role == "director"
            and any(p.assignee_id == user.id for p in task.parts))


def visible_tasks(user):
    """Tasks a user may see, as a select to filter and paginate."""
    stmt = select(Task)
    if not user.is_authenticated or user.role == "admin":
        return stmt.where(false())
    if user.role == "gm":
        return stmt
    mine = exists().where(TaskAssignment.task_id == Task.id, TaskAssignment.assignee_id == user.id)
    conds = [Task.assigner_id == user.id, mine]
    if user.role == "director":
        teams = _teams(user) or {-1}
        conds.append(Task.team_id.in_(teams))
        conds.append(exists().where(TaskAssignment.task_id == Task.id, TaskAssignment.team_id.in_(teams)))
    return stmt.where(or_(*conds))


def is_overdue(part: TaskAssignment, today=None) -> bool:
    return part.status not in DONE and part.task.due_on < (today or local_today())


def task_progress(task_ids) -> dict[int, dict]:
    """{task_id: {"done", "total", "overdue"}} in one aggregate query."""
    ids = list(task_ids)
    if not ids:
        return {}
    today = local_today()
    rows = db.session.execute(
        select(TaskAssignment.task_id, func.count(TaskAssignment.id),
               func.sum(case((TaskAssignment.status.in_(DONE), 1), else_=0)),
               func.sum(case((and_(TaskAssignment.status.not_in(DONE), Task.due_on < today), 1), else_=0)))
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(TaskAssignment.task_id.in_(ids)).group_by(TaskAssignment.task_id)).all()
    out = {i: {"done": 0, "total": 0, "overdue": 0} for i in ids}
    for task_id, total, done, overdue in rows:
        out[task_id] = {"done": int(done or 0), "total": int(total or 0), "overdue": int(overdue or 0)}
    return out


def rollup(task: Task) -> dict:
    """The sub-tasks a director made from ``task`` and their combined progress (what the GM sees)."""
    children = list(db.session.scalars(select(Task).where(Task.parent_id == task.id).order_by(Task.id)))
    progress = task_progress(c.id for c in children)
    done = sum(p["done"] for p in progress.values())
    total = sum(p["total"] for p in progress.values())
    return {"children": children, "progress": progress, "done": done, "total": total}


# Threads: the author, the team's director, and the GM once escalated -----------------------------

def thread_team_ids(user) -> set[int]:
    """Teams whose threads a director answers: the ones they head (whatever the data scope) and
    those their data scope reaches."""
    memo = request_memo().setdefault("comms.thread_teams", {})
    uid = user.id  # once: ``user`` may be current_user's proxy, and the loop below reads it per team
    if uid not in memo:
        scoped = _teams(user) or set()
        # From the team tree the scope above has just used, rather than one more query.
        headed = headed_team_ids(uid)
        memo[uid] = headed | scoped
    return set(memo[uid])


def can_see_thread(user, thread: Thread) -> bool:
    if not user.is_authenticated or user.role == "admin":
        return False
    if thread.author_id == user.id:
        return True
    if user.role == "director":
        return thread.team_id in thread_team_ids(user)
    if user.role == "gm":
        return thread.escalated_at is not None
    return False


def visible_threads(user):
    stmt = select(Thread)
    if not user.is_authenticated or user.role == "admin":
        return stmt.where(false())
    if user.role == "gm":
        return stmt.where(Thread.escalated_at.is_not(None))
    conds = [Thread.author_id == user.id]
    if user.role == "director":
        conds.append(Thread.team_id.in_(thread_team_ids(user) or {-1}))
    return stmt.where(or_(*conds))


def can_reply_thread(user, thread: Thread) -> bool:
    return can_see_thread(user, thread) and thread.status == "open"


def can_escalate_thread(user, thread: Thread) -> bool:
    return (user.is_authenticated and user.role == "director" and thread.status == "open"
            and thread.escalated_at is None and thread.team_id in thread_team_ids(user))


def can_resolve_thread(user, thread: Thread) -> bool:
    if thread.status != "open" or not can_see_thread(user, thread):
        return False
    return user.role == "director" or (user.role == "gm" and thread.escalated_at is not None)


def can_reopen_thread(user, thread: Thread) -> bool:
    return thread.status == "resolved" and can_see_thread(user, thread) and user.role in ("rep", "director")


# The conversation as plain rows: the page shows a few columns of each message and of each reader, so
# no ORM objects (and no whole author rows) are built for them. The statements are built once.
_MESSAGES = (select(ThreadMessage.id, ThreadMessage.author_id, ThreadMessage.body, ThreadMessage.event,
                    ThreadMessage.created_at, User.display_name.label("author_name"))
             .join(User, User.id == ThreadMessage.author_id)
             .where(ThreadMessage.thread_id == bindparam("thread_id")).order_by(ThreadMessage.id))
_READS = (select(ThreadRead.user_id, ThreadRead.read_at, User.display_name)
          .join(User, User.id == ThreadRead.user_id)
          .where(ThreadRead.thread_id == bindparam("thread_id")).order_by(ThreadRead.user_id))


def thread_messages(thread_id: int) -> list:
    """(id, author_id, body, event, created_at, author_name) of each message, oldest first."""
    return db.session.execute(_MESSAGES, {"thread_id": thread_id}).all()


def thread_reads(thread_id: int) -> list:
    """(user_id, read_at, display_name) of each participant who has read the thread."""
    return db.session.execute(_READS, {"thread_id": thread_id}).all()


def read_receipts(viewer_id: int, messages, reads) -> dict[int, list[str]]:
    """For each of the viewer's own messages, who else has read the thread since it was sent."""
    others = [r for r in reads if r.user_id != viewer_id]
    return {m.id: [r.display_name for r in others if r.read_at >= m.created_at]
            for m in messages if m.author_id == viewer_id}


def unread_thread_ids(user, thread_ids) -> set[int]:
    """Which of these threads have messages newer than the user's last reading (one query)."""
    ids = list(thread_ids)
    if not ids:
        return set()
    read = select(ThreadRead.read_at).where(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id)
    rows = db.session.scalars(select(Thread.id).where(
        Thread.id.in_(ids), or_(~read.exists(), Thread.last_message_at > read.scalar_subquery())))
    return set(rows)


def reply_stats(team_ids: set[int] | None, days: int = 90) -> dict:
    """Time to first reply over the threads opened in the last ``days``: average and the waiting ones."""
    since = utcnow() - timedelta(days=days)
    stmt = select(Thread.created_at, Thread.first_reply_at).where(Thread.created_at >= since)
    if team_ids is not None:
        stmt = stmt.where(Thread.team_id.in_(team_ids or {-1}))
    rows = db.session.execute(stmt).all()
    answered = [(r.first_reply_at - r.created_at).total_seconds() for r in rows if r.first_reply_at]
    return {
        "answered": len(answered),
        "waiting": sum(1 for r in rows if r.first_reply_at is None),
        "avg_hours": round(sum(answered) / len(answered) / 3600, 1) if answered else None,
    }


# Plans, reports, summaries, director reports ----------------------------------------------------

def visible_plans(user):
    return scope_query(select(WorkPlan), WorkPlan, user)


def visible_reports(user):
    return scope_query(select(WorkReport), WorkReport, user)


def visible_summaries(user):
    return scope_query(select(SalesSummary), SalesSummary, user)


def visible_director_reports(user):
    if not user.is_authenticated or user.role not in ("gm", "director"):
        return select(DirectorReport).where(false())
    return scope_query(select(DirectorReport), DirectorReport, user)


def can_comment_work(user, record) -> bool:
    """The team's director comments on plans, reports and summaries."""
    return (user.is_authenticated and user.role == "director"
            and record.team_id in (_teams(user) or set()))


def team_reps(team_ids) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.team_id.in_(list(team_ids) or [-1]), User.role == "rep", User.active.is_(True))
        .order_by(User.team_id, User.display_name)))


def missing_work(team_ids, now: datetime | None = None) -> list[dict]:
    """Plans and reports whose due time has passed in the current and previous slot but that were
    not filed: [{"rep", "what", "slot"}], for the director's panel and the reminder command."""
    now = now or utcnow()
    reps = team_reps(team_ids)
    if not reps:
        return []
    today = to_local(now).date()
    by_team: dict = {}
    for team_id in {r.team_id for r in reps}:
        rules = rules_for(team_id)
        span = 14 if rules.cadence == "week" else 3
        by_team[team_id] = [s for s in slots_between(rules, today - timedelta(days=span), today + timedelta(days=1))]
    starts = {s.start for slots in by_team.values() for s in slots}
    ids = [r.id for r in reps]
    plans = set(db.session.execute(select(WorkPlan.owner_id, WorkPlan.period_start).where(
        WorkPlan.owner_id.in_(ids), WorkPlan.period_start.in_(starts or {today}))).all())
    reports = set(db.session.execute(select(WorkReport.owner_id, WorkReport.period_start).where(
        WorkReport.owner_id.in_(ids), WorkReport.period_start.in_(starts or {today}))).all())
    out = []
    for rep in reps:
        for slot in by_team[rep.team_id]:
            if slot.plan_due and slot.plan_due <= now and (rep.id, slot.start) not in plans:
                out.append({"rep": rep, "what": "plan", "slot": slot})
            if slot.report_due and slot.report_due <= now and (rep.id, slot.start) not in reports:
                out.append({"rep": rep, "what": "report", "slot": slot})
    return out


def overdue_task_count(team_ids: set[int] | None) -> int:
    stmt = select(func.count(TaskAssignment.id)).join(Task, Task.id == TaskAssignment.task_id).where(
        TaskAssignment.status.not_in(DONE), Task.due_on < local_today())
    if team_ids is not None:
        stmt = stmt.where(TaskAssignment.team_id.in_(team_ids or {-1}))
    return db.session.scalar(stmt) or 0


def open_difficulty_count(team_ids: set[int] | None) -> int:
    stmt = select(func.count(Thread.id)).where(Thread.status == "open", Thread.kind == "difficulty")
    if team_ids is not None:
        stmt = stmt.where(Thread.team_id.in_(team_ids or {-1}))
    return db.session.scalar(stmt) or 0


# Appraisal item 11 -----------------------------------------------------------------------------

def completion_rates(rep_ids, period: Period, now: datetime | None = None) -> dict[int, dict]:
    """For each rep: work plans, work reports and task parts due in ``period`` (their deadline fell in
    it and has passed) and how many were filed / done on time; ``rate`` is on-time / due in percent
    (None when nothing was due). Plans and reports are due on the team's working-day schedule
    (Chinese holidays off, adjusted working days on); a rep is not counted for slots before joining."""
    return completion_rates_by_period(rep_ids, [period], now)[period]


def completion_rates_by_period(rep_ids, periods, now: datetime | None = None) -> dict[Period, dict[int, dict]]:
    """``completion_rates`` for several periods at once: three queries for any number of reps and
    periods (each count is split by period with CASE inside one GROUP BY over the periods' span)."""
    now = now or utcnow()
    periods = list(dict.fromkeys(periods))
    ids = sorted(set(rep_ids))
    if not ids:
        return {p: {} for p in periods}
    windows = [(p, *p.bounds_utc()) for p in periods]
    windows = [(p, start, min(end, now)) for p, start, end in windows]
    span_start, span_end = min(w[1] for w in windows), max(w[2] for w in windows)
    people = db.session.execute(select(User.id, User.team_id, User.joined_on).where(User.id.in_(ids))).all()

    def on_time(kind: str, model):
        cols = [func.sum(case((and_(model.due_at >= start, model.due_at < end), 1), else_=0))
                for _p, start, end in windows]
        return select(literal(kind).label("kind"), model.owner_id, *cols).where(
            model.owner_id.in_(ids), model.due_at >= span_start, model.due_at < span_end,
            model.submitted_at <= model.due_at).group_by(model.owner_id)

    # Plans and reports filed on time: two grouped counts of the same shape, one round trip.
    filed: dict[str, dict] = {"plan": {}, "report": {}}
    for kind, owner, *counts in db.session.execute(union_all(on_time("plan", WorkPlan),
                                                             on_time("report", WorkReport))):
        filed[kind][owner] = [int(v or 0) for v in counts]
    plans_ok, reports_ok = filed["plan"], filed["report"]
    task_cols = []
    for p, _start, _end in windows:
        in_p = and_(Task.due_on >= p.start, Task.due_on < p.end)
        task_cols += [func.sum(case((in_p, 1), else_=0)),
                      func.sum(case((and_(in_p, TaskAssignment.status.in_(DONE),
                                          TaskAssignment.completed_at <= Task.deadline_at), 1), else_=0))]
    task_rows = db.session.execute(
        select(TaskAssignment.assignee_id, *task_cols)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(TaskAssignment.assignee_id.in_(ids), Task.due_on >= min(p.start for p in periods),
               Task.due_on < max(p.end for p in periods), Task.deadline_at <= now)
        .group_by(TaskAssignment.assignee_id)).all()
    tasks = {r[0]: [int(v or 0) for v in r[1:]] for r in task_rows}

    out: dict[Period, dict[int, dict]] = {}
    for i, (period, start_utc, window_end) in enumerate(windows):
        dues: dict = {}
        for team_id in {p.team_id for p in people}:
            rules = rules_for(team_id)
            slots = slots_between(rules, period.start, period.end + timedelta(days=7))
            dues[team_id] = (
                [s.plan_due for s in slots
                 if s.plan_due and start_utc <= s.plan_due < window_end and s.plan_due <= now],
                [s.report_due for s in slots if s.report_due and start_utc <= s.report_due < window_end
                 and s.report_due <= now],
            )
        rows = {}
        for person in people:
            plan_dues, report_dues = dues[person.team_id]
            if person.joined_on:
                plan_dues = [d for d in plan_dues if to_local(d).date() >= person.joined_on]
                report_dues = [d for d in report_dues if to_local(d).date() >= person.joined_on]
            task_due, task_ok = tasks.get(person.id, [0, 0] * len(windows))[2 * i: 2 * i + 2]
            row = {
                "plans_due": len(plan_dues),
                "plans_on_time": min(plans_ok.get(person.id, [0] * len(windows))[i], len(plan_dues)),
                "reports_due": len(report_dues),
                "reports_on_time": min(reports_ok.get(person.id, [0] * len(windows))[i], len(report_dues)),
                "tasks_due": task_due, "tasks_on_time": task_ok,
            }
            due = row["plans_due"] + row["reports_due"] + row["tasks_due"]
            done = row["plans_on_time"] + row["reports_on_time"] + row["tasks_on_time"]
            row["rate"] = round(100 * done / due, 1) if due else None
            rows[person.id] = row
        out[period] = rows
    return out


def director_of(team_id: int | None) -> User | None:
    if not team_id:
        return None
    team = db.session.get(Team, team_id)
    return team.director if team else None


def general_managers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "gm", User.active.is_(True))))
