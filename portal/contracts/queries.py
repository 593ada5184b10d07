"""Aggregate figures from contracts, payments and orders, by company, team or rep (one query each).

Plans' target status reads these; every function answers ``{key: value}`` where the key is None for
the company, a team id or a rep (owner) id, so the status page costs the same whatever the row count.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, bindparam, case, func, literal, literal_column, null, select, type_coerce, union_all

from ..core.cache import VersionedCache
from ..core.db import db
from ..core.money import ZERO
from ..core.periods import Period
from ..core.types import Money
from .models import OPEN_STATUSES, SIGNED_STATUSES, SUMMARY_CACHE, Contract, Order, Payment


def _key(model, group: str):
    if group == "team":
        return model.team_id
    if group == "rep":
        return model.owner_id
    return None


def _grouped(model, group: str, ids, columns, *where) -> dict:
    key = _key(model, group)
    cols = ([key] if key is not None else []) + list(columns)
    stmt = select(*cols).where(*where)
    if key is not None:
        if ids is not None:
            stmt = stmt.where(key.in_(list(ids) or [-1]))
        stmt = stmt.group_by(key)
    out = {}
    for row in db.session.execute(stmt):
        if key is None:
            out[None] = tuple(row)
        else:
            out[row[0]] = tuple(row[1:])
    return out


def _money(value) -> Decimal:
    return value if value is not None else ZERO


def _order_sums():
    profit = type_coerce(func.sum(case((Order.cost.is_not(None), Order.amount - Order.cost), else_=None)), Money())
    return [type_coerce(func.sum(Order.amount), Money()), func.count(Order.id), profit]


def _order_row(v) -> tuple:
    return _money(v[0]), int(v[1] or 0), _money(v[2])


def order_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: (sales amount, order count, gross profit)} for orders dated in the period.

    Gross profit counts only orders whose cost is known.
    """
    rows = _grouped(Order, group, ids, _order_sums(), Order.ordered_on >= period.start, Order.ordered_on < period.end)
    return {k: _order_row(v) for k, v in rows.items()}


def order_totals_by_period(periods, group: str, ids) -> list[dict]:
    """``order_totals`` for several periods (by team or rep) in one statement, in the order given.

    One grouped SELECT per period joined by UNION ALL, each bounded by its own period's dates (a span
    with CASE sums would read the orders between periods too: a month against the same month last year)."""
    periods = list(periods)
    key = _key(Order, group)
    parts = [select(literal(i).label("i"), key.label("k"), *_order_sums())
             .where(Order.ordered_on >= p.start, Order.ordered_on < p.end, key.in_(list(ids) or [-1]))
             .group_by(key) for i, p in enumerate(periods)]
    out: list[dict] = [{} for _ in periods]
    for i, k, *v in db.session.execute(union_all(*parts)):
        out[i][k] = _order_row(v)
    return out


