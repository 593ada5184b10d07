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


def test_a_page_short_of_its_share_is_measured_again_and_judged_on_the_median(monkeypatch):
    """--rechecks: a page short of its share is measured again between two measurements of the reference;
    a page slow in one moment passes on the median, a page slow every time still fails, and every share
    is kept."""
    from bench import run

    page_rps = {"/stall": iter([100.0, 180.0, 170.0]), "/slow": iter([100.0, 110.0, 160.0]),
                "/fine": iter([200.0])}
    loads = []

    def fake_load(target, sessions, levels, duration, warmup, master_pid):
        loads.append(target.path)
        rps = 300.0 if target.kind == "reference" else next(page_rps[target.path])
        return {"8": {"rps": rps, "p95_ms": 10.0, "queries": 4}}

    monkeypatch.setattr(run, "_load", fake_load)
    pages = [run.Target("reference", "rep", "/bench/reference-table", "reference")] + [
        run.Target(path, "rep", path, "list") for path in ("/stall", "/slow", "/fine")]
    results = {r["path"]: r for r in run.measure(pages, {}, [8], 0.1, 0, rechecks=2)}
    assert results["/stall"]["share_measured"] == [0.3333, 0.6, 0.5667] and results["/stall"]["misses"] == []
    assert results["/slow"]["share_measured"] == [0.3333, 0.3667, 0.5333]
    assert results["/slow"]["misses"] == ["median of 3 measurements 36.7% of reference < 50%"]
    assert "share_measured" not in results["/fine"] and results["/fine"]["misses"] == []
    # Each recheck is the page between two measurements of the reference.
    assert loads[-12:] == ["/bench/reference-table", "/stall", "/bench/reference-table"] * 2 + [
        "/bench/reference-table", "/slow", "/bench/reference-table"] * 2
    report = {"meta": {"database": "sqlite", "factor": "1", "date": "d", "commit": "c", "database_version": "v",
                       "machine": {"cores": 2, "cpu": "x", "ram_gb": 1}, "workers": 2, "duration_s": 0.1,
                       "clients": [8], "warmup": 0, "rechecks": 2, "accounts": {}},
              "pages": list(results.values())}
    assert "(share measured 3 times: 33.3%, 60.0%, 56.7%; median 56.7%)" in run.markdown(report)


def test_a_page_over_the_p95_limit_is_measured_again_with_one_client(monkeypatch):
    """--rechecks for latency: a p95 over 50 ms with one client is measured again with one client and judged
    on the median; a page slow every time still fails."""
    from bench import run

    p95 = {"/stall": iter([52.0, 21.0, 24.0]), "/slow": iter([60.0, 58.0, 40.0]), "/fine": iter([30.0])}
    loads = []

    def fake_load(target, sessions, levels, duration, warmup, master_pid):
        loads.append((target.path, tuple(levels)))
        runs = {str(level): {"rps": 300.0, "p95_ms": 10.0 if target.kind == "reference" else None, "queries": 4}
                for level in levels}
        if target.kind != "reference":
            runs.setdefault("1", {})["p95_ms"] = next(p95[target.path])
            runs["1"].setdefault("rps", 50.0)
        return runs

    monkeypatch.setattr(run, "_load", fake_load)
    pages = [run.Target("reference", "rep", "/bench/reference-table", "reference")] + [
        run.Target(path, "rep", path, "report") for path in ("/stall", "/slow", "/fine")]
    results = {r["path"]: r for r in run.measure(pages, {}, [1, 8], 0.1, 0, rechecks=2)}
    assert results["/stall"]["p95_measured"] == [52.0, 21.0, 24.0] and results["/stall"]["misses"] == []
    assert results["/slow"]["misses"] == ["median p95 58 ms > 50 ms"]
    assert "p95_measured" not in results["/fine"] and results["/fine"]["misses"] == []
    assert loads[-4:] == [("/stall", (1,)), ("/stall", (1,)), ("/slow", (1,)), ("/slow", (1,))]
    report = {"meta": {"database": "sqlite", "factor": "1", "date": "d", "commit": "c", "database_version": "v",
                       "machine": {"cores": 2, "cpu": "x", "ram_gb": 1}, "workers": 2, "duration_s": 0.1,
                       "clients": [1, 8], "warmup": 0, "rechecks": 2, "accounts": {}},
              "pages": list(results.values())}
    assert "(p95 with one client measured 3 times: 52.0, 21.0, 24.0 ms; median 24.0 ms)" in run.markdown(report)


