"""The general manager opens the target status, drills down from the company to a team, a rep and a contract."""
from __future__ import annotations

import os
from decimal import Decimal

from conftest import PASSWORD
from samples_contracts import make_customer, make_opportunity

from portal.contracts.models import Contract, Order
from portal.core.db import db
from portal.core.periods import Period, local_today
from portal.plans.models import Target
from tests.browser.conftest import sign_in_page

SHOTS = os.environ.get("JOURNEY_SCREENSHOTS")  # a folder, to look at the pages while developing


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"plans-{name}.png"), full_page=True)


def _sales_month(world):
    month = Period.current("month")
    today = local_today()
    customer = make_customer(world.rep_a, "常州天宁精工有限公司")
    for scope, team, rep, base in (("company", None, None, "400000"), ("team", world.team_a, None, "300000"),
                                   ("team", world.team_b, None, "100000"), ("rep", world.team_a, world.rep_a, "200000"),
                                   ("rep", world.team_a, world.rep_a2, "100000")):
        t = Target(scope=scope, team_id=team.id if team else None, owner_id=rep.id if rep else None, measure="sales",
                   base=Decimal(base), sprint=Decimal(base) * Decimal("1.2"))
        t.set_period(month)
        db.session.add(t)
    db.session.add(Order(ordered_on=month.start, customer_id=customer.id, amount=Decimal("150000.00"),
                         owner_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.add(Contract(number="HT-J-001", customer_id=customer.id, title="智能产线改造",
                            amount=Decimal("880000.00"), owner_id=world.rep_a.id, team_id=world.team_a.id,
                            signed_on=month.start, start_on=month.start, end_on=today, status="signed"))
    make_opportunity(world.rep_a, customer, "100000.00", 60, month.last_day)
    db.session.commit()


def test_gm_drills_from_company_to_a_contract(page, world):
    _sales_month(world)
    sign_in_page(page, "the_gm", PASSWORD)
    page.goto("/plans/status")
    assert page.locator("h1").inner_text().startswith("指标完成情况")
    page.wait_for_selector("[data-source=status-chart] canvas")  # ECharts drew the chart
    assert page.locator("#status-table tr[data-measure=sales]").inner_text().count("¥150,000.00") >= 1
    _shot(page, "company")
    # Another period comes in by htmx: the body is swapped, the address follows, the chart is drawn again.
    previous = Period.current("month").previous().key
    page.click(f"#status-body nav >> text={previous}")
    page.wait_for_url(f"**period={previous}**")
    page.wait_for_selector("[data-source=status-chart] canvas")
    assert previous in page.locator("h1").inner_text()
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.click("#children-table >> text=Team A")
    page.wait_for_load_state("networkidle")
    assert "Team A" in page.locator("h1").inner_text()
    _shot(page, "team")
    page.click("#children-table >> text=Rep")  # rep_a leads the ranking (75%)
    page.wait_for_load_state("networkidle")
    assert page.locator("#children-table").count() == 0
    assert "50.0%" not in page.locator("#status-table tr[data-measure=sales]").inner_text()
    assert "75.0%" in page.locator("#status-table tr[data-measure=sales]").inner_text()
    _shot(page, "rep")
    page.click("#rep-contracts >> text=HT-J-001")
    page.wait_for_load_state("networkidle")
    assert "HT-J-001" in page.locator("h1").inner_text()
    assert "¥880,000.00" in page.content()
    _shot(page, "contract")
    page.goto("/plans/overview")
    page.wait_for_selector("[data-source=overview-chart] canvas")
    assert page.locator("#team-ranking tbody tr").first.inner_text().find("Team A") >= 0
    _shot(page, "overview")
    page.goto("/")
    _shot(page, "home")
    assert page.locator("text=指标完成情况").count() >= 1


def test_director_submits_a_plan_the_gm_returns_it_then_approves(page, world):
    """The plan goes through the approval engine: submitted (read-only), returned with a comment,
    resubmitted, approved; the page shows the history of both rounds."""
    from portal.plans.models import Plan

    plan = Plan(scope="team", team_id=world.team_a.id, title="Team A 2027 plan", status="draft",
                created_by_id=world.director_a.id)
    plan.set_period(Period.parse("2027"))
    target = Target(scope="team", team_id=world.team_a.id, measure="sales", base=Decimal("1200000.00"))
    target.set_period(Period.parse("2027"))
    db.session.add_all([plan, target])
    db.session.commit()
    url = f"/plans/{plan.id}"

    sign_in_page(page, "dir_a", PASSWORD)
    page.goto(url)
    with page.expect_navigation():
        page.click(f"form[action='{url}/submit'] button")
    assert page.locator("#plan-locked").count() == 1
    assert page.locator("#plan-decide").count() == 0  # the director does not approve their own plan
    _shot(page, "plan-submitted")

    page.context.clear_cookies()
    sign_in_page(page, "the_gm", PASSWORD)
    page.goto("/approvals/")
    assert "Team A 2027 plan" in page.locator("main").inner_text()
    page.goto(url)
    with page.expect_navigation():
        page.click("#plan-decide button[value=return]")  # no comment: the form comes back with the error
    assert page.locator("#plan-decide .invalid-feedback, #plan-decide .text-danger").count() >= 1
    page.fill("#plan-decide textarea", "请把三季度目标提高一成")
    with page.expect_navigation():
        page.click("#plan-decide button[value=return]")
    _shot(page, "plan-returned")

    page.context.clear_cookies()
    sign_in_page(page, "dir_a", PASSWORD)
    page.goto(url)
    assert "请把三季度目标提高一成" in page.locator("#plan-review").inner_text()
    with page.expect_navigation():
        page.click(f"form[action='{url}/submit'] button")

    page.context.clear_cookies()
    sign_in_page(page, "the_gm", PASSWORD)
    page.goto(url)
    with page.expect_navigation():
        page.click("#plan-decide button[value=approve]")
    assert page.locator("#plan-status").get_attribute("class").find("text-bg-success") >= 0
    assert page.locator(".approval-events li").count() >= 5  # submitted, skipped, returned, resubmitted …
    _shot(page, "plan-approved")
