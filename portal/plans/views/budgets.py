"""Budgets (营销费用): lines per team, period and category, budget vs actual, categories, and expenses."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ...authz import MANAGERS, OVERSEERS, SALES, get_scoped_or_404, policy, scope_query
from ...core import settings
from ...core.db import db
from ...core.errors import ServiceError
from ...core.money import ZERO, percent, to_money
from ...core.pagination import paginate
from ...core.periods import Period, local_today
from ...core.uploads import RECEIPTS, StoredFile, save_upload, send_upload
from ...i18n import money
from ...people.models import Team, User
from .. import bp, queries, services
from ..forms import EXPENSE_APPROVAL_LABELS, KIND_LABELS, BudgetLineForm, BudgetSettingsForm, CategoryForm, ExpenseForm
from ..models import BudgetCategory, BudgetLine, Expense
from .common import default_team_id, period_arg, team_reps, visible_teams


def _categories(active_only: bool = True) -> list[BudgetCategory]:
    stmt = select(BudgetCategory).order_by(BudgetCategory.position, BudgetCategory.name)
    if active_only:
        stmt = stmt.where(BudgetCategory.active.is_(True))
    return list(db.session.scalars(stmt))


@bp.route("/budgets")
@policy(MANAGERS)
def budgets():
    """Budget vs actual for a team and period: each line's spend, remainder and overspend."""
    period = period_arg("year")
    teams = visible_teams()
    team_id = request.args.get("team_id", type=int) or default_team_id()
    if team_id is None or not services.manages_team(current_user, team_id):
        abort(404)
    lines = queries.lines_with_actuals(
        select(BudgetLine).where(BudgetLine.team_id == team_id, BudgetLine.period_start < period.end,
                                 BudgetLine.period_end > period.start)
        .order_by(BudgetLine.period_start, BudgetLine.period_kind.desc(), BudgetLine.category_id))
    summary = queries.budget_by_team(period, [team_id]).get(team_id, {"planned": ZERO, "spent": ZERO, "pending": ZERO,
                                                                     "used": None, "over": False})
    return render_template(
        "plans/budgets.html", period=period, teams=teams, team_id=team_id, lines=lines, summary=summary,
        kinds=KIND_LABELS, reps_add=bool(settings.get(services.REPS_ADD_EXPENSES, team_id=team_id)),
        threshold=services.expense_threshold(team_id),
        total_planned=sum((r["line"].amount for r in lines), ZERO),
        total_spent=sum((r["spent"] for r in lines), ZERO),
        total_pending=sum((r["pending"] for r in lines), ZERO), percent=percent)


def _line_form(line: BudgetLine | None) -> BudgetLineForm:
    form = BudgetLineForm(obj=line)
    form.team_id.choices = [(t.id, t.name) for t in visible_teams()]
    form.category_id.choices = [(c.id, c.name) for c in _categories(active_only=line is None)]
    if request.method == "GET":
        if line is not None:
            form.period.data = line.period_key
        else:
            form.period.data = request.args.get("period") or Period.current("year").key
            form.team_id.data = request.args.get("team_id", type=int) or default_team_id()
    return form


