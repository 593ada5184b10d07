"""Target status computed by hand: completion, tiers, gap, run rate, forecast, fallbacks and warnings."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from samples_contracts import make_customer, make_opportunity
from sqlalchemy import select

from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db
from portal.core.periods import Period
from portal.plans import queries, services
from portal.plans.models import Target

NOV = Period.parse("2025-11")
TODAY = date(2025, 11, 17)  # a Monday; ten working days are left in November 2025


def target(scope, period, measure, base, sprint=None, challenge=None, team=None, rep=None):
    row = Target(scope=scope, team_id=team.id if team else None, owner_id=rep.id if rep else None, measure=measure,
                 base=Decimal(base), sprint=None if sprint is None else Decimal(sprint),
                 challenge=None if challenge is None else Decimal(challenge))
    row.set_period(period)
    db.session.add(row)
    return row


@pytest.fixture
def november(world):
    """rep_a's November 2025: orders, contracts, payments, customers and pipeline, with targets."""
    rep, team = world.rep_a, world.team_a
    customer = make_customer(world.rep_a, "杭州精密机械有限公司")
    other = make_customer(world.rep_b, "北京远航设备有限公司")

    def order(day, amount, cost=None, who=rep):
        db.session.add(Order(ordered_on=day, customer_id=customer.id, amount=Decimal(amount),
                             cost=None if cost is None else Decimal(cost), owner_id=who.id, team_id=who.team_id))

    order(date(2025, 11, 3), "30000.00", cost="20000.00")
    order(date(2025, 11, 16), "45000.00")
    order(date(2025, 10, 31), "10000.00")  # October: not counted
    order(date(2025, 12, 1), "99000.00")  # December: not counted
    order(date(2025, 11, 5), "7000.00", who=world.rep_b)  # another team
    signed = Contract(number="HT-1", customer_id=customer.id, title="line", amount=Decimal("200000.00"),
                      owner_id=rep.id, team_id=team.id, signed_on=date(2025, 11, 3), status="signed")
    db.session.add_all([
        signed,
        Contract(number="HT-2", customer_id=customer.id, title="draft", amount=Decimal("500000.00"),
                 owner_id=rep.id, team_id=team.id, signed_on=date(2025, 11, 4), status="draft"),
        Contract(number="HT-3", customer_id=customer.id, title="ended", amount=Decimal("300000.00"),
                 owner_id=rep.id, team_id=team.id, signed_on=date(2025, 11, 5), status="terminated"),
    ])
    db.session.flush()
    db.session.add(Payment(contract_id=signed.id, paid_on=date(2025, 11, 10), amount=Decimal("50000.00"),
                           owner_id=rep.id, team_id=team.id))
    # New customers: activated in November, local time (UTC+8) decides the day.
    for name, at in (("甲", datetime(2025, 11, 5, 10, tzinfo=UTC)),
                     ("乙", datetime(2025, 10, 31, 17, tzinfo=UTC)),  # 1 November 01:00 in Shanghai
                     ("丙", datetime(2025, 11, 30, 16, 30, tzinfo=UTC))):  # 1 December in Shanghai
        c = make_customer(rep, f"新客户{name}")
        c.status, c.activated_at, c.activated_by_id = "active", at, rep.id
    make_opportunity(rep, customer, "40000.00", 50, date(2025, 11, 25))
    make_opportunity(rep, customer, "10000.00", 30, date(2025, 12, 5))  # closes in December
    make_opportunity(rep, customer, "80000.00", 90, date(2025, 11, 20), status="won")
    make_opportunity(world.rep_b, other, "10000.00", 10, date(2025, 11, 20))
    target("rep", NOV, "sales", "100000.00", "120000.00", "150000.00", team=team, rep=rep)
    target("rep", NOV, "contracts", "150000.00", "180000.00", "200000.00", team=team, rep=rep)
    target("rep", NOV, "orders", "3", team=team, rep=rep)
    db.session.commit()
    return world


