"""拟办意见 and 领导批示 on matters, before 交办 (SPEC §11)

Revision ID: 0017d
Revises: 0017c
Create Date: 2026-12-07 06:12:37.350881

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017d'
down_revision = '0017c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_handling', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('leader_instruction', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('instructed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('instructed_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_matter_proposed_by_id_user_account'), 'user_account', ['proposed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_matter_instructed_by_id_user_account'), 'user_account', ['instructed_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_matter_instructed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_matter_proposed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('instructed_at')
        batch_op.drop_column('instructed_by_id')
        batch_op.drop_column('leader_instruction')
        batch_op.drop_column('proposed_at')
        batch_op.drop_column('proposed_by_id')
        batch_op.drop_column('proposed_handling')

