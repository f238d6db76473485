"""Running the pipeline over many captures: ``check`` and ``import``.

``check`` fetches sources concurrently and records each result as it
arrives; ``import_files`` backfills a source from archived files in capture
order. Both normalise captures in worker processes when there is enough work
to pay for them (the decisions and the writes stay in this process, in
order), and both keep only a few captures in memory at a time.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import signal
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import blobs
from .analysis import Analysis, analyse, rules_of
from .canonical import check_text_like
from .config import Source
from .errors import InputError
from .model import Capture, FetchResult
from .pipeline import Outcome, Pipeline, sync_sources
from .store import iso, sha256, utcnow

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Executor, ProcessPoolExecutor

    import httpx

log = logging.getLogger(__name__)

#: Below this many captures to normalise, worker processes cost more than they save.
MIN_PARALLEL = 6
#: From this many sources on, a check starts its workers without asking the history
#: whether it will need them: their cost (about 20 ms of CPU) is then at most 0.02 ms
#: a page, and asking (about 0.01 ms a page) would save little more than it costs.
ALWAYS_PARALLEL = 1000


def worker_count() -> int:
    """How many worker processes to normalise with (0: in this process)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


def _noop() -> None:
    return None


def _die_with(parent: int) -> None:
    """Worker start-up: end this worker within a second of the process that made it
    dying, even by ``kill -9`` (otherwise it would wait for work forever). Ctrl-C and
    SIGTERM sent to the whole process group are left to that process, which stops its
    workers as it ends: a worker interrupted while it waits would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A watchdog thread alone, without prctl(PR_SET_PDEATHSIG): reaching prctl takes
    # ctypes, whose import was two fifths of what the workers cost in a pass with
    # nothing to read (4 of 9.5 ms); and the thread works beyond Linux.
    if os.getppid() != parent:  # the parent died before the thread could watch
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def start_workers(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` worker processes, all started now.

    Workers are forked before any thread or connection exists in this process
    (the pool is made first thing), so they start fast and inherit nothing
    that could deadlock; they end with this process, however it ends.
    """
    # Imported here: processes that never start workers (one core, a few pages, the
    # daemon) start about 10 ms faster without multiprocessing.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)
    )
    for future in [pool.submit(_noop) for _ in range(count)]:
        future.result()
    return pool


def _analyse_safely(capture: Capture, source: Source) -> Analysis | InputError:
    """:func:`analyse` for a worker: an unreadable capture comes back as its error."""
    try:
        return analyse(capture, rules_of(source), capture.filename or source.url)
    except InputError as exc:
        return exc


def record_confirmed(
    pipeline: Pipeline,
    source: Source,
    result: FetchResult,
    fetch_again: Callable[[float], FetchResult | None],
) -> Outcome | None:
    """Record one fetch result in this process, confirming a change first.

    When the page's text changed (see :meth:`Pipeline.awaits_confirmation`),
    ``fetch_again(delay)`` waits ``delay`` seconds and fetches the page again;
    that capture is recorded, with the first one's text to tell noise from
    change. None when ``fetch_again`` gave up (the daemon is stopping).
    """
    known = pipeline.record_without_reading(source, result)
    if known is not None:
        return known
    capture = result.capture
    assert capture is not None
    analysis = _analyse_safely(capture, source)
    delay = pipeline.settings.fetch.confirm_after
    if delay is None or not pipeline.awaits_confirmation(source, capture, analysis):
        return pipeline.process(source, capture, result.attempts, analysis)
    assert isinstance(analysis, Analysis)
    _log_confirming(source.id, delay)
    again = fetch_again(delay)
    return None if again is None else pipeline.handle(source, again, refetch=analysis.text)


def _log_confirming(source_id: str, delay: float) -> None:
    log.info("check %s: text changed; fetching it again in %gs to confirm", source_id, delay)


def _prepare_capture(
    capture: Capture, source: Source, first: bool
) -> tuple[Analysis | InputError, str, bytes | None]:
    """:func:`_analyse_safely`, the capture's SHA-256, and for a source's ``first``
    capture its bytes compressed on their own, as the store keeps them: work taken
    off the process that records every page. (Later captures are stored as deltas
    against the first; they were routed here by their fingerprint.)"""
    digest = sha256(capture.body)
    compressed = blobs.compress(capture.body)[1] if first else None
    return _analyse_safely(capture, source), digest, compressed


# ---------------------------------------------------------------- check


