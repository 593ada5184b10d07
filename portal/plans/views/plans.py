"""Plans: the list, a plan with its targets, writing one, and the submit / approve / return workflow."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...authz import MANAGERS, SALES, get_scoped_or_404, policy, scope_query
from ...core import concurrency
from ...core.db import db
from ...core.errors import ServiceError
from ...core.pagination import paginate_narrow
from ...core.periods import Period
from .. import bp, queries, services
from ..forms import (
    MEASURE_LABELS,
    SCOPE_LABELS,
    STATUS_BADGES,
    STATUS_LABELS,
    TIER_LABELS,
    DecisionForm,
    PlanEditForm,
    PlanForm,
    ProfileForm,
)
from ..models import PLAN_STATUSES, Plan, SeasonalProfile
from .common import team_reps, visible_teams


def _get_plan(plan_id: int) -> Plan:
    plan = get_scoped_or_404(Plan, plan_id, current_user, team_visible_to_reps=True)
    if plan.scope == "company" and current_user.role != "gm":
        abort(404)
    if current_user.role == "rep" and plan.owner_id != current_user.id and \
            (plan.scope != "team" or plan.status != "approved"):
        abort(404)  # a rep reads their own plans, and their team's once it is approved
    return plan


@bp.route("/")
@policy(SALES)
def index():
    """Plans one may read: the GM all, a director their team's, a rep their own and their team's approved one."""
    stmt = scope_query(select(Plan), Plan, current_user, team_visible_to_reps=True)
    if current_user.role != "gm":
        stmt = stmt.where(Plan.scope != "company")
    if current_user.role == "rep":
        stmt = stmt.where((Plan.owner_id == current_user.id) | ((Plan.scope == "team") & (Plan.status == "approved")))
    status = request.args.get("status")
    if status in PLAN_STATUSES:
        stmt = stmt.where(Plan.status == status)
    page = paginate_narrow(stmt.order_by(Plan.period_start.desc(), Plan.scope, Plan.id.desc()), Plan,
                           (joinedload(Plan.team), joinedload(Plan.owner)))
    return render_template("plans/index.html", page=page, statuses=STATUS_LABELS, scopes=SCOPE_LABELS,
                           status=status, badges=STATUS_BADGES)


def _plan_form() -> PlanForm:
    form = PlanForm()
    scopes = ["team", "rep"] if current_user.role == "director" else ["company", "team", "rep"]
    form.scope.choices = [(s, SCOPE_LABELS[s]) for s in scopes]
    teams = visible_teams()
    form.team_id.choices = [(0, "—")] + [(t.id, t.name) for t in teams]
    form.owner_id.choices = [(0, "—")] + [(u.id, f"{u.display_name} ({u.team.name})")
                                          for u in team_reps([t.id for t in teams])]
    if request.method == "GET":
        form.period.data = form.period.data or str(Period.current("year").next().key
                                                   if request.args.get("next") else Period.current("year").key)
        form.scope.data = request.args.get("scope") if request.args.get("scope") in scopes else scopes[0]
        form.team_id.data = request.args.get("team_id", type=int) or (current_user.team_id or 0)
        form.owner_id.data = request.args.get("rep_id", type=int) or 0
    return form


@bp.route("/new", methods=["GET", "POST"])
@policy(MANAGERS)
def plan_create():
    form = _plan_form()
    if form.validate_on_submit():
        try:
            plan = services.create_plan(
                current_user, scope=form.scope.data, period=Period.parse(form.period.data),
                team_id=form.team_id.data or None, owner_id=form.owner_id.data or None, title=form.title.data,
                analysis=form.analysis.data, strategy=form.strategy.data, steps=form.steps.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Plan saved as a draft. Now set its targets."), "success")
            return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    return render_template("plans/plan_form.html", form=form, plan=None)


def _render_plan(plan: Plan, form: DecisionForm | None = None):
    status = queries.scope_status(plan.period, plan.scope, plan.team_id, plan.owner_id)
    warnings = queries.children_warnings(plan.scope, plan.team_id, plan.owner_id, plan.period)
    rep_warnings = (queries.sum_warnings(plan.scope, plan.team_id, plan.period)
                    if plan.scope in ("company", "team") else [])
    req = services.plan_request(plan)
    return render_template(
        "plans/plan_detail.html", plan=plan, status=status, warnings=warnings, rep_warnings=rep_warnings,
        measures=MEASURE_LABELS, tiers=TIER_LABELS, statuses=STATUS_LABELS, scopes=SCOPE_LABELS,
        badges=STATUS_BADGES, form=form or DecisionForm(), req=req, can_edit=services.can_edit_plan(current_user, plan),
        can_submit=services.can_submit_plan(current_user, plan),
        can_decide=services.can_decide_plan(current_user, plan, req),
        can_withdraw=services.can_withdraw_plan(current_user, plan, req),
        can_targets=(services.can_edit_targets(current_user, plan.scope, plan.team_id, plan.owner_id)
                     and plan.status != "submitted"))


@bp.route("/<int:plan_id>")
@policy(SALES)
def plan_detail(plan_id: int):
    """A plan: its analysis, strategy and steps, its targets, the warnings, and its approval."""
    return _render_plan(_get_plan(plan_id))


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@policy(MANAGERS)
def plan_edit(plan_id: int):
    plan = _get_plan(plan_id)
    if not services.can_edit_plan(current_user, plan):
        flash(_("This plan cannot be changed now."), "warning")
        return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    form = PlanEditForm(obj=plan)
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, plan):
                services.update_plan(current_user, plan, title=form.title.data, analysis=form.analysis.data,
                                     strategy=form.strategy.data, steps=form.steps.data)
        except ServiceError as err:
            err.attach(form)
        except concurrency.Conflict as conflict:
            return render_template("plans/plan_form.html", form=form, plan=plan, conflict=conflict), 409
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.plan_detail", plan_id=plan.id))
    return render_template("plans/plan_form.html", form=form, plan=plan)


@bp.route("/<int:plan_id>/submit", methods=["POST"])
@policy(MANAGERS)
def plan_submit(plan_id: int):
    """Send the plan into approval (again, after a return or a withdrawal); the team's chain decides who approves."""
    plan = _get_plan(plan_id)
    try:
        req = services.submit_plan(current_user, plan)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Plan approved.") if req.status == "approved" else _("Plan submitted for approval."), "success")
    return redirect(url_for("plans.plan_detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/withdraw", methods=["POST"])
@policy(MANAGERS)
def plan_withdraw(plan_id: int):
    """The requester takes the plan back from approval to change it."""
    plan = _get_plan(plan_id)
    try:
        services.withdraw_plan(current_user, plan)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Request withdrawn. You can change the record and resubmit it."), "success")
    return redirect(url_for("plans.plan_detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/decide", methods=["POST"])
@policy(MANAGERS)
def plan_decide(plan_id: int):
    """The approver of the current step approves the plan, returns it with a comment or rejects it."""
    plan = _get_plan(plan_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_plan(plan, form)
    decision = request.form.get("decision", "")
    try:
        services.decide_plan(current_user, plan, decision, form.comment.data)
    except ServiceError as err:
        err.attach(form)
        return _render_plan(plan, form)
    messages = {"approve": _("Decision recorded."), "return": _("Plan returned to its author."),
                "reject": _("Plan rejected.")}
    flash(messages.get(decision, _("Decision recorded.")), "success")
    return redirect(url_for("plans.plan_detail", plan_id=plan.id))


# Seasonal profiles ----------------------------------------------------------------------------

@bp.route("/profiles", methods=["GET", "POST"])
@policy(MANAGERS)
def profiles():
    """Seasonal profiles: monthly weights used to split a year's targets into months."""
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            services.save_profile(current_user, None, name=form.name.data, weights_text=form.weights.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.profiles"))
    rows = list(db.session.scalars(select(SeasonalProfile).order_by(SeasonalProfile.name)))
    return render_template("plans/profiles.html", rows=rows, form=form)


@bp.route("/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@policy(MANAGERS)
def profile_edit(profile_id: int):
    profile = db.get_or_404(SeasonalProfile, profile_id)
    # The stored weights are a list; the field edits them as text (also when a post leaves it out).
    form = ProfileForm(name=profile.name, weights=", ".join(profile.weights))
    if form.validate_on_submit():
        try:
            services.save_profile(current_user, profile, name=form.name.data, weights_text=form.weights.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("plans.profiles"))
    return render_template("plans/profile_form.html", form=form, profile=profile)

