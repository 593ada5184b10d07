"""Contracts and orders: lists with filters and exports, a contract with its payments and workflow."""
from __future__ import annotations

from contextlib import nullcontext
from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ..authz import DIRECTOR, REP, SALES, get_scoped_or_404, managed_team_ids, policy, scope_query
from ..core import concurrency
from ..core.db import db
from ..core.errors import ServiceError
from ..core.exports import FORMATS, export_response
from ..core.links import id_paths
from ..core.money import ZERO, to_money
from ..core.pagination import paginate_narrow
from ..core.periods import Period, local_today
from ..customers.models import Customer
from ..people import menus
from ..people.models import Team, User
from . import bp, collections, queries, services
from .forms import (
    INSTALMENT_STATE_COLOURS,
    INSTALMENT_STATE_LABELS,
    INVOICE_STATUS_COLOURS,
    INVOICE_STATUS_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
    ContractForm,
    OrderForm,
    PaymentForm,
    ProgressForm,
    StatusForm,
    status_labels,
)
from .models import (
    CONTRACT_STATUSES,
    CURRENCIES,
    OPEN_STATUSES,
    TRANSITIONS,
    Contract,
    InvoiceRequest,
    Order,
    Payment,
)

WRITERS = REP | DIRECTOR
EXPORT_LIMIT = 20000


def _period_filter(args):
    raw = (args.get("period") or "").strip()
    if not raw:
        return None
    try:
        return Period.parse(raw)
    except ValueError:
        return None


def _teams(user) -> list:
    """(id, name) of the teams one may filter by. The menu shows only with two or more to choose from: a
    rep (no team) or a director of one team gets none, without a query."""
    ids = managed_team_ids(user)
    if ids is not None and len(ids) < 2:
        return []
    stmt = select(Team.id, Team.name).order_by(Team.name)
    if ids is not None:
        stmt = stmt.where(Team.id.in_(ids))
    return db.session.execute(stmt).all()


def _owners(user) -> list[menus.Person]:
    """The people a contract or order may belong to: for the owner menu and the forms' choices."""
    if user.role == "rep":
        return [menus.Person(user.id, user.display_name, user.team_id, user.role)]
    return menus.people_menu(managed_team_ids(user), roles=("rep", "director"))


def _customers():
    from ..customers.access import visible_customers

    return list(db.session.scalars(visible_customers(current_user).order_by(Customer.name).limit(1000)))


def _filter_conditions(args) -> list:
    """The conditions of the list's filters in ``args``."""
    conds = []
    status = args.get("status")
    if status in CONTRACT_STATUSES:
        conds.append(Contract.status == status)
    if args.get("overdue") == "1":
        conds += [Contract.status.in_(OPEN_STATUSES), Contract.end_on < local_today()]
    for arg, col in (("team_id", Contract.team_id), ("rep_id", Contract.owner_id),
                     ("customer_id", Contract.customer_id)):
        value = args.get(arg, type=int)
        if value:
            conds.append(col == value)
    period = _period_filter(args)
    if period is not None:
        conds += [Contract.signed_on >= period.start, Contract.signed_on < period.end]
    q = (args.get("q") or "").strip()
    if q:
        like = f"%{q}%"
        conds.append(or_(Contract.number.ilike(like), Contract.title.ilike(like)))
    return conds


# Newest signing first; the id makes the order total (a page never repeats or skips a contract).
_LIST_ORDER = (Contract.signed_on.desc().nulls_last(), Contract.id.desc())


@cache
def _listed_rows():
    """The columns the list page shows, with the customer's and owner's names, as plain rows: loading 25
    contracts with their customers and owners as objects cost more than the query. Built once."""
    return (select(Contract.id, Contract.number, Contract.title, Contract.amount, Contract.currency,
                   Contract.signed_on, Contract.end_on, Contract.status, Contract.progress,
                   Customer.name.label("customer_name"), User.display_name.label("owner_name"))
            .select_from(Contract)
            .outerjoin(Customer, Customer.id == Contract.customer_id)
            .outerjoin(User, User.id == Contract.owner_id))


