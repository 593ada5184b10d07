"""Demo customer log: for every demo rep, customers in each state, two months of visits and calls,
opportunities in every stage, answered and unanswered requests, lost customers, market information.
Deterministic (random.Random(42)); dates relative to today."""
from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from ..core.db import db
from ..core.periods import add_working_hours, company_tz, local_today
from ..demo import register_seeder
from .models import (
    Activity,
    Contact,
    Customer,
    CustomerEvent,
    LostReason,
    MarketInfo,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
)
from .services import ensure_default_lists, service_window_hours

CITIES = ["杭州", "宁波", "苏州", "无锡", "南京", "上海", "嘉兴", "绍兴", "常州", "温州", "北京", "天津", "石家庄",
          "保定", "唐山", "廊坊", "沧州", "济南", "青岛", "合肥"]
CORES = ["精密", "华创", "恒信", "联众", "东方", "鼎盛", "宏达", "瑞丰", "金桥", "新航", "博远", "嘉禾", "启明",
         "天成", "中科", "汇通", "永安", "远大", "正泰", "海昌"]
TRADES = [("机械有限公司", "机械制造"), ("电子科技有限公司", "电子"),
          ("自动化设备有限公司", "自动化"),
          ("医疗器械有限公司", "医疗器械"), ("汽车零部件有限公司", "汽车零部件"), ("新材料股份有限公司", "新材料"),
          ("包装制品有限公司", "包装"), ("食品有限公司", "食品"),
          ("贸易有限公司", "贸易"), ("环保科技有限公司", "环保")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚"]
TITLES = ["采购经理", "总经理", "技术总监", "设备部主管", "采购专员", "生产厂长", "财务经理"]
VISIT_NOTES = ["拜访采购经理，介绍新款产品线，对方对交期比较关注。", "现场查看产线，了解设备更新计划。",
               "商务洽谈，讨论年度框架协议的价格条款。", "陪同技术工程师上门解决安装调试问题。"]
CALL_NOTES = ["电话跟进报价反馈，客户表示需要内部评审。", "确认样品收货情况，约下周上门拜访。",
              "回访使用情况，客户反映整体满意。", "电话沟通付款进度。"]
NEXT_STEPS = ["发送正式报价单", "安排技术交流", "寄送样品", "约见总经理", "跟进合同评审"]
REQUESTS = [("samples", "需要三套样品用于产线测试"), ("quotation", "请提供年度采购量 500 台的阶梯报价"),
            ("support", "设备调试出现报警，需要远程技术支持"), ("visit", "希望我方技术人员上门讲解新品")]
MARKET = [("trend", "华东地区制造业设备更新需求回升", "多家客户反映今年下半年有设备更新预算，重点在自动化改造。"),
          ("competitor", "竞争对手推出低价入门型号", "某竞品本月起入门型号降价约 8%，部分价格敏感客户在观望。"),
          ("feedback", "客户希望缩短交货周期", "三家老客户提出交期希望从 6 周缩短到 4 周。"),
          ("complaint", "包装破损投诉", "一批货物运输途中包装破损，客户要求改进包装。")]


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=company_tz()).astimezone(UTC)


def _log_one(rnd, rep, c, day, today, trade_show: bool = False) -> None:
    """One log entry on a working day; about four in ten set a follow-up, the older ones done."""
    kind = "trade_show" if trade_show else rnd.choice(["visit", "visit", "call", "call", "call", "meeting", "email"])
    when = _at(day, rnd.randint(9, 17), rnd.choice([0, 15, 30, 45]))
    follow = day + timedelta(days=rnd.randint(1, 10)) if rnd.random() < 0.4 else None
    db.session.add(Activity(
        kind=kind, customer_id=c.id, owner_id=rep.id, team_id=rep.team_id, occurred_at=when,
        summary=rnd.choice(CALL_NOTES if kind == "call" else VISIT_NOTES),
        outcome="客户认可方案，进入内部评审。" if rnd.random() < 0.5 else None,
        next_step=rnd.choice(NEXT_STEPS) if follow else None, follow_up_on=follow,
        follow_up_done=bool(follow and follow < today - timedelta(days=3)),
        duration_minutes=rnd.randint(3, 30) if kind == "call" else None,
        direction=rnd.choice(["outgoing", "incoming"]) if kind == "call" else None))
    if c.last_contact_at is None or c.last_contact_at < when:
        c.last_contact_at = when


