"""Demo training: two bilingual courses, the 30-question GIFT bank shipped in demo/, assignments and
attempts by the demo reps (some passed, some failed, some overdue). Dates are relative to today."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app

from ..core.db import db, utcnow
from ..core.periods import local_today
from ..demo import register_seeder
from . import gift, services
from .models import Assignment, Question, QuestionCategory, Quiz

GIFT_FILE = Path(__file__).parent / "demo" / "sales_basics.gift"

LESSONS_SELLING = [
    ("1. 顾问式销售是什么 / What consultative selling is", 15,
     "## 从推销到顾问\n\n顾问式销售把客户的问题放在产品之前：先**了解需求**，再给出方案。\n\n"
     "*Consultative selling puts the customer's problem before the product: understand first, then propose.*\n\n"
     "- 多听少说 Listen more than you talk\n- 用开放式问题 Ask open questions\n- 记录每次拜访 Log every visit"),
    ("2. SPIN 提问法 / SPIN questions", 20,
     "| 字母 | 含义 | 例子 |\n|---|---|---|\n| S | Situation 背景 | 您现在用什么系统？ |\n"
     "| P | Problem 难点 | 哪些环节最费时间？ |\n| I | Implication 影响 | 这对交期有什么影响？ |\n"
     "| N | Need-payoff 价值 | 如果缩短一半，会带来什么？ |"),
    ("3. 异议处理与跟进 / Objections and follow-up", 15,
     "客户说\"太贵了\"时，先问**与什么比较**，再谈总拥有成本。拜访后 24 小时内发送纪要，并约定下次跟进日期。\n\n"
     "*When a customer says it is too expensive, ask what they compare with, then talk total cost of ownership.*"),
]
LESSONS_PRODUCT = [
    ("1. 产品线概览 / Product lines", 10,
     "我们的三条产品线：**工业传感器**、**数据采集网关**（GW-9000 系列）和**压力变送器**。\n\n"
     "*Three lines: industrial sensors, data gateways (GW-9000) and pressure transmitters.*"),
    ("2. 交付与保修 / Delivery and warranty", 10,
     "- 标准型号交货周期：10 个工作日 (±2)\n- 保修期：12 个月\n- 认证：ISO 9001\n\n"
     "*Standard lead time 10 working days; 12-month warranty; ISO 9001 certified.*"),
]


def _right(q: Question) -> dict:
    d = q.data
    if q.qtype == "single":
        return {"choice": max(range(len(d["answers"])), key=lambda i: Decimal(d["answers"][i]["fraction"]))}
    if q.qtype == "multi":
        return {"choices": [i for i, a in enumerate(d["answers"]) if Decimal(a["fraction"]) > 0]}
    if q.qtype == "truefalse":
        return {"value": "true" if d["correct"] else "false"}
    if q.qtype == "short":
        return {"text": d["answers"][0]["text"].replace("*", "s")}
    if q.qtype == "numerical":
        a = d["answers"][0]
        return {"text": a["min"] if a["kind"] == "range" else a["value"]}
    if q.qtype == "matching":
        return {"pairs": {str(i): p["a"] for i, p in enumerate(d["pairs"])}}
    return {"text": "……"}


def _wrong(q: Question) -> dict:
    d = q.data
    if q.qtype == "single":
        return {"choice": min(range(len(d["answers"])), key=lambda i: Decimal(d["answers"][i]["fraction"]))}
    if q.qtype == "multi":
        return {"choices": [i for i, a in enumerate(d["answers"]) if Decimal(a["fraction"]) < 0]}
    if q.qtype == "truefalse":
        return {"value": "false" if d["correct"] else "true"}
    if q.qtype == "matching":
        answers = [p["a"] for p in d["pairs"]]
        return {"pairs": {str(i): answers[(i + 1) % len(answers)] for i in range(len(answers))}}
    return {"text": "不知道"}


def _take(rep, quiz: Quiz, rng: random.Random, skill: float, when) -> None:
    attempt = services.start_attempt(rep, quiz, now=when)
    questions = {q.id: q for q in db.session.query(Question).filter(Question.id.in_([s["q"] for s in attempt.layout]))}
    responses = {n: (_right if rng.random() < skill else _wrong)(questions[s["q"]])
                 for n, s in enumerate(attempt.layout)}
    services.save_answers(rep, attempt, responses, now=when + timedelta(minutes=6))
    services.finish_attempt(attempt, now=when + timedelta(minutes=9))


def _lessons(course, rows, owner) -> list:
    return [services.save_lesson(owner, course, None, title=t, body=b, minutes=m) for t, m, b in rows]


@register_seeder(order=50)
def seed_training(ctx) -> None:
    users, teams = ctx["users"], ctx["teams"]
    rng = random.Random(50)
    with current_app.test_request_context("/"):
        zhao, qian = users["zhao.director"], users["qian.director"]
        selling = services.save_course(
            zhao, None, title="销售技巧基础 / Consultative selling basics",
            summary="顾问式销售、SPIN 提问、异议处理与跟进。\n\n*Consultative selling, SPIN questions, objections.*",
            category="销售技巧 Sales skills", team_id=None, published=True, open_to_all=False,
            tags=["电话拜访", "拜访", "新客户开发", "丢失客户"])
        product = services.save_course(
            qian, None, title="产品知识 / Product knowledge",
            summary="三条产品线、交付与保修。\n\n*Our product lines, delivery and warranty.*",
            category="产品 Product", team_id=None, published=True, open_to_all=True,
            tags=["产品知识", "需求资源"])
        selling_lessons = _lessons(selling, LESSONS_SELLING, zhao)
        product_lessons = _lessons(product, LESSONS_PRODUCT, qian)

        source = GIFT_FILE.read_text(encoding="utf-8")
        services.import_gift(zhao, selling, source)  # the whole 30-question bank
        product_part = [q for q in gift.parse(source).questions if (q["category"] or "").startswith("产品知识")]
        services.import_gift(qian, product, gift.export(product_part))

        def fixed_quiz(course, owner, title, category_prefix, **kw):
            cat = db.session.query(QuestionCategory).filter(QuestionCategory.course_id == course.id,
                                                            QuestionCategory.name.startswith(category_prefix)).one()
            ids = [q.id for q in db.session.query(Question).filter(Question.category_id == cat.id,
                                                                   Question.qtype != "essay").order_by(Question.id)]
            return services.save_quiz(owner, course, None, title=title, question_ids=ids, mode="fixed", **kw)

        selling_quiz = fixed_quiz(selling, zhao, "销售技巧测验 / Selling skills quiz", "销售技巧",
                                  intro="共 17 题，限时 20 分钟。", time_limit_minutes=20, max_attempts=3,
                                  pass_mark=Decimal("60"), per_page=5, shuffle_answers=True, grading_method="highest")
        product_quiz = fixed_quiz(product, qian, "产品知识测验 / Product quiz", "产品知识",
                                  intro="共 7 题。", time_limit_minutes=15, max_attempts=2, pass_mark=Decimal("70"),
                                  per_page=4, grading_method="highest", review_correct=True)
        today = local_today()
        services.assign(zhao, selling, team_id=teams["华东区"].id, due_on=today + timedelta(days=14))
        services.assign(zhao, product, user_ids=[users["li.na"].id], due_on=today + timedelta(days=7))
        services.assign(qian, selling, team_id=teams["华北区"].id, due_on=today + timedelta(days=1))
        # 华北区's deadline has passed already: those who have not finished are overdue.
        for a in db.session.query(Assignment).filter(Assignment.team_id == teams["华北区"].id):
            a.due_on = today - timedelta(days=3)
        db.session.flush()

        now = utcnow()
        plan = [  # rep, lessons done, quiz skill (None: no attempt), days ago
            ("li.na", 3, 1.0, 6), ("zhou.jie", 3, 0.2, 5), ("wu.fang", 1, None, 0), ("zheng.hao", 0, None, 0),
            ("sun.li", 3, 0.95, 8), ("chen.qiang", 3, 0.3, 7), ("liu.yang", 2, None, 0), ("he.jing", 0, None, 0),
        ]
        for username, lessons_done, skill, days in plan:
            rep = users[username]
            for lesson in selling_lessons[:lessons_done]:
                services.mark_lesson_done(rep, lesson)
            if skill is not None:
                _take(rep, selling_quiz, rng, skill, now - timedelta(days=days, hours=2))
        li = users["li.na"]
        for lesson in product_lessons:
            services.mark_lesson_done(li, lesson)
        _take(li, product_quiz, rng, 1.0, now - timedelta(days=1))
        # zhou.jie tried again two days later and still fell short.
        _take(users["zhou.jie"], selling_quiz, rng, 0.4, now - timedelta(days=3))
