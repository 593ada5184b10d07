"""Sales summaries and the director's report: figures from the data and from providers, answers,
comments, who sees what, and the demo data."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from sqlalchemy import func, select

from portal.comms.figures import register_figures_provider, unregister_figures_provider
from portal.comms.models import (
    DirectorReport,
    SalesSummary,
    Task,
    TaskAssignment,
    Thread,
    ThreadMessage,
    WorkPlan,
    WorkReport,
)
from portal.core.db import db, utcnow
from portal.core.periods import Period, local_today
from portal.notifications.models import Notification


@pytest.fixture
def plans_provider():
    """What the plans feature will register: targets and actual sales per rep and team."""
    calls = []

    def provider(scope, subject_id, period):
        calls.append((scope, subject_id, period.key))
        if scope == "rep":
            return [{"key": "sales", "label": "Sales achieved", "value": Decimal("120000.00"),
                     "target": Decimal("150000.00")}]
        return [{"key": "target_completion", "label": "Team target completion (%)", "value": 87.5},
                {"key": "new_customers", "label": "New customers", "value": 6},
                {"key": "lost_customers", "label": "Lost customers", "value": 1}]

    register_figures_provider(provider)
    yield calls
    unregister_figures_provider(provider)


def test_summary_without_providers_shows_comms_figures(client, world):
    sign_in(client, world.rep_a)
    page = client.get("/comms/summaries/new?period=2026-10").get_data(as_text=True)
    assert 'data-key="plans_on_time"' in page and 'data-key="sales"' not in page
    resp = client.post("/comms/summaries/new", data={
        "period": "2026-10", "work_done": "Visited 18 customers", "results": "92% of target",
        "success_rules": "Map the buying chain first", "failed_cases": "Lost Bosch on price",
        "improvements": "Prepare alternatives"})
    assert resp.status_code == 302
    summary = db.session.scalar(select(SalesSummary))
    assert summary.period_key == "2026-10" and summary.period_kind == "month"
    assert {f["key"] for f in summary.figures} >= {"plans_on_time", "reports_on_time", "tasks_on_time"}
    assert db.session.scalar(select(Notification).where(Notification.kind == "summary_submitted")).user_id == \
        world.director_a.id
    # A month that does not exist is refused beside the field, not filed under another period.
    resp = client.post("/comms/summaries/new", data={"period": "2026-13", "work_done": "typo"})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)
    # Once per period.
    resp = client.post("/comms/summaries/new", data={"period": "2026-10", "work_done": "again"})
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(SalesSummary.id))) == 1


def test_summary_uses_registered_provider(client, world, plans_provider):
    sign_in(client, world.rep_a)
    page = client.get("/comms/summaries/new?period=2026-Q3").get_data(as_text=True)
    assert 'data-key="sales"' in page and "150000.00" in page
    assert ("rep", world.rep_a.id, "2026-Q3") in plans_provider
    client.post("/comms/summaries/new", data={"period": "2026-Q3", "work_done": "Quarter done"})
    summary = db.session.scalar(select(SalesSummary))
    assert summary.period_kind == "quarter"
    assert next(f for f in summary.figures if f["key"] == "sales")["value"] == "120000.00"


def test_a_failing_provider_does_not_break_the_page(client, world):
    def broken(scope, subject_id, period):
        raise RuntimeError("plans feature bug")

    register_figures_provider(broken)
    try:
        sign_in(client, world.rep_a)
        assert client.get("/comms/summaries/new").status_code == 200
    finally:
        unregister_figures_provider(broken)


def test_director_answers_summary_and_access(client, world):
    summary = SalesSummary(owner_id=world.rep_a.id, team_id=world.team_a.id, period_kind="month",
                           period_key="2026-10", work_done="Work", figures=[])
    db.session.add(summary)
    db.session.commit()
    url = f"/comms/summaries/{summary.id}"
    for person, status in [(world.rep_a, 200), (world.director_a, 200), (world.gm, 200), (world.rep_a2, 404),
                           (world.rep_b, 404), (world.director_b, 404)]:
        sign_in(client, person)
        assert client.get(url).status_code == status, person.username
    sign_in(client, world.director_b)
    assert client.post(f"{url}/answer", data={"answer": "x"}).status_code == 404
    sign_in(client, world.director_a)
    client.post(f"{url}/answer", data={"answer": "Well done. Focus on two strategic accounts."})
    db.session.refresh(summary)
    assert summary.answer.startswith("Well done") and summary.answered_by_id == world.director_a.id
    assert db.session.scalar(select(Notification).where(Notification.kind == "summary_answered")).user_id == \
        world.rep_a.id


def _some_team_a_data(world):
    now = utcnow()
    overdue = Task(title="Old task", priority="normal", due_on=local_today() - timedelta(days=3),
                   deadline_at=now - timedelta(days=2), assigner_id=world.director_a.id, team_id=world.team_a.id)
    overdue.parts.append(TaskAssignment(assignee_id=world.rep_a.id, team_id=world.team_a.id))
    overdue.parts.append(TaskAssignment(assignee_id=world.rep_a2.id, team_id=world.team_a.id, status="done",
                                        completed_at=now - timedelta(days=4)))
    t1 = Thread(author_id=world.rep_a.id, team_id=world.team_a.id, kind="difficulty", subject="Credit terms")
    t1.messages.append(ThreadMessage(author_id=world.rep_a.id, body="help"))
    t2 = Thread(author_id=world.rep_b.id, team_id=world.team_b.id, kind="difficulty", subject="Other team")
    t2.messages.append(ThreadMessage(author_id=world.rep_b.id, body="help"))
    db.session.add_all([overdue, t1, t2])
    db.session.commit()


def test_director_report_figures_and_gm_comment(client, world, plans_provider):
    _some_team_a_data(world)
    sign_in(client, world.director_a)
    period = Period.current("month").previous()
    page = client.get(f"/comms/director-reports/new?period={period.key}").get_data(as_text=True)
    for key in ("target_completion", "new_customers", "lost_customers", "open_difficulties", "overdue_tasks"):
        assert f'data-key="{key}"' in page
    resp = client.post("/comms/director-reports/new", data={"period": period.key, "body": "## Summary\nGood month"})
    assert resp.status_code == 302
    report = db.session.scalar(select(DirectorReport))
    figures = {f["key"]: f["value"] for f in report.figures}
    assert figures["open_difficulties"] == 1  # team B's difficulty is not counted
    assert figures["overdue_tasks"] == 1  # rep_a's part; rep_a2's is done
    assert figures["new_customers"] == 6 and figures["lost_customers"] == 1
    assert ("team", world.team_a.id, period.key) in plans_provider
    assert db.session.scalar(select(Notification).where(Notification.kind == "director_report")).user_id == \
        world.gm.id
    # Once per team and period.
    client.post("/comms/director-reports/new", data={"period": period.key, "body": "again"})
    assert db.session.scalar(select(func.count(DirectorReport.id))) == 1

    url = f"/comms/director-reports/{report.id}"
    for person, status in [(world.director_a, 200), (world.gm, 200), (world.director_b, 404), (world.rep_a, 403)]:
        sign_in(client, person)
        assert client.get(url).status_code == status, person.username
    sign_in(client, world.director_a)
    assert client.post(f"{url}/comment", data={"comment": "x"}).status_code == 403
    sign_in(client, world.gm)
    assert "<h2>Summary</h2>" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/comment", data={"comment": "Noted, add a sales engineer."})
    db.session.refresh(report)
    assert report.gm_comment.startswith("Noted") and report.gm_id == world.gm.id
    assert db.session.scalar(select(Notification).where(Notification.kind == "director_report_comment")).user_id == \
        world.director_a.id


def test_summary_list_scoped_and_flat(client, world, count_queries):
    def add(n, offset):
        for i in range(n):
            db.session.add(SalesSummary(owner_id=world.rep_a.id, team_id=world.team_a.id, period_kind="month",
                                        period_key=f"{2000 + offset + i}-01", work_done="w", figures=[]))
        db.session.commit()

    add(30, 0)
    sign_in(client, world.rep_b)
    assert "2000-01" not in client.get("/comms/summaries").get_data(as_text=True)
    sign_in(client, world.director_a)
    client.get("/comms/summaries")
    with count_queries() as few:
        client.get("/comms/summaries")
    add(60, 100)
    client.get("/comms/summaries")
    with count_queries() as many:
        client.get("/comms/summaries")
    assert many.n == few.n


def test_demo_seeder(runner):
    from portal.people.models import User

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    states = set(db.session.scalars(select(TaskAssignment.status)))
    assert states == {"open", "in_progress", "done", "accepted"}
    assert db.session.scalar(select(func.count(Task.id)).where(Task.parent_id.is_not(None))) >= 1
    assert db.session.scalar(select(func.count(Thread.id)).where(Thread.escalated_at.is_not(None))) == 1
    assert db.session.scalar(select(func.count(WorkPlan.id))) > 50
    assert db.session.scalar(select(func.count(WorkReport.id)).where(WorkReport.late.is_(True))) >= 1
    reps = db.session.scalar(select(func.count(User.id)).where(User.role == "rep"))
    assert db.session.scalar(select(func.count(func.distinct(SalesSummary.owner_id)))) == reps
    assert db.session.scalar(select(func.count(DirectorReport.id))) == 1
    # Some plans or reports are missing: fewer reports than rep-weeks.
    weeks = db.session.scalar(select(func.count(func.distinct(WorkPlan.period_start))))
    assert db.session.scalar(select(func.count(WorkReport.id))) < reps * weeks
