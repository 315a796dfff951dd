"""talk: the 申诉处理决定 of a 诫勉 (问责条例 §21) — its due date (a month after the appeal), outcome
(维持 / 变更 / 撤销), date, text and who recorded it

Revision ID: 0042
Revises: 0040
Create Date: 2026-12-07 13:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal_answer_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_outcome', sa.Enum('upheld', 'changed', 'revoked',
                                                                name='talk_appeal_outcome', native_enum=False,
                                                                create_constraint=True, length=11),
                                      nullable=True))
        batch_op.add_column(sa.Column('appeal_decided_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal_decision', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('appeal_decided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_talk_appeal_decided_by_id_user_account'), 'user_account',
                                    ['appeal_decided_by_id'], ['id'])
    # Appeals recorded before this revision get their answer date (a month after they were received).
    talk = sa.table('talk', sa.column('id', sa.Integer), sa.column('appeal_received_on', sa.Date),
                    sa.column('appeal_answer_due_on', sa.Date))
    conn = op.get_bind()
    for talk_id, received in conn.execute(sa.select(talk.c.id, talk.c.appeal_received_on)
                                          .where(talk.c.appeal_received_on.is_not(None))).all():
        conn.execute(sa.update(talk).where(talk.c.id == talk_id).values(appeal_answer_due_on=_add_month(received)))


def _add_month(day):
    import calendar
    import datetime

    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def downgrade():
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_talk_appeal_decided_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_talk_talk_appeal_outcome'), type_='check')
        batch_op.drop_column('appeal_decided_by_id')
        batch_op.drop_column('appeal_decision')
        batch_op.drop_column('appeal_decided_on')
        batch_op.drop_column('appeal_outcome')
        batch_op.drop_column('appeal_answer_due_on')
