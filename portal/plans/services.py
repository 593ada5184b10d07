"""Rules for plans, targets, seasonal profiles, budgets and expenses: who may do what, and the writes."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..authz import managed_team_ids
from ..core import settings
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.money import to_money
from ..core.periods import Period
from ..people.models import Team, User
from .models import (
    MEASURES,
    MONEY_MEASURES,
    BudgetCategory,
    BudgetLine,
    Expense,
    Plan,
    SeasonalProfile,
    Target,
)

REPS_ADD_EXPENSES = "plans.reps_add_expenses"
settings.declare(REPS_ADD_EXPENSES, False)


# Who may do what --------------------------------------------------------------------------------

def manages_team(user, team_id: int | None) -> bool:
    """The GM manages every team; a director the teams they lead."""
    if not user.is_authenticated or user.role not in ("gm", "director"):
        return False
    teams = managed_team_ids(user)
    return teams is None or (team_id is not None and team_id in teams)


def can_see_scope(user, scope: str, team_id: int | None, owner_id: int | None) -> bool:
    """Company figures for the GM; a team's for its director; a rep's for the rep and their director."""
    if not user.is_authenticated or user.role == "admin":
        return False
    if user.role == "gm":
        return True
    if scope == "company":
        return False
    if scope == "team":
        return manages_team(user, team_id)
    if owner_id == user.id:
        return True
    return manages_team(user, team_id)


def target_lock(scope: str, team_id: int | None, owner_id: int | None, period: Period) -> Plan | None:
    """A submitted or approved plan freezes its scope's targets for everyone but the GM."""
    return db.session.scalar(select(Plan).where(
        Plan.scope == scope, Plan.team_id.is_(None) if team_id is None else Plan.team_id == team_id,
        Plan.owner_id.is_(None) if owner_id is None else Plan.owner_id == owner_id,
        Plan.period_key == period.key, Plan.status.in_(("submitted", "approved"))).limit(1))


def can_edit_targets(user, scope: str, team_id: int | None, owner_id: int | None) -> bool:
    if user.role == "gm":
        return True
    if user.role != "director" or scope == "company":
        return False
    return manages_team(user, team_id)


def can_edit_plan(user, plan: Plan) -> bool:
    if plan.status not in ("draft", "returned"):
        return False
    return can_edit_targets(user, plan.scope, plan.team_id, plan.owner_id)


def can_submit_plan(user, plan: Plan) -> bool:
    return user.role == "director" and can_edit_plan(user, plan)


def can_decide_plan(user, plan: Plan) -> bool:
    return user.role == "gm" and plan.status in ("draft", "submitted", "returned")


def can_add_expense(user, team_id: int | None = None) -> bool:
    if user.role in ("gm", "director"):
        return team_id is None or manages_team(user, team_id)
    if user.role == "rep" and user.team_id:
        return bool(settings.get(REPS_ADD_EXPENSES, team_id=user.team_id))
    return False


def can_delete_expense(user, expense: Expense) -> bool:
    if user.role == "rep":
        return expense.owner_id == user.id and expense.created_by_id == user.id
    return manages_team(user, expense.team_id)


def _resolve_scope(scope: str, team_id: int | None, owner_id: int | None) -> tuple[int | None, int | None]:
    """Check the scope names real people and return (team_id, owner_id) as stored."""
    if scope == "company":
        return None, None
    if scope == "team":
        if not team_id or db.session.get(Team, team_id) is None:
            raise ServiceError(_l("Choose a team."), "team_id")
        return team_id, None
    if scope == "rep":
        rep = db.session.get(User, owner_id) if owner_id else None
        if rep is None or rep.role != "rep" or not rep.team_id:
            raise ServiceError(_l("Choose a sales rep."), "owner_id")
        return rep.team_id, rep.id
    raise ServiceError(_l("Choose company, team or sales rep."), "scope")


# Plans ----------------------------------------------------------------------------------------

def _gms() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "gm", User.active.is_(True))))


def create_plan(actor, *, scope: str, period: Period, team_id: int | None, owner_id: int | None,
                title: str, analysis: str | None, strategy: str | None, steps: str | None) -> Plan:
    team_id, owner_id = _resolve_scope(scope, team_id, owner_id)
    if not can_edit_targets(actor, scope, team_id, owner_id):
        raise ServiceError(_l("You may not plan for this scope."), "scope")
    if period.kind not in ("year", "quarter", "month"):
        raise ServiceError(_l("A plan covers a year, a quarter or a month."), "period")
    plan = Plan(scope=scope, team_id=team_id, owner_id=owner_id, title=title.strip(), analysis=analysis or None,
                strategy=strategy or None, steps=steps or None, status="draft", created_by_id=actor.id)
    plan.set_period(period)
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(actor, plan: Plan, *, title: str, analysis: str | None, strategy: str | None,
                steps: str | None) -> None:
    if not can_edit_plan(actor, plan):
        raise ServiceError(_l("This plan cannot be changed now."))
    plan.title, plan.analysis, plan.strategy, plan.steps = title.strip(), analysis or None, strategy or None, \
        steps or None
    db.session.flush()


