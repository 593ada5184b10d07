"""A rep claims a customer from the public pool (htmx, no reload) and finds it in their customer list."""
from __future__ import annotations

from conftest import PASSWORD

from portal.core.db import db
from portal.customers.models import Customer, CustomerEvent
from tests.browser.conftest import sign_in_page


def test_rep_claims_from_the_pool_and_sees_it_in_their_list(page, world):
    db.session.add_all([Customer(name="宁波广源机械有限公司", team_id=world.team_a.id, tier="B", region="宁波"),
                        Customer(name="北京盛世电子科技有限公司", team_id=world.team_b.id, tier="A")])
    db.session.commit()
    sign_in_page(page, "rep_a", PASSWORD)
    page.goto("/customers/pool")
    assert "北京盛世电子科技有限公司" not in page.content()  # another team's pool
    page.evaluate("window.__marker = 'same page'")
    row = page.locator("tr", has_text="宁波广源机械有限公司")
    row.locator("button:has-text('领取')").click()
    page.wait_for_selector("tr:has-text('宁波广源机械有限公司') :text('领取成功')")
    assert page.evaluate("window.__marker") == "same page"
    page.goto("/customers/?owner=me")
    page.click("text=宁波广源机械有限公司")
    assert page.locator("h1").inner_text() == "宁波广源机械有限公司"
    assert "从公海领取" in page.content() or "领取" in page.locator("#timeline").inner_text()
    db.session.rollback()  # end the test's read snapshot (SQLite WAL) to see the server's commit
    c = db.session.query(Customer).filter_by(name="宁波广源机械有限公司").one()
    assert c.owner_id == world.rep_a.id
    assert db.session.query(CustomerEvent).filter_by(customer_id=c.id, kind="claimed").count() == 1
