"""customer search: one column with the name, phone, pinyin and the contacts' names and phones

Revision ID: 0021_customer_search
Revises: 0020_pool_indexes
"""
import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0021_customer_search"
down_revision = "0020_pool_indexes"
branch_labels = None
depends_on = None

# As the app writes it (portal/customers/search.py), frozen here so this migration never changes.
SEPARATOR = "\x1f"
customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("name_key", sa.String),
                    sa.column("phone", sa.String), sa.column("pinyin_full", sa.String),
                    sa.column("pinyin_initials", sa.String), sa.column("search_text", sa.Text))
contact = sa.table("contact", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer),
                   sa.column("name", sa.String), sa.column("phone", sa.String))


def _fold(name):
    return " ".join(unicodedata.normalize("NFKC", name or "").casefold().split())


def upgrade():
    op.add_column("customer", sa.Column("search_text", sa.Text(), nullable=True))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(customer.c.id).order_by(customer.c.id))]
    update = customer.update().where(customer.c.id == sa.bindparam("cid")).values(
        search_text=sa.bindparam("text"))
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        people = defaultdict(list)
        for cid, name, phone in bind.execute(sa.select(contact.c.customer_id, contact.c.name, contact.c.phone)
                                             .where(contact.c.customer_id.in_(chunk))
                                             .order_by(contact.c.customer_id, contact.c.id)):
            people[cid] += [_fold(name), phone or ""]
        rows = [{"cid": cid, "text": SEPARATOR.join([key or "", phone or "", full or "", initials or ""] + people[cid])}
                for cid, key, phone, full, initials in bind.execute(
                    sa.select(customer.c.id, customer.c.name_key, customer.c.phone, customer.c.pinyin_full,
                              customer.c.pinyin_initials).where(customer.c.id.in_(chunk)))]
        if rows:
            bind.execute(update, rows)


def downgrade():
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("search_text")
