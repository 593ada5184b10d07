"""The GM's overview: planned vs collected per period, the overdue total by team and rep, flat query count."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import panel_on_each, sign_in
from samples_contracts import make_contract, make_instalment
from samples_plans import speak_english
from sqlalchemy import insert

from portal.contracts.models import Instalment
from portal.contracts.queries import collection_by, collection_by_period
from portal.core.db import db
from portal.core.periods import Period, local_today

D = Decimal


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


def test_collection_figures_by_team_rep_and_month(world):
    today = local_today()
    quarter = Period.current("quarter")
    a = make_contract(world.rep_a, signed_on=today - timedelta(days=200), number="A-1")
    b = make_contract(world.rep_b, signed_on=today - timedelta(days=200), number="B-1")
    draft = make_contract(world.rep_a2, status="draft", number="D-1")
    make_instalment(a, 1, quarter.start, "1000.00", collected="400.00")
    make_instalment(a, 2, today - timedelta(days=400), "500.00", collected="100.00")  # overdue, long ago
    make_instalment(a, 3, quarter.start, "700.00", void=True)
    make_instalment(b, 1, quarter.last_day, "300.00")
    make_instalment(draft, 1, quarter.start, "999.00")  # a draft plans nothing yet
    db.session.commit()
    teams = collection_by(quarter, today, "team")
    overdue_a = D("400.00") + (D("600.00") if quarter.start < today else 0)
    assert teams[world.team_a.id]["planned"] == D("1000.00") and teams[world.team_a.id]["collected"] == D("400.00")
    assert teams[world.team_a.id]["overdue"] == overdue_a
    assert teams[world.team_b.id] == {"planned": D("300.00"), "collected": D("0.00"),
                                      "overdue": D("0.00"), "overdue_count": 0}
    reps = collection_by(quarter, today, "rep", team_ids=[world.team_a.id])
    assert set(reps) == {world.rep_a.id}
    months = collection_by_period(quarter)
    assert [p.kind for p, _x, _y in months] == ["month"] * 3
    assert sum(x for _p, x, _y in months) == D("1300.00") and months[0][1] == D("1000.00")


def test_gm_overview_shows_the_overdue_instalment_and_directors_only_their_team(client, world):
    today = local_today()
    a = make_contract(world.rep_a, signed_on=today - timedelta(days=90), number="A-9")
    b = make_contract(world.rep_b, signed_on=today - timedelta(days=90), number="B-9")
    make_instalment(a, 1, today - timedelta(days=5), "12345.00")
    make_instalment(b, 1, today - timedelta(days=5), "2000.00")
    db.session.commit()
    sign_in(client, world.gm)
    page = client.get("/plans/overview").get_data(as_text=True)
    assert 'id="collections-overdue">2 · ¥14,345.00' in page
    assert world.rep_a.display_name in page and "Team B" in page
    overdue = client.get("/contracts/instalments?state=overdue").get_data(as_text=True)
    assert "A-9" in overdue and "B-9" in overdue
    sign_in(client, world.director_a)
    page = client.get("/plans/overview").get_data(as_text=True)
    assert 'id="collections-overdue">1 · ¥12,345.00' in page and "¥2,000.00" not in page
    overdue = client.get("/contracts/instalments?state=overdue").get_data(as_text=True)
    assert "A-9" in overdue and "B-9" not in overdue


def test_overview_and_lists_cost_the_same_with_10_or_1000_instalments(client, world, count_queries):
    today = local_today()
    contracts = [make_contract(rep, signed_on=today - timedelta(days=300), number=f"Q-{rep.id}")
                 for rep in (world.rep_a, world.rep_a2, world.rep_b)]
    db.session.commit()

    def add(n):
        rows = [{"contract_id": contracts[i % 3].id, "number": i, "due_on": today - timedelta(days=i % 120 - 60),
                 "amount": D("100.00"), "remind_days": 7, "void": False, "collected": D("40.00") if i % 2 else D("0"),
                 "owner_id": contracts[i % 3].owner_id, "team_id": contracts[i % 3].team_id} for i in range(n)]
        db.session.execute(insert(Instalment), rows)
        db.session.commit()

    def page_queries(q):
        return [s for s in q.statements if not s.lstrip().startswith(("SELECT user.id", 'SELECT "user".id'))]

    sign_in(client, world.gm)
    urls = ["/plans/overview", "/plans/overview?period=" + Period.current("year").key,
            "/contracts/instalments?state=overdue", f"/contracts/{contracts[0].id}"]
    add(10)
    counts = {}
    for url in urls:
        client.get(url)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts[url] = len(page_queries(q))
    add(990)
    for url in urls[:3]:
        with count_queries() as q:
            assert client.get(url).status_code == 200
        assert len(page_queries(q)) == counts[url], url
    print("query counts", counts)


def test_team_rep_grouping(world):
    today = local_today()
    month = Period.current("month")
    a = make_contract(world.rep_a, signed_on=today - timedelta(days=90), number="G-1")
    make_instalment(a, 1, month.start, "10.00")
    db.session.commit()
    rows = collection_by(month, today, "team_rep")
    key = (world.team_a.id, world.rep_a.id)
    assert list(rows) == [key] and rows[key]["planned"] == D("10.00")


def _summary_by_hand(period, today, team_ids=None, owner_ids=None):
    """contract_summary's figures summed in Python over every contract (what its CASE sums once did)."""
    from sqlalchemy import select

    from portal.contracts.models import SIGNED_STATUSES, Contract

    out = {"signed": (0, D(0)), "in_fulfilment": (0, D(0)), "overdue": (0, D(0))}

    def add(key, c):
        out[key] = (out[key][0] + 1, out[key][1] + c.amount)

    for c in db.session.scalars(select(Contract)):
        if team_ids is not None and c.team_id not in team_ids:
            continue
        if owner_ids is not None and c.owner_id not in owner_ids:
            continue
        if c.signed_on and period.start <= c.signed_on < period.end and c.status in SIGNED_STATUSES:
            add("signed", c)
        if c.status == "in_fulfilment":
            add("in_fulfilment", c)
        if c.is_overdue(today):
            add("overdue", c)
    return out


