"""Rules and writes of the customer log. Each function takes the acting user, checks the rule,
changes rows and flushes; the request commits once (portal/transactions.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.exceptions import Forbidden, NotFound

from ..audit.services import record
from ..authz import managed_team_ids
from ..core import settings
from ..core.cache import VersionedCache
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.periods import add_working_hours
from ..people.models import User
from .access import can_edit_activity, can_edit_customer, can_edit_record, can_manage_team_customers
from .models import (
    ACTIVITY_KINDS,
    CUSTOMER_KINDS,
    LISTS_CACHE,
    MARKET_KINDS,
    REQUEST_KINDS,
    Activity,
    Contact,
    Customer,
    CustomerEvent,
    LostReason,
    MarketInfo,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
    name_key,
)

WINDOW_KEY = "customers.request_window_hours"
STALE_KEY = "customers.stale_days"
settings.declare(WINDOW_KEY, 24)
settings.declare(STALE_KEY, 30)

# The lists every company starts with, written in the company's language on first use.
DEFAULT_STAGES = [
    (_l("Initial contact"), 10), (_l("Needs confirmed"), 25), (_l("Proposal / quotation"), 50),
    (_l("Negotiation"), 75), (_l("Contract pending"), 90),
]
DEFAULT_LOST_REASONS = [
    _l("Price too high"), _l("Chose a competitor"), _l("Product does not fit"), _l("Budget cut or project cancelled"),
    _l("Poor service experience"), _l("Company closed or merged"), _l("No response for a long time"), _l("Other"),
]


# Editable lists -------------------------------------------------------------------------------

def ensure_default_lists() -> None:
    """Give the company its default stages and lost reasons the first time they are needed."""
    has_stage = db.session.scalar(select(OpportunityStage.id).where(OpportunityStage.team_id.is_(None)).limit(1))
    has_reason = db.session.scalar(select(LostReason.id).where(LostReason.team_id.is_(None)).limit(1))
    if has_stage and has_reason:
        return
    with force_locale(settings.get("default_locale") or "zh_CN"):
        if not has_stage:
            for i, (name, prob) in enumerate(DEFAULT_STAGES):
                db.session.add(OpportunityStage(name=str(name), probability=prob, position=i * 10))
        if not has_reason:
            for i, name in enumerate(DEFAULT_LOST_REASONS):
                db.session.add(LostReason(name=str(name), position=i * 10))
    db.session.flush()


def _company_and_team(model, team_id: int | None, include_inactive: bool) -> list:
    """A list's rows for a team (the company's, then the team's own, in their order), in one query;
    the company's defaults are created the first time the list turns out to have none."""
    stmt = select(model).where(or_(model.team_id.is_(None), model.team_id == team_id)).order_by(
        model.position, model.id)
    rows = list(db.session.scalars(stmt))
    if not any(r.team_id is None for r in rows):
        ensure_default_lists()
        rows = list(db.session.scalars(stmt))
    return rows if include_inactive else [r for r in rows if r.active]


def stages_for(team_id: int | None, *, include_inactive: bool = False) -> list[OpportunityStage]:
    """The pipeline's stages for a team: the company's, then the team's own, in their order."""
    return _company_and_team(OpportunityStage, team_id, include_inactive)


def lost_reasons_for(team_id: int | None, *, include_inactive: bool = False) -> list[LostReason]:
    return _company_and_team(LostReason, team_id, include_inactive)


# (id, name) of a team's active lost reasons, kept by each worker until a list is written (models:
# LISTS_CACHE): the customer page's status form offers them on every view.
_REASON_CHOICES = VersionedCache(LISTS_CACHE, size=256)


def lost_reason_choices(team_id: int | None) -> list[tuple[int, str]]:
    return _REASON_CHOICES.get(team_id, lambda: [(r.id, r.name) for r in lost_reasons_for(team_id)])


def list_scope_for(actor) -> int | None:
    """Which list an actor keeps: None (company-wide) for the GM and admin, their team for a director."""
    if actor.role in ("gm", "admin"):
        return None
    if actor.role == "director" and actor.team_id:
        return actor.team_id
    raise Forbidden()


def _check_list_item(actor, item) -> None:
    if item.team_id != list_scope_for(actor):
        raise Forbidden()


