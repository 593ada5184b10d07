"""Growth from a small to a large scale factor measured in one run: `make bench-growth` (bench/README.md).

Both sizes are served at once, each by its own gunicorn from its own scratch database, and every page
is measured on both within seconds: ``--rounds`` rounds of one slice per size with one client, small
then large, then large then small (A B B A …), the samples pooled per size. One server is busy at a
time (one client), so they do not compete for the CPU, and a drift of the shared machine's speed hits
both sizes alike. Two separate runs (bench/run.py at each factor, then bench/compare.py) compare a page measured in
one minute of one run with the same page in another minute of the other: that measures the machine.

Writes bench/results/<date>-<db>-growth-paired.{json,md}; the table is bench/compare.py's.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench import compare, run, stats  # noqa: E402
from bench.load import Session, Target, one_request, run_load  # noqa: E402
from bench.run import factor_label, log  # noqa: E402


@dataclass
class Side:
    """One size as the measurement sees it: its signed-in sessions and its server's pid (for the CPU)."""

    label: str  # "small" or "large"
    sessions: dict
    pid: int | None = None


# Matching the pages of the two sizes ---------------------------------------------------------------

def _keyed(pages: list[Target]) -> dict[tuple[str, int], Target]:
    """Each page by its compare.page_key and its occurrence (two pages with the same key pair in order)."""
    seen: dict[str, int] = defaultdict(int)
    out = {}
    for target in pages:
        key = compare.page_key({"name": target.name, "role": target.role or "anonymous"})
        out[(key, seen[key])] = target
        seen[key] += 1
    return out


def match_pages(small: list[Target], large: list[Target]):
    """The pages of both sizes paired by compare.page_key (names without their data-dependent parts), in
    the small size's order; and the pages only one size has."""
    a, b = _keyed(small), _keyed(large)
    pairs = [(key[0], target, b[key]) for key, target in a.items() if key in b]
    return pairs, [t for k, t in a.items() if k not in b], [t for k, t in b.items() if k not in a]


# Measuring ----------------------------------------------------------------------------------------

def _warm(side: Side, target: Target, warmup: int) -> None:
    if warmup <= 0:
        return
    base = side.sessions.get(target.role)
    if base is not None:
        session = base.clone()
    else:
        any_session = next(iter(side.sessions.values()))
        session = Session(any_session.host, any_session.port)
    for _ in range(warmup):  # fill caches (templates, catalogs, the database's pages)
        one_request(session, target)
    session.close()


def measure_pair(small: Side, large: Side, t_small: Target, t_large: Target, duration: float, rounds: int,
                 warmup: int) -> dict:
    """Both sides warmed up, then ``rounds`` rounds of a slice on each side (small, large, then large,
    small, …) of duration / rounds seconds each with one client. Per side: the pooled samples' summary
    (with the workers' CPU per request when the pid is known) and each slice's p50."""
    _warm(small, t_small, warmup)
    _warm(large, t_large, warmup)
    piece = duration / rounds
    pooled = {"small": [], "large": []}
    elapsed = {"small": 0.0, "large": 0.0}
    cpu = {"small": 0.0, "large": 0.0}
    cpu_known = {"small": True, "large": True}
    slice_p50 = {"small": [], "large": []}
    for r in range(rounds):
        # Small first in even rounds, large first in odd ones (A B B A …): a machine slowing down steadily
        # through the page's seconds then costs both sides the same.
        order = ((small, t_small), (large, t_large))
        for side, target in order if r % 2 == 0 else order[::-1]:
            before = run.server_cpu_seconds(side.pid) if side.pid else None
            samples, took = run_load(side.sessions, target, 1, piece)
            after = run.server_cpu_seconds(side.pid) if before is not None else None
            if after is None:
                cpu_known[side.label] = False
            else:
                cpu[side.label] += after - before
            pooled[side.label] += samples
            elapsed[side.label] += took
            slice_p50[side.label].append(stats.percentile([s.latency * 1000.0 for s in samples], 50))
    out = {}
    for label in ("small", "large"):
        summary = stats.summarise(pooled[label], elapsed[label])
        if cpu_known[label] and pooled[label]:
            summary["server_cpu_ms"] = round(cpu[label] * 1000 / len(pooled[label]), 2)
        out[label] = {"runs": {"1": summary}, "slice_p50_ms": slice_p50[label]}
    return out