def test_rep_status_by_hand(november):
    status = queries.scope_status(NOV, "rep", november.team_a.id, november.rep_a.id, today=TODAY)
    sales = status["sales"]
    assert sales.actual == Decimal("75000.00")
    assert sales.completion == Decimal("75.0")
    assert sales.tier is None
    assert sales.gap == Decimal("25000.00")
    assert sales.working_days_left == 10
    assert sales.run_rate == Decimal("2500.00")
    # 40,000 × 50% closes in November; December's, the won one and rep_b's do not count.
    assert sales.pipeline == Decimal("20000.00")
    assert sales.forecast == Decimal("95000.00")
    assert sales.expected_pct == Decimal("53.3")  # 16 of 30 days gone
    assert sales.colour == "primary"  # 75% is ahead of 53.3%

    contracts = status["contracts"]
    assert contracts.actual == Decimal("200000.00")  # the draft and the terminated one are left out
    assert contracts.completion == Decimal("133.3")
    assert contracts.tier == "challenge"
    assert contracts.gap == Decimal("0")
    assert contracts.colour == "success"

    orders = status["orders"]
    assert orders.actual == 2 and orders.completion == Decimal("66.7")
    assert orders.run_rate == Decimal("0.1")  # one order in ten working days
    assert status["payments"].actual == Decimal("50000.00")
    assert status["payments"].completion is None and status["payments"].colour == "secondary"
    assert status["gross_profit"].actual == Decimal("10000.00")  # only the order with a cost
    assert status["new_customers"].actual == 2


def test_tiers_and_colours():
    p = Period.parse("2025-11")

    def st(actual, day=TODAY):
        return queries.MeasureStatus("sales", Decimal(100), Decimal(120), Decimal(150), Decimal(actual), None, p, day)

    assert [st(a).tier for a in (99, 100, 119, 120, 150, 200)] == [None, "base", "base", "sprint", "challenge",
                                                                     "challenge"]
    assert st(50).colour == "warning"  # 50% vs 53.3% expected: within 80%
    assert st(40).colour == "danger"
    assert st(10, day=date(2025, 11, 1)).colour == "primary"  # first day: nothing expected yet
    assert st(100).gap == 0 and st(100).run_rate == Decimal("0.00")
    assert st(90, day=date(2025, 12, 5)).run_rate is None  # the period is over


def test_team_and_company_status_group_in_sql(november):
    team = queries.status_table(NOV, "team", [november.team_a.id, november.team_b.id], today=TODAY)
    assert team[november.team_a.id]["sales"].actual == Decimal("75000.00")
    assert team[november.team_b.id]["sales"].actual == Decimal("7000.00")
    company = queries.scope_status(NOV, "company", today=TODAY)
    assert company["sales"].actual == Decimal("82000.00")
    assert company["sales"].pipeline == Decimal("21000.00")  # 20,000 + 10,000 × 10%
    assert company["sales"].base is None


def test_quarter_falls_back_to_months(world):
    for key in ("2025-10", "2025-11", "2025-12"):
        target("rep", Period.parse(key), "sales", "100000.00", team=world.team_a, rep=world.rep_a)
    db.session.commit()
    q4 = Period.parse("2025-Q4")
    assert queries.rep_targets([world.rep_a.id], q4, "sales") == {world.rep_a.id: Decimal("300000.00")}
    target("rep", q4, "sales", "280000.00", team=world.team_a, rep=world.rep_a)
    db.session.commit()
    assert queries.rep_targets([world.rep_a.id], q4, "sales") == {world.rep_a.id: Decimal("280000.00")}
    warnings = queries.children_warnings("rep", world.team_a.id, world.rep_a.id, q4)
    assert warnings == [{"measure": "sales", "kind": "month", "target": Decimal("280000.00"),
                         "sum": Decimal("300000.00"), "diff": Decimal("20000.00")}]


def test_rep_targets_must_add_up_to_team(world):
    year = Period.parse("2026")
    target("team", year, "sales", "1000000.00", team=world.team_a)
    target("rep", year, "sales", "600000.00", team=world.team_a, rep=world.rep_a)
    target("rep", year, "sales", "300000.00", team=world.team_a, rep=world.rep_a2)
    db.session.commit()
    assert queries.rep_sum_warnings(world.team_a.id, year) == [
        {"measure": "sales", "target": Decimal("1000000.00"), "sum": Decimal("900000.00"),
         "diff": Decimal("-100000.00")}]
    db.session.scalar(select(Target).where(Target.owner_id == world.rep_a2.id)).base = Decimal("400000.00")
    db.session.commit()
    assert queries.rep_sum_warnings(world.team_a.id, year) == []


def test_split_shares_add_up_exactly():
    assert services.split_shares(Decimal("100.00"), [Decimal(1)] * 3, Decimal("0.01")) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert services.split_shares(Decimal("10"), [Decimal(1)] * 12, Decimal(1)) == [1] * 10 + [0] * 2
    assert sum(services.split_shares(Decimal("1234567.89"), [Decimal(w) for w in range(1, 13)],
                                     Decimal("0.01"))) == Decimal("1234567.89")


