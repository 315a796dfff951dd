"""并入此件: a duplicate's evidence carried over to its original names the same stored file (no second copy):
attachment.stored_name no longer unique (an index instead), attachment.carried_from_id

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attachment_carried_from_id_attachment'), 'attachment',
                                    ['carried_from_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_attachment_stored_name'), type_='unique')
        batch_op.create_index(batch_op.f('ix_attachment_stored_name'), ['stored_name'], unique=False)


def downgrade():
    # Carried-over rows name a file another row names too: they go before the name is unique again.
    op.execute("DELETE FROM attachment WHERE carried_from_id IS NOT NULL")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_stored_name'))
        batch_op.create_unique_constraint(batch_op.f('uq_attachment_stored_name'), ['stored_name'])
        batch_op.drop_constraint(batch_op.f('fk_attachment_carried_from_id_attachment'), type_='foreignkey')
        batch_op.drop_column('carried_from_id')
