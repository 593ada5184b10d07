"""Read-side figures other features use (the appraisal, the forecast, statistics).

Each per-rep function takes ``rep_ids`` and a ``portal.core.periods.Period`` and returns
``{rep_id: number}`` with one GROUP BY query; reps with nothing to count are absent (read with
``.get(rep_id, 0)``). A period is a half-open range of local days (Asia/Shanghai): an entry at
23:59 on its last day counts, one at 00:00 the next day does not.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, case, func, literal, or_, select, type_coerce, union_all

from ..core.db import db
from ..core.money import ZERO, to_money
from ..core.periods import Period
from ..core.types import Money
from .models import Activity, Customer, Opportunity, ResourceRequest


def _ids(rep_ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in rep_ids})


def _grouped(stmt) -> dict[int, int]:
    return {rep: int(n) for rep, n in db.session.execute(stmt).all() if rep is not None}


def counted_rows(metric: str, rep_ids, period: Period):
    """The rows a per-rep figure counts, and the column saying whose they are: ``(select, rep_column)``.

    The figures below are GROUP BY counts of exactly these rows, and the appraisal sheet lists the
    same rows as the evidence behind each number, so a figure and its evidence cannot disagree.
    """
    start, end = period.bounds_utc()
    ids = _ids(rep_ids)
    if metric == "new_customers":
        # 开发新客户数量: customers whose ``activated_at`` falls in the period, credited to the rep who owned
        # them at that moment (``activated_by_id``), whatever happened to them afterwards.
        return (select(Customer).where(Customer.activated_by_id.in_(ids), Customer.activated_at >= start,
                                       Customer.activated_at < end), Customer.activated_by_id)
    if metric == "visits_existing":
        # 现有客户的拜访数量: log entries of kind "visit" in the period, by the rep who logged them, to
        # customers already active before the period started (``activated_at`` < start) and not lost
        # before it (``lost_at`` NULL or ≥ start). Visits to prospects are development, not counted here.
        return (select(Activity).join(Customer, Customer.id == Activity.customer_id)
                .where(Activity.owner_id.in_(ids), Activity.kind == "visit", Activity.occurred_at >= start,
                       Activity.occurred_at < end, Customer.activated_at < start,
                       or_(Customer.lost_at.is_(None), Customer.lost_at >= start)), Activity.owner_id)
    if metric == "calls":
        # 电话销售拜访数量: log entries of kind "call" in the period, by the rep who logged them (any customer).
        return (select(Activity).where(Activity.owner_id.in_(ids), Activity.kind == "call",
                                       Activity.occurred_at >= start, Activity.occurred_at < end),
                Activity.owner_id)
    if metric == "new_prospects":
        # 新增开发客户数量: customers and partners added to the log in the period (``created_at``), by the
        # rep who added them (``created_by_id``), whatever their status now.
        return (select(Customer).where(Customer.created_by_id.in_(ids), Customer.created_at >= start,
                                       Customer.created_at < end), Customer.created_by_id)
    if metric == "customers_lost":
        # 丢失客户数量: customers marked lost in the period (``lost_at``), charged to the rep who owned them
        # when they were lost (``lost_by_id``). A later win-back does not undo the loss.
        return (select(Customer).where(Customer.lost_by_id.in_(ids), Customer.lost_at >= start,
                                       Customer.lost_at < end), Customer.lost_by_id)
    if metric == "requests_due":
        # Requests whose answer was *due* in the period (``due_at``, the end of the service window fixed
        # when the request was logged), by assignee, answered or not.
        return (select(ResourceRequest).where(ResourceRequest.assignee_id.in_(ids), ResourceRequest.due_at >= start,
                                              ResourceRequest.due_at < end), ResourceRequest.assignee_id)
    raise KeyError(metric)


def _count(metric: str, rep_ids, period: Period) -> dict[int, int]:
    stmt, rep = counted_rows(metric, rep_ids, period)
    return _grouped(stmt.with_only_columns(rep, func.count()).group_by(rep))


LOG_FIGURES = ("new_customers", "visits_existing", "calls", "new_prospects", "customers_lost", "requests_due")


def log_figures(rep_ids, period: Period) -> dict[str, dict]:
    """Every per-rep figure below in one statement: ``{metric: {rep_id: count}}`` for ``LOG_FIGURES``, and
    under ``"requests_answered"`` what ``requests_answered_on_time`` gives.

    The same ``counted_rows`` grouped by rep, joined by UNION ALL: an appraisal sheet checks its
    figures against the records on every view, and one round trip costs it less than seven."""
    answered = func.sum(case((ResourceRequest.answered_at.is_not(None), 1), else_=0))
    on_time = func.sum(case((and_(ResourceRequest.answered_at.is_not(None),
                                  ResourceRequest.answered_at <= ResourceRequest.due_at), 1), else_=0))
    parts = []
    for metric in LOG_FIGURES:
        stmt, rep = counted_rows(metric, rep_ids, period)
        extra = (answered, on_time) if metric == "requests_due" else (literal(0), literal(0))
        parts.append(stmt.with_only_columns(literal(metric).label("metric"), rep.label("rep"),
                                            func.count().label("n"), *extra).group_by(rep))
    out: dict[str, dict] = {metric: {} for metric in LOG_FIGURES}
    out["requests_answered"] = {}
    for metric, rep, n, n_answered, n_on_time in db.session.execute(union_all(*parts)):
        if rep is None:
            continue
        out[metric][rep] = int(n)
        if metric == "requests_due":
            out["requests_answered"][rep] = (int(n_answered or 0), int(n_on_time or 0))
    return out


def new_customers_activated(rep_ids, period: Period) -> dict[int, int]:
    """开发新客户数量 (see ``counted_rows``)."""
    return _count("new_customers", rep_ids, period)


def visits_to_existing_customers(rep_ids, period: Period) -> dict[int, int]:
    """现有客户的拜访数量 (see ``counted_rows``)."""
    return _count("visits_existing", rep_ids, period)


def calls(rep_ids, period: Period) -> dict[int, int]:
    """电话销售拜访数量 (see ``counted_rows``)."""
    return _count("calls", rep_ids, period)


def prospects_created(rep_ids, period: Period) -> dict[int, int]:
    """新增开发客户数量 (see ``counted_rows``)."""
    return _count("new_prospects", rep_ids, period)


def customers_lost(rep_ids, period: Period) -> dict[int, int]:
    """丢失客户数量 (see ``counted_rows``)."""
    return _count("customers_lost", rep_ids, period)


def requests_answered_on_time(rep_ids, period: Period) -> dict[int, tuple[int, int]]:
    """需求资源客户的回复工作情况: of the requests due in the period (``counted_rows("requests_due")``),
    by assignee, ``(answered, on_time)``: ``answered`` counts those answered at all and ``on_time`` those
    answered no later than ``due_at``. Unanswered ones count in neither; ``requests_due`` gives the
    denominator (on-time rate = on_time / due)."""
    stmt, rep = counted_rows("requests_due", rep_ids, period)
    answered = func.sum(case((ResourceRequest.answered_at.is_not(None), 1), else_=0))
    on_time = func.sum(case((and_(ResourceRequest.answered_at.is_not(None),
                                  ResourceRequest.answered_at <= ResourceRequest.due_at), 1), else_=0))
    rows = db.session.execute(stmt.with_only_columns(rep, answered, on_time).group_by(rep)).all()
    return {r: (int(a or 0), int(o or 0)) for r, a, o in rows}


def requests_due(rep_ids, period: Period) -> dict[int, int]:
    """Requests whose answer was due in the period, by assignee, answered or not."""
    return _count("requests_due", rep_ids, period)


def _scope_filter(stmt, scope):
    """``scope``: None or "company" (everything), ("team", id), ("rep", id), a Team, or a User
    (a rep: their own; a director: their teams'; the GM: everything)."""
    if scope is None or scope == "company":
        return stmt
    if isinstance(scope, tuple):
        kind, ident = scope
        if kind == "team":
            return stmt.where(Opportunity.team_id == ident)
        if kind == "rep":
            return stmt.where(Opportunity.owner_id == ident)
        raise ValueError(f"unknown scope {scope!r}")
    if getattr(scope, "__tablename__", None) == "team":
        return stmt.where(Opportunity.team_id == scope.id)
    if getattr(scope, "__tablename__", None) == "user":
        from .access import record_scope

        return record_scope(stmt, Opportunity, scope)
    raise ValueError(f"unknown scope {scope!r}")


def pipeline_weighted(scope, period: Period) -> Decimal:
    """销售预测 from the pipeline: Σ amount × probability / 100 over the *open* opportunities of the
    scope whose expected close date falls in the period (``period.start <= expected_close < period.end``),
    exact to the cent (summed in SQL on the Money type, divided once at the end)."""
    stmt = select(type_coerce(func.sum(Opportunity.amount * Opportunity.probability), Money())).where(
        Opportunity.status == "open", Opportunity.expected_close >= period.start,
        Opportunity.expected_close < period.end)
    total = db.session.scalar(_scope_filter(stmt, scope))
    if total is None:
        return ZERO
    return to_money(Decimal(total) / 100)


@cache
def _by_stage_statement():
    """Built once: the board asks on every request, and building the statement (and walking it for
    its cache key) cost as much as running it. The scope and the period are added per call."""
    weighted = type_coerce(func.sum(Opportunity.amount * Opportunity.probability), Money())
    return select(Opportunity.stage_id, func.count(Opportunity.id), type_coerce(func.sum(Opportunity.amount), Money()),
                  weighted).where(Opportunity.status == "open").group_by(Opportunity.stage_id)


def pipeline_by_stage(scope, period: Period | None = None) -> list[tuple[int, int, Decimal, Decimal]]:
    """Per stage id: (stage_id, count, Σ amount, Σ weighted amount) of open opportunities in the scope."""
    stmt = _by_stage_statement()
    if period is not None:
        stmt = stmt.where(Opportunity.expected_close >= period.start, Opportunity.expected_close < period.end)
    out = []
    for stage_id, n, amount, w in db.session.execute(_scope_filter(stmt, scope)).all():
        out.append((stage_id, int(n), amount or ZERO, to_money(Decimal(w or 0) / 100)))
    return out
