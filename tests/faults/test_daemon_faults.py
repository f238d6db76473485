"""The daemon stopped while it makes the weekly digest: by SIGKILL at each step of the
digest (built, written, recorded, queued) or by SIGTERM in the middle of it. After a
restart the digest is made once and emailed once to each recipient, and its page on
disk is whole.

The daemon makes a digest at start when the last one it made is older than the
schedule's last fire time; the tests give it such a history, and a schedule whose last
fire time was two minutes ago. A small driver runs the real daemon (``watcher run``)
with one function of :mod:`watcher.digest` wrapped to stop at the chosen step: it
writes a mark file and sleeps there until the test's signal arrives.
"""

from __future__ import annotations

import shutil
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.store import Store, iso

from .conftest import Proc, RestartableServer, Workspace, inject, policy_html

DIGEST_TO = ("digest@example.org", "board@example.org")

DRIVER = """\
import os, sys, time
from pathlib import Path
import watcher.digest as digest
from watcher.cli import main

point, mark, pause = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])

def stop_here():
    mark.write_text(str(os.getpid()), encoding="ascii")
    time.sleep(pause)

def wrap(name, before):
    original = getattr(digest, name)
    def wrapped(*args, **kwargs):
        if before:
            stop_here()
        result = original(*args, **kwargs)
        if not before:
            stop_here()
        return result
    setattr(digest, name, wrapped)

wrap(*{
    "building": ("build_digest", True),
    "written": ("write_digest", False),
    "recording": ("queue_digest", True),
    "queued": ("queue_digest", False),
}[point])
main(sys.argv[4:])
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """A workspace (store and reports) with one source that changed once (no email
    settings), to copy."""
    root = tmp_path_factory.mktemp("digest-history")
    with RestartableServer() as server:
        ws = Workspace(root, server, None)  # type: ignore[arg-type]
        pages = [policy_html("Digest Close Club", v, rooms=3) for v in (1, 2)]
        ws.configure({"club": "/club"}, smtp=False)
        for page in pages:
            server.page("/club", page)
            ws.check()
        yield root, pages


def cron_two_minutes_ago() -> tuple[str, datetime]:
    """A daily cron line that fired two minutes ago, and that moment."""
    fire = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    return f"{fire.minute} {fire.hour} * * *", fire


def prepare(ws: Workspace, history: tuple[Path, list[str]]) -> datetime:
    template, pages = history
    shutil.copytree(template / "snapshots", ws.data_dir)
    shutil.copytree(template / "reports", ws.reports_dir)
    ws.server.page("/club", pages[1])
    schedule, fire = cron_two_minutes_ago()
    ws.configure(
        {"club": "/club"},
        notify=[],
        digest=f"{{schedule: '{schedule}', recipients: [{', '.join(DIGEST_TO)}]}}",
    )
    store = Store.open(ws.data_dir)
    try:
        with store.transaction() as db:
            db.execute("UPDATE changes SET detected_at = ?", [iso(fire - timedelta(hours=1))])
            db.execute(
                "INSERT INTO digests (key, since, until, created_at) VALUES (?, ?, ?, ?)",
                [
                    f"scheduled:{iso(fire - timedelta(days=1))}",
                    iso(fire - timedelta(days=8)),
                    iso(fire - timedelta(days=1)),
                    iso(fire - timedelta(days=1)),
                ],
            )
    finally:
        store.close()
    return fire


def wait_for(what: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


CASES = [
    ("written", signal.SIGKILL),
    ("recording", signal.SIGKILL),
    ("queued", signal.SIGKILL),
    ("building", signal.SIGTERM),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "signum"), CASES, ids=[f"{signal.Signals(s).name}-{p}" for p, s in CASES]
)
def test_daemon_stopped_during_a_digest(
    ws: Workspace, history: tuple[Path, list[str]], point: str, signum: int
) -> None:
    fire = prepare(ws, history)
    key = f"scheduled:{iso(fire)}"
    driver = ws.root / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    mark = ws.root / "stopped-here"
    pause = "60" if signum == signal.SIGKILL else "1"
    proc = Proc(
        [point, str(mark), pause, "run", "--tick", "0.2"],
        ws.root,
        command=[sys.executable, str(driver)],
    )
    wait_for(mark.exists)
    proc.kill(signum)
    inject(f"daemon:{signal.Signals(signum).name}-{point}")
    stopped = proc.wait(timeout=30)
    assert stopped.code == (0 if signum == signal.SIGTERM else -signal.SIGKILL), str(stopped)

    daemon = ws.start("run", "--tick", "0.2")
    try:
        wait_for(lambda: len(ws.smtp.message_ids()) >= len(DIGEST_TO))
        time.sleep(0.5)  # a duplicate would come now
    finally:
        daemon.kill(signal.SIGTERM)
    assert daemon.wait(timeout=30).code == 0

    sound = ws.sound({"club": history[1]})
    assert [r["key"] for r in ws.query("SELECT key FROM digests WHERE key = ?", [key])] == [key]
    rows = [r for r in sound.outbox if r["kind"] == "digest"]
    assert sorted(r["recipient"] for r in rows) == sorted(DIGEST_TO)
    assert {r["dedupe_key"] for r in rows} == {f"digest:{key}"}
    assert sound.states() == {"sent": len(DIGEST_TO)}
    pages = list(ws.reports_dir.glob("digest-*.html"))
    assert len(pages) == 1 and pages[0].read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in ws.reports_dir.rglob(".*")] == [], "temporary files left behind"
