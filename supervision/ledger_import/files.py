"""Uploaded spreadsheets between preview and confirmation (历史台账导入, 督查任务清单导入), kept in the
database (``pending_upload``): the preview may be answered by one application server and the
confirmation by another, and they share the database and nothing else (SPEC §15).

The token is random and the upload belongs to the user who sent it and to the page it was sent to
(``purpose``). Confirming records what it did (``finish``) in the same transaction as the work itself
(the ledger's import job, the task list's items), and drops the content: a second confirmation finds it
done. Uploads older than a day are removed on the next upload (they were never confirmed).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from supervision import clock, filestore
from supervision.models.files import PendingUpload

TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 24 * 3600


@dataclass
class PendingFile:
    token: str
    meta: dict[str, Any]
    data: bytes


class PendingImports:
    def __init__(self, session: Session, purpose: str, max_age_seconds: int = MAX_AGE_SECONDS):
        self.session, self.purpose, self.max_age = session, purpose, max_age_seconds

    def save(self, user_id: int, file_name: str, data: bytes) -> str:
        """Keep the upload until it is confirmed (the caller commits); returns its token."""
        self.sweep()
        token = secrets.token_hex(16)
        self.session.add(PendingUpload(token=token, purpose=self.purpose, user_id=user_id, file_name=file_name[:200],
                                       size=len(data), sha256=filestore.digest(data), content=data,
                                       uploaded_at=clock.now()))
        self.session.flush()
        return token

    def _row(self, token: str, user_id: int) -> PendingUpload | None:
        if not TOKEN.match(token or ""):
            return None
        row = self.session.get(PendingUpload, token)
        if row is None or row.purpose != self.purpose or row.user_id != user_id \
                or clock.now() - row.uploaded_at > timedelta(seconds=self.max_age):
            return None
        return row

    def meta(self, token: str, user_id: int) -> dict[str, Any] | None:
        """The upload's record, if the token is well-formed, fresh and the user's own."""
        row = self._row(token, user_id)
        if row is None:
            return None
        meta = {"user_id": row.user_id, "file_name": row.file_name, "size": row.size, "sha256": row.sha256,
                "uploaded_at": row.uploaded_at.isoformat()}
        if row.result_json is not None:
            meta["result"] = json.loads(row.result_json)
        return meta

    def read(self, token: str, user_id: int) -> PendingFile | None:
        """The upload, if it is this user's, fresh and not yet confirmed."""
        meta = self.meta(token, user_id)
        if meta is None or "result" in meta:
            return None
        row = self.session.get(PendingUpload, token)
        if row is None or row.content is None:
            return None
        return PendingFile(token, meta, bytes(row.content))

    def finish(self, token: str, result: dict[str, Any]) -> bool:
        """Confirmed, in the caller's transaction: keep only the record of what the confirmation did.
        False when another confirmation got there first (the caller's work must then not stand)."""
        done = self.session.execute(
            update(PendingUpload).where(PendingUpload.token == token, PendingUpload.result_json.is_(None))
            .values(content=None, result_json=json.dumps(result, ensure_ascii=False))
            .execution_options(synchronize_session=False))
        return done.rowcount == 1

    def sweep(self) -> None:
        """Unconfirmed uploads older than a day, and the records of confirmed ones, go."""
        limit = clock.now() - timedelta(seconds=self.max_age)
        self.session.execute(delete(PendingUpload).where(PendingUpload.uploaded_at < limit)
                             .execution_options(synchronize_session=False))
