"""The public pool's pages: the pool list with claim and assign, the rules, keep requests and locks."""
from __future__ import annotations

import re
import unicodedata
from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..authz import DIRECTOR, GM, REP, SALES, managed_team_ids, policy
from ..core import settings
from ..core.db import db
from ..core.errors import ServiceError
from ..core.pagination import paginate, paginate_narrow
from ..people.menus import choices as menu_choices
from ..people.menus import people_menu
from ..people.models import Team
from . import bp, pool, services
from .access import can_claim, can_edit_customer, can_manage_team_customers, get_customer_or_404
from .forms import RULE_LABELS, AssignForm, KeepDecisionForm, KeepForm, PoolRulesForm
from .models import TIERS, Customer, KeepRequest, name_key


def filtered_pool(args):
    """The pool list's query for the filters in ``args``."""
    stmt = pool.pool_query(current_user)
    q = unicodedata.normalize("NFKC", args.get("q") or "").strip()[:100]
    if q:
        conds = [Customer.name_key.contains(name_key(q), autoescape=True)]
        letters = re.sub(r"[^0-9a-z]", "", q.casefold())
        if letters:
            conds += [Customer.pinyin_full.contains(letters), Customer.pinyin_initials.contains(letters)]
        stmt = stmt.where(or_(*conds))
    if args.get("tier") in TIERS:
        stmt = stmt.where(Customer.tier == args["tier"])
    region = (args.get("region") or "").strip()
    if region:
        stmt = stmt.where(Customer.region == region)
    industry = (args.get("industry") or "").strip()
    if industry:
        stmt = stmt.where(Customer.industry == industry)
    team = args.get("team") or ""
    if team == "company":
        stmt = stmt.where(Customer.company_pool.is_(True))
    elif team.isdigit():
        stmt = stmt.where(Customer.team_id == int(team), Customer.company_pool.is_(False))
    how = args.get("how")
    if how == "recycled":
        stmt = stmt.where(Customer.previous_owner_id.is_not(None))
    elif how == "new":
        stmt = stmt.where(Customer.previous_owner_id.is_(None))
    # Every pool customer has an arrival time (models.Customer._entering_pool): no NULLs to place, so
    # the order is ix_customer_owner_arrival read backwards on both databases.
    return stmt.order_by(Customer.pool_entered_at.desc(), Customer.id.desc())


def _row_context(customer: Customer, **extra) -> dict:
    return {"c": customer, "can_claim": can_claim(current_user, customer), "reps": extra.pop("reps", None),
            **extra}


@bp.route("/pool")
@policy(SALES)
def pool_page():
    """The public pool: customers without an owner that the user may claim (reps) or assign (directors)."""
    pool.recycle_on_open(pool.pool_teams(current_user))
    stmt = filtered_pool(request.args)
    page = paginate_narrow(stmt, Customer, (joinedload(Customer.previous_owner), joinedload(Customer.team)))
    teams = pool.pool_teams(current_user)
    reps = people_menu(teams) if current_user.role == "director" else []
    base = pool.pool_query(current_user)
    regions = list(db.session.scalars(base.with_only_columns(Customer.region).where(Customer.region.is_not(None))
                                      .distinct().order_by(Customer.region).limit(200)))
    industries = list(db.session.scalars(base.with_only_columns(Customer.industry)
                                         .where(Customer.industry.is_not(None)).distinct()
                                         .order_by(Customer.industry).limit(200)))
    all_teams = list(db.session.scalars(select(Team).order_by(Team.name))) if current_user.role == "gm" else []
    ctx = {"page": page, "reps": reps, "regions": regions, "industries": industries, "tiers": TIERS,
           "args": request.args, "teams": all_teams, "can_claim": can_claim}
    if current_user.role == "rep":
        cfg = pool.team_settings(current_user.team_id)
        ctx["claims_left"] = max(cfg.daily_claims - pool.claims_today(current_user.id), 0)
        ctx["daily_claims"] = cfg.daily_claims
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "pool-rows":
        return render_template("customers/_pool_rows.html", **ctx)
    return render_template("customers/pool.html", **ctx)