def test_contract_summary_matches_a_sum_over_every_contract(world):
    from portal.contracts.queries import contract_summary

    today = local_today()
    month = Period.current("month")
    made = [make_contract(world.rep_a, signed_on=month.start, amount="1000.00", number="S-1"),
            make_contract(world.rep_a, signed_on=month.start, status="in_fulfilment", amount="2000.00", number="S-2"),
            make_contract(world.rep_a2, signed_on=month.start, status="fulfilled", amount="300.00", number="S-3"),
            make_contract(world.rep_a, signed_on=month.start, status="terminated", amount="999.00", number="S-4"),
            make_contract(world.rep_a, status="draft", amount="888.00", number="S-5"),
            make_contract(world.rep_b, signed_on=today - timedelta(days=400), status="in_fulfilment",
                          amount="4000.00", number="S-6"),
            make_contract(world.rep_b, signed_on=today - timedelta(days=400), amount="50.00", number="S-7")]
    made[5].end_on = today - timedelta(days=30)  # overdue, in fulfilment
    made[6].end_on = today - timedelta(days=1)  # overdue, signed
    made[1].end_on = today  # ends today: not overdue yet
    db.session.commit()
    for kwargs in ({}, {"team_ids": [world.team_a.id]}, {"team_ids": [world.team_b.id]}, {"team_ids": []},
                   {"owner_ids": [world.rep_a.id]}):
        assert contract_summary(month, today, **kwargs) == _summary_by_hand(month, today, **kwargs), kwargs
    company = contract_summary(month, today)
    assert company["signed"] == (3, D("3300.00"))
    assert company["in_fulfilment"] == (2, D("6000.00"))
    assert company["overdue"] == (2, D("4050.00"))


def test_every_worker_shows_the_contract_summary_as_it_is_now(world, two_workers):
    """The contract summary (the GM's and directors' contracts panel) is kept by each worker until a
    contract is written: a new one, a changed status, amount, end date or team, a deleted one."""
    from portal.contracts.models import Contract
    from portal.core.cache import bump

    bump(db.session.connection(), "contract_summary")  # as a migrated database has it
    db.session.commit()
    today = local_today()
    month = Period.current("month")
    workers = {"gm": two_workers(world.gm), "director": two_workers(world.director_a)}

    def panels(role: str) -> list[str]:
        return panel_on_each(workers[role], "plans.contracts")

    def shows(html: str, part: str, n: int, amount: str) -> bool:
        label = {"signed": "Signed this month", "in_fulfilment": "In fulfilment", "overdue": "Overdue"}[part]
        return re.search(rf"{label}</a></dt>\s*<dd[^>]*>{n} · [^<]*{re.escape(amount)}", html) is not None

    assert all(shows(html, "signed", 0, "0.00") for role in workers for html in panels(role))
    first = make_contract(world.rep_a, signed_on=month.start, amount="1000.00", number="W-1")
    db.session.commit()
    assert all(shows(html, "signed", 1, "1,000.00") for role in workers for html in panels(role))
    first.amount = D("1500.00")
    first.status = "in_fulfilment"
    db.session.commit()
    assert all(shows(html, "in_fulfilment", 1, "1,500.00") for role in workers for html in panels(role))
    first.end_on = today - timedelta(days=1)
    db.session.commit()
    assert all(shows(html, "overdue", 1, "1,500.00") for role in workers for html in panels(role))
    first.team_id = world.team_b.id
    db.session.commit()
    assert all(shows(html, "overdue", 0, "0.00") for html in panels("director"))
    assert all(shows(html, "overdue", 1, "1,500.00") for html in panels("gm"))
    db.session.delete(db.session.get(Contract, first.id))
    db.session.commit()
    assert all(shows(html, "in_fulfilment", 0, "0.00") for html in panels("gm"))
