"""Browser journeys: the portal served on a free port, driven by Playwright in Debian's Chromium.

Every page a journey opens is watched: a console error, a page error or a CSP violation fails it.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    # The hook sees every collected test, not only this folder's: mark just the browser ones.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class PageProblems(list):
    """What the browser complained about; a journey that expects a refusal allows its status."""

    def __init__(self):
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        self.allowed.append(text)

    def check(self):
        real = [p for p in self if not any(a in p for a in self.allowed)]
        assert real == [], f"browser reported problems: {real}"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems
    page.set_default_timeout(10000)
    yield page
    context.close()
    problems.check()


def sign_in_page(page, username: str, password: str) -> None:
    """Sign in as someone else: finish the current page's requests, drop its cookies, use the form.

    A redirect still in flight would bring the previous user's (refreshed) session cookie back, so
    the page settles before the cookies are cleared, and the sign-in form is waited for.
    """
    # "networkidle": the home page's panels and other htmx requests refresh the session cookie too.
    page.wait_for_load_state("networkidle")
    for _attempt in range(3):
        page.context.clear_cookies()
        page.goto("/login")
        if page.locator("input[name=username]").count():
            break
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
