"""assessment: the 督查事项 indicators (task grades, tasks finished by their deadline)

Revision ID: 0031
Revises: 0037
Create Date: 2026-12-07 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0037'
branch_labels = None
depends_on = None

OLD = ('on_time_rate', 'satisfaction_rate', 'rework_rate', 'rectification_on_time_rate', 'sign_on_time_rate')
NEW = OLD + ('task_grade', 'task_on_time_rate')


def _indicator(values):
    return sa.Enum(*values, name='assessment_indicator', native_enum=False, create_constraint=True,
                   length=max(map(len, values)) + 4)


def _change(values):
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_assessment_weight_assessment_indicator'), 'assessment_weight', type_='check')
        op.create_check_constraint('assessment_indicator', 'assessment_weight', sa.column('indicator').in_(values))
        return
    # SQLite: the table is rebuilt, its CHECK taken from the new type.
    with op.batch_alter_table('assessment_weight', schema=None, recreate='always') as batch_op:
        batch_op.alter_column('indicator', existing_type=sa.String(length=30), type_=_indicator(values),
                              existing_nullable=False)


def upgrade():
    _change(NEW)


def downgrade():
    op.execute("DELETE FROM assessment_weight WHERE indicator IN ('task_grade', 'task_on_time_rate')")
    _change(OLD)
