"""The ``watcher`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 see the command (a check with failures, files that
differ), 2 usage or input error. Errors are one line on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from . import __version__
from .config import Config, Source, load, source_id_or_error
from .errors import InputError, NotFoundError, WatcherError
from .model import Outline
from .normalise import parse
from .sections import outline

if TYPE_CHECKING:
    from .publish import Format
    from .store import Store, Version

log = logging.getLogger(__name__)

FORMATS = ("text", "markdown", "html", "json")
IMPORTABLE = (".html", ".htm", ".xhtml", ".txt", ".md", ".markdown")


@dataclass
class App:
    """What every command needs: where things are, and how to print."""

    config_path: Path
    data_dir: Path
    reports_dir: Path
    color: bool
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The loaded ``sources.yaml`` (loaded once)."""
        if self._config is None:
            self._config = load(self.config_path)
        return self._config

    def store(self, create: bool = True) -> Store:
        """The store in the data directory."""
        from .store import Store

        return Store.open(self.data_dir, create=create)

    def pipeline(self, store: Any, config: Config | None = None, alerts: bool = True) -> Any:
        """A pipeline over ``store`` that queues alerts with every change (in its
        transaction), then writes its report and refreshes the Atom feeds."""
        from .feed import feed_hook
        from .notify import Outbox
        from .pipeline import Pipeline

        config = config or self.config()
        pipeline = Pipeline(store, config.settings)
        if alerts:
            pipeline.on_change.append(Outbox(store, config, self.reports_dir).on_change)
        pipeline.after_change.append(lambda change_id: self._write_report(store, change_id, config))
        pipeline.after_change.append(feed_hook(store, self.reports_dir, config))
        return pipeline

    def _write_report(self, store: Any, change_id: int, config: Config) -> None:
        from .publish import write_change_report

        try:
            write_change_report(store, change_id, self.reports_dir, config)
        except OSError as exc:  # the change is recorded; its report can be written later
            log.warning(
                "change %d: cannot write its report under %s: %s (run 'watcher report %d')",
                change_id,
                self.reports_dir,
                exc.strerror or exc,
                change_id,
            )


pass_app = click.make_pass_decorator(App)


def _color_default() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watcher")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="WATCHER_CONFIG",
    default="sources.yaml",
    show_default=True,
    help="The sources file.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="WATCHER_DATA_DIR",
    default="snapshots",
    show_default=True,
    help="Where the database and raw captures live.",
)
@click.option(
    "--reports-dir",
    type=click.Path(path_type=Path),
    envvar="WATCHER_REPORTS_DIR",
    default="reports",
    show_default=True,
    help="Where reports are written.",
)
@click.option("--no-color", is_flag=True, help="Plain output even on a terminal.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv: debug).")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path,
    data_dir: Path,
    reports_dir: Path,
    no_color: bool,
    verbose: int,
) -> None:
    """Track published privacy policies and terms: fetch, snapshot, diff by section, alert."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = App(config_path, data_dir, reports_dir, color=_color_default() and not no_color)


# ---------------------------------------------------------------- helpers


def emit_json(data: Any) -> None:
    """Print one JSON document (or line)."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    """Print an aligned plain-text table."""
    cells = [[str(c) if c is not None else "-" for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)
    ]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@contextmanager
def progress(length: int, label: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for long runs on a terminal; a no-op otherwise."""
    if not enabled or length < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield lambda: bar.update(1)


def pick_sources(config: Config, ids: Sequence[str]) -> list[Source]:
    """The named sources (all enabled ones when none are named)."""
    if not ids:
        return list(config.enabled())
    return [config.source(i) for i in ids]


