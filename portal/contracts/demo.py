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


def _credit_code(rng: random.Random) -> str:
    """A made-up unified social credit code with a right check character (Shanghai Pudong, a company)."""
    from .creditcode import CHARSET, check_char

    body = "91310115" + "".join(rng.choice(CHARSET) for _ in range(9))
    return body + check_char(body)


@register_seeder(order=32)
def seed_collections(ctx) -> None:
    """Collection plans on signed contracts (some instalments overdue), invoice requests in each status,
    and one draft contract waiting for approval."""
    from datetime import UTC, datetime

    from ..approvals.services import submit
    from ..core.links import path_for
    from .collections import allocate
    from .models import Instalment, InvoiceRequest

    rng = random.Random(32)
    gm = ctx["users"].get("gm")
    contracts = list(db.session.scalars(select(Contract).order_by(Contract.id)))
    for contract in contracts:
        if contract.status not in ("signed", "in_fulfilment", "fulfilled") or contract.signed_on is None:
            continue
        shares = [Decimal("0.3"), Decimal("0.4")]
        parts = [(contract.amount * s).quantize(Decimal("0.01")) for s in shares]
        parts.append(contract.amount - sum(parts))
        for n, (part, days) in enumerate(zip(parts, (30, 90, 150), strict=True), start=1):
            db.session.add(Instalment(
                contract_id=contract.id, number=n, due_on=contract.signed_on + timedelta(days=days), amount=part,
                remind_days=rng.choice((3, 7, 10)), note=("预付款", "到货款", "验收款")[n - 1], void=False,
                collected=Decimal("0.00"), owner_id=contract.owner_id, team_id=contract.team_id))
    db.session.flush()
    for contract in contracts:
        allocate(contract.id)
    # Invoice requests: one issued and one waiting on contracts in fulfilment, one rejected on fulfilled ones.
    decided = datetime.now(UTC) - timedelta(days=3)
    for contract in contracts:
        if contract.status not in ("in_fulfilment", "fulfilled"):
            continue
        code = _credit_code(rng)
        name = contract.customer.name
        if contract.status == "in_fulfilment":
            rows = [("issued", Decimal("0.3"), None), ("requested", Decimal("0.2"), None)]
        else:
            rows = [("rejected", Decimal("0.5"), "发票抬头与营业执照名称不一致，请核对后重新申请。"),
                    ("issued", Decimal("1.0"), None)]
        for status, share, reason in rows:
            req = InvoiceRequest(contract_id=contract.id, title=name, tax_number=code,
                                 amount=(contract.amount * share).quantize(Decimal("0.01")), status=status,
                                 owner_id=contract.owner_id, team_id=contract.team_id,
                                 requested_by_id=contract.owner_id, reject_reason=reason)
            if status != "requested" and gm is not None:
                req.decided_by_id, req.decided_at = gm.id, decided
                req.invoice_number = f"{rng.randrange(10**7, 10**8)}" if status == "issued" else None
            db.session.add(req)
    # One draft waits for its director's approval.
    draft = next((c for c in contracts if c.status == "draft"), None)
    if draft is not None:
        owner = draft.owner
        submit(owner, "contract", "contract", draft.id, draft.team_id, draft.amount,
               f"{draft.number} · {draft.title} · {draft.customer.name}",
               path_for("contracts.detail", contract_id=draft.id))
    db.session.flush()
