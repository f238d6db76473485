"""Reading and validating ``sources.yaml``.

:func:`load` returns a :class:`Config` or raises :class:`ConfigError` with one
line naming the file, the line and the source at fault. Nothing else in
watcher reads YAML.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, ScalarNode

from .errors import ConfigError

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


# ---------------------------------------------------------------- YAML reading


class _Mapping(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader (libyaml's when installed) that records key lines."""


def _construct_mapping(loader: _Loader, node: MappingNode) -> Iterable[_Mapping]:
    data = _Mapping()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode):
            if key_node.value in data.key_lines:
                raise ConfigError(
                    f"line {key_node.start_mark.line + 1}: duplicate key '{key_node.value}'"
                )
            data.key_lines[str(key_node.value)] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node, deep=True))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _checked_scalar(tag: str) -> None:
    """Make the loader's constructor of ``tag`` report values it cannot build (a date
    like 2025-13-45, an integer of 5,000 digits) as YAML errors with their line."""
    construct = _Loader.yaml_constructors[tag]

    def checked(loader: _Loader, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError, KeyError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"cannot read '{_short(node.value)}' ({_short(exc, 80)})",
                node.start_mark,
            ) from None

    _Loader.add_constructor(tag, checked)


for _tag in ("int", "float", "timestamp", "binary", "bool"):
    _checked_scalar(f"tag:yaml.org,2002:{_tag}")


