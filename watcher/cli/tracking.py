"""Commands that track sources: init, check, list, status, history, show, sections, import."""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Sequence
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import Config, Source, source_id_for, source_id_or_error
from ..errors import ConfigError, InputError, NotFoundError, WatcherError
from ..model import Outline
from . import (
    App,
    Whole,
    cli,
    emit_json,
    need_source_in_store,
    pass_app,
    pick_sources,
    progress,
    resolve_version,
    run_async,
    shorten,
    table,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

IMPORTABLE = (".html", ".htm", ".xhtml", ".txt", ".md", ".markdown", ".pdf")


# ---------------------------------------------------------------- init


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing sources file.")
@pass_app
def init(app: App, force: bool) -> None:
    """Write a starter sources.yaml and create the data and report directories."""
    from ..config import STARTER
    from ..publish import write_atomic

    if app.config_path.exists() and not force:
        raise InputError(f"{app.config_path}: already exists (use --force to overwrite)")
    # The folders first: when one cannot be made, no sources file says all is set up.
    app.data_dir.mkdir(parents=True, exist_ok=True)
    app.reports_dir.mkdir(parents=True, exist_ok=True)
    app.store().close()
    write_atomic(app.config_path, STARTER)
    click.echo(f"wrote {app.config_path}; data in {app.data_dir}/, reports in {app.reports_dir}/")


# ---------------------------------------------------------------- check


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@pass_app
def check(app: App, sources: tuple[str, ...], as_json: bool) -> None:
    """Fetch sources now (all enabled ones by default) and record new versions.

    Exit code 1 when a source failed or its capture was rejected.
    """
    from ..batch import check as run_check
    from ..fetch import make_client

    config = app.config()
    chosen = pick_sources(config, sources)
    store = app.store()
    pipeline = app.pipeline(store)
    outcomes = []

    def waiting(changes: int, seconds: float) -> None:
        if not as_json and sys.stderr.isatty():
            click.echo(
                f"\n{changes} source(s) changed: fetching again in {seconds:.0f}s to confirm",
                err=True,
            )

    async def go() -> None:
        async with make_client(config.settings.fetch) as client:
            with progress(len(chosen), "checking", not as_json) as step:
                results = run_check(pipeline, chosen, client, on_wait=waiting)
                async with aclosing(results):
                    async for outcome in results:
                        outcomes.append(outcome)
                        step()
                        if as_json:
                            emit_json(outcome.to_json())

    try:
        run_async(go())
        _alert(app, store, config, outcomes)
    finally:
        store.close()
    if not as_json:
        _print_outcomes(outcomes)
    if any(o.status in ("failed", "rejected") for o in outcomes):
        sys.exit(1)


def _alert(app: App, store: Any, config: Config, outcomes: Sequence[Any]) -> None:
    """Track failure incidents, then send the alerts that are due (when SMTP is set up)."""
    from ..notify import Outbox

    outbox = Outbox(store, config, app.reports_dir)
    for outcome in outcomes:
        outbox.track(outcome)
    if config.settings.smtp is None:
        return
    undelivered = outbox.deliver().undelivered()
    if undelivered:
        click.echo(f"watcher: warning: alerts: {undelivered}", err=True)


def _print_outcomes(outcomes: Sequence[Any]) -> None:
    rows = [
        (o.source_id, o.status, o.version_id, o.headline or o.reason or "")
        for o in sorted(outcomes, key=lambda o: o.source_id)
    ]
    table(rows, ("source", "status", "version", "detail"))


# ---------------------------------------------------------------- list / status


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_app
def list_sources(app: App, as_json: bool) -> None:
    """The configured sources, with their last check and last change."""
    from ..status import source_states

    config = app.config()
    store = app.store()
    try:
        states = source_states(store, config)
    finally:
        store.close()
    if as_json:
        emit_json(states)
        return
    table(
        [
            (
                s["id"],
                shorten(s["name"], 40),
                s["interval"],
                "yes" if s["enabled"] else "no",
                s["last_check"],
                s["last_change"],
            )
            for s in states
        ],
        ("id", "name", "every", "enabled", "last check", "last change"),
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Per source: last check and outcome, versions, last change, last error, next check;
    then the daemon, the outbox (emails not sent) and open failure incidents."""
    from ..status import service_state, source_states

    config = _config_for_status(app)
    store = app.store()
    try:
        states = source_states(store, config)
        service = service_state(store, app.data_dir)
    finally:
        store.close()
    next_runs = service["daemon"]["next_runs"]
    for state in states:
        state["next_check"] = next_runs.get(state["id"])
    if as_json:
        emit_json({"sources": states, **service})
        return
    table(
        [
            (
                s["id"],
                s["last_check"],
                s["last_outcome"],
                s["versions"],
                s["last_change"],
                s["next_check"],
                (s["last_error"] or "")[:50],
            )
            for s in states
        ],
        ("source", "last check", "outcome", "versions", "last change", "next check", "last error"),
    )
    _print_service(service)


def _config_for_status(app: App) -> Config:
    """The sources file; when it is invalid, the one-line error also says whether a
    running daemon carries on with the file it read before."""
    from ..daemonstate import read_state

    try:
        return app.config()
    except ConfigError as error:
        daemon = read_state(app.data_dir)
        if not daemon["running"]:
            raise
        raise ConfigError(
            f"{error} (the daemon, pid {daemon['pid']}, runs on with the file as it was)"
        ) from error


def _print_service(service: dict[str, Any]) -> None:
    daemon = service["daemon"]
    line = f"daemon: {daemon['summary']}"
    if daemon["running"]:
        line += f" (pid {daemon['pid']}, since {daemon['started_at']})"
        if daemon["next_digest"]:
            line += f"; next digest {daemon['next_digest']}"
    click.echo("\n" + line)
    if daemon.get("config_error"):
        click.echo(f"  sources file not reloaded: {daemon['config_error']}")
    counts = service["outbox"]["counts"]
    if counts:
        click.echo("outbox: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    for row in service["outbox"]["attention"]:
        retry = f", next try {row['next_attempt_at']}" if row["state"] == "pending" else ""
        click.echo(
            f"  #{row['id']} {row['state']} to {row['recipient']} ({row['kind']}, "
            f"{row['attempts']} attempts{retry}): {row['last_error'] or ''}"
        )
    for incident in service["incidents"]:
        click.echo(
            f"incident: {incident['source_id']} {incident['kind']} since {incident['opened_at']} "
            f"({incident['checks']} checks): {incident['reason']}"
        )


# ---------------------------------------------------------------- history / show


@cli.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--limit", type=Whole(), help="At most this many versions.")
@pass_app
def history(app: App, source: str, as_json: bool, limit: int | None) -> None:
    """The versions of SOURCE, newest first."""
    store = app.store(create=False)
    try:
        need_source_in_store(app, store, source)
        rows = store.versions(source, limit)
    finally:
        store.close()
    if as_json:
        emit_json(
            [
                {
                    "id": r["id"],
                    "captured_at": r["captured_at"],
                    "content_sha256": r["content_sha256"],
                    "words": r["words"],
                    "title": r["title"],
                }
                for r in rows
            ]
        )
        return
    table(
        [
            (r["id"], r["captured_at"], r["content_sha256"][:12], r["words"], r["title"][:50])
            for r in rows
        ],
        ("id", "captured at", "hash", "words", "title"),
    )


@cli.command()
@click.argument("source")
@click.argument("version", required=False)
@pass_app
def show(app: App, source: str, version: str | None) -> None:
    """The canonical text of a version of SOURCE (the latest by default).

    VERSION is a version id or a date (the version in force then).
    """
    store = app.store(create=False)
    try:
        need_source_in_store(app, store, source)
        found = resolve_version(store, source, version) if version else store.latest_version(source)
        if found is None:
            raise NotFoundError(f"source '{source}' has no versions yet")
    finally:
        store.close()
    click.echo(found.text, nl=False)


# ---------------------------------------------------------------- sections


def _outline_of_file(path: Path) -> Outline:
    from ..batch import check_file
    from ..normalise import parse
    from ..sections import outline

    body = check_file(path, 50 * 1024 * 1024, whole=True)
    return outline(parse(body, filename=path.name, name=str(path)))


def _outline_of(app: App, target: str) -> Outline:
    path = Path(target)
    if path.exists() or "/" in target or "." in target:
        return _outline_of_file(path)
    store = app.store(create=False)
    try:
        need_source_in_store(app, store, target)
        latest = store.latest_version(target)
    finally:
        store.close()
    if latest is None:
        raise NotFoundError(f"source '{target}' has no versions yet")
    return latest.outline


@cli.command()
@click.argument("target", metavar="FILE_OR_SOURCE")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_app
def sections(app: App, target: str, as_json: bool) -> None:
    """The outline of a file, or of a source's latest version."""
    found = _outline_of(app, target)
    heads = [s for s in found.sections if s.level > 0]
    if as_json:
        emit_json(
            {
                "title": found.title,
                "sections": [
                    {"level": s.level, "number": s.number, "title": s.title, "words": s.words}
                    for s in heads
                ],
            }
        )
        return
    click.echo(found.title)
    for s in heads:
        number = f"{s.number} " if s.number else ""
        click.echo(f"{'  ' * s.level}{number}{s.title}  ({s.words} words)")


# ---------------------------------------------------------------- import


def _expand(paths: Sequence[Path]) -> list[Path]:
    """The files to import: those named, and the importable files of folders named.

    A file named with another extension is refused; a folder's are skipped.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and _importable(p)))
        elif path.exists() and not _importable(path):
            kind = f"a {path.suffix} file" if path.suffix else "a file without an extension"
            raise InputError(f"{path}: cannot import {kind} (accepted: {', '.join(IMPORTABLE)})")
        else:
            out.append(path)
    return out


def _importable(path: Path) -> bool:
    """Whether ``path``'s extension is one of a capture."""
    return path.suffix.lower() in IMPORTABLE


def _import_source(app: App, source_id: str, name: str | None) -> Source:
    try:
        config = app.config()
    except WatcherError:
        if app.config_path.exists():
            raise
        config = None
    if config is not None and any(s.id == source_id for s in config.sources):
        return config.source(source_id)
    sid = source_id_or_error(source_id, lambda m: InputError(m))
    return Source(id=sid, name=name or sid, url=f"archive:{sid}", enabled=False, archive_only=True)


def _folder_source_id(folder: Path, taken: dict[str, Path]) -> str:
    """The source id a folder's name gives; two folders giving the same one are refused."""
    sid = source_id_for(folder.resolve().name)
    if sid in taken:
        raise InputError(
            f"{folder}: its source id '{sid}' is also {taken[sid]}'s; rename one of the folders"
        )
    taken[sid] = folder
    return sid


def _nothing_to_import(folders: Sequence[Path]) -> InputError:
    """The error of an import given only folders without captures, or nothing."""
    if not folders:
        return InputError("no files to import: name files or folders after the source")
    named = ", ".join(str(folder) for folder in folders)
    return InputError(f"no files to import in {named} (accepted: {', '.join(IMPORTABLE)})")


def _import_plan(
    app: App, source: str, files: tuple[Path, ...], name: str | None, each: bool
) -> list[tuple[Source, list[Path]]]:
    """Which files go to which source."""
    if not each:
        paths = _expand(files)
        if not paths:
            raise _nothing_to_import(files)
        return [(_import_source(app, source, name), paths)]
    plan = []
    taken: dict[str, Path] = {}
    for folder in (Path(source), *files):
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder (with --each, every argument is one)")
        sid = _folder_source_id(folder, taken)
        paths = _expand([folder])
        if not paths:  # refused, not skipped: a typo in a glob should not pass unseen
            raise _nothing_to_import([folder])
        plan.append((_import_source(app, sid, folder.resolve().name), paths))
    return plan


@cli.command("import")
@click.argument("source")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--name", help="Display name for a new archive-only source.")
@click.option(
    "--each",
    is_flag=True,
    help="Every argument is a folder holding one source's captures; each source "
    "is named after its folder.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per file.")
@pass_app
def import_(
    app: App, source: str, files: tuple[Path, ...], name: str | None, each: bool, as_json: bool
) -> None:
    """Backfill SOURCE's history from archived captures (files or folders), oldest first.

    A file's capture time is the first YYYYMMDD[T]hhmmss timestamp in its name
    (20250131T083000 or 20250131083000, UTC), else its modification time.
    SOURCE may be a configured id or a new id (recorded as an archive-only
    source). With --each, every argument is a
    folder of one document's captures: `watcher import --each archive/*/`.
    """
    from ..batch import MIN_PARALLEL, prepare_import, record_import, start_workers, worker_count
    from ..pipeline import Pipeline
    from ..store import Store

    plan = _import_plan(app, source, files, name, each)
    configured = app.config_path.exists()
    total = sum(len(paths) for _, paths in plan)
    workers = worker_count() if total >= MIN_PARALLEL else 0
    pool = start_workers(workers) if workers else None
    existing = (app.data_dir / "watcher.db").exists()
    store = app.store(create=False) if existing else Store.open_memory()
    counts: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="watcher-import-") as spool:
            reader = app.pipeline(store, alerts=False) if configured else Pipeline(store)
            # Every file of every source is read and normalised before anything is written.
            prepared = [
                prepare_import(reader, chosen, paths, Path(spool), pool) for chosen, paths in plan
            ]
            if not existing:
                store.close()
                store = app.store()
            pipeline = app.pipeline(store, alerts=False) if configured else Pipeline(store)
            with progress(total, "importing", not as_json) as step:
                for batch in prepared:
                    for outcome in record_import(pipeline, batch):
                        counts[outcome.status] = counts.get(outcome.status, 0) + 1
                        step()
                        _print_import(outcome, as_json)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        store.close()
    if not as_json:
        click.echo(", ".join(f"{n} {k}" for k, n in counts.items()), err=True)


def _print_import(outcome: Any, as_json: bool) -> None:
    if as_json:
        data = outcome.to_json()
        emit_json({k: data[k] for k in ("file", "captured_at", "status", "version", "reason")})
        return
    version = f"v{outcome.version_id}" if outcome.version_id else "-"
    detail = outcome.headline or outcome.reason or ""
    click.echo(
        f"{outcome.captured_at}  {outcome.status:<9}  {version:<6}  "
        f"{Path(outcome.file or '').name}  {detail}".rstrip()
    )
