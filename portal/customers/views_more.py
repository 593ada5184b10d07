"""Customer requests, market information, the editable lists and settings, import and export."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..authz import ADMIN, DIRECTOR, GM, REP, SALES, policy
from ..core import settings
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.exports import export_response
from ..core.pagination import paginate
from ..core.periods import local_today
from ..people.models import User
from . import bp, importer, services
from .access import (
    TEAM_READ_KEY,
    can_edit_customer,
    can_edit_record,
    can_see_customer,
    can_see_market_info,
    get_customer_or_404,
    get_record_or_404,
    market_scope,
    record_scope,
)
from .forms import (
    KIND_LABELS,
    MARKET_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    AnswerForm,
    CompanySettingsForm,
    ImportUploadForm,
    ListItemForm,
    MarketForm,
    RequestForm,
    TeamSettingsForm,
    local_to_utc,
)
from .models import Customer, LostReason, MarketInfo, OpportunityStage, ResourceRequest
from .views import filtered_customers

# Customer requests ----------------------------------------------------------------------------


@bp.route("/requests")
@policy(SALES)
def requests():
    """Customers' requests for resources: open ones with their age, answered ones on time or late."""
    stmt = record_scope(select(ResourceRequest), ResourceRequest, current_user).options(
        joinedload(ResourceRequest.customer), joinedload(ResourceRequest.assignee))
    state = request.args.get("state", "open")
    if state == "open":
        stmt = stmt.where(ResourceRequest.answered_at.is_(None)).order_by(ResourceRequest.asked_at)
    elif state == "overdue":
        stmt = stmt.where(ResourceRequest.answered_at.is_(None), ResourceRequest.due_at < utcnow()).order_by(
            ResourceRequest.asked_at)
    else:
        state = "answered"
        stmt = stmt.where(ResourceRequest.answered_at.is_not(None)).order_by(ResourceRequest.answered_at.desc())
    page = paginate(stmt)
    return render_template("customers/requests.html", page=page, state=state, now=utcnow(),
                           window=services.service_window_hours())


def _assignee_choices(customer: Customer) -> list:
    people = db.session.scalars(select(User).where(
        User.team_id == customer.team_id, User.role.in_(("rep", "director")), User.active.is_(True))
        .order_by(User.role.desc(), User.display_name))
    return [(u.id, u.display_name) for u in people]


@bp.route("/<int:customer_id>/requests/new", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def new_request(customer_id: int):
    customer = get_customer_or_404(customer_id, current_user)
    if not can_edit_customer(current_user, customer):
        abort(403)
    form = RequestForm()
    form.assignee_id.choices = _assignee_choices(customer)
    if request.method == "GET":
        form.assignee_id.data = customer.owner_id or current_user.id
        form.prefill()
    if form.validate_on_submit():
        try:
            services.create_request(current_user, customer, {
                "kind": form.kind.data, "description": form.description.data,
                "asked_at": local_to_utc(form.asked_at.data), "assignee_id": form.assignee_id.data})
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Request logged."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/request_form.html", form=form, customer=customer)


@bp.route("/requests/<int:resource_request_id>/answer", methods=["GET", "POST"])
@policy(SALES)
def answer_request(resource_request_id: int):
    """A request and, for the one who must answer (or their director), the answer form."""
    req = get_record_or_404(ResourceRequest, resource_request_id, current_user)
    form = AnswerForm()
    if request.method == "POST":
        if not can_edit_record(current_user, req):
            abort(403)
        if form.validate_on_submit():
            try:
                services.answer_request(current_user, req, form.answer.data, local_to_utc(form.answered_at.data))
            except ServiceError as err:
                err.attach(form)
            else:
                flash(_("Answer recorded."), "success")
                return redirect(url_for("customers.requests"))
    return render_template("customers/answer.html", req=req, form=form, now=utcnow(),
                           can_answer=can_edit_record(current_user, req) and req.answered_at is None)


# Market information ---------------------------------------------------------------------------

@bp.route("/market")
@policy(SALES)
def market():
    """Market information and user feedback, by tag; the director and GM browse their teams'."""
    stmt = market_scope(select(MarketInfo), current_user).options(
        joinedload(MarketInfo.customer), joinedload(MarketInfo.owner))
    kind = request.args.get("kind")
    if kind in MARKET_LABELS:
        stmt = stmt.where(MarketInfo.kind == kind)
    page = paginate(stmt.order_by(MarketInfo.created_at.desc(), MarketInfo.id.desc()))
    return render_template("customers/market.html", page=page, kind=kind, kinds=MARKET_LABELS)


