"""follow-up index: the team's open follow-ups as a partial index (only those not done and dated)

Revision ID: 0018_followup_partial_index
Revises: 0017_customer_scope_indexes
"""
from alembic import op
import sqlalchemy as sa

revision = "0018_followup_partial_index"
down_revision = "0017_customer_scope_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_activity_team_followup_open', table_name='activity')
    op.create_index('ix_activity_team_followup_due', 'activity', ['team_id', 'follow_up_on'], unique=False,
                    sqlite_where=sa.text("follow_up_done = 0 AND follow_up_on IS NOT NULL"),
                    postgresql_where=sa.text("follow_up_done = false AND follow_up_on IS NOT NULL"))
    # The planner's statistics must know the new index.
    op.execute("ANALYZE activity")


def downgrade():
    op.drop_index('ix_activity_team_followup_due', table_name='activity')
    op.create_index('ix_activity_team_followup_open', 'activity', ['team_id', 'follow_up_done', 'follow_up_on'],
                    unique=False)
