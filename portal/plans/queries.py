"""Read side of plans: target status (target vs actual, tier, gap, run rate, forecast), warnings,
budget vs actual, and the per-rep figures the appraisal feature reads.

Every figure comes from an aggregate query (GROUP BY), so a status page runs the same handful of
queries whether the company has a hundred orders or a hundred thousand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from sqlalchemy import and_, case, func, null, or_, select, type_coerce
from sqlalchemy.orm import joinedload

from ..core.cache import VersionedCache
from ..core.db import db
from ..core.money import ZERO, percent
from ..core.periods import Period, local_today, working_days_between
from ..core.types import Money
from .models import MEASURES, MONEY_MEASURES, BudgetLine, Expense, Target

KIND_RANK = {"week": 0, "month": 1, "quarter": 2, "year": 3}
FORECAST_MEASURES = ("sales", "contracts")


@dataclass
class MeasureStatus:
    """One measure for one scope and period; the figures the status page, panels and exports show.

    The derived figures are worked out once per object (a status page asks for a completion or a colour
    several times per row, and a company page has a row per team)."""

    measure: str
    base: Decimal | None
    sprint: Decimal | None
    challenge: Decimal | None
    actual: Decimal
    pipeline: Decimal | None
    period: Period
    today: date

    @property
    def is_money(self) -> bool:
        return self.measure in MONEY_MEASURES

    @cached_property
    def completion(self) -> Decimal | None:
        return percent(self.actual, self.base) if self.base else None

    @cached_property
    def tier(self) -> str | None:
        """The highest tier reached: challenge, sprint, base, or None."""
        if self.base is None:
            return None
        for name in ("challenge", "sprint", "base"):
            value = getattr(self, name)
            if value is not None and self.actual >= value:
                return name
        return None

    @cached_property
    def gap(self) -> Decimal | None:
        if self.base is None:
            return None
        return max(self.base - self.actual, ZERO)

    @cached_property
    def working_days_left(self) -> int:
        start = max(self.today, self.period.start)
        return working_days_between(start, self.period.end) if start < self.period.end else 0

    @cached_property
    def run_rate(self) -> Decimal | None:
        """What must be done per remaining working day to reach the base target."""
        if self.gap is None or self.working_days_left == 0:
            return None
        places = Decimal("0.01") if self.is_money else Decimal("0.1")
        return (self.gap / self.working_days_left).quantize(places, rounding=ROUND_HALF_UP)

    @cached_property
    def forecast(self) -> Decimal | None:
        """Actual plus the probability-weighted open pipeline expected to close in the period."""
        if self.pipeline is None:
            return None
        return self.actual + self.pipeline

    @cached_property
    def expected_pct(self) -> Decimal:
        """How far through the period we are, in per cent: where completion should be by now."""
        return (Decimal(str(self.period.elapsed_fraction(self.today))) * 100).quantize(Decimal("0.1"))

    @cached_property
    def colour(self) -> str:
        """success: reached; primary: on track; warning: a little behind; danger: well behind."""
        done = self.completion
        if done is None:
            return "secondary"
        if done >= 100:
            return "success"
        expected = self.expected_pct
        if done >= expected:
            return "primary"
        if done >= expected * Decimal("0.8"):
            return "warning"
        return "danger"


# Targets -------------------------------------------------------------------------------------

def target_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: {measure: (base, sprint, challenge)}} for a period.

    A target set for the period itself wins; otherwise the sum of the largest smaller periods inside it
    (the quarters of a year, or its months) stands in.
    """
    restricted = group != "company" and ids is not None
    ids = list(ids or [])
    chosen = _targets_for([period], {group: None}, ids if group == "team" else [], ids if group == "rep" else [],
                          restricted)[0]
    return {key: measures for (_scope, key), measures in chosen.items()}


def status_table(period: Period, group: str = "company", ids=None, today: date | None = None) -> dict:
    """{key: {measure: MeasureStatus}} for the company, each team or each rep (six aggregate queries)."""
    restrict = {} if ids is None or group == "company" else {f"{group}_ids": ids}
    cube = StatusCube([period], today=today, levels=(group,), **restrict)
    return cube.table(period, group, ids)