@register_seeder(order=20)
def seed_customers(ctx) -> None:
    rnd = random.Random(42)  # noqa: S311 - demo data, not security
    ensure_default_lists()
    today = local_today()
    stages = list(db.session.query(OpportunityStage).filter(OpportunityStage.team_id.is_(None))
                  .order_by(OpportunityStage.position))
    reasons = list(db.session.query(LostReason).filter(LostReason.team_id.is_(None)).order_by(LostReason.position))
    window = service_window_hours()
    used = set()
    customers_by_rep = {}

    def company_name():
        while True:
            trade, industry = rnd.choice(TRADES)
            name = f"{rnd.choice(CITIES)}{rnd.choice(CORES)}{trade}"
            if name not in used:
                used.add(name)
                return name, industry

    for rep in ctx.get("reps", []):
        mine = []
        for i in range(10):
            name, industry = company_name()
            status = "active" if i < 5 else ("prospect" if i < 8 else "lost")
            created = today - timedelta(days=rnd.randint(70, 400) if status != "prospect" else rnd.randint(5, 60))
            c = Customer(name=name, kind="partner" if i == 9 else ("distributor" if i == 4 else "customer"),
                         industry=industry, region=name[:2], tier=rnd.choice("ABC"),
                         source=rnd.choice(["referral", "trade_show", "cold_call", "web"]),
                         phone=f"0571-{rnd.randint(80000000, 89999999)}", status=status, owner_id=rep.id,
                         team_id=rep.team_id, created_by_id=rep.id, created_at=_at(created, 10),
                         annual_value=Decimal(rnd.randint(5, 300) * 10000))
            if status in ("active", "lost"):
                c.activated_at, c.activated_by_id = _at(created + timedelta(days=rnd.randint(10, 40)), 15), rep.id
            if status == "lost":
                c.lost_at, c.lost_by_id = _at(today - timedelta(days=rnd.randint(3, 50)), 16), rep.id
                c.lost_reason_id = rnd.choice(reasons).id
                c.lost_note = "客户转向本地供应商，价格差距约 10%。"
            db.session.add(c)
            mine.append(c)
        db.session.flush()
        for c in mine:
            for k in range(rnd.randint(1, 3)):
                db.session.add(Contact(customer_id=c.id, name=rnd.choice(SURNAMES) + rnd.choice(GIVEN)
                                       + (rnd.choice(GIVEN) if k else ""), title=rnd.choice(TITLES),
                                       phone=f"13{rnd.randint(100000000, 999999999)}",
                                       wechat=f"wx_{rnd.randint(1000, 9999)}"))
            db.session.add(CustomerEvent(customer_id=c.id, team_id=c.team_id, kind="created", actor_id=rep.id,
                                         occurred_at=c.created_at))
            if c.activated_at:
                db.session.add(CustomerEvent(customer_id=c.id, team_id=c.team_id, kind="activated", actor_id=rep.id,
                                             occurred_at=c.activated_at))
            if c.lost_at:
                db.session.add(CustomerEvent(customer_id=c.id, team_id=c.team_id, kind="lost", actor_id=rep.id,
                                             occurred_at=c.lost_at, note=c.lost_note))
        customers_by_rep[rep.id] = mine
        live = [c for c in mine if c.status != "lost"]
        # Two months of visits and calls, a few with follow-ups (some due today or overdue).
        for days_ago in range(60, 0, -1):  # up to yesterday: nothing logged in the future
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5:
                continue
            for _entry in range(rnd.randint(0, 3)):
                _log_one(rnd, rep, rnd.choice(live), day, today, trade_show=days_ago % 17 == 0)
        # Opportunities in every stage, plus one won and one lost.
        for n, stage in enumerate(stages):
            c = live[n % len(live)]
            project = rnd.choice(["产线改造", "年度采购", "设备更新", "新品试用"])
            db.session.add(Opportunity(title=f"{c.name[:6]} {project}项目",
                                       customer_id=c.id, owner_id=rep.id, team_id=rep.team_id, stage_id=stage.id,
                                       amount=Decimal(rnd.randint(5, 200) * 10000), probability=stage.probability,
                                       expected_close=today + timedelta(days=rnd.randint(5, 120)), status="open",
                                       created_at=_at(today - timedelta(days=rnd.randint(5, 60)), 11)))
        for won in (True, False):
            c = live[rnd.randrange(len(live))]
            db.session.add(Opportunity(title=f"{c.name[:6]} 备件采购", customer_id=c.id, owner_id=rep.id,
                                       team_id=rep.team_id, stage_id=stages[-1].id,
                                       amount=Decimal(rnd.randint(2, 50) * 10000), probability=100 if won else 0,
                                       status="won" if won else "lost", closed_at=_at(today - timedelta(days=10), 16),
                                       lost_reason_id=None if won else rnd.choice(reasons).id,
                                       created_at=_at(today - timedelta(days=50), 10)))
        # Requests: answered on time, answered late, and open ones.
        for n, (kind, text) in enumerate(REQUESTS):
            c = live[(n + 2) % len(live)]
            asked = _at(today - timedelta(days=rnd.randint(1, 30)), rnd.randint(9, 16))
            due = add_working_hours(asked, window)
            answered = None
            if n == 0:
                answered = asked + timedelta(hours=3)
            elif n == 1:
                answered = due + timedelta(hours=20)
            elif n == 2 and rnd.random() < 0.5:
                answered = asked + timedelta(hours=6)
            db.session.add(ResourceRequest(customer_id=c.id, kind=kind, description=text, asked_at=asked, due_at=due,
                                           assignee_id=rep.id, team_id=rep.team_id, created_by_id=rep.id,
                                           answered_at=answered, answer="已安排并回复客户。" if answered else None))
        kind, title, body = MARKET[rnd.randrange(len(MARKET))]
        db.session.add(MarketInfo(kind=kind, title=title, body=body, customer_id=live[0].id, owner_id=rep.id,
                                  team_id=rep.team_id, created_at=_at(today - timedelta(days=rnd.randint(1, 40)), 14)))
    # A few customers in each team's public pool.
    for team in ctx.get("teams", {}).values():
        for _n in range(3):
            name, industry = company_name()
            db.session.add(Customer(name=name, industry=industry, region=name[:2], status="prospect", team_id=team.id,
                                    owner_id=None, source="web", created_at=_at(today - timedelta(days=20), 9)))
    db.session.flush()
    ctx["customers"] = customers_by_rep


