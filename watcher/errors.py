"""The one exception tree of watcher.

Every error a user can cause (bad configuration, bad input, an unknown
source) is a :class:`WatcherError`; the CLI prints its message on one line and
exits with its ``exit_code``.
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base class of every error watcher raises on purpose."""

    exit_code = 2


class ConfigError(WatcherError):
    """``sources.yaml`` is missing, malformed or invalid."""


class InputError(WatcherError):
    """A file or argument given on the command line cannot be used."""


class NotFoundError(WatcherError):
    """A source, version or change that does not exist was asked for."""


class StoreError(WatcherError):
    """The data directory or its database cannot be used."""


class LockedError(StoreError):
    """Another watcher process holds the data directory's lock."""


class FetchError(WatcherError):
    """A page could not be fetched (after retries)."""


class NotifyError(WatcherError):
    """An alert or digest could not be delivered."""
