"""appraisals: templates, cycles, appraisals and their items, personnel notes

Revision ID: 0006_appraisals
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

import portal.core.types

revision = "0006_appraisals"
down_revision = "0005_training"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appraisal_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('period_kind', sa.String(length=10), nullable=True),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_appraisal_template_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_template'))
    )
    with op.batch_alter_table('appraisal_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_template_team_id'), ['team_id'], unique=False)

    op.create_table('appraisal_cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_appraisal_cycle_opened_by_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_appraisal_cycle_team_id_team')),
    sa.ForeignKeyConstraint(['template_id'], ['appraisal_template.id'], name=op.f('fk_appraisal_cycle_template_id_appraisal_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_cycle')),
    sa.UniqueConstraint('team_id', 'period_key', name='uq_appraisal_cycle_team_period')
    )
    with op.batch_alter_table('appraisal_cycle', schema=None) as batch_op:
        batch_op.create_index('ix_appraisal_cycle_team_start', ['team_id', 'start'], unique=False)

    op.create_table('appraisal_template_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('weight', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('floor', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['template_id'], ['appraisal_template.id'], name=op.f('fk_appraisal_template_item_template_id_appraisal_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_template_item'))
    )
    with op.batch_alter_table('appraisal_template_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_template_item_template_id'), ['template_id'], unique=False)

    op.create_table('personnel_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_personnel_note_author_id_user')),
    sa.ForeignKeyConstraint(['rep_id'], ['user.id'], name=op.f('fk_personnel_note_rep_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_personnel_note_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personnel_note'))
    )
    with op.batch_alter_table('personnel_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personnel_note_rep_id'), ['rep_id'], unique=False)

    op.create_table('appraisal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('presence', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('self_assessment', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('total', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('finalised_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finalised_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disagreement', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['appraisal_cycle.id'], name=op.f('fk_appraisal_cycle_id_appraisal_cycle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finalised_by_id'], ['user.id'], name=op.f('fk_appraisal_finalised_by_id_user')),
    sa.ForeignKeyConstraint(['rep_id'], ['user.id'], name=op.f('fk_appraisal_rep_id_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_appraisal_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal')),
    sa.UniqueConstraint('cycle_id', 'rep_id', name='uq_appraisal_cycle_rep')
    )
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_appraisal_rep_state', ['rep_id', 'state'], unique=False)
        batch_op.create_index('ix_appraisal_team_state', ['team_id', 'state'], unique=False)

    op.create_table('appraisal_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('weight', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('base_target', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('target', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('floor', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('computed', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('adjusted', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('adjust_reason', sa.Text(), nullable=True),
    sa.Column('judged', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('remark', sa.Text(), nullable=True),
    sa.Column('self_score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], name=op.f('fk_appraisal_item_appraisal_id_appraisal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_item'))
    )
    with op.batch_alter_table('appraisal_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_item_appraisal_id'), ['appraisal_id'], unique=False)



def downgrade():

    with op.batch_alter_table('appraisal_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_item_appraisal_id'))

    op.drop_table('appraisal_item')
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_index('ix_appraisal_team_state')
        batch_op.drop_index('ix_appraisal_rep_state')
        batch_op.drop_index(batch_op.f('ix_appraisal_cycle_id'))

    op.drop_table('appraisal')
    with op.batch_alter_table('personnel_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personnel_note_rep_id'))

    op.drop_table('personnel_note')
    with op.batch_alter_table('appraisal_template_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_template_item_template_id'))

    op.drop_table('appraisal_template_item')
    with op.batch_alter_table('appraisal_cycle', schema=None) as batch_op:
        batch_op.drop_index('ix_appraisal_cycle_team_start')

    op.drop_table('appraisal_cycle')
    with op.batch_alter_table('appraisal_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_template_team_id'))

    op.drop_table('appraisal_template')