def _entry(target: Target, name: str) -> dict:
    return {"name": name, "role": target.role or "anonymous", "path": target.path, "method": target.method,
            "kind": target.kind, "runs": {}}


def measure(pairs, small: Side, large: Side, duration: float, rounds: int, warmup: int) -> tuple[list, list]:
    """The two sides' page entries (bench/run.py's shape, runs {"1": …}), in the same order."""
    small_pages, large_pages = [], []
    names: dict[str, int] = defaultdict(int)
    for key, t_small, t_large in pairs:
        measured = measure_pair(small, large, t_small, t_large, duration, rounds, warmup)
        # A second page with the same key keeps its own row in compare's table.
        names[key] += 1
        suffix = "" if names[key] == 1 else f" #{names[key]}"
        for target, pages, label in ((t_small, small_pages, "small"), (t_large, large_pages, "large")):
            entry = _entry(target, target.name + suffix)
            entry["runs"] = measured[label]["runs"]
            entry["slice_p50_ms"] = measured[label]["slice_p50_ms"]
            pages.append(entry)
        a, b = measured["small"]["runs"]["1"], measured["large"]["runs"]["1"]
        ratio = b["p50_ms"] / a["p50_ms"] if a["p50_ms"] and b["p50_ms"] else None
        log(f"{key}: p50 {_ms(a['p50_ms'])} → {_ms(b['p50_ms'])} ms "
            f"(×{'—' if ratio is None else f'{ratio:.2f}'}), q {a['queries']} → {b['queries']}, "
            f"statuses {a['statuses']} / {b['statuses']}")
    return small_pages, large_pages


