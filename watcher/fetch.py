"""The fetch stage: download pages politely and robustly with async httpx.

:func:`fetch` downloads one source and always returns a :class:`FetchResult`
(it never raises for network problems): transient failures (connect errors,
timeouts, connections reset mid-body, HTTP 408/429/5xx) are retried with
exponential backoff and jitter, honouring ``Retry-After``; every attempt is
recorded. Each attempt has a hard deadline of ``settings.timeout`` seconds and
reads at most ``settings.max_bytes`` decoded bytes, so neither a server that
drips one byte a second nor a gzip bomb nor an endless stream can hold a
worker or exhaust memory. :func:`fetch_all` runs many fetches concurrently
under a :class:`Limiter` (a global and a per-host limit) and yields results as
they complete.

The bytes are passed through undecoded (charset detection is the
normaliser's job); only the ``Content-Encoding`` (gzip, deflate) is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import importlib.util
import logging
import random
import socket
import ssl
import time
import urllib.request
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from .config import FetchSettings, Source
from .inflate import Inflater
from .model import Attempt, Capture, FetchOutcome, FetchResult, Validators
from .transport import StreamTransport

__all__ = ["Attempt", "FetchResult", "Limiter", "Validators", "fetch", "fetch_all", "make_client"]

log = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
#: How many fetches :func:`fetch_all` keeps started per unit of concurrency.
#: Tasks beyond ``settings.concurrency`` only wait for a slot (no body in
#: memory); the slack keeps the global limit busy when many sources share a host.
WINDOW_FACTOR = 4


# ---------------------------------------------------------------- the client


def accept_encoding() -> str:
    """The content codings this installation can decode (br only with brotli)."""
    codings = ["gzip", "deflate"]
    if any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi")):
        codings.append("br")
    return ", ".join(codings)


def make_client(
    settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An HTTP client configured from ``settings`` (use it as an async context manager).

    It speaks HTTP/1.1 through :class:`~watcher.transport.StreamTransport`,
    except when the environment names a proxy (``HTTPS_PROXY`` and the like):
    then httpx's own transport routes each request, honouring ``NO_PROXY``.
    ``transport`` replaces both (for tests, a loopback server or a mock).
    """
    if transport is None and not proxy_in_environment():
        transport = StreamTransport(max_idle=settings.concurrency)
    return _Client(
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": accept_encoding(),
        },
        timeout=httpx.Timeout(settings.timeout),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        limits=httpx.Limits(
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency,
        ),
        transport=transport,
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, which reads a response only when it sets a cookie.

    httpx hands every response to the jar, which wraps it and its request in
    urllib objects to look for ``Set-Cookie``: a tenth of the CPU an unchanged
    page costs, for pages that mostly set none.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """An :class:`httpx.AsyncClient` keeping its cookies in a :class:`_Cookies` jar."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._jar = _Cookies(options.get("cookies"))

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes | None) -> None:
        self._jar = _Cookies(cookies)


def proxy_in_environment() -> bool:
    """Whether the environment names an HTTP proxy (``HTTP(S)_PROXY``, ``ALL_PROXY``)."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


# ---------------------------------------------------------------- concurrency


@dataclass(slots=True)
class _Host:
    semaphore: asyncio.Semaphore
    users: int = 0


class Limiter:
    """Limits requests in flight: at most ``concurrency`` in all, ``per_host`` per host.

    Usage: ``async with limiter.slot(host): ...``. A task waits for its host's
    slot before it takes a global one, so tasks queued behind a busy host do
    not starve the other hosts.
    """

    def __init__(self, concurrency: int, per_host: int) -> None:
        if concurrency < 1 or per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        self.concurrency = concurrency
        self.per_host = per_host
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, _Host] = {}

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one request slot for ``host`` (case-insensitive) while the block runs."""
        key = host.lower()
        entry = self._hosts.get(key)
        if entry is None:
            entry = self._hosts[key] = _Host(asyncio.Semaphore(self.per_host))
        entry.users += 1
        try:
            async with entry.semaphore, self._global:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:  # forget idle hosts: memory stays flat
                del self._hosts[key]


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# ---------------------------------------------------------------- one attempt


class _Abort(Exception):
    """An attempt failed for a reason of our own (size cap, redirect loop)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


@dataclass(slots=True)
class _Progress:
    """What an attempt got before it ended (kept when it fails midway)."""

    status: int | None = None
    bytes: int = 0
    chain: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A completed exchange: the final response's status, headers and body."""

    status: int
    url: str
    headers: httpx.Headers
    body: bytes | None  # read only for 2xx
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Tried:
    """One attempt and what to do next."""

    attempt: Attempt
    verdict: Literal["ok", "not_modified", "retry", "fail"]
    answer: _Answer | None = None
    retry_after: float | None = None


RETRY_STATUSES = frozenset({408, 429})


