"""Page query counts stay flat as rows grow: 10 vs 1,000 customers (list, export), log entries
(customer page), opportunities (pipeline board, list) and requests (list, home panels)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from samples_customers import customer, stage
from sqlalchemy import insert

from portal.core.db import db
from portal.core.periods import local_today
from portal.customers.models import Activity, Contact, Customer, Opportunity, ResourceRequest, name_key, pinyin_forms


def _bulk_customers(world, n: int, offset: int = 0) -> None:
    now = datetime.now(UTC)
    rows = []
    for i in range(offset, offset + n):
        owner = world.rep_a if i % 3 else None  # every third in the pool
        name = f"杭州精密机械{i:05d}有限公司"
        full, initials = pinyin_forms(name)
        rows.append({"name": name, "name_key": name_key(name), "pinyin_full": full, "pinyin_initials": initials,
                     "kind": "customer", "status": ("prospect", "active", "lost")[i % 3], "tier": "ABC"[i % 3],
                     "region": "杭州", "owner_id": owner.id if owner else None, "team_id": world.team_a.id,
                     "created_at": now - timedelta(days=i % 90), "last_contact_at": now - timedelta(days=i % 60)})
    db.session.execute(insert(Customer), rows)
    ids = [r for (r,) in db.session.execute(db.select(Customer.id).where(Customer.team_id == world.team_a.id))]
    db.session.execute(insert(Contact), [{"customer_id": cid, "name": f"联系人{cid}", "phone": f"139{cid:08d}",
                                          "created_at": now} for cid in ids[offset:offset + n]])
    db.session.commit()


def _count(client, count_queries, url, headers=None):
    with count_queries() as q:
        resp = client.get(url, headers=headers or {})
    assert resp.status_code == 200, url
    return q.n


def _measure(client, count_queries, urls, headers=None):
    # The tests share one session with the app: a commit in the test expires what the requests had
    # loaded (the signed-in user). A first request reloads it, so every measure starts warm.
    client.get(urls[0], headers=headers or {})
    return [_count(client, count_queries, u, headers) for u in urls]


@pytest.mark.parametrize("who", ["rep_a", "director_a", "gm"])
def test_customer_list_and_export_flat(client, world, login_as, count_queries, who):
    # (A page past the end only counts: test_customers_paging covers it; these pages exist at both sizes.)
    login_as(user=getattr(world, who))
    _bulk_customers(world, 10)
    urls = ["/customers/", "/customers/?q=hzjm&sort=contact", "/customers/?stale=30&tier=A&owner=pool&sort=tier",
            "/customers/export.csv"]
    small = _measure(client, count_queries, urls)
    _bulk_customers(world, 990, offset=10)
    large = _measure(client, count_queries, urls)
    print(f"queries at 10 vs 1,000 rows: {small} vs {large}")
    assert small == large, (small, large)


def test_customer_page_flat_in_log_entries(client, world, login_as, count_queries):
    c = customer(world.rep_a, status="active", activated_at=datetime.now(UTC) - timedelta(days=400))
    s = stage()
    contacts = [Contact(customer_id=c.id, name=f"联系人{i}") for i in range(3)]
    db.session.add_all(contacts)
    db.session.commit()
    now = datetime.now(UTC)

    def add(n, offset):
        db.session.execute(insert(Activity), [
            {"kind": ("visit", "call")[i % 2], "customer_id": c.id, "owner_id": world.rep_a.id,
             "team_id": world.team_a.id, "occurred_at": now - timedelta(minutes=i + offset), "summary": f"记录{i}",
             "follow_up_done": False, "created_at": now} for i in range(n)])
        db.session.execute(insert(Opportunity), [
            {"title": f"机会{i}", "customer_id": c.id, "owner_id": world.rep_a.id, "team_id": world.team_a.id,
             "stage_id": s.id, "amount": Decimal("1000.00"), "probability": 30, "status": "open",
             "created_at": now - timedelta(hours=i + offset), "updated_at": now} for i in range(n // 10 or 1)])
        db.session.execute(insert(ResourceRequest), [
            {"customer_id": c.id, "kind": "samples", "description": "d", "asked_at": now - timedelta(hours=i),
             "due_at": now, "assignee_id": world.rep_a.id, "team_id": world.team_a.id, "created_at": now}
            for i in range(n // 10 or 1)])
        db.session.commit()

    login_as(user=world.rep_a)
    add(10, 0)
    urls = [f"/customers/{c.id}", f"/customers/{c.id}?page=3"]
    client.get(urls[0])  # the first visit writes the default stages and lost reasons once
    small = _measure(client, count_queries, urls)
    small += _measure(client, count_queries, urls[:1], {"HX-Request": "true"})
    add(990, 10)
    large = _measure(client, count_queries, urls)
    large += _measure(client, count_queries, urls[:1], {"HX-Request": "true"})
    print(f"queries at 10 vs 1,000 rows: {small} vs {large}")
    assert small == large, (small, large)


@pytest.mark.parametrize("who", ["rep_a", "director_a", "gm"])
def test_pipeline_and_lists_flat(client, world, login_as, count_queries, who):
    stages = [stage(f"S{i}", 10 * i) for i in range(1, 6)]
    customers = [customer(world.rep_a) for _ in range(5)]
    now = datetime.now(UTC)

    def add(n):
        db.session.execute(insert(Opportunity), [
            {"title": f"机会{i}", "customer_id": customers[i % 5].id, "owner_id": world.rep_a.id,
             "team_id": world.team_a.id, "stage_id": stages[i % 5].id, "amount": Decimal("1234.56"),
             "probability": 30, "status": "open", "created_at": now, "updated_at": now,
             "expected_close": local_today() + timedelta(days=i % 50)} for i in range(n)])
        db.session.execute(insert(ResourceRequest), [
            {"customer_id": customers[i % 5].id, "kind": "quotation", "description": "d",
             "asked_at": now - timedelta(hours=i), "due_at": now - timedelta(hours=i - 24),
             "assignee_id": world.rep_a.id, "team_id": world.team_a.id, "created_at": now} for i in range(n)])
        db.session.execute(insert(Activity), [
            {"kind": "call", "customer_id": customers[i % 5].id, "owner_id": world.rep_a.id,
             "team_id": world.team_a.id, "occurred_at": now - timedelta(days=3), "summary": "s",
             "follow_up_on": local_today() - timedelta(days=i % 5), "follow_up_done": False, "created_at": now}
            for i in range(n)])
        db.session.commit()

    login_as(user=getattr(world, who))
    urls = ["/customers/pipeline", "/customers/opportunities", "/customers/requests",
            "/customers/requests?state=overdue", "/"]
    add(10)
    client.get(urls[0])  # the first visit writes the default stages and lost reasons once
    small = _measure(client, count_queries, urls)
    add(990)
    large = _measure(client, count_queries, urls)
    print(f"queries at 10 vs 1,000 rows: {small} vs {large}")
    assert small == large, (small, large)
