"""`flask paperwork samples DIR`: one sample .docx of every document kind, for clerks to check the
layout in WPS or Word and for reviewers — built from the sample data, never from case data."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from supervision.paperwork.builders import BUILDERS, DOCUMENT_TITLES


@click.group("paperwork", cls=AppGroup)
def paperwork_group() -> None:
    """Official documents (公文)."""


def write_samples(folder: Path, profile) -> list[Path]:
    """``<kind>.docx`` for every kind the system produces, in ``folder``; a kind without sample data is
    a programming error (every builder has its sample, see tests)."""
    from supervision.demo.paperwork import SAMPLES  # sample data: loaded only when the command runs

    missing = sorted(set(BUILDERS) - set(SAMPLES))
    if missing:
        raise click.ClickException(f"以下文书没有示例数据：{', '.join(missing)}。")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, build in BUILDERS.items():
        path = folder / f"{kind}.docx"
        path.write_bytes(build(SAMPLES[kind](), profile))
        written.append(path)
    return written


@paperwork_group.command("samples")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def samples_command(folder: Path) -> None:
    """Write one sample .docx per document kind into FOLDER (created if need be), named by kind."""
    from supervision.documents.services import office_profile

    for path in write_samples(folder, office_profile(current_app.config)):
        click.echo(f"{path}\t{DOCUMENT_TITLES[path.stem]}")
