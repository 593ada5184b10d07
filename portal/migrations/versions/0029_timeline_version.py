"""timeline version: each customer's history counter, and the token for what every timeline shows

Revision ID: 0029_timeline_version
Revises: 0028_panel_tokens
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0029_timeline_version"
down_revision = "0028_panel_tokens"
branch_labels = None
depends_on = None


def upgrade():
    # A constant default: PostgreSQL adds the column without rewriting the table.
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("timeline_version", sa.Integer(), nullable=False, server_default="0"))
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": "customer_timeline", "token": uuid.uuid4().hex}])


def downgrade():
    op.execute(sa.text("DELETE FROM cache_version WHERE name = 'customer_timeline'"))
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("timeline_version")
