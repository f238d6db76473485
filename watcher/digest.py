"""The weekly digest: one self-contained HTML page about a period.

:func:`build_digest` reads the store: changes recorded in the period (with
their section diffs), versions recorded, checks that failed or were
rejected, and sources checked without a change. :func:`render_digest` turns
that into HTML (``templates/digest.html``: inline styles, no external
assets, a dark-mode style block, readable at phone width) and
:func:`digest_text` into the plain-text part of the email. The daemon calls
:func:`scheduled_digest` at the configured time; ``watcher digest`` calls the
same pieces.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from .config import Config, parse_duration
from .errors import InputError
from .notify import Outbox, format_time, report_link
from .publish import report_path, write_atomic
from .store import Store, iso, utcnow

log = logging.getLogger(__name__)

DEFAULT_SPAN = timedelta(days=7)
CATCH_UP = timedelta(days=14)
"""A scheduled digest starts where the previous one ended when that is this recent."""
RANK = {"none": 0, "cosmetic": 1, "editorial": 2, "substantive": 3}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------- the period


@dataclass(frozen=True, slots=True)
class Period:
    """``[since, until)`` in UTC, shown in ``timezone``."""

    since: datetime
    until: datetime
    timezone: str = "UTC"

    @property
    def label(self) -> str:
        """The ISO week of the period's middle, in its time zone: ``2025-W10``."""
        middle = (self.since + (self.until - self.since) / 2).astimezone(ZoneInfo(self.timezone))
        year, week, _ = middle.isocalendar()
        return f"{year}-W{week:02d}"

    def describe(self) -> str:
        """``2025-03-03 08:00 GMT – 2025-03-10 08:00 GMT``."""
        return (
            f"{format_time(iso(self.since), self.timezone)} – "
            f"{format_time(iso(self.until), self.timezone)}"
        )


def _moment(value: str, timezone: str, what: str, end_of_day: bool = False) -> datetime:
    """A date (midnight in ``timezone``; with ``end_of_day`` the next midnight) or an
    ISO timestamp (UTC unless it says otherwise)."""
    zone = ZoneInfo(timezone)
    try:
        if _DATE.match(value):
            day = datetime.fromisoformat(value).replace(tzinfo=zone)
            return (day + timedelta(days=1) if end_of_day else day).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)
    except ValueError:
        raise InputError(
            f"{what} '{value}' is not a date (YYYY-MM-DD) or timestamp (YYYY-MM-DDThh:mm)"
        ) from None
    except OverflowError:  # 9999-12-31 ends in year 10000; 0001-01-01+05:00 is year 0 in UTC
        raise _out_of_range(what, value) from None


def _out_of_range(what: str, value: str) -> InputError:
    """The error for a date or duration that reaches outside the years a date can have."""
    return InputError(f"{what} '{value}' is out of range (years 1 to 9999)")


def parse_period(
    since: str | None, until: str | None, timezone: str = "UTC", now: datetime | None = None
) -> Period:
    """The period of ``--since 7d|DATE`` and ``--until DATE`` (a date counts whole)."""
    # Stored times have whole seconds: "now" ends after the current second, so that
    # what was recorded a moment ago is in the digest.
    current = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(seconds=1)
    end = _moment(until, timezone, "--until", end_of_day=True) if until else current
    if since and (_DATE.match(since) or "T" in since):
        start = _moment(since, timezone, "--since")
    else:
        start = _start(end, since)
    if start >= end:
        raise InputError(f"the digest period is empty: {iso(start)} is not before {iso(end)}")
    return Period(start.replace(microsecond=0), end.replace(microsecond=0), timezone)


def _start(end: datetime, since: str | None) -> datetime:
    """``end`` less the duration ``since`` (``7d``, ``36h``; a week when none)."""
    try:
        span = parse_duration(since) if since else DEFAULT_SPAN
    except ValueError:
        raise InputError(
            f"--since '{since}' is neither a duration (e.g. 7d, 36h) nor a date (YYYY-MM-DD)"
        ) from None
    try:
        return end - span
    except OverflowError:  # it would start before year 1
        raise _out_of_range("--since", since or f"{DEFAULT_SPAN.days}d") from None


