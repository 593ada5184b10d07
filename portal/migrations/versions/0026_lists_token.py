"""customer lists token: the lost reasons offered on the customer page are kept by the workers

Revision ID: 0026_lists_token
Revises: 0025_attempt_score_index
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0026_lists_token"
down_revision = "0025_attempt_score_index"
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": "customer_lists", "token": uuid.uuid4().hex}])


def downgrade():
    op.execute("DELETE FROM cache_version WHERE name = 'customer_lists'")
