"""Demo plans: an approved annual plan, targets for the company, each team and each rep (split into
quarters and months by a seasonal profile), budgets per team and category, and expenses."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from ..core import settings
from ..core.db import db
from ..core.periods import Period, local_today
from ..demo import register_seeder
from . import services
from .models import MEASURES, BudgetCategory, BudgetLine, Expense, Plan, SeasonalProfile

CATEGORIES = ["行业展会", "差旅", "业务招待", "市场推广", "样品", "培训"]
SEASONAL = ["6", "5", "8", "8", "9", "9", "8", "8", "9", "9", "10", "11"]
# Yearly budget per category for one team, in yuan.
BUDGET = {"行业展会": 180000, "差旅": 120000, "业务招待": 90000, "市场推广": 150000, "样品": 12000, "培训": 40000}
EXPENSES = {
    "行业展会": ["上海工博会展位费", "广州机床展搭建", "展会物料印刷"],
    "差旅": ["拜访客户高铁票", "出差住宿", "客户现场调研差旅"],
    "业务招待": ["客户商务午餐", "项目答谢晚宴", "来访客户接待"],
    "市场推广": ["行业媒体广告", "线上推广投放", "产品手册设计"],
    "样品": ["客户试用样品", "样品快递费"],
    "培训": ["销售技巧培训", "产品知识培训讲师费"],
}

ANALYSIS = """**市场**：制造业客户的自动化改造需求持续增长，华东、华北两区是公司的主要市场。

**竞争对手**：两家外资品牌价格高、交期长；本地厂商价格低但服务弱。

