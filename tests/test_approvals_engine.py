"""The approval engine: chains with thresholds, step order, who decides, rounds, locking, callbacks, audit."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from portal.approvals import services
from portal.approvals.models import ApprovalEvent
from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.errors import ServiceError
from portal.notifications.models import Notification


@pytest.fixture(autouse=True)
def _request(app):
    # Services run inside requests; their error messages are lazy strings rendered in the user's language.
    with app.test_request_context():
        yield


def _submit(world, amount="5000", record_id=1, who=None, kind="expense"):
    req = services.submit(who or world.rep_a, kind, "demo", record_id, world.team_a.id,
                          None if amount is None else Decimal(amount), "Travel to the Canton fair", "/demo/1")
    db.session.commit()
    return req


def test_default_chain_director_then_gm_from_100000(world):
    small = _submit(world, "99999.99", record_id=1)
    assert [s.role for s in small.steps] == ["director"]
    big = _submit(world, "100000.00", record_id=2)
    assert [s.role for s in big.steps] == ["director", "gm"]
    assert big.current_role == "director" and big.status == "pending"
    no_amount = _submit(world, None, record_id=3)
    assert [s.role for s in no_amount.steps] == ["director"]


def test_team_chain_overrides_company_default(world):
    services.save_chain(world.admin, None, "expense", [("gm", None)])
    services.save_chain(world.director_a, world.team_a.id, "expense",
                        [("director", None), ("gm", Decimal("5000")), ("gm", "20000")])
    db.session.commit()
    req = _submit(world, "6000")
    assert [(s.position, s.role, s.min_amount) for s in req.steps] == [(1, "director", None),
                                                                       (2, "gm", Decimal("5000.00"))]
    # Team B has no chain of its own: the company default applies.
    other = services.submit(world.rep_b, "expense", "demo", 9, world.team_b.id, Decimal("1"), "B", None)
    assert [s.role for s in other.steps] == ["gm"]
    # Resetting the team's chain falls back to the company default.
    services.reset_chain(world.director_a, world.team_a.id, "expense")
    assert services.effective_steps("expense", world.team_a.id) == [("gm", None)]


def test_chain_validation_and_who_edits(world):
    with pytest.raises(ServiceError):
        services.save_chain(world.admin, None, "expense", [])
    with pytest.raises(ServiceError):
        services.save_chain(world.admin, None, "expense", [("rep", None)])
    with pytest.raises(ServiceError):
        services.save_chain(world.admin, None, "expense", [("gm", "-1")])
    with pytest.raises(ServiceError):
        services.save_chain(world.admin, None, "bonus", [("gm", None)])
    with pytest.raises(Forbidden):
        services.save_chain(world.director_a, None, "expense", [("gm", None)])  # company default: admin only
    with pytest.raises(Forbidden):
        services.save_chain(world.director_b, world.team_a.id, "expense", [("gm", None)])
    for person in (world.gm, world.rep_a):
        with pytest.raises(Forbidden):
            services.save_chain(person, world.team_a.id, "expense", [("gm", None)])
    chain = services.save_chain(world.admin, world.team_a.id, "contract", [("director", None)])
    assert chain.team_id == world.team_a.id


def test_steps_run_in_order_and_final_approval(world):
    req = _submit(world, "150000")
    with pytest.raises(Forbidden):
        services.decide(world.gm, req, "approve")  # the GM's step is second
    services.decide(world.director_a, req, "approve", "ok")
    assert req.status == "pending" and req.current_role == "gm"
    with pytest.raises(Forbidden):
        services.decide(world.director_a, req, "approve")  # already decided their step
    services.decide(world.gm, req, "approve")
    assert req.status == "approved" and req.current_role is None and req.decided_at is not None
    assert [s.status for s in req.steps] == ["approved", "approved"]
    assert [s.decided_by_id for s in req.steps] == [world.director_a.id, world.gm.id]
    with pytest.raises(ServiceError):
        services.decide(world.gm, req, "approve")


def test_who_may_not_decide(world, make_user):
    req = _submit(world)
    for person in (world.director_b, world.rep_a2, world.rep_b, world.admin, world.gm):
        with pytest.raises(Forbidden):
            services.decide(person, req, "approve")
    # A director's own request: their own step is skipped, the next approver decides.
    own = _submit(world, "200000", record_id=7, who=world.director_a)
    assert [s.status for s in own.steps] == ["skipped", "waiting"]
    assert own.current_role == "gm"
    with pytest.raises(Forbidden):
        services.decide(world.director_a, own, "approve")
    services.decide(world.gm, own, "approve")
    assert own.status == "approved"


def test_return_needs_comment_then_resubmit_starts_a_new_round(world):
    req = _submit(world, "120000")
    with pytest.raises(ServiceError) as err:
        services.decide(world.director_a, req, "return", "  ")
    assert err.value.field == "comment"
    services.decide(world.director_a, req, "return", "Attach the quotation")
    assert req.status == "returned" and not services.is_locked("demo", 1)
    with pytest.raises(Forbidden):
        services.resubmit(world.rep_a2, req)
    services.resubmit(world.rep_a, req, amount=Decimal("90000"))
    assert req.status == "pending" and req.round == 2 and [s.role for s in req.steps] == ["director"]
    services.decide(world.director_a, req, "approve")
    assert req.status == "approved"
    actions = [(e.round, e.action) for e in services.history("demo", 1)]
    assert actions == [(1, "submitted"), (1, "returned"), (2, "resubmitted"), (2, "approved")]
    assert services.history("demo", 1)[1].comment == "Attach the quotation"


def test_reject_is_final(world):
    req = _submit(world)
    services.decide(world.director_a, req, "reject", "Over budget")
    assert req.status == "rejected"
    with pytest.raises(ServiceError):
        services.resubmit(world.rep_a, req)
    assert services.status_of("demo", 1) == "rejected"


def test_withdraw_and_resubmit(world):
    req = _submit(world)
    with pytest.raises(Forbidden):
        services.withdraw(world.director_a, req)
    services.withdraw(world.rep_a, req)
    assert req.status == "withdrawn" and req.current_role is None
    with pytest.raises(ServiceError):
        services.withdraw(world.rep_a, req)
    with pytest.raises(ServiceError):
        services.decide(world.director_a, req, "approve")
    services.resubmit(world.rep_a, req)
    assert req.status == "pending" and req.current_role == "director" and req.round == 2


def test_locking_and_status(world):
    assert services.status_of("demo", 1) is None and not services.is_locked("demo", 1)
    req = _submit(world)
    assert services.is_locked("demo", 1) and services.status_of("demo", 1) == "pending"
    assert not services.is_locked("demo", 2) and not services.is_locked("other", 1)
    with pytest.raises(ServiceError):
        _submit(world)  # already waiting
    services.decide(world.director_a, req, "approve")
    assert not services.is_locked("demo", 1) and services.status_of("demo", 1) == "approved"


def test_callbacks_hear_each_outcome(world):
    heard = []

    def listener(request, outcome):
        heard.append((request.record_id, outcome, request.status))

    services.on_decided("discount", listener)
    services.on_decided("discount", listener)  # once only
    try:
        a = _submit(world, record_id=1, kind="discount")
        services.decide(world.director_a, a, "approve")
        b = _submit(world, record_id=2, kind="discount")
        services.decide(world.director_a, b, "return", "why")
        c = _submit(world, record_id=3, kind="discount")
        services.decide(world.director_a, c, "reject", "no")
        d = _submit(world, record_id=4, kind="discount")
        services.withdraw(world.rep_a, d)
        _submit(world, record_id=5, kind="expense")  # another kind: not heard
    finally:
        services._CALLBACKS["discount"].remove(listener)
    assert heard == [(1, "approved", "approved"), (2, "returned", "returned"), (3, "rejected", "rejected"),
                     (4, "withdrawn", "withdrawn")]


def test_decisions_are_audited_and_notified(world):
    req = _submit(world, "150000")
    services.decide(world.director_a, req, "approve")
    services.decide(world.gm, req, "approve")
    db.session.commit()
    actions = list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "approval_request", AuditEntry.action.like("approval_%")).order_by(AuditEntry.id)))
    assert actions == ["approval_submitted", "approval_approved", "approval_approved"]
    actors = list(db.session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "approval_approved")
                                     .order_by(AuditEntry.id)))
    assert actors == [world.director_a.id, world.gm.id]
    notes = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (world.director_a.id, "approval_todo") in notes
    assert (world.gm.id, "approval_todo") in notes
    assert (world.rep_a.id, "approval_approved") in notes


def test_todo_count_is_one_query(world, count_queries):
    for i in range(3):
        _submit(world, "150000", record_id=i + 1)
    services.decide(world.director_a, services.latest_request("demo", 1), "approve")
    db.session.commit()
    people = [(p.username, p) for p in (world.director_a, world.director_b, world.gm, world.rep_a) if p.role]
    with count_queries() as q:
        counts = {name: services.todo_count(p) for name, p in people}
    assert counts == {"dir_a": 2, "dir_b": 0, "the_gm": 1, "rep_a": 0}
    assert q.n == 3  # one COUNT per manager, none for a rep


def test_history_rows_for_a_record(world):
    req = _submit(world)
    services.decide(world.director_a, req, "approve", "fine")
    rows = services.history("demo", 1)
    assert [r.action for r in rows] == ["submitted", "approved"]
    assert rows[1].actor.id == world.director_a.id and rows[1].role == "director"
    assert db.session.scalar(select(ApprovalEvent.id).where(ApprovalEvent.record_id == 99)) is None
