"""`flask files check`: every registered file's content is in the database and matches its sha256."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision.filestore import FileProblem, Registered, check_store
from supervision.models.clues import ClueAttachment
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Attachment
from supervision.models.rectification import RectificationEvidence
from supervision.models.talks import TalkAttachment
from supervision.models.tasks import TaskAttachment

# (instance sub-folder the files lay in before migration 0038, tables whose rows name files). An area
# that stores files adds its table here (and to migration 0038's list, if it had files before it).
FILE_TABLES: list[tuple[str, tuple[type, ...]]] = [
    ("uploads", (Attachment, RectificationEvidence, TalkAttachment, ClueAttachment, TaskAttachment)),
    ("documents", (GeneratedDocument,)),
]


def registered(session: Session) -> dict[str, list[Registered]]:
    """{sha256: the rows that name that content}."""
    files: dict[str, list[Registered]] = {}
    for area, tables in FILE_TABLES:
        for model in tables:
            for row_id, name, sha256 in session.execute(select(model.id, model.stored_name, model.sha256)
                                                        .order_by(model.id)):
                files.setdefault(sha256, []).append(Registered(f"{model.__tablename__} {row_id}", area, name))
    return files


def check_files(session: Session, instance: Path, *, fix: bool = False) -> list[FileProblem]:
    return check_store(session, registered(session), fix=fix, instance=instance)
