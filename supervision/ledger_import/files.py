"""Uploaded ledgers between preview and confirmation: instance/imports/<token>.xlsx and <token>.json.

The token is random and the file belongs to the user who uploaded it; confirming copies the file into
an import job in the database (``jobs.queue_import``: one job per token, so a double click or two tabs
import it once) and then removes it here. Files older than a day are removed on the next upload.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervision import filestore

TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 24 * 3600


@dataclass
class PendingFile:
    token: str
    meta: dict[str, Any]
    data: bytes


class PendingImports:
    def __init__(self, folder: Path, max_age_seconds: int = MAX_AGE_SECONDS):
        self.folder, self.max_age = folder, max_age_seconds

    def _paths(self, token: str) -> tuple[Path, Path, Path]:
        return (self.folder / f"{token}.xlsx", self.folder / f"{token}.claimed", self.folder / f"{token}.json")

    def save(self, user_id: int, file_name: str, data: bytes) -> str:
        """Keep the upload until it is confirmed; a full or read-only disk raises filestore.StorageError
        (a clear message) and leaves no partial file."""
        token = secrets.token_hex(16)
        pending, _, meta = self._paths(token)
        record = json.dumps({"user_id": user_id, "file_name": file_name[:200], "size": len(data),
                             "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": time.time()},
                            ensure_ascii=False).encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.sweep()
        except OSError as error:
            raise filestore.storage_error(error) from error
        try:
            filestore.write_whole(pending, data)
            filestore.write_whole(meta, record)
        except filestore.StorageError:
            pending.unlink(missing_ok=True)
            raise
        return token

    def meta(self, token: str, user_id: int) -> dict[str, Any] | None:
        """The upload's record, if the token is well-formed, fresh and the user's own."""
        if not TOKEN.match(token or ""):
            return None
        try:
            meta = json.loads(self._paths(token)[2].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("user_id") != user_id or time.time() - meta.get("uploaded_at", 0) > self.max_age:
            return None
        return meta

    def read(self, token: str, user_id: int) -> PendingFile | None:
        """The upload, if it is this user's, fresh and not yet confirmed (the confirmation's job holds
        the file from then on: the database's unique token decides which of two confirmations records it)."""
        meta = self.meta(token, user_id)
        if meta is None or "result" in meta:
            return None
        try:
            return PendingFile(token, meta, self._paths(token)[0].read_bytes())
        except OSError:
            return None

    def finish(self, token: str, meta: dict[str, Any], result: dict[str, Any]) -> None:
        """The job has the file (committed): keep only the record that it was confirmed."""
        pending, claimed, meta_path = self._paths(token)
        try:
            meta_path.write_text(json.dumps({**meta, "result": result}, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # the token's job is in the database: a second confirmation finds it there
        pending.unlink(missing_ok=True)
        claimed.unlink(missing_ok=True)  # left by an earlier version that imported in the request

    def sweep(self) -> None:
        limit = time.time() - self.max_age
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:
                pass
