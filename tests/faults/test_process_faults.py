"""Process faults: ``kill -9`` at random points of ``watcher check``, ``watcher import`` and
alert sending, two checks at once on one store, and a data directory that cannot be
written. After each, the store is sound, no version is lost or doubled, and every alert
arrives once (or, if the sender died while the server was taking it, is marked
uncertain, shown by ``watcher status`` and never sent twice).

Kill points come from ``random.Random(seed)``: a moment in the run, the k-th page
served, the k-th email received, the k-th capture recorded. Each seed is a test case.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    RECIPIENTS,
    Proc,
    Reply,
    Run,
    Workspace,
    assert_one_line_error,
    inject,
    policy_html,
)

SEEDS = range(1, 6)
ERROR_PAGE = (
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service "
    "Unavailable</h1><p>The catalogue is being moved to a new shelf.</p></body></html>"
)


def wait_for_exit_of_group(proc: Proc, timeout: float = 10.0) -> list[int]:
    """Processes the killed ``proc`` left behind, once they had ``timeout`` to end."""
    deadline = time.monotonic() + timeout
    while (left := proc.group()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def assert_killed(proc: Proc) -> Run:
    """The process died of SIGKILL (or had just finished). Worker processes it leaves
    behind are ended (see ``test_no_worker_outlives_a_killed_watcher``)."""
    proc.popen.wait(timeout=60)
    proc.end_group()
    run = proc.wait()
    assert run.code in (-signal.SIGKILL, 0), str(run)
    return run


def uncertain_rows_are_shown(ws: Workspace, count: int) -> None:
    """``watcher status`` lists the emails of uncertain delivery."""
    status = ws.run("status", "--json")
    assert status.code == 0, str(status)
    outbox = json.loads(status.out)["outbox"]
    assert outbox["counts"].get("uncertain", 0) == count, outbox
    shown = [row for row in outbox["attention"] if row["state"] == "uncertain"]
    assert len(shown) == count, outbox


# ---------------------------------------------------------------- kill -9 of watcher check


def site(
    ws: Workspace, count: int, version: int, delays: list[float] | None = None
) -> dict[str, str]:
    """Serve version ``version`` of ``count`` policies; returns their pages by source id."""
    pages = {}
    for i in range(count):
        page = policy_html(f"Club {i} of Kill Street", version, rooms=6)
        delay = delays[i] if delays else 0.0
        ws.server.set(f"/p{i}", Reply(body=page, delay=delay))
        pages[f"s{i}"] = page
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed-{s}" for s in SEEDS])
def test_kill_check_at_a_random_point(ws: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    count = 6
    delays = [round(rng.uniform(0, 0.25), 2) for _ in range(count)]
    first = site(ws, count, 1, delays)
    ws.configure(
        {f"s{i}": f"/p{i}" for i in range(count)},
        fetch="{timeout: 5s, retries: 0, concurrency: 2, per_host: 2, confirm_after: 0s}",
    )
    started = time.monotonic()
    ws.check()
    duration = time.monotonic() - started
    second = site(ws, count, 2, delays)

    kind = ("moment", "page", "email")[seed % 3]
    holder: list[Proc] = []
    if kind == "page":
        target, lag = rng.randint(1, count), rng.uniform(0, 0.3)
        served = [0]
        lock = threading.Lock()

        def page_then_kill(page: str, delay: float) -> Callable[[dict[str, str]], Reply]:
            def reply(headers: dict[str, str]) -> Reply:
                with lock:
                    served[0] += 1
                    if served[0] == target:
                        threading.Timer(lag, lambda: holder[0].kill()).start()
                return Reply(body=page, delay=delay)

            return reply

        for i in range(count):
            ws.server.set(f"/p{i}", page_then_kill(second[f"s{i}"], delays[i]))
    elif kind == "email":
        target = rng.randint(1, count * len(RECIPIENTS))
        received = [0]

        def kill_at_email(mail: Any) -> None:
            received[0] += 1
            if received[0] == target:
                holder[0].kill()

        ws.smtp.on_data = kill_at_email
    proc = ws.start("check", "--json")
    holder.append(proc)
    if kind == "moment":
        time.sleep(rng.uniform(0.3, max(0.4, 0.8 * duration)))
        proc.kill()
    killed = assert_killed(proc)
    assert killed.code == -signal.SIGKILL, f"the {kind} kill came too late: {killed}"
    inject(f"process:kill-check-{kind}")
    ws.smtp.on_data = None

    after = ws.check()
    assert {row["status"] for row in after.values()} <= {"changed", "unchanged"}, after
    sound = ws.sound({sid: [first[sid], second[sid]] for sid in first})
    states = sound.states()
    assert sum(states.values()) == count * len(RECIPIENTS), states
    assert states["uncertain"] <= 1, "only the email on the wire when the sender died"
    if kind == "email" and killed.code == -signal.SIGKILL:
        assert states["uncertain"] == 1, states
    if states["uncertain"]:
        uncertain_rows_are_shown(ws, states["uncertain"])


# ---------------------------------------------------------------- kill -9 of watcher import


def archive(ws: Workspace, rng: random.Random, files: int) -> list[str]:
    """A folder of timestamped captures of one policy (new versions, repeats of the same
    bytes, the same text in other markup, error pages); returns the pages that must
    become versions, in order."""
    folder = ws.root / "archive"
    folder.mkdir()
    version, current, expected = 1, "", []
    moment = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    for i in range(files):
        roll = rng.random()
        if i == 0 or roll < 0.35:
            version += i > 0
            current = policy_html("Archive Lane Club", version, rooms=8)
            page = current
            expected.append(current)
        elif roll < 0.55:
            page = current
        elif roll < 0.8:
            page = current.replace("<p>", "<p class='body-text'>").replace("\n", "\n  ")
        else:
            page = ERROR_PAGE
        stamp = (moment + timedelta(days=i)).strftime("%Y%m%dT%H%M%S")
        (folder / f"club-{stamp}.html").write_text(page, encoding="utf-8")
    return expected


def recorded(ws: Workspace) -> int:
    """Fetch rows in the store so far (0 before it exists)."""
    path = ws.data_dir / "watcher.db"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM fetches").fetchone()[0])
    except sqlite3.Error:
        return 0


def dump(ws: Workspace) -> list[str]:
    """Every row of the store, as SQL."""
    with ws.store() as store:
        return list(store.db.conn.iterdump())


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed-{s}" for s in SEEDS])
def test_kill_import_at_a_random_point(ws: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    files = 100
    expected = archive(ws, rng, files)
    kind = ("moment", "capture")[seed % 2]
    target = rng.randint(2, files - 10) if kind == "capture" else 1
    proc = ws.start("import", "club", "archive", "--json")
    deadline = time.monotonic() + 30
    while proc.alive() and recorded(ws) < target and time.monotonic() < deadline:
        time.sleep(0.002)
    if kind == "moment":  # some time after the first capture was recorded
        time.sleep(rng.uniform(0, 0.25))
    proc.kill()
    killed = assert_killed(proc)
    assert killed.code == -signal.SIGKILL, f"the {kind} kill came too late: {killed}"
    inject(f"process:kill-import-{kind}")

    again = ws.run("import", "club", "archive", "--json")
    assert again.code == 0, str(again)
    assert len(again.json_lines()) == files
    ws.sound({"club": expected})
    before = dump(ws)
    third = ws.run("import", "club", "archive", "--json")
    assert third.code == 0, str(third)
    assert {row["status"] for row in third.json_lines()} == {"unchanged"}
    assert dump(ws) == before, "importing the same files again changes nothing"


@pytest.mark.parametrize("command", ["import", "check"])
def test_no_worker_outlives_a_killed_watcher(ws: Workspace, command: str) -> None:
    if command == "import":
        archive(ws, random.Random(0), 24)
        proc = ws.start("import", "club", "archive")
    else:
        site(ws, 8, 1, [2.0] * 8)
        ws.configure(
            {f"s{i}": f"/p{i}" for i in range(8)},
            fetch="{timeout: 5s, retries: 0, confirm_after: 0s}",
        )
        proc = ws.start("check")
    deadline = time.monotonic() + 20
    while len(proc.group()) < 2 and proc.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(proc.group()) >= 2, "the workers did not start"
    proc.kill()
    inject(f"process:kill-{command}-with-workers")
    assert proc.popen.wait(timeout=10) == -signal.SIGKILL
    left = wait_for_exit_of_group(proc, 3.0)
    proc.end_group()
    assert left == [], "worker processes outlived a killed watcher"


# ---------------------------------------------------------------- SIGTERM and Ctrl-C


@pytest.mark.parametrize(
    ("command", "signum", "group", "code", "word"),
    [
        ("import", signal.SIGTERM, False, 143, "terminated"),
        ("import", signal.SIGTERM, True, 143, "terminated"),
        ("import", signal.SIGINT, True, 130, "interrupted"),
        ("check", signal.SIGTERM, False, 143, "terminated"),
        ("check", signal.SIGINT, True, 130, "interrupted"),
    ],
    ids=["import-sigterm", "import-sigterm-to-group", "import-ctrl-c", "check-sigterm",
         "check-ctrl-c"],
)  # fmt: skip
def test_a_stopped_watcher_ends_cleanly(
    ws: Workspace, command: str, signum: int, group: bool, code: int, word: str
) -> None:
    """SIGTERM (``kill``, ``timeout``, a service manager) and Ctrl-C (SIGINT to the
    terminal's whole process group, workers included) stop ``import`` and ``check`` with
    one line and exit 143 or 130: no worker's traceback, no worker left, no temporary
    file left, nothing half-written; the next run does the rest."""
    if command == "import":
        expected = archive(ws, random.Random(3), 100)
        proc = ws.start("import", "club", "archive", "--json")
        ready = lambda: recorded(ws) >= 3  # noqa: E731
    else:
        pages = site(ws, 8, 1, [2.0] * 8)
        ws.configure(
            {f"s{i}": f"/p{i}" for i in range(8)},
            fetch="{timeout: 5s, retries: 0, confirm_after: 0s}",
        )
        proc = ws.start("check")
        ready = lambda: len(proc.group()) >= 2  # noqa: E731  the workers have started
    deadline = time.monotonic() + 20
    while proc.alive() and not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.alive(), f"{command} ended before it could be stopped: {proc.wait()}"
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.kill(signum)
    inject(f"process:{signal.Signals(signum).name.lower()}-{command}")
    run = proc.wait(timeout=30)
    assert_one_line_error(run, word, code=code)
    assert wait_for_exit_of_group(proc, 3.0) == [], "worker processes outlived watcher"
    assert list(ws.scratch.iterdir()) == [], "temporary files were left behind"

    if command == "import":
        again = ws.run("import", "club", "archive", "--json")
        assert again.code == 0, str(again)
        ws.sound({"club": expected})
    else:
        assert recorded(ws) == 0, "a page still being fetched was recorded"
        site(ws, 8, 1)  # the same pages, served at once
        assert {row["status"] for row in ws.check().values()} == {"first"}
        ws.sound({sid: [page] for sid, page in pages.items()})


# ---------------------------------------------------------------- kill -9 while sending alerts

ALERT_SEEDS = range(1, 5)


@pytest.mark.slow
@pytest.mark.parametrize("seed", ALERT_SEEDS, ids=[f"seed-{s}" for s in ALERT_SEEDS])
def test_kill_while_sending_alerts(ws: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    recipients = ("desk@example.org", "committee@example.org", "archivist@example.org")
    first = site(ws, 3, 1)
    ws.configure({f"s{i}": f"/p{i}" for i in range(3)}, notify=recipients)
    ws.check()
    second = site(ws, 3, 2)
    ws.smtp.delay = 0.1  # nine emails take about a second
    holder: list[Proc] = []
    fired = threading.Event()

    def start_the_clock(mail: Any) -> None:
        if not fired.is_set():
            fired.set()
            threading.Timer(rng.uniform(0, 0.7), lambda: holder[0].kill()).start()

    ws.smtp.on_data = start_the_clock
    proc = ws.start("check")
    holder.append(proc)
    killed = assert_killed(proc)
    assert killed.code == -signal.SIGKILL, f"the kill came too late: {killed}"
    inject("process:kill-while-sending")
    ws.smtp.on_data = None
    ws.smtp.delay = 0

    assert ws.run("check").code == 0
    sound = ws.sound({sid: [first[sid], second[sid]] for sid in first})
    states = sound.states()
    assert sum(states.values()) == 9 and states["uncertain"] <= 1, states
    assert sum(sound.received.values()) >= 8, "every email but the one on the wire arrives"
    if states["uncertain"]:
        uncertain_rows_are_shown(ws, 1)


# ---------------------------------------------------------------- two checks at once

ROUNDS = [(3, 0.0), (8, 0.0), (8, 0.3)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("count", "delay"), ROUNDS, ids=[f"{n}-sources-{d}s-late" for n, d in ROUNDS]
)
def test_two_checks_at_once(ws: Workspace, count: int, delay: float) -> None:
    ws.configure(
        {f"s{i}": f"/p{i}" for i in range(count)},
        fetch="{timeout: 5s, retries: 0, confirm_after: 0s}",
    )
    history: dict[str, list[str]] = {f"s{i}": [] for i in range(count)}
    for version, want in ((1, "first"), (2, "changed")):
        pages = site(ws, count, version, [delay] * count)
        for sid, page in pages.items():
            history[sid].append(page)
        pair = [ws.start("check", "--json"), ws.start("check", "--json")]
        inject("process:two-checks-at-once")
        runs = [proc.wait() for proc in pair]
        for run in runs:
            assert run.code == 0 and "Traceback" not in run.err, str(run)
        for sid in pages:
            seen = sorted(run.by_source()[sid]["status"] for run in runs)
            assert seen == sorted([want, "unchanged"]), (sid, seen)
        ws.sound(history)


# ---------------------------------------------------------------- unwritable data


def file_size_limit(limit: int) -> Callable[[], None]:
    """preexec: files the process writes cannot grow past ``limit`` bytes (EFBIG)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


LIMITS = [0, 48 * 1024, 120 * 1024, 220 * 1024]


@pytest.mark.parametrize("limit", LIMITS, ids=[f"files-capped-at-{n // 1024}kb" for n in LIMITS])
def test_full_data_directory(ws: Workspace, limit: int) -> None:
    first = site(ws, 3, 1)
    ws.configure({f"s{i}": f"/p{i}" for i in range(3)})
    ws.check()
    second = site(ws, 3, 2)
    inject("process:full-disk")
    run = ws.run("check", "--json", preexec=file_size_limit(limit))
    assert "Traceback" not in run.err, str(run)
    assert_one_line_error(run, "watcher.db", "cannot")
    partial = ws.sound(settled=False)
    for sid, texts in partial.versions.items():
        assert 1 <= len(texts) <= 2, (sid, len(texts))
    for path in ws.reports_dir.rglob("*"):
        assert not path.name.startswith("."), f"a temporary file was left: {path}"
    again = ws.check()
    assert {row["status"] for row in again.values()} <= {"changed", "unchanged"}
    ws.sound({sid: [first[sid], second[sid]] for sid in first})


def test_data_directory_is_a_file(ws: Workspace) -> None:
    site(ws, 1, 1)
    ws.configure({"s0": "/p0"})
    ws.data_dir.write_text("not a folder\n", encoding="utf-8")
    inject("process:data-dir-is-a-file")
    run = ws.run("check")
    assert_one_line_error(run, "snapshots", "cannot use the data directory")
    assert ws.data_dir.read_text(encoding="utf-8") == "not a folder\n"
    assert not ws.reports_dir.exists()


def test_reports_directory_cannot_be_written(ws: Workspace) -> None:
    """The change is recorded and alerted; its report is written once the folder is back."""
    first = site(ws, 3, 1)
    ws.configure({f"s{i}": f"/p{i}" for i in range(3)})
    ws.check()
    second = site(ws, 3, 2)
    shutil.rmtree(ws.reports_dir, ignore_errors=True)
    ws.reports_dir.write_text("not a folder\n", encoding="utf-8")
    inject("process:reports-dir-is-a-file")
    run = ws.run("check", "--json")
    assert run.code == 0 and "Traceback" not in run.err, str(run)
    assert {row["status"] for row in run.by_source().values()} == {"changed"}
    for change in range(1, 4):
        assert f"change {change}: report not written: reports/" in run.err, run.err
        assert f"change {change}: feeds not written: reports/feed.xml: reports is not" in run.err
    assert run.err.count(": reports is not a folder") == 6 and "cannot write" not in run.err
    sound = ws.sound({sid: [first[sid], second[sid]] for sid in first})
    assert sound.states() == {"sent": 3 * len(RECIPIENTS)}
    ws.reports_dir.unlink()
    for change in range(1, 4):
        report = ws.run("report", str(change))
        assert report.code == 0, str(report)
        assert Path(ws.root / report.out.strip()).is_file()
    ws.sound({sid: [first[sid], second[sid]] for sid in first})
