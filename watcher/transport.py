"""HTTP/1.1 for the fetch stage: an httpx transport over asyncio streams, parsed by h11.

httpx's default transport (httpcore on anyio) spends 1.6–2.1 ms of CPU per
request on loopback, most of it in its connection pool's bookkeeping; a
conditional request answered 304 is most of what an unchanged page costs, so
:class:`StreamTransport` does the same work directly on asyncio streams, with
h11 (httpcore's own parser) for the protocol, in 0.5–0.8 ms (``bench/cpu_split.py``).

It speaks HTTP/1.1 only, on direct connections; the client layer stays httpx
(redirects, cookies, headers, content codings). httpx ignores proxy variables
once a transport is given, so :func:`watcher.fetch.make_client` uses this one only
when the environment names no proxy. Idle connections are kept per origin for
``keepalive_expiry`` seconds and only while their server stays silent; a kept
connection that the server closed as we reused it is replaced by a fresh one
once, for idempotent requests only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import h11
import httpx

__all__ = ["StreamTransport"]

log = logging.getLogger(__name__)

Origin = tuple[str, str, int]
T = TypeVar("T")

#: Bytes asked of the socket per read: a 350 KB page arrives in two reads, not six.
READ_SIZE = 256 * 1024
#: Largest status line plus headers accepted (httpcore's limit).
MAX_HEAD = 100 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
HAPPY_EYEBALLS_DELAY = 0.25
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class _Stale(Exception):
    """The connection ended before the first byte of the answer (on a kept one: a race)."""


def _buffered(reader: asyncio.StreamReader) -> int:
    """Bytes received but not yet read. Bytes that arrive on an idle connection
    answer nothing we asked: reusing it could pass them off as the next page's answer.
    (StreamReader has no public way to ask; its buffer has been ``_buffer`` since 3.4.)"""
    buffer = getattr(reader, "_buffer", None)
    return len(buffer) if isinstance(buffer, bytearray) else 0


class _Connection:
    """One socket and its h11 state machine."""

    __slots__ = ("idle_since", "protocol", "reader", "reused", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.idle_since = 0.0
        self.reused = False

    def usable(self, now: float, expiry: float) -> bool:
        """Still open, not expired, and the server has sent nothing while it was idle."""
        return (
            now - self.idle_since < expiry
            and not self.writer.is_closing()
            and not self.reader.at_eof()
            and not _buffered(self.reader)
        )

    def close(self) -> None:
        self.writer.close()


async def _within(awaitable: Awaitable[T], seconds: float | None, timeout: type[Exception]) -> T:
    """Await with an optional per-operation timeout, raised as the httpx ``timeout`` class."""
    if seconds is None:
        return await awaitable
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError as exc:
        raise timeout(f"timed out after {seconds:g}s") from exc


class StreamTransport(httpx.AsyncBaseTransport):
    """An :class:`httpx.AsyncBaseTransport` for HTTP/1.1 on asyncio streams.

    ``ssl_context`` defaults to httpx's own (certifi, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``); at most ``max_idle`` connections are kept open between
    requests, each for ``keepalive_expiry`` seconds.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 64,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return the response with its body still to be read."""
        origin = _origin(request.url)
        timeouts = request.extensions.get("timeout", {})
        kept = self._take_idle(origin)
        if kept is not None:
            try:
                return await self._exchange(kept, origin, request, timeouts)
            except _Stale:
                if request.method not in IDEMPOTENT:
                    raise httpx.RemoteProtocolError("Server disconnected.") from None
                log.debug("kept connection to %s:%s was closed; reconnecting", *origin[1:])
        fresh = await self._connect(origin, timeouts)
        try:
            return await self._exchange(fresh, origin, request, timeouts)
        except _Stale:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response."
            ) from None

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

    # ------------------------------------------------------------ connections

    def _take_idle(self, origin: Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        if connections is None:
            return None
        now = time.monotonic()
        found = None
        while connections and found is None:
            connection = connections.pop()
            self._idle_count -= 1
            if connection.usable(now, self._expiry):
                found = connection
            else:
                connection.close()
        if not connections:
            del self._idle[origin]  # one entry per origin with kept connections, no more
        return found

    def release(self, origin: Origin, connection: _Connection, reusable: bool) -> None:
        """Keep ``connection`` for the next request to ``origin``, or close it."""
        protocol = connection.protocol
        if (
            reusable
            and protocol.our_state is h11.DONE
            and protocol.their_state is h11.DONE
            and not protocol.trailing_data[0]  # more than the answer said it was: not reused
            and self._idle_count < self._max_idle
        ):
            protocol.start_next_cycle()
            connection.idle_since = time.monotonic()
            connection.reused = True
            self._idle.setdefault(origin, []).append(connection)
            self._idle_count += 1
        else:
            connection.close()

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        scheme, host, port = origin
        context = self._context() if scheme == "https" else None
        opening = asyncio.open_connection(
            host,
            port,
            ssl=context,
            server_hostname=host if context else None,
            limit=READ_SIZE,
            # Happy eyeballs (RFC 8305), as anyio does: a host whose IPv6 route is broken
            # costs a quarter of a second, not a connect timeout.
            happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
        )
        try:
            reader, writer = await _within(opening, timeouts.get("connect"), httpx.ConnectTimeout)
        except OSError as exc:  # refused, unresolvable, TLS handshake or certificate
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Connection(reader, writer)

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = default_ssl_context()
        return self._ssl_context

    # ------------------------------------------------------------ one exchange

    async def _exchange(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        try:
            await self._send(connection, request, timeouts.get("write"))
            head = await self._receive_head(connection, timeouts.get("read"))
        except BaseException:
            connection.close()
            raise
        body = _Body(self, origin, connection, timeouts.get("read"))
        return httpx.Response(
            head.status_code,
            headers=head.headers.raw_items(),
            stream=body,
            extensions={
                "http_version": b"HTTP/" + head.http_version,
                "reason_phrase": head.reason,
            },
        )

    async def _send(
        self, connection: _Connection, request: httpx.Request, timeout: float | None
    ) -> None:
        protocol, writer = connection.protocol, connection.writer
        target = request.url.raw_path
        try:
            writer.write(
                protocol.send(
                    h11.Request(method=request.method, target=target, headers=request.headers.raw)
                )
                or b""
            )
            async for chunk in request.stream:  # type: ignore[union-attr]
                if chunk:
                    writer.write(protocol.send(h11.Data(data=chunk)) or b"")
            writer.write(protocol.send(h11.EndOfMessage()) or b"")
            await _within(writer.drain(), timeout, httpx.WriteTimeout)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        except OSError as exc:
            if connection.reused:
                raise _Stale from exc
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def _receive_head(self, connection: _Connection, timeout: float | None) -> h11.Response:
        received = 0
        while True:
            event = _next_event(connection.protocol)
            if event is h11.NEED_DATA:
                try:
                    data = await _read(connection, timeout)
                except httpx.ReadError:
                    if connection.reused and received == 0:
                        raise _Stale from None
                    raise
                if not data and received == 0:
                    raise _Stale
                received += len(data)
                connection.protocol.receive_data(data)
            elif isinstance(event, h11.Response):
                return event
            # InformationalResponse (1xx): wait for the final answer.


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS settings, made once per process: loading the CA bundle
    costs more CPU than a whole fetch, and the daemon makes a client per fetch."""
    context = httpx.create_ssl_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _next_event(protocol: h11.Connection) -> object:
    try:
        return protocol.next_event()
    except h11.RemoteProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc)) from exc


