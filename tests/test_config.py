"""sources.yaml: loading, defaults, and one clear error for each kind of mistake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from watcher.config import (
    STARTER,
    ConfigError,
    load,
    parse_duration,
    source_id_for,
    source_id_or_error,
)

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sources_track_the_five_seed_policies() -> None:
    config = load(ROOT / "sources.yaml")
    urls = {s.url for s in config.sources}
    assert urls == {
        "https://mc.citictel-cpc.com/privacy_policy/privacy-policy_cpc_en.html",
        "https://en.chinacache.com/privacy-policy/",
        "https://www.conn3ct.com/privacy-policy-0",
        "https://www.ntt.com.cn/jp/index/privacy",
        "https://www.cigtech.com/Privacy",
    }
    assert all(s.enabled for s in config.sources)


def test_starter_file_loads(tmp_path: Path) -> None:
    config = load(write(tmp_path, STARTER))
    assert len(config.sources) == 5
    assert config.settings.digest.schedule == "mon 08:00"


def test_defaults_apply_and_sources_override(tmp_path: Path) -> None:
    config = load(
        write(
            tmp_path,
            """
defaults:
  interval: 6h
  notify: [team@example.org]
  tags: [vendor]
settings:
  timezone: Europe/Paris
  keywords: ['\\bfacial recognition\\b']
  fetch: {timeout: 10s, max_bytes: 2MB, per_host: 1}
sources:
  - id: one
    url: https://example.org/privacy
  - id: two
    name: Two
    url: https://example.org/terms
    interval: 30m
    notify: legal@example.org
    select: [main, "#terms"]
    remove: .banner
    enabled: false
