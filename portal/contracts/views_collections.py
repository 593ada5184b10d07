"""Collection plans (回款计划), invoice requests (开票) and submitting a contract for approval."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ..authz import ADMIN, DIRECTOR, REP, SALES, get_scoped_or_404, policy, scope_query
from ..core.db import db
from ..core.errors import ServiceError
from ..core.money import to_money
from ..core.pagination import paginate, paginate_narrow
from ..core.periods import local_today
from . import bp, collections
from .forms import (
    INSTALMENT_STATE_COLOURS,
    INSTALMENT_STATE_LABELS,
    INVOICE_STATUS_COLOURS,
    INVOICE_STATUS_LABELS,
    InstalmentForm,
    InvoiceDecisionForm,
    InvoiceForm,
    SplitForm,
)
from .models import INVOICE_STATUSES, SIGNED_STATUSES, Contract, Instalment, InvoiceRequest

WRITERS = REP | DIRECTOR


def _back(contract_id: int):
    return redirect(url_for("contracts.detail", contract_id=contract_id))


# Instalments --------------------------------------------------------------------------------------

@bp.route("/<int:contract_id>/instalments/new", methods=["GET", "POST"], endpoint="instalment_create")
@bp.route("/instalments/<int:instalment_id>/edit", methods=["GET", "POST"])
@policy(WRITERS)
def instalment_edit(contract_id: int | None = None, instalment_id: int | None = None):
    """Add an instalment to a contract's collection plan, or change one."""
    instalment = get_scoped_or_404(Instalment, instalment_id, current_user) if instalment_id else None
    contract = instalment.contract if instalment else get_scoped_or_404(Contract, contract_id, current_user)
    if not collections.can_plan(current_user, contract) or collections.is_locked(contract):
        flash(_("This contract cannot be changed now."), "warning")
        return _back(contract.id)
    form = InstalmentForm(obj=instalment)
    if request.method == "GET" and instalment is None:
        form.amount.data = max(collections.unplanned(contract), 0) or None
    if form.validate_on_submit():
        try:
            collections.save_instalment(current_user, contract, instalment, due_on=form.due_on.data,
                                        amount=to_money(form.amount.data), remind_days=form.remind_days.data,
                                        note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        else:
            left = collections.unplanned(contract)
            flash(_("Saved."), "success")
            if left > 0:
                flash(_("The instalments add up to less than the contract amount: %(left)s is not planned yet.",
                        left=_money(left)), "warning")
            return _back(contract.id)
    return render_template("contracts/instalment_form.html", form=form, contract=contract, instalment=instalment,
                           unplanned=collections.unplanned(contract))


def _money(value):
    from ..i18n import money

    return money(value)


@bp.route("/<int:contract_id>/instalments/split", methods=["GET", "POST"])
@policy(WRITERS)
def instalment_split(contract_id: int):
    """Plan what is not planned yet in equal instalments, a month or more apart."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    if not collections.can_plan(current_user, contract) or collections.is_locked(contract):
        flash(_("This contract cannot be changed now."), "warning")
        return _back(contract.id)
    form = SplitForm()
    if request.method == "GET":
        form.first_due.data = contract.start_on or local_today()
    if form.validate_on_submit():
        try:
            collections.split_plan(current_user, contract, count=form.count.data, first_due=form.first_due.data,
                                   months_apart=form.months_apart.data, remind_days=form.remind_days.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return _back(contract.id)
    return render_template("contracts/split_form.html", form=form, contract=contract,
                           unplanned=collections.unplanned(contract))


@bp.route("/instalments/<int:instalment_id>/void", methods=["POST"])
@policy(WRITERS)
def instalment_void(instalment_id: int):
    instalment = get_scoped_or_404(Instalment, instalment_id, current_user)
    try:
        collections.void_instalment(current_user, instalment, request.form.get("restore") != "1")
    except ServiceError as err:
        flash(err.message, "danger")
    except Forbidden:
        abort(403)
    return _back(instalment.contract_id)


@bp.route("/instalments/<int:instalment_id>/delete", methods=["POST"])
@policy(WRITERS)
def instalment_delete(instalment_id: int):
    instalment = get_scoped_or_404(Instalment, instalment_id, current_user)
    contract_id = instalment.contract_id
    try:
        collections.delete_instalment(current_user, instalment)
    except ServiceError as err:
        flash(err.message, "danger")
    except Forbidden:
        abort(403)
    else:
        flash(_("Instalment deleted."), "success")
    return _back(contract_id)


@bp.route("/instalments")
@policy(SALES)
def instalments():
    """Instalments one may see, by state (overdue, due soon…), team and rep, earliest due first."""
    today = local_today()
    stmt = (scope_query(select(Instalment), Instalment, current_user)
            .join(Contract, Instalment.contract_id == Contract.id)
            .where(Contract.status.in_(SIGNED_STATUSES)))
    state = request.args.get("state")
    open_ = (Instalment.void.is_(False)) & (Instalment.collected < Instalment.amount)
    if state == "overdue":
        stmt = stmt.where(open_, Instalment.due_on < today)
    elif state == "open":
        stmt = stmt.where(open_)
    elif state == "paid":
        stmt = stmt.where(Instalment.void.is_(False), Instalment.collected >= Instalment.amount)
    elif state == "void":
        stmt = stmt.where(Instalment.void.is_(True))
    for arg, col in (("team_id", Instalment.team_id), ("rep_id", Instalment.owner_id)):
        value = request.args.get(arg, type=int)
        if value:
            stmt = stmt.where(col == value)
    page = paginate_narrow(stmt.order_by(Instalment.due_on, Instalment.id), Instalment,
                           (joinedload(Instalment.contract).joinedload(Contract.customer),
                            joinedload(Instalment.contract).joinedload(Contract.owner)))
    return render_template("contracts/instalments.html", page=page, today=today, args=request.args.to_dict(),
                           labels=INSTALMENT_STATE_LABELS, colours=INSTALMENT_STATE_COLOURS, state=state)


# Invoice requests ---------------------------------------------------------------------------------

@bp.route("/<int:contract_id>/invoices/new", methods=["GET", "POST"])
@policy(WRITERS)
def invoice_create(contract_id: int):
    """Ask for an invoice (开票) on a signed contract."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    if not collections.can_request_invoice(current_user, contract):
        flash(_("Invoices are requested on signed contracts."), "warning")
        return _back(contract.id)
    form = InvoiceForm()
    if request.method == "GET":
        form.title.data = contract.customer.name
        form.amount.data = collections.uninvoiced(contract)
        last = db.session.scalar(select(InvoiceRequest.tax_number).join(Contract).where(
            Contract.customer_id == contract.customer_id).order_by(InvoiceRequest.id.desc()).limit(1))
        form.tax_number.data = last
    if form.validate_on_submit():
        try:
            collections.request_invoice(current_user, contract, title=form.title.data,
                                        tax_number=form.tax_number.data, amount=to_money(form.amount.data),
                                        note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Invoice requested."), "success")
            return _back(contract.id)
    return render_template("contracts/invoice_form.html", form=form, contract=contract,
                           uninvoiced=collections.uninvoiced(contract))


@bp.route("/invoices")
@policy(SALES | ADMIN)
def invoices():
    """Invoice requests one may see; the GM and the administrator issue them (there is no finance role)."""
    stmt = scope_query(select(InvoiceRequest), InvoiceRequest, current_user).options(
        joinedload(InvoiceRequest.contract).joinedload(Contract.customer),
        joinedload(InvoiceRequest.requested_by))
    status = request.args.get("status")
    if status in INVOICE_STATUSES:
        stmt = stmt.where(InvoiceRequest.status == status)
    page = paginate(stmt.order_by(InvoiceRequest.created_at.desc(), InvoiceRequest.id.desc()))
    return render_template("contracts/invoices.html", page=page, status=status, labels=INVOICE_STATUS_LABELS,
                           colours=INVOICE_STATUS_COLOURS, can_issue=collections.can_issue_invoices(current_user))


@bp.route("/invoices/<int:invoice_id>", methods=["GET", "POST"])
@policy(SALES | ADMIN)
def invoice(invoice_id: int):
    """An invoice request; the GM or the administrator marks it issued or rejects it."""
    req = get_scoped_or_404(InvoiceRequest, invoice_id, current_user)
    form = InvoiceDecisionForm()
    if request.method == "POST":
        if not collections.can_issue_invoices(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                collections.decide_invoice(current_user, req, request.form.get("decision", ""),
                                           invoice_number=form.invoice_number.data, reason=form.reason.data)
            except ServiceError as err:
                err.attach(form)
            else:
                flash(_("Decision recorded."), "success")
                return redirect(url_for("contracts.invoices", status="requested"))
    return render_template("contracts/invoice.html", req=req, form=form, labels=INVOICE_STATUS_LABELS,
                           colours=INVOICE_STATUS_COLOURS,
                           can_issue=collections.can_issue_invoices(current_user) and req.status == "requested")


# Approval -----------------------------------------------------------------------------------------

@bp.route("/<int:contract_id>/submit", methods=["POST"])
@policy(WRITERS)
def submit(contract_id: int):
    """Send a draft contract for approval; it is read-only until decided."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    try:
        req = collections.submit_for_approval(current_user, contract)
    except ServiceError as err:
        flash(err.message, "danger")
    except Forbidden:
        abort(403)
    else:
        if req.status == "approved":
            flash(_("No other approver: the contract is signed."), "success")
        else:
            flash(_("Submitted for approval."), "success")
    return _back(contract.id)



