"""Demo contracts in every status with their payments, and orders over the last six months."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..core.db import db
from ..core.periods import local_today
from ..demo import register_seeder
from .models import Contract, Order, Payment

TITLES = ["自动化产线改造项目", "数控设备采购合同", "年度备件供货协议", "智能仓储系统项目", "检测设备采购",
          "技术服务年度合同", "生产线升级二期", "设备维保服务合同"]
# (status, signed days ago range, end offset days, progress)
PATTERN = [
    ("fulfilled", (120, 175), -20, 100),
    ("in_fulfilment", (60, 150), 90, 60),
    ("in_fulfilment", (100, 170), -10, 70),  # past its end date: overdue
    ("signed", (0, 25), 150, 0),
    ("signed", (20, 80), 120, 0),
    ("draft", None, 180, 0),
]


def _customers_by_rep(ctx) -> dict[int, list]:
    from ..customers.models import Customer

    customers = ctx.get("customers")
    if isinstance(customers, dict):  # the customer log's seeder gives {username or id: [customers]}
        values = list(customers.values())
        customers = [c for v in values for c in (v if isinstance(v, list | tuple) else [v])]
    if not customers:
        customers = list(db.session.scalars(select(Customer).order_by(Customer.id)))
    by_rep: dict[int, list] = {}
    by_team: dict[int, list] = {}
    for c in customers:
        if c.owner_id:
            by_rep.setdefault(c.owner_id, []).append(c)
        by_team.setdefault(c.team_id, []).append(c)
    for rep in ctx["reps"]:
        if not by_rep.get(rep.id):
            by_rep[rep.id] = by_team.get(rep.team_id, [])
    return by_rep


@register_seeder(order=31)
def seed_contracts(ctx) -> None:
    rng = random.Random(31)
    today = local_today()
    by_rep = _customers_by_rep(ctx)
    seq = 0
    for rep in ctx["reps"]:
        customers = by_rep.get(rep.id) or []
        if not customers:
            continue
        pattern = list(PATTERN)
        if rep.username in ("zhou.jie", "chen.qiang"):
            pattern.append(("terminated", (40, 120), 60, 20))
        contracts = []
        for status, ago, end_offset, progress in pattern:
            seq += 1
            customer = rng.choice(customers)
            signed = today - timedelta(days=rng.randrange(*ago)) if ago else None
            start = signed + timedelta(days=7) if signed else today + timedelta(days=14)
            amount = Decimal(rng.randrange(80, 900) * 1000)
            contract = Contract(
                number=f"HT{today.year}{seq:04d}", customer_id=customer.id, title=rng.choice(TITLES), amount=amount,
                currency="CNY", owner_id=rep.id, team_id=rep.team_id, signed_on=signed, start_on=start,
                end_on=today + timedelta(days=end_offset), status=status, progress=progress,
                created_by_id=rep.id)
            if status == "fulfilled":
                contract.fulfilled_on = today + timedelta(days=end_offset - 5)
            if status == "terminated":
                contract.terminated_reason = "客户项目预算取消，双方协商终止。"
            db.session.add(contract)
            contracts.append(contract)
        db.session.flush()
        for contract in contracts:
            if contract.status in ("draft", "signed") or contract.signed_on is None:
                continue
            share = {"fulfilled": [Decimal("0.3"), Decimal("0.6"), Decimal("0.1")],
                     "in_fulfilment": [Decimal("0.3"), Decimal("0.3")],
                     "terminated": [Decimal("0.2")]}[contract.status]
            day = contract.signed_on
            for i, part in enumerate(share):
                day = min(day + timedelta(days=rng.randrange(10, 40)), today)
                if contract.status == "in_fulfilment" and i == len(share) - 1:
                    day = max(day, today - timedelta(days=rng.randrange(0, 12)))  # collected lately
                db.session.add(Payment(contract_id=contract.id, paid_on=day, amount=(contract.amount * part)
                                       .quantize(Decimal("0.01")), owner_id=rep.id, team_id=rep.team_id,
                                       created_by_id=rep.id))
        # Orders: four to seven a month over the last six months, some under a contract.
        signed = [c for c in contracts if c.status != "draft"]
        for month_back in range(6):
            for _i in range(rng.randrange(4, 8)):
                day = today - timedelta(days=month_back * 30 + rng.randrange(0, 30))
                amount = Decimal(rng.randrange(15, 110) * 1000)
                under = rng.choice(signed) if signed and rng.random() < 0.4 else None
                db.session.add(Order(
                    number=f"DD{day:%y%m%d}{rng.randrange(100, 999)}", ordered_on=day,
                    customer_id=under.customer_id if under else rng.choice(customers).id,
                    contract_id=under.id if under else None, amount=amount,
                    cost=(amount * Decimal(rng.randrange(62, 80)) / 100).quantize(Decimal("0.01")),
                    owner_id=rep.id, team_id=rep.team_id, created_by_id=rep.id))
    db.session.flush()