""",
        )
    )
    one, two = config.sources
    assert one.name == "one" and one.interval == timedelta(hours=6)
    assert one.notify == ("team@example.org",) and one.tags == ("vendor",)
    assert two.interval == timedelta(minutes=30) and two.notify == ("legal@example.org",)
    assert two.select == ("main", "#terms") and two.remove == (".banner",)
    assert config.enabled() == (one,)
    assert config.settings.fetch.timeout == 10 and config.settings.fetch.max_bytes == 2 * 1024**2
    assert config.settings.keywords[-1] == "\\bfacial recognition\\b"
    assert config.settings.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("", 60.0), ("{confirm_after: 90s}", 90.0), ("{confirm_after: 0}", 0.0),
     ("{confirm_after: off}", None), ("{confirm_after: false}", None)],
    ids=["default-a-minute", "duration", "at-once", "off", "false"],
)  # fmt: skip
def test_a_change_is_confirmed_after_a_minute_unless_told_otherwise(
    tmp_path: Path, value: str, seconds: float | None
) -> None:
    fetch = f"settings:\n  fetch: {value}\n" if value else ""
    config = load(write(tmp_path, fetch + "sources: []\n"))
    assert config.settings.fetch.confirm_after == seconds


@pytest.mark.parametrize(
    ("value", "kept"),
    [("", None), ("keep_checks: 90d", timedelta(days=90)), ("keep_checks: off", None)],
    ids=["default-for-ever", "days", "off"],
)
def test_check_records_are_kept_for_ever_unless_told_otherwise(
    tmp_path: Path, value: str, kept: timedelta | None
) -> None:
    settings = f"settings:\n  {value}\n" if value else ""
    assert load(write(tmp_path, settings + "sources: []\n")).settings.keep_checks == kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources:\n  - id: a\n\turl: x\n", ":3: malformed YAML: found a tab character"),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    intervl: 1d\n",
            ":4: source 'a': unknown key 'intervl'",
        ),
        (
            "sources:\n  - id: a\n    url: https://x.org\n  - id: a\n    url: https://y.org\n",
            ":4: duplicate source id 'a'",
        ),
        (
            "sources:\n  - id: a\n    url: ftp://x.org\n",
            ":3: source 'a': url 'ftp://x.org' must start",
        ),
        ("sources:\n  - id: a\n    url: 'https://'\n", "has no host"),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    interval: soon\n",
            ":4: source 'a': interval 'soon' is not a duration",
        ),
        ("sources:\n  - id: a\n    url: https://x.org\n    interval: 0s\n", "between 1s and 366d"),
        (
            "sources:\n  - id: ../etc\n    url: https://x.org\n",
            ":2: source id '../etc' is not valid",
        ),
        ('sources:\n  - id: "a\\x07b"\n    url: https://x.org\n', "source id 'a?b' is not valid"),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    select: 'p[['\n",
            "not a valid CSS selector",
        ),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    notify: [nobody]\n",
            "'nobody' is not an email address",
        ),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    enabled: maybe\n",
            "enabled must be true or false",
        ),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    name: [1, 2]\n",
            "name must be a string",
        ),
        (
            "sources:\n  - id: a\n    url: https://x.org\n    name: " + "n" * 600 + "\n",
            "longer than 500",
        ),
        ("sources: {id: a}\n", "'sources' must be a list"),
        ("sources:\n  - https://x.org\n", "sources[0] must be a mapping"),
        (
            "sources:\n  - {id: a, url: 'https://x.org'}\n\n  - https://y.org\n",
            ":4: sources[1] must be a mapping",
        ),
        ("sources:\n  - url: https://x.org\n", "sources[0] has no id"),
        ("color: blue\n", ":1: unknown key 'color' in the top level"),
        ("settings:\n  timezone: Mars/Olympus\n", "unknown time zone"),
        ("settings:\n  smtp: {security: tls}\n", "security must be none, starttls or ssl"),
        ("settings:\n  digest: {schedule: someday}\n", "neither 'mon 08:00' nor a 5-field cron"),
        ("settings:\n  fetch: {retries: 99}\n", "settings.fetch.retries: '99' is out of range"),
        ("settings:\n  keywords: ['(unclosed']\n", "not a valid regular expression"),
        ("settings:\n  fetch: {confirm_after: 2h}\n", "confirm_after: '2h' is out of range"),
        ("settings:\n  fetch: {confirm_after: later}\n", "confirm_after: 'later' is not valid"),
        ("settings:\n  keep_checks: 12h\n", "settings.keep_checks: '12h' is out of range"),
        ("a: 1\na: 2\n", ":2: duplicate key 'a'"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        (
            "defaults:\n  notify: [nobody]\nsources:\n  - id: a\n    url: https://x.org\n",
            ":2: defaults.notify: 'nobody' is not an email address",
        ),
        (
            "defaults:\n  interval: soon\nsources:\n  - {id: a, url: 'https://x.org', tags: [t]}\n",
            ":2: interval 'soon' is not a duration",
        ),
    ],
    ids=[
        "malformed-yaml",
        "unknown-key",
        "duplicate-id",
        "bad-scheme",
        "no-host",
        "bad-interval",
        "zero-interval",
        "path-in-id",
        "control-char-in-id",
        "bad-selector",
        "bad-email",
        "bad-bool",
        "wrong-type",
        "huge-value",
        "sources-not-list",
        "source-not-mapping",
        "second-source-not-mapping",
        "no-id",
        "unknown-top-key",
        "bad-timezone",
        "bad-smtp-security",
        "bad-schedule",
        "out-of-range",
        "bad-regex",
        "confirm-too-late",
        "confirm-not-a-duration",
        "keep-checks-under-a-day",
        "duplicate-yaml-key",
        "top-level-list",
        "bad-default-email",
        "bad-default-interval",
    ],
)
def test_bad_config_gives_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_and_binary_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "nope.yaml")
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load(path)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30m", 1800), ("12h", 43200), ("1d", 86400), ("2w", 1209600), (45, 45), ("1.5h", 5400)],
    ids=["minutes", "hours", "days", "weeks", "bare-number", "fraction"],
)
def test_durations(value: object, seconds: int) -> None:
    assert parse_duration(value).total_seconds() == seconds


@pytest.mark.parametrize(
    ("name", "sid"),
    [
        ("ChatGPT-Business-Privacy-Policy", "chatgpt-business-privacy-policy"),
        ("Booking.com-Privacy-Policy", "booking-com-privacy-policy"),
        ("Société-Générale-Conditions", "societe-generale-conditions"),
        ("McDonald's Terms & Conditions", "mcdonald-s-terms-conditions"),
        ("_Drafts (old)_", "drafts-old"),
        ("隐私政策", "archive"),
        ("A" * 63 + ".b", "a" * 63),
    ],
    ids=["plain", "dot", "accents", "punctuation", "edges", "no-latin", "long"],
)
def test_a_name_gives_a_valid_source_id(name: str, sid: str) -> None:
    assert source_id_for(name) == sid
    assert source_id_or_error(sid, ValueError) == sid


def test_cli_bad_config_exits_2_and_writes_nothing(cli: object, tmp_path: Path) -> None:
    write(tmp_path, "sources:\n  - id: a\n    url: https://x.org\n    interval: never\n")
    result = cli("check")  # type: ignore[operator]
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "interval 'never' is not a duration" in lines[0]
    assert not (tmp_path / "snapshots").exists()


def test_cli_config_and_data_dir_from_environment(cli: object, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text("sources: []\n")
    result = cli(
        "list",
        "--json",
        env={
            "WATCHER_CONFIG": str(other),  # type: ignore[operator]
            "WATCHER_DATA_DIR": str(tmp_path / "data"),
        },
    )
    assert result.code == 0, result.err
    assert result.out.strip() == "[]"
    assert (tmp_path / "data" / "watcher.db").exists()