def scope_status(period: Period, scope: str, team_id: int | None = None, owner_id: int | None = None,
                 today: date | None = None) -> dict:
    """{measure: MeasureStatus} for one company, team or rep."""
    if scope == "company":
        return status_table(period, "company", today=today)[None]
    ident = team_id if scope == "team" else owner_id
    return status_table(period, scope, [ident], today=today)[ident]


# Warnings ------------------------------------------------------------------------------------

def rep_sum_warnings(team_id: int, period: Period) -> list[dict]:
    """Measures whose rep targets (reps of this team) do not add up to the team's target."""
    return sum_warnings("team", team_id, period)


def sum_warnings(scope: str, ident: int | None, period: Period) -> list[dict]:
    """Where the targets one level down (teams of the company, reps of a team) do not add up to this one's."""
    if scope == "company":
        own = target_totals(period, "company").get(None, {})
        child = select(Target.measure, type_coerce(func.sum(Target.base), Money())).where(
            Target.scope == "team", Target.period_key == period.key)
    else:
        own = target_totals(period, "team", [ident]).get(ident, {})
        child = select(Target.measure, type_coerce(func.sum(Target.base), Money())).where(
            Target.scope == "rep", Target.team_id == ident, Target.period_key == period.key)
    sums = dict(db.session.execute(child.group_by(Target.measure)).all())
    out = []
    for measure in MEASURES:
        base = own.get(measure, (None,))[0]
        total = sums.get(measure)
        if base is not None and total is not None and base != total:
            out.append({"measure": measure, "target": base, "sum": total, "diff": total - base})
    return out


def children_warnings(scope: str, team_id: int | None, owner_id: int | None, period: Period) -> list[dict]:
    """Where the months (or quarters) of a period do not add up to the period's own target."""
    stmt = select(Target.period_kind, Target.measure, type_coerce(func.sum(Target.base), Money())).where(
        Target.scope == scope, Target.period_start >= period.start, Target.period_end <= period.end)
    stmt = stmt.where(Target.team_id.is_(None) if team_id is None else Target.team_id == team_id)
    stmt = stmt.where(Target.owner_id.is_(None) if owner_id is None else Target.owner_id == owner_id)
    sums: dict = {}
    for kind, measure, total in db.session.execute(stmt.group_by(Target.period_kind, Target.measure)):
        sums.setdefault(measure, {})[kind] = total
    out = []
    for measure in MEASURES:
        by_kind = sums.get(measure, {})
        own = by_kind.get(period.kind)
        if own is None:
            continue
        for kind in ("quarter", "month"):
            if KIND_RANK[kind] < KIND_RANK[period.kind] and kind in by_kind and by_kind[kind] != own:
                out.append({"measure": measure, "kind": kind, "target": own, "sum": by_kind[kind],
                            "diff": by_kind[kind] - own})
    return out


# Budgets -------------------------------------------------------------------------------------

def counted():
    """Expenses that count as spent: those that needed no approval and the approved ones."""
    return or_(Expense.approval_status.is_(None), Expense.approval_status == "approved")


def awaiting():
    """Expenses waiting for approval (or back with the requester): shown apart, not spent yet."""
    return Expense.approval_status == "pending"


def _sum_for_line(condition):
    return type_coerce(func.coalesce(
        select(func.sum(Expense.amount)).where(
            Expense.team_id == BudgetLine.team_id, Expense.category_id == BudgetLine.category_id,
            Expense.spent_on >= BudgetLine.period_start, Expense.spent_on < BudgetLine.period_end, condition,
        ).correlate(BudgetLine).scalar_subquery(), 0), Money())


def lines_with_actuals(stmt) -> list[dict]:
    """Budget lines with what was spent against each (approved or not needing approval), what waits
    for approval, the remainder and the share used (one query)."""
    stmt = stmt.add_columns(_sum_for_line(counted()), _sum_for_line(awaiting())).options(
        joinedload(BudgetLine.category), joinedload(BudgetLine.team))
    out = []
    for line, spent, pending in db.session.execute(stmt):
        spent = spent or ZERO
        out.append({"line": line, "spent": spent, "pending": pending or ZERO, "remaining": line.amount - spent,
                    "used": percent(spent, line.amount), "over": spent > line.amount})
    return out


