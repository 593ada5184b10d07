"""Threads upward: who sees them, inline replies, read receipts, escalation, resolve/reopen, first reply."""
from __future__ import annotations

from datetime import timedelta

from conftest import sign_in
from sqlalchemy import func, select

from portal.comms import queries as q
from portal.comms.models import Thread, ThreadMessage
from portal.core.db import db
from portal.notifications.models import Notification

HX = {"HX-Request": "true"}


def _raise(client, rep, **kw):
    sign_in(client, rep)
    data = {"kind": "difficulty", "subject": "Customer wants 120 days credit", "body": "They insist.",
            "token": kw.pop("token", "th-1"), **kw}
    resp = client.post("/comms/threads/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return db.session.scalar(select(Thread).order_by(Thread.id.desc()))


def test_rep_raises_director_notified(client, world):
    from samples_customers import customer

    mine = customer(world.rep_a)
    thread = _raise(client, world.rep_a, customer_id=str(mine.id))
    assert thread.team_id == world.team_a.id and thread.customer_id == mine.id
    note = db.session.scalar(select(Notification).where(Notification.kind == "thread_new"))
    assert note.user_id == world.director_a.id and note.link == f"/comms/threads/{thread.id}"


def test_a_thread_names_only_a_customer_the_rep_may_open(client, world):
    from samples_customers import customer

    theirs = customer(world.rep_b)
    sign_in(client, world.rep_a)
    for customer_id in (theirs.id, 99999):
        resp = client.post("/comms/threads/new", data={"kind": "difficulty", "subject": "s", "body": "b",
                                                       "token": f"t{customer_id}", "customer_id": customer_id})
        assert resp.status_code == 200  # the form again, with the error on the field
        assert db.session.scalar(select(func.count()).select_from(Thread)) == 0


def test_who_sees_a_thread(client, world):
    thread = _raise(client, world.rep_a)
    url = f"/comms/threads/{thread.id}"
    for person, status in [(world.rep_a, 200), (world.director_a, 200), (world.gm, 404), (world.rep_a2, 404),
                           (world.rep_b, 404), (world.director_b, 404)]:
        sign_in(client, person)
        assert client.get(url).status_code == status, person.username
        assert client.post(f"{url}/read").status_code == (204 if status == 200 else status)
        listed = thread.subject in client.get("/comms/threads?status=all").get_data(as_text=True)
        assert listed == (status == 200), person.username
    sign_in(client, world.admin)
    assert client.get(url).status_code == 403
    # Once escalated the GM joins; other reps and teams still do not.
    thread.escalated_at = q.utcnow()
    db.session.commit()
    for person, status in [(world.gm, 200), (world.rep_a2, 404), (world.director_b, 404)]:
        sign_in(client, person)
        assert client.get(url).status_code == status, person.username


def test_inline_reply_with_htmx_and_markdown_is_safe(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.director_a)
    resp = client.post(f"/comms/threads/{thread.id}/reply", headers=HX,
                       data={"body": "Fine **by me** <script>alert(1)</script>", "token": "r1"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<html" not in html and 'id="thread-conversation"' in html  # only the fragment
    assert "<strong>by me</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'hx-disabled-elt="this"' in html
    note = db.session.scalar(select(Notification).where(Notification.kind == "thread_reply"))
    assert note.user_id == world.rep_a.id


def test_double_reply_creates_one_message(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.director_a)
    for _ in range(2):  # the same form (token) twice
        assert client.post(f"/comms/threads/{thread.id}/reply", headers=HX,
                           data={"body": "On it", "token": "same"}).status_code == 200
    # The same text again at once, even with a fresh token (two tabs), is a double submission too.
    client.post(f"/comms/threads/{thread.id}/reply", headers=HX, data={"body": "On it", "token": "other"})
    assert db.session.scalar(select(func.count(ThreadMessage.id)).where(ThreadMessage.thread_id == thread.id)) == 2
    # A different text is a new message.
    client.post(f"/comms/threads/{thread.id}/reply", headers=HX, data={"body": "Done now", "token": "third"})
    assert db.session.scalar(select(func.count(ThreadMessage.id)).where(ThreadMessage.thread_id == thread.id)) == 3


def test_double_thread_submission_creates_one_thread(client, world):
    _raise(client, world.rep_a, token="dbl")
    _raise(client, world.rep_a, token="dbl")
    assert db.session.scalar(select(func.count(Thread.id))) == 1


def test_empty_reply_keeps_form_and_no_500(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.director_a)
    resp = client.post(f"/comms/threads/{thread.id}/reply", headers=HX, data={"body": "", "token": "e"})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)


def test_read_receipts_both_ways(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.rep_a)
    page = client.get(f"/comms/threads/{thread.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Not read yet" in page or "未读" in page
    sign_in(client, world.director_a)
    page = client.get(f"/comms/threads/{thread.id}").get_data(as_text=True)
    assert f'hx-post="/comms/threads/{thread.id}/read" hx-trigger="load"' in page  # the page reports reading
    assert thread.id in q.unread_thread_ids(world.director_a, [thread.id])  # a GET writes nothing
    assert client.post(f"/comms/threads/{thread.id}/read").status_code == 204
    assert thread.id not in q.unread_thread_ids(world.director_a, [thread.id])
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Let us call them", "token": "rr"})
    sign_in(client, world.rep_a)
    assert thread.id in q.unread_thread_ids(world.rep_a, [thread.id])
    client.post(f"/comms/threads/{thread.id}/read")
    page = client.get(f"/comms/threads/{thread.id}/conversation").get_data(as_text=True)
    assert world.director_a.display_name in page.split("read-receipt")[1]  # "Read by <director>" on my message
    assert thread.id not in q.unread_thread_ids(world.rep_a, [thread.id])
    # And the director sees that the rep has read the reply.
    sign_in(client, world.director_a)
    page = client.get(f"/comms/threads/{thread.id}/conversation").get_data(as_text=True)
    assert "<html" not in page
    receipts = [part.split("</div>")[0] for part in page.split('read-receipt">')[1:]]
    assert receipts and world.rep_a.display_name in receipts[-1]


def test_receipt_on_each_of_my_messages(client, world):
    """Each of the viewer's messages says who has read the thread since it was sent; the others' messages
    carry no line, and a reader's name is printed as text."""
    from portal.comms.models import ThreadRead

    thread = _raise(client, world.rep_a)
    sign_in(client, world.rep_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Any news?", "token": "n1"})
    sign_in(client, world.director_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Looking", "token": "n2"})
    first, second, third = db.session.scalars(select(ThreadMessage).where(ThreadMessage.thread_id == thread.id)
                                              .order_by(ThreadMessage.id))
    first.created_at -= timedelta(hours=2)
    second.created_at -= timedelta(minutes=30)
    world.director_a.display_name = "Dir <b>A</b>"
    db.session.merge(ThreadRead(thread_id=thread.id, user_id=world.director_a.id,
                                read_at=first.created_at + timedelta(hours=1)))  # between the two
    db.session.commit()
    sign_in(client, world.rep_a)
    page = client.get(f"/comms/threads/{thread.id}/conversation",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    receipts = {part.split('"')[0]: part.split('read-receipt">')[1].split("</div>")[0]
                for part in page.split('id="msg-')[1:] if "read-receipt" in part}
    assert receipts == {str(first.id): "Read by Dir &lt;b&gt;A&lt;/b&gt;", str(second.id): "Not read yet"}


def test_escalate_gm_joins_and_replies_history_kept(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.director_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Checking", "token": "c1"})
    # Reps and the other director cannot escalate.
    for person in (world.rep_a, world.director_b):
        sign_in(client, person)
        resp = client.post(f"/comms/threads/{thread.id}/escalate", data={})
        assert resp.status_code in (403, 404)
    sign_in(client, world.director_a)
    assert client.post(f"/comms/threads/{thread.id}/escalate", data={"note": "Beyond policy"}).status_code == 302
    db.session.refresh(thread)
    assert thread.escalated_at is not None
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.gm.id,
                                                        Notification.kind == "thread_escalated"))
    sign_in(client, world.gm)
    page = client.get(f"/comms/threads/{thread.id}").get_data(as_text=True)
    assert "They insist." in page and "Checking" in page and "Beyond policy" in page  # the whole history
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Give them 90 days", "token": "g"})
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (world.rep_a.id, "thread_reply") in kinds and (world.director_a.id, "thread_reply") in kinds
    # Escalating twice is refused.
    sign_in(client, world.director_a)
    client.post(f"/comms/threads/{thread.id}/escalate", data={})
    assert db.session.scalar(select(func.count(ThreadMessage.id)).where(ThreadMessage.event == "escalated")) == 1


def test_resolve_and_reopen(client, world):
    thread = _raise(client, world.rep_a)
    sign_in(client, world.rep_a)
    assert client.post(f"/comms/threads/{thread.id}/resolve", data={}).status_code == 403
    sign_in(client, world.director_a)
    client.post(f"/comms/threads/{thread.id}/resolve", data={"note": "Agreed with finance"})
    db.session.refresh(thread)
    assert thread.status == "resolved"
    # No replies on a resolved thread until reopened.
    sign_in(client, world.rep_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "But…", "token": "x"})
    assert db.session.scalar(select(func.count(ThreadMessage.id)).where(ThreadMessage.body == "But…")) == 0
    client.post(f"/comms/threads/{thread.id}/reopen", data={"note": "Customer changed their mind"})
    db.session.refresh(thread)
    assert thread.status == "open"
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "But…", "token": "y"})
    assert db.session.scalar(select(func.count(ThreadMessage.id)).where(ThreadMessage.body == "But…")) == 1


def test_time_to_first_reply_measured_and_on_panel(client, world):
    thread = _raise(client, world.rep_a)
    thread.created_at = q.utcnow() - timedelta(hours=5)
    db.session.commit()
    # The author's own follow-up is not a reply.
    sign_in(client, world.rep_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Any news?", "token": "a"})
    db.session.refresh(thread)
    assert thread.first_reply_at is None
    sign_in(client, world.director_a)
    client.post(f"/comms/threads/{thread.id}/reply", data={"body": "Yes", "token": "b"})
    db.session.refresh(thread)
    assert thread.first_reply_at is not None
    stats = q.reply_stats({world.team_a.id})
    assert stats["answered"] == 1 and stats["avg_hours"] == 5.0 and stats["waiting"] == 0
    home = client.get("/panels/comms.open_threads", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "5.0" in home
    assert "5.0" in client.get(f"/comms/threads/{thread.id}").get_data(as_text=True)


def test_thread_list_query_count_flat(client, world, count_queries):
    def add(n):
        for i in range(n):
            t = Thread(author_id=world.rep_a.id, team_id=world.team_a.id, kind="question", subject=f"Q{i}")
            t.messages.append(ThreadMessage(author_id=world.rep_a.id, body="?"))
            db.session.add(t)
        db.session.commit()

    sign_in(client, world.director_a)
    add(30)
    client.get("/comms/threads")
    with count_queries() as few:
        client.get("/comms/threads")
    add(60)
    client.get("/comms/threads")
    with count_queries() as many:
        client.get("/comms/threads")
    assert many.n == few.n
