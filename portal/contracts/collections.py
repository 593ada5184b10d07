"""Collection plans (回款计划), invoice requests (开票) and contract approval: the rules.

Collection plan rules (decided here, shown on the pages):
- **Sums**: the instalments that are not void may never add up to more than the contract amount
  (refused, beside the amount); while they add up to less, the plan is saved and the contract page
  warns how much of the amount is not planned yet (plans are often built one instalment at a time).
- **Matching**: each time a payment or an instalment changes, the contract's payments are placed again:
  first every payment that names its instalment goes to that instalment (what exceeds it, or a payment
  naming a void instalment, is treated as unnamed); then the unnamed money, oldest payment first, fills
  the earliest open instalments (by due date, then 期数). Money beyond the plan stays "not in the plan".
- **States** (``Instalment.state``): void; paid when fully collected; overdue when past its due date and
  not fully collected; partly paid; pending.
- **Reminders** (``remind_instalments``, the ``remind-instalments`` command): the owning rep and the
  team's director hear once ``remind_days`` before the due date, once on the due date and once when it
  is overdue (then the team's robots too). Each kind is sent at most once per instalment; moving the
  due date starts over. Only signed, in-fulfilment or fulfilled contracts are reminded of.

Invoice requests: the owner (or their director) asks for an invoice on a signed contract, never above
what is not yet invoiced (requested and issued requests count); there is no finance role, so the GM
and the administrator mark a request issued or rejected.

Approval: a draft goes to ``portal.approvals`` ("contract" kind) and is read-only while it waits; the
final approval signs it (signing date = the approval date unless one was set); a returned, rejected
or withdrawn request leaves it a draft to change and submit again.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..authz import can_edit_record
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.links import path_for
from ..core.money import ZERO
from ..core.periods import local_today, to_local
from ..core.types import Money
from ..i18n import money
from .creditcode import is_valid, normalise
from .models import SIGNED_STATUSES, Contract, Instalment, InvoiceRequest, Payment

MAX_REMIND_DAYS = 90
RECORD_TYPE = "contract"


# Locks and permissions ----------------------------------------------------------------------------

def is_locked(contract: Contract) -> bool:
    """While the contract waits for approval it is read-only."""
    from ..approvals.services import is_locked as locked

    return contract.id is not None and locked(RECORD_TYPE, contract.id)


def refuse_if_locked(contract: Contract) -> None:
    if is_locked(contract):
        raise ServiceError(_l("This contract is waiting for approval: it cannot be changed until it is decided."))


def can_plan(user, contract: Contract) -> bool:
    """The owner and their director keep the collection plan of a contract not terminated."""
    return contract.status != "terminated" and can_edit_record(user, contract)


def can_request_invoice(user, contract: Contract) -> bool:
    return contract.status in SIGNED_STATUSES and can_edit_record(user, contract)


def can_issue_invoices(user) -> bool:
    """There is no finance role: the GM and the administrator mark invoices issued (or rejected)."""
    return user.is_authenticated and user.role in ("gm", "admin")


def can_submit(user, contract: Contract) -> bool:
    return contract.status == "draft" and can_edit_record(user, contract) and not is_locked(contract)


# Matching payments to instalments -----------------------------------------------------------------

def allocate(contract_id: int) -> None:
    """Place the contract's payments on its instalments by the matching rule (see the module docstring)."""
    instalments = list(db.session.scalars(select(Instalment).where(Instalment.contract_id == contract_id)
                                          .order_by(Instalment.due_on, Instalment.number, Instalment.id)))
    if not instalments:
        return
    payments = list(db.session.scalars(select(Payment).where(Payment.contract_id == contract_id)
                                       .order_by(Payment.paid_on, Payment.id)))
    active = [i for i in instalments if not i.void]
    left = {i.id: i.amount for i in active}
    got = {i.id: ZERO for i in instalments}
    done: dict[int, date] = {}

    def give(amount: Decimal, day: date, first: int | None) -> None:
        order = ([first] if first in left else []) + [i.id for i in active if i.id != first]
        for ident in order:
            if amount <= 0:
                break
            take = min(amount, left[ident])
            if take <= 0:
                continue
            left[ident] -= take
            got[ident] += take
            amount -= take
            if left[ident] == 0:
                done[ident] = day

    for p in payments:
        if p.instalment_id in left:
            named = min(p.amount, left[p.instalment_id])
            give(named, p.paid_on, p.instalment_id)
            if p.amount > named:
                give(p.amount - named, p.paid_on, None)
    for p in payments:
        if p.instalment_id not in left:
            give(p.amount, p.paid_on, None)
    for i in instalments:
        if i.collected != got[i.id]:
            i.collected = got[i.id]
        if i.paid_off_on != done.get(i.id):
            i.paid_off_on = done.get(i.id)
    db.session.flush()


