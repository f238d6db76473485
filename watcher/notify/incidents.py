"""Failure incidents: a source whose checks keep failing, or keep being rejected.

An incident opens when the last ``alerts.failure_threshold`` checks of a
source all failed or were rejected, and closes at the next good check. Its
alert is queued once, when it opens (and not at all within
:data:`INCIDENT_COOLDOWN` of the source's previous incident alert); when it
was alerted, its closing queues one "checks succeed again" email. Both are
queued in the outbox (:class:`~watcher.notify.outbox.Outbox`) in the
transaction that opens or closes the incident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from ..config import Source
from ..pipeline import Outcome
from ..store import iso, utcnow
from .messages import incident_content, one_line, recovery_content

if TYPE_CHECKING:
    from .outbox import Outbox

log = logging.getLogger(__name__)

INCIDENT_COOLDOWN = timedelta(hours=24)
"""After an incident alert, further incidents of the same source stay quiet this long."""
OK_OUTCOMES = ("first", "changed", "unchanged")
BAD_OUTCOMES = ("failed", "rejected")


def track(outbox: Outbox, outcome: Outcome) -> int | None:
    """Open or close a failure incident after a check; returns a new incident's id."""
    if outcome.status in OK_OUTCOMES:
        _close(outbox, outcome)
        return None
    if outcome.status not in BAD_OUTCOMES:
        return None
    threshold = outbox.config.settings.alerts.failure_threshold
    recent = outbox.store.recent_fetches(outcome.source_id, threshold)
    if len(recent) < threshold or any(r["outcome"] not in BAD_OUTCOMES for r in recent):
        return None
    return _open(outbox, outcome.source_id, recent)


def _close(outbox: Outbox, outcome: Outcome) -> None:
    source_id, store = outcome.source_id, outbox.store
    if not store.conn.execute(
        "SELECT 1 FROM incidents WHERE source_id = ? AND closed_at IS NULL", [source_id]
    ).fetchone():
        return  # the common case, answered without taking the write lock
    with store.transaction() as db:
        sql = "SELECT * FROM incidents WHERE source_id = ? AND closed_at IS NULL"
        incident = next(iter(db.query(sql, [source_id])), None)
        if incident is None:
            return  # another process closed it meanwhile
        incident["closed_at"] = iso(utcnow())
        db.execute(
            "UPDATE incidents SET closed_at = ? WHERE id = ?",
            [incident["closed_at"], incident["id"]],
        )
        if incident["alerted"]:  # those told it was failing are told it is back
            _queue_recovery(outbox, incident, outcome.status)
    log.info("%s: incident %d closed (a check succeeded)", source_id, incident["id"])


def _open(outbox: Outbox, source_id: str, recent: Sequence[dict[str, Any]]) -> int | None:
    last = recent[0]
    kind = "rejected" if last["outcome"] == "rejected" else "failing"
    reason = one_line(last["reason"] or last["error"] or last["outcome"], 300)
    now = utcnow()
    # Plain SQL: a page still broken at every check must not import sqlite-utils.
    with outbox.store.writing() as db:
        open_row = db.execute(
            "SELECT id FROM incidents WHERE source_id = ? AND closed_at IS NULL", [source_id]
        ).fetchone()
        if open_row is not None:
            db.execute(
                "UPDATE incidents SET checks = checks + 1, reason = ? WHERE id = ?",
                [reason, open_row[0]],
            )
            return None
        recently = db.execute(
            "SELECT 1 FROM incidents WHERE source_id = ? AND alerted = 1 AND opened_at >= ?",
            [source_id, iso(now - INCIDENT_COOLDOWN)],
        ).fetchone()
        incident_id = outbox.store.insert(
            db,
            "incidents",
            {
                "source_id": source_id,
                "kind": kind,
                "opened_at": recent[-1]["started_at"],
                "checks": len(recent),
                "reason": reason,
                "alerted": 0,
            },
        )
        if recently is None and _queue_incident(outbox, incident_id, source_id, recent):
            db.execute("UPDATE incidents SET alerted = 1 WHERE id = ?", [incident_id])
    log.warning("%s: incident %d opened: %s (%s)", source_id, incident_id, kind, reason)
    return incident_id


def _queue_incident(
    outbox: Outbox,
    incident_id: int,
    source_id: str,
    recent: Sequence[dict[str, Any]],
) -> bool:
    def compose(source: Source) -> tuple[str, str, str]:
        verb = "rejected" if recent[0]["outcome"] == "rejected" else "failed"
        subject = f"[policy watch] {source.name}: last {len(recent)} checks {verb}"
        timezone = outbox.config.settings.timezone
        return (subject, *incident_content(source, recent, subject, timezone))

    return _queue_about(outbox, "incident", incident_id, source_id, compose)


def _queue_recovery(outbox: Outbox, incident: dict[str, Any], status: str) -> None:
    def compose(source: Source) -> tuple[str, str, str]:
        subject = f"[policy watch] {source.name}: checks succeed again"
        timezone = outbox.config.settings.timezone
        return (subject, *recovery_content(source, incident, status, subject, timezone))

    _queue_about(outbox, "recovery", incident["id"], incident["source_id"], compose)


def _queue_about(
    outbox: Outbox,
    kind: Literal["incident", "recovery"],
    incident_id: int,
    source_id: str,
    compose: Callable[[Source], tuple[str, str, str]],
) -> bool:
    """Queue the ``kind`` email about an incident for the source's recipients (in the
    transaction under way); ``compose`` writes its subject, text and HTML. False when
    no one gets it."""
    config = outbox.config
    source = next((s for s in config.sources if s.id == source_id), None)
    recipients = config.recipients(source) if source else ()
    if outbox.smtp is None or not recipients or source is None:
        return False
    subject, text, html = compose(source)
    outbox.insert_built(
        outbox.store.db,
        kind=kind,
        dedupe_key=f"{kind}:{incident_id}",
        what=f"{kind}-{incident_id}",
        recipients=recipients,
        subject=subject,
        text=text,
        html=html,
        source_id=source_id,
        incident_id=incident_id,
    )
    return True
