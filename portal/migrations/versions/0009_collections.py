"""collections: instalments (回款计划), invoice requests (开票), payments naming their instalment

Revision ID: 0009_collections
Revises: 0007_approvals_robots
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0009_collections"
down_revision = "0007_approvals_robots"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instalment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', portal.core.types.Money(), nullable=False),
    sa.Column('remind_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('void', sa.Boolean(), nullable=False),
    sa.Column('collected', portal.core.types.Money(), nullable=False),
    sa.Column('paid_off_on', sa.Date(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('reminded_before_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_due_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_overdue_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_instalment_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_instalment_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_instalment_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instalment'))
    )
    with op.batch_alter_table('instalment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instalment_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instalment_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_instalment_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instalment_team_id'), ['team_id'], unique=False)
        batch_op.create_index('ix_instalment_team_due', ['team_id', 'due_on'], unique=False)
        batch_op.create_index('ix_instalment_owner_due', ['owner_id', 'due_on'], unique=False)

    op.create_table('invoice_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tax_number', sa.String(length=18), nullable=False),
    sa.Column('amount', portal.core.types.Money(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=True),
    sa.Column('reject_reason', sa.String(length=300), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_invoice_request_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_invoice_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_invoice_request_owner_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_invoice_request_requested_by_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_invoice_request_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_request'))
    )
    with op.batch_alter_table('invoice_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_request_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_request_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instalment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_instalment_id'), ['instalment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_instalment_id_instalment'), 'instalment',
                                    ['instalment_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_instalment_id_instalment'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_instalment_id'))
        batch_op.drop_column('instalment_id')
    op.drop_table('invoice_request')
    op.drop_table('instalment')
