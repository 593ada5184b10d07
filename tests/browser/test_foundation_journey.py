"""A person signs in, sees their role's home page, switches language and signs out."""
from __future__ import annotations

from conftest import PASSWORD

from tests.browser.conftest import sign_in_page


def test_sign_in_switch_language_sign_out(page, world):
    sign_in_page(page, "dir_a", PASSWORD)
    assert page.url.endswith("/")
    assert page.locator("h1").inner_text().startswith("您好")
    assert page.locator("text=我的团队").count() == 1  # the director's team panel
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.locator("h1").inner_text().startswith("Welcome")
    page.click(f"text={world.director_a.display_name}")  # open the user menu (it shows the name)
    with page.expect_navigation():
        page.click("button:has-text('Sign out')")
    assert "/login" in page.url


def test_rep_refused_admin_pages(page, world):
    page.problems.allow("status of 403")
    sign_in_page(page, "rep_a", PASSWORD)
    response = page.goto("/admin/settings")
    assert response.status == 403
    assert page.locator("h1").inner_text().startswith("403")
    response = page.goto("/audit/")
    assert response.status == 403


def test_gm_pages_have_no_csp_errors(page, world):
    sign_in_page(page, "the_gm", PASSWORD)
    for url in ("/", "/people/", f"/people/{world.rep_a.id}", "/audit/", "/people/teams", "/people/account"):
        response = page.goto(url)
        assert response.status == 200, url
    # The page fixture fails the test if any console error (a CSP violation included) was seen.
