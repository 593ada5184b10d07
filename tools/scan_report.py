"""Judge the wapiti reports of `make scan`: fail on any finding the allowlist does not explain.

Reads scan/results/<role>.json (wapiti's JSON reports), <role>.wapiti.log (which requests each attack
module got through), <role>.access.log (what the portal answered) and run.json (written by
tools/scan.py). A finding is every wapiti vulnerability and anomaly, plus every 5xx the portal served
during the scan. Each one must match an entry of scan/allowlist.toml, and each entry's id must be
explained in SECURITY.md. Writes a Markdown summary (scan/SUMMARY.md, committed) and exits 1 when
anything is unexplained.

    python tools/scan_report.py [--results scan/results] [--allowlist scan/allowlist.toml]
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["rep", "director", "gm", "admin"]
ROLE_COLUMNS = {"rep": 4, "director": 5, "gm": 6, "admin": 7}  # columns of docs/ROUTES.md


@dataclass
class Finding:
    role: str
    kind: str  # vulnerability | anomaly | server-error
    module: str
    category: str
    method: str
    path: str
    parameter: str
    info: str
    allowed_by: str | None = None

    def line(self) -> str:
        where = f"{self.method} {self.path}" + (f" [{self.parameter}]" if self.parameter else "")
        return f"{self.role}: {self.module} / {self.category}: {where}: {self.info}"


@dataclass
class RoleRun:
    role: str
    account: str = ""
    version: str = ""
    date: str = ""
    crawled: int = 0
    served: Counter = field(default_factory=Counter)
    attacked: dict = field(default_factory=dict)  # module -> (requests attacked, stopped by time bound)
    routes_reached: int = 0
    routes_admitted: int = 0
    seconds: int = 0
    findings: list = field(default_factory=list)


def load_allowlist(path: Path) -> list[dict]:
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("allow", [])
    for entry in entries:
        for key in ("id", "module", "reason"):
            if not str(entry.get(key, "")).strip():
                raise SystemExit(f"{path}: every [[allow]] needs {key!r}: {entry}")
    return entries


def matches(entry: dict, finding: Finding) -> bool:
    if entry["module"] != finding.module:
        return False
    if entry.get("roles") and finding.role not in entry["roles"]:
        return False
    if entry.get("category") and entry["category"] != finding.category:
        return False
    if entry.get("path") and not fnmatch.fnmatchcase(finding.path, entry["path"]):
        return False
    return not (entry.get("info") and entry["info"] not in finding.info)


def routes_table(path: Path) -> list[tuple[re.Pattern, set[str]]]:
    """(pattern, roles admitted) for every route in docs/ROUTES.md."""
    routes = []
    if not path.exists():
        return routes
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 9 or not cells[1].startswith("`/"):
            continue
        rule = cells[1].strip("`")
        pattern = "".join(r"\d+" if part.startswith("<int:") else "[^/]+" if part.startswith("<") else re.escape(part)
                          for part in re.split(r"(<[^>]+>)", rule))
        admitted = {role for role, col in ROLE_COLUMNS.items() if cells[col]}
        routes.append((re.compile(pattern + "$"), admitted))
    return routes


def read_access_log(path: Path) -> list[tuple[str, str, int]]:
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text(errors="replace").splitlines():
        match = re.search(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ', line)
        if match:
            rows.append((match.group(1), match.group(2), int(match.group(3))))
    return rows


def attacked_by_module(log: Path) -> dict[str, tuple[int, bool]]:
    counts: dict[str, list] = {}
    module = None
    if not log.exists():
        return {}
    for line in log.read_text(errors="replace").splitlines():
        started = re.match(r"\[\*\] Launching module (\w+)", line)
        if started:
            module = started.group(1)
            counts[module] = [0, False]
        elif module and line.startswith("[+] "):
            counts[module][0] += 1
        elif module and line.startswith(f"Max attack time was reached for module {module}"):
            counts[module][1] = True
    return {name: (n, bounded) for name, (n, bounded) in counts.items()}


def read_role(results: Path, role: str, run: dict, routes) -> RoleRun | None:
    report_file = results / f"{role}.json"
    if not report_file.exists():
        return None
    report = json.loads(report_file.read_text())
    info = report.get("infos", {})
    meta = run.get("roles", {}).get(role, {})
    out = RoleRun(role=role, account=meta.get("account", ""), version=info.get("version", ""),
                  crawled=info.get("crawled_pages_nbr", 0), seconds=meta.get("seconds", 0),
                  date=info.get("date", ""))
    out.attacked = attacked_by_module(results / f"{role}.wapiti.log")
    for kind, key in (("vulnerability", "vulnerabilities"), ("anomaly", "anomalies")):
        for category, items in (report.get(key) or {}).items():
            for item in items:
                out.findings.append(Finding(role, kind, item.get("module", "?"), category, item.get("method", ""),
                                            item.get("path", ""), item.get("parameter", ""),
                                            (item.get("info") or "").strip()))
    requests = read_access_log(results / f"{role}.access.log")
    out.served = Counter(status for _, _, status in requests)
    for method, target, status in requests:
        if status >= 500:
            out.findings.append(Finding(role, "server-error", "access-log", f"HTTP {status}", method,
                                        target.split("?")[0], "", f"the portal answered {status} to {target}"))
    admitted = [(pattern, roles) for pattern, roles in routes if role in roles]
    paths = {target.split("?")[0] for _, target, status in requests if status < 400}
    out.routes_admitted = len(admitted)
    out.routes_reached = sum(1 for pattern, _ in admitted if any(pattern.match(p) for p in paths))
    return out


def summary_markdown(runs: list[RoleRun], run: dict, allowlist: list[dict], failures: list[Finding]) -> str:
    version = next((r.version for r in runs if r.version), "wapiti ?")
    lines = [
        "# Outside scanner: last run",
        "",
        "Written by `tools/scan_report.py` after `make scan`; see SECURITY.md, \"Outside scanner (wapiti)\".",
        "",
        f"- Dated (wapiti): {max((r.date for r in runs), default='?')}; portal over "
        f"{'HTTPS with the deployment settings' if run.get('https', True) else 'plain HTTP with the defaults'}; "
        f"scope `{run.get('section', '/')}`",
        f"- Scanner: {version}; modules: `{','.join(run.get('modules', []))}`",
        f"- Bounds per role: crawl {run.get('scan_time', '?')} s, {run.get('attack_time', '?')} s per attack "
        f"module, depth {run.get('depth', '?')}, query-string variants `{run.get('force', '?')}`, "
        f"{run.get('per_dir', '?')} pages per directory",
        f"- Whole run (seeding, four portals, four scans): {run.get('seconds', '?')} s",
        "",
        "| role (account) | URLs and forms crawled | requests served | by status | routes reached "
        "| requests attacked per module | findings | unexplained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.served.items()))
        attacked = ", ".join(f"{m} {n}{' (time bound)' if bounded else ''}" for m, (n, bounded) in r.attacked.items())
        unexplained = sum(1 for f in r.findings if f.allowed_by is None)
        lines.append(f"| {r.role} ({r.account}) | {r.crawled} | {sum(r.served.values())} | {statuses} | "
                     f"{r.routes_reached} of {r.routes_admitted} | {attacked} | {len(r.findings)} | {unexplained} |")
    lines += ["", "## Findings by module", ""]
    by_module = Counter(f.module for r in runs for f in r.findings)
    if not by_module:
        lines.append("None: no module reported a vulnerability or anomaly, and the portal served no 5xx.")
    else:
        lines += ["| module | findings | explained |", "|---|---|---|"]
        for module, count in sorted(by_module.items()):
            explained = sum(1 for r in runs for f in r.findings if f.module == module and f.allowed_by)
            lines.append(f"| {module} | {count} | {explained} |")
        lines += ["", "## Each finding", ""]
        reasons = {e["id"]: e["reason"] for e in allowlist}
        for r in runs:
            for f in r.findings:
                verdict = f"explained: `{f.allowed_by}`: {reasons[f.allowed_by]}" if f.allowed_by else "UNEXPLAINED"
                lines.append(f"- {f.line()}. {verdict}")
    lines += ["", f"Result: {'FAIL' if failures else 'pass'} ({len(failures)} unexplained).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(ROOT / "scan" / "results"))
    parser.add_argument("--allowlist", default=str(ROOT / "scan" / "allowlist.toml"))
    parser.add_argument("--security", default=str(ROOT / "SECURITY.md"))
    parser.add_argument("--routes", default=str(ROOT / "docs" / "ROUTES.md"))
    parser.add_argument("--summary", default=str(ROOT / "scan" / "SUMMARY.md"), help="'' to skip writing it")
    args = parser.parse_args(argv)

    results = Path(args.results)
    run_file = results / "run.json"
    run = json.loads(run_file.read_text()) if run_file.exists() else {}
    allowlist = load_allowlist(Path(args.allowlist))
    security = Path(args.security).read_text() if Path(args.security).exists() else ""
    problems = [f"allowlist entry {e['id']!r} is not explained in SECURITY.md" for e in allowlist
                if e["id"] not in security]

    routes = routes_table(Path(args.routes))
    runs = [r for r in (read_role(results, role, run, routes) for role in ROLES) if r is not None]
    if not runs:
        print(f"no wapiti reports in {results}: run `make scan` first", file=sys.stderr)
        return 2
    used = set()
    failures = []
    for r in runs:
        for finding in r.findings:
            entry = next((e for e in allowlist if matches(e, finding)), None)
            if entry is None:
                failures.append(finding)
            else:
                finding.allowed_by = entry["id"]
                used.add(entry["id"])

    for r in runs:
        attacked = ", ".join(f"{m} {n}" for m, (n, _) in r.attacked.items())
        print(f"{r.role:<9} crawled {r.crawled:>5}  served {sum(r.served.values()):>5}  "
              f"routes {r.routes_reached}/{r.routes_admitted}  attacked: {attacked}  findings {len(r.findings)}")
    for entry in allowlist:
        if entry["id"] not in used:
            print(f"note: allowlist entry {entry['id']!r} matched nothing in this run")
    for finding in failures:
        print(f"UNEXPLAINED {finding.line()}")
    for problem in problems:
        print(f"ALLOWLIST {problem}")
    if args.summary:
        Path(args.summary).write_text(summary_markdown(runs, run, allowlist, failures))
    if failures or problems:
        print(f"scan: {len(failures)} unexplained finding(s), {len(problems)} allowlist problem(s)")
        return 1
    print("scan: every finding is explained")
    return 0


if __name__ == "__main__":
    sys.exit(main())
