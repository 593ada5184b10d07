"""team rollup: actual figures per month and team (sums of the sales_month cells); covering indexes for the pipeline and spending sums

Revision ID: 0014_team_rollup
Revises: 0013_versions
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0014_team_rollup"
down_revision = "0013_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sales_month_team',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sales', portal.core.types.Money(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('gross_profit', portal.core.types.Money(), nullable=False),
    sa.Column('contracts', portal.core.types.Money(), nullable=False),
    sa.Column('payments', portal.core.types.Money(), nullable=False),
    sa.Column('new_customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'team_id', name=op.f('pk_sales_month_team'))
    )
    op.drop_index('ix_opportunity_status_close', table_name='opportunity')
    op.create_index('ix_opportunity_open_pipeline', 'opportunity',
                    ['status', 'expected_close', 'team_id', 'owner_id', 'amount', 'probability'], unique=False)
    op.create_index('ix_expense_team_day', 'expense', ['team_id', 'spent_on', 'approval_status', 'amount'],
                    unique=False)
    from sqlalchemy.orm import Session

    from portal.plans.rollup import rebuild_team_cells

    session = Session(bind=op.get_bind())
    rebuild_team_cells(session)
    session.flush()

    # The planner's statistics must know the new indexes (SQLite chooses none it has no figures for).
    op.execute("ANALYZE opportunity")
    op.execute("ANALYZE expense")


def downgrade():
    op.drop_index('ix_expense_team_day', table_name='expense')
    op.drop_index('ix_opportunity_open_pipeline', table_name='opportunity')
    op.create_index('ix_opportunity_status_close', 'opportunity', ['status', 'expected_close'], unique=False)
    op.drop_table('sales_month_team')
