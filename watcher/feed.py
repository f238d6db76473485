"""Atom feeds of recorded changes, for feed readers and chat integrations.

``reports/feed.xml`` lists the latest changes of every source and
``reports/<source>/feed.xml`` those of one source. Both are rewritten
(atomically) after each change by :func:`feed_hook`, a pipeline
``after_change`` hook, and can be rebuilt at any time with
:func:`write_feeds`. Entry ids are ``urn:uuid:`` values derived from the
store's own id and the change id, so they never change when a feed is
rewritten or the reports move.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .publish import report_path, write_atomic, write_failure
from .store import Store, iso, utcnow

if TYPE_CHECKING:
    from .pipeline import ChangeRecord

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_NAME = "feed.xml"
FEED_SIZE = 50
"""Entries per feed: the most recent changes."""
_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"

ET.register_namespace("", ATOM)


def store_uuid(store: Store) -> uuid.UUID:
    """The store's own id (written when the store was created)."""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    if row is None:  # pragma: no cover - every migrated store has one
        return uuid.uuid5(uuid.NAMESPACE_URL, str(store.data_dir.resolve()))
    return uuid.UUID(row[0])


def entry_id(base: uuid.UUID, change_id: int) -> str:
    """The stable Atom id of a change."""
    return f"urn:uuid:{uuid.uuid5(base, f'change/{change_id}')}"


def feed_id(base: uuid.UUID, source_id: str | None) -> str:
    """The stable Atom id of the feed of one source (or of all of them)."""
    name = f"feed/{source_id or '*'}"
    return f"urn:uuid:{uuid.uuid5(base, name)}"


def feed_path(reports_dir: Path, source_id: str | None = None) -> Path:
    """Where the feed of one source (or of all of them) is written."""
    return reports_dir / source_id / FEED_NAME if source_id else reports_dir / FEED_NAME


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _recent_changes(store: Store, source_id: str | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT c.*, s.name AS source_name, s.url AS source_url, v.captured_at AS new_captured_at "
        "FROM changes c JOIN sources s ON s.id = c.source_id "
        "JOIN versions v ON v.id = c.new_version_id"
    )
    params: list[Any] = []
    if source_id:
        sql += " WHERE c.source_id = ?"
        params.append(source_id)
    return list(store.db.query(sql + " ORDER BY c.id DESC LIMIT ?", [*params, FEED_SIZE]))


def _link(
    config: Config | None,
    reports_dir: Path,
    feed: Path,
    change: dict[str, Any],
    resolve: Callable[[Path], Path],
) -> str:
    """The report's URL: under ``alerts.report_url`` when set, else relative to the feed.
    ``resolve`` resolves a folder (see :func:`_folder_resolver`)."""
    report = Path(
        change["report_path"]
        or report_path(reports_dir, change["source_id"], change["id"], change["new_captured_at"])
    )
    resolved = resolve(report.parent) / report.name
    base = config.settings.alerts.report_url if config else None
    if base:
        relative = os.path.relpath(resolved, resolve(reports_dir))
        return f"{base.rstrip('/')}/{Path(relative).as_posix()}"
    return Path(os.path.relpath(resolved, resolve(feed.parent))).as_posix()


def _folder_resolver() -> Callable[[Path], Path]:
    """``Path.resolve`` remembered per folder: a feed's fifty links lie in a few folders,
    and resolving a path asks the file system about each of its parts."""
    known: dict[Path, Path] = {}

    def resolve(folder: Path) -> Path:
        found = known.get(folder)
        if found is None:
            found = known[folder] = folder.resolve()
        return found

    return resolve


def _summary_html(change: dict[str, Any]) -> str:
    """A short HTML description of a change from its stored summary (escaped by ElementTree)."""
    from html import escape

    summary = json.loads(change["summary"] or "{}")
    counts = {k: v for k, v in (summary.get("sections") or {}).items() if v and k != "unchanged"}
    parts = [f"<p>{escape(change['headline'] or '')}</p>"]
    if counts:
        listed = ", ".join(f"{n} {escape(status)}" for status, n in counts.items())
        parts.append(f"<p>Sections: {listed}.</p>")
    words = f"+{summary.get('inserted', 0)} −{summary.get('deleted', 0)} words"
    parts.append(
        f"<p>{escape(words)}; classification: {escape(change['classification'] or '')}</p>"
    )
    if summary.get("flags"):
        parts.append(f"<p>Privacy terms touched: {escape(', '.join(summary['flags']))}</p>")
    return "".join(parts)


def build_feed(
    store: Store, reports_dir: Path, config: Config | None = None, source_id: str | None = None
) -> bytes:
    """The Atom document of the latest changes of one source (or of all of them)."""
    base = store_uuid(store)
    path = feed_path(reports_dir, source_id)
    changes = _recent_changes(store, source_id)
    root = ET.Element(f"{{{ATOM}}}feed")
    row = store.source_row(source_id) if source_id else None
    title = f"Policy changes: {row['name'] if row else source_id}" if source_id else None
    _el(root, "title", title or "Policy changes: all tracked sources")
    _el(root, "id", feed_id(base, source_id))
    _el(root, "updated", changes[0]["detected_at"] if changes else iso(utcnow()))
    _el(root, "link", rel="self", href=FEED_NAME)
    if row and row.get("url"):
        _el(root, "link", rel="related", href=row["url"])
    author = _el(root, "author")
    _el(author, "name", "watcher")
    _el(root, "generator", "watcher")
    resolve = _folder_resolver()
    for change in changes:
        entry = _el(root, "entry")
        _el(entry, "id", entry_id(base, change["id"]))
        _el(entry, "title", f"{change['source_name']}: {change['headline']}")
        _el(entry, "updated", change["detected_at"])
        _el(entry, "published", change["detected_at"])
        _el(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=_link(config, reports_dir, path, change, resolve),
        )
        _el(entry, "link", rel="related", href=change["source_url"])
        _el(entry, "category", term=change["classification"] or "none")
        _el(entry, "summary", change["headline"] or "")
        _el(entry, "content", _summary_html(change), type="html")
    ET.indent(root)
    # Serialised to text, then encoded: ElementTree's byte output resets a codec on each
    # of its thousands of writes, which took half of a feed's time.
    return _DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def write_feeds(
    store: Store, reports_dir: Path, config: Config | None = None, source_id: str | None = None
) -> list[Path]:
    """Rewrite the feed of all sources and, with ``source_id``, that source's feed."""
    written = []
    for target in (None, source_id) if source_id else (None,):
        path = feed_path(reports_dir, target)
        write_atomic(path, build_feed(store, reports_dir, config, target))
        written.append(path)
    log.debug("feeds written: %s", ", ".join(str(p) for p in written))
    return written


def feed_hook(
    store: Store, reports_dir: Path, config: Config | None
) -> Callable[[ChangeRecord], None]:
    """A pipeline ``after_change`` hook that refreshes the feeds of a change's source."""

    def refresh(record: ChangeRecord) -> None:
        try:
            write_feeds(store, reports_dir, config, record.source.id)
        except OSError as exc:  # the change is recorded; a feed can be rebuilt later
            log.warning("change %d: feeds not written: %s", record.change_id, write_failure(exc))

    return refresh
