"""Generators of a company at scale, area by area, written through ``BulkWriter``.

At factor 1: 20 teams, 400 reps, 40,000 customers, 1,000,000 log entries over three years, 60,000
opportunities, 20,000 contracts, 200,000 orders, targets for every period, 30,000 expenses, 100
courses, 200,000 quiz attempts, 50,000 threads, 250,000 notifications and monthly appraisals.
Everything is drawn from ``random.Random`` seeded per area, so a seed and a day give the same rows.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from ..core.periods import Period, company_tz, is_working_day
from ..customers.models import name_key, pinyin_forms
from .bulk import BulkWriter

PASSWORD = "Scale-Portal-2026"  # noqa: S105 - the published password of the load-test company
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

PROVINCES = ["上海", "江苏", "浙江", "安徽", "北京", "天津", "河北", "山东", "广东", "福建", "湖北", "湖南", "四川",
             "重庆", "河南", "陕西", "辽宁", "吉林", "黑龙江", "云南", "广西", "江西", "山西", "贵州", "甘肃",
             "内蒙古", "新疆", "海南", "宁夏", "青海"]
CITIES = ["杭州", "宁波", "苏州", "无锡", "南京", "上海", "嘉兴", "绍兴", "常州", "温州", "北京", "天津", "石家庄",
          "保定", "唐山", "廊坊", "沧州", "济南", "青岛", "合肥", "广州", "深圳", "东莞", "佛山", "厦门", "福州",
          "武汉", "长沙", "成都", "重庆", "郑州", "西安", "沈阳", "大连", "长春", "昆明", "南宁", "南昌", "太原",
          "烟台"]
CORES = ["精密", "华创", "恒信", "联众", "东方", "鼎盛", "宏达", "瑞丰", "金桥", "新航", "博远", "嘉禾", "启明",
         "天成", "中科", "汇通", "永安", "远大", "正泰", "海昌", "广源", "盛世", "万通", "星辰", "弘毅", "佳禾",
         "凯达", "信诚", "和泰", "润发", "长青", "同舟", "华兴", "德润", "同创", "锦程", "恒通", "瑞泰", "宏图",
         "聚源", "卓越", "众诚", "安达", "昌盛", "华宇", "鑫源", "金鼎", "天合", "立信", "泰丰", "诚达", "兴业",
         "振华", "伟业", "富达", "中联", "安泰", "利民", "华美", "永盛"]
TRADES = [("机械有限公司", "机械制造"), ("电子科技有限公司", "电子"), ("自动化设备有限公司", "自动化"),
          ("医疗器械有限公司", "医疗器械"), ("汽车零部件有限公司", "汽车零部件"), ("新材料股份有限公司", "新材料"),
          ("包装制品有限公司", "包装"), ("食品有限公司", "食品"), ("贸易有限公司", "贸易"),
          ("环保科技有限公司", "环保"), ("精密制造有限公司", "机械制造"), ("电气设备有限公司", "电气"),
          ("化工有限公司", "化工"), ("纺织有限公司", "纺织"), ("物流有限公司", "物流"),
          ("仪器仪表有限公司", "仪器仪表")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静强磊军洋勇艳杰涛明超霞平刚丽华建国志红文斌波宇浩凯鹏飞鑫婷雪琳晨阳欣怡思博涵"
TITLES = ["采购经理", "总经理", "技术总监", "设备部主管", "采购专员", "生产厂长", "财务经理", "工程师"]
VISIT_NOTES = ["拜访采购经理，介绍新款产品线，对方对交期比较关注。", "现场查看产线，了解设备更新计划。",
               "商务洽谈，讨论年度框架协议的价格条款。", "陪同技术工程师上门解决安装调试问题。",
               "与技术部交流选型方案，对方希望下月安排样机测试。", "拜访总经理，沟通明年的合作规划。"]
CALL_NOTES = ["电话跟进报价反馈，客户表示需要内部评审。", "确认样品收货情况，约下周上门拜访。",
              "回访使用情况，客户反映整体满意。", "电话沟通付款进度。", "客户来电咨询新品参数和价格。"]
EMAIL_NOTES = ["发送产品资料和报价单。", "邮件确认合同条款修改意见。", "发送会议纪要和下一步安排。"]
MEETING_NOTES = ["组织技术交流会，客户技术、采购、生产三方参加。", "参加客户供应商大会，了解明年采购计划。"]
SHOW_NOTES = ["工博会展位接待，收集意向客户信息。", "行业展会上与客户负责人面谈，约定后续拜访。"]
OUTCOMES = ["客户认可方案，进入内部评审。", "需要补充技术资料。", "客户暂无采购计划，保持联系。", "约定下周再次沟通。"]
NEXT_STEPS = ["发送正式报价单", "安排技术交流", "寄送样品", "约见总经理", "跟进合同评审", "确认付款计划"]
LOST_NOTES = ["客户转向本地供应商，价格差距约 10%。", "项目预算取消。", "客户被集团收购，采购统一由总部负责。"]
PROJECTS = ["产线改造", "年度采购", "设备更新", "新品试用", "备件采购", "智能仓储", "检测设备"]
CONTRACT_TITLES = ["自动化产线改造项目", "数控设备采购合同", "年度备件供货协议", "智能仓储系统项目", "检测设备采购",
                   "技术服务年度合同", "生产线升级二期", "设备维保服务合同"]
REQUESTS = [("samples", "需要三套样品用于产线测试"), ("quotation", "请提供年度采购量 500 台的阶梯报价"),
            ("support", "设备调试出现报警，需要远程技术支持"), ("visit", "希望我方技术人员上门讲解新品"),
            ("other", "客户希望提供同行业应用案例")]
MARKET = [("trend", "制造业设备更新需求回升", "多家客户反映下半年有设备更新预算，重点在自动化改造。"),
          ("competitor", "竞争对手推出低价入门型号", "某竞品入门型号降价约 8%，部分价格敏感客户在观望。"),
          ("feedback", "客户希望缩短交货周期", "几家老客户提出交期希望从 6 周缩短到 4 周。"),
          ("complaint", "包装破损投诉", "一批货物运输途中包装破损，客户要求改进包装。")]
CATEGORIES = ["行业展会", "差旅", "业务招待", "市场推广", "样品", "培训"]
EXPENSES = {
    "行业展会": (["上海工博会展位费", "广州机床展搭建", "展会物料印刷"], 8000, 40000, 5),
    "差旅": (["拜访客户高铁票", "出差住宿", "客户现场调研差旅", "机票"], 300, 4000, 40),
    "业务招待": (["客户商务午餐", "项目答谢晚宴", "来访客户接待"], 300, 8000, 25),
    "市场推广": (["行业媒体广告", "线上推广投放", "产品手册设计"], 2000, 30000, 10),
    "样品": (["客户试用样品", "样品快递费"], 200, 6000, 12),
    "培训": (["销售技巧培训", "产品知识培训讲师费"], 1000, 12000, 8),
}
SEASONAL = [6, 5, 8, 8, 9, 9, 8, 8, 9, 9, 10, 11]
GROWTH = 1.15  # sales grow about 15 % a year
MEASURES = ("sales", "contracts", "payments", "new_customers", "orders", "gross_profit")
COUNT_MEASURES = ("new_customers", "orders")
THREAD_SUBJECTS = [("difficulty", "客户要求延长账期到 120 天"), ("resource", "项目需要技术支持到现场"),
                   ("question", "新产品的渠道价格何时公布？"), ("suggestion", "建议增加样品库存"),
                   ("difficulty", "客户付款流程卡在财务审批"), ("resource", "申请展会物料和宣传册"),
                   ("question", "大客户折扣政策如何执行？"), ("suggestion", "建议优化报价审批流程")]
REPLIES = ["收到，我先了解一下情况，今天给你答复。", "已和财务确认，可以按方案执行。", "请补充客户的采购计划。",
           "好的，我这边继续跟进，有进展再汇报。", "已安排技术支持，下周二到现场。", "谢谢，问题已经解决。"]
TASK_TITLES = ["整理重点客户拜访计划", "更新 CRM 中的联系人信息", "准备行业展会物料", "收集竞争对手价格信息",
               "客户满意度回访", "逐户跟进应收账款", "完成季度客户分级", "提交重点项目推进表"]
PLAN_ITEMS = ["拜访重点客户采购部，确认年度框架协议", "电话回访样品反馈", "整理报价单",
              "参加行业展会并收集潜在客户名单",
              "跟进合同条款", "准备项目方案演示", "回访技术对接人", "了解客户扩产计划", "整理回款计划",
              "联系新联系人", "更新客户资料和跟进记录", "与技术支持确认交付时间表"]
RESULTS = ["客户确认下月签约", "已拿到样品测试报告", "报价已发出，等待反馈", "收集名片 23 张", "合同条款基本谈妥",
           "客户要求补充资料", "约定下周再次拜访"]
PROBLEMS = ["客户决策周期拉长", "竞争对手报价低 8%", "样品到货延迟", "对方负责人出差", None, None]
NOTIFY = [("task_assigned", "新任务：{}", "comms.task_detail"),
          ("thread_reply", "主题有新回复：{}", "comms.thread_detail"),
          ("report_due", "请按时提交本周工作汇报", None), ("appraisal_opened", "本月绩效考核已开启，请填写自评", None),
          ("approval_decided", "您的费用申请已审批：{}", None), ("course_assigned", "新的培训课程：{}", None)]
PLAN_ANALYSIS = ("**市场**：制造业客户的自动化改造需求持续增长。\n\n**竞争对手**：外资品牌价格高、交期长；"
                 "本地厂商价格低但服务弱。")
PLAN_STRATEGY = "1. 以重点客户为中心，提高老客户复购和回款率；\n2. 通过行业展会和电话拜访开发新客户。"
PLAN_STEPS = "- 完成重点客户拜访计划；\n- 新品推广，样品试用；\n- 大客户合同续签；\n- 冲刺目标，完成回款。"


def q2(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def scaled(base: int, factor: float) -> int:
    """A count at this factor, never below one."""
    return max(1, int(round(base * factor)))


@dataclass
class World:
    """What the areas share: the clock, the people and the running totals targets are set from."""

    factor: float
    seed: int
    today: date
    writer: BulkWriter
    now: datetime = None  # type: ignore[assignment]
    start: date = None  # type: ignore[assignment]
    days: list[date] = field(default_factory=list)
    midnight: dict[date, datetime] = field(default_factory=dict)
    teams: list[int] = field(default_factory=list)
    director_of: dict[int, int] = field(default_factory=dict)
    team_name: dict[int, str] = field(default_factory=dict)
    reps: list[int] = field(default_factory=list)
    rep_team: dict[int, int] = field(default_factory=dict)
    rep_weight: dict[int, float] = field(default_factory=dict)
    reps_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    names: dict[int, str] = field(default_factory=dict)
    gm: int = 2
    admin: int = 1
    # customers: index = id - 1
    c_team: list[int] = field(default_factory=list)
    c_owner: list[int | None] = field(default_factory=list)
    c_day: list[date] = field(default_factory=list)
    c_end: list[date] = field(default_factory=list)
    c_status: list[str] = field(default_factory=list)
    c_name: list[str] = field(default_factory=list)
    customers_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    contracts_of: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    actual: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))
    stages: list[tuple[int, int]] = field(default_factory=list)
    reasons: list[int] = field(default_factory=list)
    template: list[tuple] = field(default_factory=list)
    template_id: int = 0
    links: dict[str, str] = field(default_factory=dict)
    thread_ids: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    task_ids: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def rng(self, area: str) -> random.Random:
        return random.Random(f"{self.seed}:{area}")  # noqa: S311 - test data, not security

    def n(self, base: int) -> int:
        return scaled(base, self.factor)

    def at(self, day: date, minutes: int) -> datetime:
        """A moment of a local day, ``minutes`` after local midnight, in UTC."""
        base = self.midnight.get(day)
        if base is None:
            base = datetime(day.year, day.month, day.day, tzinfo=company_tz()).astimezone(UTC)
            self.midnight[day] = base
        return base + timedelta(minutes=minutes)

    def write(self, table, names, rows) -> int:
        return self.writer.write(table, names, rows)


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainders)."""
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    parts = [int(x) for x in raw]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _zipf(k: int, s: float = 1.0) -> list[float]:
    return list(accumulate(1.0 / (i + 1) ** s for i in range(k)))


