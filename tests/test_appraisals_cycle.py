"""A cycle computed from the records, with hand-worked figures; the review workflow; who sees what."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from conftest import sign_in, with_fragments
from sqlalchemy import select

from portal.appraisals import labels, services
from portal.appraisals.models import Appraisal, AppraisalTemplate
from portal.core.db import db
from portal.core.periods import Period

SH = ZoneInfo("Asia/Shanghai")
PERIOD = Period.containing("month", date(2026, 9, 1))  # September 2026


def at(day: date, hh: int = 10, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as the aware UTC instant the database stores."""
    return datetime.combine(day, time(hh, mm), tzinfo=SH).astimezone(UTC)


@pytest.fixture
def records(world):
    """Team A's records for September 2026, owned by rep_a (and a little for rep_a2)."""
    from portal.contracts.models import Order
    from portal.customers.models import Activity, Customer, ResourceRequest
    from portal.plans.models import Target

    rep, team = world.rep_a, world.team_a
    n = iter(range(1000))

    def customer(status="active", activated=None, created=None, lost=None, by=rep):
        k = next(n)
        c = Customer(name=f"客户{k}", name_key=f"key{k}", team_id=team.id, owner_id=by.id, created_by_id=by.id,
                     status=status, created_at=created or at(date(2026, 1, 5)), activated_at=activated,
                     activated_by_id=by.id if activated else None, lost_at=lost, lost_by_id=by.id if lost else None)
        db.session.add(c)
        db.session.flush()
        return c

    old = customer(activated=at(date(2026, 3, 1)))
    customer(activated=at(date(2026, 9, 10)), created=at(date(2026, 8, 20)))  # new customer in September
    customer(status="prospect", created=at(date(2026, 9, 3)))  # a prospect created in September
    customer(status="prospect", created=at(date(2026, 9, 30, ), 23, 59))  # last minute of the month
    customer(status="prospect", created=at(date(2026, 10, 1), 0, 0))  # first minute of October: not counted
    customer(status="lost", activated=at(date(2026, 2, 1)), lost=at(date(2026, 9, 20)))

    def activity(kind, when, c=old, by=rep):
        db.session.add(Activity(kind=kind, customer_id=c.id, owner_id=by.id, team_id=team.id, occurred_at=when,
                                summary=f"{kind} at {when.isoformat()}"))

    activity("visit", at(date(2026, 9, 2)))
    activity("visit", at(date(2026, 9, 30), 23, 59))  # counts
    activity("visit", at(date(2026, 10, 1), 0, 0))  # next period
    activity("visit", at(date(2026, 8, 31), 23, 59))  # previous period
    for day in (3, 4, 8):
        activity("call", at(date(2026, 9, day)))
    activity("call", at(date(2026, 9, 9)), by=world.rep_a2)

    def order(day, amount, by=rep):
        db.session.add(Order(ordered_on=day, customer_id=old.id, amount=D(amount), owner_id=by.id, team_id=team.id))

    order(date(2026, 9, 5), "40000.00")
    order(date(2026, 9, 30), "20000.00")
    order(date(2026, 10, 1), "99999.00")  # October
    order(date(2026, 8, 15), "50000.00")  # August: the previous period
    db.session.add(Target(scope="rep", team_id=team.id, owner_id=rep.id, measure="sales", base=D("100000.00"),
                          period_kind="month", period_key=PERIOD.key, period_start=PERIOD.start,
                          period_end=PERIOD.end))

    def request(asked, due, answered=None):
        db.session.add(ResourceRequest(customer_id=old.id, kind="samples", description="样品", asked_at=asked,
                                       due_at=due, answered_at=answered, assignee_id=rep.id, team_id=team.id))

    request(at(date(2026, 9, 7)), at(date(2026, 9, 8)), at(date(2026, 9, 7), 15))  # on time
    request(at(date(2026, 9, 14)), at(date(2026, 9, 15)), at(date(2026, 9, 17)))  # late
    db.session.commit()
    return world


def _item(appraisal, metric):
    return next(i for i in appraisal.items if i.metric == metric)