def save_list_item(actor, model, item, *, name: str, probability: int | None = None,
                   position: int | None = None, active: bool = True):
    """Add or change a lost reason or a stage in the list the actor keeps."""
    team_id = list_scope_for(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Enter a name."), "name")
    clash = db.session.scalar(select(model.id).where(
        func.lower(model.name) == name.lower(),
        model.team_id.is_(None) if team_id is None else model.team_id == team_id))
    if clash and (item is None or clash != item.id):
        raise ServiceError(_("This list already has an entry with this name."), "name")
    if model is OpportunityStage and (probability is None or not 0 <= probability <= 100):
        raise ServiceError(_("The probability is a whole number from 0 to 100."), "probability")
    if item is None:
        last = db.session.scalar(select(func.max(model.position)).where(
            model.team_id.is_(None) if team_id is None else model.team_id == team_id)) or 0
        item = model(team_id=team_id, position=last + 10)
        db.session.add(item)
    else:
        _check_list_item(actor, item)
    item.name, item.active = name, active
    if position is not None:
        item.position = position
    if model is OpportunityStage:
        item.probability = probability
    db.session.flush()
    return item


# Customers ----------------------------------------------------------------------------------

def check_unique_name(name: str, exclude_id: int | None = None) -> None:
    key = name_key(name)
    if not key:
        raise ServiceError(_("Enter the customer's name."), "name")
    clash = db.session.scalar(select(Customer.id).where(Customer.name_key == key))
    if clash and clash != exclude_id:
        raise ServiceError(_("A customer with this name already exists (ignoring case and full-/half-width)."),
                           "name")


def _team_rep(team_id: int, user_id: int | None, field: str = "owner_id") -> int | None:
    """A rep id that belongs to the team, or None for the public pool."""
    if not user_id:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.role != "rep" or user.team_id != team_id or not user.active:
        raise ServiceError(_("Choose a sales rep of this customer's team."), field)
    return user.id


def _event(customer: Customer, kind: str, actor, note: str | None = None) -> None:
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind=kind,
                                 actor_id=actor.id if actor else None, note=note))


def _apply_fields(customer: Customer, data: dict) -> None:
    for key in ("name", "industry", "region", "tier", "source", "phone", "address", "notes", "annual_value"):
        if key in data:
            value = data[key]
            if isinstance(value, str):
                value = value.strip() or None
            setattr(customer, key, value)
    if data.get("kind") in CUSTOMER_KINDS:
        customer.kind = data["kind"]


def create_customer(actor, data: dict) -> Customer:
    """A new prospect (or active customer) owned by the rep, or put by a director in a rep's hands or the pool."""
    if actor.role not in ("rep", "director") or not actor.team_id:
        raise Forbidden()
    check_unique_name(data.get("name") or "")
    team_id = actor.team_id
    if actor.role == "rep":
        owner_id = actor.id
    else:
        owner_id = _team_rep(team_id, data.get("owner_id"))
    customer = Customer(team_id=team_id, owner_id=owner_id, created_by_id=actor.id, status="prospect")
    _apply_fields(customer, data)
    if data.get("status") == "active":
        customer.status = "active"
        customer.activated_at = data.get("activated_at") or utcnow()
        customer.activated_by_id = owner_id
    db.session.add(customer)
    db.session.flush()
    _event(customer, "created", actor)
    if customer.status == "active":
        _event(customer, "activated", actor)
    db.session.flush()
    return customer


def update_customer(actor, customer: Customer, data: dict) -> None:
    if not can_edit_customer(actor, customer):
        raise Forbidden()
    if "name" in data:
        check_unique_name(data["name"], exclude_id=customer.id)
    _apply_fields(customer, data)
    db.session.flush()


def set_status(actor, customer: Customer, status: str, *, reason_id: int | None = None,
               note: str | None = None) -> None:
    """prospect → active → lost, and back from lost (a win-back). Losing needs a reason from the list."""
    if not can_edit_customer(actor, customer):
        raise Forbidden()
    if status == customer.status:
        return
    now = utcnow()
    if status == "active":
        if customer.status == "lost":
            customer.winback_note = (note or "").strip() or None
            _event(customer, "won_back", actor, customer.winback_note)
        else:
            _event(customer, "activated", actor, (note or "").strip() or None)
        if customer.activated_at is None:
            customer.activated_at, customer.activated_by_id = now, customer.owner_id
        customer.status = "active"
    elif status == "lost":
        reasons = {r.id for r in lost_reasons_for(customer.team_id)}
        if not reason_id or reason_id not in reasons:
            raise ServiceError(_("Choose why the customer was lost."), "lost_reason_id")
        customer.status, customer.lost_at, customer.lost_by_id = "lost", now, customer.owner_id
        customer.lost_reason_id, customer.lost_note = reason_id, (note or "").strip() or None
        _event(customer, "lost", actor, customer.lost_note)
    elif status == "prospect" and customer.status == "lost":
        customer.status = "prospect"
        customer.winback_note = (note or "").strip() or None
        _event(customer, "won_back", actor, customer.winback_note)
    else:
        raise ServiceError(_("This change of status is not allowed."), "status")
    record("status_changed", obj=customer, summary=f"{customer.name}: {status}")
    db.session.flush()


