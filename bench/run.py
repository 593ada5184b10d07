"""Load benchmark of the portal's main pages: `make bench` (see bench/README.md).

Prepares a database (migrate; fill with seed-scale when empty), serves the portal with gunicorn
(production-like, with the bench instrumentation and reference page switched on), signs in as
each role, finds the records the pages need, drives every page with 1 and 8 concurrent clients
for a bounded time, and writes bench/results/<date>-<db>-F<factor>.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench import stats  # noqa: E402
from bench.load import Session, Target, csrf_from, one_request, run_load  # noqa: E402

BIN = ROOT / ".venv" / "bin"
SCALE_ACCOUNTS = {"rep": "rep0001", "director": "director01", "gm": "gm", "admin": "admin"}
SCALE_PASSWORD = "Scale-Portal-2026"  # noqa: S105 - the scale seed's documented test password
DEMO_ACCOUNTS = {"rep": "li.na", "director": "zhao.director", "gm": "gm", "admin": "admin"}
DEMO_PASSWORD = "Demo-Portal-2026"  # noqa: S105 - the demo company's documented password
# Scratch copies the seed helper leaves behind, by factor: used as the starting point when present.
SEEDED_PG = {"0.1": "portal_scale01", "1": "portal_scale1"}
SEEDED_SQLITE = {"0.1": "/tmp/scale01.db", "1": "/tmp/scale1.db"}  # noqa: S108 - read only, copied


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def factor_label(factor: float) -> str:
    return f"{factor:g}"


# The database -------------------------------------------------------------------------------------

def database_url(args) -> str:
    if args.db == "postgresql":
        url = args.database_url or os.environ.get("BENCH_DATABASE_URL")
        if not url:
            raise SystemExit("PostgreSQL: give BENCH_DATABASE_URL=postgresql+psycopg://… (a scratch database)")
        return url
    path = Path(args.sqlite_path or Path(tempfile.gettempdir()) / f"portal-bench-F{factor_label(args.factor)}.db")
    source = args.sqlite_source or SEEDED_SQLITE.get(factor_label(args.factor))
    if args.fresh and path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    if not path.exists() and source and Path(source).exists() and not args.demo:
        log(f"copying {source} to {path} (the original stays as seeded)")
        _copy_sqlite(Path(source), path)
    return f"sqlite:///{path}"


def _copy_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy even if the source is in WAL mode (sqlite3's online backup)."""
    import sqlite3

    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


def flask(url: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("FLASK_DEBUG", None)
    # A fixed program with our own arguments, no shell.
    return subprocess.run([str(BIN / "flask"), "--app", "portal", *cmd], cwd=ROOT, env=env,  # noqa: S603
                          check=check, capture_output=True, text=True)


def _pg_args(url) -> list[str]:
    u = make_url(url) if isinstance(url, str) else url
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]


def copy_postgresql(url: str, source: str) -> None:
    """Fill the (empty) benchmark database with a copy of a seeded one: pg_dump | psql."""
    target = make_url(url)
    log(f"copying PostgreSQL database {source} into {target.database} (the original stays as seeded)")
    dump = subprocess.Popen([shutil.which("pg_dump") or "pg_dump", *_pg_args(target), "--no-owner",  # noqa: S603
                             "--no-privileges", "-d", source], stdout=subprocess.PIPE)
    load = subprocess.run([shutil.which("psql") or "psql", *_pg_args(target), "-q", "-v", "ON_ERROR_STOP=1",  # noqa: S603
                           "-d", target.database], stdin=dump.stdout, capture_output=True, text=True)
    dump.stdout.close()
    if dump.wait() != 0 or load.returncode != 0:
        raise SystemExit(f"copying {source} failed: {load.stderr[-2000:]}")
    # A dump carries no planner statistics and a restored table no visibility map: without them
    # PostgreSQL guesses, and reads the heap where an index alone answers, until autovacuum gets round to
    # the tables (a page measured at 30 instead of 200 req/s). A database in use has both.
    log(f"vacuuming and analysing {target.database}")
    analysed = subprocess.run([shutil.which("psql") or "psql", *_pg_args(target), "-q", "-d", target.database,  # noqa: S603
                               "-c", "VACUUM ANALYZE"], capture_output=True, text=True)
    if analysed.returncode != 0:
        raise SystemExit(f"analysing {target.database} failed: {analysed.stderr[-2000:]}")


