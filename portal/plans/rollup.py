"""The monthly sales rollup (``SalesMonth``): kept current on every write, rebuilt on demand.

Target status for the company or a team over a quarter or a year would otherwise sum hundreds of
thousands of orders per page view. Every flush that adds, changes or deletes an order, contract,
payment or a customer's activation rewrites the (month, team, rep) cells it touched from the source
rows, in the same transaction, so the rollup can never disagree with what it sums; the team totals of those months
(``SalesMonthTeam``) are then summed again from the cells. Core statements
that bypass the ORM must call ``refresh_cells`` themselves (none touches these columns today).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, delete, event, func, insert, or_, select, type_coerce
from sqlalchemy.orm import Session, attributes

from ..core.cache import bump_all
from ..core.money import ZERO
from ..core.periods import Period, to_local
from ..core.types import Money
from .models import SalesMonth, SalesMonthTeam

# The columns of each source that decide which cell a row counts in, or what it adds there.
_WATCHED = {
    "Order": ("ordered_on", "team_id", "owner_id", "amount", "cost"),
    "Contract": ("signed_on", "status", "team_id", "owner_id", "amount"),
    "Payment": ("paid_on", "team_id", "owner_id", "amount"),
    "Customer": ("activated_at", "team_id", "activated_by_id"),
}

# The date, team and rep that place a row in its (month, team, rep) cell.
_CELL_COLUMNS = {
    "Order": ("ordered_on", "team_id", "owner_id"),
    "Contract": ("signed_on", "team_id", "owner_id"),
    "Payment": ("paid_on", "team_id", "owner_id"),
    "Customer": ("activated_at", "team_id", "activated_by_id"),
}


def month_of(day) -> date | None:
    if day is None:
        return None
    if hasattr(day, "tzinfo"):  # a timestamp (activation): the local calendar decides the month
        day = to_local(day).date()
    return day.replace(day=1)


def _cell(kind: str, values: dict):
    day, team_id, owner_id = (values[c] for c in _CELL_COLUMNS[kind])
    month = month_of(day)
    return None if month is None else (month, team_id or 0, owner_id or 0)


def _touched(obj, kind: str) -> bool:
    return any(attributes.get_history(obj, c).has_changes() for c in _WATCHED[kind])


def _kind(obj) -> str | None:
    from ..contracts.models import Contract, Order, Payment
    from ..customers.models import Customer

    for cls in (Order, Contract, Payment, Customer):
        if isinstance(obj, cls):
            return cls.__name__
    return None



def _cell_from_row(kind: str, row) -> tuple | None:
    return _cell(kind, dict(zip(_CELL_COLUMNS[kind], row, strict=True)))


@event.listens_for(Session, "before_flush")
def _note_old_cells(session, _ctx, _instances):
    """The cells rows counted in before this flush, read from the database while it still holds them:
    an attribute set on an expired object has no old value in its history, and a deleted contract
    takes its payments with it (ON DELETE CASCADE)."""
    from ..contracts.models import Contract, Payment

    by_kind: dict[str, list] = {}
    for obj in list(session.dirty) + list(session.deleted):
        kind = _kind(obj)
        if kind is not None and obj.id is not None and (obj in session.deleted or _touched(obj, kind)):
            by_kind.setdefault(kind, []).append(obj)
    cells = session.info.setdefault("rollup_cells", set())
    for kind, objs in by_kind.items():
        model = type(objs[0])
        cols = [getattr(model, c) for c in _CELL_COLUMNS[kind]]
        for row in session.execute(select(*cols).where(model.id.in_([o.id for o in objs]))):
            cells.add(_cell_from_row(kind, row))
    gone = [o.id for o in session.deleted if isinstance(o, Contract) and o.id is not None]
    if gone:
        for row in session.execute(select(Payment.paid_on, Payment.team_id, Payment.owner_id)
                                   .where(Payment.contract_id.in_(gone))):
            cells.add(_cell_from_row("Payment", row))
    cells.discard(None)


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session, _ctx):
    """Rewrite every cell a flushed row counted in before or counts in now."""
    cells = session.info.pop("rollup_cells", set())
    for state, objs in (("new", session.new), ("dirty", session.dirty)):
        for obj in objs:
            kind = _kind(obj)
            if kind is None or (state == "dirty" and not _touched(obj, kind)):
                continue
            cells.add(_cell(kind, {c: getattr(obj, c) for c in _CELL_COLUMNS[kind]}))
    cells.discard(None)
    if cells:
        refresh_cells(session, cells)


def _sources(month: date, team_id: int, owner_id: int) -> list:
    """Scalar subqueries giving one cell's six figures from the source rows."""
    from ..contracts.models import SIGNED_STATUSES, Contract, Order, Payment
    from ..customers.models import Customer

    period = Period.containing("month", month)

    def who(model, owner_col):
        team = model.team_id == team_id if team_id else model.team_id.is_(None)
        owner = owner_col == owner_id if owner_id else owner_col.is_(None)
        return and_(team, owner)

    def within(col):
        return and_(col >= period.start, col < period.end)

    start, end = period.bounds_utc()
    order_rows = and_(who(Order, Order.owner_id), within(Order.ordered_on))
    return [
        select(func.coalesce(func.sum(Order.amount), 0)).where(order_rows).scalar_subquery(),
        select(func.count(Order.id)).where(order_rows).scalar_subquery(),
        select(func.coalesce(func.sum(Order.amount - Order.cost), 0)).where(
            order_rows, Order.cost.is_not(None)).scalar_subquery(),
        select(func.coalesce(func.sum(Contract.amount), 0)).where(
            who(Contract, Contract.owner_id), within(Contract.signed_on),
            Contract.status.in_(SIGNED_STATUSES)).scalar_subquery(),
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            who(Payment, Payment.owner_id), within(Payment.paid_on)).scalar_subquery(),
        select(func.count(Customer.id)).where(
            who(Customer, Customer.activated_by_id), Customer.activated_at >= start,
            Customer.activated_at < end).scalar_subquery(),
    ]


