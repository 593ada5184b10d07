"""The public customer pool (公海 / 客户池): claiming with limits, assigning, keep-locks, and the
recycling rules that return neglected customers to their team's pool.

Days are counted in **Chinese working days** (``portal.core.periods.is_working_day``: public
holidays off, adjusted weekend days on), so a Spring Festival week does not cost a rep their
customers. A customer last followed up on day L with a rule of X days is due on the X-th working
day after L (``due_date``) and returns to the pool on that day; counting starts no earlier than the
day the current owner got it (``owned_since``). Customers without a tier follow tier C's rules.

Recycling is one UPDATE … WHERE … RETURNING per team plus one multi-row INSERT each for the
timeline and the audit log; it runs from ``flask --app portal recycle-pool`` (cron) and whenever a
customer page or the customer list is opened, so a portal without cron still obeys its rules.
The company pool: the GM moves a pool customer into it (``company_pool``); every team's reps see
and may claim it, under their own team's limits, and a claimed customer joins the rep's team.

Everything flushes; the request (or the command) commits.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from time import monotonic

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, insert, or_, select, update
from werkzeug.exceptions import Forbidden

from ..audit.models import AuditEntry
from ..audit.services import record
from ..authz import managed_team_ids
from ..core import settings
from ..core.cache import VersionedCache, bump
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.memo import request_memo
from ..core.periods import is_working_day, local_midnight, local_today, to_local
from ..people.models import Team, User
from .models import REGIONS_CACHE, TIERS, Customer, CustomerEvent, KeepRequest, Opportunity, PoolRule

DAILY_KEY = "customers.pool.daily_claims"
RECLAIM_KEY = "customers.pool.reclaim_days"
REMIND_KEY = "customers.pool.remind_days"
KEEP_MAX_KEY = "customers.pool.keep_max_days"
settings.declare(DAILY_KEY, 5)
settings.declare(RECLAIM_KEY, 30)
settings.declare(REMIND_KEY, 3)
settings.declare(KEEP_MAX_KEY, 90)

RULE_FIELDS = ("capacity", "no_follow_up_days", "no_opportunity_days", "no_deal_days")
DAY_RULES = ("no_follow_up_days", "no_opportunity_days", "no_deal_days")
MAX_DAYS = 365
MAX_CAPACITY = 10000


# Working days ------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def due_date(day: date, working_days: int) -> date:
    """The ``working_days``-th working day after ``day`` (the day a rule falls due)."""
    n = 0
    while n < working_days:
        day += timedelta(days=1)
        n += is_working_day(day)
    return day


@lru_cache(maxsize=4096)
def count_back(today: date, working_days: int) -> date:
    """The ``working_days``-th working day counting back from ``today`` (today included when it is one).

    ``due_date(L, n) <= today`` exactly when ``L < count_back(today, n)``: the recycling cut-off.
    """
    day, n = today + timedelta(days=1), 0
    while n < working_days:
        day -= timedelta(days=1)
        n += is_working_day(day)
    return day


def _tier_key(tier: str | None) -> str:
    return tier if tier in TIERS else "C"


# Settings and rules --------------------------------------------------------------------------------

@dataclass
class TeamPoolSettings:
    daily_claims: int
    reclaim_days: int
    remind_days: int
    keep_max_days: int


def team_settings(team_id: int | None) -> TeamPoolSettings:
    return TeamPoolSettings(int(settings.get(DAILY_KEY, team_id) or 0), int(settings.get(RECLAIM_KEY, team_id) or 0),
                            int(settings.get(REMIND_KEY, team_id) or 0), int(settings.get(KEEP_MAX_KEY, team_id) or 0))


def rules_for(team_id: int) -> dict[str, PoolRule]:
    """The team's rules by tier (missing tiers: no limits, no recycling); one query per request."""
    return load_rules([team_id])[team_id]


def load_rules(team_ids: Iterable[int]) -> dict[int, dict[str, PoolRule]]:
    """Read the rules of every team not read yet in this request, in one query; the request's rules."""
    memo = request_memo().setdefault("customers.pool_rules", {})
    missing = set(team_ids) - memo.keys()
    if missing:
        for team_id in missing:
            memo[team_id] = {}
        for r in db.session.scalars(select(PoolRule).where(PoolRule.team_id.in_(missing))):
            memo[r.team_id][r.tier] = r
    return memo


def can_set_rules(user, team_id: int | None) -> bool:
    return user.is_authenticated and user.role == "director" and team_id in (managed_team_ids(user) or set())


