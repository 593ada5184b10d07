"""Customers: the list, a customer's page with its timeline, contacts, the log, status and owner."""
from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false, func, or_, select, union
from sqlalchemy.orm import joinedload

from ..authz import DIRECTOR, REP, SALES, managed_team_ids, policy
from ..core import concurrency
from ..core.cache import VersionedCache
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.links import id_paths
from ..core.pagination import paginate_counted, paginate_narrow
from ..people.menus import choices as menu_choices
from ..people.menus import people_menu
from ..people.models import User
from . import bp, pool, services
from .access import (
    can_claim,
    can_edit_activity,
    can_edit_customer,
    can_manage_team_customers,
    customer_with,
    get_customer_or_404,
    get_customer_with_or_404,
    scope_key,
    scope_terms,
    visible_customers,
)
from .forms import (
    ACTIVITY_LABELS,
    DIRECTION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    OPP_STATUS_LABELS,
    REQUEST_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    ActivityForm,
    ContactForm,
    CustomerForm,
    ReassignAllForm,
    ReassignForm,
    StatusForm,
    local_to_utc,
)
from .models import CUSTOMER_STATUSES, REGIONS_CACHE, TIERS, Activity, Contact, Customer, name_key
from .timeline import build_timeline, timeline_words

SORTS = {
    "name": (Customer.name_key,),
    "recent": (Customer.created_at.desc(), Customer.id.desc()),
    "contact": (Customer.last_contact_at.asc().nulls_first(), Customer.id),
    "tier": (Customer.tier.asc().nulls_last(), Customer.name_key),
}
TIMELINE_PER_PAGE = 20


_LABELS = {"kinds": KIND_LABELS, "statuses": STATUS_LABELS, "sources": SOURCE_LABELS,
           "activities": ACTIVITY_LABELS, "directions": DIRECTION_LABELS, "events": EVENT_LABELS,
           "opp_statuses": OPP_STATUS_LABELS, "requests": REQUEST_LABELS}
_TRANSLATED: dict[str, dict] = {}


def labels() -> dict:
    """Display words for the codes stored in the rows, for every template of the feature: translated once
    per language (a lazy label looks its catalog up again each time a row shows it)."""
    locale = str(get_locale())
    if locale not in _TRANSLATED:
        _TRANSLATED[locale] = {name: {code: str(label) for code, label in words.items()}
                               for name, words in _LABELS.items()}
    return _TRANSLATED[locale]


@bp.after_request
def _vary_on_htmx(response):
    """Pages here answer htmx requests with a fragment: caches must keep the two apart."""
    response.vary.add("HX-Request")
    return response


@bp.app_context_processor
def _customer_helpers():
    return {"customer_labels": labels, "id_paths": id_paths}


def filtered_customers(args, user=None):
    """The customer list's query for the filters in ``args`` (shared by the page and the exports)."""
    stmt, sort, _conds = _list_query(args, user or current_user._get_current_object())
    return stmt, sort


def _list_query(args, user):
    """The list's select, its sort and its filter conditions alone (the count reuses them)."""
    conds, sort = _filters(args, user)
    return visible_customers(user).where(*conds).order_by(*SORTS[sort]), sort, conds


