"""Rules and writes for comms. Services take the acting user, flush and never commit.

Who-sees-what predicates live in ``queries`` (read side) and are used by views and templates alike.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from ..audit.services import record
from ..authz import managed_team_ids
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.periods import Period, company_tz, local_today
from ..notifications.services import notify
from ..people.models import User
from . import queries as q
from .figures import provided_figures
from .models import (
    LINK_TYPES,
    PRIORITIES,
    THREAD_KINDS,
    DirectorReport,
    PlanItem,
    ReportItem,
    SalesSummary,
    Task,
    TaskAssignment,
    Thread,
    ThreadMessage,
    ThreadRead,
    WorkPlan,
    WorkReport,
)
from .schedule import Slot, rules_for

# A second identical message from the same author within this many seconds is a double submission.
DUPLICATE_WINDOW_SECONDS = 30


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=company_tz())


# Tasks ------------------------------------------------------------------------------------------

def assignable_people(actor) -> list[User]:
    """The GM assigns to directors; a director to the reps of their team(s)."""
    stmt = select(User).where(User.active.is_(True)).order_by(User.team_id, User.display_name)
    if actor.role == "gm":
        return list(db.session.scalars(stmt.where(User.role == "director")))
    if actor.role == "director":
        return list(db.session.scalars(stmt.where(User.role == "rep",
                                                  User.team_id.in_(managed_team_ids(actor) or {-1}))))
    return []


def can_link(actor, link_type: str, link_id: int) -> bool:
    """A task links only to a record its assigner may open (the feature's own access rule)."""
    if link_type == "customer":
        from ..customers.access import can_see_customer
        from ..customers.models import Customer

        customer = db.session.get(Customer, link_id)
        return customer is not None and can_see_customer(actor, customer)
    if link_type == "plan":
        from ..plans.models import Plan
        from ..plans.services import can_see_scope

        plan = db.session.get(Plan, link_id)
        return plan is not None and can_see_scope(actor, plan.scope, plan.team_id, plan.owner_id)
    if link_type == "course":
        from ..training.models import Course
        from ..training.services import can_see_course

        course = db.session.get(Course, link_id)
        return course is not None and can_see_course(actor, course)
    return False


def create_task(actor, *, title: str, description: str | None, priority: str, due_on: date,
                assignee_ids, whole_team: bool = False, link_type: str | None = None,
                link_id: int | None = None, parent: Task | None = None, token: str | None = None) -> Task:
    if actor.role not in ("gm", "director"):
        raise Forbidden()
    if token:
        existing = db.session.scalar(select(Task).where(Task.token == token))
        if existing is not None:
            if existing.assigner_id != actor.id:
                raise ServiceError(_("This form was already used. Reload the page and try again."))
            return existing  # the same form sent twice: one task
    if priority not in PRIORITIES:
        raise ServiceError(_("Choose a priority from the list."), "priority")
    if due_on < local_today():
        raise ServiceError(_("The due date cannot be in the past."), "due_on")
    if link_type and link_type not in LINK_TYPES:
        raise ServiceError(_("Choose a link type from the list."), "link_type")
    if bool(link_type) != bool(link_id):
        raise ServiceError(_("Give both the kind of record and its number, or neither."), "link_id")
    if link_type and not can_link(actor, link_type, link_id):
        raise ServiceError(_("Give the number of a record you can open."), "link_id")
    allowed = {u.id: u for u in assignable_people(actor)}
    if whole_team and actor.role == "director":
        chosen = list(allowed.values())
    else:
        chosen = [allowed[i] for i in dict.fromkeys(assignee_ids or []) if i in allowed]
        if len(chosen) != len(set(assignee_ids or [])):
            raise ServiceError(_("You can only assign to people you manage."), "assignee_ids")
    if not chosen:
        raise ServiceError(_("Choose at least one person."), "assignee_ids")
    if parent is not None and not q.can_break_down(actor, parent):
        raise Forbidden()
    task = Task(title=title.strip(), description=description or None, priority=priority, due_on=due_on,
                deadline_at=_end_of_day(due_on), assigner_id=actor.id, team_id=actor.team_id,
                parent_id=parent.id if parent else None, link_type=link_type or None,
                link_id=link_id or None, token=token or None)
    db.session.add(task)
    for person in chosen:
        task.parts.append(TaskAssignment(assignee_id=person.id, team_id=person.team_id))
    db.session.flush()
    record("assign", obj=task, summary=f"{len(chosen)} assignee(s)")
    link = url_for("comms.task_detail", task_id=task.id)
    notify(chosen, "task_assigned", lambda: _("New task: %(title)s", title=task.title), link=link, actor=actor)
    if whole_team and actor.role == "director":
        _tell_robots_team_task(actor, task, chosen, link)
    if parent is not None:
        notify([parent.assigner], "task_broken_down",
               lambda: _("%(name)s broke down the task “%(title)s” for the team",
                         name=actor.display_name, title=parent.title),
               link=url_for("comms.task_detail", task_id=parent.id), actor=actor)
    return task


def _tell_robots_team_task(actor, task: Task, chosen: list[User], link: str) -> None:
    """A task given to a whole team goes to the team's (and the company's) chat robots."""
    from ..robots.services import post_event

    title, due, name = task.title, task.due_on, actor.display_name
    for team_id in sorted({p.team_id for p in chosen if p.team_id}):
        post_event("task_assigned_team", team_id, _l("Task for the whole team: %(title)s", title=title),
                   _l("%(name)s assigned it to every sales rep of the team; due %(due)s.", name=name,
                      due=due.isoformat()), link)


def start_part(actor, part: TaskAssignment) -> None:
    if part.assignee_id != actor.id or part.status != "open":
        raise ServiceError(_("This task cannot be started now."))
    part.status = "in_progress"
    db.session.flush()


def complete_part(actor, part: TaskAssignment, report: str) -> None:
    if not q.can_work_on_part(actor, part):
        raise ServiceError(_("This task cannot be completed now."))
    if not (report or "").strip():
        raise ServiceError(_("Write a short completion report."), "report")
    part.status = "done"
    part.completion_report = report.strip()
    part.completed_at = utcnow()
    db.session.flush()
    record("complete", obj=part, summary=part.task.title[:200])
    task = part.task
    notify([task.assigner], "task_done",
           lambda: _("%(name)s completed “%(title)s”", name=actor.display_name, title=task.title),
           link=url_for("comms.task_detail", task_id=task.id), actor=actor)


def review_part(actor, part: TaskAssignment, accept: bool, comment: str | None) -> None:
    if not q.can_review_part(actor, part):
        raise ServiceError(_("Only the assigner reviews a completed task."))
    comment = (comment or "").strip() or None
    if not accept and not comment:
        raise ServiceError(_("Say what is missing when you send a task back."), "comment")
    part.review_comment = comment
    part.reviewed_at = utcnow()
    if accept:
        part.status = "accepted"
        record("accept", obj=part)
    else:
        part.status = "in_progress"
        part.completed_at = None
        part.sent_back_count += 1
        record("send_back", obj=part, summary=comment[:200])
    db.session.flush()
    task = part.task
    if accept:
        title = lambda: _("Your task “%(title)s” was accepted", title=task.title)  # noqa: E731
    else:
        title = lambda: _("Your task “%(title)s” was sent back", title=task.title)  # noqa: E731
    notify([part.assignee], "task_reviewed", title, link=url_for("comms.task_detail", task_id=task.id),
           actor=actor, body=comment)


# Threads ------------------------------------------------------------------------------------------

def _participants(thread: Thread) -> list[User]:
    people = [thread.author, q.director_of(thread.team_id)]
    if thread.escalated_at is not None:
        people += q.general_managers()
    return [p for p in people if p is not None]


def mark_read(user, thread: Thread) -> None:
    row = db.session.get(ThreadRead, (thread.id, user.id))
    if row is None:
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user.id, read_at=utcnow()))
    else:
        row.read_at = utcnow()
    db.session.flush()


