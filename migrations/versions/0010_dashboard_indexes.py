"""indexes for the supervision dashboard: overdue by lead department, recent 催办/督办 by kind

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # (lead_department_id, due_on) over open matters only replaces (due_on, lead_department_id): the
    # dashboard counts each department's overdue matters as one index range instead of grouping them.
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_index('ix_matter_due_lead')
        batch_op.create_index('ix_matter_lead_due', ['lead_department_id', 'due_on'], unique=False,
                              sqlite_where=sa.text('due_on IS NOT NULL'),
                              postgresql_where=sa.text('due_on IS NOT NULL'))

    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_kind_issued_at', ['kind', 'issued_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_kind_issued_at')

    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_index('ix_matter_lead_due')
        batch_op.create_index('ix_matter_due_lead', ['due_on', 'lead_department_id'], unique=False)