def _filters(args, user) -> tuple[list, str]:
    """The conditions of the filters in ``args``, and the sort asked for."""
    conds = []
    q = unicodedata.normalize("NFKC", args.get("q") or "").strip()[:100]
    if q:
        # One column holds the name, phone, pinyin and contacts (search.py). contains(..., autoescape=True):
        # a % or _ typed by the user is a character, not a wildcard.
        needles = {name_key(q), q, re.sub(r"[^0-9a-z]", "", q.casefold())} - {""}
        conds.append(or_(*[Customer.search_text.contains(n, autoescape=True) for n in sorted(needles)]))
    if args.get("status") in CUSTOMER_STATUSES:
        conds.append(Customer.status == args["status"])
    if args.get("tier") in TIERS:
        conds.append(Customer.tier == args["tier"])
    if args.get("kind") in KIND_LABELS:
        conds.append(Customer.kind == args["kind"])
    region = (args.get("region") or "").strip()
    if region:
        conds.append(Customer.region == region)
    owner = args.get("owner") or ""
    if owner == "pool":
        conds.append(Customer.owner_id.is_(None))
    elif owner == "me":
        conds.append(Customer.owner_id == user.id)
    elif owner.isdigit():
        conds.append(Customer.owner_id == int(owner))
    stale = args.get("stale", type=int)
    if stale and stale > 0:
        cutoff = utcnow() - timedelta(days=min(stale, 3650))
        conds.append(or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < cutoff))
    sort = args.get("sort") if args.get("sort") in SORTS else "name"
    return conds, sort


@bp.route("/")
@policy(SALES)
def index():
    """The customers the user may see: search (name, contact, phone, pinyin), filters, sort, pages."""
    user = current_user._get_current_object()
    pool.recycle_on_open(pool.pool_teams(user))
    stmt, sort, conds = _list_query(request.args, user)
    # The rows are the shown columns, not Customer objects: loading 25 entities with their owners cost more
    # than the query. A search's condition (the search column, contacts included) costs more than its rows:
    # one query brings the page and its count. Without one, two cheap queries beat it (a top-25 sort and
    # an index count, where the window count would make the database keep every row of the list).
    if request.args.get("q", "").strip():
        page = paginate_counted(_list_columns(stmt), fence=True)
    else:
        page = paginate_narrow(stmt, Customer, rows=_list_columns(select(Customer)),
                               count=visible_total(user) if not conds else visible_count(user, conds),
                               branches=visible_branches(user, conds, SORTS[sort]))
    teams = managed_team_ids(user)
    owners = people_menu(teams) if teams or teams is None else []
    return render_template("customers/index.html", page=page, sort=sort, args=request.args,
                           owner_choices=[(u.id, u.display_name) for u in owners],
                           region_choices=[(r, r) for r in region_menu(user)], tier_choices=[(t, t) for t in TIERS],
                           detail_path=id_paths("customers.detail", "customer_id"))


def _list_columns(stmt):
    """``stmt`` (a select of customers) as the list's columns, with the owner's name."""
    return stmt.with_only_columns(
        Customer.id, Customer.name, Customer.kind, Customer.status, Customer.tier, Customer.region,
        Customer.owner_id, Customer.last_contact_at, User.display_name.label("owner_name"),
    ).select_from(Customer).outerjoin(User, User.id == Customer.owner_id)


def visible_branches(user, conds: list, order) -> list | None:
    """The list's select once per visibility term (see ``paginate_narrow``), or None for a single term."""
    terms = scope_terms(user)
    if terms is None or len(terms) <= 1:
        return None
    return [select(Customer).where(term, *conds).order_by(*order) for term in terms]


def visible_count(user, conds: list):
    """How many customers the user may see meet ``conds``: ids per visibility term, joined by UNION (a
    customer meeting two terms counts once). A count over the OR of the terms made PostgreSQL scan the
    index of every customer in the company."""
    terms = scope_terms(user)
    if terms is None:
        return select(func.count()).select_from(Customer).where(*conds)
    if len(terms) <= 1:
        return select(func.count()).select_from(Customer).where(*(terms or [false()]), *conds)
    ids = union(*[select(Customer.id).where(term, *conds) for term in terms]).subquery()
    return select(func.count()).select_from(ids)


_REGIONS = VersionedCache(REGIONS_CACHE, size=1024)


def visible_total(user) -> int:
    """How many customers the user may see, the unfiltered list's count. It changes only when a customer's
    visibility does (owner, team, company pool; added or removed) or a person's team or role: what the
    region menus' token follows (models.REGIONS_CACHE), so each worker keeps it beside them. The GM's
    count reads every customer of the company, a director's their teams' (2,000 at F=1: 0.8 ms)."""
    return _REGIONS.get(("total", scope_key(user)), lambda: db.session.scalar(visible_count(user, [])))


