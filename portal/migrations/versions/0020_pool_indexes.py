"""pool indexes: every pool customer has its arrival time; the pool's order and menus from covering indexes;
the customer and order lists' order with their ids; the company pool from a partial index; the scope
indexes with the id (PostgreSQL counts a team's customers from the index alone)

Revision ID: 0020_pool_indexes
Revises: 0019_pipeline_token
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_pool_indexes"
down_revision = "0019_pipeline_token"
branch_labels = None
depends_on = None

SCOPE = ["status", "team_id", "company_pool"]
SCOPES = (("ix_customer_owner_scope", ["owner_id", "team_id", "company_pool", "region"]),
          ("ix_customer_team_scope", ["team_id", "owner_id", "company_pool", "region"]))
INDEXES = (("ix_customer_owner_arrival", ["owner_id", "pool_entered_at", "id", *SCOPE]),
           ("ix_customer_owner_region", ["owner_id", "region", *SCOPE]),
           ("ix_customer_owner_industry", ["owner_id", "industry", *SCOPE]),
           ("ix_customer_name_id", ["name_key", "id"]))


def upgrade():
    # Customers created straight into the pool had no arrival time: they arrived when they were created.
    op.execute("UPDATE customer SET pool_entered_at = created_at WHERE owner_id IS NULL AND pool_entered_at IS NULL")
    for name, columns in INDEXES:
        op.create_index(name, "customer", columns, unique=False)
    op.create_index("ix_sales_order_day_id", "sales_order", ["ordered_on", "id"], unique=False)
    op.create_index("ix_customer_company_pool_open", "customer", ["owner_id", "status", "team_id", "region"],
                    unique=False, sqlite_where=sa.text("company_pool = 1"), postgresql_where=sa.text("company_pool"))
    op.create_index("ix_customer_team_pool_status", "customer", ["team_id", "owner_id", "status", "id"], unique=False)
    for name, columns in SCOPES:
        op.drop_index(name, table_name="customer")
        op.create_index(name, "customer", [*columns, "id"], unique=False)
    op.execute("ANALYZE customer")  # the planner's statistics must know the new indexes
    op.execute("ANALYZE sales_order")


def downgrade():
    for name, columns in SCOPES:
        op.drop_index(name, table_name="customer")
        op.create_index(name, "customer", columns, unique=False)
    op.drop_index("ix_customer_team_pool_status", table_name="customer")
    op.drop_index("ix_customer_company_pool_open", table_name="customer")
    op.drop_index("ix_sales_order_day_id", table_name="sales_order")
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="customer")
