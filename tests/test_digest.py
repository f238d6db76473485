"""The weekly digest: what it contains, the CLI, the scheduled digest, and how it renders in
headless Chromium (desktop and phone widths, light and dark mode)."""

from __future__ import annotations

import html
import json
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from watcher.cli import App
from watcher.config import load
from watcher.digest import (
    build_digest,
    digest_path,
    digest_text,
    parse_period,
    render_digest,
    scheduled_digest,
)
from watcher.errors import InputError
from watcher.fetch import FetchResult
from watcher.model import Capture
from watcher.pipeline import Pipeline, sync_sources
from watcher.store import Store, utcnow

from .conftest import LoopbackSmtp, run_cli

PAGES = Path(__file__).parent / "fixtures" / "pages"
EVIL = "Acme <script>alert(1)</script> & Sons"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def write_config(tmp_path: Path, smtp: LoopbackSmtp | None = None) -> Path:
    lines = [
        "settings:",
        "  timezone: Europe/London",
        "  digest: {schedule: 'mon 08:00', recipients: [board@example.org, dpo@example.org]}",
    ]
    if smtp is not None:
        lines.append(f"  smtp: {smtp.smtp_yaml()}")
    lines += [
        "sources:",
        f"  - {{id: acme, name: '{EVIL}', url: 'https://acme.example/privacy'}}",
        "  - {id: beta, name: Beta Terms, url: 'https://beta.example/terms'}",
        "  - {id: gamma, name: Gamma Privacy, url: 'https://gamma.example/privacy'}",
        "  - {id: delta, name: Delta Notice, url: 'https://delta.example/notice'}",
        "  - {id: paused, name: Switched Off, url: 'https://paused.example/', enabled: false}",
    ]
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def capture(name: str, minutes: int = 0) -> Capture:
    return Capture(
        body=(PAGES / name).read_bytes(),
        captured_at=datetime.now(UTC) - timedelta(hours=2) + timedelta(minutes=minutes),
        content_type="text/html; charset=utf-8",
    )


def failed(source_id: str, error: str) -> FetchResult:
    return FetchResult(source_id, "https://beta.example/terms", "failed", None, (), error)


@pytest.fixture
def week(tmp_path: Path) -> Iterator[tuple[Store, Path, Path]]:
    """A store with a week of activity: a change (acme), failures that recovered (beta),
    quiet checks (gamma), a source never checked (delta)."""
    config_path = write_config(tmp_path)
    reports = tmp_path / "reports"
    store = Store.open(tmp_path / "snapshots")
    app = App(config_path, store.data_dir, reports, color=False)
    pipeline: Pipeline = app.pipeline(store)
    config = load(config_path)
    sync_sources(store, config.sources)
    acme, beta, gamma = (config.source(s) for s in ("acme", "beta", "gamma"))
    pipeline.process(acme, capture("acme_v1.html"))
    assert pipeline.process(acme, capture("acme_v2.html", 30)).status == "changed"
    pipeline.process(beta, capture("acme_v1.html"))
    pipeline.handle(beta, failed("beta", "connection refused"))
    pipeline.handle(beta, failed("beta", "HTTP 503"))
    pipeline.process(beta, capture("acme_v1.html", 60))
    for minutes in (0, 10, 20):
        pipeline.process(gamma, capture("plain_policy.txt", minutes))
    try:
        yield store, config_path, reports
    finally:
        store.close()


def section_texts(page: lxml_html.HtmlElement, section: str) -> str:
    return " ".join(page.get_element_by_id(section).text_content().split())


# ---------------------------------------------------------------- contents


def test_digest_has_overview_changes_problems_and_quiet_sources(
    week: tuple[Store, Path, Path],
) -> None:
    store, config_path, reports = week
    config = load(config_path)
    digest = build_digest(store, config, parse_period("7d", None, "Europe/London"), reports)
    markup = render_digest(digest)
    page = lxml_html.fromstring(markup)

    assert [h.text_content() for h in page.xpath("//section/h2")] == [
        "Overview",
        "Changes",
        "Failed or rejected checks",
        "Checked, no change",
    ]
    rows = page.get_element_by_id("overview").findall(".//tbody/tr")
    cells = [" ".join(td.text_content().split()) for td in rows[0].findall("td")]
    assert len(rows) == 3  # acme changed; beta and gamma recorded their first versions
    others = [" ".join(r.text_content().split()) for r in rows[1:]]
    assert others == [
        "Beta Terms Versions: 1 first version –",
        "Gamma Privacy Versions: 1 first version –",
    ]
    assert cells[0] == EVIL and "2 (1 change)" in cells[1] and cells[2] == "substantive"
    assert cells[3].startswith("3:") and "4 Sharing" in cells[3] and "5 Children" in cells[3]

    articles = page.get_element_by_id("changes").findall(".//article")
    assert len(articles) == 1 and articles[0].get("id") == "source-acme"
    assert rows[0].find(".//a").get("href") == "#source-acme"
    changes = section_texts(page, "changes")
    assert "may share personal data with advertising partners" in changes
    report = articles[0].xpath(".//a[text()='Full report']")[0].get("href")
    assert (reports / report).is_file(), "the relative link resolves from reports/"

    problems = section_texts(page, "problems")
    assert "Beta Terms 2 failed, 0 rejected of 4 HTTP 503" in problems and "recovered" in problems
    assert "Not checked in this period: Delta Notice" in problems and "Switched Off" not in problems
    assert "Gamma Privacy (2 checks" in section_texts(page, "quiet")

    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in markup
    assert "<script" not in markup.lower()
    for marker in ("<link", "<img", " src=", "url(", "@import"):
        assert marker not in markup, f"external asset marker {marker!r}"

    text = digest_text(digest)
    assert f"- {EVIL}: 3 sections changed (substantive)" in text
    assert "Beta Terms: 2 failed, 0 rejected of 4 checks (recovered); last: HTTP 503" in text