# The paired growth run (bench/growth.py) -------------------------------------------------------------

def test_growth_pairs_pages_by_key_and_reports_the_missing():
    from bench import growth
    from bench.load import Target

    small = [Target("reference table (50 rows, 1 indexed query)", "rep", "/bench/reference-table", "reference"),
             Target("customer page + timeline (12 entries)", "rep", "/customers/7", "detail"),
             Target("customer list, name search '张三'", "rep", "/customers/?q=a", "list"),
             Target("thread (50 messages)", "director", "/comms/threads/3", "detail"),
             Target("appraisal sheet (own)", "rep", "/appraisals/9", "detail")]
    large = [Target("reference table (50 rows, 1 indexed query)", "rep", "/bench/reference-table", "reference"),
             Target("thread (51 messages)", "director", "/comms/threads/40", "detail"),
             Target("customer page + timeline (120 entries)", "rep", "/customers/70", "detail"),
             Target("customer list, name search '李四'", "rep", "/customers/?q=b", "list"),
             Target("inbox", "rep", "/inbox/", "list")]
    pairs, small_only, large_only = growth.match_pages(small, large)
    assert [(key, a.path, b.path) for key, a, b in pairs] == [
        ("reference table [rep]", "/bench/reference-table", "/bench/reference-table"),
        ("customer page + timeline [rep]", "/customers/7", "/customers/70"),
        ("customer list, name search [rep]", "/customers/?q=a", "/customers/?q=b"),
        ("thread [director]", "/comms/threads/3", "/comms/threads/40")]
    assert [t.name for t in small_only] == ["appraisal sheet (own)"]
    assert [t.name for t in large_only] == ["inbox"]

    # Both missing pages reach the output: the small one as compare's "not in the larger run" row.
    summary = {"p50_ms": 5.0, "queries": 4, "rows": 10, "statuses": {"200": 3}}
    def entry(t):
        return {"name": t.name, "role": t.role, "kind": t.kind, "runs": {"1": dict(summary)}}
    meta = {"date": "d", "database": "sqlite", "database_version": "SQLite 3", "commit": "c", "workers": 2,
            "warmup": 2, "source": "/tmp/x.db", "machine": {"cores": 2}}
    small_report, large_report = growth.reports([entry(a) for _k, a, _b in pairs], [entry(b) for _k, _a, b in pairs],
                                                small_only, {**meta, "factor": "0.1"}, {**meta, "factor": "1"})
    rows = growth.compare.compare(small_report, large_report)
    assert [r["page"] for r in rows if r.get("missing")] == ["appraisal sheet [rep]"]
    assert all(r["misses"] == [] for r in rows if not r.get("missing"))
    text = growth.markdown(small_report, large_report, rows, large_only, rounds=3, duration=3.0)
    assert "| appraisal sheet [rep] | detail | | | | | | | not in the larger run |" in text
    assert "Only at factor 1: inbox [rep]" in text
    assert text.startswith("# Growth measured in one run: factor 0.1 → 1 (sqlite)")


class _FakeSession:
    host, port = "127.0.0.1", 0

    def __init__(self, side):
        self.side = side

    def clone(self):
        return _FakeSession(self.side)

    def close(self):
        pass