def _read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (run 'watcher init' to write one)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: file is too large ({len(raw)} bytes, limit 5 MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except ConfigError as exc:
        raise ConfigError(f"{path}:{exc}".replace(":line ", ":")) from None
    except RecursionError:
        raise ConfigError(f"{path}: malformed YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: malformed YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML: {exc}") from None


# ---------------------------------------------------------------- validation


class _Checker:
    """Validates values and raises errors naming file, line and source."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(
        self, message: str, mapping: Any = None, key: str | None = None, source: str | None = None
    ) -> ConfigError:
        line = _line_of(mapping, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        who = f" source '{source}':" if source else ""
        return ConfigError(f"{where}:{who} {message}")

    def mapping(
        self,
        value: Any,
        allowed: Iterable[str],
        what: str,
        source: str | None = None,
        parent: Any = None,
        key: str | None = None,
    ) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping", parent, key, source)
        allowed = set(allowed)
        for k in value:
            if k not in allowed:
                raise self.fail(
                    f"unknown key '{_short(k)}' in {what} (allowed: {', '.join(sorted(allowed))})",
                    value,
                    str(k),
                    source,
                )
        return value


def _line_of(mapping: Any, key: str | None) -> int:
    if isinstance(mapping, _Mapping):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return 0


def _short(value: Any, limit: int = 40) -> str:
    try:
        text = str(value)
    except ValueError:  # an integer with more digits than Python prints
        text = f"an integer of {value.bit_length()} bits"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


_LONGEST = timedelta.max.total_seconds()


def parse_duration(value: Any) -> timedelta:
    """``"30m"``, ``"12h"``, ``"1d"``, ``"2w"``, ``"45s"`` or a number of seconds.

    Durations too long for a :class:`timedelta` come back as ``timedelta.max`` (or
    ``min``), for the caller's range check to refuse; NaN is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int with hundreds of digits
            seconds = math.inf if value > 0 else -math.inf
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(value)
        unit = (match.group(2) or "s").lower()
        seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if math.isnan(seconds):
        raise ValueError(value)
    if abs(seconds) >= _LONGEST:
        return timedelta.max if seconds > 0 else timedelta.min
    return timedelta(seconds=seconds)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$", re.IGNORECASE)
_SIZE_UNIT = {
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
}


def parse_size(value: Any) -> int:
    """``"10MB"``, ``"512k"`` or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(value)
    size = float(match.group(1)) * _SIZE_UNIT[(match.group(2) or "b").lower()]
    return int(min(size, 2.0**63))  # a huge size stays a (huge) number for the range check


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be tracked, or None when it can."""
    if len(url) > MAX_URL:
        return f"url is longer than {MAX_URL} characters"
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        return f"url '{_short(url)}' contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"url '{_short(url)}' is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"url '{_short(url)}' must start with http:// or https://"
    if not parts.hostname:
        return f"url '{_short(url)}' has no host"
    return None


def check_selector(selector: str) -> str | None:
    """Why ``selector`` is not a usable CSS selector, or None."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        return f"'{_short(selector)}' is not a valid CSS selector ({exc})"
    return None


SOURCE_KEYS = ("id", "name", "url", "interval", "select", "remove", "tags", "notify", "enabled")
DEFAULT_KEYS = ("interval", "select", "remove", "tags", "notify", "enabled")
TOP_KEYS = ("sources", "defaults", "settings")


def _text(
    chk: _Checker,
    value: Any,
    what: str,
    mapping: Any,
    key: str,
    source: str | None = None,
    limit: int = MAX_TEXT,
) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise chk.fail(f"{what} must be a string", mapping, key, source)
    try:
        text = str(value)
    except ValueError:  # an integer with more digits than Python prints
        raise chk.fail(f"{what} is longer than {limit} characters", mapping, key, source) from None
    if len(text) > limit:
        raise chk.fail(f"{what} is longer than {limit} characters", mapping, key, source)
    if any(not ch.isprintable() for ch in text):
        raise chk.fail(f"{what} contains control characters", mapping, key, source)
    return text


def _text_list(
    chk: _Checker,
    value: Any,
    what: str,
    mapping: Any,
    key: str,
    source: str | None = None,
    check: Callable[[str], str | None] | None = None,
) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise chk.fail(f"{what} must be a string or a list of strings", mapping, key, source)
    if len(items) > MAX_LIST:
        raise chk.fail(f"{what} has more than {MAX_LIST} entries", mapping, key, source)
    out = []
    for item in items:
        text = _text(chk, item, what, mapping, key, source)
        problem = check(text) if check else None
        if problem:
            raise chk.fail(f"{what}: {problem}", mapping, key, source)
        out.append(text)
    return tuple(out)


def _email_problem(address: str) -> str | None:
    return None if EMAIL.match(address) else f"'{_short(address)}' is not an email address"


def _interval(chk: _Checker, value: Any, mapping: Any, source: str | None) -> timedelta:
    try:
        interval = parse_duration(value)
    except ValueError:
        raise chk.fail(
            f"interval '{_short(value)}' is not a duration (use e.g. 30m, 12h, 1d)",
            mapping,
            "interval",
            source,
        ) from None
    if not timedelta(seconds=1) <= interval <= timedelta(days=366):
        raise chk.fail(
            f"interval '{_short(value)}' must be between 1s and 366d", mapping, "interval", source
        )
    return interval


def _bool(
    chk: _Checker, value: Any, what: str, mapping: Any, key: str, source: str | None = None
) -> bool:
    if not isinstance(value, bool):
        raise chk.fail(f"{what} must be true or false", mapping, key, source)
    return value


def _source(
    chk: _Checker, raw: Any, defaults: Mapping[str, Any], index: int, parent: Any
) -> Source:
    if not isinstance(raw, dict):
        raise chk.fail(
            f"sources[{index}] must be a mapping with id, name and url", parent, "sources"
        )
    raw_id = raw.get("id")
    if raw_id is None:
        raise chk.fail(f"sources[{index}] has no id", raw)
    sid = source_id_or_error(raw_id, lambda m: chk.fail(m, raw, "id"))
    chk.mapping(raw, SOURCE_KEYS, "a source", sid)
    if "url" not in raw:
        raise chk.fail("no url", raw, None, sid)
    url = _text(chk, raw["url"], "url", raw, "url", sid, MAX_URL)
    problem = check_url(url)
    if problem:
        raise chk.fail(problem, raw, "url", sid)
    merged = {**defaults, **raw}
    where = raw if any(k in raw for k in DEFAULT_KEYS) else defaults
    return Source(
        id=sid,
        name=_text(chk, raw.get("name", sid), "name", raw, "name", sid),
        url=url,
        interval=_interval(
            chk, merged.get("interval", "1d"), raw if "interval" in raw else defaults, sid
        ),
        select=_text_list(
            chk, merged.get("select"), "select", where, "select", sid, check_selector
        ),
        remove=_text_list(
            chk, merged.get("remove"), "remove", where, "remove", sid, check_selector
        ),
        tags=_text_list(chk, merged.get("tags"), "tags", where, "tags", sid),
        notify=_text_list(
            chk, merged.get("notify"), "notify", where, "notify", sid, _email_problem
        ),
        enabled=_bool(chk, merged.get("enabled", True), "enabled", where, "enabled", sid),
    )


def source_id_or_error(value: Any, error: Callable[[str], Exception]) -> str:
    """Validate a source id (lowercase letters, digits, ``-`` and ``_``)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise error("source id must be a string")
    sid = _short(value, 100)
    if not SOURCE_ID.match(sid):
        raise error(
            f"source id '{_short(sid)}' is not valid: use 1-64 lowercase letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return sid


def _number(
    chk: _Checker,
    block: Mapping[str, Any],
    key: str,
    parse: Callable[[Any], Any],
    low: float,
    high: float,
    default: Any,
    what: str,
) -> Any:
    if key not in block:
        return default
    try:
        value = parse(block[key])
    except (ValueError, TypeError):
        raise chk.fail(
            f"settings.{what}: '{_short(block[key])}' is not valid", block, key
        ) from None
    number = value.total_seconds() if isinstance(value, timedelta) else value
    if not low <= number <= high:
        raise chk.fail(f"settings.{what}: '{_short(block[key])}' is out of range", block, key)
    return number if isinstance(value, timedelta) else value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


FETCH_KEYS = (
    "user_agent",
    "timeout",
    "retries",
    "backoff",
    "max_bytes",
    "max_redirects",
    "concurrency",
    "per_host",
    "max_retry_after",
)
SMTP_KEYS = ("host", "port", "security", "user", "password_env", "sender", "timeout")
ALERT_KEYS = ("cosmetic", "failure_threshold", "report_url")
DIGEST_KEYS = ("schedule", "recipients")
SETTINGS_KEYS = ("fetch", "smtp", "alerts", "digest", "timezone", "keywords", "log_file")


def _fetch_settings(chk: _Checker, raw: Any, parent: Any) -> FetchSettings:
    block = chk.mapping(raw, FETCH_KEYS, "settings.fetch", parent=parent, key="fetch")
    d = FetchSettings()
    secs = parse_duration
    return FetchSettings(
        user_agent=_text(
            chk,
            block.get("user_agent", d.user_agent),
            "settings.fetch.user_agent",
            block,
            "user_agent",
        ),
        timeout=_number(chk, block, "timeout", secs, 0.1, 600, d.timeout, "fetch.timeout"),
        retries=_number(chk, block, "retries", _int, 0, 10, d.retries, "fetch.retries"),
        backoff=_number(chk, block, "backoff", secs, 0, 600, d.backoff, "fetch.backoff"),
        max_retry_after=_number(
            chk, block, "max_retry_after", secs, 0, 3600, d.max_retry_after, "fetch.max_retry_after"
        ),
        max_bytes=_number(
            chk, block, "max_bytes", parse_size, 1024, 1024**3, d.max_bytes, "fetch.max_bytes"
        ),
        max_redirects=_number(
            chk, block, "max_redirects", _int, 0, 50, d.max_redirects, "fetch.max_redirects"
        ),
        concurrency=_number(
            chk, block, "concurrency", _int, 1, 1000, d.concurrency, "fetch.concurrency"
        ),
        per_host=_number(chk, block, "per_host", _int, 1, 100, d.per_host, "fetch.per_host"),
    )


def _smtp_settings(chk: _Checker, raw: Any, parent: Any) -> SmtpSettings | None:
    if raw is None:
        return None
    block = chk.mapping(raw, SMTP_KEYS, "settings.smtp", parent=parent, key="smtp")
    d = SmtpSettings()
    security = _text(
        chk, block.get("security", d.security), "settings.smtp.security", block, "security"
    ).lower()
    if security not in ("none", "starttls", "ssl"):
        raise chk.fail("settings.smtp.security must be none, starttls or ssl", block, "security")
    sender = _text(chk, block.get("sender", d.sender), "settings.smtp.sender", block, "sender")
    if _email_problem(sender) and not sender.endswith("@localhost"):
        raise chk.fail(f"settings.smtp.sender: {_email_problem(sender)}", block, "sender")
    user = block.get("user")
    return SmtpSettings(
        host=_text(chk, block.get("host", d.host), "settings.smtp.host", block, "host"),
        port=_number(chk, block, "port", _int, 1, 65535, d.port, "smtp.port"),
        security=security,
        user=None if user is None else _text(chk, user, "settings.smtp.user", block, "user"),
        password_env=_text(
            chk,
            block.get("password_env", d.password_env),
            "settings.smtp.password_env",
            block,
            "password_env",
        ),
        sender=sender,
        timeout=_number(chk, block, "timeout", parse_duration, 0.1, 600, d.timeout, "smtp.timeout"),
    )


def _alert_settings(chk: _Checker, raw: Any, parent: Any) -> AlertSettings:
    block = chk.mapping(raw, ALERT_KEYS, "settings.alerts", parent=parent, key="alerts")
    d = AlertSettings()
    cosmetic = _text(
        chk, block.get("cosmetic", d.cosmetic), "settings.alerts.cosmetic", block, "cosmetic"
    )
    if cosmetic not in ("digest", "alert"):
        raise chk.fail("settings.alerts.cosmetic must be 'digest' or 'alert'", block, "cosmetic")
    report_url = block.get("report_url")
    if report_url is not None:
        report_url = _text(
            chk, report_url, "settings.alerts.report_url", block, "report_url", limit=MAX_URL
        )
        problem = check_url(report_url)
        if problem:  # reports are linked from emails, digests and feeds
            raise chk.fail(f"settings.alerts.report_url: {problem}", block, "report_url")
    return AlertSettings(
        cosmetic=cosmetic,
        failure_threshold=_number(
            chk,
            block,
            "failure_threshold",
            _int,
            1,
            1000,
            d.failure_threshold,
            "alerts.failure_threshold",
        ),
        report_url=report_url,
    )


def _digest_settings(chk: _Checker, raw: Any, parent: Any) -> DigestSettings:
    block = chk.mapping(raw, DIGEST_KEYS, "settings.digest", parent=parent, key="digest")
    d = DigestSettings()
    schedule = _text(
        chk, block.get("schedule", d.schedule), "settings.digest.schedule", block, "schedule"
    )
    problem = check_schedule(schedule)
    if problem:
        raise chk.fail(f"settings.digest.schedule: {problem}", block, "schedule")
    return DigestSettings(
        schedule=schedule,
        recipients=_text_list(
            chk,
            block.get("recipients"),
            "settings.digest.recipients",
            block,
            "recipients",
            check=_email_problem,
        ),
    )


_DAY_TIME = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]?\d|2[0-3]):([0-5]\d)$", re.I)