_FIGURES = ("sales", "orders", "gross_profit", "contracts", "payments", "new_customers")


def refresh_cells(session, cells) -> None:
    """Rewrite the given (month, team, rep) cells from the source rows (one SELECT per cell)."""
    table = SalesMonth.__table__
    rows = []
    for month, team_id, owner_id in sorted(cells):
        values = session.execute(select(*[type_coerce(c, Money()) if i in (0, 2, 3, 4) else c
                                          for i, c in enumerate(_sources(month, team_id, owner_id))])).one()
        session.execute(delete(table).where(table.c.month == month, table.c.team_id == team_id,
                                            table.c.owner_id == owner_id))
        if any(values):
            rows.append({"month": month, "team_id": team_id, "owner_id": owner_id,
                         **{k: (v if v is not None else (ZERO if k not in ("orders", "new_customers") else 0))
                            for k, v in zip(_FIGURES, values, strict=True)}})
    if rows:
        session.execute(insert(table), rows)
    refresh_team_cells(session, {(month, team_id) for month, team_id, _owner in cells})


def _team_sums(where=None):
    """SELECT month, team, the six figures summed over the team's cells (for INSERT … SELECT)."""
    m = SalesMonth.__table__.c
    stmt = select(m.month, m.team_id, *[func.sum(m[f]) for f in _FIGURES]).group_by(m.month, m.team_id)
    return stmt.where(where) if where is not None else stmt


def refresh_team_cells(session, keys) -> None:
    """Rewrite the (month, team) totals from their rep cells: one DELETE and one INSERT … SELECT."""
    if not keys:
        return
    team = SalesMonthTeam.__table__
    m = SalesMonth.__table__.c
    which = or_(*[and_(team.c.month == month, team.c.team_id == team_id) for month, team_id in keys])
    session.execute(delete(team).where(which))
    cells = or_(*[and_(m.month == month, m.team_id == team_id) for month, team_id in keys])
    session.execute(insert(team).from_select(["month", "team_id", *_FIGURES], _team_sums(cells)))


def rebuild_team_cells(session) -> None:
    """Recompute every (month, team) total from the rep cells."""
    team = SalesMonthTeam.__table__
    session.execute(delete(team))
    session.execute(insert(team).from_select(["month", "team_id", *_FIGURES], _team_sums()))


def rebuild(session) -> int:
    """Recompute the whole rollup from the source rows, then its team totals. Returns the rep cells.

    A rebuild is for rows written past the ORM (a bulk load, an UPDATE by hand): those bypassed the
    flushes that give the figures workers keep (targets, the pipeline: ``portal.core.cache``) a new
    token too, so every kept kind gets one here, in the same transaction as the new rollup."""
    n = rebuild_cells(session)
    rebuild_team_cells(session)
    bump_all(session.connection())
    return n


def rebuild_cells(session) -> int:
    """Recompute the (month, team, rep) cells from the source rows (after a bulk load or to check them)."""
    from ..contracts.models import SIGNED_STATUSES, Contract, Order, Payment
    from ..customers.models import Customer

    cells: dict = {}

    def add(month, team_id, owner_id, **figures):
        slot = cells.setdefault((month, team_id or 0, owner_id or 0), {
            "sales": ZERO, "orders": 0, "gross_profit": ZERO, "contracts": ZERO, "payments": ZERO,
            "new_customers": 0})
        for k, v in figures.items():
            slot[k] += v if v is not None else 0

    money = lambda col: type_coerce(func.sum(col), Money())  # noqa: E731 - three uses below
    for day, team_id, owner_id, sales, count, profit in session.execute(
            select(Order.ordered_on, Order.team_id, Order.owner_id, money(Order.amount), func.count(Order.id),
                   money(Order.amount - Order.cost)).group_by(Order.ordered_on, Order.team_id, Order.owner_id)):
        add(month_of(day), team_id, owner_id, sales=sales or ZERO, orders=count, gross_profit=profit or ZERO)
    for day, team_id, owner_id, amount in session.execute(
            select(Contract.signed_on, Contract.team_id, Contract.owner_id, money(Contract.amount))
            .where(Contract.signed_on.is_not(None), Contract.status.in_(SIGNED_STATUSES))
            .group_by(Contract.signed_on, Contract.team_id, Contract.owner_id)):
        add(month_of(day), team_id, owner_id, contracts=amount or ZERO)
    for day, team_id, owner_id, amount in session.execute(
            select(Payment.paid_on, Payment.team_id, Payment.owner_id, money(Payment.amount))
            .group_by(Payment.paid_on, Payment.team_id, Payment.owner_id)):
        add(month_of(day), team_id, owner_id, payments=amount or ZERO)
    for at, team_id, owner_id in session.execute(
            select(Customer.activated_at, Customer.team_id, Customer.activated_by_id)
            .where(Customer.activated_at.is_not(None))):
        add(month_of(at), team_id, owner_id, new_customers=1)
    table = SalesMonth.__table__
    session.execute(delete(table))
    rows = [{"month": m, "team_id": t, "owner_id": o, **f} for (m, t, o), f in cells.items()]
    for i in range(0, len(rows), 5000):
        session.execute(insert(table), rows[i:i + 5000])
    return len(rows)

