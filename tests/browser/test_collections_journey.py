"""A rep submits a contract, the director approves it from the to-do list, the GM sees an overdue instalment."""
from __future__ import annotations

import os
from datetime import timedelta

from conftest import PASSWORD
from samples_contracts import make_contract, make_instalment

from portal.contracts.models import Contract
from portal.core.db import db
from portal.core.periods import local_today
from tests.browser.conftest import sign_in_page

SHOTS = os.environ.get("JOURNEY_SCREENSHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"collections-{name}.png"), full_page=True)


def test_director_approves_and_gm_sees_the_overdue_instalment(page, world):
    today = local_today()
    draft = make_contract(world.rep_a, amount="86000.00", status="draft", number="HT-JRN-01")
    signed = make_contract(world.rep_a, amount="50000.00", signed_on=today - timedelta(days=60), number="HT-JRN-02")
    make_instalment(signed, 1, today - timedelta(days=10), "20000.00")
    make_instalment(signed, 2, today + timedelta(days=50), "30000.00")
    db.session.commit()
    draft_id = draft.id

    sign_in_page(page, "rep_a", PASSWORD)
    page.goto(f"/contracts/{draft_id}")
    with page.expect_navigation():
        page.click("main button:has-text('提交审批')")
    assert page.locator("#approval-badge").count() == 1 and page.locator("#locked-note").count() == 1
    _shot(page, "submitted")

    page.context.clear_cookies()
    sign_in_page(page, "dir_a", PASSWORD)
    page.goto("/approvals/")
    with page.expect_navigation():
        page.click("main a:has-text('HT-JRN-01')")
    _shot(page, "todo")
    with page.expect_navigation():
        page.click("main button[value=approve]")
    page.goto(f"/contracts/{draft_id}")
    assert page.locator("#contract-status").inner_text() == "已签订"
    db.session.rollback()  # end the test thread's read snapshot
    assert db.session.get(Contract, draft_id).signed_on == today

    page.context.clear_cookies()
    sign_in_page(page, "the_gm", PASSWORD)
    page.goto("/plans/overview")
    overdue = page.locator("#collections-overdue").inner_text()
    assert overdue.startswith("1") and "¥20,000.00" in overdue
    _shot(page, "overview")
    with page.expect_navigation():
        page.click("#collections >> a:has-text('当前逾期')")
    assert "HT-JRN-02" in page.locator("#instalment-list").inner_text()
    assert "逾期" in page.locator("#instalment-list").inner_text()
    page.click("#instalment-list >> text=HT-JRN-02")
    page.wait_for_load_state("networkidle")
    assert page.locator("#instalment-table tr[data-state=overdue]").count() == 1
    _shot(page, "contract")
