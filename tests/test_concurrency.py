"""Two people editing one record (portal/core/concurrency.py): the second save is refused with a 409,
the first one's values stay, the second one's input is kept, and saving again after reading goes through."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from conftest import sign_in
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.periods import Period

VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*name="version"')


def version_in(html: str) -> str:
    found = VERSION.search(html)
    assert found, "no version field in the form"
    return found.group(1) if found.group(1) is not None else found.group(2)


def two_editors(app, first, second, url: str) -> tuple:
    """Two signed-in clients that have both opened the edit form at ``url``: (client, version) each."""
    out = []
    for user in (first, second):
        c = app.test_client()
        sign_in(c, user)
        resp = c.get(url)
        assert resp.status_code == 200, resp.status_code
        out.append((c, version_in(resp.get_data(as_text=True))))
    return tuple(out)


def race(app, first, second, url, post_url, data1, data2, mine_marker):
    """Both open the form, both save: the first wins, the second gets the conflict; returns the 409 page."""
    (c1, v1), (c2, v2) = two_editors(app, first, second, url)
    assert v1 == v2
    resp = c1.post(post_url, data={**data1, "version": v1})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    resp = c2.post(post_url, data={**data2, "version": v2})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert 'id="conflict"' in body
    assert first.display_name in body  # who changed it (from the audit log)
    assert mine_marker in body  # the second person's input is still there
    new_version = version_in(body)
    assert new_version != v2
    return c2, body, new_version


@pytest.fixture
def customer(world):
    from portal.customers.models import Customer

    c = Customer(name="锁测试客户", owner_id=world.rep_a.id, team_id=world.team_a.id, status="active",
                 created_by_id=world.rep_a.id, industry="机械")
    db.session.add(c)
    db.session.commit()
    return c


def test_customer_second_save_is_refused_then_goes_through(app, world, customer):
    from portal.customers.models import Customer

    url = f"/customers/{customer.id}/edit"
    c2, body, version = race(app, world.rep_a, world.director_a, url, url,
                             {"name": "锁测试客户", "kind": "customer", "industry": "第一人的行业"},
                             {"name": "锁测试客户", "kind": "customer", "industry": "第二人的行业"}, "第二人的行业")
    assert "第一人的行业" in body  # their version, in the box
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).industry == "第一人的行业"
    resp = c2.post(url, data={"name": "锁测试客户", "kind": "customer", "industry": "第二人的行业", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Customer, customer.id)
    assert saved.industry == "第二人的行业" and saved.version == 3


def test_customer_status_change_from_a_stale_page_is_refused(app, world, customer):
    from portal.customers.models import Customer

    (c1, v1), (c2, v2) = two_editors(app, world.rep_a, world.director_a, f"/customers/{customer.id}")
    c1.post(f"/customers/{customer.id}/edit", data={"name": "改了名字", "kind": "customer", "version": v1})
    resp = c2.post(f"/customers/{customer.id}/status", data={"status": "prospect", "version": v2})
    assert resp.status_code == 409 and 'id="conflict"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status == "active"


def test_bookkeeping_changes_do_not_count_as_edits(app, world, customer):
    """Logging a visit moves the customer's last-contact time; an open edit form stays valid."""
    from portal.customers.models import Customer

    c1, v1 = two_editors(app, world.rep_a, world.rep_a, f"/customers/{customer.id}/edit")[0]
    customer = db.session.get(Customer, customer.id)
    customer.last_contact_at = datetime.now(UTC)
    db.session.commit()
    assert customer.version == 1
    resp = c1.post(f"/customers/{customer.id}/edit", data={"name": "锁测试客户", "kind": "customer",
                                                           "industry": "新行业", "version": v1})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).version == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "customer",
                                                      AuditEntry.action == "update"))
    assert entry.changes["industry"] == ["机械", "新行业"]
    assert "version" not in entry.changes  # the counter is not a change worth logging


def test_stale_flush_is_caught_as_a_backstop(app, world, customer):
    """A save that slips in between the version check and the UPDATE: StaleDataError becomes the 409."""
    from sqlalchemy import update

    from portal.customers import services
    from portal.customers.models import Customer

    c = app.test_client()
    sign_in(c, world.rep_a)
    original = services.update_customer

    separate = db.engine.dialect.name == "postgresql"  # SQLite: the POST holds the write lock already

    def sneaky(actor, cust, data):
        change = update(Customer.__table__).where(Customer.id == cust.id).values(industry="别人", version=2)
        if separate:  # another request commits a change right now
            with db.engine.begin() as conn:
                conn.execute(change)
        else:  # the same row changed under the ORM's feet, in this transaction
            db.session.execute(change)
        return original(actor, cust, data)

    services.update_customer = sneaky
    try:
        resp = c.post(f"/customers/{customer.id}/edit", data={"name": "锁测试客户", "kind": "customer",
                                                              "industry": "我的", "version": "1"})
    finally:
        services.update_customer = original
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and 'id="conflict"' in body and "我的" in body
    db.session.expire_all()
    saved = db.session.get(Customer, customer.id)
    assert saved.industry == ("别人" if separate else "机械")
    assert version_in(body) == str(saved.version)


