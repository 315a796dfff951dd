"""user_account.must_change_password: a new account or an administrator's reset forces a change at login

Revision ID: 0021
Revises: 0017e
Create Date: 2026-12-07 07:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0017e'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts keep their passwords (false); accounts created or reset from now on must pick
    # their own password before any other page opens.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
