"""Sessions against real gunicorn workers (issue 9): copied cookies die with sign-out, password change and
deactivation; sign-in throttling holds across workers sharing Redis; ?next= never leaves the site."""
from __future__ import annotations

import threading

import pytest

from portal.core.db import db

from . import seed
from .conftest import REDIS_URL, Client, needs_redis, redis_up, stays_on_site


@pytest.fixture(scope="module")
def server(live_db, gunicorn, redis_prefix):
    """Two workers; sign-in throttling in Redis when one answers (else per worker, and that test skips)."""
    env = {"PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL, "PORTAL_RATELIMIT_KEY_PREFIX": redis_prefix} if redis_up() else {}
    # The per-account limit is under test; every request comes from 127.0.0.1, so the per-address limit
    # (which a repeated round would reach) is lifted.
    env["PORTAL_LOGIN_LIMIT_PER_ADDRESS"] = "1000 per 15 minutes"
    return gunicorn(live_db.url, workers=2, env=env)


def _signed_in(server, username, **kw) -> Client:
    client = Client(server, **kw)
    resp = client.login(username, seed.PASSWORD)
    assert resp.status == 302, (resp.status, resp.body[:300])
    assert client.get("/").status == 200
    return client


def _replay(server, cookie: str) -> Client:
    other = Client(server)
    other.cookies["portal_session"] = cookie
    return other


def _refused(resp) -> bool:
    return resp.status == 302 and "/login" in resp.location


def test_copied_cookies_are_refused_after_sign_out_password_change_and_deactivation(live_db, server):
    app = live_db.app()
    with app.app_context():
        t = seed.team("Live A")
        seed.user("dir_live", "director", t)
        seed.user("out", "rep", t)
        seed.user("chg", "rep", t)
        gone_id = seed.user("gone", "rep", t).id
        seed.user("admin_live", "admin")
        db.session.commit()

    # Sign-out: the cookie copied before it no longer opens anything, on whichever worker.
    out = _signed_in(server, "out")
    stolen = out.session_cookie()
    assert _replay(server, stolen).get("/").status == 200
    out.fetch_csrf("/")
    assert _refused(out.post("/logout"))
    for _ in range(4):
        assert _refused(_replay(server, stolen).get("/"))

    # Password change: the other browser's cookie is refused, the browser that changed it stays in.
    chg = _signed_in(server, "chg")
    other = _signed_in(server, "chg")
    before = other.session_cookie()
    chg.fetch_csrf("/account/password")
    new = "A-much-better-passphrase-7"
    resp = chg.post("/account/password", {"current_password": seed.PASSWORD, "new_password": new, "confirm": new})
    assert resp.status == 302, resp.body[:300]
    assert chg.get("/").status == 200
    for _ in range(4):
        assert _refused(_replay(server, before).get("/"))
    assert Client(server).login("chg", new).status == 302

    # Deactivation by the administrator: the rep's cookie is refused at once.
    gone = _signed_in(server, "gone")
    kept = gone.session_cookie()
    admin = _signed_in(server, "admin_live")
    admin.fetch_csrf(f"/people/{gone_id}")
    assert admin.post(f"/people/{gone_id}/active", {"active": "0"}).status == 302
    for _ in range(4):
        assert _refused(_replay(server, kept).get("/"))
    assert Client(server).login("gone", seed.PASSWORD).status == 200  # nor can it sign in again
    assert "Traceback" not in server.log_text()


NEXT_TARGETS = ["https://elsewhere.example/x", "//elsewhere.example/x", "/\\elsewhere.example", "/\\\\elsewhere",
                "https:elsewhere.example", "/%2F%2Felsewhere.example", "javascript:alert(1)"]


def test_next_stays_on_the_site(live_db, server):
    app = live_db.app()
    with app.app_context():
        seed.user("nx", "rep", seed.team("Live N"))
        db.session.commit()
    for target in NEXT_TARGETS:
        client = Client(server)
        resp = client.login("nx", seed.PASSWORD, next_url=target)
        assert resp.status == 302, (target, resp.status)
        assert stays_on_site(resp.location, server), (target, resp.location)
    # A path on the site is honoured.
    resp = Client(server).login("nx", seed.PASSWORD, next_url="/people/account")
    assert resp.status == 302 and resp.location.endswith("/people/account")


@needs_redis
def test_throttling_holds_across_workers_with_redis(live_db, server):
    app = live_db.app()
    with app.app_context():
        t = seed.team("Live T")
        for n in range(4):
            seed.user(f"victim{n}", "rep", t)
        db.session.commit()
    # Five failures sent at once, so both workers take some (the access log says which worker answered);
    # should one worker take them all, the round is repeated on the next account.
    for n in range(4):
        username = f"victim{n}"
        clients = [Client(server) for _ in range(5)]
        for c in clients:
            c.fetch_csrf()
        before = len(server.access_entries())
        results: list[int] = []
        threads = [threading.Thread(target=lambda c=c: results.append(
            c.post("/login", {"username": username, "password": "wrong-password-xx"}).status)) for c in clients]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(results) == [200] * 5, results
        failures = [e for e in server.access_entries()[before:] if e[1] == "POST" and e[2] == "/login"]
        pids = {e[0] for e in failures}
        # The sixth attempt, right password included, is refused on every worker.
        for _ in range(4):
            late = Client(server)
            late.fetch_csrf()
            resp = late.post("/login", {"username": username, "password": seed.PASSWORD})
            assert resp.status == 429, resp.status
            assert "尝试次数过多" in resp.body
        answered = {e[0] for e in server.access_entries() if e[1] == "POST" and e[3] == "429"}
        if len(pids) >= 2:
            assert len(server.worker_pids()) == 2
            assert answered, "no worker refused"
            return
    pytest.fail("five concurrent sign-ins never reached both workers")