def open_thread(actor, *, kind: str, subject: str, body: str, customer_id: int | None = None,
                token: str | None = None) -> Thread:
    if actor.role != "rep":
        raise Forbidden()
    if token:
        existing = db.session.scalar(select(Thread).where(Thread.token == token))
        if existing is not None and existing.author_id == actor.id:
            return existing
    if kind not in THREAD_KINDS:
        raise ServiceError(_("Choose a type from the list."), "kind")
    if not actor.team_id:
        raise ServiceError(_("You belong to no team, so there is no director to write to."))
    if not (body or "").strip():
        raise ServiceError(_("Write what you want to raise."), "body")
    if customer_id:
        from ..customers.access import can_see_customer
        from ..customers.models import Customer

        customer = db.session.get(Customer, customer_id)
        if customer is None or not can_see_customer(actor, customer):
            raise ServiceError(_("Give the number of a customer you can open."), "customer_id")
    now = utcnow()
    thread = Thread(author_id=actor.id, team_id=actor.team_id, kind=kind, subject=subject.strip(),
                    customer_id=customer_id or None, token=token or None, created_at=now, last_message_at=now)
    thread.messages.append(ThreadMessage(author_id=actor.id, body=body.strip(), created_at=now))
    db.session.add(thread)
    db.session.flush()
    mark_read(actor, thread)
    notify([q.director_of(thread.team_id)], "thread_new",
           lambda: _("%(name)s raised: %(subject)s", name=actor.display_name, subject=thread.subject),
           link=url_for("comms.thread_detail", thread_id=thread.id), actor=actor)
    return thread


