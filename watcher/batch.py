"""Running the pipeline over many captures: ``check`` and ``import``.

``check`` fetches sources concurrently and records each result as it
arrives; ``import_files`` backfills a source from archived files in capture
order. Both normalise captures in worker processes when there is enough work
to pay for them (the decisions and the writes stay in this process, in
order), and both keep only a few captures in memory at a time.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Source
from .errors import InputError
from .model import Capture, FetchResult
from .normalise import check_text_like
from .pipeline import Analysis, Outcome, Pipeline, analyse, rules_of, sync_sources
from .store import sha256

if TYPE_CHECKING:
    import asyncio

    import httpx

log = logging.getLogger(__name__)

#: Below this many captures to normalise, worker processes cost more than they save.
MIN_PARALLEL = 6


def worker_count() -> int:
    """How many worker processes to normalise with (0: in this process)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


def _noop() -> None:
    return None


def start_workers(count: int) -> ProcessPoolExecutor:
    """A pool of ``count`` worker processes, all started now.

    Workers are forked before any thread or connection exists in this process
    (the pool is made first thing), so they start fast and inherit nothing
    that could deadlock.
    """
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context)
    for future in [pool.submit(_noop) for _ in range(count)]:
        future.result()
    return pool


def _analyse_safely(capture: Capture, source: Source) -> Analysis | InputError:
    """:func:`analyse` for a worker: an unreadable capture comes back as its error."""
    try:
        return analyse(capture, rules_of(source), capture.filename or source.url)
    except InputError as exc:
        return exc


# ---------------------------------------------------------------- check


async def check(
    pipeline: Pipeline,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    workers: int | None = None,
) -> AsyncIterator[Outcome]:
    """Fetch ``sources`` concurrently and record each result as it arrives."""
    count = worker_count() if workers is None else workers
    pool = start_workers(count) if count and len(sources) >= MIN_PARALLEL else None
    try:
        async for outcome in _check(pipeline, sources, client, pool, max(count, 1)):
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


async def _check(
    pipeline: Pipeline,
    sources: Sequence[Source],
    client: httpx.AsyncClient,
    pool: Executor | None,
    width: int,
) -> AsyncIterator[Outcome]:
    from .fetch import fetch_all

    sync_sources(pipeline.store, sources)
    by_id = {s.id: s for s in sources}
    validators = {s.id: v for s in sources if (v := pipeline.validators(s)) is not None}
    results = fetch_all(client, sources, pipeline.settings.fetch, validators)
    if pool is None:
        async for result in results:
            yield pipeline.handle(by_id[result.source_id], result)
        return
    async for outcome in _check_in_parallel(pipeline, by_id, results, pool, width):
        yield outcome


async def _check_in_parallel(
    pipeline: Pipeline,
    by_id: dict[str, Source],
    results: AsyncIterator[FetchResult],
    pool: Executor,
    width: int,
) -> AsyncIterator[Outcome]:
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
            assert result.capture is not None
            analysis = await loop.run_in_executor(pool, _analyse_safely, result.capture, source)
            outcome = pipeline.process(source, result.capture, result.attempts, analysis)
            await done.put(outcome)
        except BaseException as exc:
            await done.put(exc)
        finally:
            slots.release()

    async def produce() -> None:
        try:
            async for result in results:
                source = by_id[result.source_id]
                if not pipeline.needs_analysis(source, result):
                    await done.put(pipeline.handle(source, result))
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
        producer.cancel()
        for task in list(tasks):
            task.cancel()


# ---------------------------------------------------------------- import

_STAMP = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})(?!\d)")
_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
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


def import_files(
    pipeline: Pipeline,
    source: Source,
    paths: Sequence[Path],
    workers: int | None = None,
    pool: Executor | None = None,
) -> Iterator[Outcome]:
    """Backfill a source's history from archived captures, oldest first.

    Every file is checked before anything is written, so a missing, binary
    or oversized file stops the import with nothing recorded. Files are
    read and normalised ahead in worker processes (``pool``, or a pool of
    ``workers`` made for this call); decisions are taken here, in order.
    """
    max_bytes = pipeline.settings.fetch.max_bytes
    for path in paths:
        check_file(path, max_bytes)
    ordered = sorted(paths, key=lambda p: (capture_time(p), p.name))
    count = worker_count() if workers is None else workers
    own = pool is None and bool(count) and len(ordered) >= MIN_PARALLEL
    if own:
        pool = start_workers(count)
    sync_sources(pipeline.store, [source])
    try:
        if pool is None or len(ordered) < 2:
            for path in ordered:
                yield pipeline.process(source, read_capture(path, max_bytes))
            return
        for capture, analysis in _ahead(pool, ordered, source, max_bytes, 2 * max(count, 1)):
            yield pipeline.process(source, capture, analysis=analysis)
    finally:
        if own and pool is not None:
            pool.shutdown(cancel_futures=True)


def _read_and_analyse(
    path: Path, source: Source, max_bytes: int
) -> tuple[str, Analysis | InputError]:
    """In a worker: read a file and normalise it. Returns the bytes' hash with the
    analysis, so the decision can check it read the same bytes."""
    capture = read_capture(path, max_bytes)
    return sha256(capture.body), _analyse_safely(capture, source)


def _ahead(
    pool: Executor, paths: Sequence[Path], source: Source, max_bytes: int, depth: int
) -> Iterator[tuple[Capture, Analysis | InputError | None]]:
    """Captures with their analyses, in order, keeping ``depth`` analyses under way.

    Workers read the files themselves (cheaper than sending the bytes over a
    pipe); a file that changed between the two reads is analysed again here.
    """
    window: deque[tuple[Path, Future[tuple[str, Analysis | InputError]]]] = deque()

    def next_done() -> tuple[Capture, Analysis | InputError | None]:
        path, future = window.popleft()
        digest, analysis = future.result()
        capture = read_capture(path, max_bytes)
        return capture, analysis if sha256(capture.body) == digest else None

    for path in paths:
        window.append((path, pool.submit(_read_and_analyse, path, source, max_bytes)))
        if len(window) >= depth:
            yield next_done()
    while window:
        yield next_done()
