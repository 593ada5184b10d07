"""versions: optimistic locking on customers, plans, targets and contracts (see portal/core/concurrency.py)

Revision ID: 0013_versions
Revises: 0012_sales_rollup
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_versions"
down_revision = "0012_sales_rollup"
branch_labels = None
depends_on = None

TABLES = ("customer", "plan", "target", "contract")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
