"""The appraisal's figures from the customer log, with hand-worked numbers and period edges.

The period is March 2026 in Asia/Shanghai: [2026-03-01 00:00+08, 2026-04-01 00:00+08), that is
[2026-02-28 16:00Z, 2026-03-31 16:00Z). 23:59 on 31 March counts; 00:00 on 1 April does not.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from samples_customers import customer, stage

from portal.core.db import db
from portal.core.periods import Period
from portal.customers import queries
from portal.customers.models import Activity, Opportunity, ResourceRequest

SH = ZoneInfo("Asia/Shanghai")
MARCH = Period.parse("2026-03")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


LAST_MINUTE = sh(2026, 3, 31, 23, 59)
NEXT_DAY = sh(2026, 4, 1, 0, 0)
FIRST_MINUTE = sh(2026, 3, 1, 0, 0)
BEFORE = sh(2026, 2, 28, 23, 59)


def test_bounds_are_shanghai_days():
    start, end = MARCH.bounds_utc()
    assert (start.isoformat(), end.isoformat()) == ("2026-02-28T16:00:00+00:00", "2026-03-31T16:00:00+00:00")


def test_new_customers_activated(world):
    a, a2 = world.rep_a, world.rep_a2
    customer(a, status="active", activated_at=LAST_MINUTE, activated_by_id=a.id)  # counts
    customer(a, status="active", activated_at=NEXT_DAY, activated_by_id=a.id)  # April
    customer(a2, status="active", activated_at=FIRST_MINUTE, activated_by_id=a2.id)  # counts
    customer(a2, status="active", activated_at=BEFORE, activated_by_id=a2.id)  # February
    # Activated by rep_a, later handed to rep_a2: still rep_a's development.
    customer(a2, status="active", activated_at=sh(2026, 3, 15, 10), activated_by_id=a.id)
    customer(world.rep_b, status="active", activated_at=sh(2026, 3, 15, 10), activated_by_id=world.rep_b.id)
    assert queries.new_customers_activated([a.id, a2.id], MARCH) == {a.id: 2, a2.id: 1}


def _log(rep, cust, kind, when):
    db.session.add(Activity(kind=kind, customer_id=cust.id, owner_id=rep.id, team_id=rep.team_id, occurred_at=when,
                            summary="x"))
    db.session.commit()


def test_visits_to_existing_customers(world):
    a, a2 = world.rep_a, world.rep_a2
    existing = customer(a, status="active", activated_at=sh(2025, 10, 1, 9))
    prospect = customer(a, status="prospect")
    new_in_march = customer(a, status="active", activated_at=sh(2026, 3, 10, 9))
    lost_before = customer(a, status="lost", activated_at=sh(2025, 9, 1, 9), lost_at=sh(2026, 2, 15, 9))
    lost_during = customer(a, status="lost", activated_at=sh(2025, 9, 1, 9), lost_at=sh(2026, 3, 20, 9))
    _log(a, existing, "visit", sh(2026, 3, 5, 10))  # 1
    _log(a, existing, "visit", LAST_MINUTE)  # 2
    _log(a, existing, "visit", NEXT_DAY)  # April
    _log(a, existing, "visit", BEFORE)  # February
    _log(a, existing, "call", sh(2026, 3, 6, 10))  # a call, not a visit
    _log(a, prospect, "visit", sh(2026, 3, 6, 10))  # development, not an existing customer
    _log(a, new_in_march, "visit", sh(2026, 3, 20, 10))  # became active during the period
    _log(a, lost_before, "visit", sh(2026, 3, 7, 10))  # lost before the period
    _log(a, lost_during, "visit", sh(2026, 3, 7, 10))  # 3: still a customer at the start
    _log(a2, existing, "visit", FIRST_MINUTE)  # rep_a2 visited rep_a's customer: theirs
    assert queries.visits_to_existing_customers([a.id, a2.id], MARCH) == {a.id: 3, a2.id: 1}


def test_calls(world):
    a = world.rep_a
    c = customer(a)
    _log(a, c, "call", FIRST_MINUTE)
    _log(a, c, "call", LAST_MINUTE)
    _log(a, c, "call", NEXT_DAY)
    _log(a, c, "call", BEFORE)
    _log(a, c, "visit", sh(2026, 3, 3, 9))
    _log(world.rep_b, customer(world.rep_b), "call", sh(2026, 3, 3, 9))
    assert queries.calls([a.id, world.rep_a2.id], MARCH) == {a.id: 2}
    assert queries.calls([world.rep_b.id], MARCH) == {world.rep_b.id: 1}


def test_prospects_created_and_customers_lost(world):
    a, a2 = world.rep_a, world.rep_a2
    customer(a, created_at=LAST_MINUTE)
    customer(a, created_at=FIRST_MINUTE, status="active")  # added in March, whatever its status now
    customer(a, created_at=NEXT_DAY)
    customer(a2, created_at=BEFORE)
    assert queries.prospects_created([a.id, a2.id], MARCH) == {a.id: 2}
    customer(a, status="lost", lost_at=LAST_MINUTE, lost_by_id=a.id)
    customer(a, status="lost", lost_at=NEXT_DAY, lost_by_id=a.id)
    # Lost while rep_a2 owned it, later won back and now rep_a's: still rep_a2's loss.
    customer(a, status="active", lost_at=sh(2026, 3, 9, 12), lost_by_id=a2.id)
    assert queries.customers_lost([a.id, a2.id], MARCH) == {a.id: 1, a2.id: 1}


def _request(rep, cust, due, answered=None):
    db.session.add(ResourceRequest(customer_id=cust.id, kind="samples", description="x", asked_at=due - timedelta(1),
                                   due_at=due, answered_at=answered, assignee_id=rep.id, team_id=rep.team_id))
    db.session.commit()


def test_requests_answered_on_time(world):
    a, a2 = world.rep_a, world.rep_a2
    c = customer(a)
    _request(a, c, sh(2026, 3, 10, 18), answered=sh(2026, 3, 10, 18))  # on time, to the minute
    _request(a, c, sh(2026, 3, 12, 18), answered=sh(2026, 3, 12, 18, 1))  # one minute late
    _request(a, c, LAST_MINUTE)  # due in March, never answered
    _request(a, c, NEXT_DAY, answered=sh(2026, 3, 30, 9))  # due in April: next period's
    _request(a2, c, FIRST_MINUTE, answered=sh(2026, 2, 27, 9))
    assert queries.requests_answered_on_time([a.id, a2.id], MARCH) == {a.id: (2, 1), a2.id: (1, 1)}
    assert queries.requests_due([a.id, a2.id], MARCH) == {a.id: 3, a2.id: 1}


def test_all_log_figures_in_one_statement_equal_each_figure(world, count_queries):
    """``log_figures`` (the appraisal's single round trip) gives what each figure's own query gives."""
    a, a2 = world.rep_a, world.rep_a2
    old = customer(a, status="active", activated_at=sh(2025, 1, 1, 9))
    customer(a, status="active", activated_at=sh(2026, 3, 5, 9), activated_by_id=a.id)
    customer(a2, status="active", lost_at=sh(2026, 3, 9, 12), lost_by_id=a2.id)
    _log(a, old, "visit", sh(2026, 3, 2, 9))
    _log(a2, old, "call", sh(2026, 3, 2, 10))
    _log(a2, old, "call", NEXT_DAY)
    _request(a, old, sh(2026, 3, 10, 18), answered=sh(2026, 3, 10, 18))
    _request(a2, old, LAST_MINUTE)
    ids = [a.id, a2.id, world.rep_b.id]
    with count_queries() as q:
        together = queries.log_figures(ids, MARCH)
    assert q.n == 1
    assert together == {
        "new_customers": queries.new_customers_activated(ids, MARCH),
        "visits_existing": queries.visits_to_existing_customers(ids, MARCH),
        "calls": queries.calls(ids, MARCH), "new_prospects": queries.prospects_created(ids, MARCH),
        "customers_lost": queries.customers_lost(ids, MARCH), "requests_due": queries.requests_due(ids, MARCH),
        "requests_answered": queries.requests_answered_on_time(ids, MARCH)}
    assert together["calls"] == {a2.id: 1} and together["requests_answered"] == {a.id: (1, 1), a2.id: (0, 0)}


def test_pipeline_weighted(world):
    s = stage()
    ca, cb = customer(world.rep_a), customer(world.rep_b)

    def opp(c, amount, probability, close, status="open", rep=None):
        rep = rep or (world.rep_a if c is ca else world.rep_b)
        db.session.add(Opportunity(title="o", customer_id=c.id, owner_id=rep.id, team_id=rep.team_id, stage_id=s.id,
                                   amount=Decimal(amount), probability=probability, expected_close=close,
                                   status=status))
        db.session.commit()

    from datetime import date

    opp(ca, "100000.00", 30, date(2026, 3, 1))  # 30,000.00
    opp(ca, "33333.33", 75, date(2026, 3, 31))  # 24,999.9975
    opp(ca, "50000.00", 50, date(2026, 4, 1))  # April
    opp(ca, "90000.00", 100, date(2026, 3, 15), status="won")  # no longer in the pipeline
    opp(cb, "10000.00", 10, date(2026, 3, 15))  # team B: 1,000.00
    # 54,999.9975 summed exactly, rounded once: 55,000.00
    assert queries.pipeline_weighted(("team", world.team_a.id), MARCH) == Decimal("55000.00")
    assert queries.pipeline_weighted(world.team_a, MARCH) == Decimal("55000.00")
    assert queries.pipeline_weighted(None, MARCH) == Decimal("56000.00")
    assert queries.pipeline_weighted(("rep", world.rep_b.id), MARCH) == Decimal("1000.00")
    assert queries.pipeline_weighted(world.director_b, MARCH) == Decimal("1000.00")
    assert queries.pipeline_weighted(world.gm, MARCH) == Decimal("56000.00")
    assert queries.pipeline_weighted(("rep", world.rep_a2.id), MARCH) == Decimal("0.00")
    with pytest.raises(ValueError):
        queries.pipeline_weighted(("region", 1), MARCH)


def test_each_figure_is_one_query_whatever_the_number_of_reps(world, count_queries, make_user):
    reps = [world.rep_a, world.rep_a2] + [make_user("rep", world.team_a) for _ in range(8)]
    for rep in reps:
        c = customer(rep, status="active", activated_at=sh(2025, 1, 1, 9))
        _log(rep, c, "visit", sh(2026, 3, 2, 9))
        _log(rep, c, "call", sh(2026, 3, 2, 10))
    ids = [r.id for r in reps]
    for fn in (queries.new_customers_activated, queries.visits_to_existing_customers, queries.calls,
               queries.prospects_created, queries.customers_lost, queries.requests_answered_on_time,
               queries.requests_due):
        with count_queries() as one:
            fn(ids[:1], MARCH)
        with count_queries() as ten:
            result = fn(ids, MARCH)
        assert one.n == ten.n == 1, fn.__name__
        if fn in (queries.visits_to_existing_customers, queries.calls):
            assert result == {i: 1 for i in ids}