def budget_by_team(period: Period, team_ids=None) -> dict[int, dict]:
    """{team id: {"planned", "spent", "pending", "used", "over"}}: the budget lines in effect during the period.

    For each team and category the longest line overlapping the period counts (the year's rather than
    its months'), with what was spent against it over its own period; a team that spent in the period
    without any line in effect shows its spending against a budget of zero. Expenses waiting for
    approval are not spent: they are summed apart as "pending"; rejected ones count nowhere. Two queries.
    """
    stmt = select(BudgetLine).where(BudgetLine.period_start < period.end, BudgetLine.period_end > period.start)
    spent_stmt = select(Expense.team_id, type_coerce(func.sum(Expense.amount), Money()),
                        type_coerce(func.sum(case((awaiting(), Expense.amount), else_=0)), Money())).where(
        Expense.spent_on >= period.start, Expense.spent_on < period.end,
        or_(counted(), awaiting()))
    if team_ids is not None:
        stmt = stmt.where(BudgetLine.team_id.in_(list(team_ids) or [-1]))
        spent_stmt = spent_stmt.where(Expense.team_id.in_(list(team_ids) or [-1]))
    best: dict = {}
    for row in lines_with_actuals(stmt):
        line = row["line"]
        key, rank = (line.team_id, line.category_id), KIND_RANK.get(line.period_kind, -1)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, row)
    out: dict[int, dict] = {}
    for (team_id, _cat), (_rank, row) in best.items():
        slot = out.setdefault(team_id, {"planned": ZERO, "spent": ZERO, "pending": ZERO})
        slot["planned"] += row["line"].amount
        slot["spent"] += row["spent"]
        slot["pending"] += row["pending"]
    for team_id, total, pending in db.session.execute(spent_stmt.group_by(Expense.team_id)):
        if team_id not in out:
            pending = pending or ZERO
            out[team_id] = {"planned": ZERO, "spent": (total or ZERO) - pending, "pending": pending}
    for slot in out.values():
        slot["used"] = percent(slot["spent"], slot["planned"])
        slot["over"] = slot["spent"] > slot["planned"]
    return out


# For the appraisal feature ---------------------------------------------------------------------

def rep_targets(rep_ids, period: Period, measure: str) -> dict[int, Decimal]:
    """{rep id: base target} for one measure (the period's own target, or its months/quarters summed)."""
    totals = target_totals(period, "rep", list(rep_ids))
    return {rep: slots[measure][0] for rep, slots in totals.items()
            if measure in slots and slots[measure][0] is not None}


def actual_sales(rep_ids, period: Period) -> dict[int, Decimal]:
    """{rep id: sales amount from orders dated in the period}; reps without orders get 0."""
    from ..contracts.queries import order_totals

    rows = order_totals(period, "rep", list(rep_ids))
    return {rep: rows.get(rep, (ZERO, 0, ZERO))[0] for rep in rep_ids}


def orders_count(rep_ids, period: Period) -> dict[int, int]:
    """{rep id: number of orders dated in the period}; reps without orders get 0."""
    from ..contracts.queries import order_totals

    rows = order_totals(period, "rep", list(rep_ids))
    return {rep: rows.get(rep, (ZERO, 0, ZERO))[1] for rep in rep_ids}


# Exports (the contract list uses the same writer) ---------------------------------------------

# Several periods and levels at once -----------------------------------------------------------

def _within(col, period: Period, utc: bool = False):
    start, end = period.bounds_utc() if utc else (period.start, period.end)
    return and_(col >= start, col < end)


def _span(periods) -> Period:
    """The smallest stretch of days covering every period (the WHERE of a cube query)."""
    return Period("span", min(p.start for p in periods), max(p.end for p in periods))


