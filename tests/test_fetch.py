"""The fetch stage against a real loopback HTTP server (no mocks)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import pytest
import trustme

from watcher.config import FetchSettings, Source
from watcher.fetch import (
    WINDOW_FACTOR,
    FetchResult,
    Limiter,
    Validators,
    fetch,
    fetch_all,
    make_client,
    parse_retry_after,
)

from .conftest import LoopbackServer, Reply

SETTINGS = FetchSettings(
    user_agent="watcher-test/1.0 (+loopback)",
    timeout=1.0,
    retries=2,
    backoff=0.01,
    max_retry_after=3.0,
    max_bytes=100_000,
    max_redirects=5,
    concurrency=4,
    per_host=2,
)
ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LoopbackServer]:
    """One loopback server for the module's 29 tests (each fresh one is a thread and a port)."""
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def server(shared_server: LoopbackServer) -> LoopbackServer:
    """The shared loopback server with no routes and no logged requests (overrides conftest's)."""
    with shared_server.lock:
        shared_server.routes.clear()
        shared_server.requests.clear()
    return shared_server


def src(url: str, source_id: str = "src") -> Source:
    return Source(id=source_id, name=source_id, url=url)


def run(
    url: str, settings: FetchSettings = SETTINGS, validators: Validators | None = None
) -> FetchResult:
    """Fetch ``url`` once with a fresh client."""

    async def go() -> FetchResult:
        async with make_client(settings) as client:
            return await fetch(client, src(url), settings, validators)

    return asyncio.run(go())


def timed(url: str, settings: FetchSettings = SETTINGS) -> tuple[FetchResult, float]:
    start = time.monotonic()
    result = run(url, settings)
    return result, time.monotonic() - start


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- success


def test_first_fetch_ok_records_headers(server: LoopbackServer) -> None:
    html = "<h1>Privacy</h1><p>We sell nothing.</p>"
    server.page("/p", html, headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED})
    before = datetime.now(UTC)
    result = run(server.url("/p"))
    assert result.outcome == "ok"
    assert result.error is None
    assert result.source_id == "src"
    capture = result.capture
    assert capture is not None
    assert capture.body == html.encode()
    assert capture.content_type == "text/html; charset=utf-8"
    assert capture.http_status == 200
    assert capture.etag == ETAG
    assert capture.last_modified == LAST_MODIFIED
    assert capture.url == capture.final_url == server.url("/p")
    assert capture.redirects == ()
    assert capture.origin == "network"
    assert capture.captured_at.tzinfo is not None
    assert before <= capture.captured_at <= datetime.now(UTC)
    [attempt] = result.attempts
    assert attempt.http_status == 200
    assert attempt.bytes == len(html.encode())
    assert attempt.error is None
    assert attempt.url == server.url("/p")
    assert attempt.started_at.utcoffset() == timedelta(0)
    headers = server.requests[0][1]
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


def test_request_headers(server: LoopbackServer) -> None:
    server.page("/p", "ok")
    assert run(server.url("/p")).outcome == "ok"
    headers = server.requests[0][1]
    assert headers["user-agent"] == SETTINGS.user_agent
    assert headers["accept"].startswith("text/html")
    assert "text/plain" in headers["accept"]
    assert {"gzip", "deflate"} <= {c.strip() for c in headers["accept-encoding"].split(",")}


@pytest.mark.parametrize(
    ("validators", "header", "value"),
    [
        (Validators(etag=ETAG), "if-none-match", ETAG),
        (Validators(last_modified=LAST_MODIFIED), "if-modified-since", LAST_MODIFIED),
    ],
    ids=["etag", "last-modified"],
)
def test_not_modified(
    server: LoopbackServer, validators: Validators, header: str, value: str
) -> None:
    def handler(headers: dict[str, str]) -> Reply:
        if headers.get(header) == value:
            return Reply(status=304, content_type=None)
        return Reply(body="changed")

    server.set("/p", handler)
    result = run(server.url("/p"), validators=validators)
    assert result.outcome == "not_modified"
    assert result.capture is None
    assert result.error is None
    [attempt] = result.attempts
    assert (attempt.http_status, attempt.bytes, attempt.error) == (304, 0, None)
    assert server.requests[0][1][header] == value


