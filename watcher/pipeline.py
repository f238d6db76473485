"""The one pipeline: a capture goes in, what happened comes out.

``check``, ``import`` and the daemon all call :meth:`Pipeline.process` (or
:meth:`Pipeline.handle` for a fetch result). Nothing else decides whether a
capture becomes a new version. Outcomes: ``first`` (the source's first
version), ``changed`` (a new version and a change), ``unchanged``,
``rejected`` (a broken capture, with a reason) and ``failed`` (a fetch error).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from . import fetchrows, quality
from .analysis import (
    Analysis,
    analyse,
    analysis_of,
    raw_digest,
    rules_hash,
    rules_of,
    same_bytes,
)
from .canonical import NORMALISER_VERSION
from .config import Settings, Source
from .errors import InputError, NotFoundError
from .model import Attempt, Capture, FetchResult, Validators
from .store import Store, Version, VersionHead, iso, sha256, utcnow

if TYPE_CHECKING:
    import sqlite_utils

    from .diff import ChangeSet

log = logging.getLogger(__name__)

Status = Literal["first", "changed", "unchanged", "rejected", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one capture."""

    source_id: str
    status: Status
    captured_at: str
    version_id: int | None = None
    change_id: int | None = None
    reason: str | None = None
    file: str | None = None
    headline: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON line that ``import --json`` and ``check --json`` print."""
        data: dict[str, Any] = {
            "source": self.source_id,
            "captured_at": self.captured_at,
            "status": self.status,
            "version": self.version_id,
            "change": self.change_id,
            "reason": self.reason,
        }
        if self.file is not None:
            data = {"file": self.file, **data}
        return data


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A change just recorded, handed to hooks inside its transaction."""

    change_id: int
    source: Source
    old: Version
    new_version_id: int
    changes: ChangeSet


ChangeHook = Callable[["sqlite_utils.Database", ChangeRecord], None]