@bp.route("/pool/<int:customer_id>/claim", methods=["POST"])
@policy(REP)
def pool_claim(customer_id: int):
    """Claim from the pool page: htmx gets the row back (with the reason when refused)."""
    customer = get_customer_or_404(customer_id, current_user)
    error = None
    try:
        services.claim(current_user, customer)
    except ServiceError as err:
        error = err.message
    if request.headers.get("HX-Request"):
        return render_template("customers/_pool_row.html", c=customer, error=error, claimed=error is None,
                               reps=[], can_claim=can_claim)
    if error:
        flash(error, "danger")
    else:
        flash(_("The customer is yours now."), "success")
    return redirect(url_for("customers.pool_page"))


@bp.route("/pool/<int:customer_id>/assign", methods=["POST"])
@policy(DIRECTOR)
def pool_assign(customer_id: int):
    """The director gives a pool customer to a rep of the team."""
    customer = get_customer_or_404(customer_id, current_user)
    if not can_manage_team_customers(current_user, customer.team_id):
        abort(403)
    form = AssignForm()
    form.rep_id.choices = menu_choices(people_menu({customer.team_id}))
    error = None
    if form.validate_on_submit():
        try:
            pool.assign(current_user, customer, form.rep_id.data)
        except ServiceError as err:
            error = err.message
    else:
        error = _("Choose a sales rep of this customer's team.")
    if request.headers.get("HX-Request"):
        return render_template("customers/_pool_row.html", c=customer, error=error, assigned=error is None,
                               reps=[], can_claim=can_claim)
    flash(error or _("Customer assigned."), "danger" if error else "success")
    return redirect(url_for("customers.pool_page"))


@bp.route("/pool/<int:customer_id>/move", methods=["POST"])
@policy(GM)
def pool_move(customer_id: int):
    """The GM moves a pool customer into the company pool or into a team's pool."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.owner_id is not None:
        abort(404)
    target = request.form.get("to", "")
    error = None
    try:
        pool.move_pool(current_user, customer, target == "company",
                       int(target) if target.isdigit() else None)
    except ServiceError as err:
        error = err.message
    if request.headers.get("HX-Request"):
        teams = list(db.session.scalars(select(Team).order_by(Team.name)))
        return render_template("customers/_pool_row.html", c=customer, error=error, reps=[], teams=teams,
                               can_claim=can_claim)
    flash(error or _("Saved."), "danger" if error else "success")
    return redirect(url_for("customers.pool_page"))


def _rules_team_id() -> int:
    teams = managed_team_ids(current_user) or set()
    team_id = request.args.get("team", type=int) or current_user.team_id
    if team_id not in teams:
        abort(404)
    return team_id


@bp.route("/pool/rules", methods=["GET", "POST"])
@policy(DIRECTOR)
def pool_rules():
    """The director's pool rules for the team: limits, capacity per tier, recycling days, reminder, discounts."""
    team_id = _rules_team_id()
    form = PoolRulesForm()
    if request.method == "GET":
        cfg = pool.team_settings(team_id)
        form.daily_claims.data, form.reclaim_days.data = cfg.daily_claims, cfg.reclaim_days
        form.remind_days.data, form.keep_max_days.data = cfg.remind_days, cfg.keep_max_days
        form.discount_threshold.data = services.discount_threshold(team_id)
        for tier, rule in pool.rules_for(team_id).items():
            for name in pool.RULE_FIELDS:
                getattr(form, f"{tier}_{name}").data = getattr(rule, name)
    if form.validate_on_submit():
        values = {k: getattr(form, k).data for k in ("daily_claims", "keep_max_days")}
        values["reclaim_days"] = form.reclaim_days.data or 0
        values["remind_days"] = form.remind_days.data or 0
        for tier in TIERS:
            for name in pool.RULE_FIELDS:
                values[f"{tier}_{name}"] = getattr(form, f"{tier}_{name}").data
        try:
            pool.save_rules(current_user, team_id, values)
        except ServiceError as err:
            err.attach(form)
        else:
            old = services.discount_threshold(team_id)
            settings.put(services.DISCOUNT_KEY, str(form.discount_threshold.data), team_id=team_id)
            from ..audit.services import record

            record("setting", object_type="setting", object_id=f"team:{team_id}:{services.DISCOUNT_KEY}",
                   team_id=team_id, changes={services.DISCOUNT_KEY: [str(old), str(form.discount_threshold.data)]})
            flash(_("Pool rules saved."), "success")
            return redirect(url_for("customers.pool_rules", team=team_id))
    team = db.session.get(Team, team_id)
    return render_template("customers/pool_rules.html", form=form, team=team, tiers=TIERS,
                           rule_fields=pool.RULE_FIELDS, rule_labels=RULE_LABELS)


