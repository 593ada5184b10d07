"""Budgets and expenses: budget vs actual by hand, the overspend confirmation, receipts, who may record."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_plans import speak_english
from sqlalchemy import select

from portal.approvals import services as approvals
from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.periods import Period
from portal.notifications.models import Notification
from portal.plans import queries, services
from portal.plans.models import BudgetCategory, BudgetLine, Expense

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


def fetch(client, url):
    """(status, body) of a GET, closing the response (sent files hold an open handle)."""
    resp = client.get(url)
    try:
        return resp.status_code, resp.data
    finally:
        resp.close()


@pytest.fixture
def budget(world):
    travel = BudgetCategory(name="Travel", position=10)
    shows = BudgetCategory(name="Trade shows", position=20)
    db.session.add_all([travel, shows])
    db.session.flush()
    line = BudgetLine(team_id=world.team_a.id, category_id=travel.id, amount=Decimal("10000.00"))
    line.set_period(Period.parse("2026"))
    month = BudgetLine(team_id=world.team_a.id, category_id=travel.id, amount=Decimal("1500.00"))
    month.set_period(Period.parse("2026-03"))
    db.session.add_all([line, month])
    for day, amount in ((date(2026, 3, 2), "1200.00"), (date(2026, 3, 20), "250.50"), (date(2026, 5, 1), "3000.00"),
                        (date(2025, 12, 31), "999.00")):
        db.session.add(Expense(team_id=world.team_a.id, owner_id=world.rep_a.id, category_id=travel.id,
                               spent_on=day, amount=Decimal(amount), description="trip",
                               created_by_id=world.director_a.id))
    db.session.add(Expense(team_id=world.team_b.id, owner_id=world.rep_b.id, category_id=travel.id,
                           spent_on=date(2026, 3, 3), amount=Decimal("5000.00"), description="other team",
                           created_by_id=world.director_b.id))
    db.session.commit()
    return {"travel": travel, "shows": shows, "year": line, "march": month}


def test_budget_vs_actual_by_hand(budget, world):
    rows = {r["line"].period_key: r for r in queries.lines_with_actuals(select(BudgetLine))}
    # Year: 1,200 + 250.50 + 3,000 (December 2025 and team B do not count).
    assert rows["2026"]["spent"] == Decimal("4450.50")
    assert rows["2026"]["remaining"] == Decimal("5549.50")
    assert rows["2026"]["used"] == Decimal("44.5") and not rows["2026"]["over"]
    assert rows["2026-03"]["spent"] == Decimal("1450.50") and rows["2026-03"]["remaining"] == Decimal("49.50")
    by_team = queries.budget_by_team(Period.parse("2026"))
    # The year line stands for the category (the March line is inside it); team B has no budget.
    assert by_team[world.team_a.id]["planned"] == Decimal("10000.00")
    assert by_team[world.team_a.id]["spent"] == Decimal("4450.50")
    assert by_team[world.team_b.id] == {"planned": Decimal("0.00"), "spent": Decimal("5000.00"),
                                        "pending": Decimal("0.00"), "used": None, "over": True}
    # Seen from March, the year line is still the one in effect for travel (not the smaller March line).
    march = queries.budget_by_team(Period.parse("2026-03"), [world.team_a.id])[world.team_a.id]
    assert (march["planned"], march["spent"], march["used"]) == (Decimal("10000.00"), Decimal("4450.50"),
                                                                  Decimal("44.5"))


def test_overspend_asks_for_confirmation_and_flags_for_the_gm(client, budget, world):
    sign_in(client, world.director_a)
    data = {"owner_id": world.rep_a.id, "category_id": budget["travel"].id, "spent_on": "2026-03-25",
            "amount": "100.00", "description": "taxi to customer"}
    resp = client.post("/plans/expenses/new", data=data)
    assert resp.status_code == 200 and 'name="confirm"' in resp.get_data(as_text=True)
    assert "¥49.50" in resp.get_data(as_text=True)  # what was left on the March line
    assert db.session.scalar(select(Expense).where(Expense.description == "taxi to customer")) is None
    resp = client.post("/plans/expenses/new", data={**data, "confirm": "1"})
    assert resp.status_code == 302
    expense = db.session.scalar(select(Expense).where(Expense.description == "taxi to customer"))
    assert expense.over_budget is True
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.gm.id))
    assert note.kind == "expense_overspend"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "overspend_confirmed"))
    # Within budget: saved at once, not flagged.
    resp = client.post("/plans/expenses/new",
                       data={**data, "spent_on": "2026-06-01", "description": "overnight train ticket"})
    assert resp.status_code == 302
    train = db.session.scalar(select(Expense).where(Expense.description == "overnight train ticket"))
    assert train.over_budget is False
    sign_in(client, world.gm)
    page = client.get("/plans/expenses?flagged=1").get_data(as_text=True)
    assert "taxi to customer" in page and "overnight train ticket" not in page


def test_reps_record_expenses_only_when_the_team_allows(client, budget, world):
    sign_in(client, world.rep_a)
    resp = client.get("/plans/expenses/new")
    assert resp.status_code == 302  # not allowed yet
    sign_in(client, world.director_b)
    assert client.post("/plans/budgets/settings", data={"team_id": world.team_a.id, "reps_add": "y",
                                                        "threshold": "5000"}).status_code == 404
    sign_in(client, world.director_a)
    assert client.post("/plans/budgets/settings", data={"team_id": world.team_a.id, "reps_add": "y",
                                                        "threshold": "5000"}).status_code == 302
    sign_in(client, world.rep_a)
    assert client.get("/plans/expenses/new").status_code == 200
    data = {"owner_id": world.rep_a2.id, "category_id": budget["travel"].id, "spent_on": "2026-06-02",
            "amount": "10.00", "description": "for someone else"}
    resp = client.post("/plans/expenses/new", data=data)
    assert resp.status_code == 200  # the choice is not offered: a rep records only their own
    assert db.session.scalar(select(Expense).where(Expense.description == "for someone else")) is None
    data = {**data, "owner_id": world.rep_a.id, "description": "bus",
            "receipt": (io.BytesIO(PDF), "bus.pdf")}
    resp = client.post("/plans/expenses/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    expense = db.session.scalar(select(Expense).where(Expense.description == "bus"))
    assert expense.owner_id == world.rep_a.id and expense.receipt_name == "bus.pdf"
    url = f"/plans/expenses/{expense.id}/receipt"
    assert fetch(client, url) == (200, PDF)
    for who, status in ((world.rep_a2, 404), (world.director_b, 404), (world.rep_b, 404),
                        (world.director_a, 200), (world.gm, 200)):
        sign_in(client, who)
        assert fetch(client, url)[0] == status, who.username
    sign_in(client, world.admin)
    assert fetch(client, url)[0] == 403


def test_receipt_kept_through_the_confirmation(client, budget, world):
    sign_in(client, world.director_a)
    data = {"owner_id": world.rep_a.id, "category_id": budget["shows"].id, "spent_on": "2026-04-01",
            "amount": "800.00", "description": "booth deposit"}
    resp = client.post("/plans/expenses/new", data={**data, "receipt": (io.BytesIO(PDF), "booth.pdf")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "no budget" in page.lower()
    token = page.split('name="receipt_token" value="')[1].split('"')[0]
    resp = client.post("/plans/expenses/new", data={**data, "confirm": "1", "receipt_token": token})
    assert resp.status_code == 302
    expense = db.session.scalar(select(Expense).where(Expense.description == "booth deposit"))
    assert expense.over_budget and expense.receipt_name == "booth.pdf"
    assert fetch(client, f"/plans/expenses/{expense.id}/receipt") == (200, PDF)
    # A forged token is ignored.
    resp = client.post("/plans/expenses/new", data={**data, "description": "forged", "confirm": "1",
                                                    "receipt_token": token + "x"})
    assert db.session.scalar(select(Expense).where(Expense.description == "forged")).receipt_key is None


def test_budget_lines_only_by_managers_of_the_team(client, budget, world):
    sign_in(client, world.director_a)
    resp = client.post("/plans/budgets/new", data={"team_id": world.team_a.id, "period": "2026-Q2",
                                                   "category_id": budget["shows"].id, "amount": "20000"})
    assert resp.status_code == 302
    resp = client.post("/plans/budgets/new", data={"team_id": world.team_a.id, "period": "2026-Q2",
                                                   "category_id": budget["shows"].id, "amount": "5"})
    assert resp.status_code == 200 and "already has a budget line" in resp.get_data(as_text=True)
    page = client.get(f"/plans/budgets?team_id={world.team_a.id}&period=2026").get_data(as_text=True)
    assert "¥5,549.50" in page and "¥20,000.00" in page
    sign_in(client, world.director_b)
    assert client.get(f"/plans/budgets?team_id={world.team_a.id}").status_code == 404
    assert client.get(f"/plans/budgets/{budget['year'].id}/edit").status_code == 404
    assert client.post(f"/plans/budgets/{budget['year'].id}/delete").status_code == 404
    sign_in(client, world.rep_a)
    assert client.get("/plans/budgets").status_code == 403
    sign_in(client, world.gm)
    assert client.post(f"/plans/budgets/{budget['march'].id}/delete").status_code == 302
    assert db.session.get(BudgetLine, budget["march"].id) is None
    assert client.post("/plans/budgets/categories", data={"name": "Samples", "position": "5",
                                                          "active": "y"}).status_code == 302
    sign_in(client, world.director_a)
    assert client.get("/plans/budgets/categories").status_code == 403


# Expenses above the team's threshold go through the approval engine ------------------------------

def _settings(client, who, team, **data):
    sign_in(client, who)
    return client.post("/plans/budgets/settings", data={"team_id": team.id, **data})


def _spend(client, budget, rep, day, amount, text):
    resp = client.post("/plans/expenses/new", data={"owner_id": rep.id, "category_id": budget["travel"].id,
                                                    "spent_on": day, "amount": amount, "description": text})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    return db.session.scalar(select(Expense).where(Expense.description == text))


def _figures(world):
    year = {r["line"].period_key: r for r in queries.lines_with_actuals(select(BudgetLine))}["2026"]
    team = queries.budget_by_team(Period.parse("2026"), [world.team_a.id])[world.team_a.id]
    return year["spent"], year["pending"], year["remaining"], team["spent"], team["pending"]


def test_threshold_is_a_team_setting_with_validation(client, budget, world):
    assert services.expense_threshold(world.team_a.id) == Decimal("5000.00")  # the default
    sign_in(client, world.director_a)
    page = client.get(f"/plans/budgets?team_id={world.team_a.id}&period=2026").get_data(as_text=True)
    assert "Expenses above ¥5,000.00 need approval." in page
    assert client.get(f"/plans/budgets/settings?team_id={world.team_a.id}").status_code == 200
    for bad, message in (("abc", "Not a valid decimal"), ("-5", "Number must be"), ("", "This field is required")):
        resp = _settings(client, world.director_a, world.team_a, threshold=bad)
        assert resp.status_code == 200 and message in resp.get_data(as_text=True), bad
        assert 'id="budget-settings"' in resp.get_data(as_text=True)
    assert services.expense_threshold(world.team_a.id) == Decimal("5000.00")
    assert _settings(client, world.director_a, world.team_a, threshold="1,000").status_code == 302
    assert services.expense_threshold(world.team_a.id) == Decimal("1000.00")
    assert services.expense_threshold(world.team_b.id) == Decimal("5000.00")  # per team
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "setting",
                                                      AuditEntry.summary.like("%threshold=1000.00")))
    # Only the team's director and the GM.
    assert _settings(client, world.director_b, world.team_a, threshold="1").status_code == 404
    assert _settings(client, world.rep_a, world.team_a, threshold="1").status_code == 403
    assert _settings(client, world.admin, world.team_a, threshold="1").status_code == 403
    assert _settings(client, world.gm, world.team_b, threshold="2500.50").status_code == 302
    assert services.expense_threshold(world.team_a.id) == Decimal("1000.00")
    assert services.expense_threshold(world.team_b.id) == Decimal("2500.50")


def test_expenses_above_the_threshold_count_only_once_approved(client, budget, world):
    """By hand, team A's 2026 travel line (¥10,000): ¥4,450.50 spent before (see above); threshold ¥1,000."""
    assert _settings(client, world.director_a, world.team_a, threshold="1000", reps_add="y").status_code == 302
    sign_in(client, world.rep_a)
    small = _spend(client, budget, world.rep_a, "2026-06-01", "800.00", "taxi")
    exact = _spend(client, budget, world.rep_a, "2026-06-04", "1000.00", "train, exactly the threshold")
    big = _spend(client, budget, world.rep_a, "2026-06-02", "2000.00", "client dinner")
    refused = _spend(client, budget, world.rep_a, "2026-06-03", "1500.00", "first-class flight")
    assert (small.approval_status, exact.approval_status) == (None, None)
    assert (big.approval_status, refused.approval_status) == ("pending", "pending")
    req = approvals.latest_request("expense", big.id)
    assert (req.kind, req.team_id, req.amount, req.current_role) == ("expense", world.team_a.id,
                                                                      Decimal("2000.00"), "director")
    # Spent: 4,450.50 + 800 + 1,000 = 6,250.50; waiting: 2,000 + 1,500 = 3,500; left: 3,749.50.
    assert _figures(world) == (Decimal("6250.50"), Decimal("3500.00"), Decimal("3749.50"), Decimal("6250.50"),
                               Decimal("3500.00"))
    # While it waits the expense cannot be deleted.
    client.post(f"/plans/expenses/{big.id}/delete")
    assert db.session.get(Expense, big.id) is not None

    # The right approver only: team A's director (not the GM at this step, not team B's director).
    sign_in(client, world.gm)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 403
    sign_in(client, world.director_b)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 404
    sign_in(client, world.director_a)
    assert "client dinner" in client.get("/approvals/").get_data(as_text=True)
    assert client.post(f"/approvals/{req.id}/decide", data={"decision": "approve"}).status_code == 302
    no = approvals.latest_request("expense", refused.id)
    assert client.post(f"/approvals/{no.id}/decide", data={"decision": "reject", "comment": "Economy only"}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Expense, big.id).approval_status == "approved"
    assert db.session.get(Expense, refused.id).approval_status == "rejected"
    # Approved counts: 6,250.50 + 2,000 = 8,250.50; the rejected 1,500 counts nowhere; nothing waits.
    assert _figures(world) == (Decimal("8250.50"), Decimal("0.00"), Decimal("1749.50"), Decimal("8250.50"),
                               Decimal("0.00"))

    # Returned or withdrawn, an expense still waits (it is not spent until approved).
    sign_in(client, world.rep_a)
    later = _spend(client, budget, world.rep_a, "2026-06-05", "1500.00", "trade fair hotel")
    later_req = approvals.latest_request("expense", later.id)
    assert client.post(f"/approvals/{later_req.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Expense, later.id).approval_status == "pending"
    assert _figures(world)[1] == Decimal("1500.00")
    page = client.get("/plans/expenses?approval=pending").get_data(as_text=True)
    assert "trade fair hotel" in page and "client dinner" not in page
    # Withdrawn, it may be deleted, with its request.
    assert client.post(f"/plans/expenses/{later.id}/delete").status_code == 302
    assert db.session.get(Expense, later.id) is None
    assert approvals.latest_request("expense", later.id) is None

    sign_in(client, world.director_a)
    page = client.get(f"/plans/budgets?team_id={world.team_a.id}&period=2026").get_data(as_text=True)
    assert "¥8,250.50" in page and "¥1,749.50" in page and "budget-pending" not in page


def test_pending_expenses_shown_apart_on_the_budget_page(client, budget, world):
    _settings(client, world.director_a, world.team_a, threshold="1000", reps_add="y")
    sign_in(client, world.rep_a)
    _spend(client, budget, world.rep_a, "2026-07-01", "2500.00", "booth rent")
    sign_in(client, world.director_a)
    page = client.get(f"/plans/budgets?team_id={world.team_a.id}&period=2026").get_data(as_text=True)
    # 4,450.50 spent; 2,500 waiting shown apart; remaining still 5,549.50.
    assert "¥4,450.50" in page and "¥5,549.50" in page and "¥2,500.00" in page and 'id="budget-pending"' in page
    page = client.get("/plans/expenses").get_data(as_text=True)
    assert "Awaiting approval" in page and "booth rent" in page


def test_a_directors_own_expense_follows_the_chain(client, budget, world):
    """Recorded by the director, the director step is skipped (no one approves their own request); under
    ¥100,000 the default chain has no GM step, so the engine approves it at once and it counts."""
    _settings(client, world.director_a, world.team_a, threshold="1000")
    sign_in(client, world.director_a)
    mine = _spend(client, budget, world.director_a, "2026-08-01", "1200.00", "director's trip")
    assert mine.approval_status == "approved"
    assert _figures(world)[0] == Decimal("5650.50")
    # With a team chain that always asks the GM, it waits for the GM.
    approvals.save_chain(world.director_a, world.team_a.id, "expense", [("director", None), ("gm", None)])
    db.session.commit()
    other = _spend(client, budget, world.director_a, "2026-08-02", "1300.00", "director's second trip")
    assert other.approval_status == "pending"
    assert approvals.latest_request("expense", other.id).current_role == "gm"


def test_budget_and_expense_pages_query_counts_are_flat(client, budget, world, count_queries):
    from sqlalchemy import insert

    _settings(client, world.director_a, world.team_a, threshold="1000", reps_add="y")
    sign_in(client, world.rep_a)
    for i in range(3):
        _spend(client, budget, world.rep_a, "2026-06-10", "1500.00", f"big {i}")
    sign_in(client, world.director_a)
    urls = [f"/plans/budgets?team_id={world.team_a.id}&period=2026", "/plans/expenses",
            "/plans/expenses?approval=pending"]

    def measure():
        out = {}
        for url in urls:
            client.get(url)
            db.session.expire_all()
            with count_queries() as q:
                assert client.get(url).status_code == 200
            out[url] = q.n
        return out

    before = measure()
    rows = [{"team_id": world.team_a.id, "owner_id": world.rep_a.id, "category_id": budget["travel"].id,
             "spent_on": date(2026, 6, 11), "amount": Decimal("10.00"), "description": f"bulk {i}",
             "over_budget": False, "approval_status": ("pending", "approved", "rejected", None)[i % 4],
             "created_by_id": world.rep_a.id} for i in range(400)]
    db.session.execute(insert(Expense), rows)
    db.session.commit()
    sign_in(client, world.rep_a)
    for i in range(3, 6):
        _spend(client, budget, world.rep_a, "2026-06-12", "1500.00", f"big {i}")
    sign_in(client, world.director_a)
    assert measure() == before
