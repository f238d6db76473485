"""The ``watcher`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 see the command (a check with failures, files that
differ), 2 usage or input error, 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM). Errors are one line on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .. import __version__
from ..config import Config, Source, load
from ..errors import InputError, NotFoundError, WatcherError

if TYPE_CHECKING:
    from ..pipeline import ChangeRecord
    from ..store import Store, Version

log = logging.getLogger(__name__)


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
        from ..store import Store

        return Store.open(self.data_dir, create=create)

    def pipeline(self, store: Any, config: Config | None = None, alerts: bool = True) -> Any:
        """A pipeline over ``store`` that queues alerts with every change (in its
        transaction), then writes its report and refreshes the Atom feeds."""
        from ..notify import Outbox
        from ..pipeline import Pipeline

        config = config or self.config()
        pipeline = Pipeline(store, config.settings)
        if alerts:
            pipeline.on_change.append(Outbox(store, config, self.reports_dir).on_change)
        pipeline.after_change.append(lambda record: self._write_report(store, record, config))
        pipeline.after_change.append(lambda record: self._refresh_feeds(store, record, config))
        return pipeline

    def _refresh_feeds(self, store: Store, record: ChangeRecord, config: Config) -> None:
        # Imported with the first change: a check that finds none starts faster.
        from ..feed import feed_hook

        feed_hook(store, self.reports_dir, config)(record)

    def _write_report(self, store: Store, record: ChangeRecord, config: Config) -> None:
        from ..publish import write_change_report, write_failure

        change_id = record.change_id
        try:
            write_change_report(store, change_id, self.reports_dir, config, record.changes)
        except OSError as exc:  # the change is recorded; its report can be written later
            log.warning(
                "change %d: report not written: %s (run 'watcher report %d')",
                change_id,
                write_failure(exc),
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
    return [config.source(i) for i in dict.fromkeys(ids)]  # each once, as named first


#: The largest integer SQLite stores: no id or count of rows is larger.
SQLITE_MAX = 2**63 - 1


class Whole(click.ParamType[int, Any]):
    """A whole number from ``low`` to :data:`SQLITE_MAX`: an id or a count of rows.

    Anything else is refused with one line naming the argument (an
    :class:`InputError`), where a larger number would reach SQLite and fail there.
    """

    name = "integer"

    def __init__(self, low: int = 1) -> None:
        self.low = low

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """``value`` as an ``int``, or :class:`InputError`."""
        what = _param_name(param)
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise InputError(f"{what}: '{text}' is not a whole number")
        number = _stored_int(text)
        if number is None or number < self.low:
            raise InputError(f"{what}: {text} is out of range ({self.low} to {SQLITE_MAX})")
        return number


class OutputFile(click.ParamType[Path, Any]):
    """A file to write. A folder, existing or named with a trailing slash, is
    refused with one line (an :class:`InputError`) rather than written as a file."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """``value`` as a :class:`Path`, or :class:`InputError`."""
        if isinstance(value, Path):
            return value
        if names_folder(str(value)):
            raise InputError(f"{_param_name(param)}: {value} is a folder; give a file name")
        return Path(value)


def names_folder(text: str) -> bool:
    """Whether a path the user wrote means a folder: one that exists, or ends with a slash."""
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def _stored_int(digits: str) -> int | None:
    """The whole number ``digits`` spell (a sign allowed) when SQLite can store it."""
    # int() refuses more than 4,300 digits: such a number is out of range anyway.
    if len(digits.lstrip("+-0")) > 19:
        return None
    number = int(digits)
    return number if abs(number) <= SQLITE_MAX else None


def _param_name(param: click.Parameter | None) -> str:
    """How the user wrote a parameter: ``--limit``, ``CHANGE``."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name if param is not None else "value"


