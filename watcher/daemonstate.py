"""The daemon's lock and state file in the data directory.

``daemon.lock`` (an exclusive ``flock``) keeps a second daemon off a store;
``daemon.json`` holds what ``watcher status`` shows about the running one.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from .errors import LockedError

LOCK_NAME = "daemon.lock"
STATE_NAME = "daemon.json"


class DaemonLock:
    """An exclusive ``flock`` on ``daemon.lock`` in the data directory, holding our pid."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self.fd: int | None = None

    def acquire(self, wait: float = 1.0) -> None:
        """Take the lock or raise :class:`LockedError` (retrying for ``wait`` seconds)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                    os.close(fd)
                    raise LockedError(
                        f"{self.path.parent}: another watcher daemon (pid {pid}) is using this "
                        "store; stop it first"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        """Let go of the lock (the file stays: removing it would race with a new daemon)."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def daemon_running(data_dir: Path) -> bool:
    """Whether a daemon holds the data directory's lock right now."""
    try:
        fd = os.open(data_dir / LOCK_NAME, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_state(data_dir: Path) -> dict[str, Any]:
    """The daemon's state for ``watcher status``: running or not, and its next runs."""
    path = data_dir / STATE_NAME
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = {}
    running = daemon_running(data_dir)
    if running:
        summary = "running"
    elif not state:
        summary = "not running (never started here)"
    elif state.get("state") == "stopped":
        summary = f"not running (stopped {state.get('stopped_at', '?')})"
    else:
        summary = f"not running (ended unexpectedly; last seen {state.get('heartbeat_at', '?')})"
    return {
        "running": running,
        "summary": summary,
        "pid": state.get("pid"),
        "started_at": state.get("started_at"),
        "heartbeat_at": state.get("heartbeat_at"),
        "config": state.get("config"),
        "config_error": state.get("config_error"),
        "next_runs": state.get("next_runs", {}) if running else {},
        "next_digest": state.get("next_digest") if running else None,
    }