def check_schedule(schedule: str) -> str | None:
    """Why a digest schedule (``"mon 08:00"`` or a 5-field cron line) is invalid, or None."""
    if _DAY_TIME.match(schedule.strip()):
        return None
    if len(schedule.split()) == 5:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(schedule)
        except ValueError as exc:
            return f"'{_short(schedule)}' is not a valid cron line ({exc})"
        return None
    return f"'{_short(schedule)}' is neither 'mon 08:00' nor a 5-field cron line"


def _settings(chk: _Checker, raw: Any, parent: Any) -> Settings:
    block = chk.mapping(raw, SETTINGS_KEYS, "settings", parent=parent, key="settings")
    timezone = _text(chk, block.get("timezone", "UTC"), "settings.timezone", block, "timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise chk.fail(
            f"settings.timezone: unknown time zone '{_short(timezone)}'", block, "timezone"
        ) from None
    extra = _text_list(
        chk, block.get("keywords"), "settings.keywords", block, "keywords", check=_regex_problem
    )
    log_file = block.get("log_file")
    return Settings(
        fetch=_fetch_settings(chk, block.get("fetch"), block),
        smtp=_smtp_settings(chk, block.get("smtp"), block),
        alerts=_alert_settings(chk, block.get("alerts"), block),
        digest=_digest_settings(chk, block.get("digest"), block),
        timezone=timezone,
        keywords=DEFAULT_KEYWORDS + extra,
        log_file=None
        if log_file is None
        else _text(chk, log_file, "settings.log_file", block, "log_file"),
    )


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"'{_short(pattern)}' is not a valid regular expression ({exc})"
    return None