def resolve_version(store: Store, source_id: str, ref: str) -> Version:
    """A version by id (``12``) or by date (``2025-01-31`` or an ISO timestamp: the
    version in force then)."""
    if re.fullmatch(r"[0-9]+", ref):
        number = _stored_int(ref)
        if number is None:  # no such row: SQLite could not even be asked
            raise NotFoundError(f"source '{source_id}' has no version {ref}")
        return store.version(source_id, number)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", ref, re.ASCII):
        from datetime import date

        try:
            date.fromisoformat(ref)
        except ValueError:
            raise _not_a_version(ref) from None
        return store.version_at(source_id, ref + "T23:59:59+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+(Z|[+-]\d{2}:?\d{2})?", ref, re.ASCII):
        from datetime import datetime

        from ..store import iso

        try:
            moment = iso(datetime.fromisoformat(ref.replace("Z", "+00:00")))
        except (ValueError, OverflowError):  # 99:00, or before year 1 in UTC
            raise _not_a_version(ref) from None
        return store.version_at(source_id, moment)
    raise _not_a_version(ref)


def _not_a_version(ref: str) -> InputError:
    """The error for a version reference that is neither an id nor a date."""
    return InputError(f"'{ref}' is neither a version id nor a date (YYYY-MM-DD)")


def need_source_in_store(app: App, store: Any, source_id: str) -> None:
    """Fail clearly when the store knows nothing of ``source_id``: a source that
    ``sources.yaml`` lists but no check has reached yet is told apart from a typo."""
    if store.source_row(source_id) is not None:
        return
    try:
        configured = any(source.id == source_id for source in app.config().sources)
    except WatcherError:  # a broken or missing sources.yaml: the store is all we know
        configured = False
    if configured:
        raise NotFoundError(
            f"source '{source_id}' has not been checked yet (run 'watcher check {source_id}')"
        )
    raise NotFoundError(f"no source '{source_id}' in the store {store.data_dir}")


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def write_output(text: str, output: Path | None) -> None:
    """Print ``text``, or write it atomically to ``output``."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from ..publish import write_atomic

    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)


# ---------------------------------------------------------------- entry point


def _click_message(exc: click.ClickException) -> str:
    """Click's error on one line, with where to read more for a usage error."""
    message = exc.format_message().strip().rstrip(".").replace("\n", " ")
    ctx = exc.ctx if isinstance(exc, click.UsageError) else None
    return f"{message} (see '{ctx.command_path} --help')" if ctx is not None else message


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit."""
    click.echo(f"watcher: error: {message}", err=True)
    sys.exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, a service manager stopping a job), raised where the
    process is, so that it ends as at Ctrl-C: the capture being recorded rolls back,
    temporary files are removed and worker processes stopped."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated


def run_async(work: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run(work)``, where SIGTERM cancels ``work`` as Ctrl-C does (fetches stop,
    then the client closes, in order) and then raises :class:`Terminated`: raised in
    the middle of the event loop, it would leave tasks fetching with a closed client."""
    import asyncio  # here, so that other commands start faster

    main_task: asyncio.Task[None] | None = None
    terminated = False

    async def tracked() -> None:
        nonlocal main_task
        main_task = asyncio.current_task()
        await work

    def on_sigterm(signum: int, frame: object) -> None:
        nonlocal terminated
        if main_task is None or main_task.done():
            _terminate(signum, frame)  # not running yet, or winding up: stop where it is
        terminated = True
        main_task.cancel()
        main_task.get_loop().call_soon_threadsafe(lambda: None)  # wake the loop up

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        asyncio.run(tracked())
    except asyncio.CancelledError:
        if terminated:
            raise Terminated from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; turn watcher errors into one-line messages and exit codes."""
    if threading.current_thread() is threading.main_thread():
        # ``watcher run`` replaces this with its own handler while the daemon runs.
        signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="watcher",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        fail(_click_message(exc), exc.exit_code)
    except click.Abort as exc:  # click's word for a KeyboardInterrupt, or a prompt left
        if isinstance(exc.__cause__, Terminated):
            fail("terminated", 143)
        fail("interrupted" if isinstance(exc.__cause__, KeyboardInterrupt) else "aborted", 130)
    except WatcherError as exc:
        fail(str(exc).replace("\n", " "), exc.exit_code)
    except Terminated:
        fail("terminated", 143)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a file or folder that cannot be written: say which
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}".replace("\n", " "))


# The commands register themselves on ``cli`` when their modules are imported.
from . import diffs, service, tracking  # noqa: E402, F401