def reply(actor, thread: Thread, body: str, token: str | None = None) -> ThreadMessage:
    """Add a reply; the same form sent twice (token) or the same text again at once adds nothing."""
    if not q.can_see_thread(actor, thread):
        raise NotFound()
    if not q.can_reply_thread(actor, thread):
        raise ServiceError(_("This thread is resolved. Reopen it to reply."))
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Write a reply first."), "body")
    if token:
        existing = db.session.scalar(select(ThreadMessage).where(ThreadMessage.token == token))
        if existing is not None:
            if existing.thread_id != thread.id or existing.author_id != actor.id:
                raise ServiceError(_("This form was already used. Reload the page and try again."))
            return existing
    recent = db.session.scalar(select(ThreadMessage).where(
        ThreadMessage.thread_id == thread.id, ThreadMessage.author_id == actor.id, ThreadMessage.body == body,
        ThreadMessage.created_at >= utcnow() - timedelta(seconds=DUPLICATE_WINDOW_SECONDS)))
    if recent is not None:
        return recent
    now = utcnow()
    message = ThreadMessage(thread_id=thread.id, author_id=actor.id, body=body, token=token or None,
                            created_at=now)
    db.session.add(message)
    if actor.id != thread.author_id and thread.first_reply_at is None:
        thread.first_reply_at = now
    thread.last_message_at = now
    db.session.flush()
    mark_read(actor, thread)
    notify(_participants(thread), "thread_reply",
           lambda: _("%(name)s replied: %(subject)s", name=actor.display_name, subject=thread.subject),
           link=url_for("comms.thread_detail", thread_id=thread.id), actor=actor)
    return message


def _event(actor, thread: Thread, event: str, note: str | None) -> None:
    now = utcnow()
    thread.messages.append(ThreadMessage(author_id=actor.id, body=(note or "").strip(), event=event,
                                         created_at=now))
    thread.last_message_at = now
    if note and note.strip() and actor.id != thread.author_id and thread.first_reply_at is None:
        thread.first_reply_at = now
    db.session.flush()
    mark_read(actor, thread)


