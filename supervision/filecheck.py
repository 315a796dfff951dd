"""`flask files check`: every registered file is where it should be and matches its sha256."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision.filestore import FileProblem, check_folder
from supervision.models.clues import ClueAttachment
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Attachment
from supervision.models.rectification import RectificationEvidence
from supervision.models.talks import TalkAttachment
from supervision.models.tasks import TaskAttachment

# (instance sub-folder, tables whose rows name files in it). An area that stores files adds its table here.
FILE_TABLES: list[tuple[str, tuple[type, ...]]] = [
    ("uploads", (Attachment, RectificationEvidence, TalkAttachment, ClueAttachment, TaskAttachment)),
    ("documents", (GeneratedDocument,)),
]


def registered(session: Session, tables: tuple[type, ...]) -> dict[str, tuple[str, str]]:
    files: dict[str, tuple[str, str]] = {}
    for model in tables:
        for row_id, name, sha256 in session.execute(select(model.id, model.stored_name, model.sha256)):
            files[name] = (sha256, f"{model.__tablename__} {row_id}")
    return files


def check_files(session: Session, instance: Path, *, fix: bool = False) -> list[FileProblem]:
    problems: list[FileProblem] = []
    for folder, tables in FILE_TABLES:
        problems += check_folder(instance / folder, registered(session, tables), fix=fix)
    return problems