def save_rules(actor, team_id: int, values: dict) -> None:
    """Store the team's settings and per-tier rules; ``values`` has daily_claims, reclaim_days,
    remind_days, keep_max_days and ``{tier}_{field}`` for each tier and rule (None: off)."""
    if not can_set_rules(actor, team_id):
        raise Forbidden()
    limits = {"daily_claims": (0, 1000), "reclaim_days": (0, MAX_DAYS), "remind_days": (0, 60),
              "keep_max_days": (1, MAX_DAYS)}
    for key, (low, high) in limits.items():
        value = values.get(key)
        if value is None or not low <= int(value) <= high:
            raise ServiceError(_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), key)
    for tier in TIERS:
        for name in RULE_FIELDS:
            value = values.get(f"{tier}_{name}")
            high = MAX_CAPACITY if name == "capacity" else MAX_DAYS
            if value is not None and not 1 <= int(value) <= high:
                raise ServiceError(_("Enter a whole number from %(low)s to %(high)s, or leave it empty.",
                                     low=1, high=high), f"{tier}_{name}")
        remind = int(values["remind_days"])
        for name in DAY_RULES:
            value = values.get(f"{tier}_{name}")
            if value is not None and remind and int(value) <= remind:
                raise ServiceError(_("The rule must be longer than the reminder (%(n)s days).", n=remind),
                                   f"{tier}_{name}")
    before = {}
    for key, setting in (("daily_claims", DAILY_KEY), ("reclaim_days", RECLAIM_KEY), ("remind_days", REMIND_KEY),
                         ("keep_max_days", KEEP_MAX_KEY)):
        before[key] = settings.get(setting, team_id)
        settings.put(setting, int(values[key]), team_id=team_id)
    existing = {r.tier: r for r in db.session.scalars(select(PoolRule).where(PoolRule.team_id == team_id))}
    for tier in TIERS:
        rule = existing.get(tier) or PoolRule(team_id=team_id, tier=tier)
        for name in RULE_FIELDS:
            value = values.get(f"{tier}_{name}")
            setattr(rule, name, None if value is None else int(value))
        db.session.add(rule)
    request_memo().pop("customers.pool_rules", None)
    db.session.flush()
    record("pool_rules", object_type="team", object_id=team_id, team_id=team_id,
           changes={k: [before[k], int(values[k])] for k in before})


# Claiming and assigning ----------------------------------------------------------------------------

def claims_today(rep_id: int) -> int:
    start = local_midnight(local_today())
    return db.session.scalar(select(func.count(CustomerEvent.id)).where(
        CustomerEvent.actor_id == rep_id, CustomerEvent.kind == "claimed", CustomerEvent.occurred_at >= start)) or 0


def owned_in_tier(rep_id: int, tier: str | None) -> int:
    key = _tier_key(tier)
    cond = Customer.tier == key if key != "C" else or_(Customer.tier == "C", Customer.tier.is_(None),
                                                       Customer.tier.not_in(TIERS))
    return db.session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == rep_id, Customer.status != "lost", cond)) or 0


def check_capacity(rep: User, customer: Customer, field: str | None = None) -> None:
    """The rep's team's capacity for the customer's tier (a company-pool customer joins that team)."""
    rule = rules_for(rep.team_id).get(_tier_key(customer.tier))
    if rule is not None and rule.capacity is not None and owned_in_tier(rep.id, customer.tier) >= rule.capacity:
        raise ServiceError(_("%(name)s already owns %(n)s tier %(tier)s customers, the most allowed.",
                             name=rep.display_name, n=rule.capacity, tier=_tier_key(customer.tier)), field)


def reclaim_wait_until(rep: User, customer: Customer) -> date | None:
    """The first day ``rep`` may claim ``customer`` again after releasing or losing it, or None."""
    if customer.previous_owner_id != rep.id or customer.pool_entered_at is None:
        return None
    wait = team_settings(rep.team_id).reclaim_days
    first = to_local(customer.pool_entered_at).date() + timedelta(days=wait)
    return first if first > local_today() else None


def check_claim(rep: User, customer: Customer) -> None:
    """The rules a rep's claim must pass: daily limit, capacity of the tier, the re-claim wait."""
    cfg = team_settings(rep.team_id)
    if claims_today(rep.id) >= cfg.daily_claims:
        raise ServiceError(_("You have claimed %(n)s customers today, the daily limit.", n=cfg.daily_claims))
    check_capacity(rep, customer)
    wait = reclaim_wait_until(rep, customer)
    if wait is not None:
        raise ServiceError(_("You gave this customer up recently: you may claim it again from %(day)s.",
                             day=wait.isoformat()))


