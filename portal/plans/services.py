"""Rules for plans, targets, seasonal profiles, budgets and expenses: who may do what, and the writes."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from werkzeug.exceptions import Forbidden

from ..approvals import services as approvals
from ..approvals.models import ApprovalRequest
from ..audit.services import record
from ..authz import managed_team_ids
from ..core import settings
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.links import path_for
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
# Expenses above this amount (CNY, per team) go through the approval engine before they count as spent.
EXPENSE_THRESHOLD = "plans.expense_approval_threshold"
DEFAULT_EXPENSE_THRESHOLD = Decimal("5000.00")
settings.declare(EXPENSE_THRESHOLD, str(DEFAULT_EXPENSE_THRESHOLD))
MAX_AMOUNT = Decimal("999999999999.99")


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


def _slot(stmt, scope: str, team_id: int | None, owner_id: int | None, period: Period):
    return stmt.where(
        Plan.scope == scope, Plan.team_id.is_(None) if team_id is None else Plan.team_id == team_id,
        Plan.owner_id.is_(None) if owner_id is None else Plan.owner_id == owner_id, Plan.period_key == period.key)


def target_lock(scope: str, team_id: int | None, owner_id: int | None, period: Period) -> Plan | None:
    """A submitted or approved plan freezes its scope's targets for everyone but the GM (and, while it
    waits for approval, for the GM too: see ``pending_plan``)."""
    return db.session.scalar(_slot(select(Plan), scope, team_id, owner_id, period).where(
        Plan.status.in_(("submitted", "approved"))).order_by(Plan.id).limit(1))


def pending_plan(scope: str, team_id: int | None, owner_id: int | None, period: Period) -> Plan | None:
    """The plan of this scope and period that is in approval: its targets are read-only for everyone."""
    for plan in db.session.scalars(_slot(select(Plan), scope, team_id, owner_id, period).where(
            Plan.status == "submitted")):
        if approvals.is_locked("plan", plan.id):
            return plan
    return None


def can_edit_targets(user, scope: str, team_id: int | None, owner_id: int | None) -> bool:
    if user.role == "gm":
        return True
    if user.role != "director" or scope == "company":
        return False
    return manages_team(user, team_id)


def can_edit_plan(user, plan: Plan) -> bool:
    """Drafts and returned plans, by who may set the scope's targets; never while in approval."""
    if plan.status not in ("draft", "returned"):
        return False
    return can_edit_targets(user, plan.scope, plan.team_id, plan.owner_id)


def can_submit_plan(user, plan: Plan) -> bool:
    return user.role in ("director", "gm") and can_edit_plan(user, plan)


def plan_request(plan: Plan) -> ApprovalRequest | None:
    """The plan's latest approval request (None: never submitted)."""
    return approvals.latest_request("plan", plan.id)


def can_decide_plan(user, plan: Plan, req: ApprovalRequest | None = None) -> bool:
    """The approver of the step the plan waits at (the chain decides: the team's director, the GM)."""
    req = req if req is not None else plan_request(plan)
    return req is not None and req.status == "pending" and approvals.can_decide(user, req)


def can_withdraw_plan(user, plan: Plan, req: ApprovalRequest | None = None) -> bool:
    req = req if req is not None else plan_request(plan)
    return req is not None and req.status == "pending" and req.requester_id == user.id


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
    if not can_edit_plan(actor, plan) or approvals.is_locked("plan", plan.id):
        raise ServiceError(_l("This plan cannot be changed now."))
    plan.title, plan.analysis, plan.strategy, plan.steps = title.strip(), analysis or None, strategy or None, \
        steps or None
    db.session.flush()


def plan_amount(plan: Plan) -> Decimal | None:
    """The plan's sales target (base) for its scope and period: the amount its approval chain sees."""
    from .queries import target_totals

    ident = None if plan.scope == "company" else (plan.team_id if plan.scope == "team" else plan.owner_id)
    totals = target_totals(plan.period, plan.scope, None if ident is None else [ident]).get(ident, {})
    return totals.get("sales", (None,))[0]


