"""Two people edit one customer at once: the director saves first; the rep's save is refused with the
director's name and version beside the rep's input, which stays in the form; saving again goes through."""
from __future__ import annotations

from conftest import PASSWORD

from portal.core.db import db
from portal.customers.models import Customer
from tests.browser.conftest import sign_in_page


def test_second_save_shows_their_version_and_keeps_mine(page, browser, live_server, world):
    customer = Customer(name="宁波港口设备有限公司", owner_id=world.rep_a.id, team_id=world.team_a.id,
                        status="active", created_by_id=world.rep_a.id, industry="港口机械")
    db.session.add(customer)
    db.session.commit()
    edit = f"/customers/{customer.id}/edit"

    sign_in_page(page, "rep_a", PASSWORD)
    page.goto(edit)  # the rep opens the form …

    other = browser.new_context(base_url=live_server, locale="zh-CN")
    try:
        director = other.new_page()
        sign_in_page(director, "dir_a", PASSWORD)
        director.goto(edit)  # … and so does the director, who saves first
        director.fill("#industry", "总监改的行业")
        director.click("button[type=submit]:has-text('保存')")
        director.wait_for_url(f"**/customers/{customer.id}")
    finally:
        other.close()

    page.problems.allow("409")  # the refused save answers 409 Conflict
    page.fill("#industry", "专员改的行业")
    page.click("button[type=submit]:has-text('保存')")
    box = page.locator("#conflict")
    box.wait_for()
    text = box.inner_text()
    assert world.director_a.display_name in text and "总监改的行业" in text and "专员改的行业" in text
    assert page.input_value("#industry") == "专员改的行业"  # my input is still in the form
    db.session.rollback()
    assert db.session.get(Customer, customer.id).industry == "总监改的行业"

    page.click("button[type=submit]:has-text('保存')")  # having read theirs, I save mine
    page.wait_for_url(f"**/customers/{customer.id}")
    db.session.rollback()
    assert db.session.get(Customer, customer.id).industry == "专员改的行业"
