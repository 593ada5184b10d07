"""approvals and chat robots: chains, requests, steps, history; robots, outbox, delivery attempts

Revision ID: 0007_approvals_robots
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0007_approvals_robots"
down_revision = "0006_appraisals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('approval_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_approval_chain_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_chain')),
    sa.UniqueConstraint('team_id', 'kind', name='uq_approval_chain_team_kind')
    )
    op.create_table('approval_chain_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('min_amount', portal.core.types.Money(), nullable=True),
    sa.ForeignKeyConstraint(['chain_id'], ['approval_chain.id'], name=op.f('fk_approval_chain_step_chain_id_approval_chain'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_chain_step'))
    )
    with op.batch_alter_table('approval_chain_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_chain_step_chain_id'), ['chain_id'], unique=False)

    op.create_table('approval_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('amount', portal.core.types.Money(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_role', sa.String(length=16), nullable=True),
    sa.Column('current_position', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['user.id'], name=op.f('fk_approval_request_requester_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_approval_request_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_request'))
    )
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.create_index('ix_approval_request_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_request_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_approval_request_todo', ['status', 'current_role', 'team_id'], unique=False)

    op.create_table('robot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_robot_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_robot_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robot'))
    )
    with op.batch_alter_table('robot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robot_team_id'), ['team_id'], unique=False)

    op.create_table('approval_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_approval_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'], name=op.f('fk_approval_event_request_id_approval_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_event'))
    )
    with op.batch_alter_table('approval_event', schema=None) as batch_op:
        batch_op.create_index('ix_approval_event_record', ['record_type', 'record_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_event_request_id'), ['request_id'], unique=False)

    op.create_table('approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('min_amount', portal.core.types.Money(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_approval_step_decided_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'], name=op.f('fk_approval_step_request_id_approval_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_step'))
    )
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_step_request_id'), ['request_id'], unique=False)

    op.create_table('robot_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('robot_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['robot_id'], ['robot.id'], name=op.f('fk_robot_outbox_robot_id_robot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robot_outbox'))
    )
    with op.batch_alter_table('robot_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_robot_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_robot_outbox_robot_created', ['robot_id', 'created_at'], unique=False)

    op.create_table('robot_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['robot_outbox.id'], name=op.f('fk_robot_delivery_outbox_id_robot_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robot_delivery'))
    )
    with op.batch_alter_table('robot_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robot_delivery_outbox_id'), ['outbox_id'], unique=False)



def downgrade():
    with op.batch_alter_table('robot_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robot_delivery_outbox_id'))

    op.drop_table('robot_delivery')
    with op.batch_alter_table('robot_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_robot_outbox_robot_created')
        batch_op.drop_index('ix_robot_outbox_due')

    op.drop_table('robot_outbox')
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_step_request_id'))

    op.drop_table('approval_step')
    with op.batch_alter_table('approval_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_event_request_id'))
        batch_op.drop_index('ix_approval_event_record')

    op.drop_table('approval_event')
    with op.batch_alter_table('robot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robot_team_id'))

    op.drop_table('robot')
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_request_todo')
        batch_op.drop_index(batch_op.f('ix_approval_request_requester_id'))
        batch_op.drop_index('ix_approval_request_record')

    op.drop_table('approval_request')
    with op.batch_alter_table('approval_chain_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_chain_step_chain_id'))

    op.drop_table('approval_chain_step')
    op.drop_table('approval_chain')
