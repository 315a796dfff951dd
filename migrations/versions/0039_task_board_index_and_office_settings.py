"""task board covering index; office settings (yellow-light days, grade points, assessment thresholds); a
per-item yellow-light setting; import jobs of either kind (历史台账 or 督查任务清单)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    # The board's count of items by unit looked up each issued item's tasks by item_id and read every
    # task row for its unit and status (35,000 row look-ups at 5,000 items on SQLite, a heap scan on
    # PostgreSQL); this index answers it alone, and replaces the item_id index it starts with.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_item_department_status', ['item_id', 'department_id', 'status'], unique=False)
        batch_op.drop_index('ix_task_item_id')

    with op.batch_alter_table('task_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warning_workdays', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_task_item_warning_workdays_range'), 'warning_workdays IS NULL OR (warning_workdays >= 0 AND warning_workdays <= 20)')
    # Outside the batch: a partial index (as 0032's), which a batch rebuild of SQLite's table would not carry.
    op.create_index('ix_task_item_own_warning', 'task_item', ['warning_workdays'], unique=False,
                    sqlite_where=sa.text('warning_workdays IS NOT NULL'),
                    postgresql_where=sa.text('warning_workdays IS NOT NULL'))

    # 督查任务清单 imports run as jobs too (a list of 2,000 rows took 20–45 s in the confirming request).
    with op.batch_alter_table('ledger_import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='ledger', nullable=False))

    op.create_table('office_setting',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_office_setting_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_office_setting'))
    )


def downgrade():
    op.drop_table('office_setting')
    with op.batch_alter_table('ledger_import_job', schema=None) as batch_op:
        batch_op.drop_column('kind')
    op.drop_index('ix_task_item_own_warning', table_name='task_item')
    with op.batch_alter_table('task_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_task_item_warning_workdays_range'), type_='check')
        batch_op.drop_column('warning_workdays')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_item_id', ['item_id'], unique=False)
        batch_op.drop_index('ix_task_item_department_status')
