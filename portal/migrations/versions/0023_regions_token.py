"""customer regions, pool rules and teams tokens: the customer list's region menus, the pool rules'
signatures (customers/models.py) and the team tree (people/models.py) are kept by the workers

Revision ID: 0023_regions_token
Revises: 0022_settings_token
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0023_regions_token"
down_revision = "0022_settings_token"
branch_labels = None
depends_on = None


def upgrade():
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": "customer_regions", "token": uuid.uuid4().hex},
                           {"name": "pool_rules", "token": uuid.uuid4().hex},
                           {"name": "teams", "token": uuid.uuid4().hex}])


def downgrade():
    op.execute("DELETE FROM cache_version WHERE name IN ('customer_regions', 'pool_rules', 'teams')")
