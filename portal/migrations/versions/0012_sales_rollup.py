"""sales rollup: actual figures per month and (team, rep), kept current on every write; indexes for the pipeline and the team's open follow-ups

Revision ID: 0012_sales_rollup
Revises: 0011_pool
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0012_sales_rollup"
down_revision = "0011_pool"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sales_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('owner_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sales', portal.core.types.Money(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('gross_profit', portal.core.types.Money(), nullable=False),
    sa.Column('contracts', portal.core.types.Money(), nullable=False),
    sa.Column('payments', portal.core.types.Money(), nullable=False),
    sa.Column('new_customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'team_id', 'owner_id', name=op.f('pk_sales_month'))
    )
    op.create_index('ix_sales_month_owner_month', 'sales_month', ['owner_id', 'month'], unique=False)
    op.create_index('ix_sales_month_team_month', 'sales_month', ['team_id', 'month'], unique=False)
    op.create_index('ix_opportunity_status_close', 'opportunity', ['status', 'expected_close'], unique=False)
    op.create_index('ix_activity_team_followup_open', 'activity', ['team_id', 'follow_up_done', 'follow_up_on'],
                    unique=False)
    # Fill it from what is already there (the same code that rebuilds it on demand).
    from sqlalchemy.orm import Session

    from portal.plans.rollup import rebuild_cells

    session = Session(bind=op.get_bind())
    rebuild_cells(session)
    session.flush()


def downgrade():
    op.drop_index('ix_activity_team_followup_open', table_name='activity')
    op.drop_index('ix_opportunity_status_close', table_name='opportunity')
    op.drop_index('ix_sales_month_team_month', table_name='sales_month')
    op.drop_index('ix_sales_month_owner_month', table_name='sales_month')
    op.drop_table('sales_month')