def _take(customer: Customer, owner_id: int) -> None:
    customer.owner_id = owner_id
    customer.company_pool = False
    customer.owned_since = utcnow()
    customer.locked_until = None
    customer.reminded_due_on = None


def claim(actor, customer: Customer) -> None:
    """A rep takes a customer from their team's pool, within the team's limits."""
    from .access import can_claim

    if not can_claim(actor, customer):
        raise Forbidden()
    check_claim(actor, customer)
    if customer.company_pool:  # from the company pool the customer joins the rep's team
        customer.team_id, customer.company_pool = actor.team_id, False
    _take(customer, actor.id)
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind="claimed",
                                 actor_id=actor.id))
    record("claim", obj=customer, summary=customer.name)
    db.session.flush()


def assign(actor, customer: Customer, rep_id: int | None) -> None:
    """The director gives a pool customer to a rep of the team (capacity still applies)."""
    from .access import can_manage_team_customers

    if not can_manage_team_customers(actor, customer.team_id) or customer.owner_id is not None:
        raise Forbidden()
    rep = db.session.get(User, rep_id) if rep_id else None
    if rep is None or rep.role != "rep" or rep.team_id != customer.team_id or not rep.active:
        raise ServiceError(_("Choose a sales rep of this customer's team."), "rep_id")
    check_capacity(rep, customer, "rep_id")
    _take(customer, rep.id)
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind="assigned",
                                 actor_id=actor.id, note=rep.display_name))
    record("pool_assign", obj=customer, summary=customer.name, changes={"owner_id": [None, rep.id]})
    db.session.flush()
    from ..core.links import path_for
    from ..notifications.services import notify

    name = customer.name
    notify([rep], "pool_assigned", lambda: _("A customer from the public pool was assigned to you: %(name)s",
                                             name=name),
           link=path_for("customers.detail", customer_id=customer.id), actor=actor)


def move_pool(actor, customer: Customer, to_company: bool, team_id: int | None = None) -> None:
    """The GM moves a pool customer into the company pool (every team's reps may claim it) or back
    into a team's pool."""
    if actor.role != "gm" or customer.owner_id is not None:
        raise Forbidden()
    if to_company:
        if customer.company_pool:
            return
        customer.company_pool = True
        kind = "to_company_pool"
    else:
        team = db.session.get(Team, team_id) if team_id else None
        if team is None:
            raise ServiceError(_("Choose a team."), "team_id")
        customer.company_pool, customer.team_id = False, team.id
        kind = "to_team_pool"
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind=kind, actor_id=actor.id))
    record("pool_" + kind, obj=customer, summary=customer.name)
    db.session.flush()


def put_in_pool(customer: Customer) -> None:
    """Bookkeeping when an owner gives a customer up (release, reassignment to the pool)."""
    customer.previous_owner_id = customer.owner_id
    customer.pool_entered_at = utcnow()
    customer.owner_id = None
    customer.locked_until = None
    customer.reminded_due_on = None


# Keep-locks -----------------------------------------------------------------------------------------

def ask_keep(actor, customer: Customer, until: date | None, reason: str) -> KeepRequest:
    """The owner asks the director to keep the customer out of recycling until a date."""
    if actor.role != "rep" or customer.owner_id != actor.id:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the customer should be kept."), "reason")
    cfg = team_settings(customer.team_id)
    today = local_today()
    if until is None or until <= today or until > today + timedelta(days=cfg.keep_max_days):
        raise ServiceError(_("Choose a day after today and at most %(n)s days ahead.", n=cfg.keep_max_days), "until")
    if db.session.scalar(select(KeepRequest.id).where(KeepRequest.customer_id == customer.id,
                                                      KeepRequest.status == "pending")):
        raise ServiceError(_("A request to keep this customer is already waiting."))
    req = KeepRequest(customer_id=customer.id, team_id=customer.team_id, requester_id=actor.id, reason=reason,
                      until=until, status="pending")
    db.session.add(req)
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind="keep_asked",
                                 actor_id=actor.id, note=reason))
    db.session.flush()
    from ..core.links import path_for
    from ..notifications.services import notify

    team = db.session.get(Team, customer.team_id)
    directors = [team.director] if team is not None and team.director is not None else []
    name = customer.name
    notify(directors, "pool_keep", lambda: _("Asked to keep a customer out of the pool: %(name)s", name=name),
           link=path_for("customers.keep_requests"), actor=actor)
    return req


