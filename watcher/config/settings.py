"""What a loaded ``sources.yaml`` holds: sources and settings, with their defaults."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from ..errors import ConfigError

log = logging.getLogger(__name__)

MAX_CONFIG_BYTES = 5 * 1024 * 1024
MAX_TEXT = 500
MAX_URL = 2048
MAX_LIST = 200
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
DEFAULT_USER_AGENT = "watcher/0.1 (policy change tracker; +https://github.com/watcher)"
DEFAULT_KEYWORDS = (
    r"\bsell(s|ing)?\b|\bsale\b",
    r"\bshar(e|es|ed|ing)\b",
    r"\bthird[- ]part(y|ies)\b",
    r"\bretain(s|ed)?\b|\bretention\b",
    r"\btransfer(s|red|ring)?\b",
    r"\bbiometric",
    r"\bchild(ren)?\b|\bminors?\b",
    r"\bconsent",
    r"\bopt[- ]?(out|in)\b",
    r"\barbitration\b|\bclass action\b",
    r"(?-i:\bAI\b)|\bartificial intelligence\b|\bmachine learning\b|\bLLMs?\b"
    r"|\btrain(s|ed|ing)?\b(\W+\w+){0,4}?\W+(models?|algorithms?|AI|systems?)\b",
    r"\blocation\b|\bgeolocation\b",
    r"\badvertis(ing|ers?|ements?)\b|\btargeted\b",
)


@dataclass(frozen=True, slots=True)
class Source:
    """One tracked document."""

    id: str
    name: str
    url: str
    interval: timedelta = timedelta(days=1)
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    enabled: bool = True
    archive_only: bool = False

    def config_hash(self) -> str:
        """A short hash of the settings that change how the page is read."""
        data = json.dumps([self.url, self.select, self.remove], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How pages are fetched."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 120.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    concurrency: int = 16
    per_host: int = 2
    #: Seconds before a page whose text changed is fetched again to confirm the change
    #: (lines that differ between the two fetches are not the policy); None: never.
    confirm_after: float | None = 60.0


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where alert and digest emails go out."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    user: str | None = None
    password_env: str = "WATCHER_SMTP_PASSWORD"
    sender: str = "watcher@localhost"
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """When alerts are sent."""

    cosmetic: str = "digest"  # digest (no immediate alert) | alert
    failure_threshold: int = 3
    report_url: str | None = None


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """When and to whom the weekly digest goes."""

    schedule: str = "mon 08:00"
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``settings`` block of ``sources.yaml``."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    smtp: SmtpSettings | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    timezone: str = "UTC"
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    log_file: str | None = None
    #: How long the daemon keeps the records of routine checks (``watcher prune``,
    #: daily); None: for ever.
    keep_checks: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A loaded, validated ``sources.yaml``."""

    path: Path
    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)

    def source(self, source_id: str) -> Source:
        """The source with this id; :class:`ConfigError` when there is none."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"{self.path}: no source with id '{source_id}'")

    def enabled(self) -> tuple[Source, ...]:
        """The sources that are checked by ``check`` and the daemon."""
        return tuple(s for s in self.sources if s.enabled)

    def recipients(self, source: Source) -> tuple[str, ...]:
        """Who is alerted about changes of ``source``."""
        return source.notify

    def fingerprint(self) -> str:
        """A hash of the whole configuration, to notice when it changed."""
        data = json.dumps([asdict(s) for s in self.sources], default=str, sort_keys=True)
        data += json.dumps(asdict(self.settings), default=str, sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]
