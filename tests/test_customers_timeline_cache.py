"""The timelines each worker keeps: a repeat view reads no history, and every kind of write to what a
timeline shows (on another worker, through the ORM or a bulk statement) shows on the next view."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from samples_customers import customer, stage
from sqlalchemy import insert, select, update
from sqlalchemy.sql import visitors

from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db
from portal.customers.models import (
    Activity,
    Contact,
    Customer,
    CustomerEvent,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
)
from portal.people.models import User


@pytest.fixture
def history(world):
    """rep_a's customer with one entry of each of the log's kinds, a contract and a payment."""
    c = customer(world.rep_a, name="杭州精密机械有限公司", status="active")
    s = stage("Quoting", 40)
    now = datetime.now(UTC)
    contact = Contact(customer_id=c.id, name="周晓梅")
    entry = Activity(kind="visit", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                     occurred_at=now - timedelta(days=2), summary="First visit", contacts=[contact])
    opp = Opportunity(title="Line retrofit", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                      stage_id=s.id, amount=Decimal("50000.00"), probability=40)
    req = ResourceRequest(customer_id=c.id, kind="samples", description="Samples of part 7", asked_at=now,
                          due_at=now + timedelta(days=2), assignee_id=world.rep_a.id, team_id=world.team_a.id)
    contract = Contract(number="HT-0001", customer_id=c.id, title="Retrofit phase one", amount=Decimal("90000.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, signed_on=date(2026, 3, 1),
                        status="signed")
    db.session.add_all([contact, entry, opp, req, contract])
    db.session.commit()
    return {"customer": c, "stage": s, "contact": contact, "entry": entry, "opp": opp, "request": req,
            "contract": contract}


def _page(worker, client, customer_id: int) -> str:
    """The page's timeline (the contacts' names are on the page besides it), its CSRF tokens left out."""
    with worker.app_context():
        resp = client.get(f"/customers/{customer_id}", headers={"Accept-Language": "en"})
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
    timeline = html[html.index('<section id="timeline"'):]
    return re.sub(r'name="csrf_token" value="[^"]*"', "", timeline[:timeline.index("</section>")])


def _reads_history(statements) -> bool:
    return any("UNION ALL" in s for s in statements)


def test_a_repeat_view_reads_no_history(client, world, history, login_as, count_queries):
    login_as(user=world.rep_a)
    url = f"/customers/{history['customer'].id}"
    for _ in range(2):  # the first view writes the default lost reasons; the worker keeps the lists after
        client.get(url)
    history["entry"].summary = "First visit, edited"
    db.session.commit()
    with count_queries() as first:
        html = client.get(url).get_data(as_text=True)
    with count_queries() as again:
        assert client.get(url).get_data(as_text=True) == html
    assert "First visit, edited" in html
    assert _reads_history(first.statements)
    assert not _reads_history(again.statements)
    assert again.n == first.n - 1


def _now():
    return datetime.now(UTC)


# Each write, done in the other worker's session from plain ids (an object of this worker's session would
# load itself through the other worker's engine): the text it puts on the page, or takes off.
def _log_entry(h, w):
    db.session.add(Activity(kind="call", customer_id=h["customer"], owner_id=w["rep"], team_id=w["team"],
                            occurred_at=_now(), summary="Called about delivery"))
    return "Called about delivery", True


def _edit_entry(h, _w):
    db.session.get(Activity, h["entry"]).summary = "First visit, with the plant manager"
    return "with the plant manager", True


def _unlink_contact(h, _w):
    db.session.get(Activity, h["entry"]).contacts = []
    return "周晓梅", False


def _rename_contact(h, _w):
    db.session.get(Contact, h["contact"]).name = "周晓梅经理"
    return "周晓梅经理", True


def _delete_entry(h, _w):
    db.session.delete(db.session.get(Activity, h["entry"]))
    return "First visit", False


def _move_opportunity(h, _w):
    db.session.get(Opportunity, h["opp"]).title = "Line retrofit, both halls"
    return "both halls", True


def _answer_request(h, _w):
    db.session.get(ResourceRequest, h["request"]).answered_at = _now()
    return "Answered", True


def _bulk_event(h, w):
    # As the pool's recycling writes its events: one INSERT for many customers, no flush.
    db.session.execute(insert(CustomerEvent.__table__), [
        {"customer_id": h["customer"], "team_id": w["team"], "kind": "recycled", "actor_id": None,
         "note": "Back to the pool by rule", "occurred_at": _now()}])
    return "Back to the pool by rule", True


def _bulk_update(h, _w):
    # A statement that does not say which customers it touches: every timeline is read afresh.
    db.session.execute(update(Activity).where(Activity.id == h["entry"]).values(summary="Revised by a script")
                       .execution_options(synchronize_session=False))
    return "Revised by a script", True


def _new_contract(h, w):
    db.session.add(Contract(number="HT-0002", customer_id=h["customer"], title="Retrofit phase two",
                            amount=Decimal("70000.00"), owner_id=w["rep"], team_id=w["team"], status="draft"))
    return "Retrofit phase two", True


def _payment(h, w):
    db.session.add(Payment(contract_id=h["contract"], paid_on=date(2026, 4, 1), amount=Decimal("12345.67"),
                           owner_id=w["rep"], team_id=w["team"]))
    return "12,345.67", True


def _order(h, w):
    db.session.add(Order(number="SO-7788", ordered_on=date(2026, 4, 2), customer_id=h["customer"],
                         amount=Decimal("500.00"), owner_id=w["rep"], team_id=w["team"]))
    return "SO-7788", True


def _rename_person(_h, w):
    db.session.get(User, w["rep"]).display_name = "Li Na (North)"
    return "Li Na (North)", True


def _rename_stage(h, _w):
    db.session.get(OpportunityStage, h["stage"]).name = "Quotation sent"
    return "Quotation sent", True


WRITES = [_log_entry, _edit_entry, _unlink_contact, _rename_contact, _delete_entry, _move_opportunity,
          _answer_request, _bulk_event, _bulk_update, _new_contract, _payment, _order, _rename_person, _rename_stage]


@pytest.mark.parametrize("write", WRITES, ids=lambda fn: fn.__name__.strip("_"))
def test_every_write_shows_on_the_next_view_on_every_worker(world, history, two_workers, write):
    (one, c1), (other, c2) = two_workers(world.rep_a)
    cid = history["customer"].id
    before = _page(one, c1, cid)
    assert _page(one, c1, cid) == before  # kept now
    ids = {name: obj.id for name, obj in history.items()}
    people = {"rep": world.rep_a.id, "team": world.team_a.id}
    with other.app_context():
        text, shown = write(ids, people)
        db.session.commit()
    assert (text in before) is not shown  # the write changes what the page shows
    for worker, c in ((one, c1), (other, c2)):
        assert (text in _page(worker, c, cid)) is shown


def test_a_statement_that_changes_nothing_shown_keeps_the_timelines(client, world, history, login_as, count_queries):
    login_as(user=world.rep_a)
    url = f"/customers/{history['customer'].id}"
    client.get(url)
    db.session.execute(update(Payment).where(Payment.contract_id == history["contract"].id)
                       .values(instalment_id=None).execution_options(timeline_handled=True))
    db.session.commit()
    with count_queries() as kept:
        client.get(url)
    db.session.execute(update(Payment).where(Payment.contract_id == history["contract"].id)
                       .values(instalment_id=None))
    db.session.commit()
    with count_queries() as afresh:
        client.get(url)
    assert not _reads_history(kept.statements)
    assert _reads_history(afresh.statements)


def test_a_page_drawn_after_a_write_in_the_same_session_is_current(world, history, app):
    """The customer loaded before the write learns its new version at the flush (a POST that logs an entry
    and draws the timeline before committing must not get the kept one)."""
    from flask_login import login_user

    from portal.customers.timeline import build_timeline

    rep = db.session.get(User, world.rep_a.id)
    with app.test_request_context():
        login_user(rep)
        c = db.session.get(Customer, history["customer"].id)
        assert len(build_timeline(c, rep).items) == 4
        db.session.add(Activity(kind="visit", customer_id=c.id, owner_id=rep.id, team_id=rep.team_id,
                                occurred_at=_now(), summary="Second visit"))
        db.session.flush()
        assert "Second visit" in [item.title if item.kind != "activity" else item.obj.summary
                                  for item in build_timeline(c, rep).items]
        db.session.rollback()


def test_every_table_a_timeline_reads_is_watched(world, history, app):
    """A new kind of row on the timeline (an arm) must say how its writes reach the customer's version."""
    from portal.customers.timeline import _statement
    from portal.customers.timeline_writes import _BY_TABLE

    rep = db.session.get(User, world.rep_a.id)
    _key, (stmt, _shapes) = _statement(rep)
    read = {t.name for t in visitors.iterate(stmt) if t.__visit_name__ == "table"}
    # The names the rows show change the shared token (timeline_writes._track_own); the log's links to
    # contacts are a collection of the entry; who may see which rows is the statement's key.
    names = {"user", "opportunity_stage", "activity_contact", "team"}
    assert read - names <= set(_BY_TABLE), read - names - set(_BY_TABLE)
    assert {"activity", "contract", "payment", "sales_order"} <= read


