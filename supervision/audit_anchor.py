"""The audit chain's head, anchored outside the database, and the one verification of it all.

The anchor file (``instance/audit_anchor.log`` unless ``AUDIT_ANCHOR_FILE`` says otherwise) is
append-only: each line holds its number, the time, a (seq, hash) of the chain's head, the last seq of
the entries written before keys existed, the key id and an HMAC with the audit key over all of that and
the previous line's HMAC. Whoever can write to the
database cannot make a truncated, wiped or recomputed chain match it; whoever edits, drops or reorders a
line breaks the HMACs of the file. Every anchoring is also recorded in the chain (``audit.anchored``,
with the line's number and HMAC), so a line cut from the end of the file is found as well.

Written by ``flask audit anchor``, by every ``flask sweep`` (when the chain has moved) and by
``flask audit nightly``; checked by ``flask audit verify``.
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, audit_rows, clock
from supervision.audit_keys import Keyring
from supervision.models.audit import AuditChainHead, AuditEntry

FILE_NAME = "audit_anchor.log"


def anchor_path(config: Any, instance_path: str) -> Path:
    return Path(config.get("AUDIT_ANCHOR_FILE") or Path(instance_path) / FILE_NAME)


def file_id(path: Path) -> str:
    """Which anchor file an ``audit.anchored`` entry belongs to: each server that runs the sweep keeps
    its own file, and checks only its own lines against the log."""
    return f"{socket.gethostname()}:{path.resolve()}"


@dataclass(frozen=True)
class AnchorLine:
    number: int
    at: str
    seq: int
    hash: str
    legacy_seq: int
    key_id: str
    mac: str

    def text(self) -> str:
        return "\t".join((str(self.number), self.at, str(self.seq), self.hash, str(self.legacy_seq), self.key_id,
                          self.mac))

    def signed(self, prev_mac: str) -> str:
        return "\t".join((str(self.number), self.at, str(self.seq), self.hash, str(self.legacy_seq), self.key_id,
                          prev_mac))


def _parse(raw: str) -> AnchorLine | None:
    parts = raw.rstrip("\n").split("\t")
    if len(parts) != 7 or not all(parts[i].isdigit() for i in (0, 2, 4)):
        return None
    return AnchorLine(int(parts[0]), parts[1], int(parts[2]), parts[3], int(parts[4]), parts[5], parts[6])


@dataclass
class AnchorFile:
    exists: bool = False
    lines: list[AnchorLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def last(self) -> AnchorLine | None:
        return self.lines[-1] if self.lines else None


def read(path: Path, ring: Keyring) -> AnchorFile:
    """Every line, its HMAC checked against the previous line's."""
    found = AnchorFile(exists=path.exists())
    if not found.exists:
        return found
    prev_mac = ""
    with path.open(encoding="utf-8") as file:
        for number, raw in enumerate(file, 1):
            line = _parse(raw)
            if line is None:
                found.problems.append(f"锚点文件第 {number} 行格式错误（被修改？）")
                prev_mac = raw.rstrip("\n").rpartition("\t")[2]
                continue
            if line.number != number:
                found.problems.append(f"锚点文件第 {number} 行的编号是 {line.number}：其前的行被删除或插入")
            if ring.key(line.key_id) is None:
                found.problems.append(f"锚点文件第 {number} 行所用的密钥 {line.key_id} 未配置，无法校验")
            elif ring.mac(line.signed(prev_mac), line.key_id) != line.mac:
                found.problems.append(f"锚点文件第 {number} 行被修改（或其前一行被删除、修改）")
            if found.lines and line.seq < found.lines[-1].seq:
                found.problems.append(f"锚点文件第 {number} 行记的位置（第 {line.seq} 条）早于前一行")
            found.lines.append(line)
            prev_mac = line.mac
    return found


