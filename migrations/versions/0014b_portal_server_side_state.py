"""portal_captcha and portal_lookup: the public side's CAPTCHA answers and progress look-ups on the server

Revision ID: 0014b
Revises: 0014
Create Date: 2026-12-07 06:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014b'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # The browser keeps a random token only; answers and look-ups live here, used once / ended here.
    op.create_table('portal_captcha',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('answer', sa.String(length=4), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_captcha')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_portal_captcha_token_digest'))
    )
    with op.batch_alter_table('portal_captcha', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_captcha_issued_at'), ['issued_at'], unique=False)

    op.create_table('portal_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('matter_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['matter_id'], ['matter.id'], name=op.f('fk_portal_lookup_matter_id_matter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_lookup')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_portal_lookup_token_digest'))
    )
    with op.batch_alter_table('portal_lookup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_lookup_matter_id'), ['matter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_lookup_opened_at'), ['opened_at'], unique=False)


def downgrade():
    with op.batch_alter_table('portal_lookup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_lookup_opened_at'))
        batch_op.drop_index(batch_op.f('ix_portal_lookup_matter_id'))
    op.drop_table('portal_lookup')
    with op.batch_alter_table('portal_captcha', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_captcha_issued_at'))
    op.drop_table('portal_captcha')
