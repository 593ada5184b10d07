"""Home panels per role, and each role's access to the comms pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import home_html, sign_in, with_fragments

from portal.comms.models import DirectorReport, Task, TaskAssignment, Thread, ThreadMessage
from portal.core.db import db, utcnow
from portal.core.periods import local_today


def _data(world):
    due = local_today() + timedelta(days=2)
    task = Task(title="Prepare the trade show", priority="high", due_on=due, deadline_at=utcnow() + timedelta(days=3),
                assigner_id=world.director_a.id, team_id=world.team_a.id)
    task.parts.append(TaskAssignment(assignee_id=world.rep_a.id, team_id=world.team_a.id))
    escalated = Thread(author_id=world.rep_a.id, team_id=world.team_a.id, kind="difficulty",
                       subject="Escalated credit terms", escalated_at=utcnow())
    escalated.messages.append(ThreadMessage(author_id=world.rep_a.id, body="help"))
    quiet = Thread(author_id=world.rep_a2.id, team_id=world.team_a.id, kind="question", subject="Quiet question")
    quiet.messages.append(ThreadMessage(author_id=world.rep_a2.id, body="?"))
    report = DirectorReport(author_id=world.director_a.id, team_id=world.team_a.id, period_kind="month",
                            period_key="2026-10", body="Fine", figures=[])
    db.session.add_all([task, escalated, quiet, report])
    db.session.commit()


def test_home_panels_per_role(client, world):
    _data(world)
    sign_in(client, world.rep_a)
    home = home_html(client)
    assert "Prepare the trade show" in home  # my tasks
    assert "/comms/plans/new?slot=" in home or "/comms/plans/" in home  # my plan and report due
    sign_in(client, world.rep_a2)
    assert "Prepare the trade show" not in home_html(client)

    sign_in(client, world.director_a)
    home = home_html(client)
    assert "Prepare the trade show" in home and "0/1" in home  # team progress
    assert "Quiet question" in home and "Escalated credit terms" in home  # open threads

    sign_in(client, world.director_b)
    home = home_html(client)
    assert "Quiet question" not in home and "Prepare the trade show" not in home

    sign_in(client, world.gm)
    home = home_html(client)
    assert "Escalated credit terms" in home and "Quiet question" not in home  # escalations only
    assert "/comms/director-reports/" in home  # the directors' reports


@pytest.mark.parametrize("url,allowed", [
    ("/comms/tasks", {"rep", "director", "gm"}),
    ("/comms/tasks/new", {"director", "gm"}),
    ("/comms/threads", {"rep", "director", "gm"}),
    ("/comms/threads/new", {"rep"}),
    ("/comms/work", {"rep", "director", "gm"}),
    ("/comms/plans/new", {"rep"}),
    ("/comms/reports/new", {"rep"}),
    ("/comms/team-rules", {"director"}),
    ("/comms/summaries", {"rep", "director", "gm"}),
    ("/comms/summaries/new", {"rep"}),
    ("/comms/director-reports", {"director", "gm"}),
    ("/comms/director-reports/new", {"director"}),
    ("/inbox/", {"rep", "director", "gm", "admin"}),
])
def test_each_role_access(client, world, url, allowed):
    for person in (world.rep_a, world.director_a, world.gm, world.admin):
        sign_in(client, person)
        status = client.get(url).status_code
        assert (status == 200) == (person.role in allowed), (person.role, status)
        if person.role not in allowed:
            assert status == 403


def test_archive_section_shows_punctuality_to_rep_and_director(app, client, world):
    from conftest import sign_in

    from portal.core.periods import Period

    sign_in(client, world.director_a)
    html = with_fragments(client, f"/people/{world.rep_a.id}")
    assert Period.current("month").key in html and "工作计划、汇报、总结与任务" in html
    sign_in(client, world.rep_a)
    assert "工作计划、汇报、总结与任务" in with_fragments(client, f"/people/{world.rep_a.id}")
    sign_in(client, world.gm)
    assert "工作计划、汇报、总结与任务" not in with_fragments(client, f"/people/{world.director_a.id}")
