"""deliveries marked before and after sending, with an idempotency key

Revision ID: 0016b
Revises: 0012
Create Date: 2026-12-07 06:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016b'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD = ('pending', 'sent', 'failed')
NEW = ('pending', 'sending', 'sent', 'failed')


def _status(values):
    return sa.Enum(*values, name='delivery_status', native_enum=False, create_constraint=True,
                   length=max(map(len, values)) + 4)


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sending_since', sa.DateTime(), nullable=True))
    # Deliveries recorded before this revision get a key of their own (their id is unique already).
    op.execute("UPDATE delivery SET idempotency_key = 'delivery-' || CAST(id AS VARCHAR(20))")
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_delivery_delivery_status'), 'delivery', type_='check')
        op.alter_column('delivery', 'status', type_=sa.String(length=11), existing_nullable=False)
        op.create_check_constraint('delivery_status', 'delivery', sa.column('status').in_(NEW))
    with op.batch_alter_table('delivery', schema=None, recreate='always'
                              if op.get_bind().dialect.name == 'sqlite' else 'auto') as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_idempotency_key'), ['idempotency_key'])
        if op.get_bind().dialect.name == 'sqlite':  # the table is rebuilt: its CHECK comes from the new type
            batch_op.alter_column('status', existing_type=sa.String(length=11), type_=_status(NEW),
                                  existing_nullable=False)


def downgrade():
    op.execute("UPDATE delivery SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_delivery_idempotency_key'), type_='unique')
        batch_op.drop_column('sending_since')
        batch_op.drop_column('idempotency_key')