def _transient_status(status: int) -> bool:
    return status in RETRY_STATUSES or 500 <= status <= 599


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    headers: Mapping[str, str],
    conditional: bool,
) -> _Tried:
    """Make one attempt (following redirects) within the deadline."""
    started_at = datetime.now(UTC)
    start = time.monotonic()
    progress = _Progress()
    answer: _Answer | None = None
    error: str | None = None
    transient = False
    try:
        async with asyncio.timeout(settings.timeout):
            answer = await _exchange(client, url, settings, headers, progress)
    except Exception as exc:  # fetch never raises for network problems
        error, transient = _describe(exc, settings)
    verdict: Literal["ok", "not_modified", "retry", "fail"]
    retry_after: float | None = None
    if answer is None:
        verdict = "retry" if transient else "fail"
    elif 200 <= answer.status <= 299:
        verdict = "ok"
    elif answer.status == 304 and conditional:
        verdict = "not_modified"
    else:
        error = f"HTTP {answer.status}"
        if answer.status == 304:
            error += " to an unconditional request"
        verdict = "retry" if _transient_status(answer.status) else "fail"
        if answer.status in (429, 503):
            retry_after = parse_retry_after(answer.headers.get("retry-after"))
    attempt = Attempt(
        url=url,
        started_at=started_at,
        duration_ms=round((time.monotonic() - start) * 1000),
        http_status=progress.status,
        bytes=progress.bytes,
        error=error,
    )
    return _Tried(attempt, verdict, answer, retry_after)


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    headers: Mapping[str, str],
    progress: _Progress,
) -> _Answer:
    """Send the request, follow redirects (recording them) and read a 2xx body."""
    request: httpx.Request | None = client.build_request("GET", url, headers=headers)
    while request is not None:
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            progress.status = response.status_code
            request = response.next_request
            if request is None:
                body = None
                if 200 <= response.status_code <= 299:
                    body = await _read_body(response, settings.max_bytes, progress)
                else:
                    await _discard(response)
                return _Answer(
                    response.status_code,
                    str(response.url),
                    response.headers,
                    body,
                    tuple(progress.chain),
                )
            progress.chain.append(str(response.url))
            await _discard(response)
            if len(progress.chain) > settings.max_redirects:
                looped = len(set(progress.chain)) < len(progress.chain)
                raise _Abort("redirect loop" if looped else "too many redirects")
        finally:
            await response.aclose()
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- bodies

DISCARD_LIMIT = 64 * 1024


async def _discard(response: httpx.Response) -> None:
    """Drain a small unwanted body (redirect, error) so the connection can be reused.

    Bodies of unknown or larger size are left unread; closing the response
    then closes the connection.
    """
    if response.status_code in (204, 304):
        # No body by definition: reading the empty one lets the connection be reused
        # (raw, without httpx's decoders: this is most of what an unchanged page costs).
        with contextlib.suppress(httpx.HTTPError):
            async for _ in response.aiter_raw():
                pass
        return
    try:
        length = int(response.headers.get("content-length", ""))
    except ValueError:
        return
    if not 0 < length <= DISCARD_LIMIT:
        return
    received = 0
    with contextlib.suppress(httpx.HTTPError):
        async for raw in response.aiter_raw():
            received += len(raw)
            if received > DISCARD_LIMIT:
                return