def resolve_version(store: Store, source_id: str, ref: str) -> Version:
    """A version by id (``12``) or by date (``2025-01-31`` or an ISO timestamp: the
    version in force then)."""
    if ref.isdigit():
        return store.version(source_id, int(ref))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", ref):
        return store.version_at(source_id, ref + "T23:59:59+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+(Z|[+-]\d{2}:?\d{2})?", ref):
        from datetime import datetime

        from .store import iso

        moment = datetime.fromisoformat(ref.replace("Z", "+00:00"))
        return store.version_at(source_id, iso(moment))
    raise InputError(f"'{ref}' is neither a version id nor a date (YYYY-MM-DD)")


def need_source_in_store(store: Any, source_id: str) -> None:
    """Fail clearly when the store knows nothing of ``source_id``."""
    if store.source_row(source_id) is None:
        raise NotFoundError(f"no source '{source_id}' in the store {store.data_dir}")


def write_output(text: str, output: Path | None) -> None:
    """Print ``text``, or write it atomically to ``output``."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from .publish import write_atomic

    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)


# ---------------------------------------------------------------- init


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing sources file.")
@pass_app
def init(app: App, force: bool) -> None:
    """Write a starter sources.yaml and create the data and report directories."""
    from .config import STARTER
    from .publish import write_atomic

    if app.config_path.exists() and not force:
        raise InputError(f"{app.config_path}: already exists (use --force to overwrite)")
    write_atomic(app.config_path, STARTER)
    app.data_dir.mkdir(parents=True, exist_ok=True)
    app.reports_dir.mkdir(parents=True, exist_ok=True)
    app.store().close()
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
    from .batch import check as run_check
    from .fetch import make_client

    config = app.config()
    chosen = pick_sources(config, sources)
    store = app.store()
    pipeline = app.pipeline(store)
    outcomes = []

    async def go() -> None:
        async with make_client(config.settings.fetch) as client:
            with progress(len(chosen), "checking", not as_json) as step:
                async for outcome in run_check(pipeline, chosen, client):
                    outcomes.append(outcome)
                    step()
                    if as_json:
                        emit_json(outcome.to_json())

    try:
        import asyncio  # here, so that other commands start faster

        asyncio.run(go())
        _alert(app, store, config, outcomes)
    finally:
        store.close()
    if not as_json:
        _print_outcomes(outcomes)
    if any(o.status in ("failed", "rejected") for o in outcomes):
        sys.exit(1)


def _alert(app: App, store: Any, config: Config, outcomes: Sequence[Any]) -> None:
    """Track failure incidents, then send the alerts that are due (when SMTP is set up)."""
    from .notify import Outbox

    outbox = Outbox(store, config, app.reports_dir)
    for outcome in outcomes:
        outbox.track(outcome)
    if config.settings.smtp is None:
        return
    report = outbox.deliver()
    if report.errors or report.retrying or report.failed or report.uncertain:
        reason = f": {report.errors[0]}" if report.errors else ""
        click.echo(
            f"watcher: warning: {report.retrying + report.failed + report.uncertain} alert(s) "
            f"not sent{reason} (see 'watcher status'; 'watcher run' retries them)",
            err=True,
        )


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
    from .status import source_states

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
                s["name"][:40],
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
    from .status import service_state, source_states

    config = app.config()
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
@click.option("--limit", type=click.IntRange(1), help="At most this many versions.")
@pass_app
def history(app: App, source: str, as_json: bool, limit: int | None) -> None:
    """The versions of SOURCE, newest first."""
    store = app.store(create=False)
    try:
        need_source_in_store(store, source)
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
        need_source_in_store(store, source)
        found = resolve_version(store, source, version) if version else store.latest_version(source)
        if found is None:
            raise NotFoundError(f"source '{source}' has no versions yet")
    finally:
        store.close()
    click.echo(found.text, nl=False)


# ---------------------------------------------------------------- sections


def _outline_of_file(path: Path) -> Outline:
    from .batch import check_file

    body = check_file(path, 50 * 1024 * 1024, whole=True)
    return outline(parse(body, filename=path.name, name=str(path)))


def _outline_of(app: App, target: str) -> Outline:
    path = Path(target)
    if path.exists() or "/" in target or "." in target:
        return _outline_of_file(path)
    store = app.store(create=False)
    try:
        need_source_in_store(store, target)
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
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMPORTABLE)
            )
        else:
            out.append(path)
    return out


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


def _folder_source_id(folder: Path) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", folder.resolve().name.lower()).strip("-")[:64]
    return source_id_or_error(slug or "archive", lambda m: InputError(f"{folder}: {m}"))


def _import_plan(
    app: App, source: str, files: tuple[Path, ...], name: str | None, each: bool
) -> list[tuple[Source, list[Path]]]:
    """Which files go to which source."""
    if not each:
        paths = _expand(files)
        if not paths:
            raise InputError("no files to import")
        return [(_import_source(app, source, name), paths)]
    plan = []
    for folder in (Path(source), *files):
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder (with --each, every argument is one)")
        chosen = _import_source(app, _folder_source_id(folder), folder.name)
        plan.append((chosen, _expand([folder])))
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

    A file's capture time is the first YYYYMMDDhhmmss timestamp in its name,
    else its modification time. SOURCE may be a configured id or a new id
    (recorded as an archive-only source). With --each, every argument is a
    folder of one document's captures: `watcher import --each archive/*/`.
    """
    from .batch import MIN_PARALLEL, prepare_import, record_import, start_workers, worker_count
    from .pipeline import Pipeline
    from .store import Store

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
        type=click.Path(path_type=Path),
        help="Write to this file instead of stdout.",
    )(f)


