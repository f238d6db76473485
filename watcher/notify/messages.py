"""What the emails say: alert, incident and digest messages, and their MIME form."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..config import Config, Source
from ..store import Store

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- small helpers


def format_time(stamp: str | None, timezone: str = "UTC") -> str:
    """``2025-03-01T12:00:00+00:00`` → ``2025-03-01 12:00 GMT`` in ``timezone``."""
    if not stamp:
        return "-"
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (no CR/LF can reach a header), at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def new_message_id(sender: str, what: str) -> str:
    """A globally unique Message-ID, fixed when the outbox row is written."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(10)}.{what}@{domain}>"


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    message_id: str,
    text: str,
    html: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A ``multipart/alternative`` email (plain text, then HTML) as SMTP-ready bytes."""
    # Imported here: every check tracks incidents through this package, and only
    # the few that alert need the email package's policies (about 1.5 ms).
    import email.policy
    import email.utils
    from email.message import EmailMessage

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = one_line(subject, 900)
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for key, value in (headers or {}).items():
        msg[key] = one_line(value)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg.as_bytes()


# ---------------------------------------------------------------- email content


def report_link(config: Config, reports_dir: Path, report: Path) -> str:
    """The link to a report: under ``alerts.report_url`` when set, else the local path."""
    base = config.settings.alerts.report_url
    if base:
        try:
            relative = report.resolve().relative_to(reports_dir.resolve()).as_posix()
        except ValueError:
            relative = report.name
        return f"{base.rstrip('/')}/{relative}"
    return str(report.resolve())


def change_content(
    store: Store, config: Config, reports_dir: Path, change_id: int, subject: str
) -> tuple[str, str]:
    """The plain-text and HTML bodies of the alert about a recorded change."""
    from markupsafe import Markup

    from ..diff import diff
    from ..publish import report_meta, report_path
    from ..report import environment, render, render_html_fragment

    change = store.change(change_id)
    source_id = change["source_id"]
    old = store.version(source_id, change["old_version_id"])
    new = store.version(source_id, change["new_version_id"])
    changes = diff(old.outline, new.outline, config.settings.keywords)
    path = Path(
        change["report_path"] or report_path(reports_dir, source_id, change_id, new.captured_at)
    )
    link = report_link(config, reports_dir, path)
    is_url = link.startswith(("http://", "https://"))
    meta = report_meta(store, source_id, old, new, link if is_url else None)
    when = format_time(change["detected_at"], config.settings.timezone)
    text = "\n".join(
        [
            f"Detected:    {when}",
            f"Full report: {link}",
            "",
            render(changes, "text", meta).rstrip(),
            "",
            "-- ",
            f"watcher: you get this because you are on the notify list of '{source_id}'.",
            "",
        ]
    )
    html = (
        environment()
        .get_template("email.html")
        .render(
            subject=subject,
            kicker="Policy change",
            title=meta.source_name,
            headline=changes.headline(),
            classification=changes.classification,
            facts=_facts([("Detected", when), ("Full report", link)]),
            body=Markup(render_html_fragment(changes, meta)),  # from an autoescaped template
            paragraphs=[],
            footer=f"You get this because you are on the notify list of '{source_id}'.",
        )
    )
    return text, html


def _facts(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """(label, value, link) rows for the email header; only http(s) values are links."""
    from ..report import safe_url

    return [(label, value, safe_url(value)) for label, value in pairs]


def incident_content(
    source: Source, recent: Sequence[dict[str, Any]], subject: str, timezone: str
) -> tuple[str, str]:
    """The plain-text and HTML bodies of a failure-incident alert."""
    last = recent[0]
    since = format_time(recent[-1]["started_at"], timezone)
    verb = "were rejected" if last["outcome"] == "rejected" else "failed"
    reason = one_line(last["reason"] or last["error"] or last["outcome"], 300)
    paragraphs = [
        f"The last {len(recent)} checks of {source.name} {verb} (since {since}).",
        f"Latest reason: {reason}",
        "Nothing was recorded from these checks, so no change is reported for them. "
        "watcher keeps checking, and emails you once more when a check succeeds again.",
    ]
    return _source_email(
        source,
        subject,
        paragraphs,
        kicker="Source needs attention",
        headline=f"last {len(recent)} checks {verb}",
        classification="failing",
        facts=[("Page", source.url), ("Since", since)],
    )


_RECOVERED_AS = {
    "unchanged": "The policy reads as it did before: nothing changed while it could not be "
    "checked.",
    "changed": "The policy changed while it could not be checked: the change is recorded, "
    "and its own alert describes it.",
    "first": "This is the first version of the policy that watcher has recorded.",
}


def recovery_content(
    source: Source, incident: dict[str, Any], status: str, subject: str, timezone: str
) -> tuple[str, str]:
    """The plain-text and HTML bodies of the email that closes a failure incident:
    checks succeed again after ``incident`` (its row); ``status`` is the outcome
    of the check that succeeded."""
    since = format_time(incident["opened_at"], timezone)
    until = format_time(incident["closed_at"], timezone)
    paragraphs = [
        f"Checks of {source.name} succeed again ({until}).",
        f"Before that, {incident['checks']} checks in a row gave no usable page, from "
        f"{since}. The last reason: {one_line(incident['reason'] or incident['kind'], 300)}",
        _RECOVERED_AS.get(status, _RECOVERED_AS["unchanged"]),
    ]
    return _source_email(
        source,
        subject,
        paragraphs,
        kicker="Source recovered",
        headline="checks succeed again",
        classification="recovered",
        facts=[("Page", source.url), ("Failing since", since), ("Back", until)],
    )


def _source_email(
    source: Source,
    subject: str,
    paragraphs: Sequence[str],
    *,
    kicker: str,
    headline: str,
    classification: str,
    facts: Sequence[tuple[str, str]],
) -> tuple[str, str]:
    """The plain-text and HTML bodies of an email about a source's checks (not a change)."""
    from ..report import environment

    text = "\n\n".join([subject, f"Page: {source.url}", *paragraphs]) + "\n"
    html = (
        environment()
        .get_template("email.html")
        .render(
            subject=subject,
            kicker=kicker,
            title=source.name,
            headline=headline,
            classification=classification,
            facts=_facts(facts),
            body=None,
            paragraphs=paragraphs,
            footer=f"You get this because you are on the notify list of '{source.id}'.",
        )
    )
    return text, html
