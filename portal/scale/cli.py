"""``flask --app portal seed-scale --factor F [--seed N] [--today YYYY-MM-DD]``."""
from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import click
from flask import Flask
from sqlalchemy import inspect, select, text

from ..core.db import db

# Tables whose rows the migrations themselves write: a freshly migrated database is still empty.
MIGRATION_ROWS = frozenset({"alembic_version", "cache_version"})


def _first_filled_table() -> str | None:
    for table in db.metadata.sorted_tables:
        if table.name in MIGRATION_ROWS:
            continue
        if db.session.execute(select(text("1")).select_from(table).limit(1)).first():
            return table.name
    return None


def _database_size() -> str:
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        size = sum(os.path.getsize(p) for p in (path, path + "-wal") if p and os.path.exists(p))
    else:
        size = db.session.scalar(text("SELECT pg_database_size(current_database())"))
    return f"{size / 1024 / 1024:,.0f} MB"


def seed_scale(factor: float, seed: int = 1, today: date | None = None, echo=click.echo) -> dict[str, int]:
    """Fill an empty, migrated database with the company at this factor; returns rows per table."""
    from ..appraisals.defaults import SEED_ITEMS
    from ..appraisals.services import default_template
    from ..auth.passwords import hash_password, problems
    from ..core.links import path_for
    from ..core.periods import local_today
    from ..customers.models import LostReason, OpportunityStage
    from ..customers.services import ensure_default_lists
    from . import seed as s
    from .bulk import BulkWriter, finish

    if factor <= 0:
        raise click.ClickException("--factor must be above 0")
    if not inspect(db.engine).has_table("user"):
        raise click.ClickException("the database has no tables: run `flask --app portal db upgrade` first")
    filled = _first_filled_table()
    if filled:
        raise click.ClickException(f"the database is not empty (table {filled} has rows); "
                                   "seed-scale fills an empty, migrated database")
    today = today or local_today()
    started = time.perf_counter()
    echo(f"seed-scale: factor {factor}, seed {seed}, today {today.isoformat()} on {db.engine.dialect.name}")

    assert not problems(s.PASSWORD, "rep0001")  # noqa: S101 - the published password fits the rules
    password_hash = hash_password(s.PASSWORD)  # hashed once for every account
    links = {"thread": path_for("comms.thread_detail", thread_id=987654321).replace("987654321", "{}"),
             "task": path_for("comms.task_detail", task_id=987654321).replace("987654321", "{}")}
    # The small editable lists come from the features' own code (translated names, the default template).
    ensure_default_lists()
    default_template()
    db.session.commit()
    stages = [(sid, prob) for sid, prob in db.session.execute(
        select(OpportunityStage.id, OpportunityStage.probability).order_by(OpportunityStage.position))]
    reasons = list(db.session.scalars(select(LostReason.id).order_by(LostReason.position)))
    from ..appraisals.models import AppraisalTemplate

    template_id = db.session.scalar(select(AppraisalTemplate.id))
    db.session.commit()
    db.session.close()

    # "Now" is seven in the morning of the given day (local time): the same day gives the same rows.
    from ..core.periods import company_tz

    now = datetime(today.year, today.month, today.day, tzinfo=company_tz()).astimezone(UTC) + timedelta(hours=7)
    with BulkWriter(db.engine, now, echo=echo) as writer:
        w = s.build_world(factor, seed, today, writer)
        w.stages, w.reasons, w.template_id, w.links = stages, reasons, template_id, links
        w.template = list(SEED_ITEMS)
        s.seed_people(w, password_hash)
        for area in s.AREAS:
            area(w)
        finish(writer, db.metadata.sorted_tables)
    # The bulk load bypasses the ORM events that keep the monthly rollup current: build it once now.
    from ..plans import rollup

    rolled = time.perf_counter()
    cells = rollup.rebuild(db.session)  # and new tokens for what workers keep: targets, the pipeline
    db.session.commit()
    writer.counts["sales_month"] = cells
    echo(f"  {'sales_month (rollup)':<32} {cells:>10,} {time.perf_counter() - rolled:7.1f} s")
    total = sum(writer.counts.values())
    echo(f"seed-scale: {total:,} rows in {time.perf_counter() - started:.1f} s; database {_database_size()}")
    echo(f"sign-ins (password {s.PASSWORD}): gm, admin, director01…director{len(w.teams):02d}, "
         f"rep0001…rep{len(w.reps):04d}")
    return dict(writer.counts)


def register(app: Flask) -> None:
    @app.cli.command("seed-scale")
    @click.option("--factor", type=float, required=True, help="1 = 400 reps, 40,000 customers, 1M log entries.")
    @click.option("--seed", type=int, default=1, show_default=True, help="Same seed and day, same data.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day the three years end on (default: today).")
    def seed_scale_command(factor, seed, today):
        """Fill an EMPTY migrated database with a company at scale, for load tests."""
        seed_scale(factor, seed, today.date() if today else None)
