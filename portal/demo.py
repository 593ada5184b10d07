"""The demo company: each feature registers a seeder; ``flask seed-demo`` runs them in order."""
from __future__ import annotations

from collections.abc import Callable

DEMO_PASSWORD = "Demo-Portal-2026"  # noqa: S105 - the published demo password, printed by `make run`
SEEDERS: list[tuple[int, Callable]] = []


def register_seeder(order: int) -> Callable:
    def mark(fn):
        if not any(f is fn for _, f in SEEDERS):
            SEEDERS.append((order, fn))
            SEEDERS.sort(key=lambda item: item[0])
        return fn

    return mark


def seed_demo() -> dict:
    """Fill an empty database with the demo company; returns the shared context (people, teams …)."""
    ctx: dict = {}
    for _order, fn in SEEDERS:
        fn(ctx)
    from .core.db import db
    from .plans import rollup

    # A seeder may have bulk-inserted past the ORM events: the rollup, and the figures workers keep.
    rollup.rebuild(db.session)
    return ctx
