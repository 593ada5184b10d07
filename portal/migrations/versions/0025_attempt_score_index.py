"""attempt score index: the training matrix reads each rep's best score per quiz from an index alone

Revision ID: 0025_attempt_score_index
Revises: 0024_thread_panel_indexes
"""
from alembic import op

revision = "0025_attempt_score_index"
down_revision = "0024_thread_panel_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_training_attempt_quiz_user_score", "training_attempt", ["quiz_id", "user_id", "score"],
                    unique=False)
    op.drop_index("ix_training_attempt_quiz_user", table_name="training_attempt")


def downgrade():
    op.create_index("ix_training_attempt_quiz_user", "training_attempt", ["quiz_id", "user_id"], unique=False)
    op.drop_index("ix_training_attempt_quiz_user_score", table_name="training_attempt")
