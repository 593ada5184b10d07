"""thread panel indexes: the team's open threads and its threads by date (the director's panels)

Revision ID: 0024_thread_panel_indexes
Revises: 0023_regions_token
"""
from alembic import op

revision = "0024_thread_panel_indexes"
down_revision = "0023_regions_token"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_comms_thread_team_status", "comms_thread", ["team_id", "status", "created_at"], unique=False)
    op.create_index("ix_comms_thread_team_created", "comms_thread", ["team_id", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_comms_thread_team_created", table_name="comms_thread")
    op.drop_index("ix_comms_thread_team_status", table_name="comms_thread")
