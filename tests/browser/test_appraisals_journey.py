"""The director opens a cycle, scores conduct and finalises; the rep acknowledges; the GM sees the
ranked summary and opens the rep's performance archive."""
from __future__ import annotations

from conftest import PASSWORD

from tests.browser.conftest import sign_in_page


def test_appraisal_round_trip(page, world):
    sign_in_page(page, "dir_a", PASSWORD)
    page.goto("/appraisals/")
    page.select_option("#team_id", str(world.team_a.id))
    page.select_option("#period_kind", "month")
    page.fill("#period_key", "2026-09")
    page.click("form[action$='/appraisals/cycles'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "2026-09" in page.locator("h1").inner_text()
    page.click(f"text={world.rep_a.display_name}")
    page.wait_for_load_state("networkidle")
    page.locator("select[name^=judged_]").select_option("4")
    page.fill("#comment", "九月表现稳定，电话拜访需加强。")
    page.click("button[name=finalise]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge", has_text="已定稿").count() == 1
    sheet_url = page.url
    page.click("text=" + world.director_a.display_name)
    page.click("button:has-text('退出登录')")

    sign_in_page(page, "rep_a", PASSWORD)
    page.goto(sheet_url)
    page.click("form[action$='/acknowledge'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge", has_text="已确认").count() == 1
    page.click("text=" + world.rep_a.display_name)
    page.click("button:has-text('退出登录')")

    sign_in_page(page, "the_gm", PASSWORD)
    page.goto("/appraisals/")
    page.click("text=2026-09")
    page.wait_for_load_state("networkidle")
    ranked = page.locator("table tbody tr")
    assert ranked.count() == 2 and "1" in ranked.first.inner_text()
    page.goto(f"/people/{world.rep_a.id}")
    page.locator("#archive").wait_for()  # the archive's sections arrive through htmx
    page.locator(".js-chart canvas").wait_for()
    assert page.locator("#archive").count() == 1
    assert page.locator("#archive", has_text="2026-09").count() == 1
    assert page.locator(".js-chart canvas").count() == 1  # the trend chart drew under the strict CSP
