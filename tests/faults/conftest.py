"""The fault suite's shared machinery.

Every test here drives the real ``watcher`` command (``check``, ``import``,
``run``, ``digest``...) as a subprocess against loopback HTTP and SMTP
servers, injects a fault, and then proves with :func:`assert_store_sound`
that nothing was lost, duplicated or made up:

* the store passes :meth:`Store.integrity_problems` (``PRAGMA integrity_check``,
  foreign keys, each version's hash against its text, changes pointing at
  existing versions, raw captures present);
* each source's versions are exactly the expected texts, in order, with no two
  neighbours alike, each made by exactly one accepted capture;
* changes link neighbouring versions only, and never two equal texts;
* every change has its report on disk, whole, or can have one written;
* every change that alerts has exactly one outbox row per recipient;
* the SMTP server received no Message-ID twice, and every email marked sent
  exactly once.

The policy pages are written here (:func:`policy_html`), in our own words.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, settings

from watcher.analysis import analyse
from watcher.config import load
from watcher.model import Capture
from watcher.normalise import Rules
from watcher.publish import diff_versions
from watcher.store import Store

from ..conftest import LoopbackServer, LoopbackSmtp, ReceivedMail, Reply

__all__ = [
    "RECIPIENTS",
    "FaultySmtp",
    "LoopbackServer",
    "LoopbackSmtp",
    "ReceivedMail",
    "Reply",
    "Run",
    "Soundness",
    "Workspace",
    "assert_nothing_written",
    "assert_one_line_error",
    "assert_store_sound",
    "canonical_text",
    "fuzz",
    "inject",
    "policy_html",
    "run_all",
    "tree_snapshot",
    "watcher",
]

RECIPIENTS = ("privacy-team@example.org", "counsel@example.org")
SENDER = "watcher@example.org"

# ---------------------------------------------------------------- hypothesis

settings.register_profile(
    "faults-ci",
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "faults-deep",
    max_examples=2000,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
fuzz = settings(settings.get_profile(os.environ.get("FAULTS_FUZZ_PROFILE", "faults-ci")))
"""Decorator for the fuzz tests: reproducible in CI (``derandomize``), or
``FAULTS_FUZZ_PROFILE=faults-deep`` for a long random run. Other test modules
keep their own Hypothesis settings."""

# ---------------------------------------------------------------- counting what we do

FAULTS: Counter[str] = Counter()
RUNS: Counter[str] = Counter()


def inject(kind: str, count: int = 1) -> None:
    """Count a fault injected (shown in the summary at the end of the run)."""
    FAULTS[kind] += count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line with what the fault suite did: faults injected and watcher processes run."""
    if not FAULTS and not RUNS:
        return
    groups: Counter[str] = Counter()
    for kind, n in FAULTS.items():
        groups[kind.split(":")[0]] += n
    faults = ", ".join(f"{group} {n}" for group, n in sorted(groups.items()))
    runs = ", ".join(f"{cmd} {n}" for cmd, n in sorted(RUNS.items()))
    terminalreporter.write_sep("-", "fault suite")
    terminalreporter.write_line(f"faults injected: {sum(FAULTS.values())} ({faults})")
    terminalreporter.write_line(f"watcher processes: {sum(RUNS.values())} ({runs})")


# ---------------------------------------------------------------- policy pages (our own words)