@bp.route("/market/new", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def new_market_info():
    form = MarketForm()
    customer = None
    customer_id = request.values.get("customer_id", type=int)
    if customer_id:
        customer = get_customer_or_404(customer_id, current_user)
        form.customer_id.data = str(customer.id)
    if form.validate_on_submit():
        try:
            info = services.create_market_info(current_user, form.data, customer)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("customers.market_info", market_info_id=info.id))
    return render_template("customers/market_form.html", form=form, customer=customer)


@bp.route("/market/<int:market_info_id>")
@policy(SALES)
def market_info(market_info_id: int):
    info = db.session.get(MarketInfo, market_info_id)
    if info is None or not can_see_market_info(current_user, info):
        abort(404)
    return render_template("customers/market_info.html", info=info, kinds=MARKET_LABELS,
                           show_customer=info.customer is not None and can_see_customer(current_user, info.customer))


# Lists and settings ---------------------------------------------------------------------------

LIST_MODELS = {"stages": OpportunityStage, "reasons": LostReason}


@bp.route("/settings", methods=["GET", "POST"])
@policy(DIRECTOR | GM | ADMIN)
def settings_page():
    """Opportunity stages and lost reasons (the director's team list; the company's for GM and admin),
    the team's visibility setting, and the company's service window."""
    scope = services.list_scope_for(current_user)
    team_form = TeamSettingsForm(prefix="team") if current_user.role == "director" else None
    company_form = CompanySettingsForm(prefix="co") if current_user.role in ("gm", "admin") else None
    if request.method == "POST":
        try:
            if team_form is not None and team_form.validate_on_submit():
                services.set_team_read(current_user, current_user.team_id, team_form.reps_read_team.data)
                flash(_("Saved."), "success")
                return redirect(url_for("customers.settings_page"))
            if company_form is not None and company_form.validate_on_submit():
                services.set_company_settings(current_user, window_hours=company_form.window_hours.data,
                                              stale_days=company_form.stale_days.data)
                flash(_("Saved."), "success")
                return redirect(url_for("customers.settings_page"))
        except ServiceError as err:
            err.attach(company_form or team_form)
    elif team_form is not None:
        team_form.reps_read_team.data = bool(settings.get(TEAM_READ_KEY, team_id=current_user.team_id))
    elif company_form is not None:
        company_form.window_hours.data = int(settings.get(services.WINDOW_KEY))
        company_form.stale_days.data = int(settings.get(services.STALE_KEY))
    stages = services.stages_for(current_user.team_id if scope else None, include_inactive=True)
    reasons = services.lost_reasons_for(current_user.team_id if scope else None, include_inactive=True)
    return render_template("customers/settings.html", stages=stages, reasons=reasons, scope=scope,
                           team_form=team_form, company_form=company_form, new_form=ListItemForm(formdata=None))