def reset_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def prepare(url: str, args) -> None:
    if args.db == "postgresql":
        if args.fresh:
            log(f"emptying {make_url(url).database}")
            reset_postgresql(url)
        source = args.pg_source or os.environ.get("BENCH_PG_SOURCE") or SEEDED_PG.get(factor_label(args.factor))
        if source and not args.demo and not _has_people(url) and _pg_exists(url, source):
            reset_postgresql(url)
            copy_postgresql(url, source)
    log("migrating")
    res = flask(url, "db", "upgrade", "heads", check=False)
    if res.returncode != 0:
        raise SystemExit(f"migration failed:\n{res.stderr[-3000:]}")
    if _has_people(url):
        log("database already filled: not seeding")
        return
    if args.demo:
        log("empty: loading the demo company (seed-demo)")
        res = flask(url, "seed-demo", check=False)
    else:
        log(f"empty: seed-scale --factor {args.factor} (this takes a while)")
        res = flask(url, "seed-scale", "--factor", str(args.factor), check=False)
    if res.returncode != 0:
        raise SystemExit(f"seeding failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")


def _has_people(url: str) -> bool:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("user"):
                return False
            return bool(conn.execute(text('SELECT COUNT(*) FROM "user"')).scalar())
    finally:
        engine.dispose()


def _pg_exists(url: str, name: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
    finally:
        engine.dispose()


def database_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if url.startswith("sqlite"):
                return "SQLite " + conn.execute(text("SELECT sqlite_version()")).scalar()
            return conn.execute(text("SELECT version()")).scalar().split(" on ")[0]
    finally:
        engine.dispose()


def bench_app(url: str):
    """The app as the server sees it, for discovery (same database, same config)."""
    os.environ["DATABASE_URL"] = url
    from portal import create_app

    return create_app()


# The server ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, port: int, logfile: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PORTAL_"))}
    env.update({"DATABASE_URL": url, "PORTAL_BENCH_INSTRUMENT": "1", "PORTAL_BENCH_REFERENCE_PAGES": "1"})
    cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
           "--timeout", "120", "--chdir", str(ROOT), "wsgi:app"]
    log(f"starting gunicorn ({workers} sync workers) on 127.0.0.1:{port}")
    out = open(logfile, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                            start_new_session=True)
    import http.client

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {logfile}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {logfile}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# The pages ----------------------------------------------------------------------------------------

