"""one pending extension request per assignment (a double click made two)

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None

DUPLICATE_NOTE = "重复提交的延期申请（与同一交办的另一份待审批申请重复，系统升级时撤销，保留最早提交的一份）。"


def upgrade():
    # Requests made twice by a double click before this index existed: the earliest stays pending,
    # the later ones are closed as refused with a note (nothing is deleted).
    op.execute(sa.text(
        "UPDATE extension SET status = 'refused', decision_note = :note, decided_at = requested_at "
        "WHERE status = 'pending' AND id NOT IN "
        "(SELECT min(id) FROM extension WHERE status = 'pending' GROUP BY assignment_id)"
    ).bindparams(note=DUPLICATE_NOTE))
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index('ux_extension_one_pending', ['assignment_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index('ux_extension_one_pending', sqlite_where=sa.text("status = 'pending'"),
                            postgresql_where=sa.text("status = 'pending'"))
