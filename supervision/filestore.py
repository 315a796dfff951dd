"""Files that belong to a database row (uploaded evidence, generated documents), written so that a
failed, repeated or crashed request leaves no orphan and no partial file.

A file is first written whole to ``<folder>/.staging/<name>`` and synced; the name is remembered on the
database session; after the session commits it is moved into place (an atomic rename in the same
folder), after a rollback it is removed. A crash between the commit and the move leaves the complete
file in ``.staging/`` under its final name, where ``flask files check --fix`` (and the first download)
finds it and moves it into place. Serving a file reads it back and checks the recorded sha256.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from supervision.errors import DomainError

STAGING = ".staging"
_STAGED = "supervision_staged_files"
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


def write_whole(path: Path, data: bytes) -> None:
    """Write a new file completely and sync it, or leave nothing behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except OSError as error:
        raise storage_error(error) from error
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        path.unlink(missing_ok=True)  # a partial file from a full disk must not stay
        raise storage_error(error) from error


def stage(session: Session, folder: Path, data: bytes, name: str | None = None) -> str:
    """Write ``data`` for a row the session is about to commit; returns the stored name. The file
    appears at ``folder/name`` only once the session commits."""
    name = name or new_name()
    staged = folder / STAGING / name
    write_whole(staged, data)
    session.info.setdefault(_STAGED, []).append((staged, folder / name))
    return name


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    for staged, final in session.info.pop(_STAGED, []):
        try:
            os.replace(staged, final)
        except OSError:  # the row is committed; `files check --fix` or the next download moves it
            log.exception("could not move %s into place", staged)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or the session closed at the
    end of a failed request): what it staged goes. (A committed one was emptied by ``_promote``.)"""
    if transaction.parent is not None:
        return
    for staged, _ in session.info.pop(_STAGED, []):
        staged.unlink(missing_ok=True)


# --- reading back -----------------------------------------------------------------------------------
def locate(folder: Path, name: str) -> Path | None:
    """The file's path; a complete file left in staging by a crash after the commit is moved into place."""
    if not name.isalnum():
        return None
    final = folder / name
    if final.is_file():
        return final
    staged = folder / STAGING / name
    if staged.is_file():
        try:
            os.replace(staged, final)
            return final
        except OSError:
            return staged
    return None


def read_checked(folder: Path, name: str, sha256: str, label: str = "文件") -> bytes:
    """The stored bytes, checked against the recorded sha256; FileMissing / FileCorrupt otherwise."""
    path = locate(folder, name)
    if path is None:
        raise FileMissing(label)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise FileMissing(label) from error
    except OSError as error:
        raise FileCorrupt(label) from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FileCorrupt(label)
    return data


# --- the check ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileProblem:
    kind: str  # missing, corrupt, orphan, staged
    folder: str
    name: str
    what: str  # the row: "attachment 12", or "" for an orphan

    LABELS = {"missing": "缺失", "corrupt": "损坏", "orphan": "无登记（孤立文件）", "staged": "未移入（提交后中断）"}

    def __str__(self) -> str:
        return f"{self.LABELS[self.kind]}  {self.folder}/{self.name}" + (f"  ({self.what})" if self.what else "")


def check_folder(folder: Path, registered: dict[str, tuple[str, str]], *, fix: bool = False,
                 stale_seconds: float = 3600, now: float | None = None) -> list[FileProblem]:
    """Compare a folder with its registered files ({stored name: (sha256, what)}).

    Reports missing and corrupt files, files nobody registered (orphans) and complete files left in
    staging by a crash after the commit. ``fix`` moves the latter into place and removes staged
    leftovers older than ``stale_seconds`` that no row names (a request that died before its rollback);
    it never deletes a file in place — an orphan is reported for a person to judge.
    """
    import time

    now = time.time() if now is None else now
    problems: list[FileProblem] = []
    staging = folder / STAGING
    if staging.is_dir():
        for path in sorted(staging.iterdir()):
            if path.name in registered:
                if not (folder / path.name).exists():
                    problems.append(FileProblem("staged", folder.name, path.name, registered[path.name][1]))
                    if fix:
                        os.replace(path, folder / path.name)
            elif fix and now - path.stat().st_mtime > stale_seconds:
                path.unlink(missing_ok=True)
    for name, (sha256, what) in sorted(registered.items()):
        path = folder / name
        if not path.is_file():
            if not (staging / name).is_file():  # else reported as "staged" above
                problems.append(FileProblem("missing", folder.name, name, what))
            continue
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            problems.append(FileProblem("corrupt", folder.name, name, what))
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name not in registered:
                problems.append(FileProblem("orphan", folder.name, path.name, ""))
    return problems


def writable(folder: Path) -> str:
    """"ok", or why files cannot be written to ``folder`` (readiness checks)."""
    probe = folder / STAGING / f"ready-{new_name()}"
    try:
        write_whole(probe, b"ok")
        probe.unlink()
    except StorageFull:
        return "error: storage full"
    except StorageError:
        return "error: not writable"
    return "ok"
