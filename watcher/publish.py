"""Writing reports to disk: change reports under ``reports/<source>/``.

Files are written atomically (a temporary file renamed into place), so a
reader or a crash never sees half a report.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .config import DEFAULT_KEYWORDS, Config
from .store import Store, Version

if TYPE_CHECKING:
    from .diff import ChangeSet
    from .report import ReportMeta

log = logging.getLogger(__name__)

Format = Literal["text", "markdown", "html", "json"]


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the new one.

    An :class:`OSError` names ``path``, not the temporary file written first, and
    leaves no temporary file behind.
    """
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        reason = f"{_file_in_the_way(path)} is not a folder"
        raise _cannot_write(path, errno.ENOTDIR, reason) from None
    except OSError as exc:
        raise _cannot_write(path, exc.errno, exc.strerror or str(exc)) from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc.errno, exc.strerror or str(exc)) from None
        raise


def write_failure(exc: OSError) -> str:
    """Why a write failed, for a warning: ``reports/feed.xml: reports is not a folder``."""
    reason = str(exc.strerror or exc).removeprefix("cannot write: ")
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _cannot_write(path: Path, code: int | None, reason: str) -> OSError:
    """The error of a file that cannot be written, naming the file asked for."""
    return OSError(code, f"cannot write: {reason}", str(path))


def _file_in_the_way(path: Path) -> Path:
    """The first of ``path``'s folders that exists but is not a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return path.parent


def report_meta(
    store: Store, source_id: str, old: Version, new: Version, report_url: str | None = None
) -> ReportMeta:
    """Header data of a report comparing two stored versions."""
    from .report import ReportMeta  # here: most checks write no report, and start faster

    row = store.source_row(source_id) or {}
    return ReportMeta(
        source_id=source_id,
        source_name=row.get("name") or source_id,
        url=row.get("url") or "",
        old_label=f"version {old.id}",
        new_label=f"version {new.id}",
        old_captured_at=old.captured_at,
        new_captured_at=new.captured_at,
        report_url=report_url,
    )


def diff_versions(
    store: Store,
    source_id: str,
    old: Version,
    new: Version,
    fmt: Format,
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS,
    color: bool = False,
    changes: ChangeSet | None = None,
) -> str:
    """Render the section-aware diff of two stored versions (``changes``: that
    diff, when the caller has it already)."""
    from .diff import diff
    from .report import render

    if changes is None:
        changes = diff(old.outline, new.outline, keywords)
    return render(changes, fmt, report_meta(store, source_id, old, new), color=color)


def report_path(reports_dir: Path, source_id: str, change_id: int, captured_at: str) -> Path:
    """Where the HTML report of a change lives."""
    day = captured_at[:10]
    return reports_dir / source_id / f"{day}-change-{change_id}.html"


def write_change_report(
    store: Store,
    change_id: int,
    reports_dir: Path,
    config: Config | None = None,
    changes: ChangeSet | None = None,
) -> Path:
    """Write the HTML report of a recorded change; returns its path. ``changes`` is
    the change's diff when the caller has it (the pipeline, just after recording it)."""
    change = store.change(change_id)
    source_id = change["source_id"]
    old = store.version(source_id, change["old_version_id"])
    new = store.version(source_id, change["new_version_id"])
    keywords = config.settings.keywords if config else DEFAULT_KEYWORDS
    html = diff_versions(store, source_id, old, new, "html", keywords, changes=changes)
    path = report_path(reports_dir, source_id, change_id, new.captured_at)
    write_atomic(path, html)
    store.set_report_path(change_id, str(path))
    log.info("change %d: report written to %s", change_id, path)
    return path
