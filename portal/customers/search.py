"""What a customer is found by: one column holding its name, phone and pinyin and its contacts' names
and phones, kept current in the flush that changes any of them.

The list's search used to test the customer's columns and an EXISTS over its contacts. PostgreSQL
answered that EXISTS by reading every contact of the company (80,000 at the scale of issue 8, 20–30 ms
for each search), whatever the user may see. With one column on the customer, a search only reads the
customers the user may see, from their visibility indexes.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session

from .models import Contact, Customer, name_key

# Between the parts, so that a search never matches across two of them; nobody types it.
SEPARATOR = "\x1f"
_CUSTOMER_FIELDS = ("name", "name_key", "phone", "pinyin_full", "pinyin_initials")


def compose(name_key_: str | None, phone: str | None, pinyin_full: str | None, pinyin_initials: str | None,
            contacts: Iterable[tuple[str | None, str | None]]) -> str:
    """The searchable text of a customer; contact names are folded as customer names are (name_key)."""
    parts = [name_key_ or "", phone or "", pinyin_full or "", pinyin_initials or ""]
    for contact_name, contact_phone in contacts:
        parts += [name_key(contact_name or ""), contact_phone or ""]
    return SEPARATOR.join(parts)


def refresh(connection, customer_ids: Iterable[int]) -> int:
    """Recompute the search text of these customers from the database; returns how many were written."""
    ids = sorted(set(customer_ids))
    written = 0
    table = Customer.__table__
    update = table.update().where(table.c.id == bindparam("cid")).values(search_text=bindparam("text"))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        contacts = defaultdict(list)
        for customer_id, contact_name, contact_phone in connection.execute(
                select(Contact.customer_id, Contact.name, Contact.phone)
                .where(Contact.customer_id.in_(chunk)).order_by(Contact.customer_id, Contact.id)):
            contacts[customer_id].append((contact_name, contact_phone))
        rows = [{"cid": cid, "text": compose(key, phone, full, initials, contacts[cid])}
                for cid, key, phone, full, initials in connection.execute(
                    select(Customer.id, Customer.name_key, Customer.phone, Customer.pinyin_full,
                           Customer.pinyin_initials).where(Customer.id.in_(chunk)))]
        if rows:
            connection.execute(update, rows)
            written += len(rows)
    return written


def refresh_all(connection) -> int:
    """Every customer (after a bulk load that bypassed the ORM, and in the migration that added it)."""
    return refresh(connection, connection.execute(select(Customer.id)).scalars())


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


@event.listens_for(Session, "after_flush")
def _keep_current(session, _ctx) -> None:
    touched: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Customer):
            touched.add(obj.id)
        elif isinstance(obj, Contact):
            touched.add(obj.customer_id)
    for obj in session.dirty:
        if isinstance(obj, Customer) and _changed(obj, _CUSTOMER_FIELDS):
            touched.add(obj.id)
        elif isinstance(obj, Contact) and _changed(obj, ("name", "phone", "customer_id")):
            touched.add(obj.customer_id)
            touched.update(inspect(obj).attrs.customer_id.history.deleted)  # a contact moved away
    for obj in session.deleted:
        if isinstance(obj, Contact):
            touched.add(obj.customer_id)
    touched.discard(None)
    if touched:
        refresh(session.connection(), touched)
