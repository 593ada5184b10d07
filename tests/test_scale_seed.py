"""``flask seed-scale``: proportional counts, the same rows for the same seed and day, refusal on a filled
database, and the pages the benchmark opens answering for rep0001, director01 and the GM."""
from __future__ import annotations

import hashlib
from datetime import date

from conftest import _empty_tables, sign_in
from sqlalchemy import func, select

from portal.core.db import db
from portal.scale.cli import seed_scale

DAY = date(2026, 11, 26)
FACTOR = 0.001


def _quiet(*_args, **_kw):
    pass


def _checksum() -> str:
    from portal.contracts.models import Order
    from portal.customers.models import Activity, Customer
    from portal.plans.models import Target

    digest = hashlib.sha256()
    for model in (Customer, Activity, Order, Target):
        for row in db.session.execute(select(model.__table__).order_by(model.__table__.c.id)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_counts_follow_the_factor_and_the_benchmark_finds_its_records(app, client):
    from portal.comms.models import Thread, ThreadMessage
    from portal.customers.models import Activity, Customer
    from portal.people.models import User
    from portal.training.models import Quiz

    counts = seed_scale(FACTOR, seed=1, today=DAY, echo=_quiet)
    assert counts["customer"] == 40 and counts["contact"] == 80 and counts["activity"] == 1000
    assert counts["sales_order"] == 200 and counts["contract"] == 20 and counts["opportunity"] == 60
    assert counts["expense"] == 30 and counts["comms_thread"] == 50 and counts["training_attempt"] == 200
    assert counts["notification"] >= 300 and counts["appraisal"] >= 1

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert {"gm", "admin", "director01", "rep0001"} <= set(users)
    rep, director, gm = users["rep0001"], users["director01"], users["gm"]
    assert rep.team_id == director.team_id and director.team.director_id == director.id
    busiest = db.session.execute(select(Activity.customer_id, func.count()).where(Activity.owner_id == rep.id)
                                 .group_by(Activity.customer_id).order_by(func.count().desc()).limit(1)).first()
    assert db.session.get(Customer, busiest[0]).owner_id == rep.id
    thread = db.session.scalar(select(Thread).where(Thread.author_id == rep.id).order_by(Thread.id).limit(1))
    replies = db.session.scalar(select(func.count()).select_from(ThreadMessage)
                                .where(ThreadMessage.thread_id == thread.id)) - 1
    assert replies == 50
    quiz = db.session.get(Quiz, 1)
    assert quiz.max_attempts is None and quiz.course.published

    pages = ["/customers/", f"/customers/{busiest[0]}", "/plans/status", "/inbox/", f"/comms/threads/{thread.id}",
             "/contracts/", "/appraisals/", "/training/courses/1"]
    for user in (rep, director, gm):
        sign_in(client, user)
        for url in pages:
            if user is gm and "threads" in url:
                continue  # the GM sees escalated threads only
            assert client.get(url).status_code == 200, (user.username, url)
    sign_in(client, rep)
    started = client.post(f"/training/quizzes/{quiz.id}/start")
    assert started.status_code == 302
    assert client.get(started.headers["Location"]).status_code == 200


def test_same_seed_and_day_give_the_same_rows(app):
    seed_scale(FACTOR, seed=7, today=DAY, echo=_quiet)
    first = _checksum()
    db.session.remove()
    _empty_tables()
    seed_scale(FACTOR, seed=7, today=DAY, echo=_quiet)
    assert _checksum() == first


def test_a_freshly_migrated_database_counts_as_empty(app):
    """The migrations write the cache tokens (0015, 0019): those rows must not stop the seed."""
    from portal.core.cache import CacheVersion

    db.session.add_all([CacheVersion(name="targets", token="m"), CacheVersion(name="pipeline", token="m")])
    db.session.commit()
    counts = seed_scale(FACTOR, seed=3, today=DAY, echo=_quiet)
    assert counts["customer"] > 0


def test_a_filled_database_is_refused(app, runner, make_user):
    make_user("rep")
    result = runner.invoke(args=["seed-scale", "--factor", "0.001"])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_fast_sqlite_converters_bind_as_the_column_types_do():
    from datetime import UTC, datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy import Boolean, Date
    from sqlalchemy.dialects import sqlite

    from portal.core.types import Money, UTCDateTime
    from portal.scale.bulk import _fast_sqlite

    dialect = sqlite.dialect()
    cases = [
        (UTCDateTime(), [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 12, tzinfo=UTC),
                         datetime(2026, 5, 6, 23, 0, tzinfo=timezone(timedelta(hours=8)))]),
        (Money(), [Decimal("0.00"), Decimal("1234567.89"), Decimal("-5.5"), Decimal("12")]),
        (Date(), [date(2026, 2, 28), date(999, 1, 1).replace(year=1999)]),
        (Boolean(), [True, False]),
    ]
    for type_, values in cases:
        reference = type_.dialect_impl(dialect).bind_processor(dialect)
        fast = _fast_sqlite(type_)
        for value in values:
            expected = reference(value) if reference else value
            assert fast(value) == expected, (type_, value)


def test_the_seed_writes_the_search_column_as_the_app_does(app):
    from portal.customers.models import Customer
    from portal.customers.search import refresh_all

    seed_scale(FACTOR, seed=5, today=DAY, echo=_quiet)
    seeded = dict(db.session.execute(select(Customer.id, Customer.search_text)).all())
    assert seeded and all(seeded.values())
    refresh_all(db.session.connection())
    assert dict(db.session.execute(select(Customer.id, Customer.search_text)).all()) == seeded
