"""shared figures: the audit head's business write count (bookkeeping entries leave cached figures valid)
and a table of figures computed once for every worker and server (the statistics of a period)

Revision ID: 0040
Revises: 0032
Create Date: 2026-12-07 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_chain_head', sa.Column('business_seq', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE audit_chain_head SET business_seq = seq")
    op.create_table('shared_figure',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('mark', sa.Integer(), nullable=False),
    sa.Column('stored_at', sa.DateTime(), nullable=True),
    sa.Column('value', sa.LargeBinary(), nullable=True),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_shared_figure'))
    )


def downgrade():
    op.drop_table('shared_figure')
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('business_seq')
