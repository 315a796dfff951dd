"""交办被反映单位/人员: the office-approved copies of the free-text 被反映单位 and 被反映人员 departments see

Revision ID: 0032
Revises: 0036
Create Date: 2026-12-07 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0036'
branch_labels = None
depends_on = None

# A matter a citizen submitted on the portal (no registering user) or that came from a ledger import.
CITIZEN_WORDS = ("(registered_by_id IS NULL OR EXISTS "
                 "(SELECT 1 FROM matter_event e WHERE e.matter_id = matter.id AND e.action = 'imported'))")


# The partial index of intake's to-do list (0037): open matters at a department still waiting for
# the office's text now include those whose 被反映单位/人员 are not approved (models.matters.UNTITLED_OPEN).
UNTITLED_BEFORE = ("assigned_title = '' AND lead_department_id IS NOT NULL "
                   "AND status NOT IN ('not_accepted', 'filed', 'closed', 'archived')")
UNTITLED_OPEN = ("(assigned_title = '' OR assigned_respondent_unit IS NULL OR assigned_respondent_person IS NULL) "
                 "AND lead_department_id IS NOT NULL "
                 "AND status NOT IN ('not_accepted', 'filed', 'closed', 'archived')")


def upgrade():
    with op.batch_alter_table('matter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_respondent_unit', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('assigned_respondent_person', sa.String(length=60), nullable=True))

    approve(op.get_bind())
    _untitled_index(UNTITLED_OPEN)


def _untitled_index(predicate: str) -> None:
    op.drop_index('ix_matter_untitled_due', table_name='matter')
    op.create_index('ix_matter_untitled_due', 'matter', ['due_on', 'id'], unique=False,
                    sqlite_where=sa.text(predicate), postgresql_where=sa.text(predicate))


def approve(bind) -> None:
    """The data step (tests call it on a database where nothing is approved yet).

    Office staff registered the matter themselves: they wrote both texts, approved. A citizen's (portal,
    ledger import) is approved only where it carries nothing the citizen typed: empty, or exactly the
    name of the respondent department picked from the list. The rest waits for intake, even on matters
    already assigned: assigning never asked intake to read these boxes, so nobody approved them
    (docs/domain.md §14); intake's to-do lists them and departments read 待确认 meanwhile."""
    bind.execute(sa.text(
        "UPDATE matter SET assigned_respondent_unit = respondent_unit, "
        f"assigned_respondent_person = respondent_person WHERE NOT {CITIZEN_WORDS}"))
    bind.execute(sa.text(
        "UPDATE matter SET assigned_respondent_unit = respondent_unit WHERE assigned_respondent_unit IS NULL "
        "AND (respondent_unit = '' OR respondent_unit = "
        "(SELECT d.name FROM department d WHERE d.id = matter.respondent_department_id))"))
    bind.execute(sa.text(
        "UPDATE matter SET assigned_respondent_person = '' WHERE assigned_respondent_person IS NULL "
        "AND respondent_person = ''"))


def downgrade():
    _untitled_index(UNTITLED_BEFORE)
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35 too), as 0013: a batch copy of the matter table
    # would trip over the foreign keys that point at it.
    op.drop_column('matter', 'assigned_respondent_person')
    op.drop_column('matter', 'assigned_respondent_unit')
