"""Opportunities: the list, the pipeline board by stage (htmx moves a card), create, edit, close."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..authz import DIRECTOR, REP, SALES, policy
from ..core.db import db
from ..core.errors import ServiceError
from ..core.links import id_paths
from ..core.money import ZERO
from ..core.pagination import paginate_narrow
from ..people.models import Team, User
from . import bp, services
from .access import can_edit_customer, can_edit_record, get_customer_or_404, get_record_or_404, record_scope
from .forms import OPP_STATUS_LABELS, CloseForm, OpportunityForm, StageMoveForm
from .models import Customer, Opportunity

# The board shows the first cards of each stage; "More" (htmx) brings the next batch into its column,
# as Odoo's kanban does, so a director's board of many open deals stays a light page.
BOARD_FIRST_CARDS = 10
BOARD_MORE_CARDS = 20


def _board_team_id(user=None) -> int | None:
    """Whose stage list the board uses: the user's team; the GM chooses a team (?team=)."""
    if user is None:
        user = current_user
    if user.role == "gm":
        return request.args.get("team", type=int)
    return user.team_id


def _stage_choices(team_id) -> list:
    return [(s.id, f"{s.name} ({s.probability}%)") for s in services.stages_for(team_id)]


@bp.route("/opportunities")
@policy(SALES)
def opportunities():
    """Opportunities the user may see, filtered by status and stage."""
    stmt = record_scope(select(Opportunity), Opportunity, current_user)
    status = request.args.get("status", "open")
    if status in OPP_STATUS_LABELS:
        stmt = stmt.where(Opportunity.status == status)
    stage_id = request.args.get("stage", type=int)
    if stage_id:
        stmt = stmt.where(Opportunity.stage_id == stage_id)
    page = paginate_narrow(stmt.order_by(Opportunity.expected_close.asc().nulls_last(), Opportunity.id.desc()),
                           Opportunity, (joinedload(Opportunity.customer), joinedload(Opportunity.stage),
                                         joinedload(Opportunity.owner)))
    return render_template("customers/opportunities.html", page=page, status=status,
                           stages=services.stages_for(_board_team_id()))


def _board_base(user, team_id, columns):
    """Open opportunities the user may see (the GM: of the chosen team, if any), as ``columns``."""
    base = record_scope(select(*columns), Opportunity, user).where(Opportunity.status == "open")
    if user.role == "gm" and team_id:
        base = base.where(Opportunity.team_id == team_id)
    return base


# Board order inside a column: the nearest expected close first, undated last.
_BOARD_ORDER = (Opportunity.expected_close.asc().nulls_last(), Opportunity.id)

# What a card shows, as plain columns: whole Opportunity, Customer and User objects (a customer row
# has some forty columns) cost the board more than drawing it.
_CARD_COLUMNS = (Opportunity.id, Opportunity.title, Opportunity.stage_id, Opportunity.amount,
                 Opportunity.probability, Opportunity.expected_close, Customer.name.label("customer_name"),
                 User.display_name.label("owner_name"))


def _board_cards(user, team_id, start: int, count: int, stage_id: int | None = None) -> dict[int, list]:
    """Cards ``start``+1 … ``start``+``count`` of each stage (or of one), in board order: one query.
    The ranking reads only ids (a subquery of whole rows made SQLite copy and sort every open
    opportunity of the scope with all its columns); the shown columns are read for the cards alone."""
    rank = func.row_number().over(partition_by=Opportunity.stage_id, order_by=_BOARD_ORDER).label("rn")
    base = _board_base(user, team_id, (Opportunity.id, rank))
    if stage_id is not None:
        base = base.where(Opportunity.stage_id == stage_id)
    ranked = base.subquery()
    stmt = (select(*_CARD_COLUMNS).select_from(ranked).join(Opportunity, Opportunity.id == ranked.c.id)
            .outerjoin(Customer, Customer.id == Opportunity.customer_id)
            .outerjoin(User, User.id == Opportunity.owner_id)
            .where(ranked.c.rn > start, ranked.c.rn <= start + count)
            .order_by(*_BOARD_ORDER))
    cards: dict[int, list] = {}
    for card in db.session.execute(stmt):
        cards.setdefault(card.stage_id, []).append(card)
    return cards


def _card_constants(user, team_id) -> dict:
    """What every card of the board draws alike: its two links, each built from one address (a url_for
    per card cost more than the card), the ?team= the "More" links carry (the GM's choice; others have
    none), and whether the user moves cards."""
    return {"opp_href": id_paths("customers.opportunity", "opportunity_id"),
            "move_href": id_paths("customers.move_opportunity", "opportunity_id"),
            "board_team": team_id if user.role == "gm" else None,
            "can_edit": user.role in ("rep", "director")}


def board_context() -> dict:
    """Columns of open opportunities by stage: one query for the first cards of every stage and one
    for the totals, whatever the number of opportunities."""
    user = current_user._get_current_object()  # read many times below: not through the proxy
    team_id = _board_team_id(user)
    stages = services.stages_for(team_id)
    cards = _board_cards(user, team_id, 0, BOARD_FIRST_CARDS)
    from .queries import pipeline_by_stage

    scope = ("team", team_id) if user.role == "gm" and team_id else user
    totals = {sid: (n, amount, weighted) for sid, n, amount, weighted in pipeline_by_stage(scope)}
    columns = [(s, cards.get(s.id, []), totals.get(s.id, (0, ZERO, ZERO))) for s in stages]
    teams = None
    if user.role == "gm":
        teams = db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    return {"columns": columns, "stage_choices": [(s.id, s.name) for s in stages], "team_id": team_id,
            "teams": teams, "weighted_total": sum((t[2] for t in totals.values()), ZERO),
            **_card_constants(user, team_id)}


