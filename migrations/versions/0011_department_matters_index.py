"""index for a department head's matters: (department, status, matter) on assignment

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 14:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Every list and count a department head sees is restricted to the matters of the department's
    # assignments; with matter_id in the index that subquery no longer reads the assignment rows
    # (half of a department head's matter list at 100,000 matters).
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_department_status_matter', ['department_id', 'status', 'matter_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_department_status_matter')
