"""交办标题: the office-written or approved title departments see instead of a citizen's own

Revision ID: 0013
Revises: 0014b
Create Date: 2026-12-07 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0014b'
branch_labels = None
depends_on = None

PENDING_TITLE = "（交办标题待确认）"  # permissions.PENDING_TITLE at the time of writing


def upgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_title', sa.String(length=120), server_default='', nullable=False))

    approve_and_scrub(op.get_bind())


def approve_and_scrub(bind) -> None:
    """The data step (tests call it on a database whose titles are all unapproved)."""
    # A matter office staff registered themselves: its title is theirs, approved. One a citizen submitted
    # on the portal (no registering user) or that came from a ledger import (an 'imported' event) keeps
    # its title for the office; departments read a neutral placeholder until intake confirms a title.
    bind.execute(sa.text(
        "UPDATE matter SET assigned_title = title WHERE registered_by_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM matter_event e WHERE e.matter_id = matter.id AND e.action = 'imported')"))

    # Notices already sent to department heads named those titles: the placeholder replaces them there
    # too (their e-mail and SMS deliveries are sent from the notice's text).
    rows = bind.execute(sa.text(
        "SELECT m.id, m.title FROM matter m WHERE m.assigned_title = '' AND m.title <> '' AND EXISTS "
        "(SELECT 1 FROM notification n WHERE n.link = '/matters/' || CAST(m.id AS VARCHAR(20)))")).all()
    scrub = sa.text(
        "UPDATE notification SET title = REPLACE(title, :title, :pending), body = REPLACE(body, :title, :pending) "
        "WHERE link = :link AND user_id IN (SELECT id FROM user_account WHERE role = 'dept_head')")
    for matter_id, title in rows:
        bind.execute(scrub, {"title": title, "pending": PENDING_TITLE, "link": f"/matters/{matter_id}"})


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35 too): a batch copy of the matter table would trip
    # over the foreign keys that point at it.
    op.drop_column('matter', 'assigned_title')