def test_an_empty_week_says_so(tmp_path: Path) -> None:
    config = load(write_config(tmp_path))
    store = Store.open(tmp_path / "snapshots")
    try:
        digest = build_digest(store, config, parse_period("7d", None), tmp_path / "reports")
    finally:
        store.close()
    page = lxml_html.fromstring(render_digest(digest))
    assert "No changes were recorded" in section_texts(page, "changes")
    assert "No check failed" in section_texts(page, "problems")
    assert digest.summary() == "no changes"
    assert digest.unchecked == ["Acme <script>alert(1)</script> & Sons", *digest.unchecked[1:]]


def test_period_parsing() -> None:
    now = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    week = parse_period("7d", None, "UTC", now + timedelta(microseconds=5))
    end = now + timedelta(seconds=1)  # the current second is included
    assert (week.since, week.until, week.label) == (end - timedelta(days=7), end, "2025-W10")
    dated = parse_period("2025-03-03", "2025-03-09", "Europe/London", now)
    assert dated.since == datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    assert dated.until == datetime(2025, 3, 10, 0, 0, tzinfo=UTC), "--until counts the whole day"
    summer = parse_period("2025-07-07", "2025-07-13", "Europe/London", now)
    assert summer.since == datetime(2025, 7, 6, 23, 0, tzinfo=UTC)
    assert parse_period("36h", "2025-03-09T12:00Z", "UTC").since == datetime(
        2025, 3, 8, 0, 0, tzinfo=UTC
    )
    for since, until, message in (
        ("soon", None, "neither a duration"),
        ("2025-13-01", None, "not a date"),
        ("2025-03-09", "2025-03-01", "the digest period is empty"),
    ):
        with pytest.raises(InputError, match=message):
            parse_period(since, until, "UTC", now)
    assert digest_path(Path("r"), week) == Path("r/digest-2025-W10.html")


# ---------------------------------------------------------------- CLI and sending


def test_digest_command_writes_the_page_and_refuses_bad_input(
    week: tuple[Store, Path, Path], tmp_path: Path
) -> None:
    result = run_cli("digest", cwd=tmp_path)
    assert result.code == 0, result.err
    path = tmp_path / result.out.strip()
    assert path.parent == tmp_path / "reports" and path.name.startswith("digest-20")
    assert "Policy digest" in path.read_text(encoding="utf-8")
    custom = run_cli(
        "digest", "--since", "2025-01-01", "--until", "2025-01-07", "-o", "w1.html", cwd=tmp_path
    )
    assert custom.code == 0 and "No changes were recorded" in (tmp_path / "w1.html").read_text()
    bad = run_cli("digest", "--since", "fortnight", cwd=tmp_path)
    assert bad.code == 2 and bad.err.strip().startswith("watcher: error: --since 'fortnight'")
    assert len(bad.err.strip().splitlines()) == 1
    unsent = run_cli("digest", "--send", cwd=tmp_path)
    assert unsent.code == 2 and "settings.smtp is not configured" in unsent.err


