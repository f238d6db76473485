"""Validating ``sources.yaml``: one clear error naming the file, the line and the source."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from .settings import (
    DEFAULT_KEYWORDS,
    EMAIL,
    MAX_LIST,
    MAX_TEXT,
    MAX_URL,
    SOURCE_ID,
    AlertSettings,
    Config,
    DigestSettings,
    FetchSettings,
    Settings,
    SmtpSettings,
    Source,
)
from .yamlfile import YamlList, YamlMapping, short

log = logging.getLogger(__name__)

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
                    f"unknown key '{short(k)}' in {what} (allowed: {', '.join(sorted(allowed))})",
                    value,
                    str(k),
                    source,
                )
        return value


def _line_of(mapping: Any, key: str | None) -> int:
    """The line of ``key`` in a mapping, or of item ``key`` (its index) in a list."""
    if isinstance(mapping, YamlList) and key is not None and key.isdigit():
        return mapping.item_lines[int(key)]
    if isinstance(mapping, YamlMapping):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return 0


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
    if not url.isprintable() or " " in url:  # the only space Python calls printable
        return f"url '{short(url)}' contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"url '{short(url)}' is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"url '{short(url)}' must start with http:// or https://"
    if not parts.hostname:
        return f"url '{short(url)}' has no host"
    return None


def check_selector(selector: str) -> str | None:
    """Why ``selector`` is not a usable CSS selector, or None."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        return f"'{short(selector)}' is not a valid CSS selector ({exc})"
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
    if not text.isprintable():
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
    return None if EMAIL.match(address) else f"'{short(address)}' is not an email address"


def _interval(chk: _Checker, value: Any, mapping: Any, source: str | None) -> timedelta:
    try:
        interval = parse_duration(value)
    except ValueError:
        raise chk.fail(
            f"interval '{short(value)}' is not a duration (use e.g. 30m, 12h, 1d)",
            mapping,
            "interval",
            source,
        ) from None
    if not timedelta(seconds=1) <= interval <= timedelta(days=366):
        raise chk.fail(
            f"interval '{short(value)}' must be between 1s and 366d", mapping, "interval", source
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
        message = f"sources[{index}] must be a mapping with an id and a url"
        raise chk.fail(message, parent["sources"], str(index))
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

    def inherited(key: str) -> tuple[Any, str, Any, str | None]:
        """``key``'s value, named as where it is written: in the source or in ``defaults``
        (an error in the defaults is not the first source's)."""
        if key in raw:
            return raw[key], key, raw, sid
        return defaults.get(key), f"defaults.{key}", defaults, None

    def texts(key: str, check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        value, what, mapping, source = inherited(key)
        return _text_list(chk, value, what, mapping, key, source, check)

    interval, _, interval_in, interval_of = inherited("interval")
    enabled, enabled_what, enabled_in, enabled_of = inherited("enabled")
    return Source(
        id=sid,
        name=_text(chk, raw.get("name", sid), "name", raw, "name", sid),
        url=url,
        interval=_interval(chk, "1d" if interval is None else interval, interval_in, interval_of),
        select=texts("select", check_selector),
        remove=texts("remove", check_selector),
        tags=texts("tags"),
        notify=texts("notify", _email_problem),
        enabled=_bool(
            chk,
            True if enabled is None else enabled,
            enabled_what,
            enabled_in,
            "enabled",
            enabled_of,
        ),
    )


def source_id_for(name: str) -> str:
    """A valid source id made from a display name or a folder's name: accents dropped,
    lowercased, other characters turned into ``-`` ("Booking.com Terms" → "booking-com-terms").
    A name with no letter or digit that a source id can hold gives ``archive``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower()).strip("-_")
    return slug[:64].rstrip("-_") or "archive"


def source_id_or_error(value: Any, error: Callable[[str], Exception]) -> str:
    """Validate a source id (lowercase letters, digits, ``-`` and ``_``)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise error("source id must be a string")
    sid = short(value, 100)
    if not SOURCE_ID.match(sid):
        raise error(
            f"source id '{short(sid)}' is not valid: use 1-64 lowercase letters, digits, "
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
        raise chk.fail(f"settings.{what}: '{short(block[key])}' is not valid", block, key) from None
    number = value.total_seconds() if isinstance(value, timedelta) else value
    if not low <= number <= high:
        raise chk.fail(f"settings.{what}: '{short(block[key])}' is out of range", block, key)
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
    "confirm_after",
)
SMTP_KEYS = ("host", "port", "security", "user", "password_env", "sender", "timeout")
ALERT_KEYS = ("cosmetic", "failure_threshold", "report_url")
DIGEST_KEYS = ("schedule", "recipients")
SETTINGS_KEYS = (
    "fetch",
    "smtp",
    "alerts",
    "digest",
    "timezone",
    "keywords",
    "log_file",
    "keep_checks",
)


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
        confirm_after=_duration_or_off(
            chk, block, "confirm_after", 0, 3600, d.confirm_after, "fetch.confirm_after"
        ),
    )


def _duration_or_off(
    chk: _Checker,
    block: Mapping[str, Any],
    key: str,
    low: float,
    high: float,
    default: float | None,
    what: str,
) -> float | None:
    """Seconds of a duration setting that may be ``off`` (YAML reads it as false)."""
    if block.get(key, True) is False or block.get(key) == "off":
        return None
    seconds: float | None = _number(chk, block, key, parse_duration, low, high, default, what)
    return seconds


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
            return f"'{short(schedule)}' is not a valid cron line ({exc})"
        return None
    return f"'{short(schedule)}' is neither 'mon 08:00' nor a 5-field cron line"


def _settings(chk: _Checker, raw: Any, parent: Any) -> Settings:
    block = chk.mapping(raw, SETTINGS_KEYS, "settings", parent=parent, key="settings")
    timezone = _text(chk, block.get("timezone", "UTC"), "settings.timezone", block, "timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise chk.fail(
            f"settings.timezone: unknown time zone '{short(timezone)}'", block, "timezone"
        ) from None
    extra = _text_list(
        chk, block.get("keywords"), "settings.keywords", block, "keywords", check=_regex_problem
    )
    log_file = block.get("log_file")
    keep = _duration_or_off(chk, block, "keep_checks", 86400, 36600 * 86400, None, "keep_checks")
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
        keep_checks=None if keep is None else timedelta(seconds=keep),
    )


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"'{short(pattern)}' is not a valid regular expression ({exc})"
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
