"""The rows of the ``fetches`` table: one per attempt to read a source, whatever came of it.

Pure functions build the row of a capture, of a 304 answer and of a failure;
:func:`write_fetch` adds the rows of the earlier attempts (``retry``) and
writes them all in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .analysis import fingerprint
from .config import Source
from .model import Attempt, Capture, FetchResult
from .store import Store, VersionHead, iso, utcnow

Row = dict[str, Any]
#: The reason recorded with a 304 answer.
NOT_MODIFIED = "not modified (304)"


def capture_row(
    source: Source,
    capture: Capture,
    status: str,
    raw_sha: str,
    *,
    version_id: int | None = None,
    reason: str | None = None,
    judged: Row | None = None,
) -> Row:
    """The row of a judged capture; ``judged`` holds the hash of its text
    (``content_sha256``) and the rules it was read under (``rules_hash``), when it
    was read."""
    judged = judged or {}
    return {
        "captured_at": iso(capture.captured_at),
        "origin": capture.origin,
        "url": capture.url or source.url,
        "final_url": capture.final_url or None,
        "outcome": status,
        "reason": reason,
        "http_status": capture.http_status,
        "bytes": len(capture.body),
        "raw_sha256": raw_sha,
        "raw_xxh3": fingerprint(capture.body),
        "content_sha256": judged.get("content_sha256"),
        "etag": capture.etag,
        "last_modified": capture.last_modified,
        "redirects": json.dumps(list(capture.redirects)) if capture.redirects else None,
        "version_id": version_id,
        "filename": capture.filename,
        "rules_hash": judged.get("rules_hash"),
    }


def not_modified_row(
    result: FetchResult, previous: Row | None, latest: VersionHead | None, moment: str
) -> Row:
    """The row of a 304 answer: the capture it stands for is ``previous``, the fetch
    whose validators the request sent, and its version is ``latest``."""
    return {
        "captured_at": moment,
        "origin": "network",
        "url": result.url,
        "outcome": "unchanged",
        "reason": NOT_MODIFIED,
        "http_status": 304,
        "bytes": 0,
        "raw_sha256": previous["raw_sha256"] if previous else None,
        "raw_xxh3": previous["raw_xxh3"] if previous else None,
        "etag": previous["etag"] if previous else None,
        "last_modified": previous["last_modified"] if previous else None,
        "version_id": latest.id if latest else None,
        "rules_hash": previous["rules_hash"] if previous else None,
    }


def failure_row(result: FetchResult) -> Row:
    """The row of a fetch that failed (after its retries)."""
    last = result.attempts[-1] if result.attempts else None
    return {
        "captured_at": None,
        "origin": "network",
        "url": result.url,
        "outcome": "failed",
        "reason": result.error,
        "http_status": last.http_status if last else None,
        "bytes": last.bytes if last else 0,
    }


def write_fetch(store: Store, source_id: str, final: Row, attempts: Sequence[Attempt]) -> None:
    """Write one row per attempt: earlier ones as ``retry``, the last with ``final``."""
    rows = [
        {
            "source_id": source_id,
            "started_at": iso(a.started_at),
            "origin": "network",
            "url": a.url,
            "outcome": "retry",
            "http_status": a.http_status,
            "error": a.error,
            "bytes": a.bytes,
            "duration_ms": a.duration_ms,
            "attempt": n,
        }
        for n, a in enumerate(attempts[:-1], start=1)
    ]
    last = attempts[-1] if attempts else None
    rows.append(
        {
            "source_id": source_id,
            **final,
            "started_at": iso(last.started_at) if last else iso(utcnow()),
            "duration_ms": last.duration_ms if last else None,
            "error": last.error if last else None,
            "attempt": len(attempts) or 1,
        }
    )
    store.add_fetches(rows)
