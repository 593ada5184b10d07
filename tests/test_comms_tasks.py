"""Tasks downward: who assigns to whom, each assignee's part, review, overdue, break-down and roll-up."""
from __future__ import annotations

from datetime import timedelta

from conftest import sign_in
from sqlalchemy import func, select

from portal.comms import queries as q
from portal.comms.models import Task, TaskAssignment
from portal.core.db import db
from portal.core.periods import local_today
from portal.notifications.models import Notification


def _assign(client, world, assignees, **extra):
    sign_in(client, world.director_a)
    data = {"title": "Call the top ten customers", "description": "Ask about **Q1** orders", "priority": "high",
            "due_on": (local_today() + timedelta(days=5)).isoformat(), "token": extra.pop("token", "tok-1"),
            "assignee_ids": [u.id for u in assignees], **extra}
    return client.post("/comms/tasks/new", data=data)


def test_director_assigns_to_two_reps_and_sees_progress(client, world):
    resp = _assign(client, world, [world.rep_a, world.rep_a2])
    assert resp.status_code == 302
    task = db.session.scalar(select(Task))
    assert {p.assignee_id for p in task.parts} == {world.rep_a.id, world.rep_a2.id}
    notes = db.session.scalars(select(Notification).where(Notification.kind == "task_assigned")).all()
    assert {n.user_id for n in notes} == {world.rep_a.id, world.rep_a2.id}
    assert all(n.link == f"/comms/tasks/{task.id}" for n in notes)

    sign_in(client, world.rep_a)
    part = next(p for p in task.parts if p.assignee_id == world.rep_a.id)
    assert client.post(f"/comms/tasks/{task.id}/parts/{part.id}/start").status_code == 302
    assert client.post(f"/comms/tasks/{task.id}/parts/{part.id}/complete", data={"report": "Called all ten"}
                       ).status_code == 302
    db.session.refresh(part)
    assert part.status == "done" and part.completed_at is not None

    sign_in(client, world.director_a)
    page = client.get(f"/comms/tasks/{task.id}").get_data(as_text=True)
    assert "1/2" in page and "Called all ten" in page
    assert q.task_progress([task.id])[task.id] == {"done": 1, "total": 2, "overdue": 0}


def test_whole_team_and_foreign_reps_refused(client, world):
    assert _assign(client, world, [], whole_team="y", token="t-team").status_code == 302
    task = db.session.scalar(select(Task))
    assert {p.assignee_id for p in task.parts} == {world.rep_a.id, world.rep_a2.id}
    # rep_b is in team B: not assignable by director A; the form is shown again with the error.
    resp = _assign(client, world, [world.rep_b], token="t-foreign")
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(Task.id))) == 1


def test_double_submission_creates_one_task(client, world):
    assert _assign(client, world, [world.rep_a], token="same").status_code == 302
    assert _assign(client, world, [world.rep_a], token="same").status_code == 302
    assert db.session.scalar(select(func.count(Task.id))) == 1
    assert db.session.scalar(select(func.count(TaskAssignment.id))) == 1


def test_rep_cannot_assign_and_gm_assigns_directors_only(client, world):
    sign_in(client, world.rep_a)
    assert client.get("/comms/tasks/new").status_code == 403
    sign_in(client, world.gm)
    page = client.get("/comms/tasks/new").get_data(as_text=True)
    assert world.director_a.display_name in page and world.rep_a.display_name not in page


def test_review_accept_and_send_back(client, world):
    _assign(client, world, [world.rep_a, world.rep_a2])
    task = db.session.scalar(select(Task))
    parts = {p.assignee_id: p for p in task.parts}
    for rep in (world.rep_a, world.rep_a2):
        sign_in(client, rep)
        client.post(f"/comms/tasks/{task.id}/parts/{parts[rep.id].id}/complete", data={"report": "done"})
    # A rep cannot review; the assigner can.
    sign_in(client, world.rep_a)
    assert client.post(f"/comms/tasks/{task.id}/parts/{parts[world.rep_a2.id].id}/review",
                       data={"decision": "accept"}).status_code == 403
    sign_in(client, world.director_a)
    client.post(f"/comms/tasks/{task.id}/parts/{parts[world.rep_a.id].id}/review", data={"decision": "accept"})
    # Sending back needs a comment.
    client.post(f"/comms/tasks/{task.id}/parts/{parts[world.rep_a2.id].id}/review", data={"decision": "send_back"})
    db.session.refresh(parts[world.rep_a2.id])
    assert parts[world.rep_a2.id].status == "done"
    client.post(f"/comms/tasks/{task.id}/parts/{parts[world.rep_a2.id].id}/review",
                data={"decision": "send_back", "comment": "Add the customer list"})
    db.session.refresh(parts[world.rep_a.id])
    db.session.refresh(parts[world.rep_a2.id])
    assert parts[world.rep_a.id].status == "accepted"
    back = parts[world.rep_a2.id]
    assert back.status == "in_progress" and back.completed_at is None and back.sent_back_count == 1
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.rep_a2.id,
                                                        Notification.kind == "task_reviewed"))
    assert note is not None and note.body == "Add the customer list"