# The public pool ----------------------------------------------------------------------------------

POOL_CORES = ["广源", "盛世", "万通", "星辰", "弘毅", "佳禾", "凯达", "信诚", "和泰", "润发", "长青", "同舟"]
POOL_RULES = {"A": (15, 10, 30, 90), "B": (25, 15, 45, 120), "C": (40, 20, 60, 180)}


@register_seeder(order=21)
def seed_pool(ctx) -> None:
    """Pool rules for every team; per team customers a rule returns to the pool now and customers
    whose owner is about to be reminded; customers already recycled; a waiting keep-request; an
    opportunity whose discount waits for approval."""
    from ..approvals import services as approvals
    from ..core import settings
    from ..core.links import path_for
    from . import pool
    from .models import KeepRequest, PoolRule
    from .services import DISCOUNT_KEY

    rnd = random.Random(7)  # noqa: S311 - demo data, not security
    today = local_today()
    reps_by_team: dict[int, list] = {}
    for rep in ctx.get("reps", []):
        reps_by_team.setdefault(rep.team_id, []).append(rep)
    n = 0
    for team in ctx.get("teams", {}).values():
        for tier, (capacity, follow, opp, deal) in POOL_RULES.items():
            db.session.add(PoolRule(team_id=team.id, tier=tier, capacity=capacity, no_follow_up_days=follow,
                                    no_opportunity_days=opp, no_deal_days=deal))
        for key, value in ((pool.DAILY_KEY, 5), (pool.RECLAIM_KEY, 30), (pool.REMIND_KEY, 3),
                           (pool.KEEP_MAX_KEY, 60), (DISCOUNT_KEY, "10")):
            settings.put(key, value, team_id=team.id)
        reps = reps_by_team.get(team.id, [])
        if not reps:
            continue
        for k in range(6):
            rep = reps[k % len(reps)]
            n += 1
            city = CITIES[(n * 7) % len(CITIES)]
            trade, industry = TRADES[(n * 3) % len(TRADES)]
            name = f"{city}{POOL_CORES[n % len(POOL_CORES)]}{trade}"
            if k < 2:  # due now: no follow-up for 14 working days (tier A: 10)
                last = pool.count_back(today, 14) - timedelta(days=1)
            elif k < 4:  # due in two working days: the owner is reminded
                last = today
                while pool.due_date(last, 10) > pool.due_date(today, 2):
                    last -= timedelta(days=1)
            else:  # already back in the pool, recycled from this rep
                last = today - timedelta(days=40)
            created = today - timedelta(days=120 + rnd.randint(0, 60))
            c = Customer(name=name, industry=industry, region=city, tier="A", status="prospect", team_id=team.id,
                         owner_id=rep.id if k < 4 else None, created_by_id=rep.id, created_at=_at(created, 10),
                         owned_since=_at(last if k < 4 else created, 9), last_contact_at=_at(last, 15),
                         source="cold_call",
                         phone=f"0571-{rnd.randint(80000000, 89999999)}")
            if k >= 4:
                c.previous_owner_id, c.pool_entered_at = rep.id, _at(today - timedelta(days=k), 3)
            db.session.add(c)
            db.session.flush()
            db.session.add(CustomerEvent(customer_id=c.id, team_id=team.id, kind="created", actor_id=rep.id,
                                         occurred_at=c.created_at))
            if k >= 4:
                db.session.add(CustomerEvent(customer_id=c.id, team_id=team.id, kind="recycled",
                                             occurred_at=c.pool_entered_at))
            if k == 3:  # the owner asked to keep one of the customers about to return
                db.session.add(KeepRequest(customer_id=c.id, team_id=team.id, requester_id=rep.id,
                                           reason="客户下月有设备更新招标，正在准备技术方案，请保留。",
                                           until=today + timedelta(days=30), status="pending"))
                db.session.add(CustomerEvent(customer_id=c.id, team_id=team.id, kind="keep_asked", actor_id=rep.id,
                                             note="客户下月有设备更新招标，正在准备技术方案，请保留。"))
    # One opportunity with a 15 % discount waiting for the director's approval.
    rep = next(iter(ctx.get("reps", [])), None)
    if rep is not None:
        opp = db.session.query(Opportunity).filter_by(owner_id=rep.id, status="open").order_by(Opportunity.id).first()
        if opp is not None:
            opp.discount = Decimal("15.00")
            db.session.flush()
            approvals.submit(rep, "discount", "opportunity", opp.id, opp.team_id, opp.amount,
                             f"折扣 15.00% · {opp.title}", path_for("customers.opportunity", opportunity_id=opp.id))
    db.session.flush()
