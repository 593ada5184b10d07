"""The benchmark's hooks in the app: /healthz, the reference page, the per-request SQL counters;
and the harness's statistics (bench/stats.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import sign_in
from sqlalchemy import text

from portal.authz import ANYONE, policy
from portal.core.db import db

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import stats  # noqa: E402


def _notes(user, n):
    from datetime import timedelta

    from portal.core.db import utcnow
    from portal.notifications.models import Notification

    start = utcnow() - timedelta(days=1)
    for i in range(n):
        db.session.add(Notification(user_id=user.id, kind="test", title=f"entry {i}",
                                    created_at=start + timedelta(minutes=i)))
    db.session.commit()


# /healthz ----------------------------------------------------------------------------------------

def test_healthz_answers_anyone_without_the_database(app, client, count_queries, make_user):
    with count_queries() as q:
        resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.data == b"ok"
    assert resp.mimetype == "text/plain"
    assert q.n == 0
    # Signed in: still no query (the user is not loaded) and the session cookie is not renewed.
    sign_in(client, make_user("rep"))
    with count_queries() as q:
        resp = client.get("/healthz")
    assert resp.status_code == 200 and q.n == 0
    assert "Set-Cookie" not in resp.headers


# The reference page ------------------------------------------------------------------------------

def test_reference_page_absent_by_default(app, client, login_as):
    login_as("rep")
    assert "bench.reference_table" not in app.view_functions
    assert client.get("/bench/reference-table").status_code == 404


def test_reference_page_with_the_config(make_app, make_user):
    bench_app = make_app(BENCH_REFERENCE_PAGES=True)
    user = make_user("rep")
    _notes(user, 60)
    client = bench_app.test_client()
    assert client.get("/bench/reference-table").status_code == 302  # signed in only
    sign_in(client, user)
    resp = client.get("/bench/reference-table")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.count("<tr>") == 50 + 1  # 50 rows and the header
    assert "entry 59" in body and "entry 9<" not in body  # newest first
    assert "X-Queries" not in resp.headers and "X-Rows" not in resp.headers


# The counters ------------------------------------------------------------------------------------

def _known_route(app):
    """A route running exactly two statements: one fetching 3 rows, one fetching 1 of 5."""

    @policy(ANYONE)
    def known():
        three = db.session.execute(text("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")).all()
        one = db.session.execute(text(
            "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5")).first()
        return f"{len(three)} {one[0]}"

    app.add_url_rule("/bench-known", "bench_known", known)


def test_headers_count_statements_and_rows(make_app):
    bench_app = make_app(BENCH_INSTRUMENT=True)
    _known_route(bench_app)
    client = bench_app.test_client()
    client.get("/bench-known")  # the engine's first connection reads the server's settings: not counted below
    resp = client.get("/bench-known")
    assert resp.status_code == 200 and resp.data == b"3 1"
    assert resp.headers["X-Queries"] == "2"
    assert resp.headers["X-Rows"] == "4"


def test_headers_match_an_independent_count_on_a_real_page(make_app, make_user, count_queries):
    bench_app = make_app(BENCH_INSTRUMENT=True, BENCH_REFERENCE_PAGES=True)
    user = make_user("rep")
    _notes(user, 60)
    client = bench_app.test_client()
    sign_in(client, user)
    client.get("/bench/reference-table")  # warm caches (settings, catalogs)
    with bench_app.app_context(), count_queries() as q:
        resp = client.get("/bench/reference-table")
    assert resp.status_code == 200
    assert int(resp.headers["X-Queries"]) == q.n > 0
    # At least the 50 notifications and the user's row were read.
    assert int(resp.headers["X-Rows"]) >= 51
    # /healthz reads nothing, even counted.
    resp = client.get("/healthz")
    assert resp.headers["X-Queries"] == "0" and resp.headers["X-Rows"] == "0"


def test_no_headers_without_the_config(app, client):
    _known_route(app)
    resp = client.get("/bench-known")
    assert resp.status_code == 200
    assert "X-Queries" not in resp.headers and "X-Rows" not in resp.headers


def test_counting_cursors_only_when_configured(app, make_app):
    from portal import bench

    assert "factory" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
    assert "cursor_factory" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
    options = bench.instrument_engine_options("sqlite:///x.db", {"connect_args": {"timeout": 15}})
    assert options["connect_args"]["timeout"] == 15 and "factory" in options["connect_args"]
    options = bench.instrument_engine_options("postgresql+psycopg://u@h/db", {})
    assert "cursor_factory" in options["connect_args"]


# The harness's statistics --------------------------------------------------------------------------

def test_percentiles():
    values = list(range(1, 101))  # 1..100
    assert stats.percentile(values, 50) == pytest.approx(50.5)
    assert stats.percentile(values, 95) == pytest.approx(95.05)
    assert stats.percentile(values, 99) == pytest.approx(99.01)
    assert stats.percentile(values, 100) == 100
    assert stats.percentile(values, 0) == 1
    assert stats.percentile([7.0], 95) == 7.0
    assert stats.percentile([], 95) is None


def test_summary_of_samples():
    samples = [stats.Sample(latency=0.010 * (i % 10 + 1), status=200 if i < 18 else 500, queries=5, rows=40)
               for i in range(20)]
    s = stats.summarise(samples, elapsed=2.0)
    assert s["requests"] == 20
    assert s["rps"] == pytest.approx(10.0)
    assert s["p50_ms"] == pytest.approx(55.0)
    assert s["p95_ms"] <= 100.0 and s["p99_ms"] <= 100.0
    assert s["statuses"] == {"200": 18, "500": 2}
    assert s["failures"] == 2
    assert s["queries"] == 5 and s["rows"] == 40


def test_an_htmx_redirect_is_a_failure():
    s = stats.summarise([stats.Sample(0.01, 200, hx_redirect=True), stats.Sample(0.01, 200)], elapsed=1.0)
    assert s["failures"] == 1 and s["statuses"] == {"200": 1, "200 HX-Redirect": 1}


def test_summary_reports_varying_query_counts():
    samples = [stats.Sample(0.01, 200, 3, 10), stats.Sample(0.01, 200, 5, 12)]
    s = stats.summarise(samples, elapsed=1.0)
    assert s["queries"] == 4.0 and s["queries_max"] == 5 and s["rows"] == 11.0


def test_targets_check():
    ref = {"1": {"rps": 100.0, "p95_ms": 10.0}, "8": {"rps": 200.0, "p95_ms": 40.0}}
    page = {"kind": "list", "runs": {"1": {"rps": 60, "p95_ms": 30.0, "queries": 8, "failures": 0},
                                     "8": {"rps": 90, "p95_ms": 80.0, "queries": 8, "failures": 0}}}
    misses = stats.check_targets(page, ref)
    assert any("req/s" in m for m in misses)  # 90 < 50 % of 200
    assert not any("p95" in m for m in misses)  # p95 is judged with one client
    report = {"kind": "report", "runs": {"1": {"rps": 30, "p95_ms": 45.0, "queries": 20, "failures": 0},
                                         "8": {"rps": 60, "p95_ms": 100.0, "queries": 20, "failures": 0}}}
    misses = stats.check_targets(report, ref)
    assert misses == ["20 queries > 15"]
    export = {"kind": "export", "runs": {"1": {"rps": 1, "p95_ms": 2500.0, "queries": 4, "failures": 0}}}
    assert stats.check_targets(export, ref) == ["p95 2500 ms > 2000 ms"]
    failing = {"kind": "detail", "runs": {"1": {"rps": 100, "p95_ms": 5.0, "queries": 3, "failures": 4}}}
    assert stats.check_targets(failing, ref) == ["4 failed requests"]


def test_growth_check():
    from bench import compare

    def run(factor, p50, queries, name="customer page + timeline (12 entries)"):
        return {"meta": {}, "pages": [{"name": name, "role": "rep", "kind": "detail",
                                       "runs": {"1": {"p50_ms": p50, "queries": queries, "queries_max": queries,
                                                      "rows": 10}}}]}

    small = run(0.1, 20.0, 8)
    assert compare.page_key(small["pages"][0]) == "customer page + timeline [rep]"
    ok = compare.compare(small, run(1, 29.0, 8, name="customer page + timeline (120 entries)"))
    assert ok[0]["misses"] == []
    slow = compare.compare(small, run(1, 31.0, 9))
    assert slow[0]["misses"] == ["p50 ×1.55 > ×1.5", "queries 8 → 9"]


def test_each_page_is_judged_against_the_reference_measured_around_it(monkeypatch):
    """The machine's speed drifts: the reference is measured again after every page, and each page's
    share is taken against the mean of the measurements just before and just after it."""
    from bench import run

    speed = iter([400.0, 400.0, 200.0, 200.0])  # the reference: fast at the start, slower later
    loads = []

    def fake_load(target, sessions, levels, duration, warmup, master_pid):
        loads.append((target.kind, tuple(levels)))
        rps = next(speed) if target.kind == "reference" else 150.0
        return {"8": {"rps": rps, "p95_ms": 10.0, "queries": 4}}

    monkeypatch.setattr(run, "_load", fake_load)
    pages = [run.Target("reference", "rep", "/bench/reference-table", "reference")] + [
        run.Target(f"list {i}", "rep", f"/l{i}", "list") for i in range(1, 4)]
    results = run.measure(pages, {}, [8], 0.1, 0)
    by_name = {r["name"]: r for r in results}
    assert by_name["list 1"]["reference_rps"] == {"8": 400.0}  # 400 before, 400 after
    assert by_name["list 1"]["misses"]  # 150 < 50 % of 400
    assert by_name["list 2"]["reference_rps"] == {"8": 300.0}  # 400 before, 200 after
    assert by_name["list 2"]["misses"] == []  # 150 ≥ 50 % of 300
    assert by_name["list 3"]["reference_rps"] == {"8": 200.0}
    assert by_name["reference"]["reference_rechecks"] == [400.0, 400.0, 200.0, 200.0]
    assert loads == [("reference", (8,)), ("list", (8,)), ("reference", (8,)), ("list", (8,)), ("reference", (8,)),
                     ("list", (8,)), ("reference", (8,))]  # the reference again after each page, at the top only
