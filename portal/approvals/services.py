"""The approval engine: chains, submitting, deciding, withdrawing, resubmitting, and the hooks features use.

Everything here flushes and never commits: the request (or the calling command) commits once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, exists, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from ..audit.services import record as audit
from ..authz import managed_team_ids
from ..authz.scopes import headed_team_ids
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.memo import request_memo
from ..core.money import to_money
from ..notifications.services import notify
from ..people.models import Team, User
from .models import KINDS, STEP_ROLES, ApprovalChain, ApprovalChainStep, ApprovalEvent, ApprovalRequest, ApprovalStep

# The chain used when neither the team nor the company configured one: the director, then the GM
# from 100,000 CNY.
DEFAULT_CHAIN: tuple[tuple[str, Decimal | None], ...] = (("director", None), ("gm", Decimal("100000.00")))
OUTCOMES = ("approved", "returned", "rejected", "withdrawn")
_CALLBACKS: dict[str, list[Callable]] = {}


# Registry ----------------------------------------------------------------------------------------

def on_decided(kind: str, callback: Callable) -> None:
    """Call ``callback(request, outcome)`` in the deciding transaction when a request of ``kind`` is
    approved (final), returned, rejected or withdrawn. Registering the same function twice is a no-op."""
    callbacks = _CALLBACKS.setdefault(kind, [])
    if callback not in callbacks:
        callbacks.append(callback)


def _fire(req: ApprovalRequest, outcome: str) -> None:
    for callback in list(_CALLBACKS.get(req.kind, ())):
        callback(req, outcome)


# Chains ------------------------------------------------------------------------------------------

def find_chain(kind: str, team_id: int | None) -> ApprovalChain | None:
    """The chain a team configured for ``kind`` (team_id None: the company default's row)."""
    cond = ApprovalChain.team_id.is_(None) if team_id is None else ApprovalChain.team_id == team_id
    return db.session.scalar(select(ApprovalChain).options(joinedload(ApprovalChain.steps))
                             .where(ApprovalChain.kind == kind, cond))


def effective_steps(kind: str, team_id: int | None) -> list[tuple[str, Decimal | None]]:
    """The team's chain, else the company default, else ``DEFAULT_CHAIN``."""
    for scope in ([team_id, None] if team_id else [None]):
        chain = find_chain(kind, scope)
        if chain is not None and chain.steps:
            return [(s.role, s.min_amount) for s in chain.steps]
    return list(DEFAULT_CHAIN)


def can_edit_chain(actor, team_id: int | None) -> bool:
    """The admin edits the company default and every team's chain; a director their own team's."""
    if actor.role == "admin":
        return True
    if actor.role == "director" and team_id is not None:
        return team_id in (managed_team_ids(actor) or set())
    return False


def save_chain(actor, team_id: int | None, kind: str, steps: Iterable[tuple[str, object]]) -> ApprovalChain:
    """Replace the steps of a chain; ``steps`` are (role, min_amount or None) in order."""
    if not can_edit_chain(actor, team_id):
        raise Forbidden()
    if kind not in KINDS:
        raise ServiceError(_l("Unknown kind of record."))
    cleaned = []
    for role, amount in steps:
        if role not in STEP_ROLES:
            raise ServiceError(_l("Choose a role for each step."), "steps")
        if amount is not None and amount != "":
            try:
                amount = to_money(amount)
            except (ValueError, TypeError) as exc:
                raise ServiceError(_l("Enter an amount, or leave it empty."), "steps") from exc
            if amount < 0:
                raise ServiceError(_l("Amounts cannot be negative."), "steps")
        else:
            amount = None
        cleaned.append((role, amount))
    if not cleaned:
        raise ServiceError(_l("A chain needs at least one step."), "steps")
    chain = find_chain(kind, team_id)
    if chain is None:
        chain = ApprovalChain(team_id=team_id, kind=kind)
        db.session.add(chain)
    chain.steps.clear()
    db.session.flush()
    for position, (role, amount) in enumerate(cleaned, start=1):
        chain.steps.append(ApprovalChainStep(position=position, role=role, min_amount=amount))
    chain.updated_at = utcnow()
    db.session.flush()
    audit("approval_chain_saved", obj=chain, team_id=team_id,
          summary="; ".join(f"{r}{'' if a is None else f' >= {a}'}" for r, a in cleaned))
    return chain


def reset_chain(actor, team_id: int | None, kind: str) -> None:
    """Drop a team's own chain (it falls back to the company default) or the company default."""
    if not can_edit_chain(actor, team_id):
        raise Forbidden()
    chain = find_chain(kind, team_id)
    if chain is not None:
        db.session.delete(chain)
        db.session.flush()


# Who approves ------------------------------------------------------------------------------------

def approvers_for(role: str, team_id: int | None) -> list[User]:
    """The people who may decide a step: the team's director(s) for ``director``, every GM for ``gm``."""
    if role == "gm":
        stmt = select(User).where(User.role == "gm", User.active.is_(True))
    else:
        if team_id is None:
            return []
        team_director = select(Team.director_id).where(Team.id == team_id).scalar_subquery()
        stmt = select(User).where(User.role == "director", User.active.is_(True),
                                  or_(User.id == team_director, User.team_id == team_id))
    return list(db.session.scalars(stmt.order_by(User.id)))


def can_decide(user, req: ApprovalRequest) -> bool:
    """The current step's approver, never the requester, only while the request is pending."""
    if not user.is_authenticated or req.status != "pending" or req.requester_id == user.id:
        return False
    if req.current_role == "gm":
        return user.role == "gm"
    if req.current_role == "director":
        return user.role == "director" and req.team_id in (managed_team_ids(user) or set())
    return False


def can_view(user, req: ApprovalRequest) -> bool:
    """The requester, the team's directors and the GM (the admin owns no sales data)."""
    if not user.is_authenticated:
        return False
    if user.id == req.requester_id or user.role == "gm":
        return True
    return user.role == "director" and req.team_id in (managed_team_ids(user) or set())


def _todo_condition(role: str, me=None, teams=None):
    """Requests waiting at a step of ``role`` that the person (``me``) did not ask for; a director's
    are those of the teams they belong to or head (``teams``). Without values: named parameters."""
    me = bindparam("me") if me is None else me
    cond = (ApprovalRequest.status == "pending") & (ApprovalRequest.current_role == role) \
        & (ApprovalRequest.requester_id != me)
    if role == "director":
        cond = cond & ApprovalRequest.team_id.in_(bindparam("teams", expanding=True) if teams is None else teams)
    return cond


def _todo_params(user) -> dict:
    if user.role == "gm":
        return {"me": user.id}
    teams = headed_team_ids(user.id) | ({user.team_id} if user.team_id else set())
    return {"me": user.id, "teams": sorted(teams)}


def todo_filter(user):
    """Where-clause for requests waiting at a step ``user`` decides (None: nobody's steps)."""
    if user.role not in ("gm", "director"):
        return None
    return _todo_condition(user.role, **_todo_params(user))


# The badge's counts, built once: every page of a director or the GM shows it.
_TODO_COUNTS = {role: select(func.count()).select_from(ApprovalRequest).where(_todo_condition(role))
                for role in ("gm", "director")}


def todo_count(user) -> int:
    """The navigation badge (and the home panel): one indexed COUNT per request, remembered for the request."""
    if not user.is_authenticated or user.role not in _TODO_COUNTS:
        return 0
    memo = request_memo().setdefault("approvals.todo_count", {})
    if user.id not in memo:
        memo[user.id] = db.session.scalar(_TODO_COUNTS[user.role], _todo_params(user)) or 0
    return memo[user.id]


# The engine --------------------------------------------------------------------------------------

def _event(req: ApprovalRequest, action: str, actor=None, role: str | None = None, comment: str | None = None):
    db.session.add(ApprovalEvent(request_id=req.id, record_type=req.record_type, record_id=req.record_id,
                                 round=req.round, action=action, role=role, comment=comment or None,
                                 actor_id=actor.id if actor is not None else None))


def _resolve_steps(req: ApprovalRequest) -> None:
    """Build the round's steps from the chain: thresholds above the amount drop out; a step whose only
    approver is the requester (a director's own request) is skipped, as is a director step in a team
    without a director."""
    req.steps.clear()
    db.session.flush()
    amount = req.amount if req.amount is not None else Decimal("0")
    position = 0
    for role, minimum in effective_steps(req.kind, req.team_id):
        if minimum is not None and amount < minimum:
            continue
        position += 1
        step = ApprovalStep(position=position, role=role, min_amount=minimum)
        people = [u for u in approvers_for(role, req.team_id) if u.id != req.requester_id]
        if not people:
            step.status = "skipped"
        req.steps.append(step)
    db.session.flush()
    for step in req.steps:
        if step.status == "skipped":
            _event(req, "skipped", role=step.role)


def _advance(req: ApprovalRequest, actor) -> None:
    """Move to the next waiting step, or finish approved when none is left."""
    request_memo().pop("approvals.todo_count", None)
    nxt = next((s for s in req.steps if s.status == "waiting"), None)
    if nxt is None:
        req.status, req.current_role, req.current_position = "approved", None, None
        req.decided_at = utcnow()
        db.session.flush()
        _tell_requester(req, actor)
        _fire(req, "approved")
        return
    req.current_role, req.current_position = nxt.role, nxt.position
    db.session.flush()
    title = req.title
    notify(approvers_for(nxt.role, req.team_id), "approval_todo",
           lambda: _("Approval needed: %(title)s", title=title), link=_detail_link(req), actor=actor)


def _detail_link(req: ApprovalRequest) -> str:
    from flask import url_for

    try:
        return url_for("approvals.detail", approval_id=req.id)
    except RuntimeError:  # no app/request context able to build URLs (a bare script)
        return f"/approvals/{req.id}"


def _tell_requester(req: ApprovalRequest, actor) -> None:
    title, status = req.title, req.status

    def message():
        if status == "approved":
            return _("Approved: %(title)s", title=title)
        if status == "returned":
            return _("Returned to you: %(title)s", title=title)
        return _("Rejected: %(title)s", title=title)

    notify([req.requester], "approval_" + status, message, link=req.link or _detail_link(req), actor=actor)


def _open_request(record_type: str, record_id: int) -> ApprovalRequest | None:
    return db.session.scalar(select(ApprovalRequest).where(
        ApprovalRequest.record_type == record_type, ApprovalRequest.record_id == record_id,
        ApprovalRequest.status == "pending"))


def submit(actor, kind: str, record_type: str, record_id: int, team_id: int | None, amount, title: str,
           link: str | None = None) -> ApprovalRequest:
    """Put a record into approval. The record is read-only (``is_locked``) until it is decided,
    returned or withdrawn. Returns the request; it may already be approved when every step was skipped."""
    if kind not in KINDS:
        raise ServiceError(_l("Unknown kind of record."))
    if not actor.is_authenticated or actor.role not in ("rep", "director", "gm"):
        raise Forbidden()
    if _open_request(record_type, record_id) is not None:
        raise ServiceError(_l("This record is already waiting for approval."))
    req = ApprovalRequest(kind=kind, record_type=record_type, record_id=int(record_id), team_id=team_id,
                          requester_id=actor.id, amount=None if amount is None else to_money(amount),
                          title=str(title)[:200], link=link, status="pending")
    db.session.add(req)
    db.session.flush()
    _event(req, "submitted", actor=actor)
    _resolve_steps(req)
    audit("approval_submitted", obj=req, actor=actor, summary=req.title)
    _advance(req, actor)
    return req


def decide(actor, req: ApprovalRequest, decision: str, comment: str | None = None) -> ApprovalRequest:
    """The current step's approver approves (on to the next step, or final), returns it to the
    requester to change and resubmit, or rejects it (final). Returning and rejecting need a comment."""
    if decision not in ("approve", "return", "reject"):
        raise ServiceError(_l("Choose approve, return or reject."))
    if req.status != "pending":
        raise ServiceError(_l("This request is not waiting for a decision."))
    if not can_decide(actor, req):
        raise Forbidden()
    comment = (comment or "").strip() or None
    if decision != "approve" and not comment:
        raise ServiceError(_l("Say why: the requester will read it."), "comment")
    step = req.current_step
    step.status = {"approve": "approved", "return": "returned", "reject": "rejected"}[decision]
    step.decided_by_id, step.decided_at, step.comment = actor.id, utcnow(), comment
    _event(req, step.status, actor=actor, role=step.role, comment=comment)
    audit("approval_" + step.status, obj=req, actor=actor, summary=comment)
    if decision == "approve":
        _advance(req, actor)
        return req
    request_memo().pop("approvals.todo_count", None)
    req.status = step.status
    req.current_role = req.current_position = None
    req.decided_at = utcnow()
    db.session.flush()
    _tell_requester(req, actor)
    _fire(req, req.status)
    return req


def withdraw(actor, req: ApprovalRequest) -> ApprovalRequest:
    """The requester takes a pending request back (to change the record and resubmit)."""
    if req.requester_id != actor.id:
        raise Forbidden()
    if req.status != "pending":
        raise ServiceError(_l("Only a request waiting for a decision can be withdrawn."))
    waiting_role = req.current_role
    request_memo().pop("approvals.todo_count", None)
    req.status, req.current_role, req.current_position = "withdrawn", None, None
    _event(req, "withdrawn", actor=actor)
    audit("approval_withdrawn", obj=req, actor=actor)
    db.session.flush()
    if waiting_role:
        title = req.title
        notify(approvers_for(waiting_role, req.team_id), "approval_withdrawn",
               lambda: _("Withdrawn by the requester: %(title)s", title=title), link=_detail_link(req),
               actor=actor)
    _fire(req, "withdrawn")
    return req


_KEEP = object()


def resubmit(actor, req: ApprovalRequest, *, amount=_KEEP, title: str | None = None) -> ApprovalRequest:
    """Send a returned or withdrawn request round again from the first step; the steps are resolved
    from the chain anew (the amount may have changed). The history keeps the earlier rounds."""
    if req.requester_id != actor.id:
        raise Forbidden()
    if req.status not in ("returned", "withdrawn"):
        raise ServiceError(_l("Only a returned or withdrawn request can be resubmitted."))
    if _open_request(req.record_type, req.record_id) is not None:
        raise ServiceError(_l("This record is already waiting for approval."))
    if amount is not _KEEP:
        req.amount = None if amount is None else to_money(amount)
    if title:
        req.title = str(title)[:200]
    req.round += 1
    req.status, req.decided_at, req.submitted_at = "pending", None, utcnow()
    db.session.flush()
    _event(req, "resubmitted", actor=actor)
    _resolve_steps(req)
    audit("approval_resubmitted", obj=req, actor=actor, summary=req.title)
    _advance(req, actor)
    return req


# Read side for features ---------------------------------------------------------------------------

def is_locked(record_type: str, record_id: int) -> bool:
    """True while the record waits for approval: features refuse edits then."""
    return bool(db.session.scalar(select(exists().where(
        ApprovalRequest.record_type == record_type, ApprovalRequest.record_id == record_id,
        ApprovalRequest.status == "pending"))))


def latest_request(record_type: str, record_id: int) -> ApprovalRequest | None:
    return db.session.scalar(select(ApprovalRequest).where(
        ApprovalRequest.record_type == record_type, ApprovalRequest.record_id == record_id)
        .order_by(ApprovalRequest.id.desc()).limit(1))


def status_of(record_type: str, record_id: int) -> str | None:
    """The status of the record's latest request (pending, returned, withdrawn, approved, rejected)
    or None when it was never submitted."""
    req = latest_request(record_type, record_id)
    return req.status if req is not None else None


def history(record_type: str, record_id: int) -> list[ApprovalEvent]:
    """Every event of every request about the record, oldest first, with the actor loaded."""
    return list(db.session.scalars(
        select(ApprovalEvent).options(joinedload(ApprovalEvent.actor))
        .where(ApprovalEvent.record_type == record_type, ApprovalEvent.record_id == record_id)
        .order_by(ApprovalEvent.at, ApprovalEvent.id)))


def request_history(req: ApprovalRequest) -> list[ApprovalEvent]:
    return list(db.session.scalars(
        select(ApprovalEvent).options(joinedload(ApprovalEvent.actor))
        .where(ApprovalEvent.request_id == req.id).order_by(ApprovalEvent.at, ApprovalEvent.id)))


def delete_requests_for(record_type: str, record_id: int) -> None:
    """For a feature deleting a record: its requests and history go with it."""
    db.session.execute(delete(ApprovalRequest).where(
        ApprovalRequest.record_type == record_type, ApprovalRequest.record_id == record_id))
    db.session.execute(delete(ApprovalEvent).where(
        ApprovalEvent.record_type == record_type, ApprovalEvent.record_id == record_id))