def test_split_year_evenly_and_by_profile(app, world):
    year = Period.parse("2026")
    services.set_targets(world.gm, scope="rep", period=year, team_id=world.team_a.id, owner_id=world.rep_a.id,
                         values={"sales": (Decimal("1200000.00"), Decimal("1440000.00"), None),
                                 "orders": (Decimal("100"), None, None)})
    services.split_year(world.gm, scope="rep", year=2026, team_id=world.team_a.id, owner_id=world.rep_a.id,
                        weights=None)
    db.session.commit()
    jan = queries.target_totals(Period.parse("2026-01"), "rep", [world.rep_a.id])[world.rep_a.id]
    assert jan["sales"] == (Decimal("100000.00"), Decimal("120000.00"), None)
    assert jan["orders"][0] == Decimal("9")  # 100 orders: four months get 9, eight get 8
    q1 = queries.target_totals(Period.parse("2026-Q1"), "rep", [world.rep_a.id])[world.rep_a.id]
    assert q1["sales"][0] == Decimal("300000.00")
    assert queries.children_warnings("rep", world.team_a.id, world.rep_a.id, year) == []
    weights = [Decimal(w) for w in ("2", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1")]  # January doubled
    services.split_year(world.gm, scope="rep", year=2026, team_id=world.team_a.id, owner_id=world.rep_a.id,
                        weights=weights)
    db.session.commit()
    jan = queries.target_totals(Period.parse("2026-01"), "rep", [world.rep_a.id])[world.rep_a.id]
    feb = queries.target_totals(Period.parse("2026-02"), "rep", [world.rep_a.id])[world.rep_a.id]
    # 1,200,000 × 2/13 and × 1/13; the three cents left go to the largest remainders (Jan, Feb, Mar)
    assert jan["sales"][0] == Decimal("184615.39") and feb["sales"][0] == Decimal("92307.70")
    assert queries.children_warnings("rep", world.team_a.id, world.rep_a.id, year) == []


def test_appraisal_queries(november):
    reps = [november.rep_a.id, november.rep_a2.id]
    assert queries.actual_sales(reps, NOV) == {november.rep_a.id: Decimal("75000.00"),
                                               november.rep_a2.id: Decimal("0.00")}
    assert queries.orders_count(reps, NOV) == {november.rep_a.id: 2, november.rep_a2.id: 0}
    assert queries.rep_targets(reps, NOV, "sales") == {november.rep_a.id: Decimal("100000.00")}


def test_status_page_query_count_is_flat(app, client, world, count_queries):
    """The company status page and the GM overview cost the same with 100 or 10,000 orders."""
    from conftest import sign_in
    from sqlalchemy import insert

    from portal.plans import rollup

    customer = make_customer(world.rep_a, "苏州恒达电子有限公司")
    month = Period.current("month")
    target("team", month, "sales", "500000.00", team=world.team_a)
    db.session.commit()

    def add_orders(n):
        rows = [{"ordered_on": month.start, "customer_id": customer.id, "amount": Decimal("100.00"),
                 "cost": Decimal("60.00"), "owner_id": (world.rep_a if i % 2 else world.rep_b).id,
                 "team_id": (world.team_a if i % 2 else world.team_b).id} for i in range(n)]
        db.session.execute(insert(Order), rows)
        rollup.rebuild(db.session)  # a bulk load bypasses the ORM events that keep the rollup current
        db.session.commit()

    sign_in(client, world.gm)
    urls = [f"/plans/status?scope=company&period={month.key}", f"/plans/overview?period={month.key}",
            f"/plans/status?scope=team&team_id={world.team_a.id}&period={month.key}", "/contracts/orders", "/"]
    def page_queries(q):
        # The signed-in user is reloaded after the commit when the session expires it: not the page's own.
        return [s for s in q.statements if not s.lstrip().startswith(("SELECT user.id", 'SELECT "user".id'))]

    add_orders(100)
    counts = {}
    for url in urls:
        client.get(url)  # warm up the per-process caches
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts[url] = page_queries(q)
    add_orders(9900)
    for url in urls:
        # The rebuild gave the kept targets and pipeline new tokens: refill them as after the first load,
        # so both counts are of a warm page.
        client.get(url)
        with count_queries() as q:
            resp = client.get(url)
        assert resp.status_code == 200
        assert len(page_queries(q)) == len(counts[url]), (url, counts[url], page_queries(q))
    resp = client.get(f"/plans/status?scope=company&period={month.key}")
    assert "¥1,000,000.00" in resp.get_data(as_text=True)  # 10,000 orders of ¥100


def test_targets_are_kept_per_worker_until_a_target_is_written(app, world, two_workers, count_queries):
    """Two workers (two apps on one database): each reads the targets once, serves them from memory
    afterwards, and both see a changed, added or deleted target at once."""

    from portal.core.cache import CacheVersion

    row = target("team", NOV, "sales", "100000.00", team=world.team_a)
    db.session.commit()
    assert db.session.get(CacheVersion, "targets") is not None  # the write gave the targets a token
    url = f"/plans/status?scope=team&team_id={world.team_a.id}&period={NOV.key}"
    clients = two_workers(world.director_a)

    def base_shown(worker, c) -> tuple[str, int]:
        with worker.app_context():
            with count_queries() as q:
                html = c.get(url).get_data(as_text=True)
            reads = sum(1 for s in q.statements if "FROM target" in s)
        cell = html.split('data-measure="sales"', 1)[1].split("</td>", 1)[0]
        return cell, reads

    for worker, c in clients:
        assert "100,000.00" in base_shown(worker, c)[0]
        cell, reads = base_shown(worker, c)
        assert "100,000.00" in cell and reads == 0  # from the worker's memory

    row.base = Decimal("120000.00")
    db.session.commit()
    for worker, c in clients:
        cell, reads = base_shown(worker, c)
        assert "120,000.00" in cell and reads == 1

    db.session.delete(row)
    db.session.commit()
    for worker, c in clients:
        assert "120,000.00" not in base_shown(worker, c)[0]


def test_rebuild_rollups_drops_what_workers_keep(app, client, runner, world, count_queries):
    """Rows written with SQL bypass the flushes that renew the kept figures' tokens: after
    ``rebuild-rollups`` a worker shows the target and pipeline as they now are, not as it kept them."""
    from conftest import sign_in
    from sqlalchemy import update

    from portal.customers.models import Opportunity

    row = target("team", NOV, "sales", "100000.00", team=world.team_a)
    opp = make_opportunity(world.rep_a, make_customer(world.rep_a, "无锡华东机电有限公司"), "100000.00", 50,
                           date(2025, 11, 20))
    db.session.commit()
    url = f"/plans/status?scope=team&team_id={world.team_a.id}&period={NOV.key}"
    sign_in(client, world.director_a)

    def shown() -> tuple[str, int]:
        with count_queries() as q:
            html = client.get(url).get_data(as_text=True)
        reads = sum(1 for s in q.statements if "FROM target" in s or "FROM opportunity" in s)
        return html.split('data-measure="sales"', 1)[1].split("</td>", 1)[0], reads

    def pipeline() -> Decimal:
        with app.test_request_context():
            return queries.StatusCube([NOV], levels=("company",), today=TODAY).scope(NOV, "company")["sales"].pipeline

    shown()
    cell, reads = shown()
    assert "100,000.00" in cell and reads == 0  # kept by the worker
    assert pipeline() == Decimal("50000.00")
    db.session.execute(update(Target.__table__).where(Target.id == row.id).values(base=Decimal("130000.00")))
    db.session.execute(update(Opportunity.__table__).where(Opportunity.id == opp.id).values(probability=90))
    db.session.commit()
    assert "100,000.00" in shown()[0] and pipeline() == Decimal("50000.00")  # stale: no flush renewed a token
    result = runner.invoke(args=["rebuild-rollups"])
    assert result.exit_code == 0, result.output
    cell, reads = shown()
    assert "130,000.00" in cell and "100,000.00" not in cell and reads == 2
    assert pipeline() == Decimal("90000.00")


def test_pipeline_is_kept_until_an_opportunity_is_written(app, world, count_queries):
    """The open pipeline a status page shows is read once, then served from the worker's memory until
    an opportunity is added, changed or closed."""
    cust = make_customer(world.rep_a, "苏州长青贸易有限公司")
    opp = make_opportunity(world.rep_a, cust, "100000.00", 50, date(2025, 11, 20))
    db.session.commit()
    period = Period.parse("2025-11")

    def weighted() -> tuple:
        with count_queries() as q:
            cube = queries.StatusCube([period], levels=("company",), today=TODAY)
        reads = sum(1 for s in q.statements if "FROM opportunity" in s)
        return cube.scope(period, "company")["sales"].pipeline, reads

    with app.test_request_context():
        first, reads = weighted()
        assert reads == 1
    with app.test_request_context():
        again, reads = weighted()
        assert (again, reads) == (first, 0)  # from memory
    opp.probability = 90
    db.session.commit()
    with app.test_request_context():
        changed, reads = weighted()
        assert reads == 1 and (first, changed) == (Decimal("50000.00"), Decimal("90000.00"))
