"""Server faults, end to end: outages, broken and hostile answers never become a version,
a change or an email, and the real change that follows is recorded and alerted once.

All the faults run side by side, one source each, in one store: ``watcher check``
records version 1 of every source; then every server misbehaves in its own way
for one ``watcher check``; then every source serves version 2 and one more
``watcher check`` must find exactly one real change per source. Each fault is a
test case that asserts its own source's outcome, history and emails; the store
as a whole is checked by every case.

Oversized answers (a 50 MB page, a gzip bomb, an endless stream) have their own
tests, one process each, that also measure the peak memory of the process.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    RECIPIENTS,
    FaultySmtp,
    LoopbackServer,
    Reply,
    RestartableServer,
    Run,
    Workspace,
    inject,
    policy_html,
)

FETCH = (
    "{timeout: 1.5s, retries: 2, backoff: 0.05s, max_retry_after: 30s, "
    "concurrency: 64, per_host: 64, confirm_after: 0s}"
)
ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>The lending desk software tripped over itself. "
    "Please come back in a few minutes.</p></body></html>"
)
CHALLENGE_PAGE = (
    "<html><head><title>Just a moment...</title></head><body><h1>Checking your browser "
    "before you reach the reading room</h1><p>Please enable JavaScript and cookies to "
    "continue. This security check keeps robots away from the catalogue.</p></body></html>"
)
LOGIN_PAGE = (
    "<html><head><title>Members area</title></head><body><h1>Please sign in</h1>"
    "<p>Please log in to continue to the members area.</p><form><label>Card number "
    "<input name='card'></label><button>Sign in</button></form></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """One way for a server to misbehave during the second check.

    ``install(server, path, page)`` sets the misbehaviour up for ``page`` (version 1);
    the check must then end in ``status`` with ``reason`` in its reason; ``attempts``
    is the number of HTTP attempts expected, ``waited`` the least number of seconds
    between the first and the last attempt.
    """

    name: str
    install: Callable[[LoopbackServer, str, str], None]
    status: str
    reason: str | None = None
    attempts: int | None = None
    waited: float = 0.0
    kinds: tuple[str, ...] = field(default=())


def serve(*replies: Callable[[str], Reply]) -> Callable[[LoopbackServer, str, str], None]:
    """An install function serving ``replies`` (built from version 1) in turn."""

    def install(server: LoopbackServer, path: str, page: str) -> None:
        server.set(path, *(make(page) for make in replies))

    return install


def cp1252(page: str) -> bytes:
    return page.replace("<meta charset='utf-8'>", "").encode("cp1252")


def nested(page: str) -> str:
    return "<html><body>" + "<div>" * 100_000 + page + "</div>" * 100_000 + "</body></html>"


def one_line(page: str) -> str:
    return "<html><body><p>" + "borrowed " * 1_100_000 + "</p></body></html>"


def redirect_loop(server: LoopbackServer, path: str, page: str) -> None:
    server.set(path, Reply(status=302, headers={"Location": path + "/b"}))
    server.set(path + "/b", Reply(status=302, headers={"Location": path}))


FAULTS = [
    Fault("connection-refused", lambda s, p, page: None, "failed", "connection refused", 3),
    Fault(
        "reset-mid-body",
        serve(lambda page: Reply(body=page, reset_after=len(page) // 3)),
        "failed",
        "connection",
        3,
    ),
    Fault("timeout", serve(lambda page: Reply(body=page, delay=4)), "failed", "timeout", 3),
    Fault(
        "drip-one-byte-a-second",
        serve(lambda page: Reply(body=page, drip=1.0)),
        "failed",
        "timeout",
        3,
    ),
    Fault("5xx-storm", serve(lambda page: Reply(status=503, body="busy")), "failed", "HTTP 503", 3),
    Fault(
        "5xx-storm-then-recovery",
        serve(
            lambda page: Reply(status=500, body="oops"),
            lambda page: Reply(status=502, body="bad gateway"),
            lambda page: Reply(body=page),
        ),
        "unchanged",
        None,
        3,
    ),
    Fault(
        "429-retry-after",
        serve(
            lambda page: Reply(status=429, body="slow down", headers={"Retry-After": "1"}),
            lambda page: Reply(body=page),
        ),
        "unchanged",
        None,
        2,
        waited=1.0,
    ),
    Fault(
        "429-retry-after-too-long",
        serve(lambda page: Reply(status=429, body="later", headers={"Retry-After": "3600"})),
        "failed",
        "more than the 30s limit",
        1,
    ),
    Fault("redirect-loop", redirect_loop, "failed", "redirect loop", 1),
    Fault(
        "200-error-page",
        serve(lambda page: Reply(body=ERROR_PAGE)),
        "rejected",
        "error or challenge page",
        1,
    ),
    Fault(
        "200-challenge-page",
        serve(lambda page: Reply(body=CHALLENGE_PAGE)),
        "rejected",
        "error or challenge page",
        1,
    ),
    Fault(
        "200-login-page",
        serve(lambda page: Reply(body=LOGIN_PAGE)),
        "rejected",
        "error or challenge page",
        1,
    ),
    Fault(
        "truncated-to-a-tenth",
        serve(lambda page: Reply(body=page.encode("utf-8")[: len(page.encode("utf-8")) // 10])),
        "rejected",
        "text shrank",
        1,
    ),
    Fault(
        "charset-header-lies",
        serve(lambda page: Reply(body=page, content_type="text/html; charset=iso-8859-1")),
        "unchanged",
    ),
    Fault(
        "charset-missing",
        serve(
            lambda page: Reply(
                body=page.replace("<meta charset='utf-8'>", ""), content_type="text/html"
            )
        ),
        "unchanged",
    ),
    Fault(
        "charset-missing-windows-1252",
        serve(lambda page: Reply(body=cp1252(page), content_type="text/html")),
        "unchanged",
    ),
    Fault(
        "charset-declared-utf8-but-windows-1252",
        serve(
            lambda page: Reply(
                body=cp1252(page).replace(b"<head>", b"<head><meta charset='utf-8'>"),
                content_type="text/html; charset=utf-8",
            )
        ),
        "unchanged",
    ),
    Fault(
        "html-served-as-text-plain",
        serve(lambda page: Reply(body=page, content_type="text/plain")),
        "unchanged",
    ),
    Fault(
        "html-served-as-octet-stream",
        serve(lambda page: Reply(body=page, content_type="application/octet-stream")),
        "unchanged",
    ),
    Fault(
        "html-without-content-type",
        serve(lambda page: Reply(body=page, content_type=None)),
        "unchanged",
    ),
    Fault(
        "nested-100000-levels",
        serve(lambda page: Reply(body=nested(page))),
        "rejected",
        "nested too deeply",
        1,
    ),
    Fault(
        "one-10mb-line",
        serve(lambda page: Reply(body=one_line(page))),
        "rejected",
        "a single paragraph of",
        1,
    ),
    Fault(
        "control-character-after-a-hidden-element",
        serve(
            lambda page: Reply(
                body=page.replace("</p>", "<span hidden>note</span>\x1f</p>", 3).encode()
            )
        ),
        "unchanged",
    ),
    Fault(
        "gzip-garbage",
        serve(
            lambda page: Reply(
                body=b"\x1f\x8b" + b"garbage" * 50, headers={"Content-Encoding": "gzip"}
            )
        ),
        "failed",
        "could not decode",
        1,
    ),
]


@dataclass
class Scenario:
    """The three checks, run once for all the faults."""

    ws: Workspace
    refused: RestartableServer
    pages: dict[str, tuple[str, str]]
    runs: list[Run]
    outcomes: list[dict[str, dict[str, Any]]]


def source_id(fault: Fault) -> str:
    return fault.name.lower()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with RestartableServer() as server, RestartableServer() as refused, FaultySmtp() as smtp:
        ws = Workspace(tmp_path_factory.mktemp("server-faults"), server, smtp)
        pages: dict[str, tuple[str, str]] = {}
        where: dict[str, str] = {}
        for number, fault in enumerate(FAULTS):
            sid = source_id(fault)
            name = f"Club {number} of the {fault.name} street"
            pages[sid] = (policy_html(name, 1, rooms=12), policy_html(name, 2, rooms=12))
            host = refused if fault.name == "connection-refused" else server
            where[sid] = host.url(f"/{sid}")
            host.page(f"/{sid}", pages[sid][0])
        ws.configure(where, fetch=FETCH)
        runs: list[Run] = []
        outcomes: list[dict[str, dict[str, Any]]] = []

        def check() -> None:
            run = ws.run("check", "--json", timeout=120)
            runs.append(run)
            outcomes.append(run.by_source())

        check()
        refused.down()
        for fault in FAULTS:
            fault.install(server, f"/{source_id(fault)}", pages[source_id(fault)][0])
            inject(f"server:{fault.name}")
        check()
        refused.up()
        for fault in FAULTS:
            host = refused if fault.name == "connection-refused" else server
            host.page(f"/{source_id(fault)}", pages[source_id(fault)][1])
        check()
        yield Scenario(ws, refused, pages, runs, outcomes)


def test_the_three_checks_ran_cleanly(scenario: Scenario) -> None:
    first, faulty, recovered = scenario.runs
    assert first.code == 0 and recovered.code == 0, (str(first), str(recovered))
    assert faulty.code == 1, str(faulty)
    for run in scenario.runs:
        assert "Traceback" not in run.err, str(run)
    assert {row["status"] for row in scenario.outcomes[0].values()} == {"first"}
    assert {row["status"] for row in scenario.outcomes[2].values()} == {"changed"}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_server_fault(scenario: Scenario, fault: Fault) -> None:
    sid = source_id(fault)
    ws = scenario.ws
    during = scenario.outcomes[1][sid]
    assert during["status"] == fault.status, during
    if fault.reason is not None:
        assert fault.reason in (during["reason"] or ""), during
    if fault.status in ("failed", "rejected"):
        assert during["version"] is None or fault.status == "rejected"
    rows = ws.query(
        "SELECT outcome, http_status, started_at, error FROM fetches WHERE source_id = ? "
        "ORDER BY id",
        [sid],
    )
    assert [r["outcome"] for r in rows if r["outcome"] != "retry"] == [
        "first",
        fault.status,
        "changed",
    ], rows
    first = next(k for k, r in enumerate(rows) if r["outcome"] == "first")
    end = next(k for k, r in enumerate(rows) if k > first and r["outcome"] != "retry")
    attempts = rows[first + 1 : end + 1]
    if fault.attempts is not None:
        assert len(attempts) == fault.attempts, attempts
    if fault.waited:
        began = datetime.fromisoformat(attempts[0]["started_at"])
        ended = datetime.fromisoformat(attempts[-1]["started_at"])
        assert (ended - began).total_seconds() >= fault.waited, attempts

    after = scenario.outcomes[2][sid]
    assert after["status"] == "changed", after
    sound = ws.sound({sid: scenario.pages[sid]})
    change_id = sound.changes[sid][0]["id"]
    rows = [r for r in sound.outbox if r["source_id"] == sid]
    assert sorted(r["recipient"] for r in rows) == sorted(RECIPIENTS)
    assert all(r["kind"] == "change" and r["change_id"] == change_id for r in rows), rows
    assert all(sound.received[r["message_id"]] == 1 for r in rows), "each alert arrives once"
    reports = list((ws.reports_dir / sid).glob("*.html"))
    assert [p.name for p in reports] == [Path(sound.changes[sid][0]["report_path"]).name]


def test_no_email_but_the_real_changes(scenario: Scenario) -> None:
    sound = scenario.ws.sound()
    assert len(sound.received) == len(FAULTS) * len(RECIPIENTS)
    assert sound.states() == {"sent": len(FAULTS) * len(RECIPIENTS)}
    assert {r["kind"] for r in sound.outbox} == {"change"}, "a single failure is no incident"


# ---------------------------------------------------------------- oversized answers

MAX_BYTES = 10 * 1024 * 1024  # the default settings.fetch.max_bytes
MEMORY_SLACK_KB = 2 * MAX_BYTES // 1024 + 16 * 1024
"""A failed oversized fetch may hold up to the cap (twice, while joining) and some
buffers: peak memory above a normal check's stays under this."""


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes (a multiple of 1 MiB) as one gzip member of about a thousandth
    of the size: one compressed megabyte repeated (each ends with a full flush, so the
    copies do not depend on each other), with a correct CRC and length."""
    block = bytes(1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    count = size // len(block)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + first + again * (count - 1) + packer.flush() + trailer


OVERSIZED = {
    "page-50mb": lambda: Reply(body=b"<p>" + b"a" * (50 * 1024 * 1024) + b"</p>"),
    "gzip-bomb-1gb": lambda: Reply(
        body=gzip_bomb(1024 * 1024 * 1024), headers={"Content-Encoding": "gzip"}
    ),
    "endless-chunked-stream": lambda: Reply(endless=True),
}


@pytest.mark.parametrize("name", list(OVERSIZED))
def test_oversized_answer_stops_at_the_cap_with_flat_memory(ws: Workspace, name: str) -> None:
    page = policy_html("Oversize Row", 1)
    ws.server.page("/p", page)
    ws.configure({"big": "/p"}, fetch="{timeout: 20s, retries: 0}")
    normal = ws.run("check", "--json", measure=True)
    assert normal.by_source()["big"]["status"] == "first", str(normal)
    ws.server.set("/p", OVERSIZED[name]())
    inject(f"server:{name}")
    huge = ws.run("check", "--json", measure=True)
    row = huge.by_source()["big"]
    assert huge.code == 1 and row["status"] == "failed", str(huge)
    assert row["reason"] == f"body larger than {MAX_BYTES} bytes"
    assert 0 < huge.peak_kb < normal.peak_kb + MEMORY_SLACK_KB, (
        f"peak memory {huge.peak_kb} kB, {normal.peak_kb} kB for a normal check"
    )
    fetched = ws.query("SELECT bytes FROM fetches WHERE outcome = 'failed'")
    assert MAX_BYTES < fetched[0]["bytes"] <= MAX_BYTES + 1024 * 1024
    ws.sound({"big": [page]})


def test_gzip_bomb_is_what_it_claims() -> None:
    """The bomb of the test above really inflates far past the cap."""
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 256 * 1024
    assert len(gzip.decompress(bomb)) == 64 * 1024 * 1024