def claim(actor, customer: Customer) -> None:
    """A rep takes a customer from their team's public pool (daily limit, capacity, re-claim wait)."""
    from . import pool

    pool.claim(actor, customer)


def release(actor, customer: Customer) -> None:
    """The owner (or the director) puts a customer back in the team's pool."""
    from . import pool

    if not can_edit_customer(actor, customer) or customer.owner_id is None:
        raise Forbidden()
    pool.put_in_pool(customer)
    _event(customer, "released", actor)
    record("release", obj=customer, summary=customer.name)
    db.session.flush()


def _hand_over(customer: Customer, new_owner_id: int | None) -> None:
    """Open opportunities and unanswered requests go with the customer to its new owner."""
    from . import pool

    old = customer.owner_id
    if new_owner_id is None:
        if old is not None:
            pool.put_in_pool(customer)
        return
    pool._take(customer, new_owner_id)
    if old is None:
        return
    for opp in db.session.scalars(select(Opportunity).where(
            Opportunity.customer_id == customer.id, Opportunity.status == "open", Opportunity.owner_id == old)):
        opp.owner_id = new_owner_id
    for req in db.session.scalars(select(ResourceRequest).where(
            ResourceRequest.customer_id == customer.id, ResourceRequest.answered_at.is_(None),
            ResourceRequest.assignee_id == old)):
        req.assignee_id = new_owner_id


def reassign(actor, customer: Customer, new_owner_id: int | None, note: str | None = None) -> None:
    """The director gives a customer to another rep of the team (or to the pool)."""
    if not can_manage_team_customers(actor, customer.team_id):
        raise Forbidden()
    new_owner_id = _team_rep(customer.team_id, new_owner_id)
    if new_owner_id == customer.owner_id:
        raise ServiceError(_("The customer already belongs to this rep."), "owner_id")
    old = customer.owner_id
    _hand_over(customer, new_owner_id)
    _event(customer, "reassigned", actor, (note or "").strip() or None)
    record("reassign", obj=customer, summary=customer.name,
           changes={"owner_id": [old, new_owner_id]})
    db.session.flush()


def reassign_all(actor, from_rep_id: int, to_rep_id: int | None, note: str | None = None) -> int:
    """Every customer of a departing rep goes to another rep (or the pool) at once; returns how many."""
    teams = managed_team_ids(actor) or set()
    if actor.role != "director":
        raise Forbidden()
    source = db.session.get(User, from_rep_id)
    if source is None or source.role != "rep" or source.team_id not in teams:
        raise ServiceError(_("Choose a rep of your team."), "from_rep_id")
    if to_rep_id == from_rep_id:
        raise ServiceError(_("Choose another rep."), "to_rep_id")
    customers = list(db.session.scalars(select(Customer).where(
        Customer.owner_id == from_rep_id, Customer.team_id.in_(teams)).order_by(Customer.id)))
    for customer in customers:
        target = _team_rep(customer.team_id, to_rep_id, "to_rep_id")
        _hand_over(customer, target)
        _event(customer, "reassigned", actor, (note or "").strip() or None)
        record("reassign", obj=customer, summary=customer.name, changes={"owner_id": [from_rep_id, target]})
    record("reassign_all", obj=source, summary=f"{len(customers)} customers",
           changes={"owner_id": [from_rep_id, to_rep_id]})
    db.session.flush()
    return len(customers)


# Contacts -----------------------------------------------------------------------------------

def save_contact(actor, customer: Customer, contact: Contact | None, data: dict) -> Contact:
    if not can_edit_customer(actor, customer):
        raise Forbidden()
    if contact is None:
        contact = Contact(customer_id=customer.id)
        db.session.add(contact)
    elif contact.customer_id != customer.id:
        raise NotFound()
    for key in ("name", "title", "phone", "email", "wechat", "notes"):
        value = data.get(key)
        setattr(contact, key, value.strip() if isinstance(value, str) and value.strip() else None)
    if not contact.name:
        raise ServiceError(_("Enter the contact's name."), "name")
    db.session.flush()
    return contact


