"""``flask clues ...``: the one-off move of today's unit-addressed 函询 into the clue register."""

from __future__ import annotations

import click

from supervision.extensions import db


@click.group("clues")
def clues_group() -> None:
    """问题线索。"""


@clues_group.command("migrate-inquiries")
def migrate_inquiries_command() -> None:
    """Turn each unit-addressed 函询 (a talk of kind inquiry) into a clue with a 函询 to the person it
    names; those naming no person are listed at /clues/inquiries/incomplete. Safe to run again."""
    from supervision.clues.services import migrate_unit_inquiries

    migrated, incomplete = migrate_unit_inquiries(db.session)
    db.session.commit()
    click.echo(f"迁移原单位函询 {migrated} 件" + (f"，其中 {incomplete} 件未写明被函询人，待补全" if incomplete else "") + "。")
