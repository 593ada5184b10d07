"""pool indexes: every pool customer has its arrival time; the pool's order and menus from covering indexes

Revision ID: 0020_pool_indexes
Revises: 0019_pipeline_token
"""
from alembic import op

revision = "0020_pool_indexes"
down_revision = "0019_pipeline_token"
branch_labels = None
depends_on = None

SCOPE = ["status", "team_id", "company_pool"]
INDEXES = (("ix_customer_owner_arrival", ["owner_id", "pool_entered_at", "id", *SCOPE]),
           ("ix_customer_owner_region", ["owner_id", "region", *SCOPE]),
           ("ix_customer_owner_industry", ["owner_id", "industry", *SCOPE]))


def upgrade():
    # Customers created straight into the pool had no arrival time: they arrived when they were created.
    op.execute("UPDATE customer SET pool_entered_at = created_at WHERE owner_id IS NULL AND pool_entered_at IS NULL")
    for name, columns in INDEXES:
        op.create_index(name, "customer", columns, unique=False)
    op.execute("ANALYZE customer")  # the planner's statistics must know the new indexes


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="customer")