def escalate(actor, thread: Thread, note: str | None = None) -> None:
    """The director takes a thread to the GM: the GM joins it and sees its whole history."""
    if not q.can_escalate_thread(actor, thread):
        raise ServiceError(_("This thread cannot be escalated."))
    thread.escalated_at = utcnow()
    thread.escalated_by_id = actor.id
    _event(actor, thread, "escalated", note)
    record("escalate", obj=thread, summary=thread.subject[:200])
    link = url_for("comms.thread_detail", thread_id=thread.id)
    notify(q.general_managers(), "thread_escalated",
           lambda: _("%(name)s escalated: %(subject)s", name=actor.display_name, subject=thread.subject),
           link=link, actor=actor, body=note or None)
    notify([thread.author], "thread_escalated",
           lambda: _("Your thread was escalated to the general manager: %(subject)s", subject=thread.subject),
           link=link, actor=actor)
    from ..robots.services import post_event

    post_event("difficulty_escalated", thread.team_id,
               _l("Escalated to the general manager: %(subject)s", subject=thread.subject),
               lambda: _("%(name)s took this to the general manager.", name=actor.display_name)
               + ("\n\n" + note.strip() if (note or "").strip() else ""), link)


def resolve(actor, thread: Thread, note: str | None = None) -> None:
    if not q.can_resolve_thread(actor, thread):
        raise ServiceError(_("This thread cannot be resolved."))
    thread.status = "resolved"
    thread.resolved_at = utcnow()
    _event(actor, thread, "resolved", note)
    record("resolve", obj=thread)
    notify(_participants(thread), "thread_resolved",
           lambda: _("Resolved: %(subject)s", subject=thread.subject),
           link=url_for("comms.thread_detail", thread_id=thread.id), actor=actor)


def reopen(actor, thread: Thread, note: str | None = None) -> None:
    if not q.can_reopen_thread(actor, thread):
        raise ServiceError(_("This thread cannot be reopened."))
    thread.status = "open"
    thread.resolved_at = None
    _event(actor, thread, "reopened", note)
    record("reopen", obj=thread)
    notify(_participants(thread), "thread_reopened",
           lambda: _("Reopened: %(subject)s", subject=thread.subject),
           link=url_for("comms.thread_detail", thread_id=thread.id), actor=actor)


# Work plans and reports -----------------------------------------------------------------------------

def _items(text: str) -> list[str]:
    return [line.strip(" -*\t")[:500] for line in (text or "").splitlines() if line.strip(" -*\t")]


def save_plan(actor, slot: Slot, items_text: str, notes: str | None = None, now: datetime | None = None) -> WorkPlan:
    """File (or, before its report, revise) the plan for a slot. Lateness is fixed at first filing."""
    if actor.role != "rep":
        raise Forbidden()
    if slot.plan_due is None:
        raise ServiceError(_("No plan is due for this period (no working days)."))
    items = _items(items_text)
    if not items:
        raise ServiceError(_("List at least one planned item, one per line."), "items")
    now = now or utcnow()
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.owner_id == actor.id, WorkPlan.cadence == slot.cadence,
                                                    WorkPlan.period_start == slot.start))
    if plan is None:
        plan = WorkPlan(owner_id=actor.id, team_id=actor.team_id, cadence=slot.cadence, period_start=slot.start,
                        due_at=slot.plan_due, submitted_at=now, late=now > slot.plan_due)
        db.session.add(plan)
    elif plan.report is not None:
        raise ServiceError(_("The report for this plan is filed: the plan can no longer change."))
    else:
        plan.items.clear()
    plan.notes = (notes or "").strip() or None
    for pos, text in enumerate(items):
        plan.items.append(PlanItem(position=pos, text=text))
    db.session.flush()
    return plan


