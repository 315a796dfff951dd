"""published years (a year's schedule entered in full: no more 推定) and the objection period's 推定 flag

Revision ID: 0017e
Revises: 0017d
Create Date: 2026-12-07 06:18:26.624872

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017e'
down_revision = '0017d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source_notice', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_published_year_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_published_year'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_due_provisional', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('object_due_provisional')

    op.drop_table('published_year')
