"""信访类别 on matters: 建议意见 / 检举控告 / 申诉求决 (SPEC §11)

Revision ID: 0017
Revises: 0014c
Create Date: 2026-12-07 05:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0014c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_class', sa.Enum('proposal', 'accusation', 'claim',
                                                                 name='complaint_class', native_enum=False,
                                                                 create_constraint=True, length=14),
                                      nullable=True))
    # A suggestion already accepted is a proposal; complaints stay unclassified (未分类) until intake
    # sets their class: guessing between 检举控告 and 申诉求决 is not the migration's business.
    op.execute("UPDATE matter SET complaint_class = 'proposal' WHERE kind = 'suggestion' "
               "AND status NOT IN ('registered', 'not_accepted', 'filed')")


def downgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_column('complaint_class')
