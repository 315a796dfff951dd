"""Flask commands: create-user, demo-data, audit verify (and more as areas grow)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from sqlalchemy import select

from supervision.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(sweep_command)
    app.cli.add_command(files_group)
    app.cli.add_command(backup_group)
    from supervision.search.cli import search_group

    app.cli.add_command(search_group)
    from supervision.documents.cli import paperwork_group

    app.cli.add_command(paperwork_group)
    from supervision.clues.cli import clues_group

    app.cli.add_command(clues_group)
    from supervision.ledger_import.cli import jobs_group

    app.cli.add_command(jobs_group)
    from supervision.settings.cli import calendar_group

    app.cli.add_command(calendar_group)


@click.command("create-user")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", prompt="姓名")
@click.option("--role", type=click.Choice(["admin", "intake", "supervisor", "dept_head", "leader"]), prompt="角色")
@click.option("--department", "department_code", default="", help="单位代码（部门负责人必填）")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
def create_user_command(username: str, display_name: str, role: str, department_code: str, password: str) -> None:
    """Create a user account (the first admin of a new installation, for instance)."""
    from supervision.admin.services import create_user
    from supervision.auth.services import LoginPolicy
    from supervision.errors import DomainError
    from supervision.models.org import Department, Role

    department = None
    if department_code:
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise click.ClickException(f"没有代码为 {department_code} 的单位。")
    try:
        create_user(db.session, None, username=username, display_name=display_name, role=Role(role),
                    password=password, policy=LoginPolicy.from_config(current_app.config), department=department,
                    must_change_password=False)  # typed here by the person who will use it
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"已创建用户 {username}（{Role(role).label}）。")


@click.command("demo-data")
@click.option("--force", is_flag=True, help="即使已有数据也再加载一次（不会重复创建已存在的单位和用户）。")
def demo_data_command(force: bool) -> None:
    """Load a realistic demo office: departments, one user per role, matters in every state."""
    from supervision import demo
    from supervision.models.org import User

    if not force and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("数据库中已有用户，跳过演示数据（用 --force 强制加载）。")
        return
    accounts = demo.load(db.session, current_app.config)
    db.session.commit()
    click.echo("演示数据已加载。演示账户（用户名 / 密码 / 角色）：")
    for username, password, label in accounts:
        click.echo(f"  {username:<12} {password:<12} {label}")


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


def _anchor_path():
    from supervision.audit_anchor import anchor_path

    return anchor_path(current_app.config, current_app.instance_path)


def _keyring():
    from supervision.audit_keys import MissingKey, keyring

    try:
        return keyring()
    except MissingKey as error:
        raise click.ClickException(str(error)) from error


def _report(verification, rows: bool) -> int:
    """Print what verification found; the number of problems."""
    walk = verification.walk
    for item in walk.breaks:
        click.echo(f"第 {item.seq} 条：{item.reason}", err=True)
    for problem in verification.anchor_problems:
        click.echo(problem, err=True)
    if verification.rows is not None:
        for mismatch in verification.rows.mismatches:
            click.echo(f"业务记录 {mismatch}", err=True)
    last = verification.anchors.last
    anchored = (f"锚点文件 {len(verification.anchors.lines)} 行，最后锚定于第 {last.seq} 条（{last.at}）"
                if last else "尚无锚点（运行 flask audit anchor 写入第一个锚点）")
    if verification.ok:
        click.echo(f"审计日志完整：共 {walk.count} 条记录，哈希链与密钥校验通过；{anchored}。")
        if rows:
            click.echo(f"业务记录与审计摘要一致：共核对 {verification.rows.checked} 行。")
    return verification.problem_count


@audit_group.command("verify")
@click.option("--rows", is_flag=True, help="同时核对业务记录（事项、交办、整改、谈话……）与其最后一次审计摘要。")
def audit_verify_command(rows: bool) -> None:
    """Check the keyed hash chain against the anchor file (an edited, deleted, truncated, wiped or
    recomputed log is reported), and with --rows every audited business row against its last digest."""
    from supervision.audit_anchor import verify

    verification = verify(db.session, _keyring(), _anchor_path(), rows=rows)
    problems = _report(verification, rows)
    if problems:
        first = verification.walk.first_bad_seq
        raise click.ClickException(f"审计日志校验失败：发现 {problems} 处问题"
                                   + (f"，最早的问题位于第 {first} 条" if first is not None else "") + "。")


@audit_group.command("anchor")
def audit_anchor_command() -> None:
    """Append the chain's head to the anchor file (and record that in the chain)."""
    from supervision.audit_anchor import write

    line = write(db.session, _keyring(), _anchor_path())
    db.session.commit()
    if line is None:
        click.echo("自上次锚定以来审计日志没有新记录，未写入新的锚点。")
    else:
        click.echo(f"已锚定：第 {line.seq} 条 {line.hash}（{_anchor_path()} 第 {line.number} 行）。")