def region_menu(user, limit: int = 200) -> list[str]:
    """The regions of the customers the user may see, for the filter menu.

    Kept by each worker per visibility (``scope_key``) until a customer's region or visibility changes
    (models.REGIONS_CACHE): the menu reads every visible customer's region, the pool's included, which
    grows with the company, and it rarely changes."""
    return _REGIONS.get(scope_key(user), lambda: _regions_of(user, limit))


def _regions_of(user, limit: int) -> list[str]:
    """One DISTINCT per visibility term, joined by UNION: each reads its own index, where one DISTINCT
    over the OR of the terms made PostgreSQL scan the index of every customer in the company."""
    terms = scope_terms(user)
    if terms is None:
        parts = [select(Customer.region).where(Customer.region.is_not(None))]
    else:
        parts = [select(Customer.region).where(term, Customer.region.is_not(None)) for term in terms]
    if not parts:
        return []
    menu = union(*parts).subquery() if len(parts) > 1 else parts[0].distinct().subquery()
    return list(db.session.scalars(select(menu.c.region).order_by(menu.c.region).limit(limit)))


def _owner_choices(form: CustomerForm) -> None:
    if current_user.role == "director":
        form.owner_id.choices = [(0, _("— public pool —")), *menu_choices(people_menu({current_user.team_id}))]
    else:
        del form.owner_id


def _customer_data(form: CustomerForm) -> dict:
    data = {k: getattr(form, k).data for k in ("name", "kind", "industry", "region", "tier", "source", "phone",
                                               "address", "notes", "annual_value")}
    if "owner_id" in form:
        data["owner_id"] = form.owner_id.data or None
    return data


@bp.route("/new", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def create():
    form = CustomerForm()
    _owner_choices(form)
    if form.validate_on_submit():
        try:
            customer = services.create_customer(current_user, {**_customer_data(form), "status": form.status.data})
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Customer added."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=None)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def edit(customer_id: int):
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    form = CustomerForm(obj=customer)
    del form.status
    del form.owner_id  # the owner changes through claim, release and reassignment
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, customer):
                services.update_customer(current_user, customer, _customer_data(form))
        except ServiceError as err:
            err.attach(form)
        except concurrency.Conflict as conflict:
            return render_template("customers/form.html", form=form, customer=customer, conflict=conflict), 409
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=customer)


def _activity_form(customer: Customer, formdata=None) -> ActivityForm:
    """The log form: bound to ``formdata`` when one was posted, else a fresh one (never the request's
    other forms, which Flask-WTF would otherwise read)."""
    form = ActivityForm(formdata=formdata)
    form.contact_ids.choices = [(c.id, c.name) for c in customer.contacts]
    form.prefill()
    return form


def _status_form(customer: Customer, bound: bool = False) -> StatusForm:
    form = StatusForm() if bound else StatusForm(formdata=None, version=customer.version)
    form.lost_reason_id.choices = [(0, "—"), *services.lost_reason_choices(customer.team_id)]
    return form


def _page_context(customer: Customer, activity_form: ActivityForm | None = None, facts: tuple | None = None) -> dict:
    # The user itself, not the current_user proxy: every check below and the timeline's sources read
    # it, and the timeline asks about it for every entry.
    user = current_user._get_current_object()
    page = request.args.get("page", 1, type=int) or 1
    can_edit = can_edit_customer(user, customer)
    return {
        "customer": customer,
        "timeline": build_timeline(customer, user, page=page, per_page=TIMELINE_PER_PAGE),
        "timeline_words": timeline_words(),
        # The forms only for those the page shows them to (editors): each costs a query or a token.
        "activity_form": activity_form or (_activity_form(customer) if can_edit else None),
        "status_form": _status_form(customer) if can_edit else None,
        "can_edit": can_edit,
        "can_claim": can_claim(user, customer),
        "can_manage": can_manage_team_customers(user, customer.team_id),
        "can_edit_activity": can_edit_activity,
        "viewer": user,
        "pool_facts": pool_facts(customer, facts),
    }