@bp.route("/settings/<list_kind>", methods=["POST"], endpoint="add_list_item")
@bp.route("/settings/<list_kind>/<int:list_item_id>", methods=["POST"])
@policy(DIRECTOR | GM | ADMIN)
def save_list_item(list_kind: str, list_item_id: int | None = None):
    """Add or change an entry of the stage list or the lost-reason list the user keeps."""
    model = LIST_MODELS.get(list_kind) or abort(404)
    item = None
    if list_item_id is not None:
        item = db.session.get(model, list_item_id)
        if item is None or item.team_id != services.list_scope_for(current_user):
            abort(404)
    form = ListItemForm()
    if form.validate_on_submit():
        try:
            services.save_list_item(current_user, model, item, name=form.name.data,
                                    probability=form.probability.data, position=form.position.data,
                                    active=form.active.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Saved."), "success")
    else:
        flash(_("Please correct the fields marked below.") + " " + "; ".join(
            str(e) for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("customers.settings_page"))


# Export ---------------------------------------------------------------------------------------

EXPORT_LIMIT = 20000


def _export_rows():
    stmt, _sort = filtered_customers(request.args)
    # Plain columns with the owner's and lost reason's names joined in: an export runs to 20,000 customers,
    # and loading them as objects with their owners cost more than writing the file.
    stmt = (stmt.with_only_columns(
        Customer.name, Customer.kind, Customer.status, Customer.tier, Customer.industry, Customer.region,
        Customer.source, Customer.phone, Customer.address, User.display_name, Customer.annual_value,
        Customer.activated_at, Customer.last_contact_at, LostReason.name, Customer.created_at)
        .outerjoin(User, User.id == Customer.owner_id).outerjoin(LostReason, LostReason.id == Customer.lost_reason_id)
        .limit(EXPORT_LIMIT))
    header = [_("Name"), _("Kind"), _("Status"), _("Tier"), _("Industry"), _("Region"), _("Source"), _("Phone"),
              _("Address"), _("Owner"), _("Expected yearly purchases (CNY)"), _("Customer since"), _("Last contact"),
              _("Lost reason"), _("Added on")]
    from ..i18n import fmt_date

    def local(value):
        return fmt_date(value) if value else ""

    # Each label translated once, not once per row.
    kinds, statuses, sources = ({k: str(v) for k, v in labels.items()}
                                for labels in (KIND_LABELS, STATUS_LABELS, SOURCE_LABELS))
    pool = _("Public pool")
    rows = []
    for (name, kind, status, tier, industry, region, source, phone, address, owner, annual_value, activated_at,
         last_contact_at, lost_reason, created_at) in db.session.execute(stmt):
        rows.append([name, kinds.get(kind, kind), statuses.get(status, status), tier or "", industry or "",
                     region or "", sources.get(source, "") if source else "", phone or "", address or "",
                     owner or pool, annual_value, local(activated_at), local(last_contact_at), lost_reason or "",
                     local(created_at)])
    return header, rows


def _export(fmt: str):
    header, rows = _export_rows()
    return export_response(fmt, f"customers-{local_today().isoformat()}", _("Customers"), header, rows)


@bp.route("/export.csv")
@policy(SALES)
def export_csv():
    """The filtered list as CSV (UTF-8 with a BOM so Excel reads the Chinese)."""
    return _export("csv")


@bp.route("/export.xlsx")
@policy(SALES)
def export_xlsx():
    """The filtered list as XLSX, numbers kept as numbers."""
    return _export("xlsx")


# Import ---------------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def import_upload():
    """Step 1: upload a CSV or XLSX file; it waits on the server for the preview."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            if len(data) > 5 * 1024 * 1024:
                raise ServiceError(_("The file is larger than %(mb)s MB.", mb=5), "file")
            importer.read_table(data, upload.filename or "")
        except ServiceError as err:
            err.attach(form)
        else:
            importer.drop_stash()
            importer.stash(current_user, data, upload.filename or "")
            return redirect(url_for("customers.import_preview"))
    return render_template("customers/import_upload.html", form=form, multipart=True)


def _mapping_from_form(headers) -> dict[int, str]:
    mapping = {}
    for i in range(len(headers)):
        value = request.form.get(f"col{i}", "")
        if value in importer.FIELDS and value not in mapping.values():
            mapping[i] = value
    return mapping


@bp.route("/import/preview", methods=["GET", "POST"])
@policy(REP | DIRECTOR)
def import_preview():
    """Step 2: map the columns and see what would happen to every row; nothing is written yet."""
    stashed = importer.load_stash(current_user)
    if stashed is None:
        flash(_("Upload the file again, please: the previous one has expired."), "warning")
        return redirect(url_for("customers.import_upload"))
    data, filename = stashed
    headers, rows = importer.read_table(data, filename)
    mapping = _mapping_from_form(headers) if request.method == "POST" else importer.guess_mapping(headers)
    problems = []
    if "name" not in mapping.values():
        problems.append(_("Choose which column holds the customer's name."))
        results = []
    else:
        results = importer.check_rows(rows, mapping, set())
    return render_template("customers/import_preview.html", headers=headers, mapping=mapping, results=results,
                           fields=importer.FIELDS, filename=filename, problems=problems,
                           counts=_counts(results), sample=rows[:3])


def _counts(results) -> dict:
    out = {"new": 0, "duplicate": 0, "rejected": 0}
    for r in results:
        out[r.status] += 1
    return out


@bp.route("/import/confirm", methods=["POST"])
@policy(REP | DIRECTOR)
def import_confirm():
    """Step 3: write every valid row in one transaction, or none; then the row-by-row report."""
    if not current_user.team_id:
        abort(403)
    stashed = importer.load_stash(current_user)
    if stashed is None:
        flash(_("Upload the file again, please: the previous one has expired."), "warning")
        return redirect(url_for("customers.import_upload"))
    data, filename = stashed
    headers, rows = importer.read_table(data, filename)
    mapping = _mapping_from_form(headers)
    if "name" not in mapping.values():
        flash(_("Choose which column holds the customer's name."), "danger")
        return redirect(url_for("customers.import_preview"))
    results = importer.check_rows(rows, mapping, set())
    imported = importer.import_rows(current_user, results)
    importer.drop_stash()
    return render_template("customers/import_report.html", results=results, imported=imported,
                           counts=_counts(results), filename=filename)

