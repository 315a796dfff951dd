"""ledger import jobs: a confirmed import is a job run by a worker (or the sweep), a batch per transaction

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-07 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='job_state', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('progress_json', sa.Text(), nullable=False),
    sa.Column('failure', sa.Text(), nullable=False),
    sa.Column('errors_json', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_ledger_import_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_import_job')),
    sa.UniqueConstraint('token', name=op.f('uq_ledger_import_job_token'))
    )
    with op.batch_alter_table('ledger_import_job', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_import_job_state', ['state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_import_job_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_import_job_user_id'))
        batch_op.drop_index('ix_ledger_import_job_state')
    op.drop_table('ledger_import_job')