@bp.route("/<int:customer_id>/keep", methods=["GET", "POST"])
@policy(REP)
def ask_keep(customer_id: int):
    """The owner asks the director to keep the customer out of the pool until a date."""
    customer = get_customer_or_404(customer_id, current_user)
    if customer.owner_id != current_user.id:
        abort(403)
    form = KeepForm()
    if form.validate_on_submit():
        try:
            pool.ask_keep(current_user, customer, form.until.data, form.reason.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Your request was sent to the director."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/keep_form.html", form=form, customer=customer)


@bp.route("/pool/keep-requests")
@policy(DIRECTOR)
def keep_requests():
    """Requests to keep customers out of the pool, waiting ones first."""
    teams = managed_team_ids(current_user) or {-1}
    state = request.args.get("state", "pending")
    stmt = select(KeepRequest).where(KeepRequest.team_id.in_(teams)).options(
        joinedload(KeepRequest.customer), joinedload(KeepRequest.requester), joinedload(KeepRequest.decided_by))
    if state == "pending":
        stmt = stmt.where(KeepRequest.status == "pending").order_by(KeepRequest.created_at, KeepRequest.id)
    else:
        state = "decided"
        stmt = stmt.where(KeepRequest.status != "pending").order_by(KeepRequest.decided_at.desc(), KeepRequest.id)
    page = paginate(stmt)
    return render_template("customers/keep_requests.html", page=page, state=state,
                           form=KeepDecisionForm(formdata=None))


@bp.route("/pool/keep-requests/<int:keep_request_id>", methods=["POST"])
@policy(DIRECTOR)
def decide_keep(keep_request_id: int):
    req = db.session.get(KeepRequest, keep_request_id)
    if req is None or not can_manage_team_customers(current_user, req.team_id):
        abort(404)
    form = KeepDecisionForm()
    if form.validate_on_submit():
        try:
            pool.decide_keep(current_user, req, form.decision.data == "approve", form.comment.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Decision recorded."), "success")
    return redirect(url_for("customers.keep_requests"))


@bp.route("/<int:customer_id>/unlock", methods=["POST"])
@policy(DIRECTOR)
def unlock(customer_id: int):
    """Lift a keep-lock: the rules apply to the customer again."""
    customer = get_customer_or_404(customer_id, current_user)
    if not can_manage_team_customers(current_user, customer.team_id) or customer.locked_until is None:
        abort(403)
    pool.unlock(current_user, customer)
    flash(_("Keep-lock lifted."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@cache
def pool_fact_columns() -> tuple:
    """What the pool facts read besides the customer, as columns over the customer's row (correlated
    subqueries), so the customer page reads them with the customer: the newest opportunity, the last
    won deal, a keep request waiting."""
    from sqlalchemy import func

    from .models import Opportunity

    mine = Opportunity.customer_id == Customer.id
    return (select(func.max(Opportunity.created_at)).where(mine).correlate(Customer).scalar_subquery(),
            select(func.max(Opportunity.closed_at)).where(mine, Opportunity.status == "won")
            .correlate(Customer).scalar_subquery(),
            select(func.min(KeepRequest.id)).where(KeepRequest.customer_id == Customer.id,
                                                   KeepRequest.status == "pending")
            .correlate(Customer).scalar_subquery())


def pool_facts(customer: Customer, facts: tuple | None = None) -> dict:
    """What the customer page shows about the pool: the lock, the next recycling date, a waiting request.
    ``facts``: the values of ``pool_fact_columns`` if read with the customer (else one query here); the
    waiting request itself is only read when there is one."""
    user = current_user._get_current_object()
    rule = pool.kept_rule(customer.team_id, pool._tier_key(customer.tier))
    if facts is None:
        facts = db.session.execute(select(*pool_fact_columns()).where(Customer.id == customer.id)).one()
    last_opp, last_won, waiting_id = facts
    due = None
    if customer.owner_id is not None and rule is not None:
        due = pool.recycle_due_on(customer, rule, last_opp, last_won)
    waiting = db.session.get(KeepRequest, waiting_id) if waiting_id else None
    return {"recycle_on": due, "locked": pool.is_locked(customer), "keep_waiting": waiting,
            "can_ask_keep": user.role == "rep" and customer.owner_id == user.id and waiting is None,
            "can_edit": can_edit_customer(user, customer)}