def _cells(model, team_col, owner_col, date_col, periods, measures, who, *where, utc=False,
           grain: str = "rep") -> list[dict]:
    """One GROUP BY query with each measure summed once per period (CASE inside SUM).

    Answers [{(team id, owner id): (value per measure)} per period]. ``measures`` maps a condition to the
    columns summed under it; ``who`` restricts the rows to some teams or owners. ``grain`` is the finest
    level the page shows: "rep" groups by (team, owner), "team" by team (owner None), "company" not at
    all, so a company figure reads one row whatever the number of teams and reps.
    """
    span = _span(periods)
    cols = []
    for p in periods:
        cols += measures(_within(date_col, p, utc))
    keys = {"rep": [team_col, owner_col], "team": [team_col], "company": []}[grain]
    fill = [null(), null()][:2 - len(keys)]
    stmt = select(*keys, *fill, *cols).where(_within(date_col, span, utc), *where)
    if who is not None:
        stmt = stmt.where(who(team_col, owner_col))
    width = len(cols) // len(periods)
    out: list[dict] = [{} for _ in periods]
    for row in db.session.execute(stmt.group_by(*keys) if keys else stmt):
        for i in range(len(periods)):
            out[i][(row[0], row[1])] = row[2 + i * width: 2 + (i + 1) * width]
    return out


def _summed(value, cond):
    return type_coerce(func.sum(case((cond, value), else_=None)), Money())


def _counted(cond):
    return func.sum(case((cond, 1), else_=0))


def _counted_sum(col, cond):
    return func.sum(case((cond, col), else_=0))


_TARGETS = VersionedCache("targets")  # the token changes with every flush that writes a target
_PIPELINE = VersionedCache("pipeline")  # … and this one with every flush that writes an opportunity


def _targets_for(periods, level_periods: dict, teams, reps, restricted: bool) -> list[dict]:
    """``_read_targets``, kept by the worker until a target is written (targets change a few times a
    month; target status pages are opened all day)."""
    def ident(ps):
        return None if ps is None else tuple((p.kind, p.start, p.end) for p in ps)

    key = (ident(periods), tuple((scope, ident(ps)) for scope, ps in level_periods.items()),
           tuple(teams), tuple(reps), restricted)
    return _TARGETS.get(key, lambda: _read_targets(periods, level_periods, teams, reps, restricted))


def _read_targets(periods, level_periods: dict, teams, reps, restricted: bool) -> list[dict]:
    """[{(scope, key): {measure: (base, sprint, challenge)}} per period] in one query: for each period, the
    targets of the largest period kind inside it (its own, else its quarters, else its months), summed.
    ``level_periods`` names the scopes read, each for every period (None) or only some; ``restricted``
    keeps team targets to ``teams`` and rep targets to ``reps``."""
    cols = []
    for p in periods:
        inside = and_(Target.period_start >= p.start, Target.period_end <= p.end)
        cols += [_counted(inside), _summed(Target.base, inside), _summed(Target.sprint, inside),
                 _summed(Target.challenge, inside)]
    wanted = {scope: [periods.index(p) for p in dict.fromkeys(ps)] if ps else list(range(len(periods)))
              for scope, ps in level_periods.items()}
    reach = []
    for scope, indices in wanted.items():
        span = _span([periods[i] for i in indices])
        reach.append(and_(Target.scope == scope, Target.period_start >= span.start, Target.period_end <= span.end))
    stmt = select(Target.scope, Target.team_id, Target.owner_id, Target.period_kind, Target.measure, *cols).where(
        or_(*reach))
    if restricted:
        parts = ([and_(Target.scope == "team", Target.team_id.in_(teams))] if teams else []) + \
                ([and_(Target.scope == "rep", Target.owner_id.in_(reps))] if reps else [])
        stmt = stmt.where(or_(*parts) if parts else Target.team_id.in_([-1]))
    stmt = stmt.group_by(Target.scope, Target.team_id, Target.owner_id, Target.period_kind, Target.measure)
    best: list[dict] = [{} for _ in periods]
    for row in db.session.execute(stmt):
        scope, team_id, owner_id, kind, measure = row[:5]
        key = (scope, {"company": None, "team": team_id, "rep": owner_id}.get(scope))
        for i in wanted[scope]:
            p = periods[i]
            n, base, sprint, challenge = row[5 + 4 * i: 9 + 4 * i]
            rank = KIND_RANK.get(kind, -1)
            if not n or rank > KIND_RANK[p.kind]:
                continue
            slot = best[i].setdefault(key, {}).setdefault(measure, {})
            if rank not in slot:
                slot[rank] = [ZERO, ZERO, ZERO, False, False, False]
            acc = slot[rank]
            for j, value in enumerate((base, sprint, challenge)):
                if value is not None:
                    acc[j] += value
                    acc[3 + j] = True
    out = []
    for slots in best:
        chosen = {}
        for key, measures in slots.items():
            chosen[key] = {}
            for measure, by_rank in measures.items():
                acc = by_rank[max(by_rank)]
                chosen[key][measure] = tuple(acc[j] if acc[3 + j] else None for j in range(3))
        out.append(chosen)
    return out


