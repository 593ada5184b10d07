"""The monthly sales rollup stays equal to what it sums, whatever the ORM writes, and target status
read from it equals target status summed from the source rows."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from samples_customers import customer
from sqlalchemy import select

from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db
from portal.core.periods import Period
from portal.plans import rollup
from portal.plans.models import MEASURES, SalesMonth, SalesMonthTeam
from portal.plans.queries import StatusCube


def _figures(r) -> tuple:
    return (r.sales, r.orders, r.gross_profit, r.contracts, r.payments, r.new_customers)


def table_now() -> dict:
    cells = {(r.month, r.team_id, r.owner_id): _figures(r) for r in db.session.scalars(select(SalesMonth))}
    teams = {(r.month, r.team_id): _figures(r) for r in db.session.scalars(select(SalesMonthTeam))}
    # The team totals are the sums of their cells, written with them.
    summed: dict = {}
    for (month, team_id, _owner), figures in cells.items():
        slot = summed.setdefault((month, team_id), [0] * 6)
        for i, v in enumerate(figures):
            slot[i] += v
    assert {k: tuple(v) for k, v in summed.items()} == teams
    return {"cells": cells, "teams": teams}


def assert_current():
    db.session.commit()
    kept = table_now()
    rollup.rebuild(db.session)
    db.session.flush()
    fresh = table_now()
    db.session.rollback()
    assert kept == fresh


def test_rollup_follows_every_orm_write(app, world):
    rng = random.Random(7)
    cust = customer(world.rep_a, world.team_a, "杭州卷积科技有限公司")
    other = customer(world.rep_b, world.team_b, "宁波滚动电子有限公司")
    db.session.commit()
    reps = [(world.rep_a, world.team_a, cust), (world.rep_a2, world.team_a, cust), (world.rep_b, world.team_b, other)]
    orders, contracts, payments = [], [], []
    for i in range(30):
        rep, team, c = rng.choice(reps)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        orders.append(Order(ordered_on=day, customer_id=c.id, amount=Decimal(rng.randrange(100, 90000)) / 100,
                            cost=None if i % 3 else Decimal("10.00"), owner_id=rep.id, team_id=team.id))
        if i % 3 == 0:
            contract = Contract(number=f"R-{i}", customer_id=c.id, title="t", amount=Decimal("5000.00"),
                                owner_id=rep.id, team_id=team.id, signed_on=day, status=rng.choice(
                                    ["draft", "signed", "in_fulfilment", "terminated"]))
            contracts.append(contract)
            payments.append(Payment(contract=contract, paid_on=day + timedelta(days=20), amount=Decimal("1200.50"),
                                    owner_id=rep.id, team_id=team.id))
    db.session.add_all(orders + contracts + payments)
    cust.activated_at = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Shanghai
    cust.activated_by_id = world.rep_a2.id
    assert_current()
    assert db.session.get(SalesMonth, (date(2026, 4, 1), world.team_a.id, world.rep_a2.id)).new_customers == 1

    # Edits that move rows between cells or change what they add.
    orders[0].amount = Decimal("1.23")
    orders[1].ordered_on = orders[1].ordered_on.replace(day=1) - timedelta(days=40)
    orders[2].owner_id, orders[2].team_id = world.rep_b.id, world.team_b.id
    orders[3].cost = Decimal("0.50")
    contracts[0].status = "terminated"
    contracts[1].signed_on = date(2026, 12, 1)
    contracts[2].amount = Decimal("7777.77")
    payments[0].paid_on = date(2026, 2, 3)
    cust.team_id = world.team_b.id
    assert_current()

    # Deletions, a contract taking its payments with it, and an activation taken back.
    db.session.delete(orders[4])
    db.session.delete(payments[1])
    db.session.delete(contracts[3])
    cust.activated_at = None
    assert_current()
    assert db.session.get(SalesMonth, (date(2026, 4, 1), world.team_a.id, world.rep_a2.id)) is None


def test_status_from_rollup_equals_status_from_rows(app, world):
    rng = random.Random(11)
    cust = customer(world.rep_a, world.team_a, "苏州张量机械有限公司")
    db.session.commit()
    for i in range(60):
        rep, team = rng.choice([(world.rep_a, world.team_a), (world.rep_a2, world.team_a), (world.rep_b, world.team_b)])
        day = date(2025, 10, 1) + timedelta(days=rng.randrange(420))
        db.session.add(Order(ordered_on=day, customer_id=cust.id, amount=Decimal(rng.randrange(1, 10 ** 6)) / 100,
                             cost=Decimal("1.00") if i % 2 else None, owner_id=rep.id, team_id=team.id))
        if i % 4 == 0:
            contract = Contract(number=f"Q-{i}", customer_id=cust.id, title="t", amount=Decimal("3000.00"),
                                owner_id=rep.id, team_id=team.id, signed_on=day, status="signed")
            db.session.add(contract)
            db.session.add(Payment(contract=contract, paid_on=day, amount=Decimal("999.99"), owner_id=rep.id,
                                   team_id=team.id))
    db.session.commit()
    today = date(2026, 11, 26)
    periods = [Period.containing("month", today), Period.containing("quarter", today),
               Period.containing("year", today), Period.containing("year", today).previous()]
    fast = StatusCube(periods, today=today)
    slow = StatusCube(periods, today=today)
    slow._actuals = slow._from_sources(None)
    for p in periods:
        for group, ids in (("company", None), ("team", [world.team_a.id, world.team_b.id]),
                           ("rep", [world.rep_a.id, world.rep_a2.id, world.rep_b.id])):
            a, b = fast.table(p, group, ids), slow.table(p, group, ids)
            for key in a:
                for m in MEASURES:
                    assert a[key][m].actual == b[key][m].actual, (p, group, key, m)
    assert fast.scope(periods[2], "company")["sales"].actual > 0