def test_304_to_unconditional_request_fails(server: LoopbackServer) -> None:
    server.set("/p", Reply(status=304, content_type=None))
    result = run(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error == "HTTP 304 to an unconditional request"
    assert len(result.attempts) == 1


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_transient_status_then_ok(server: LoopbackServer, status: int) -> None:
    server.set("/p", Reply(status=status, body="busy"), Reply(body="fine"))
    result = run(server.url("/p"))
    assert result.outcome == "ok"
    assert result.capture is not None and result.capture.body == b"fine"
    assert [a.http_status for a in result.attempts] == [status, 200]
    assert [a.error for a in result.attempts] == [f"HTTP {status}", None]
    assert server.hits("/p") == 2


def test_503_storm_fails_after_all_retries(server: LoopbackServer) -> None:
    server.set("/p", Reply(status=503, body="down"))
    result = run(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error == "HTTP 503"
    assert result.capture is None
    assert len(result.attempts) == SETTINGS.retries + 1
    assert server.hits("/p") == SETTINGS.retries + 1


@pytest.mark.parametrize("status", [404, 400, 403, 410])
def test_client_errors_not_retried(server: LoopbackServer, status: int) -> None:
    server.set("/p", Reply(status=status, body="no"))
    result = run(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error == f"HTTP {status}"
    assert len(result.attempts) == 1
    assert server.hits("/p") == 1


@pytest.mark.parametrize(
    "retry_after",
    [lambda: "1", lambda: formatdate(time.time() + 2, usegmt=True)],
    ids=["delta-seconds", "http-date"],
)
def test_retry_after_honoured(server: LoopbackServer, retry_after: object) -> None:
    assert callable(retry_after)
    server.set("/p", Reply(status=429, headers={"Retry-After": retry_after()}), Reply(body="ok"))
    result, elapsed = timed(server.url("/p"))
    assert result.outcome == "ok"
    assert len(result.attempts) == 2
    assert elapsed >= 0.9  # backoff alone would be ~0.01 s


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_beyond_cap_gives_up_at_once(server: LoopbackServer, status: int) -> None:
    server.set("/p", Reply(status=status, headers={"Retry-After": "3600"}), Reply(body="ok"))
    result, elapsed = timed(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error is not None
    assert result.error.startswith(f"HTTP {status}: server asked to retry after 3600s")
    assert len(result.attempts) == 1
    assert elapsed < 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Wed, 01 May 2024 10:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 09:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
    ids=["delta", "spaces", "date", "past-date", "garbage", "empty", "absent"],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


# ---------------------------------------------------------------- network failures


def test_timeout_when_server_is_slow(server: LoopbackServer) -> None:
    settings = replace(SETTINGS, timeout=0.5, retries=1)
    server.set("/p", Reply(body="late", delay=3))
    result, elapsed = timed(server.url("/p"), settings)
    assert result.outcome == "failed"
    assert result.error == "timeout after 0.5s"
    assert len(result.attempts) == 2
    assert all(a.http_status is None and a.duration_ms >= 450 for a in result.attempts)
    assert elapsed < 2.5


def test_drip_feed_fails_at_the_deadline(server: LoopbackServer) -> None:
    """httpx's timeouts are per read; the attempt deadline still stops a dripping server."""
    settings = replace(SETTINGS, timeout=1.0, retries=0)
    server.set("/p", Reply(body=b"x" * 100, drip=0.05))  # 5 s in all, a byte every 50 ms
    result, elapsed = timed(server.url("/p"), settings)
    assert result.outcome == "failed"
    assert result.error == "timeout after 1s"
    [attempt] = result.attempts
    assert attempt.http_status == 200
    assert 0 < attempt.bytes < 100
    assert 900 <= attempt.duration_ms < 2000
    assert elapsed < 2


def test_connection_refused_is_retried() -> None:
    result = run(f"http://127.0.0.1:{closed_port()}/p")
    assert result.outcome == "failed"
    assert result.error == "connection refused"
    assert len(result.attempts) == SETTINGS.retries + 1
    assert all(a.http_status is None and a.bytes == 0 for a in result.attempts)


@contextlib.contextmanager
def raw_server(*script: tuple[bytes, bool]) -> Iterator[str]:
    """A bare TCP server answering successive connections with raw bytes.

    Each ``(data, reset)`` is sent as is; then the connection is reset (RST)
    when ``reset`` is true, closed normally otherwise. The fixture's
    ``Reply(reset_after=...)`` cannot be used: its handler keeps the socket
    open (``rfile`` holds a reference), so the client sees a stall, not a reset.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(5)

    def serve() -> None:
        for data, reset in script:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                conn.sendall(data)
                if reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/p"
    finally:
        listener.close()
        thread.join(timeout=5)


def http_response(body: bytes, sent: int | None = None) -> bytes:
    """An HTTP/1.1 200 response announcing ``body`` but carrying only ``sent`` bytes of it."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    return head + body[:sent]


@pytest.mark.parametrize(
    ("reset", "error"),
    [(True, "connection reset"), (False, "connection closed before the body was complete")],
    ids=["rst", "fin"],
)
def test_connection_lost_mid_body_is_retried(reset: bool, error: str) -> None:
    body = b"<p>" + b"x" * 20_000 + b"</p>"
    with raw_server((http_response(body, 1000), reset), (http_response(body), False)) as url:
        result = run(url)
    assert result.outcome == "ok"
    assert result.capture is not None and result.capture.body == body
    first, second = result.attempts
    assert (first.http_status, first.error) == (200, error)
    assert second.error is None


def test_untrusted_tls_certificate_fails_without_retry(tls_ca: trustme.CA) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    handshakes = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal handshakes
        handshakes += 1
        writer.close()

    async def go() -> FetchResult:
        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        async with server, make_client(SETTINGS) as client:
            return await fetch(client, src(f"https://127.0.0.1:{port}/p"), SETTINGS)

    result = asyncio.run(go())
    assert result.outcome == "failed"
    assert result.error is not None
    assert result.error.startswith("TLS certificate error: ")
    assert "self-signed" in result.error or "unable to get local issuer" in result.error
    assert len(result.attempts) == 1 and handshakes == 0


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    requests: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        body = b"<h1>Privacy</h1><p>Relayed by the proxy.</p>"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    async def go() -> FetchResult:
        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        monkeypatch.setenv(variable, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        async with server, make_client(SETTINGS) as client:
            return await fetch(client, src(target), SETTINGS)

    target = f"http://127.0.0.1:{closed_port()}/policy"  # nothing listens there
    result = asyncio.run(go())
    assert result.outcome == "ok", result.error
    assert result.capture is not None and b"Relayed by the proxy" in result.capture.body
    assert requests[0].startswith(f"GET {target} HTTP/1.1\r\n".encode())


def test_invalid_url_fails_without_retry() -> None:
    result = run("ftp://127.0.0.1/p")
    assert result.outcome == "failed"
    assert result.error is not None and result.error.startswith("invalid URL")
    assert len(result.attempts) == 1


# ---------------------------------------------------------------- redirects


def test_redirect_chain_recorded(server: LoopbackServer) -> None:
    server.set("/a", Reply(status=301, headers={"Location": "/b"}))
    server.set("/b", Reply(status=302, headers={"Location": server.url("/c")}))
    server.set("/c", Reply(status=307, headers={"Location": "/final"}))
    server.page("/final", "<p>here</p>")
    result = run(server.url("/a"))
    assert result.outcome == "ok"
    capture = result.capture
    assert capture is not None
    assert capture.redirects == (server.url("/a"), server.url("/b"), server.url("/c"))
    assert capture.final_url == server.url("/final")
    assert capture.url == server.url("/a")
    assert capture.body == b"<p>here</p>"
    assert len(result.attempts) == 1


def test_redirect_keeps_conditional_headers(server: LoopbackServer) -> None:
    server.set("/old", Reply(status=301, headers={"Location": "/new"}))
    server.set("/new", Reply(status=304, content_type=None))
    result = run(server.url("/old"), validators=Validators(etag=ETAG))
    assert result.outcome == "not_modified"
    path, headers = server.requests[-1]
    assert (path, headers["if-none-match"]) == ("/new", ETAG)


def test_cookie_set_on_a_redirect_is_sent_after_it(server: LoopbackServer) -> None:
    """A cookie check: the page redirects to itself through a page that sets a cookie,
    until the request carries it (the jar only reads answers that set cookies)."""

    def policy(headers: dict[str, str]) -> Reply:
        if "checked=1" in headers.get("cookie", ""):
            return Reply(body="<p>We sell nothing.</p>")
        return Reply(status=302, headers={"Location": "/check"})

    server.set("/p", policy)
    server.set("/check", Reply(status=302, headers={"Location": "/p", "Set-Cookie": "checked=1"}))
    result = run(server.url("/p"))
    assert result.outcome == "ok"
    assert result.capture is not None and result.capture.body == b"<p>We sell nothing.</p>"
    assert [path for path, _ in server.requests] == ["/p", "/check", "/p"]


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        ({"/a": "/b", "/b": "/a"}, "redirect loop"),
        ({f"/{i}": f"/{i + 1}" for i in range(10)}, "too many redirects"),
    ],
    ids=["loop", "too-many"],
)
def test_redirect_failures(server: LoopbackServer, routes: dict[str, str], error: str) -> None:
    for path, target in routes.items():
        server.set(path, Reply(status=302, headers={"Location": target}))
    first = next(iter(routes))
    result = run(server.url(first))
    assert result.outcome == "failed"
    assert result.error == error
    assert len(result.attempts) == 1  # not retried
    assert len(server.requests) == SETTINGS.max_redirects + 1


# ---------------------------------------------------------------- size cap and codings


@pytest.mark.parametrize(
    ("size", "outcome"),
    [(SETTINGS.max_bytes, "ok"), (SETTINGS.max_bytes + 1, "failed")],
    ids=["at-cap", "over-cap"],
)
def test_body_size_cap(server: LoopbackServer, size: int, outcome: str) -> None:
    server.set("/p", Reply(body=b"x" * size, content_type="text/plain"))
    result = run(server.url("/p"))
    assert result.outcome == outcome
    assert len(result.attempts) == 1  # oversized bodies are not retried
    if outcome == "failed":
        assert result.error == f"body larger than {SETTINGS.max_bytes} bytes"


def test_gzip_bomb_stops_at_the_cap(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire, 50 MB inflated
    assert len(bomb) < 100_000
    server.set("/p", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    result, elapsed = timed(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error == f"body larger than {SETTINGS.max_bytes} bytes"
    [attempt] = result.attempts
    assert attempt.bytes == SETTINGS.max_bytes + 1  # never inflated more than needed
    assert elapsed < 1


def raw_deflate(data: bytes) -> bytes:
    return zlib.compress(data)[2:-4]  # no zlib header and checksum


def gzip_members(data: bytes) -> bytes:
    """``data`` as three gzip members one after the other (concatenated .gz files)."""
    third = len(data) // 3
    return b"".join(gzip.compress(data[i : i + third]) for i in range(0, len(data), third))


def gzip_then_padding(data: bytes) -> bytes:
    return gzip.compress(data) + b"\0" * 16


@pytest.mark.parametrize(
    ("coding", "compress", "drip"),
    [
        ("gzip", gzip.compress, 0),
        ("deflate", zlib.compress, 0),
        ("deflate", raw_deflate, 0),
        ("identity", bytes, 0),
        ("gzip", gzip.compress, 0.001),
        ("deflate", raw_deflate, 0.001),
        ("gzip", gzip_members, 0),
        ("gzip", gzip_members, 0.001),
        ("gzip", gzip_then_padding, 0),
    ],
    ids=[
        "gzip",
        "deflate-zlib",
        "deflate-raw",
        "identity",
        "gzip-dripped",
        "deflate-raw-dripped",
        "gzip-members",
        "gzip-members-dripped",
        "gzip-padded",
    ],
)
def test_content_coding_removed(
    server: LoopbackServer, coding: str, compress: Callable[[bytes], bytes], drip: float
) -> None:
    html = ("<p>Política de privacidad — datos</p>" * 500).encode()
    body = compress(html)
    server.set("/p", Reply(body=body, headers={"Content-Encoding": coding}, drip=drip))
    result = run(server.url("/p"))
    assert result.outcome == "ok"
    assert result.capture is not None and result.capture.body == html
    assert result.attempts[0].bytes == len(html)


def test_corrupt_second_gzip_member_fails(server: LoopbackServer) -> None:
    first, second = gzip.compress(b"<p>one</p>" * 100), gzip.compress(b"<p>two</p>" * 100)
    body = first + second[:-8] + bytes(b ^ 0x55 for b in second[-8:])  # wrong CRC and size
    server.set("/p", Reply(body=body, headers={"Content-Encoding": "gzip"}))
    result = run(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error is not None and result.error.startswith("could not decode the body")


def test_corrupt_gzip_fails(server: LoopbackServer) -> None:
    server.set("/p", Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    result = run(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error is not None and result.error.startswith("could not decode the body")
    assert len(result.attempts) == 1


def test_endless_chunked_stream_stops_at_the_cap(server: LoopbackServer) -> None:
    server.set("/p", Reply(endless=True))
    result, elapsed = timed(server.url("/p"))
    assert result.outcome == "failed"
    assert result.error == f"body larger than {SETTINGS.max_bytes} bytes"
    assert len(result.attempts) == 1
    assert elapsed < SETTINGS.timeout


# ---------------------------------------------------------------- concurrency


class InFlight:
    """A server-side handler that counts concurrent requests."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
        return Reply(body="<p>ok</p>")


def collect(
    sources: list[Source], settings: FetchSettings, validators: dict[str, Validators] | None = None
) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with make_client(settings) as client:
            return [r async for r in fetch_all(client, sources, settings, validators or {})]

    return asyncio.run(go())


def test_per_host_limit_and_fetch_all_yields_all(server: LoopbackServer) -> None:
    counter = InFlight(delay=0.15)
    sources = [src(server.url(f"/p{i}"), f"s{i}") for i in range(8)]
    for i in range(8):
        server.set(f"/p{i}", counter)
    results = collect(sources, SETTINGS)
    assert sorted(r.source_id for r in results) == sorted(s.id for s in sources)
    assert all(r.outcome == "ok" for r in results)
    assert counter.peak == SETTINGS.per_host


def test_fetch_all_passes_validators_by_source_id(server: LoopbackServer) -> None:
    server.set("/a", lambda h: Reply(status=304) if "if-none-match" in h else Reply(body="a"))
    server.set("/b", lambda h: Reply(status=304) if "if-none-match" in h else Reply(body="b"))
    sources = [src(server.url("/a"), "a"), src(server.url("/b"), "b")]
    results = collect(sources, SETTINGS, {"a": Validators(etag=ETAG)})
    assert {r.source_id: r.outcome for r in results} == {"a": "not_modified", "b": "ok"}


def test_fetch_all_yields_in_completion_order(server: LoopbackServer) -> None:
    server.page("/slow", "slow", delay=0.5)
    server.page("/fast", "fast")
    sources = [src(server.url("/slow"), "slow"), src(server.url("/fast"), "fast")]
    assert [r.source_id for r in collect(sources, SETTINGS)] == ["fast", "slow"]


def test_fetch_all_consumes_sources_lazily(server: LoopbackServer) -> None:
    settings = replace(SETTINGS, concurrency=2, per_host=2)
    server.page("/p", "ok")
    pulled = 0
    pulled_at_yield: list[int] = []

    def sources() -> Iterator[Source]:
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield src(server.url("/p"), f"s{i}")

    async def go() -> int:
        count = 0
        async with make_client(settings) as client:
            async for _ in fetch_all(client, sources(), settings, {}):
                pulled_at_yield.append(pulled)
                count += 1
        return count

    assert asyncio.run(go()) == 40
    window = settings.concurrency * WINDOW_FACTOR
    assert pulled_at_yield[0] <= window + 1
    assert max(pulled_at_yield) <= 40


def test_fetch_all_closed_early_cancels_the_rest(server: LoopbackServer) -> None:
    server.page("/fast", "fast")
    server.page("/slow", "slow", delay=2)
    sources = [src(server.url("/fast"), "fast")] + [
        src(server.url("/slow"), f"slow{i}") for i in range(3)
    ]

    async def go() -> tuple[str, int]:
        async with make_client(SETTINGS) as client:
            gen = fetch_all(client, sources, SETTINGS, {})
            async with contextlib.aclosing(gen):
                first = await anext(gen)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return first.source_id, len(others)

    start = time.monotonic()
    assert asyncio.run(go()) == ("fast", 0)
    assert time.monotonic() - start < 1.5


def test_limiter_global_and_per_host() -> None:
    async def go() -> tuple[int, dict[str, int]]:
        limiter = Limiter(concurrency=3, per_host=2)
        now: dict[str, int] = {}
        peak_host: dict[str, int] = {}
        total = peak_total = 0

        async def job(host: str) -> None:
            nonlocal total, peak_total
            async with limiter.slot(host):
                now[host] = now.get(host, 0) + 1
                total += 1
                peak_host[host] = max(peak_host.get(host, 0), now[host])
                peak_total = max(peak_total, total)
                await asyncio.sleep(0.02)
                now[host] -= 1
                total -= 1

        await asyncio.gather(*(job(h) for h in "aaaaabbbbcd"))
        assert limiter._hosts == {}  # idle hosts are forgotten
        return peak_total, peak_host

    peak_total, peak_host = asyncio.run(go())
    assert peak_total == 3
    assert max(peak_host.values()) == 2