@audit_group.command("baseline")
def audit_baseline_command() -> None:
    """Record the digests of business rows that have none yet (once, after upgrading to row digests).
    A row whose digest differs is NOT re-recorded: that is what `verify --rows` reports."""
    from supervision.audit_rows import record_baseline

    counts = record_baseline(db.session, _keyring())
    db.session.commit()
    total = sum(counts.values())
    click.echo(f"已为 {total} 行业务记录建立审计摘要" + ("：" + "、".join(f"{t} {n}" for t, n in counts.items() if n)
                                                      if total else "（都已有摘要）") + "。")


@audit_group.command("nightly")
def audit_nightly_command() -> None:
    """The nightly check: anchor the head, then verify the chain, the anchor file and every business row.
    Run it from cron once a night; a non-zero exit and the lines on stderr are for the administrator."""
    from supervision.audit_anchor import verify, write

    ring = _keyring()
    line = write(db.session, ring, _anchor_path())
    db.session.commit()
    if line is not None:
        click.echo(f"锚点：{line.text()}")
    verification = verify(db.session, ring, _anchor_path(), rows=True)
    problems = _report(verification, True)
    if problems:
        raise click.ClickException(f"夜间核查发现 {problems} 处问题，请立即核实。")


@click.command("sweep")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="按指定日期运行（用于补跑或测试）。")
def sweep_command(today) -> None:
    """Deadline sweep: reminders, 催办, 督办, then pending e-mail/SMS deliveries. Idempotent; run it
    every few minutes from cron or a systemd timer, on one server or several."""
    started = time.monotonic()
    from supervision.escalation.services import SweepPolicy, sweep
    from supervision.notifications.channels import channels_from_config
    from supervision.notifications.services import deliver_pending

    from pathlib import Path

    from supervision.documents.services import Paperwork, office_profile

    paperwork = Paperwork(office_profile(current_app.config), Path(current_app.instance_path) / "documents")
    from supervision.complainants.services import LetterPolicy

    policy = SweepPolicy.from_config(current_app.config)
    # A backlog's first sweep (a history imported with many overdue matters) records every 督办 at once but
    # issues their 督办通知书 a committed batch at a time: one batch in any case, more while the run is younger
    # than SWEEP_NOTICES_SECONDS, so that a run over 1,000,000 matters stays under a minute (issue 21); the
    # next run goes on (issue_missing_notices finds those still without one).
    batch = int(current_app.config.get("SWEEP_NOTICE_BATCH", 200))
    report = sweep(db.session, policy, today.date() if today else None, paperwork=paperwork, notice_limit=batch,
                   letters=LetterPolicy.from_config(current_app.config, current_app.instance_path))
    db.session.commit()
    from supervision.escalation.paperwork import issue_missing_notices

    budget_ends = started + float(current_app.config.get("SWEEP_NOTICES_SECONDS", 40))
    while report.notices_left and time.monotonic() < budget_ends:
        issued = issue_missing_notices(db.session, paperwork, policy.channels, batch)
        db.session.commit()
        report.notices += issued
        report.notices_left = issued == batch
    from supervision.clues.services import sweep_shelved

    shelved = sweep_shelved(db.session, today.date() if today else None)  # 暂存待查 due for review
    db.session.commit()
    # After the sweep's commit: each delivery is marked before and after sending (at most one resent after a crash).
    sent, failed = deliver_pending(db.session, channels_from_config(current_app.config, current_app.instance_path),
                                   lease_seconds=current_app.config.get("DELIVERY_LEASE_SECONDS", 600))
    # Ledger imports confirmed since the last run, when no `flask jobs run` worker took them (or one died).
    from supervision.ledger_import.jobs import JobPolicy, run_queued

    jobs = run_queued(db.session, JobPolicy.from_config(current_app.config, current_app.instance_path),
                      budget_seconds=current_app.config.get("SWEEP_JOBS_SECONDS", 240))
    from supervision.portal.services import purge_portal_sessions

    purge_portal_sessions(db.session)  # the public side's used CAPTCHA questions and ended look-ups
    db.session.commit()
    from supervision.audit_anchor import write

    write(db.session, _keyring(), _anchor_path())  # the chain's head, outside the database
    db.session.commit()
    click.echo(f"{report}；发送通知 {sent} 条" + (f"，失败待重试 {failed} 条" if failed else "")
               + (f"；暂存待查线索到期重新研判 {shelved} 件" if shelved else "")
               + (f"；运行台账导入任务 {jobs} 个" if jobs else "") + "。")