def signed_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: signed-contract amount} for contracts signed in the period (drafts and terminated excluded)."""
    rows = _grouped(Contract, group, ids, [type_coerce(func.sum(Contract.amount), Money())],
                    Contract.signed_on >= period.start, Contract.signed_on < period.end,
                    Contract.status.in_(SIGNED_STATUSES))
    return {k: _money(v[0]) for k, v in rows.items()}


def payment_totals(period: Period, group: str = "company", ids=None) -> dict:
    """{key: payments collected} by payment date."""
    rows = _grouped(Payment, group, ids, [type_coerce(func.sum(Payment.amount), Money())],
                    Payment.paid_on >= period.start, Payment.paid_on < period.end)
    return {k: _money(v[0]) for k, v in rows.items()}


_SUMMARIES = VersionedCache(SUMMARY_CACHE, size=256)


def contract_summary(period: Period, today: date, team_ids=None, owner_ids=None) -> dict:
    """Counts and amounts: signed in the period, in fulfilment now, overdue now (one query).

    Three index-only scans joined by UNION ALL rather than one pass of CASE sums over every contract:
    each part reads only its own rows from a covering index (``ix_contract_signed_cover``,
    ``ix_contract_status_cover``). Those still count every contract in fulfilment of the company for the
    GM, so each worker keeps the answer per period, day and scope until a contract is written
    (models.py)."""
    key = (period.start, period.end, today, None if team_ids is None else tuple(sorted(team_ids)),
           None if owner_ids is None else tuple(sorted(owner_ids)))
    return _SUMMARIES.get(key, lambda: _summary(period, today, team_ids, owner_ids))


def _summary(period: Period, today: date, team_ids, owner_ids) -> dict:
    parts = {"signed": [Contract.signed_on >= period.start, Contract.signed_on < period.end,
                        Contract.status.in_(SIGNED_STATUSES)],
             "in_fulfilment": [Contract.status == "in_fulfilment"],
             "overdue": [Contract.status.in_(OPEN_STATUSES), Contract.end_on < today]}
    scope = []
    if team_ids is not None:
        scope.append(Contract.team_id.in_(list(team_ids) or [-1]))
    if owner_ids is not None:
        scope.append(Contract.owner_id.in_(list(owner_ids) or [-1]))
    stmt = union_all(*(select(literal(name).label("part"), func.count().label("n"),
                              type_coerce(func.sum(Contract.amount), Money()).label("total")).where(*where, *scope)
                       for name, where in parts.items()))
    rows = {part: (int(n or 0), _money(total)) for part, n, total in db.session.execute(stmt)}
    return {name: rows.get(name, (0, ZERO)) for name in parts}


def collected_by_contract(contract_ids) -> dict[int, Decimal]:
    """{contract id: payments received so far} for a page of contracts (one query)."""
    if not contract_ids:
        return {}
    rows = db.session.execute(select(Payment.contract_id, type_coerce(func.sum(Payment.amount), Money()))
                              .where(Payment.contract_id.in_(list(contract_ids))).group_by(Payment.contract_id))
    return {cid: _money(total) for cid, total in rows}


def contracts_signed_in(period: Period, *, owner_id: int | None = None, team_id: int | None = None,
                        limit: int = 50) -> list[Contract]:
    """The contracts behind a signed-contract figure: signed in the period, largest first."""
    from sqlalchemy.orm import joinedload

    stmt = select(Contract).options(joinedload(Contract.customer)).where(
        Contract.signed_on >= period.start, Contract.signed_on < period.end, Contract.status.in_(SIGNED_STATUSES))
    if owner_id is not None:
        stmt = stmt.where(Contract.owner_id == owner_id)
    if team_id is not None:
        stmt = stmt.where(Contract.team_id == team_id)
    return list(db.session.scalars(stmt.order_by(Contract.amount.desc(), Contract.id).limit(limit)))


def orders_in(period: Period, *, owner_id: int | None = None, team_id: int | None = None,
              limit: int = 50) -> list[Order]:
    """The latest orders behind a sales figure."""
    from sqlalchemy.orm import joinedload

    stmt = select(Order).options(joinedload(Order.customer)).where(
        Order.ordered_on >= period.start, Order.ordered_on < period.end)
    if owner_id is not None:
        stmt = stmt.where(Order.owner_id == owner_id)
    if team_id is not None:
        stmt = stmt.where(Order.team_id == team_id)
    return list(db.session.scalars(stmt.order_by(Order.ordered_on.desc(), Order.id.desc()).limit(limit)))


# Collections (回款计划) ------------------------------------------------------------------------------

def _instalment_sums(period: Period, today: date):
    """planned and collected for instalments due in the period; overdue = outstanding past due today."""
    from .models import Instalment

    in_period = and_(Instalment.due_on >= period.start, Instalment.due_on < period.end)
    overdue = and_(Instalment.due_on < today, Instalment.collected < Instalment.amount)
    cols = [type_coerce(func.sum(case((in_period, Instalment.amount), else_=None)), Money()),
            type_coerce(func.sum(case((in_period, Instalment.collected), else_=None)), Money()),
            type_coerce(func.sum(case((overdue, Instalment.amount - Instalment.collected), else_=None)), Money()),
            func.sum(case((overdue, 1), else_=0))]
    where = [Instalment.void.is_(False), Contract.status.in_(SIGNED_STATUSES), (in_period | overdue)]
    return cols, where


def collection_by(period: Period, today: date, group: str, team_ids=None) -> dict:
    """{team id, rep id or (team id, rep id) by ``group`` "team", "rep" or "team_rep":
    {"planned", "collected", "overdue", "overdue_count"}} (one query).

    Only instalments of signed, in-fulfilment or fulfilled contracts count; void ones never do."""
    from .models import Instalment

    keys = {"team": [Instalment.team_id], "rep": [Instalment.owner_id],
            "team_rep": [Instalment.team_id, Instalment.owner_id]}[group]
    cols, where = _instalment_sums(period, today)
    stmt = select(*keys, *cols).join(Contract, Instalment.contract_id == Contract.id).where(*where).group_by(*keys)
    if team_ids is not None:
        stmt = stmt.where(Instalment.team_id.in_(list(team_ids) or [-1]))
    n = len(keys)
    return {(row[0] if n == 1 else tuple(row[:n])): {
        "planned": _money(row[n]), "collected": _money(row[n + 1]), "overdue": _money(row[n + 2]),
        "overdue_count": int(row[n + 3] or 0)} for row in db.session.execute(stmt)}


def collection_by_period(period: Period, team_ids=None) -> list[tuple[Period, Decimal, Decimal]]:
    """Planned vs collected for each month of the period (a month or week: itself), in one query."""
    from .models import Instalment

    parts = period.children("month") if period.kind in ("quarter", "year") else [period]
    cols = []
    for p in parts:
        cond = and_(Instalment.due_on >= p.start, Instalment.due_on < p.end)
        cols += [type_coerce(func.sum(case((cond, Instalment.amount), else_=None)), Money()),
                 type_coerce(func.sum(case((cond, Instalment.collected), else_=None)), Money())]
    stmt = select(*cols).join(Contract, Instalment.contract_id == Contract.id).where(
        Instalment.void.is_(False), Contract.status.in_(SIGNED_STATUSES),
        Instalment.due_on >= period.start, Instalment.due_on < period.end)
    if team_ids is not None:
        stmt = stmt.where(Instalment.team_id.in_(list(team_ids) or [-1]))
    row = db.session.execute(stmt).one()
    return [(p, _money(row[2 * n]), _money(row[2 * n + 1])) for n, p in enumerate(parts)]


@cache
def _paid_and_awaiting_stmt():
    """Built once: a statement reused with new ids skips building and the walk for its cache key, which
    cost the list page more than running it."""
    from ..approvals.models import ApprovalRequest

    ids = bindparam("ids", expanding=True)
    paid = select(Payment.contract_id, type_coerce(func.sum(Payment.amount), Money()), literal_column("0")) \
        .where(Payment.contract_id.in_(ids)).group_by(Payment.contract_id)
    awaiting = select(ApprovalRequest.record_id, null(), literal_column("1")).where(
        ApprovalRequest.record_type == "contract", ApprovalRequest.status == "pending",
        ApprovalRequest.record_id.in_(ids))
    return union_all(paid, awaiting)


def paid_and_awaiting(contract_ids) -> tuple[dict[int, Decimal], set[int]]:
    """For a page of contracts: {contract id: payments received so far} (every id, ZERO when none) and the
    ids of those waiting for approval, in one query: the two lookups joined by UNION ALL, each row tagged
    with the one it answers (a statement per lookup cost the list page more than its rows)."""
    ids = list(contract_ids)
    if not ids:
        return {}, set()
    collected, pending = dict.fromkeys(ids, ZERO), set()
    for contract_id, total, is_approval in db.session.execute(_paid_and_awaiting_stmt(), {"ids": ids}):
        if is_approval:
            pending.add(contract_id)
        else:
            collected[contract_id] = _money(total)
    return collected, pending
