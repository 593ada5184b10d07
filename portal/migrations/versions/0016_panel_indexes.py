"""panel indexes: covering indexes for the contract summary and the company's appraisal counts

Revision ID: 0016_panel_indexes
Revises: 0015_cache_version
"""
from alembic import op

revision = "0016_panel_indexes"
down_revision = "0015_cache_version"
branch_labels = None
depends_on = None


def upgrade():
    # (status, end_on) is a prefix of the covering index that replaces it
    op.drop_index('ix_contract_status_end', table_name='contract')
    op.create_index('ix_contract_status_cover', 'contract', ['status', 'end_on', 'team_id', 'amount'], unique=False)
    op.create_index('ix_contract_signed_cover', 'contract', ['signed_on', 'status', 'team_id', 'amount'],
                    unique=False)
    op.create_index('ix_appraisal_state', 'appraisal', ['state'], unique=False)

    # The planner's statistics must know the new indexes (SQLite chooses none it has no figures for).
    op.execute("ANALYZE contract")
    op.execute("ANALYZE appraisal")


def downgrade():
    op.drop_index('ix_appraisal_state', table_name='appraisal')
    op.drop_index('ix_contract_signed_cover', table_name='contract')
    op.drop_index('ix_contract_status_cover', table_name='contract')
    op.create_index('ix_contract_status_end', 'contract', ['status', 'end_on'], unique=False)
