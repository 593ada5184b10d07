"""timeline index: a customer's log entries newest first from the index alone (with the id that breaks
ties), and on PostgreSQL finer statistics of the log's customer column

Revision ID: 0027_timeline_index
Revises: 0026_lists_token

A customer page shows the newest 20 entries of the customer's log. With (customer_id, occurred_at, id)
the database reads those 20 backwards from the index and stops. It only does so when it knows the
customer has many entries: the default statistics keep the frequencies of the 100 commonest
customers, so a key account with years of history is estimated at the average (a few dozen), and the
planner reads and sorts all of its entries instead. A thousand are kept here.
"""
from alembic import op

revision = "0027_timeline_index"
down_revision = "0026_lists_token"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_activity_customer_newest", "activity", ["customer_id", "occurred_at", "id"], unique=False)
    op.drop_index("ix_activity_customer_occurred", table_name="activity")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE activity ALTER COLUMN customer_id SET STATISTICS 1000")
        op.execute("ANALYZE activity")  # now, not when autovacuum next gets to the table


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE activity ALTER COLUMN customer_id SET STATISTICS -1")
    op.create_index("ix_activity_customer_occurred", "activity", ["customer_id", "occurred_at"], unique=False)
    op.drop_index("ix_activity_customer_newest", table_name="activity")