def delete_contact(actor, contact: Contact) -> None:
    if not can_edit_customer(actor, contact.customer):
        raise Forbidden()
    db.session.delete(contact)
    db.session.flush()


# Log entries --------------------------------------------------------------------------------

def log_activity(actor, customer: Customer, data: dict) -> Activity:
    """Log a visit, call, trade show, meeting or e-mail on a customer, with its next step."""
    if not can_edit_customer(actor, customer):
        raise Forbidden()
    if data.get("kind") not in ACTIVITY_KINDS:
        raise ServiceError(_("Choose what kind of contact this was."), "kind")
    occurred_at: datetime = data["occurred_at"]
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise ServiceError(_("A log entry records what happened: the time cannot be in the future."),
                           "occurred_at")
    follow_up_on: date | None = data.get("follow_up_on")
    if follow_up_on and follow_up_on < occurred_at.date() - timedelta(days=1):
        raise ServiceError(_("The follow-up date cannot be before the contact."), "follow_up_on")
    contact_ids = set(data.get("contact_ids") or [])
    contacts = [c for c in customer.contacts if c.id in contact_ids]
    if len(contacts) != len(contact_ids):
        raise ServiceError(_("Choose contacts of this customer."), "contact_ids")
    activity = Activity(
        kind=data["kind"], customer_id=customer.id, owner_id=actor.id, team_id=customer.team_id,
        occurred_at=occurred_at, summary=data["summary"].strip(), outcome=(data.get("outcome") or "").strip() or None,
        next_step=(data.get("next_step") or "").strip() or None, follow_up_on=follow_up_on,
        duration_minutes=data.get("duration_minutes") if data["kind"] == "call" else None,
        direction=data.get("direction") if data["kind"] == "call" else None, contacts=contacts)
    db.session.add(activity)
    if customer.last_contact_at is None or customer.last_contact_at < occurred_at:
        customer.last_contact_at = occurred_at
    db.session.flush()
    return activity


def complete_follow_up(actor, activity: Activity) -> None:
    if not can_edit_activity(actor, activity):
        raise Forbidden()
    activity.follow_up_done = True
    db.session.flush()


def delete_activity(actor, activity: Activity) -> None:
    if not can_edit_activity(actor, activity):
        raise Forbidden()
    customer = activity.customer
    db.session.delete(activity)
    db.session.flush()
    customer.last_contact_at = db.session.scalar(
        select(func.max(Activity.occurred_at)).where(Activity.customer_id == customer.id))
    db.session.flush()


# Opportunities ------------------------------------------------------------------------------

def _stage_for(team_id: int, stage_id: int | None) -> OpportunityStage:
    stage = next((s for s in stages_for(team_id) if s.id == stage_id), None)
    if stage is None:
        raise ServiceError(_("Choose a stage from the list."), "stage_id")
    return stage


DISCOUNT_KEY = "customers.discount_threshold"
settings.declare(DISCOUNT_KEY, "10")


def discount_threshold(team_id: int | None) -> Decimal:
    """The discount (percent) above which an opportunity's discount needs approval: a team setting."""
    return Decimal(str(settings.get(DISCOUNT_KEY, team_id) or "10"))


def opportunity_locked(opp: Opportunity | None) -> bool:
    """True while the opportunity's discount waits for approval: it is read-only then."""
    from ..approvals.services import is_locked

    return opp is not None and opp.id is not None and is_locked("opportunity", opp.id)


def _check_unlocked(opp: Opportunity) -> None:
    if opportunity_locked(opp):
        raise ServiceError(_("This opportunity waits for the approval of its discount: it cannot be changed now."))


def _apply_discount(actor, opp: Opportunity, discount) -> None:
    """Store the discount; above the team's threshold (and not already approved) submit it for approval."""
    discount = None if discount in (None, "") else Decimal(discount).quantize(Decimal("0.01"))
    if discount is not None and not Decimal("0") <= discount <= Decimal("100"):
        raise ServiceError(_("The discount is a percentage from 0 to 100."), "discount")
    if discount == Decimal("0"):
        discount = None
    opp.discount = discount
    if discount is None or discount <= discount_threshold(opp.team_id):
        opp.discount_approved = discount
        return
    if discount == opp.discount_approved:
        return
    from ..approvals import services as approvals
    from ..core.links import path_for

    title = _("Discount %(pct)s%% on %(title)s", pct=discount, title=opp.title)
    approvals.submit(actor, "discount", "opportunity", opp.id, opp.team_id, opp.amount, title,
                     path_for("customers.opportunity", opportunity_id=opp.id))


