"""The one database handle, the declarative base and the engine settings per backend."""
from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from urllib.parse import quote

from flask import current_app, has_app_context, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
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


@event.listens_for(Engine, "do_connect")
def _sqlite_no_create_in_requests(dialect, _record, cargs, cparams):
    # Serving a request never creates the database file: a file that went missing (moved away, a
    # disk unmounted) is "unable to open database file" (a 503), not a new empty database the page
    # then fails on. Commands (setup, migrations) still create it.
    if dialect.name != "sqlite" or not has_request_context() or cparams.get("uri") or not cargs:
        return None
    path = str(cargs[0])
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    cargs[0] = "file:" + quote(os.path.abspath(path)) + "?mode=rw"
    cparams["uri"] = True
    return None


def _file_identity(path: str):
    st = os.stat(path)
    return st.st_dev, st.st_ino


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, record):  # pragma: no cover - exercised through the engine
    if isinstance(dbapi_conn, sqlite3.Connection):  # the benchmark's counting connection is one too
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        main = [row[2] for row in cur.execute("PRAGMA database_list") if row[1] == "main"]
        cur.close()
        if main and main[0]:
            record.info["sqlite_file"] = (main[0], _file_identity(main[0]))


@event.listens_for(Engine, "checkout")
def _sqlite_same_file(_dbapi_conn, record, _proxy):
    # A pooled SQLite connection keeps the file it opened even after that file was moved or replaced:
    # the pool would go on serving a database no longer at the configured path. Such a connection is
    # dropped and a new one opened (which fails, a 503, while nothing usable is at the path).
    found = record.info.get("sqlite_file")
    if found is None:
        return
    path, identity = found
    try:
        same = _file_identity(path) == identity
    except OSError:
        same = False
    if not same:
        raise DisconnectionError("the SQLite database file was moved or replaced")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        immediate = _wants_write_lock()
        conn.info["sqlite_write_lock"] = immediate
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_before_write(conn, cursor, statement, _params, _context, _executemany):
    # A reading request (a GET) that writes after all (a page that applies due rules when opened) began
    # a deferred transaction. Upgrading it to a writer fails at once with "database is locked" whenever
    # another worker committed since its first read (SQLite does not wait in that case). So before its
    # first write it ends the read (nothing was written) and takes the write lock the waiting way: the
    # write then sees the newest data, as each statement does on PostgreSQL. Inside a savepoint the
    # transaction cannot be restarted; it keeps the old behaviour.
    if conn.dialect.name != "sqlite" or conn.info.get("sqlite_write_lock", True):
        return
    if not statement.lstrip()[:7].upper().startswith(_WRITES) or conn.in_nested_transaction():
        return
    conn.info["sqlite_write_lock"] = True
    raw = cursor.connection
    raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")
