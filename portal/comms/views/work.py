"""Work plans and reports (weekly, or daily when the team says so) and the team's due times."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...authz import DIRECTOR, REP, SALES, managed_team_ids, policy
from ...core.db import db
from ...core.errors import ServiceError
from ...core.pagination import paginate
from ...core.periods import to_local
from ...people.models import Team
from .. import bp, services
from .. import queries as q
from ..forms import CommentForm, PlanForm, ReportForm, TeamRulesForm
from ..models import WorkPlan, WorkReport
from ..schedule import current_slot, parse_slot, previous_slot, rule_values, rules_for
from ._common import get_visible_or_404


def _owner_filter(stmt, model):
    owner = request.args.get("rep", type=int)
    return stmt.where(model.owner_id == owner) if owner else stmt


@bp.route("/work")
@policy(SALES)
def work():
    """Plans and reports: a rep's own with what is due now; a director's team; everything for the GM."""
    tab = request.args.get("tab", "plans")
    if tab == "reports":
        stmt = _owner_filter(q.visible_reports(current_user), WorkReport).options(joinedload(WorkReport.owner))
        page = paginate(stmt.order_by(WorkReport.period_start.desc(), WorkReport.id.desc()))
    else:
        stmt = _owner_filter(q.visible_plans(current_user), WorkPlan).options(
            joinedload(WorkPlan.owner), selectinload(WorkPlan.report), selectinload(WorkPlan.items))
        page = paginate(stmt.order_by(WorkPlan.period_start.desc(), WorkPlan.id.desc()))
    due = None
    if current_user.role == "rep":
        rules = rules_for(current_user.team_id)
        slots = [current_slot(rules)]
        prev = previous_slot(rules, slots[0])
        if prev:
            slots.append(prev)
        filed_plans = {p.period_start: p for p in db.session.scalars(select(WorkPlan).where(
            WorkPlan.owner_id == current_user.id, WorkPlan.period_start.in_([s.start for s in slots])))}
        filed_reports = {r.period_start: r for r in db.session.scalars(select(WorkReport).where(
            WorkReport.owner_id == current_user.id, WorkReport.period_start.in_([s.start for s in slots])))}
        due = {"slots": slots, "plans": filed_plans, "reports": filed_reports, "rules": rules}
    reps = []
    if current_user.role == "director":
        reps = q.team_reps(managed_team_ids(current_user) or set())
    return render_template("comms/work.html", page=page, tab=tab, due=due, reps=reps,
                           missing=q.missing_work(managed_team_ids(current_user) or set())
                           if current_user.role == "director" else [])


@bp.route("/plans/new", methods=["GET", "POST"])
@policy(REP)
def plan_edit():
    """File (or revise, until its report is in) the plan for a week or day: ?slot=2026-W48."""
    rules = rules_for(current_user.team_id)
    slot = parse_slot(rules, request.args.get("slot"))
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.owner_id == current_user.id,
                                                    WorkPlan.cadence == slot.cadence,
                                                    WorkPlan.period_start == slot.start))
    form = PlanForm()
    if request.method == "GET" and plan is not None:
        form.items.data = "\n".join(i.text for i in plan.items)
        form.notes.data = plan.notes
    if form.validate_on_submit():
        try:
            plan = services.save_plan(current_user, slot, form.items.data, form.notes.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Work plan saved."), "success")
            return redirect(url_for("comms.plan_detail", plan_id=plan.id))
    return render_template("comms/plan_form.html", form=form, slot=slot, plan=plan)


@bp.route("/plans/<int:plan_id>")
@policy(SALES)
def plan_detail(plan_id: int):
    plan = get_visible_or_404(WorkPlan, plan_id, _can_see_work, current_user)
    return render_template("comms/plan_detail.html", plan=plan, form=CommentForm(),
                           can_comment=q.can_comment_work(current_user, plan))


def _can_see_work(user, record) -> bool:
    from ...authz import can_see_record

    return user.role != "admin" and can_see_record(user, record)


@bp.route("/reports/new", methods=["GET", "POST"])
@policy(REP)
def report_new():
    """The report for a slot, one line per planned item: done?, result, problems."""
    rules = rules_for(current_user.team_id)
    slot = parse_slot(rules, request.args.get("slot"))
    existing = db.session.scalar(select(WorkReport).where(
        WorkReport.owner_id == current_user.id, WorkReport.cadence == slot.cadence,
        WorkReport.period_start == slot.start))
    if existing is not None:
        flash(_("The report for this period is already filed."), "info")
        return redirect(url_for("comms.report_detail", report_id=existing.id))
    plan = db.session.scalar(select(WorkPlan).options(selectinload(WorkPlan.items)).where(
        WorkPlan.owner_id == current_user.id, WorkPlan.cadence == slot.cadence,
        WorkPlan.period_start == slot.start))
    items = plan.items if plan else []
    form = ReportForm()
    if request.method == "GET":
        for item in items:
            form.lines.append_entry({"plan_item_id": str(item.id)})
    labels = {str(i.id): i.text for i in items}
    if form.validate_on_submit():
        lines = [{"plan_item_id": int(line.plan_item_id.data) if (line.plan_item_id.data or "").isdigit() else None,
                  "done": line.done.data, "result": line.result.data, "problems": line.problems.data}
                 for line in form.lines]
        try:
            report = services.save_report(current_user, plan, slot, lines, form.summary.data, form.problems.data,
                                          form.extra.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Work report filed."), "success")
            return redirect(url_for("comms.report_detail", report_id=report.id))
    return render_template("comms/report_form.html", form=form, slot=slot, plan=plan, labels=labels)


@bp.route("/reports/<int:report_id>")
@policy(SALES)
def report_detail(report_id: int):
    report = get_visible_or_404(WorkReport, report_id, _can_see_work, current_user)
    return render_template("comms/report_detail.html", report=report, form=CommentForm(),
                           can_comment=q.can_comment_work(current_user, report))


def _comment(model, ident, endpoint, arg):
    obj = get_visible_or_404(model, ident, _can_see_work, current_user)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.comment_work(current_user, obj, form.comment.data, endpoint, arg)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Comment saved."), "success")
    else:
        flash(_("Write a comment first."), "danger")
    return redirect(url_for(endpoint, **{arg: obj.id}))


@bp.route("/plans/<int:plan_id>/comment", methods=["POST"])
@policy(DIRECTOR)
def plan_comment(plan_id: int):
    return _comment(WorkPlan, plan_id, "comms.plan_detail", "plan_id")


@bp.route("/reports/<int:report_id>/comment", methods=["POST"])
@policy(DIRECTOR)
def report_comment(report_id: int):
    return _comment(WorkReport, report_id, "comms.report_detail", "report_id")


@bp.route("/team-rules", methods=["GET", "POST"])
@policy(DIRECTOR)
def team_rules():
    """The director sets the team's cadence (weekly or daily) and when plans and reports are due."""
    team = db.session.get(Team, current_user.team_id) if current_user.team_id else None
    if team is None or team.id not in (managed_team_ids(current_user) or set()):
        abort(404)
    current = rule_values(team.id)
    form = TeamRulesForm(data=current)
    if form.validate_on_submit():
        values = {k: form[k].data for k in current}
        services.save_team_rules(current_user, team.id, values)
        flash(_("Saved."), "success")
        return redirect(url_for("comms.team_rules"))
    rules = rules_for(team.id)
    slot = current_slot(rules)
    return render_template("comms/team_rules.html", form=form, team=team, slot=slot, to_local=to_local)


