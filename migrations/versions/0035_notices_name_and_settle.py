"""notices name their matters (notification_item) and settle with their task (kind, asks_action, settled_at)

Existing notices are read once: the matters they name (their link, or the serials in a digest's text)
become their items, their kind comes from their title, and a notice asking for a task already done
(a report approved, an assignment signed, an extension decided …) is settled.

Revision ID: 0035
Revises: 0033b
Create Date: 2026-12-07 09:40:00.000000

"""
import re
from datetime import datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0033b'
branch_labels = None
depends_on = None

OFFICE_ROLES = {"intake", "supervisor", "leader"}
PENDING_TITLE = "（交办标题待确认）"
SERIAL = re.compile(r"\b(?:XT|YJ|JC)-\d{4}-\d{5}\b")
KIND_BY_PREFIX = [  # longest first
    ("办结报告待审核", "review"), ("延期申请待审批", "extension"), ("告知书逾期未送达", "letter"),
    ("办理时限调整", "deadline"), ("新交办", "assign"), ("延期申请", "extension"), ("待批示", "instruct"),
    ("领导已批示", "instruct"), ("交办被退回", "returned"), ("到期提醒", "deadline"), ("办结报告", "result"),
    ("复查请求", "complaint_review"), ("复核请求", "complaint_review"), ("回访不满意", "result"),
]
ENDED = {"not_accepted", "filed", "closed", "archived"}


def _kind(title: str) -> str:
    for prefix, kind in KIND_BY_PREFIX:
        if title.startswith(prefix):
            return kind
    if "催办" in title or "督办" in title:
        return "deadline"
    return "other"


