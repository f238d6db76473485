"""Hostile content, end to end: a policy page whose text holds HTML and JavaScript, CSS,
``javascript:`` links, bidirectional-override and zero-width characters, and template
syntax, tracked by a source whose name is hostile too. The change goes through the
real chain (fetch, normalise, store, diff) into every output watcher makes: the HTML
report, ``watcher diff`` in each format, the digest page and its email, the change
alert email and the Atom feeds. In each, the payload is inert (no script, no event
handler, no unsafe link or style, nothing evaluated, no invisible control character)
and what a reader of the page saw is visible as plain text.
"""

from __future__ import annotations

import email.message
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from .conftest import FaultySmtp, RestartableServer, Workspace, inject, policy_html

# Template expressions evaluate to letters that no id, hash or timestamp can contain.
NAME = 'Yard <script>alert("name")</script> {{ "zq" ~ "xj" }} & "Co"'
INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff"


@dataclass(frozen=True)
class Payload:
    """Hostile text: ``markup`` as it is in the page, ``visible`` what a reader of the page
    sees of it (and must see in every output that shows the change), ``never`` what must
    appear in no output (what a script would print, what a template would compute)."""

    name: str
    markup: str
    visible: tuple[str, ...]
    never: tuple[str, ...] = ()


PAYLOADS = [
    Payload(
        "html-and-javascript",
        "Write to us &lt;script&gt;alert('policy')&lt;/script&gt; or "
        "&lt;img src=x onerror=alert(2)&gt; <script>alert('run')</script>"
        '<b onmouseover="alert(3)">today</b>.',
        ("<script>alert('policy')</script>", "<img src=x onerror=alert(2)>"),
        ("alert('run')", "alert(3)"),
    ),
    Payload(
        "css",
        "Styles like &lt;style&gt;body{display:none}&lt;/style&gt; and "
        "&lt;/style&gt;&lt;script&gt;x()&lt;/script&gt; are only words here. "
        '<span style="background:url(javascript:alert(4))">Plain</span> text.',
        ("<style>body{display:none}</style>", "</style><script>x()</script>"),
        ("alert(4)",),
    ),
    Payload(
        "javascript-links",
        '<a href="javascript:alert(5)">Opt out here</a>, not at '
        "javascript:alert(document.cookie) nor [there](javascript:alert(6)).",
        ("Opt out here", "javascript:alert(document.cookie)", "[there](javascript:alert(6))"),
        ("alert(5)",),
    ),
    Payload(
        "bidi-and-zero-width",
        "Fees: pay\u202eeulav\u202c only via\u200b the\u2066 desk\u2069 and\u200d never"
        "\ufeff twice.",
        ("Fees: payeulav only via the desk and never twice.",),
    ),
    Payload(
        "template-syntax",
        'Totals: {{ "zq" ~ "xj" }}, {% for x in range(3) %}loop{% endfor %}, ${7*191}, '
        "#{7*191} and {{ config.items() }}.",
        ('{{ "zq" ~ "xj" }}', "{% for x in range(3) %}loop{% endfor %}", "${7*191}", "#{7*191}"),
        ("zqxj", "looploop"),
    ),
]
SOURCE_NAME = Payload("source-name", "", (NAME,), ("zqxj",))


def pages() -> tuple[str, str]:
    """Version 1, then version 2 with a new section holding every payload (its title
    is hostile too) and a payload added to an existing paragraph."""
    extra = [(f"Notices &lt;b&gt;{p.name}&lt;/b&gt;", [p.markup]) for p in PAYLOADS]
    old = policy_html("Hostile Yard", 1, rooms=2)
    new = policy_html("Hostile Yard", 2, rooms=2, extra_sections=extra)
    return old, new


@dataclass
class Outputs:
    """Every output of the change, by name: HTML, Markdown, text, JSON or a feed."""

    html: dict[str, str]
    text: dict[str, str]
    markdown: str
    json: str
    feeds: dict[str, str]
    subject: str


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outputs]:
    with RestartableServer() as server, FaultySmtp() as smtp:
        ws = Workspace(tmp_path_factory.mktemp("hostile"), server, smtp)
        old, new = pages()
        ws.configure(
            {"yard": "/yard"},
            names={"yard": NAME},
            alerts="{report_url: 'https://reports.example.org/watch'}",
            digest="{recipients: [digest@example.org]}",
        )
        server.page("/yard", old)
        ws.check()
        server.page("/yard", new)
        inject("content:hostile-policy", len(PAYLOADS) + 1)
        assert ws.check()["yard"]["status"] == "changed"
        alert = smtp.wait_for(2)[0].parsed()
        digest_run = ws.run("digest", "--send")
        assert digest_run.code == 0, str(digest_run)
        digest_mail = smtp.wait_for(3)[2].parsed()
        diffs = {
            fmt: ws.run("diff", "yard", "--format", fmt)
            for fmt in ("html", "markdown", "text", "json")
        }
        assert all(run.code == 0 for run in diffs.values()), diffs
        report = next((ws.reports_dir / "yard").glob("*-change-1.html"))
        digest_page = next(ws.reports_dir.glob("digest-*.html"))
        alert_text, alert_html = parts(alert)
        digest_text, digest_html = parts(digest_mail)
        ws.sound({"yard": [old, new]})
        yield Outputs(
            html={
                "report": report.read_text(encoding="utf-8"),
                "diff-html": diffs["html"].out,
                "digest-page": digest_page.read_text(encoding="utf-8"),
                "digest-email": digest_html,
                "alert-email": alert_html,
            },
            text={
                "diff-text": diffs["text"].out,
                "alert-email-text": alert_text,
                "digest-email-text": digest_text,
            },
            markdown=diffs["markdown"].out,
            json=diffs["json"].out,
            feeds={
                "feed-all": (ws.reports_dir / "feed.xml").read_text(encoding="utf-8"),
                "feed-source": (ws.reports_dir / "yard" / "feed.xml").read_text(encoding="utf-8"),
            },
            subject=str(alert["Subject"]),
        )


