"""Issue 15: a document served with a provisional date (computed on the estimated holiday calendar) prints
推定 — and the register of generated documents says so in its audit entry (docs/domain.md §7)."""

from __future__ import annotations

import io
from datetime import date

import docx
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.models.documents import GeneratedDocument
from supervision.paperwork.data import AssignmentSlip
from supervision.paperwork.standard import carries_provisional


def _slip(app, session, office, matter):
    signed_in(app, office.intake).post(
        f"/matters/{matter.id}/assignments/{matter.lead_assignment.id}/slip")
    document = session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id.desc())).first()
    data = filestore.read_checked(db.session, document.sha256)
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells)
    return document, text


def test_a_slip_with_a_provisional_deadline_prints_and_audits_it(app, session, office, make_matter):
    with clock.frozen(date(2026, 12, 24)):
        matter = make_matter("assigned")
        assert matter.lead_assignment.due_provisional
        document, text = _slip(app, session, office, matter)
    assert "（推定）" in text
    entry, changes = last_audit(session, "document.generated", document)
    assert changes["provisional"] is True and "含推定日期" in entry.summary


def test_a_slip_with_a_known_deadline_says_nothing_of_it(app, session, office, make_matter):
    matter = make_matter("assigned")
    document, text = _slip(app, session, office, matter)
    assert "推定" not in text
    entry, changes = last_audit(session, "document.generated", document)
    assert "provisional" not in changes and "推定" not in entry.summary


def test_the_mark_is_found_in_a_notice_text_too():
    assert carries_provisional(("办理时限为2027年1月15日（推定）。",))
    assert not carries_provisional(("办理时限为2026年7月1日。",))
    assert AssignmentSlip.__dataclass_fields__  # the slips' data is a dataclass the check walks
