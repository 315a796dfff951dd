"""`flask search reindex | apply | status | check [--fix] | prune`: this server's index against the
database and the change log. Each command reports a problem as a Chinese message and a non-zero exit
status, never as a traceback (for cron and monitoring)."""

from __future__ import annotations

import functools
import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

from supervision.extensions import db
from supervision.search import applier, service

log = logging.getLogger(__name__)

SHOWN = 20  # ids listed per kind of problem


@click.group("search", cls=AppGroup)  # AppGroup: each command runs in an app context
def search_group() -> None:
    """Full-text search index (全文检索索引)."""


def _index_or_fail():
    if not service.enabled():
        raise click.ClickException("全文检索未启用（SEARCH_ENABLED = False）。")
    index = service.get_index()
    if index is None:
        raise click.ClickException(f"无法打开检索索引：{service.index_dir()}。")
    return index


def _reported(command):
    """An unexpected failure (a locked or damaged index, a full disk, the database gone) becomes a
    one-line message and exit status 1; the traceback goes to the log."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise
        except service.IndexBusy as error:
            raise click.ClickException(f"检索索引正被其他进程写入或重建，请稍后再试（{error}）。") from error
        except OSError as error:
            log.exception("flask search %s failed", command.__name__)
            raise click.ClickException(f"检索索引文件读写失败（磁盘已满或无权限？）：{error}") from error
        except Exception as error:  # noqa: BLE001
            log.exception("flask search %s failed", command.__name__)
            raise click.ClickException(f"操作失败：{type(error).__name__}: {error}") from error
    return run


@search_group.command("reindex")
@_reported
def reindex_command() -> None:
    """Rebuild the whole index from the database (safe while the application runs: searches keep the
    old index until the new one is committed; other writers wait)."""
    _reindex(_index_or_fail())


def _reindex(index) -> None:
    click.echo(f"重建检索索引：{index.path}")
    bar_state: dict = {}

    def progress(done: int, total: int | None) -> None:
        bar = bar_state.get("bar")
        if bar is None:
            bar = bar_state["bar"] = click.progressbar(length=total or done or 1, label="索引文档",
                                                        show_pos=True, show_eta=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        stats = service.rebuild(progress)
    except service.IndexBusy as error:
        raise click.ClickException(f"检索索引正被其他进程写入或重建，请稍后再试（{error}）。") from error
    except Exception as error:
        log.exception("search reindex failed")
        raise click.ClickException(f"重建失败（未完成的索引文件已删除，原索引不变）：{error}") from error
    finally:
        if "bar" in bar_state:
            bar_state["bar"].__exit__(None, None, None)
    click.echo(f"已重建：{stats.docs} 个文档，用时 {stats.seconds:.1f} 秒（{stats.segments} 个分段）。")


@search_group.command("apply")
@_reported
def apply_command() -> None:
    """Apply the change log to this server's index now (the web workers also do it in the background);
    an index never built, or behind the pruned log, is rebuilt."""
    index = _index_or_fail()
    if not service.is_ready(index):
        click.echo("检索索引尚未建立或格式已过期：重建。")
        _reindex(index)
    applied = service.apply_pending(timeout=None)
    if applied.needs_rebuild:
        click.echo("检索索引落后于已清理的变更记录：重建。")
        _reindex(index)
        applied = service.apply_pending(timeout=None)
    if applied.busy:
        raise click.ClickException("检索索引正被其他进程更新或重建，请稍后再试。")
    click.echo(f"已应用 {applied.rows} 条变更记录（{applied.documents} 个文档）。")


@search_group.command("status")
@_reported
def status_command() -> None:
    """This server's index: built or not, its position in the change log, how far behind.
    Exits with status 1 when the index is not built (for monitoring)."""
    _index_or_fail()
    state = service.status()
    if not state.ready:
        raise click.ClickException(f"检索索引尚未建立（{state.path}），请运行 flask search reindex。")
    applied = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.applied_at)) if state.applied_at else "—"
    click.echo(f"检索索引：{state.path}\n已应用到变更记录 {state.position}，未应用 {state.unapplied} 条，"
               f"观察中的空缺 {state.gaps} 段，最近应用于 {applied}。")


@search_group.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="删除多少天以前的变更记录（默认 SEARCH_LOG_KEEP_DAYS）。")
@_reported
def prune_command(days: int | None) -> None:
    """Delete change-log rows older than N days (the log is bookkeeping, not case data). A server
    whose index had not applied them yet rebuilds its index."""
    days = days or int(current_app.config.get("SEARCH_LOG_KEEP_DAYS", 30))
    deleted, through = applier.prune(db.session, days)
    db.session.commit()
    click.echo(f"已删除 {days} 天以前的检索变更记录 {deleted} 条（至编号 {through}）。")


@search_group.command("check")
@click.option("--fix", is_flag=True, help="补录缺失和过期的文档，删除多余的文档。")
@_reported
def check_command(fix: bool) -> None:
    """Compare the index with the database: missing, stale (changed since indexed) and extra
    documents. Exits with status 1 when it finds any and --fix is not given (for cron / monitoring).
    With --fix, an index not built yet or written by an older version is rebuilt."""
    index = _index_or_fail()
    if not service.is_ready(index):
        if not fix:
            raise click.ClickException("检索索引尚未建立或格式已过期，请运行 flask search reindex。")
        click.echo("检索索引尚未建立或格式已过期：重建。")
        _reindex(index)
        return
    if service.apply_pending(timeout=30.0).needs_rebuild:  # what the log holds is not drift: apply it first
        if not fix:
            raise click.ClickException("检索索引落后于已清理的变更记录，请运行 flask search reindex。")
        click.echo("检索索引落后于已清理的变更记录：重建。")
        _reindex(index)
        return
    report = service.check()
    for label, ids in (("缺失", report.missing), ("过期", report.stale), ("多余", report.extra)):
        if ids:
            more = f" 等（共 {len(ids)} 个）" if len(ids) > SHOWN else ""
            click.echo(f"{label} {len(ids)} 个：{'、'.join(ids[:SHOWN])}{more}")
    if report.ok:
        click.echo(f"检索索引与数据库一致（{index.doc_count()} 个文档）。")
        return
    if not fix:
        raise click.ClickException("检索索引与数据库不一致：运行 flask search check --fix 修复，或 flask search reindex 重建。")
    upserted, deleted = service.repair(report)
    after = service.check()
    if not after.ok:
        raise click.ClickException(f"修复后仍不一致（缺失 {len(after.missing)}、过期 {len(after.stale)}、"
                                   f"多余 {len(after.extra)}），请运行 flask search reindex。")
    click.echo(f"已修复：更新 {upserted} 个文档，删除 {deleted} 个文档。")