@bp.route("/")
@policy(SALES)
def index():
    """Contracts one may see, filtered by status, overdue, team, rep, customer and signing period."""
    user = current_user._get_current_object()  # read often below: not through the proxy each time
    stmt = scope_query(select(Contract), Contract, user).where(*_filter_conditions(request.args))
    # Counted over the same conditions directly, not over a subquery of whole contract rows.
    count = stmt.with_only_columns(func.count()).select_from(Contract)
    page = paginate_narrow(stmt.order_by(*_LIST_ORDER), Contract, rows=_listed_rows(), count=count)
    collected, in_approval = queries.paid_and_awaiting(c.id for c in page.items)
    today = local_today()
    # The rows carry the status and end date the contract's own rule reads.
    overdue_ids = {c.id for c in page.items if Contract.is_overdue(c, today)}
    # The rows read these as dict and set lookups: a method call costs more in a template loop.
    return render_template("contracts/index.html", page=page, collected=collected, in_approval=in_approval,
                           overdue_ids=overdue_ids, statuses=status_labels(),
                           colours=STATUS_COLOURS, teams=_teams(user), owners=_owners(user),
                           args=request.args.to_dict(), can_write=services.can_write(user),
                           detail_path=id_paths("contracts.detail", "contract_id"))


def contract_rows(contracts, collected, today) -> list[list]:
    """The export's rows from plain rows of ``_exported_rows`` (an export runs to 20,000 contracts: as
    objects with their customers, owners and teams, loading them cost more than writing the file)."""
    statuses = {key: str(label) for key, label in STATUS_LABELS.items()}  # translated once, not per row
    yes = _("Yes")
    rows = []
    for c in contracts:
        paid = collected.get(c.id, ZERO)
        rows.append([c.number, c.customer_name, c.title, c.amount, c.currency, c.owner_name, c.team_name,
                     c.signed_on, c.start_on, c.end_on, statuses[c.status], c.progress, paid, c.amount - paid,
                     yes if Contract.is_overdue(c, today) else ""])
    return rows


@cache
def _exported_rows():
    """What the export shows of a contract, with its customer's, owner's and team's names. Built once."""
    return (select(Contract.id, Contract.number, Contract.title, Contract.amount, Contract.currency,
                   Contract.signed_on, Contract.start_on, Contract.end_on, Contract.status, Contract.progress,
                   Customer.name.label("customer_name"), User.display_name.label("owner_name"),
                   Team.name.label("team_name"))
            .select_from(Contract)
            .outerjoin(Customer, Customer.id == Contract.customer_id)
            .outerjoin(User, User.id == Contract.owner_id)
            .outerjoin(Team, Team.id == Contract.team_id))


def contract_header() -> list[str]:
    return [_("Contract number"), _("Customer"), _("Title"), _("Amount"), _("Currency"), _("Owner"), _("Team"),
            _("Signing date"), _("Start date"), _("End date"), _("Status"), _("Fulfilment progress (%)"),
            _("Payments received"), _("Still to collect"), _("Overdue")]


@bp.route("/export.<fmt>")
@policy(SALES)
def export(fmt: str):
    """The contract list (same filters) as CSV or XLSX."""
    if fmt not in FORMATS:
        abort(404)
    user = current_user._get_current_object()
    stmt = scope_query(_exported_rows(), Contract, user).where(*_filter_conditions(request.args))
    contracts = db.session.execute(stmt.order_by(*_LIST_ORDER).limit(EXPORT_LIMIT)).all()
    collected = queries.collected_by_contract([c.id for c in contracts])
    rows = contract_rows(contracts, collected, local_today())
    return export_response(fmt, f"contracts-{local_today().isoformat()}", _("Contracts"), contract_header(), rows)


def _contract_form(contract: Contract | None) -> ContractForm:
    form = ContractForm(obj=contract)
    form.customer_id.choices = [(c.id, c.name) for c in _customers()]
    if contract is not None and contract.customer_id not in {c for c, _n in form.customer_id.choices}:
        form.customer_id.choices.insert(0, (contract.customer_id, contract.customer.name))
    form.currency.choices = [(c, c) for c in CURRENCIES]
    form.owner_id.choices = menus.choices(_owners(current_user._get_current_object()))
    if current_user.role == "rep":
        form.owner_id.data = current_user.id  # a rep records their own contracts
    if request.method == "GET" and contract is None:
        form.customer_id.data = request.args.get("customer_id", type=int)
        form.owner_id.data = current_user.id
        form.currency.data = "CNY"
    return form


