"""The store: one SQLite file (WAL mode) in the data directory, via sqlite-utils.

Tables: ``sources``, ``fetches`` (every attempt, from the network or a file),
``blobs`` (raw captures, compressed and content-addressed), ``versions`` (one
row per distinct canonical content in a source's history), ``changes`` (old
version → new version); for alerts (schema 2) ``outbox`` (one row per email
and recipient, see :mod:`watcher.notify`), ``incidents``, ``digests`` and
``meta`` (the store's own id). Every write that records a capture happens in one
``BEGIN IMMEDIATE`` transaction, so a crash at any point leaves either all of
it or none of it, and two processes can never both record the same version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zstandard

from . import blobs
from .canonical import split_blocks
from .errors import NotFoundError, StoreError
from .migrations import MIGRATIONS
from .model import Outline

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

DB_NAME = "watcher.db"
BUSY_TIMEOUT_MS = 30_000


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """A timestamp as stored: ISO 8601, UTC, seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sha256(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of text encoded as UTF-8."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class VersionHead:
    """What the pipeline needs of a version to decide about a new capture."""

    id: int
    captured_at: str
    content_sha256: str
    raw_sha256: str | None
    words: int
    rules_hash: str


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of a source's text."""

    id: int
    source_id: str
    captured_at: str
    content_sha256: str
    raw_sha256: str | None
    title: str
    text: str
    outline: Outline
    words: int
    normaliser: int
    rules_hash: str

    @property
    def head(self) -> VersionHead:
        """The version's :class:`VersionHead`."""
        return VersionHead(
            self.id,
            self.captured_at,
            self.content_sha256,
            self.raw_sha256,
            self.words,
            self.rules_hash,
        )


HEAD_COLUMNS = "id, captured_at, content_sha256, raw_sha256, words, rules_hash"
FETCH_COLUMNS = (
    "source_id",
    "started_at",
    "captured_at",
    "origin",
    "url",
    "final_url",
    "outcome",
    "reason",
    "http_status",
    "error",
    "bytes",
    "raw_sha256",
    "raw_xxh3",
    "content_sha256",
    "etag",
    "last_modified",
    "duration_ms",
    "attempt",
    "redirects",
    "version_id",
    "filename",
    "rules_hash",
)


def _head(row: dict[str, Any]) -> VersionHead:
    return VersionHead(
        row["id"],
        row["captured_at"],
        row["content_sha256"],
        row["raw_sha256"],
        row["words"] or 0,
        row["rules_hash"] or "",
    )


def _version(row: dict[str, Any]) -> Version:
    skeleton = json.loads(row["outline"] or "{}")
    return Version(
        id=row["id"],
        source_id=row["source_id"],
        captured_at=row["captured_at"],
        content_sha256=row["content_sha256"],
        raw_sha256=row["raw_sha256"],
        title=row["title"] or "",
        text=row["text"],
        outline=Outline.from_skeleton(skeleton, split_blocks(row["text"])),
        words=row["words"] or 0,
        normaliser=row["normaliser"] or 0,
        rules_hash=row["rules_hash"] or "",
    )


def _enable_wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """Switch a database to WAL mode. Switching needs an exclusive lock, and SQLite
    answers "locked" at once (no busy wait) while another process opens a new store."""
    for attempt in range(tries):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class Store:
    """The SQLite store of one data directory."""

    def __init__(self, data_dir: Path, conn: sqlite3.Connection) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self._db: sqlite_utils.Database | None = None
        self._keyframes: dict[str, bytes] = {}
        self._compressors: dict[str, zstandard.ZstdCompressor] = {}
        self._compressed: dict[str, bytes] = {}

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, data_dir: str | Path, create: bool = True) -> Store:
        """Open (and with ``create``, create and migrate) the store in ``data_dir``."""
        data_dir = Path(data_dir)
        path = data_dir / DB_NAME
        if not create and not path.exists():
            raise StoreError(
                f"{data_dir}: no watcher store here (run 'watcher check' or 'watcher init' first)"
            )
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(data_dir, conn)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from None
        except OSError as exc:
            raise StoreError(
                f"{data_dir}: cannot use the data directory: {exc.strerror or exc}"
            ) from None
        return store

    @classmethod
    def open_memory(cls) -> Store:
        """An empty store in memory (nothing touches the disk): for reading
        decisions before a data directory exists."""
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        store = cls(Path(":memory:"), conn)
        store._migrate()
        return store

    @property
    def db(self) -> sqlite_utils.Database:
        """The store's connection as a sqlite-utils ``Database``, made on first use.

        Importing sqlite-utils takes a fifth of the start-up of a check that finds
        nothing new, and that check needs none of it: its reads and writes are plain
        SQL on :attr:`conn`.
        """
        if self._db is None:
            import sqlite_utils

            # No triggers in the schema, so recursive_triggers' PRAGMA is not needed.
            self._db = sqlite_utils.Database(
                self.conn, execute_plugins=False, recursive_triggers=False
            )
        return self._db

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.data_dir / DB_NAME}: written by a newer watcher "
                f"(schema {current}); upgrade watcher"
            )
        for number in range(current, len(MIGRATIONS)):
            with self.transaction():
                # Another process may have migrated while we waited for the write lock.
                if self.conn.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue
                MIGRATIONS[number](self.db)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")
            log.info("store schema migrated to %d", number + 1)

    def close(self) -> None:
        """Close the database connection, folding the write-ahead log into the database."""
        with contextlib.suppress(sqlite3.DatabaseError):
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that takes the write lock up front (``BEGIN IMMEDIATE``)."""
        with self.writing():
            yield self.db

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """:meth:`transaction` on the plain connection, for writes in plain SQL.

        Nested in another, it is a savepoint of the outer transaction.
        """
        conn = self.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield conn
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.data_dir / DB_NAME}: cannot write: {exc}") from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            conn.execute("ROLLBACK") if conn.in_transaction else None
            raise StoreError(f"{self.data_dir / DB_NAME}: cannot write: {exc}") from None

    # ------------------------------------------------------------ sources

    def sync_source(
        self, source_id: str, name: str, url: str, config_hash: str, archive_only: bool = False
    ) -> None:
        """Insert or update a source's row."""
        self.sync_sources([(source_id, name, url, config_hash, archive_only)])

    def sync_sources(self, sources: Sequence[tuple[str, str, str, str, bool]]) -> None:
        """Insert or update sources' rows ``(id, name, url, config_hash, archive_only)``,
        in one transaction, writing only what changed."""
        now = iso(utcnow())
        known = {
            r[0]: tuple(r[1:])
            for r in self.conn.execute(
                "SELECT id, name, url, config_hash, archive_only FROM sources"
            ).fetchall()
        }
        fresh = [(*s[:4], int(s[4])) for s in sources if known.get(s[0]) != (*s[1:4], int(s[4]))]
        if not fresh:
            return
        with self.writing() as conn:
            conn.executemany(
                "INSERT INTO sources (id, name, url, config_hash, archive_only, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "name = excluded.name, url = excluded.url, config_hash = excluded.config_hash, "
                "archive_only = excluded.archive_only, updated_at = excluded.updated_at",
                [(*row, now, now) for row in fresh],
            )

    def source_row(self, source_id: str) -> dict[str, Any] | None:
        """The stored row of a source, or None."""
        return self._row("SELECT * FROM sources WHERE id = ?", [source_id])

    def source_ids(self) -> list[str]:
        """Every source with a row in the store."""
        return [r["id"] for r in self.db.query("SELECT id FROM sources ORDER BY id")]

    # ------------------------------------------------------------ reading

    def _row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        # Not db.query(): it wraps every read in a SAVEPOINT and a RELEASE, three
        # statements for one on the paths that run once per checked page.
        cursor = self.conn.execute(sql, params)
        try:
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description]
        finally:
            cursor.close()  # ends the read at once: no snapshot is held between pages
        return None if row is None else dict(zip(names, row, strict=True))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        # As _row(), for the few rows a page's bookkeeping reads.
        cursor = self.conn.execute(sql, params)
        try:
            rows = cursor.fetchall()
            names = [column[0] for column in cursor.description]
        finally:
            cursor.close()
        return [dict(zip(names, row, strict=True)) for row in rows]

    def latest_head(self, source_id: str) -> VersionHead | None:
        """The newest version's hashes and size, without its text."""
        row = self._row(
            f"SELECT {HEAD_COLUMNS} FROM versions WHERE source_id = ? ORDER BY id DESC LIMIT 1",
            [source_id],
        )
        return _head(row) if row else None

    def latest_version(self, source_id: str) -> Version | None:
        """The newest version of a source, or None before the first capture."""
        row = self._row(
            "SELECT * FROM versions WHERE source_id = ? ORDER BY id DESC LIMIT 1", [source_id]
        )
        return _version(row) if row else None

    def version(self, source_id: str, version_id: int) -> Version:
        """A version by id; :class:`NotFoundError` when it is not one of this source's."""
        row = self._row(
            "SELECT * FROM versions WHERE source_id = ? AND id = ?", [source_id, version_id]
        )
        if row is None:
            raise NotFoundError(f"source '{source_id}' has no version {version_id}")
        return _version(row)

    def version_at(self, source_id: str, moment: str) -> Version:
        """The version in force at ``moment`` (ISO timestamp): the last captured before it."""
        row = self._row(
            "SELECT * FROM versions WHERE source_id = ? AND captured_at <= ? "
            "ORDER BY captured_at DESC, id DESC LIMIT 1",
            [source_id, moment],
        )
        if row is None:
            raise NotFoundError(f"source '{source_id}' has no version captured by {moment}")
        return _version(row)

    def versions(self, source_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Versions of a source, newest first, without their text."""
        sql = (
            "SELECT id, captured_at, content_sha256, raw_sha256, title, words FROM versions "
            "WHERE source_id = ? ORDER BY id DESC"
        )
        params: list[Any] = [source_id]
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return list(self.db.query(sql, params))

    def last_fetch(
        self, source_id: str, outcomes: Sequence[str] | None = None, origin: str | None = None
    ) -> dict[str, Any] | None:
        """The most recent fetch of a source, optionally with one of ``outcomes``."""
        sql = "SELECT * FROM fetches WHERE source_id = ?"
        params: list[Any] = [source_id]
        if outcomes:
            sql += f" AND outcome IN ({', '.join('?' for _ in outcomes)})"
            params.extend(outcomes)
        if origin:
            sql += " AND origin = ?"
            params.append(origin)
        return self._row(sql + " ORDER BY id DESC LIMIT 1", params)

    def recent_captures(self, source_ids: Sequence[str]) -> dict[str, tuple[list[str], str | None]]:
        """Per source, its last two judged captures (accepted or rejected): their raw
        SHA-256s, newest first, and the rules hash the last was read under (its own,
        else its version's). Empty when SQLite cannot say: every source then looks
        never captured."""
        judged = "outcome IN ('first', 'changed', 'unchanged', 'rejected')"
        sql = (
            "SELECT ids.value, (SELECT group_concat(raw_sha256, ' ') FROM ("
            f"SELECT raw_sha256 FROM fetches WHERE source_id = ids.value AND {judged} "
            "ORDER BY id DESC LIMIT 2)), "
            "(SELECT COALESCE(f.rules_hash, v.rules_hash) FROM fetches f "
            "LEFT JOIN versions v ON v.id = f.version_id "
            f"WHERE f.source_id = ids.value AND f.{judged} ORDER BY f.id DESC LIMIT 1) "
            "FROM json_each(?) ids"
        )
        rows = self._per_source(sql, source_ids)
        if rows is None:
            return {}
        return {row[0]: ((row[1] or "").split(), row[2]) for row in rows}

    def _per_source(self, sql: str, source_ids: Sequence[str]) -> list[Any] | None:
        # The rows of a query over json_each(?) of the sources' ids; None where SQLite
        # lacks its JSON functions.
        try:
            return self.conn.execute(sql, [json.dumps(list(source_ids))]).fetchall()
        except sqlite3.OperationalError:
            return None

    def validated_heads(
        self, source_ids: Sequence[str]
    ) -> dict[str, tuple[VersionHead, dict[str, Any]]]:
        """Per source that has both, its newest version's head and its last accepted
        network fetch (whose ETag and Last-Modified a conditional request sends): three
        queries for any number of sources, one pair of queries per source where SQLite
        lacks its JSON functions."""
        accepted = "outcome IN ('first', 'changed', 'unchanged') AND origin = 'network'"
        sql = (
            "SELECT ids.value, "
            "(SELECT id FROM versions WHERE source_id = ids.value ORDER BY id DESC LIMIT 1), "
            f"(SELECT id FROM fetches WHERE source_id = ids.value AND {accepted} "
            "ORDER BY id DESC LIMIT 1) FROM json_each(?) ids"
        )
        ids = self._per_source(sql, source_ids)
        if ids is None:
            return self._validated_heads_one_by_one(source_ids)
        pairs = [(sid, vid, fid) for sid, vid, fid in ids if vid is not None and fid is not None]
        in_ids = "WHERE id IN (SELECT value FROM json_each(?))"
        heads = self._rows(
            f"SELECT {HEAD_COLUMNS} FROM versions {in_ids}", [json.dumps([p[1] for p in pairs])]
        )
        fetches = self._rows(f"SELECT * FROM fetches {in_ids}", [json.dumps([p[2] for p in pairs])])
        head_by_id = {row["id"]: _head(row) for row in heads}
        fetch_by_id = {row["id"]: row for row in fetches}
        return {sid: (head_by_id[vid], fetch_by_id[fid]) for sid, vid, fid in pairs}

    def _validated_heads_one_by_one(
        self, source_ids: Sequence[str]
    ) -> dict[str, tuple[VersionHead, dict[str, Any]]]:
        found = {}
        for source_id in source_ids:
            head = self.latest_head(source_id)
            last = self.last_fetch(source_id, ("first", "changed", "unchanged"), "network")
            if head is not None and last is not None:
                found[source_id] = (head, last)
        return found

    def last_fetch_matching(
        self, source_id: str, raw_sha: str, captured_at: str
    ) -> dict[str, Any] | None:
        """A fetch of these exact bytes captured at that moment (a repeated import)."""
        return self._row(
            "SELECT * FROM fetches WHERE source_id = ? AND raw_sha256 = ? AND captured_at = ? "
            "AND outcome != 'retry' ORDER BY id DESC LIMIT 1",
            [source_id, raw_sha, captured_at],
        )

    def last_fetch_judged(self, source_id: str, version_id: int, rules: str) -> str | None:
        """The content hash that the latest fetch matching ``version_id`` had when it
        was judged under ``rules`` (the version's text as those rules read it)."""
        row = self._row(
            "SELECT content_sha256 FROM fetches WHERE source_id = ? AND version_id = ? "
            "AND rules_hash = ? AND content_sha256 IS NOT NULL "
            "AND outcome IN ('first', 'changed', 'unchanged') ORDER BY id DESC LIMIT 1",
            [source_id, version_id, rules],
        )
        return row["content_sha256"] if row else None

    def recent_fetches(self, source_id: str, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` final fetch records of a source, newest first."""
        # Plain SQL: a check whose only news is a page still failing or still broken
        # need not import sqlite-utils (a twentieth of a 1000-page check's CPU).
        return self._rows(
            "SELECT * FROM fetches WHERE source_id = ? AND outcome != 'retry' "
            "ORDER BY id DESC LIMIT ?",
            [source_id, limit],
        )

    def change(self, change_id: int) -> dict[str, Any]:
        """A recorded change by id; :class:`NotFoundError` when there is none."""
        row = self._row("SELECT * FROM changes WHERE id = ?", [change_id])
        if row is None:
            raise NotFoundError(f"no change with id {change_id}")
        return row

    def changes(
        self, source_id: str | None = None, since: str | None = None, until: str | None = None
    ) -> list[dict[str, Any]]:
        """Recorded changes, oldest first, filtered by source and by ``changed_at``: when
        the change was detected, or for history imported from archived captures, when its
        new version was captured (an import of 2025's captures made today is not news of
        today's)."""
        sql = (
            "SELECT * FROM (SELECT c.*, CASE WHEN EXISTS (SELECT 1 FROM fetches f "
            "WHERE f.version_id = c.new_version_id AND f.outcome = 'changed' "
            "AND f.origin = 'import') THEN v.captured_at ELSE c.detected_at END AS changed_at "
            "FROM changes c JOIN versions v ON v.id = c.new_version_id) WHERE 1 = 1"
        )
        params = []
        for clause, value in (
            ("source_id = ?", source_id),
            ("changed_at >= ?", since),
            ("changed_at < ?", until),
        ):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        return list(self.db.query(sql + " ORDER BY id", params))

    def raw(self, sha: str) -> bytes:
        """The raw capture with this SHA-256."""
        cached = self._keyframes.get(sha)
        if cached is not None:
            return cached
        row = self._row("SELECT codec, data, base FROM blobs WHERE sha256 = ?", [sha])
        if row is None:
            raise NotFoundError(f"no raw capture {sha[:12]}")
        base = self.raw(row["base"]) if row["base"] else None
        return blobs.decompress(row["codec"], row["data"], base)

    def count(self, table: str) -> int:
        """Number of rows in a table."""
        return int(self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])

    # ------------------------------------------------------------ writing (in a transaction)

    def put_blob(
        self, db: sqlite_utils.Database, body: bytes, sha: str, source_id: str | None = None
    ) -> None:
        """Store a raw capture once; identical captures cost nothing.

        With ``source_id``, the capture is stored as a delta against the
        source's current keyframe when that is small (see :mod:`watcher.blobs`).
        """
        compressed = self._compressed.pop(sha, None)
        if db.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone():
            return
        row: dict[str, Any] = {"sha256": sha, "size": len(body)}
        keyframe = self._keyframe_of(source_id) if source_id else None
        if keyframe is not None:
            base_sha, base_data = keyframe
            delta = blobs.compress_delta(body, self._delta_compressor(base_sha))
            if blobs.worth_a_delta(delta, base_data):
                self.insert(
                    db, "blobs", {**row, "codec": "zstd-delta", "data": delta, "base": base_sha}
                )
                return
        codec, data = ("zstd", compressed) if compressed else blobs.compress(body)
        self.insert(db, "blobs", {**row, "codec": codec, "data": data})
        self._remember_keyframe(sha, body)

    def offer_compressed(self, sha: str, data: bytes) -> None:
        """Hand over a capture already compressed on its own (``blobs.compress``, done
        in a worker process), for :meth:`put_blob` to store if it needs a keyframe."""
        if len(self._compressed) >= 64:
            self._compressed.pop(next(iter(self._compressed)))
        self._compressed[sha] = data

    def _keyframe_of(self, source_id: str) -> tuple[str, bytes] | None:
        """The keyframe (sha, compressed data) of a source's latest stored capture."""
        row = self._row(
            "SELECT coalesce(b.base, b.sha256) AS keyframe FROM fetches f "
            "JOIN blobs b ON b.sha256 = f.raw_sha256 WHERE f.source_id = ? "
            "ORDER BY f.id DESC LIMIT 1",
            [source_id],
        )
        if row is None:
            return None
        found = self._row(
            "SELECT sha256, data FROM blobs WHERE sha256 = ? AND base IS NULL", [row["keyframe"]]
        )
        return (found["sha256"], found["data"]) if found else None

    def _delta_compressor(self, keyframe: str) -> zstandard.ZstdCompressor:
        """The compressor against a keyframe, kept for the source's next capture."""
        cached = self._compressors.get(keyframe)
        if cached is None:
            if len(self._compressors) >= 8:
                self._compressors.pop(next(iter(self._compressors)))
            cached = self._compressors[keyframe] = blobs.delta_compressor(self.raw(keyframe))
        return cached

    def _remember_keyframe(self, sha: str, body: bytes) -> None:
        if len(self._keyframes) >= 8:
            self._keyframes.pop(next(iter(self._keyframes)))
        self._keyframes[sha] = body

    def add_fetches(self, rows: Sequence[dict[str, Any]]) -> None:
        """Record fetch attempts (one transaction; columns not given are NULL)."""
        sql = (
            f"INSERT INTO fetches ({', '.join(FETCH_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in FETCH_COLUMNS)})"
        )
        with self.writing() as conn:
            conn.executemany(sql, [[row.get(c) for c in FETCH_COLUMNS] for row in rows])

    def insert(
        self, db: sqlite_utils.Database | sqlite3.Connection, table: str, row: dict[str, Any]
    ) -> int:
        """Insert a row (inside a transaction) and return its rowid.

        Plain SQL, not ``table.insert()``: that looks up the table and view names
        and wraps the row in a SAVEPOINT, five statements more on a per-page path.
        """
        columns = ", ".join(f"[{name}]" for name in row)
        sql = f"INSERT INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(row))})"
        cursor = db.execute(sql, list(row.values()))
        try:
            return int(cursor.lastrowid or 0)
        finally:
            cursor.close()

    def set_outline(
        self,
        db: sqlite_utils.Database,
        version_id: int,
        outline: Outline,
        normaliser: int,
        rules_hash: str,
    ) -> None:
        """Replace a version's outline (inside a transaction): its text re-read by
        another normaliser found the same text but other sections."""
        db.execute(
            "UPDATE versions SET outline = ?, normaliser = ?, rules_hash = ? WHERE id = ?",
            [
                json.dumps(outline.skeleton(), ensure_ascii=False),
                normaliser,
                rules_hash,
                version_id,
            ],
        ).close()

    def set_report_path(self, change_id: int, path: str) -> None:
        """Remember where a change's HTML report was written."""
        with self.transaction() as db:
            db.table("changes").update(change_id, {"report_path": path})

    def integrity_problems(self) -> list[str]:
        """Everything wrong with the store: SQLite's own check, hashes, dangling links."""
        problems = [
            r[0] for r in self.db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"
        ]
        problems += [
            f"foreign key: {tuple(r)}"
            for r in self.db.execute("PRAGMA foreign_key_check").fetchall()
        ]
        for row in self.db.query("SELECT id, text, content_sha256 FROM versions"):
            if sha256(row["text"]) != row["content_sha256"]:
                problems.append(f"version {row['id']}: text does not match its hash")
        for row in self.db.query(
            "SELECT c.id FROM changes c LEFT JOIN versions o ON o.id = c.old_version_id "
            "LEFT JOIN versions n ON n.id = c.new_version_id WHERE o.id IS NULL OR n.id IS NULL"
        ):
            problems.append(f"change {row['id']}: points at a missing version")
        for row in self.db.query(
            "SELECT v.id FROM versions v LEFT JOIN blobs b ON b.sha256 = v.raw_sha256 "
            "WHERE v.raw_sha256 IS NOT NULL AND b.sha256 IS NULL"
        ):
            problems.append(f"version {row['id']}: raw capture missing")
        for row in self.db.query(
            "SELECT d.sha256 FROM blobs d LEFT JOIN blobs k ON k.sha256 = d.base "
            "WHERE d.base IS NOT NULL AND (k.sha256 IS NULL OR k.base IS NOT NULL)"
        ):
            problems.append(f"blob {row['sha256'][:12]}: its keyframe is missing")
        return problems