class DayPicker:
    """Days of the three years weighted by season, growth and working days, drawn in bulk."""

    def __init__(self, w: World):
        self.days = w.days
        weights = []
        for d in w.days:
            years = (d - w.start).days / 365.0
            weight = SEASONAL[d.month - 1] * (GROWTH ** years) * (1.0 if is_working_day(d) else 0.08)
            weights.append(weight)
        self.cum = list(accumulate(weights))
        self.index = {d: i for i, d in enumerate(w.days)}

    def draw(self, rng: random.Random, k: int, since: date | None = None) -> list[date]:
        lo = 0 if since is None else self.index.get(since, 0)
        base = self.cum[lo - 1] if lo else 0.0
        total = self.cum[-1]
        out = []
        for _i in range(k):
            x = base + rng.random() * (total - base)
            out.append(self.days[min(bisect.bisect_left(self.cum, x), len(self.days) - 1)])
        return out


# People ------------------------------------------------------------------------------------------

def seed_people(w: World, password_hash: str) -> None:
    from ..core.settings import Setting
    from ..customers import pool
    from ..customers.models import PoolRule
    from ..customers.services import DISCOUNT_KEY
    from ..people.models import Team, User
    from ..plans.services import REPS_ADD_EXPENSES

    rng = w.rng("people")
    n_teams = w.n(20)
    n_reps = max(n_teams, w.n(400))
    joined = w.start - timedelta(days=30)

    def person() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    team_rows = []
    for t in range(1, n_teams + 1):
        prov = PROVINCES[(t - 1) % len(PROVINCES)]
        suffix = "" if t <= len(PROVINCES) else str((t - 1) // len(PROVINCES) + 1)
        w.team_name[t] = f"{prov}销售{suffix}部"
        team_rows.append((t, w.team_name[t], f"{prov}及周边", None, None, w.now))
        w.teams.append(t)
    w.write(Team, ["id", "name", "region", "director_id", "parent_id", "created_at"], team_rows)

    users = [(1, "admin", "系统管理员", "admin", None), (2, "gm", person(), "gm", None)]
    uid = 2
    for t in w.teams:
        uid += 1
        users.append((uid, f"director{t:02d}", person(), "director", t))
        w.director_of[t] = uid
    for i in range(n_reps):
        uid += 1
        team = w.teams[i * n_teams // n_reps]
        users.append((uid, f"rep{i + 1:04d}", person(), "rep", team))
        w.reps.append(uid)
        w.rep_team[uid] = team
        w.reps_of[team].append(uid)
        # Some reps are much busier than others.
        w.rep_weight[uid] = rng.lognormvariate(0, 0.45)
    for u in users:
        w.names[u[0]] = u[2]
    w.write(User, ["id", "username", "display_name", "email", "phone", "role", "team_id", "password_hash",
                   "session_token", "active", "must_change_password", "money_style", "joined_on", "created_at"],
            ((u[0], u[1], u[2], f"{u[1]}@example.com", f"13{rng.randrange(10**8, 10**9)}", u[3], u[4],
              password_hash, f"{rng.getrandbits(96):024x}", True, False, "yuan", joined, w.now) for u in users))
    for t, d in w.director_of.items():
        w.writer.sql('UPDATE "team" SET director_id = ? WHERE id = ?', (d, t))

    rules = {"A": (15, 10, 30, 90), "B": (25, 15, 45, 120), "C": (40, 20, 60, 180)}
    w.write(PoolRule, ["id", "team_id", "tier", "capacity", "no_follow_up_days", "no_opportunity_days",
                       "no_deal_days", "updated_at"],
            ((k + 1, t, tier, *rules[tier], w.now) for k, (t, tier) in
             enumerate((t, tier) for t in w.teams for tier in "ABC")))
    setting_rows = []
    for t in w.teams:
        for key, value in ((pool.DAILY_KEY, 5), (pool.RECLAIM_KEY, 30), (pool.REMIND_KEY, 3),
                           (pool.KEEP_MAX_KEY, 60), (DISCOUNT_KEY, "10"), (REPS_ADD_EXPENSES, t % 2 == 1)):
            setting_rows.append((f"team:{t}", key, json.dumps(value)))
    w.write(Setting, ["scope", "key", "value"], setting_rows)

    from ..approvals.models import KINDS, ApprovalChain, ApprovalChainStep

    chains, steps = [], []
    for t in w.teams:
        for kind in KINDS:
            cid = len(chains) + 1
            chains.append((cid, t, kind, w.now))
            steps.append((len(steps) + 1, cid, 1, "director", None))
            steps.append((len(steps) + 1, cid, 2, "gm", Decimal("100000.00")))
    w.write(ApprovalChain, ["id", "team_id", "kind", "updated_at"], chains)
    w.write(ApprovalChainStep, ["id", "chain_id", "position", "role", "min_amount"], steps)


# Customers and their log -----------------------------------------------------------------------------

def _company_names(w: World, rng: random.Random, count: int):
    combos = [(ci, co, tr) for ci in range(len(CITIES)) for co in range(len(CORES)) for tr in range(len(TRADES))]
    rng.shuffle(combos)
    cache: dict[str, tuple[str, str]] = {}

    def py(part: str) -> tuple[str, str]:
        if part not in cache:
            cache[part] = pinyin_forms(part)
        return cache[part]

    for k in range(count):
        ci, co, tr = combos[k % len(combos)]
        round_ = k // len(combos)
        parts = [CITIES[ci], CORES[co]] + ([f"{round_ + 1}号"] if round_ else []) + [TRADES[tr][0]]
        name = "".join(parts)
        forms = [py(p) for p in parts]
        full = "".join(f for f, _ in forms)[:400]
        initials = "".join(i for _, i in forms)[:200]
        yield name, full, initials, CITIES[ci], TRADES[tr][1]


def seed_customers(w: World) -> None:
    from ..customers.models import Contact, Customer, CustomerEvent

    rng = w.rng("customers")
    total = w.n(40000)
    n_pool = max(len(w.teams), total // 20)
    per_rep = _split(total - n_pool, [w.rep_weight[r] for r in w.reps], rng)
    per_team_pool = _split(n_pool, [1.0] * len(w.teams), rng)
    span = len(w.days)
    names = _company_names(w, rng, total)
    rows, events = [], []
    cid = 0

    def one(owner, team, status, first_idx):
        nonlocal cid
        cid += 1
        name, full, initials, city, industry = next(names)
        created = w.days[first_idx]
        activated = lost = None
        end = w.today
        if status in ("active", "lost"):
            activated = min(created + timedelta(days=rng.randint(7, 60)), w.today)
        if status == "lost":
            lost = min(activated + timedelta(days=rng.randint(30, 600)), w.today)
            end = lost
        kind = rng.choices(("customer", "distributor", "partner"), (85, 10, 5))[0]
        tier = rng.choices("ABC", (15, 35, 50))[0]
        reason = rng.choice(w.reasons) if lost else None
        c_at = w.at(created, rng.randint(540, 1080))
        act_at = w.at(activated, rng.randint(540, 1080)) if activated else None
        lost_at = w.at(lost, rng.randint(540, 1080)) if lost else None
        pool_at = w.at(w.today - timedelta(days=rng.randint(1, 90)), 180) if owner is None else None
        prev = rng.choice(w.reps_of[team]) if owner is None and w.reps_of[team] else None
        rows.append((cid, name, name_key(name), full, initials, kind, industry, city, tier,
                     rng.choice(("referral", "trade_show", "cold_call", "web", "advertising", "existing_network")),
                     f"0{rng.randint(10, 999)}-{rng.randint(10**7, 10**8 - 1)}",
                     f"{city}市{rng.choice(CORES)}路{rng.randint(1, 999)}号", None,
                     Decimal(rng.randint(5, 300) * 10000), status, owner, team, owner or prev, c_at, act_at,
                     owner if activated else None, lost_at, owner if lost else None, reason,
                     rng.choice(LOST_NOTES) if lost else None, None, c_at if owner else None, pool_at, prev, False))
        events.append((cid, team, "created", owner or prev, None, c_at))
        if act_at:
            events.append((cid, team, "activated", owner or prev, None, act_at))
            if owner:
                w.actual[(owner, _month(activated))]["new_customers"] += 1
        if lost_at:
            events.append((cid, team, "lost", owner or prev, rows[-1][24], lost_at))
        if pool_at:
            events.append((cid, team, "recycled", None, None, pool_at))
        w.c_team.append(team)
        w.c_owner.append(owner)
        w.c_day.append(created)
        w.c_end.append(end)
        w.c_status.append(status)
        w.c_name.append(name)
        if owner:
            w.customers_of[owner].append(cid)

    for rep, count in zip(w.reps, per_rep, strict=True):
        team = w.rep_team[rep]
        for k in range(count):
            status = rng.choices(("active", "prospect", "lost"), (55, 35, 10))[0]
            if rep == w.reps[0] and k == 0:
                status = "active"
            # A rep's first customers are the long-standing, busiest ones; the others arrive all along.
            if k < max(1, count // 10):
                first = rng.randrange(0, max(1, span // 5))
            elif status == "prospect":
                first = rng.randrange(span // 2, span)
            else:
                first = rng.randrange(0, max(1, span - 30))
            if rep == w.reps[0] and k == 0:
                first = 0
            one(rep, team, status, first)
    for team, count in zip(w.teams, per_team_pool, strict=True):
        for _k in range(count):
            one(None, team, "prospect", rng.randrange(0, span))

    w.write(Customer, ["id", "name", "name_key", "pinyin_full", "pinyin_initials", "kind", "industry", "region",
                       "tier", "source", "phone", "address", "notes", "annual_value", "status", "owner_id", "team_id",
                       "created_by_id", "created_at", "activated_at", "activated_by_id", "lost_at", "lost_by_id",
                       "lost_reason_id", "lost_note", "winback_note", "owned_since", "pool_entered_at",
                       "previous_owner_id", "company_pool"], rows)
    rows.clear()
    w.write(CustomerEvent, ["id", "customer_id", "team_id", "kind", "actor_id", "note", "occurred_at"],
            ((i + 1, *e) for i, e in enumerate(events)))
    events.clear()

    n_contacts = w.n(80000)
    per_customer = _split(n_contacts, [rng.choice((0.5, 1.0, 1.5)) for _ in range(cid)], rng)

    def contacts():
        k = 0
        for c, count in enumerate(per_customer, start=1):
            for j in range(count):
                k += 1
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if j % 2 else "")
                yield (k, c, name, rng.choice(TITLES), f"13{rng.randrange(10**8, 10**9)}",
                       f"contact{k}@example.cn" if k % 3 == 0 else None, f"wx_{rng.randrange(10**5, 10**6)}",
                       None, w.at(w.c_day[c - 1], 600))
    w.write(Contact, ["id", "customer_id", "name", "title", "phone", "email", "wechat", "notes", "created_at"],
            contacts())
    _search_text(w)


def _search_text(w: World) -> None:
    """What each customer is found by (customers.search), as the app's flush writes it."""
    from collections import defaultdict

    from ..customers.search import compose

    started = time.perf_counter()
    people = defaultdict(list)
    for cid, name, phone in w.writer.sql('SELECT customer_id, name, phone FROM "contact" ORDER BY customer_id, id'):
        people[cid].append((name, phone))
    rows = [(compose(key, phone, full, initials, people[cid]), cid) for cid, key, phone, full, initials in
            w.writer.sql('SELECT id, name_key, phone, pinyin_full, pinyin_initials FROM "customer"')]
    w.writer.executemany('UPDATE "customer" SET search_text = ? WHERE id = ?', rows)
    w.writer.echo(f"  {'customer.search_text':<32} {len(rows):>10,}      {time.perf_counter() - started:7.1f} s")


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def seed_activities(w: World) -> None:
    from ..customers.models import Activity

    rng = w.rng("activities")
    total = w.n(1_000_000)
    per_rep = _split(total, [w.rep_weight[r] * max(len(w.customers_of[r]), 1) for r in w.reps], rng)
    index = {d: i for i, d in enumerate(w.days)}
    kinds = ("call", "visit", "email", "meeting", "trade_show")
    kind_cum = list(accumulate((40, 25, 15, 15, 5)))
    notes = {"call": CALL_NOTES, "visit": VISIT_NOTES, "email": EMAIL_NOTES, "meeting": MEETING_NOTES,
             "trade_show": SHOW_NOTES}
    stale = w.today - timedelta(days=3)
    minimum_long = max(1, int(round(200 * w.factor)))

    def rows():
        aid = 0
        for rep, count in zip(w.reps, per_rep, strict=True):
            mine = w.customers_of[rep]
            if not mine or not count:
                continue
            team = w.rep_team[rep]
            picks = rng.choices(mine, cum_weights=_zipf(len(mine)), k=count)
            if rep == w.reps[0]:
                first = mine[0]
                short = minimum_long - picks.count(first)
                for i in range(max(short, 0)):
                    picks[i] = first
            for cid in picks:
                lo = index[w.c_day[cid - 1]]
                hi = index.get(w.c_end[cid - 1], len(w.days) - 1)
                day = w.days[lo + int(rng.random() * (hi - lo + 1))]
                kind = kinds[bisect.bisect_left(kind_cum, rng.random() * 100)]
                when = w.at(day, 540 + int(rng.random() * 540))
                if when > w.now:
                    when = w.now - timedelta(minutes=5)
                follow = day + timedelta(days=1 + int(rng.random() * 10)) if rng.random() < 0.35 else None
                aid += 1
                call = kind == "call"
                yield (aid, kind, cid, rep, team, when, int(3 + rng.random() * 27) if call else None,
                       ("outgoing" if rng.random() < 0.7 else "incoming") if call else None,
                       rng.choice(notes[kind]), rng.choice(OUTCOMES) if rng.random() < 0.5 else None,
                       rng.choice(NEXT_STEPS) if follow else None, follow, bool(follow and follow < stale),
                       when + timedelta(minutes=20))

    w.write(Activity, ["id", "kind", "customer_id", "owner_id", "team_id", "occurred_at", "duration_minutes",
                       "direction", "summary", "outcome", "next_step", "follow_up_on", "follow_up_done", "created_at"],
            rows())
    started = time.perf_counter()
    w.writer.sql('UPDATE "customer" SET last_contact_at = (SELECT MAX(a.occurred_at) FROM "activity" a '
                 'WHERE a.customer_id = "customer".id)')
    w.writer.echo(f"  {'customer.last_contact_at':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")


def seed_pipeline(w: World) -> None:
    """Opportunities, resource requests and market information."""
    from ..core.periods import add_working_hours
    from ..customers.models import MarketInfo, Opportunity, ResourceRequest

    rng = w.rng("pipeline")
    picker = DayPicker(w)
    total = w.n(60000)
    per_rep = _split(total, [w.rep_weight[r] for r in w.reps], rng)
    open_stages = w.stages[:-1] or w.stages

    def opportunities():
        oid = 0
        for rep, count in zip(w.reps, per_rep, strict=True):
            mine = [c for c in w.customers_of[rep] if w.c_status[c - 1] != "lost"] or w.customers_of[rep]
            if not mine:
                continue
            picks = rng.choices(mine, cum_weights=_zipf(len(mine), 0.8), k=count)
            for cid in picks:
                created = picker.draw(rng, 1, w.c_day[cid - 1])[0]
                close = created + timedelta(days=rng.randint(20, 150))
                amount = Decimal(rng.randint(5, 200) * 10000)
                discount = q2(rng.randint(3, 12)) if rng.random() < 0.1 else None
                created_at = w.at(created, rng.randint(540, 1080))
                if close < w.today - timedelta(days=15):
                    won = rng.random() < 0.4
                    stage, prob = w.stages[-1] if won else rng.choice(w.stages)
                    closed_at = w.at(min(close + timedelta(days=rng.randint(-10, 10)), w.today), 960)
                    status, prob = ("won", 100) if won else ("lost", 0)
                    reason = None if won else rng.choice(w.reasons)
                else:
                    stage, prob = rng.choices(open_stages, cum_weights=_zipf(len(open_stages), 0.5))[0]
                    status, closed_at, reason = "open", None, None
                oid += 1
                yield (oid, f"{w.c_name[cid - 1][:6]} {rng.choice(PROJECTS)}项目", cid, rep, w.rep_team[rep], stage,
                       amount, prob, close, status, discount, discount, reason,
                       "客户选择了其他方案。" if status == "lost" else None, closed_at, created_at,
                       closed_at or created_at)

    w.write(Opportunity, ["id", "title", "customer_id", "owner_id", "team_id", "stage_id", "amount", "probability",
                          "expected_close", "status", "discount", "discount_approved", "lost_reason_id", "close_note",
                          "closed_at", "created_at", "updated_at"], opportunities())

    n_req = w.n(6000)
    per_rep = _split(n_req, [w.rep_weight[r] for r in w.reps], rng)

    def requests():
        k = 0
        for rep, count in zip(w.reps, per_rep, strict=True):
            mine = w.customers_of[rep]
            if not mine:
                continue
            for _i in range(count):
                cid = rng.choice(mine)
                day = picker.draw(rng, 1, w.c_day[cid - 1])[0]
                asked = w.at(day, rng.randint(540, 1000))
                due = add_working_hours(asked, 24)
                roll = rng.random()
                answered = None
                if day < w.today - timedelta(days=5) or roll < 0.5:
                    answered = asked + timedelta(hours=rng.choice((2, 5, 20, 30, 60)))
                    answered = min(answered, w.now)
                kind, text_ = rng.choice(REQUESTS)
                k += 1
                yield (k, cid, kind, text_, asked, due, rep, w.rep_team[rep], rep, answered,
                       "已安排并回复客户。" if answered else None, asked)

    w.write(ResourceRequest, ["id", "customer_id", "kind", "description", "asked_at", "due_at", "assignee_id",
                              "team_id", "created_by_id", "answered_at", "answer", "created_at"], requests())
    n_market = w.n(2000)

    def market():
        for k in range(1, n_market + 1):
            rep = rng.choice(w.reps)
            kind, title, body = rng.choice(MARKET)
            mine = w.customers_of[rep]
            yield (k, kind, title, body, rng.choice(mine) if mine and rng.random() < 0.7 else None, rep,
                   w.rep_team[rep], w.at(picker.draw(rng, 1)[0], 840))

    w.write(MarketInfo, ["id", "kind", "title", "body", "customer_id", "owner_id", "team_id", "created_at"], market())


# Contracts, payments, orders ----------------------------------------------------------------------

def seed_sales(w: World) -> None:
    from ..contracts.models import Contract, Instalment, Order, Payment

    rng = w.rng("sales")
    picker = DayPicker(w)
    per_rep = _split(w.n(20000), [w.rep_weight[r] for r in w.reps], rng)
    contracts, instalments, payments = [], [], []
    for rep, count in zip(w.reps, per_rep, strict=True):
        mine = [c for c in w.customers_of[rep] if w.c_status[c - 1] != "prospect"] or w.customers_of[rep]
        if not mine:
            continue
        team = w.rep_team[rep]
        days = sorted(picker.draw(rng, count))
        if rep == w.reps[0]:  # contracts this month for the benchmark's rep, whatever the factor
            days[-1] = w.today
        cum = _zipf(len(mine), 0.9)
        for signed in days:
            cid = rng.choices(mine, cum_weights=cum)[0]
            kid = len(contracts) + 1
            amount = q2(max(20000, round(rng.lognormvariate(11.4, 0.7), -3)))
            start = signed + timedelta(days=7)
            end = start + timedelta(days=rng.choice((90, 120, 180, 270, 365)))
            roll = rng.random()
            status, progress, fulfilled, terminated = "in_fulfilment", 50, None, None
            signed_on = signed
            if roll < 0.03 and signed > w.today - timedelta(days=60):
                status, progress, signed_on = "draft", 0, None
            elif roll < 0.06:
                status, progress, terminated = "terminated", 20, "客户项目预算取消，双方协商终止。"
            elif signed > w.today - timedelta(days=20):
                status, progress = "signed", 0
            elif end <= w.today:
                if roll < 0.92:
                    status, progress, fulfilled = "fulfilled", 100, end - timedelta(days=rng.randint(0, 10))
                else:
                    status, progress = "in_fulfilment", 80
            else:
                progress = min(95, int(100 * (w.today - start).days / max((end - start).days, 1)))
            contracts.append((kid, f"HT{signed.year}{kid:06d}", cid, rng.choice(CONTRACT_TITLES), amount, "CNY",
                              rep, team, signed_on, start, end, status, max(progress, 0), terminated, fulfilled,
                              None, rep, w.at(signed - timedelta(days=3), 600)))
            if signed_on is not None and status != "terminated":
                w.actual[(rep, _month(signed_on))]["contracts"] += amount
                w.contracts_of[rep].append((signed_on, kid, cid))
            if signed_on is None:
                continue
            parts = [q2(amount * Decimal("0.3")), q2(amount * Decimal("0.4"))]
            parts.append(amount - sum(parts))
            for n, (part, after) in enumerate(zip(parts, (30, 90, 150), strict=True), start=1):
                due = signed_on + timedelta(days=after)
                paid_day = due + timedelta(days=rng.randint(-10, 25))
                paid = status != "terminated" or n == 1
                if status == "fulfilled":
                    paid_day = min(paid_day, w.today)
                paid = paid and paid_day <= w.today
                iid = len(instalments) + 1
                instalments.append((iid, kid, n, due, part, rng.choice((3, 7, 10)),
                                    ("预付款", "到货款", "验收款")[n - 1],
                                    status == "terminated" and n > 1, part if paid else ZERO,
                                    paid_day if paid else None, rep, team, w.at(signed_on, 700)))
                if paid:
                    payments.append((len(payments) + 1, kid, paid_day, part, None, rep, team, rep,
                                     w.at(paid_day, 900), iid))
                    w.actual[(rep, _month(paid_day))]["payments"] += part
    w.write(Contract, ["id", "number", "customer_id", "title", "amount", "currency", "owner_id", "team_id",
                       "signed_on", "start_on", "end_on", "status", "progress", "terminated_reason", "fulfilled_on",
                       "notes", "created_by_id", "created_at"], contracts)
    w.write(Instalment, ["id", "contract_id", "number", "due_on", "amount", "remind_days", "note", "void",
                         "collected", "paid_off_on", "owner_id", "team_id", "created_at"], instalments)
    w.write(Payment, ["id", "contract_id", "paid_on", "amount", "note", "owner_id", "team_id", "created_by_id",
                      "created_at", "instalment_id"], payments)
    contracts.clear()
    instalments.clear()
    payments.clear()

    per_rep = _split(w.n(200000), [w.rep_weight[r] for r in w.reps], rng)

    def orders():
        oid = 0
        for rep, count in zip(w.reps, per_rep, strict=True):
            mine = [c for c in w.customers_of[rep] if w.c_status[c - 1] != "prospect"] or w.customers_of[rep]
            if not mine:
                continue
            team = w.rep_team[rep]
            signed = sorted(w.contracts_of[rep])
            signed_days = [s[0] for s in signed]
            cum = _zipf(len(mine), 0.9)
            days = picker.draw(rng, count)
            if rep == w.reps[0]:
                days[0] = w.today
            for day in days:
                under = None
                if signed_days and rng.random() < 0.25:
                    k = bisect.bisect_right(signed_days, day)
                    if k:
                        under = signed[rng.randrange(k)]
                cid = under[2] if under else rng.choices(mine, cum_weights=cum)[0]
                amount = q2(max(500, round(rng.lognormvariate(9.3, 0.8), -2)))
                cost = q2(amount * Decimal(rng.randint(62, 80)) / 100)
                oid += 1
                bucket = w.actual[(rep, _month(day))]
                bucket["sales"] += amount
                bucket["orders"] += 1
                bucket["gross_profit"] += amount - cost
                yield (oid, f"DD{day:%Y%m%d}{oid:07d}", day, cid, under[1] if under else None, amount, cost, rep,
                       team, None, rep, w.at(day, 600 + oid % 400))

    w.write(Order, ["id", "number", "ordered_on", "customer_id", "contract_id", "amount", "cost", "owner_id",
                    "team_id", "note", "created_by_id", "created_at"], orders())


# Plans, targets, budgets, expenses -------------------------------------------------------------------

def _periods(w: World) -> list[Period]:
    years = range(w.start.year, w.today.year + 1)
    out = []
    for y in years:
        year = Period.containing("year", date(y, 1, 1))
        out.append(year)
        out.extend(year.children("quarter"))
        out.extend(year.children("month"))
    return out


def seed_plans(w: World) -> None:
    from ..plans.models import BudgetCategory, BudgetLine, Expense, Plan, SeasonalProfile, Target

    rng = w.rng("plans")
    this_month = Period.containing("month", w.today)
    months = [p for p in _periods(w) if p.kind == "month"]
    # A rep's monthly targets: completed months at 60–130 %, this and later months from last year's figures.
    month_target: dict[tuple[int, str], dict[str, Decimal]] = {}
    first_month = w.start.replace(day=1)

    def window(rep: int, m: Period, measure: str) -> float | None:
        """The rep's mean over the month and its neighbours (completed months only): sparse measures
        such as contracts get a steady target rather than one that follows each month's luck."""
        values = [float(w.actual.get((rep, k.key), {}).get(measure, 0)) for k in (m.previous(), m, m.next())
                  if first_month <= k.start < this_month.start]
        return sum(values) / len(values) if values else None

    for rep in w.reps:
        for m in months:
            values = {}
            for measure in MEASURES:
                if m.start < this_month.start:
                    seen = window(rep, m, measure)
                    base = (seen or 0) / rng.uniform(0.6, 1.3)
                else:
                    seen = window(rep, m.same_last_year(), measure)
                    base = (seen or 0) * rng.uniform(1.05, 1.25)
                if measure in COUNT_MEASURES:
                    values[measure] = max(Decimal(1), Decimal(round(base)))
                else:
                    values[measure] = max(Decimal(1000), Decimal(round(base, -2))).quantize(CENT)
            month_target[(rep, m.key)] = values

    def total(keys) -> dict[str, Decimal]:
        out = {m: Decimal(0) for m in MEASURES}
        for k in keys:
            for measure, v in month_target[k].items():
                out[measure] += v
        return out

    targets, plans = [], []
    gm = w.gm
    for p in _periods(w):
        month_keys = [m.key for m in months if p.start <= m.start < p.end]
        company = {m: Decimal(0) for m in MEASURES}
        slots = []
        for team in w.teams:
            team_sum = {m: Decimal(0) for m in MEASURES}
            for rep in w.reps_of[team]:
                values = total([(rep, k) for k in month_keys])
                slots.append(("rep", team, rep, values))
                for m, v in values.items():
                    team_sum[m] += v
            slots.append(("team", team, None, team_sum))
            for m, v in team_sum.items():
                company[m] += v
        slots.append(("company", None, None, company))
        for scope, team, owner, values in slots:
            for measure, base in values.items():
                count = measure in COUNT_MEASURES
                sprint = (base * Decimal("1.2")).to_integral_value() if count else q2(base * Decimal("1.2"))
                challenge = (base * Decimal("1.5")).to_integral_value() if count else q2(base * Decimal("1.5"))
                targets.append((len(targets) + 1, p.kind, p.key, p.start, p.end, scope, team, owner, measure,
                                q2(base), q2(sprint), q2(challenge), gm, w.now))
            author = gm if scope == "company" else (w.director_of[team] if scope == "team" else owner)
            decider = None if scope == "company" else (gm if scope == "team" else w.director_of[team])
            if p.end <= this_month.start or p.kind == "year" and p.start.year < w.today.year:
                status = "approved"
            else:
                status = rng.choices(("approved", "submitted", "draft"), (60, 25, 15))[0]
            scope_name = {"company": "公司", "team": w.team_name.get(team, ""), "rep": w.names.get(owner, "")}[scope]
            submitted = w.at(max(p.start - timedelta(days=10), w.start), 600)
            plans.append((len(plans) + 1, p.kind, p.key, p.start, p.end, scope, team, owner,
                          f"{scope_name} {p.key} 销售计划", PLAN_ANALYSIS, PLAN_STRATEGY, PLAN_STEPS, status,
                          None, author, submitted if status != "draft" else None,
                          decider if status == "approved" else None,
                          submitted + timedelta(days=2) if status == "approved" else None, submitted))
    w.write(Target, ["id", "period_kind", "period_key", "period_start", "period_end", "scope", "team_id", "owner_id",
                     "measure", "base", "sprint", "challenge", "updated_by_id", "updated_at"], targets)
    targets.clear()
    w.write(Plan, ["id", "period_kind", "period_key", "period_start", "period_end", "scope", "team_id", "owner_id",
                   "title", "analysis", "strategy", "steps", "status", "review_comment", "created_by_id",
                   "submitted_at", "decided_by_id", "decided_at", "created_at"], plans)
    plans.clear()

    w.write(SeasonalProfile, ["id", "name", "weights", "created_at"],
            [(1, "制造业季节性", [str(s) for s in SEASONAL], w.now), (2, "平均", ["1"] * 12, w.now)])
    w.write(BudgetCategory, ["id", "name", "position", "active"],
            [(i + 1, name, (i + 1) * 10, True) for i, name in enumerate(CATEGORIES)])

    # Expenses first; the budget lines are then set a little above (or, now and then, below) what was spent.
    from ..plans.services import DEFAULT_EXPENSE_THRESHOLD

    picker = DayPicker(w)
    per_team = _split(w.n(30000), [sum(w.rep_weight[r] for r in w.reps_of[t]) for t in w.teams], rng)
    cat_cum = list(accumulate(EXPENSES[c][3] for c in CATEGORIES))
    spent: dict[tuple, Decimal] = defaultdict(Decimal)
    expenses = []
    approvals = []
    for team, count in zip(w.teams, per_team, strict=True):
        people = w.reps_of[team] + [w.director_of[team]]
        days = picker.draw(rng, count)
        if team == w.teams[0]:
            days[0] = w.today
        for day in days:
            cat = bisect.bisect_left(cat_cum, rng.random() * cat_cum[-1])
            texts, low, high, _w = EXPENSES[CATEGORIES[cat]]
            amount = q2(rng.randint(low, high))
            who = rng.choice(people)
            status = None
            if amount > DEFAULT_EXPENSE_THRESHOLD:
                recent = day > w.today - timedelta(days=10)
                status = rng.choices(("approved", "rejected", "pending"), (92, 3, 5 if recent else 0))[0]
            eid = len(expenses) + 1
            expenses.append((eid, team, who, cat + 1, day, amount, rng.choice(texts), False, status, who,
                             w.at(day, 1000)))
            if status in (None, "approved"):
                spent[(team, cat + 1, day.year)] += amount
                if cat + 1 == 2:
                    spent[(team, 2, _month(day))] += amount
            if status is not None:
                approvals.append((eid, team, who, amount, status, w.at(day, 1010)))
    w.write(Expense, ["id", "team_id", "owner_id", "category_id", "spent_on", "amount", "description", "over_budget",
                      "approval_status", "created_by_id", "created_at"], expenses)
    expenses.clear()
    lines = []
    for team in w.teams:
        for year in range(w.start.year, w.today.year + 1):
            period = Period.containing("year", date(year, 1, 1))
            share = min(1.0, max(period.elapsed_fraction(w.today), 0.05)) if year == w.today.year else 1.0
            for cat in range(1, len(CATEGORIES) + 1):
                used = spent.get((team, cat, year), Decimal(0)) / Decimal(str(share))
                amount = max(Decimal(5000), (used * Decimal(str(round(rng.uniform(0.92, 1.35), 3))))
                             .quantize(Decimal(1000)))
                lines.append((len(lines) + 1, team, cat, q2(amount), None, period.kind, period.key, period.start,
                              period.end, w.now))
        for m in months:
            if m.start > w.today:
                continue
            used = spent.get((team, 2, m.key), Decimal(0))
            amount = max(Decimal(2000), (used * Decimal(str(round(rng.uniform(0.9, 1.3), 3)))).quantize(Decimal(100)))
            lines.append((len(lines) + 1, team, 2, q2(amount), "月度差旅控制", m.kind, m.key, m.start, m.end, w.now))
    w.write(BudgetLine, ["id", "team_id", "category_id", "amount", "note", "period_kind", "period_key", "period_start",
                         "period_end", "created_at"], lines)
    _approvals(w, approvals)


def _approvals(w: World, expenses: list[tuple]) -> None:
    """One approval request per expense above the threshold, with its steps and history."""
    from ..approvals.models import ApprovalEvent, ApprovalRequest, ApprovalStep

    requests, steps, events = [], [], []
    for eid, team, who, amount, status, at in expenses:
        rid = len(requests) + 1
        director = w.director_of[team]
        final = status in ("approved", "rejected")
        decided = at + timedelta(hours=5) if final else None
        requests.append((rid, "expense", "expense", eid, team, who, amount, f"费用 ¥{amount} · 报销",
                         f"/plans/expenses?expense={eid}", status, None if final else "director",
                         None if final else 1, 1, at, at, decided))
        steps.append((len(steps) + 1, rid, 1, "director", None, status if final else "waiting",
                      director if final else None, decided, "同意。" if status == "approved" else None))
        events.append((len(events) + 1, rid, "expense", eid, 1, "submitted", None, who, None, at))
        if final:
            events.append((len(events) + 1, rid, "expense", eid, 1, status, "director", director, None, decided))
    w.write(ApprovalRequest, ["id", "kind", "record_type", "record_id", "team_id", "requester_id", "amount", "title",
                              "link", "status", "current_role", "current_position", "round", "created_at",
                              "submitted_at", "decided_at"], requests)
    w.write(ApprovalStep, ["id", "request_id", "position", "role", "min_amount", "status", "decided_by_id",
                           "decided_at", "comment"], steps)
    w.write(ApprovalEvent, ["id", "request_id", "record_type", "record_id", "round", "action", "role", "actor_id",
                            "comment", "at"], events)


# Training --------------------------------------------------------------------------------------------

def seed_training(w: World) -> None:
    from ..training.models import (
        Assignment,
        Attempt,
        Completion,
        Course,
        Lesson,
        Question,
        QuestionCategory,
        Quiz,
        QuizQuestion,
    )

    rng = w.rng("training")
    n_courses = max(2, w.n(100))  # the benchmark's course and at least one other
    n_questions = w.n(5000)
    quiz_size = 20
    courses, lessons, cats, questions, quizzes, links, assignments = [], [], [], [], [], [], []
    quiz_of_course: dict[int, tuple[int, int, int | None]] = {}
    visible: dict[int, list[int]] = defaultdict(list)  # team -> quiz ids
    company_quizzes = []
    per_course = _split(n_questions, [1.0] * n_courses, rng)
    topics = ["顾问式销售", "SPIN 提问法", "异议处理", "产品知识", "大客户管理", "商务谈判", "回款管理", "展会营销",
              "电话销售技巧", "客户分级"]
    for c in range(1, n_courses + 1):
        team = w.teams[(c - 1) % len(w.teams)] if c == 1 or (c > 2 and rng.random() < 0.4) else None
        owner = w.director_of[team] if team else w.admin
        published = c <= 2 or rng.random() < 0.9
        topic = topics[(c - 1) % len(topics)]
        courses.append((c, f"{topic}（第 {c} 期）", f"{topic}的要点与练习。", rng.choice(("销售技巧", "产品", "管理")),
                        owner, team, published, team is None and rng.random() < 0.5,
                        w.at(w.start + timedelta(days=rng.randrange(0, 400)), 600)))
        for pos in range(4):
            lessons.append((len(lessons) + 1, c, pos, f"{pos + 1}. {topic} 第 {pos + 1} 课",
                            f"## {topic}\n\n本课讲解{topic}的第 {pos + 1} 部分。\n\n- 要点一\n- 要点二", 10 + 5 * pos))
        cat_ids = []
        for k in range(2):
            cats.append((len(cats) + 1, c, f"{topic} · {'基础' if k == 0 else '进阶'}"))
            cat_ids.append(len(cats))
        count = max(per_course[c - 1], quiz_size if c == 1 else 1)
        first_q = len(questions) + 1
        for k in range(count):
            qid = len(questions) + 1
            if k % 5 == 4:
                data = {"correct": k % 2 == 0, "feedback_right": "", "feedback_wrong": ""}
                qtype = "truefalse"
            else:
                right = rng.randrange(4)
                data = {"answers": [{"text": f"选项 {'ABCD'[i]}", "fraction": "100" if i == right else "0",
                                     "feedback": ""} for i in range(4)]}
                qtype = "single"
            questions.append((qid, c, cat_ids[k % 2], qtype, f"Q{k + 1}", f"{topic}：第 {k + 1} 题，下列哪一项正确？",
                              None, data, False, Decimal("1.00"), w.now))
        qz = c
        chosen = list(range(first_q, first_q + min(count, quiz_size)))
        main = c == 1
        quizzes.append((qz, c, f"{topic}测验", f"共 {len(chosen)} 题。", "fixed", None, 0, False, True, 5,
                        60 if main else rng.choice((None, 20, 30)), None, None, None, 0, Decimal("60.00"),
                        "highest", True, False, True, True, w.now))
        for pos, qid in enumerate(chosen):
            links.append((qz, qid, pos))
        quiz_of_course[c] = (qz, len(chosen), team)
        if published:
            if team:
                visible[team].append(qz)
            else:
                company_quizzes.append(qz)
        if published and team:
            assignments.append((len(assignments) + 1, c, None, team, w.today + timedelta(days=rng.randint(-30, 30)),
                                w.director_of[team], w.now))
        elif published and rng.random() < 0.5:
            t = rng.choice(w.teams)
            assignments.append((len(assignments) + 1, c, None, t, w.today + timedelta(days=rng.randint(-60, 30)),
                                w.director_of[t], w.now))
    if not any(a[1] == 1 and a[3] == w.teams[0] for a in assignments):
        assignments.append((len(assignments) + 1, 1, None, w.teams[0], w.today + timedelta(days=30),
                            w.director_of[w.teams[0]], w.now))
    w.write(Course, ["id", "title", "summary", "category", "owner_id", "team_id", "published", "open_to_all",
                     "created_at"], courses)
    w.write(Lesson, ["id", "course_id", "position", "title", "body", "minutes"], lessons)
    w.write(QuestionCategory, ["id", "course_id", "name"], cats)
    w.write(Question, ["id", "course_id", "category_id", "qtype", "title", "text", "general_feedback", "data",
                       "case_sensitive", "mark", "created_at"], questions)
    w.write(Quiz, ["id", "course_id", "title", "intro", "mode", "random_category_id", "random_count",
                   "shuffle_questions", "shuffle_answers", "per_page", "time_limit_minutes", "open_at", "close_at",
                   "max_attempts", "wait_minutes", "pass_mark", "grading_method", "review_answers", "review_correct",
                   "review_feedback", "review_score", "created_at"], quizzes)
    w.write(QuizQuestion, ["quiz_id", "question_id", "position"], links)
    w.write(Assignment, ["id", "course_id", "user_id", "team_id", "due_on", "assigned_by_id", "created_at"],
            assignments)

    picker = DayPicker(w)
    per_rep = _split(w.n(200000), [w.rep_weight[r] for r in w.reps], rng)
    numbers: dict[tuple[int, int], int] = defaultdict(int)
    passed: set[tuple[int, int]] = set()
    completions = []

    def attempts():
        aid = 0
        for rep, count in zip(w.reps, per_rep, strict=True):
            team = w.rep_team[rep]
            mine = visible[team] + company_quizzes
            if not mine:
                continue
            for day in sorted(picker.draw(rng, count)):
                qz = rng.choice(mine)
                if rep == w.reps[0] and qz == 1:
                    qz = mine[-1]  # rep0001 leaves the main quiz for the benchmark to start
                    if qz == 1:
                        continue
                numbers[(qz, rep)] += 1
                size = quiz_of_course[qz][1]
                started = w.at(day, 540 + int(rng.random() * 500))
                right = min(size, max(0, int(round(rng.gauss(0.72, 0.18) * size))))
                score = q2(Decimal(100 * right) / Decimal(size))
                aid += 1
                finished = started + timedelta(minutes=5 + int(rng.random() * 25))
                if score >= 60 and (qz, rep) not in passed:
                    passed.add((qz, rep))
                    code = hashlib.sha256(f"{w.seed}:{qz}:{rep}".encode()).hexdigest()[:16].upper()
                    completions.append((len(completions) + 1, rep, team, qz, finished, score, code))
                yield (aid, qz, rep, team, numbers[(qz, rep)], "finished", started, None, finished, q2(right),
                       q2(size), score, [])

    w.write(Attempt, ["id", "quiz_id", "user_id", "team_id", "number", "state", "started_at", "deadline",
                      "finished_at", "marks", "max_marks", "score", "layout"], attempts())
    w.write(Completion, ["id", "user_id", "team_id", "course_id", "completed_at", "score", "code"], completions)


# Communication ----------------------------------------------------------------------------------------

def seed_comms(w: World) -> None:
    from ..comms.models import (
        DirectorReport,
        PlanItem,
        ReportItem,
        SalesSummary,
        Task,
        TaskAssignment,
        Thread,
        ThreadMessage,
        ThreadRead,
        WorkPlan,
        WorkReport,
    )

    rng = w.rng("comms")
    picker = DayPicker(w)
    rep1 = w.reps[0]

    # Threads: the first is rep0001's, with exactly 50 replies.
    threads, messages, reads = [], [], []
    per_rep = _split(max(w.n(50000) - 1, 0), [w.rep_weight[r] for r in w.reps], rng)

    def add_thread(rep, day, replies, kind, subject, resolved, escalated):
        tid = len(threads) + 1
        team = w.rep_team[rep]
        director = w.director_of[team]
        start = w.at(day, 540 + int(rng.random() * 420))
        messages.append((len(messages) + 1, tid, rep, f"{subject}，请指示。", None, start))
        at = start
        first_reply = None
        for k in range(replies):
            at = min(at + timedelta(minutes=30 + int(rng.random() * 600)), w.now)
            author = director if k % 2 == 0 else rep
            messages.append((len(messages) + 1, tid, author, rng.choice(REPLIES), None, at))
            if first_reply is None and author == director:
                first_reply = at
        esc_at = None
        if escalated:
            esc_at = min(at + timedelta(hours=3), w.now)
            messages.append((len(messages) + 1, tid, director, "超出权限，需要总经理决定。", "escalated", esc_at))
            at = esc_at
        res_at = None
        if resolved:
            res_at = min(at + timedelta(hours=6), w.now)
            messages.append((len(messages) + 1, tid, director, "问题已解决。", "resolved", res_at))
            at = res_at
        threads.append((tid, rep, team, kind, subject, None, "resolved" if resolved else "open", esc_at,
                        director if escalated else None, res_at, first_reply, at, start))
        reads.append((tid, rep, at))
        if first_reply:
            reads.append((tid, director, at))
        w.thread_ids[rep].append(tid)

    add_thread(rep1, w.today - timedelta(days=6), 50, "difficulty", "重点客户年度框架协议的价格谈判", False, False)
    for rep, count in zip(w.reps, per_rep, strict=True):
        for day in picker.draw(rng, count):
            kind, subject = rng.choice(THREAD_SUBJECTS)
            old = day < w.today - timedelta(days=30)
            replies = rng.choices((0, 1, 2, 3, 4), (10, 35, 25, 18, 12))[0]
            add_thread(rep, day, replies, kind, subject, old and rng.random() < 0.8, rng.random() < 0.05)
    w.write(Thread, ["id", "author_id", "team_id", "kind", "subject", "customer_id", "status", "escalated_at",
                     "escalated_by_id", "resolved_at", "first_reply_at", "last_message_at", "created_at"], threads)
    threads.clear()
    w.write(ThreadMessage, ["id", "thread_id", "author_id", "body", "event", "created_at"], messages)
    messages.clear()
    w.write(ThreadRead, ["thread_id", "user_id", "read_at"], reads)
    reads.clear()

    # Tasks from directors (and the GM) with each assignee's part.
    from ..comms.services import _end_of_day

    tasks, parts = [], []
    n_tasks = w.n(4000)
    for k in range(n_tasks):
        team = w.teams[k % len(w.teams)]
        director = w.director_of[team]
        day = picker.draw(rng, 1)[0] if k else w.today - timedelta(days=2)
        due = day + timedelta(days=rng.randint(3, 20))
        tid = k + 1
        tasks.append((tid, rng.choice(TASK_TITLES), "完成后在系统里提交完成说明。",
                      rng.choice(("low", "normal", "high")), due, _end_of_day(due), director, team, None, None,
                      None, None, w.at(day, 600)))
        members = w.reps_of[team]
        chosen = ([rep1] if k == 0 else []) + rng.sample(members, min(len(members), rng.randint(1, 3)))
        for rep in dict.fromkeys(chosen):
            w.task_ids[rep].append(tid)
            if due < w.today:
                status = rng.choices(("accepted", "done", "in_progress", "open"), (65, 20, 10, 5))[0]
            else:
                status = rng.choices(("open", "in_progress", "done"), (50, 35, 15))[0]
            done_at = w.at(min(due, w.today), 900) if status in ("done", "accepted") else None
            parts.append((len(parts) + 1, tid, rep, team, status, "已完成。" if done_at else None, done_at,
                          None, done_at + timedelta(hours=3) if status == "accepted" else None, 0,
                          done_at or w.at(day, 600)))
    w.write(Task, ["id", "title", "description", "priority", "due_on", "deadline_at", "assigner_id", "team_id",
                   "parent_id", "link_type", "link_id", "token", "created_at"], tasks)
    w.write(TaskAssignment, ["id", "task_id", "assignee_id", "team_id", "status", "completion_report", "completed_at",
                             "review_comment", "reviewed_at", "sent_back_count", "updated_at"], parts)

    # Weekly plans and reports for the last 26 weeks.
    monday = w.today - timedelta(days=w.today.weekday())
    weeks = [monday - timedelta(weeks=k) for k in range(26, 0, -1)]
    wplans, pitems, wreports, ritems = [], [], [], []
    for rep in w.reps:
        team = w.rep_team[rep]
        for start in weeks:
            if rng.random() < 0.05:
                continue
            plan_due = w.at(start, 600)
            late = rng.random() < 0.1
            pid = len(wplans) + 1
            wplans.append((pid, rep, team, "week", start, None, plan_due,
                           plan_due + (timedelta(hours=5) if late else -timedelta(hours=2)), late))
            items = rng.sample(PLAN_ITEMS, 3)
            first = len(pitems) + 1
            for pos, text_ in enumerate(items):
                pitems.append((len(pitems) + 1, pid, pos, text_))
            if rng.random() < 0.06:
                continue
            report_due = w.at(start + timedelta(days=4), 1080)
            rlate = rng.random() < 0.15
            rid = len(wreports) + 1
            wreports.append((rid, rep, team, pid, "week", start, "本周按计划推进，重点客户进展顺利。",
                             rng.choice(PROBLEMS), report_due,
                             report_due + (timedelta(hours=20) if rlate else -timedelta(hours=3)), rlate))
            for pos, text_ in enumerate(items):
                ritems.append((len(ritems) + 1, rid, first + pos, pos, text_, rng.random() < 0.8, rng.choice(RESULTS),
                               rng.choice(PROBLEMS)))
    w.write(WorkPlan, ["id", "owner_id", "team_id", "cadence", "period_start", "notes", "due_at", "submitted_at",
                       "late"], wplans)
    w.write(PlanItem, ["id", "plan_id", "position", "text"], pitems)
    w.write(WorkReport, ["id", "owner_id", "team_id", "plan_id", "cadence", "period_start", "summary", "problems",
                         "due_at", "submitted_at", "late"], wreports)
    w.write(ReportItem, ["id", "report_id", "plan_item_id", "position", "text", "done", "result", "problems"], ritems)

    # Monthly summaries for the last twelve months; the directors' monthly reports.
    last = Period.containing("month", w.today).previous()
    months = []
    m = last
    for _k in range(12):
        months.append(m)
        m = m.previous()
    summaries, reports = [], []
    for rep in w.reps:
        for m in months:
            at = w.at(m.end, 600)
            answered = rng.random() < 0.6
            summaries.append((len(summaries) + 1, rep, w.rep_team[rep], "month", m.key,
                              "拜访客户 18 家，电话拜访 42 次，参加行业展会 1 次。", "签约 3 单，完成月度指标的 92%。",
                              "先摸清采购决策链，再安排技术交流。", "某客户因价格原因转向竞争对手。",
                              "提前准备差异化方案。", None, at, "总结到位。" if answered else None,
                              w.director_of[w.rep_team[rep]] if answered else None,
                              at + timedelta(hours=6) if answered else None))
    for team in w.teams:
        for m in months:
            reports.append((len(reports) + 1, w.director_of[team], team, "month", m.key,
                            "## 本月概况\n\n整体推进顺利，重点客户回款进度良好。", None, w.at(m.end, 960)))
    w.write(SalesSummary, ["id", "owner_id", "team_id", "period_kind", "period_key", "work_done", "results",
                           "success_rules", "failed_cases", "improvements", "figures", "submitted_at", "answer",
                           "answered_by_id", "answered_at"], summaries)
    w.write(DirectorReport, ["id", "author_id", "team_id", "period_kind", "period_key", "body", "figures",
                             "submitted_at"], reports)


def seed_notifications(w: World) -> None:
    from ..notifications.models import Notification

    rng = w.rng("notifications")
    total = w.n(250000)
    people = w.reps + list(w.director_of.values()) + [w.gm]
    weights = [w.rep_weight.get(p, 2.0) for p in people]
    per_person = _split(total, weights, rng)
    per_person[0] = max(per_person[0], 300)  # rep0001
    recent = [d for d in w.days if d > w.today - timedelta(days=365)]

    def rows():
        k = 0
        for person, count in zip(people, per_person, strict=True):
            threads = w.thread_ids.get(person) or []
            tasks = w.task_ids.get(person) or []
            for _i in range(count):
                kind, title, endpoint = NOTIFY[int(rng.random() * len(NOTIFY))]
                link = None
                if endpoint == "comms.thread_detail" and threads:
                    link = w.links["thread"].format(rng.choice(threads))
                elif endpoint == "comms.task_detail" and tasks:
                    link = w.links["task"].format(rng.choice(tasks))
                day = recent[int(rng.random() * len(recent))]
                at = min(w.at(day, 480 + int(rng.random() * 720)), w.now)
                read = at + timedelta(hours=2) if day < w.today - timedelta(days=7) or rng.random() < 0.4 else None
                k += 1
                yield (k, person, kind, title.format(rng.choice(TASK_TITLES)), None, link, w.director_of.get(
                    w.rep_team.get(person), w.gm), at, read, None)

    w.write(Notification, ["id", "user_id", "kind", "title", "body", "link", "actor_id", "created_at", "read_at",
                           "emailed_at"], rows())


# Appraisals ----------------------------------------------------------------------------------------------

def seed_appraisals(w: World) -> None:
    from ..appraisals.models import DEFAULT_BANDS, Appraisal, AppraisalCycle, AppraisalItem

    rng = w.rng("appraisals")
    last_full = Period.containing("month", w.today).previous()
    months = []
    m = last_full
    while m.start >= w.start.replace(day=1):
        months.append(m)
        m = m.previous()
    months.reverse()
    bands = [list(b) for b in DEFAULT_BANDS]
    cycles, sheets, items = [], [], []
    for team in w.teams:
        director = w.director_of[team]
        for m in months:
            cid = len(cycles) + 1
            cycles.append((cid, team, "month", m.key, m.start, m.end, w.template_id, bands, director,
                           w.at(m.end, 600)))
            open_ = m == last_full
            for rep in w.reps_of[team]:
                sid = len(sheets) + 1
                got = w.actual.get((rep, m.key), {})
                total_weighted = Decimal(0)
                weight_sum = Decimal(0)
                for pos, (metric, zh, en, weight, rule, target, floor) in enumerate(w.template, start=1):
                    if metric == "actual_sales":
                        computed = q2(got.get("sales", 0))
                    elif metric == "planned_target":
                        computed = None
                    elif metric == "new_customers":
                        computed = Decimal(int(got.get("new_customers", 0)))
                    elif metric == "conduct":
                        computed = None
                    else:
                        computed = q2(max(0.0, rng.gauss(float(target or 10), float(target or 10) * 0.3)))
                    score = q2(min(5.0, max(0.0, rng.gauss(3.6, 0.8)))) if rule != "none" else None
                    judged = q2(rng.choice((3, 4, 4, 5))) if rule == "judged" and not open_ else None
                    if score is not None and weight:
                        total_weighted += score * weight
                        weight_sum += weight
                    items.append((len(items) + 1, sid, pos, metric, zh, en, weight, rule, target, target, floor,
                                  computed, None, None, None, judged, None, None, score))
                total = q2(total_weighted / weight_sum) if weight_sum else None
                grade = next((g for g, low in bands if total is not None and total >= Decimal(low)), None)
                if open_:
                    state, fin, ack, dis = "open", None, None, None
                else:
                    state = rng.choices(("acknowledged", "finalised", "disputed"), (80, 15, 5))[0]
                    fin = w.at(m.end + timedelta(days=3), 900)
                    ack = fin + timedelta(days=1) if state != "finalised" else None
                    dis = "第三周客户拜访因展会顺延，应予考虑。" if state == "disputed" else None
                sheets.append((sid, cid, rep, team, state, Decimal(1), None,
                               None if open_ else "本月完成情况总体良好，继续加强老客户回访。", total, grade, fin,
                               director if fin else None, ack, dis, 1))
    w.write(AppraisalCycle, ["id", "team_id", "period_kind", "period_key", "start", "end", "template_id", "bands",
                             "opened_by_id", "created_at"], cycles)
    w.write(Appraisal, ["id", "cycle_id", "rep_id", "team_id", "state", "presence", "self_assessment", "comment",
                        "total", "grade", "finalised_at", "finalised_by_id", "acknowledged_at", "disagreement",
                        "version"], sheets)
    sheets.clear()
    w.write(AppraisalItem, ["id", "appraisal_id", "position", "metric", "name_zh", "name_en", "weight", "rule",
                            "base_target", "target", "floor", "computed", "note", "adjusted", "adjust_reason",
                            "judged", "remark", "self_score", "score"], items)


# The whole company ---------------------------------------------------------------------------------------

AREAS = [seed_customers, seed_activities, seed_pipeline, seed_sales, seed_plans, seed_training, seed_comms,
         seed_notifications, seed_appraisals]


def build_world(factor: float, seed: int, today: date, writer: BulkWriter) -> World:
    w = World(factor=factor, seed=seed, today=today, writer=writer)
    w.now = writer.now
    try:
        w.start = today.replace(year=today.year - 3)
    except ValueError:  # 29 February
        w.start = today.replace(year=today.year - 3, day=28)
    w.start += timedelta(days=1)
    d = w.start
    while d <= today:
        w.days.append(d)
        d += timedelta(days=1)
    return w