@bp.route("/budgets/new", methods=["GET", "POST"], endpoint="budget_create")
@bp.route("/budgets/<int:line_id>/edit", methods=["GET", "POST"])
@policy(MANAGERS)
def budget_edit(line_id: int | None = None):
    line = get_scoped_or_404(BudgetLine, line_id, current_user) if line_id else None
    form = _line_form(line)
    if form.validate_on_submit():
        try:
            saved = services.save_budget_line(
                current_user, line, team_id=form.team_id.data, period=Period.parse(form.period.data),
                category_id=form.category_id.data, amount=to_money(form.amount.data), note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.budgets", team_id=saved.team_id, period=saved.period_key))
    return render_template("plans/budget_form.html", form=form, line=line)


@bp.route("/budgets/<int:line_id>/delete", methods=["POST"])
@policy(MANAGERS)
def budget_delete(line_id: int):
    line = get_scoped_or_404(BudgetLine, line_id, current_user)
    team_id, key = line.team_id, line.period_key
    services.delete_budget_line(current_user, line)
    flash(_("Budget line deleted."), "success")
    return redirect(url_for("plans.budgets", team_id=team_id, period=key))


@bp.route("/budgets/settings", methods=["GET", "POST"])
@policy(MANAGERS)
def budget_settings():
    """A team's expense rules: whether reps record their own expenses, and the amount above which an
    expense needs approval."""
    team_id = request.values.get("team_id", type=int) or default_team_id()
    if not team_id or not services.manages_team(current_user, team_id):
        abort(404)
    team = db.get_or_404(Team, team_id)
    form = BudgetSettingsForm()
    if request.method == "GET":
        form.reps_add.data = bool(settings.get(services.REPS_ADD_EXPENSES, team_id=team_id))
        form.threshold.data = services.expense_threshold(team_id)
    elif form.validate_on_submit():
        try:
            services.set_expense_threshold(current_user, team_id, form.threshold.data)
            services.set_reps_add_expenses(current_user, team_id, bool(form.reps_add.data))
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.budgets", team_id=team_id, period=request.values.get("period") or None))
    return render_template("plans/budget_settings.html", form=form, team=team, period=request.values.get("period"))


@bp.route("/budgets/categories", methods=["GET", "POST"])
@policy(OVERSEERS)
def categories():
    """The editable list of budget categories (trade shows, travel, hospitality …)."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.save_category(current_user, None, name=form.name.data, position=form.position.data or 100,
                                   active=form.active.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.categories"))
    return render_template("plans/categories.html", rows=_categories(active_only=False), form=form)


@bp.route("/budgets/categories/<int:category_id>", methods=["GET", "POST"])
@policy(OVERSEERS)
def category_edit(category_id: int):
    category = db.get_or_404(BudgetCategory, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            services.save_category(current_user, category, name=form.name.data,
                                   position=form.position.data or 100, active=form.active.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.categories"))
    return render_template("plans/category_form.html", form=form, category=category)


# Expenses -------------------------------------------------------------------------------------

@bp.route("/expenses")
@policy(SALES)
def expenses():
    """Expenses one may see: a rep their own, a director their team's, the GM all (flagged first if asked)."""
    stmt = scope_query(select(Expense), Expense, current_user).options(
        joinedload(Expense.owner), joinedload(Expense.category), joinedload(Expense.team))
    flagged = request.args.get("flagged") == "1"
    if flagged:
        stmt = stmt.where(Expense.over_budget.is_(True))
    team_id = request.args.get("team_id", type=int)
    if team_id:
        stmt = stmt.where(Expense.team_id == team_id)
    raw_period = request.args.get("period")
    if raw_period:
        period = period_arg("month")
        stmt = stmt.where(Expense.spent_on >= period.start, Expense.spent_on < period.end)
    approval = request.args.get("approval")
    if approval not in EXPENSE_APPROVAL_LABELS:
        approval = None  # an unknown state filters nothing (and has no label to show)
    if approval:
        stmt = stmt.where(Expense.approval_status == approval)
    page = paginate(stmt.order_by(Expense.spent_on.desc(), Expense.id.desc()))
    return render_template("plans/expenses.html", page=page, flagged=flagged, teams=visible_teams(),
                           can_add=services.can_add_expense(current_user), team_id=team_id,
                           can_delete=services.can_delete_expense, approval=approval,
                           approval_labels=EXPENSE_APPROVAL_LABELS,
                           requests=services.expense_requests([e.id for e in page.items]))


def _expense_form() -> ExpenseForm:
    form = ExpenseForm()
    if current_user.role == "rep":
        people = [current_user]
    else:
        team_ids = [t.id for t in visible_teams()]
        people = team_reps(team_ids) + list(db.session.scalars(select(User).where(User.id == current_user.id)))
    form.owner_id.choices = [(u.id, u.display_name) for u in people]
    form.category_id.choices = [(c.id, c.name) for c in _categories()]
    if request.method == "GET":
        form.owner_id.data = current_user.id
        form.spent_on.data = local_today()
    return form


@bp.route("/expenses/new", methods=["GET", "POST"])
@policy(SALES)
def expense_create():
    """Record an expense; one that would overspend asks for confirmation and is flagged for the GM."""
    if current_user.role == "gm":
        flash(_("The general manager reads expenses; directors and reps record them."), "info")
        return redirect(url_for("plans.expenses"))
    if not services.can_add_expense(current_user):
        flash(_("Your team records expenses through its director."), "warning")
        return redirect(url_for("plans.expenses"))
    form = _expense_form()
    confirm_needed, over, kept = False, [], ""
    if form.validate_on_submit():
        receipt = None
        try:
            if form.receipt.data and getattr(form.receipt.data, "filename", ""):
                receipt = save_upload(form.receipt.data, RECEIPTS, field="receipt")
            else:
                receipt = _kept_receipt(request.form.get("receipt_token"))
            expense = services.add_expense(
                current_user, owner_id=form.owner_id.data, category_id=form.category_id.data,
                spent_on=form.spent_on.data, amount=to_money(form.amount.data), description=form.description.data,
                receipt=receipt, confirmed=request.form.get("confirm") == "1")
        except services.NeedsConfirmation as err:
            confirm_needed, over = True, err.lines
            kept = _keep_receipt(receipt) if receipt is not None else ""
            form.form_errors.append(err.message)
        except ServiceError as err:
            err.attach(form)
        except Forbidden:
            abort(403)
        else:
            if expense.approval_status == "pending":
                flash(_("Expense recorded. It is above %(amount)s, so it waits for approval before it counts as "
                        "spent.", amount=money(services.expense_threshold(expense.team_id))), "success")
            else:
                flash(_("Expense recorded."), "success")
            return redirect(url_for("plans.expenses"))
    return render_template("plans/expense_form.html", form=form, confirm_needed=confirm_needed, over=over,
                           receipt_token=kept)


def _serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="plans.receipt")


