"""Commands that diff and report: compare, diff, report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..errors import NotFoundError
from . import (
    App,
    OutputFile,
    Whole,
    cli,
    need_source_in_store,
    pass_app,
    resolve_version,
    write_output,
)
from .tracking import _outline_of_file

if TYPE_CHECKING:
    from ..publish import Format
    from ..store import Version

log = logging.getLogger(__name__)

FORMATS = ("text", "markdown", "html", "json")


# ---------------------------------------------------------------- compare / diff / report


def _format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Output format.",
    )(f)
    return click.option(
        "--output",
        "-o",
        type=OutputFile(),
        help="Write to this file instead of stdout.",
    )(f)


@cli.command()
@click.argument("old_file", type=click.Path(path_type=Path))
@click.argument("new_file", type=click.Path(path_type=Path))
@_format_option
@pass_app
def compare(app: App, old_file: Path, new_file: Path, fmt: str, output: Path | None) -> None:
    """Diff two local files section by section (exit 0 same, 1 different, 2 error)."""
    from ..diff import diff
    from ..report import ReportMeta, render

    old, new = _outline_of_file(old_file), _outline_of_file(new_file)
    changes = diff(old, new, _keywords(app))
    meta = ReportMeta(
        source_id="",
        source_name=new.title or new_file.name,
        url="",
        old_label=str(old_file),
        new_label=str(new_file),
    )
    text = render(changes, cast("Format", fmt), meta, color=app.color and output is None)
    write_output(text, output)
    sys.exit(1 if changes.changed else 0)


def _keywords(app: App) -> tuple[str, ...]:
    from ..config import DEFAULT_KEYWORDS

    if app.config_path.exists():
        return app.config().settings.keywords
    return DEFAULT_KEYWORDS


@cli.command("diff")
@click.argument("source")
@click.argument("old", required=False)
@click.argument("new", required=False)
@_format_option
@pass_app
def diff_cmd(
    app: App, source: str, old: str | None, new: str | None, fmt: str, output: Path | None
) -> None:
    """Diff two stored versions of SOURCE (ids or dates; default: the last two)."""
    from ..publish import diff_versions

    store = app.store(create=False)
    try:
        need_source_in_store(app, store, source)
        new_v: Version | None
        if old is None:
            recent = store.versions(source, 2)
            if len(recent) < 2:
                raise NotFoundError(f"source '{source}' has fewer than two versions")
            old_v = store.version(source, recent[1]["id"])
            new_v = store.version(source, recent[0]["id"])
        else:
            old_v = resolve_version(store, source, old)
            latest = store.latest_version(source)
            new_v = resolve_version(store, source, new) if new else latest
        if new_v is None:
            raise NotFoundError(f"source '{source}' has no versions yet")
        text = diff_versions(
            store,
            source,
            old_v,
            new_v,
            cast("Format", fmt),
            _keywords(app),
            color=app.color and output is None,
        )
    finally:
        store.close()
    write_output(text, output)


@cli.command()
@click.argument("change", type=Whole())
@pass_app
def report(app: App, change: int) -> None:
    """Write the HTML report of recorded change CHANGE under the reports directory."""
    from ..publish import write_change_report

    store = app.store(create=False)
    try:
        path = write_change_report(store, change, app.reports_dir, app.config())
    finally:
        store.close()
    click.echo(str(path))
