"""search change log: the outbox each server's index applies (replaces the after-commit hook)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

LogId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    # Written in the same transaction as the change it names; see supervision/models/search.py.
    # An index built before this revision holds no applied position: `flask search reindex` (or the
    # server's background applier) rebuilds it once and starts from the log's end.
    op.create_table(
        'search_change',
        sa.Column('id', LogId, autoincrement=True, nullable=False),
        sa.Column('document', sa.String(length=60), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_change')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'search_log_prune',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pruned_through', LogId, nullable=False),
        sa.Column('pruned_at', sa.DateTime(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log_prune')),
    )


def downgrade():
    op.drop_table('search_log_prune')
    op.drop_table('search_change')
