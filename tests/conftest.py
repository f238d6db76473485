"""Shared fixtures: a scriptable loopback HTTP server, a loopback SMTP server, data
directories, the CLI."""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import pytest
import trustme

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"

# A shell without job control starts a background job (``pytest &``) with Ctrl-C
# ignored, and every process it starts inherits that: the watcher processes under test
# would then ignore the SIGINT that the tests send them. A handler, unlike "ignored",
# goes back to the default in a program that a test starts.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass
class Reply:
    """One scripted HTTP response.

    ``delay`` waits before answering; ``drip`` sends the body one byte per
    ``drip`` seconds; ``reset_after`` closes the connection abruptly after that
    many body bytes; ``endless`` streams chunks forever (chunked encoding).
    """

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    drip: float = 0.0
    reset_after: int | None = None
    endless: bool = False

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[[dict[str, str]], Reply]


class CountedPage:
    """A policy page with a read counter inside the policy: every request, ours
    included, makes it go up, as page-view and vote counters do."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reads = 1200

    def __call__(self, headers: dict[str, str]) -> Reply:
        self.reads += 1
        counter = f"<p>This notice has been read {self.reads:,} times.</p><h2>1. Who we are</h2>"
        page = (
            (FIXTURES / "pages" / self.name).read_text().replace("<h2>1. Who we are</h2>", counter)
        )
        return Reply(body=page)


class Listener(ThreadingHTTPServer):
    """A threading HTTP server whose listen backlog takes many connections at once
    (the standard library's 5 would make concurrent fetches wait for SYN retries)."""

    daemon_threads = True
    request_queue_size = 256


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 whose pages tests script and change.

    ``set(path, r1, r2, ...)`` makes successive requests to ``path`` get
    ``r1``, ``r2``, ... (the last one repeats); ``set(path, handler)`` calls
    ``handler(request_headers)`` for each request. Every request is logged in
    ``requests`` as ``(path, headers)``.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._listen(0)

    def _listen(self, port: int) -> None:
        self.httpd = Listener(("127.0.0.1", port), self._handler_class())
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, *replies: Reply | Handler) -> None:
        with self.lock:
            if len(replies) == 1 and callable(replies[0]):
                self.routes[path] = replies[0]
            else:
                self.routes[path] = [r for r in replies if isinstance(r, Reply)]

    def page(self, path: str, html: str, **kwargs: object) -> None:
        """Serve ``html`` at ``path`` from now on."""
        self.set(path, Reply(body=html, **kwargs))  # type: ignore[arg-type]

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.requests.append((path, headers))
            route = self.routes.get(path)
            if route is None:
                return Reply(status=404, body="<h1>Not found</h1>")
            if callable(route):
                handler = route
            else:
                return route.pop(0) if len(route) > 1 else route[0]
        return handler(headers)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                reply = server.next_reply(
                    self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                if reply.delay:
                    time.sleep(reply.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                body = reply.payload()
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.endless:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65536 + b"</p>"
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if reply.reset_after is not None:
                    self.wfile.write(body[: reply.reset_after])
                    self.wfile.flush()
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.connection.close()
                    self.rfile.close()
                    self.close_connection = True
                    return
                if reply.drip:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                    return
                self.wfile.write(body)

        return _Handler

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A fresh loopback HTTP server for one test."""
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    """A throwaway certificate authority for loopback TLS servers (``ca.issue_cert``)."""
    return trustme.CA()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory outside the repository."""
    path = tmp_path / "snapshots"
    path.mkdir()
    return path


@pytest.fixture
def fixture_text() -> Callable[[str], str]:
    """Read a fixture file written for this project."""

    def read(name: str) -> str:
        return (FIXTURES / name).read_text(encoding="utf-8")

    return read


def make_pdf(pages: list[list[str]], file_id: str = "0" * 32) -> bytes:
    """A real PDF (Helvetica, WinAnsi) showing each page's lines top to bottom, as a
    word processor exports a policy; ``file_id`` is the file identifier that PDF
    writers draw anew on every export."""
    fonts = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", fonts]
    kids = []
    for lines in pages:
        escaped = (
            line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines
        )
        text = "BT /F1 11 Tf 14 TL 72 740 Td\n" + "".join(f"({line}) Tj T*\n" for line in escaped)
        stream = (text + "ET").encode("cp1252")
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects) + 2)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects[1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R /ID [<{file_id}> <{file_id}>] >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def seed_paths() -> list[Path]:
    """The seed policies from ../shared/seeds (empty when absent)."""
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


needs_seeds = pytest.mark.skipif(not seed_paths(), reason="../shared/seeds is not present")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    input: str | None = None,
) -> CliResult:
    """Run ``python -m watcher ARGS`` as a real subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", "PYTHONUTF8": "1", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the CLI in a temporary working directory."""

    def call(*args: str, **kwargs: object) -> CliResult:
        kwargs.setdefault("cwd", tmp_path)
        return run_cli(*args, **kwargs)  # type: ignore[arg-type]

    return call


# ---------------------------------------------------------------- a real SMTP server


@dataclass
class ReceivedMail:
    """One message the loopback SMTP server accepted."""

    sender: str
    recipients: list[str]
    data: bytes

    def parsed(self) -> email.message.EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return message


class LoopbackSmtp:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that tests stop and start again.

    The port stays the same across ``stop()``/``start()``, so a client configured
    with it sees "connection refused" while the server is down. ``on_data`` (if
    set) is called with each accepted message before the server answers, and may
    return a reply such as ``"451 try later"`` instead of accepting it (a refused
    message is not kept). ``credentials`` = (user, password) requires AUTH.
    """

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        self.on_data: Callable[[ReceivedMail], str | None] | None = None
        self.credentials: tuple[str, str] | None = None
        self.controller: object | None = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        owner = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                mail = ReceivedMail(
                    envelope.mail_from,  # type: ignore[attr-defined]
                    list(envelope.rcpt_tos),  # type: ignore[attr-defined]
                    envelope.original_content,  # type: ignore[attr-defined]
                )
                reply = owner.on_data(mail) if owner.on_data else None
                if reply and not reply.startswith("250"):
                    return reply
                with owner.lock:
                    owner.messages.append(mail)
                return "250 Message accepted for delivery"

        def authenticate(
            server: object, session: object, envelope: object, mechanism: str, data: object
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and self.credentials is not None
                and (data.login.decode(), data.password.decode()) == self.credentials
            )
            return AuthResult(success=ok, handled=False)

        kwargs: dict[str, object] = {}
        if self.credentials is not None:
            kwargs = {"authenticator": authenticate, "auth_require_tls": False}
        controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        controller.start()
        self.controller = controller

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]
            self.controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """The messages received, once there are at least ``count`` (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def smtp_yaml(self, sender: str = "watcher@example.org") -> str:
        """The ``settings.smtp`` block (flow style) that points at this server."""
        return f"{{host: 127.0.0.1, port: {self.port}, sender: {sender}, timeout: 5s}}"


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtp]:
    """A running loopback SMTP server for one test (stopped afterwards)."""
    with LoopbackSmtp() as srv:
        yield srv
