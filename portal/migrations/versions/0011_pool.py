"""public customer pool: pool rules per team and tier, keep requests, pool columns on customers;
discounts on opportunities

Revision ID: 0011_pool
Revises: 0007_approvals_robots
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0011_pool"
down_revision = "0010_plan_expense_approvals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pool_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=1), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('no_follow_up_days', sa.Integer(), nullable=True),
    sa.Column('no_opportunity_days', sa.Integer(), nullable=True),
    sa.Column('no_deal_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_pool_rule_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_rule')),
    sa.UniqueConstraint('team_id', 'tier', name='uq_pool_rule_team_tier')
    )
    op.create_table('keep_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_keep_request_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_keep_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['requester_id'], ['user.id'], name=op.f('fk_keep_request_requester_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_keep_request_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keep_request'))
    )
    with op.batch_alter_table('keep_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keep_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keep_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keep_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_keep_request_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owned_since', portal.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pool_entered_at', portal.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('previous_owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reminded_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('company_pool', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_customer_company_pool'), ['company_pool'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_pool_entered_at'), ['pool_entered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_previous_owner_id'), ['previous_owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customer_previous_owner_id_user'), 'user', ['previous_owner_id'], ['id'])
    # Customers owned before the pool existed count from when they were added.
    op.execute("UPDATE customer SET owned_since = created_at WHERE owner_id IS NOT NULL")

    with op.batch_alter_table('customer_event', schema=None) as batch_op:
        batch_op.create_index('ix_customer_event_actor_kind_occurred', ['actor_id', 'kind', 'occurred_at'], unique=False)

    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', portal.core.types.Money(), nullable=True))
        batch_op.add_column(sa.Column('discount_approved', portal.core.types.Money(), nullable=True))


def downgrade():
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_column('discount_approved')
        batch_op.drop_column('discount')

    with op.batch_alter_table('customer_event', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_event_actor_kind_occurred')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_previous_owner_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customer_previous_owner_id'))
        batch_op.drop_index(batch_op.f('ix_customer_pool_entered_at'))
        batch_op.drop_index(batch_op.f('ix_customer_company_pool'))
        batch_op.drop_column('company_pool')
        batch_op.drop_column('reminded_due_on')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('previous_owner_id')
        batch_op.drop_column('pool_entered_at')
        batch_op.drop_column('owned_since')

    with op.batch_alter_table('keep_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keep_request_team_id'))
        batch_op.drop_index(batch_op.f('ix_keep_request_status'))
        batch_op.drop_index(batch_op.f('ix_keep_request_requester_id'))
        batch_op.drop_index(batch_op.f('ix_keep_request_customer_id'))

    op.drop_table('keep_request')
    op.drop_table('pool_rule')
