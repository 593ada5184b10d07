"""Issue #9: every text field the UI offers takes hostile markup, and no page renders it as markup.

The forms are found by walking every GET page (``app.url_map``, sample records of ``samples_*.py``) as
each role, the corpus of ``injection_corpus.py`` is rotated through their free-text fields, then every
page is read again as every role and searched for payloads that became markup.
"""
from __future__ import annotations

import time

from injection_corpus import PAYLOADS, visible_form
from injection_walk import (
    WALKERS,
    as_walker,
    escaped_payloads,
    fill_every_form,
    get_pages,
    html_of,
    page_text,
)


def test_the_finder_sees_markup_that_got_through():
    bad = ["<img src=x onerror=alert('XSS8')>", "<a href=\" jav&#x61;script:alert('XSS29')\">x</a>",
           "<script>window.__xss='XSS2'</script>", "<div hx-get=\"/logout?XSS66\" hx-trigger=load></div>",
           "<svg><animate onbegin=alert('XSS45')>", "<p title=''><XSS54'>", "<iframe srcdoc=\"XSS35\"></iframe>"]
    for html in bad:
        assert escaped_payloads(html), html
    good = '<p>&lt;script&gt;alert(&#39;XSS1&#39;)&lt;/script&gt;</p><input value="&#34;&gt;&lt;XSS54">' \
           '<script type="application/json" id="c">{"name": "\\u003c/script\\u003eXSS57"}</script>'
    assert escaped_payloads(good) == []


def test_markdown_renders_no_payload_as_markup():
    from portal.core.text import render_markdown

    for payload in PAYLOADS:
        html = str(render_markdown(payload))
        assert escaped_payloads(html) == [], (payload, html)
        assert "<script" not in html.lower() and "<img src=\"x\"" not in html


def test_payloads_in_every_text_field_stay_text(app, client, world):
    started = time.monotonic()
    report = fill_every_form(app, client, world, PAYLOADS)
    filled = time.monotonic()
    assert report.server_errors == []
    pages = get_pages(app, world)
    escaped, shown, opened = [], set(), 0
    for who, role in WALKERS:
        as_walker(client, world, who)
        urls = [url for _e, url, roles in pages if role in roles]
        urls += sorted(target for walker, target in report.new_pages if walker == who)
        for url in dict.fromkeys(urls):
            resp = client.get(url)
            assert resp.status_code < 500, f"{who} GET {url}: {resp.status_code}"
            html = html_of(resp)
            if html is None:
                continue
            opened += 1
            escaped += [f"{who} {url}: {found}" for found in escaped_payloads(html)]
            text = page_text(html)
            shown.update(p for p in report.accepted if visible_form(p) in text)
    print(f"\nforms {report.forms} (accepted {report.forms_accepted}), text fields {report.fields} "
          f"({len(report.field_names)} distinct, {report.fields_accepted} filled in accepted forms), "
          f"payloads {len(PAYLOADS)}, accepted somewhere {len(report.accepted)}, shown as text {len(shown)}; "
          f"htmx forms {len(report.htmx_accepted)}; "
          f"pages read {opened}; fill {filled - started:.1f}s, read {time.monotonic() - filled:.1f}s")
    took = {action for fields in report.accepted.values() for action, _name in fields}
    print(f"forms no walker got through: {sorted({a for _who, a, *_rest in report.refused} - took)}; "
          f"refused forms read back with the input: {report.refusals_read}")
    assert escaped == [], "\n".join(escaped)
    # The forms that refuse (a rule of the business: a duplicate period, a status change not allowed…)
    # show the user's input again beside the error: as text, like every stored value.
    assert report.reflected == [], report.reflected
    assert report.refusals_read >= 10
    # Every payload went into at least one field that took it (but the one with a NUL character, which
    # every form refuses as a bad request), and most read back as plain text.
    assert set(report.accepted) == {p for p in PAYLOADS if "\x00" not in p}
    assert any("/reply" in a for a in report.htmx_accepted) and any("/activities" in a for a in report.htmx_accepted)
    assert len(shown) >= len(PAYLOADS) * 0.8
