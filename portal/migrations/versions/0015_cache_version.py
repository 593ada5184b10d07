"""cache versions: a token per kind of result workers keep, replaced by every write of its rows

Revision ID: 0015_cache_version
Revises: 0014_team_rollup
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = "0015_cache_version"
down_revision = "0014_team_rollup"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('cache_version',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_version'))
    )
    op.bulk_insert(table, [{"name": "targets", "token": uuid.uuid4().hex}])


def downgrade():
    op.drop_table('cache_version')
