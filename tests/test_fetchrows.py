"""The rows each fetch leaves in the store, written to a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher import fetchrows
from watcher.config import Source
from watcher.model import Attempt, Capture, FetchResult
from watcher.store import Store, iso

SOURCE = Source(id="acme", name="Acme", url="https://acme.example/privacy")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def attempt(n: int, status: int | None, error: str | None = None, size: int = 0) -> Attempt:
    return Attempt(SOURCE.url, T0 + timedelta(seconds=n), 10 * n, status, size, error)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path)
    store.sync_source(SOURCE.id, SOURCE.name, SOURCE.url, SOURCE.config_hash())
    return store


def test_earlier_attempts_are_retries_and_the_last_carries_the_outcome(store: Store) -> None:
    attempts = [attempt(1, 503, "server error 503"), attempt(2, None, "timed out"), attempt(3, 200)]
    capture = Capture(body=b"<p>policy</p>", captured_at=T0, url=SOURCE.url, http_status=200)
    row = fetchrows.capture_row(SOURCE, capture, "first", "raw", version_id=None)
    fetchrows.write_fetch(store, SOURCE.id, row, attempts)
    rows = store.db.execute(
        "SELECT outcome, attempt, http_status, error, started_at, duration_ms, bytes "
        "FROM fetches ORDER BY id"
    ).fetchall()
    assert rows == [
        ("retry", 1, 503, "server error 503", iso(attempts[0].started_at), 10, 0),
        ("retry", 2, None, "timed out", iso(attempts[1].started_at), 20, 0),
        ("first", 3, 200, None, iso(attempts[2].started_at), 30, len(capture.body)),
    ]


def test_a_judgement_is_recorded_only_when_the_text_was_read() -> None:
    capture = Capture(body=b"x", captured_at=T0, url=SOURCE.url)
    read = fetchrows.capture_row(
        SOURCE, capture, "rejected", "raw", judged={"content_sha256": "c", "rules_hash": "r"}
    )
    unread = fetchrows.capture_row(SOURCE, capture, "rejected", "raw")
    assert (read["content_sha256"], read["rules_hash"]) == ("c", "r")
    assert (unread["content_sha256"], unread["rules_hash"]) == (None, None)


def test_a_capture_row_keeps_the_fingerprint_of_its_bytes() -> None:
    """XXH3-128: for the empty input, the value of xxHash's own sanity test (seed 0,
    high half first), so that the column means the same whatever computes it later."""
    bodies = [b"", b"<p>policy</p>", b"<p>policy</p>", b"<p>Policy</p>"]
    rows = [
        fetchrows.capture_row(SOURCE, Capture(body=body, captured_at=T0), "first", "raw")
        for body in bodies
    ]
    prints = [row["raw_xxh3"] for row in rows]
    assert prints[0] == "99aa06d3014798d86001c324468d497f"
    assert prints[1] == prints[2] != prints[3] and len(set(prints)) == 3


def test_a_304_stands_for_the_last_accepted_capture(store: Store) -> None:
    previous = {
        "raw_sha256": "raw",
        "raw_xxh3": "print",
        "etag": '"v1"',
        "last_modified": None,
        "rules_hash": "r",
    }
    result = FetchResult(SOURCE.id, SOURCE.url, "not_modified", None, (attempt(1, 304),))
    row = fetchrows.not_modified_row(result, previous, None, iso(T0))
    assert row["reason"] == fetchrows.NOT_MODIFIED
    assert (row["raw_sha256"], row["raw_xxh3"]) == ("raw", "print")
    assert (row["etag"], row["rules_hash"]) == ('"v1"', "r")
    assert (row["http_status"], row["bytes"], row["version_id"]) == (304, 0, None)


def test_a_failure_keeps_the_last_attempts_status_and_size() -> None:
    attempts = (attempt(1, 500, "server error 500", 12), attempt(2, 502, "bad gateway", 7))
    result = FetchResult(SOURCE.id, SOURCE.url, "failed", None, attempts, "bad gateway")
    row = fetchrows.failure_row(result)
    assert (row["outcome"], row["reason"], row["http_status"], row["bytes"]) == (
        "failed",
        "bad gateway",
        502,
        7,
    )
    assert row["captured_at"] is None
