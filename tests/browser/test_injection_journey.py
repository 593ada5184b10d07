"""Issue #9 in Chromium: after the XSS corpus went through every form, no page runs any of it.

Every GET page is opened once per role that may use it (sample records and the records the forms
created). A dialog, ``window.__xss`` being set, a CSP violation, a request to /logout or to the payloads'
evil host fails the test; a sample of payloads must read back as the literal text typed.
"""
from __future__ import annotations

import time

from conftest import PASSWORD
from injection_corpus import PAYLOADS, visible_form
from injection_walk import WALKERS, fill_every_form, get_pages
from samples_customers import customer

from tests.browser.conftest import sign_in_page

USERNAMES = {"rep_a": "rep_a", "director_a": "dir_a", "gm": "the_gm", "admin": "the_admin"}

WATCH = """
window.__xssEvents = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__xssEvents.push("CSP " + e.violatedDirective + " " + e.blockedURI);
});
"""

# Payloads that must read as typed wherever they were accepted: tags, handlers, breakouts, templates.
MUST_READ_AS_TEXT = [p for p in PAYLOADS if p.startswith((
    "<script>alert", "<img src=x onerror=alert", "<svg onload", "\" autofocus", "'\"><XSS", "{{7*7}}",
    "<div hx-get", "</script><script>", "javascript:alert"))]


def test_no_payload_runs_in_any_page(page, app, client, world):
    started = time.monotonic()
    for payload in MUST_READ_AS_TEXT:  # customers named so: the customer list shows every one of them
        customer(world.rep_a, name=payload)
    report = fill_every_form(app, client, world, PAYLOADS)
    assert report.server_errors == []
    filled = time.monotonic()
    pages = get_pages(app, world)

    bad_requests = []
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.type} {d.message}"), d.dismiss()))
    page.on("request", lambda r: bad_requests.append(f"{page.url}: {r.method} {r.url}")
            if "/logout" in r.url or "evil.example" in r.url else None)
    page.context.add_init_script(WATCH)
    # Foreign or finished records answer 403/404 to some roles; those statuses are not findings.
    page.problems.allow("the server responded with a status of 40")

    ran, read_as_text, opened = [], set(), 0
    for who, role in WALKERS:
        sign_in_page(page, USERNAMES[who], PASSWORD)
        urls = [url for _e, url, roles in pages if role in roles]
        urls += sorted(target for walker, target in report.new_pages if walker == who)
        for url in dict.fromkeys(urls):
            resp = page.goto(url, wait_until="load")
            assert resp is not None and resp.status < 500, f"{who} {url}: {resp and resp.status}"
            if "text/html" not in (resp.headers.get("content-type") or ""):
                continue
            opened += 1
            xss, events, text = page.evaluate(
                "() => [window.__xss || null, window.__xssEvents || [], document.body.innerText]")
            if xss or events:
                ran.append(f"{who} {url}: __xss={xss} {events}")
            folded = " ".join(text.split())
            read_as_text.update(p for p in PAYLOADS if visible_form(p) in folded)
    elapsed = time.monotonic() - filled
    print(f"\nChromium: {opened} pages opened as {len(WALKERS)} roles in {elapsed:.1f}s "
          f"(fill {filled - started:.1f}s); {len(read_as_text)} of {len(PAYLOADS)} payloads read as text")
    assert dialogs == []
    assert ran == []
    assert bad_requests == []
    assert set(MUST_READ_AS_TEXT) <= read_as_text, set(MUST_READ_AS_TEXT) - read_as_text
