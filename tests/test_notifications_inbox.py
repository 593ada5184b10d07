"""The inbox: newest first, paginated, marking read, the navigation badge, and flat query counts."""
from __future__ import annotations

from datetime import timedelta

from conftest import home_html, sign_in
from sqlalchemy import func, insert, select

from portal.core.db import db, utcnow
from portal.notifications.models import Notification
from portal.notifications.services import notify


def _bulk(user, n, read=False):
    now = utcnow()
    db.session.execute(insert(Notification), [
        {"user_id": user.id, "kind": "test", "title": f"Note {i}", "link": "/comms/tasks",
         "created_at": now - timedelta(minutes=i), "read_at": now if read else None} for i in range(n)])
    db.session.commit()


def test_notify_skips_actor_inactive_and_duplicates(app, world, make_user):
    gone = make_user("rep", world.team_a, active=False)
    made = notify([world.rep_a, world.rep_a, world.director_a, gone], "x", "Hello", actor=world.director_a)
    assert [n.user_id for n in made] == [world.rep_a.id]


def test_title_in_each_recipients_language(app, world):
    from flask_babel import lazy_gettext as _l

    world.rep_a.locale = "en"
    db.session.commit()
    with app.test_request_context("/"):
        notify([world.rep_a], "x", _l("Notifications"))
    assert db.session.scalar(select(Notification.title)) == "Notifications"


def test_inbox_lists_own_newest_first_and_paginates(client, world):
    _bulk(world.rep_a, 30)
    _bulk(world.rep_b, 3)
    sign_in(client, world.rep_a)
    page = client.get("/inbox/").get_data(as_text=True)
    assert page.index("Note 0<") < page.index("Note 1<")
    assert "Note 29<" not in page  # on page 2
    assert "Note 29<" in client.get("/inbox/?page=2").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == world.rep_b.id)) == 3


def test_open_marks_read_and_follows_link(client, world):
    _bulk(world.rep_a, 2)
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.rep_a.id))
    sign_in(client, world.rep_b)
    assert client.post(f"/inbox/{note.id}/open").status_code == 404  # someone else's
    sign_in(client, world.rep_a)
    resp = client.post(f"/inbox/{note.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/comms/tasks")
    db.session.refresh(note)
    assert note.read_at is not None


def test_open_never_redirects_off_site(client, world):
    db.session.add(Notification(user_id=world.rep_a.id, kind="x", title="t", link="//evil.example/"))
    db.session.commit()
    note = db.session.scalar(select(Notification))
    sign_in(client, world.rep_a)
    assert client.post(f"/inbox/{note.id}/open").headers["Location"].endswith("/inbox/")


def test_mark_read_htmx_and_all_read(client, world):
    _bulk(world.rep_a, 5)
    _bulk(world.rep_b, 2)
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.rep_a.id))
    sign_in(client, world.rep_a)
    resp = client.post(f"/inbox/{note.id}/read", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and f'id="note-{note.id}"' in resp.get_data(as_text=True)
    assert "<html" not in resp.get_data(as_text=True)
    client.post("/inbox/read-all")
    unread = dict(db.session.execute(select(Notification.user_id, func.count()).where(
        Notification.read_at.is_(None)).group_by(Notification.user_id)).all())
    assert unread == {world.rep_b.id: 2}  # only one's own


def test_badge_counts_unread_and_does_not_renew_session(client, world):
    _bulk(world.rep_a, 7)
    _bulk(world.rep_a, 3, read=True)
    sign_in(client, world.rep_a)
    home = home_html(client)
    assert 'id="nav-unread"' in home and 'data-unread="7"' in home and 'hx-trigger="every 60s"' in home
    resp = client.get("/inbox/badge", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and 'data-unread="7"' in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers


def test_nav_extra_renders_nothing_for_anonymous(app, client):
    from flask import render_template

    with app.test_request_context("/"):
        assert render_template("_nav_extra.html").strip() == ""
    assert "nav-unread" not in client.get("/login").get_data(as_text=True)
    assert client.get("/inbox/badge").status_code == 302  # sign in first


def test_inbox_query_count_flat_10_vs_2000(client, world, count_queries):
    sign_in(client, world.rep_a)
    _bulk(world.rep_a, 10)
    client.get("/inbox/")
    with count_queries() as few:
        assert client.get("/inbox/").status_code == 200
    _bulk(world.rep_a, 1990)
    client.get("/inbox/")
    with count_queries() as first:
        assert client.get("/inbox/").status_code == 200
    with count_queries() as last:
        assert client.get("/inbox/?page=80").status_code == 200
    # The same statements whatever the size; the total count appears once there is a second page.
    assert first.n == last.n <= few.n + 1
    with count_queries() as badge:
        client.get("/inbox/badge")
    assert badge.n <= 4  # user, count, and the layout's two settings look-ups
    with count_queries() as all_read:
        client.post("/inbox/read-all")
    assert all_read.n <= 4  # one UPDATE, whatever the number of rows
