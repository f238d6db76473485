"""Commands of the background service: run, digest, outbox, prune, and the demo."""

from __future__ import annotations

import logging
import secrets
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import InputError
from . import (
    App,
    Whole,
    cli,
    emit_json,
    names_folder,
    pass_app,
    table,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


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

    from ..schedule import Daemon, log_path, setup_logging

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
    type=click.Path(path_type=str),
    help="Write here instead of reports/digest-YYYY-Www.html (a folder: that name in it).",
)
@click.option("--send", is_flag=True, help="Email it to settings.digest.recipients.")
@pass_app
def digest(app: App, since: str, until: str | None, output: str | None, send: bool) -> None:
    """Write the HTML digest of a period (default: the last 7 days), optionally email it."""
    from ..digest import digest_path, parse_period, queue_digest, write_digest
    from ..errors import NotifyError
    from ..notify import Outbox
    from ..notify.outbox import NEXT_STEP
    from ..store import iso

    config = app.config()
    settings = config.settings
    if send and settings.smtp is None:
        raise NotifyError(f"{config.path}: settings.smtp is not configured; cannot --send")
    if send and not settings.digest.recipients:
        raise NotifyError(f"{config.path}: settings.digest.recipients is empty; cannot --send")
    period = parse_period(since, until, settings.timezone)
    target = Path(output) if output else None
    if output and names_folder(output):
        target = Path(output) / digest_path(app.reports_dir, period).name
    store = app.store()
    try:
        made, path = write_digest(store, config, period, app.reports_dir, target)
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
        unsent = next(r for r in rows if r["state"] != "sent")
        click.echo(
            f"watcher: warning: digest not sent to {len(rows) - sent} of {len(rows)} "
            f"recipient(s): {unsent['last_error'] or unsent['state']} "
            f"({NEXT_STEP.get(unsent['state'], NEXT_STEP['pending'])})",
            err=True,
        )
        sys.exit(1)
    else:
        click.echo(f"digest sent to {sent} recipient(s)", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option(
    "--retry",
    "retry_ids",
    type=Whole(),
    multiple=True,
    help="Queue failed or uncertain email ID again (repeatable).",
)
@click.option("--limit", type=Whole(), default=50, show_default=True)
@pass_app
def outbox(app: App, as_json: bool, retry_ids: tuple[int, ...], limit: int) -> None:
    """Emails queued, sent, failed or of uncertain delivery, newest first."""
    from ..notify import Outbox, outbox_rows

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


@cli.command()
@click.option(
    "--older-than",
    "days",
    type=Whole(),
    required=True,
    metavar="DAYS",
    help="Delete records of checks started more than DAYS days ago.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@pass_app
def prune(app: App, days: int, dry_run: bool, as_json: bool) -> None:
    """Delete old records of routine checks (every check leaves one).

    Versions, raw captures, changes and emails are never deleted, nor the checks
    that made versions, imported captures, or each source's latest checks.
    """
    from ..retention import prune_checks

    before = _days_ago(days)
    store = app.store(create=False)
    try:
        pruned = prune_checks(store, before, dry_run)
    finally:
        store.close()
    if as_json:
        emit_json(
            {"before": pruned.before, "deleted": pruned.records, "kept": pruned.kept,
             "dry_run": pruned.dry_run}
        )  # fmt: skip
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {pruned.records} check record(s) from before {pruned.before}; {pruned.kept} kept"
    )


def _days_ago(days: int) -> datetime:
    """The moment ``days`` days ago; :class:`InputError` when that is before year 1."""
    from ..store import utcnow

    try:
        return utcnow() - timedelta(days=days)
    except OverflowError:
        raise InputError(f"--older-than: {days} days ago is before the year 1") from None


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
    from ..demo import run_demo

    run_demo(directory, echo=click.echo)
