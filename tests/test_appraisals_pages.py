"""The sheet and cycle pages read plain rows (appraisals.queries): the same figures, names, links and inputs
as the ORM objects the saving pages hold, and the course suggestions of every weak item in one query."""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from conftest import sign_in
from flask import url_for
from openpyxl import load_workbook

from portal.appraisals import loop, queries, services
from portal.core.db import db
from portal.core.periods import Period

PERIOD = Period.containing("month", date(2026, 9, 1))


def _item(sheet, metric):
    return next(i for i in sheet.items if i.metric == metric)


@pytest.fixture
def cycle(app, world):
    """Team A's September cycle without records: the count items score 0, so several items are weak."""
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    return cycle


def _mine(cycle, world):
    return next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)


def _compare(app, appraisal_id):
    with app.test_request_context():
        rows = queries.load_sheet(appraisal_id)
        orm = queries.sheet_of(services.load_appraisal(appraisal_id))
        assert rows._replace(items=[]) == orm._replace(items=[])
        assert [[getattr(i, c) for c in (*queries.ITEM_COLUMNS, "actual")] for i in rows.items] == \
               [[getattr(i, c) for c in (*queries.ITEM_COLUMNS, "actual")] for i in orm.items]
        return rows


def test_sheet_rows_are_the_orm_sheet(app, world, cycle):
    mine = _mine(cycle, world)
    with app.test_request_context():
        appraisal = services.load_appraisal(mine.id)
        calls, conduct = _item(appraisal, "calls"), _item(appraisal, "conduct")
        services.save_review(world.director_a, appraisal, judged={conduct.id: D(4)}, remarks={calls.id: "少"},
                             adjustments={calls.id: (D(7), "两次记错")}, comment="继续努力")
        services.save_self_assessment(world.rep_a, appraisal, "自评", {calls.id: D("2.5")})
        db.session.commit()
    rows = _compare(app, mine.id)
    calls = _item(rows, "calls")
    assert (calls.actual, calls.adjusted, calls.adjust_reason, calls.remark, calls.self_score) == \
           (D(7), D(7), "两次记错", "少", D("2.50"))
    assert isinstance(calls.score, D) and isinstance(rows.total, D)
    assert (rows.rep_name, rows.cycle.team_name, rows.comment, rows.self_assessment, rows.finalised_by_name) == \
           (world.rep_a.display_name, world.team_a.name, "继续努力", "自评", None)
    assert [i.position for i in rows.items] == list(range(1, 13))
    with app.test_request_context():
        services.finalise(world.director_a, services.load_appraisal(mine.id))
        db.session.commit()
    assert _compare(app, mine.id).finalised_by_name == world.director_a.display_name
    with app.test_request_context():
        services.reopen(world.director_a, services.load_appraisal(mine.id), "补录")
        db.session.commit()
    assert _compare(app, mine.id).finalised_by_name is None  # shown with the finalising time only
    with app.test_request_context():
        assert queries.load_sheet(-1) is None


def _courses(world):
    from portal.training.models import Course, CourseTag

    made = {}
    specs = [  # title, team, published, tags
        ("B 电话", world.team_a, True, ["电话拜访", "CALLS"]),  # two of the calls item's tags
        ("A 电话", None, True, ["电话销售"]),
        ("C 拜访", world.team_a, True, ["拜访", "客户拜访", "visits_existing"]),
        ("D 全部", None, True, ["calls", "拜访", "新客户开发", "潜在客户", "订单"]),
        ("E 别队", world.team_b, True, ["电话拜访", "拜访"]),  # another team's: not for director A
        ("F 草稿", world.team_a, False, ["电话拜访"]),  # unpublished
        ("G 订单", None, True, ["订单", "成交"]),
        ("H 成交", None, True, ["成交"]),
        ("I 成交", world.team_a, True, ["成交 "]),  # the stored tag has a space: not matched
        ("J 成交", None, True, ["成交"]), ("K 成交", None, True, ["成交"]), ("L 成交", None, True, ["成交"]),
    ]
    for title, team, published, tags in specs:
        course = Course(title=title, summary="", owner_id=world.director_a.id, team_id=team.id if team else None,
                        published=published)
        db.session.add(course)
        db.session.flush()
        for tag in tags:
            db.session.add(CourseTag(course_id=course.id, tag=tag))
        made[title] = course
    db.session.commit()
    return made