def test_cycle_fills_every_computed_item(app, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    appraisal = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    assert len(cycle.appraisals) == 2  # rep_a and rep_a2
    assert _item(appraisal, "planned_target").computed == D("100000.00")
    sales = _item(appraisal, "actual_sales")
    assert sales.computed == D("60000.00") and sales.target == D("100000.00")
    assert sales.score == D("1.00")  # 60 % of target: 5 × (60 − 50) / 50
    assert _item(appraisal, "new_customers").computed == 1
    assert _item(appraisal, "visits_existing").computed == 2  # 23:59 on the 30th counts, 00:00 on the 1st not
    assert _item(appraisal, "calls").computed == 3  # rep_a2's call is theirs
    assert _item(appraisal, "new_prospects").computed == 2  # 3 Sep and 23:59 on 30 Sep
    assert _item(appraisal, "customers_lost").computed == 1
    assert _item(appraisal, "customers_lost").score == D("4.00")
    weeks = D(PERIOD.working_days()) / 5
    assert _item(appraisal, "orders_per_week").computed == (D(2) / weeks).quantize(D("0.01"))
    assert _item(appraisal, "growth").computed == D("20.00")  # 60,000 against August's 50,000
    assert _item(appraisal, "growth").score == D("5.00")
    assert _item(appraisal, "request_response").computed == D("50.00")  # 1 of 2 answered in time
    # Visits target: 12 a month scaled to September's 30 days
    assert _item(appraisal, "visits_existing").target == (D(12) * 30 / D("30.4375")).quantize(D("0.01"))
    # rep_a2 has no sales target: item 2 has no score, with the reason, and is left out of the total
    other = next(a for a in cycle.appraisals if a.rep_id == world.rep_a2.id)
    assert _item(other, "actual_sales").score is None and _item(other, "actual_sales").note == "no_target"
    assert _item(other, "growth").computed is None and _item(other, "growth").note == "no_previous"
    assert other.total is not None


def test_three_periods_of_orders_in_one_statement(app, records, count_queries):
    """The sheet's sales, growth and year-on-year read three periods' orders in one round trip, each
    period summed on its own (the orders between them are not counted)."""
    from portal.contracts.queries import order_totals, order_totals_by_period

    world = records
    reps = [world.rep_a.id, world.rep_a2.id]
    periods = (PERIOD, PERIOD.previous(), PERIOD.same_last_year(), PERIOD.next())
    with count_queries() as q:
        together = order_totals_by_period(periods, "rep", reps)
    assert q.n == 1
    assert together == [order_totals(p, "rep", reps) for p in periods]
    assert together[0][world.rep_a.id] == (D("60000.00"), 2, D("0.00"))
    assert together[1][world.rep_a.id][0] == D("50000.00") and together[2] == {}
    assert together[3][world.rep_a.id][0] == D("99999.00")


def test_work_plan_rate_comes_from_the_communication_feature(app, records):
    from portal.comms.queries import completion_rates

    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        expected = completion_rates([world.rep_a.id], PERIOD)[world.rep_a.id]["rate"]
    appraisal = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    value = _item(appraisal, "plan_report_rate").computed
    assert (value is None and expected is None) or value == D(str(expected))


def test_cycle_query_count_does_not_grow_with_reps(app, world, make_user, count_queries):
    def run(period):
        with app.test_request_context(), count_queries() as q:
            services.open_cycle(world.director_b, world.team_b.id, period)
            db.session.flush()
        db.session.commit()
        # Each rep is told by one notification row (an INSERT each); everything else is shared.
        return q.n - sum(1 for s in q.statements if s.startswith("INSERT INTO notification"))

    run(Period.containing("month", date(2026, 6, 1)))  # the first cycle also creates the default template
    small = run(Period.containing("month", date(2026, 7, 1)))
    for _ in range(12):
        make_user("rep", world.team_b)
    big = run(Period.containing("month", date(2026, 8, 1)))
    assert big == small, (small, big)  # sheets are inserted in bulk; the figures are GROUP BY queries


def test_review_finalise_acknowledge(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    appraisal = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    conduct = _item(appraisal, "conduct")
    sign_in(client, world.director_a)
    # finalising without the judged score is refused with the reason, nothing lost
    resp = client.post(f"/appraisals/{appraisal.id}/review", data={"comment": "继续努力", "finalise": "1",
                                                                    "version": appraisal.version})
    assert resp.status_code == 200 and "继续努力" in resp.get_data(as_text=True)
    db.session.refresh(appraisal)
    assert appraisal.state == "open"
    # an adjustment without a reason is refused beside the field
    calls = _item(appraisal, "calls")
    resp = client.post(f"/appraisals/{appraisal.id}/review", data={
        "comment": "好", f"judged_{conduct.id}": "4", f"adjusted_{calls.id}": "5", f"reason_{calls.id}": "",
        "version": appraisal.version})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)
    resp = client.post(f"/appraisals/{appraisal.id}/review", data={
        "comment": "本月表现良好", f"judged_{conduct.id}": "4", f"adjusted_{calls.id}": "5",
        f"reason_{calls.id}": "两次电话记在了同事名下", "finalise": "1", "version": appraisal.version})
    assert resp.status_code == 302
    db.session.expire_all()
    appraisal = db.session.get(Appraisal, appraisal.id)
    assert appraisal.state == "finalised"
    calls = _item(appraisal, "calls")
    assert calls.computed == 3 and calls.adjusted == 5 and calls.adjust_reason
    assert _item(appraisal, "conduct").score == D("4.00")
    # locked: a further review is refused
    resp = client.post(f"/appraisals/{appraisal.id}/review", data={"comment": "x", "version": appraisal.version})
    assert resp.status_code == 200 and appraisal.comment == "本月表现良好"
    # the rep acknowledges with a disagreement; the GM sees it
    sign_in(client, world.rep_a)
    resp = client.post(f"/appraisals/{appraisal.id}/acknowledge", data={"disagreement": "拜访数有遗漏"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appraisal, appraisal.id).state == "disputed"
    sign_in(client, world.gm)
    assert "拜访数有遗漏" in client.get(f"/appraisals/{appraisal.id}").get_data(as_text=True)
    # reopening needs a reason, and is audited
    sign_in(client, world.director_a)
    client.post(f"/appraisals/{appraisal.id}/reopen", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Appraisal, appraisal.id).state == "disputed"
    client.post(f"/appraisals/{appraisal.id}/reopen", data={"reason": "补录两次拜访"})
    db.session.expire_all()
    assert db.session.get(Appraisal, appraisal.id).state == "open"


def test_stale_version_is_refused_and_keeps_input(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    appraisal = cycle.appraisals[0]
    sign_in(client, world.director_a)
    old_version = appraisal.version
    client.post(f"/appraisals/{appraisal.id}/review", data={"comment": "第一个版本", "version": old_version})
    resp = client.post(f"/appraisals/{appraisal.id}/review", data={"comment": "我的修改", "version": old_version})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "我的修改" in body


def test_changes_after_finalising_are_shown(app, client, records):
    from portal.contracts.models import Order

    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        appraisal = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
        conduct = _item(appraisal, "conduct")
        services.save_review(world.director_a, appraisal, judged={conduct.id: D(3)}, remarks={}, adjustments={},
                             comment="ok")
        services.finalise(world.director_a, appraisal)
        db.session.commit()
    customer_id = db.session.scalar(select(Order.customer_id).limit(1))
    db.session.add(Order(ordered_on=date(2026, 9, 29), customer_id=customer_id, amount=D("1000.00"),
                         owner_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.commit()
    sign_in(client, world.director_a)
    html = client.get(f"/appraisals/{appraisal.id}").get_data(as_text=True)
    assert "60000.00 → 61000.00" in html
    db.session.refresh(appraisal)
    assert _item(appraisal, "actual_sales").computed == D("60000.00")  # the locked figure stays


def test_template_change_leaves_made_appraisals_alone(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    tpl = db.session.scalar(select(AppraisalTemplate))
    sign_in(client, world.gm)
    data = {"name": "新模板", "team_id": 0, "period_kind": "", "bands": "A 4.5, B 3.5, C 2.5, D 0",
            "rows": len(tpl.items)}
    for n, item in enumerate(tpl.items):
        data.update({f"metric_{n}": item.metric, f"name_zh_{n}": item.name_zh, f"name_en_{n}": item.name_en,
                     f"weight_{n}": str(item.weight), f"rule_{n}": item.rule,
                     f"target_{n}": "" if item.target is None else str(item.target),
                     f"floor_{n}": "" if item.floor is None else str(item.floor)})
    data["weight_1"] = "30"  # 105 in all: refused
    resp = client.post(f"/appraisals/templates/{tpl.id}/edit", data=data)
    assert resp.status_code == 200 and "100" in resp.get_data(as_text=True)
    data["weight_1"], data["weight_2"] = "30", "5"  # 100 again
    assert client.post(f"/appraisals/templates/{tpl.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    appraisal = db.session.get(Appraisal, cycle.appraisals[0].id)
    assert _item(appraisal, "actual_sales").weight == 25


def test_who_sees_which_appraisal(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    mine = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    other = next(a for a in cycle.appraisals if a.rep_id == world.rep_a2.id)
    sign_in(client, world.rep_a)
    assert client.get(f"/appraisals/{mine.id}").status_code == 200
    assert client.get(f"/appraisals/{other.id}").status_code == 404
    assert client.get(f"/appraisals/{other.id}/sheet.xlsx").status_code == 404
    assert client.get(f"/appraisals/{other.id}/evidence/calls").status_code == 404
    assert client.get(f"/appraisals/cycles/{cycle.id}/summary.xlsx").status_code == 403
    sign_in(client, world.director_b)
    assert client.get(f"/appraisals/{mine.id}").status_code == 404
    assert client.get(f"/appraisals/cycles/{cycle.id}").status_code == 404
    sign_in(client, world.gm)
    assert client.get(f"/appraisals/cycles/{cycle.id}").status_code == 200
    resp = client.get(f"/appraisals/cycles/{cycle.id}/summary.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"


def test_evidence_lists_the_rows_counted(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    mine = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    sign_in(client, world.director_a)
    html = client.get(f"/appraisals/{mine.id}/evidence/visits_existing").get_data(as_text=True)
    assert "2026-09-30 23:59" in html and "2026-10-01 00:00" not in html and "2026-08-31" not in html


def test_archive_on_profile(app, client, records):
    world = records
    with app.test_request_context():
        services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    sign_in(client, world.director_a)
    resp = client.post(f"/appraisals/people/{world.rep_a.id}/notes",
                       data={"kind": "warning", "on": "2026-09-20", "text": "迟交周报三次"})
    assert resp.status_code == 302
    assert "迟交周报三次" in with_fragments(client, f"/people/{world.rep_a.id}")
    sign_in(client, world.rep_a)
    html = with_fragments(client, f"/people/{world.rep_a.id}")
    assert PERIOD.key in html and "迟交周报三次" not in html
    assert client.post(f"/appraisals/people/{world.rep_a.id}/notes",
                       data={"kind": "warning", "on": "2026-09-20", "text": "x"}).status_code == 403


def test_rep_self_assessment(app, client, records):
    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    mine = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    calls = _item(mine, "calls")
    sign_in(client, world.rep_a)
    resp = client.post(f"/appraisals/{mine.id}/self", data={"self_assessment": "完成了主要目标",
                                                            f"self_{calls.id}": "9", "version": mine.version})
    assert resp.status_code == 200 and "完成了主要目标" in resp.get_data(as_text=True)
    # The refused save keeps nothing: neither the text nor any score, and the version is the same.
    db.session.expire_all()
    kept = db.session.get(Appraisal, mine.id)
    assert kept.self_assessment is None and kept.version == mine.version
    assert _item(kept, "calls").self_score is None
    resp = client.post(f"/appraisals/{mine.id}/self", data={"self_assessment": "完成了主要目标",
                                                            f"self_{calls.id}": "4", "version": mine.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appraisal, mine.id).self_assessment == "完成了主要目标"


def test_joined_mid_period_scales_targets(app, world, make_user):
    late = make_user("rep", world.team_a, joined_on=date(2026, 9, 16))
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
    appraisal = next(a for a in cycle.appraisals if a.rep_id == late.id)
    assert appraisal.presence == D("0.5000")
    assert _item(appraisal, "calls").target == (D(30) * 30 / D("30.4375") * D("0.5")).quantize(D("0.01"))


def test_opening_twice_is_refused(app, client, world):
    sign_in(client, world.director_a)
    data = {"team_id": world.team_a.id, "period_kind": "month", "period_key": "2026-09"}
    assert client.post("/appraisals/cycles", data=data).status_code == 302
    resp = client.post("/appraisals/cycles", data=data)
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)
    resp = client.post("/appraisals/cycles", data={**data, "period_key": "2026-Q3"})
    assert resp.status_code == 200  # a quarter key for a month cycle
    resp = client.post("/appraisals/cycles", data={**data, "team_id": world.team_b.id, "period_key": "2026-08"})
    assert resp.status_code == 200  # not their team: the choice is not offered


def test_weak_items_suggest_tagged_courses_and_assign(app, client, records):
    from portal.training.models import Assignment, Course, CourseTag

    world = records
    course = Course(title="电话销售技巧", summary="", owner_id=world.director_a.id, team_id=world.team_a.id,
                    published=True)
    db.session.add(course)
    db.session.flush()
    db.session.add(CourseTag(course_id=course.id, tag="电话拜访"))
    db.session.commit()
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        db.session.commit()
    mine = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
    assert _item(mine, "calls").score < D("2.5")  # 3 calls against a target of about 29.6
    sign_in(client, world.director_a)
    html = client.get(f"/appraisals/{mine.id}").get_data(as_text=True)
    assert "电话销售技巧" in html
    resp = client.post(f"/appraisals/{mine.id}/assign-course", data={"course_id": course.id})
    assert resp.status_code == 302
    assert db.session.scalar(select(Assignment).where(Assignment.user_id == world.rep_a.id)) is not None


def test_team_robot_announces_when_the_last_sheet_is_final(app, records):
    from portal.robots.models import Robot, RobotOutbox

    world = records
    db.session.add(Robot(name="华东群", platform="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
                         team_id=world.team_a.id, events=["appraisal_published"], active=True))
    db.session.commit()
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        for n, appraisal in enumerate(cycle.appraisals):
            conduct = _item(appraisal, "conduct")
            services.save_review(world.director_a, appraisal, judged={conduct.id: D(4)}, remarks={}, adjustments={},
                                 comment="好")
            services.finalise(world.director_a, appraisal)
            queued = db.session.scalars(select(RobotOutbox).where(RobotOutbox.event == "appraisal_published")).all()
            assert len(queued) == (1 if n == len(cycle.appraisals) - 1 else 0)
        assert PERIOD.key in queued[0].title


def test_archive_figures_are_the_sheets(app, records):
    """The archive reads its items as plain rows: the same scores, sales target and actual (the
    director's adjustment winning over the computed figure) as the sheet's ORM items give."""
    from portal.appraisals.archive import archive_context

    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        mine = next(a for a in cycle.appraisals if a.rep_id == world.rep_a.id)
        sales = _item(mine, "actual_sales")
        sales.adjusted = (sales.computed or D(0)) + D("1234.50")
        db.session.commit()
        ctx = archive_context(world.director_a, world.rep_a)
        db.session.expire_all()
        mine = db.session.get(Appraisal, mine.id)
        sales = _item(mine, "actual_sales")
        assert [row[0].id for row in ctx["completion"]] == [mine.id]
        _a, target, actual, pct = ctx["completion"][0]
        assert (target, actual) == (sales.target, sales.actual) and actual == sales.adjusted
        assert pct == ((actual * 100 / target).quantize(1) if target else None)
        weighted = [i for i in mine.items if i.weight > 0]
        series = ctx["chart"]["series"][1:]
        assert [s["name"] for s in series] == [labels.item_name(i) for i in weighted]
        assert [s["data"] for s in series] == [[float(i.score) if i.score is not None else None] for i in weighted]


def test_manager_panel_counts_each_state(app, records):
    from collections import Counter

    from portal.appraisals.panels import _manager_panel

    world = records
    with app.test_request_context():
        cycle = services.open_cycle(world.director_a, world.team_a.id, PERIOD)
        cycle.appraisals[0].state = "disputed"
        db.session.commit()
        everyone = Counter(db.session.scalars(select(Appraisal.state)))
        assert _manager_panel(world.gm)["counts"] == everyone and everyone["disputed"] == 1
        team_b = _manager_panel(world.director_b)
        assert team_b["counts"] == {} and team_b["disputed"] == []
        assert _manager_panel(world.director_a)["counts"] == everyone