def pages_for(found, sessions) -> list[Target]:
    from urllib.parse import quote

    rep_id = found.users["rep"][0]
    team_id = found.rep_team_id
    per = found.periods
    pages = [
        Target("healthz (floor: no DB, no template)", None, "/healthz", "floor"),
        Target("reference table (50 rows, 1 indexed query)", "rep", "/bench/reference-table", "reference"),
    ]
    # The quiz pages first: an attempt with a time limit must still be running while they are measured.
    attempt = start_attempt(found, sessions["rep"]) if found.quiz_id else None
    if attempt:
        attempt_id, form = attempt
        pages.append(Target("quiz attempt page", "rep", f"/training/attempts/{attempt_id}", "form"))
        pages.append(Target("quiz answer save (POST, htmx)", "rep", f"/training/attempts/{attempt_id}/save",
                            "form", method="POST", form=form, headers={"HX-Request": "true"}))
    pages += [
        Target("home", "rep", "/", "home"),
        Target("home", "director", "/", "home"),
        Target("home", "gm", "/", "home"),
        Target("home", "admin", "/", "home"),
        Target("customer list", "rep", "/customers/", "list"),
        Target("customer list", "director", "/customers/", "list"),
        Target(f"customer list, status={found.status_filter}", "rep",
               f"/customers/?status={found.status_filter}", "list"),
        Target(f"customer list, name search '{found.name_query}'", "rep",
               f"/customers/?q={quote(found.name_query)}", "list"),
        Target(f"customer list, pinyin initials '{found.pinyin_query}'", "rep",
               f"/customers/?q={quote(found.pinyin_query)}", "list"),
        Target(f"customer page + timeline ({found.customer_events} entries)", "rep",
               f"/customers/{found.customer_id}", "detail"),
        Target("pipeline board", "rep", "/customers/pipeline", "report"),
        Target("pipeline board", "director", "/customers/pipeline", "report"),
        Target("contract list", "rep", "/contracts/", "list"),
        Target("contract list", "director", "/contracts/", "list"),
    ]
    for scope, role, extra in (("company", "gm", ""), ("team", "director", f"&team_id={team_id}"),
                               ("rep", "rep", f"&rep_id={rep_id}")):
        for kind in ("month", "quarter", "year"):
            pages.append(Target(f"target status, {scope}, {kind}", role,
                                f"/plans/status?scope={scope}{extra}&period={per[kind]}", "report"))
    pages += [
        Target("budget vs actual", "director", f"/plans/budgets?team_id={team_id}&period={per['year']}", "report"),
        Target("budget vs actual", "gm", f"/plans/budgets?period={per['year']}", "report"),
    ]
    if found.cycle_id:
        pages.append(Target(f"appraisal cycle summary ({found.cycle_period})", "director",
                            f"/appraisals/cycles/{found.cycle_id}", "report"))
    if found.sheet_id:
        pages.append(Target("appraisal sheet (rep's)", "director", f"/appraisals/{found.sheet_id}", "detail"))
        pages.append(Target("appraisal sheet (own)", "rep", f"/appraisals/{found.sheet_id}", "detail"))
    pages += [
        Target("performance archive (rep's profile)", "director", f"/people/{rep_id}", "detail"),
        Target("training matrix", "director", "/training/reports/matrix", "report"),
    ]
    if found.thread_id:
        pages.append(Target(f"thread ({found.thread_messages} messages)", "director",
                            f"/comms/threads/{found.thread_id}", "detail"))
    pages += [
        Target("inbox", "rep", "/inbox/", "list"),
        Target("inbox", "director", "/inbox/", "list"),
        Target("customers export XLSX", "director", "/customers/export.xlsx", "export"),
        Target("orders/contracts export XLSX", "director", "/contracts/export.xlsx", "export"),
    ]
    # The target is 2 s for an export of 10,000 rows: a team's lists are a tenth of that, the company's
    # contracts reach it at factor 1 (20,000 there: the export's limit). Only where there are that many:
    # the growth check compares a page's cost at two sizes, not the company's export at a tenth of it.
    if found.contracts >= 10_000:
        pages.append(Target(f"contracts export XLSX, whole company ({min(found.contracts, 20_000)} rows)", "gm",
                            "/contracts/export.xlsx", "export"))
    return with_fragments(pages, sessions)


def with_fragments(pages: list[Target], sessions) -> list[Target]:
    """Each page followed by the fragments htmx loads into it on arrival (the home page's panels, the
    profile's archive sections): a browser asks for them at once, so each is measured as a page."""
    import re

    out = []
    for target in pages:
        out.append(target)
        if target.method != "GET" or target.role is None or target.kind not in ("home", "detail"):
            continue
        _resp, html = sessions[target.role].request("GET", target.path)
        for part in re.findall(r'hx-get="([^"]+)" hx-trigger="load"', html.decode("utf-8", "replace")):
            name = part.rstrip("/").rsplit("/", 1)[-1]
            out.append(Target(f"{target.name} › {name}", target.role, part.replace("&amp;", "&"), target.kind))
    return out


