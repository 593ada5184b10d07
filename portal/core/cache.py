"""Results computed from rarely changed rows, kept by each worker process until those rows change.

Each kind of cached result has a token in the ``cache_version`` table, replaced (in the same
transaction) by every flush that writes the rows it is computed from. A worker keeps results with the
token they were computed under and serves one only while the database still holds that token, so every
worker and every host sees a change as soon as it is committed: one primary-key read per request
tells them. With no token yet (an empty database), nothing is kept.
"""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from sqlalchemy import String, event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import db
from .memo import request_memo


class CacheVersion(db.Model):
    __tablename__ = "cache_version"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def current_token(name: str) -> str | None:
    """The token of ``name`` as this request's transaction sees it.

    The first asked for in a request reads them all (a handful of rows): a page using three kinds of
    cached results pays one query, not three. A kind this request bumps takes its new token (``bump``)."""
    memo = request_memo()
    tokens = memo.get("cache.tokens")
    if tokens is None:
        tokens = memo["cache.tokens"] = dict(db.session.execute(select(CacheVersion.name, CacheVersion.token)).all())
    return tokens.get(name)


def bump(connection, name: str) -> None:
    """Give ``name`` a new token (inside the writer's transaction: ``connection`` is the flush's)."""
    token = uuid.uuid4().hex
    table = CacheVersion.__table__
    if connection.execute(update(table).where(table.c.name == name).values(token=token)).rowcount == 0:
        connection.execute(insert(table).values(name=name, token=token))
    tokens = request_memo().get("cache.tokens")
    if tokens is not None:
        tokens[name] = token


_WATCHED: dict[str, tuple] = {}


def invalidate_on_write(name: str, *models, columns: tuple[str, ...] | None = None) -> None:
    """Give ``name`` a new token in every flush that adds, changes or deletes a row of ``models``
    (once per process, whatever the number of apps). ``columns``: only a change to one of these
    attributes counts, for a result that reads a few columns of often-written rows."""
    if name in _WATCHED:
        return
    _WATCHED[name] = models

    def changed(session, obj) -> bool:
        if not isinstance(obj, models):
            return False
        if columns is None:
            return session.is_modified(obj)
        attrs = inspect(obj).attrs
        return any(c in attrs and attrs[c].history.has_changes() for c in columns)

    @event.listens_for(Session, "after_flush")
    def _written(session, _ctx):
        if any(isinstance(o, models) for o in session.new) or any(
                isinstance(o, models) for o in session.deleted) or any(
                changed(session, o) for o in session.dirty):
            bump(session.connection(), name)


def bump_all(connection) -> None:
    """After a bulk load that bypassed the ORM: every kind gets a new token."""
    for name in _WATCHED:
        bump(connection, name)


class KeyedLRU:
    """At most ``size`` values by key, the least recently used dropped first; safe across threads.
    Values that depend on no rows (a statement built for a scope) are kept in one directly."""

    _MISSING = object()

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Hashable, default=None):
        with self._lock:
            value = self._items.get(key, self._MISSING)
            if value is self._MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: Hashable, compute: Callable):
        """The value for ``key``, computed (outside the lock) when it is not kept."""
        value = self.peek(key, self._MISSING)
        if value is self._MISSING:
            value = compute()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class VersionedCache:
    """At most ``size`` results of one kind, least recently used dropped first."""

    def __init__(self, name: str, size: int = 256):
        self.name = name
        self.size = size

    def _store(self) -> KeyedLRU:
        # Per application: two apps in one process (the tests) never share results.
        stores = current_app.extensions.setdefault("portal.cache", {})
        store = stores.get(self.name)
        if store is None:
            store = stores.setdefault(self.name, KeyedLRU(self.size))
        return store

    def get(self, key: Hashable, compute: Callable):
        """The result for ``key`` (treat it as read-only: it is shared), computing it when needed."""
        token = current_token(self.name)
        if token is None:
            return compute()
        store = self._store()
        hit = store.peek(key)
        if hit is not None and hit[0] == token:
            return hit[1]
        value = compute()
        store.put(key, (token, value))
        return value
