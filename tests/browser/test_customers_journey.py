"""A rep logs a visit from the customer page (htmx, no reload), sets a follow-up for today and
finds it in "My day" on the home page; the pipeline board moves a card with the keyboard form."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from conftest import PASSWORD

from portal.core.db import db
from portal.core.periods import local_today
from portal.customers.models import Activity, Contact, Customer, Opportunity, OpportunityStage
from tests.browser.conftest import sign_in_page


def _customer(world):
    c = Customer(name="杭州精密机械有限公司", owner_id=world.rep_a.id, team_id=world.team_a.id, status="active",
                 activated_at=datetime.now(UTC) - timedelta(days=90), created_by_id=world.rep_a.id)
    db.session.add(c)
    db.session.flush()
    db.session.add(Contact(customer_id=c.id, name="王伟", title="采购经理"))
    db.session.commit()
    return c


def test_rep_logs_a_visit_and_sees_the_follow_up_in_my_day(page, world):
    c = _customer(world)
    sign_in_page(page, "rep_a", PASSWORD)
    page.goto("/customers/?q=hzjm")
    page.click("text=杭州精密机械有限公司")
    assert page.locator("h1").inner_text() == "杭州精密机械有限公司"
    page.evaluate("window.__marker = 'same page'")  # survives only if the page is not reloaded
    page.select_option("#kind", "call")
    assert page.locator("#duration_minutes").is_visible()  # call-only fields appear for a call
    page.select_option("#kind", "visit")
    assert not page.locator("#duration_minutes").is_visible()
    page.select_option("#contact_ids", label="王伟")
    page.fill("#summary", "拜访采购经理，确认二号线改造需求")
    page.fill("#next_step", "发送正式报价单")
    page.fill("#follow_up_on", local_today().isoformat())
    page.click("button:has-text('记录')")
    page.wait_for_selector("#timeline :text('拜访采购经理，确认二号线改造需求')")
    assert page.evaluate("window.__marker") == "same page"
    assert page.locator("#log .alert-success").count() == 1
    assert page.input_value("#summary") == ""  # a fresh form for the next entry
    db.session.rollback()
    entry = db.session.query(Activity).one()
    assert entry.customer_id == c.id and entry.follow_up_on == local_today() and entry.kind == "visit"

    page.goto("/")
    panel = page.locator(".my-day-follow-ups")
    assert "发送正式报价单" in panel.inner_text()
    assert "杭州精密机械有限公司" in panel.inner_text()
    panel.locator("button:has-text('完成')").click()
    page.wait_for_load_state("networkidle")
    assert "没有到期的跟进" in page.locator(".my-day-follow-ups").inner_text()


def test_pipeline_card_moves_without_reload(page, world):
    c = _customer(world)
    first = OpportunityStage(name="初步接触", probability=10, position=0)
    second = OpportunityStage(name="商务谈判", probability=75, position=10)
    db.session.add_all([first, second])
    db.session.flush()
    db.session.add(Opportunity(title="二号线改造", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                               stage_id=first.id, amount=Decimal("250000.00"), probability=10))
    db.session.commit()
    sign_in_page(page, "rep_a", PASSWORD)
    page.goto("/customers/pipeline")
    page.evaluate("window.__marker = 'same page'")
    card = page.locator("article.pipeline-card", has_text="二号线改造")
    card.locator("select").select_option(label="商务谈判")
    card.locator("button:has-text('移动')").click()
    page.wait_for_selector(f"section[aria-labelledby='stage-{second.id}'] :text('二号线改造')")
    assert page.evaluate("window.__marker") == "same page"
    db.session.rollback()  # end the test's read snapshot (SQLite WAL) to see the server's commit
    assert db.session.query(Opportunity).one().probability == 75