def _ms(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def slice_ratios(small_page: dict, large_page: dict) -> list[float | None]:
    """Round by round, the large slice's p50 over the small one's (a drift within the page shows here)."""
    return [b / a if a and b else None
            for a, b in zip(small_page.get("slice_p50_ms", []), large_page.get("slice_p50_ms", []), strict=False)]


# Output -------------------------------------------------------------------------------------------

def reports(small_pages: list, large_pages: list, small_only: list[Target], small_meta: dict,
            large_meta: dict) -> tuple[dict, dict]:
    """Two pseudo reports shaped like bench/run.py's JSON, for compare.compare and compare.markdown. A page
    only the small size has is listed unmeasured (compare reports it missing)."""
    small = {"meta": small_meta, "pages": small_pages + [_entry(t, t.name) for t in small_only]}
    return small, {"meta": large_meta, "pages": large_pages}


def header(small: dict, large: dict, rounds: int, duration: float) -> list[str]:
    ms, ml = small["meta"], large["meta"]
    return [
        f"# Growth measured in one run: factor {ms['factor']} → {ml['factor']} ({ml['database']})",
        "",
        f"Both sizes were served at once, each by its own gunicorn ({ml['workers']} sync workers) from its own "
        f"database, and each page was measured on both within seconds: {rounds} rounds of a "
        f"{duration / rounds:g} s slice with one client on each factor, in the order A B B A … (so a steady "
        f"drift costs both the same; {duration:g} s per page and size, after {ml['warmup']} warm-up "
        "request(s) on each), "
        "the samples pooled per size. One side at a time, so the servers do not compete for the CPU; a drift "
        "of the shared machine's speed hits both sides alike, where two separate runs compare different minutes.",
        "",
        f"- Run: {ml['date']}, commit `{ml['commit']}`, load average at start "
        f"{' '.join(ml['machine'].get('loadavg_at_start', []))} ({ml['machine']['cores']} cores)",
        f"- Factor {ms['factor']}: {ms['database_version']}, `{ms['source']}`; factor {ml['factor']}: "
        f"{ml['database_version']}, `{ml['source']}`",
        f"- Check: p50 with one client at factor {ml['factor']} ≤ {compare.MAX_GROWTH} × p50 at factor "
        f"{ms['factor']}, and the same number of queries per request. CPU ms/req: the workers' CPU per request "
        "(includes SQLite, not PostgreSQL's backends).",
        "",
    ]


def markdown(small: dict, large: dict, rows: list[dict], large_only: list[Target], rounds: int,
             duration: float) -> str:
    text = compare.markdown(small, large, rows, header=header(small, large, rounds, duration))
    notes = []
    by_key = {compare.page_key(p): p for p in large["pages"]}
    for p, row in zip(small["pages"], rows, strict=True):  # compare's rows follow the small report's pages
        q = by_key.get(row["page"])
        if row.get("missing") or q is None or not any(m.startswith("p50") for m in row["misses"]):
            continue
        each = ", ".join("—" if r is None else f"×{r:.2f}" for r in slice_ratios(p, q))
        notes.append(f"- {row['page']}: round by round {each}")
    if notes:
        text += ("\nThe failing pages round by round (one ratio far from the others is a drift of the machine "
                 "within the page's few seconds: measure it again):\n\n" + "\n".join(notes) + "\n")
    if large_only:
        text += ("\nOnly at factor " + large["meta"]["factor"] + ": "
                 + "; ".join(compare.page_key({"name": t.name, "role": t.role or "anonymous"}) for t in large_only)
                 + "\n")
    return text


# The run ------------------------------------------------------------------------------------------

def _namespace(args, factor: float, url: str | None, source: str | None, sqlite_path: str | None):
    """What run.database_url and run.prepare read, for one size."""
    label = factor_label(factor)
    if args.db == "sqlite":
        return argparse.Namespace(db="sqlite", factor=factor, database_url=None, fresh=args.fresh, demo=False,
                                  sqlite_path=sqlite_path or str(Path(tempfile.gettempdir())
                                                                 / f"portal-growth-F{label}.db"),
                                  sqlite_source=source or run.SEEDED_SQLITE.get(label), pg_source=None)
    return argparse.Namespace(db="postgresql", factor=factor, database_url=url, fresh=args.fresh, demo=False,
                              sqlite_path=None, sqlite_source=None, pg_source=source or run.SEEDED_PG.get(label))


def _discover(url: str, accounts: dict):
    """Discovery against this size's database (bench_app points DATABASE_URL at it; checked)."""
    from bench.discover import discover
    from portal.core.db import db

    app = run.bench_app(url)
    if app.config["SQLALCHEMY_DATABASE_URI"] != url:
        raise SystemExit(f"discovery would read {app.config['SQLALCHEMY_DATABASE_URI']}, not {url}")
    try:
        found = discover(app, accounts)
    finally:
        with app.app_context():
            db.engine.dispose()
    log(f"{url.rsplit('/', 1)[-1]}: customer {found.customer_id} ({found.customer_events} timeline entries), "
        f"thread {found.thread_id} ({found.thread_messages} messages), cycle {found.cycle_id}, sheet "
        f"{found.sheet_id}, quiz {found.quiz_id}; {'; '.join(found.notes)}")
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--small-factor", type=float, default=0.1)
    ap.add_argument("--large-factor", type=float, default=1.0)
    ap.add_argument("--small-source", help="seeded SQLite file / PostgreSQL database copied first (default: "
                    "run.py's SEEDED_SQLITE / SEEDED_PG by factor)")
    ap.add_argument("--large-source", help="the same for the large size")
    ap.add_argument("--small-url", help="PostgreSQL: scratch database for the small size (filled, written to)")
    ap.add_argument("--large-url", help="PostgreSQL: scratch database for the large size")
    ap.add_argument("--small-sqlite-path", help="SQLite scratch copy (default $TMPDIR/portal-growth-F<factor>.db)")
    ap.add_argument("--large-sqlite-path", help="the same for the large size")
    ap.add_argument("--fresh", action="store_true", help="start from fresh scratch copies (SQLite files deleted, "
                    "PostgreSQL schemas dropped)")
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per page per size")
    ap.add_argument("--rounds", type=int, default=4, help="the duration split into this many slices per size, "
                    "in the order A B B A …")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--only", help="only pages whose name contains this text (and the reference page)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--accounts", help="role=username,… e.g. rep=rep0002,director=director02")
    ap.add_argument("--password", help="the accounts' password")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0:
        raise SystemExit("--rounds must be at least 1 and --duration positive")
    if factor_label(args.small_factor) == factor_label(args.large_factor):
        raise SystemExit("the two factors are the same")
    if args.db == "postgresql":
        if not (args.small_url and args.large_url):
            raise SystemExit("PostgreSQL: give --small-url and --large-url (two scratch databases)")
        if args.small_url == args.large_url:
            raise SystemExit("--small-url and --large-url must be two different databases")

    # SIGTERM ends the run like Ctrl-C: the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    accounts = run.parse_accounts(args.accounts, run.SCALE_ACCOUNTS)
    password = args.password or os.environ.get("BENCH_PASSWORD") or run.SCALE_PASSWORD
    host = run.machine()
    sizes = {"small": _namespace(args, args.small_factor, args.small_url, args.small_source, args.small_sqlite_path),
             "large": _namespace(args, args.large_factor, args.large_url, args.large_source, args.large_sqlite_path)}
    urls, found, versions = {}, {}, {}
    env_url = os.environ.get("DATABASE_URL")
    try:
        for label, ns in sizes.items():
            urls[label] = run.database_url(ns)
            run.prepare(urls[label], ns)
            found[label] = _discover(urls[label], accounts)
            versions[label] = run.database_version(urls[label])
    finally:  # bench_app set DATABASE_URL for the discovery
        if env_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = env_url
    if urls["small"] == urls["large"]:
        raise SystemExit("both sizes point at the same database")

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    servers = []
    try:
        sides = {}
        for label in ("small", "large"):
            port = run.free_port()  # the first server holds its port while the second is chosen
            servers.append(run.start_server(urls[label], args.workers, port,
                                            Path(tempfile.gettempdir()) / f"portal-growth-gunicorn-{port}.log"))
            sessions = {}
            for role, username in accounts.items():
                s = Session("127.0.0.1", port)
                s.sign_in(username, password)
                sessions[role] = s
            sides[label] = Side(label, sessions, servers[-1].pid)
        pages = {label: run.pages_for(found[label], side.sessions) for label, side in sides.items()}
        if args.only:
            pages = {label: [p for p in ps if args.only in p.name or p.kind == "reference"]
                     for label, ps in pages.items()}
        pairs, small_only, large_only = match_pages(pages["small"], pages["large"])
        for target in small_only + large_only:
            log(f"only one size has {target.name} [{target.role or 'anonymous'}]: not measured")
        log(f"{len(pairs)} pages × 2 sizes × {args.rounds} slices of {args.duration / args.rounds:g} s, 1 client")
        small_pages, large_pages = measure(pairs, sides["small"], sides["large"], args.duration, args.rounds,
                                           args.warmup)
    finally:
        for server in servers:
            run.stop_server(server)

    now = datetime.now(UTC)

    def meta(label: str) -> dict:
        ns = sizes[label]
        # The database the pages were served from (PostgreSQL's scratch database, filled from pg_source only
        # when it was empty); SQLite serves a scratch copy of its seeded source.
        source = ns.sqlite_source if args.db == "sqlite" else make_url(ns.database_url).database
        return {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "database": args.db, "database_version": versions[label],
                "factor": factor_label(ns.factor), "source": source, "duration_s": args.duration,
                "rounds": args.rounds, "clients": [1], "workers": args.workers, "warmup": args.warmup,
                "accounts": accounts, "machine": host, "commit": run.git_commit(), "demo": False,
                "found": {k: v for k, v in vars(found[label]).items() if k != "notes"},
                "notes": found[label].notes}

    small, large = reports(small_pages, large_pages, small_only, meta("small"), meta("large"))
    rows = compare.compare(small, large)
    text = markdown(small, large, rows, large_only, args.rounds, args.duration)
    stem = f"{now.strftime('%Y-%m-%d')}-{args.db}-growth-paired"
    result = {"method": "paired: both sizes served at once, each page measured on both in alternating slices",
              "small": small, "large": large, "growth": rows,
              "only_small": [compare.page_key(_entry(t, t.name)) for t in small_only],
              "only_large": [compare.page_key(_entry(t, t.name)) for t in large_only]}
    (out_dir / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n")
    (out_dir / f"{stem}.md").write_text(text)
    log(f"wrote {out_dir / stem}.json and .md")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