def upgrade():
    op.create_table('notification_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('matter_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('task', sa.String(length=80), nullable=True),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['matter_id'], ['matter.id'], name=op.f('fk_notification_item_matter_id_matter')),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_notification_item_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_item'))
    )
    with op.batch_alter_table('notification_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_item_matter_id'), ['matter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_item_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_item_task'), ['task'], unique=False)
    # Plain ALTER TABLE … ADD COLUMN on both engines: a batch copy of the notification table (SQLite) would
    # trip over the deliveries' foreign keys that point at it.
    op.add_column('notification', sa.Column('kind', sa.String(length=20), server_default='other', nullable=False))
    op.add_column('notification', sa.Column('asks_action', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('notification', sa.Column('settled_at', sa.DateTime(), nullable=True))
    op.create_index('ix_notification_user_settled', 'notification', ['user_id', 'settled_at', 'id'], unique=False)
    _read_existing_notices(op.get_bind())


def _read_existing_notices(conn) -> None:
    notices = conn.execute(sa.text("SELECT id, user_id, title, body, link FROM notification")).all()
    if not notices:
        return
    now = datetime.now().replace(microsecond=0)
    users = {r.id: r for r in conn.execute(sa.text("SELECT id, role, department_id FROM user_account"))}
    matters = {r.id: r for r in conn.execute(sa.text(
        "SELECT id, serial, title, assigned_title, status, instructed_at FROM matter"))}
    by_serial = {r.serial: r.id for r in matters.values()}
    assignments = {}  # (matter, department) -> (id, status)
    for r in conn.execute(sa.text("SELECT id, matter_id, department_id, status FROM assignment ORDER BY id")):
        assignments[r.matter_id, r.department_id] = (r.id, r.status)
    pending_reply = {r.matter_id: r.id for r in conn.execute(sa.text(
        "SELECT reply.id, assignment.matter_id FROM reply JOIN assignment ON assignment.id = reply.assignment_id "
        "WHERE reply.review_result IS NULL AND assignment.role = 'lead' ORDER BY reply.id"))}
    pending_extension = {r.matter_id: r.id for r in conn.execute(sa.text(
        "SELECT extension.id, assignment.matter_id FROM extension JOIN assignment "
        "ON assignment.id = extension.assignment_id WHERE extension.status = 'pending'"))}
    undelivered = {r.matter_id: r.id for r in conn.execute(sa.text(
        "SELECT id, matter_id FROM complainant_notice WHERE delivered_at IS NULL ORDER BY id DESC"))}
    pending_review = {r.matter_id: r.id for r in conn.execute(sa.text(
        "SELECT id, matter_id FROM review_request WHERE status = 'pending'"))}
    rectification = {r.id: r for r in conn.execute(sa.text("SELECT id, number, status FROM rectification_notice"))}
    unreported = {r.notice_id for r in conn.execute(sa.text(
        "SELECT DISTINCT notice_id FROM rectification_item WHERE status IN ('open', 'returned')"))}
    talks = {r.id: r for r in conn.execute(sa.text("SELECT id, serial, status FROM talk"))}
    escalation_of_document = {r.id: r for r in conn.execute(sa.text(
        "SELECT generated_document.id, escalation.subject_type, escalation.subject_id, escalation.matter_id "
        "FROM generated_document JOIN escalation ON escalation.id = generated_document.subject_id "
        "WHERE generated_document.subject_type = 'escalation'"))}

    def matter_task(kind, matter_id, user):
        """(task key or None, done?) for a notice of ``kind`` about a matter, read to ``user``."""
        m = matters.get(matter_id)
        if m is None:
            return None, True
        ended = m.status in ENDED
        if kind == "assign":
            a = assignments.get((matter_id, user.department_id))
            return (f"assignment:{a[0]}:sign", ended or a[1] != "assigned") if a else (None, True)
        if kind == "review":
            reply = pending_reply.get(matter_id)
            return (f"reply:{reply}:review", ended or m.status != "replied") if reply else (f"matter:{matter_id}:review", True)
        if kind == "extension" and user.role in OFFICE_ROLES:
            e = pending_extension.get(matter_id)
            return (f"extension:{e}:decide", ended) if e else (f"matter:{matter_id}:extension", True)
        if kind == "instruct" and user.role == "leader":
            return f"matter:{matter_id}:instruct", ended or m.instructed_at is not None or m.status not in (
                "registered", "accepted")
        if kind in ("instruct", "returned"):
            return f"matter:{matter_id}:assign", ended or m.status not in ("registered", "accepted", "returned")
        if kind == "deadline":
            a = assignments.get((matter_id, user.department_id))
            return (f"assignment:{a[0]}:handle", ended or a[1] not in ("assigned", "received")) if a else (None, True)
        if kind == "letter":
            n = undelivered.get(matter_id)
            return (f"complainant_notice:{n}:deliver", False) if n else (f"matter:{matter_id}:letter", True)
        if kind == "complaint_review":
            r = pending_review.get(matter_id)
            return (f"review_request:{r}:decide", False) if r else (f"matter:{matter_id}:complaint_review", True)
        return None, True

    def matter_label(matter_id, user):
        m = matters[matter_id]
        title = m.title if user.role in OFFICE_ROLES else ((m.assigned_title or "").strip() or PENDING_TITLE)
        return f"{m.serial} {title}"

    items, updates = [], []
    for n in notices:
        user = users.get(n.user_id)
        if user is None:
            continue
        kind = _kind(n.title)
        found = []  # (matter_id, label, link, task, done)
        link = n.link or ""
        target = re.fullmatch(r"/(matters|rectification|talks|documents)/(\d+)(?:#.*)?", link)
        if target and target.group(1) == "documents":
            e = escalation_of_document.get(int(target.group(2)))
            if e is not None and e.subject_type == "assignment" and e.matter_id:
                target, link = None, f"/matters/{e.matter_id}"
                found_matter = e.matter_id
            elif e is not None and e.subject_type == "rectification_notice":
                target = re.fullmatch(r"/(rectification)/(\d+)", f"/rectification/{e.subject_id}")
                found_matter = None
            else:
                target, found_matter = None, None
        else:
            found_matter = int(target.group(2)) if target and target.group(1) == "matters" else None
        if found_matter is not None and found_matter in matters:
            task, done = matter_task(kind, found_matter, user)
            found.append((found_matter, matter_label(found_matter, user), f"/matters/{found_matter}", task, done))
        elif target and target.group(1) == "rectification" and int(target.group(2)) in rectification:
            r = rectification[int(target.group(2))]
            done = r.status == "closed" or r.id not in unreported
            found.append((None, f"整改通知书 {r.number or ''}".strip(), f"/rectification/{r.id}",
                          f"rectification_notice:{r.id}:handle" if kind == "deadline" else None, done))
        elif target and target.group(1) == "talks" and int(target.group(2)) in talks:
            t = talks[int(target.group(2))]
            found.append((None, f"函询 {t.serial}", f"/talks/{t.id}",
                          f"talk:{t.id}:handle" if kind == "deadline" else None, t.status != "notified"))
        else:  # a digest: the serials its text names
            for serial in dict.fromkeys(SERIAL.findall(f"{n.title}\n{n.body}")):
                matter_id = by_serial.get(serial)
                if matter_id is not None:
                    task, done = matter_task(kind, matter_id, user)
                    found.append((matter_id, matter_label(matter_id, user), f"/matters/{matter_id}", task, done))
        for matter_id, label, item_link, task, done in found:
            items.append({"notification_id": n.id, "matter_id": matter_id, "label": label[:300],
                          "link": item_link, "detail": "", "task": task,
                          "settled_at": now if task and done else None})
        tasks = [(task, done) for *_, task, done in found if task]
        asks = bool(tasks)
        settled = now if asks and all(done for _, done in tasks) else None
        updates.append({"n_id": n.id, "kind": kind, "asks": asks, "settled": settled})
    if items:
        conn.execute(sa.table("notification_item", *(sa.column(c) for c in (
            "notification_id", "matter_id", "label", "link", "detail", "task", "settled_at"))).insert(), items)
    if updates:
        conn.execute(sa.text("UPDATE notification SET kind = :kind, asks_action = :asks, settled_at = :settled "
                             "WHERE id = :n_id"), updates)


def downgrade():
    op.drop_table('notification_item')
    op.drop_index('ix_notification_user_settled', table_name='notification')
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35 too): a batch copy of the notification table would
    # trip over the deliveries' foreign keys that point at it.
    for column in ('settled_at', 'asks_action', 'kind'):
        op.drop_column('notification', column)
