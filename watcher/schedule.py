"""The daemon, ``watcher run``: checks every source at its interval, sends alerts and digests.

* One APScheduler (3.x) job per enabled source, every ``interval`` with a
  jitter of 10% (at most 10 minutes); the first run after a start is due one
  interval after the source's last check (or within a minute, spread at
  random, when that is past), so a restart neither re-checks everything nor
  fires hundreds of sources at once. ``max_instances=1`` and ``coalesce``
  mean a slow source never piles up runs; ``misfire_grace_time=None`` runs a
  job once, late, after the machine slept.
* Fetches run on one asyncio loop in a thread (:mod:`watcher.daemonfetch`),
  under one shared :class:`~watcher.fetch.Limiter` (global and per-host limits
  hold across all jobs); a change is confirmed by a second fetch
  ``fetch.confirm_after`` later, waited for in the job; recording happens in
  the job's thread with its own store connection, through the same
  :class:`~watcher.pipeline.Pipeline` as ``watcher check``.
* An ``outbox`` job delivers queued emails every 15 seconds and right after
  a change; a ``digest`` job (``settings.digest.schedule``, in
  ``settings.timezone``) writes and queues the weekly digest, and a digest
  missed while the daemon was down is made at the next start; with
  ``settings.keep_checks``, a ``prune`` job deletes old check records at
  start and daily (:mod:`watcher.retention`).
* ``sources.yaml`` is re-read on SIGHUP and whenever it changed (checked every
  ``tick`` seconds); an invalid file is logged and the old one kept.
* SIGINT/SIGTERM: no new runs start, running checks get ``grace`` seconds to
  finish, then fetches still in flight are abandoned (nothing of theirs is
  written; the store is only written in whole transactions). A second signal
  abandons them at once.
* ``daemon.lock`` in the data directory (``flock``) keeps a second daemon off
  the store; ``daemon.json`` holds the state that ``watcher status`` shows.
* Logs are logfmt lines (``ts=... level=info event=check source=acme
  outcome=changed ...``), one per check, to stderr and ``settings.log_file``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .batch import record_confirmed
from .config import Config, Source, load
from .daemonfetch import Fetcher
from .daemonstate import STATE_NAME, DaemonLock, daemon_running, read_state
from .errors import StoreError, WatcherError
from .fetch import FetchResult
from .logs import LogfmtFormatter, log_path, setup_logging
from .notify import Outbox
from .pipeline import Outcome, Pipeline, sync_sources
from .publish import write_atomic
from .store import Store, iso, utcnow

__all__ = [
    "Daemon",
    "DaemonLock",
    "LogfmtFormatter",
    "daemon_running",
    "digest_trigger",
    "event",
    "last_fire_time",
    "log_path",
    "read_state",
    "setup_logging",
]

log = logging.getLogger(__name__)

OUTBOX_EVERY = 15.0
STARTUP_SPREAD = 60.0
JITTER_FRACTION = 0.1
MAX_JITTER = 600.0
SHUTDOWN_GRACE = 10.0
JOB_THREADS = 34
"""Jobs that may run at once. Not tied to ``fetch.concurrency``: the shared limiter
holds fetches to it, the pool cannot be resized when a reload raises it, and a job
waiting to confirm a change holds its thread meanwhile (threads start as needed)."""
DIGEST_CATCH_UP = timedelta(days=6)
"""A digest missed while the daemon was down is made at start if it was due this recently."""

PipelineFactory = Callable[[Store, Config], Pipeline]


# ---------------------------------------------------------------- structured logs


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event line."""
    log.log(level, name, extra={"fields": fields})


# ---------------------------------------------------------------- the digest schedule


def digest_trigger(schedule: str, timezone: str) -> CronTrigger:
    """The trigger of ``settings.digest.schedule``: ``"mon 08:00"`` or a 5-field cron line."""
    zone = ZoneInfo(timezone)
    parts = schedule.split()
    if len(parts) == 2:
        hour, minute = parts[1].split(":")
        return CronTrigger(
            day_of_week=parts[0].lower(), hour=int(hour), minute=int(minute), timezone=zone
        )
    return CronTrigger.from_crontab(schedule, timezone=zone)


