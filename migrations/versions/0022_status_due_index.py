"""index for the to-do lists and the list by status sorted by deadline: (status, due_on, id) on matter

Revision ID: 0022
Revises: 0016b
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0016b'
branch_labels = None
depends_on = None


def upgrade():
    # Each to-do group (待受理, 待交办, 待审核 …) and the matter list filtered by status and sorted by
    # deadline read a status's first rows in deadline order from this index instead of sorting them all.
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.create_index('ix_matter_status_due', ['status', 'due_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_index('ix_matter_status_due')
