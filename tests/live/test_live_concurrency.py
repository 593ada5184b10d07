"""Concurrency (issue 9): 32 signed-in browsers writing at once to gunicorn with 4 sync workers (as
`make serve-prod` and the README run it) for LIVE_CONCURRENCY_SECONDS (default 30).

Reps log customer entries, reply in their threads and save quiz answers; two directors log entries on
their reps' customers and reply in their threads. Every write the portal acknowledged (a 2xx/3xx) must be
in the database afterwards, no request may fail, and the server log must show no locking errors.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from portal.core.db import db

from . import seed
from .conftest import Client, record_figures, write_summary

SECONDS = float(os.environ.get("LIVE_CONCURRENCY_SECONDS", "30"))
REPS_PER_TEAM = 15  # 2 teams: 30 reps + 2 directors = 32 browsers
FOLLOW_EVERY = 3  # one acknowledged write in three follows its redirect, as a browser does


@pytest.fixture(scope="module")
def crowd(live_db):
    app = live_db.app()
    people = []
    with app.app_context():
        for t_name in ("A", "B"):
            t = seed.team(f"Crowd {t_name}")
            director = seed.user(f"crowd_dir_{t_name}", "director", t)
            quiz = seed.essay_quiz(director)
            reps = []
            for n in range(REPS_PER_TEAM):
                rep = seed.user(f"crowd_{t_name}{n}", "rep", t)
                reps.append({"username": rep.username, "role": "rep",
                             "customer_id": seed.customer(rep, f"并发测试客户{t_name}{n}有限公司").id,
                             "thread_id": seed.thread(rep, f"Crowd thread {t_name}{n}").id,
                             "attempt_id": seed.attempt(rep, quiz).id})
            people += reps
            people.append({"username": director.username, "role": "director",
                           "customers": [r["customer_id"] for r in reps], "threads": [r["thread_id"] for r in reps]})
        db.session.commit()
    return people


class Browser(threading.Thread):
    def __init__(self, server, person: dict, index: int, deadline: float, start_gate: threading.Barrier):
        super().__init__(daemon=True)
        self.server, self.person, self.index = server, person, index
        self.deadline, self.gate = deadline, start_gate
        self.statuses: Counter = Counter()
        self.acked: dict[str, list] = defaultdict(list)
        self.failures: list[str] = []
        self.requests = 0

    def run(self):
        try:
            client = Client(self.server, language="zh-CN")
            resp = client.login(self.person["username"], seed.PASSWORD)
            if resp.status != 302:
                raise AssertionError(f"sign-in answered {resp.status}: {resp.body[:200]}")
            client.fetch_csrf("/account/password")  # a light page carrying the session's token
            self.gate.wait(timeout=600)
            n = 0
            while time.monotonic() < self.deadline:
                self._one(client, n)
                n += 1
        except threading.BrokenBarrierError:
            self.failures.append("another browser could not sign in")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.failures.append(repr(exc))
            self.gate.abort()  # the others stop waiting

    def _one(self, client: Client, n: int):
        p = self.person
        kinds = ("activity", "reply", "save") if p["role"] == "rep" else ("activity", "reply")
        kind = kinds[n % len(kinds)]
        tag = f"{self.index}-{n}"
        if p["role"] == "rep":
            customer_id, thread_id = p["customer_id"], p["thread_id"]
        else:
            customer_id = p["customers"][n % len(p["customers"])]
            thread_id = p["threads"][n % len(p["threads"])]
        if kind == "activity":
            key = f"live entry {tag}"
            resp = client.post(f"/customers/{customer_id}/activities", {
                "kind": "call", "occurred_at": "2026-01-05T10:30", "summary": key, "duration_minutes": "5"})
        elif kind == "reply":
            key = f"live reply {tag}"
            resp = client.post(f"/comms/threads/{thread_id}/reply", {"body": key, "token": uuid.uuid4().hex})
        else:
            key = (p["attempt_id"], f"live answer {tag}")
            resp = client.post(f"/training/attempts/{p['attempt_id']}/save", {"page": "0", "r0": key[1]})
        self.requests += 1
        self.statuses[resp.status] += 1
        if 200 <= resp.status < 400:
            self.acked[kind].append(key)
            if resp.status in (302, 303) and n % FOLLOW_EVERY == 0:
                follow = client.get(resp.location)
                self.requests += 1
                self.statuses[follow.status] += 1
        else:
            self.failures.append(f"{kind} {resp.status}")


def test_concurrent_writers_lose_nothing(live_db, gunicorn, crowd, tmp_path, record_property):
    t0 = time.monotonic()
    server = gunicorn(live_db.url, workers=4)
    clock: dict[str, float] = {"server_up": time.monotonic()}

    def start_clock():  # run once, when everyone has signed in, before anyone is released
        clock["started"] = time.monotonic()
        for b in browsers:
            b.deadline = clock["started"] + SECONDS

    gate = threading.Barrier(len(crowd) + 1, action=start_clock)
    browsers = [Browser(server, person, i, 0.0, gate) for i, person in enumerate(crowd)]
    for b in browsers:
        b.start()
    try:
        gate.wait(timeout=600)  # everyone signed in: the clock starts now
    except threading.BrokenBarrierError:
        for b in browsers:
            b.join(timeout=60)
        pytest.fail(f"signing in failed: {[f for b in browsers for f in b.failures][:5]}")
    started = clock["started"]
    for b in browsers:
        b.join(timeout=SECONDS + 300)
    elapsed = time.monotonic() - started

    statuses = sum((b.statuses for b in browsers), Counter())
    acked: dict[str, list] = defaultdict(list)
    for b in browsers:
        for kind, keys in b.acked.items():
            acked[kind] += keys
    failures = [f for b in browsers for f in b.failures]

    app = live_db.app()
    with app.app_context():
        from portal.comms.models import ThreadMessage
        from portal.customers.models import Activity
        from portal.training.models import AttemptAnswer

        entries = list(db.session.scalars(select(Activity.summary).where(Activity.summary.like("live entry %"))))
        replies = list(db.session.scalars(select(ThreadMessage.body).where(ThreadMessage.body.like("live reply %"))))
        answers = {a: r for a, r in db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.response).where(AttemptAnswer.slot == 0))}
    last_saved: dict[int, str] = {}
    for b in browsers:
        for attempt_id, text in b.acked.get("save", []):
            last_saved[attempt_id] = text
    answers_kept = sum(1 for a, text in last_saved.items() if (answers.get(a) or {}).get("text") == text)

    log = server.log_text()
    figures = {
        "start_seconds": round(clock["server_up"] - t0, 1), "sign_in_seconds": round(started - clock["server_up"], 1),
        "backend": live_db.kind, "workers": 4, "browsers": len(browsers), "seconds": round(elapsed, 1),
        "requests": sum(b.requests for b in browsers), "requests_per_second": round(sum(b.requests for b in browsers)
                                                                                   / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "entries": {"acknowledged": len(acked["activity"]), "in_db": len(entries)},
        "replies": {"acknowledged": len(acked["reply"]), "in_db": len(replies)},
        "answer_saves": {"acknowledged": len(acked["save"]), "attempts": len(last_saved),
                         "last_save_kept": answers_kept},
        "locked_in_log": log.count("database is locked"), "tracebacks_in_log": log.count("Traceback"),
    }
    record_property("concurrency", figures)
    record_figures(f"concurrency ({live_db.kind})", figures)
    write_summary(tmp_path, "concurrency", figures)

    assert not failures, failures[:20]
    assert all(200 <= s < 400 for s in statuses), statuses
    assert sorted(entries) == sorted(acked["activity"])
    assert sorted(replies) == sorted(acked["reply"])
    assert answers_kept == len(last_saved)
    assert figures["locked_in_log"] == 0 and figures["tracebacks_in_log"] == 0, log[-3000:]
    assert "database error" not in log and "WORKER TIMEOUT" not in log, log[-3000:]
    assert min(len(acked[k]) for k in ("activity", "reply", "save")) > 0
