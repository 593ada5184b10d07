"""Read side of plans: target status (target vs actual, tier, gap, run rate, forecast), warnings,
budget vs actual, and the per-rep figures the appraisal feature reads.

Every figure comes from an aggregate query (GROUP BY), so a status page runs the same handful of
queries whether the company has a hundred orders or a hundred thousand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, or_, select, type_coerce
from sqlalchemy.orm import joinedload

from ..core.db import db
from ..core.money import ZERO, percent
from ..core.periods import Period, local_today, working_days_between
from ..core.types import Money
from .models import MEASURES, MONEY_MEASURES, BudgetLine, Expense, Target

KIND_RANK = {"week": 0, "month": 1, "quarter": 2, "year": 3}
FORECAST_MEASURES = ("sales", "contracts")


@dataclass
class MeasureStatus:
    """One measure for one scope and period; the figures the status page, panels and exports show."""

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

    @property
    def completion(self) -> Decimal | None:
        return percent(self.actual, self.base) if self.base else None

    @property
    def tier(self) -> str | None:
        """The highest tier reached: challenge, sprint, base, or None."""
        if self.base is None:
            return None
        for name in ("challenge", "sprint", "base"):
            value = getattr(self, name)
            if value is not None and self.actual >= value:
                return name
        return None

    @property
    def gap(self) -> Decimal | None:
        if self.base is None:
            return None
        return max(self.base - self.actual, ZERO)

    @property
    def working_days_left(self) -> int:
        start = max(self.today, self.period.start)
        return working_days_between(start, self.period.end) if start < self.period.end else 0

    @property
    def run_rate(self) -> Decimal | None:
        """What must be done per remaining working day to reach the base target."""
        if self.gap is None or self.working_days_left == 0:
            return None
        places = Decimal("0.01") if self.is_money else Decimal("0.1")
        return (self.gap / self.working_days_left).quantize(places, rounding=ROUND_HALF_UP)

    @property
    def forecast(self) -> Decimal | None:
        """Actual plus the probability-weighted open pipeline expected to close in the period."""
        if self.pipeline is None:
            return None
        return self.actual + self.pipeline

    @property
    def expected_pct(self) -> Decimal:
        """How far through the period we are, in per cent: where completion should be by now."""
        return (Decimal(str(self.period.elapsed_fraction(self.today))) * 100).quantize(Decimal("0.1"))

    @property
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

def _target_key(group: str):
    return {"team": Target.team_id, "rep": Target.owner_id}.get(group)


def target_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: {measure: (base, sprint, challenge)}} for a period.

    A target set for the period itself wins; otherwise the sum of the largest smaller periods inside it
    (the quarters of a year, or its months) stands in.
    """
    key = _target_key(group)
    cols = [Target.period_kind, Target.measure, type_coerce(func.sum(Target.base), Money()),
            type_coerce(func.sum(Target.sprint), Money()), type_coerce(func.sum(Target.challenge), Money())]
    stmt = select(*(([key] if key is not None else []) + cols)).where(
        Target.scope == group, Target.period_start >= period.start, Target.period_end <= period.end)
    if key is not None:
        if ids is not None:
            stmt = stmt.where(key.in_(list(ids) or [-1]))
        stmt = stmt.group_by(key, Target.period_kind, Target.measure)
    else:
        stmt = stmt.group_by(Target.period_kind, Target.measure)
    best: dict = {}
    for row in db.session.execute(stmt):
        k, rest = (row[0], row[1:]) if key is not None else (None, row)
        kind, measure, base, sprint, challenge = rest
        rank = KIND_RANK.get(kind, -1)
        if rank > KIND_RANK[period.kind]:
            continue
        slot = best.setdefault(k, {})
        if measure not in slot or rank > slot[measure][0]:
            slot[measure] = (rank, (base, sprint, challenge))
    return {k: {m: v[1] for m, v in slots.items()} for k, slots in best.items()}


# Actuals -------------------------------------------------------------------------------------

def new_customer_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: customers that became active in the period}; a rep is credited with those they activated."""
    from ..customers.models import Customer

    key = {"team": Customer.team_id, "rep": Customer.activated_by_id}.get(group)
    start, end = period.bounds_utc()
    stmt = select(*(([key] if key is not None else []) + [func.count(Customer.id)])).where(
        Customer.activated_at >= start, Customer.activated_at < end)
    if key is not None:
        if ids is not None:
            stmt = stmt.where(key.in_(list(ids) or [-1]))
        stmt = stmt.group_by(key)
        return {row[0]: int(row[1]) for row in db.session.execute(stmt)}
    return {None: int(db.session.scalar(stmt) or 0)}


def pipeline_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: Σ amount × probability / 100} of open opportunities expected to close in the period."""
    from ..customers.models import Opportunity

    key = {"team": Opportunity.team_id, "rep": Opportunity.owner_id}.get(group)
    weighted = type_coerce(func.sum(Opportunity.amount * Opportunity.probability), Money())
    stmt = select(*(([key] if key is not None else []) + [weighted])).where(
        Opportunity.status == "open", Opportunity.expected_close >= period.start,
        Opportunity.expected_close < period.end)
    if key is not None:
        if ids is not None:
            stmt = stmt.where(key.in_(list(ids) or [-1]))
        stmt = stmt.group_by(key)
        rows = {row[0]: row[1] for row in db.session.execute(stmt)}
    else:
        rows = {None: db.session.scalar(stmt)}
    return {k: ((v or ZERO) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for k, v in rows.items()}


def actual_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: {measure: actual}} for every measure."""
    from ..contracts import queries as cq

    orders = cq.order_totals(period, group, ids)
    signed = cq.signed_totals(period, group, ids)
    paid = cq.payment_totals(period, group, ids)
    customers = new_customer_totals(period, group, ids)
    keys = set(orders) | set(signed) | set(paid) | set(customers)
    out = {}
    for k in keys:
        sales, count, profit = orders.get(k, (ZERO, 0, ZERO))
        out[k] = {"sales": sales, "orders": Decimal(count), "gross_profit": profit,
                  "contracts": signed.get(k, ZERO), "payments": paid.get(k, ZERO),
                  "new_customers": Decimal(customers.get(k, 0))}
    return out


def status_table(period: Period, group: str = "company", ids=None, today: date | None = None) -> dict:
    """{key: {measure: MeasureStatus}} for the company, each team or each rep (six aggregate queries)."""
    today = today or local_today()
    targets = target_totals(period, group, ids)
    actuals = actual_totals(period, group, ids)
    pipeline = pipeline_totals(period, group, ids)
    keys = [None] if group == "company" else list(ids if ids is not None else set(targets) | set(actuals))
    out = {}
    for k in keys:
        row = {}
        for measure in MEASURES:
            base, sprint, challenge = targets.get(k, {}).get(measure, (None, None, None))
            actual = actuals.get(k, {}).get(measure, ZERO)
            pipe = pipeline.get(k, ZERO) if measure in FORECAST_MEASURES else None
            row[measure] = MeasureStatus(measure, base, sprint, challenge, actual, pipe, period, today)
        out[k] = row
    return out


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

def _cell(value):
    from ..core.text import spreadsheet_safe

    if value is None:
        return ""
    return spreadsheet_safe(value)


def export_response(fmt: str, name: str, title: str, header: list, rows: list[list]):
    """CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX with numbers kept as numbers."""
    import csv
    import io

    from flask import Response

    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        data = ("\ufeff" + buf.getvalue()).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = title[:31] or "Sheet1"
        ws.append(header)
        for row in rows:
            ws.append([_cell(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
