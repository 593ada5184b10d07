"""pipeline token: the open pipeline sums are kept by the workers too (see portal/core/cache.py)

Revision ID: 0019_pipeline_token
Revises: 0018_followup_partial_index
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = "0019_pipeline_token"
down_revision = "0018_followup_partial_index"
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": "pipeline", "token": uuid.uuid4().hex}])


def downgrade():
    op.execute("DELETE FROM cache_version WHERE name = 'pipeline'")