def last_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` when ``trigger`` fired (looking back 35 days)."""
    for lookback in (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=35)):
        latest = None
        moment = trigger.get_next_fire_time(None, now - lookback)
        for _ in range(10_000):
            if moment is None or moment > now:
                break
            latest = moment
            moment = trigger.get_next_fire_time(moment, moment)
        if latest is not None:
            return latest.astimezone(UTC)  # type: ignore[no-any-return]
    return None


# ---------------------------------------------------------------- the daemon


class Daemon:
    """``watcher run``: the scheduler, its jobs, signals, reloads and the state file."""

    def __init__(
        self,
        config_path: Path,
        data_dir: Path,
        reports_dir: Path,
        make_pipeline: PipelineFactory,
        tick: float = 5.0,
        grace: float = SHUTDOWN_GRACE,
    ) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self.reports_dir = reports_dir
        self.make_pipeline = make_pipeline
        self.tick = tick
        self.grace = grace
        self.config = load(config_path)
        self.lock = DaemonLock(data_dir)
        self.fetcher: Fetcher | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.started_at = iso(utcnow())
        self._stamp = self._config_stamp()
        self._intervals: dict[str, float] = {}
        self._config_error: str | None = None
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._reload = threading.Event()
        self._wake = threading.Event()
        self._running = 0
        self._running_lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def run(self) -> int:
        """Run until SIGINT/SIGTERM; returns the exit code."""
        self.lock.acquire()
        previous = self._install_signals()
        try:
            self._start()
            while not self._stop.is_set():
                self._wake.wait(self.tick)
                self._wake.clear()
                if self._stop.is_set():
                    break
                self._maybe_reload(force=self._reload.is_set())
                self._write_state("running")
            self._shutdown()
            return 0
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.lock.release()

    def _install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        for signum, handler in (
            (signal.SIGTERM, self._on_stop),
            (signal.SIGINT, self._on_stop),
            (signal.SIGHUP, self._on_hup),
        ):
            previous[signum] = signal.signal(signum, handler)
        return previous

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            self._hurry.set()
        self._stop.set()
        self._wake.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload.set()
        self._wake.set()

    def _start(self) -> None:
        self.fetcher = Fetcher()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(JOB_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.scheduler.start()
        with self._store() as store:
            sync_sources(store, self.config.enabled())
            self._schedule_sources(store)
        self.scheduler.add_job(
            self._deliver, IntervalTrigger(seconds=OUTBOX_EVERY), id="outbox", name="outbox"
        )
        self._schedule_digest(catch_up=True)
        self._schedule_prune()
        self._write_state("running")
        event(
            "started",
            pid=os.getpid(),
            sources=len(self.config.enabled()),
            config=str(self.config_path),
            data_dir=str(self.data_dir),
        )
        self._kick("outbox")

    def _shutdown(self) -> None:
        assert self.scheduler is not None and self.fetcher is not None
        event("stopping", running=self._running)
        self._write_state("stopping")
        self.scheduler.pause()
        deadline = time.monotonic() + self.grace
        while self._running and time.monotonic() < deadline and not self._hurry.is_set():
            time.sleep(0.05)
        if self._running:
            event("abandoning", logging.WARNING, checks=self._running)
            self.fetcher.cancel_all()
        self.scheduler.shutdown(wait=True)
        self.fetcher.close()
        self._write_state("stopped")
        event("stopped")

    @contextlib.contextmanager
    def _store(self) -> Iterator[Store]:
        store = Store.open(self.data_dir)
        try:
            yield store
        finally:
            store.close()

    # ------------------------------------------------------------ scheduling

    def _schedule_sources(self, store: Store) -> None:
        """Make the check jobs match the enabled sources (add, reschedule, remove)."""
        assert self.scheduler is not None
        wanted = {s.id: s for s in self.config.enabled()}
        for source_id in list(self._intervals):
            if source_id not in wanted:
                self.scheduler.remove_job(f"check:{source_id}")
                del self._intervals[source_id]
        for source in wanted.values():
            seconds = source.interval.total_seconds()
            if self._intervals.get(source.id) == seconds:
                continue
            jitter = min(seconds * JITTER_FRACTION, MAX_JITTER)
            trigger = IntervalTrigger(
                seconds=seconds,
                start_date=self._first_run(store, source),
                jitter=jitter or None,
                timezone=UTC,
            )
            self.scheduler.add_job(
                self._check,
                trigger,
                args=[source.id],
                id=f"check:{source.id}",
                name=f"check {source.id}",
                replace_existing=True,
            )
            self._intervals[source.id] = seconds

    def _first_run(self, store: Store, source: Source) -> datetime:
        """One interval after the last check, but not before a short random spread from now."""
        interval = source.interval.total_seconds()
        now = datetime.now(UTC)
        due = now + timedelta(seconds=random.uniform(0, min(interval, STARTUP_SPREAD)))
        last = store.last_fetch(
            source.id, ("first", "changed", "unchanged", "rejected", "failed"), "network"
        )
        if last is not None:
            due = max(due, datetime.fromisoformat(last["started_at"]) + source.interval)
        return due

    def _schedule_digest(self, catch_up: bool = False) -> None:
        assert self.scheduler is not None
        settings = self.config.settings
        trigger = digest_trigger(settings.digest.schedule, settings.timezone)
        self.scheduler.add_job(
            self._digest, trigger, id="digest", name="digest", replace_existing=True
        )
        if catch_up and self._missed_digest(trigger):
            self.scheduler.add_job(self._digest, DateTrigger(datetime.now(UTC)), id="digest-late")

    def _missed_digest(self, trigger: CronTrigger) -> bool:
        """Whether a digest fell due while the daemon was down (and one was made before)."""
        from .digest import last_scheduled

        now = datetime.now(UTC)
        fire = last_fire_time(trigger, now)
        with self._store() as store:
            previous = last_scheduled(store)
        return (
            fire is not None
            and previous is not None
            and previous["until"] < iso(fire)
            and now - fire <= DIGEST_CATCH_UP
        )

    def _schedule_prune(self) -> None:
        """Delete old check records daily (``settings.keep_checks``), the first time now."""
        assert self.scheduler is not None
        if self.config.settings.keep_checks is None:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job("prune")
            return
        self.scheduler.add_job(
            self._prune,
            IntervalTrigger(days=1),
            id="prune",
            name="prune",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    def _kick(self, job_id: str) -> None:
        """Run a job now (it is skipped if it is already running)."""
        if self.scheduler is None or self._stop.is_set():
            return
        with contextlib.suppress(Exception):
            self.scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

    # ------------------------------------------------------------ jobs

    def _check(self, source_id: str) -> None:
        """The job of one source: fetch, record, track incidents, log one line."""
        config = self.config
        source = next((s for s in config.enabled() if s.id == source_id), None)
        if source is None or self._stop.is_set() or self.fetcher is None:
            return
        with self._running_lock:
            self._running += 1
        started = time.monotonic()
        try:
            self._check_source(config, source, started)
        except Exception as exc:  # a job must never take the daemon down
            event(
                "check",
                logging.ERROR,
                source=source.id,
                outcome="error",
                error=f"{type(exc).__name__}: {exc}",
            )
            if not isinstance(exc, WatcherError):
                log.exception("check of %s crashed", source.id)
        finally:
            with self._running_lock:
                self._running -= 1

    def _check_source(self, config: Config, source: Source, started: float) -> None:
        assert self.fetcher is not None
        with self._store() as store:
            pipeline = self.make_pipeline(store, config)
            fetched: list[FetchResult] = []

            def fetch_now(delay: float = 0.0) -> FetchResult | None:
                if self._stop.wait(delay) or self.fetcher is None:
                    return None  # stopping: a confirming fetch is not waited for
                result = self.fetcher.fetch(
                    source, config.settings.fetch, pipeline.validators(source)
                )
                if result is not None:
                    fetched.append(result)
                return result

            first = fetch_now()
            outcome = None
            if first is not None:
                outcome = record_confirmed(pipeline, source, first, fetch_now)
            if outcome is None:
                event("check", logging.WARNING, source=source.id, outcome="abandoned")
                return
            incident = Outbox(store, config, self.reports_dir).track(outcome)
        self._log_check(outcome, fetched[-1], started, incident)
        if outcome.change_id is not None or incident is not None:
            self._kick("outbox")

    def _log_check(
        self, outcome: Outcome, result: FetchResult, started: float, incident: int | None
    ) -> None:
        last = result.attempts[-1] if result.attempts else None
        bad = outcome.status in ("failed", "rejected")
        event(
            "check",
            logging.WARNING if bad else logging.INFO,
            source=outcome.source_id,
            outcome=outcome.status,
            version=outcome.version_id,
            change=outcome.change_id,
            http=last.http_status if last else None,
            attempts=len(result.attempts),
            ms=int((time.monotonic() - started) * 1000),
            headline=outcome.headline,
            reason=outcome.reason,
            incident=incident,
        )

    def _deliver(self) -> None:
        """The outbox job: send what is due (repeating while emails keep arriving)."""
        config = self.config
        if config.settings.smtp is None:
            return
        try:
            with self._store() as store:
                outbox = Outbox(store, config, self.reports_dir)
                for _ in range(10):
                    report = outbox.deliver()
                    if report.attempted:
                        event(
                            "outbox",
                            logging.WARNING if report.errors else logging.INFO,
                            sent=report.sent,
                            retrying=report.retrying,
                            failed=report.failed,
                            uncertain=report.uncertain,
                            error=report.errors[0] if report.errors else None,
                        )
                    if not report.sent:
                        break
        except (StoreError, OSError) as exc:
            event("outbox", logging.ERROR, error=str(exc))

    def _digest(self) -> None:
        """The digest job: write the digest due now, record it, queue it to the recipients."""
        from .digest import scheduled_digest

        config = self.config
        settings = config.settings
        fire = last_fire_time(
            digest_trigger(settings.digest.schedule, settings.timezone), datetime.now(UTC)
        )
        if fire is None:
            return
        try:
            with self._store() as store:
                path = scheduled_digest(store, config, self.reports_dir, fire)
        except Exception as exc:  # keep the daemon alive; the next digest will try again
            event("digest", logging.ERROR, due=iso(fire), error=f"{type(exc).__name__}: {exc}")
            log.exception("digest failed")
            return
        event("digest", due=iso(fire), path=str(path) if path else None, made=path is not None)
        if path is not None:
            self._kick("outbox")

    def _prune(self) -> None:
        """The prune job: delete the records of routine checks older than ``keep_checks``."""
        from .retention import prune_checks

        keep = self.config.settings.keep_checks
        if keep is None or self._stop.is_set():
            return
        try:
            with self._store() as store:
                pruned = prune_checks(store, utcnow() - keep)
        except Exception as exc:  # keep the daemon alive; tomorrow's run will try again
            event("prune", logging.ERROR, error=f"{type(exc).__name__}: {exc}")
            log.exception("prune failed")
            return
        event("prune", before=pruned.before, deleted=pruned.records, kept=pruned.kept)

    # ------------------------------------------------------------ reloading

    def _config_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.config_path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _maybe_reload(self, force: bool = False) -> None:
        """Re-read ``sources.yaml`` after SIGHUP or when the file changed."""
        self._reload.clear()
        stamp = self._config_stamp()
        if not force and stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            config = load(self.config_path)
        except WatcherError as exc:
            self._config_error = str(exc)
            event("reload", logging.ERROR, ok=False, error=str(exc), kept="previous configuration")
            return
        self._config_error = None
        if config.fingerprint() == self.config.fingerprint():
            event("reload", ok=True, changed=False)
            return
        self._apply(config)

    def _apply(self, config: Config) -> None:
        old = {s.id for s in self.config.enabled()}
        new = {s.id for s in config.enabled()}
        digest_changed = (config.settings.digest, config.settings.timezone) != (
            self.config.settings.digest,
            self.config.settings.timezone,
        )
        previous_keep = self.config.settings.keep_checks
        self.config = config
        with self._store() as store:
            sync_sources(store, config.enabled())
            self._schedule_sources(store)
        if digest_changed:
            self._schedule_digest()
        if config.settings.keep_checks != previous_keep:
            self._schedule_prune()
        event(
            "reload",
            ok=True,
            changed=True,
            sources=len(new),
            added=",".join(sorted(new - old)) or None,
            removed=",".join(sorted(old - new)) or None,
        )

    # ------------------------------------------------------------ state file

    def _write_state(self, state: str) -> None:
        now = iso(utcnow())
        data: dict[str, Any] = {
            "state": state,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": self.started_at,
            "heartbeat_at": now,
            "config": str(self.config_path),
            "config_error": self._config_error,
            "next_runs": {},
            "next_digest": None,
        }
        if state == "stopped":
            data["stopped_at"] = now
        if self.scheduler is not None and state == "running":
            for job in self.scheduler.get_jobs():
                when = iso(job.next_run_time) if job.next_run_time else None
                if job.id.startswith("check:"):
                    data["next_runs"][job.id.removeprefix("check:")] = when
                elif job.id == "digest":
                    data["next_digest"] = when
        try:
            write_atomic(self.data_dir / STATE_NAME, json.dumps(data, indent=2) + "\n")
        except OSError as exc:
            log.warning("cannot write %s: %s", STATE_NAME, exc)
