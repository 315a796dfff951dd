"""indexes for the matter list's overdue filter and the 交办标题 to-do list: open matters only

Revision ID: 0037
Revises: 0030
Create Date: 2026-12-07 09:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0030'
branch_labels = None
depends_on = None

UNTITLED_OPEN = ("assigned_title = '' AND lead_department_id IS NOT NULL "
                 "AND status NOT IN ('not_accepted', 'filed', 'closed', 'archived')")


def upgrade():
    # The list filtered to overdue, newest first, walked the (received_on, id) index past every closed
    # matter and read each row for its deadline (15,000 rows at 100,000 matters); this index holds the
    # open matters alone with their deadline. The 交办标题 to-do list sorted every open untitled matter.
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.create_index('ix_matter_open_received', ['received_on', 'id', 'due_on'], unique=False,
                              sqlite_where=sa.text('due_on IS NOT NULL'),
                              postgresql_where=sa.text('due_on IS NOT NULL'))
        batch_op.create_index('ix_matter_untitled_due', ['due_on', 'id'], unique=False,
                              sqlite_where=sa.text(UNTITLED_OPEN), postgresql_where=sa.text(UNTITLED_OPEN))


def downgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_index('ix_matter_untitled_due')
        batch_op.drop_index('ix_matter_open_received')
