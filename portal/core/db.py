"""The one database handle, the declarative base and the engine settings per backend."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from flask import current_app, has_app_context, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# A naming convention makes constraint names stable, so Alembic can drop and alter them on
# SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: the only clock the models use."""
    return datetime.now(UTC)


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _wants_write_lock() -> bool:
    # A request that may write takes SQLite's write lock when its transaction begins: a deferred
    # transaction that reads and then writes fails at once with "database is locked" when another
    # worker wrote in between, whatever the busy timeout. Reads stay deferred so they never queue.
    if has_request_context():
        return request.method not in _SAFE_METHODS
    # Commands (seeding, recycling) write: they take the lock up front too. Tests that share the
    # database with a live server switch this off so their own reads never hold the lock.
    return current_app.config.get("SQLITE_IMMEDIATE_OUTSIDE_REQUESTS", True) if has_app_context() else True


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, _record):  # pragma: no cover - exercised through the engine
    if isinstance(dbapi_conn, sqlite3.Connection):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")