@bp.route("/new", methods=["GET", "POST"], endpoint="create")
@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@policy(WRITERS)
def edit(contract_id: int | None = None):
    contract = get_scoped_or_404(Contract, contract_id, current_user) if contract_id else None
    if contract is not None and (not services.can_edit_contract(current_user, contract)
                                 or collections.is_locked(contract)):
        flash(_("This contract cannot be changed now."), "warning")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    form = _contract_form(contract)
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, contract) if contract is not None else nullcontext():
                saved = services.save_contract(
                    current_user, contract, number=form.number.data, customer_id=form.customer_id.data,
                    title=form.title.data, amount=to_money(form.amount.data), currency=form.currency.data,
                    owner_id=form.owner_id.data, signed_on=form.signed_on.data, start_on=form.start_on.data,
                    end_on=form.end_on.data, notes=form.notes.data)
        except ServiceError as err:
            err.attach(form)
        except concurrency.Conflict as conflict:
            return render_template("contracts/form.html", form=form, contract=contract, conflict=conflict), 409
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("contracts.detail", contract_id=saved.id))
    return render_template("contracts/form.html", form=form, contract=contract)


@bp.route("/<int:contract_id>")
@policy(SALES)
def detail(contract_id: int):
    """A contract: its terms, status and fulfilment, the payments received and its orders."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    payments = list(db.session.scalars(select(Payment).where(Payment.contract_id == contract.id)
                                       .order_by(Payment.paid_on, Payment.id)))
    orders = list(db.session.scalars(select(Order).where(Order.contract_id == contract.id)
                                     .order_by(Order.ordered_on.desc()).limit(100)))
    paid = sum((p.amount for p in payments), ZERO)
    status_form = StatusForm()
    status_form.status.choices = [(s, STATUS_LABELS[s]) for s in services.manual_transitions(contract.status)]
    instalments = collections.instalments_of(contract.id)
    payment_form = PaymentForm()
    payment_form.instalment_id.choices = [(0, _("— by the matching rule —"))] + [
        (i.id, _("Instalment %(n)s, due %(due)s", n=i.number, due=i.due_on.isoformat()))
        for i in instalments if not i.void]
    if request.method == "GET":
        payment_form.paid_on.data = local_today()
    locked = collections.is_locked(contract)
    invoices = list(db.session.scalars(select(InvoiceRequest).where(InvoiceRequest.contract_id == contract.id)
                                       .order_by(InvoiceRequest.created_at.desc(), InvoiceRequest.id.desc())))
    planned = sum((i.amount for i in instalments if not i.void), ZERO)
    in_plan = sum((i.collected for i in instalments), ZERO)
    return render_template(
        "contracts/detail.html", contract=contract, payments=payments, orders=orders, paid=paid,
        instalments=instalments, planned=planned, unplanned=contract.amount - planned, not_in_plan=paid - in_plan,
        invoices=invoices, uninvoiced=collections.uninvoiced(contract), locked=locked,
        inst_labels=INSTALMENT_STATE_LABELS, inst_colours=INSTALMENT_STATE_COLOURS,
        invoice_labels=INVOICE_STATUS_LABELS, invoice_colours=INVOICE_STATUS_COLOURS,
        can_plan=collections.can_plan(current_user, contract) and not locked,
        can_invoice=collections.can_request_invoice(current_user, contract) and not locked,
        can_submit=collections.can_submit(current_user, contract),
        statuses=STATUS_LABELS, colours=STATUS_COLOURS, status_form=status_form, payment_form=payment_form,
        progress_form=ProgressForm(progress=contract.progress), today=local_today(),
        can_edit=services.can_edit_contract(current_user, contract) and not locked,
        can_status=services.can_change_status(current_user, contract) and not locked
        and bool(services.manual_transitions(contract.status)),
        can_pay=services.can_add_payment(current_user, contract),
        can_progress=contract.status in ("signed", "in_fulfilment") and services.can_change_status(current_user,
                                                                                                    contract))


@bp.route("/<int:contract_id>/status", methods=["POST"])
@policy(WRITERS)
def change_status(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    form = StatusForm()
    form.status.choices = [(s, STATUS_LABELS[s]) for s in TRANSITIONS[contract.status]]  # refused in the service
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, contract, fields=("status",)):
                services.change_status(current_user, contract, form.status.data, reason=form.reason.data)
        except ServiceError as err:
            flash(err.message, "danger")
        except concurrency.Conflict as conflict:
            flash(conflict.message, "danger")  # the page shows the saved status
        except Forbidden:
            abort(403)
        else:
            flash(_("Status changed."), "success")
    else:
        flash(_("Choose a status this contract can move to."), "danger")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.route("/<int:contract_id>/progress", methods=["POST"])
@policy(WRITERS)
def set_progress(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            with concurrency.form_guard(form, contract, fields=("progress",)):
                services.set_progress(current_user, contract, form.progress.data)
        except ServiceError as err:
            flash(err.message, "danger")
        except concurrency.Conflict as conflict:
            flash(conflict.message, "danger")  # the page shows the saved progress
        else:
            flash(_("Saved."), "success")
    else:
        flash(_("Progress is a percentage from 0 to 100."), "danger")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.route("/<int:contract_id>/payments", methods=["POST"])
@policy(WRITERS)
def add_payment(contract_id: int):
    """Record money received against the contract."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            services.add_payment(current_user, contract, paid_on=form.paid_on.data,
                                 amount=to_money(form.amount.data), note=form.note.data,
                                 instalment_id=form.instalment_id.data or None)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Payment recorded."), "success")
    else:
        flash(_("Give the date and the amount received."), "danger")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.route("/payments/<int:payment_id>/delete", methods=["POST"])
