"""Scale out (issue 8): two gunicorn instances, as on two hosts, over one database and one Redis.

On the PostgreSQL pass the instances share a PostgreSQL database (the set-up the README recommends for
several hosts); on the SQLite pass they share one SQLite file, as two instances on one host would.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.db import db

from . import seed
from .conftest import REDIS_URL, Client, needs_redis

pytestmark = needs_redis


@pytest.fixture(scope="module")
def pair(live_db, gunicorn, redis_prefix):
    env = {"PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL, "PORTAL_RATELIMIT_KEY_PREFIX": redis_prefix}
    one = gunicorn(live_db.url, workers=2, env=env, wait=False)
    two = gunicorn(live_db.url, workers=2, env=env, wait=False)
    return one.wait_ready(), two.wait_ready()


@pytest.fixture(scope="module")
def people(live_db):
    app = live_db.app()
    with app.app_context():
        t = seed.team("Scale A")
        seed.user("scale_dir", "director", t)
        rep = seed.user("scale_rep", "rep", t, locale="en")
        seed.user("scale_victim", "rep", t)
        customer_id = seed.customer(rep, "横向扩展测试有限公司").id
        db.session.commit()
    return {"customer_id": customer_id}


def test_session_and_csrf_carry_over_between_instances(live_db, pair, people):
    one, two = pair
    assert one.port != two.port
    browser = Client(one, language="en")
    assert browser.login("scale_rep", seed.PASSWORD).status == 302
    home = browser.get("/", server=two)  # the same cookie, the other instance
    assert home.status == 200 and "Rep scale_rep" in home.body

    # A form of a page served by instance 1 is posted to instance 2.
    customer_id = people["customer_id"]
    browser.fetch_csrf(f"/customers/{customer_id}", server=one)
    resp = browser.post(f"/customers/{customer_id}/activities", {
        "kind": "call", "occurred_at": "2026-01-05T10:30", "summary": "Logged through instance two",
        "duration_minutes": "15"}, server=two)
    assert resp.status == 302, (resp.status, resp.body[:400])
    page = browser.get(f"/customers/{customer_id}", server=one)
    assert "Logged through instance two" in page.body

    # A token from a page of instance 2 works on instance 1 too.
    browser.fetch_csrf(f"/customers/{customer_id}", server=two)
    resp = browser.post(f"/customers/{customer_id}/activities", {
        "kind": "visit", "occurred_at": "2026-01-06T09:00", "summary": "Logged through instance one"}, server=one)
    assert resp.status == 302, (resp.status, resp.body[:400])

    # A forged token is refused by both.
    browser.csrf = "not-a-token"
    for server in pair:
        resp = browser.post(f"/customers/{customer_id}/activities", {
            "kind": "visit", "occurred_at": "2026-01-06T09:00", "summary": "forged"}, server=server)
        assert resp.status == 400

    app = live_db.app()
    with app.app_context():
        from portal.customers.models import Activity

        summaries = set(db.session.scalars(select(Activity.summary).where(Activity.customer_id == customer_id)))
    assert {"Logged through instance two", "Logged through instance one"} <= summaries
    assert "forged" not in summaries

    # Signing out on one instance ends the session on the other.
    stolen = browser.session_cookie()
    browser.fetch_csrf("/", server=two)
    assert browser.post("/logout", server=two).status == 302
    replay = Client(one)
    replay.cookies["portal_session"] = stolen
    resp = replay.get("/")
    assert resp.status == 302 and "/login" in resp.location


def test_sign_in_throttling_counts_across_instances(pair, people):
    one, two = pair
    for server in (one, one, one, two, two):
        c = Client(server)
        assert c.login("scale_victim", "wrong-password-xx").status == 200
    # The sixth attempt is refused on either instance, the right password included.
    for server in (one, two):
        resp = Client(server).login("scale_victim", seed.PASSWORD)
        assert resp.status == 429, resp.status
        assert "尝试次数过多" in resp.body
    # Another account is not affected.
    assert Client(two).login("scale_dir", seed.PASSWORD).status == 302
