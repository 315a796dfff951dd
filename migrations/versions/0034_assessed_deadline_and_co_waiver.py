"""assignment.assessed_due_on (the deadline that decides 按时办结 after a 督办 moved due_on) and the
waiver of a co-handler's 协办意见 (waived_at, waived_by_id, waiver_reason)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessed_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('waived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('waived_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waiver_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_assignment_waived_by_id_user_account'), 'user_account',
                                    ['waived_by_id'], ['id'])
    # A 督办 that already moved a deadline: the deadline before the first such 督办 is the one that counts.
    op.execute(sa.text(
        "UPDATE assignment SET assessed_due_on = (SELECT e.due_on FROM escalation e "
        "WHERE e.subject_type = 'assignment' AND e.subject_id = assignment.id AND e.new_due_on IS NOT NULL "
        "ORDER BY e.id LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM escalation e WHERE e.subject_type = 'assignment' "
        "AND e.subject_id = assignment.id AND e.new_due_on IS NOT NULL)"))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignment_waived_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('waiver_reason')
        batch_op.drop_column('waived_by_id')
        batch_op.drop_column('waived_at')
        batch_op.drop_column('assessed_due_on')
