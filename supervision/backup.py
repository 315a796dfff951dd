"""`flask backup create DEST` and `flask backup restore SRC`.

A backup is a folder:

    manifest.json          what is in it, each file with its size and sha256, and the counters' marks
    database.dump          PostgreSQL: pg_dump's custom format (one consistent snapshot)
    database.sqlite3       SQLite: a copy by SQLite's online backup API (consistent while the app writes)
    audit_anchor.log       the audit chain's anchor file, when there is one
    issued_numbers.log     the numbers given out (highwater.py), when there is one

The uploaded evidence and the generated documents are in the database (``file_content``, since
migration 0038), so the one consistent snapshot holds every row together with its file. The folder is
written as DEST.partial and renamed when complete, so a backup that failed half-way is never taken for
a whole one.

A backup of format 1 (made before migration 0038) also has ``files/uploads/…`` and ``files/documents/…``:
its restore copies them into the instance folder, and ``flask db upgrade`` (migration 0038) then loads
them into the database.

A restore checks every checksum first, refuses a database that has tables or an instance folder that
has files, then loads the database, copies the files and the anchor, and raises every number counter
to the highest mark of the backup, of its own issued-numbers file and of the one configured here
(the live file, kept beside the anchor off the database's disk, knows the numbers given out after the
backup was made).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from supervision import highwater
from supervision.errors import DomainError
from supervision.models.counters import SerialCounter

FORMAT = 2  # 2: the files are in the database; 1: they were beside it, under files/
FILE_AREAS = ("uploads", "documents")  # where files lay in the instance folder before migration 0038
ANCHOR, ISSUED = "audit_anchor.log", highwater.FILE_NAME


class BackupError(DomainError):
    """A backup cannot be made or restored; the message says why, in Chinese."""


@dataclass(frozen=True)
class Places:
    """Where this installation keeps what a backup holds."""

    instance: Path
    anchor_file: Path
    issued_file: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_url(engine: Engine) -> str:
    """A libpq URL for pg_dump / pg_restore (without SQLAlchemy's driver suffix)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- create -----------------------------------------------------------------------------------------
def create(engine: Engine, places: Places, dest: Path) -> dict:
    if dest.exists():
        raise BackupError(f"目标 {dest} 已存在。请指定一个新的备份目录（例如带日期的目录名）。")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        database = _dump_database(engine, partial)
        for source, name in ((places.anchor_file, ANCHOR), (places.issued_file, ISSUED)):
            if source.is_file():
                shutil.copy2(source, partial / name)
        with engine.connect() as connection:
            counters = [{"scope": scope, "year": year, "value": value} for scope, year, value in connection.execute(
                sa.select(SerialCounter.scope, SerialCounter.year, SerialCounter.value).order_by(
                    SerialCounter.scope, SerialCounter.year))]
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            stored = connection.execute(sa.text("SELECT count(*), coalesce(sum(size), 0) FROM file_content")).one()
        files = {str(p.relative_to(partial)): {"size": p.stat().st_size, "sha256": _sha256(p)}
                 for p in sorted(partial.rglob("*")) if p.is_file()}
        manifest = {"format": FORMAT, "created_at": datetime.now().isoformat(timespec="seconds"),
                    "engine": engine.dialect.name, "database": database, "alembic_revision": revision,
                    "counters": counters, "files": files,
                    "stored_files": {"count": stored[0], "bytes": int(stored[1])}}
        (partial / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _dump_database(engine: Engine, folder: Path) -> str:
    if engine.dialect.name == "postgresql":
        target = folder / "database.dump"
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                               f"--file={target}", f"--dbname={_pg_url(engine)}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
        return target.name
    if engine.dialect.name == "sqlite":
        target = folder / "database.sqlite3"
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # SQLite's online backup: a consistent copy while others write
        finally:
            copy.close()
            source.close()
        return target.name
    raise BackupError(f"不支持的数据库：{engine.dialect.name}")


# --- restore ----------------------------------------------------------------------------------------
def verify(src: Path) -> dict:
    """The manifest, after every file of the backup is checked against it."""
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{src} 不是完整的备份：缺少或无法读取 manifest.json。") from error
    bad = []
    for name, expected in manifest["files"].items():
        path = src / name
        if not path.is_file():
            bad.append(f"缺少 {name}")
        elif path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            bad.append(f"校验值不符 {name}")
    if bad:
        raise BackupError("备份校验失败，未恢复任何内容：" + "；".join(bad[:20]) + (" …" if len(bad) > 20 else ""))
    return manifest


def refuse_unless_empty(engine: Engine, places: Places) -> None:
    tables = sa.inspect(engine).get_table_names()
    if tables:
        raise BackupError(f"目标数据库不是空的（已有 {len(tables)} 张表）。恢复只能写入新建的空数据库，"
                          "以免覆盖现有数据。请新建一个空数据库并让 DATABASE_URL 指向它。")
    occupied = [str(path.relative_to(places.instance)) for area in FILE_AREAS
                for path in (places.instance / area).rglob("*") if path.is_file()] \
        if places.instance.is_dir() else []
    if places.anchor_file.is_file():
        occupied.append(str(places.anchor_file))
    if occupied:
        raise BackupError(f"目标实例目录不是空的（已有 {len(occupied)} 个文件，如 {occupied[0]}）。"
                          "恢复只能写入空的实例目录（可保留 config.py）。")


def restore(engine: Engine, places: Places, src: Path, issued_elsewhere: Sequence[Path] = ()) -> highwater.Marks:
    """Restore into an empty database and instance folder; returns the counters' marks it applied.
    ``issued_elsewhere``: the issued_numbers.log of every other server (each appends only its own numbers)."""
    manifest = verify(src)
    if manifest.get("format", 1) > FORMAT:
        raise BackupError(f"备份格式 {manifest['format']} 比本程序新，请用新版本程序恢复。")
    if manifest["engine"] != engine.dialect.name:
        raise BackupError(f"备份来自 {manifest['engine']} 数据库，不能恢复到 {engine.dialect.name}。")
    refuse_unless_empty(engine, places)
    _load_database(engine, src / manifest["database"])
    for area in FILE_AREAS:  # a backup of format 1: migration 0038 (flask db upgrade) loads them
        source = src / "files" / area
        if source.is_dir():
            target = places.instance / area
            target.mkdir(parents=True, exist_ok=True)
            for path in source.iterdir():
                shutil.copy2(path, target / path.name)
    if (src / ANCHOR).is_file():
        places.anchor_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / ANCHOR, places.anchor_file)
    recorded = {(c["scope"], c["year"]): c["value"] for c in manifest["counters"]}
    marks = highwater.merge(recorded, highwater.read(src / ISSUED), highwater.read(places.issued_file),
                            *(highwater.read(path) for path in issued_elsewhere))
    raise_counters(engine, marks)
    highwater.append(places.issued_file, marks)  # the restored installation's file starts from them all
    return marks


def _load_database(engine: Engine, dump: Path) -> None:
    if engine.dialect.name == "postgresql":
        done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                               f"--dbname={_pg_url(engine)}", str(dump)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
        return
    engine.dispose()
    target = sqlite3.connect(engine.url.database)
    source = sqlite3.connect(dump)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def raise_counters(engine: Engine, marks: highwater.Marks) -> None:
    """Every counter at least at its mark: the next number is above every number given out."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as connection:
        for (scope, year), value in sorted(marks.items()):
            statement = insert(SerialCounter).values(scope=scope, year=year, value=value)
            connection.execute(statement.on_conflict_do_update(
                index_elements=["scope", "year"],
                set_={"value": sa.func.max(SerialCounter.value, statement.excluded.value)
                      if engine.dialect.name == "sqlite" else
                      sa.func.greatest(SerialCounter.value, statement.excluded.value)}))