def test_suggestions_are_courses_tagged_for_each_weak_item_in_one_query(app, world, cycle, count_queries):
    from portal.training.queries import courses_tagged
    from portal.training.services import can_see_course

    _courses(world)
    mine = _mine(cycle, world)
    for viewer in (world.director_a, world.gm):
        with app.test_request_context():
            sheet = queries.load_sheet(mine.id)
            weak = loop.weak_items(sheet)
            assert len(weak) >= 4
            # per item, as the sheet suggested them before: courses_tagged, what the viewer may open, 5 at most
            expected = []
            for item in weak:
                tags = [item.metric, item.name_zh, item.name_en, *loop.KEYWORDS.get(item.metric, [])]
                courses = [c for c in courses_tagged(tags) if can_see_course(viewer, c)][:5]
                if courses:
                    expected.append((item.metric, [c.title for c in courses]))
            with count_queries() as q:
                got = loop.suggested_courses(sheet, viewer)
            assert q.n == 1
            assert [(item.metric, [c.title for c in courses]) for item, courses in got] == expected
    calls = dict(expected)["calls"]
    assert calls == ["B 电话", "A 电话", "D 全部", "E 别队"]  # the GM's: most tags first, then by title
    assert len(dict(expected)["orders_per_week"]) == 5


def test_sheet_page_items_links_and_inputs(app, client, world, cycle):
    mine = _mine(cycle, world)
    with app.test_request_context():
        appraisal = services.load_appraisal(mine.id)
        calls, conduct = _item(appraisal, "calls"), _item(appraisal, "conduct")
        odd = _item(appraisal, "new_prospects")
        odd.metric = "my code/新"  # a template may name its own metric codes: the link is quoted as url_for does
        calls.adjusted, calls.adjust_reason, calls.remark, conduct.judged = D(9), "<记错>", "备注", D(3)
        db.session.commit()
        odd_link = url_for("appraisals.evidence", appraisal_id=mine.id, metric=odd.metric)
    sign_in(client, world.director_a)
    html = client.get(f"/appraisals/{mine.id}").get_data(as_text=True)
    assert f'href="/appraisals/{mine.id}/evidence/calls"' in html and f'href="{odd_link}"' in html
    assert "evidence/planned_target" not in html and "evidence/plan_report_rate" not in html
    assert f'name="adjusted_{calls.id}" inputmode="decimal" value="9.00"' in html
    assert f'name="reason_{calls.id}" value="&lt;记错&gt;"' in html and 'value="备注"' in html
    assert re.search(rf'name="judged_{conduct.id}">.*?<option value="3" selected>3</option>', html, re.S)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert f'name="self_{calls.id}"' not in html
    # a refused save shows what was typed, not what is saved
    resp = client.post(f"/appraisals/{mine.id}/review", data={
        "comment": "x", "version": version, f"adjusted_{calls.id}": "abc", f"reason_{calls.id}": "r",
        f"remark_{calls.id}": "新备注"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'value="abc"' in html and 'value="新备注"' in html and "is-invalid" in html
    sign_in(client, world.rep_a)
    html = client.get(f"/appraisals/{mine.id}").get_data(as_text=True)
    assert f'name="self_{calls.id}" inputmode="decimal" value=""' in html and f'name="adjusted_{calls.id}"' not in html
    assert f'href="/appraisals/{mine.id}/evidence/calls"' in html


def test_cycle_summary_ranks_and_exports_the_same_rows(app, client, world, make_user, cycle):
    late = make_user("rep", world.team_a, username="rep_late")
    with app.test_request_context():
        extra = services.open_cycle(world.director_a, world.team_a.id, PERIOD.previous())
        db.session.commit()
        sheets = {a.rep_id: a for a in extra.appraisals}
        sheets[world.rep_a.id].total, sheets[world.rep_a2.id].total, sheets[late.id].total = D("3.10"), D("4.20"), None
        db.session.commit()
        ranked = queries.ranked(extra.id)
    assert [a.rep_name for a in ranked] == [world.rep_a2.display_name, world.rep_a.display_name, late.display_name]
    assert all(len(a.items) == 12 for a in ranked)
    sign_in(client, world.director_a)
    html = client.get(f"/appraisals/cycles/{extra.id}").get_data(as_text=True)
    links = re.findall(r'<a href="/appraisals/(\d+)">', html)
    assert [int(x) for x in links] == [a.id for a in ranked]
    wb = load_workbook(io.BytesIO(client.get(f"/appraisals/cycles/{extra.id}/summary.xlsx").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [a.rep_name for a in ranked]
    assert [r[5:] for r in rows[1:]] == [tuple(None if s is None else float(s) for *_name, s in a.items)
                                         for a in ranked]
    sign_in(client, world.rep_a)
    resp = client.get(f"/appraisals/cycles/{extra.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/appraisals/{sheets[world.rep_a.id].id}")