def _keep_receipt(receipt: StoredFile) -> str:
    """A signed token for a receipt already stored, so the confirming submit need not upload it again."""
    return _serializer().dumps({"key": receipt.key, "name": receipt.original_name, "type": receipt.content_type,
                                "size": receipt.size, "user": current_user.id})


def _kept_receipt(token: str | None) -> StoredFile | None:
    if not token:
        return None
    from itsdangerous import BadSignature

    try:
        data = _serializer().loads(token, max_age=3600)
    except BadSignature:
        return None
    if data.get("user") != current_user.id:
        return None
    return StoredFile(key=data["key"], original_name=data["name"], content_type=data["type"], size=data["size"])


@bp.route("/expenses/<int:expense_id>/receipt")
@policy(SALES)
def expense_receipt(expense_id: int):
    """The receipt file, only for those who may see the expense."""
    expense = get_scoped_or_404(Expense, expense_id, current_user)
    if not expense.receipt_key:
        abort(404)
    inline = (expense.receipt_type or "").startswith("image/") and request.args.get("inline") == "1"
    return send_upload(expense.receipt_key, expense.receipt_name or "receipt", expense.receipt_type, inline=inline)


@bp.route("/expenses/<int:expense_id>/delete", methods=["POST"])
@policy(SALES)
def expense_delete(expense_id: int):
    expense = get_scoped_or_404(Expense, expense_id, current_user)
    if not services.can_delete_expense(current_user, expense):
        abort(403)
    try:
        services.delete_expense(current_user, expense)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Expense deleted."), "success")
    return redirect(url_for("plans.expenses"))

