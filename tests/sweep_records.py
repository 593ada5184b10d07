"""Records for the access sweep (tests/test_access_sweep.py): one of every record type, each carrying a
marker string in a text field, all in one team and owned by one rep.

``build(world, side="a")`` makes team A's set (owned by world.rep_a, directed by world.director_a);
``side="b"`` makes the same set for team B (world.rep_b / world.director_b) with other markers, used for
routes taking two record ids (a team-B parent with a team-A child must still be refused).

The result: ``Records.values`` maps a URL argument name to a list of alternative values (the first is
the plain record; e.g. ``customer_id`` also tries a customer in the team's public pool), and
``Records.marker(kind)`` is the text each record carries. Every marker starts with ``MARK``.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.core.db import db
from portal.core.periods import Period, local_today

MARK = "SWEEP-7f3a-"
MARK_B = "SWEEPB-91c0-"  # team B's records: never looked for, only used as parents


class Records:
    def __init__(self, side: str):
        self.side = side
        self.prefix = MARK if side == "a" else MARK_B
        self.values: dict[str, list] = {}
        self.objects: dict[str, object] = {}
        self.extra_markers: dict[str, list[str]] = {}  # kinds whose record has no text field: other tells

    def marker(self, kind: str) -> str:
        return f"{self.prefix}{kind}"

    def put(self, arg: str, kind: str, value) -> None:
        """One alternative value of a URL argument: ``kind`` names the record (the allowlists use it)."""
        self.values.setdefault(arg, []).append((kind, value))


def _who(world, side):
    if side == "a":
        return world.team_a, world.rep_a, world.director_a
    return world.team_b, world.rep_b, world.director_b


def build(world, side: str = "a") -> Records:
    from portal.approvals import services as approvals
    from portal.comms.models import (
        DirectorReport,
        PlanItem,
        SalesSummary,
        Task,
        TaskAssignment,
        Thread,
        ThreadMessage,
        WorkPlan,
        WorkReport,
    )
    from portal.contracts.models import Contract, Instalment, InvoiceRequest, Order, Payment
    from portal.customers.models import (
        Activity,
        Contact,
        Customer,
        KeepRequest,
        MarketInfo,
        Opportunity,
        OpportunityStage,
        ResourceRequest,
    )
    from portal.notifications.models import Notification
    from portal.plans.models import BudgetCategory, BudgetLine, Expense, Plan, SeasonalProfile, Target
    from portal.robots.models import Robot, RobotOutbox

    r = Records(side)
    m = r.marker
    team, rep, director = _who(world, side)
    now = datetime.now(UTC)
    today = local_today()

    # Customers: one owned by the rep, one in the team's public pool.
    customer = Customer(name=m("customer"), owner_id=rep.id, team_id=team.id, status="active",
                        notes=m("customer"), created_by_id=rep.id, activated_at=now - timedelta(days=30),
                        activated_by_id=rep.id, phone=f"1390000{team.id:04d}")
    pool_customer = Customer(name=m("pool_customer"), owner_id=None, team_id=team.id, status="prospect",
                             notes=m("pool_customer"), pool_entered_at=now - timedelta(days=40),
                             previous_owner_id=rep.id)
    db.session.add_all([customer, pool_customer])
    db.session.flush()
    contact = Contact(customer_id=customer.id, name=m("contact"), notes=m("contact"), phone="13800001111")
    activity = Activity(kind="visit", customer_id=customer.id, owner_id=rep.id, team_id=team.id,
                        occurred_at=now - timedelta(days=1), summary=m("activity"), next_step=m("activity"),
                        follow_up_on=today + timedelta(days=1))
    stage = OpportunityStage(name=m("stage"), probability=20, team_id=team.id)  # the team's own stage list
    db.session.add(stage)
    db.session.flush()
    opportunity = Opportunity(title=m("opportunity"), customer_id=customer.id, owner_id=rep.id, team_id=team.id,
                              stage_id=stage.id, amount=Decimal("1000.00"), probability=20,
                              expected_close=today + timedelta(days=20), close_note=m("opportunity"))
    request = ResourceRequest(customer_id=customer.id, kind="samples", description=m("resource_request"),
                              asked_at=now, due_at=now + timedelta(days=1), assignee_id=rep.id, team_id=team.id,
                              created_by_id=director.id)
    market = MarketInfo(kind="trend", title=m("market_info"), body=m("market_info"), customer_id=customer.id,
                        owner_id=rep.id, team_id=team.id)
    keep = KeepRequest(customer_id=customer.id, team_id=team.id, requester_id=rep.id, reason=m("keep_request"),
                       until=today + timedelta(days=10))
    db.session.add_all([contact, activity, opportunity, request, market, keep])

    # Contracts and money.
    contract = Contract(number=m("contract-no"), customer_id=customer.id, title=m("contract"),
                        amount=Decimal("1000.00"), owner_id=rep.id, team_id=team.id, signed_on=today,
                        status="signed", notes=m("contract"), created_by_id=rep.id)
    db.session.add(contract)
    db.session.flush()
    instalment = Instalment(contract_id=contract.id, number=1, due_on=today + timedelta(days=5),
                            amount=Decimal("500.00"), note=m("instalment"), owner_id=rep.id, team_id=team.id)
    db.session.add(instalment)
    db.session.flush()
    payment = Payment(contract_id=contract.id, paid_on=today, amount=Decimal("100.00"), note=m("payment"),
                      owner_id=rep.id, team_id=team.id, created_by_id=rep.id, instalment_id=instalment.id)
    order = Order(number=m("order-no"), ordered_on=today, customer_id=customer.id, contract_id=contract.id,
                  amount=Decimal("500.00"), note=m("order"), owner_id=rep.id, team_id=team.id,
                  created_by_id=rep.id)
    invoice = InvoiceRequest(contract_id=contract.id, title=m("invoice"), tax_number="91350100M000100Y43",
                             amount=Decimal("300.00"), note=m("invoice"), owner_id=rep.id, team_id=team.id,
                             requested_by_id=rep.id)
    db.session.add_all([payment, order, invoice])

    # Plans, targets, budgets, expenses (with a receipt file on disk).
    # Budget categories and seasonal profiles are company-wide lists (no team): the GM keeps them.
    category = BudgetCategory(name=m("budget_category"), position=10, active=True)
    profile = SeasonalProfile(name=m("seasonal_profile"), weights=["1"] * 12)
    db.session.add_all([category, profile])
    db.session.flush()
    year = Period.parse(str(today.year))
    plan = Plan(scope="rep", team_id=team.id, owner_id=rep.id, title=m("plan"), analysis=m("plan"),
                status="draft", created_by_id=director.id)
    plan.set_period(year)
    target_base = Decimal("73771.23") if side == "a" else Decimal("61234.56")
    target = Target(scope="rep", team_id=team.id, owner_id=rep.id, measure="sales", base=target_base,
                    updated_by_id=director.id)
    target.set_period(Period.containing("month", today))
    r.extra_markers["target"] = ["73,771.23", "73771.23"] if side == "a" else []
    line = BudgetLine(team_id=team.id, category_id=category.id, amount=Decimal("1000.00"), note=m("budget_line"))
    line.set_period(year)
    receipt_key = f"sweep/{side}/receipt.png"
    path = Path(current_app.config["UPLOAD_FOLDER"]) / receipt_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + m("receipt").encode())
    expense = Expense(team_id=team.id, owner_id=rep.id, category_id=category.id, spent_on=today,
                      amount=Decimal("100.00"), description=m("expense"), created_by_id=rep.id,
                      receipt_key=receipt_key, receipt_name=m("receipt") + ".png", receipt_type="image/png",
                      receipt_size=path.stat().st_size)
    db.session.add_all([plan, target, line, expense])
    db.session.flush()

    # Comms: a task given to the rep, a thread with a reply, plans, reports, summaries.
    task = Task(title=m("task"), description=m("task"), priority="normal", due_on=today + timedelta(days=3),
                deadline_at=now + timedelta(days=4), assigner_id=director.id, team_id=team.id)
    task.parts.append(TaskAssignment(assignee_id=rep.id, team_id=team.id, completion_report=m("task_part")))
    thread = Thread(author_id=rep.id, team_id=team.id, kind="difficulty", subject=m("thread"), created_at=now,
                    last_message_at=now, customer_id=customer.id)
    thread.messages.append(ThreadMessage(author_id=rep.id, body=m("thread")))
    thread.messages.append(ThreadMessage(author_id=director.id, body=m("reply")))
    start = today - timedelta(days=today.weekday())
    work_plan = WorkPlan(owner_id=rep.id, team_id=team.id, cadence="week", period_start=start, notes=m("work_plan"),
                         due_at=now, submitted_at=now)
    work_plan.items.append(PlanItem(position=0, text=m("work_plan")))
    work_report = WorkReport(owner_id=rep.id, team_id=team.id, cadence="week", period_start=start - timedelta(7),
                             summary=m("work_report"), problems=m("work_report"), due_at=now, submitted_at=now)
    summary = SalesSummary(owner_id=rep.id, team_id=team.id, period_kind="month",
                           period_key=Period.containing("month", today).key, work_done=m("summary"),
                           results=m("summary"), figures=[], submitted_at=now)
    dreport = DirectorReport(author_id=director.id, team_id=team.id, period_kind="month",
                             period_key=Period.containing("month", today).key, body=m("dreport"), figures=[],
                             submitted_at=now)
    db.session.add_all([task, thread, work_plan, work_report, summary, dreport])

    # A robot of the team, with a message in its log.
    robot = Robot(team_id=team.id, name=m("robot"), platform="wecom",
                  url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={m('robot-key')}",
                  events=["task_assigned_team"], created_by_id=director.id)
    db.session.add(robot)
    db.session.flush()
    outbox = RobotOutbox(robot_id=robot.id, event="task_assigned_team", title=m("robot_message"),
                         body={"msgtype": "text", "text": {"content": m("robot_message")}}, status="failed")
    note = Notification(user_id=rep.id, kind="task_assigned", title=m("notification"), body=m("notification"),
                        link=f"/comms/tasks/{task.id}", actor_id=director.id)
    db.session.add_all([outbox, note])
    db.session.flush()

    # An approval request (the expense, submitted by the rep).
    approval = approvals.submit(rep, "expense", "expense", expense.id, team.id, Decimal("100.00"), m("approval"),
                                f"/plans/expenses?expense={expense.id}")
    db.session.flush()
    db.session.commit()

    # Appraisal: a cycle of the team with the rep's sheet, and a personnel note on the rep.
    from portal.appraisals import services as appraisals
    from portal.appraisals.models import PersonnelNote

    period = Period.containing("month", today - timedelta(days=40))
    cycle = appraisals.open_cycle(director, team.id, period)
    db.session.flush()
    sheet = next(a for a in cycle.appraisals if a.rep_id == rep.id)
    sheet.self_assessment = m("appraisal")
    sheet.comment = m("appraisal")
    sheet.items[0].remark = m("appraisal")
    db.session.add(PersonnelNote(rep_id=rep.id, team_id=team.id, kind="warning", on=today, text=m("personnel_note"),
                                 author_id=director.id))
    db.session.commit()

    # Training: a course of the team assigned to the rep, an attempt, a certificate, a file.
    training = _training(rep, director, m)

    r.objects.update(budget_category=category, seasonal_profile=profile, stage=stage, customer=customer,
                     pool_customer=pool_customer, contact=contact, activity=activity,
                     opportunity=opportunity, resource_request=request, market_info=market, keep_request=keep,
                     contract=contract, instalment=instalment, payment=payment, order=order, invoice=invoice,
                     plan=plan, target=target, budget_line=line, expense=expense, task=task, thread=thread,
                     work_plan=work_plan, work_report=work_report, summary=summary, dreport=dreport, robot=robot,
                     robot_message=outbox, notification=note, approval=approval, cycle=cycle, appraisal=sheet,
                     **training)
    o = r.objects
    for arg, kind in (("customer_id", "customer"), ("customer_id", "pool_customer"), ("contact_id", "contact"),
                      ("activity_id", "activity"), ("opportunity_id", "opportunity"),
                      ("resource_request_id", "resource_request"), ("market_info_id", "market_info"),
                      ("keep_request_id", "keep_request"), ("contract_id", "contract"),
                      ("instalment_id", "instalment"), ("payment_id", "payment"), ("order_id", "order"),
                      ("invoice_id", "invoice"), ("plan_id", "plan"), ("category_id", "budget_category"),
                      ("profile_id", "seasonal_profile"),
                      # /plans/<plan_id> and /comms/plans/<plan_id> share the argument name: try both records
                      ("plan_id", "work_plan"), ("line_id", "budget_line"), ("expense_id", "expense"),
                      ("task_id", "task"), ("thread_id", "thread"), ("report_id", "work_report"),
                      ("summary_id", "summary"), ("dreport_id", "dreport"), ("robot_id", "robot"),
                      ("robot_message_id", "robot_message"), ("note_id", "notification"),
                      ("approval_id", "approval"), ("cycle_id", "cycle"), ("appraisal_id", "appraisal"),
                      ("course_id", "course"), ("quiz_id", "quiz"), ("attempt_id", "attempt"),
                      ("lesson_id", "lesson"), ("file_id", "file"), ("question_id", "question"),
                      ("completion_id", "completion"), ("assignment_id", "assignment")):
        r.put(arg, kind, o[kind].id)
    r.put("part_id", "task", task.parts[0].id)
    r.put("list_item_id", "stage", stage.id)
    r.put("stage_id", "stage", stage.id)  # /customers/pipeline/stages/<stage_id>: the board's next cards
    r.put("user_id", "rep", rep.id)
    r.put("team_id", "team", team.id)
    r.put("chain_team_id", "team", team.id)
    return r


def _training(rep, director, m) -> dict:
    from samples_training import make_course, right_answers

    from portal.core.uploads import StoredFile
    from portal.training import services
    from portal.training.models import Assignment, Question

    gift = (f"::{m('question')}::{m('question')} is what colour? "
            "{=yellow ~red ~blue}\n\n::Sum::1 + 1 = 2 {T}\n")
    course, quiz = make_course(director, title=m("course"), gift_source=gift, lessons=1)
    quiz.title = m("quiz")
    quiz.intro = m("quiz")
    lesson = course.lessons[0]
    lesson.title = m("lesson")
    lesson.body = m("lesson")
    db.session.add(Assignment(course_id=course.id, user_id=rep.id, team_id=rep.team_id, assigned_by_id=director.id,
                              due_on=date.today() + timedelta(days=7)))
    db.session.commit()
    attempt = services.start_attempt(rep, quiz)
    services.save_answers(rep, attempt, right_answers(attempt))
    services.finish_attempt(attempt)
    key = f"sweep/{rep.id}/attachment.png"
    path = Path(current_app.config["UPLOAD_FOLDER"]) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + m("file").encode())
    stored = StoredFile(key=key, original_name=m("file") + ".png", content_type="image/png",
                        size=path.stat().st_size)
    f = services.add_file(director, course, lesson, stored)
    services.mark_lesson_done(rep, lesson)
    completion = services.check_completion(rep, course)
    question = db.session.scalar(select(Question).where(Question.course_id == course.id).order_by(Question.id))
    assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == course.id))
    db.session.commit()
    assert completion is not None
    return {"course": course, "quiz": quiz, "attempt": attempt, "lesson": lesson, "file": f, "question": question,
            "completion": completion, "assignment": assignment}
