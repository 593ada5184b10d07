"""plans and expenses through the approval engine: an expense's approval state

Revision ID: 0010_plan_expense_approvals
Revises: 0007_approvals_robots
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_plan_expense_approvals"
down_revision = "0009_collections"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_status', sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f('ix_expense_approval_status'), ['approval_status'], unique=False)


def downgrade():
    with op.batch_alter_table('expense', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expense_approval_status'))
        batch_op.drop_column('approval_status')
