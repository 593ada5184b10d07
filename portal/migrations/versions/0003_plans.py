"""plans: plans, targets, seasonal profiles, budgets, expenses; contracts, payments, orders

Revision ID: 0003_plans
Revises: 0001_foundation
Create Date: 2026-11-26 16:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '0003_plans'
down_revision = "0002_customers"
branch_labels = None
# Contracts and orders name customers: the customer log's tables come first.
depends_on = None


def upgrade():
    op.create_table('budget_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_category')),
    sa.UniqueConstraint('name', name=op.f('uq_budget_category_name'))
    )

    op.create_table('seasonal_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seasonal_profile')),
    sa.UniqueConstraint('name', name=op.f('uq_seasonal_profile_name'))
    )

    op.create_table('budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('amount', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['budget_category.id'], name=op.f('fk_budget_line_category_id_budget_category')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_budget_line_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_line')),
    sa.UniqueConstraint('team_id', 'period_key', 'category_id', name='uq_budget_line_slot')
    )

    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_line_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_line_period_key'), ['period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_line_period_start'), ['period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_line_team_id'), ['team_id'], unique=False)

    op.create_table('expense',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('over_budget', sa.Boolean(), nullable=False),
    sa.Column('receipt_key', sa.String(length=200), nullable=True),
    sa.Column('receipt_name', sa.String(length=200), nullable=True),
    sa.Column('receipt_type', sa.String(length=120), nullable=True),
    sa.Column('receipt_size', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['budget_category.id'], name=op.f('fk_expense_category_id_budget_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_expense_created_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_expense_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_expense_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expense'))
    )

    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expense_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_over_budget'), ['over_budget'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_spent_on'), ['spent_on'], unique=False)
        batch_op.create_index('ix_expense_team_cat_day', ['team_id', 'category_id', 'spent_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_expense_team_id'), ['team_id'], unique=False)

    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('analysis', sa.Text(), nullable=True),
    sa.Column('strategy', sa.Text(), nullable=True),
    sa.Column('steps', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_plan_created_by_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_plan_decided_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_plan_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_plan_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan'))
    )

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_period_key'), ['period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_period_start'), ['period_start'], unique=False)
        batch_op.create_index('ix_plan_scope_period', ['scope', 'team_id', 'owner_id', 'period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_team_id'), ['team_id'], unique=False)

    op.create_table('target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('base', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('sprint', portal.core.types.Money(precision=14, scale=2), nullable=True),
    sa.Column('challenge', portal.core.types.Money(precision=14, scale=2), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_target_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_target_team_id_team')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_target_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target')),
    sa.UniqueConstraint('scope', 'team_id', 'owner_id', 'period_key', 'measure', name='uq_target_slot')
    )

    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_period_key'), ['period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_period_start'), ['period_start'], unique=False)
        batch_op.create_index('ix_target_scope_start', ['scope', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_team_id'), ['team_id'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('terminated_reason', sa.Text(), nullable=True),
    sa.Column('fulfilled_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_contract_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_contract_customer_id_customer')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_contract_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_contract_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('number', name=op.f('uq_contract_number'))
    )

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_end_on'), ['end_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_contract_owner_signed', ['owner_id', 'signed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_signed_on'), ['signed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_status'), ['status'], unique=False)
        batch_op.create_index('ix_contract_status_end', ['status', 'end_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_team_id'), ['team_id'], unique=False)
        batch_op.create_index('ix_contract_team_signed', ['team_id', 'signed_on'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_payment_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_payment_created_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_payment_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_payment_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_payment_owner_paid', ['owner_id', 'paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_paid_on'), ['paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_team_id'), ['team_id'], unique=False)
        batch_op.create_index('ix_payment_team_paid', ['team_id', 'paid_on'], unique=False)

    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('amount', portal.core.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('cost', portal.core.types.Money(precision=14, scale=2), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_sales_order_contract_id_contract'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_sales_order_created_by_id_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_sales_order_customer_id_customer')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_sales_order_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_sales_order_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order'))
    )

    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_ordered_on'), ['ordered_on'], unique=False)
        batch_op.create_index('ix_sales_order_owner_day', ['owner_id', 'ordered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_sales_order_team_day', ['team_id', 'ordered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_team_id'), ['team_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_team_id'))
        batch_op.drop_index('ix_sales_order_team_day')
        batch_op.drop_index(batch_op.f('ix_sales_order_owner_id'))
        batch_op.drop_index('ix_sales_order_owner_day')
        batch_op.drop_index(batch_op.f('ix_sales_order_ordered_on'))
        batch_op.drop_index(batch_op.f('ix_sales_order_number'))
        batch_op.drop_index(batch_op.f('ix_sales_order_customer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_contract_id'))
    op.drop_table('sales_order')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_team_paid')
        batch_op.drop_index(batch_op.f('ix_payment_team_id'))
        batch_op.drop_index(batch_op.f('ix_payment_paid_on'))
        batch_op.drop_index('ix_payment_owner_paid')
        batch_op.drop_index(batch_op.f('ix_payment_owner_id'))
        batch_op.drop_index(batch_op.f('ix_payment_contract_id'))
    op.drop_table('payment')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_team_signed')
        batch_op.drop_index(batch_op.f('ix_contract_team_id'))
        batch_op.drop_index('ix_contract_status_end')
        batch_op.drop_index(batch_op.f('ix_contract_status'))
        batch_op.drop_index(batch_op.f('ix_contract_signed_on'))
        batch_op.drop_index('ix_contract_owner_signed')
        batch_op.drop_index(batch_op.f('ix_contract_owner_id'))
        batch_op.drop_index(batch_op.f('ix_contract_end_on'))
        batch_op.drop_index(batch_op.f('ix_contract_customer_id'))
    op.drop_table('contract')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_team_id'))
        batch_op.drop_index('ix_target_scope_start')
        batch_op.drop_index(batch_op.f('ix_target_period_start'))
        batch_op.drop_index(batch_op.f('ix_target_period_key'))
        batch_op.drop_index(batch_op.f('ix_target_owner_id'))
    op.drop_table('target')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_team_id'))
        batch_op.drop_index(batch_op.f('ix_plan_status'))
        batch_op.drop_index('ix_plan_scope_period')
        batch_op.drop_index(batch_op.f('ix_plan_period_start'))
        batch_op.drop_index(batch_op.f('ix_plan_period_key'))
        batch_op.drop_index(batch_op.f('ix_plan_owner_id'))
    op.drop_table('plan')
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expense_team_id'))
        batch_op.drop_index('ix_expense_team_cat_day')
        batch_op.drop_index(batch_op.f('ix_expense_spent_on'))
        batch_op.drop_index(batch_op.f('ix_expense_owner_id'))
        batch_op.drop_index(batch_op.f('ix_expense_over_budget'))
        batch_op.drop_index(batch_op.f('ix_expense_category_id'))
    op.drop_table('expense')
    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_line_team_id'))
        batch_op.drop_index(batch_op.f('ix_budget_line_period_start'))
        batch_op.drop_index(batch_op.f('ix_budget_line_period_key'))
        batch_op.drop_index(batch_op.f('ix_budget_line_category_id'))
    op.drop_table('budget_line')
    op.drop_table('seasonal_profile')
    op.drop_table('budget_category')
