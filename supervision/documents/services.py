"""Generating, numbering and registering documents. Numbers come from one registry shared by
every document type (``sequences``): per 机关代字 and year, gap-free, safe under concurrency. A
regenerated document keeps its number and gets a new revision."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, filestore, sequences
from supervision.models.documents import GeneratedDocument
from supervision.models.org import User
from supervision.paperwork.builders import BUILDERS, COMPLAINANT_NOTICES, DOCUMENT_TITLES
from supervision.paperwork.data import DocNumber
from supervision.paperwork.layout import DEFAULT_DOC_PREFIXES, Fonts, OfficeProfile, format_doc_number
from supervision.paperwork.standard import carries_provisional

@dataclass(frozen=True)
class Paperwork:
    """Where generated .docx files go and how they look: the office profile and the documents folder."""

    profile: OfficeProfile
    folder: Path


# Which 机关代字 (from the office profile) numbers which document.
PREFIX_KEYS = {"assignment_slip": "assignment", "rectification_notice": "rectification",
               "inquiry_notice": "inquiry", "admonition_notice": "admonition", "task_notice": "task_notice",
               "appeal_decision": "appeal_decision",
               **{kind: kind for kind in COMPLAINANT_NOTICES}}


def office_profile(config: Mapping[str, Any]) -> OfficeProfile:
    """The office's name, 机关代字 and fonts, from configuration (one place for each)."""
    return OfficeProfile(
        office_name=config["OFFICE_NAME"], seal_text=config.get("OFFICE_SEAL_TEXT", ""),
        doc_prefixes={**DEFAULT_DOC_PREFIXES, **config.get("DOC_PREFIXES", {})},
        fonts=Fonts(**config.get("DOC_FONTS", {})), contact_person=config.get("OFFICE_CONTACT_PERSON", ""),
        contact_phone=config.get("OFFICE_CONTACT_PHONE", ""), copy_to=tuple(config.get("DOC_COPY_TO", ())))


def latest(session: Session, doc_type: str, subject_type: str, subject_id: int) -> GeneratedDocument | None:
    return session.scalar(select(GeneratedDocument).where(
        GeneratedDocument.doc_type == doc_type, GeneratedDocument.subject_type == subject_type,
        GeneratedDocument.subject_id == subject_id).order_by(GeneratedDocument.revision.desc()).limit(1))


def generate(session: Session, actor: User | None, *, doc_type: str, subject: tuple[str, int],
             build_data: Callable[[DocNumber | None], Any], profile: OfficeProfile, folder: Path,
             matter_id: int | None = None, department_id: int | None = None, prefix_key: str | None = None,
             title: str | None = None) -> GeneratedDocument:
    """Build the document (a new number the first time, the same number when regenerated), store it
    (in the database, with its row), register it and audit it."""
    subject_type, subject_id = subject
    previous = latest(session, doc_type, subject_type, subject_id)
    prefix_key = prefix_key or PREFIX_KEYS.get(doc_type)
    number_text, number = "", None
    if previous is not None and previous.number:
        number_text, number = previous.number, _parse_number(previous.number)
    elif prefix_key is not None:
        prefix, year = profile.prefix(prefix_key), clock.today().year
        number = DocNumber(year, sequences.next_value(session, f"doc:{prefix}", year))
        number_text = format_doc_number(prefix, number.year, number.seq)
    data = build_data(number)
    content = BUILDERS[doc_type](data, profile)
    provisional = carries_provisional(data)  # the 推定 mark is printed by the builder; the register says so
    stored_name = filestore.stage(session, folder, content)  # committed (or rolled back) with the row
    document = GeneratedDocument(
        doc_type=doc_type, title=title or DOCUMENT_TITLES[doc_type], number=number_text,
        subject_type=subject_type, subject_id=subject_id, matter_id=matter_id, department_id=department_id,
        revision=(previous.revision + 1) if previous else 1, stored_name=stored_name, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), generated_at=clock.now(),
        generated_by_id=actor.id if actor else None)
    session.add(document)
    audit.record(session, actor, "document.generated", document,
                 f"生成{document.title} {number_text}".strip() + (f"（第 {document.revision} 版）" if previous else "")
                 + ("，含推定日期" if provisional else ""),
                 {"doc_type": doc_type, "subject": f"{subject_type}:{subject_id}", "sha256": document.sha256,
                  **({"provisional": True} if provisional else {})})
    return document


def _parse_number(text: str) -> DocNumber:
    """效交〔2026〕3号 → DocNumber(2026, 3)."""
    year = int(text.split("〔", 1)[1].split("〕", 1)[0])
    seq = int(text.split("〕", 1)[1].rstrip("号"))
    return DocNumber(year, seq)
