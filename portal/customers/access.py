"""Who sees and edits which customer records: the one place these rules live.

A rep sees the customers they own, their team's public pool, and, when the team's setting
allows it, every customer of their team (read only). A director sees and edits their teams'
customers. The GM reads everything; the administrator owns no sales data (refused by the routes).
Views and templates call the same predicates.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import Integer, Select, and_, bindparam, false, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from ..authz import can_edit_record as authz_can_edit
from ..authz import can_see_record as authz_can_see
from ..authz import managed_team_ids, scope_query, scope_signature
from ..authz.scopes import data_scope, reps_see_team
from ..core import settings
from ..core.db import db
from ..core.memo import request_memo
from .models import Activity, Customer, MarketInfo

TEAM_READ_KEY = "customers.reps_read_team"
settings.declare(TEAM_READ_KEY, False)


def reps_read_team(team_id: int | None) -> bool:
    """The team setting "reps may read the team's customers"."""
    if not team_id:
        return False
    memo = request_memo().setdefault("customers_team_read", {})
    if team_id not in memo:
        memo[team_id] = bool(settings.get(TEAM_READ_KEY, team_id=team_id))
    return memo[team_id]


def _pool_condition(user, team_seen: bool = False):
    """The team's public pool (customers without an owner): reps of the team and its director see it.
    ``team_seen``: the user's scope already holds every customer of those teams, so only the company
    pool is added (a term inside another would make the database read the team's pool twice)."""
    # Flat terms, not "no owner AND (team OR company pool)": each can then be read from its own
    # index, and a company whose pool holds most customers does not make every list scan all of it.
    # The company pool is every rep's and director's (as ``can_see_customer`` has it), with or without a team.
    company = and_(Customer.owner_id.is_(None), Customer.company_pool)
    if user.role == "rep":
        return company if team_seen or not user.team_id else or_(
            and_(Customer.owner_id.is_(None), Customer.team_id == user.team_id), company)
    if user.role == "director":
        teams = managed_team_ids(user) or set()
        return company if team_seen or not teams else or_(
            and_(Customer.owner_id.is_(None), Customer.team_id.in_(teams)), company)
    return None


def _sees_whole_teams(user, team_visible_to_reps: bool) -> bool:
    """Whether the record scope itself holds every customer of the user's pool teams (portal.authz)."""
    if user.role == "director":
        return data_scope("director") in ("dept", "dept_and_sub")
    if user.role == "rep":
        return bool(user.team_id) and (team_visible_to_reps or reps_see_team())
    return False


def _in_pool_of(user, customer: Customer) -> bool:
    """In the team pool of the user's team(s)."""
    if customer.owner_id is not None:
        return False
    if user.role == "rep":
        return bool(user.team_id) and customer.team_id == user.team_id
    return user.role == "director" and customer.team_id in (managed_team_ids(user) or set())


def scope_terms(user) -> tuple | None:
    """The conditions one of which a customer the user may see meets (None: every customer): the
    company's record scope (portal.authz, with the team setting for reps) plus the team's public pool.
    Built once per request and user: the list page asks for them three times (page, count, regions)."""
    if not user.is_authenticated or user.role == "admin":
        return ()
    memo = request_memo().setdefault("customers.scope_terms", {})
    if user.id not in memo:
        memo[user.id] = _build_scope_terms(user)
    return memo[user.id]


def _build_scope_terms(user) -> tuple | None:
    if managed_team_ids(user) is None:
        return None
    team_read = user.role == "rep" and reps_read_team(user.team_id)
    scoped = scope_query(select(Customer), Customer, user, team_visible_to_reps=team_read)
    terms = []
    for cond in (scoped.whereclause, _pool_condition(user, _sees_whole_teams(user, team_read))):
        if cond is None:
            continue
        # or_() flattens nested ORs: its clauses are the terms, each answered by its own index.
        is_or = isinstance(cond, BooleanClauseList) and cond.operator is operators.or_
        terms += list(cond.clauses) if is_or else [cond]
    return tuple(terms)


def scope_key(user) -> tuple:
    """Everything ``scope_terms`` depends on besides the customers themselves: a key under which a
    result computed from the user's visible customers may be kept (with the customers' own token).
    The record scope's signature with the team setting for reps; the pool follows from the same."""
    return scope_signature(user, team_visible_to_reps=user.role == "rep" and reps_read_team(user.team_id))


def customer_scope(stmt: Select, user) -> Select:
    """Restrict a select of customers to those the user may see (see ``scope_terms``)."""
    terms = scope_terms(user)
    if terms is None:
        return stmt
    return stmt.where(or_(*terms) if terms else false())


def visible_customers(user) -> Select:
    return customer_scope(select(Customer), user)


def can_see_customer(user, customer: Customer) -> bool:
    if not user.is_authenticated or user.role == "admin":
        return False
    return authz_can_see(user, customer, team_visible_to_reps=user.role == "rep" and reps_read_team(user.team_id)) \
        or _in_pool_of(user, customer) or (customer.owner_id is None and customer.company_pool
                                           and user.role in ("rep", "director"))


def can_edit_customer(user, customer: Customer) -> bool:
    """The owning rep and their director edit; the pool is edited by the director only."""
    if not user.is_authenticated or user.role not in ("rep", "director"):
        return False
    if user.role == "rep":
        return customer.owner_id == user.id
    return authz_can_edit(user, customer) or _in_pool_of(user, customer)


def can_claim(user, customer: Customer) -> bool:
    """A rep claims from their team's pool or from the company pool."""
    return user.role == "rep" and bool(user.team_id) and customer.owner_id is None \
        and (customer.team_id == user.team_id or customer.company_pool) and customer.status != "lost"


def can_manage_team_customers(user, team_id: int | None) -> bool:
    """Directors reassign and release the customers of the teams they lead."""
    return user.is_authenticated and user.role == "director" and team_id in (managed_team_ids(user) or set())


def get_customer_or_404(customer_id: int, user, options=()) -> Customer:
    customer = db.session.get(Customer, customer_id, options=list(options))
    if customer is None or not can_see_customer(user, customer):
        abort(404)
    return customer


def customer_with(columns=(), options=()) -> Select:
    """A select of the customer whose id is the ``customer_id`` parameter, with ``columns`` (expressions
    over the customer's row, such as correlated subqueries) and loader ``options``: what a page needs
    besides the customer, without a round trip of its own. Build it once and keep it (a new statement
    costs SQLAlchemy its cache key on every run)."""
    return select(Customer, *columns).options(*options).where(Customer.id == bindparam("customer_id", type_=Integer))


def get_customer_with_or_404(customer_id: int, user, stmt: Select) -> tuple[Customer, tuple]:
    """``get_customer_or_404`` through a ``customer_with`` select: the customer and its extra columns."""
    row = db.session.execute(stmt, {"customer_id": customer_id}).unique().first()
    if row is None or not can_see_customer(user, row[0]):
        abort(404)
    return row[0], tuple(row[1:])


def can_edit_activity(user, activity: Activity) -> bool:
    """A log entry is changed by the rep who wrote it or by their director."""
    if user.role not in ("rep", "director"):
        return False
    return authz_can_edit(user, activity)


def record_scope(stmt: Select, model, user) -> Select:
    """Opportunities, requests, log entries: the company's record scope (portal.authz); never the admin."""
    if not user.is_authenticated or user.role == "admin":
        return stmt.where(false())
    return scope_query(stmt, model, user)


def can_see_record(user, record) -> bool:
    if not user.is_authenticated or user.role == "admin":
        return False
    return authz_can_see(user, record)


def can_edit_record(user, record) -> bool:
    return user.role in ("rep", "director") and authz_can_edit(user, record)


def get_record_or_404(model, ident: int, user):
    record = db.session.get(model, ident)
    if record is None or not can_see_record(user, record):
        abort(404)
    return record


def can_see_market_info(user, info: MarketInfo) -> bool:
    """Market information is shared: the whole team reads it, directors and the GM browse it."""
    if not user.is_authenticated or user.role == "admin":
        return False
    teams = managed_team_ids(user)
    if teams is None or info.owner_id == user.id:
        return True
    if user.role == "director":
        return info.team_id in teams
    return info.team_id == user.team_id


def market_scope(stmt: Select, user) -> Select:
    if not user.is_authenticated or user.role == "admin":
        return stmt.where(false())
    teams = managed_team_ids(user)
    if teams is None:
        return stmt
    if user.role == "director":
        return stmt.where(or_(MarketInfo.team_id.in_(teams or {-1}), MarketInfo.owner_id == user.id))
    return stmt.where(or_(MarketInfo.team_id == user.team_id, MarketInfo.owner_id == user.id))

