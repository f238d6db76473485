"""The store's schema, one migration per version (``PRAGMA user_version``).

Migrations only ever add: a store written by an older watcher is upgraded in
place when it is opened; one written by a newer watcher is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db.table("sources").create(
        {
            "id": str,
            "name": str,
            "url": str,
            "config_hash": str,
            "archive_only": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db.table("blobs").create({"sha256": str, "size": int, "codec": str, "data": bytes}, pk="sha256")
    db.table("versions").create(
        {
            "id": int,
            "source_id": str,
            "captured_at": str,
            "content_sha256": str,
            "raw_sha256": str,
            "title": str,
            "text": str,
            "outline": str,
            "words": int,
            "normaliser": int,
            "rules_hash": str,
            "fetch_id": int,
        },
        pk="id",
        not_null={"source_id", "captured_at", "content_sha256", "text"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.table("fetches").create(
        {
            "id": int,
            "source_id": str,
            "started_at": str,
            "captured_at": str,
            "origin": str,
            "url": str,
            "final_url": str,
            "outcome": str,
            "reason": str,
            "http_status": int,
            "error": str,
            "bytes": int,
            "raw_sha256": str,
            "content_sha256": str,
            "etag": str,
            "last_modified": str,
            "duration_ms": int,
            "attempt": int,
            "redirects": str,
            "version_id": int,
            "filename": str,
        },
        pk="id",
        not_null={"source_id", "started_at", "outcome"},
        foreign_keys=[("source_id", "sources", "id"), ("version_id", "versions", "id")],
    )
    db.table("changes").create(
        {
            "id": int,
            "source_id": str,
            "old_version_id": int,
            "new_version_id": int,
            "detected_at": str,
            "classification": str,
            "headline": str,
            "summary": str,
            "report_path": str,
        },
        pk="id",
        not_null={"source_id", "old_version_id", "new_version_id", "detected_at"},
        foreign_keys=[
            ("source_id", "sources", "id"),
            ("old_version_id", "versions", "id"),
            ("new_version_id", "versions", "id"),
        ],
    )
    db.table("versions").create_index(["source_id", "id"])
    db.table("versions").create_index(["source_id", "captured_at"])
    db.table("fetches").create_index(["source_id", "id"])
    db.table("fetches").create_index(["started_at"])
    db.table("changes").create_index(["source_id", "id"])
    db.table("changes").create_index(["detected_at"])


def _v2(db: sqlite_utils.Database) -> None:
    """Alerts: the outbox (one row per email and recipient), incidents, digests, meta."""
    db.table("outbox").create(
        {
            "id": int,
            "kind": str,  # change | incident | recovery | digest
            "dedupe_key": str,
            "recipient": str,
            "source_id": str,
            "change_id": int,
            "incident_id": int,
            "subject": str,
            "message_id": str,
            "message": bytes,
            "state": str,  # pending | claimed | sending | sent | failed | uncertain
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"kind", "dedupe_key", "recipient", "subject", "message_id", "state"},
        defaults={"attempts": 0},
        foreign_keys=[("change_id", "changes", "id")],
    )
    db.table("outbox").create_index(["dedupe_key", "recipient"], unique=True)
    db.table("outbox").create_index(["message_id"], unique=True)
    db.table("outbox").create_index(["state", "next_attempt_at"])
    db.table("incidents").create(
        {
            "id": int,
            "source_id": str,
            "kind": str,  # failing | rejected
            "opened_at": str,
            "closed_at": str,
            "checks": int,
            "reason": str,
            "alerted": int,
        },
        pk="id",
        not_null={"source_id", "opened_at"},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_incidents_open ON incidents(source_id) WHERE closed_at IS NULL"
    )
    db.table("digests").create(
        {"id": int, "key": str, "since": str, "until": str, "path": str, "created_at": str},
        pk="id",
        not_null={"key", "since", "until"},
    )
    db.table("digests").create_index(["key"], unique=True)
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "store_id", "value": str(uuid.uuid4())})


def _v3(db: sqlite_utils.Database) -> None:
    """Raw captures may be deltas against a keyframe of the same source."""
    db.execute("ALTER TABLE blobs ADD COLUMN base TEXT")


def _v4(db: sqlite_utils.Database) -> None:
    """Each fetch remembers the extraction rules (normaliser version, select/remove)
    its text was judged under, so that after an upgrade the re-read baseline is
    computed once, not at every check."""
    db.execute("ALTER TABLE fetches ADD COLUMN rules_hash TEXT")


def _v5(db: sqlite_utils.Database) -> None:
    """Which fetches made or met a version: an imported change counts from when its new
    version was captured (see :meth:`watcher.store.Store.changes`)."""
    db.table("fetches").create_index(["version_id"], if_not_exists=True)


def _v6(db: sqlite_utils.Database) -> None:
    """Each fetch keeps its bytes' XXH3-128 fingerprint, which tells the same bytes
    again without their SHA-256 (see :func:`watcher.analysis.fingerprint`)."""
    db.execute("ALTER TABLE fetches ADD COLUMN raw_xxh3 TEXT")


Migration = Callable[["sqlite_utils.Database"], None]
MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6]
