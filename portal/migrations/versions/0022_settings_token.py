"""settings token: the settings are kept by the workers too (see portal/core/cache.py)

Revision ID: 0022_settings_token
Revises: 0021_customer_search
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0022_settings_token"
down_revision = "0021_customer_search"
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": "settings", "token": uuid.uuid4().hex}])


def downgrade():
    op.execute("DELETE FROM cache_version WHERE name = 'settings'")