| 区域 | 重点行业 | 机会 |
|---|---|---|
| 华东区 | 汽车零部件、电子 | 新能源产线扩建 |
| 华北区 | 装备制造、医药 | 老旧设备替换 |
"""
STRATEGY = """1. 以重点客户为中心，提高老客户复购和回款率；
2. 通过行业展会和电话拜访开发新客户；
3. 大项目由总监牵头，销售专员跟进落实。"""
STEPS = """- 一季度：完成重点客户拜访计划，参加上海工博会；
- 二季度：新品推广，样品试用；
- 三季度：大客户合同续签；
- 四季度：冲刺年度目标，完成回款。"""


def _rep_targets(rng: random.Random) -> dict[str, Decimal]:
    sales = Decimal(rng.randrange(2400, 3600) * 1000)
    return {"sales": sales, "contracts": (sales * Decimal("1.1")).quantize(Decimal(1000)),
            "payments": (sales * Decimal("0.9")).quantize(Decimal(1000)),
            "new_customers": Decimal(rng.randrange(10, 20)), "orders": Decimal(rng.randrange(60, 96)),
            "gross_profit": (sales * Decimal("0.28")).quantize(Decimal(1000))}


def _tiers(base: Decimal, measure: str) -> tuple:
    if measure in ("new_customers", "orders"):
        return base, (base * Decimal("1.2")).to_integral_value(), (base * Decimal("1.5")).to_integral_value()
    return base, (base * Decimal("1.2")).quantize(Decimal("0.01")), (base * Decimal("1.5")).quantize(Decimal("0.01"))


@register_seeder(order=30)
def seed_plans(ctx) -> None:
    rng = random.Random(30)
    users, teams = ctx["users"], ctx["teams"]
    gm = users["gm"]
    today = local_today()
    year = Period.current("year")

    categories = {}
    for i, name in enumerate(CATEGORIES):
        categories[name] = BudgetCategory(name=name, position=(i + 1) * 10, active=True)
        db.session.add(categories[name])
    profile = SeasonalProfile(name="制造业季节性", weights=SEASONAL)
    db.session.add(profile)
    db.session.add(SeasonalProfile(name="平均", weights=["1"] * 12))
    db.session.flush()
    weights = [Decimal(w) for w in SEASONAL]

    # Targets: reps first, teams as the sum of their reps, the company as the sum of its teams.
    company_sum = {m: Decimal(0) for m in MEASURES}
    for team in teams.values():
        team_sum = {m: Decimal(0) for m in MEASURES}
        for rep in [u for u in ctx["reps"] if u.team_id == team.id]:
            values = _rep_targets(rng)
            services.set_targets(gm, scope="rep", period=year, team_id=team.id, owner_id=rep.id,
                                 values={m: _tiers(v, m) for m, v in values.items()})
            services.split_year(gm, scope="rep", year=year.start.year, team_id=team.id, owner_id=rep.id,
                                weights=weights)
            for m, v in values.items():
                team_sum[m] += v
        services.set_targets(gm, scope="team", period=year, team_id=team.id, owner_id=None,
                             values={m: _tiers(v, m) for m, v in team_sum.items()})
        services.split_year(gm, scope="team", year=year.start.year, team_id=team.id, owner_id=None, weights=weights)
        for m, v in team_sum.items():
            company_sum[m] += v
    services.set_targets(gm, scope="company", period=year, team_id=None, owner_id=None,
                         values={m: _tiers(v, m) for m, v in company_sum.items()})
    services.split_year(gm, scope="company", year=year.start.year, team_id=None, owner_id=None, weights=weights)

    # Plans, drafts here: they go through the approval engine once the chains exist (``seed_approvals``).
    def plan(scope, team, title, author):
        p = Plan(scope=scope, team_id=team.id if team else None, title=title, analysis=ANALYSIS,
                 strategy=STRATEGY, steps=STEPS, status="draft", created_by_id=author.id)
        p.set_period(year)
        db.session.add(p)
        return p

    ctx["demo_plans"] = {
        "company": plan("company", None, f"{year.key} 年度营销计划", gm),
        "华东区": plan("team", teams["华东区"], f"华东区 {year.key} 年度销售计划", users["zhao.director"]),
        "华北区": plan("team", teams["华北区"], f"华北区 {year.key} 年度销售计划", users["qian.director"]),
    }
    quarter = Period.current("quarter")
    q_plan = Plan(scope="team", team_id=teams["华东区"].id, title=f"华东区 {quarter.key} 季度冲刺计划",
                  strategy="聚焦新能源客户，月底前完成三个重点合同签约。", status="draft",
                  created_by_id=users["zhao.director"].id)
    q_plan.set_period(quarter)
    db.session.add(q_plan)

    # Budgets: a line per team and category for the year, the travel line of this month too.
    for team in teams.values():
        scale = Decimal("1.0") if team.name == "华东区" else Decimal("0.85")
        for name, amount in BUDGET.items():
            line = BudgetLine(team_id=team.id, category_id=categories[name].id,
                              amount=(Decimal(amount) * scale).quantize(Decimal(1000)))
            line.set_period(year)
            db.session.add(line)
        month_line = BudgetLine(team_id=team.id, category_id=categories["差旅"].id,
                                amount=(Decimal(10000) * scale).quantize(Decimal(100)), note="本月差旅控制")
        month_line.set_period(Period.current("month"))
        db.session.add(month_line)
    settings.put(services.REPS_ADD_EXPENSES, True, team_id=teams["华东区"].id)
    settings.put(services.REPS_ADD_EXPENSES, False, team_id=teams["华北区"].id)
    db.session.flush()

    # Expenses over the last six months (inside this year), samples running over budget.
    for team in teams.values():
        members = [u for u in ctx["reps"] if u.team_id == team.id]
        director = team.director
        for _i in range(36):
            name = rng.choice(CATEGORIES)
            day = today - timedelta(days=rng.randrange(0, 180))
            if day < year.start:
                day = year.start + timedelta(days=rng.randrange(0, 20))
            low, high = {"行业展会": (8000, 30000), "样品": (2000, 6000)}.get(name, (800, 6000))
            who = rng.choice(members + [director])
            amount = Decimal(rng.randrange(low, high))
            # Those above the approval threshold were approved when they were recorded.
            db.session.add(Expense(team_id=team.id, owner_id=who.id, category_id=categories[name].id, spent_on=day,
                                   amount=amount, description=rng.choice(EXPENSES[name]), created_by_id=who.id,
                                   approval_status="approved" if amount > services.DEFAULT_EXPENSE_THRESHOLD
                                   else None))
    db.session.flush()
    _flag_overspent()
    ctx["budget_categories"] = categories


def _flag_overspent() -> None:
    """Mark the expenses that took a line over its budget, as a confirmed overspend would be."""
    from sqlalchemy import select

    from .queries import lines_with_actuals

    for row in lines_with_actuals(select(BudgetLine)):
        if not row["over"]:
            continue
        line = row["line"]
        expenses = db.session.scalars(select(Expense).where(
            Expense.team_id == line.team_id, Expense.category_id == line.category_id,
            Expense.spent_on >= line.period_start, Expense.spent_on < line.period_end)
            .order_by(Expense.spent_on, Expense.id))
        running = Decimal(0)
        for expense in expenses:
            running += expense.amount
            if running > line.amount:
                expense.over_budget = True
    db.session.flush()


@register_seeder(order=95)
def seed_approvals(ctx) -> None:
    """Through the approval engine (after the chains, order 90), so the to-do lists show them: the company
    plan (approved at once: no one above the GM), 华东区's plan approved by the GM, 华北区's waiting at the
    GM step, and one 华东区 expense above the threshold waiting at the director step."""
    from ..approvals import services as approvals

    users, teams, plans = ctx["users"], ctx["teams"], ctx["demo_plans"]
    gm = users["gm"]
    services.submit_plan(gm, plans["company"])
    req = services.submit_plan(users["zhao.director"], plans["华东区"])
    approvals.decide(gm, req, "approve", "同意，请按季度跟踪落实。")
    services.submit_plan(users["qian.director"], plans["华北区"])

    east = teams["华东区"]
    rep = next(u for u in ctx["reps"] if u.team_id == east.id)
    category = ctx["budget_categories"]["业务招待"]
    services.add_expense(rep, owner_id=rep.id, category_id=category.id, spent_on=local_today() - timedelta(days=2),
                         amount=Decimal("6800.00"), description="重点客户项目答谢宴请", confirmed=True)
    db.session.flush()
