"""What the store knows about each source (last check, last change, last error), and
the state of the daemon, the outbox and failure incidents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from .config import Config
from .store import Store


def human_interval(interval: timedelta) -> str:
    """``timedelta(hours=12)`` → ``"12h"``."""
    seconds = int(interval.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def source_state(store: Store, source_id: str) -> dict[str, Any]:
    """The stored state of one source."""
    last = store.last_fetch(source_id, ("first", "changed", "unchanged", "rejected", "failed"))
    problem = store.last_fetch(source_id, ("rejected", "failed"))
    success = store.last_fetch(source_id, ("first", "changed", "unchanged"))
    changes = store.changes(source_id)
    failing = problem is not None and (success is None or problem["id"] > success["id"])
    return {
        "last_check": last["started_at"] if last else None,
        "last_outcome": last["outcome"] if last else None,
        "last_change": changes[-1]["changed_at"] if changes else None,
        "last_error": (problem["reason"] or problem["error"]) if failing and problem else None,
        "versions": len(store.versions(source_id)),
        "changes": len(changes),
    }


def source_states(store: Store, config: Config) -> list[dict[str, Any]]:
    """Configured sources, then archive-only sources known to the store."""
    states = []
    configured = {s.id for s in config.sources}
    for source in config.sources:
        states.append(
            {
                "id": source.id,
                "name": source.name,
                "url": source.url,
                "interval": human_interval(source.interval),
                "enabled": source.enabled,
                "tags": list(source.tags),
                **source_state(store, source.id),
            }
        )
    for source_id in store.source_ids():
        if source_id not in configured:
            row = store.source_row(source_id) or {}
            states.append(
                {
                    "id": source_id,
                    "name": row.get("name") or source_id,
                    "url": row.get("url"),
                    "interval": None,
                    "enabled": False,
                    "tags": [],
                    **source_state(store, source_id),
                }
            )
    return states


def service_state(store: Store, data_dir: Path) -> dict[str, Any]:
    """The daemon (running or not, next runs), the outbox and open incidents."""
    from .daemonstate import read_state
    from .notify import open_incidents, outbox_summary

    return {
        "daemon": read_state(data_dir),
        "outbox": outbox_summary(store),
        "incidents": open_incidents(store),
    }