def test_growth_alternates_slices_and_pools_samples_per_side(monkeypatch):
    from bench import growth
    from bench.load import Target

    events = []
    latency = {"small": iter([0.010, 0.020, 0.030]), "large": iter([0.040, 0.050, 0.060])}

    def fake_load(sessions, target, clients, duration):
        side = sessions["rep"].side
        events.append(("slice", side, target.path, clients, duration))
        seconds = next(latency[side])
        return [stats.Sample(seconds, 200, 4 if side == "small" else 5, 10)] * 2, 0.5

    monkeypatch.setattr(growth, "run_load", fake_load)
    monkeypatch.setattr(growth, "one_request",
                        lambda session, target: events.append(("warm", session.side, target.path)))
    small = growth.Side("small", {"rep": _FakeSession("small")})
    large = growth.Side("large", {"rep": _FakeSession("large")})
    out = growth.measure_pair(small, large, Target("p", "rep", "/s", "list"), Target("p", "rep", "/l", "list"),
                              duration=3.0, rounds=3, warmup=2)
    assert events[:4] == [("warm", "small", "/s")] * 2 + [("warm", "large", "/l")] * 2
    small_slice, large_slice = ("slice", "small", "/s", 1, 1.0), ("slice", "large", "/l", 1, 1.0)
    assert events[4:] == [small_slice, large_slice, large_slice, small_slice, small_slice, large_slice]
    a, b = out["small"]["runs"]["1"], out["large"]["runs"]["1"]
    assert a["requests"] == b["requests"] == 6 and a["elapsed_s"] == b["elapsed_s"] == 1.5
    assert a["p50_ms"] == pytest.approx(20.0) and b["p50_ms"] == pytest.approx(50.0)  # pooled over the 3 slices
    assert a["queries"] == 4 and b["queries"] == 5
    assert out["small"]["slice_p50_ms"] == pytest.approx([10.0, 20.0, 30.0])
    assert out["large"]["slice_p50_ms"] == pytest.approx([40.0, 50.0, 60.0])


def test_growth_a_drift_of_the_machine_hits_both_sides_alike(monkeypatch):
    """The machine slows down 2× halfway through the run (a block of pages, as seen between two separate
    runs): each page is measured on both sizes in that same stretch, so its growth stays what it is."""
    from bench import growth
    from bench.load import Target

    names = ["home", "inbox", "appraisal sheet (own)", "thread (50 messages)"]
    true_growth = {"home": 1.0, "inbox": 1.0, "appraisal sheet (own)": 1.3, "thread (50 messages)": 1.0}
    rounds, total = 3, len(names) * 2 * 3
    clock = {"slice": 0}

    def fake_load(sessions, target, clients, duration):
        slow = 2.0 if clock["slice"] >= total / 2 else 1.0  # the machine, by the slice's place in time
        clock["slice"] += 1
        side = sessions["rep"].side
        seconds = 0.004 * slow * (true_growth[target.name] if side == "large" else 1.0)
        count = max(1, int(duration / seconds))  # closed loop: a slower machine answers fewer requests
        return [stats.Sample(seconds, 200, 6, 20)] * count, duration

    monkeypatch.setattr(growth, "run_load", fake_load)
    small = growth.Side("small", {"rep": _FakeSession("small")})
    large = growth.Side("large", {"rep": _FakeSession("large")})
    pairs = [(n, Target(n, "rep", "/s", "detail"), Target(n, "rep", "/l", "detail")) for n in names]
    small_pages, large_pages = growth.measure(pairs, small, large, duration=3.0, rounds=rounds, warmup=0)
    assert clock["slice"] == total
    # The drift was there: the later pages took twice as long on both sizes …
    assert small_pages[3]["runs"]["1"]["p50_ms"] == pytest.approx(2 * small_pages[0]["runs"]["1"]["p50_ms"])
    # … yet every page's growth is its own.
    meta = {"factor": "x"}
    rows = growth.compare.compare({"meta": meta, "pages": small_pages}, {"meta": meta, "pages": large_pages})
    assert [r["page"] for r in rows] == ["home [rep]", "inbox [rep]", "appraisal sheet [rep]", "thread [rep]"]
    for row, name in zip(rows, names, strict=True):
        assert row["ratio"] == pytest.approx(true_growth[name], rel=0.02)
        assert row["misses"] == []