def test_the_version_counts_writes_per_customer(world, history):
    other = customer(world.rep_a, name="宁波恒信电子科技有限公司")
    before = db.session.scalar(select(Customer.timeline_version).where(Customer.id == other.id))
    db.session.get(Activity, history["entry"].id).summary = "Changed"
    db.session.commit()
    assert db.session.scalar(select(Customer.timeline_version).where(Customer.id == other.id)) == before
    assert db.session.scalar(select(Customer.timeline_version).where(Customer.id == history["customer"].id)) > 0



def test_a_flush_of_many_customers_raises_each_once_in_bounded_statements(world, history, monkeypatch,
                                                                          count_queries):
    from portal.customers import timeline_writes

    monkeypatch.setattr(timeline_writes, "_CHUNK", 2)  # an import of thousands, in small
    others = [customer(world.rep_a, name=f"客户{i}有限公司") for i in range(4)]
    versions = dict(db.session.execute(select(Customer.id, Customer.timeline_version)).all())
    ids, contract_id = [history["customer"].id, *(c.id for c in others)], history["contract"].id
    for cid in ids:
        db.session.add(Activity(kind="call", customer_id=cid, owner_id=world.rep_a.id, team_id=world.team_a.id,
                                occurred_at=_now(), summary="Imported"))
    db.session.add(Payment(contract_id=contract_id, paid_on=date(2026, 4, 1), amount=Decimal("1.00"),
                           owner_id=world.rep_a.id, team_id=world.team_a.id))
    with count_queries() as q:
        db.session.flush()
    raised = [s for s in q.statements if s.lstrip().upper().startswith("UPDATE CUSTOMER")]
    assert len(raised) == 3  # five customers two at a time; the payment (through its contract) with the fifth
    db.session.commit()
    now = dict(db.session.execute(select(Customer.id, Customer.timeline_version)).all())
    assert {cid: now[cid] - versions[cid] for cid in now} == {
        history["customer"].id: 2, **{c.id: 1 for c in others}}
