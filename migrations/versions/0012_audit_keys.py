"""audit log: key ids and row digests on entries, the legacy boundary, append-only triggers (PostgreSQL)

Revision ID: 0012
Revises: 0016
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0016'
branch_labels = None
depends_on = None

# The application's role may INSERT entries and nothing else: UPDATE, DELETE and TRUNCATE fail whoever
# runs them. Only the table's owner can disable these triggers (README: the owner role runs migrations,
# the application connects as a role that owns nothing).
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加：不允许对 audit_entry 执行 %', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entry_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('row_digests', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legacy_seq', sa.Integer(), server_default='0', nullable=False))
    # Entries written so far are unkeyed SHA-256; the first keyed entry chains onto the last of them.
    op.execute("UPDATE audit_chain_head SET legacy_seq = seq")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update_or_delete ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('legacy_seq')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('row_digests')
        batch_op.drop_column('key_id')
