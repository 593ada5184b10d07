"""One definition of a training cell: the rep's panel and list, the profile's record and the matrix export
show what the matrix page shows, for every status and for assignments to both the rep and their team."""
from __future__ import annotations

import html as htmllib
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from openpyxl import load_workbook
from samples_training import make_course, right_answers
from sqlalchemy import select

from portal.core.db import db
from portal.core.periods import local_today
from portal.i18n import fmt_date
from portal.training import queries, services
from portal.training.forms import STATUS_LABELS
from portal.training.models import Assignment, Completion

# Course title -> the rep_a cell expected: status, due in days from today (None: no due date), best
# score, lessons read of lessons, completed.
EXPECTED = {
    "Passed": ("passed", -1, Decimal("100.00"), (2, 2), True),
    "Overdue": ("overdue", -3, None, (0, 2), False),
    "Half way": ("in_progress", 5, Decimal("100.00"), (1, 2), False),
    "Untouched": ("not_started", 10, None, (0, 2), False),
    "Team course": ("not_started", 20, None, (0, 2), False),
    "Own is sooner": ("not_started", 4, None, (0, 2), False),
    "Team is sooner": ("overdue", -2, None, (0, 2), False),
    "Read unasked": ("in_progress", None, None, (1, 2), False),
}


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def fresh_request(app):
    """A request context of its own: what a rep may open is remembered for a request, the setup assigns."""
    return app.test_request_context


def _assign(world, course, days, rep=None):
    """An assignment to ``rep``, or to team A when no rep is given."""
    db.session.add(Assignment(course_id=course.id, user_id=rep.id if rep else None, team_id=world.team_a.id,
                              assigned_by_id=world.director_a.id, due_on=local_today() + timedelta(days=days)))


def _finish_right(rep, quiz):
    attempt = services.start_attempt(rep, quiz)
    services.save_answers(rep, attempt, right_answers(attempt))
    services.finish_attempt(attempt)


def _company(world, fresh_request) -> dict:
    courses = {}
    for title in EXPECTED:
        with fresh_request():
            _course(world, courses, title)
    # rep_a2 (same team) has the team's assignments only, and began one of them.
    with fresh_request():
        services.mark_lesson_done(world.rep_a2, courses["Team course"].lessons[0])
    db.session.commit()
    return courses


def _course(world, courses, title):
    # Two lessons each (one read is not a completion), a quiz where the rep scores. A rep begins a course
    # nobody assigned them only if it is open to their team.
    quiz_too = {} if title in ("Passed", "Half way") else {"quiz": False, "gift_source": ""}
    courses[title], quiz = make_course(world.director_a, title=title, open_to_all=title == "Read unasked",
                                       lessons=2, **quiz_too)
    if title == "Passed":
        _assign(world, courses[title], -1, world.rep_a)
        for lesson in courses[title].lessons:
            services.mark_lesson_done(world.rep_a, lesson)
        _finish_right(world.rep_a, quiz)
    elif title == "Half way":
        _assign(world, courses[title], 5, world.rep_a)
        services.mark_lesson_done(world.rep_a, courses[title].lessons[0])
        _finish_right(world.rep_a, quiz)
    elif title == "Team course":
        _assign(world, courses[title], 20)
    elif title == "Own is sooner":
        _assign(world, courses[title], 30)
        _assign(world, courses[title], 4, world.rep_a)
    elif title == "Team is sooner":
        _assign(world, courses[title], -2)
        _assign(world, courses[title], 15, world.rep_a)
    elif title == "Read unasked":
        services.mark_lesson_done(world.rep_a, courses[title].lessons[0])
    else:
        _assign(world, courses[title], EXPECTED[title][1], world.rep_a)
    db.session.commit()


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _matrix_page(client, rep) -> dict[str, tuple[str, str, str, str]]:
    """Course title -> (data-status, status label, best score, due text) of ``rep``'s row of the matrix page."""
    html = client.get("/training/reports/matrix").get_data(as_text=True)
    head = html.split("<thead>")[1].split("</thead>")[0]
    titles = [_text(t) for t in re.findall(r'<th scope="col">(.*?)</th>', head)][1:]
    row = next(r for r in html.split('<th scope="row">')[1:] if f"/people/{rep.id}\"" in r).split("</tr>")[0]
    out = {}
    for title, (status, inner) in zip(titles, re.findall(r'<td class="matrix-cell" data-status="(\w*)">(.*?)</td>',
                                                         row, re.S), strict=True):
        if not status:
            continue
        label = _text(re.search(r'<span class="badge[^"]*">(.*?)</span>', inner).group(1))
        best = re.search(r"<small>(.*?)</small>", inner)
        due = re.search(r'<small class="text-muted d-block">(.*?)</small>', inner)
        out[title] = (status, label, _text(best.group(1)) if best else "", _text(due.group(1)) if due else "")
    return out