def _has_other_approver(actor, team_id: int | None, amount: Decimal | None) -> bool:
    """Whether the chain would put the plan before someone other than its author."""
    for role, minimum in approvals.effective_steps("plan", team_id):
        if minimum is not None and (amount if amount is not None else Decimal(0)) < minimum:
            continue
        if any(u.id != actor.id for u in approvals.approvers_for(role, team_id)):
            return True
    return False


def submit_plan(actor, plan: Plan) -> ApprovalRequest:
    """Send the plan into approval (or, after a return or a withdrawal, round again). The team's chain
    decides who approves; the plan and its targets are read-only until it is decided."""
    if not can_submit_plan(actor, plan):
        raise ServiceError(_l("This plan cannot be submitted now."))
    if approvals.is_locked("plan", plan.id):
        raise ServiceError(_l("This record is already waiting for approval."))
    amount = plan_amount(plan)
    if actor.role != "gm" and not _has_other_approver(actor, plan.team_id, amount):
        raise ServiceError(_l("Nobody but you would approve this plan under the team's approval chain: set its "
                              "sales target, or have the chain changed so that the general manager approves it."))
    plan.status, plan.submitted_at = "submitted", utcnow()
    plan.review_comment = plan.decided_by_id = plan.decided_at = None
    db.session.flush()
    record("submit", obj=plan, summary=plan.title)
    link = path_for("plans.plan_detail", plan_id=plan.id)
    last = plan_request(plan)
    if last is not None and last.status in ("returned", "withdrawn") and last.requester_id == actor.id:
        req = approvals.resubmit(actor, last, amount=amount, title=plan.title)
    else:
        req = approvals.submit(actor, "plan", "plan", plan.id, plan.team_id, amount, plan.title, link)
    db.session.flush()
    return req


def decide_plan(actor, plan: Plan, decision: str, comment: str | None) -> ApprovalRequest:
    """The approver of the current step approves, returns (with a comment) or rejects (with a comment)."""
    req = plan_request(plan)
    if req is None or req.status != "pending":
        raise ServiceError(_l("This request is not waiting for a decision."))
    if not approvals.can_decide(actor, req):
        raise Forbidden()
    approvals.decide(actor, req, decision, comment)
    return req


def withdraw_plan(actor, plan: Plan) -> ApprovalRequest:
    req = plan_request(plan)
    if req is None or req.status != "pending":
        raise ServiceError(_l("Only a request waiting for a decision can be withdrawn."))
    approvals.withdraw(actor, req)
    return req


def _plan_decided(req: ApprovalRequest, outcome: str) -> None:
    """Keep the plan's status in step with its approval request."""
    if req.record_type != "plan":
        return
    plan = db.session.get(Plan, req.record_id)
    if plan is None:
        return
    if outcome == "withdrawn":
        plan.status = "draft"
        record("withdraw", obj=plan, summary=plan.title)
        db.session.flush()
        return
    decided = [s for s in req.steps if s.status in ("approved", "returned", "rejected")]
    step = decided[-1] if decided else None
    plan.status = outcome
    plan.decided_by_id = step.decided_by_id if step is not None else req.requester_id
    plan.decided_at = req.decided_at or utcnow()
    plan.review_comment = step.comment if step is not None else None
    action = {"approved": "approve", "returned": "return", "rejected": "reject"}[outcome]
    record(action, obj=plan, summary=plan.review_comment)
    db.session.flush()


def _expense_decided(req: ApprovalRequest, outcome: str) -> None:
    """An approved expense counts as spent, a rejected one never; returned or withdrawn it still waits."""
    if req.record_type != "expense":
        return
    expense = db.session.get(Expense, req.record_id)
    if expense is None:
        return
    if outcome in ("approved", "rejected"):
        expense.approval_status = outcome
        db.session.flush()


approvals.on_decided("plan", _plan_decided)
approvals.on_decided("expense", _expense_decided)