def decide_keep(actor, req: KeepRequest, approve: bool, comment: str | None = None) -> None:
    from .access import can_manage_team_customers

    if not can_manage_team_customers(actor, req.team_id):
        raise Forbidden()
    if req.status != "pending":
        raise ServiceError(_("This request has already been decided."))
    comment = (comment or "").strip() or None
    if not approve and not comment:
        raise ServiceError(_("Say why: the requester will read it."), "comment")
    customer = req.customer
    if approve and customer.owner_id != req.requester_id:
        raise ServiceError(_("The customer no longer belongs to the rep who asked."))
    req.status = "approved" if approve else "refused"
    req.decided_by_id, req.decided_at, req.comment = actor.id, utcnow(), comment
    if approve:
        customer.locked_until = req.until
    note = " ".join(p for p in ((f"→ {req.until.isoformat()}" if approve else None), comment) if p)
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id,
                                 kind="locked" if approve else "keep_refused", actor_id=actor.id, note=note or None))
    record("pool_lock" if approve else "pool_lock_refused", obj=customer, summary=customer.name,
           changes={"locked_until": [None, req.until.isoformat()]} if approve else None)
    db.session.flush()
    from ..core.links import path_for
    from ..notifications.services import notify

    name = customer.name
    title = (lambda: _("Your customer is kept out of the pool: %(name)s", name=name)) if approve else (
        lambda: _("Keeping the customer was refused: %(name)s", name=name))
    notify([req.requester], "pool_keep_decided", title,
           link=path_for("customers.detail", customer_id=customer.id), actor=actor)


def unlock(actor, customer: Customer) -> None:
    from .access import can_manage_team_customers

    if not can_manage_team_customers(actor, customer.team_id) or customer.locked_until is None:
        raise Forbidden()
    old = customer.locked_until
    customer.locked_until = None
    forget_recycle_checks(customer.team_id)  # the customer may be due now
    db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind="unlocked",
                                 actor_id=actor.id))
    record("pool_unlock", obj=customer, summary=customer.name, changes={"locked_until": [old.isoformat(), None]})
    db.session.flush()


def is_locked(customer: Customer, today: date | None = None) -> bool:
    return customer.locked_until is not None and customer.locked_until >= (today or local_today())


# Recycling ------------------------------------------------------------------------------------------

def _rule_condition(rule: PoolRule, today: date, lead: int = 0):
    """Customers of the rule's tier whose rule falls due within ``lead`` working days (0: due now)."""
    parts = []
    tier = rule.tier
    tier_cond = Customer.tier == tier if tier != "C" else or_(Customer.tier == "C", Customer.tier.is_(None),
                                                             Customer.tier.not_in(TIERS))
    for name in DAY_RULES:
        days = getattr(rule, name)
        if days is None:
            continue
        cut = local_midnight(count_back(today, max(days - lead, 0)))
        owned = or_(Customer.owned_since.is_(None), Customer.owned_since < cut)
        if name == "no_follow_up_days":
            parts.append(and_(owned, or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < cut)))
        elif name == "no_opportunity_days":
            parts.append(and_(owned, ~exists().where(Opportunity.customer_id == Customer.id,
                                                     Opportunity.created_at >= cut)))
        else:
            parts.append(and_(owned, ~exists().where(Opportunity.customer_id == Customer.id,
                                                     Opportunity.status == "won", Opportunity.closed_at >= cut)))
    if not parts:
        return None
    return and_(tier_cond, or_(*parts))


def due_condition(team_id: int, today: date, lead: int = 0):
    """Owned, not lost, not locked customers of the team that a rule returns to the pool."""
    conds = [c for c in (_rule_condition(r, today, lead) for r in rules_for(team_id).values()) if c is not None]
    if not conds:
        return None
    return and_(Customer.team_id == team_id, Customer.owner_id.is_not(None), Customer.status != "lost",
                or_(Customer.locked_until.is_(None), Customer.locked_until < today), or_(*conds))


