"""Before/after table of two benchmark runs of the same database and factor (the closing note's table).

    python bench/before_after.py BEFORE.json AFTER.json > table.md

Pages are matched by name and role; a page the home page or profile now loads in pieces (htmx
fragments) shows the page itself and, summed, its fragments as the browser asks for them at once.
"""
from __future__ import annotations

import json
import sys


def _runs(page: dict) -> dict:
    one = page["runs"].get("1") or {}
    return {"p50": one.get("p50_ms"), "p95": one.get("p95_ms"), "q": one.get("queries"),
            "cpu": one.get("server_cpu_ms"), "misses": page.get("misses") or []}


def _fmt(value, digits=1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main(before_path: str, after_path: str) -> str:
    before = {(p["name"], p["role"]): _runs(p) for p in json.load(open(before_path))["pages"]}
    after_pages = json.load(open(after_path))["pages"]
    after = {(p["name"], p["role"]): _runs(p) for p in after_pages}
    lines = ["| page | role | p50 ms before → after | p95 ms before → after | CPU ms/req before → after | "
             "queries before → after | after: targets |", "|---|---|---|---|---|---|---|"]
    for page in after_pages:
        key = (page["name"], page["role"])
        if " › " in page["name"]:
            continue  # fragments are summed into their page below
        a = after[key]
        parts = [v for k, v in after.items() if k[1] == key[1] and k[0].startswith(page["name"] + " › ")]
        q_all = a["q"] + sum(p["q"] or 0 for p in parts) if parts else a["q"]
        cpu_all = (a["cpu"] or 0) + sum(p["cpu"] or 0 for p in parts) if parts else a["cpu"]
        b = before.get(key, {})
        label = page["name"] + (f" (+{len(parts)} fragments)" if parts else "")
        worst_q = max([a["q"] or 0] + [p["q"] or 0 for p in parts])
        lines.append(f"| {label} | {key[1]} | {_fmt(b.get('p50'))} → {_fmt(a['p50'])} | {_fmt(b.get('p95'))} → "
                     f"{_fmt(a['p95'])} | {_fmt(b.get('cpu'))} → {_fmt(cpu_all)} | {_fmt(b.get('q'), 0)} → "
                     f"{_fmt(q_all, 0)} (max {worst_q:.0f} per request) | "
                     f"{'✓' if not a['misses'] and not any(p['misses'] for p in parts) else '✗'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(sys.argv[1], sys.argv[2]))
