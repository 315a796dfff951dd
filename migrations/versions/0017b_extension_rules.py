"""extension rules on time limits: how many extensions, how long each, leader approval (SPEC §11)

Revision ID: 0017b
Revises: 0016c
Create Date: 2026-12-07 06:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017b'
down_revision = '0016c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('time_limit_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_extensions', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('extension_amount', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extension_by_leader', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_check_constraint('max_extensions_range', 'max_extensions >= 0 AND max_extensions <= 10')
        batch_op.create_check_constraint(
            'extension_amount_range', 'extension_amount IS NULL OR (extension_amount > 0 AND extension_amount <= 365)')


def downgrade():
    with op.batch_alter_table('time_limit_rule', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_time_limit_rule_extension_amount_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_time_limit_rule_max_extensions_range'), type_='check')
        batch_op.drop_column('extension_by_leader')
        batch_op.drop_column('extension_amount')
        batch_op.drop_column('max_extensions')
