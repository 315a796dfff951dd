"""Files that belong to a database row (uploaded evidence, generated documents), stored in the database.

Every row that registers a file records its stored name and the sha256 of its bytes; the bytes live in
``file_content`` under that sha256 (``models.files``), written by ``stage`` in the same transaction as
the row. So a failed, repeated or crashed request leaves no orphan and no partial file (its rollback
takes the content with it), a committed row finds its content on every application server (they share
the database and nothing else, SPEC §15), and a backup of the database carries the files. Two rows with
the same bytes share one content row. Serving a file reads it back and checks the recorded sha256.

Before migration 0038 the bytes were files in the instance folder (``uploads/``, ``documents/``): the
migration copied them in and left them where they were; ``flask files check --fix`` still loads a file
from there when its content is missing from the database.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from supervision import clock
from supervision.errors import DomainError
from supervision.models.files import FileContent

log = logging.getLogger(__name__)


class StorageError(DomainError):
    """Writing a file failed for a reason of the server's storage, not of the input."""


class StorageFull(StorageError):
    def __init__(self) -> None:
        super().__init__("存储空间已满，文件未能保存，本次操作未完成。您填写的内容仍在页面上；"
                         "请联系系统管理员清理存储空间后重新提交。")


class StorageUnavailable(StorageError):
    def __init__(self) -> None:
        super().__init__("文件存储目录不可写（只读或不存在），文件未能保存，本次操作未完成。"
                         "您填写的内容仍在页面上；请联系系统管理员检查存储后重新提交。")


class StoredFileProblem(DomainError):
    """A registered file cannot be served as it was stored."""


class FileMissing(StoredFileProblem):
    def __init__(self, label: str = "文件") -> None:
        super().__init__(f"{label}在存储中找不到（可能在迁移或恢复时丢失）。已记录，请联系系统管理员从备份中恢复。")


class FileCorrupt(StoredFileProblem):
    def __init__(self, label: str = "文件") -> None:
        super().__init__(f"{label}已损坏：内容与登记时的校验值（SHA-256）不一致，为防止误用未予下载。"
                         "请联系系统管理员从备份中恢复。")


def storage_error(error: OSError) -> StorageError:
    """The Chinese refusal for an OS error of writing: a full disk or a storage that cannot be written."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull()
    return StorageUnavailable()


def new_name() -> str:
    return secrets.token_hex(16)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(session: Session, data: bytes) -> str:
    """Keep ``data`` in the session's transaction (once per distinct content); returns its sha256."""
    sha256 = digest(data)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Content-addressed: the same bytes stored again (or at once by a concurrent transaction, which
    # this one then waits for) are the same row. Never updated, never deleted.
    try:
        session.execute(insert(FileContent).values(sha256=sha256, size=len(data), content=data,
                                                   created_at=clock.now()).on_conflict_do_nothing(
            index_elements=["sha256"]))
    except OperationalError as error:
        if disk_full(error):  # the database's disk: say so, and the view keeps the typed form
            raise StorageFull() from error
        raise
    return sha256


def disk_full(error: OperationalError) -> bool:
    """The database refused a write for lack of space (PostgreSQL's disk_full, SQLite's SQLITE_FULL)."""
    return getattr(error.orig, "sqlstate", None) == "53100" or "database or disk is full" in str(error.orig)


def stage(session: Session, folder: Path, data: bytes, name: str | None = None) -> str:
    """Store ``data`` for a row the session is about to commit; returns the row's stored name. The
    content is committed (or rolled back) with that row. ``folder`` (uploads, documents) is where such
    files lay before migration 0038; it no longer decides where they are kept."""
    put(session, data)
    return name or new_name()


# --- reading back -----------------------------------------------------------------------------------
def read_checked(session: Session, sha256: str, label: str = "文件") -> bytes:
    """The stored bytes of a row that recorded ``sha256``, checked against it; FileMissing / FileCorrupt
    otherwise."""
    data = _content(session, sha256)
    if data is None:
        raise FileMissing(label)
    if digest(bytes(data)) != sha256:
        raise FileCorrupt(label)
    return bytes(data)


def _content(session: Session, sha256: str) -> bytes | None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # psycopg's binary result format: a 10 MB bytea in ~30 ms instead of ~140 ms of hex text
        row = connection.connection.driver_connection.execute(
            "SELECT content FROM file_content WHERE sha256 = %s", (sha256,), binary=True).fetchone()
        return None if row is None else bytes(row[0])
    return session.scalar(select(FileContent.content).where(FileContent.sha256 == sha256))


# --- the check ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileProblem:
    kind: str  # missing, corrupt, unreferenced, restored
    sha256: str
    what: str  # the rows that name it: "attachment 12 (uploads/<name>)", or "" for unreferenced content

    LABELS = {"missing": "缺失", "corrupt": "损坏", "unreferenced": "无登记（无记录引用的内容）",
              "restored": "已从实例目录补回"}

    def __str__(self) -> str:
        return f"{self.LABELS[self.kind]}  {self.sha256}" + (f"  ({self.what})" if self.what else "")


@dataclass(frozen=True)
class Registered:
    """A row that names a file: its table and id, and the name and area it was stored under."""

    what: str  # "attachment 12"
    area: str  # uploads, documents: where the file lay before migration 0038
    stored_name: str


def check_store(session: Session, registered: dict[str, list[Registered]], *, fix: bool = False,
                instance: Path | None = None) -> list[FileProblem]:
    """Compare the stored content with the rows that name it ({sha256: [rows]}).

    Reports content missing for a registered row, content that no longer matches its sha256, and
    content that no row names (reported for a person to judge, never deleted). ``fix`` loads a missing
    or corrupt content from the file the row was stored under in the instance folder before migration
    0038 (``instance/<area>/<stored name>``), when that file is there and matches.
    """
    problems: list[FileProblem] = []
    stored: dict[str, int] = dict(session.execute(select(FileContent.sha256, FileContent.size)).all())
    for sha256, rows in sorted(registered.items()):
        what = ", ".join(f"{row.what} ({row.area}/{row.stored_name})" for row in rows[:5]) \
            + (f" … 共 {len(rows)} 条" if len(rows) > 5 else "")
        kind = None
        if sha256 not in stored:
            kind = "missing"
        else:
            data = _content(session, sha256)
            if data is None or digest(bytes(data)) != sha256:
                kind = "corrupt"
        if kind is None:
            continue
        if fix and instance is not None and _restore_from_folder(session, instance, sha256, rows, kind):
            problems.append(FileProblem("restored", sha256, what))
            continue
        problems.append(FileProblem(kind, sha256, what))
    for sha256 in sorted(set(stored) - set(registered)):
        problems.append(FileProblem("unreferenced", sha256, f"{stored[sha256]} 字节"))
    return problems


def _restore_from_folder(session: Session, instance: Path, sha256: str, rows: list[Registered], kind: str) -> bool:
    for row in rows:
        if not row.stored_name.isalnum():
            continue
        try:
            data = (instance / row.area / row.stored_name).read_bytes()
        except OSError:
            continue
        if digest(data) != sha256:
            continue
        if kind == "corrupt":  # the one repair of a content row: bytes that match its key again
            session.execute(FileContent.__table__.update().where(FileContent.sha256 == sha256)
                            .values(content=data, size=len(data)))
        else:
            put(session, data)
        return True
    return False


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FileContent)) or 0
