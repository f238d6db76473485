"""Reading the outbox and open incidents, for `watcher status` and `watcher outbox`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..store import Store
from .smtp import outbox_lock

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- reading the outbox


def outbox_summary(store: Store, limit: int = 10) -> dict[str, Any]:
    """Counts by state and the emails that need attention (for ``watcher status``)."""
    counts = {
        row["state"]: row["n"]
        for row in store.db.query("SELECT state, count(*) AS n FROM outbox GROUP BY state")
    }
    problems = list(
        store.db.query(
            "SELECT id, kind, recipient, subject, state, attempts, next_attempt_at, last_error, "
            "updated_at FROM outbox WHERE state IN ('failed', 'uncertain', 'claimed', 'sending') "
            "OR (state = 'pending' AND last_error IS NOT NULL) ORDER BY id DESC LIMIT ?",
            [limit],
        )
    )
    if any(p["state"] in ("claimed", "sending") for p in problems) and not _sending_now(store):
        for problem in problems:
            if problem["state"] in ("claimed", "sending"):
                problem["last_error"] = (
                    "interrupted: the sender stopped during delivery; the next delivery run "
                    "retries it (claimed) or marks it uncertain (sending)"
                )
    return {"counts": counts, "attention": problems}


def _sending_now(store: Store) -> bool:
    """Whether some process holds the outbox lock (is delivering) right now."""
    with outbox_lock(store.data_dir) as free:
        return not free


def outbox_rows(store: Store, states: Sequence[str] = (), limit: int = 50) -> list[dict[str, Any]]:
    """Outbox rows, newest first, without their message bytes."""
    sql = (
        "SELECT id, kind, dedupe_key, recipient, source_id, change_id, subject, message_id, "
        "state, attempts, next_attempt_at, last_error, created_at, sent_at FROM outbox"
    )
    params: list[Any] = []
    if states:
        sql += f" WHERE state IN ({', '.join('?' for _ in states)})"
        params.extend(states)
    return list(store.db.query(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]))


def open_incidents(store: Store) -> list[dict[str, Any]]:
    """Sources currently failing or rejected past the threshold."""
    return list(
        store.db.query(
            "SELECT id, source_id, kind, opened_at, checks, reason, alerted FROM incidents "
            "WHERE closed_at IS NULL ORDER BY opened_at"
        )
    )
