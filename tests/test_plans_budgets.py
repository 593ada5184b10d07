"""Budgets and expenses: budget vs actual by hand, the overspend confirmation, receipts, who may record."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_plans import speak_english
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.periods import Period
from portal.notifications.models import Notification
from portal.plans import queries
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
    assert by_team[world.team_b.id] == {"planned": Decimal("0.00"), "spent": Decimal("5000.00"), "used": None,
                                        "over": True}
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
    assert client.post("/plans/budgets/settings", data={"team_id": world.team_a.id, "reps_add": "1"}).status_code \
        == 404
    sign_in(client, world.director_a)
    assert client.post("/plans/budgets/settings", data={"team_id": world.team_a.id, "reps_add": "1"}).status_code \
        == 302
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
