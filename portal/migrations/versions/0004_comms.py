"""comms: tasks, threads, work plans and reports, summaries, director reports; notifications

Revision ID: 0004_comms
Revises: 0001_foundation
Create Date: 2026-11-26 15:50:00

The notification table (model in portal/notifications, shipped with the foundation) is created here.
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


revision = '0004_comms'
down_revision = "0003_plans"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comms_director_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gm_comment', sa.Text(), nullable=True),
    sa.Column('gm_id', sa.Integer(), nullable=True),
    sa.Column('gm_commented_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comms_director_report_author_id_user')),
    sa.ForeignKeyConstraint(['gm_id'], ['user.id'], name=op.f('fk_comms_director_report_gm_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_director_report_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_director_report')),
    sa.UniqueConstraint('team_id', 'period_key', name=op.f('uq_comms_director_report_team_id'))
    )
    with op.batch_alter_table('comms_director_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_director_report_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_director_report_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_director_report_team_id'), ['team_id'], unique=False)

    op.create_table('comms_sales_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('work_done', sa.Text(), nullable=False),
    sa.Column('results', sa.Text(), nullable=True),
    sa.Column('success_rules', sa.Text(), nullable=True),
    sa.Column('failed_cases', sa.Text(), nullable=True),
    sa.Column('improvements', sa.Text(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_comms_sales_summary_answered_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_comms_sales_summary_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_sales_summary_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_sales_summary')),
    sa.UniqueConstraint('owner_id', 'period_key', name=op.f('uq_comms_sales_summary_owner_id'))
    )
    with op.batch_alter_table('comms_sales_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_sales_summary_period_key'), ['period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_sales_summary_team_id'), ['team_id'], unique=False)

    op.create_table('comms_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('deadline_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('link_type', sa.String(length=20), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigner_id'], ['user.id'], name=op.f('fk_comms_task_assigner_id_user')),
    sa.ForeignKeyConstraint(['parent_id'], ['comms_task.id'], name=op.f('fk_comms_task_parent_id_comms_task')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_task_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_task')),
    sa.UniqueConstraint('token', name=op.f('uq_comms_task_token'))
    )
    with op.batch_alter_table('comms_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_task_assigner_id'), ['assigner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_team_id'), ['team_id'], unique=False)

    op.create_table('comms_thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('escalated_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comms_thread_author_id_user')),
    sa.ForeignKeyConstraint(['escalated_by_id'], ['user.id'], name=op.f('fk_comms_thread_escalated_by_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_thread_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_thread')),
    sa.UniqueConstraint('token', name=op.f('uq_comms_thread_token'))
    )
    with op.batch_alter_table('comms_thread', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_thread_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_thread_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_thread_escalated_at'), ['escalated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_thread_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_thread_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_thread_team_id'), ['team_id'], unique=False)

    op.create_table('comms_work_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('cadence', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('due_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('commented_by_id', sa.Integer(), nullable=True),
    sa.Column('commented_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['commented_by_id'], ['user.id'], name=op.f('fk_comms_work_plan_commented_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_comms_work_plan_owner_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_work_plan_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_work_plan')),
    sa.UniqueConstraint('owner_id', 'cadence', 'period_start', name=op.f('uq_comms_work_plan_owner_id'))
    )
    with op.batch_alter_table('comms_work_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_work_plan_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_comms_work_plan_owner_due', ['owner_id', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_work_plan_team_id'), ['team_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_notification_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('comms_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['comms_work_plan.id'], name=op.f('fk_comms_plan_item_plan_id_comms_work_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_plan_item'))
    )
    with op.batch_alter_table('comms_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_plan_item_plan_id'), ['plan_id'], unique=False)

    op.create_table('comms_task_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('completion_report', sa.Text(), nullable=True),
    sa.Column('completed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('reviewed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_back_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['user.id'], name=op.f('fk_comms_task_assignment_assignee_id_user')),
    sa.ForeignKeyConstraint(['task_id'], ['comms_task.id'], name=op.f('fk_comms_task_assignment_task_id_comms_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_task_assignment_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_task_assignment')),
    sa.UniqueConstraint('task_id', 'assignee_id', name=op.f('uq_comms_task_assignment_task_id'))
    )
    with op.batch_alter_table('comms_task_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_task_assignment_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_assignment_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_assignment_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_task_assignment_team_id'), ['team_id'], unique=False)

    op.create_table('comms_thread_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comms_thread_message_author_id_user')),
    sa.ForeignKeyConstraint(['thread_id'], ['comms_thread.id'], name=op.f('fk_comms_thread_message_thread_id_comms_thread'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_thread_message')),
    sa.UniqueConstraint('token', name=op.f('uq_comms_thread_message_token'))
    )
    with op.batch_alter_table('comms_thread_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_thread_message_thread_id'), ['thread_id'], unique=False)

    op.create_table('comms_thread_read',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['comms_thread.id'], name=op.f('fk_comms_thread_read_thread_id_comms_thread'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_comms_thread_read_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'user_id', name=op.f('pk_comms_thread_read'))
    )
    op.create_table('comms_work_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('cadence', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('problems', sa.Text(), nullable=True),
    sa.Column('due_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('commented_by_id', sa.Integer(), nullable=True),
    sa.Column('commented_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['commented_by_id'], ['user.id'], name=op.f('fk_comms_work_report_commented_by_id_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_comms_work_report_owner_id_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['comms_work_plan.id'], name=op.f('fk_comms_work_report_plan_id_comms_work_plan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_comms_work_report_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_work_report')),
    sa.UniqueConstraint('owner_id', 'cadence', 'period_start', name=op.f('uq_comms_work_report_owner_id'))
    )
    with op.batch_alter_table('comms_work_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_work_report_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_comms_work_report_owner_due', ['owner_id', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_work_report_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comms_work_report_team_id'), ['team_id'], unique=False)

    op.create_table('comms_report_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('problems', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['plan_item_id'], ['comms_plan_item.id'], name=op.f('fk_comms_report_item_plan_item_id_comms_plan_item'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['comms_work_report.id'], name=op.f('fk_comms_report_item_report_id_comms_work_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comms_report_item'))
    )
    with op.batch_alter_table('comms_report_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comms_report_item_report_id'), ['report_id'], unique=False)


def downgrade():
    op.drop_table('comms_report_item')
    op.drop_table('comms_work_report')
    op.drop_table('comms_thread_read')
    op.drop_table('comms_thread_message')
    op.drop_table('comms_task_assignment')
    op.drop_table('comms_plan_item')
    op.drop_table('notification')
    op.drop_table('comms_work_plan')
    op.drop_table('comms_thread')
    op.drop_table('comms_task')
    op.drop_table('comms_sales_summary')
    op.drop_table('comms_director_report')