def submit_plan(actor, plan: Plan) -> None:
    if not can_submit_plan(actor, plan):
        raise ServiceError(_l("This plan cannot be submitted now."))
    plan.status, plan.submitted_at = "submitted", utcnow()
    record("submit", obj=plan, summary=plan.title)
    link = url_for("plans.plan_detail", plan_id=plan.id)
    notify_people(_gms(), "plan_submitted", _l("Plan submitted for approval: %(title)s", title=plan.title),
                  link, actor)
    db.session.flush()


def decide_plan(actor, plan: Plan, *, approve: bool, comment: str | None) -> None:
    if not can_decide_plan(actor, plan):
        raise Forbidden() if actor.role != "gm" else ServiceError(_l("This plan has already been decided."))
    if not approve and not (comment or "").strip():
        raise ServiceError(_l("Say what should change when you return a plan."), "comment")
    plan.status = "approved" if approve else "returned"
    plan.review_comment = (comment or "").strip() or None
    plan.decided_by_id, plan.decided_at = actor.id, utcnow()
    record("approve" if approve else "return", obj=plan, summary=plan.review_comment)
    title = (_l("Plan approved: %(title)s", title=plan.title) if approve
             else _l("Plan returned: %(title)s", title=plan.title))
    author = db.session.get(User, plan.created_by_id)
    notify_people([author], "plan_approved" if approve else "plan_returned", title,
                  url_for("plans.plan_detail", plan_id=plan.id), actor)
    db.session.flush()


def notify_people(recipients, kind, title, link, actor) -> None:
    from ..notifications.services import notify

    notify(recipients, kind, title, link=link, actor=actor)


# Targets --------------------------------------------------------------------------------------

def _unit(measure: str) -> Decimal:
    return Decimal("0.01") if measure in MONEY_MEASURES else Decimal("1")


def parse_target(measure: str, raw: str | None) -> Decimal | None:
    """A target value from a form: blank is none; money has 2 places, counts are whole numbers."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = to_money(raw)
    except (ValueError, TypeError):
        raise ServiceError(_l("Not a number: %(value)s", value=raw), measure) from None
    if value < 0:
        raise ServiceError(_l("A target cannot be negative."), measure)
    if value > Decimal("999999999999.99"):
        raise ServiceError(_l("This number is too large."), measure)
    if measure not in MONEY_MEASURES and value != value.to_integral_value():
        raise ServiceError(_l("Counts are whole numbers."), measure)
    return value


def set_targets(actor, *, scope: str, period: Period, team_id: int | None, owner_id: int | None,
                values: dict[str, tuple]) -> int:
    """Write one scope's targets for a period: {measure: (base, sprint, challenge)}; a blank base removes it."""
    team_id, owner_id = _resolve_scope(scope, team_id, owner_id)
    if not can_edit_targets(actor, scope, team_id, owner_id):
        raise Forbidden()
    if actor.role != "gm" and target_lock(scope, team_id, owner_id, period) is not None:
        raise ServiceError(_l("The plan for this period is submitted or approved: only the general manager "
                              "changes its targets now."))
    existing = {t.measure: t for t in _targets_of(scope, team_id, owner_id, period)}
    changed = 0
    for measure in MEASURES:
        if measure not in values:
            continue
        base, sprint, challenge = values[measure]
        if base is None and (sprint is not None or challenge is not None):
            raise ServiceError(_l("Set the base target before the sprint and challenge."), measure)
        if sprint is not None and sprint < base:
            raise ServiceError(_l("The sprint target must be at least the base target."), measure)
        if challenge is not None and challenge < (sprint if sprint is not None else base):
            raise ServiceError(_l("The challenge target must be at least the sprint target."), measure)
        row = existing.get(measure)
        if base is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            row = Target(scope=scope, team_id=team_id, owner_id=owner_id, measure=measure, base=base)
            row.set_period(period)
            db.session.add(row)
        if (row.base, row.sprint, row.challenge) != (base, sprint, challenge) or row.id is None:
            row.base, row.sprint, row.challenge, row.updated_by_id = base, sprint, challenge, actor.id
            changed += 1
    db.session.flush()
    return changed


def _targets_of(scope, team_id, owner_id, period: Period) -> list[Target]:
    stmt = select(Target).where(Target.scope == scope, Target.period_key == period.key)
    stmt = stmt.where(Target.team_id.is_(None) if team_id is None else Target.team_id == team_id)
    stmt = stmt.where(Target.owner_id.is_(None) if owner_id is None else Target.owner_id == owner_id)
    return list(db.session.scalars(stmt))