def digest_path(reports_dir: Path, period: Period) -> Path:
    """``reports/digest-YYYY-Www.html``."""
    return reports_dir / f"digest-{period.label}.html"


# ---------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One change recorded in the period, with its rendered section diffs."""

    change_id: int
    source_id: str
    source_name: str
    url: str
    detected_at: str
    classification: str
    headline: str
    sections: tuple[str, ...]
    fragment: Markup
    report_file: str
    report_url: str | None


@dataclass(slots=True)
class SourceLine:
    """A row of the overview: one source with versions or changes in the period."""

    source_id: str
    name: str
    versions: int = 0
    changes: int = 0
    classification: str = "none"
    sections: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Problem:
    """A source whose checks failed or were rejected in the period."""

    source_id: str
    name: str
    failed: int
    rejected: int
    checks: int
    reason: str
    last_at: str
    recovered: bool


@dataclass(frozen=True, slots=True)
class Quiet:
    """A source checked in the period without a change."""

    source_id: str
    name: str
    checks: int
    last_at: str


@dataclass(slots=True)
class Digest:
    """Everything the digest page shows."""

    period: Period
    generated_at: str
    overview: list[SourceLine]
    changes: list[ChangeEntry]
    problems: list[Problem]
    quiet: list[Quiet]
    unchecked: list[str]

    @property
    def title(self) -> str:
        """``Policy digest 2025-W10``."""
        return f"Policy digest {self.period.label}"

    @staticmethod
    def source_anchor(source_id: str) -> str:
        """The id of the first change of a source on the page."""
        return f"source-{source_id}"

    def anchor(self, entry: ChangeEntry) -> str | None:
        """The anchor of ``entry`` when it is its source's first change on the page."""
        first = next(e for e in self.changes if e.source_id == entry.source_id)
        return self.source_anchor(entry.source_id) if first is entry else None

    def summary(self) -> str:
        """``3 changes in 2 sources; 1 source with failed checks; 4 checked, no change``."""
        sources = len({c.source_id for c in self.changes})
        parts = [
            f"{_plural(len(self.changes), 'change')} in {_plural(sources, 'source')}"
            if self.changes
            else "no changes"
        ]
        if self.problems:
            parts.append(f"{_plural(len(self.problems), 'source')} with failed checks")
        if self.quiet:
            parts.append(f"{len(self.quiet)} checked, no change")
        return "; ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- building


def build_digest(store: Store, config: Config, period: Period, reports_dir: Path) -> Digest:
    """Read the store and build the digest of ``period``."""
    names = _names(store, config)
    since, until = iso(period.since), iso(period.until)
    entries = [
        _change_entry(store, config, reports_dir, row, names, period.timezone)
        for row in store.changes(since=since, until=until)
    ]
    checks = _fetch_counts(store, since, until)
    return Digest(
        period=period,
        generated_at=format_time(iso(utcnow()), period.timezone),
        overview=_overview(store, entries, names, since, until),
        changes=entries,
        problems=_problems(store, checks, names, since, until, period.timezone),
        quiet=_quiet(store, checks, entries, names, since, until, period.timezone),
        unchecked=[s.name for s in config.enabled() if s.id not in checks],
    )


def _names(store: Store, config: Config) -> dict[str, str]:
    names = {row["id"]: row["name"] for row in store.db.query("SELECT id, name FROM sources")}
    names.update({s.id: s.name for s in config.sources})
    return names


def _change_entry(
    store: Store,
    config: Config,
    reports_dir: Path,
    row: dict[str, Any],
    names: dict[str, str],
    timezone: str,
) -> ChangeEntry:
    from .diff import diff
    from .publish import report_meta
    from .report import render_html_fragment, short_label

    source_id = row["source_id"]
    old = store.version(source_id, row["old_version_id"])
    new = store.version(source_id, row["new_version_id"])
    changes = diff(old.outline, new.outline, config.settings.keywords)
    report = Path(
        row["report_path"] or report_path(reports_dir, source_id, row["id"], new.captured_at)
    )
    link = report_link(config, reports_dir, report)
    url = link if link.startswith(("http://", "https://")) else None
    meta = report_meta(store, source_id, old, new, url)
    return ChangeEntry(
        change_id=row["id"],
        source_id=source_id,
        source_name=names.get(source_id, source_id),
        url=meta.url,
        detected_at=format_time(row["changed_at"], timezone),
        classification=row["classification"] or changes.classification,
        headline=row["headline"] or changes.headline(),
        sections=tuple(short_label(s) for s in changes.changed_sections()),
        fragment=Markup(render_html_fragment(changes, meta)),  # an autoescaped template's output
        report_file=Path(os.path.relpath(report.resolve(), reports_dir.resolve())).as_posix(),
        report_url=url,
    )


