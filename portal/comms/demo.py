"""Demo communication: tasks in every state, threads (one escalated), two months of weekly plans
and reports (a few late, a few missing), a monthly summary per rep and a director's report."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import current_app, url_for

from ..core.db import db
from ..core.periods import Period, local_today
from ..demo import register_seeder
from ..notifications.models import Notification
from .models import (
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
from .schedule import Rules, slot_for
from .services import _end_of_day, comms_figures_for_reps

PLAN_ITEMS = [
    "拜访上海恒瑞医药采购部，确认年度框架协议", "电话回访苏州博世汽车部件的样品反馈", "整理杭州海康威视的报价单",
    "参加南京行业展会并收集潜在客户名单", "跟进无锡先导智能的合同条款", "准备宁波舟山港项目的方案演示",
    "回访北京京东方的技术对接人", "拜访天津中环半导体，了解扩产计划", "整理石家庄以岭药业的回款计划",
    "电话联系唐山三友化工的新联系人", "更新客户资料和跟进记录", "与技术支持确认交付时间表",
]
RESULTS = ["客户确认下月签约", "已拿到样品测试报告", "报价已发出，等待反馈", "收集名片 23 张", "合同条款基本谈妥",
           "客户要求补充资料", "约定下周再次拜访"]
PROBLEMS = ["客户决策周期拉长", "竞争对手报价低 8%", "样品到货延迟", "对方负责人出差", ""]


def _at(day, hour, minute=0):
    from ..core.periods import company_tz

    return datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute),
                            tzinfo=company_tz()).astimezone(UTC)


@register_seeder(order=40)
def seed_comms(ctx) -> None:
    rng = random.Random(4040)
    users, teams = ctx["users"], ctx["teams"]
    gm = users["gm"]
    today = local_today()
    east = ["li.na", "zhou.jie", "wu.fang", "zheng.hao"]
    north = ["sun.li", "chen.qiang", "liu.yang", "he.jing"]
    directors = {"华东区": users["zhao.director"], "华北区": users["qian.director"]}
    now = datetime.now(UTC)

    # Tasks: GM → directors, broken down by the East director; director → reps in every state.
    gm_due = today + timedelta(days=20)
    gm_task = Task(title="第四季度重点客户回款攻坚", description="各区域梳理应收账款，**月底前**回款率达到 90%。",
                   priority="high", due_on=gm_due, deadline_at=_end_of_day(gm_due),
                   assigner_id=gm.id, team_id=None, created_at=now - timedelta(days=6))
    for d in directors.values():
        gm_task.parts.append(TaskAssignment(assignee_id=d.id, team_id=d.team_id, status="in_progress"))
    db.session.add(gm_task)
    db.session.flush()
    sub = Task(title="华东区回款攻坚：逐户跟进应收账款", description="每人负责名下客户，周五前汇报进展。",
               priority="high", due_on=today + timedelta(days=12), deadline_at=_end_of_day(today + timedelta(days=12)),
               assigner_id=directors["华东区"].id, team_id=teams["华东区"].id, parent_id=gm_task.id,
               created_at=now - timedelta(days=5))
    states = ["accepted", "done", "in_progress", "open"]
    for name, state in zip(east, states, strict=True):
        rep = users[name]
        part = TaskAssignment(assignee_id=rep.id, team_id=rep.team_id, status=state)
        if state in ("done", "accepted"):
            part.completion_report = "已完成名下 6 家客户的对账，回款 42 万元。"
            part.completed_at = now - timedelta(days=2)
        if state == "accepted":
            part.review_comment = "很好，继续保持。"
            part.reviewed_at = now - timedelta(days=1)
        sub.parts.append(part)
    db.session.add(sub)
    specs = [
        ("整理重点客户拜访计划", "华东区", east[:2], -3, ["done", "accepted"]),
        ("更新 CRM 中的联系人信息", "华东区", east, -8, ["accepted", "accepted", "open", "in_progress"]),
        ("准备行业展会物料", "华北区", north[:2], 5, ["in_progress", "open"]),
        ("收集竞争对手价格信息", "华北区", north, -2, ["done", "open", "accepted", "in_progress"]),
        ("客户满意度回访", "华北区", north[2:], 9, ["open", "open"]),
    ]
    for title, team, names, due_delta, part_states in specs:
        due = today + timedelta(days=due_delta)
        director = directors[team]
        task = Task(title=title, description=f"{title}，完成后在系统里提交完成说明。", priority=rng.choice(
            ["low", "normal", "high"]), due_on=due, deadline_at=_end_of_day(due), assigner_id=director.id,
            team_id=director.team_id, created_at=now - timedelta(days=14))
        for name, state in zip(names, part_states, strict=True):
            rep = users[name]
            part = TaskAssignment(assignee_id=rep.id, team_id=rep.team_id, status=state)
            if state in ("done", "accepted"):
                part.completion_report = "已完成，详见附件说明。"
                part.completed_at = min(now, _end_of_day(due)) - timedelta(hours=rng.randint(2, 60))
            if state == "accepted":
                part.reviewed_at = part.completed_at + timedelta(hours=3)
            if state == "in_progress" and rng.random() < 0.5:
                part.review_comment = "请补充客户名单后再提交。"
                part.sent_back_count = 1
            task.parts.append(part)
        db.session.add(task)

    # Threads: difficulties, needs, a question; one escalated to the GM, one resolved.
    thread_specs = [
        ("li.na", "difficulty", "恒瑞医药要求延长账期到 120 天",
         "客户采购部坚持 120 天账期，否则转向竞争对手。请指示。", "escalated"),
        ("zhou.jie", "resource", "博世项目需要技术支持到现场",
         "客户希望下周三安排工程师到现场做方案讲解。", "answered"),
        ("wu.fang", "question", "新产品的渠道价格何时公布？", "多家经销商在询问新品价格。", "waiting"),
        ("sun.li", "suggestion", "建议增加华北区的样品库存", "样品从上海调货需要一周，影响签约节奏。", "resolved"),
        ("chen.qiang", "difficulty", "中环半导体付款流程卡在财务审批", "对方财务要求补充发票信息。", "answered"),
    ]
    for i, (name, kind, subject, body, fate) in enumerate(thread_specs):
        rep = users[name]
        director = directors[rep.team.name]
        start = now - timedelta(days=9 - i, hours=3)
        thread = Thread(author_id=rep.id, team_id=rep.team_id, kind=kind, subject=subject, created_at=start,
                        last_message_at=start)
        thread.messages.append(ThreadMessage(author_id=rep.id, body=body, created_at=start))
        if fate != "waiting":
            at = start + timedelta(hours=2 + i)
            thread.messages.append(ThreadMessage(author_id=director.id, created_at=at,
                                                 body="收到，我先了解一下情况，今天给你答复。"))
            thread.first_reply_at = thread.last_message_at = at
        if fate == "escalated":
            at = start + timedelta(hours=20)
            thread.messages.append(ThreadMessage(author_id=director.id, event="escalated", created_at=at,
                                                 body="账期超出公司政策，需要总经理决定。"))
            thread.escalated_at, thread.escalated_by_id = at, director.id
            at2 = at + timedelta(hours=5)
            thread.messages.append(ThreadMessage(author_id=gm.id, body="可以给到 90 天，超出部分需客户提供担保。",
                                                 created_at=at2))
            thread.last_message_at = at2
        if fate == "resolved":
            at = start + timedelta(days=1)
            thread.messages.append(ThreadMessage(author_id=director.id, body="已申请增加样品库存，下周到货。",
                                                 event="resolved", created_at=at))
            thread.status, thread.resolved_at, thread.last_message_at = "resolved", at, at
        db.session.add(thread)
        db.session.flush()
        db.session.add(ThreadRead(thread_id=thread.id, user_id=rep.id, read_at=thread.last_message_at))

    # Two months of weekly plans and reports: a few late, a few missing.
    rules = Rules()
    week = slot_for(rules, today)
    slots = []
    day = week.start - timedelta(days=7)
    while day >= today - timedelta(days=62):
        slot = slot_for(rules, day)
        if slot.plan_due and slot.report_due:
            slots.append(slot)
        day -= timedelta(days=7)
    for name in east + north:
        rep = users[name]
        for n, slot in enumerate(slots):
            roll = rng.random()
            if roll < 0.07:
                continue  # missing altogether
            plan_late = roll > 0.9
            plan_at = slot.plan_due + (timedelta(hours=rng.randint(2, 30)) if plan_late
                                       else -timedelta(hours=rng.randint(1, 3), minutes=rng.randint(0, 59)))
            plan = WorkPlan(owner_id=rep.id, team_id=rep.team_id, cadence="week", period_start=slot.start,
                            due_at=slot.plan_due, submitted_at=plan_at, late=plan_late)
            texts = rng.sample(PLAN_ITEMS, 3)
            for pos, text in enumerate(texts):
                plan.items.append(PlanItem(position=pos, text=text))
            if n == 1 and name in ("li.na", "sun.li"):
                plan.comment, plan.commented_by_id = "计划很具体，注意优先跟进大客户。", directors[rep.team.name].id
                plan.commented_at = plan_at + timedelta(hours=5)
            db.session.add(plan)
            db.session.flush()
            if rng.random() < 0.06:
                continue  # plan filed, report missing
            report_late = rng.random() < 0.15
            report_at = slot.report_due + (timedelta(hours=rng.randint(1, 40)) if report_late
                                           else -timedelta(hours=rng.randint(1, 8)))
            report = WorkReport(owner_id=rep.id, team_id=rep.team_id, plan_id=plan.id, cadence="week",
                                period_start=slot.start, summary="本周按计划推进，重点客户进展顺利。",
                                problems=rng.choice(PROBLEMS) or None, due_at=slot.report_due,
                                submitted_at=report_at, late=report_late)
            for pos, item in enumerate(plan.items):
                report.items.append(ReportItem(plan_item_id=item.id, position=pos, text=item.text,
                                               done=rng.random() < 0.8, result=rng.choice(RESULTS),
                                               problems=rng.choice(PROBLEMS) or None))
            if n == 0 and name in ("zhou.jie", "he.jing"):
                report.comment, report.commented_by_id = "问题记录得很清楚，下周我陪你一起拜访。", \
                    directors[rep.team.name].id
                report.commented_at = report_at + timedelta(hours=3)
            db.session.add(report)

    # This week: most reps have filed their plan (one per team has not yet).
    if week.plan_due and week.plan_due < now:
        for name in east[:3] + north[1:]:
            rep = users[name]
            plan = WorkPlan(owner_id=rep.id, team_id=rep.team_id, cadence="week", period_start=week.start,
                            due_at=week.plan_due, submitted_at=week.plan_due - timedelta(hours=2))
            for pos, text in enumerate(rng.sample(PLAN_ITEMS, 3)):
                plan.items.append(PlanItem(position=pos, text=text))
            db.session.add(plan)

    # A monthly summary per rep (last month), half of them answered; a director report from the East.
    last_month = Period.current("month").previous()
    for i, name in enumerate(east + north):
        rep = users[name]
        summary = SalesSummary(
            owner_id=rep.id, team_id=rep.team_id, period_kind="month", period_key=last_month.key,
            work_done="拜访客户 18 家，电话拜访 42 次，参加行业展会 1 次。",
            results="签约 3 单，合同金额 126 万元，完成月度指标的 92%。",
            success_rules="先摸清采购决策链，再安排技术交流，签约周期明显缩短。",
            failed_cases="某汽车零部件客户因价格原因转向竞争对手。",
            improvements="提前准备差异化方案，减少单纯价格竞争。",
            figures=comms_figures_for_reps([rep.id], last_month),
            submitted_at=_at(last_month.end, 10) + timedelta(days=i % 3))
        if i % 2 == 0:
            summary.answer = "总结到位。下月重点突破两家战略客户。"
            summary.answered_by_id = directors[rep.team.name].id
            summary.answered_at = summary.submitted_at + timedelta(hours=6)
        db.session.add(summary)
    east_team = teams["华东区"]
    reps_east = [users[n].id for n in east]
    figures = comms_figures_for_reps(reps_east, last_month)
    db.session.add(DirectorReport(
        author_id=directors["华东区"].id, team_id=east_team.id, period_kind="month", period_key=last_month.key,
        body=("## 本月概况\n\n华东区整体推进顺利，重点客户回款进度良好。\n\n"
              "## 需要支持\n\n- 恒瑞医药账期问题已上报\n- 建议增加技术支持人员"),
        figures=figures, submitted_at=_at(last_month.end, 16) + timedelta(days=1)))
    db.session.flush()

    # A few unread notifications, so the inbox and its badge have something to show.
    with current_app.test_request_context("/"):
        link = url_for("comms.task_detail", task_id=sub.id)
        for name in east:
            db.session.add(Notification(user_id=users[name].id, kind="task_assigned",
                                        title=f"新任务：{sub.title}", link=link, actor_id=directors["华东区"].id,
                                        created_at=now - timedelta(days=5)))
        db.session.add(Notification(user_id=gm.id, kind="thread_escalated",
                                    title="赵敏 上报：恒瑞医药要求延长账期到 120 天",
                                    link=url_for("comms.threads", escalated=1), actor_id=directors["华东区"].id,
                                    created_at=now - timedelta(days=8)))
    db.session.flush()
