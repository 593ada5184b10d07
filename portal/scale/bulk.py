"""A bulk writer: rows as tuples go to SQLite with executemany in one transaction, to PostgreSQL with COPY.

Values are converted exactly as the column types would bind them (``Money`` as cents on SQLite and
NUMERIC on PostgreSQL, ``UTCDateTime`` as naive UTC text on SQLite and timestamptz on PostgreSQL).
Columns a call leaves out get the column's default (``now`` stands in for ``utcnow`` so runs repeat).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice

import click
from sqlalchemy import JSON, Boolean, Date, Integer, Table
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex

from ..core.money import to_money
from ..core.types import Money, UTCDateTime

BATCH = 20000


class BulkWriter:
    def __init__(self, engine: Engine, now: datetime, echo: Callable[[str], None] | None = None):
        self.engine = engine
        self.now = now
        self.dialect = engine.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.echo = echo or click.echo
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self._conn = None
        self.raw = None

    # The transaction ---------------------------------------------------------------------------

    def __enter__(self) -> BulkWriter:
        self._conn = self.engine.connect()
        self.raw = self._conn.connection.driver_connection
        if self.sqlite:
            # For the load only: no fsync per page and a large page cache; restored on exit.
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute("PRAGMA cache_size=-400000")
            self.raw.execute("PRAGMA temp_store=MEMORY")
            self.raw.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.raw.commit() if not self.sqlite else self.raw.execute("COMMIT")
            else:
                self.raw.rollback() if not self.sqlite else self.raw.execute("ROLLBACK")
        finally:
            if self.sqlite:
                self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone holds the data
                self.raw.execute("PRAGMA synchronous=NORMAL")
                self.raw.execute("PRAGMA cache_size=-2000")
                self.raw.execute("PRAGMA temp_store=DEFAULT")
            self._conn.close()

    def sql(self, statement: str, params: Iterable | None = None) -> list:
        """Run one statement in the load's transaction (``?`` placeholders are rewritten for PostgreSQL)."""
        if not self.sqlite:
            statement = statement.replace("?", "%s")
        cur = self.raw.cursor()
        cur.execute(statement, tuple(params or ()))
        try:
            rows = cur.fetchall()
        except Exception:  # noqa: BLE001 - statements without a result
            rows = []
        cur.close()
        return rows

    def executemany(self, statement: str, rows: list) -> None:
        """One statement for many rows in the load's transaction (``?`` placeholders, as ``sql``)."""
        if not self.sqlite:
            statement = statement.replace("?", "%s")
        cur = self.raw.cursor()
        cur.executemany(statement, rows)
        cur.close()

    # Writing -----------------------------------------------------------------------------------

    def _converters(self, table: Table, names: list[str]) -> list[tuple[int, Callable]]:
        out = []
        for i, name in enumerate(names):
            col = table.c[name]
            if isinstance(col.type, JSON):
                out.append((i, _json))
                continue
            if not self.sqlite:
                continue  # psycopg adapts Decimal, aware datetimes, dates and booleans itself
            fast = _fast_sqlite(col.type)
            if fast is not None:
                out.append((i, fast))
                continue
            proc = col.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if proc is not None:
                out.append((i, proc))
        return out

    def _defaults(self, table: Table, names: list[str]) -> tuple[list[str], tuple]:
        extra, values = [], []
        for col in table.columns:
            if col.name in names or (col.primary_key and isinstance(col.type, Integer) and col.autoincrement):
                continue
            default = col.default
            if default is None:
                if col.server_default is not None:
                    continue
                if not col.nullable:
                    raise ValueError(f"{table.name}.{col.name} needs a value")
                continue
            if default.is_scalar:
                value = default.arg
            elif default.is_callable:
                fn = default.arg
                name = getattr(fn, "__wrapped__", fn).__name__
                if name == "utcnow":
                    value = self.now
                else:
                    try:
                        value = fn(None)
                    except TypeError:
                        value = fn()
                    if name == "new_session_token":
                        raise ValueError(f"{table.name}.{col.name} needs a value")
            else:
                continue
            extra.append(col.name)
            values.append(value)
        return extra, tuple(values)

    def write(self, table, names: list[str], rows: Iterable[tuple]) -> int:
        """Insert rows (tuples in the order of ``names``); returns how many."""
        table = getattr(table, "__table__", table)
        started = time.perf_counter()
        extra, defaults = self._defaults(table, names)
        all_names = list(names) + extra
        conv = self._converters(table, all_names)
        cols = ", ".join(f'"{n}"' for n in all_names)

        def prepared(batch):
            for row in batch:
                if defaults:
                    row = tuple(row) + defaults
                if conv:
                    row = list(row)
                    for i, fn in conv:
                        if row[i] is not None:
                            row[i] = fn(row[i])
                yield row

        # Secondary indexes are dropped for the load and built once at the end of it: far cheaper than
        # keeping them up to date row by row.
        indexes = sorted(table.indexes, key=lambda ix: ix.name)
        for index in indexes:
            self.sql(f'DROP INDEX IF EXISTS "{index.name}"')
        n = 0
        it = iter(rows)
        if self.sqlite:
            # Names come from the models' metadata, never from input.
            marks = ", ".join("?" * len(all_names))
            stmt = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'  # noqa: S608  # nosec B608
            cur = self.raw.cursor()
            while True:
                batch = list(islice(it, BATCH))
                if not batch:
                    break
                cur.executemany(stmt, list(prepared(batch)))
                n += len(batch)
            cur.close()
        else:
            cur = self.raw.cursor()
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for row in prepared(it):
                    copy.write_row(row)
                    n += 1
            cur.close()
        for index in indexes:
            self.sql(str(CreateIndex(index).compile(dialect=self.dialect)))
        elapsed = time.perf_counter() - started
        self.counts[table.name] = self.counts.get(table.name, 0) + n
        self.seconds[table.name] = self.seconds.get(table.name, 0.0) + elapsed
        self.echo(f"  {table.name:<32} {n:>10,} rows {elapsed:7.1f} s")
        return n


def _json(value) -> str:
    return json.dumps(value)


# SQLite: the same text and integers the column types bind, without the generic processors' overhead
# (``tests/test_scale_seed.py`` checks they agree).

def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _date_text(value: date) -> str:
    return value.isoformat()


def _cents(value: Decimal) -> int:
    return int(to_money(value) * 100)


def _fast_sqlite(type_):
    if isinstance(type_, UTCDateTime):
        return _utc_text
    if isinstance(type_, Money):
        return _cents
    if type(type_) is Date:
        return _date_text
    if type(type_) is Boolean:
        return _bool
    return None


def _bool(value) -> int:
    return 1 if value else 0


def finish(writer: BulkWriter, tables: Iterable[Table]) -> None:
    """Inside the load's transaction: move PostgreSQL's id sequences past the ids given, then ANALYZE."""
    started = time.perf_counter()
    if not writer.sqlite:
        for table in tables:
            pk = list(table.primary_key.columns)
            if len(pk) != 1 or not isinstance(pk[0].type, Integer):
                continue
            seq = writer.sql("SELECT pg_get_serial_sequence(?, ?)", (f'"{table.name}"', pk[0].name))
            if seq and seq[0][0]:
                # Names from the metadata, never from input.
                top = f'SELECT MAX("{pk[0].name}") FROM "{table.name}"'  # noqa: S608  # nosec B608
                writer.sql(f"SELECT setval(?, COALESCE(({top}), 0) + 1, false)", (seq[0][0],))
    writer.sql("ANALYZE")
    writer.echo(f"  {'sequences and ANALYZE':<32} {'':>10}      {time.perf_counter() - started:7.1f} s")
