"""Email alerts through an outbox: written with the change, sent afterwards, never twice.

**Enqueue.** :meth:`Outbox.on_change` is a :class:`~watcher.pipeline.Pipeline`
``on_change`` hook: it runs inside the transaction that records a change and
inserts one ``outbox`` row per recipient, so an alert exists if and only if
its change does. Each row gets a Message-ID when it is written; the
``(dedupe_key, recipient)`` pair is unique, so nothing is ever queued twice.
Failure incidents (:mod:`watcher.notify.incidents`, through :meth:`Outbox.track`) and
digests are queued the same way.

**Deliver.** :meth:`Outbox.deliver` runs under an exclusive ``flock`` on
``outbox.lock`` in the data directory (one sender at a time, across threads
and processes; the kernel drops the lock when a sender dies). A row moves::

    pending --claim--> claimed --server said 354 to DATA--> sending --250--> sent
       ^                  |                                    |
       +-- retry later ---+ (refused, 4xx, connection lost)    +-- 4xx: pending, 5xx: failed
                                                               +-- no answer: uncertain

``sending`` is committed (``synchronous=FULL``) before the message body is
transmitted: it marks the only moment when the server may hold the message
while we do not know it. A sender that finds a ``claimed`` row it did not
claim itself (it holds the lock, so the claimer is dead) puts it back to
``pending``: the message never left. A ``sending`` row left by a dead sender,
or a connection lost before the server answered the body, becomes
``uncertain`` and is never sent again automatically; ``watcher status``
shows it and ``watcher outbox --retry ID`` resends it (same Message-ID, same
bytes). Rows still undelivered after :attr:`Backoff.give_up_after` become
``failed``.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..config import Config, SmtpSettings
from ..errors import NotFoundError, NotifyError
from ..pipeline import ChangeRecord, Outcome
from ..store import Store, iso, utcnow
from . import incidents
from .messages import build_message, change_content, new_message_id, one_line
from .smtp import (
    describe_error,
    dot_stuffed,
    open_smtp,
    outbox_lock,
    quit_quietly,
    synchronous_full,
)

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

QUIET_CLASSES = ("none", "cosmetic")
PROBLEM_STATES = ("failed", "uncertain")

Kind = Literal["change", "incident", "recovery", "digest"]
Result = Literal["sent", "retry", "failed", "uncertain"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """When to try an undelivered email again: ``base * 2**(attempts-1)``, at most ``cap``."""

    base: float = 30.0
    cap: float = 3600.0
    give_up_after: timedelta = timedelta(days=3)

    def delay(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts."""
        seconds = self.base * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.cap))


@dataclass(slots=True)
class DeliveryReport:
    """What one :meth:`Outbox.deliver` run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Rows this run tried to send."""
        return self.sent + self.retrying + self.failed + self.uncertain

    def undelivered(self) -> str | None:
        """What was not delivered and what becomes of it, in one line; None if all was."""
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.retrying, f"not sent yet ({NEXT_STEP['pending']})"),
                (self.failed, f"refused by the server ({NEXT_STEP['failed']})"),
                (self.uncertain, f"of uncertain delivery ({NEXT_STEP['uncertain']})"),
            )
            if count
        ]
        if not parts:
            return None
        reason = f": {self.errors[0]}" if self.errors else ""
        return "; ".join(parts) + reason


# What becomes of an email that was not delivered, by its state.
NEXT_STEP = {
    "pending": "'watcher run' retries",
    "failed": "queue again with 'watcher outbox --retry ID'",
    "uncertain": "listed by 'watcher status'; send again with 'watcher outbox --retry ID'",
}


# ---------------------------------------------------------------- the outbox


