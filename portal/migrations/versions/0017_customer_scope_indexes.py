"""customer scope indexes: the visibility columns and the region, so the customer list's count and its
region filter are read from an index alone

Revision ID: 0017_customer_scope_indexes
Revises: 0016_panel_indexes
"""
from alembic import op

revision = "0017_customer_scope_indexes"
down_revision = "0016_panel_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_customer_owner_scope', 'customer', ['owner_id', 'team_id', 'company_pool', 'region'],
                    unique=False)
    op.create_index('ix_customer_team_scope', 'customer', ['team_id', 'owner_id', 'company_pool', 'region'],
                    unique=False)

    # The planner's statistics must know the new indexes (SQLite chooses none it has no figures for).
    op.execute("ANALYZE customer")


def downgrade():
    op.drop_index('ix_customer_team_scope', table_name='customer')
    op.drop_index('ix_customer_owner_scope', table_name='customer')