def start_attempt(found, session: Session):
    """The rep's running attempt, or one started through the UI (POST …/start); the answers to save."""
    import re

    attempt_id = found.running_attempt_id
    if attempt_id is None:
        resp, payload = session.request("GET", f"/training/quizzes/{found.quiz_id}")
        token = csrf_from(payload.decode("utf-8", "replace")) or session.csrf
        resp, _payload = session.request("POST", f"/training/quizzes/{found.quiz_id}/start",
                                  {"csrf_token": token}, {"X-CSRFToken": token})
        match = re.search(r"/training/attempts/(\d+)", resp.headers.get("Location", ""))
        if resp.status != 302 or not match:
            log(f"could not start an attempt on quiz {found.quiz_id}: HTTP {resp.status}")
            return None
        attempt_id = int(match.group(1))
    resp, payload = session.request("GET", f"/training/attempts/{attempt_id}")
    html = payload.decode("utf-8", "replace")
    session.csrf = csrf_from(html) or session.csrf
    form: dict = {"page": re.search(r'name="page" value="(\d+)"', html).group(1) if 'name="page"' in html else "0"}
    for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html):
        name = re.search(r'name="(r\d+(?:_\d+)?)"', tag)
        if not name or name.group(1) in form:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        form[name.group(1)] = value.group(1) if value and value.group(1) else "bench answer"
    log(f"quiz attempt {attempt_id}: saving {len(form) - 1} answers per POST")
    return attempt_id, form


# Measuring ----------------------------------------------------------------------------------------

def server_cpu_seconds(master_pid: int) -> float | None:
    """CPU time (user + system) used so far by the gunicorn master's worker processes.

    On a shared machine wall-clock latency also measures the neighbours; the CPU the workers spent
    per request does not (SQLite runs inside the workers, so it is included; PostgreSQL's own
    backends are not)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:  # ppid
                total += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return None
    return total / tick


# The machine is shared and its speed drifts during a run (seen: the reference page at 250 and at 310
# req/s within one run, at 216 and 353 in another, minutes apart): the reference page is measured again
# at the highest concurrency after every page, and each page's share is taken against the mean of the
# two measurements around it, so a page and its yardstick run under the same conditions.


def _load(target: Target, sessions: dict, levels: list[int], duration: float, warmup: int,
          master_pid: int | None) -> dict:
    warm = sessions[target.role].clone() if target.role else None
    for _ in range(warmup):  # fill caches (templates, catalogs, the database's pages)
        if warm is not None:
            one_request(warm, target)
    runs = {}
    for clients in levels:
        cpu_before = server_cpu_seconds(master_pid) if master_pid else None
        samples, elapsed = run_load(sessions, target, clients, duration)
        summary = stats.summarise(samples, elapsed)
        if cpu_before is not None and samples:
            cpu_after = server_cpu_seconds(master_pid)
            summary["server_cpu_ms"] = round((cpu_after - cpu_before) * 1000 / len(samples), 2)
        runs[str(clients)] = summary
        log(f"{target.name} [{target.role or 'anonymous'}] c={clients}: {summary['rps']:.1f} req/s, "
            f"p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
            f"q {summary['queries']}, statuses {summary['statuses']}")
    return runs


def _mean_around(before: float | None, after: float | None) -> float | None:
    """The reference's req/s for a page: the mean of its measurements just before and just after it."""
    around = [rps for rps in (before, after) if rps]
    return sum(around) / len(around) if around else None


def _share_again(target: Target, reference: Target, sessions: dict, top: int, duration: float,
                 master_pid: int | None) -> float | None:
    """The page's req/s at ``top`` clients over the reference's, measured just before and just after it."""
    before = _load(reference, sessions, [top], duration, 0, master_pid)[str(top)]["rps"]
    rps = _load(target, sessions, [top], duration, 0, master_pid)[str(top)]["rps"]
    after = _load(reference, sessions, [top], duration, 0, master_pid)[str(top)]["rps"]
    mean = _mean_around(before, after)
    return rps / mean if mean else None


