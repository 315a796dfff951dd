"""talk.admonition_form (谈话诫勉 / 书面诫勉) and the 申诉 of a 诫勉 (appeal_due_on, appeal_received_on,
appeal_note); review_request.overdue_notified_at (the sweep announces an unanswered 复查 / 复核 once)

Revision ID: 0034b
Revises: 0034
Create Date: 2026-12-07 10:05:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0034b'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admonition_form', sa.Enum('talk', 'written', name='admonition_form',
                                                                 native_enum=False, create_constraint=True,
                                                                 length=11),
                                      server_default='talk', nullable=False))
        batch_op.add_column(sa.Column('appeal_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_note', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_notified_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.drop_column('overdue_notified_at')
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.drop_column('appeal_note')
        batch_op.drop_column('appeal_received_on')
        batch_op.drop_column('appeal_due_on')
        # The CHECK names the column: SQLite's rebuilt table would keep it and fail ("no such column").
        batch_op.drop_constraint(batch_op.f('ck_talk_admonition_form'), type_='check')
        batch_op.drop_column('admonition_form')
