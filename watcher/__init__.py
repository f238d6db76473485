"""watcher: track published privacy policies and terms, section by section."""

from __future__ import annotations

__version__ = "0.1.0"