async def _read_body(response: httpx.Response, limit: int, progress: _Progress) -> bytes:
    """Read the decoded body, aborting once more than ``limit`` bytes arrive."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    chunks: list[bytes] = []

    def take(data: bytes) -> None:
        chunks.append(data)
        progress.bytes += len(data)
        if progress.bytes > limit:
            raise _Abort(f"body larger than {limit} bytes")

    if coding in ("gzip", "x-gzip", "deflate"):
        inflater = Inflater(coding)
        async for raw in response.aiter_raw():
            while raw:
                out, raw = inflater.inflate(raw, limit - progress.bytes + 1)
                take(out)
    elif coding in ("", "identity"):
        async for raw in response.aiter_raw():
            take(raw)
    else:  # br, zstd...: httpx decodes what it can; the cap still applies per chunk
        async for data in response.aiter_bytes():
            take(data)
    return b"".join(chunks)


# ---------------------------------------------------------------- errors


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _short(exc: BaseException, limit: int = 120) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _connect_problem(exc: BaseException) -> tuple[str, bool]:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate error: {cause.verify_message or _short(cause)}", False
        if isinstance(cause, socket.gaierror):
            return "could not resolve host", True
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused", True
    text = _short(exc)
    if "refused" in text.lower():
        return "connection refused", True
    return f"connection failed: {text}", True


def _describe(exc: Exception, settings: FetchSettings) -> tuple[str, bool]:
    """A short message for ``exc`` and whether it is worth retrying."""
    if isinstance(exc, _Abort):
        return exc.message, exc.transient
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timeout after {settings.timeout:g}s", True
    if isinstance(exc, httpx.ConnectError):
        return _connect_problem(exc)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        if any(isinstance(c, ConnectionResetError) for c in _causes(exc)):
            return "connection reset", True
        return f"connection error: {_short(exc)}", True
    if isinstance(exc, httpx.RemoteProtocolError):
        if "complete message body" in str(exc):
            return "connection closed before the body was complete", True
        return f"protocol error: {_short(exc)}", True
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"invalid URL: {_short(exc)}", False
    if isinstance(exc, zlib.error | httpx.DecodingError):
        return f"could not decode the body: {_short(exc)}", False
    if isinstance(exc, httpx.TransportError | OSError):
        return f"network error: {_short(exc)}", True
    log.exception("unexpected error while fetching")
    return f"unexpected error: {type(exc).__name__}: {_short(exc)}", False


# ---------------------------------------------------------------- retries


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date).

    None when the header is absent or malformed; dates in the past give 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(settings: FetchSettings, retry: int) -> float:
    """The wait before retry number ``retry`` (0-based): ``backoff * 2**retry`` ± 50 %."""
    base = settings.backoff * 2.0**retry
    return min(base * random.uniform(0.5, 1.5), settings.max_retry_after)


def _request_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    return headers


def _capture(source: Source, answer: _Answer) -> Capture:
    headers = answer.headers
    return Capture(
        body=answer.body or b"",
        captured_at=datetime.now(UTC),
        url=source.url,
        final_url=answer.url,
        content_type=headers.get("content-type", ""),
        http_status=answer.status,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        redirects=answer.redirects,
        origin="network",
    )


async def fetch(
    client: httpx.AsyncClient,
    source: Source,
    settings: FetchSettings,
    validators: Validators | None = None,
    limiter: Limiter | None = None,
) -> FetchResult:
    """Fetch ``source`` with retries; never raises for network problems.

    ``validators`` make the request conditional; ``limiter`` (shared between
    concurrent fetches) is held only while a request is in flight, not while
    waiting to retry.
    """
    headers = _request_headers(validators)
    host = _host_of(source.url)
    attempts: list[Attempt] = []

    def result(
        outcome: FetchOutcome, capture: Capture | None = None, error: str | None = None
    ) -> FetchResult:
        return FetchResult(source.id, source.url, outcome, capture, tuple(attempts), error)

    for retry in range(max(settings.retries, 0) + 1):
        slot: AbstractAsyncContextManager[None] = (
            limiter.slot(host) if limiter is not None else contextlib.nullcontext()
        )
        async with slot:
            tried = await _attempt(client, source.url, settings, headers, bool(headers))
        attempts.append(tried.attempt)
        error = tried.attempt.error
        log.debug("%s: attempt %d: %s", source.id, retry + 1, error or tried.verdict)
        if tried.verdict == "ok" and tried.answer is not None:
            return result("ok", _capture(source, tried.answer))
        if tried.verdict == "not_modified":
            return result("not_modified")
        if tried.verdict == "fail" or retry >= settings.retries:
            log.info("%s: fetch failed after %d attempt(s): %s", source.id, len(attempts), error)
            return result("failed", error=error)
        wait = backoff_delay(settings, retry)
        if tried.retry_after is not None:
            if tried.retry_after > settings.max_retry_after:
                error = (
                    f"{error}: server asked to retry after {tried.retry_after:g}s "
                    f"(more than the {settings.max_retry_after:g}s limit)"
                )
                log.info("%s: giving up: %s", source.id, error)
                return result("failed", error=error)
            wait = max(wait, tried.retry_after)
        log.info("%s: %s; retrying in %.1fs", source.id, error, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


async def fetch_all(
    client: httpx.AsyncClient,
    sources: Iterable[Source],
    settings: FetchSettings,
    validators: Mapping[str, Validators],
) -> AsyncGenerator[FetchResult, None]:
    """Fetch ``sources`` concurrently and yield each result as soon as it completes.

    One :class:`Limiter` bounds the requests in flight; at most
    ``settings.concurrency * WINDOW_FACTOR`` fetches are started at a time and
    ``sources`` is consumed lazily, so memory stays flat for any number of
    sources. ``validators`` is keyed by source id. Closing the generator early
    cancels the fetches still running.
    """
    limiter = Limiter(settings.concurrency, settings.per_host)
    window = max(1, settings.concurrency * WINDOW_FACTOR)
    pending: set[asyncio.Task[FetchResult]] = set()
    todo = iter(sources)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                source = next(todo, None)
                if source is None:
                    exhausted = True
                    break
                coro = fetch(client, source, settings, validators.get(source.id), limiter)
                pending.add(asyncio.create_task(coro, name=f"fetch {source.id}"))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
