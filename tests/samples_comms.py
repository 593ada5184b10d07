"""URL arguments for the route walk: comms records that belong to world.rep_a in team A."""
from datetime import UTC, datetime, timedelta

from portal.comms.models import (
    DirectorReport,
    PlanItem,
    SalesSummary,
    Task,
    TaskAssignment,
    Thread,
    ThreadMessage,
    WorkPlan,
    WorkReport,
)
from portal.core.db import db
from portal.core.periods import local_today


def _task(world):
    due = local_today() + timedelta(days=3)
    task = Task(title="Visit the key accounts", priority="normal", due_on=due,
                deadline_at=datetime.now(UTC) + timedelta(days=4), assigner_id=world.director_a.id,
                team_id=world.team_a.id)
    task.parts.append(TaskAssignment(assignee_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.add(task)
    db.session.commit()
    return task


def _thread(world):
    now = datetime.now(UTC)
    thread = Thread(author_id=world.rep_a.id, team_id=world.team_a.id, kind="difficulty", subject="Price too high",
                    created_at=now, last_message_at=now)
    thread.messages.append(ThreadMessage(author_id=world.rep_a.id, body="The customer wants 10% off."))
    db.session.add(thread)
    db.session.commit()
    return thread.id


def _plan(world, start=None):
    start = start or local_today() - timedelta(days=local_today().weekday())
    now = datetime.now(UTC)
    plan = WorkPlan(owner_id=world.rep_a.id, team_id=world.team_a.id, cadence="week", period_start=start,
                    due_at=now, submitted_at=now)
    plan.items.append(PlanItem(position=0, text="Call three customers"))
    db.session.add(plan)
    db.session.commit()
    return plan


def _report(world):
    start = local_today() - timedelta(days=local_today().weekday() + 7)
    now = datetime.now(UTC)
    report = WorkReport(owner_id=world.rep_a.id, team_id=world.team_a.id, cadence="week", period_start=start,
                        summary="Done", due_at=now, submitted_at=now)
    db.session.add(report)
    db.session.commit()
    return report.id


def _summary(world):
    summary = SalesSummary(owner_id=world.rep_a.id, team_id=world.team_a.id, period_kind="month",
                           period_key="2026-10", work_done="Visited 12 customers", figures=[])
    db.session.add(summary)
    db.session.commit()
    return summary.id


def _dreport(world):
    report = DirectorReport(author_id=world.director_a.id, team_id=world.team_a.id, period_kind="month",
                            period_key="2026-10", body="All good", figures=[])
    db.session.add(report)
    db.session.commit()
    return report.id


FACTORIES = {
    "task_id": lambda world: _task(world).id,
    "part_id": lambda world: _task(world).parts[0].id,
    "thread_id": _thread,
    "plan_id": lambda world: _plan(world).id,
    "report_id": _report,
    "summary_id": _summary,
    "dreport_id": _dreport,
}
