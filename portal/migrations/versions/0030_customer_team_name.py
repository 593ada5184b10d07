"""customer team name index: a director's customer list reads each team's first rows by name

Revision ID: 0030_customer_team_name
Revises: 0029_timeline_version
"""
from alembic import op

revision = "0030_customer_team_name"
down_revision = "0029_timeline_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_customer_team_name", "customer", ["team_id", "name_key", "id"])


def downgrade():
    op.drop_index("ix_customer_team_name", table_name="customer")