def test_overdue_marked(client, world):
    _assign(client, world, [world.rep_a, world.rep_a2])
    task = db.session.scalar(select(Task))
    task.due_on = local_today() - timedelta(days=1)
    task.parts[0].status = "done"
    db.session.commit()
    assert q.task_progress([task.id])[task.id]["overdue"] == 1
    sign_in(client, world.director_a)
    assert "Overdue" in client.get(f"/comms/tasks/{task.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True) or "逾期" in client.get(f"/comms/tasks/{task.id}").get_data(as_text=True)
    assert client.get("/comms/tasks?view=given&state=overdue").status_code == 200


def test_who_sees_a_task(client, world, make_user):
    _assign(client, world, [world.rep_a])
    task = db.session.scalar(select(Task))
    url = f"/comms/tasks/{task.id}"
    for person, status in [(world.rep_a, 200), (world.director_a, 200), (world.gm, 200), (world.rep_a2, 404),
                           (world.rep_b, 404), (world.director_b, 404)]:
        sign_in(client, person)
        assert client.get(url).status_code == status, person.username
    sign_in(client, world.admin)
    assert client.get(url).status_code == 403
    # The list shows only what one may see.
    sign_in(client, world.rep_a2)
    assert "Call the top ten" not in client.get("/comms/tasks?view=all").get_data(as_text=True)
    # A rep does not see the per-assignee table (only the assigner and those above do).
    assert not q.can_see_progress(world.rep_a, task)
    assert q.can_see_progress(world.gm, task) and q.can_see_progress(world.director_a, task)


def test_gm_task_broken_down_and_rolled_up(client, world):
    sign_in(client, world.gm)
    due = (local_today() + timedelta(days=10)).isoformat()
    client.post("/comms/tasks/new", data={"title": "Collect receivables", "priority": "high", "due_on": due,
                                          "assignee_ids": [world.director_a.id, world.director_b.id], "token": "g1"})
    parent = db.session.scalar(select(Task))
    # A rep cannot break it down; director A can, for team A only.
    sign_in(client, world.rep_a)
    assert client.get(f"/comms/tasks/new?parent_id={parent.id}").status_code == 403
    sign_in(client, world.director_a)
    assert client.get(f"/comms/tasks/new?parent_id={parent.id}").status_code == 200
    resp = client.post(f"/comms/tasks/new?parent_id={parent.id}", data={
        "title": "Receivables: your accounts", "priority": "high", "due_on": due, "whole_team": "y", "token": "d1"})
    assert resp.status_code == 302
    child = db.session.scalar(select(Task).where(Task.parent_id == parent.id))
    assert len(child.parts) == 2
    sign_in(client, world.rep_a)
    part = next(p for p in child.parts if p.assignee_id == world.rep_a.id)
    client.post(f"/comms/tasks/{child.id}/parts/{part.id}/complete", data={"report": "collected"})
    roll = q.rollup(parent)
    assert (roll["done"], roll["total"]) == (1, 2)
    sign_in(client, world.gm)
    page = client.get(f"/comms/tasks/{parent.id}").get_data(as_text=True)
    assert "Receivables: your accounts" in page and 'id="rollup-count"' in page
    # The GM was told the task was broken down.
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.gm.id,
                                                        Notification.kind == "task_broken_down"))


def test_task_list_query_count_flat(client, world, count_queries):
    sign_in(client, world.director_a)
    due = local_today() + timedelta(days=3)

    def add(n):
        for i in range(n):
            task = Task(title=f"T{i}", priority="normal", due_on=due, deadline_at=q.utcnow() + timedelta(days=4),
                        assigner_id=world.director_a.id, team_id=world.team_a.id)
            task.parts.append(TaskAssignment(assignee_id=world.rep_a.id, team_id=world.team_a.id))
            task.parts.append(TaskAssignment(assignee_id=world.rep_a2.id, team_id=world.team_a.id))
            db.session.add(task)
        db.session.commit()

    add(30)
    client.get("/comms/tasks?view=given")
    with count_queries() as few:
        assert client.get("/comms/tasks?view=given").status_code == 200
    add(60)
    client.get("/comms/tasks?view=given")
    with count_queries() as many:
        assert client.get("/comms/tasks?view=given").status_code == 200
    assert many.n == few.n


def test_link_names_a_record_the_assigner_may_open(client, world):
    from samples_customers import customer

    theirs = customer(world.rep_b)
    ours = customer(world.rep_a)
    # Another team's customer, or no such customer: refused on the field, nothing written.
    for link_id in (theirs.id, 99999):
        resp = _assign(client, world, [world.rep_a], link_type="customer", link_id=str(link_id), token=f"x{link_id}")
        assert resp.status_code == 200
        assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    resp = _assign(client, world, [world.rep_a], link_type="customer", link_id=str(ours.id), token="lnk")
    assert resp.status_code == 302
    task = db.session.scalar(select(Task))
    assert (task.link_type, task.link_id) == ("customer", ours.id)
    # Half a reference is refused with a message, not a 500.
    resp = _assign(client, world, [world.rep_a], link_type="customer", token="lnk2")
    assert resp.status_code == 200
