"""``flask jobs run``: the worker of work that does not fit in a request (a confirmed ledger import).

Run one per deployment (or several: they share out the jobs through the database), as a service:
``flask jobs run`` loops; ``flask jobs run --once`` runs what is queued and exits (cron). Without a
worker, every ``flask sweep`` runs the queued jobs too, so a deployment without one still finishes them.
"""

from __future__ import annotations

import time

import click
from flask import current_app

from supervision.extensions import db


@click.group("jobs")
def jobs_group() -> None:
    """后台任务（历史台账导入）。"""


def policy():
    from supervision.ledger_import.jobs import JobPolicy

    return JobPolicy.from_config(current_app.config, current_app.instance_path)


@jobs_group.command("run")
@click.option("--once", is_flag=True, help="运行完当前排队的任务后退出（供 cron 使用）。")
@click.option("--interval", type=float, default=2.0, show_default=True, help="无任务时每隔几秒查看一次。")
def jobs_run_command(once: bool, interval: float) -> None:
    """Run queued ledger imports (and those a killed worker left): in a loop, or --once."""
    from supervision.ledger_import.jobs import run_queued, worker_name

    worker = worker_name()
    while True:
        done = run_queued(db.session, policy(), worker=worker)
        db.session.remove()  # a fresh session (and connection) for the next round
        if done:
            click.echo(f"已运行导入任务 {done} 个。")
        if once:
            return
        time.sleep(max(interval, 0.1))