def measure(pages: list[Target], sessions: dict, levels: list[int], duration: float, warmup: int,
            master_pid: int | None = None, export_levels: list[int] | None = None, rechecks: int = 0) -> list[dict]:
    """Every page at each concurrency, the reference again after each. ``rechecks``: a page whose req/s
    share falls short is measured that many times more, each time between two measurements of the
    reference, and judged on the median of its shares; a page whose p95 with one client is over the
    limit is measured that many times more with one client and judged on the median p95. On a shared
    machine a moment of another tenant's load can halve one 1.5-second measurement (the inbox read 49 %
    in one run and 70 % in the run before, with the same CPU time per request) or put three slow
    requests in one p95 of 60 (the GM's budget page: p50 19 ms, p95 52 ms); a page that is truly slow
    stays slow in most of them. Every measurement is kept (``share_measured``, ``p95_measured``)."""
    results = []
    reference = next((t for t in pages if t.kind == "reference"), None)
    top = str(max(levels))
    between: list[float] = []  # the reference's req/s at the top concurrency, measured between the pages
    for target in pages:
        entry = {"name": target.name, "role": target.role or "anonymous", "path": target.path,
                 "method": target.method, "kind": target.kind, "runs": {}}
        before = between[-1] if between else None
        entry["runs"] = _load(target, sessions, (export_levels or levels) if target.kind == "export" else levels,
                              duration, warmup, master_pid)
        if target is reference:
            if top in entry["runs"]:
                between.append(entry["runs"][top]["rps"])
        elif reference is not None:
            after = _load(reference, sessions, [int(top)], duration, 0, master_pid)[top]["rps"]
            between.append(after)
            mean = _mean_around(before, after)
            entry["reference_rps"] = {top: round(mean, 1) if mean else None}
        results.append(entry)
    for entry, target in zip(results, pages, strict=True):
        ref = {k: {"rps": v} for k, v in entry.get("reference_rps", {}).items()}
        if rechecks and target is not reference and stats.share_missed(entry, (ref.get(top) or {}).get("rps")):
            log(f"{target.name} [{target.role}]: short of its share, measured {rechecks} more times")
            shares = [entry["runs"][top]["rps"] / ref[top]["rps"]] + [
                _share_again(target, reference, sessions, int(top), duration, master_pid) for _ in range(rechecks)]
            entry["share_measured"] = [round(s, 4) for s in shares if s is not None]
        if rechecks and stats.p95_missed(entry):
            low = min(entry["runs"], key=int)
            log(f"{target.name} [{target.role}]: p95 over the limit, measured {rechecks} more times")
            p95s = [entry["runs"][low]["p95_ms"]] + [
                _load(target, sessions, [int(low)], duration, 0, master_pid)[low]["p95_ms"] for _ in range(rechecks)]
            entry["p95_measured"] = [round(v, 1) for v in p95s if v is not None]
        # Judged on what is kept: the run's own measurement, or every measurement of a page measured again.
        entry["misses"] = stats.check_targets(entry, ref or None, entry.get("share_measured"),
                                              entry.get("p95_measured"))
        if entry["kind"] == "reference" and len(between) > 1:
            entry["reference_rechecks"] = between
    return results