@dataclass
class Pipeline:
    """Records captures of sources in a store.

    ``on_change`` hooks run inside the transaction that records a change (the
    outbox uses this, so an alert exists if and only if its change does);
    ``after_change`` hooks run after the commit (reports, feeds), given the same
    record, whose diff they reuse.
    """

    store: Store
    settings: Settings = field(default_factory=Settings)
    on_change: list[ChangeHook] = field(default_factory=list)
    after_change: list[Callable[[ChangeRecord], None]] = field(default_factory=list)
    # By source, the version and the fetch that the validators of its conditional
    # request came from (see :meth:`validators`): what a 304 answer stands for.
    _validated: dict[str, tuple[VersionHead, dict[str, Any]]] = field(
        default_factory=dict, repr=False
    )

    # ------------------------------------------------------------ entry points

    def handle(self, source: Source, result: FetchResult, refetch: str | None = None) -> Outcome:
        """Record the result of fetching ``source`` from the network (``refetch``: see
        :meth:`process`)."""
        if result.outcome == "ok" and result.capture is not None:
            return self.process(source, result.capture, result.attempts, refetch=refetch)
        if result.outcome == "not_modified":
            return self._record_not_modified(source, result)
        return self._record_failure(source, result)

    def record_without_reading(self, source: Source, result: FetchResult) -> Outcome | None:
        """Record ``result`` when that needs no reading of its page: a failure, a 304,
        or the bytes of the capture judged last, judged again as it was. None when
        the page has new bytes: then :meth:`process` it, with its analysis."""
        capture = result.capture
        if result.outcome != "ok" or capture is None:
            return self.handle(source, result)
        latest = self.store.latest_head(source.id)
        return self._record_known(source, capture, result.attempts, latest)

    def likely_reads(self, sources: Sequence[Source]) -> int:
        """How many of ``sources`` a check will probably have to read (normalise), judged
        from their history: those never captured, last read under other rules, or
        whose last two captures had different bytes. A page whose bytes did not change
        last time probably will not this time either (most policies stay the same for
        months), and a page with new bytes at every fetch will have them again."""
        recent = self.store.recent_captures([source.id for source in sources])
        count = 0
        for source in sources:
            raw, rules = recent.get(source.id, ([], None))
            if not raw or len(set(raw)) > 1 or rules != rules_hash(source):
                count += 1
        return count

    def process(
        self,
        source: Source,
        capture: Capture,
        attempts: Sequence[Attempt] = (),
        analysis: Analysis | InputError | None = None,
        raw_sha: str | None = None,
        refetch: str | None = None,
    ) -> Outcome:
        """Turn one capture of ``source`` into an outcome, recording it.

        ``analysis`` is the capture already normalised (or its error), and
        ``raw_sha`` the SHA-256 of its bytes, when that was done elsewhere, for
        example in a worker process. ``refetch`` is the canonical text of another
        fetch of the page a little earlier (see :meth:`awaits_confirmation`): lines
        that differ between the two are not the policy.
        """
        moment = iso(capture.captured_at)
        latest = self.store.latest_head(source.id)
        if capture.origin == "import":
            raw_sha = raw_sha or raw_digest(capture.body)
            earlier = self._earlier_import(source, capture, raw_sha, latest)
            if earlier is not None:
                return earlier
        known = self._record_known(source, capture, attempts, latest)
        if known is not None:
            return known
        # Hashed only now: the same bytes as before were told by their fingerprint.
        raw_sha = raw_sha or raw_digest(capture.body)
        if analysis is None:
            try:
                analysis = analyse(capture, rules_of(source), capture.filename or source.url)
            except InputError as exc:
                analysis = exc
        if isinstance(analysis, InputError):
            if capture.origin == "import":
                raise analysis
            return self._record(
                source, capture, attempts, "rejected", raw_sha, reason=str(analysis)
            )
        log.debug("%s: analysed capture of %s", source.id, moment)
        return self._decide(source, capture, attempts, raw_sha, analysis, refetch)

    def awaits_confirmation(
        self, source: Source, capture: Capture, analysis: Analysis | InputError
    ) -> bool:
        """Whether this capture from the network would record a change that a second
        fetch should confirm first (``fetch.confirm_after``; only reads the store).

        Counters ("1,204 views", "12 out of 30 found this helpful"), per-request
        variants and clocks differ between two fetches of the same page; the policy
        does not. The caller fetches the page again later and records that capture
        with this one's text as ``refetch``.
        """
        if self.settings.fetch.confirm_after is None or capture.origin != "network":
            return False
        if isinstance(analysis, InputError):
            return False
        latest = self.store.latest_head(source.id)
        if latest is None or self._same_content(source, latest, analysis, capture) is not None:
            return False
        return quality.verdict(analysis.document, latest.words).ok

    # ------------------------------------------------------------ decisions

    def _earlier_import(
        self, source: Source, capture: Capture, raw_sha: str, latest: VersionHead | None
    ) -> Outcome | None:
        """Imports are idempotent and must come in time order."""
        moment = iso(capture.captured_at)
        seen = self.store.last_fetch_matching(source.id, raw_sha, moment)
        if seen is not None:
            in_force = self._version_at(source.id, moment)
            return Outcome(
                source.id,
                "unchanged",
                moment,
                in_force,
                file=capture.filename,
                reason="already imported",
            )
        if latest is not None and moment < latest.captured_at:
            raise InputError(
                f"{capture.filename}: captured {moment}, before the latest version of "
                f"'{source.id}' ({latest.captured_at}); import history oldest first"
            )
        return None

    def _version_at(self, source_id: str, moment: str) -> int | None:
        try:
            return self.store.version_at(source_id, moment).id
        except NotFoundError:
            return None

    def _record_known(
        self,
        source: Source,
        capture: Capture,
        attempts: Sequence[Attempt],
        latest: VersionHead | None,
    ) -> Outcome | None:
        """Record a capture of the bytes judged last as they were judged (the same
        version, or the same rejection), neither read nor hashed; None for new bytes."""
        if latest is not None:
            same = self._same_raw(source, latest, capture.body)
            if same is not None:
                return self._record(
                    source, capture, attempts, "unchanged", same, version_id=latest.id
                )
        rejected = self._same_rejection(source, capture.body)
        if rejected is None:
            return None
        return self._record(
            source,
            capture,
            attempts,
            "rejected",
            rejected["raw_sha256"],
            reason=rejected["reason"],
            judged=rejected,
        )

    def _same_raw(self, source: Source, latest: VersionHead, body: bytes) -> str | None:
        """The SHA-256 of ``body`` when these are the bytes of the last accepted capture,
        judged under the current rules: no need to parse them, nor to hash them."""
        last = self.store.last_fetch(source.id, ("first", "changed", "unchanged"))
        if last is None or not same_bytes(last, body):
            return None
        judged_under = last["rules_hash"] or latest.rules_hash
        return str(last["raw_sha256"]) if judged_under == rules_hash(source) else None

    def _same_rejection(self, source: Source, body: bytes) -> dict[str, Any] | None:
        """The source's last judged capture, when it had these bytes and was rejected
        under the current rules for what it is (an error or empty page), not for how
        it compares with the latest version (a shrink, which repeats can overturn):
        the same bytes get the same verdict without being parsed again."""
        last = self.store.last_fetch(source.id, ("first", "changed", "unchanged", "rejected"))
        if (
            last is None
            or last["outcome"] != "rejected"
            or last["content_sha256"] is None  # unreadable: no text was judged
            or last["rules_hash"] != rules_hash(source)
            or quality.is_confirmable(last["reason"])
            or not same_bytes(last, body)
        ):
            return None
        return last

    def _baseline(self, source: Source, latest: VersionHead) -> str:
        """The content hash to compare against: the latest version's, or, when it was
        made by another normaliser or other rules, its text as the current rules read
        it (remembered by the fetches judged since, else re-read from its raw capture)."""
        current = rules_hash(source)
        if latest.rules_hash == current or not latest.raw_sha256:
            return latest.content_sha256
        judged = self.store.last_fetch_judged(source.id, latest.id, current)
        if judged is not None:
            return judged
        again = self._reread(source, latest.raw_sha256)
        return again.content_sha if again else latest.content_sha256

    def _reread(self, source: Source, raw_sha: str) -> Analysis | None:
        """A stored raw capture normalised under the current rules (None when it is
        gone or no longer readable)."""
        try:
            raw = self.store.raw(raw_sha)
            capture = Capture(body=raw, captured_at=datetime.now(UTC), content_type="")
            return analyse(capture, rules_of(source), source.url)
        except (InputError, NotFoundError):
            return None

    def _decide(
        self,
        source: Source,
        capture: Capture,
        attempts: Sequence[Attempt],
        raw_sha: str,
        analysis: Analysis,
        refetch: str | None = None,
    ) -> Outcome:
        with self.store.transaction() as db:
            # Re-read under the write lock: another process may have recorded it.
            latest = self.store.latest_head(source.id)
            same = self._same_content(source, latest, analysis, capture, refetch)
            if latest is not None and same is not None:
                return self._record(
                    source,
                    capture,
                    attempts,
                    "unchanged",
                    raw_sha,
                    version_id=latest.id,
                    analysis=analysis,
                    reason=same or None,
                )
            analysis = self._without_noise(source, latest, analysis, refetch)
            judged = quality.verdict(analysis.document, latest.words if latest else None)
            if not judged.ok and judged.confirmable and self._confirmed(source, analysis):
                judged = quality.Verdict.accept()
            if not judged.ok:
                self.store.put_blob(db, capture.body, raw_sha, source.id)
                return self._record(
                    source,
                    capture,
                    attempts,
                    "rejected",
                    raw_sha,
                    reason=judged.reason,
                    analysis=analysis,
                )
            outcome, record = self._record_version(
                db, source, capture, attempts, raw_sha, analysis, latest
            )
        if record is not None:
            for after in self.after_change:
                after(record)
        return outcome

    def _same_content(
        self,
        source: Source,
        latest: VersionHead | None,
        analysis: Analysis,
        capture: Capture,
        refetch: str | None = None,
    ) -> str | None:
        """Why the capture holds the latest version's text ("" when identical), or None.

        Differences that are only volatile blocks (lines that keep flipping
        across versions, hash-like tokens, the date of the day, lines that differ
        from ``refetch``, another fetch of the page) do not count.
        """
        if latest is None:
            return None
        if analysis.content_sha == self._baseline(source, latest):
            return ""
        if latest.rules_hash != rules_hash(source):
            return None
        from . import volatile  # here: only a page whose text changed needs it

        history = volatile.recent_texts(self.store, source.id)
        settled = volatile.settle(history, analysis.text, capture.captured_at)
        if sha256(settled) == latest.content_sha256:
            return "only volatile blocks changed"
        if refetch is None:
            return None
        settled = volatile.settle(history, analysis.text, capture.captured_at, refetch)
        if sha256(settled) == latest.content_sha256:
            return "only lines that differ between two fetches changed"
        return None

    def _without_noise(
        self, source: Source, latest: VersionHead | None, analysis: Analysis, refetch: str | None
    ) -> Analysis:
        """The capture to record as a change: lines that differ from ``refetch`` (another
        fetch of the page) as the latest version has them, so that the version, its
        diff and its alert hold only what changed."""
        if refetch is None or latest is None or latest.rules_hash != rules_hash(source):
            return analysis
        from . import volatile

        stored = self.store.version(source.id, latest.id).text
        document = volatile.settle_document(stored, analysis.document, analysis.text, refetch)
        return analysis if document is analysis.document else analysis_of(document)

    def _read_as_now(self, db: sqlite_utils.Database, source: Source, version: Version) -> Version:
        """``version`` with its sections as this normaliser finds them.

        A version recorded by an older normaliser keeps its text, but its sections
        may have been found differently; diffing that outline against a new one
        would report sections that only the sectioning changed. It is re-read from
        its raw capture and its outline stored, so that this diff and every later
        one (report, email, digest) compares like with like. A version whose text
        other rules read differently is left as recorded.
        """
        current = rules_hash(source)
        if version.rules_hash == current or not version.raw_sha256:
            return version
        again = self._reread(source, version.raw_sha256)
        if again is None or again.content_sha != version.content_sha256:
            return version
        self.store.set_outline(db, version.id, again.outline, NORMALISER_VERSION, current)
        log.info(
            "%s: version %d re-sectioned by normaliser %d",
            source.id,
            version.id,
            NORMALISER_VERSION,
        )
        return dataclasses.replace(version, outline=again.outline, rules_hash=current)

    def _confirmed(self, source: Source, analysis: Analysis) -> bool:
        recent = self.store.recent_fetches(source.id, quality.CONFIRMATIONS)
        hashes = [
            r["content_sha256"]
            if r["outcome"] == "rejected" and quality.is_confirmable(r["reason"])
            else None
            for r in recent
        ]
        return quality.confirmed(analysis.content_sha, hashes)

    def _record_version(
        self,
        db: sqlite_utils.Database,
        source: Source,
        capture: Capture,
        attempts: Sequence[Attempt],
        raw_sha: str,
        analysis: Analysis,
        head: VersionHead | None,
    ) -> tuple[Outcome, ChangeRecord | None]:
        self.store.put_blob(db, capture.body, raw_sha, source.id)
        version_id = self.store.insert(
            db,
            "versions",
            {
                "source_id": source.id,
                "captured_at": iso(capture.captured_at),
                "content_sha256": analysis.content_sha,
                "raw_sha256": raw_sha,
                "title": analysis.outline.title or analysis.document.title,
                "text": analysis.text,
                "outline": json.dumps(analysis.outline.skeleton(), ensure_ascii=False),
                "words": analysis.document.words,
                "normaliser": NORMALISER_VERSION,
                "rules_hash": rules_hash(source),
            },
        )
        if head is None:
            outcome = self._record(
                source,
                capture,
                attempts,
                "first",
                raw_sha,
                version_id=version_id,
                analysis=analysis,
            )
            return outcome, None
        from .diff import diff  # here: a check that finds no change starts faster without

        latest = self._read_as_now(db, source, self.store.version(source.id, head.id))
        changes = diff(latest.outline, analysis.outline, self.settings.keywords)
        change_id = self.store.insert(
            db,
            "changes",
            {
                "source_id": source.id,
                "old_version_id": latest.id,
                "new_version_id": version_id,
                "detected_at": iso(utcnow()),
                "classification": changes.classification,
                "headline": changes.headline(),
                "summary": json.dumps(changes.summary(), ensure_ascii=False),
            },
        )
        record = ChangeRecord(change_id, source, latest, version_id, changes)
        for hook in self.on_change:
            hook(db, record)
        outcome = self._record(
            source,
            capture,
            attempts,
            "changed",
            raw_sha,
            version_id=version_id,
            analysis=analysis,
            change_id=change_id,
            headline=changes.headline(),
        )
        return outcome, record

    # ------------------------------------------------------------ fetch rows

    def _record(
        self,
        source: Source,
        capture: Capture,
        attempts: Sequence[Attempt],
        status: Status,
        raw_sha: str,
        *,
        version_id: int | None = None,
        reason: str | None = None,
        analysis: Analysis | None = None,
        change_id: int | None = None,
        headline: str | None = None,
        judged: dict[str, Any] | None = None,
    ) -> Outcome:
        """Write the fetch rows of a capture; ``judged`` is an earlier fetch of the same
        bytes whose judgement (text hash, rules) this one repeats without analysis."""
        if analysis is not None:
            judged = {"content_sha256": analysis.content_sha, "rules_hash": rules_hash(source)}
        row = fetchrows.capture_row(
            source, capture, status, raw_sha, version_id=version_id, reason=reason, judged=judged
        )
        fetchrows.write_fetch(self.store, source.id, row, attempts)
        moment = row["captured_at"]
        return Outcome(
            source.id, status, moment, version_id, change_id, reason, capture.filename, headline
        )

    def _record_not_modified(self, source: Source, result: FetchResult) -> Outcome:
        # The answer stands for the fetch whose validators were sent, read when they were
        # (not a capture imported since, which has none: the next request would go
        # without them).
        latest: VersionHead | None
        previous: dict[str, Any] | None
        validated = self._validated.pop(source.id, None)
        if validated is not None:
            latest, previous = validated
        else:
            latest = self.store.latest_head(source.id)
            previous = self.store.last_fetch(source.id, ("first", "changed", "unchanged"))
        moment = iso(utcnow())
        row = fetchrows.not_modified_row(result, previous, latest, moment)
        fetchrows.write_fetch(self.store, source.id, row, result.attempts)
        version_id = latest.id if latest else None
        return Outcome(source.id, "unchanged", moment, version_id, reason=fetchrows.NOT_MODIFIED)

    def _record_failure(self, source: Source, result: FetchResult) -> Outcome:
        moment = iso(utcnow())
        fetchrows.write_fetch(self.store, source.id, fetchrows.failure_row(result), result.attempts)
        return Outcome(source.id, "failed", moment, reason=result.error)

    # ------------------------------------------------------------ conditional requests

    def validators(self, source: Source) -> Validators | None:
        """ETag / Last-Modified of the last accepted network capture, for a conditional GET."""
        return self.validators_for([source]).get(source.id)

    def validators_for(self, sources: Sequence[Source]) -> dict[str, Validators]:
        """:meth:`validators` of many sources, read from the store at once; sources
        without any, or whose last version was read under other rules, are left out."""
        found = self.store.validated_heads([s.id for s in sources])
        out: dict[str, Validators] = {}
        for source in sources:
            self._validated.pop(source.id, None)
            pair = found.get(source.id)
            if pair is None:
                continue
            latest, last = pair
            if latest.rules_hash != rules_hash(source) or not (
                last["etag"] or last["last_modified"]
            ):
                continue
            self._validated[source.id] = pair
            out[source.id] = Validators(last["etag"], last["last_modified"])
        return out


def sync_sources(store: Store, sources: Iterable[Source]) -> None:
    """Make sure every configured source has its row in the store."""
    store.sync_sources([(s.id, s.name, s.url, s.config_hash(), s.archive_only) for s in sources])
