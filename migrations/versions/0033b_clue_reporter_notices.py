"""clue reporter notices: 受理告知书 and 处理结果告知书 to the reporter of a directly registered clue, sent
through the delivery outbox (delivery.clue_notice_id); existing clues enter the search change log

Revision ID: 0033b
Revises: 0034b
Create Date: 2026-12-07 10:05:00.000000

"""
from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033b'
down_revision = '0034b'
branch_labels = None
depends_on = None

TWO = "(notification_id IS NULL) <> (complainant_notice_id IS NULL)"
THREE = ("(CASE WHEN notification_id IS NULL THEN 0 ELSE 1 END)"
         " + (CASE WHEN complainant_notice_id IS NULL THEN 0 ELSE 1 END)"
         " + (CASE WHEN clue_notice_id IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade():
    op.create_table('clue_reporter_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clue_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('acceptance', 'result', name='clue_notice_kind', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_by_id', sa.Integer(), nullable=True),
    sa.Column('delivery_method', sa.Enum('sms', 'email', 'post', 'in_person', name='delivery_method', native_enum=False, create_constraint=True, length=13), nullable=True),
    sa.Column('overdue_notified_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clue_id'], ['clue.id'], name=op.f('fk_clue_reporter_notice_clue_id_clue')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_clue_reporter_notice_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['delivered_by_id'], ['user_account.id'], name=op.f('fk_clue_reporter_notice_delivered_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['generated_document.id'], name=op.f('fk_clue_reporter_notice_document_id_generated_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clue_reporter_notice')),
    sa.UniqueConstraint('clue_id', 'kind', name=op.f('uq_clue_reporter_notice_clue_id_kind'))
    )
    with op.batch_alter_table('clue_reporter_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clue_reporter_notice_clue_id'), ['clue_id'], unique=False)
        batch_op.create_index('ix_clue_reporter_notice_open_due', ['delivered_at', 'due_on'], unique=False)

    with op.batch_alter_table('delivery', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_one_recipient'), type_='check')
        batch_op.add_column(sa.Column('clue_notice_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_clue_notice_id'), ['clue_notice_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_delivery_clue_notice_id_clue_reporter_notice'),
                                    'clue_reporter_notice', ['clue_notice_id'], ['id'])
        batch_op.create_check_constraint('one_recipient', sa.text(THREE))

    # Clues registered before they were searchable: each server's index picks them up from the change log.
    clue = sa.table('clue', sa.column('id', sa.Integer()))
    change = sa.table('search_change', sa.column('document', sa.String()), sa.column('recorded_at', sa.DateTime()))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(clue.c.id).order_by(clue.c.id))]
    if ids:
        now = datetime.now(ZoneInfo('Asia/Shanghai')).replace(tzinfo=None, microsecond=0)  # the office's clock
        bind.execute(change.insert(), [{"document": f"clue:{i}", "recorded_at": now} for i in ids])


def downgrade():
    op.execute("DELETE FROM delivery WHERE clue_notice_id IS NOT NULL")
    with op.batch_alter_table('delivery', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_one_recipient'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_delivery_clue_notice_id_clue_reporter_notice'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_delivery_clue_notice_id'))
        batch_op.drop_column('clue_notice_id')
        batch_op.create_check_constraint('one_recipient', sa.text(TWO))
    with op.batch_alter_table('clue_reporter_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_clue_reporter_notice_open_due')
        batch_op.drop_index(batch_op.f('ix_clue_reporter_notice_clue_id'))
    op.drop_table('clue_reporter_notice')
