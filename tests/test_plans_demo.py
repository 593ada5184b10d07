"""The demo company gives the GM's view real figures on first run."""
from __future__ import annotations

from conftest import sign_in
from sqlalchemy import func, select

from portal.approvals import services as approvals
from portal.contracts.models import CONTRACT_STATUSES, Contract, Order, Payment
from portal.core.db import db
from portal.core.periods import Period
from portal.demo import seed_demo
from portal.plans import queries, services
from portal.plans.models import Expense, Plan, Target


def test_demo_data_makes_the_status_pages_meaningful(app, client):
    ctx = seed_demo()
    db.session.commit()
    assert db.session.scalar(select(Plan.status).where(Plan.scope == "company")) == "approved"
    year, month = Period.current("year"), Period.current("month")
    for rep in ctx["reps"]:
        assert queries.rep_targets([rep.id], month, "sales")[rep.id] > 0
    assert db.session.scalar(select(func.count(Target.id)).where(Target.period_kind == "quarter")) > 0
    assert db.session.scalar(select(func.count(Expense.id))) > 0
    assert db.session.scalar(select(func.count(Expense.id)).where(Expense.over_budget.is_(True))) > 0
    # Through the approval engine: 华北区's plan waits at the GM step, a 华东区 expense at the director's.
    users = ctx["users"]
    north = db.session.scalar(select(Plan).where(Plan.title.like("华北区%年度销售计划")))
    req = approvals.latest_request("plan", north.id)
    assert north.status == "submitted" and req.status == "pending" and req.current_role == "gm"
    assert [s.status for s in req.steps] == ["skipped", "waiting"]
    east = db.session.scalar(select(Plan).where(Plan.title.like("华东区%年度销售计划")))
    assert east.status == "approved" and approvals.latest_request("plan", east.id).status == "approved"
    assert approvals.todo_count(users["gm"]) >= 1
    waiting = db.session.scalar(select(Expense).where(Expense.approval_status == "pending"))
    expense_req = approvals.latest_request("expense", waiting.id)
    assert expense_req.current_role == "director" and expense_req.team_id == ctx["teams"]["华东区"].id
    assert waiting.amount > services.expense_threshold(waiting.team_id)
    assert approvals.todo_count(users["zhao.director"]) >= 1
    if db.session.scalar(select(func.count(Contract.id))):  # contracts need the customer log's demo customers
        assert set(db.session.scalars(select(Contract.status).distinct())) == set(CONTRACT_STATUSES)
        assert db.session.scalar(select(func.count(Payment.id))) > 0
        assert db.session.scalar(select(func.min(Order.ordered_on))) < month.start
        company = queries.scope_status(year, "company")
        assert company["sales"].actual > 0 and company["sales"].completion is not None
    users = ctx["users"]
    for username, urls in (("gm", ["/", "/plans/overview", "/plans/status", "/plans/budgets", "/contracts/",
                                    "/plans/targets?scope=company", "/plans/", "/plans/expenses?flagged=1"]),
                           ("zhao.director", ["/", "/plans/overview", "/plans/status", "/plans/targets",
                                              "/plans/budgets", "/contracts/orders"]),
                           ("li.na", ["/", "/plans/status", "/plans/", "/contracts/", "/plans/expenses/new"])):
        sign_in(client, users[username])
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)