def parse(data: Any, path: Path) -> Config:
    """Validate the parsed YAML ``data`` of the file at ``path``."""
    chk = _Checker(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise chk.fail(
            "the top level must be a mapping with 'sources' (and optional "
            "'defaults' and 'settings')"
        )
    chk.mapping(data, TOP_KEYS, "the top level")
    raw_sources = data.get("sources") or []
    if not isinstance(raw_sources, list):
        raise chk.fail("'sources' must be a list", data, "sources")
    defaults = chk.mapping(
        data.get("defaults"), DEFAULT_KEYS, "defaults", parent=data, key="defaults"
    )
    settings = _settings(chk, data.get("settings"), data)
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources):
        source = _source(chk, raw, defaults, index, data)
        if source.id in seen:
            raise chk.fail(f"duplicate source id '{source.id}'", raw, "id")
        seen.add(source.id)
        sources.append(source)
    return Config(path=path, sources=tuple(sources), settings=settings)


def load(path: str | Path) -> Config:
    """Read and validate ``sources.yaml`` at ``path``."""
    path = Path(path)
    config = parse(_read_yaml(path), path)
    log.debug("loaded %s: %d sources", path, len(config.sources))
    return config


STARTER = """\
# watcher: what to track. See README.md ("sources.yaml") for every key.
defaults:
  interval: 1d            # how often each source is checked (30m, 12h, 1d, 1w)
  notify: []              # who gets an email when a policy changes

settings:
  timezone: UTC
  fetch:
    user_agent: "watcher/0.1 (policy change tracker)"
    timeout: 30s
    retries: 3
  # smtp:
  #   host: smtp.example.org
  #   port: 587
  #   security: starttls
  #   user: alerts@example.org     # the password comes from $WATCHER_SMTP_PASSWORD
  #   sender: alerts@example.org
  digest:
    schedule: "mon 08:00"
    recipients: []

sources:
  - id: managedconnect
    name: ManagedCONNECT Privacy Policy (CITIC Telecom CPC)
    url: https://mc.citictel-cpc.com/privacy_policy/privacy-policy_cpc_en.html
    tags: [telecom]
  - id: chinacache
    name: ChinaCache Privacy Policy
    url: https://en.chinacache.com/privacy-policy/
    tags: [cdn]
  - id: connect-managed-services
    name: Connect Managed Services (UK) Privacy Policy
    url: https://www.conn3ct.com/privacy-policy-0
    tags: [telecom, uk]
  - id: ntt-com-china
    name: NTT Com China Privacy Policy
    url: https://www.ntt.com.cn/jp/index/privacy
    tags: [telecom]
  - id: cig-shanghai
    name: CIG Shanghai Privacy and Cookies Statement
    url: https://www.cigtech.com/Privacy
    tags: [network-equipment]
"""
