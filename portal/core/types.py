"""Column types: timezone-aware datetimes and exact money on every backend."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator

from .money import CENT, to_money


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns aware datetimes; refuses naive ones so no local time slips in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep naive UTC text there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """A Decimal amount with 2 places.

    PostgreSQL stores NUMERIC(14, 2). SQLite has no decimal type (it would round-trip through
    float), so there the amount is kept as an integer number of cents: sums in SQL stay exact.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = to_money(value)
        if dialect.name == "sqlite":
            return int(value / CENT)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # an AVG or a division computed by SQLite
                value = Decimal(repr(value))
            return to_money(Decimal(value) * CENT)
        return to_money(value)

    @property
    def python_type(self):
        return Decimal