def recycle_team(team_id: int, today: date | None = None, actor=None) -> int:
    """Return the team's due customers to the pool: one SELECT, and when any is due one UPDATE … RETURNING,
    one INSERT of timeline events, one INSERT of audit entries. Returns how many; a second run finds none."""
    today = today or local_today()
    cond = due_condition(team_id, today)
    if cond is None:
        return 0
    # Read first: pages run this on every open, and a read needs no write lock (on SQLite a GET that
    # wrote would queue behind every writer); only when something is due does it write.
    due = list(db.session.scalars(select(Customer.id).where(cond)))
    if not due:
        return 0
    now = utcnow()
    # The previous owner is the current one: SET evaluates every right side against the old row.
    stmt = (update(Customer).where(Customer.id.in_(due), cond)
            .values(previous_owner_id=Customer.owner_id, owner_id=None, pool_entered_at=now, reminded_due_on=None,
                    locked_until=None, timeline_version=Customer.timeline_version + 1)  # the events below
            .returning(Customer.id, Customer.name, Customer.previous_owner_id)
            .execution_options(synchronize_session=False))
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0
    # An UPDATE statement passes no flush: the owners changed, so the cached region menus go.
    bump(db.session.connection(), REGIONS_CACHE)
    actor_id = actor.id if actor is not None else None
    db.session.execute(insert(CustomerEvent.__table__).execution_options(timeline_handled=True), [
        {"customer_id": cid, "team_id": team_id, "kind": "recycled", "actor_id": actor_id, "note": None,
         "occurred_at": now} for cid, _name, _prev in rows])
    ip = request.remote_addr if has_request_context() else None
    db.session.execute(insert(AuditEntry.__table__), [
        {"at": now, "actor_id": actor_id, "actor_name": actor.username if actor is not None else "recycle-pool",
         "action": "pool_recycle", "object_type": "customer", "object_id": str(cid), "team_id": team_id,
         "summary": name, "changes": {"owner_id": [prev, None]}, "ip": ip} for cid, name, prev in rows])
    # Rows already loaded in this session are stale now.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in {r[0] for r in rows}:
            db.session.expire(obj)
    return len(rows)


# Pages recycle on open so a portal without cron still obeys its rules, but the answer seldom changes
# within a day: every rule counts whole working days cut at local midnight, so time alone moves a
# customer into the due set only when the date changes. Within a day it changes when the rules change
# (part of the key) or through rare writes (a lock lifted, a lost customer reopened, an old customer
# imported or moved between teams, a won deal reopened): those wait at most RECHECK_SECONDS for the
# next page open, or for the daily ``recycle-pool`` command, which stays the authority.
RECHECK_SECONDS = 300


def _checks(app=None) -> dict:
    """This process's memo {team_id: (date, rules signature, monotonic time)} of teams found with
    nothing due; one per app, so each app (and each test) starts empty."""
    return (app or current_app).extensions.setdefault("customers.recycle_checks", {})


def forget_recycle_checks(team_id: int | None = None, app=None) -> None:
    """Make the next page open check the team again (None: every team); for writes that can make
    a customer due today, and for tests that change the data between two page opens."""
    if team_id is None:
        _checks(app).clear()
    else:
        _checks(app).pop(team_id, None)


# Every team's rules in short, kept by each worker until a rule is written (models: "pool_rules"): every
# list open compares them with what the last check saw, and reading them cost a query per page.
_SIGNATURES = VersionedCache("pool_rules", size=1)


def _all_signatures() -> dict[int, tuple]:
    rows: dict[int, list] = {}
    for team_id, *values in db.session.execute(
            select(PoolRule.team_id, PoolRule.tier, *(getattr(PoolRule, f) for f in RULE_FIELDS))):
        rows.setdefault(team_id, []).append(tuple(values))
    return {team_id: tuple(sorted(values)) for team_id, values in rows.items()}


def _rules_signature(team_id: int) -> tuple:
    return _SIGNATURES.get("all", _all_signatures).get(team_id, ())


# A rule's values by name, as a PoolRule has them (the fields of the kept signatures, in their order).
RuleValues = namedtuple("RuleValues", RULE_FIELDS)


def kept_rule(team_id: int | None, tier: str) -> RuleValues | None:
    """A team's rule for a tier, from what each worker keeps (for pages that only read it)."""
    for rule_tier, *values in _rules_signature(team_id) if team_id else ():
        if rule_tier == tier:
            return RuleValues(*values)
    return None


