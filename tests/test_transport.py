"""The HTTP/1.1 transport against scripted loopback servers speaking raw HTTP.

Each test starts an asyncio server on 127.0.0.1 in its own event loop; the
server answers each request by a script, so connection reuse, servers that close
kept connections, truncated bodies and TLS can be arranged exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.config import FetchSettings, Source
from watcher.fetch import Validators, fetch, make_client
from watcher.transport import StreamTransport

# A script answers one request: (connection number, request number on it, request head,
# writer) -> whether to keep reading requests on this connection.
Script = Callable[[int, int, bytes, asyncio.StreamWriter], Awaitable[bool]]


def answer(body: bytes = b"hello", status: str = "200 OK", extra: str = "") -> bytes:
    """A complete HTTP/1.1 answer with a Content-Length body."""
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


@dataclass
class ScriptedServer:
    """A loopback server that counts connections and runs ``script`` per request."""

    script: Script
    tls: ssl.SSLContext | None = None
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            for index in range(1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                self.heads.append(head)
                keep = await self.script(number, index, head, writer)
                await writer.drain()
                if not keep:
                    return
        finally:
            writer.close()


def always(data: bytes) -> Script:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(data)
        return True

    return script


async def get_all(url: str, count: int, transport: StreamTransport | None = None) -> list[str]:
    async with httpx.AsyncClient(transport=transport or StreamTransport()) as client:
        return [(await client.get(f"{url}/{i}")).text for i in range(count)]


def test_one_connection_serves_many_requests() -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer(b"same page"))) as srv:
            assert await get_all(srv.url, 5) == ["same page"] * 5
            assert srv.connections == 1
            assert srv.heads[0].startswith(b"GET /0 HTTP/1.1\r\n")

    asyncio.run(go())


def test_kept_connection_closed_as_it_is_reused_is_replaced_once() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        if conn == 1 and index == 1:
            return False  # the server gave up on the kept connection: no answer
        writer.write(answer(f"c{conn}r{index}".encode()))
        return True

    async def go() -> None:
        async with ScriptedServer(script) as srv:
            assert await get_all(srv.url, 3) == ["c1r0", "c2r0", "c2r1"]
            assert srv.connections == 2

    asyncio.run(go())


def test_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(f"c{conn}".encode()))
        return False  # close right after answering, without saying so

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(transport=StreamTransport()) as client,
        ):
            first = (await client.get(srv.url)).text
            await asyncio.sleep(0.05)  # the close arrives while the connection is idle
            second = (await client.get(srv.url)).text
            assert (first, second, srv.connections) == ("c1", "c2", 2)

    asyncio.run(go())


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_fresh_connection_closed_without_an_answer_is_an_error(method: str) -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        return False

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(transport=StreamTransport()) as client,
        ):
            with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
                await client.request(method, srv.url, content=b"x" if method == "POST" else None)
            assert srv.connections == 1

    asyncio.run(go())


def test_post_is_not_sent_again_when_the_kept_connection_was_closed() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        if index == 1:
            return False
        writer.write(answer())
        return True

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(transport=StreamTransport()) as client,
        ):
            await client.get(srv.url)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(srv.url, content=b"")
            assert srv.connections == 1

    asyncio.run(go())


@pytest.mark.parametrize(
    "reply, text, reused",
    [
        pytest.param(answer(extra="Connection: close\r\n"), "hello", False, id="connection-close"),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello", False, id="http-1.0"
        ),
        pytest.param(answer(b"", "304 Not Modified"), "", True, id="304"),
        pytest.param(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
            "hello",
            True,
            id="1xx-then-chunked",
        ),
    ],
)
def test_connection_reuse_follows_the_protocol(reply: bytes, text: str, reused: bool) -> None:
    async def go() -> None:
        async with ScriptedServer(always(reply)) as srv:
            assert await get_all(srv.url, 2) == [text, text]
            assert srv.connections == (1 if reused else 2)

    asyncio.run(go())


def test_unchanged_pages_answered_304_share_one_connection() -> None:
    """The fetch stage drains a 304 without reading a body, and the connection is kept."""
    settings = FetchSettings(retries=0, concurrency=1, per_host=1)
    validators = Validators(etag='"v1"')

    async def go() -> None:
        async with ScriptedServer(always(answer(b"", "304 Not Modified"))) as srv:
            async with make_client(settings) as client:
                for i in range(3):
                    source = Source(id=f"s{i}", name="s", url=f"{srv.url}/{i}")
                    result = await fetch(client, source, settings, validators)
                    assert result.outcome == "not_modified"
            assert srv.connections == 1
            assert len(srv.heads) == 3

    asyncio.run(go())


def test_head_answer_declares_a_length_but_has_no_body() -> None:
    async def go() -> None:
        async with ScriptedServer(always(b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n")) as srv:
            async with httpx.AsyncClient(transport=StreamTransport()) as client:
                for _ in range(3):
                    response = await client.head(srv.url)
                    assert (response.status_code, response.content) == (200, b"")
            assert srv.connections == 1

    asyncio.run(go())


def test_bytes_beyond_the_declared_length_are_never_the_next_answer() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        if conn == 1:  # five bytes declared, a whole second answer sent after them
            writer.write(answer(b"first") + answer(b"WRONG"))
        else:
            writer.write(answer(f"c{conn}".encode()))
        return True

    async def go() -> None:
        async with ScriptedServer(script) as srv:
            assert await get_all(srv.url, 2) == ["first", "c2"]
            assert srv.connections == 2

    asyncio.run(go())


def test_bytes_sent_on_an_idle_connection_are_never_the_next_answer() -> None:
    async def late(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)
        writer.write(answer(b"WRONG"))

    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(f"c{conn}".encode()))
        if conn == 1:
            background.add(asyncio.create_task(late(writer)))
        return True

    background: set[asyncio.Task[None]] = set()

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(transport=StreamTransport()) as client,
        ):
            first = (await client.get(srv.url)).text
            await asyncio.sleep(0.2)  # the unasked-for answer arrives meanwhile
            second = (await client.get(srv.url)).text
            assert (first, second, srv.connections) == ("c1", "c2", 2)

    asyncio.run(go())


def test_body_left_unread_closes_its_connection() -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer(b"x" * 300_000))) as srv:
            async with httpx.AsyncClient(transport=StreamTransport()) as client:
                async with client.stream("GET", srv.url) as response:
                    assert response.status_code == 200  # body never read
                assert len((await client.get(srv.url)).content) == 300_000
                assert len((await client.get(srv.url)).content) == 300_000
            assert srv.connections == 2

    asyncio.run(go())


def test_truncated_body_is_a_protocol_error() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        return False

    async def go() -> None:
        async with ScriptedServer(script) as srv:
            with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
                await get_all(srv.url, 1)

    asyncio.run(go())


def test_malformed_status_line_is_a_protocol_error() -> None:
    async def go() -> None:
        async with ScriptedServer(always(b"HTTP/1.1 two hundred\r\n\r\n")) as srv:
            with pytest.raises(httpx.RemoteProtocolError):
                await get_all(srv.url, 1)

    asyncio.run(go())


def test_silent_server_hits_the_read_timeout() -> None:
    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(2)
        return False

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(
                transport=StreamTransport(), timeout=httpx.Timeout(5, read=0.2)
            ) as client,
        ):
            with pytest.raises(httpx.ReadTimeout):
                await client.get(srv.url)

    asyncio.run(go())


def test_idle_connections_expire() -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer())) as srv:
            async with httpx.AsyncClient(
                transport=StreamTransport(keepalive_expiry=0.05)
            ) as client:
                await client.get(srv.url)
                await asyncio.sleep(0.1)
                await client.get(srv.url)
            assert srv.connections == 2

    asyncio.run(go())


def test_idle_connections_are_capped() -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer())) as srv:
            async with httpx.AsyncClient(transport=StreamTransport(max_idle=2)) as client:
                await asyncio.gather(*(client.get(srv.url) for _ in range(5)))
                await asyncio.gather(*(client.get(srv.url) for _ in range(5)))
            assert srv.connections == 5 + 3  # two kept, three made again

    asyncio.run(go())


@pytest.mark.parametrize(
    "url, message",
    [
        pytest.param("ftp://127.0.0.1/x", "unsupported protocol", id="ftp"),
        pytest.param("127.0.0.1/x", "missing an 'http://'", id="no-scheme"),
    ],
)
def test_unsupported_urls(url: str, message: str) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=StreamTransport()) as client:
            with pytest.raises(httpx.UnsupportedProtocol, match=message):
                await client.get(url)

    asyncio.run(go())


def test_refused_connection_is_a_connect_error() -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer())) as srv:
            url = srv.url
        async with httpx.AsyncClient(transport=StreamTransport()) as client:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.get(url)
        assert isinstance(caught.value.__cause__, ConnectionRefusedError)

    asyncio.run(go())


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_tls_with_a_trusted_certificate(tls_ca: trustme.CA) -> None:
    client_context = ssl.create_default_context()
    tls_ca.configure_trust(client_context)

    async def go() -> None:
        async with ScriptedServer(always(answer(b"over tls")), tls=server_tls(tls_ca)) as srv:
            assert srv.url.startswith("https://")
            transport = StreamTransport(ssl_context=client_context)
            assert await get_all(srv.url, 3, transport) == ["over tls"] * 3
            assert srv.connections == 1

    asyncio.run(go())


def test_tls_with_an_untrusted_certificate_is_refused(tls_ca: trustme.CA) -> None:
    async def go() -> None:
        async with ScriptedServer(always(answer()), tls=server_tls(tls_ca)) as srv:
            with pytest.raises(httpx.ConnectError) as caught:
                await get_all(srv.url, 1)  # httpx's default trust store
            assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
            assert srv.heads == []

    asyncio.run(go())


# ---------------------------------------------------------------- any answer at all

STATUS_LINES = [
    b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 304 Not Modified", b"HTTP/1.1 204 ",
    b"HTTP/1.1 100 Continue", b"HTTP/1.1 200", b"HTTP/2 200", b"HTTP/1.1 99 Low",
    b"HTTP/1.1 2000 High", b"ICY 200 OK", b"", b"<html>",
]  # fmt: skip
HEADER_LINES = [
    b"Content-Length: 5", b"Content-Length: 0", b"Content-Length: -1", b"Content-Length: 5, 6",
    b"Content-Length: 99999", b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip",
    b"Content-Encoding: gzip", b"Connection: close", b"Connection: keep-alive",
    b"Content-Type: text/html", b"X-Null: a\x00b", b"no colon here", b" folded continuation",
    b"Set-Cookie: a=1; Path=/", b"Location: /elsewhere",
]  # fmt: skip
answers = st.builds(
    lambda status, headers, blank, body: (
        status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + blank + body
    ),
    st.sampled_from(STATUS_LINES),
    st.lists(st.sampled_from(HEADER_LINES) | st.binary(max_size=30), max_size=5),
    st.sampled_from([b"\r\n", b"\n", b""]),
    st.sampled_from([b"hello", b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n", b""])
    | st.binary(max_size=60),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(answers)
def test_any_answer_is_a_response_or_an_httpx_error(answer_bytes: bytes) -> None:
    """Whatever a server sends (then closing), the caller gets a response or an
    httpx error, never another exception and never a hang, and the transport
    still serves the next request."""

    async def script(conn: int, index: int, head: bytes, writer: asyncio.StreamWriter) -> bool:
        if conn == 1:
            writer.write(answer_bytes)
            return False
        writer.write(answer(b"next"))
        return True

    async def go() -> None:
        async with (
            ScriptedServer(script) as srv,
            httpx.AsyncClient(transport=StreamTransport(), timeout=2) as client,
        ):
            with contextlib.suppress(httpx.HTTPError):
                response = await client.get(srv.url)
                if answer_bytes.startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"):
                    assert response.content == b"hello"
            assert (await client.get(srv.url)).text == "next"

    asyncio.run(asyncio.wait_for(go(), 10))
