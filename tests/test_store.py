"""The SQLite store: schema, WAL, blobs, integrity, and crash safety of `check`."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from watcher.errors import NotFoundError, StoreError
from watcher.store import Store, sha256

from .conftest import LoopbackServer, Reply

PAGES = Path(__file__).parent / "fixtures" / "pages"


def test_new_store_has_schema_and_wal(data_dir: Path) -> None:
    store = Store.open(data_dir)
    try:
        tables = set(store.db.table_names())
        assert {"sources", "fetches", "blobs", "versions", "changes"} <= tables
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_problems() == []
    finally:
        store.close()
    again = Store.open(data_dir)
    assert again.db.execute("PRAGMA user_version").fetchone()[0] >= 1
    again.close()


def test_open_without_create_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no watcher store here"):
        Store.open(tmp_path / "missing", create=False)


def test_store_from_a_newer_watcher_is_refused(data_dir: Path) -> None:
    Store.open(data_dir).close()
    conn = sqlite3.connect(data_dir / "watcher.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreError, match="newer watcher"):
        Store.open(data_dir)


def test_a_store_from_before_fingerprints_gains_their_column(data_dir: Path) -> None:
    """A store of schema 5 (no ``raw_xxh3``, its fetch rows kept) opens migrated."""
    store = Store.open(data_dir)
    store.sync_source("s", "S", "https://s.example/", "h")
    store.add_fetches(
        [
            {
                "source_id": "s",
                "started_at": "2025-01-01T00:00:00+00:00",
                "outcome": "first",
                "raw_sha256": "a",
            }
        ]
    )
    store.close()
    conn = sqlite3.connect(data_dir / "watcher.db")
    conn.execute("ALTER TABLE fetches DROP COLUMN raw_xxh3")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    again = Store.open(data_dir)
    try:
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == 6
        row = again.last_fetch("s")
        assert row is not None and (row["raw_sha256"], row["raw_xxh3"]) == ("a", None)
        assert again.integrity_problems() == []
    finally:
        again.close()


def _big_page(seed: int, clauses: int = 400) -> bytes:
    rows = "".join(
        f"<p>Clause {i}: we keep records of kind {i * seed % 97} for {i} days.</p>"
        for i in range(clauses)
    )
    return f"<html><body><main><h1>Policy {seed}</h1>{rows}</main></body></html>".encode()


def _blob(store: Store, sha: str) -> dict[str, object]:
    return next(
        iter(
            store.db.query(
                "SELECT size, codec, base, length(data) AS stored FROM blobs WHERE sha256 = ?",
                [sha],
            )
        )
    )


def _record_fetch(store: Store, db: object, sha: str) -> None:
    db.table("fetches").insert(
        {
            "source_id": "s",
            "started_at": "2025-01-01T00:00:00+00:00",  # type: ignore[attr-defined]
            "outcome": "first",
            "raw_sha256": sha,
        }
    )


def test_blobs_are_content_addressed_and_delta_compressed(data_dir: Path) -> None:
    store = Store.open(data_dir)
    store.sync_source("s", "S", "http://x", "h")
    first = _big_page(1)
    revised = first.replace(b"Clause 200:", b"Clause 200 (revised):")
    other = _big_page(7, clauses=600)
    with store.transaction() as db:
        for body in (first, first, revised, other):
            store.put_blob(db, body, sha256(body), "s")
            _record_fetch(store, db, sha256(body))
    assert store.count("blobs") == 3
    keyframe, delta, drifted = (_blob(store, sha256(b)) for b in (first, revised, other))
    assert keyframe["codec"] == "zstd" and keyframe["base"] is None
    assert keyframe["stored"] < len(first) / 5  # type: ignore[operator]
    assert delta["codec"] == "zstd-delta" and delta["base"] == sha256(first)
    assert delta["stored"] < 200  # type: ignore[operator]
    assert drifted["codec"] == "zstd" and drifted["base"] is None  # too far: a new keyframe
    store.close()
    reopened = Store.open(data_dir)  # no cached keyframes: read back from the database
    for body in (first, revised, other):
        assert reopened.raw(sha256(body)) == body
    with pytest.raises(NotFoundError):
        reopened.raw("0" * 64)
    assert reopened.integrity_problems() == []
    reopened.close()


def test_a_failed_transaction_leaves_nothing(data_dir: Path) -> None:
    store = Store.open(data_dir)
    store.sync_source("s", "S", "http://x", "h")
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.table("versions").insert(
            {
                "source_id": "s",
                "captured_at": "2025-01-01T00:00:00+00:00",
                "content_sha256": sha256("t"),
                "text": "t",
            }
        )
        raise RuntimeError("crash")
    assert store.count("versions") == 0
    store.close()


def test_integrity_check_finds_tampering(data_dir: Path) -> None:
    store = Store.open(data_dir)
    store.sync_source("s", "S", "http://x", "h")
    with store.transaction() as db:
        db.table("versions").insert(
            {
                "source_id": "s",
                "captured_at": "2025-01-01T00:00:00+00:00",
                "content_sha256": sha256("original"),
                "text": "tampered",
            }
        )
    assert store.integrity_problems() == ["version 1: text does not match its hash"]
    store.close()


def _policy(n: int) -> str:
    paragraphs = "".join(
        f"<p>Clause {n}.{i}: we keep records of type {i} for {n} days.</p>" for i in range(30)
    )
    return f"<html><body><main><h1>Policy {n}</h1>{paragraphs}</main></body></html>"


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.6], ids=lambda d: f"kill-after-{d}s")
def test_killing_check_mid_run_leaves_a_consistent_store(
    tmp_path: Path, server: LoopbackServer, delay: float
) -> None:
    """kill -9 a `watcher check` of many slow sources; the store stays consistent and a
    re-run completes without duplicating a version."""
    n = 12
    for i in range(n):
        server.set(f"/p{i}", Reply(body=_policy(i), delay=0.05 * (i % 4)))
    lines = ["settings:", "  fetch: {concurrency: 3, retries: 0}", "sources:"]
    lines += [f"  - {{id: s{i}, url: '{server.url(f'/p{i}')}'}}" for i in range(n)]
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONUTF8": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "watcher", "check"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5 + delay)  # interpreter start-up, then part of the run
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store.open(tmp_path / "snapshots")
    assert store.integrity_problems() == []
    partial = store.count("versions")
    store.close()
    rerun = subprocess.run(
        [sys.executable, "-m", "watcher", "check", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rerun.returncode == 0, rerun.stderr
    store = Store.open(tmp_path / "snapshots")
    assert store.integrity_problems() == []
    assert store.count("versions") == n
    per_source = store.db.execute(
        "SELECT source_id, count(*) FROM versions GROUP BY source_id HAVING count(*) > 1"
    ).fetchall()
    assert per_source == []
    assert partial <= n
    store.close()