def test_plan(app, world):
    from portal.plans.models import Plan

    plan = Plan(scope="team", team_id=world.team_a.id, title="2026 华东计划", status="draft",
                created_by_id=world.director_a.id)
    plan.set_period(Period.parse("2026"))
    db.session.add(plan)
    db.session.commit()
    url = f"/plans/{plan.id}/edit"
    c2, body, version = race(app, world.director_a, world.gm, url, url,
                             {"title": "2026 华东计划", "strategy": "总监的策略"},
                             {"title": "2026 华东计划", "strategy": "总经理的策略"}, "总经理的策略")
    assert "总监的策略" in body
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).strategy == "总监的策略"
    resp = c2.post(url, data={"title": "2026 华东计划", "strategy": "总经理的策略", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).strategy == "总经理的策略"


def test_targets(app, world):
    from portal.plans.models import Target

    url = f"/plans/targets/edit?scope=rep&rep_id={world.rep_a.id}&period=2026"
    c2, body, version = race(app, world.director_a, world.gm, url, url,
                             {"sales-base": "1000000"}, {"sales-base": "2345678"}, "2345678")
    assert "1000000" in body
    db.session.expire_all()
    row = db.session.scalar(select(Target).where(Target.owner_id == world.rep_a.id, Target.measure == "sales"))
    assert row.base == Decimal("1000000.00")
    resp = c2.post(url, data={"sales-base": "2345678", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Target, row.id).base == Decimal("2345678.00")


def test_contract(app, world, customer):
    from portal.contracts.models import Contract

    contract = Contract(number="HT-LOCK-1", customer_id=customer.id, title="锁合同", amount=Decimal("1000.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, status="draft")
    db.session.add(contract)
    db.session.commit()
    url = f"/contracts/{contract.id}/edit"
    data = {"number": "HT-LOCK-1", "customer_id": customer.id, "title": "锁合同", "currency": "CNY",
            "owner_id": world.rep_a.id}
    c2, body, version = race(app, world.rep_a, world.director_a, url, url, {**data, "amount": "1500.00"},
                             {**data, "amount": "2500.00", "notes": "总监的备注"}, "总监的备注")
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).amount == Decimal("1500.00")
    resp = c2.post(url, data={**data, "amount": "2500.00", "notes": "总监的备注", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).amount == Decimal("2500.00")


def test_contract_progress_from_a_stale_page_is_refused(app, world, customer):
    from portal.contracts.models import Contract

    contract = Contract(number="HT-LOCK-2", customer_id=customer.id, title="锁合同", amount=Decimal("1000.00"),
                        owner_id=world.rep_a.id, team_id=world.team_a.id, status="signed",
                        signed_on=date(2026, 3, 1))
    db.session.add(contract)
    db.session.commit()
    (c1, v1), (c2, v2) = two_editors(app, world.rep_a, world.director_a, f"/contracts/{contract.id}")
    assert c1.post(f"/contracts/{contract.id}/progress", data={"progress": "60", "version": v1}).status_code == 302
    c2.post(f"/contracts/{contract.id}/progress", data={"progress": "30", "version": v2})
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).progress == 60
    assert world.rep_a.display_name in c2.get(f"/contracts/{contract.id}").get_data(as_text=True)  # the message


def test_appraisal(app, world):
    from test_appraisals_cycle import PERIOD

    from portal.appraisals import services
    from portal.appraisals.models import Appraisal, AppraisalTemplate  # noqa: F401 - the defaults load

    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    appraisal = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    url = f"/appraisals/{appraisal.id}"
    c2, body, version = race(app, world.director_a, world.gm, url, f"{url}/review", {"comment": "总监的评语"},
                             {"comment": "总经理的评语"}, "总经理的评语")
    assert "总监的评语" in body
    db.session.expire_all()
    assert db.session.get(Appraisal, appraisal.id).comment == "总监的评语"
    resp = c2.post(f"{url}/review", data={"comment": "总经理的评语", "version": version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appraisal, appraisal.id).comment == "总经理的评语"


def test_reassigning_from_a_stale_form_is_refused(app, world, customer):
    from portal.customers.models import Customer

    url = f"/customers/{customer.id}/reassign"
    (c1, v1), (c2, v2) = two_editors(app, world.director_a, world.director_a, url)
    assert c1.post(url, data={"owner_id": world.rep_a2.id, "version": v1}).status_code == 302
    resp = c2.post(url, data={"owner_id": 0, "version": v2})  # to the pool, from what it was before
    assert resp.status_code == 409 and 'id="conflict"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == world.rep_a2.id


def test_a_request_without_a_version_is_checked_at_the_update_only(app, world, customer):
    """Scripts that post no version at all are not refused up front (our forms always send one)."""
    from portal.customers.models import Customer

    c = app.test_client()
    sign_in(c, world.rep_a)
    resp = c.post(f"/customers/{customer.id}/status", data={"status": "prospect"})
    assert resp.status_code in (200, 302)
    resp = c.post(f"/customers/{customer.id}/status", data={"status": "active", "version": ""})
    assert resp.status_code == 409  # an empty one is stale
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).version >= 1
