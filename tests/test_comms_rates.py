"""Appraisal item 11 (工作计划、汇报完成率): completion rates, hand-worked for October 2026.

October 2026 in the Chinese calendar: 1–7 October are the National Day holiday and Saturday
10 October is an adjusted working day, so October has 18 working days (8, 9, 10, 12–16, 19–23, 26–30).

A weekly team (plans due Monday 10:00, reports Friday 18:00) owes in October:
  week of 5 Oct: Monday is a holiday and so is every day before it that week, so the plan is due on
                  the first working day after, Thursday 8 Oct 10:00; the report on Friday 9 Oct 18:00;
  weeks of 12, 19 and 26 Oct: plans on 12, 19, 26 Oct 10:00; reports on 16, 23, 30 Oct 18:00.
  (The week of 28 Sep had its plan on 28 Sep and its report moved to Wednesday 30 Sep: September's.)
  → 4 plans and 4 reports due.
A daily team owes a plan (09:30) and a report (18:00) on each of the 18 working days: 18 + 18.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.comms.models import Task, TaskAssignment, WorkPlan, WorkReport
from portal.comms.queries import completion_rates
from portal.comms.schedule import Rules, due_day_in_week, slot_for
from portal.core import settings
from portal.core.db import db
from portal.core.periods import Period

SH = ZoneInfo("Asia/Shanghai")
OCTOBER = Period.containing("month", date(2026, 10, 1))
AFTER = datetime(2026, 11, 5, 12, tzinfo=SH).astimezone(UTC)


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def test_due_days_follow_the_holiday_calendar(app):
    rules = Rules()
    assert due_day_in_week(date(2026, 10, 5), 0) == date(2026, 10, 8)  # Mon 5–Wed 7 are holidays
    assert due_day_in_week(date(2026, 9, 28), 4) == date(2026, 9, 30)  # Fri 2 Oct is a holiday
    slot = slot_for(rules, date(2026, 10, 6))
    assert (slot.start, slot.plan_due, slot.report_due) == (date(2026, 10, 5), at(10, 8, 10), at(10, 9, 18))
    daily = Rules(cadence="day")
    assert slot_for(daily, date(2026, 10, 10)).report_due == at(10, 10, 18)  # the adjusted Saturday
    assert slot_for(daily, date(2026, 10, 3)).report_due is None  # a holiday: nothing due


def _report(rep, start, due, submitted, cadence="week"):
    db.session.add(WorkReport(owner_id=rep.id, team_id=rep.team_id, cadence=cadence, period_start=start,
                              due_at=due, submitted_at=submitted, late=submitted > due))


def _task(assigner, rep, due_on, status, completed=None):
    deadline = datetime.combine(due_on + timedelta(days=1), datetime.min.time(), tzinfo=SH)
    task = Task(title=f"due {due_on}", priority="normal", due_on=due_on, deadline_at=deadline,
                assigner_id=assigner.id, team_id=assigner.team_id)
    task.parts.append(TaskAssignment(assignee_id=rep.id, team_id=rep.team_id, status=status, completed_at=completed))
    db.session.add(task)


@pytest.fixture
def october(world, make_user):
    """rep_a (weekly team A): some on time, some late, one missing; rep_b (daily team B): one day filed;
    a newcomer to team A who joined on 20 October and filed nothing."""
    a, b = world.rep_a, world.rep_b
    settings.put("comms.report_cadence", "day", team_id=world.team_b.id)
    newcomer = make_user("rep", world.team_a, joined_on=date(2026, 10, 20))
    # rep_a plans: 8 Oct on time, 12 Oct late (11:00 > 10:00), 19 Oct on time, 26 Oct missing.
    db.session.add_all([
        WorkPlan(owner_id=a.id, team_id=a.team_id, cadence="week", period_start=date(2026, 10, 5),
                 due_at=at(10, 8, 10), submitted_at=at(10, 8, 9)),
        WorkPlan(owner_id=a.id, team_id=a.team_id, cadence="week", period_start=date(2026, 10, 12),
                 due_at=at(10, 12, 10), submitted_at=at(10, 12, 11), late=True),
        WorkPlan(owner_id=a.id, team_id=a.team_id, cadence="week", period_start=date(2026, 10, 19),
                 due_at=at(10, 19, 10), submitted_at=at(10, 18, 20)),
        # September's week: its plan is not October's business.
        WorkPlan(owner_id=a.id, team_id=a.team_id, cadence="week", period_start=date(2026, 9, 28),
                 due_at=at(9, 28, 10), submitted_at=at(9, 28, 9)),
    ])
    # rep_a reports: 9 Oct on time, 16 Oct late (Saturday morning), 23 and 30 Oct on time.
    _report(a, date(2026, 10, 5), at(10, 9, 18), at(10, 9, 17))
    _report(a, date(2026, 10, 12), at(10, 16, 18), at(10, 17, 9))
    _report(a, date(2026, 10, 19), at(10, 23, 18), at(10, 23, 17, 59))
    _report(a, date(2026, 10, 26), at(10, 30, 18), at(10, 30, 18))  # exactly at the due time counts
    # rep_a task parts: due 9 Oct done 20:00 that day (on time: the whole due day counts); due 15 Oct
    # done on the 16th (late); due 20 Oct accepted, done on the 19th; due 30 Oct still open; due 2 Nov
    # (November's).
    _task(world.director_a, a, date(2026, 10, 9), "done", at(10, 9, 20))
    _task(world.director_a, a, date(2026, 10, 15), "done", at(10, 16, 9))
    _task(world.director_a, a, date(2026, 10, 20), "accepted", at(10, 19, 15))
    _task(world.director_a, a, date(2026, 10, 30), "in_progress")
    _task(world.director_a, a, date(2026, 11, 2), "done", at(10, 30, 9))
    # rep_b, daily team: only Saturday 10 October filed, both on time.
    db.session.add(WorkPlan(owner_id=b.id, team_id=b.team_id, cadence="day", period_start=date(2026, 10, 10),
                            due_at=at(10, 10, 9, 30), submitted_at=at(10, 10, 9)))
    _report(b, date(2026, 10, 10), at(10, 10, 18), at(10, 10, 17), cadence="day")
    db.session.commit()
    return {"a": a, "b": b, "newcomer": newcomer}


def test_hand_worked_october(app, october):
    a, b, newcomer = october["a"], october["b"], october["newcomer"]
    rates = completion_rates([a.id, b.id, newcomer.id], OCTOBER, now=AFTER)
    assert rates[a.id] == {"plans_due": 4, "plans_on_time": 2, "reports_due": 4, "reports_on_time": 3,
                           "tasks_due": 4, "tasks_on_time": 2, "rate": 58.3}  # 7 / 12
    assert rates[b.id] == {"plans_due": 18, "plans_on_time": 1, "reports_due": 18, "reports_on_time": 1,
                           "tasks_due": 0, "tasks_on_time": 0, "rate": 5.6}  # 2 / 36
    # Joined on 20 Oct: the plan of 19 Oct was not theirs to file; the reports of 23 and 30 Oct and the
    # plan of 26 Oct were.
    assert rates[newcomer.id] == {"plans_due": 1, "plans_on_time": 0, "reports_due": 2, "reports_on_time": 0,
                                  "tasks_due": 0, "tasks_on_time": 0, "rate": 0.0}


def test_mid_period_counts_only_what_fell_due(app, october):
    a = october["a"]
    now = at(10, 16, 12)  # Friday 16 October, noon: that day's report is not due yet
    rate = completion_rates([a.id], OCTOBER, now=now)[a.id]
    assert (rate["plans_due"], rate["plans_on_time"]) == (2, 1)
    assert (rate["reports_due"], rate["reports_on_time"]) == (1, 1)
    assert (rate["tasks_due"], rate["tasks_on_time"]) == (2, 1)  # due 9 Oct and 15 Oct have passed
    assert rate["rate"] == 60.0  # 3 / 5


def test_nothing_due_gives_no_rate(app, world):
    holiday_week = Period("week", date(2026, 10, 1), date(2026, 10, 5))
    assert completion_rates([world.rep_a.id], holiday_week, now=AFTER)[world.rep_a.id]["rate"] is None
    assert completion_rates([], OCTOBER) == {}


def test_query_count_does_not_grow_with_reps(app, world, make_user, count_queries):
    few = [world.rep_a.id, world.rep_a2.id]
    many = few + [make_user("rep", world.team_a).id for _ in range(25)]
    completion_rates(few, OCTOBER, now=AFTER)
    with count_queries() as q_few:
        completion_rates(few, OCTOBER, now=AFTER)
    with count_queries() as q_many:
        completion_rates(many, OCTOBER, now=AFTER)
    assert q_many.n == q_few.n <= 6
    # Aggregates, not per-rep queries.
    # Plans and reports filed on time in one UNION ALL of two GROUP BYs, task parts in another.
    assert sum("GROUP BY" in s for s in q_many.statements) == 2
    assert sum(s.count("GROUP BY") for s in q_many.statements) == 3


def test_rows_are_plain_numbers(app, october):
    rows = completion_rates([october["a"].id], OCTOBER, now=AFTER)
    assert set(next(iter(rows.values()))) == {"plans_due", "plans_on_time", "reports_due", "reports_on_time",
                                              "tasks_due", "tasks_on_time", "rate"}
    assert db.session.scalar(select(WorkPlan.id).limit(1)) is not None


def test_slots_between_are_the_slots_of_each_day_in_the_range(app):
    """slots_between steps a week at a time for a weekly cadence: the same slots, in the same order, as
    taking the slot of every day from six days before the start, across the National Day week (days off
    and make-up working Saturdays) and for every due weekday."""
    from datetime import date, timedelta

    from portal.comms.schedule import Rules, slot_for, slots_between

    def day_by_day(rules, first, end):
        out = []
        day = first - timedelta(days=6)
        while day < end:
            slot = slot_for(rules, day)
            if (slot.plan_due or slot.report_due) and slot not in out:
                out.append(slot)
            day += timedelta(days=1)
        return out

    with app.app_context():
        for cadence in ("week", "day"):
            for weekday in range(7):
                rules = Rules(cadence=cadence, weekly_plan_weekday=weekday, weekly_report_weekday=(weekday + 4) % 7)
                for offset in range(0, 70, 5):
                    first = date(2026, 9, 1) + timedelta(days=offset)
                    for days in (1, 9, 31, 92):
                        end = first + timedelta(days=days)
                        assert slots_between(rules, first, end) == day_by_day(rules, first, end), \
                            (cadence, weekday, first, days)
