"""The daemon's fetching: every source's job fetches through one asyncio loop in
its own thread, under one shared :class:`~watcher.fetch.Limiter`, so global and
per-host limits hold across all jobs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

from .config import FetchSettings, Source
from .fetch import FetchResult, Limiter, Validators, fetch, make_client


class Fetcher:
    """Runs fetches on one asyncio loop in its own thread, under one shared limiter."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="watcher-fetch", daemon=True)
        self._tasks: set[asyncio.Task[FetchResult]] = set()
        self._limiter: Limiter | None = None
        self._limits: tuple[int, int] | None = None
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def fetch(
        self, source: Source, settings: FetchSettings, validators: Validators | None
    ) -> FetchResult | None:
        """Fetch ``source`` (blocking the calling thread); None when abandoned at shutdown."""
        future = asyncio.run_coroutine_threadsafe(
            self._fetch(source, settings, validators), self.loop
        )
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            return None

    async def _fetch(
        self, source: Source, settings: FetchSettings, validators: Validators | None
    ) -> FetchResult:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with make_client(settings) as client:
                return await fetch(
                    client, source, settings, validators, self._limiter_for(settings)
                )
        finally:
            self._tasks.discard(task)

    def _limiter_for(self, settings: FetchSettings) -> Limiter:
        """The shared limiter (a new one when the limits changed in the sources file)."""
        limits = (settings.concurrency, settings.per_host)
        if self._limiter is None or limits != self._limits:
            self._limiter, self._limits = Limiter(*limits), limits
        return self._limiter

    def in_flight(self) -> int:
        """Fetches running now."""
        return len(self._tasks)

    def cancel_all(self) -> None:
        """Abandon every fetch in flight (their callers get None)."""

        def cancel() -> None:
            for task in list(self._tasks):
                task.cancel()

        self.loop.call_soon_threadsafe(cancel)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.cancel_all()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()
