"""user_account.session_generation: sessions and remember-me cookies that can be ended

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Signed into every session and remember-me cookie; raised on logout, password change or reset
    # and deactivation, so that older cookies no longer log anyone in. Existing cookies (user id only)
    # stop working at once: everyone logs in again after the upgrade.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