async def check(
    pipeline: Pipeline,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    workers: int | None = None,
    on_wait: Callable[[int, float], None] | None = None,
) -> AsyncGenerator[Outcome, None]:
    """Fetch ``sources`` concurrently and record each result as it arrives.

    Changes wait for a second fetch (``fetch.confirm_after``) and come last;
    ``on_wait(changes, seconds)`` is told when the run starts waiting for them.
    """
    count = worker_count() if workers is None else workers
    pool = start_workers(count) if count and _worth_workers(pipeline, sources) else None
    try:
        # Each layer closes the one below as it ends (by an error, or cancelled at
        # SIGTERM or Ctrl-C): the fetches stop before the caller closes the client.
        outcomes = _check(pipeline, sources, client, pool, max(count, 1), on_wait)
        async with aclosing(outcomes):
            async for outcome in outcomes:
                log.info(
                    "check %s: %s%s",
                    outcome.source_id,
                    outcome.status,
                    f" ({outcome.reason})" if outcome.reason else "",
                )
                yield outcome
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _worth_workers(pipeline: Pipeline, sources: Sequence[Source]) -> bool:
    """Whether a check of ``sources`` will probably read enough pages to pay for worker
    processes. A check that finds nothing new reads none, and the workers were a tenth
    of its cost at 100 pages. When the guess is wrong, the pages are read in this
    process: the check takes longer, not more CPU."""
    if len(sources) < MIN_PARALLEL:
        return False
    return len(sources) >= ALWAYS_PARALLEL or pipeline.likely_reads(sources) >= MIN_PARALLEL


class _Confirmations:
    """Changes a check found that wait for a second fetch before they are recorded
    (``fetch.confirm_after``).

    The first pass over the sources sets them aside; once the last of them is old
    enough, a second pass fetches them again and records each with the first
    fetch's text, so that only lines the two fetches agree on can be a change.
    The first texts wait in files, so memory stays flat however many change.
    """

    def __init__(self, pipeline: Pipeline, spool: Path) -> None:
        self.pipeline = pipeline
        self.spool = spool
        self.delay = pipeline.settings.fetch.confirm_after
        self.ids: list[str] = []
        self.due = 0.0
        self.collecting = self.delay is not None

    def set_aside(self, source: Source, capture: Capture, analysis: Analysis | InputError) -> bool:
        """Keep a change for the second pass instead of recording it (first pass only)."""
        if not self.collecting or not self.pipeline.awaits_confirmation(source, capture, analysis):
            return False
        assert isinstance(analysis, Analysis) and self.delay is not None
        (self.spool / source.id).write_text(analysis.text, encoding="utf-8")
        self.ids.append(source.id)
        self.due = time.monotonic() + self.delay
        _log_confirming(source.id, self.delay)
        return True

    def first_text(self, source_id: str) -> str | None:
        """The first fetch's text of a source set aside (second pass only)."""
        path = self.spool / source_id
        if self.collecting or not path.exists():
            return None
        text = path.read_text(encoding="utf-8")
        path.unlink()
        return text

    async def wait(self, on_wait: Callable[[int, float], None] | None) -> None:
        """End the first pass: sleep until every change set aside may be fetched again."""
        import asyncio

        self.collecting = False
        seconds = max(0.0, self.due - time.monotonic())
        if on_wait is not None:
            on_wait(len(self.ids), seconds)
        await asyncio.sleep(seconds)


async def _check(
    pipeline: Pipeline,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    pool: Executor | None,
    width: int,
    on_wait: Callable[[int, float], None] | None = None,
) -> AsyncGenerator[Outcome, None]:
    sync_sources(pipeline.store, sources)
    by_id = {s.id: s for s in sources}
    with tempfile.TemporaryDirectory(prefix="watcher-confirm-") as spool:
        confirmations = _Confirmations(pipeline, Path(spool))
        first = _check_pass(pipeline, sources, client, pool, width, confirmations)
        async with aclosing(first):
            async for outcome in first:
                yield outcome
        if confirmations.ids:
            await confirmations.wait(on_wait)
            again = [by_id[sid] for sid in confirmations.ids]
            second = _check_pass(pipeline, again, client, pool, width, confirmations)
            async with aclosing(second):
                async for outcome in second:
                    yield outcome


async def _check_pass(
    pipeline: Pipeline,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    pool: Executor | None,
    width: int,
    confirmations: _Confirmations,
) -> AsyncGenerator[Outcome, None]:
    """Fetch ``sources`` once, recording every result but the changes set aside."""
    from .fetch import fetch_all

    by_id = {s.id: s for s in sources}
    validators = pipeline.validators_for(sources)
    results = fetch_all(client, sources, pipeline.settings.fetch, validators)
    if pool is None:
        async with aclosing(results):
            async for result in results:
                outcome = _record_inline(pipeline, by_id[result.source_id], result, confirmations)
                if outcome is not None:
                    yield outcome
        return
    outcomes = _check_in_parallel(pipeline, by_id, results, pool, width, confirmations)
    async with aclosing(outcomes):
        async for outcome in outcomes:
            yield outcome