@event.listens_for(ApprovalRequest.status, "set")
def _resubmitted(target, value, oldvalue, initiator):
    """A plan resubmitted from the approvals pages waits again: it shows as submitted. (The engine has no
    hook for resubmission; decisions come through ``on_decided``.)"""
    if value != "pending" or target.id is None or target.record_type != "plan":
        return
    with db.session.no_autoflush:
        plan = db.session.get(Plan, target.record_id)
    if plan is not None and plan.status != "submitted":
        plan.status, plan.submitted_at = "submitted", utcnow()


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
    if pending_plan(scope, team_id, owner_id, period) is not None:
        raise ServiceError(_l("The plan for this period is waiting for approval: its targets cannot change "
                              "until it is decided."))
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


def targets_stamp(scope: str, team_id: int | None, owner_id: int | None, period: Period) -> tuple[str, list[Target]]:
    """One scope's targets for a period and their lock token (each row's id and version, see
    core/concurrency.py): the edit grid posts the token it was drawn from."""
    team_id, owner_id = _resolve_scope(scope, team_id, owner_id)
    rows = sorted(_targets_of(scope, team_id, owner_id, period), key=lambda t: t.id)
    return ",".join(f"{t.id}.{t.version}" for t in rows), rows


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
    if amount > expense_threshold(owner.team_id):
        _submit_expense(actor, expense, category)
    if flagged:
        record("overspend_confirmed", obj=expense, summary=f"{category.name} {amount}")
        team = db.session.get(Team, owner.team_id)
        director = db.session.get(User, team.director_id) if team.director_id else None
        notify_people(_gms() + ([director] if director else []), "expense_overspend",
                      _l("Over budget: %(team)s, %(category)s, ¥%(amount)s", team=team.name,
                         category=category.name, amount=amount),
                      path_for("plans.expenses", flagged=1), actor)
    return expense


def _submit_expense(actor, expense: Expense, category: BudgetCategory) -> ApprovalRequest:
    """Put an expense above the team's threshold into approval; it is not spent until approved."""
    expense.approval_status = "pending"
    db.session.flush()
    team = db.session.get(Team, expense.team_id)
    owner = db.session.get(User, expense.owner_id)
    title = f"{team.name} · {category.name} · {owner.display_name}: {expense.description}"
    link = path_for("plans.expenses", team_id=expense.team_id, approval="pending")
    return approvals.submit(actor, "expense", "expense", expense.id, expense.team_id, expense.amount, title, link)


def expense_threshold(team_id: int | None) -> Decimal:
    """The amount above which a team's expenses need approval."""
    raw = settings.get(EXPENSE_THRESHOLD, team_id=team_id)
    try:
        return to_money(raw)
    except (ValueError, TypeError, ArithmeticError):
        return DEFAULT_EXPENSE_THRESHOLD


def set_expense_threshold(actor, team_id: int, value) -> Decimal:
    """The director (of the team) or the GM sets the amount above which expenses need approval."""
    if not manages_team(actor, team_id):
        raise Forbidden()
    if value is None or value == "":
        raise ServiceError(_l("Enter an amount."), "threshold")
    try:
        amount = to_money(value)
    except (ValueError, TypeError, ArithmeticError):
        raise ServiceError(_l("Not a number: %(value)s", value=value), "threshold") from None
    if amount < 0:
        raise ServiceError(_l("Amounts cannot be negative."), "threshold")
    if amount > MAX_AMOUNT:
        raise ServiceError(_l("This number is too large."), "threshold")
    if amount != expense_threshold(team_id):
        settings.put(EXPENSE_THRESHOLD, str(amount), team_id=team_id)
        record("setting", object_type="team", object_id=team_id, team_id=team_id,
               summary=f"{EXPENSE_THRESHOLD}={amount}")
    return amount


def expense_requests(expense_ids) -> dict[int, ApprovalRequest]:
    """{expense id: its latest approval request} for a page of expenses (one query)."""
    rows = db.session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.record_type == "expense", ApprovalRequest.record_id.in_(list(expense_ids) or [-1]))
        .order_by(ApprovalRequest.id))
    return {r.record_id: r for r in rows}


def delete_expense(actor, expense: Expense) -> None:
    if not can_delete_expense(actor, expense):
        raise Forbidden()
    if approvals.is_locked("expense", expense.id):
        raise ServiceError(_l("This expense is waiting for approval: withdraw it first."))
    from ..core.uploads import delete_upload

    approvals.delete_requests_for("expense", expense.id)

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