def test_digest_send_emails_every_recipient(tmp_path: Path, smtp_server: LoopbackSmtp) -> None:
    write_config(tmp_path, smtp_server)
    result = run_cli("digest", "--send", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "digest sent to 2 recipient(s)" in result.err
    mails = smtp_server.wait_for(2)
    assert sorted(m.recipients[0] for m in mails) == ["board@example.org", "dpo@example.org"]
    message = mails[0].parsed()
    assert str(message["Subject"]).strip().startswith("[policy digest] 20")
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = list(message.iter_parts())
    assert "no changes" in plain.get_content()
    assert rich.get_content_type() == "text/html" and "<h2" in rich.get_content()
    assert "&lt;script&gt;" in rich.get_content()

    smtp_server.stop()
    down = run_cli("digest", "--send", cwd=tmp_path)
    assert down.code == 1, down  # an outage, not bad input
    assert "digest not sent to 2 of 2 recipient(s): cannot use SMTP" in down.err
    assert down.err.rstrip().endswith("('watcher run' retries)"), down.err


def test_scheduled_digest_is_made_once_and_follows_on(
    week: tuple[Store, Path, Path], smtp_server: LoopbackSmtp, tmp_path: Path
) -> None:
    store, _, reports = week
    config = load(write_config(tmp_path, smtp_server))
    fire = utcnow().replace(second=0) + timedelta(minutes=1)
    first = scheduled_digest(store, config, reports, fire)
    assert first is not None and first.is_file()
    assert scheduled_digest(store, config, reports, fire) is None, "the same digest twice"
    rows = list(store.db.query("SELECT kind, recipient, state FROM outbox ORDER BY id"))
    assert [(r["kind"], r["recipient"]) for r in rows] == [
        ("digest", "board@example.org"),
        ("digest", "dpo@example.org"),
    ]
    following = scheduled_digest(store, config, reports, fire + timedelta(days=7))
    assert following is not None
    periods = store.db.execute("SELECT since, until FROM digests ORDER BY id").fetchall()
    assert periods[1][0] == periods[0][1], "the next digest starts where the last one ended"


# ---------------------------------------------------------------- in a browser


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit truecolour PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    step = 3 if colour == 2 else 4
    raw, rows, previous = zlib.decompress(idat), [], bytearray(width * step)
    stride = width * step + 1
    for y in range(height):
        kind, line = raw[y * stride], bytearray(raw[y * stride + 1 : (y + 1) * stride])
        for i in range(len(line)):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        rows.append(bytes(line))
        previous = line
    return (
        width,
        height,
        [bytes(r[i : i + 3]) for r in rows[::40] for i in range(0, len(r), step * 8)],
    )


CHECK = (Path(__file__).parent / "fixtures" / "digest" / "check.js").read_text(encoding="utf-8")


@pytest.fixture
def digest_file(week: tuple[Store, Path, Path]) -> Path:
    store, config_path, reports = week
    digest = build_digest(store, load(config_path), parse_period("7d", None), reports)
    path = reports / "digest-test.html"
    path.write_text(render_digest(digest), encoding="utf-8")
    return path


def inspect(tmp_path: Path, page: Path, width: int, dark: bool) -> dict[str, object]:
    """Load ``page`` in a ``width``-pixel frame and measure it from inside."""
    framed = page.read_text(encoding="utf-8").replace("</body>", f"<script>{CHECK}</script></body>")
    harness = tmp_path / f"harness-{width}-{dark}.html"
    harness.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe srcdoc="{html.escape(framed)}" '
        f'style="width:{width}px;height:3000px;border:0"></iframe></body></html>',
        encoding="utf-8",
    )
    flags = ["--force-dark-mode"] if dark else []
    result = chromium(tmp_path, *flags, "--window-size=1400,3000", "--dump-dom", harness.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = lxml_html.fromstring(result.stdout)
    report = dom.body.get("data-report")
    assert report, "the page did not load and run the check"
    return json.loads(report)  # type: ignore[no-any-return]


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(("width", "dark"), [(1280, False), (390, False), (390, True)])
def test_digest_fits_and_reads_well_in_chromium(
    digest_file: Path, tmp_path: Path, width: int, dark: bool
) -> None:
    report = inspect(tmp_path, digest_file, width, dark)
    assert report["dark"] is dark and report["width"] == width
    assert report["scroll"] <= width, "nothing may overflow sideways"
    assert report["resources"] == 0, "no external assets are loaded"
    assert report["articles"] == 1, "the change and its section diffs are on the page"
    assert report["low"] == [], "text with contrast below WCAG AA 4.5:1"
    assert report["headings"] == [
        "Overview",
        "Changes",
        "Failed or rejected checks",
        "Checked, no change",
    ]
    light = report["background"] == "rgb(246, 248, 250)"
    assert light is not dark


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(("width", "dark"), [(1280, False), (390, True)])
def test_digest_screenshots(digest_file: Path, tmp_path: Path, width: int, dark: bool) -> None:
    shot = tmp_path / f"digest-{width}.png"
    flags = ["--force-dark-mode"] if dark else []
    result = chromium(
        tmp_path,
        *flags,
        f"--screenshot={shot}",
        f"--window-size={width},2400",
        digest_file.as_uri(),
    )
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    got_width, height, samples = png_pixels(shot)
    assert (got_width, height) == (width, 2400)
    corner = samples[0]
    assert (sum(corner) < 100) is dark, (
        f"page background {corner.hex()} in {'dark' if dark else 'light'} mode"
    )
    assert len(set(samples)) > 20, "the screenshot shows a rendered page, not a blank one"
