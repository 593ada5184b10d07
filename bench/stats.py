"""Latency statistics and the targets check (pure functions, unit-tested in tests/test_bench_support.py)."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

# What each kind of page must reach, relative to the reference table page (same concurrency).
RPS_SHARE = {"home": 0.50, "list": 0.50, "detail": 0.50, "form": 0.50, "report": 0.25}
P95_MS = 50.0           # any page but exports, measured with one client
EXPORT_P95_MS = 2000.0  # exports, measured with one client
MAX_QUERIES = 15
NO_TARGETS = {"floor", "reference"}


@dataclass
class Sample:
    latency: float  # seconds
    status: int
    queries: int | None = None
    rows: int | None = None
    # An htmx answer that sends the browser elsewhere (HX-Redirect) is how the portal reports a
    # refused form post to htmx with a 200: a failure all the same.
    hx_redirect: bool = False

    @property
    def label(self) -> str:
        return f"{self.status} HX-Redirect" if self.hx_redirect else str(self.status)

    @property
    def failed(self) -> bool:
        return self.hx_redirect or not 200 <= self.status < 300


def _single(runs: dict) -> dict:
    """The run with one client (else the fewest): where latency is judged."""
    return runs.get("1") or runs[min(runs, key=int)]


def _p95_limit(kind: str) -> float:
    return EXPORT_P95_MS if kind == "export" else P95_MS


def p95_missed(page: dict) -> bool:
    """Whether the page's p95 with one client is over its kind's limit."""
    if page["kind"] in NO_TARGETS or not page["runs"]:
        return False
    p95 = _single(page["runs"]).get("p95_ms")
    return p95 is not None and p95 > _p95_limit(page["kind"])


def share_missed(page: dict, reference_rps: float | None) -> bool:
    """Whether the page's req/s at its highest concurrency falls short of its kind's share of the reference."""
    share, runs = RPS_SHARE.get(page["kind"]), page["runs"]
    return bool(share and runs and reference_rps) and runs[max(runs, key=int)]["rps"] < share * reference_rps


def percentile(values, pct: float) -> float | None:
    """The pct-th percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _mean(values):
    return sum(values) / len(values) if values else None


def summarise(samples: list[Sample], elapsed: float) -> dict:
    """Requests, req/s, p50/p95/p99 (ms), statuses, failures (non-2xx or HX-Redirect), mean queries and rows
    per request."""
    latencies = [s.latency * 1000.0 for s in samples]
    statuses = Counter(s.label for s in samples)
    queries = [s.queries for s in samples if s.queries is not None]
    rows = [s.rows for s in samples if s.rows is not None]
    mean_q = _mean(queries)
    mean_r = _mean(rows)
    return {
        "requests": len(samples),
        "elapsed_s": round(elapsed, 3),
        "rps": (len(samples) / elapsed) if elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
        "statuses": dict(sorted(statuses.items())),
        "failures": sum(1 for s in samples if s.failed),
        "queries": round(mean_q, 2) if mean_q is not None else None,
        "queries_max": max(queries) if queries else None,
        "rows": round(mean_r, 2) if mean_r is not None else None,
    }


def check_targets(page: dict, reference_runs: dict | None, share_measured: list[float] | None = None,
                  p95_measured: list[float] | None = None) -> list[str]:
    """The targets a page misses, as short phrases (empty: all met).

    p95 is judged with one client (the latency a user sees when the server is not saturated);
    the req/s share at the highest concurrency measured (throughput when it is), against the
    reference table page's req/s at that same concurrency. ``share_measured`` and ``p95_measured``: the
    shares and one-client p95s of a page measured again (``bench/run.py --rechecks``), judged on their
    median.
    """
    kind = page["kind"]
    runs = page["runs"]
    if kind in NO_TARGETS or not runs:
        return []
    misses = []
    failures = sum(r.get("failures", 0) for r in runs.values())
    if failures:
        misses.append(f"{failures} failed requests")
    limit = _p95_limit(kind)
    p95 = percentile(p95_measured, 50) if p95_measured else _single(runs).get("p95_ms")
    if p95 is not None and p95 > limit:
        misses.append(f"{'median ' if p95_measured else ''}p95 {p95:.0f} ms > {limit:.0f} ms")
    share = RPS_SHARE.get(kind)
    top = max(runs, key=int)
    ref = (reference_runs or {}).get(top)
    if share and share_measured:
        median = percentile(share_measured, 50)
        if median < share:
            misses.append(f"median of {len(share_measured)} measurements {median:.1%} of reference < {share:.0%}")
    elif share_missed(page, (ref or {}).get("rps")):
        misses.append(f"{runs[top]['rps']:.0f} req/s at {top} < {share:.0%} of reference ({ref['rps']:.0f})")
    most = max((r.get("queries_max") or r.get("queries") or 0) for r in runs.values())
    if most > MAX_QUERIES:
        misses.append(f"{most:g} queries > {MAX_QUERIES}")
    return misses