class StatusCube:
    """Target status for several periods at every level (the company, each team, each rep) from six
    aggregate queries, whatever the number of periods, teams and reps shown on the page.

    Actuals are fetched once per (team, rep) cell and rolled up here: a team's figure sums the rows
    carrying its team id, a rep's the rows they own (wherever they were then), the company's every row,
    which is exactly what the single-period queries above count. ``team_ids``/``rep_ids`` restrict the
    rows read to what the page shows (a director's overview never reads other teams' rows); the company
    level is only available when nothing is restricted.
    """

    def __init__(self, periods, team_ids=None, rep_ids=None, today: date | None = None,
                 levels=("company", "team", "rep")):
        from ..customers.models import Opportunity

        # The scopes the page shows, each for all periods or only some ({"rep": [period]}): only those
        # targets are read (a company's reps have tens of thousands of monthly targets).
        if not isinstance(levels, dict):
            levels = {scope: None for scope in levels}
        self.levels = tuple(levels)
        self._level_periods = levels

        self.periods = list(dict.fromkeys(periods))
        self.grain = next(g for g in ("rep", "team", "company") if g in levels)
        self.today = today or local_today()
        self.restricted = team_ids is not None or rep_ids is not None
        teams, reps = list(team_ids or []), list(rep_ids or [])
        self._rep_ids = reps

        def who(team_col, owner_col):
            if not self.restricted:
                return None
            # Only the parts asked for: "team IN (…) OR owner IN (-1)" would keep SQL from using the
            # owner or team index alone.
            parts = ([team_col.in_(teams)] if teams else []) + ([owner_col.in_(reps)] if reps else [])
            return or_(*parts) if parts else team_col.in_([-1])

        rows_of = who if self.restricted else None
        ps = self.periods
        if all(p.kind in ("month", "quarter", "year") for p in ps):
            actuals = self._from_rollup(rows_of)
        else:  # weeks do not fall on month boundaries: sum the source rows
            actuals = self._from_sources(rows_of)
        # Kept by the worker until an opportunity is written: the company's open pipeline of a year is
        # thousands of rows summed on every GM home page.
        key = (tuple((p.kind, p.start, p.end) for p in ps), self.grain, self.restricted, tuple(teams), tuple(reps))
        pipeline = _PIPELINE.get(key, lambda: _cells(
            Opportunity, Opportunity.team_id, Opportunity.owner_id, Opportunity.expected_close, ps,
            lambda c: [_summed(Opportunity.amount * Opportunity.probability, c)],
            rows_of, Opportunity.status == "open", grain=self.grain))
        for i, cells in enumerate(actuals):
            for key, (weighted,) in pipeline[i].items():
                cells.setdefault(key, {})["_pipeline"] = weighted or ZERO
        self._actuals = actuals
        self._targets = self._fetch_targets(teams, reps)

    def _from_rollup(self, who) -> list[dict]:
        """[{(team, rep): {measure: value}} per period] from the monthly rollup (one query): the team
        totals when no rep is shown (a year of the company is then 12 rows a team, not 12 a rep)."""
        from .models import SalesMonth, SalesMonthTeam

        measures = ("sales", "orders", "gross_profit", "contracts", "payments", "new_customers")
        by_team = self.grain != "rep" and not self._rep_ids
        M = SalesMonthTeam if by_team else SalesMonth  # noqa: N806 - a model
        owner_col = null() if by_team else M.owner_id
        rows = _cells(M, M.team_id, owner_col, M.month, self.periods, lambda c: [
            _summed(M.sales, c), _counted_sum(M.orders, c), _summed(M.gross_profit, c), _summed(M.contracts, c),
            _summed(M.payments, c), _counted_sum(M.new_customers, c)], who, grain=self.grain)
        out = []
        for per_period in rows:
            cells = {}
            for (team_id, owner_id), values in per_period.items():
                figures = {}
                for m, v in zip(measures, values, strict=True):
                    figures[m] = Decimal(int(v or 0)) if m in ("orders", "new_customers") else (v or ZERO)
                cells[(team_id or None, owner_id or None)] = figures
            out.append(cells)
        return out

    def _from_sources(self, rows_of) -> list[dict]:
        """The same from the orders, contracts, payments and customers themselves (four queries)."""
        from ..contracts.models import SIGNED_STATUSES, Contract, Order, Payment
        from ..customers.models import Customer

        ps = self.periods
        orders = _cells(Order, Order.team_id, Order.owner_id, Order.ordered_on, ps, lambda c: [
            _summed(Order.amount, c), _counted(c),
            _summed(Order.amount - Order.cost, and_(c, Order.cost.is_not(None)))],
            rows_of, grain=self.grain)
        signed = _cells(Contract, Contract.team_id, Contract.owner_id, Contract.signed_on, ps,
                        lambda c: [_summed(Contract.amount, c)], rows_of,
                        Contract.status.in_(SIGNED_STATUSES), grain=self.grain)
        paid = _cells(Payment, Payment.team_id, Payment.owner_id, Payment.paid_on, ps,
                      lambda c: [_summed(Payment.amount, c)], rows_of, grain=self.grain)
        customers = _cells(Customer, Customer.team_id, Customer.activated_by_id, Customer.activated_at, ps,
                           lambda c: [_counted(c)], rows_of, utc=True, grain=self.grain)
        out = []
        for i in range(len(ps)):
            cells: dict = {}
            for key, (sales, count, profit) in orders[i].items():
                cells.setdefault(key, {}).update(sales=sales or ZERO, orders=Decimal(count or 0),
                                                  gross_profit=profit or ZERO)
            for source, measure in ((signed[i], "contracts"), (paid[i], "payments")):
                for key, (value,) in source.items():
                    cells.setdefault(key, {})[measure] = value or ZERO
            for key, (count,) in customers[i].items():
                cells.setdefault(key, {})["new_customers"] = Decimal(count or 0)
            out.append(cells)
        return out

    def _fetch_targets(self, teams, reps) -> list[dict]:
        return _targets_for(self.periods, self._level_periods, teams, reps, self.restricted)

    def _index(self, period: Period) -> int:
        return self.periods.index(period)

    def table(self, period: Period, group: str, ids=None) -> dict:
        """{key: {measure: MeasureStatus}} like ``status_table`` (key None for the company)."""
        if group == "company" and self.restricted:
            raise ValueError("company figures need an unrestricted cube")
        if group not in self.levels:
            raise ValueError(f"this cube was not asked for {group} figures")
        i = self._index(period)
        rolled: dict = {}
        for (team_id, owner_id), figures in self._actuals[i].items():
            key = {"company": None, "team": team_id, "rep": owner_id}[group]
            slot = rolled.setdefault(key, {})
            for measure, value in figures.items():
                slot[measure] = slot.get(measure, ZERO) + value
        targets = {key: v for (scope, key), v in self._targets[i].items() if scope == group}
        keys = [None] if group == "company" else list(ids if ids is not None else set(targets) | set(rolled))
        out = {}
        for k in keys:
            figures = rolled.get(k, {})
            weighted = (figures.get("_pipeline", ZERO) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            row = {}
            for measure in MEASURES:
                base, sprint, challenge = targets.get(k, {}).get(measure, (None, None, None))
                pipe = weighted if measure in FORECAST_MEASURES else None
                row[measure] = MeasureStatus(measure, base, sprint, challenge, figures.get(measure, ZERO), pipe,
                                             period, self.today)
            out[k] = row
        return out

    def scope(self, period: Period, scope: str, team_id: int | None = None, owner_id: int | None = None) -> dict:
        """{measure: MeasureStatus} for one company, team or rep."""
        ident = {"company": None, "team": team_id, "rep": owner_id}[scope]
        return self.table(period, scope, None if scope == "company" else [ident])[ident]
