"""SMTP faults, end to end: the mail server is down, refuses a recipient (for now or for
good), refuses a message, is too slow, or drops the connection after the message was
sent. Alerts wait in the outbox and are retried until they are delivered, exactly once;
an email whose fate the sender cannot know is marked uncertain, shown by ``watcher
status`` and never sent again unless someone asks (``watcher outbox --retry``).

Retries happen after a backoff of 30 seconds and more; the tests let that time pass by
moving the outbox's ``next_attempt_at`` into the past, as the clock would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .conftest import RECIPIENTS, ReceivedMail, Soundness, Workspace, inject, policy_html

SOURCES = ("north", "south")


@dataclass
class Changed:
    """A workspace whose sources just changed (version 2 is being served)."""

    ws: Workspace
    pages: dict[str, list[str]]

    def sound(self, **kwargs: bool) -> Soundness:
        return self.ws.sound(self.pages, **kwargs)


@pytest.fixture
def changed(ws: Workspace) -> Iterator[Changed]:
    pages = {
        sid: [policy_html(f"{sid.title()} Shelf", v, rooms=3) for v in (1, 2)] for sid in SOURCES
    }
    for sid in SOURCES:
        ws.server.page(f"/{sid}", pages[sid][0])
    ws.configure({sid: f"/{sid}" for sid in SOURCES})
    ws.check()
    for sid in SOURCES:
        ws.server.page(f"/{sid}", pages[sid][1])
    yield Changed(ws, pages)


def time_passes(ws: Workspace) -> None:
    """Every email waiting for its next try is due now (as after the backoff)."""
    with ws.store() as store, store.transaction() as db:
        db.execute(
            "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00' "
            "WHERE state = 'pending'"
        )


def outbox(ws: Workspace) -> dict[str, str]:
    """Outbox state by recipient and source."""
    return {
        f"{row['source_id']}:{row['recipient']}": row["state"]
        for row in ws.query("SELECT * FROM outbox ORDER BY id")
    }


def status_outbox(ws: Workspace) -> dict[str, object]:
    run = ws.run("status", "--json")
    assert run.code == 0, str(run)
    result: dict[str, object] = json.loads(run.out)["outbox"]
    return result


def everything_sent_once(changed: Changed) -> None:
    sound = changed.sound()
    assert sound.states() == {"sent": len(SOURCES) * len(RECIPIENTS)}
    assert sorted(sound.received.values()) == [1] * len(SOURCES) * len(RECIPIENTS)


def test_server_down_then_back(changed: Changed) -> None:
    ws = changed.ws
    ws.smtp.stop()
    inject("smtp:server-down")
    run = ws.run("check")
    assert run.code == 0, str(run)
    assert "alerts: 4 not sent yet ('watcher run' retries)" in run.err, run.err
    assert "refused" in run.err and "--retry" not in run.err, run.err
    assert set(outbox(ws).values()) == {"pending"}
    time_passes(ws)
    assert ws.run("check").code == 0, "still down: still waiting"
    assert set(outbox(ws).values()) == {"pending"}
    changed.sound(settled=False)
    ws.smtp.start()
    time_passes(ws)
    ws.check()
    everything_sent_once(changed)
    time_passes(ws)
    ws.check()
    everything_sent_once(changed)


def test_recipient_refused_for_now(changed: Changed) -> None:
    ws = changed.ws
    refused = RECIPIENTS[1]
    ws.smtp.on_rcpt = lambda address: "450 4.2.1 mailbox busy" if address == refused else None
    inject("smtp:recipient-refused-4xx")
    ws.check()
    states = outbox(ws)
    assert {k: v for k, v in states.items() if v == "pending"} == {
        f"{sid}:{refused}": "pending" for sid in SOURCES
    }
    changed.sound(settled=False)
    ws.smtp.on_rcpt = None
    time_passes(ws)
    ws.check()
    everything_sent_once(changed)


def test_recipient_refused_for_good(changed: Changed) -> None:
    ws = changed.ws
    refused = RECIPIENTS[0]
    ws.smtp.on_rcpt = lambda address: "550 5.1.1 no such user" if address == refused else None
    inject("smtp:recipient-refused-5xx")
    first = ws.run("check")
    assert first.code == 0, str(first)
    # Refused for good: only a person can send these again, 'watcher run' will not.
    assert (
        f"{len(SOURCES)} refused by the server (queue again with 'watcher outbox --retry ID')"
        in first.err
    )
    assert "not sent yet" not in first.err and "550" in first.err, first.err
    time_passes(ws)
    ws.check()
    sound = changed.sound(allow_failed=True)
    assert sound.states() == {"failed": len(SOURCES), "sent": len(SOURCES)}
    assert all(
        row["state"] == ("failed" if row["recipient"] == refused else "sent")
        for row in sound.outbox
    )
    assert "550" in str(status_outbox(ws)["attention"])


def test_message_refused_for_now(changed: Changed) -> None:
    ws = changed.ws
    ws.smtp.on_message = lambda mail: "451 4.3.0 try again later"
    inject("smtp:message-refused-4xx")
    ws.check()
    assert set(outbox(ws).values()) == {"pending"}
    assert changed.sound(settled=False).received == {}
    ws.smtp.on_message = None
    time_passes(ws)
    ws.check()
    everything_sent_once(changed)


@pytest.mark.parametrize("kept", [True, False], ids=["message-kept", "message-lost"])
def test_connection_dropped_after_data(changed: Changed, kept: bool) -> None:
    ws = changed.ws
    action = "drop-kept" if kept else "drop-lost"
    dropped: list[str] = []

    def drop_the_first(mail: ReceivedMail) -> str | None:
        if dropped or mail.recipients != [RECIPIENTS[0]]:
            return None
        dropped.append(str(mail.parsed()["Message-ID"]).strip())
        return action

    ws.smtp.on_message = drop_the_first
    inject(f"smtp:dropped-after-data-{action}")
    ws.check()
    ws.smtp.on_message = None
    states = {r["message_id"]: r["state"] for r in ws.query("SELECT * FROM outbox")}
    assert states.pop(dropped[0]) == "uncertain", "the email whose connection dropped"
    assert set(states.values()) == {"sent"}, "the others went out on a new connection"
    time_passes(ws)
    ws.check()
    sound = changed.sound()
    assert sound.states() == {"sent": 3, "uncertain": 1}, "never sent again by itself"
    row = next(r for r in sound.outbox if r["state"] == "uncertain")
    assert sound.received[row["message_id"]] == (1 if kept else 0)
    attention = status_outbox(ws)["attention"]
    assert [r["id"] for r in attention] == [row["id"]], attention  # type: ignore[index]
    if not kept:
        retry = ws.run("outbox", "--retry", str(row["id"]))
        assert retry.code == 0, str(retry)
        ws.check()  # the next delivery run sends it
        everything_sent_once(changed)
        assert ws.smtp.dropped[0].data == ws.smtp.messages[-1].data, "the same bytes again"


def test_server_too_slow_to_confirm(changed: Changed) -> None:
    """The server takes longer than the timeout to confirm a message it kept."""
    ws = changed.ws
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(text.replace("timeout: 5s", "timeout: 0.5s"), encoding="utf-8")
    ws.smtp.delay = 1.0
    inject("smtp:too-slow-to-confirm")
    run = ws.run("check")
    assert run.code == 0, str(run)
    ws.smtp.delay = 0.0
    time_passes(ws)
    ws.check()
    sound = changed.sound()
    assert sound.states() == {"uncertain": len(SOURCES) * len(RECIPIENTS)}
    assert all(n == 1 for n in sound.received.values())