def test_every_view_of_a_rep_training_agrees_with_the_matrix(world, client, count_queries, fresh_request):
    courses = _company(world, fresh_request)
    today = local_today()
    rep = world.rep_a
    titles = {c.id: t for t, c in courses.items()}
    completion = db.session.scalar(select(Completion).where(Completion.user_id == rep.id))
    statuses = {k: str(v) for k, v in STATUS_LABELS.items()}

    # The queries: cells_for (the rep's list, the record) is matrix_cells, field by field.
    cells, used = queries.cells_for([rep, world.rep_a2])
    assert cells == queries.matrix_cells([rep, world.rep_a2], [c.id for c in courses.values()])
    assert used == {c.id for c in courses.values()}
    mine = {titles[c]: cell for (r, c), cell in cells.items() if r == rep.id}
    assert set(mine) == set(EXPECTED)
    for title, (status, days, best, (read, lessons), done) in EXPECTED.items():
        cell = mine[title]
        assert (cell.status, cell.due_on, cell.best, cell.done, cell.lessons) == \
            (status, None if days is None else today + timedelta(days=days), best, read, lessons), title
        assert (cell.completion is not None) == done, title
    assert mine["Passed"].completion == (completion.id, completion.completed_at)
    a2 = {titles[c]: cell for (r, c), cell in cells.items() if r == world.rep_a2.id}
    assert {t: (c.status, c.due_on) for t, c in a2.items()} == {
        "Team course": ("in_progress", today + timedelta(days=20)),
        "Own is sooner": ("not_started", today + timedelta(days=30)),
        "Team is sooner": ("overdue", today - timedelta(days=2))}
    # The rep's list: the cells and the course titles, two queries however long the record.
    with count_queries() as q:
        queries.my_training(rep)
    assert q.n == 2

    sign_in(client, world.director_a)
    matrix = _matrix_page(client, rep)
    assert {t: m[0] for t, m in matrix.items()} == {t: e[0] for t, e in EXPECTED.items()}
    for title, (status, label, best, due) in matrix.items():
        cell = mine[title]
        assert label == statuses[status]
        assert best == ("" if cell.best is None else f"{cell.best:.2f}")
        assert (due != "") == (cell.due_on is not None and status != "passed")
        if due:
            assert fmt_date(cell.due_on) in due

    # The export: the matrix's label and best score, course by course.
    rows = list(load_workbook(io.BytesIO(client.get("/training/reports/matrix?format=xlsx").data))
                .active.iter_rows(values_only=True))
    header, row = rows[0], next(r for r in rows if r[0] == rep.display_name)
    exported = {t: v for t, v in zip(header[2:], row[2:], strict=True) if v}
    assert exported == {t: f"{label} {best}".strip() for t, (_s, label, best, _d) in matrix.items()}

    # The profile's record: label, due date, best score and the certificate link and date.
    record = client.get(f"/people/{rep.id}/sections/training.record").get_data(as_text=True)
    shown = {}
    for tr in re.findall(r"<tr><td>(.*?)</tr>", record, re.S):
        tds = [_text(td) for td in re.findall(r"<td>(.*?)</td>", "<td>" + tr, re.S)]
        shown[tds[0]] = tuple(tds[1:])
    assert set(shown) == set(EXPECTED)
    for title, (_status, label, best, _due) in matrix.items():
        cell = mine[title]
        certificate = fmt_date(cell.completion.completed_at) if cell.completion else "—"
        assert shown[title] == (label, fmt_date(cell.due_on), best or "—", certificate), title
    assert f'href="/training/certificates/{completion.id}"' in record

    # The rep's home panel (what is still to do) and their own list (lessons read, certificate).
    sign_in(client, rep)
    panel = client.get("/panels/training.mine").get_data(as_text=True)
    items = {}
    for li in re.findall(r"<li[^>]*>(.*?)</li>", panel, re.S):
        title = _text(re.search(r"<a [^>]*>(.*?)</a>", li).group(1))
        due = re.search(r'<small class="text-muted">(.*?)</small>', li)
        items[title] = (_text(re.search(r'<span class="badge[^"]*">(.*?)</span>', li).group(1)),
                        _text(due.group(1)) if due else "")
    assert items == {t: (label, due) for t, (s, label, _b, due) in matrix.items() if s != "passed"}
    my = client.get("/training/my").get_data(as_text=True)
    for title, cell in mine.items():
        row = next(r for r in my.split("<tr>") if f">{title}</a>" in r)
        assert statuses[cell.status] in row, title
        assert f"<small>{cell.done}/{cell.lessons}</small>" in row, title
        assert (f'href="/training/certificates/{completion.id}"' in row) == (title == "Passed")