@cache
def _detail_statement():
    return customer_with(pool_fact_columns(), options=[
        joinedload(Customer.contacts), joinedload(Customer.owner), joinedload(Customer.team)])


@bp.route("/<int:customer_id>")
@policy(SALES)
def detail(customer_id: int):
    """A customer's page: details, contacts, the quick log form and the whole timeline."""
    user = current_user._get_current_object()
    # The page lists the contacts and names the owner and the team: fetched with the customer (one query,
    # not up to four; the owner and the team are only in the session already when they are the viewer's).
    # The pool facts (the newest opportunity, the last won deal, a waiting keep request) too.
    customer, facts = get_customer_with_or_404(customer_id, user, _detail_statement())
    if pool.recycle_on_open({customer.team_id}):
        customer, facts = get_customer_or_404(customer_id, user), None
    ctx = _page_context(customer, facts=facts)
    if request.headers.get("HX-Request"):
        return render_template("customers/_timeline.html", **ctx)
    return render_template("customers/detail.html", **ctx)


@bp.route("/<int:customer_id>/activities", methods=["POST"])
@policy(REP | DIRECTOR)
def log_activity(customer_id: int):
    """Log a visit, call, trade show, meeting or e-mail; htmx gets back the form and the timeline."""
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    form = _activity_form(customer, request.form)
    ok = False
    if form.validate_on_submit():
        try:
            services.log_activity(current_user, customer, {
                "kind": form.kind.data, "occurred_at": local_to_utc(form.occurred_at.data),
                "duration_minutes": form.duration_minutes.data, "direction": form.direction.data or None,
                "contact_ids": form.contact_ids.data or [], "summary": form.summary.data,
                "outcome": form.outcome.data, "next_step": form.next_step.data,
                "follow_up_on": form.follow_up_on.data})
        except ServiceError as err:
            err.attach(form)
        else:
            ok = True
    if ok and not request.headers.get("HX-Request"):
        flash(_("Logged."), "success")
        return redirect(url_for("customers.detail", customer_id=customer.id))
    if ok:
        form = _activity_form(customer)
    ctx = _page_context(customer, form)
    ctx["just_logged"] = ok
    if request.headers.get("HX-Request"):
        return render_template("customers/_log.html", **ctx)
    return render_template("customers/detail.html", **ctx)


@bp.route("/activities/<int:activity_id>/done", methods=["POST"])
@policy(REP | DIRECTOR)
def follow_up_done(activity_id: int):
    activity = db.session.get(Activity, activity_id)
    if activity is None or not can_edit_activity(current_user, activity):
        abort(404)
    services.complete_follow_up(current_user, activity)
    flash(_("Follow-up done."), "success")
    target = request.form.get("next")
    if target == "home":
        return redirect(url_for("home.index"))
    return redirect(url_for("customers.detail", customer_id=activity.customer_id))


@bp.route("/activities/<int:activity_id>/delete", methods=["POST"])
@policy(REP | DIRECTOR)
def delete_activity(activity_id: int):
    activity = db.session.get(Activity, activity_id)
    if activity is None or not can_edit_activity(current_user, activity):
        abort(404)
    customer_id = activity.customer_id
    services.delete_activity(current_user, activity)
    flash(_("Log entry deleted."), "success")
    return redirect(url_for("customers.detail", customer_id=customer_id))


