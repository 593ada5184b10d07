"""URL arguments for the route walk: plans records that belong to rep_a in team A."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.core.db import db
from portal.core.periods import Period
from portal.plans.models import BudgetCategory, BudgetLine, Expense, Plan


def _plan(world):
    plan = Plan(scope="rep", team_id=world.team_a.id, owner_id=world.rep_a.id, title="rep_a's plan",
                status="draft", created_by_id=world.director_a.id)
    plan.set_period(Period.parse("2026"))
    db.session.add(plan)
    db.session.commit()
    return plan.id


def _category():
    category = db.session.scalar(select(BudgetCategory).where(BudgetCategory.name == "Travel"))
    if category is None:
        category = BudgetCategory(name="Travel", position=10, active=True)
        db.session.add(category)
        db.session.commit()
    return category


def _line(world):
    line = BudgetLine(team_id=world.team_a.id, category_id=_category().id, amount=Decimal("1000.00"))
    line.set_period(Period.parse("2026"))
    db.session.add(line)
    db.session.commit()
    return line.id


def _expense(world):
    expense = Expense(team_id=world.team_a.id, owner_id=world.rep_a.id, category_id=_category().id,
                      spent_on=date(2026, 5, 1), amount=Decimal("100.00"), description="taxi",
                      created_by_id=world.rep_a.id)
    db.session.add(expense)
    db.session.commit()
    return expense.id


FACTORIES = {
    "plan_id": _plan,
    "line_id": _line,
    "expense_id": _expense,
}


def speak_english(world) -> None:
    """The tests read English messages: everybody in the world reads the portal in English."""
    for name in ("director_a", "director_b", "rep_a", "rep_a2", "rep_b", "gm", "admin"):
        getattr(world, name).locale = "en"
    db.session.commit()
