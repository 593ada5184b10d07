"""Support for the load benchmark (bench/): per-request SQL counters and a yardstick page.

Both are off unless configured, and cost nothing then (no event listener, no cursor wrapper,
no route):

- ``BENCH_INSTRUMENT`` (env ``PORTAL_BENCH_INSTRUMENT=1``): every response carries ``X-Queries``
  (SQL statements the request ran, BEGIN/COMMIT/ROLLBACK/SAVEPOINT not counted) and ``X-Rows``
  (rows the request fetched from the database).
- ``BENCH_REFERENCE_PAGES`` (env ``PORTAL_BENCH_REFERENCE_PAGES=1``): registers
  ``/bench/reference-table``, a signed-in page showing the user's 50 latest notifications from one
  indexed query in the normal layout: the fair "what a simple page costs here" reference.

Counting rows: SQLAlchemy has an event for each statement (``before_cursor_execute``) but none for
fetching. ``cursor.rowcount`` is no help: sqlite3 reports -1 for every SELECT, and a row count taken
at execute time says what a query produced, not what the app read (``.first()`` reads one row).
So the DB-API cursors themselves count what is fetched: both drivers let a connection make its
cursors from a class of our choosing, passed through ``connect_args`` -- sqlite3 with
``connect(factory=Connection subclass)`` whose ``cursor()`` hands out a ``Cursor`` subclass, psycopg 3
with ``connect(cursor_factory=Cursor subclass)``. They are real subclasses of the drivers' own
classes (no proxy object), so SQLAlchemy and the drivers see exactly the types they expect; each
fetch adds the rows it returned to the counter of the request running in this thread (a
ContextVar, so a cursor used outside a request counts nowhere).
"""
from __future__ import annotations

import sqlite3
from contextvars import ContextVar

from flask import Blueprint, Flask, render_template
from flask_login import current_user
from sqlalchemy import event, select

from .authz import SIGNED_IN, policy

_SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Counter:
    __slots__ = ("queries", "rows")

    def __init__(self) -> None:
        self.queries = 0
        self.rows = 0


_current: ContextVar[Counter | None] = ContextVar("portal_bench_counter", default=None)


def _count_rows(rows) -> None:
    counter = _current.get()
    if counter is not None:
        counter.rows += len(rows)


def _count_row(row) -> None:
    counter = _current.get()
    if counter is not None and row is not None:
        counter.rows += 1


class _SqliteCountingCursor(sqlite3.Cursor):
    def fetchone(self):
        row = super().fetchone()
        _count_row(row)
        return row

    def fetchmany(self, size=None):
        rows = super().fetchmany(self.arraysize if size is None else size)
        _count_rows(rows)
        return rows

    def fetchall(self):
        rows = super().fetchall()
        _count_rows(rows)
        return rows


class _SqliteCountingConnection(sqlite3.Connection):
    def cursor(self, factory=_SqliteCountingCursor):
        return super().cursor(factory)


def _psycopg_cursor_class():
    import psycopg

    class CountingCursor(psycopg.Cursor):
        def fetchone(self):
            row = super().fetchone()
            _count_row(row)
            return row

        def fetchmany(self, size=0):
            rows = super().fetchmany(size)
            _count_rows(rows)
            return rows

        def fetchall(self):
            rows = super().fetchall()
            _count_rows(rows)
            return rows

    return CountingCursor


def instrument_engine_options(url: str, options: dict) -> dict:
    """The engine options with the row-counting cursor classes for this database's driver."""
    options = dict(options)
    connect_args = dict(options.get("connect_args", {}))
    if url.startswith("sqlite"):
        connect_args["factory"] = _SqliteCountingConnection
    elif url.startswith("postgresql+psycopg"):
        connect_args["cursor_factory"] = _psycopg_cursor_class()
    options["connect_args"] = connect_args
    return options


def prepare_config(app: Flask) -> None:
    """Before the engine exists: install the counting cursors when instrumentation is on."""
    if app.config.get("BENCH_INSTRUMENT"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = instrument_engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def init_app(app: Flask) -> None:
    """After the extensions (so the engine exists) and before every other request hook."""
    if app.config.get("BENCH_INSTRUMENT"):
        _install_counters(app)
    if app.config.get("BENCH_REFERENCE_PAGES"):
        app.register_blueprint(reference_bp)


def _install_counters(app: Flask) -> None:
    from .core.db import db

    def count_statement(conn, cursor, statement, params, context, executemany):
        counter = _current.get()
        if counter is not None and not statement.lstrip().upper().startswith(_SKIPPED):
            counter.queries += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count_statement)

    # Registered before the other hooks: it starts counting before the user is loaded, and
    # (after-request hooks run in reverse order) reads the counter after the others ran.
    @app.before_request
    def start_counting():
        _current.set(Counter())

    @app.after_request
    def report_counts(response):
        counter = _current.get()
        if counter is not None:
            response.headers["X-Queries"] = str(counter.queries)
            response.headers["X-Rows"] = str(counter.rows)
        return response

    @app.teardown_request
    def stop_counting(_exc=None):
        _current.set(None)


reference_bp = Blueprint("bench", __name__, url_prefix="/bench")


@reference_bp.route("/reference-table")
@policy(SIGNED_IN)
def reference_table():
    """The yardstick: one indexed query (the user's 50 latest notifications, read through the
    (user_id, created_at) index), 50 rows, the normal layout. No joins, no per-row queries."""
    from .core.db import db
    from .notifications.models import Notification

    rows = db.session.execute(
        select(Notification.created_at, Notification.kind, Notification.title, Notification.link,
               Notification.read_at)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc())
        .limit(50)
    ).all()
    return render_template("bench/reference_table.html", rows=rows)
