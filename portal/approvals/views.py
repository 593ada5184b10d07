"""Approval pages: the approver's to-do list, the requester's own requests, a request, and the chains."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..authz import ADMIN, DIRECTOR, MANAGERS, SALES, managed_team_ids, policy
from ..core.db import db
from ..core.errors import ServiceError
from ..core.pagination import paginate
from ..people.models import Team
from . import bp, services
from .forms import ChainForm, DecisionForm
from .models import KINDS, ApprovalRequest

SPARE_ROWS = 2


def _load(approval_id: int, *, for_update: bool = False) -> ApprovalRequest:
    # Deciding locks the row (PostgreSQL): two approvers clicking at once cannot both advance it.
    req = db.session.get(ApprovalRequest, approval_id, with_for_update=for_update or None)
    if req is None or not services.can_view(current_user, req):
        abort(404)
    return req


@bp.route("/")
@policy(MANAGERS)
def todo():
    """Requests waiting at a step the signed-in director or GM decides, oldest first."""
    stmt = (select(ApprovalRequest).where(services.todo_filter(current_user))
            .options(joinedload(ApprovalRequest.requester), joinedload(ApprovalRequest.team))
            .order_by(ApprovalRequest.submitted_at, ApprovalRequest.id))
    return render_template("approvals/todo.html", page=paginate(stmt))


@bp.route("/mine")
@policy(SALES)
def mine():
    """One's own requests: withdraw what waits, resubmit what came back."""
    stmt = (select(ApprovalRequest).where(ApprovalRequest.requester_id == current_user.id)
            .options(joinedload(ApprovalRequest.team))
            .order_by(ApprovalRequest.submitted_at.desc(), ApprovalRequest.id.desc()))
    return render_template("approvals/mine.html", page=paginate(stmt))


def _render_detail(req, form, status=200):
    return render_template("approvals/detail.html", req=req, form=form, events=services.request_history(req),
                           can_decide=services.can_decide(current_user, req)), status


@bp.route("/<int:approval_id>")
@policy(SALES)
def detail(approval_id: int):
    req = _load(approval_id)
    return _render_detail(req, DecisionForm())


@bp.route("/<int:approval_id>/decide", methods=["POST"])
@policy(MANAGERS)
def decide(approval_id: int):
    req = _load(approval_id, for_update=True)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_detail(req, form)
    decision = request.form.get("decision", "")
    try:
        services.decide(current_user, req, decision, form.comment.data)
    except ServiceError as err:
        err.attach(form)
        return _render_detail(req, form)
    flash(_("Decision recorded."), "success")
    return redirect(url_for("approvals.todo"))


@bp.route("/<int:approval_id>/withdraw", methods=["POST"])
@policy(SALES)
def withdraw(approval_id: int):
    req = _load(approval_id, for_update=True)
    try:
        services.withdraw(current_user, req)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Request withdrawn. You can change the record and resubmit it."), "success")
    return redirect(url_for("approvals.detail", approval_id=req.id))


@bp.route("/<int:approval_id>/resubmit", methods=["POST"])
@policy(SALES)
def resubmit(approval_id: int):
    req = _load(approval_id, for_update=True)
    try:
        services.resubmit(current_user, req)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Request resubmitted."), "success")
    return redirect(url_for("approvals.detail", approval_id=req.id))


# Chains ------------------------------------------------------------------------------------------

def _chain_teams() -> list[Team]:
    stmt = select(Team).order_by(Team.name)
    teams = managed_team_ids(current_user)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    return list(db.session.scalars(stmt))


@bp.route("/chains")
@policy(DIRECTOR | ADMIN)
def chains():
    """The chains in force: the company default (admin) and each team's own or inherited chain."""
    from .models import ApprovalChain

    teams = _chain_teams()
    scopes = ([None] if current_user.role == "admin" else []) + [t.id for t in teams]
    rows = db.session.scalars(select(ApprovalChain).options(selectinload(ApprovalChain.steps)).where(
        ApprovalChain.team_id.in_([s for s in scopes if s]) | ApprovalChain.team_id.is_(None)))
    own = {(c.team_id, c.kind): c for c in rows}
    return render_template("approvals/chains.html", teams=teams, kinds=KINDS, own=own,
                           default_chain=services.DEFAULT_CHAIN, show_company=current_user.role == "admin")


def _scope_or_404(chain_team_id: int, chain_kind: str):
    if chain_kind not in KINDS:
        abort(404)
    team = None
    if chain_team_id:
        team = db.session.get(Team, chain_team_id)
        if team is None:
            abort(404)
    if not services.can_edit_chain(current_user, team.id if team else None):
        abort(404 if team is not None else 403)
    return team


@bp.route("/chains/<int:chain_team_id>/<chain_kind>", methods=["GET", "POST"])
@policy(DIRECTOR | ADMIN)
def chain_edit(chain_team_id: int, chain_kind: str):
    """Edit one chain; team 0 is the company default."""
    team = _scope_or_404(chain_team_id, chain_kind)
    team_id = team.id if team else None
    form = ChainForm()
    if request.method == "GET":
        current = services.effective_steps(chain_kind, team_id)
        data = [{"role": r, "min_amount": a} for r, a in current] + [{"role": "", "min_amount": None}] * SPARE_ROWS
        form = ChainForm(data={"steps": data})
    elif form.validate_on_submit():
        try:
            services.save_chain(current_user, team_id, chain_kind, form.chosen())
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Approval chain saved."), "success")
            return redirect(url_for("approvals.chains"))
    own = services.find_chain(chain_kind, team_id) is not None
    return render_template("approvals/chain_form.html", form=form, team=team, kind=chain_kind, own=own)


@bp.route("/chains/<int:chain_team_id>/<chain_kind>/reset", methods=["POST"])
@policy(DIRECTOR | ADMIN)
def chain_reset(chain_team_id: int, chain_kind: str):
    """Drop a team's own chain so the company default applies again."""
    team = _scope_or_404(chain_team_id, chain_kind)
    services.reset_chain(current_user, team.id if team else None, chain_kind)
    flash(_("The default chain applies again."), "success")
    return redirect(url_for("approvals.chains"))