@bp.route("/pipeline/stages/<int:stage_id>")
@policy(SALES)
def pipeline_more(stage_id: int):
    """The next cards of one stage of the board (its "More" button), with the following button."""
    user = current_user._get_current_object()
    team_id = _board_team_id(user)
    stages = services.stages_for(team_id)
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        abort(404)
    start = max(request.args.get("start", 0, type=int) or 0, 0)
    # One row more than shown tells whether a next batch follows, without counting the stage.
    cards = _board_cards(user, team_id, start, BOARD_MORE_CARDS + 1, stage_id).get(stage_id, [])
    more = len(cards) > BOARD_MORE_CARDS
    cards = cards[:BOARD_MORE_CARDS]
    return render_template("customers/_board_cards.html", stage=stage, cards=cards, more=more,
                           next_start=start + len(cards), stage_choices=[(s.id, s.name) for s in stages],
                           **_card_constants(user, team_id))


@bp.route("/pipeline")
@policy(SALES)
def pipeline():
    """The pipeline board: a column per stage; cards move with htmx or with each card's own form."""
    ctx = board_context()
    if request.headers.get("HX-Request"):
        return render_template("customers/_board.html", **ctx)
    return render_template("customers/pipeline.html", **ctx)


@bp.route("/opportunities/<int:opportunity_id>/stage", methods=["POST"])
@policy(REP | DIRECTOR)
def move_opportunity(opportunity_id: int):
    """Move a card to another stage; htmx gets the board back, a plain form a redirect."""
    opp = get_record_or_404(Opportunity, opportunity_id, current_user)
    form = StageMoveForm()
    form.stage_id.choices = _stage_choices(opp.team_id)
    if form.validate_on_submit():
        try:
            services.move_stage(current_user, opp, form.stage_id.data)
        except ServiceError as err:
            flash(err.message, "danger")
    else:
        flash(_("Choose a stage from the list."), "danger")
    if request.headers.get("HX-Request"):
        return render_template("customers/_board.html", **board_context())
    if request.form.get("next") == "detail":
        return redirect(url_for("customers.opportunity", opportunity_id=opp.id))
    return redirect(url_for("customers.pipeline"))


@bp.route("/<int:customer_id>/opportunities/new", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def new_opportunity(customer_id: int):
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    form = OpportunityForm()
    form.stage_id.choices = _stage_choices(customer.team_id)
    if form.validate_on_submit():
        try:
            opp = services.save_opportunity(current_user, None, customer, form.data)
        except ServiceError as err:
            err.attach(form)
        else:
            if services.opportunity_locked(opp):
                flash(_("Saved. The discount is above the team's threshold and was sent for approval."), "info")
            else:
                flash(_("Opportunity saved."), "success")
            return redirect(url_for("customers.opportunity", opportunity_id=opp.id))
    return render_template("customers/opportunity_form.html", form=form, customer=customer, opp=None)


@bp.route("/opportunities/<int:opportunity_id>")
@policy(SALES)
def opportunity(opportunity_id: int):
    opp = get_record_or_404(Opportunity, opportunity_id, current_user)
    close_form = CloseForm()
    close_form.lost_reason_id.choices = [(0, "—")] + [(r.id, r.name) for r in services.lost_reasons_for(opp.team_id)]
    move_form = StageMoveForm(stage_id=opp.stage_id)
    move_form.stage_id.choices = _stage_choices(opp.team_id)
    return render_template("customers/opportunity.html", opp=opp, close_form=close_form, move_form=move_form,
                           can_edit=can_edit_record(current_user, opp), locked=services.opportunity_locked(opp))


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def edit_opportunity(opportunity_id: int):
    opp = get_record_or_404(Opportunity, opportunity_id, current_user)
    if not can_edit_record(current_user, opp):
        abort(403)
    if services.opportunity_locked(opp):
        flash(_("This opportunity waits for the approval of its discount: it cannot be changed now."), "warning")
        return redirect(url_for("customers.opportunity", opportunity_id=opp.id))
    form = OpportunityForm(obj=opp)
    form.stage_id.choices = _stage_choices(opp.team_id)
    if form.validate_on_submit():
        try:
            services.save_opportunity(current_user, opp, None, form.data)
        except ServiceError as err:
            err.attach(form)
        else:
            if services.opportunity_locked(opp):
                flash(_("Saved. The discount is above the team's threshold and was sent for approval."), "info")
            else:
                flash(_("Opportunity saved."), "success")
            return redirect(url_for("customers.opportunity", opportunity_id=opp.id))
    return render_template("customers/opportunity_form.html", form=form, customer=opp.customer, opp=opp)


@bp.route("/opportunities/<int:opportunity_id>/close", methods=["POST"])
@policy(REP | DIRECTOR)
def close_opportunity(opportunity_id: int):
    """Won or lost (with a reason from the list)."""
    opp = get_record_or_404(Opportunity, opportunity_id, current_user)
    form = CloseForm()
    form.lost_reason_id.choices = [(0, "—")] + [(r.id, r.name) for r in services.lost_reasons_for(opp.team_id)]
    if form.validate_on_submit():
        try:
            services.close_opportunity(current_user, opp, form.outcome.data == "won",
                                       reason_id=form.lost_reason_id.data or None, note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Opportunity closed."), "success")
            return redirect(url_for("customers.opportunity", opportunity_id=opp.id))
    move_form = StageMoveForm(stage_id=opp.stage_id)
    move_form.stage_id.choices = _stage_choices(opp.team_id)
    return render_template("customers/opportunity.html", opp=opp, close_form=form, move_form=move_form,
                           can_edit=can_edit_record(current_user, opp), locked=services.opportunity_locked(opp))