def _fetch_counts(store: Store, since: str, until: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in store.db.query(
        "SELECT source_id, outcome, count(*) AS n FROM fetches WHERE started_at >= ? "
        "AND started_at < ? AND outcome != 'retry' GROUP BY source_id, outcome",
        [since, until],
    ):
        counts[row["source_id"]][row["outcome"]] = row["n"]
    return dict(counts)


def _overview(
    store: Store, entries: list[ChangeEntry], names: dict[str, str], since: str, until: str
) -> list[SourceLine]:
    lines: dict[str, SourceLine] = {}
    for row in store.db.query(
        "SELECT source_id, count(*) AS n FROM versions WHERE captured_at >= ? AND captured_at < ? "
        "GROUP BY source_id",
        [since, until],
    ):
        sid = row["source_id"]
        lines[sid] = SourceLine(sid, names.get(sid, sid), versions=row["n"])
    for entry in entries:
        line = lines.setdefault(entry.source_id, SourceLine(entry.source_id, entry.source_name))
        line.changes += 1
        if RANK.get(entry.classification, 0) > RANK.get(line.classification, 0):
            line.classification = entry.classification
        line.sections.extend(s for s in entry.sections if s not in line.sections)
    return sorted(
        lines.values(),
        key=lambda line: (-RANK.get(line.classification, 0), -line.changes, line.name.lower()),
    )


def _problems(
    store: Store,
    checks: dict[str, dict[str, int]],
    names: dict[str, str],
    since: str,
    until: str,
    timezone: str,
) -> list[Problem]:
    problems = []
    for sid, outcomes in sorted(checks.items(), key=lambda item: names.get(item[0], item[0])):
        failed, rejected = outcomes.get("failed", 0), outcomes.get("rejected", 0)
        if not failed and not rejected:
            continue
        bad = store.db.execute(
            "SELECT reason, error, started_at FROM fetches WHERE source_id = ? AND started_at >= ? "
            "AND started_at < ? AND outcome IN ('failed', 'rejected') ORDER BY id DESC LIMIT 1",
            [sid, since, until],
        ).fetchone()
        last = store.db.execute(
            "SELECT outcome FROM fetches WHERE source_id = ? AND started_at < ? "
            "AND outcome != 'retry' ORDER BY id DESC LIMIT 1",
            [sid, until],
        ).fetchone()
        problems.append(
            Problem(
                source_id=sid,
                name=names.get(sid, sid),
                failed=failed,
                rejected=rejected,
                checks=sum(outcomes.values()),
                reason=(bad[0] or bad[1] or "") if bad else "",
                last_at=format_time(bad[2], timezone) if bad else "-",
                recovered=last is not None and last[0] not in ("failed", "rejected"),
            )
        )
    return problems


def _quiet(
    store: Store,
    checks: dict[str, dict[str, int]],
    entries: list[ChangeEntry],
    names: dict[str, str],
    since: str,
    until: str,
    timezone: str,
) -> list[Quiet]:
    changed = {e.source_id for e in entries}
    quiet = []
    for sid, outcomes in checks.items():
        ok = outcomes.get("unchanged", 0)
        if not ok or sid in changed or outcomes.get("changed"):
            continue
        last = store.db.execute(
            "SELECT max(started_at) FROM fetches WHERE source_id = ? AND started_at >= ? "
            "AND started_at < ? AND outcome = 'unchanged'",
            [sid, since, until],
        ).fetchone()[0]
        quiet.append(Quiet(sid, names.get(sid, sid), ok, format_time(last, timezone)))
    return sorted(quiet, key=lambda q: q.name.lower())


# ---------------------------------------------------------------- rendering


def render_digest(digest: Digest, for_email: bool = False) -> str:
    """The digest as one self-contained HTML page.

    In a file, links to change reports are relative to the reports directory;
    in an email only ``alerts.report_url`` links are used (else the path is shown).
    """
    from .report import environment

    template = environment().get_template("digest.html")
    return template.render(digest=digest, for_email=for_email)


def digest_text(digest: Digest) -> str:
    """The plain-text part of the digest email."""
    lines = [digest.title, digest.period.describe(), "", digest.summary() + "."]
    if digest.changes:
        lines += ["", "Changes"]
        for entry in digest.changes:
            lines.append(
                f"- {entry.source_name}: {entry.headline} ({entry.detected_at})"
                + (f"\n  {entry.report_url}" if entry.report_url else "")
            )
    if digest.problems:
        lines += ["", "Failed or rejected checks"]
        for problem in digest.problems:
            state = "recovered" if problem.recovered else "still failing"
            lines.append(
                f"- {problem.name}: {problem.failed} failed, {problem.rejected} rejected "
                f"of {problem.checks} checks ({state}); last: {problem.reason}"
            )
    if digest.unchecked:
        lines += ["", "Not checked: " + ", ".join(digest.unchecked)]
    if digest.quiet:
        lines += ["", "Checked, no change: " + ", ".join(q.name for q in digest.quiet)]
    lines += ["", "The HTML part of this email has the section-by-section diffs."]
    return "\n".join(lines) + "\n"


def digest_subject(digest: Digest) -> str:
    """``[policy digest] 2025-W10: 3 changes in 2 sources; 1 source with failed checks``."""
    return f"[policy digest] {digest.period.label}: {digest.summary()}"


# ---------------------------------------------------------------- writing and sending


def write_digest(
    store: Store, config: Config, period: Period, reports_dir: Path, output: Path | None = None
) -> tuple[Digest, Path]:
    """Build the digest of ``period`` and write it (default: ``reports/digest-YYYY-Www.html``)."""
    digest = build_digest(store, config, period, reports_dir)
    path = output or digest_path(reports_dir, period)
    write_atomic(path, render_digest(digest))
    log.info("digest %s written to %s (%s)", period.label, path, digest.summary())
    return digest, path


def queue_digest(store: Store, config: Config, digest: Digest, key: str, reports_dir: Path) -> int:
    """Queue the digest email to ``digest.recipients``; returns how many rows were new."""
    outbox = Outbox(store, config, reports_dir)
    return outbox.enqueue_prepared(
        kind="digest",
        dedupe_key=f"digest:{key}",
        subject=digest_subject(digest),
        recipients=config.settings.digest.recipients,
        text=digest_text(digest),
        html=render_digest(digest, for_email=True),
    )


def last_scheduled(store: Store) -> dict[str, Any] | None:
    """The most recent digest made by the daemon."""
    return next(
        iter(
            store.db.query(
                "SELECT * FROM digests WHERE key LIKE 'scheduled:%' ORDER BY until DESC LIMIT 1"
            )
        ),
        None,
    )


def scheduled_digest(
    store: Store, config: Config, reports_dir: Path, fire_time: datetime
) -> Path | None:
    """The digest due at ``fire_time``, made once: written, then recorded and queued to
    the recipients together. None when it was already made (by this or another process)."""
    key = f"scheduled:{iso(fire_time)}"
    if store.db.execute("SELECT 1 FROM digests WHERE key = ?", [key]).fetchone():
        return None
    previous = last_scheduled(store)
    since = fire_time - DEFAULT_SPAN
    if previous is not None:
        ended = datetime.fromisoformat(previous["until"])
        if fire_time - CATCH_UP <= ended < fire_time:
            since = ended
    period = Period(since, fire_time, config.settings.timezone)
    digest, path = write_digest(store, config, period, reports_dir)
    # Recorded and queued in one transaction: a digest recorded is a digest emailed,
    # even when the process dies in between (a digest not recorded is made again).
    with store.transaction() as db:
        added = db.execute(
            "INSERT OR IGNORE INTO digests (key, since, until, path, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [key, iso(period.since), iso(period.until), str(path), iso(utcnow())],
        ).rowcount
        if added and config.settings.smtp is not None and config.settings.digest.recipients:
            queue_digest(store, config, digest, key, reports_dir)
    return path if added else None