def save_report(actor, plan: WorkPlan | None, slot: Slot, lines: list[dict], summary: str | None,
                problems: str | None, extra_text: str | None = None, now: datetime | None = None) -> WorkReport:
    """File the report for a slot: one line per planned item (done?, result, problems) plus extras.
    A second submission for the same slot is refused (one report per slot)."""
    if actor.role != "rep":
        raise Forbidden()
    if slot.report_due is None:
        raise ServiceError(_("No report is due for this period (no working days)."))
    existing = db.session.scalar(select(WorkReport).where(
        WorkReport.owner_id == actor.id, WorkReport.cadence == slot.cadence, WorkReport.period_start == slot.start))
    if existing is not None:
        raise ServiceError(_("The report for this period is already filed."))
    if plan is not None and plan.owner_id != actor.id:
        raise Forbidden()
    now = now or utcnow()
    report = WorkReport(owner_id=actor.id, team_id=actor.team_id, plan_id=plan.id if plan else None,
                        cadence=slot.cadence, period_start=slot.start, summary=(summary or "").strip() or None,
                        problems=(problems or "").strip() or None, due_at=slot.report_due, submitted_at=now,
                        late=now > slot.report_due)
    pos = 0
    by_id = {i.id: i for i in plan.items} if plan else {}
    for line in lines:
        item = by_id.get(line.get("plan_item_id"))
        if item is None:
            continue
        report.items.append(ReportItem(plan_item_id=item.id, position=pos, text=item.text,
                                       done=bool(line.get("done")), result=(line.get("result") or "").strip() or None,
                                       problems=(line.get("problems") or "").strip() or None))
        pos += 1
    for text in _items(extra_text or ""):
        report.items.append(ReportItem(position=pos, text=text, done=True))
        pos += 1
    if not report.items and not report.summary:
        raise ServiceError(_("Say what was done: tick the planned items or write a summary."), "summary")
    db.session.add(report)
    db.session.flush()
    director = q.director_of(actor.team_id)
    notify([director], "report_filed",
           lambda: _("%(name)s filed a work report", name=actor.display_name),
           link=url_for("comms.report_detail", report_id=report.id), actor=actor)
    return report


def comment_work(actor, record_, text: str, endpoint: str, arg: str) -> None:
    """The director's comment on a plan or a report; the rep is told."""
    if not q.can_comment_work(actor, record_):
        raise Forbidden()
    if not (text or "").strip():
        raise ServiceError(_("Write a comment first."), "comment")
    record_.comment = text.strip()
    record_.commented_by_id = actor.id
    record_.commented_at = utcnow()
    db.session.flush()
    notify([record_.owner], "work_comment",
           lambda: _("%(name)s commented on your work plan or report", name=actor.display_name),
           link=url_for(endpoint, **{arg: record_.id}), actor=actor, body=text.strip())


# Sales summaries and the director's report --------------------------------------------------------

def comms_figures_for_reps(rep_ids, period: Period) -> list[dict]:
    """What comms itself knows about a period: plans, reports and tasks on time. Labels are kept in
    English with the snapshot; pages translate comms' own figures by key when they show them."""
    rates = q.completion_rates(rep_ids, period)
    total = {k: sum(r[k] for r in rates.values()) for k in
             ("plans_due", "plans_on_time", "reports_due", "reports_on_time", "tasks_due", "tasks_on_time")}
    due = total["plans_due"] + total["reports_due"] + total["tasks_due"]
    done = total["plans_on_time"] + total["reports_on_time"] + total["tasks_on_time"]
    return [
        {"key": "plans_on_time", "label": "Work plans filed on time", "value": total["plans_on_time"],
         "target": total["plans_due"], "source": "comms"},
        {"key": "reports_on_time", "label": "Work reports filed on time", "value": total["reports_on_time"],
         "target": total["reports_due"], "source": "comms"},
        {"key": "tasks_on_time", "label": "Tasks done on time", "value": total["tasks_on_time"],
         "target": total["tasks_due"], "source": "comms"},
        {"key": "completion_rate", "label": "Plan and report completion rate (%)",
         "value": round(100 * done / due, 1) if due else None, "target": None, "source": "comms"},
    ]


def summary_figures(owner: User, period: Period) -> list[dict]:
    return provided_figures("rep", owner.id, period) + comms_figures_for_reps([owner.id], period)


def director_report_figures(team_id: int, period: Period) -> list[dict]:
    reps = [u.id for u in q.team_reps([team_id])]
    figures = provided_figures("team", team_id, period)
    figures += comms_figures_for_reps(reps, period)
    figures += [
        {"key": "open_difficulties", "label": "Open difficulties", "value": q.open_difficulty_count({team_id}),
         "target": None, "source": "comms"},
        {"key": "overdue_tasks", "label": "Overdue task parts", "value": q.overdue_task_count({team_id}),
         "target": None, "source": "comms"},
    ]
    return figures