SAFE_SCHEMES = ("", "http", "https", "mailto")


def inert_html(page: str) -> str:
    """Assert that an HTML output runs nothing and links nowhere unsafe; its visible text."""
    assert "<script" not in page.lower(), "a script element"
    tree = lxml_html.document_fromstring(page)
    assert not tree.xpath("//script | //iframe | //object | //embed | //form | //base | //img")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for attr, value in element.attrib.items():
            assert not attr.lower().startswith("on"), f"event handler {attr}={value!r}"
            if attr.lower() in ("href", "src", "action"):
                assert urlsplit(value.strip()).scheme.lower() in SAFE_SCHEMES, value
            if attr.lower() == "style":
                assert not re.search(r"javascript:|expression\(|url\(", value, re.I), value
    for style in tree.xpath("//style"):  # the digest's own (dark mode, phone widths)
        assert "body{display:none}" not in (style.text or "").replace(" ", "")
    text: str = tree.text_content()
    return text


def no_trace(output: str, payload: Payload) -> None:
    """Nothing evaluated or run, no invisible control character."""
    for never in payload.never:
        assert never not in output, f"{never!r} in the output"
    hidden = sorted({f"U+{ord(c):04X}" for c in output if c in INVISIBLE})
    assert not hidden, f"invisible characters in the output: {hidden}"


ALL = [*PAYLOADS, SOURCE_NAME]


@pytest.mark.parametrize(
    "kind", ["report", "diff-html", "digest-page", "digest-email", "alert-email"]
)
@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_html_outputs(outputs: Outputs, payload: Payload, kind: str) -> None:
    text = inert_html(outputs.html[kind])
    for visible in payload.visible:
        assert visible in text, f"{visible!r} is not shown as text"
    no_trace(text, payload)
    words = tuple(n for n in payload.never if not n.isdigit())  # the page has numbers of its own
    no_trace(outputs.html[kind], Payload(payload.name, "", (), words))


@pytest.mark.parametrize("kind", ["diff-text", "alert-email-text", "digest-email-text"])
@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_text_outputs(outputs: Outputs, payload: Payload, kind: str) -> None:
    text = outputs.text[kind]
    if (
        kind != "digest-email-text" or payload is SOURCE_NAME
    ):  # the digest's text part lists headlines
        for visible in payload.visible:
            assert visible in text, f"{visible!r} is not in the text"
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), "a control character"
    no_trace(text, payload)


@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_markdown_output(outputs: Outputs, payload: Payload) -> None:
    markdown = outputs.markdown
    raw = re.search(r"(?<!\\)<(?!/?(ins|del)>|https?://)", markdown)
    assert not raw, "raw HTML other than <ins>/<del> (or a <http...> link target)"
    assert not re.search(r"(?<!\\)\]\(\s*javascript:", markdown), "a javascript: link"
    read = html.unescape(re.sub(r"\\(.)", r"\1", markdown))
    for visible in payload.visible:
        assert visible in read, f"{visible!r} is not in the Markdown"
    no_trace(read, payload)


@pytest.mark.parametrize("payload", ALL, ids=[p.name for p in ALL])
def test_json_output(outputs: Outputs, payload: Payload) -> None:
    data = json.loads(outputs.json)
    inserted = "".join(
        h["text"] for s in data["sections"] for h in s["hunks"] if h["op"] == "insert"
    )
    shown = inserted if payload is not SOURCE_NAME else data["source"]["name"]
    for visible in payload.visible:
        assert visible in shown, f"{visible!r} is not in the JSON"
    no_trace(outputs.json, payload)


@pytest.mark.parametrize("kind", ["feed-all", "feed-source"])
def test_feeds(outputs: Outputs, kind: str) -> None:
    feed = outputs.feeds[kind]
    root = ET.fromstring(feed)
    atom = "{http://www.w3.org/2005/Atom}"
    for link in root.iter(f"{atom}link"):
        assert urlsplit(link.attrib["href"]).scheme in SAFE_SCHEMES
    entries = list(root.iter(f"{atom}entry"))
    assert len(entries) == 1
    title = entries[0].findtext(f"{atom}title") or ""
    assert title.startswith(NAME + ": "), "the name is shown as text"
    content = entries[0].find(f"{atom}content")
    assert content is not None and content.attrib["type"] == "html"
    inert_html(f"<html><body>{content.text}</body></html>")
    for payload in ALL:
        no_trace(feed, payload)


def test_alert_subject(outputs: Outputs) -> None:
    assert outputs.subject.startswith(f"[policy change] {NAME}: ")
    assert "\n" not in outputs.subject and "\r" not in outputs.subject
