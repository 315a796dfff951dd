"""`flask search reindex | check [--fix]`: rebuild the index from the database, or find and repair drift."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from supervision.search import service

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


@search_group.command("reindex")
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
    except Exception as error:
        raise click.ClickException(f"重建失败：{error}") from error
    finally:
        if "bar" in bar_state:
            bar_state["bar"].__exit__(None, None, None)
    click.echo(f"已重建：{stats.docs} 个文档，用时 {stats.seconds:.1f} 秒（{stats.segments} 个分段）。")


@search_group.command("check")
@click.option("--fix", is_flag=True, help="补录缺失和过期的文档，删除多余的文档。")
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
    service.retry_failed()  # the recorded failed writes are in the repair: their records go
    after = service.check()
    if not after.ok:
        raise click.ClickException(f"修复后仍不一致（缺失 {len(after.missing)}、过期 {len(after.stale)}、"
                                   f"多余 {len(after.extra)}），请运行 flask search reindex。")
    click.echo(f"已修复：更新 {upserted} 个文档，删除 {deleted} 个文档。")