# Instalments --------------------------------------------------------------------------------------

def planned_total(contract_id: int, *, excluding: int | None = None) -> Decimal:
    stmt = select(type_coerce(func.sum(Instalment.amount), Money())).where(
        Instalment.contract_id == contract_id, Instalment.void.is_(False))
    if excluding is not None:
        stmt = stmt.where(Instalment.id != excluding)
    return db.session.scalar(stmt) or ZERO


def unplanned(contract: Contract) -> Decimal:
    """How much of the contract amount no instalment plans yet (negative when the plan exceeds it)."""
    return contract.amount - planned_total(contract.id)


def save_instalment(actor, contract: Contract, instalment: Instalment | None, *, due_on: date, amount: Decimal,
                    remind_days: int, note: str | None) -> Instalment:
    if not can_plan(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    if remind_days is None or not 0 <= remind_days <= MAX_REMIND_DAYS:
        raise ServiceError(_l("Remind between 0 and %(max)s days before.", max=MAX_REMIND_DAYS), "remind_days")
    if due_on is None:
        raise ServiceError(_l("Give the due date."), "due_on")
    if contract.signed_on and due_on < contract.signed_on:
        raise ServiceError(_l("An instalment cannot fall due before the signing date."), "due_on")
    others = planned_total(contract.id, excluding=instalment.id if instalment else None)
    if instalment is None or not instalment.void:
        if others + amount > contract.amount:
            raise ServiceError(_l("The instalments would add up to more than the contract amount "
                                  "(%(left)s left to plan).", left=money(contract.amount - others)), "amount")
    if instalment is None:
        number = (db.session.scalar(select(func.max(Instalment.number))
                                    .where(Instalment.contract_id == contract.id)) or 0) + 1
        instalment = Instalment(contract_id=contract.id, number=number, collected=ZERO, void=False)
        db.session.add(instalment)
    elif instalment.due_on != due_on or instalment.remind_days != remind_days:
        instalment.reminded_before_at = instalment.reminded_due_at = instalment.reminded_overdue_at = None
    instalment.due_on, instalment.amount, instalment.remind_days = due_on, amount, remind_days
    instalment.note = (note or "").strip() or None
    instalment.owner_id, instalment.team_id = contract.owner_id, contract.team_id
    db.session.flush()
    allocate(contract.id)
    return instalment


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan → 28/29 Feb)."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split_plan(actor, contract: Contract, *, count: int, first_due: date, months_apart: int,
               remind_days: int) -> list[Instalment]:
    """Plan what is not planned yet in ``count`` equal instalments (the last takes the odd cents)."""
    if not can_plan(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    if count is None or not 1 <= count <= 60:
        raise ServiceError(_l("Between 1 and 60 instalments."), "count")
    if first_due is None or (contract.signed_on and first_due < contract.signed_on):
        raise ServiceError(_l("An instalment cannot fall due before the signing date."), "first_due")
    if remind_days is None or not 0 <= remind_days <= MAX_REMIND_DAYS:
        raise ServiceError(_l("Remind between 0 and %(max)s days before.", max=MAX_REMIND_DAYS), "remind_days")
    rest = unplanned(contract)
    if rest <= 0:
        raise ServiceError(_l("The whole contract amount is planned already."), "count")
    share = (rest / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    if share <= 0:
        raise ServiceError(_l("Between 1 and 60 instalments."), "count")
    made = []
    for n in range(count):
        amount = share if n < count - 1 else rest - share * (count - 1)
        made.append(save_instalment(actor, contract, None, due_on=add_months(first_due, n * months_apart),
                                    amount=amount, remind_days=remind_days, note=None))
    return made


def void_instalment(actor, instalment: Instalment, void: bool = True) -> None:
    """Void (or restore) an instalment: it keeps its row and history but plans nothing."""
    contract = instalment.contract
    if not can_plan(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    if not void and planned_total(contract.id) + instalment.amount > contract.amount:
        raise ServiceError(_l("The instalments would add up to more than the contract amount "
                              "(%(left)s left to plan).", left=money(unplanned(contract))))
    instalment.void = void
    db.session.flush()
    record("instalment_void" if void else "instalment_restored", obj=instalment,
           summary=f"{contract.number} #{instalment.number}")
    allocate(contract.id)


def delete_instalment(actor, instalment: Instalment) -> None:
    contract = instalment.contract
    if not can_plan(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    # The instalment a payment settles is not on the customer's timeline.
    db.session.execute(Payment.__table__.update().where(Payment.instalment_id == instalment.id)
                       .values(instalment_id=None).execution_options(timeline_handled=True))
    db.session.delete(instalment)
    db.session.flush()
    allocate(contract.id)


def instalments_of(contract_id: int) -> list[Instalment]:
    return list(db.session.scalars(select(Instalment).where(Instalment.contract_id == contract_id)
                                   .order_by(Instalment.number, Instalment.id)))


def follow_contract(contract: Contract) -> None:
    """Instalments and invoice requests keep the contract's owner and team (sums by team and rep)."""
    for model in (Instalment, InvoiceRequest):
        db.session.execute(model.__table__.update().where(model.contract_id == contract.id)
                           .values(owner_id=contract.owner_id, team_id=contract.team_id))


# Invoice requests ---------------------------------------------------------------------------------

def invoiced_total(contract_id: int) -> Decimal:
    """Requested or issued so far (rejected requests free their amount)."""
    return db.session.scalar(select(type_coerce(func.sum(InvoiceRequest.amount), Money())).where(
        InvoiceRequest.contract_id == contract_id, InvoiceRequest.status.in_(("requested", "issued")))) or ZERO


def uninvoiced(contract: Contract) -> Decimal:
    return contract.amount - invoiced_total(contract.id)


def request_invoice(actor, contract: Contract, *, title: str, tax_number: str, amount: Decimal,
                    note: str | None) -> InvoiceRequest:
    if not can_request_invoice(actor, contract):
        raise Forbidden()
    refuse_if_locked(contract)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Give the invoice title (the customer's registered name)."), "title")
    code = normalise(tax_number)
    if not is_valid(code):
        raise ServiceError(_l("Not a valid unified social credit code: 18 characters with the right check "
                              "character."), "tax_number")
    if amount is None or amount <= 0:
        raise ServiceError(_l("The amount must be more than zero."), "amount")
    left = uninvoiced(contract)
    if amount > left:
        raise ServiceError(_l("Only %(left)s of this contract is not invoiced yet.", left=money(left)), "amount")
    req = InvoiceRequest(contract_id=contract.id, title=title, tax_number=code, amount=amount,
                         note=(note or "").strip() or None, status="requested", owner_id=contract.owner_id,
                         team_id=contract.team_id, requested_by_id=actor.id)
    db.session.add(req)
    db.session.flush()
    from ..notifications.services import notify
    from ..people.models import User

    number = contract.number
    issuers = db.session.scalars(select(User).where(User.role.in_(("gm", "admin")), User.active.is_(True)))
    notify(list(issuers), "invoice_requested", lambda: _("Invoice requested: contract %(number)s", number=number),
           link=path_for("contracts.invoice", invoice_id=req.id), actor=actor)
    return req


def decide_invoice(actor, req: InvoiceRequest, decision: str, *, invoice_number: str | None = None,
                   reason: str | None = None) -> None:
    """The GM or administrator marks a requested invoice issued (with its number, optional) or rejects it."""
    if not can_issue_invoices(actor):
        raise Forbidden()
    if req.status != "requested":
        raise ServiceError(_l("This invoice request is already decided."))
    if decision == "issue":
        req.status, req.invoice_number = "issued", (invoice_number or "").strip() or None
    elif decision == "reject":
        if not (reason or "").strip():
            raise ServiceError(_l("Say why: the requester will read it."), "reason")
        req.status, req.reject_reason = "rejected", reason.strip()
    else:
        raise ServiceError(_l("Choose issue or reject."))
    req.decided_by_id, req.decided_at = actor.id, utcnow()
    db.session.flush()
    record("invoice_" + req.status, obj=req, actor=actor, summary=f"{req.amount} {req.invoice_number or ''}")
    from ..notifications.services import notify

    number, status = req.contract.number, req.status
    notify([req.requested_by, req.contract.owner], "invoice_" + status,
           lambda: (_("Invoice issued: contract %(number)s", number=number) if status == "issued"
                    else _("Invoice request rejected: contract %(number)s", number=number)),
           link=path_for("contracts.invoice", invoice_id=req.id), actor=actor)


# Approval -----------------------------------------------------------------------------------------

def submit_for_approval(actor, contract: Contract):
    """Send a draft for approval (a returned or withdrawn request of one's own goes round again)."""
    from ..approvals import services as approvals

    if not can_edit_record(actor, contract):
        raise Forbidden()
    if contract.status != "draft":
        raise ServiceError(_l("Only a draft contract is submitted for approval."))
    refuse_if_locked(contract)
    title = f"{contract.number} · {contract.title} · {contract.customer.name}"[:200]
    latest = approvals.latest_request(RECORD_TYPE, contract.id)
    if latest is not None and latest.status in ("returned", "withdrawn") and latest.requester_id == actor.id:
        req = approvals.resubmit(actor, latest, amount=contract.amount, title=title)
    else:
        req = approvals.submit(actor, "contract", RECORD_TYPE, contract.id, contract.team_id, contract.amount,
                               title, path_for("contracts.detail", contract_id=contract.id))
    record("submitted", obj=contract, actor=actor, summary=contract.number)
    return req


def on_contract_decided(req, outcome: str) -> None:
    """Approved: the contract is signed (and the team's robots hear of it); otherwise it stays a draft."""
    contract = db.session.get(Contract, req.record_id)
    if contract is None or req.record_type != RECORD_TYPE:
        return
    if outcome != "approved":
        if contract.status not in SIGNED_STATUSES and contract.status != "terminated":
            contract.status = "draft"
        db.session.flush()
        return
    if contract.status != "draft":
        return
    when = to_local(req.decided_at).date() if req.decided_at else local_today()
    contract.signed_on = contract.signed_on or when
    contract.status = "signed"
    record("status", obj=contract, summary="draft → signed (approved)", changes={"status": ["draft", "signed"]})
    db.session.flush()
    from ..robots.services import post_event

    number, title, amount = contract.number, contract.title, money(contract.amount)
    customer = contract.customer.name
    post_event("contract_approved", contract.team_id,
               lambda: _("Contract approved: %(number)s %(title)s", number=number, title=title),
               lambda: _("%(customer)s, %(amount)s, owner %(owner)s.", customer=customer, amount=amount,
                         owner=contract.owner.display_name),
               path_for("contracts.detail", contract_id=contract.id))


# Reminders ----------------------------------------------------------------------------------------

def remind_instalments(today: date | None = None) -> dict[str, int]:
    """Tell the rep and the director before, on and after an instalment's due date, once each; post a
    robot event for each instalment newly overdue. Idempotent: a second run the same day sends nothing."""
    from ..notifications.services import notify
    from ..people.models import Team, User
    from ..robots.services import post_event

    today = today or local_today()
    counts = {"before": 0, "due": 0, "overdue": 0}
    stmt = (select(Instalment).join(Contract, Instalment.contract_id == Contract.id)
            .options(joinedload(Instalment.contract).joinedload(Contract.owner),
                     joinedload(Instalment.contract).joinedload(Contract.customer))
            .where(Instalment.void.is_(False), Instalment.collected < Instalment.amount,
                   Contract.status.in_(SIGNED_STATUSES), Instalment.reminded_overdue_at.is_(None),
                   Instalment.due_on <= today + timedelta(days=MAX_REMIND_DAYS))
            .order_by(Instalment.due_on, Instalment.id))
    rows = list(db.session.scalars(stmt))
    team_ids = {i.team_id for i in rows}
    directors: dict[int, list] = {}
    if team_ids:
        for team in db.session.scalars(select(Team).options(joinedload(Team.director))
                                       .where(Team.id.in_(team_ids))):
            directors[team.id] = [team.director] if team.director else []
        for user in db.session.scalars(select(User).where(User.role == "director", User.active.is_(True),
                                                          User.team_id.in_(team_ids))):
            if user not in directors.setdefault(user.team_id, []):
                directors[user.team_id].append(user)
    now = utcnow()
    for inst in rows:
        if inst.due_on < today:
            kind = "overdue"
        elif inst.due_on == today:
            kind = "due" if inst.reminded_due_at is None else None
        elif inst.due_on - timedelta(days=inst.remind_days) <= today and inst.reminded_before_at is None:
            kind = "before"
        else:
            kind = None
        if kind is None:
            continue
        contract = inst.contract
        number, n, due, left = contract.number, inst.number, inst.due_on.isoformat(), money(inst.outstanding)
        customer = contract.customer.name
        link = path_for("contracts.detail", contract_id=contract.id)

        def title(kind=kind, number=number, n=n, due=due, left=left):
            if kind == "before":
                return _("Instalment %(n)s of contract %(number)s falls due on %(due)s: %(left)s to collect",
                         n=n, number=number, due=due, left=left)
            if kind == "due":
                return _("Instalment %(n)s of contract %(number)s falls due today: %(left)s to collect",
                         n=n, number=number, left=left)
            return _("Instalment %(n)s of contract %(number)s is overdue (due %(due)s): %(left)s to collect",
                     n=n, number=number, due=due, left=left)

        notify([contract.owner] + directors.get(inst.team_id, []), "instalment_" + kind, title, link=link)
        if kind == "overdue":
            post_event("instalment_overdue", inst.team_id, title,
                       lambda customer=customer, owner=contract.owner.display_name: _(
                           "Customer %(customer)s, owner %(owner)s.", customer=customer, owner=owner), link)
        inst.reminded_before_at = inst.reminded_before_at or now
        if kind in ("due", "overdue"):
            inst.reminded_due_at = inst.reminded_due_at or now
        if kind == "overdue":
            inst.reminded_overdue_at = now
        counts[kind] += 1
    db.session.flush()
    return counts