async def _read(connection: _Connection, timeout: float | None) -> bytes:
    """Read what has arrived on ``connection`` (``b""`` at the end), as httpx errors."""
    try:
        return await _within(connection.reader.read(READ_SIZE), timeout, httpx.ReadTimeout)
    except OSError as exc:  # reset, TLS errors
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection as the caller iterates over it.

    Closing it hands the connection back to the transport when the body was read
    to the end (or had none), and closes the connection otherwise.
    """

    def __init__(
        self,
        transport: StreamTransport,
        origin: Origin,
        connection: _Connection,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection: _Connection | None = connection
        self._timeout = timeout
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        protocol = connection.protocol
        while True:
            event = _next_event(protocol)
            if event is h11.NEED_DATA:
                protocol.receive_data(await _read(connection, self._timeout))
            elif isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
                return

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if not self._complete:
            # A body-less answer (304, 204, HEAD) ends without any more reading.
            try:
                self._complete = isinstance(connection.protocol.next_event(), h11.EndOfMessage)
            except h11.ProtocolError:
                self._complete = False
        self._transport.release(self._origin, connection, self._complete)


def _origin(url: httpx.URL) -> Origin:
    scheme = url.scheme
    if scheme not in DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(
            f"Request URL has an unsupported protocol '{scheme}://'."
            if scheme
            else "Request URL is missing an 'http://' or 'https://' protocol."
        )
    if not url.host:
        raise httpx.UnsupportedProtocol("Request URL has no host.")
    return scheme, url.host, url.port or DEFAULT_PORTS[scheme]