_PREAMBLE = (
    "{name} lends books, board games and tools to the members of neighbourhood clubs. "
    "This notice explains what we learn about you when you borrow from us, why we need it, "
    "who else sees it and how long we keep it. Our café–style reading rooms are run by "
    "volunteers who follow the same rules."
)
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Who runs {name}",
        (
            "{name} is a members’ co-operative. The committee elected each spring decides "
            "how member records are handled and answers for those decisions.",
            "You can reach the committee by letter or at any reading room during opening "
            "hours; a volunteer will pass your note on within a week.",
        ),
    ),
    (
        "What we record",
        (
            "When you join we note your name, a postal address where overdue reminders can "
            "reach you, and a telephone number if you choose to give one.",
            "Each loan adds the title, the branch, the day it went out and the day it came "
            "back. Damage reports and late returns are noted beside the loan.",
            "We do not ask for your date of birth, your occupation or anything about your "
            "household beyond the address.",
        ),
    ),
    (
        "Why we keep these records",
        (
            "Loan records let us chase items that have not come back and tell you when a "
            "reservation is ready for collection.",
            "Totals without names help the committee decide which titles to buy next and "
            "which branches need longer opening hours.",
        ),
    ),
    (
        "Who else sees them",
        (
            "Volunteers at the desk see the record of the member standing in front of them "
            "and nothing else.",
            "Our bookkeeper sees membership payments once a year when the accounts are checked.",
        ),
    ),
    (
        "How long we keep them",
        (
            "A loan record is kept for two years after the item comes back, then only the "
            "title and the branch remain.",
            "When you leave the co-operative your contact details are removed at the next "
            "monthly tidy-up, unless an item is still out in your name.",
        ),
    ),
    (
        "Your choices",
        (
            "You may ask for a copy of everything we hold about you, ask us to correct it, "
            "or ask us to remove it once your loans are settled.",
            "You may also object to reminders by telephone; we will then write instead.",
        ),
    ),
)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ROOM = (
    "Reading room {n}",
    (
        "Reading room {n} opens on {day}s. The volunteers there keep a paper sign-in sheet "
        "for visitors who are not members, and shred it at the end of each month.",
        "Items borrowed at room {n} may go back to any other room; the loan record follows "
        "the item, not the room, and the room keeps no copy of its own.",
    ),
)


def policy_html(
    name: str,
    version: int = 1,
    *,
    rooms: int = 0,
    meta_charset: bool = True,
    extra_sections: Sequence[tuple[str, Sequence[str]]] = (),
    chrome: str = "",
) -> str:
    """A policy page for the club ``name``; each version after the first adds a sentence
    about sharing with partners (a substantive change), so no two versions have the
    same text and no version ever comes back. ``rooms`` adds that many sections (about
    70 words each) to make the page longer."""
    parts = [
        "<!DOCTYPE html>\n<html lang='en'><head>",
        "<meta charset='utf-8'>" if meta_charset else "",
        f"<title>{name} – members’ privacy notice</title>",
        "<style>main { max-width: 40em }</style></head><body>",
        "<header><nav><a href='/'>Home</a> <a href='/join'>Join</a> <a href='/help'>Help</a>"
        "</nav></header>",
        chrome,
        f"<main><h1>{name} privacy notice</h1>",
        f"<p>{_PREAMBLE.format(name=name)}</p>",
    ]
    sections = [(t.format(name=name), [p.format(name=name) for p in ps]) for t, ps in _SECTIONS]
    sharing = sections[3][1]
    for revision in range(2, version + 1):
        sharing.append(
            f"Starting with revision {revision} of this notice we also give partner bookshops "
            f"the reading lists of members in club number {revision * 7}, so that they can "
            "put titles aside; you can opt out at the desk."
        )
    for n in range(1, rooms + 1):
        day = _DAYS[n % 7]
        sections.append((_ROOM[0].format(n=n), [p.format(n=n, day=day) for p in _ROOM[1]]))
    sections.extend((title, list(body)) for title, body in extra_sections)
    for number, (title, body) in enumerate(sections, start=1):
        parts.append(f"<h2>{number}. {title}</h2>")
        parts.extend(f"<p>{paragraph}</p>" for paragraph in body)
    parts.append("</main><footer><p>Printed by volunteers. <a href='/terms'>Terms</a></p>")
    parts.append("</footer></body></html>\n")
    return "\n".join(part for part in parts if part)


