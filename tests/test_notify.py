"""Email alerts through the outbox, against a real SMTP server (aiosmtpd on loopback).

Covers what a recipient sees (recipients, subject, both MIME parts, escaping,
the report link), delivery when the server is down and comes back, refusals,
the password from the environment, failure incidents, and what happens when
the sender is killed at each step of an SMTP transaction.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watcher.cli import App
from watcher.config import Config, load
from watcher.errors import NotifyError
from watcher.fetch import FetchResult
from watcher.model import Capture
from watcher.notify import Backoff, Outbox, open_smtp, outbox_summary
from watcher.pipeline import Pipeline, sync_sources
from watcher.store import Store, utcnow

from .conftest import LoopbackServer, LoopbackSmtp, ReceivedMail, run_cli

PAGES = Path(__file__).parent / "fixtures" / "pages"
NAME = "Acme <Widgets> & Co Privacy"
RECIPIENTS = ("legal@example.org", "dpo@example.org")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def write_config(
    tmp_path: Path,
    smtp: LoopbackSmtp | None,
    alerts: str = "{report_url: 'https://policies.example.org/reports'}",
    smtp_block: str | None = None,
    notify: tuple[str, ...] = RECIPIENTS,
    url: str = "https://acme.example/privacy",
) -> Path:
    """A sources.yaml with one source named with characters that need escaping."""
    lines = ["settings:", "  fetch: {confirm_after: 0s}", f"  alerts: {alerts}"]
    if smtp_block or smtp:
        lines.append(f"  smtp: {smtp_block or smtp.smtp_yaml()}")  # type: ignore[union-attr]
    lines += [
        "sources:",
        f"  - id: acme\n    name: '{NAME}'\n    url: {url}",
        f"    notify: [{', '.join(notify)}]",
    ]
    path = tmp_path / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    yield opened
    opened.close()


def pipeline_for(store: Store, config_path: Path, reports: Path) -> Pipeline:
    """The pipeline exactly as the CLI and the daemon wire it (alerts, report, feeds)."""
    app = App(config_path, store.data_dir, reports, color=False)
    pipeline: Pipeline = app.pipeline(store)
    sync_sources(store, app.config().sources)
    return pipeline


def capture(name: str, minutes: int) -> Capture:
    return Capture(
        body=(PAGES / name).read_bytes(),
        captured_at=T0 + timedelta(minutes=minutes),
        url="https://acme.example/privacy",
        content_type="text/html; charset=utf-8",
    )


def record_change(store: Store, config_path: Path, reports: Path) -> Config:
    """Record acme v1 then v2: one substantive change."""
    pipeline = pipeline_for(store, config_path, reports)
    config = load(config_path)
    source = config.source("acme")
    assert pipeline.process(source, capture("acme_v1.html", 0)).status == "first"
    assert pipeline.process(source, capture("acme_v2.html", 60)).status == "changed"
    return config


def outbox_rows(store: Store) -> list[dict[str, Any]]:
    return list(store.db.query("SELECT * FROM outbox ORDER BY id"))


def by_recipient(messages: list[ReceivedMail]) -> dict[str, ReceivedMail]:
    return {m.recipients[0]: m for m in messages}


# ---------------------------------------------------------------- what recipients get


def test_change_alert_reaches_each_recipient_once(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config = record_change(store, write_config(tmp_path, smtp_server), reports)
    rows = outbox_rows(store)
    assert [(r["recipient"], r["state"], r["kind"]) for r in rows] == [
        (RECIPIENTS[0], "pending", "change"),
        (RECIPIENTS[1], "pending", "change"),
    ]

    report = Outbox(store, config, reports).deliver()
    assert (report.sent, report.attempted) == (2, 2)
    received = by_recipient(smtp_server.wait_for(2))
    assert sorted(received) == sorted(RECIPIENTS)
    for recipient, mail in received.items():
        message = mail.parsed()
        assert mail.sender == "watcher@example.org"
        assert message["To"] == recipient
        # Python folds a long header whole onto the next line; unfolded, it is this line.
        subject = str(message["Subject"]).strip()
        assert subject == f"[policy change] {NAME}: 3 sections changed (substantive)"
        assert message.get_content_type() == "multipart/alternative"
        plain, html = list(message.iter_parts())
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        text, markup = plain.get_content(), html.get_content()
        link = "https://policies.example.org/reports/acme/2025-03-01-change-1.html"
        assert link in text and f'href="{link}"' in markup
        assert NAME in text and "may share personal data with advertising partners" in text
        assert "Acme &lt;Widgets&gt; &amp; Co Privacy" in markup and "<Widgets>" not in markup
        assert "<script" not in markup.lower()
    sent = {r["recipient"]: r for r in outbox_rows(store)}
    for recipient, mail in received.items():
        assert mail.parsed()["Message-ID"] == sent[recipient]["message_id"]
        assert sent[recipient]["state"] == "sent" and sent[recipient]["attempts"] == 1

    again = Outbox(store, config, reports).deliver()
    assert again.attempted == 0 and len(smtp_server.wait_for(3, timeout=0.3)) == 2


@pytest.mark.parametrize(("setting", "alerts"), [("digest", 0), ("alert", 2)])
def test_cosmetic_change_alerts_only_when_configured(
    tmp_path: Path, store: Store, reports: Path, setting: str, alerts: int
) -> None:
    config_path = write_config(
        tmp_path, None, alerts=f"{{cosmetic: {setting}}}", smtp_block="{host: 127.0.0.1, port: 9}"
    )
    pipeline = pipeline_for(store, config_path, reports)
    source = load(config_path).source("acme")
    v1 = (PAGES / "acme_v1.html").read_text(encoding="utf-8")
    v1_redated = v1.replace("14 February 2025", "15 February 2025")
    assert v1_redated != v1
    pipeline.process(source, capture("acme_v1.html", 0))
    outcome = pipeline.process(
        source, Capture(v1_redated.encode(), T0 + timedelta(hours=1), content_type="text/html")
    )
    assert outcome.status == "changed"
    assert store.change(outcome.change_id or 0)["classification"] == "cosmetic"
    assert len(outbox_rows(store)) == alerts


def test_no_smtp_settings_no_outbox_rows(tmp_path: Path, store: Store, reports: Path) -> None:
    record_change(store, write_config(tmp_path, None), reports)
    assert store.count("changes") == 1 and outbox_rows(store) == []


# ---------------------------------------------------------------- the server misbehaves


def test_server_down_then_back_is_delivered_exactly_once(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config = record_change(store, write_config(tmp_path, smtp_server), reports)
    smtp_server.stop()
    outbox = Outbox(store, config, reports)
    down = outbox.deliver()
    assert (down.sent, down.retrying) == (0, 2)
    assert "cannot use SMTP server 127.0.0.1" in down.errors[0]
    summary = outbox_summary(store)
    assert summary["counts"] == {"pending": 2}
    assert all("refused" in r["last_error"].lower() for r in summary["attention"])

    smtp_server.start()
    assert outbox.deliver().attempted == 0, "the backoff must hold the retry back"
    back = outbox.deliver(now=utcnow() + timedelta(minutes=1))
    assert back.sent == 2
    assert outbox.deliver(now=utcnow() + timedelta(days=1)).attempted == 0
    received = smtp_server.wait_for(3, timeout=0.5)
    assert sorted(m.recipients[0] for m in received) == sorted(RECIPIENTS)
    assert [r["attempts"] for r in outbox_rows(store)] == [2, 2]


def test_refusals_temporary_and_permanent(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config = record_change(store, write_config(tmp_path, smtp_server), reports)
    replies = {
        RECIPIENTS[0]: ["451 4.3.0 try again later", None],
        RECIPIENTS[1]: ["550 no such user"],
    }
    smtp_server.on_data = lambda mail: replies[mail.recipients[0]].pop(0)
    outbox = Outbox(store, config, reports, backoff=Backoff(base=0))
    first = outbox.deliver()
    assert (first.retrying, first.failed, first.sent) == (1, 1, 0)
    states = {r["recipient"]: (r["state"], r["last_error"]) for r in outbox_rows(store)}
    assert states[RECIPIENTS[0]][0] == "pending" and "451" in states[RECIPIENTS[0]][1]
    assert states[RECIPIENTS[1]] == ("failed", "end of DATA: 550 no such user")
    assert outbox.deliver().sent == 1
    assert [m.recipients for m in smtp_server.wait_for(2, 0.3)] == [[RECIPIENTS[0]]]


def test_gives_up_after_the_limit(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config = record_change(store, write_config(tmp_path, smtp_server), reports)
    smtp_server.stop()
    outbox = Outbox(store, config, reports, backoff=Backoff(base=60, give_up_after=timedelta(0)))
    report = outbox.deliver()
    assert report.failed == 2
    assert all(
        r["state"] == "failed" and r["last_error"].startswith("gave up after 1 attempts")
        for r in outbox_rows(store)
    )


def test_lines_starting_with_a_dot_survive(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config = load(write_config(tmp_path, smtp_server))
    text = "first line\n.\n..two dots\n.hidden\nlast\n"
    outbox = Outbox(store, config, reports)
    added = outbox.enqueue_prepared(
        kind="digest",
        dedupe_key="digest:test",
        subject="dots",
        recipients=["dots@example.org"],
        text=text,
        html="<p>.</p>",
    )
    assert added == 1 and outbox.deliver().sent == 1
    body = smtp_server.wait_for(1)[0].parsed().get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == text


# ---------------------------------------------------------------- credentials


def test_password_comes_from_the_environment(
    tmp_path: Path, store: Store, reports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LoopbackSmtp()
    server.credentials = ("alerts", "s3cret-from-env")
    with server:
        block = (
            f"{{host: 127.0.0.1, port: {server.port}, user: alerts, "
            "password_env: WATCHER_TEST_SMTP_PW, sender: alerts@example.org, timeout: 5s}"
        )
        config = record_change(store, write_config(tmp_path, None, smtp_block=block), reports)
        assert "s3cret" not in (tmp_path / "sources.yaml").read_text()
        outbox = Outbox(store, config, reports, backoff=Backoff(base=0))

        monkeypatch.delenv("WATCHER_TEST_SMTP_PW", raising=False)
        unset = outbox.deliver()
        assert unset.sent == 0 and "WATCHER_TEST_SMTP_PW" in unset.errors[0]

        monkeypatch.setenv("WATCHER_TEST_SMTP_PW", "wrong")
        wrong = outbox.deliver()
        assert wrong.sent == 0 and "refused the login: 535" in wrong.errors[0]

        monkeypatch.setenv("WATCHER_TEST_SMTP_PW", "s3cret-from-env")
        assert outbox.deliver().sent == 2
        assert len(server.wait_for(2)) == 2
        assert all("s3cret" not in (r["last_error"] or "") for r in outbox_rows(store))


def test_password_never_goes_out_unencrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    from watcher.config import SmtpSettings

    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "pw")
    settings = SmtpSettings(host="mail.example.org", port=25, security="none", user="me")
    with pytest.raises(NotifyError, match="refusing to send the SMTP password"):
        open_smtp(settings)


def test_starttls_required_but_not_offered(smtp_server: LoopbackSmtp) -> None:
    from watcher.config import SmtpSettings

    settings = SmtpSettings(host="127.0.0.1", port=smtp_server.port, security="starttls")
    with pytest.raises(NotifyError, match="does not offer STARTTLS"):
        open_smtp(settings)


# ---------------------------------------------------------------- the sender dies

DRIVER = """
import os, signal, sys
from pathlib import Path
from watcher.config import load
from watcher.notify import Outbox
from watcher.store import Store

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

