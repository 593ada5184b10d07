"""Issue #9: SQL metacharacters, NUL bytes, huge and odd values in every search box, filter and query arg.

The arguments tried on a page are the fields of its GET forms (found by reading the page) and every
``args.get("…")`` name its view module reads. Each page is opened as the first role its policy admits.
Every answer is a normal page (200, or 400/404 with the error page), never a 500; the database is intact after.
Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL (where a NUL byte is the classic 500).
"""
from __future__ import annotations

import inspect
import re
import sys
import time
from itertools import count
from urllib.parse import urlsplit

from injection_corpus import SQL_STRINGS
from injection_walk import WALKERS, as_walker, get_pages, html_of, parse_forms
from sqlalchemy import func, select, text

from portal.core.db import db

READS_ARG = re.compile(r"""args(?:\.get(?:list)?\(|\[)\s*["']([a-z_]+)["']""")
# Every string of the corpus is tried on all of a page's arguments at once; then each argument alone
# (an earlier argument's 400 must not hide a later one's 500) with these and one of the corpus in turn.
ONE_BY_ONE = ["\x00", "99999999999999999999999"]


def _args_read_by(app, endpoint) -> set[str]:
    module = sys.modules[app.view_functions[endpoint].__module__]
    return set(READS_ARG.findall(inspect.getsource(module)))


def rule_of(app, endpoint) -> str:
    return next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _counts():
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_metacharacters_in_every_filter_never_break_a_page(app, client, world):
    started = time.monotonic()
    pages = get_pages(app, world)
    before = _counts()
    targets = []  # (who, path, args)
    order = ("director_a", "rep_a", "gm", "admin")
    roles = dict(WALKERS)
    for who in order:
        as_walker(client, world, who)
        for endpoint, url, admitted in pages:
            if roles[who] not in admitted or any(path == url for _w, path, _a in targets):
                continue
            html = html_of(client.get(url))
            if html is None:
                continue
            # A list view (no record in its address): every argument its module reads; a record's page:
            # the fields of its own GET forms.
            names = _args_read_by(app, endpoint) | {"page"} if "<" not in rule_of(app, endpoint) else set()
            for form in parse_forms(html, "http://localhost" + url):
                if form.method == "get" and urlsplit(form.action).path == url:
                    names |= {f.name for f in form.fields}
            if names - {"next"}:
                targets.append((who, url, sorted(names - {"next"})))

    failures, tried, statuses = [], 0, {}

    def get(who, url, query):
        nonlocal tried
        resp = client.get(url, query_string=query)
        tried += 1
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        body = resp.get_data(as_text=True)
        resp.close()
        # 404: a record named by an argument (?parent_id=-1) that does not exist.
        if resp.status_code not in (200, 400, 404) or (resp.status_code != 200 and "<main" not in body):
            failures.append(f"{who} GET {url} {query!r:.120}: {resp.status_code}")

    current = None
    turn = count()
    for who, url, names in targets:
        if who != current:
            as_walker(client, world, who)
            current = who
        for value in SQL_STRINGS:
            get(who, url, {n: value for n in names})
        for name in names:
            for value in [*ONE_BY_ONE, SQL_STRINGS[next(turn) % len(SQL_STRINGS)]]:
                get(who, url, {name: value})
    db.session.rollback()
    after = _counts()
    pairs = sum(len(names) for _w, _u, names in targets)
    print(f"\n{len(targets)} pages, {pairs} page × argument pairs, {len(SQL_STRINGS)} strings; {tried} requests "
          f"in {time.monotonic() - started:.1f}s; statuses {statuses}")
    assert failures == [], "\n".join(failures[:60])
    # Nothing dropped or emptied: every table still answers and has lost no row.
    assert db.session.execute(text('SELECT count(*) FROM "user"')).scalar() == before["user"]
    assert {t: (before[t], after[t]) for t in before if after[t] < before[t]} == {}