def _record_inline(
    pipeline: Pipeline, source: Source, result: FetchResult, confirmations: _Confirmations
) -> Outcome | None:
    """Normalise and record a result in this process (None: set aside to confirm)."""
    known = pipeline.record_without_reading(source, result)
    if known is not None:
        return known
    capture = result.capture
    assert capture is not None
    analysis = _analyse_safely(capture, source)
    if confirmations.set_aside(source, capture, analysis):
        return None
    refetch = confirmations.first_text(source.id)
    return pipeline.process(source, capture, result.attempts, analysis, refetch=refetch)


async def _check_in_parallel(
    pipeline: Pipeline,
    by_id: dict[str, Source],
    results: AsyncGenerator[FetchResult, None],
    pool: Executor,
    width: int,
    confirmations: _Confirmations,
) -> AsyncGenerator[Outcome, None]:
    """Normalise fetched pages in the pool while the next pages download.

    At most ``2 * width`` pages wait for or sit in the pool; fetching pauses
    until one is recorded, which keeps memory flat however many sources.
    """
    import asyncio  # only checks need it; imports start faster without

    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(2 * width)
    done: asyncio.Queue[Outcome | BaseException | None] = asyncio.Queue()
    tasks: set[asyncio.Task[None]] = set()

    async def record(source: Source, result: FetchResult) -> None:
        try:
            capture = result.capture
            assert capture is not None
            first = pipeline.store.latest_head(source.id) is None
            analysis, digest, compressed = await loop.run_in_executor(
                pool, _prepare_capture, capture, source, first
            )
            if compressed is not None:
                pipeline.store.offer_compressed(digest, compressed)
            if confirmations.set_aside(source, capture, analysis):
                return
            refetch = confirmations.first_text(source.id)
            outcome = pipeline.process(source, capture, result.attempts, analysis, digest, refetch)
            await done.put(outcome)
        except BaseException as exc:
            await done.put(exc)
        finally:
            slots.release()

    async def produce() -> None:
        try:
            async for result in results:
                source = by_id[result.source_id]
                known = pipeline.record_without_reading(source, result)
                if known is not None:
                    await done.put(known)
                    continue
                await slots.acquire()
                task = asyncio.create_task(record(source, result))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        except BaseException as exc:
            await done.put(exc)
        finally:
            await done.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (item := await done.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # Waited for, not only cancelled: the fetches (the producer's) must be over
        # before the caller closes the client they use.
        running = [producer, *tasks]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await results.aclose()


# ---------------------------------------------------------------- import

#: How far ahead of the clock a capture time may be (time zones, a clock a little off);
#: beyond that it is a mistake, and would make every earlier capture "older than the
#: latest version".
FUTURE_SLACK = timedelta(days=1)
_STAMP = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})(?!\d)")
_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".pdf": "application/pdf",
}


def capture_time(path: Path) -> datetime:
    """When a file was captured: the first 14-digit timestamp in its name
    (``YYYYMMDDhhmmss``, optionally with a ``T``), else its modification time."""
    match = _STAMP.search(path.name)
    if match:
        try:
            year, month, day, hour, minute, second = map(int, match.groups())
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)


def check_file(path: Path, max_bytes: int, whole: bool = False) -> bytes:
    """The head of a file (all of it with ``whole``) after checking that it can be a
    capture: it exists, is readable, not too large, and not binary."""
    try:
        if not path.is_file():
            raise InputError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size:,} bytes, larger than the {max_bytes:,}-byte limit")
        with path.open("rb") as handle:
            body = handle.read() if whole else handle.read(65536)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    check_text_like(body, str(path))
    return body


def read_capture(path: Path, max_bytes: int) -> Capture:
    """A file as a capture; :class:`InputError` when it cannot be one."""
    body = check_file(path, max_bytes, whole=True)
    return Capture(
        body=body,
        captured_at=capture_time(path),
        origin="import",
        filename=str(path),
        content_type=_CONTENT_TYPES.get(path.suffix.lower(), ""),
    )


@dataclass(frozen=True, slots=True)
class PreparedImport:
    """A source's archived captures, every one read and normalised, none recorded yet.

    ``items`` are ``(path, sha256 of its bytes, spooled analysis)`` in capture
    order; the analyses wait in files under the spool directory, so memory
    stays flat however many captures there are.
    """

    source: Source
    items: tuple[tuple[Path, str, Path], ...]