def canonical_text(page: str | bytes, content_type: str = "text/html; charset=utf-8") -> str:
    """The canonical text watcher should store for ``page``."""
    body = page.encode("utf-8") if isinstance(page, str) else page
    capture = Capture(body=body, captured_at=datetime.now(UTC), content_type=content_type)
    return analyse(capture, Rules(), "expected page").text


# ---------------------------------------------------------------- running watcher


@dataclass
class Run:
    """One finished ``watcher`` process."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float
    peak_kb: int = 0
    """The process's peak resident memory (``VmHWM``), when it was measured."""

    def json_lines(self) -> list[dict[str, Any]]:
        """stdout as JSON lines."""
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def by_source(self) -> dict[str, dict[str, Any]]:
        """``check --json`` output keyed by source id."""
        return {row["source"]: row for row in self.json_lines()}

    def __str__(self) -> str:
        command = " ".join(self.args)
        return f"watcher {command} -> {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"


Preexec = Callable[[], None]

MEASURED = """\
import atexit, os, runpy, sys

def peak():
    with open("/proc/self/status", encoding="ascii") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["FAULTS_PEAK_FILE"], "w", encoding="ascii") as out:
        out.write(kb)

atexit.register(peak)
sys.argv[0] = "watcher"
runpy.run_module("watcher", run_name="__main__", alter_sys=True)
"""
"""Runs ``watcher`` and writes its own peak memory at exit (the kernel's ``ru_maxrss`` of
a child would include the test process's pages, shared at ``fork``)."""


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "PYTHONUTF8": "1", **(extra or {})}