def recycle_on_open(team_ids: Iterable[int] | None) -> int:
    """Apply the rules to the teams a page shows, once per request (None: every team), skipping a
    team this process already checked today under the same rules within RECHECK_SECONDS."""
    memo = request_memo().setdefault("customers.recycled", set())
    if team_ids is None:
        team_ids = list(db.session.scalars(select(Team.id)))
    checks, today, now = _checks(), local_today(), monotonic()
    n = 0
    for team_id in sorted(set(team_ids) - memo):
        memo.add(team_id)
        key = (today, _rules_signature(team_id))
        seen = checks.get(team_id)
        if seen is not None and seen[:2] == key and now - seen[2] < RECHECK_SECONDS:
            continue
        n += recycle_team(team_id, today)
        checks[team_id] = (*key, now)
    return n


def remind(today: date | None = None) -> int:
    """Tell owners about customers a rule returns to the pool within the team's reminder days;
    once per customer per due date (``reminded_due_on``). Returns how many reminders were made."""
    from ..core.links import path_for
    from ..notifications.services import notify

    today = today or local_today()
    made = 0
    for team_id in db.session.scalars(select(Team.id).order_by(Team.id)):
        lead = team_settings(team_id).remind_days
        cond = due_condition(team_id, today, lead) if lead else None
        if cond is None:
            continue
        rules = rules_for(team_id)
        customers = list(db.session.scalars(select(Customer).where(cond).order_by(Customer.id)))
        if not customers:
            continue
        owners = {u.id: u for u in db.session.scalars(select(User).where(
            User.id.in_({c.owner_id for c in customers})))}
        last_opp = dict(db.session.execute(select(Opportunity.customer_id, func.max(Opportunity.created_at)).where(
            Opportunity.customer_id.in_([c.id for c in customers])).group_by(Opportunity.customer_id)).all())
        last_won = dict(db.session.execute(select(Opportunity.customer_id, func.max(Opportunity.closed_at)).where(
            Opportunity.customer_id.in_([c.id for c in customers]), Opportunity.status == "won")
            .group_by(Opportunity.customer_id)).all())
        for c in customers:
            due = recycle_due_on(c, rules.get(_tier_key(c.tier)), last_opp.get(c.id), last_won.get(c.id))
            if due is None or c.reminded_due_on == due:
                continue
            c.reminded_due_on = due
            name, when = c.name, due.isoformat()
            notify([owners.get(c.owner_id)], "pool_recycle_soon",
                   lambda name=name, when=when: _("%(name)s returns to the public pool on %(day)s unless you "
                                                  "follow it up", name=name, day=when),
                   link=path_for("customers.detail", customer_id=c.id))
            made += 1
    db.session.flush()
    return made


def recycle_due_on(customer: Customer, rule: PoolRule | None, last_opp: datetime | None = None,
                   last_won: datetime | None = None) -> date | None:
    """The day the earliest rule returns an owned customer to the pool (None: no rule applies)."""
    if rule is None or customer.owner_id is None:
        return None
    since = customer.owned_since
    dues = []
    for name, moment in (("no_follow_up_days", customer.last_contact_at), ("no_opportunity_days", last_opp),
                         ("no_deal_days", last_won)):
        days = getattr(rule, name)
        if days is None:
            continue
        base = max([m for m in (since, moment) if m is not None], default=None)
        if base is None:
            continue
        dues.append(due_date(to_local(base).date(), days))
    return min(dues) if dues else None


def recycle_all(today: date | None = None) -> int:
    n = 0
    for team_id in list(db.session.scalars(select(Team.id).order_by(Team.id))):
        n += recycle_team(team_id, today)
    return n


# Reads for the pages --------------------------------------------------------------------------------

def pool_teams(user) -> set[int] | None:
    """Whose pool a user sees: a rep their team's, a director their teams', the GM every team (None)."""
    if user.role == "rep":
        return {user.team_id} if user.team_id else set()
    if user.role == "director":
        return managed_team_ids(user) or set()
    if user.role == "gm":
        return None
    return set()


def pool_query(user):
    """Pool customers the user sees: their teams' pools and the company pool (the GM: all)."""
    stmt = select(Customer).where(Customer.owner_id.is_(None), Customer.status != "lost")
    teams = pool_teams(user)
    if teams is not None:
        stmt = stmt.where(or_(Customer.team_id.in_(teams), Customer.company_pool) if teams else false())
    return stmt


def init_cli(app) -> None:
    import click
    from flask import current_app

    @app.cli.command("recycle-pool")
    def recycle_pool_command():
        """Return neglected customers to their team's pool and remind owners before (for cron)."""
        with current_app.test_request_context("/"):
            n = recycle_all()
            reminded = remind()
            db.session.commit()
        click.echo(f"{n} customer(s) returned to the pool, {reminded} reminder(s) sent")