@policy(WRITERS)
def delete_payment(payment_id: int):
    payment = get_scoped_or_404(Payment, payment_id, current_user)
    contract_id = payment.contract_id
    try:
        services.delete_payment(current_user, payment)
    except Forbidden:
        abort(403)
    flash(_("Payment deleted."), "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


# Orders ---------------------------------------------------------------------------------------

@bp.route("/orders")
@policy(SALES)
def orders():
    """Orders one may see, by date, customer, team and rep."""
    user = current_user._get_current_object()
    stmt = scope_query(select(Order), Order, user)
    period = _period_filter(request.args)
    if period is not None:
        stmt = stmt.where(Order.ordered_on >= period.start, Order.ordered_on < period.end)
    for arg, col in (("team_id", Order.team_id), ("rep_id", Order.owner_id), ("customer_id", Order.customer_id)):
        value = request.args.get(arg, type=int)
        if value:
            stmt = stmt.where(col == value)
    page = paginate_narrow(stmt.order_by(Order.ordered_on.desc(), Order.id.desc()), Order,
                           (joinedload(Order.customer), joinedload(Order.owner), joinedload(Order.contract)))
    return render_template("contracts/orders.html", page=page, teams=_teams(user), owners=_owners(user),
                           args=request.args.to_dict(), can_write=services.can_write(user),
                           can_edit=services.can_edit_order)


def _order_form(order: Order | None) -> OrderForm:
    form = OrderForm(obj=order)
    customers = _customers()
    form.customer_id.choices = [(c.id, c.name) for c in customers]
    if order is not None and order.customer_id not in {c.id for c in customers}:
        form.customer_id.choices.insert(0, (order.customer_id, order.customer.name))
    contracts = scope_query(select(Contract), Contract, current_user).where(
        Contract.status.in_(("signed", "in_fulfilment", "fulfilled"))).options(joinedload(Contract.customer))
    form.contract_id.choices = [(0, _("— none —"))] + [
        (c.id, f"{c.number} · {c.customer.name}") for c in db.session.scalars(
            contracts.order_by(Contract.signed_on.desc()).limit(500))]
    form.owner_id.choices = menus.choices(_owners(current_user._get_current_object()))
    if current_user.role == "rep":
        form.owner_id.data = current_user.id
    if request.method == "GET" and order is None:
        form.ordered_on.data = local_today()
        form.owner_id.data = current_user.id
        form.customer_id.data = request.args.get("customer_id", type=int)
        form.contract_id.data = request.args.get("contract_id", type=int) or 0
    elif request.method == "GET":
        form.contract_id.data = order.contract_id or 0
    return form


@bp.route("/orders/new", methods=["GET", "POST"], endpoint="order_create")
@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
@policy(WRITERS)
def order_edit(order_id: int | None = None):
    order = get_scoped_or_404(Order, order_id, current_user) if order_id else None
    form = _order_form(order)
    if form.validate_on_submit():
        try:
            services.save_order(
                current_user, order, ordered_on=form.ordered_on.data, customer_id=form.customer_id.data,
                contract_id=form.contract_id.data or None, amount=to_money(form.amount.data),
                cost=to_money(form.cost.data) if form.cost.data is not None else None,
                owner_id=form.owner_id.data, number=form.number.data, note=form.note.data)
        except ServiceError as err:
            err.attach(form)
        except Forbidden:
            abort(403)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("contracts.orders"))
    return render_template("contracts/order_form.html", form=form, order=order)


@bp.route("/orders/<int:order_id>/delete", methods=["POST"])
@policy(WRITERS)
def order_delete(order_id: int):
    order = get_scoped_or_404(Order, order_id, current_user)
    try:
        services.delete_order(current_user, order)
    except Forbidden:
        abort(403)
    flash(_("Order deleted."), "success")
    return redirect(url_for("contracts.orders"))
