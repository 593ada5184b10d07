"""The sheet's arithmetic: pure functions from figures to item scores, the total and the grade.

Every item is scored on a 5-point scale (0–5). The total is the weighted mean of the item scores
(weights in percent adding up to 100), so it is on the same 5-point scale: scores 5 at weight 30 and
3 at weight 70 give 5×0.3 + 3×0.7 = 3.6.

Rules (``zero_at``/``full_at`` are the item's floor and target, in the item's own unit):

* ``linear`` — for amounts and counts against a target: the figure as a percentage of the target,
  0 points at ``floor`` % (default 50 %), full marks at 100 %, straight line between, capped at 5.
  No target (or a zero target) → no score, with the reason shown.
* ``rate`` — for percentages (completion, on-time share): 0 at ``floor`` %, 5 at ``target`` %.
* ``growth`` — growth in percent: 0 at ``floor`` % (default −10 %), 5 at ``target`` % (default +10 %).
* ``inverse`` — fewer is better (customers lost): 5 at or below ``target`` (default 0),
  0 at or above ``floor`` (default 5), straight line between.
* ``judged`` — the director's 1–5 score.
* ``none`` — shown for reference (the planned target), not scored; its weight must be 0.

Items without a score are left out of the total and the remaining weights are scaled back to 100,
and the sheet says so: a missing figure is never counted as a silent zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FIVE = Decimal(5)
HUNDRED = Decimal(100)
TWO = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def between(value: Decimal, zero_at: Decimal, full_at: Decimal) -> Decimal:
    """5 points at ``full_at``, 0 at ``zero_at``, a straight line between, clamped to 0–5."""
    if full_at == zero_at:
        return FIVE if value >= full_at else Decimal(0)
    raw = FIVE * (value - zero_at) / (full_at - zero_at)
    return q2(min(max(raw, Decimal(0)), FIVE))


@dataclass(frozen=True)
class Scored:
    score: Decimal | None
    reason: str | None = None  # a code explaining a missing score: no_target, no_data, not_judged


def score_item(rule: str, actual: Decimal | None, target: Decimal | None, floor: Decimal | None,
               judged: Decimal | None = None) -> Scored:
    if rule == "none":
        return Scored(None, "reference")
    if rule == "judged":
        return Scored(q2(Decimal(judged)), None) if judged is not None else Scored(None, "not_judged")
    if actual is None:
        return Scored(None, "no_data")
    actual = Decimal(actual)
    if rule == "linear":
        if target is None or Decimal(target) == 0:
            return Scored(None, "no_target")
        pct = actual * HUNDRED / Decimal(target)
        return Scored(between(pct, Decimal(50) if floor is None else Decimal(floor), HUNDRED))
    if rule == "rate":
        return Scored(between(actual, Decimal(50) if floor is None else Decimal(floor),
                              HUNDRED if target is None else Decimal(target)))
    if rule == "growth":
        return Scored(between(actual, Decimal(-10) if floor is None else Decimal(floor),
                              Decimal(10) if target is None else Decimal(target)))
    if rule == "inverse":
        full_at = Decimal(0) if target is None else Decimal(target)
        zero_at = Decimal(5) if floor is None else Decimal(floor)
        if actual <= full_at:
            return Scored(FIVE)
        if actual >= zero_at:
            return Scored(Decimal("0.00"))
        return Scored(q2(FIVE * (zero_at - actual) / (zero_at - full_at)))
    raise ValueError(f"unknown rule {rule!r}")


@dataclass(frozen=True)
class Total:
    total: Decimal | None
    weight_used: Decimal  # the weights that had a score, out of 100
    complete: bool  # every weighted item has a score


def weighted_total(items: list[tuple[Decimal | None, Decimal]]) -> Total:
    """(score, weight) pairs → the weighted mean on the 5-point scale."""
    weighted = [(s, Decimal(w)) for s, w in items if Decimal(w) > 0]
    used = [(s, w) for s, w in weighted if s is not None]
    weight_used = sum((w for _, w in used), Decimal(0))
    if not used or weight_used == 0:
        return Total(None, Decimal(0), False)
    total = sum((s * w for s, w in used), Decimal(0)) / weight_used
    return Total(q2(total), weight_used, len(used) == len(weighted))


def grade_for(total: Decimal | None, bands: list) -> str | None:
    """The first band whose minimum the total reaches (bands from best to worst)."""
    if total is None:
        return None
    for grade, minimum in bands:
        if total >= Decimal(str(minimum)):
            return grade
    return bands[-1][0] if bands else None


def growth_percent(current: Decimal, previous: Decimal | None) -> Decimal | None:
    """(current − previous) / previous × 100, or None when there was nothing before."""
    if previous is None or Decimal(previous) == 0:
        return None
    return q2((Decimal(current) - Decimal(previous)) * HUNDRED / Decimal(previous))


def scale_monthly_target(per_month: Decimal | None, days_in_period: int, presence: Decimal) -> Decimal | None:
    """A template's per-month target for a period of any length and a rep present part of it.

    Months are taken as 365.25 / 12 = 30.4375 days; a rep who joined mid-period gets the share of
    the target matching the share of the period they were employed.
    """
    if per_month is None:
        return None
    return q2(Decimal(per_month) * Decimal(days_in_period) / Decimal("30.4375") * Decimal(presence))