def prepare_import(
    pipeline: Pipeline,
    source: Source,
    paths: Sequence[Path],
    spool: Path,
    pool: Executor | None = None,
) -> PreparedImport:
    """Check and normalise every file of an import before anything is written.

    Raises :class:`InputError` naming the first file (in capture order) that is
    missing, binary, too large, captured more than a day from now, unreadable as a
    document, or older than the source's latest version; the store is only read.
    """
    max_bytes = pipeline.settings.fetch.max_bytes
    for path in paths:
        check_file(path, max_bytes)
    _check_not_future(paths)
    ordered = sorted(paths, key=lambda p: (capture_time(p), p.name))
    _check_order(pipeline, source, ordered)
    spool.mkdir(parents=True, exist_ok=True)
    targets = [spool / f"{source.id}-{i}.pickle" for i in range(len(ordered))]
    jobs = zip(ordered, targets, strict=True)
    if pool is None:
        digests = [_spool_analysis(path, source, max_bytes, target) for path, target in jobs]
    else:
        futures = [pool.submit(_spool_analysis, p, source, max_bytes, t) for p, t in jobs]
        try:
            digests = [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()
    return PreparedImport(source, tuple(zip(ordered, digests, targets, strict=True)))


def _check_not_future(paths: Sequence[Path]) -> None:
    """Refuse a file whose capture time is more than :data:`FUTURE_SLACK` from now."""
    latest = utcnow() + FUTURE_SLACK
    for path in paths:
        moment = capture_time(path)
        if moment > latest:
            raise InputError(f"{path}: captured {iso(moment)}, more than a day in the future")


def _check_order(pipeline: Pipeline, source: Source, ordered: Sequence[Path]) -> None:
    """History is imported oldest first: refuse files older than the latest version,
    unless they are exactly what was imported before (a repeated import)."""
    latest = pipeline.store.latest_head(source.id)
    if latest is None:
        return
    for path in ordered:
        moment = iso(capture_time(path))
        if moment >= latest.captured_at:
            return
        if not pipeline.store.last_fetch_matching(source.id, sha256(path.read_bytes()), moment):
            raise InputError(
                f"{path}: captured {moment}, before the latest version of '{source.id}' "
                f"({latest.captured_at}); import history oldest first"
            )


def _spool_analysis(path: Path, source: Source, max_bytes: int, target: Path) -> str:
    """Read and normalise a file (in a worker), spool the analysis to ``target``,
    and return the bytes' hash, so the recording step can check it reads the same."""
    capture = read_capture(path, max_bytes)
    analysis = analyse(capture, rules_of(source), str(path))
    with target.open("wb") as handle:
        pickle.dump(analysis, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return sha256(capture.body)


def record_import(pipeline: Pipeline, prepared: PreparedImport) -> Iterator[Outcome]:
    """Record a prepared import, in capture order (one transaction per capture)."""
    max_bytes = pipeline.settings.fetch.max_bytes
    sync_sources(pipeline.store, [prepared.source])
    for path, digest, spooled in prepared.items:
        capture = read_capture(path, max_bytes)
        raw_sha = sha256(capture.body)
        analysis: Analysis | None = None
        if raw_sha == digest:  # else the file changed since: analyse again
            with spooled.open("rb") as handle:
                analysis = pickle.load(handle)
        spooled.unlink(missing_ok=True)
        yield pipeline.process(prepared.source, capture, analysis=analysis, raw_sha=raw_sha)


def import_files(
    pipeline: Pipeline,
    source: Source,
    paths: Sequence[Path],
    workers: int | None = None,
    pool: Executor | None = None,
) -> Iterator[Outcome]:
    """Backfill a source's history from archived captures, oldest first.

    Every file is read and normalised (in worker processes: ``pool``, or a
    pool of ``workers`` made for this call) before anything is written, so a
    file that cannot be imported stops the import with nothing recorded;
    then the captures are recorded in order.
    """
    count = worker_count() if workers is None else workers
    own = pool is None and bool(count) and len(paths) >= MIN_PARALLEL
    if own:
        pool = start_workers(count)
    try:
        with tempfile.TemporaryDirectory(prefix="watcher-import-") as spool:
            prepared = prepare_import(pipeline, source, paths, Path(spool), pool)
            yield from record_import(pipeline, prepared)
    finally:
        if own and pool is not None:
            pool.shutdown(cancel_futures=True)
