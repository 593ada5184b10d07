"""Growth check between two benchmark runs (bench/run.py JSON), e.g. factor 0.1 and factor 1.

    .venv/bin/python bench/compare.py bench/results/…-F0.1.json bench/results/…-F1.json [--out file.md]

A page passes when its p50 with one client at the larger factor is at most 1.5 × its p50 at the
smaller one, and it runs the same number of queries (a count that grows with the data is an
N+1 query). Writes a combined Markdown table (default: next to the larger run, ``…-growth.md``).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

MAX_GROWTH = 1.5


def page_key(page: dict) -> str:
    """A page's identity across runs: its name without the data-dependent parts, and the role."""
    base = re.sub(r" \([^)]*\)| '[^']*'|=\S+", "", page["name"]).strip()
    return f"{base} [{page['role']}]"


def _typical(mean):
    return None if mean is None else round(mean)


def _single(page: dict) -> dict:
    runs = page["runs"]
    return runs.get("1") or runs[min(runs, key=int)]


def compare(small: dict, large: dict) -> list[dict]:
    big = {page_key(p): p for p in large["pages"]}
    rows = []
    for p in small["pages"]:
        key = page_key(p)
        q = big.get(key)
        if q is None:
            rows.append({"page": key, "kind": p["kind"], "missing": True})
            continue
        a, b = _single(p), _single(q)
        ratio = (b["p50_ms"] / a["p50_ms"]) if a.get("p50_ms") and b.get("p50_ms") else None
        # The count nearly every request runs: a worker's cache refreshing now and then (targets, the pool
        # check) adds a statement to one request in hundreds, which shows as 8.01 in the mean. A count
        # that grows with the data grows for every request.
        same_queries = _typical(a.get("queries")) == _typical(b.get("queries"))
        misses = []
        if ratio is not None and ratio > MAX_GROWTH:
            misses.append(f"p50 ×{ratio:.2f} > ×{MAX_GROWTH}")
        if not same_queries:
            misses.append(f"queries {a.get('queries'):g} → {b.get('queries'):g}")
        rows.append({"page": key, "kind": p["kind"], "p50_small": a.get("p50_ms"), "p50_large": b.get("p50_ms"),
                     "ratio": ratio, "q_small": a.get("queries"), "q_large": b.get("queries"),
                     "rows_small": a.get("rows"), "rows_large": b.get("rows"),
                     "cpu_small": a.get("server_cpu_ms"), "cpu_large": b.get("server_cpu_ms"), "misses": misses})
    return rows


def _f(v, fmt="{:.1f}") -> str:
    return "—" if v is None else fmt.format(v)


def markdown(small: dict, large: dict, rows: list[dict], header: list[str] | None = None) -> str:
    """The table; ``header``: the lines above it instead of the two runs' description (bench/growth.py)."""
    ms, ml = small["meta"], large["meta"]
    lines = list(header) if header is not None else [
        f"# Growth: factor {ms['factor']} → {ml['factor']} ({ml['database']})",
        "",
        f"- Smaller run: {ms['date']}, {ms['database_version']}, commit `{ms['commit']}`",
        f"- Larger run: {ml['date']}, {ml['database_version']}, commit `{ml['commit']}`",
        f"- Check: p50 with one client at factor {ml['factor']} ≤ {MAX_GROWTH} × p50 at factor {ms['factor']}, "
        "and the same number of queries per request. The workers' CPU per request is shown too: on a shared "
        "machine it is steadier than latency (compare the floor page's p50 in both runs to see the noise).",
        "",
    ]
    lines += [
        f"| page | kind | p50 F{ms['factor']} (ms) | p50 F{ml['factor']} (ms) | growth | CPU ms/req | queries | rows "
        "| check |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['page']} | {r['kind']} | | | | | | | not in the larger run |")
            continue
        queries = _f(r["q_small"], "{:g}") + ("" if r["q_small"] == r["q_large"] else f" → {_f(r['q_large'], '{:g}')}")
        rws = f"{_f(r['rows_small'], '{:g}')} → {_f(r['rows_large'], '{:g}')}"
        check = "✓" if not r["misses"] else "✗ " + "; ".join(r["misses"])
        cpu = f"{_f(r['cpu_small'])} → {_f(r['cpu_large'])}"
        lines.append(f"| {r['page']} | {r['kind']} | {_f(r['p50_small'])} | {_f(r['p50_large'])} | "
                     f"{_f(r['ratio'], '×{:.2f}')} | {cpu} | {queries} | {rws} | {check} |")
    failed = sum(1 for r in rows if r.get("misses"))
    lines += ["", f"{failed} of {len(rows)} pages fail the growth check."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("small")
    ap.add_argument("large")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    small = json.loads(Path(args.small).read_text())
    large = json.loads(Path(args.large).read_text())
    text = markdown(small, large, compare(small, large))
    out = Path(args.out) if args.out else Path(args.large).with_name(
        Path(args.large).stem.rsplit("-F", 1)[0] + "-growth.md")
    out.write_text(text)
    print(text)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