class Proc:
    """A ``watcher`` process started in the background (to be killed or waited for).

    It runs in a session of its own, so that what it starts (worker processes) can be
    found and, after the test, ended; its output is read through pipes (a file-size
    limit on the process must not swallow its error message). With ``measure`` the
    process reports its own peak memory.
    """

    def __init__(
        self,
        args: Sequence[str],
        cwd: Path,
        env: Mapping[str, str] | None = None,
        preexec: Preexec | None = None,
        measure: bool = False,
        command: Sequence[str] | None = None,
    ) -> None:
        self.args = tuple(args)
        self._peak = Path(tempfile.mkstemp(prefix="watcher-peak-")[1]) if measure else None
        env = {**(env or {}), "FAULTS_PEAK_FILE": str(self._peak)} if self._peak else env
        RUNS[args[0] if command is None and args else "driver"] += 1
        if command is None:
            command = (
                [sys.executable, "-c", MEASURED] if measure else [sys.executable, "-m", "watcher"]
            )
        self.started = time.monotonic()
        self.popen = subprocess.Popen(
            [*command, *args],
            cwd=cwd,
            env=_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            preexec_fn=preexec,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        STARTED.append(self)
        self._streams: dict[str, list[bytes]] = {"out": [], "err": []}
        self._readers = [
            threading.Thread(target=self._drain, args=(pipe, self._streams[key]), daemon=True)
            for key, pipe in (("out", self.popen.stdout), ("err", self.popen.stderr))
        ]
        for reader in self._readers:
            reader.start()
        self.result: Run | None = None

    @staticmethod
    def _drain(pipe: Any, into: list[bytes]) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            into.append(chunk)
        pipe.close()

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Send ``signum`` to the process (not to its children), if it still runs."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def wait(self, timeout: float = 60) -> Run:
        """Wait for the end; kill the process and fail the test after ``timeout``."""
        if self.result is not None:
            return self.result
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.end_group()
            self.popen.wait()
            raise AssertionError(
                f"watcher {' '.join(self.args)} ran longer than {timeout}s"
            ) from None
        for reader in self._readers:
            # Workers left running by a killed process may hold the pipes open: what the
            # process wrote is read by now, so do not wait for an end of file.
            reader.join(timeout=2)
        peak = 0
        if self._peak is not None:
            peak = int(self._peak.read_text(encoding="ascii") or 0)
            self._peak.unlink()
        self.result = Run(
            self.args,
            code,
            b"".join(self._streams["out"]).decode("utf-8", "replace"),
            b"".join(self._streams["err"]).decode("utf-8", "replace"),
            time.monotonic() - self.started,
            peak,
        )
        return self.result

    def group(self) -> list[int]:
        """Live processes of this process's session (workers it left behind)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == self.pid and state != "Z":
                found.append(int(entry))
        return found

    def end_group(self) -> None:
        """SIGKILL everything left in this process's session."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


STARTED: list[Proc] = []


@pytest.fixture(autouse=True)
def _end_leftover_processes() -> Iterator[None]:
    """After each test, end what the test's watcher processes left running."""
    yield
    while STARTED:
        proc = STARTED.pop()
        proc.end_group()
        with contextlib.suppress(Exception):
            proc.wait(timeout=10)


def watcher(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    preexec: Preexec | None = None,
    measure: bool = False,
) -> Run:
    """Run ``python -m watcher ARGS`` to its end."""
    return Proc(args, cwd, env, preexec, measure).wait(timeout)


def run_all(
    jobs: Mapping[str, tuple[Sequence[str], Path]], width: int = 3, timeout: float = 120
) -> dict[str, Run]:
    """Run many independent ``watcher`` commands (``key -> (args, cwd)``), ``width`` at a
    time; their results by key."""
    from concurrent.futures import ThreadPoolExecutor

    def one(job: tuple[Sequence[str], Path]) -> Run:
        args, cwd = job
        return watcher(*args, cwd=cwd, timeout=timeout)

    with ThreadPoolExecutor(max_workers=width) as pool:
        return dict(zip(jobs, pool.map(one, jobs.values()), strict=True))


# ---------------------------------------------------------------- servers


class RestartableServer(LoopbackServer):
    """A loopback HTTP server that can be switched off (connection refused) and on again,
    on the same port."""

    def down(self) -> None:
        """Stop answering: connections are refused."""
        self.stop()

    def up(self) -> None:
        """Answer again on the same port."""
        self._listen(self.port)
        self.start()


DataAction = Literal["accept", "drop-kept", "drop-lost"]


class FaultySmtp(LoopbackSmtp):
    """The loopback SMTP server with more ways to misbehave.

    ``on_rcpt(address)`` may return a reply (``"550 ..."``, ``"450 ..."``) that refuses
    that recipient; ``on_message(mail)`` may return ``"drop-kept"`` (keep the message,
    then drop the connection before answering: the sender cannot know it arrived) or
    ``"drop-lost"`` (drop the connection and lose the message), or an SMTP reply that
    refuses it; ``delay`` slows every DATA answer down.
    """

    def __init__(self) -> None:
        super().__init__()
        self.on_rcpt: Callable[[str], str | None] | None = None
        self.on_message: Callable[[ReceivedMail], str | None] | None = None
        self.delay = 0.0
        self.dropped: list[ReceivedMail] = []

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        owner = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                reply = owner.on_rcpt(address) if owner.on_rcpt else None
                if reply:
                    return reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                import asyncio

                mail = ReceivedMail(
                    envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                )
                if owner.delay:
                    await asyncio.sleep(owner.delay)
                hook = owner.on_data(mail) if owner.on_data else None
                action = owner.on_message(mail) if owner.on_message else hook
                if action in ("drop-kept", "drop-lost"):
                    with owner.lock:
                        (owner.messages if action == "drop-kept" else owner.dropped).append(mail)
                    server.transport.abort()
                    return "250 too late: nobody is listening"
                if action and not action.startswith("250"):
                    return action
                with owner.lock:
                    owner.messages.append(mail)
                return "250 Message accepted for delivery"

        controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        controller.start()
        self.controller = controller

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID was received."""
        with self.lock:
            messages = list(self.messages)
        return Counter(str(m.parsed()["Message-ID"]).strip() for m in messages)


# ---------------------------------------------------------------- workspaces


@dataclass
class Workspace:
    """A directory with a sources.yaml, a store and reports, plus the servers a test uses."""

    root: Path
    server: LoopbackServer
    smtp: FaultySmtp
    config_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config_path = self.root / "sources.yaml"

    @property
    def data_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def scratch(self) -> Path:
        """The ``TMPDIR`` of the processes this workspace runs, beside its root: what a
        killed process leaves there goes with the test's files, not into ``/tmp``."""
        path = self.root.parent / f"{self.root.name}-tmp"
        path.mkdir(exist_ok=True)
        return path

    def configure(
        self,
        sources: Mapping[str, str],
        *,
        fetch: str = "{timeout: 2s, retries: 1, backoff: 0.05s, confirm_after: 0s}",
        smtp: bool = True,
        notify: Sequence[str] = RECIPIENTS,
        alerts: str | None = None,
        digest: str | None = None,
        names: Mapping[str, str] | None = None,
        interval: str = "1d",
    ) -> Path:
        """Write sources.yaml: ``sources`` maps ids to paths (or full URLs)."""
        lines = [
            f"defaults: {{interval: {interval}, notify: [{', '.join(notify)}]}}",
            "settings:",
            f"  fetch: {fetch}",
        ]
        if smtp:
            lines.append(f"  smtp: {self.smtp.smtp_yaml(SENDER)}")
        if alerts:
            lines.append(f"  alerts: {alerts}")
        if digest:
            lines.append(f"  digest: {digest}")
        lines.append("sources:")
        for sid, where in sources.items():
            url = where if "://" in where else self.server.url(where)
            name = (names or {}).get(sid, f"{sid.title()} members’ privacy notice")
            lines.append(f"  - id: {sid}\n    name: {json.dumps(name)}\n    url: '{url}'")
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.config_path

    def run(self, *args: str, timeout: float = 60, **kwargs: Any) -> Run:
        """``watcher ARGS`` in this workspace, to its end."""
        kwargs["env"] = {"TMPDIR": str(self.scratch), **kwargs.get("env", {})}
        return watcher(*args, cwd=self.root, timeout=timeout, **kwargs)

    def start(self, *args: str, **kwargs: Any) -> Proc:
        """``watcher ARGS`` in this workspace, in the background."""
        kwargs["env"] = {"TMPDIR": str(self.scratch), **kwargs.get("env", {})}
        return Proc(args, self.root, **kwargs)

    def check(self, *ids: str, expect: int | None = 0, timeout: float = 60) -> dict[str, Any]:
        """``watcher check --json``; outcomes by source (asserting the exit code)."""
        result = self.run("check", "--json", *ids, timeout=timeout)
        if expect is not None:
            assert result.code == expect, str(result)
        assert "Traceback" not in result.err, str(result)
        return result.by_source()

    @contextlib.contextmanager
    def store(self) -> Iterator[Store]:
        opened = Store.open(self.data_dir, create=False)
        try:
            yield opened
        finally:
            opened.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.store() as store:
            return list(store.db.query(sql, list(params)))

    def sound(
        self, expected: Mapping[str, Sequence[str]] | None = None, **kwargs: Any
    ) -> Soundness:
        """:func:`assert_store_sound` on this workspace."""
        return assert_store_sound(
            self.data_dir,
            expected,
            config=self.config_path if self.config_path.exists() else None,
            smtp=self.smtp,
            root=self.root,
            **kwargs,
        )


@pytest.fixture
def http() -> Iterator[RestartableServer]:
    """A loopback HTTP server that can be switched off and on."""
    srv = RestartableServer()
    srv.start()
    try:
        yield srv
    finally:
        with contextlib.suppress(Exception):
            srv.stop()


@pytest.fixture
def mail() -> Iterator[FaultySmtp]:
    """A loopback SMTP server that can misbehave."""
    with FaultySmtp() as srv:
        yield srv


@pytest.fixture
def ws(tmp_path: Path, http: RestartableServer, mail: FaultySmtp) -> Workspace:
    """A fresh workspace with its own HTTP and SMTP servers."""
    return Workspace(tmp_path, http, mail)


# ---------------------------------------------------------------- the invariants


@dataclass
class Soundness:
    """What :func:`assert_store_sound` found (for further assertions)."""

    versions: dict[str, list[str]]
    changes: dict[str, list[dict[str, Any]]]
    outbox: list[dict[str, Any]]
    received: Counter[str]

    def states(self) -> Counter[str]:
        """Outbox rows by state."""
        return Counter(row["state"] for row in self.outbox)


QUIET = ("none", "cosmetic")


def assert_store_sound(
    data_dir: Path,
    expected: Mapping[str, Sequence[str]] | None = None,
    *,
    config: Path | None = None,
    smtp: FaultySmtp | None = None,
    root: Path | None = None,
    settled: bool = True,
    allow_failed: bool = False,
) -> Soundness:
    """Assert every invariant of a store after a fault (see the module docstring).

    ``expected`` maps source ids to the pages (HTML) whose canonical texts must be
    exactly that source's versions, oldest first. With ``config`` the outbox is
    checked against each source's recipients; with ``smtp`` against what the server
    received. ``settled`` requires every email to be sent (or of uncertain delivery,
    which ``watcher status`` shows and is never resent); ``allow_failed`` also
    accepts emails refused for good.
    """
    store = Store.open(data_dir, create=False)
    try:
        problems = store.integrity_problems()
        assert problems == [], f"integrity problems: {problems}"
        versions: dict[str, list[str]] = {}
        changes: dict[str, list[dict[str, Any]]] = {}
        for source_id in store.source_ids():
            rows = list(
                store.db.query(
                    "SELECT id, text, content_sha256 FROM versions WHERE source_id = ? ORDER BY id",
                    [source_id],
                )
            )
            texts = [row["text"] for row in rows]
            versions[source_id] = texts
            for before, after in itertools.pairwise(rows):
                assert before["content_sha256"] != after["content_sha256"], (
                    f"{source_id}: versions {before['id']} and {after['id']} are the same text"
                )
            for row in rows:
                makers = store.db.execute(
                    "SELECT count(*) FROM fetches WHERE version_id = ? "
                    "AND outcome IN ('first', 'changed')",
                    [row["id"]],
                ).fetchone()[0]
                assert makers == 1, f"{source_id}: version {row['id']} made by {makers} captures"
            found = list(
                store.db.query("SELECT * FROM changes WHERE source_id = ? ORDER BY id", [source_id])
            )
            links = [(c["old_version_id"], c["new_version_id"]) for c in found]
            ids = [row["id"] for row in rows]
            assert links == list(itertools.pairwise(ids)), (
                f"{source_id}: changes {links} do not link the versions {ids} in order"
            )
            changes[source_id] = found
            if root is not None:
                for change in found:
                    _assert_report(store, change, root)
        for source_id, pages in (expected or {}).items():
            want = [canonical_text(page) for page in pages]
            got = versions.get(source_id, [])
            assert len(got) == len(want), (
                f"{source_id}: {len(got)} versions stored, {len(want)} expected"
            )
            for k, (have, should) in enumerate(zip(got, want, strict=True), start=1):
                assert have == should, f"{source_id}: version {k} is not the expected text"
        outbox = list(store.db.query("SELECT * FROM outbox ORDER BY id"))
        if config is not None:
            _assert_outbox_rows(store, config, changes, outbox)
        received: Counter[str] = smtp.message_ids() if smtp is not None else Counter()
        _assert_delivery(outbox, received, smtp is not None, settled, allow_failed)
        return Soundness(versions, changes, outbox, received)
    finally:
        store.close()


def _assert_report(store: Store, change: dict[str, Any], root: Path) -> None:
    """A change's report is on disk and whole, or can be written now."""
    if change["report_path"]:
        path = Path(change["report_path"])
        path = path if path.is_absolute() else root / path
        assert path.is_file(), f"change {change['id']}: report {path} is missing"
        text = path.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>"), f"change {change['id']}: {path} is cut short"
        return
    source_id = change["source_id"]
    old = store.version(source_id, change["old_version_id"])
    new = store.version(source_id, change["new_version_id"])
    html = diff_versions(store, source_id, old, new, "html")
    assert html.rstrip().endswith("</html>"), f"change {change['id']}: no report can be made"


def _assert_outbox_rows(
    store: Store,
    config_path: Path,
    changes: Mapping[str, Sequence[dict[str, Any]]],
    outbox: Sequence[dict[str, Any]],
) -> None:
    """Exactly one alert per recipient for each change that alerts; none for others."""
    config = load(config_path)
    if config.settings.smtp is None:
        assert not [r for r in outbox if r["kind"] == "change"], "alerts without SMTP settings"
        return
    by_change: dict[int, list[str]] = {}
    for row in outbox:
        if row["kind"] == "change":
            by_change.setdefault(row["change_id"], []).append(row["recipient"])
    for source_id, found in changes.items():
        source = next((s for s in config.sources if s.id == source_id), None)
        for change in found:
            quiet = change["classification"] in QUIET and config.settings.alerts.cosmetic != "alert"
            imported = store.db.execute(
                "SELECT origin FROM fetches WHERE version_id = ? AND outcome = 'changed'",
                [change["new_version_id"]],
            ).fetchone()[0]
            want = (
                []
                if quiet or source is None or imported == "import"
                else sorted(config.recipients(source))
            )
            got = sorted(by_change.pop(change["id"], []))
            assert got == want, f"change {change['id']}: alerts to {got}, expected {want}"
    assert not by_change, f"alerts for changes that do not exist: {by_change}"
    keys = Counter((r["dedupe_key"], r["recipient"]) for r in outbox)
    assert all(n == 1 for n in keys.values()), f"an email queued twice: {keys}"


def _assert_delivery(
    outbox: Sequence[dict[str, Any]],
    received: Counter[str],
    checked: bool,
    settled: bool,
    allow_failed: bool,
) -> None:
    """No Message-ID twice; sent means received once; nothing received that was not queued."""
    twice = {mid: n for mid, n in received.items() if n > 1}
    assert not twice, f"emails received more than once: {twice}"
    queued = {row["message_id"]: row for row in outbox}
    unknown = set(received) - set(queued)
    assert not unknown, f"emails received that the outbox does not know: {unknown}"
    allowed = {"sent", "uncertain"} | ({"failed"} if allow_failed else set())
    for row in outbox:
        state = row["state"]
        if settled:
            assert state in allowed, f"outbox {row['id']} to {row['recipient']} is {state}"
        if not checked:
            continue
        if state == "sent":
            assert received[row["message_id"]] == 1, f"outbox {row['id']} sent but not received"
        elif state != "uncertain":
            assert received[row["message_id"]] == 0, (
                f"outbox {row['id']} is {state} but the server has it"
            )


# ---------------------------------------------------------------- bad input helpers


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time."""
    out: dict[str, tuple[int, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return out


def assert_nothing_written(root: Path, before: Mapping[str, tuple[int, int]]) -> None:
    """No file under ``root`` was created, removed or changed."""
    after = tree_snapshot(root)
    created = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
    assert (created, removed, changed) == ([], [], []), (
        f"created {created}, removed {removed}, changed {changed}"
    )


def assert_one_line_error(run: Run, *names: str, code: int = 2) -> str:
    """Exit ``code``, nothing on stdout, one ``watcher: error:`` line naming ``names``."""
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code == code, str(run)
    assert len(lines) == 1, str(run)
    assert lines[0].startswith("watcher: error: "), str(run)
    for name in names:
        assert name in lines[0], f"the error does not name {name!r}: {lines[0]}"
    return lines[0]