def split_shares(total: Decimal, weights: list[Decimal], unit: Decimal) -> list[Decimal]:
    """Split ``total`` by weights into multiples of ``unit`` that add up exactly (largest remainder)."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ServiceError(_l("The weights must add up to more than zero."))
    exact = [total * w / weight_sum for w in weights]
    shares = [(x / unit).to_integral_value(rounding=ROUND_DOWN) * unit for x in exact]
    left = int(((total - sum(shares)) / unit).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += unit
    return shares


def split_year(actor, *, scope: str, year: int, team_id: int | None, owner_id: int | None,
               weights: list[Decimal] | None) -> int:
    """Write monthly and quarterly targets from the year's, evenly or by a seasonal profile."""
    team_id, owner_id = _resolve_scope(scope, team_id, owner_id)
    year_period = Period.parse(str(year))
    weights = weights or [Decimal(1)] * 12
    if len(weights) != 12:
        raise ServiceError(_l("A seasonal profile has twelve monthly weights."))
    yearly = _targets_of(scope, team_id, owner_id, year_period)
    if not yearly:
        raise ServiceError(_l("Set the year's targets first."))
    months = year_period.children("month")
    quarters = year_period.children("quarter")
    per_month: dict[str, list[dict]] = {}
    for t in yearly:
        unit = _unit(t.measure)
        tiers = {"base": split_shares(t.base, weights, unit)}
        for tier in ("sprint", "challenge"):
            value = getattr(t, tier)
            tiers[tier] = split_shares(value, weights, unit) if value is not None else [None] * 12
        per_month[t.measure] = [{k: v[i] for k, v in tiers.items()} for i in range(12)]
    for i, month in enumerate(months):
        set_targets(actor, scope=scope, period=month, team_id=team_id, owner_id=owner_id,
                    values={m: (v[i]["base"], v[i]["sprint"], v[i]["challenge"]) for m, v in per_month.items()})
    for q, quarter in enumerate(quarters):
        values = {}
        for m, v in per_month.items():
            part = v[3 * q:3 * q + 3]
            values[m] = tuple(None if part[0][tier] is None else sum(p[tier] for p in part)
                              for tier in ("base", "sprint", "challenge"))
        set_targets(actor, scope=scope, period=quarter, team_id=team_id, owner_id=owner_id, values=values)
    record("split_year", object_type="target", object_id=year_period.key, team_id=team_id,
           summary=f"{scope} {team_id or ''} {owner_id or ''}".strip())
    return len(yearly)


