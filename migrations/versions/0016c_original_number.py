"""原编号 unique per source on matters (two clerks confirming one ledger at once imported it twice)

Revision ID: 0016c
Revises: 0018
Create Date: 2026-12-07 07:00:00.000000

"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016c'
down_revision = '0018'
branch_labels = None
depends_on = None

PREFIX = "自台账导入，原编号 "  # the "imported" event's text: where 原编号 was kept until now


def upgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_source', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('original_number', sa.String(length=40), nullable=True))
    fill(op.get_bind())
    # An index, not a constraint: on SQLite a constraint would rebuild the matter table, which the
    # foreign keys of every other table forbid once there is data.
    op.create_index('ux_matter_original_number', 'matter', ['original_source', 'original_number'], unique=True)


def fill(bind):
    """原编号 from the "imported" events; of matters imported twice the earliest keeps it."""
    found = bind.execute(sa.text(
        "SELECT matter_id, text FROM matter_event WHERE action = 'imported' AND text LIKE :pattern "
        "ORDER BY matter_id, id"), {"pattern": PREFIX + "%"}).all()
    first_of: dict[str, int] = {}
    numbered: dict[int, str] = {}
    for matter_id, text in found:
        code = text[len(PREFIX):].strip()[:40]
        if code and matter_id not in numbered:
            numbered[matter_id] = code
    serial_of = dict(bind.execute(sa.text("SELECT id, serial FROM matter")).all()) if numbered else {}
    now = datetime.now().replace(microsecond=0)
    for matter_id in sorted(numbered):  # the earliest matter keeps the number; a later copy is marked
        code = numbered[matter_id]
        if code not in first_of:
            first_of[code] = matter_id
            bind.execute(sa.text("UPDATE matter SET original_source = 'ledger', original_number = :code "
                                 "WHERE id = :id"), {"code": code, "id": matter_id})
        else:  # imported twice by two confirmations at once: nothing deleted, the timeline says so
            bind.execute(sa.text(
                "INSERT INTO matter_event (matter_id, at, actor_id, action, text, department_id, audience) "
                "VALUES (:id, :at, NULL, 'import_duplicate', :text, NULL, 'office')"),
                {"id": matter_id, "at": now,
                 "text": f"与 {serial_of[first_of[code]]} 原编号相同（{code}），系同一台账重复导入；"
                         "可作为重复件存查。"})


def downgrade():
    op.drop_index('ux_matter_original_number', table_name='matter')
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.drop_column('original_number')
        batch_op.drop_column('original_source')
