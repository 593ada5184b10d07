"""The one period helper and the one money helper, with hand-worked dates and amounts."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from portal.core.money import percent, to_money
from portal.core.periods import Period, add_working_hours, is_working_day, working_days_between

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("kind,day,start,end,key", [
    ("week", date(2026, 11, 26), date(2026, 11, 23), date(2026, 11, 30), "2026-W48"),
    ("week", date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 4), "2026-W53"),  # across the new year
    ("week", date(2026, 3, 31), date(2026, 3, 30), date(2026, 4, 6), "2026-W14"),  # across a month end
    ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 3, 1), "2026-02"),
    ("quarter", date(2026, 11, 26), date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
    ("year", date(2026, 6, 1), date(2026, 1, 1), date(2027, 1, 1), "2026"),
])
def test_period_bounds_and_keys(kind, day, start, end, key):
    period = Period.containing(kind, day)
    assert (period.start, period.end, period.key) == (start, end, key)
    assert Period.parse(key) == period


def test_previous_and_same_period_last_year():
    q = Period.parse("2026-Q1")
    assert q.previous() == Period.parse("2025-Q4")
    assert Period.parse("2026-03").same_last_year() == Period.parse("2025-03")
    assert Period.parse("2026").children("quarter") == [Period.parse(f"2026-Q{n}") for n in range(1, 5)]


def test_bounds_are_local_midnights():
    start, end = Period.parse("2026-09").bounds_utc()
    assert start == datetime(2026, 8, 31, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert end == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "20x6", "2026-W60", ""])
def test_bad_period_keys(bad):
    with pytest.raises(ValueError):
        Period.parse(bad)


def test_chinese_working_days():
    assert not is_working_day(date(2026, 10, 1))  # National Day
    assert not is_working_day(date(2026, 1, 1))  # New Year's Day, a Thursday
    assert is_working_day(date(2026, 11, 26))
    assert not is_working_day(date(2026, 11, 28))  # an ordinary Saturday
    # November 2026 has no holiday: its 21 weekdays are its working days.
    assert working_days_between(date(2026, 11, 1), date(2026, 12, 1)) == 21


def test_working_hours_skip_nights_and_weekends():
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=SH)
    due = add_working_hours(friday_4pm, 4)  # 2 h on Friday, 2 h on Monday from 09:00
    assert due.astimezone(SH) == datetime(2026, 11, 30, 11, 0, tzinfo=SH)


def test_money_is_decimal_and_half_up():
    assert to_money("1,234.565") == D("1234.57")
    assert to_money("¥ 2，000") == D("2000.00")
    assert to_money(D("0.005")) == D("0.01")
    with pytest.raises(TypeError):
        to_money(0.1)
    with pytest.raises(ValueError):
        to_money("abc")
    assert percent(D(1), D(3)) == D("33.3") and percent(D(1), D(0)) is None


def test_money_column_is_exact_on_every_database(app, world):
    from sqlalchemy import func, select

    from portal.contracts.models import Order
    from portal.core.db import db
    from portal.customers.models import Customer

    customer = Customer(name="精确公司", name_key="精确公司", team_id=world.team_a.id, owner_id=world.rep_a.id,
                        status="active")
    db.session.add(customer)
    db.session.flush()
    for _ in range(10):
        db.session.add(Order(ordered_on=date(2026, 11, 2), customer_id=customer.id, amount=D("0.10"),
                             owner_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.commit()
    total = db.session.scalar(select(func.sum(Order.amount)))
    assert total == D("1.00") and isinstance(total, D)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_figures_are_written_as_babel_writes_them(app, locale):
    """The template filters format without Babel's pattern parser; they must agree with it exactly."""
    import random

    import flask_babel
    from babel.numbers import format_decimal

    from portal import i18n

    rng = random.Random(3)
    values = [D("0.125"), D("2.675"), D("-1234567.005"), D("0.005"), D("-0.004"), 0, 7, 2.675, 1e7, -0.5]
    values += [D(rng.randrange(-10**12, 10**12)) / 1000 for _ in range(2000)]
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        flask_babel.refresh()
        chosen = str(flask_babel.get_locale())
        for v in values:
            assert i18n.fmt_number(v, 2) == format_decimal(v, format="#,##0.00", locale=chosen)
            assert i18n.fmt_number(v) == format_decimal(v, format="#,##0", locale=chosen)
            assert i18n.fmt_percent(v) == format_decimal(v, format="#,##0.0", locale=chosen) + "%"
        moments = [datetime(2026, 11, 26, 16, 5, tzinfo=UTC), datetime(2026, 3, 31, 16, 30),
                   datetime(1999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/New_York"))]
        for moment in moments:
            assert i18n.fmt_datetime(moment) == flask_babel.format_datetime(moment, format="yyyy-MM-dd HH:mm")
        assert i18n.fmt_date(date(2026, 1, 5)) == flask_babel.format_date(date(2026, 1, 5), format="yyyy-MM-dd")
        assert i18n.money(D("-1234.5")) == "-¥1,234.50"
