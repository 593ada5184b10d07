"""panel tokens: the managers' overdue-training panel and the contract summary are kept by the workers

Revision ID: 0028_panel_tokens
Revises: 0027_timeline_index
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0028_panel_tokens"
down_revision = "0027_timeline_index"
branch_labels = None
depends_on = None

NAMES = ("training_overdue", "contract_summary")


def upgrade():
    table = sa.table("cache_version", sa.column("name", sa.String), sa.column("token", sa.String))
    op.bulk_insert(table, [{"name": name, "token": uuid.uuid4().hex} for name in NAMES])


def downgrade():
    for name in NAMES:
        op.execute(sa.text("DELETE FROM cache_version WHERE name = :name").bindparams(name=name))
