"""file content in the database (file_content, by sha256), uploads between preview and confirmation
(pending_upload): several application servers with no shared disk

The data step copies every registered file from the instance folder (uploads/, documents/, and a
complete file a crash left in their .staging/) into file_content. A file that is missing or does not
match its recorded sha256 is skipped with a warning — the upgrade goes on, and `flask files check`
reports the row's content as missing (`--fix` loads it later from an instance folder that has it).
The files on disk are left where they are: nothing is deleted.

Revision ID: 0038
Revises: 0042
Create Date: 2026-12-07 13:00:00.000000

"""
import hashlib
import logging
from datetime import datetime
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0042'
branch_labels = None
depends_on = None

log = logging.getLogger("supervision.migrations")

# (table, instance sub-folder its files lay in)
FILE_TABLES = (("attachment", "uploads"), ("rectification_evidence", "uploads"), ("talk_attachment", "uploads"),
               ("clue_attachment", "uploads"), ("task_attachment", "uploads"), ("generated_document", "documents"))
file_content = sa.table("file_content", sa.column("sha256", sa.String), sa.column("size", sa.BigInteger),
                        sa.column("content", sa.LargeBinary), sa.column("created_at", sa.DateTime))


def upgrade():
    op.create_table('file_content',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_file_content'))
    )
    op.create_table('pending_upload',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_pending_upload_user_id_user_account')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_pending_upload'))
    )
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.create_index('ix_pending_upload_uploaded_at', ['uploaded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_upload_user_id'), ['user_id'], unique=False)

    instance = _instance_path()
    if instance is not None:
        copy_files(op.get_bind(), instance)


def _instance_path():
    try:
        from flask import current_app

        return Path(current_app.instance_path)
    except RuntimeError:  # no application (alembic alone): nothing to copy from
        log.warning("0038: no Flask application, the instance folder's files were not copied; "
                    "run `flask files check --fix` on a server that has them")
        return None


def copy_files(connection, instance: Path) -> tuple[int, list[str]]:
    """Copy each registered file into file_content once; returns (copied, warnings)."""
    wanted: dict[str, list[tuple[str, str, str]]] = {}  # sha256 -> [(table id, area, stored name)]
    for table, area in FILE_TABLES:
        for row_id, name, sha256 in connection.execute(sa.text(f"SELECT id, stored_name, sha256 FROM {table}")):
            wanted.setdefault(sha256, []).append((f"{table} {row_id}", area, name))
    have = set(connection.execute(sa.text("SELECT sha256 FROM file_content")).scalars())
    copied, warnings = 0, []
    for sha256, rows in sorted(wanted.items()):
        if sha256 in have:
            continue
        data, seen = None, []
        for what, area, name in rows:
            for path in (instance / area / name, instance / area / ".staging" / name):
                if not name.isalnum() or not path.is_file():
                    continue
                candidate = path.read_bytes()
                if hashlib.sha256(candidate).hexdigest() == sha256:
                    data = candidate
                    break
                seen.append(f"{path} (SHA-256 不符，未复制)")
            if data is not None:
                break
        if data is None:
            what = ", ".join(f"{what} {area}/{name}" for what, area, name in rows[:3])
            warnings.append(f"0038: 文件缺失或损坏，未复制：{what}" + (f"；{'；'.join(seen[:3])}" if seen else ""))
            log.warning(warnings[-1])
            continue
        connection.execute(file_content.insert().values(sha256=sha256, size=len(data), content=data,
                                                        created_at=datetime.now()))
        copied += 1
    log.info("0038: copied %d files into the database from %s (left in place)", copied, instance)
    return copied, warnings


def downgrade():
    # The files copied in stay in the instance folder (the upgrade left them there); content stored
    # after the upgrade exists only in the database and is lost by this downgrade.
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_upload_user_id'))
        batch_op.drop_index('ix_pending_upload_uploaded_at')
    op.drop_table('pending_upload')
    op.drop_table('file_content')