@cli.command()
@click.argument("old_file", type=click.Path(path_type=Path))
@click.argument("new_file", type=click.Path(path_type=Path))
@_format_option
@pass_app
def compare(app: App, old_file: Path, new_file: Path, fmt: str, output: Path | None) -> None:
    """Diff two local files section by section (exit 0 same, 1 different, 2 error)."""
    from .diff import diff
    from .report import ReportMeta, render

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
    from .config import DEFAULT_KEYWORDS

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
    from .publish import diff_versions

    store = app.store(create=False)
    try:
        need_source_in_store(store, source)
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
@click.argument("change", type=int)
@pass_app
def report(app: App, change: int) -> None:
    """Write the HTML report of recorded change CHANGE under the reports directory."""
    from .publish import write_change_report

    store = app.store(create=False)
    try:
        path = write_change_report(store, change, app.reports_dir, app.config())
    finally:
        store.close()
    click.echo(str(path))


# ---------------------------------------------------------------- run / digest / outbox


@cli.command()
@click.option(
    "--tick",
    type=click.FloatRange(0.1, 3600),
    default=5.0,
    show_default=True,
    help="Seconds between looks at the sources file (it is also re-read on SIGHUP).",
)
@click.option(
    "--grace",
    type=click.FloatRange(0, 3600),
    default=10.0,
    show_default=True,
    help="Seconds running checks get to finish at SIGINT/SIGTERM before they are abandoned.",
)
@click.pass_context
def run(ctx: click.Context, tick: float, grace: float) -> None:
    """Run the daemon: check each source at its interval, email alerts, weekly digest.

    Stops cleanly on SIGINT/SIGTERM; re-reads the sources file on SIGHUP or when it
    changes. One daemon per data directory. Logs one logfmt line per check to
    stderr (and settings.log_file).
    """
    import logging as logging_

    from .schedule import Daemon, log_path, setup_logging

    app: App = ctx.obj
    config = app.config()
    verbose = logging_.getLogger().level <= logging_.DEBUG
    setup_logging(log_path(config), logging_.DEBUG if verbose else logging_.INFO)
    daemon = Daemon(
        app.config_path,
        app.data_dir,
        app.reports_dir,
        lambda store, cfg: app.pipeline(store, cfg),
        tick=tick,
        grace=grace,
    )
    sys.exit(daemon.run())