def machine() -> dict:
    info = {"cores": os.cpu_count(), "cpu": platform.processor() or "", "ram_gb": None,
            "python": platform.python_version(), "kernel": platform.release()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
        info["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        pass
    return info


# Output -------------------------------------------------------------------------------------------

def _ms(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def _rechecked(page: dict) -> str:
    notes = []
    shares, p95s = page.get("share_measured"), page.get("p95_measured")
    if shares:
        notes.append(f"share measured {len(shares)} times: {', '.join(f'{s:.1%}' for s in shares)}; "
                     f"median {stats.percentile(shares, 50):.1%}")
    if p95s:
        notes.append(f"p95 with one client measured {len(p95s)} times: {', '.join(f'{v:.1f}' for v in p95s)} ms; "
                     f"median {stats.percentile(p95s, 50):.1f} ms")
    return f" ({'; '.join(notes)})" if notes else ""


def markdown(report: dict) -> str:
    m = report["meta"]
    levels = [str(c) for c in m["clients"]]
    lines = [
        f"# Load benchmark — {m['database']} — factor {m['factor']}",
        "",
        f"- Date: {m['date']} · portal commit `{m['commit']}`",
        f"- Machine: {m['machine']['cores']} cores, {m['machine']['cpu']}, {m['machine']['ram_gb']} GB RAM "
        f"(load average at start {' '.join(m['machine'].get('loadavg_at_start', []))}; the machine is shared, "
        "so absolute numbers are noisy)",
        f"- Database: {m['database_version']} (`{m['database']}`), scale factor {m['factor']}",
        f"- Server: gunicorn {m['workers']} sync workers, production config; load generator on the same machine. "
        "CPU ms/req: CPU time the gunicorn workers spent per request (includes SQLite, not PostgreSQL's "
        "backends) — steadier than latency on a shared machine",
        f"- Each page: {m['duration_s']} s at each of {', '.join(levels)} concurrent clients (closed loop), "
        f"after {m['warmup']} warm-up request(s)",
        f"- Accounts: {', '.join(f'{r} `{u}`' for r, u in m['accounts'].items())}",
        "",
        "Targets: p95 ≤ 50 ms with one client (exports ≤ 2 s); req/s at the highest concurrency ≥ 50 % of the "
        "reference table page for lists, details, forms and home pages, ≥ 25 % for reports and dashboards; "
        "≤ 15 queries per request; no failed (non-2xx) request.",
        "",
    ]
    rechecks = next((p.get("reference_rechecks") for p in report["pages"] if p.get("reference_rechecks")), None)
    if rechecks:
        lines[-1:-1] = [f"The reference page was measured {len(rechecks)} times during the run (after every "
                        f"page): {min(rechecks):.0f}–{max(rechecks):.0f} req/s at {levels[-1]} clients. Each "
                        "page's share is taken against the mean of the measurements just before and just after "
                        "it; the reference row shows the first." + (
                            f" A page short of its share is measured {m['rechecks']} more times, each between two "
                            "measurements of the reference, and judged on the median of its shares; a page over the "
                            f"p95 limit is measured {m['rechecks']} more times with one client and judged on the "
                            "median p95 (each measurement is shown in its row)." if m.get("rechecks") else ""), ""]
    head = ["page", "role", "kind"]
    for c in levels:
        head += [f"req/s @{c}", f"p50 @{c}", f"p95 @{c}", f"p99 @{c}"]
    head += [f"CPU ms/req @{levels[0]}", "queries", "rows", "statuses", "targets"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for p in report["pages"]:
        row = [p["name"], p["role"], p["kind"]]
        for c in levels:
            r = p["runs"].get(c)
            if r is None:
                row += ["—", "—", "—", "—"]
                continue
            row += [f"{r['rps']:.1f}", _ms(r.get("p50_ms")), _ms(r.get("p95_ms")), _ms(r.get("p99_ms"))]
        qs = [r.get("queries") for r in p["runs"].values() if r.get("queries") is not None]
        rows = [r.get("rows") for r in p["runs"].values() if r.get("rows") is not None]
        qmax = max((r.get("queries_max") or 0) for r in p["runs"].values())
        qtext = "—" if not qs else (f"{qs[0]:g}" if qmax == qs[0] else f"{qs[0]:g} (max {qmax})")
        statuses = {}
        for r in p["runs"].values():
            for k, v in r.get("statuses", {}).items():
                statuses[k] = statuses.get(k, 0) + v
        first = p["runs"].get(levels[0], {})
        row += [_ms(first.get("server_cpu_ms")), qtext, "—" if not rows else f"{rows[0]:g}",
                " ".join(f"{k}×{v}" for k, v in statuses.items()),
                "n/a" if p["kind"] in stats.NO_TARGETS else ("✓" if not p["misses"] else "✗ " + "; ".join(p["misses"]))
                + _rechecked(p)]
        lines.append("| " + " | ".join(str(x).replace("|", "/") for x in row) + " |")
    missed = [p for p in report["pages"] if p["misses"]]
    lines += ["", f"{len(missed)} of {sum(1 for p in report['pages'] if p['kind'] not in stats.NO_TARGETS)} "
                  "pages miss a target."]
    if report.get("notes"):
        lines += ["", "Notes: " + "; ".join(report["notes"])]
    return "\n".join(lines) + "\n"


def git_commit() -> str:
    try:
        return subprocess.run([shutil.which("git") or "git", "rev-parse", "--short", "HEAD"],  # noqa: S603
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def parse_accounts(text: str | None, default: dict) -> dict:
    accounts = dict(default)
    for part in (text or "").split(","):
        if "=" in part:
            role, user = part.split("=", 1)
            accounts[role.strip()] = user.strip()
    return accounts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--factor", type=float, default=0.1, help="seed-scale factor (and the results' label)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per page per concurrency")
    ap.add_argument("--clients", default="1,8", help="concurrency levels, comma-separated")
    ap.add_argument("--export-clients", help="concurrency levels for the exports (default: --clients); at a "
                    "large factor 8 concurrent multi-second exports mostly measure the queue")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rechecks", type=int, default=2, help="a page short of its req/s share (or over the p95 "
                    "limit) is measured this many more times (the share between measurements of the reference) "
                    "and judged on the median")
    ap.add_argument("--database-url", help="PostgreSQL URL (else BENCH_DATABASE_URL)")
    ap.add_argument("--sqlite-path", help="scratch SQLite file (default /tmp/portal-bench-F<factor>.db)")
    ap.add_argument("--sqlite-source", help="copy this seeded SQLite file first (default: the seed's /tmp copy)")
    ap.add_argument("--pg-source", help="PostgreSQL: copy this seeded database first when the target is empty "
                    "(default portal_scale01 / portal_scale1 by factor, when present)")
    ap.add_argument("--fresh", action="store_true", help="start from an empty scratch database (SQLite file "
                    "deleted, PostgreSQL schema dropped)")
    ap.add_argument("--demo", action="store_true", help="use the demo company (seed-demo, its accounts)")
    ap.add_argument("--accounts", help="role=username,… e.g. rep=rep0002,director=director02")
    ap.add_argument("--password", help="the accounts' password")
    ap.add_argument("--only", help="only pages whose name contains this text")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args(argv)

    # SIGTERM ends the run like Ctrl-C: the server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    accounts = parse_accounts(args.accounts, DEMO_ACCOUNTS if args.demo else SCALE_ACCOUNTS)
    password = args.password or os.environ.get("BENCH_PASSWORD") or (DEMO_PASSWORD if args.demo else SCALE_PASSWORD)
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    export_levels = [int(c) for c in args.export_clients.split(",") if c.strip()] if args.export_clients else None

    host = machine()
    url = database_url(args)
    prepare(url, args)
    app = bench_app(url)
    from bench.discover import discover

    found = discover(app, accounts)
    with app.app_context():
        from portal.core.db import db

        db.engine.dispose()
    version = database_version(url)
    log(f"found: customer {found.customer_id} ({found.customer_events} timeline entries), thread "
        f"{found.thread_id} ({found.thread_messages} messages), cycle {found.cycle_id}, sheet {found.sheet_id}, "
        f"quiz {found.quiz_id}; {'; '.join(found.notes)}")

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(url, args.workers, port, Path(tempfile.gettempdir()) / f"portal-bench-gunicorn-{port}.log")
    try:
        sessions = {}
        for role, username in accounts.items():
            s = Session("127.0.0.1", port)
            s.sign_in(username, password)
            sessions[role] = s
        pages = pages_for(found, sessions)
        if args.only:
            pages = [p for p in pages if args.only in p.name or p.kind == "reference"]
        log(f"{len(pages)} pages × {levels} clients × {args.duration} s")
        results = measure(pages, sessions, levels, args.duration, args.warmup, master_pid=server.pid,
                          export_levels=export_levels, rechecks=args.rechecks)
    finally:
        stop_server(server)

    now = datetime.now(UTC)
    report = {
        "meta": {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "database": args.db, "database_version": version,
                 "factor": factor_label(args.factor), "duration_s": args.duration, "clients": levels,
                 "export_clients": export_levels or levels,
                 "workers": args.workers, "warmup": args.warmup, "rechecks": args.rechecks, "accounts": accounts,
                 "machine": host,
                 "commit": git_commit(), "demo": args.demo},
        "found": {k: v for k, v in vars(found).items() if k != "notes"},
        "notes": found.notes,
        "pages": results,
    }
    stem = f"{now.strftime('%Y-%m-%d')}-{args.db}-F{factor_label(args.factor)}{'-demo' if args.demo else ''}"
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n")
    (out_dir / f"{stem}.md").write_text(markdown(report))
    log(f"wrote {out_dir / stem}.json and .md")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