def parse_weights(text: str) -> list[Decimal]:
    parts = [p for p in text.replace("，", ",").replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    try:
        weights = [Decimal(p.strip()) for p in parts]
    except ArithmeticError:
        raise ServiceError(_l("Weights are numbers separated by commas."), "weights") from None
    if len(weights) != 12 or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ServiceError(_l("Give twelve weights (January to December), none negative."), "weights")
    return weights


def save_profile(actor, profile: SeasonalProfile | None, *, name: str, weights_text: str) -> SeasonalProfile:
    if actor.role not in ("gm", "director"):
        raise Forbidden()
    weights = parse_weights(weights_text)
    clash = db.session.scalar(select(SeasonalProfile.id).where(
        func.lower(SeasonalProfile.name) == name.strip().lower()))
    if clash and (profile is None or clash != profile.id):
        raise ServiceError(_l("A profile with this name exists."), "name")
    if profile is None:
        profile = SeasonalProfile(name=name.strip(), weights=[str(w) for w in weights])
        db.session.add(profile)
    profile.name, profile.weights = name.strip(), [str(w) for w in weights]
    db.session.flush()
    return profile


# Budgets and expenses -------------------------------------------------------------------------

def save_category(actor, category: BudgetCategory | None, *, name: str, position: int, active: bool):
    if actor.role not in ("gm", "admin"):
        raise Forbidden()
    clash = db.session.scalar(select(BudgetCategory.id).where(func.lower(BudgetCategory.name) == name.strip().lower()))
    if clash and (category is None or clash != category.id):
        raise ServiceError(_l("A category with this name exists."), "name")
    if category is None:
        category = BudgetCategory(name=name.strip())
        db.session.add(category)
    category.name, category.position, category.active = name.strip(), position, active
    db.session.flush()
    return category


def save_budget_line(actor, line: BudgetLine | None, *, team_id: int, period: Period, category_id: int,
                     amount: Decimal, note: str | None) -> BudgetLine:
    if not manages_team(actor, team_id):
        raise ServiceError(_l("You may only budget for your own team."), "team_id")
    if db.session.get(BudgetCategory, category_id) is None:
        raise ServiceError(_l("Choose a category."), "category_id")
    if amount is None or amount < 0:
        raise ServiceError(_l("A budget cannot be negative."), "amount")
    clash = db.session.scalar(select(BudgetLine.id).where(
        BudgetLine.team_id == team_id, BudgetLine.period_key == period.key, BudgetLine.category_id == category_id))
    if clash and (line is None or clash != line.id):
        raise ServiceError(_l("This team already has a budget line for this category and period."), "category_id")
    if line is None:
        line = BudgetLine(team_id=team_id, category_id=category_id, amount=amount)
        db.session.add(line)
    line.team_id, line.category_id, line.amount, line.note = team_id, category_id, amount, note or None
    line.set_period(period)
    db.session.flush()
    return line


def delete_budget_line(actor, line: BudgetLine) -> None:
    if not manages_team(actor, line.team_id):
        raise Forbidden()
    db.session.delete(line)
    db.session.flush()


class NeedsConfirmation(ServiceError):
    """The expense would overspend a budget line (or has none): the user must confirm."""

    def __init__(self, message, lines):
        super().__init__(message)
        self.lines = lines


def overspend_check(team_id: int, category_id: int, spent_on: date, amount: Decimal) -> list[dict]:
    """The budget lines this expense would overspend, with their remainders before it."""
    from .queries import lines_with_actuals

    lines = lines_with_actuals(select(BudgetLine).where(
        BudgetLine.team_id == team_id, BudgetLine.category_id == category_id,
        BudgetLine.period_start <= spent_on, BudgetLine.period_end > spent_on))
    return [row for row in lines if row["remaining"] < amount]


def add_expense(actor, *, owner_id: int, category_id: int, spent_on: date, amount: Decimal, description: str,
                receipt=None, confirmed: bool = False) -> Expense:
    """Record an expense; one that would overspend (or has no budget) needs ``confirmed`` and is flagged."""
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.team_id:
        raise ServiceError(_l("Choose a team member."), "owner_id")
    if actor.role == "rep":
        if owner.id != actor.id or not can_add_expense(actor):
            raise Forbidden()
    elif not manages_team(actor, owner.team_id):
        raise ServiceError(_l("You may only record expenses for your own team."), "owner_id")
    category = db.session.get(BudgetCategory, category_id)
    if category is None or not category.active:
        raise ServiceError(_l("Choose a category."), "category_id")
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    over = overspend_check(owner.team_id, category_id, spent_on, amount)
    has_line = db.session.scalar(select(func.count(BudgetLine.id)).where(
        BudgetLine.team_id == owner.team_id, BudgetLine.category_id == category_id,
        BudgetLine.period_start <= spent_on, BudgetLine.period_end > spent_on))
    flagged = bool(over) or not has_line
    if flagged and not confirmed:
        message = (_l("This expense would overspend the budget. Submit again to confirm; the general manager "
                      "will be told.") if has_line else
                   _l("There is no budget for this category and date. Submit again to confirm; the general "
                      "manager will be told."))
        raise NeedsConfirmation(message, over)
    expense = Expense(team_id=owner.team_id, owner_id=owner.id, category_id=category_id, spent_on=spent_on,
                      amount=amount, description=description.strip(), over_budget=flagged,
                      created_by_id=actor.id)
    if receipt is not None:
        expense.receipt_key, expense.receipt_name = receipt.key, receipt.original_name
        expense.receipt_type, expense.receipt_size = receipt.content_type, receipt.size
    db.session.add(expense)
    db.session.flush()
    if flagged:
        record("overspend_confirmed", obj=expense, summary=f"{category.name} {amount}")
        team = db.session.get(Team, owner.team_id)
        director = db.session.get(User, team.director_id) if team.director_id else None
        notify_people(_gms() + ([director] if director else []), "expense_overspend",
                      _l("Over budget: %(team)s, %(category)s, ¥%(amount)s", team=team.name,
                         category=category.name, amount=amount),
                      url_for("plans.expenses", flagged=1), actor)
    return expense


def delete_expense(actor, expense: Expense) -> None:
    if not can_delete_expense(actor, expense):
        raise Forbidden()
    from ..core.uploads import delete_upload

    if expense.receipt_key:
        delete_upload(expense.receipt_key)
    db.session.delete(expense)
    db.session.flush()


def set_reps_add_expenses(actor, team_id: int, allowed: bool) -> None:
    if not manages_team(actor, team_id):
        raise Forbidden()
    settings.put(REPS_ADD_EXPENSES, bool(allowed), team_id=team_id)
    record("setting", object_type="team", object_id=team_id, team_id=team_id,
           summary=f"{REPS_ADD_EXPENSES}={bool(allowed)}")