@dataclass
class Outbox:
    """The outbox of one store, under one configuration."""

    store: Store
    config: Config
    reports_dir: Path = Path("reports")
    backoff: Backoff = field(default_factory=Backoff)
    _changes: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    @property
    def smtp(self) -> SmtpSettings | None:
        """The SMTP settings; None when email is not configured."""
        return self.config.settings.smtp

    # ------------------------------------------------------------ enqueue

    def on_change(self, db: sqlite_utils.Database, record: ChangeRecord) -> None:
        """Pipeline hook: queue one alert per recipient, inside the change's transaction."""
        if self.smtp is None:
            return
        quiet = record.changes.classification in QUIET_CLASSES
        if quiet and self.config.settings.alerts.cosmetic == "digest":
            log.info("change %d of %s is cosmetic: digest only", record.change_id, record.source.id)
            return
        subject = f"[policy change] {record.source.name}: {record.changes.headline()}"
        for recipient in self.config.recipients(record.source):
            self._insert(
                db,
                kind="change",
                dedupe_key=f"change:{record.change_id}",
                recipient=recipient,
                subject=subject,
                what=f"change-{record.change_id}",
                source_id=record.source.id,
                change_id=record.change_id,
            )

    def _insert(
        self,
        db: sqlite_utils.Database,
        *,
        kind: Kind,
        dedupe_key: str,
        recipient: str,
        subject: str,
        what: str,
        source_id: str | None = None,
        change_id: int | None = None,
        incident_id: int | None = None,
        message: bytes | None = None,
        message_id: str | None = None,
    ) -> bool:
        """Queue one email (ignored when this key and recipient are already queued)."""
        assert self.smtp is not None
        now = iso(utcnow())
        cursor = db.execute(
            "INSERT OR IGNORE INTO outbox (kind, dedupe_key, recipient, source_id, change_id, "
            "incident_id, subject, message_id, message, state, attempts, next_attempt_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
            [
                kind,
                dedupe_key,
                recipient,
                source_id,
                change_id,
                incident_id,
                one_line(subject, 900),
                message_id or new_message_id(self.smtp.sender, what),
                message,
                now,
                now,
                now,
            ],
        )
        return bool(cursor.rowcount)

    def enqueue_prepared(
        self,
        *,
        kind: Kind,
        dedupe_key: str,
        subject: str,
        recipients: Sequence[str],
        text: str,
        html: str,
    ) -> int:
        """Queue a ready-made email (a digest) to ``recipients``; returns how many were new."""
        if self.smtp is None:
            raise NotifyError("settings.smtp is not configured in the sources file")
        with self.store.transaction() as db:
            return self.insert_built(
                db,
                kind=kind,
                dedupe_key=dedupe_key,
                what=kind,
                recipients=recipients,
                subject=subject,
                text=text,
                html=html,
            )

    def insert_built(
        self,
        db: sqlite_utils.Database,
        *,
        kind: Kind,
        dedupe_key: str,
        what: str,
        recipients: Sequence[str],
        subject: str,
        text: str,
        html: str,
        source_id: str | None = None,
        incident_id: int | None = None,
    ) -> int:
        """Build one email per recipient now and queue it; returns how many were new."""
        assert self.smtp is not None
        added = 0
        for recipient in recipients:
            message_id = new_message_id(self.smtp.sender, what)
            message = build_message(
                sender=self.smtp.sender,
                recipient=recipient,
                subject=subject,
                message_id=message_id,
                text=text,
                html=html,
            )
            added += self._insert(
                db,
                kind=kind,
                dedupe_key=dedupe_key,
                recipient=recipient,
                subject=subject,
                what=what,
                source_id=source_id,
                incident_id=incident_id,
                message=message,
                message_id=message_id,
            )
        return added

    # ------------------------------------------------------------ incidents

    def track(self, outcome: Outcome) -> int | None:
        """Open or close a failure incident after a check; returns a new incident's id
        (see :mod:`watcher.notify.incidents`)."""
        return incidents.track(self, outcome)

    # ------------------------------------------------------------ deliver

    def deliver(self, now: datetime | None = None, limit: int = 200) -> DeliveryReport:
        """Send the emails that are due; safe to call from any number of processes."""
        report = DeliveryReport()
        if self.smtp is None:
            return report
        with outbox_lock(self.store.data_dir) as held:
            if not held:
                report.busy = True
                return report
            with synchronous_full(self.store):
                self._recover()
                rows = self._due(now or utcnow(), limit)
                if rows:
                    self._deliver_rows(rows, report)
        if report.attempted:
            log.info(
                "outbox: %d sent, %d to retry, %d failed, %d uncertain",
                report.sent,
                report.retrying,
                report.failed,
                report.uncertain,
            )
        return report

    def _recover(self) -> None:
        """Rows left mid-delivery by a sender that died (we hold the lock, so it did)."""
        now = iso(utcnow())
        with self.store.transaction() as db:
            claimed = db.execute(
                "UPDATE outbox SET state = 'pending', updated_at = ?, last_error = "
                "'interrupted before the message was sent' WHERE state = 'claimed'",
                [now],
            ).rowcount
            sending = db.execute(
                "UPDATE outbox SET state = 'uncertain', updated_at = ?, last_error = "
                "'the sender stopped while the server was receiving the message; it was "
                "probably delivered, so it is not sent again' WHERE state = 'sending'",
                [now],
            ).rowcount
        if claimed or sending:
            log.warning(
                "outbox: recovered %d interrupted email(s) to retry, %d of uncertain delivery",
                claimed,
                sending,
            )

    def _due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        return list(
            self.store.db.query(
                "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
                "ORDER BY id LIMIT ?",
                [iso(now), limit],
            )
        )

    def _deliver_rows(self, rows: list[dict[str, Any]], report: DeliveryReport) -> None:
        assert self.smtp is not None
        conn: smtplib.SMTP | None = None
        try:
            for index, row in enumerate(rows):
                message = row["message"] or self._compose_or_fail(row, report)
                if message is None:
                    continue
                if conn is None:
                    try:
                        conn = open_smtp(self.smtp)
                    except NotifyError as exc:
                        report.errors.append(str(exc))
                        self._postpone(rows[index:], str(exc), report)
                        return
                if not self._claim(row, message):
                    continue
                result, conn = self._send_one(conn, row, message)
                setattr(report, _COUNTER[result], getattr(report, _COUNTER[result]) + 1)
        finally:
            quit_quietly(conn)

    def _compose_or_fail(self, row: dict[str, Any], report: DeliveryReport) -> bytes | None:
        try:
            return self.compose(row)
        except Exception as exc:  # a bad row must not block the others
            log.exception("outbox %d: cannot build the message", row["id"])
            self._finish(row["id"], "failed", f"cannot build the message: {describe_error(exc)}")
            report.failed += 1
            return None

    def _claim(self, row: dict[str, Any], message: bytes) -> bool:
        with self.store.transaction() as db:
            return bool(
                db.execute(
                    "UPDATE outbox SET state = 'claimed', attempts = attempts + 1, "
                    "message = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                    [message, iso(utcnow()), row["id"]],
                ).rowcount
            )

    def _send_one(
        self, conn: smtplib.SMTP, row: dict[str, Any], message: bytes
    ) -> tuple[Result, smtplib.SMTP | None]:
        """One SMTP transaction for one claimed row; returns the result and the
        connection (None when it broke)."""
        assert self.smtp is not None
        attempts = row["attempts"] + 1
        steps = (
            ("MAIL FROM", "mail", self.smtp.sender, (250,)),
            ("RCPT TO", "rcpt", row["recipient"], (250, 251)),
            ("DATA", "docmd", "DATA", (354,)),
        )
        try:
            for command, method, argument, ok in steps:
                code, reply = getattr(conn, method)(argument)
                if code not in ok:
                    return self._refused(conn, row, attempts, command, code, reply), conn
        except (smtplib.SMTPException, OSError) as exc:
            self._retry(row["id"], attempts, f"connection lost: {describe_error(exc)}")
            quit_quietly(conn)
            return "retry", None
        self._mark_sending(row["id"])
        try:
            conn.send(dot_stuffed(message))
            code, reply = conn.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._finish(
                row["id"],
                "uncertain",
                f"connection lost before the server confirmed the message "
                f"({describe_error(exc)}); not sent again to avoid a duplicate",
            )
            quit_quietly(conn)
            return "uncertain", None
        if code == 250:
            self._mark_sent(row["id"])
            log.info("outbox %d: sent to %s (%s)", row["id"], row["recipient"], row["kind"])
            return "sent", conn
        return self._refused(conn, row, attempts, "end of DATA", code, reply), conn

    def _refused(
        self,
        conn: smtplib.SMTP,
        row: dict[str, Any],
        attempts: int,
        command: str,
        code: int,
        reply: bytes,
    ) -> Result:
        error = one_line(f"{command}: {code} {reply.decode('utf-8', 'replace')}", 300)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            conn.rset()
        if 500 <= code <= 599:
            self._finish(row["id"], "failed", error)
            log.warning("outbox %d: refused for good: %s", row["id"], error)
            return "failed"
        self._retry(row["id"], attempts, error)
        return "retry"

    def _postpone(self, rows: Sequence[dict[str, Any]], error: str, report: DeliveryReport) -> None:
        """The server cannot be used now: every remaining row waits for its next try."""
        for row in rows:
            result = self._retry(row["id"], row["attempts"] + 1, error, count=True)
            setattr(report, _COUNTER[result], getattr(report, _COUNTER[result]) + 1)
        log.warning("outbox: %d email(s) not sent: %s", len(rows), error)

    def _retry(self, row_id: int, attempts: int, error: str, count: bool = False) -> Result:
        """Back to ``pending`` after a backoff, or ``failed`` once too old."""
        now = utcnow()
        created = self.store.db.execute(
            "SELECT created_at FROM outbox WHERE id = ?", [row_id]
        ).fetchone()[0]
        next_at = now + self.backoff.delay(attempts)
        if next_at > datetime.fromisoformat(created) + self.backoff.give_up_after:
            self._finish(row_id, "failed", f"gave up after {attempts} attempts: {error}")
            return "failed"
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, "
                f"updated_at = ?{', attempts = attempts + 1' if count else ''} "
                "WHERE id = ? AND state IN ('pending', 'claimed', 'sending')",
                [iso(next_at), error, iso(now), row_id],
            )
        return "retry"

    def _mark_sending(self, row_id: int) -> None:
        """The point of no return: committed before the body goes out."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'sending', updated_at = ? WHERE id = ?",
                [iso(utcnow()), row_id],
            )

    def _mark_sent(self, row_id: int) -> None:
        now = iso(utcnow())
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?, last_error = NULL "
                "WHERE id = ?",
                [now, now, row_id],
            )

    def _finish(self, row_id: int, state: str, error: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                [state, error, iso(utcnow()), row_id],
            )

    # ------------------------------------------------------------ composing change alerts

    def compose(self, row: dict[str, Any]) -> bytes:
        """The email of an outbox row that was queued without one (a change alert)."""
        if row["kind"] != "change" or row["change_id"] is None:
            raise NotifyError(f"outbox row {row['id']} has no message")
        assert self.smtp is not None
        text, html = self._change_content(row["change_id"], row["subject"])
        return build_message(
            sender=self.smtp.sender,
            recipient=row["recipient"],
            subject=row["subject"],
            message_id=row["message_id"],
            text=text,
            html=html,
            headers={"X-Watcher-Change": str(row["change_id"])},
        )

    def _change_content(self, change_id: int, subject: str) -> tuple[str, str]:
        if change_id not in self._changes:
            self._changes[change_id] = change_content(
                self.store, self.config, self.reports_dir, change_id, subject
            )
        return self._changes[change_id]

    # ------------------------------------------------------------ manual actions

    def retry(self, row_ids: Sequence[int]) -> int:
        """Queue failed or uncertain rows again (the same Message-ID and bytes)."""
        found = 0
        with self.store.transaction() as db:
            for row_id in row_ids:
                row = db.execute("SELECT state FROM outbox WHERE id = ?", [row_id]).fetchone()
                if row is None:
                    raise NotFoundError(f"no outbox email with id {row_id}")
                if row[0] not in PROBLEM_STATES:
                    raise NotifyError(f"outbox email {row_id} is {row[0]}, not failed or uncertain")
                db.execute(
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ?, "
                    "created_at = ? WHERE id = ?",
                    [iso(utcnow()), iso(utcnow()), iso(utcnow()), row_id],
                )
                found += 1
        return found


_COUNTER: dict[Result, str] = {
    "sent": "sent",
    "retry": "retrying",
    "failed": "failed",
    "uncertain": "uncertain",
}