def submit_summary(actor, period: Period, *, work_done: str, results: str | None, success_rules: str | None,
                   failed_cases: str | None, improvements: str | None) -> SalesSummary:
    if actor.role != "rep":
        raise Forbidden()
    if period.kind not in ("month", "quarter"):
        raise ServiceError(_("Summaries are monthly or quarterly."), "period")
    existing = db.session.scalar(select(SalesSummary).where(SalesSummary.owner_id == actor.id,
                                                            SalesSummary.period_key == period.key))
    if existing is not None:
        raise ServiceError(_("Your summary for this period is already submitted."), "period")
    summary = SalesSummary(owner_id=actor.id, team_id=actor.team_id, period_kind=period.kind,
                           period_key=period.key, work_done=work_done.strip(), results=results or None,
                           success_rules=success_rules or None, failed_cases=failed_cases or None,
                           improvements=improvements or None, figures=summary_figures(actor, period))
    db.session.add(summary)
    db.session.flush()
    notify([q.director_of(actor.team_id)], "summary_submitted",
           lambda: _("%(name)s submitted the sales summary for %(period)s", name=actor.display_name,
                     period=period.key),
           link=url_for("comms.summary_detail", summary_id=summary.id), actor=actor)
    return summary


def answer_summary(actor, summary: SalesSummary, answer: str) -> None:
    if not q.can_comment_work(actor, summary):
        raise Forbidden()
    if not (answer or "").strip():
        raise ServiceError(_("Write an answer first."), "answer")
    summary.answer = answer.strip()
    summary.answered_by_id = actor.id
    summary.answered_at = utcnow()
    db.session.flush()
    notify([summary.owner], "summary_answered",
           lambda: _("%(name)s answered your sales summary for %(period)s", name=actor.display_name,
                     period=summary.period_key),
           link=url_for("comms.summary_detail", summary_id=summary.id), actor=actor)


def submit_director_report(actor, period: Period, body: str) -> DirectorReport:
    if actor.role != "director" or not actor.team_id:
        raise Forbidden()
    if period.kind not in ("month", "quarter"):
        raise ServiceError(_("Reports are monthly or quarterly."), "period")
    existing = db.session.scalar(select(DirectorReport).where(DirectorReport.team_id == actor.team_id,
                                                              DirectorReport.period_key == period.key))
    if existing is not None:
        raise ServiceError(_("The report for this period is already submitted."), "period")
    if not (body or "").strip():
        raise ServiceError(_("Write the report first."), "body")
    report = DirectorReport(author_id=actor.id, team_id=actor.team_id, period_kind=period.kind,
                            period_key=period.key, body=body.strip(),
                            figures=director_report_figures(actor.team_id, period))
    db.session.add(report)
    db.session.flush()
    notify(q.general_managers(), "director_report",
           lambda: _("%(name)s sent the report for %(period)s", name=actor.display_name, period=period.key),
           link=url_for("comms.director_report_detail", dreport_id=report.id), actor=actor)
    return report


def comment_director_report(actor, report: DirectorReport, text: str) -> None:
    if actor.role != "gm":
        raise Forbidden()
    if not (text or "").strip():
        raise ServiceError(_("Write a comment first."), "comment")
    report.gm_comment = text.strip()
    report.gm_id = actor.id
    report.gm_commented_at = utcnow()
    db.session.flush()
    notify([report.author], "director_report_comment",
           lambda: _("%(name)s commented on your report for %(period)s", name=actor.display_name,
                     period=report.period_key),
           link=url_for("comms.director_report_detail", dreport_id=report.id), actor=actor)


def save_team_rules(actor, team_id: int, values: dict) -> None:
    from ..core import settings

    if actor.role not in ("director", "admin"):
        raise Forbidden()
    if actor.role == "director" and team_id not in (managed_team_ids(actor) or set()):
        raise Forbidden()
    for key, value in values.items():
        settings.put(f"comms.{key}", value, team_id=team_id)
    record("team_report_rules", object_type="team", object_id=team_id, changes=values, team_id=team_id)


def slot_rules(user):
    return rules_for(user.team_id)