@bp.route("/<int:customer_id>/status", methods=["POST"])
@policy(REP | DIRECTOR)
def change_status(customer_id: int):
    """prospect → active → lost (with a reason), or a win-back."""
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    form = _status_form(customer, bound=True)
    conflict = None
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, customer, fields=("status",)):
                services.set_status(current_user, customer, form.status.data,
                                    reason_id=form.lost_reason_id.data or None, note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        except concurrency.Conflict as found:
            conflict = found
        else:
            flash(_("Status changed."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    ctx = _page_context(customer)
    ctx["status_form"], ctx["conflict"] = form, conflict
    return render_template("customers/detail.html", **ctx), 409 if conflict else 200


@bp.route("/<int:customer_id>/claim", methods=["POST"])
@policy(REP)
def claim(customer_id: int):
    """Take a customer from the team's public pool."""
    customer = get_customer_or_404(customer_id, current_user)
    try:
        services.claim(current_user, customer)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("The customer is yours now."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.route("/<int:customer_id>/release", methods=["POST"])
@policy(REP | DIRECTOR)
def release(customer_id: int):
    """Put a customer back in the team's public pool."""
    customer = get_customer_or_404(customer_id, current_user)
    services.release(current_user, customer)
    flash(_("The customer is in the public pool now."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.route("/<int:customer_id>/reassign", methods=["GET", "POST"])
@policy(DIRECTOR)
def reassign(customer_id: int):
    """The director gives one customer to another rep of the team, or to the pool."""
    customer = get_customer_or_404(customer_id, current_user)
    if not can_manage_team_customers(current_user, customer.team_id):
        abort(403)
    form = ReassignForm()
    form.owner_id.choices = [(0, _("— public pool —")), *menu_choices(people_menu({customer.team_id}))]
    if request.method == "GET":
        form.owner_id.data, form.version.data = customer.owner_id or 0, customer.version
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, customer, fields=("owner_id",)):
                services.reassign(current_user, customer, form.owner_id.data or None, form.note.data)
        except ServiceError as err:
            err.attach(form)
        except concurrency.Conflict as conflict:
            return render_template("customers/reassign.html", form=form, customer=customer, conflict=conflict), 409
        else:
            flash(_("Customer reassigned."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/reassign.html", form=form, customer=customer)


@bp.route("/reassign-all", methods=["GET", "POST"])
@policy(DIRECTOR)
def reassign_all():
    """All of a departing rep's customers to another rep (or the pool) at once."""
    teams = managed_team_ids(current_user) or set()
    reps = list(db.session.scalars(select(User).where(User.team_id.in_(teams or {-1}), User.role == "rep")
                                   .order_by(User.active.desc(), User.display_name)))
    form = ReassignAllForm()
    form.from_rep_id.choices = [(u.id, u.display_name + ("" if u.active else _(" (deactivated)"))) for u in reps]
    form.to_rep_id.choices = [(0, _("— public pool —"))] + [(u.id, u.display_name) for u in reps if u.active]
    if form.validate_on_submit():
        try:
            n = services.reassign_all(current_user, form.from_rep_id.data, form.to_rep_id.data or None, form.note.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("%(n)s customers reassigned.", n=n), "success")
            return redirect(url_for("customers.index"))
    return render_template("customers/reassign_all.html", form=form)


# Contacts -----------------------------------------------------------------------------------

@bp.route("/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/<int:customer_id>/contacts/<int:contact_id>", methods=["GET", "POST"], endpoint="edit_contact")
@policy(REP | DIRECTOR)
def new_contact(customer_id: int, contact_id: int | None = None):
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    contact = None
    if contact_id is not None:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            abort(404)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            services.save_contact(current_user, customer, contact, form.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Contact saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/contact_form.html", form=form, customer=customer, contact=contact)


@bp.route("/<int:customer_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@policy(REP | DIRECTOR)
def delete_contact(customer_id: int, contact_id: int):
    customer = get_customer_or_404(customer_id, current_user)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        abort(404)
    services.delete_contact(current_user, contact)
    flash(_("Contact deleted."), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


from . import views_more, views_opportunities  # noqa: E402,F401
from .pool_views import pool_fact_columns, pool_facts  # noqa: E402
