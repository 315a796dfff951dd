"""public side (online box, published figures)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('citizen_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matter_id', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.Enum('satisfied', 'fairly_satisfied', 'dissatisfied', name='citizen_rating_satisfaction', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['matter_id'], ['matter.id'], name=op.f('fk_citizen_rating_matter_id_matter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_rating')),
    sa.UniqueConstraint('matter_id', name=op.f('uq_citizen_rating_matter_id'))
    )
    op.create_table('figure_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.Enum('month', 'quarter', 'year', name='period_kind', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_figure_snapshot_period_in_order')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_figure_snapshot_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_snapshot'))
    )
    with op.batch_alter_table('figure_snapshot', schema=None) as batch_op:
        # At most one current (not superseded) snapshot per period.
        batch_op.create_index('ix_figure_snapshot_current', ['period_kind', 'period_start'], unique=True,
                              sqlite_where=sa.text('superseded_at IS NULL'),
                              postgresql_where=sa.text('superseded_at IS NULL'))
        batch_op.create_index('ix_figure_snapshot_published', ['published_at', 'id'], unique=False)

    op.create_table('figure_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('department_name', sa.String(length=80), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.CheckConstraint('closed_on_time <= received AND satisfied <= rated', name=op.f('ck_figure_row_counts_consistent')),
    sa.CheckConstraint('received >= 0 AND closed_on_time >= 0 AND rated >= 0 AND satisfied >= 0', name=op.f('ck_figure_row_counts_nonnegative')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_figure_row_department_id_department')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['figure_snapshot.id'], name=op.f('fk_figure_row_snapshot_id_figure_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_row'))
    )
    with op.batch_alter_table('figure_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_row_snapshot_id'), ['snapshot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('figure_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_row_snapshot_id'))
    op.drop_table('figure_row')
    with op.batch_alter_table('figure_snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_figure_snapshot_published')
        batch_op.drop_index('ix_figure_snapshot_current')
    op.drop_table('figure_snapshot')
    op.drop_table('citizen_rating')