@click.group("files")
def files_group() -> None:
    """Uploaded evidence and generated documents (their content is kept in the database)."""


@files_group.command("check")
@click.option("--fix", is_flag=True, help="缺失或损坏的内容，若本机实例目录中仍有迁移前的原文件且校验值一致，则补回数据库。")
def files_check_command(fix: bool) -> None:
    """Report content missing for a registered row, content whose sha256 differs, and content no row
    names (never deleted); exit 1 if any. Run it nightly. --fix loads a missing content from the file
    the row lay in under the instance folder before migration 0038, when it is there and matches."""
    from pathlib import Path

    from supervision.filecheck import check_files

    problems = check_files(db.session, Path(current_app.instance_path), fix=fix)
    if fix:
        db.session.commit()
    for problem in problems:
        click.echo(str(problem))
    kinds = (("missing", "缺失"), ("corrupt", "损坏"), ("unreferenced", "无登记"), ("restored", "已补回"))
    counts = {kind: sum(1 for p in problems if p.kind == kind) for kind, _ in kinds}
    summary = "，".join(f"{label} {counts[kind]} 个" for kind, label in kinds)
    if problems:
        message = f"文件检查发现问题：{summary}。"
        if counts["missing"] or counts["corrupt"] or counts["unreferenced"]:
            raise click.ClickException(message)
        click.echo(message)
        return
    click.echo("文件检查通过：所有登记的文件内容都在数据库中，校验值一致，没有无登记的内容。")


@click.group("backup")
def backup_group() -> None:
    """Backup and restore: the database (with the files' content), the audit anchor and the issued numbers."""


def _backup_places():
    from pathlib import Path

    from supervision import issued_numbers_file
    from supervision.audit_anchor import anchor_path
    from supervision.backup import Places

    config, instance = current_app.config, current_app.instance_path
    return Places(Path(instance), anchor_path(config, instance), issued_numbers_file(config, instance))


@backup_group.command("create")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_create_command(dest: str) -> None:
    """Write a consistent backup to the new folder DEST (with a manifest of sha256 checksums)."""
    from pathlib import Path

    from supervision.backup import BackupError, create

    try:
        manifest = create(db.engine, _backup_places(), Path(dest))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    size = sum(f["size"] for f in manifest["files"].values())
    click.echo(f"备份完成：{dest}（{len(manifest['files'])} 个文件，{size / 1048576:.1f} MB，"
               f"数据库版本 {manifest['alembic_revision']}）。")


@backup_group.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--issued-numbers", "issued", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="another server's issued_numbers.log (repeat for each server): no number any server gave out "
                   "after the backup is given again")
def backup_restore_command(src: str, issued: tuple[str, ...]) -> None:
    """Restore the backup SRC into an empty database and an empty instance folder."""
    from pathlib import Path

    from supervision.backup import BackupError, restore
    from supervision.highwater import lines

    db.session.remove()
    try:
        marks = restore(db.engine, _backup_places(), Path(src), [Path(p) for p in issued])
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    db.engine.dispose()
    click.echo("恢复完成。编号计数器已提高到曾发出的最大编号：")
    for line in lines(marks):
        click.echo(f"  {line}")
    if (Path(src) / "files").is_dir():
        click.echo("此备份为旧格式（文件在备份的 files/ 目录中）：文件已复制到实例目录。请先运行 flask db upgrade，"
                   "迁移 0038 会把它们存入数据库。")
    click.echo("接下来请运行：flask audit verify（审计链校验）、flask search check --fix（每台服务器重建检索索引）、"
               "flask files check（文件校验）。")
