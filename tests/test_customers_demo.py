"""The demo seeder gives every demo rep a believable customer log, the same on every run; and the
migration builds exactly the customer tables the models describe."""
from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from portal.core.db import db
from portal.core.periods import local_today
from portal.customers.demo import seed_customers
from portal.customers.models import (
    Activity,
    Customer,
    MarketInfo,
    Opportunity,
    OpportunityStage,
    ResourceRequest,
)
from portal.people.demo import seed_people

MY_TABLES = {"lost_reason", "opportunity_stage", "customer", "contact", "activity_contact", "activity", "opportunity",
             "resource_request", "market_info", "customer_event"}


def _table_of(diff) -> str | None:
    """The table an autogenerate difference is about (its shapes vary by kind of change)."""
    parts = diff[0] if isinstance(diff, list) else diff
    for part in parts:
        if isinstance(part, str) and part in MY_TABLES:
            return part
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if getattr(part, "name", None) in MY_TABLES and hasattr(part, "columns"):
            return part.name
    return None


def test_table_of_reads_every_kind_of_difference():
    from sqlalchemy import Column, Integer, MetaData, Table

    t = Table("customer", MetaData(), Column("x", Integer))
    assert _table_of(("add_table", t)) == "customer"
    assert _table_of(("add_column", None, "activity", Column("y", Integer))) == "activity"
    assert _table_of([("modify_nullable", None, "opportunity", "title", {}, True, False)]) == "opportunity"


def test_customer_tables_match_the_migration(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, db.metadata)
    mine = [d for d in diff if _table_of(d) in MY_TABLES]
    assert mine == []


def test_demo_log_for_every_rep(app):
    ctx: dict = {}
    seed_people(ctx)
    seed_customers(ctx)
    db.session.commit()
    today = local_today()
    stages = db.session.scalars(select(OpportunityStage.id)).all()
    assert len(stages) == 5
    for rep in ctx["reps"]:
        statuses = set(db.session.scalars(select(Customer.status).where(Customer.owner_id == rep.id)))
        assert statuses == {"prospect", "active", "lost"}
        lost = db.session.scalars(select(Customer).where(Customer.owner_id == rep.id, Customer.status == "lost")).all()
        assert all(c.lost_reason_id and c.lost_at for c in lost)
        kinds = dict(db.session.execute(select(Activity.kind, func.count()).where(Activity.owner_id == rep.id)
                                        .group_by(Activity.kind)).all())
        assert kinds.get("visit", 0) + kinds.get("meeting", 0) > 0 and kinds.get("call", 0) > 0
        first = db.session.scalar(select(func.min(Activity.occurred_at)).where(Activity.owner_id == rep.id))
        assert first.date() <= today - timedelta(days=45)
        opp_stages = set(db.session.scalars(select(Opportunity.stage_id).where(
            Opportunity.owner_id == rep.id, Opportunity.status == "open")))
        assert opp_stages == set(stages)
        answered = db.session.scalars(select(ResourceRequest.answered_at).where(
            ResourceRequest.assignee_id == rep.id)).all()
        assert any(a is None for a in answered) and any(a is not None for a in answered)
        assert db.session.scalar(select(func.count(MarketInfo.id)).where(MarketInfo.owner_id == rep.id)) >= 1
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id.is_(None))) == 6


def test_demo_is_deterministic(app):
    ctx: dict = {}
    seed_people(ctx)
    seed_customers(ctx)
    first = db.session.scalars(select(Customer.name).order_by(Customer.id)).all()
    db.session.rollback()
    ctx = {}
    seed_people(ctx)
    seed_customers(ctx)
    assert db.session.scalars(select(Customer.name).order_by(Customer.id)).all() == first
    db.session.rollback()