def _last_line(file) -> AnchorLine | None:
    """The file's last line, read from its end (the file grows by a line per sweep that saw writes)."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - 4096))
    tail = file.read().decode("utf-8", errors="replace").splitlines()
    return _parse(tail[-1]) if tail else None


def write(session: Session, ring: Keyring, path: Path) -> AnchorLine | None:
    """Append a line for the chain's current head, unless nothing but the last anchoring happened since
    the last line; record the anchoring in the chain. Never commits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # two sweeps on this host at once append one after the other
        try:
            last = _last_line(file)
            seq, hash_, legacy_seq = session.execute(
                select(AuditChainHead.seq, AuditChainHead.last_hash, AuditChainHead.legacy_seq)
                .where(AuditChainHead.id == audit.HEAD_ID)).one()
            if last is not None and seq >= last.seq and _only_anchorings_since(session, last.seq):
                return None
            number = last.number + 1 if last is not None else 1
            at = clock.now().isoformat(timespec="seconds")
            unsigned = AnchorLine(number, at, seq, hash_, legacy_seq, ring.current_id, "")
            mac = ring.mac(unsigned.signed(last.mac if last else ""))
            line = AnchorLine(number, at, seq, hash_, legacy_seq, ring.current_id, mac)
            file.seek(0, os.SEEK_END)
            file.write((line.text() + "\n").encode())
            file.flush()
            os.fsync(file.fileno())
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
    audit.record(session, None, audit.ANCHOR_ACTION, ("audit_anchor", number),
                 f"审计日志锚定至第 {seq} 条（锚点文件第 {number} 行）",
                 {"file": file_id(path), "n": number, "seq": seq, "hash": hash_, "mac": mac})
    return line


def _only_anchorings_since(session: Session, seq: int) -> bool:
    """Whether nothing but anchorings (this server's last one, other servers' ones) followed entry ``seq``:
    then there is nothing new to anchor, and several servers' sweeps do not anchor each other's anchorings."""
    return session.scalar(select(AuditEntry.seq).where(AuditEntry.seq > seq, AuditEntry.action != audit.ANCHOR_ACTION)
                          .limit(1)) is None


# --- the whole verification ----------------------------------------------------------------------
@dataclass
class Verification:
    walk: audit.ChainWalk
    anchors: AnchorFile
    anchor_problems: list[str]
    rows: audit_rows.RowReport | None = None

    @property
    def problem_count(self) -> int:
        return (len(self.walk.breaks) + len(self.anchor_problems)
                + (len(self.rows.mismatches) if self.rows is not None else 0))

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def verify(session: Session, ring: Keyring, path: Path, rows: bool = False) -> Verification:
    """The chain with its keys, against the anchor file; and, with ``rows``, every audited business row
    against its last digest."""
    anchors = read(path, ring)
    problems = list(anchors.problems)
    anchored: dict[int, str] = {}
    for line in anchors.lines:
        if anchored.setdefault(line.seq, line.hash) != line.hash:
            problems.append(f"锚点文件对第 {line.seq} 条记了两个不同的哈希（第 {line.number} 行）")
    # The boundary of the unkeyed entries as first anchored: moving it in the database to pass off
    # recomputed entries as unkeyed ones does not move it here.
    legacy_seq = min((line.legacy_seq for line in anchors.lines), default=None)
    walk = audit.walk_chain(session, ring, anchored, collect_rows=rows, legacy_seq=legacy_seq,
                            anchor_file=file_id(path))
    by_number = {line.number: line for line in anchors.lines}
    if walk.anchor_entries and not anchors.exists:
        problems.append(f"锚点文件 {path} 不存在，而审计日志记有 {len(walk.anchor_entries)} 次锚定（文件被删除或换了位置）")
    elif walk.anchor_entries:
        for number, mac in sorted(walk.anchor_entries.items()):
            line = by_number.get(number)
            if line is None:
                problems.append(f"锚点文件缺少第 {number} 行（审计日志记有这次锚定）")
            elif line.mac != mac:
                problems.append(f"锚点文件第 {number} 行与审计日志中记下的不符")
    row_report = audit_rows.verify_rows(session, ring, walk.rows) if rows else None
    return Verification(walk, anchors, problems, row_report)