def discount_decided(req, outcome: str) -> None:
    """on_decided("discount"): approved, the discount stands; otherwise it goes back to the approved one."""
    if req.record_type != "opportunity":
        return
    opp = db.session.get(Opportunity, req.record_id)
    if opp is None:
        return
    asked = opp.discount
    if outcome == "approved":
        opp.discount_approved = opp.discount
    else:
        opp.discount = opp.discount_approved
    # The timeline keeps one text: written in the company's language, as the default lists are.
    with force_locale(settings.get("default_locale") or "zh_CN"):
        if outcome == "approved":
            note = _("Discount of %(pct)s%% approved.", pct=asked)
        else:
            old = f"{opp.discount}%" if opp.discount is not None else _("no discount")
            note = _("Discount of %(pct)s%% not approved; back to %(old)s.", pct=asked, old=old)
    db.session.add(CustomerEvent(customer_id=opp.customer_id, team_id=opp.team_id, kind="discount",
                                 actor_id=None, note=f"{opp.title}: {note}"))
    db.session.flush()


def save_opportunity(actor, opp: Opportunity | None, customer: Customer | None, data: dict) -> Opportunity:
    """Create or change an opportunity; its probability starts at the stage's default. A discount
    above the team's threshold goes for approval, and the opportunity is read-only until decided."""
    if opp is not None:
        _check_unlocked(opp)
    discount = data.get("discount")
    if discount not in (None, "") and not Decimal("0") <= Decimal(discount) <= Decimal("100"):
        raise ServiceError(_("The discount is a percentage from 0 to 100."), "discount")
    if opp is None:
        if customer is None or not can_edit_customer(actor, customer):
            raise ServiceError(_("Choose one of your customers."), "customer_id")
        if customer.status == "lost":
            raise ServiceError(_("Win the customer back before opening an opportunity."), "customer_id")
        team_id = customer.team_id
    elif not can_edit_record(actor, opp):
        raise Forbidden()
    else:
        team_id = opp.team_id
    stage = _stage_for(team_id, data.get("stage_id"))
    amount = data.get("amount")
    if amount is None or Decimal(amount) < 0:
        raise ServiceError(_("Enter the expected amount (zero or more)."), "amount")
    probability = data.get("probability")
    if probability is None:
        probability = opp.probability if opp is not None and opp.stage_id == stage.id else stage.probability
    if not 0 <= int(probability) <= 100:
        raise ServiceError(_("The probability is a whole number from 0 to 100."), "probability")
    if opp is None:
        owner_id = actor.id if actor.role == "rep" else (customer.owner_id or actor.id)
        opp = Opportunity(customer_id=customer.id, owner_id=owner_id, team_id=team_id, status="open")
        db.session.add(opp)
    opp.title = data["title"].strip()
    opp.stage_id, opp.amount, opp.probability = stage.id, amount, int(probability)
    opp.expected_close = data.get("expected_close")
    db.session.flush()
    if "discount" in data:
        _apply_discount(actor, opp, data.get("discount"))
        db.session.flush()
    return opp


def move_stage(actor, opp: Opportunity, stage_id: int) -> None:
    """Move an open opportunity to another stage; its probability becomes the stage's default."""
    if not can_edit_record(actor, opp):
        raise Forbidden()
    _check_unlocked(opp)
    if opp.status != "open":
        raise ServiceError(_("Only open opportunities move between stages."), "stage_id")
    stage = _stage_for(opp.team_id, stage_id)
    opp.stage_id, opp.probability = stage.id, stage.probability
    db.session.flush()


def close_opportunity(actor, opp: Opportunity, won: bool, *, reason_id: int | None = None,
                      note: str | None = None) -> None:
    """Won makes a prospect an active customer; lost needs a reason from the list."""
    if not can_edit_record(actor, opp):
        raise Forbidden()
    _check_unlocked(opp)
    if opp.status != "open":
        raise ServiceError(_("This opportunity is already closed."))
    if not won and reason_id not in {r.id for r in lost_reasons_for(opp.team_id)}:
        raise ServiceError(_("Choose why the opportunity was lost."), "lost_reason_id")
    opp.status, opp.closed_at = ("won" if won else "lost"), utcnow()
    opp.probability = 100 if won else 0
    opp.lost_reason_id = None if won else reason_id
    opp.close_note = (note or "").strip() or None
    customer = opp.customer
    if won and customer.status == "prospect":
        customer.status, customer.activated_at, customer.activated_by_id = "active", utcnow(), customer.owner_id
        _event(customer, "activated", actor, opp.title)
    db.session.flush()


