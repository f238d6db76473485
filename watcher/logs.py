"""Structured logs: logfmt lines, one per event, to stderr and optionally a file."""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import Config
from .errors import ConfigError


def _logfmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if text and not any(c in text for c in ' "=\\\n\t') and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """``ts=2025-03-01T12:00:00.123Z level=info logger=watcher.schedule event=check k=v ...``.

    A record logged with ``extra={"fields": {...}}`` is an event (its message is
    the event name); any other record becomes ``msg="..."``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """One line per record."""
        moment = datetime.fromtimestamp(record.created, UTC)
        fields: dict[str, Any] = {
            "ts": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            fields["event"] = record.getMessage()
            fields.update(extra)
        else:
            fields["msg"] = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["error"] = f"{type(exc).__name__}: {exc}"
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items() if v is not None)


def setup_logging(log_file: Path | None, level: int = logging.INFO) -> None:
    """Send every log record as a logfmt line to stderr and, optionally, to ``log_file``."""
    formatter = LogfmtFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        handlers.append(_file_handler(log_file))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("apscheduler", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _file_handler(log_file: Path) -> logging.Handler:
    """A handler appending to ``log_file``, or a :class:`ConfigError` naming the setting."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        return logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        in_the_way = isinstance(exc, (FileExistsError, NotADirectoryError))
        reason = "a file is in the way of its folder" if in_the_way else exc.strerror or str(exc)
        raise ConfigError(f"settings.log_file: cannot write {log_file}: {reason}") from None


def log_path(config: Config) -> Path | None:
    """``settings.log_file``, relative to the sources file's directory."""
    if not config.settings.log_file:
        return None
    path = Path(config.settings.log_file).expanduser()
    return path if path.is_absolute() else config.path.parent / path