@cli.command()
@click.option("--since", default="7d", show_default=True, help="A duration (7d) or a date.")
@click.option("--until", help="A date (the whole day counts) or a timestamp; default now.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write here instead of reports/digest-YYYY-Www.html.",
)
@click.option("--send", is_flag=True, help="Email it to settings.digest.recipients.")
@pass_app
def digest(app: App, since: str, until: str | None, output: Path | None, send: bool) -> None:
    """Write the HTML digest of a period (default: the last 7 days), optionally email it."""
    from .digest import parse_period, queue_digest, write_digest
    from .errors import NotifyError
    from .notify import Outbox
    from .store import iso

    config = app.config()
    settings = config.settings
    if send and settings.smtp is None:
        raise NotifyError(f"{config.path}: settings.smtp is not configured; cannot --send")
    if send and not settings.digest.recipients:
        raise NotifyError(f"{config.path}: settings.digest.recipients is empty; cannot --send")
    period = parse_period(since, until, settings.timezone)
    store = app.store()
    try:
        made, path = write_digest(store, config, period, app.reports_dir, output)
        click.echo(str(path))
        if not send:
            return
        key = f"manual:{iso(period.since)}/{iso(period.until)}:{secrets.token_hex(6)}"
        queue_digest(store, config, made, key, app.reports_dir)
        report = Outbox(store, config, app.reports_dir).deliver()
        rows = list(
            store.db.query(
                "SELECT state, last_error FROM outbox WHERE dedupe_key = ?", [f"digest:{key}"]
            )
        )
    finally:
        store.close()
    sent = sum(1 for r in rows if r["state"] == "sent")
    if report.busy:
        click.echo("digest queued; another watcher process is sending emails now", err=True)
    elif sent < len(rows):
        reason = next((r["last_error"] for r in rows if r["last_error"]), "see 'watcher status'")
        raise NotifyError(
            f"digest not sent to {len(rows) - sent} of {len(rows)} recipient(s): {reason} "
            "(queued; 'watcher run' retries it)"
        )
    else:
        click.echo(f"digest sent to {sent} recipient(s)", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option(
    "--retry",
    "retry_ids",
    type=int,
    multiple=True,
    help="Queue failed or uncertain email ID again (repeatable).",
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@pass_app
def outbox(app: App, as_json: bool, retry_ids: tuple[int, ...], limit: int) -> None:
    """Emails queued, sent, failed or of uncertain delivery, newest first."""
    from .notify import Outbox, outbox_rows

    store = app.store(create=False)
    try:
        if retry_ids:
            count = Outbox(store, app.config(), app.reports_dir).retry(retry_ids)
            click.echo(f"{count} email(s) queued again", err=True)
        rows = outbox_rows(store, limit=limit)
    finally:
        store.close()
    if as_json:
        emit_json(rows)
        return
    table(
        [
            (
                r["id"],
                r["kind"],
                r["state"],
                r["recipient"],
                r["attempts"],
                r["sent_at"] or r["next_attempt_at"],
                (r["last_error"] or r["subject"])[:60],
            )
            for r in rows
        ],
        ("id", "kind", "state", "to", "tries", "sent / next", "detail"),
    )


# ---------------------------------------------------------------- demo


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default="watcher-demo",
    show_default=True,
    help="Where the demo writes its sources, store and reports.",
)
def demo(directory: Path) -> None:
    """Serve sample policy pages on loopback and walk them through a few changes (offline)."""
    from .demo import run_demo

    run_demo(directory, echo=click.echo)


# ---------------------------------------------------------------- entry point


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit."""
    click.echo(f"watcher: error: {message}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; turn watcher errors into one-line messages and exit codes."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="watcher",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        fail("aborted", 130)
    except WatcherError as exc:
        fail(str(exc).replace("\n", " "), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a file or folder that cannot be written: say which
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}".replace("\n", " "))
