"""The daemon: ``watcher run`` as a real subprocess against loopback HTTP and SMTP servers,
and the scheduling pieces it is made of."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watcher.cli import App
from watcher.config import load
from watcher.errors import LockedError
from watcher.pipeline import sync_sources
from watcher.schedule import (
    Daemon,
    DaemonLock,
    LogfmtFormatter,
    daemon_running,
    digest_trigger,
    last_fire_time,
    read_state,
)
from watcher.store import Store, iso

from .conftest import CountedPage, LoopbackServer, LoopbackSmtp, Reply, run_cli

PAGES = Path(__file__).parent / "fixtures" / "pages"
ENV = {"NO_COLOR": "1", "PYTHONUTF8": "1"}


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def configure(
    tmp_path: Path,
    server: LoopbackServer,
    smtp: LoopbackSmtp | None,
    sources: dict[str, str],
    interval: str = "1s",
    confirm_after: str = "0s",
    keep_checks: str = "off",
    concurrency: int = 16,
) -> Path:
    fetch = f"timeout: 3s, retries: 0, confirm_after: {confirm_after}, concurrency: {concurrency}"
    lines = [
        f"defaults: {{interval: {interval}, notify: [team@example.org]}}",
        "settings:",
        f"  fetch: {{{fetch}}}",
        "  log_file: logs/watcher.log",
        f"  keep_checks: {keep_checks}",
    ]
    if smtp is not None:
        lines.append(f"  smtp: {smtp.smtp_yaml()}")
    lines.append("sources:")
    for sid, path in sources.items():
        lines.append(f"  - {{id: {sid}, name: '{sid.title()} Policy', url: '{server.url(path)}'}}")
    config = tmp_path / "sources.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def wait_until(what: Callable[[], Any], timeout: float = 20.0, step: float = 0.1) -> Any:
    """Poll ``what`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def query(data_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not (data_dir / "watcher.db").exists():
        return []
    store = Store.open(data_dir)
    try:
        return list(store.db.execute(sql, params).fetchall())
    finally:
        store.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``watcher run`` subprocesses in ``tmp_path``; kill leftovers at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run", "--tick", "0.2", *args],
            cwd=tmp_path,
            env={**__import__("os").environ, **ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None and not proc.stderr.closed:
            _, err = proc.communicate(timeout=10)
            print(f"daemon exit {proc.returncode}; stderr:\n{err}")  # shown when a test fails


# ---------------------------------------------------------------- the daemon, end to end


@pytest.mark.slow
def test_daemon_checks_alerts_reloads_and_stops_cleanly(
    tmp_path: Path,
    server: LoopbackServer,
    smtp_server: LoopbackSmtp,
    daemon: Callable[..., subprocess.Popen[str]],
) -> None:
    server.page("/acme", page("acme_v1.html"))
    config = configure(tmp_path, server, smtp_server, {"acme": "/acme"})
    data = tmp_path / "snapshots"
    proc = daemon()

    wait_until(lambda: query(data, "SELECT id FROM versions WHERE source_id = 'acme'"))
    running = json.loads(run_cli("status", "--json", cwd=tmp_path).out)
    assert running["daemon"]["running"] is True
    assert running["daemon"]["next_digest"] is not None
    assert running["sources"][0]["next_check"] is not None

    second = run_cli("run", cwd=tmp_path)
    assert second.code == 2 and "another watcher daemon" in second.err

    server.page("/acme", page("acme_v2.html"))
    wait_until(lambda: query(data, "SELECT id FROM changes"))
    mail = smtp_server.wait_for(1)
    assert len(mail) == 1 and mail[0].recipients == ["team@example.org"]
    assert "3 sections changed (substantive)" in str(mail[0].parsed()["Subject"])
    assert len(list((tmp_path / "reports" / "acme").glob("*-change-1.html"))) == 1
    assert "3 sections changed" in (tmp_path / "reports" / "feed.xml").read_text(encoding="utf-8")

    server.page("/other", page("acme_v1.html"))
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text + f"  - {{id: other, name: Other Policy, url: '{server.url('/other')}'}}\n",
        encoding="utf-8",
    )
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: query(data, "SELECT id FROM versions WHERE source_id = 'other'"))

    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 10
    checks = [line for line in err.splitlines() if "event=check " in line]
    assert any("source=acme outcome=changed" in line and "change=1" in line for line in checks)
    assert all(line.startswith("ts=") and " level=" in line for line in err.splitlines())
    assert "event=reload ok=true changed=true" in err and "added=other" in err
    assert "event=stopped" in err.splitlines()[-1]
    logged = (tmp_path / "logs" / "watcher.log").read_text(encoding="utf-8")
    assert logged.count("event=check ") == len(checks)

    stopped = json.loads(run_cli("status", "--json", cwd=tmp_path).out)["daemon"]
    assert stopped["running"] is False and stopped["summary"].startswith("not running (stopped")
    assert len(smtp_server.wait_for(2, timeout=0.3)) == 1, "exactly one email for one change"
    store = Store.open(data)
    try:
        assert store.integrity_problems() == []
        assert store.db.execute("SELECT state FROM outbox").fetchall() == [("sent",)]
    finally:
        store.close()


@pytest.mark.slow
def test_sigterm_abandons_a_slow_fetch_without_a_trace(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    server.set("/slow", Reply(body=page("acme_v1.html"), delay=30))
    configure(tmp_path, server, None, {"slow": "/slow"})
    proc = daemon("--grace", "0.3")
    wait_until(lambda: server.hits("/slow"))
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 5
    assert "event=abandoning" in err and "outcome=abandoned" in err
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM fetches") == [(0,)]
    assert query(tmp_path / "snapshots", "PRAGMA integrity_check") == [("ok",)]


def counted_daemon(
    tmp_path: Path,
    server: LoopbackServer,
    daemon: Callable[..., subprocess.Popen[str]],
    confirm_after: str,
) -> subprocess.Popen[str]:
    """A daemon checking, every second, a page whose read counter goes up with every request."""
    server.set("/acme", CountedPage("acme_v1.html"))
    configure(tmp_path, server, None, {"acme": "/acme"}, confirm_after=confirm_after)
    return daemon()


@pytest.mark.slow
def test_the_daemon_confirms_a_change_with_a_second_fetch(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    proc = counted_daemon(tmp_path, server, daemon, "0.3s")
    settled = "SELECT count(*) FROM fetches WHERE reason LIKE 'only lines that differ%'"
    wait_until(lambda: (query(tmp_path / "snapshots", settled) or [(0,)])[0][0] >= 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM versions") == [(1,)]
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM changes") == [(0,)]
    hits = server.hits("/acme")
    fetches = query(tmp_path / "snapshots", "SELECT count(*) FROM fetches")[0][0]
    # Every check after the first fetched twice (the last may have been stopped
    # while waiting for its second fetch).
    assert hits in (2 * fetches - 1, 2 * fetches)


@pytest.mark.slow
def test_sigterm_during_a_confirmation_wait_records_nothing(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    proc = counted_daemon(tmp_path, server, daemon, "60s")
    wait_until(lambda: server.hits("/acme") >= 2)  # the second check now waits a minute
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 5
    assert "outcome=abandoned" in err
    assert server.hits("/acme") == 2
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM fetches") == [(1,)]
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM changes") == [(0,)]


@pytest.mark.slow
def test_sources_waiting_to_confirm_a_change_do_not_hold_up_the_others(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    """Four sources wait a minute for their second fetch, with one fetch at a time
    allowed: the fifth is still checked every second meanwhile."""
    counted = {f"c{i}": f"/c{i}" for i in range(4)}
    for path in counted.values():
        server.set(path, CountedPage("acme_v1.html"))
    server.page("/plain", page("acme_v2.html"))
    sources = {**counted, "plain": "/plain"}
    configure(tmp_path, server, None, sources, confirm_after="60s", concurrency=1)
    proc = daemon()
    wait_until(lambda: all(server.hits(path) >= 2 for path in counted.values()))
    waiting_since = server.hits("/plain")
    wait_until(lambda: server.hits("/plain") >= waiting_since + 4)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert query(tmp_path / "snapshots", "SELECT count(*) FROM changes") == [(0,)]


@pytest.mark.slow
def test_the_daemon_prunes_old_check_records_daily(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    server.page("/acme", page("acme_v1.html"))
    configure(tmp_path, server, None, {"acme": "/acme"}, interval="1d", keep_checks="30d")
    store = Store.open(tmp_path / "snapshots")
    sync_sources(store, load(tmp_path / "sources.yaml").sources)
    old = iso(datetime.now(UTC) - timedelta(days=200))
    row = {"source_id": "acme", "started_at": old, "outcome": "failed", "origin": "network"}
    store.add_fetches([{**row, "url": server.url("/acme"), "error": "HTTP 503"}] * 25)
    store.close()
    proc = daemon()
    log = tmp_path / "logs" / "watcher.log"
    wait_until(lambda: log.exists() and "event=prune " in log.read_text(encoding="utf-8"))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    (line,) = [x for x in err.splitlines() if "event=prune " in x]
    # The source's latest 10 records stay: the old ones, or 9 of them when its first
    # check (due within a minute of the start) came before the prune.
    sql = "SELECT count(*) FROM fetches WHERE started_at = ?"
    ((left,),) = query(tmp_path / "snapshots", sql, (old,))
    assert left in (10, 9) and f"deleted={25 - left} " in line and "error=" not in line


@pytest.mark.slow
def test_bad_config_on_reload_keeps_the_old_one(
    tmp_path: Path, server: LoopbackServer, daemon: Callable[..., subprocess.Popen[str]]
) -> None:
    server.page("/acme", page("acme_v1.html"))
    config = configure(tmp_path, server, None, {"acme": "/acme"})
    proc = daemon()
    wait_until(lambda: query(tmp_path / "snapshots", "SELECT id FROM versions"))
    config.write_text(config.read_text() + "  - {id: broken, url: 'not a url'}\n")
    wait_until(lambda: read_state(tmp_path / "snapshots")["config_error"])
    state = read_state(tmp_path / "snapshots")
    assert state["running"] and "broken" in state["config_error"]
    status = run_cli("status", cwd=tmp_path)
    assert status.code == 2 and len(status.err.strip().splitlines()) == 1, status
    assert (
        "broken" in status.err and f"pid {proc.pid}, runs on with the file as it was" in status.err
    )
    hits = server.hits("/acme")
    wait_until(lambda: server.hits("/acme") > hits, timeout=10)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "event=reload ok=false" in err


# ---------------------------------------------------------------- pieces


def test_first_runs_follow_the_last_check(tmp_path: Path, server: LoopbackServer) -> None:
    """After a restart a source is due one interval after its last check, not at once."""
    server.page("/a", page("acme_v1.html"))
    server.page("/b", page("acme_v1.html"))
    config = configure(tmp_path, server, None, {"a": "/a", "b": "/b"}, interval="6h")
    assert run_cli("check", "a", cwd=tmp_path).code == 0
    data = tmp_path / "snapshots"
    last = datetime.fromisoformat(query(data, "SELECT max(started_at) FROM fetches")[0][0])
    app = App(config, data, tmp_path / "reports", color=False)
    runner = Daemon(config, data, tmp_path / "reports", app.pipeline, tick=60)
    runner._start()
    try:
        assert runner.scheduler is not None
        jobs = {job.id: job for job in runner.scheduler.get_jobs()}
        assert {"check:a", "check:b", "outbox", "digest"} <= set(jobs)
        due_a = jobs["check:a"].next_run_time
        due_b = jobs["check:b"].next_run_time
        jitter = timedelta(minutes=10, seconds=1)  # 10% of 6h, capped at 10 minutes
        assert last + timedelta(hours=6) <= due_a <= last + timedelta(hours=6) + jitter
        assert due_b <= datetime.now(UTC) + timedelta(seconds=60) + jitter, "never checked: soon"
        assert jobs["check:a"].max_instances == 1 and jobs["check:a"].coalesce is True
        assert jobs["check:a"].misfire_grace_time is None
        assert jobs["check:a"].trigger.jitter == pytest.approx(600)
    finally:
        runner._shutdown()
    assert read_state(data)["summary"].startswith("not running (stopped")


def test_lock_keeps_a_second_daemon_off(data_dir: Path) -> None:
    first = DaemonLock(data_dir)
    first.acquire()
    try:
        assert daemon_running(data_dir)
        with pytest.raises(LockedError, match=r"another watcher daemon \(pid \d+\)"):
            DaemonLock(data_dir).acquire(wait=0.1)
    finally:
        first.release()
    assert not daemon_running(data_dir)
    again = DaemonLock(data_dir)
    again.acquire()
    again.release()


def test_digest_schedule_and_its_last_fire_time() -> None:
    weekly = digest_trigger("mon 08:00", "Europe/London")
    wednesday = datetime(2025, 7, 9, 12, 0, tzinfo=UTC)
    assert last_fire_time(weekly, wednesday) == datetime(2025, 7, 7, 7, 0, tzinfo=UTC)  # BST
    winter = datetime(2025, 1, 8, 12, 0, tzinfo=UTC)
    assert last_fire_time(weekly, winter) == datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    monthly = digest_trigger("30 6 1 * *", "UTC")
    assert last_fire_time(monthly, wednesday) == datetime(2025, 7, 1, 6, 30, tzinfo=UTC)
    assert weekly.get_next_fire_time(None, wednesday) == datetime(
        2025, 7, 14, 8, 0, tzinfo=weekly.timezone
    )


def test_log_lines_are_logfmt() -> None:
    import logging

    record = logging.LogRecord("watcher.schedule", logging.INFO, __file__, 1, "check", (), None)
    record.fields = {"source": "acme", "outcome": "rejected", "reason": 'page "shrank" = bad'}
    line = LogfmtFormatter().format(record)
    assert line.startswith("ts=") and " level=info logger=watcher.schedule event=check " in line
    assert line.endswith('source=acme outcome=rejected reason="page \\"shrank\\" = bad"')
    plain = logging.LogRecord("httpx", logging.WARNING, __file__, 1, "a %s", ("b",), None)
    assert LogfmtFormatter().format(plain).endswith('level=warning logger=httpx msg="a b"')


def test_status_without_a_daemon(tmp_path: Path, server: LoopbackServer) -> None:
    server.page("/a", page("acme_v1.html"))
    configure(tmp_path, server, None, {"a": "/a"})
    result = run_cli("status", cwd=tmp_path)
    assert result.code == 0
    assert "daemon: not running (never started here)" in result.out
    assert load(tmp_path / "sources.yaml").source("a").interval == timedelta(seconds=1)
    assert iso(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00+00:00"


def _open_store(data_dir: str) -> str:
    try:
        Store.open(data_dir).close()
    except Exception as exc:
        return repr(exc)
    return "ok"


def test_a_new_store_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    """The daemon and a `watcher status` may create the store at the same moment."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        for round_ in range(8):
            target = str(tmp_path / f"store-{round_}")
            assert pool.map(_open_store, [target] * 4) == ["ok"] * 4


def test_a_digest_missed_while_down_is_made_at_start(
    tmp_path: Path, server: LoopbackServer
) -> None:
    configure(tmp_path, server, None, {"a": "/a"})
    data = tmp_path / "snapshots"
    runner = Daemon(tmp_path / "sources.yaml", data, tmp_path / "reports", lambda s, c: None)  # type: ignore[arg-type,return-value]
    trigger = digest_trigger("mon 08:00", "UTC")
    now = datetime.now(UTC)
    missed = last_fire_time(trigger, now)
    assert missed is not None
    assert not runner._missed_digest(trigger), "no digest was ever made: nothing to catch up"

    def made(until: datetime) -> None:
        store = Store.open(data)
        try:
            with store.transaction() as db:
                db.execute(
                    "INSERT INTO digests (key, since, until, created_at) VALUES (?, ?, ?, ?)",
                    [
                        f"scheduled:{iso(until)}",
                        iso(until - timedelta(days=7)),
                        iso(until),
                        iso(now),
                    ],
                )
        finally:
            store.close()

    made(missed - timedelta(days=7))
    assert runner._missed_digest(trigger) is (now - missed <= timedelta(days=6))
    made(missed)
    assert not runner._missed_digest(trigger), "already made"


def test_run_refuses_a_bad_sources_file(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text("sources:\n  - {id: a, url: 'nope'}\n")
    result = run_cli("run", cwd=tmp_path)
    assert result.code == 2
    assert (
        result.err.startswith("watcher: error: sources.yaml:2:")
        and len(result.err.splitlines()) == 1
    )
    assert not (tmp_path / "snapshots" / "daemon.lock").exists()


@pytest.mark.parametrize(
    ("log_file", "reason"),
    [
        ("notes.txt/watcher.log", "a file is in the way of its folder"),
        ("logs", "Is a directory"),
    ],
    ids=["file-in-the-way", "a-folder"],
)
def test_run_names_a_log_file_it_cannot_write(tmp_path: Path, log_file: str, reason: str) -> None:
    (tmp_path / "notes.txt").write_text("notes\n")
    (tmp_path / "logs").mkdir()
    (tmp_path / "sources.yaml").write_text(f"settings: {{log_file: {log_file}}}\nsources: []\n")
    result = run_cli("run", cwd=tmp_path)
    assert result.code == 2 and len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith(f"watcher: error: settings.log_file: cannot write {log_file}")
    assert reason in result.err
    assert not (tmp_path / "snapshots").exists()