where = sys.argv[4]
if where == "after-accept":        # the server said 250; we die before recording it
    Outbox._mark_sent = die
elif where == "before-data":       # claimed, nothing sent yet
    claim = Outbox._claim
    def claim_then_die(self, row, message):
        claim(self, row, message)
        die()
    Outbox._claim = claim_then_die
store = Store.open(sys.argv[1])
Outbox(store, load(sys.argv[2]), Path(sys.argv[3])).deliver(limit=1)
print("survived")
"""


@pytest.mark.parametrize(
    ("where", "state_after_recovery", "received"),
    [
        ("before-data", "sent", 1),
        ("during-data", "uncertain", 1),
        ("after-accept", "uncertain", 1),
    ],
)
def test_killed_sender_never_causes_a_duplicate(
    tmp_path: Path,
    store: Store,
    reports: Path,
    smtp_server: LoopbackSmtp,
    where: str,
    state_after_recovery: str,
    received: int,
) -> None:
    config_path = write_config(tmp_path, smtp_server, notify=RECIPIENTS[:1])
    config = record_change(store, config_path, reports)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    args = [sys.executable, str(script), str(store.data_dir), str(config_path), str(reports), where]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if where == "during-data":

        def kill_sender(mail: ReceivedMail) -> None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

        smtp_server.on_data = kill_sender  # type: ignore[assignment]
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (out, err)
    assert "survived" not in out
    left = outbox_rows(store)[0]["state"]
    assert left == {"before-data": "claimed"}.get(where, "sending")

    smtp_server.on_data = None
    report = Outbox(store, config, reports).deliver()
    row = outbox_rows(store)[0]
    assert row["state"] == state_after_recovery
    assert report.sent == (1 if where == "before-data" else 0)
    messages = smtp_server.wait_for(received + 1, timeout=0.5)
    assert len(messages) == received
    assert messages[0].parsed()["Message-ID"] == row["message_id"]


def test_uncertain_email_shows_in_status_and_can_be_resent(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config_path = write_config(tmp_path, smtp_server, notify=RECIPIENTS[:1])
    record_change(store, config_path, reports)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    args = [str(store.data_dir), str(config_path), str(reports), "after-accept"]
    subprocess.run([sys.executable, str(script), *args], capture_output=True, timeout=60)
    env = {"WATCHER_DATA_DIR": str(store.data_dir), "WATCHER_REPORTS_DIR": str(reports)}

    interrupted = json.loads(run_cli("status", "--json", cwd=tmp_path, env=env).out)["outbox"]
    assert interrupted["counts"] == {"sending": 1}
    assert interrupted["attention"][0]["last_error"].startswith("interrupted")
    assert Outbox(store, load(config_path), reports).deliver().attempted == 0
    status = run_cli("status", "--json", cwd=tmp_path, env=env)
    assert status.code == 0, status.err
    outbox = json.loads(status.out)["outbox"]
    assert outbox["counts"] == {"uncertain": 1}
    assert "probably delivered" in outbox["attention"][0]["last_error"]
    text = run_cli("status", cwd=tmp_path, env=env).out
    assert "outbox: 1 uncertain" in text and f"#1 uncertain to {RECIPIENTS[0]}" in text

    retried = run_cli("outbox", "--retry", "1", cwd=tmp_path, env=env)
    assert retried.code == 0 and "1 email(s) queued again" in retried.err
    assert Outbox(store, load(config_path), reports).deliver().sent == 1
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2 and messages[0].data == messages[1].data, (
        "a manual resend is byte-identical, Message-ID included"
    )
    assert run_cli("outbox", "--retry", "1", cwd=tmp_path, env=env).code == 2


# ---------------------------------------------------------------- incidents


def failed(source_id: str) -> FetchResult:
    return FetchResult(source_id, "https://acme.example/privacy", "failed", None, (), "HTTP 503")


def test_failing_source_alerts_once_per_incident_and_never_as_a_change(
    tmp_path: Path, store: Store, reports: Path, smtp_server: LoopbackSmtp
) -> None:
    config_path = write_config(tmp_path, smtp_server, alerts="{failure_threshold: 3}")
    config = load(config_path)
    pipeline = pipeline_for(store, config_path, reports)
    outbox = Outbox(store, config, reports)
    source = config.source("acme")
    pipeline.process(source, capture("acme_v1.html", 0))

    opened = [outbox.track(pipeline.handle(source, failed("acme"))) for _ in range(5)]
    assert opened[:2] == [None, None] and opened[2] is not None and opened[3:] == [None, None]
    empty = Capture(
        b"<html><body><p>Service unavailable</p></body></html>", T0, content_type="text/html"
    )
    assert (
        outbox.track(pipeline.process(source, empty)) is None
    )  # rejected: still the same incident
    assert outbox.deliver().sent == 2
    subjects = {str(m.parsed()["Subject"]).strip() for m in smtp_server.wait_for(2)}
    assert subjects == {f"[policy watch] {NAME}: last 3 checks failed"}
    incident = store.db.execute("SELECT checks, closed_at FROM incidents").fetchone()
    assert incident == (6, None)

    back = pipeline.process(source, capture("acme_v1.html", 600))
    assert back.status == "unchanged" and outbox.track(back) is None
    assert store.db.execute("SELECT closed_at IS NOT NULL FROM incidents").fetchone()[0] == 1
    assert store.count("changes") == 0, "an outage must never look like a change"
    assert outbox.track(pipeline.process(source, capture("acme_v1.html", 900))) is None
    assert outbox.deliver().sent == 2, "one 'checks succeed again' email per recipient, once"
    recovered = smtp_server.wait_for(4)[2:]
    assert {str(m.parsed()["Subject"]).strip() for m in recovered} == {
        f"[policy watch] {NAME}: checks succeed again"
    }
    body = recovered[0].parsed().get_body(("plain",)).get_content()
    assert "6 checks in a row gave no usable page" in body and "Service unavailable" in body
    assert "nothing changed while it could not be checked" in body

    again = [outbox.track(pipeline.handle(source, failed("acme"))) for _ in range(3)]
    assert again[2] is not None, "a new incident opens"
    outbox.track(pipeline.process(source, capture("acme_v1.html", 1200)))
    assert outbox.deliver().attempted == 0, "but within the cooldown it stays quiet, closing too"
    assert store.db.execute("SELECT alerted FROM incidents ORDER BY id").fetchall() == [(1,), (0,)]


def test_import_does_not_alert_but_check_does(
    tmp_path: Path, smtp_server: LoopbackSmtp, server: LoopbackServer
) -> None:
    write_config(tmp_path, smtp_server, url=server.url("/privacy"))
    archive = tmp_path / "archive"
    archive.mkdir()
    for stamp, name in (("20250101T000000", "acme_v1.html"), ("20250201T000000", "acme_v2.html")):
        (archive / f"acme-{stamp}.html").write_bytes((PAGES / name).read_bytes())
    imported = run_cli("import", "acme", str(archive), "--json", cwd=tmp_path)
    assert imported.code == 0, imported.err
    assert [json.loads(line)["status"] for line in imported.out.splitlines()] == [
        "first",
        "changed",
    ]
    assert smtp_server.wait_for(1, timeout=0.3) == [], "history is not news"

    server.page("/privacy", (PAGES / "acme_v1.html").read_text(encoding="utf-8"))
    checked = run_cli("check", cwd=tmp_path)
    assert checked.code == 0 and "changed" in checked.out, checked.err
    messages = smtp_server.wait_for(2)
    assert sorted(m.recipients[0] for m in messages) == sorted(RECIPIENTS)
    store = Store.open(tmp_path / "snapshots")
    try:
        assert store.count("changes") == 2
        assert [r["change_id"] for r in outbox_rows(store)] == [2, 2]
    finally:
        store.close()