# Resource requests --------------------------------------------------------------------------

def service_window_hours() -> float:
    return float(settings.get(WINDOW_KEY) or 24)


def create_request(actor, customer: Customer, data: dict) -> ResourceRequest:
    """Log what a customer asked for; the answer is due within the service window (working hours)."""
    if not can_edit_customer(actor, customer):
        raise Forbidden()
    if data.get("kind") not in REQUEST_KINDS:
        raise ServiceError(_("Choose what the customer asked for."), "kind")
    asked_at: datetime = data.get("asked_at") or utcnow()
    if asked_at > utcnow() + timedelta(minutes=5):
        raise ServiceError(_("The time asked cannot be in the future."), "asked_at")
    assignee_id = data.get("assignee_id") or customer.owner_id or actor.id
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee.team_id != customer.team_id or assignee.role not in ("rep", "director"):
        raise ServiceError(_("Choose someone of this customer's team."), "assignee_id")
    req = ResourceRequest(customer_id=customer.id, kind=data["kind"], description=data["description"].strip(),
                          asked_at=asked_at, due_at=add_working_hours(asked_at, service_window_hours()),
                          assignee_id=assignee.id, team_id=customer.team_id, created_by_id=actor.id)
    db.session.add(req)
    db.session.flush()
    if assignee.id != actor.id:
        from flask import url_for

        from ..notifications.services import notify

        name = customer.name
        notify([assignee], "customer_request",
               lambda: _("A customer request for you to answer: %(customer)s", customer=name),
               link=url_for("customers.answer_request", resource_request_id=req.id), actor=actor)
    return req


def answer_request(actor, req: ResourceRequest, answer: str, answered_at: datetime | None = None) -> None:
    if not can_edit_record(actor, req):
        raise Forbidden()
    if req.answered_at is not None:
        raise ServiceError(_("This request has already been answered."))
    answered_at = answered_at or utcnow()
    if answered_at < req.asked_at:
        raise ServiceError(_("The answer cannot come before the request."), "answered_at")
    if answered_at > utcnow() + timedelta(minutes=5):
        raise ServiceError(_("The time answered cannot be in the future."), "answered_at")
    req.answer, req.answered_at = answer.strip(), answered_at
    db.session.flush()


# Market information -------------------------------------------------------------------------

def create_market_info(actor, data: dict, customer: Customer | None) -> MarketInfo:
    if actor.role not in ("rep", "director") or not actor.team_id:
        raise Forbidden()
    if data.get("kind") not in MARKET_KINDS:
        raise ServiceError(_("Choose a tag."), "kind")
    if customer is not None and not can_edit_customer(actor, customer):
        raise ServiceError(_("Choose one of your customers."), "customer_id")
    info = MarketInfo(kind=data["kind"], title=data["title"].strip(), body=data["body"].strip(),
                      customer_id=customer.id if customer else None, owner_id=actor.id,
                      team_id=customer.team_id if customer else actor.team_id)
    db.session.add(info)
    db.session.flush()
    return info


# Settings -----------------------------------------------------------------------------------

def set_team_read(actor, team_id: int, value: bool) -> None:
    if not can_manage_team_customers(actor, team_id):
        raise Forbidden()
    from .access import TEAM_READ_KEY

    settings.put(TEAM_READ_KEY, bool(value), team_id=team_id)
    record("setting", object_type="setting", object_id=f"team:{team_id}:{TEAM_READ_KEY}", team_id=team_id,
           changes={TEAM_READ_KEY: [None, bool(value)]})


def set_company_settings(actor, *, window_hours: int, stale_days: int) -> None:
    if actor.role not in ("gm", "admin"):
        raise Forbidden()
    if not 1 <= window_hours <= 500:
        raise ServiceError(_("Between 1 and 500 working hours."), "window_hours")
    if not 1 <= stale_days <= 365:
        raise ServiceError(_("Between 1 and 365 days."), "stale_days")
    settings.put(WINDOW_KEY, window_hours)
    settings.put(STALE_KEY, stale_days)
