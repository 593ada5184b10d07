"""Every page the benchmark drives runs the same number of SQL statements for a small company and for
one four times its size, and none runs more than 15 (issue 8). Counting, not timing: a regression
that adds a query per row, or a page that grows past the budget, fails here on every CI run.

The company is the benchmark's own (``seed-scale``) at two factors; the pages are those of
``bench/`` plus every home-page panel and profile section htmx loads into them.
"""
from __future__ import annotations

import re
from datetime import date

from conftest import _empty_tables, fragment_urls, sign_in
from sqlalchemy import select

from portal.core.db import db
from portal.core.periods import Period
from portal.scale.cli import seed_scale

DAY = date(2026, 11, 26)
SMALL, LARGE = 0.001, 0.004
BUDGET = 15


def _quiet(*_args, **_kw):
    pass


def _people():
    from portal.people.models import User

    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(["rep0001", "director01", "gm", "admin"])))}
    return {"rep": users["rep0001"], "director": users["director01"], "gm": users["gm"], "admin": users["admin"]}


def _pages(people) -> list[tuple[str, str]]:
    """(role, url) of every page the benchmark measures, with the ids seed-scale guarantees."""
    from portal.appraisals.models import Appraisal, AppraisalCycle

    rep, team = people["rep"], people["rep"].team_id
    last_month = Period.containing("month", DAY).previous()
    cycle = db.session.scalar(select(AppraisalCycle.id).where(AppraisalCycle.team_id == team,
                                                              AppraisalCycle.period_key == last_month.key))
    sheet = db.session.scalar(select(Appraisal.id).where(Appraisal.cycle_id == cycle, Appraisal.rep_id == rep.id))
    # A locked sheet checks its figures against the records as they are now (what changed since).
    locked = db.session.scalar(select(Appraisal.id).where(Appraisal.rep_id == rep.id, Appraisal.state != "open")
                               .order_by(Appraisal.id.desc()).limit(1))
    keys = {k: Period.containing(k, DAY).key for k in ("month", "quarter", "year")}
    pages = [(role, "/") for role in ("rep", "director", "gm", "admin")]
    pages += [("rep", "/customers/"), ("director", "/customers/"), ("rep", "/customers/?status=active"),
              ("rep", "/customers/?q=%E5%85%AC%E5%8F%B8"), ("rep", "/customers/?q=gs"), ("rep", "/customers/1"),
              ("rep", "/customers/pipeline"), ("director", "/customers/pipeline"),
              ("rep", "/contracts/"), ("director", "/contracts/")]
    for kind, key in keys.items():
        pages += [("gm", f"/plans/status?scope=company&period={key}"),
                  ("director", f"/plans/status?scope=team&team_id={team}&period={key}"),
                  ("rep", f"/plans/status?scope=rep&rep_id={rep.id}&period={key}")]
    pages += [("director", f"/plans/budgets?team_id={team}&period={keys['year']}"),
              ("gm", f"/plans/budgets?period={keys['year']}"),
              ("director", f"/appraisals/cycles/{cycle}"), ("director", f"/appraisals/{sheet}"),
              ("rep", f"/appraisals/{sheet}"), ("gm", f"/appraisals/{locked}"), ("director", f"/people/{rep.id}"),
              ("director", "/training/reports/matrix"), ("director", "/comms/threads/1"),
              ("rep", "/inbox/"), ("director", "/inbox/"), ("gm", "/plans/overview")]
    return pages


def _count(client, count_queries, url: str, method: str = "GET", data=None) -> tuple[int, int]:
    def send():
        return client.post(url, data=data) if method == "POST" else client.get(url)

    send()  # the first request fills per-process caches (translations, settings of the worker)
    with count_queries() as q:
        resp = send()
    return resp.status_code, q.n


def _measure(client, count_queries) -> dict[tuple[str, str], int]:
    people = _people()
    out = {}
    for role, url in _pages(people):
        sign_in(client, people[role])
        status, n = _count(client, count_queries, url)
        assert status == 200, (role, url, status)
        out[(role, url)] = n
        # The fragments htmx loads into the page on arrival (home panels, profile sections).
        html = client.get(url).get_data(as_text=True)
        for part in fragment_urls(html):
            status, n = _count(client, count_queries, part)
            assert status == 200, (role, part, status)
            out[(role, part)] = n
    # The quiz attempt page and one answer save (htmx), as the benchmark drives them.
    sign_in(client, people["rep"])
    started = client.post("/training/quizzes/1/start")
    assert started.status_code == 302
    attempt = started.headers["Location"]
    status, out[("rep", attempt)] = _count(client, count_queries, attempt)
    assert status == 200
    status, out[("rep", attempt + "/save")] = _count(client, count_queries, attempt + "/save", "POST",
                                                     {"page": "0"})
    assert status in (200, 302)
    # An export of the director's customers.
    sign_in(client, people["director"])
    status, out[("director", "/customers/export.xlsx")] = _count(client, count_queries, "/customers/export.xlsx")
    assert status == 200
    return out


def _by_shape(counts: dict) -> dict:
    """Key pages by their URL with record ids blanked: the two companies number their sheets and attempts
    differently."""
    return {(role, re.sub(r"/\d+", "/<id>", url)): n for (role, url), n in counts.items()}


def test_benchmark_pages_cost_the_same_queries_at_two_sizes(app, client, count_queries):
    seed_scale(SMALL, seed=1, today=DAY, echo=_quiet)
    small = _measure(client, count_queries)
    db.session.remove()
    _empty_tables()
    seed_scale(LARGE, seed=1, today=DAY, echo=_quiet)
    large = _measure(client, count_queries)

    over = {page: n for page, n in large.items() if n > BUDGET}
    assert not over, f"pages above {BUDGET} queries: {over}"
    small, large = _by_shape(small), _by_shape(large)
    grew = {page: (small[page], large[page]) for page in small if page in large and small[page] != large[page]}
    assert not grew, f"query counts that change with the size of the company: {grew}"
    assert set(small) == set(large)
    assert len(large) >= 45  # the pages, their panels and sections, the quiz and the export
