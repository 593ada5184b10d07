"""Which writes change a customer's timeline, so that each worker may keep the timeline's rows.

A timeline's rows are kept (``timeline._placed_rows``) under the customer's ``timeline_version``, a
counter in the customer's row that every write to the customer's history raises in the writer's own
transaction: a worker, or another host, reading the customer sees the new number as soon as the write
is committed, and reads the history afresh. The customer's query reads the number with the customer,
so checking it costs nothing.

What the rows show besides the history itself (people's names, the stages' names) changes the
``TIMELINE_CACHE`` token instead, as does a bulk statement that does not say which customers it
touches: those are rare, and every timeline is read afresh after them.

A feature whose rows a timeline shows registers their model (``track_timeline_writes``), saying how a
row names its customer: a column of its own, or a column naming a row that does (a payment's contract).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, inspect, or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..core.cache import bump, invalidate_on_write
from ..people.models import User
from .models import Activity, Contact, Customer, CustomerEvent, Opportunity, OpportunityStage, ResourceRequest

TIMELINE_CACHE = "customer_timeline"


@dataclass(frozen=True)
class _Tracked:
    column: str  # the attribute (and column) naming the customer, or the row that names it
    customers_of: Callable | None  # ids of that other row -> a select of customer ids; None: they are customer ids


_TRACKED: dict[type, _Tracked] = {}
_BY_TABLE: dict[str, _Tracked] = {}


def track_timeline_writes(model: type, column: str = "customer_id", customers_of: Callable | None = None) -> None:
    """Raise the timeline version of the customers whose rows of ``model`` a flush adds, changes or
    deletes. ``customers_of(ids)``: when ``column`` names another row, a select of the customer ids
    of those rows."""
    tracked = _Tracked(column, customers_of)
    _TRACKED[model] = tracked
    _BY_TABLE[model.__table__.name] = tracked


def _named(obj, column: str) -> set:
    """The value of the column now and before this flush changed it (a row moved to another customer
    leaves the old customer's timeline too)."""
    history = inspect(obj).attrs[column].history
    return {v for v in (*history.unchanged, *history.added, *history.deleted) if v is not None}


def raise_versions(session: Session, touched: dict[_Tracked, set]) -> None:
    """Raise the versions of the customers the touched rows name (one UPDATE, unless thousands); rows
    loaded in this session learn the new numbers (a page drawn later in the same request must not read
    a kept, older timeline)."""
    table = Customer.__table__
    direct = set().union(*(ids for tracked, ids in touched.items() if tracked.customers_of is None))
    parts = [(None, sorted(direct))] + [(t.customers_of, sorted(ids)) for t, ids in touched.items() if t.customers_of]
    # An import flushes thousands of rows at once: SQLite takes at most 32,766 parameters a statement, so
    # at most _CHUNK ids go in one; a flush of one customer's rows is one statement.
    for batch in _batches(parts, _CHUNK):
        conditions = [table.c.id.in_(ids if customers_of is None else customers_of(ids)) for customers_of, ids in batch]
        stmt = (update(table).where(or_(*conditions)).values(timeline_version=table.c.timeline_version + 1)
                .returning(table.c.id, table.c.timeline_version))
        for customer_id, version in session.connection().execute(stmt):
            loaded = session.identity_map.get(inspect(Customer).identity_key_from_primary_key((customer_id,)))
            if loaded is not None:
                set_committed_value(loaded, "timeline_version", version)


_CHUNK = 5000


def _batches(parts, limit: int):
    """The (customers_of, ids) parts regrouped so that no group holds more than ``limit`` ids in all; a part
    longer than that is cut in pieces."""
    batch, size = [], 0
    for customers_of, ids in parts:
        for i in range(0, len(ids), limit):
            piece = ids[i:i + limit]
            if batch and size + len(piece) > limit:
                yield batch
                batch, size = [], 0
            batch.append((customers_of, piece))
            size += len(piece)
    if batch:
        yield batch


@event.listens_for(Session, "after_flush")
def _flushed(session, _ctx) -> None:
    touched: dict[_Tracked, set] = {}
    for objects, check in ((session.new, False), (session.deleted, False), (session.dirty, True)):
        for obj in objects:
            tracked = _TRACKED.get(type(obj))
            if tracked is None or (check and not session.is_modified(obj)):
                continue
            touched.setdefault(tracked, set()).update(_named(obj, tracked.column))
    raise_versions(session, touched)


@event.listens_for(Session, "do_orm_execute")
def _statement(state) -> None:
    """A statement that writes tracked rows without the ORM's flush (a bulk insert, an UPDATE … WHERE).

    An insert names its customers in its parameters. Any other statement on a tracked table cannot be
    read that way: it gives every timeline a new token, unless its writer says it has seen to the versions
    (``execution_options(timeline_handled=True)``: it changes nothing a timeline shows, or the writer
    raised the customers' versions itself)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    tracked = _BY_TABLE.get(getattr(table, "name", None))
    if tracked is None or state.execution_options.get("timeline_handled"):
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if state.is_insert and rows and all(tracked.column in row for row in rows):
        raise_versions(state.session, {tracked: {row[tracked.column] for row in rows}})
    else:
        bump(state.session.connection(), TIMELINE_CACHE)


def _track_own() -> None:
    # The log's contacts are a collection of the entry: linking or unlinking one modifies the entry.
    for model in (Activity, Contact, CustomerEvent, Opportunity, ResourceRequest):
        track_timeline_writes(model)
    # The names the rows show. A new person or stage changes no shown name, but a new token is harmless.
    invalidate_on_write(TIMELINE_CACHE, User, OpportunityStage, columns=("display_name", "name"))


_track_own()
