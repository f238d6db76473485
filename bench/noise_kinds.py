"""Noise kinds on a synthetic policy page: does ``watcher import`` record a change?

Usage: ``python bench/noise_kinds.py [KIND ...]`` (run by hand; not a test)

For each kind of noise below, two captures of a synthetic policy page are written: a
title, a date line and six numbered sections of a paragraph and a list, inside a site
frame (header, ``<main>``, footer) or bare (the policy is the whole ``<body>``). The
second capture differs from the first only by that noise. Both are imported in turn
into a fresh data directory with ``watcher import``; any status of the second but
``unchanged`` is counted as a false alarm. The kinds are general ways pages change
between two fetches of the same policy, not any site's. Some are known gaps, printed as
such (see the README's "How well it filters noise").

Prints each kind and the status of its second capture, then the count of false
alarms. The exit status is 0 when only known gaps alarm, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, use_bytecode_cache, watcher

TOPICS = (
    "Information We Collect",
    "How We Use Information",
    "Sharing",
    "Retention",
    "Your Rights",
    "Contact Us",
)
SECTIONS = "".join(
    f"<h2>{i}. {topic}</h2><p>{topic}: how Example Co handles personal data for this "
    f"purpose, the categories of data, the legal basis, and how long we keep it "
    f"(section {i}).</p><ul><li>First point about {topic.lower()}.</li>"
    f"<li>Second point about {topic.lower()}.</li></ul>"
    for i, topic in enumerate(TOPICS, 1)
)
HEAD = "<h1>Privacy Policy</h1><p>Last updated: March 3, 2025</p>"
CRUMBS = "<nav aria-label='breadcrumb'><a href='/'>Home</a> › <a href='/{}'>{}</a></nav>"


def page(inside: str = "", after: str = "", bare: bool = False) -> str:
    """The synthetic policy page, with ``inside`` at the end of the document and
    ``after`` at the end of ``<body>``."""
    if bare:
        return f"<html><body>{HEAD}{SECTIONS}{inside}{after}</body></html>"
    return (
        "<html><head><title>Privacy Policy</title></head><body><header><nav>"
        "<a href='/'>Home</a> <a href='/products'>Products</a> <a href='/blog'>Blog</a>"
        f"</nav></header><main><article>{HEAD}{SECTIONS}{inside}</article></main>"
        f"<footer><p>© 2025 Example Co.</p><a href='/terms'>Terms</a></footer>{after}"
        "</body></html>"
    )


def cf_email(address: str, key: int) -> str:
    """An address as a CDN's e-mail obfuscation encodes it (a new key each response)."""
    return "".join(f"{b:02x}" for b in [key, *(ord(c) ^ key for c in address)])


def protected(key: int) -> str:
    code = cf_email("privacy@example.com", key)
    return (
        f"<p>Write to <a href='/cdn-cgi/l/email-protection#{code}'><span class='__cf_email__'"
        f" data-cfemail='{code}'>[email&#160;protected]</span></a>.</p>"
    )


def langs(*names: str, marked: bool = False) -> str:
    attr = " hreflang='x'" if marked else ""
    return " | ".join(f"<a href='/{n[:2].lower()}/'{attr}>{n}</a>" for n in names)


# name: (first page, second page)
KINDS: dict[str, tuple[str, str]] = {
    "relative time": (
        page("<p>Updated 3 days ago</p>"),
        page("<p>Updated 4 days ago</p>"),
    ),
    "time to the second": (
        page("<p>Last checked at 10:21:07</p>"),
        page("<p>Last checked at 08:02:59</p>"),
    ),
    "generation time, bare page": (
        page(after="<p>Page generated in 0.123 seconds</p>", bare=True),
        page(after="<p>Page generated in 0.087 seconds</p>", bare=True),
    ),
    "date of the day, bare page": (
        page(after="<p>Printed on 1 January 2025</p>", bare=True),
        page(after="<p>Printed on 2 January 2025</p>", bare=True),
    ),
    "copyright year, bare page": (
        page(after="<p>© 2025 Example Co. All rights reserved.</p>", bare=True),
        page(after="<p>© 2026 Example Co. All rights reserved.</p>", bare=True),
    ),
    "view counter": (page("<p>Views: 10,234</p>"), page("<p>Views: 10,981</p>")),
    "readers online": (
        page("<aside><p>1,204 people are reading this</p></aside>"),
        page("<aside><p>1,377 people are reading this</p></aside>"),
    ),
    "helpful votes after the question": (
        page("<p>Was this helpful? 52 of 60 found this helpful</p>"),
        page("<p>Was this helpful? 53 of 61 found this helpful</p>"),
    ),
    "no-break space": (
        page("<p>We may contact you by email.</p>"),
        page("<p>We may contact you by&nbsp;email.</p>"),
    ),
    "soft hyphen": (
        page("<p>We may contact you by email.</p>"),
        page("<p>We may con&shy;tact you by email.</p>"),
    ),
    "decomposed accents": (
        page("<p>Café résumé policy.</p>"),
        page("<p>Cafe\u0301 re\u0301sume\u0301 policy.</p>"),
    ),
    "words split by spans": (
        page("<p>We value privacy.</p>"),
        page("<p>We <span>value</span> pri<span>vacy</span>.</p>"),
    ),
    "<br> to paragraphs": (
        page("<p>Line one.<br>Line two.</p>"),
        page("<p>Line one.</p><p>Line two.</p>"),
    ),
    "hidden attribute": (
        page("<div hidden><p>Variant A of a hidden block.</p></div>"),
        page("<div hidden><p>Variant B of a hidden block, longer.</p></div>"),
    ),
    "display: none": (
        page("<div style='display:none'><p>Variant one</p></div>"),
        page("<div style='display: none'><p>Variant two</p></div>"),
    ),
    "<noscript>": (
        page("<noscript><p>Please enable JavaScript (1)</p></noscript>"),
        page("<noscript><p>Please enable JavaScript (2)</p></noscript>"),
    ),
    "<template>": (
        page("<template><p>Template one</p></template>"),
        page("<template><p>Template two</p></template>"),
    ),
    "page title": (
        page().replace("<title>Privacy Policy</title>", "<title>Privacy | Example</title>"),
        page().replace("<title>Privacy Policy</title>", "<title>Privacy – Example</title>"),
    ),
    "obfuscated e-mail": (page(protected(0x1A)), page(protected(0x9F))),
    "chat widget, bare page": (
        page(bare=True),
        page(
            after="<div id='intercom-container'><div class='intercom-launcher'>"
            "<span>Chat with us</span></div></div>",
            bare=True,
        ),
    ),
    "consent banner, bare page": (
        page(bare=True),
        page(
            after="<div id='onetrust-banner-sdk'><p>We use cookies to improve your "
            "experience.</p><button>Accept all</button><button>Reject all</button></div>",
            bare=True,
        ),
    ),
    "announcement bar": (
        page(),
        page(after="<div class='announcement-bar'><p>New: our assistant is here.</p></div>"),
    ),
    "version selector": (
        page("<select><option>March 2025</option><option>Jan 2024</option></select>"),
        page(
            "<select><option>May 2025</option><option>March 2025</option>"
            "<option>Jan 2024</option></select>"
        ),
    ),
    "language names in the document": (
        page(f"<ul class='language-switcher'><li>{langs('Français', 'Deutsch')}</li></ul>"),
        page(
            f"<ul class='language-switcher'><li>{langs('Français', 'Deutsch', 'Español')}</li></ul>"
        ),
    ),
    "marked languages in the document": (
        page(f"<div>{langs('Français', 'Deutsch', marked=True)}</div>"),
        page(f"<div>{langs('Français', 'Deutsch', 'Español', marked=True)}</div>"),
    ),
    "language names, bare page": (
        page(after=f"<p>{langs('Français', 'Deutsch')}</p>", bare=True),
        page(after=f"<p>{langs('Français', 'Deutsch', 'Italiano')}</p>", bare=True),
    ),
    "footnote back-link": (
        page(
            "<p>We keep logs.<sup><a href='#fn1' id='r1'>1</a></sup></p>"
            "<ol class='footnotes'><li id='fn1'>For 30 days.</li></ol>"
        ),
        page(
            "<p>We keep logs.<sup><a href='#fn1' id='r1'>1</a></sup></p>"
            "<ol class='footnotes'><li id='fn1'>For 30 days. <a href='#r1'>↩︎</a></li></ol>"
        ),
    ),
    "loading placeholder": (page("<div class='spinner'>Loading…</div>"), page()),
    "image alt text": (
        page("<p><img src='/a.png' alt=''> Our logo.</p>"),
        page("<p><img src='/a.png?v=2' alt='Example logo'> Our logo.</p>"),
    ),
    "print and download links": (
        page("<p><a href='/p.pdf?v=1'>Download PDF</a> <a href='javascript:print()'>Print</a></p>"),
        page("<p><a href='/p.pdf?v=2'>Download PDF</a></p>"),
    ),
    "breadcrumb": (
        page().replace("<article>", f"<article>{CRUMBS.format('legal', 'Legal')}"),
        page().replace("<article>", f"<article>{CRUMBS.format('legal-center', 'Legal Center')}"),
    ),
    # Known gaps.
    "text hidden from screen readers": (
        page("<div aria-hidden='true'><p>Tooltip one</p></div>"),
        page("<div aria-hidden='true'><p>Tooltip two</p></div>"),
    ),
    "region links in the document": (
        page("<p>Region: <a href='/us'>United States</a> | <a href='/eu'>Europe</a></p>"),
        page(
            "<p>Region: <a href='/us'>United States</a> | <a href='/eu'>Europe</a> | "
            "<a href='/apac'>Asia Pacific</a></p>"
        ),
    ),
    "rotating tip in the article": (
        page("<aside class='tip'><p>Tip: you can change your settings any time.</p></aside>"),
        page("<aside class='tip'><p>Tip: download your data from the dashboard.</p></aside>"),
    ),
}
KNOWN_GAPS = frozenset(
    (
        "text hidden from screen readers",
        "region links in the document",
        "rotating tip in the article",
    )
)


def second_status(kind: str, first: str, second: str, work: Path) -> str:
    """The status ``watcher import`` gives the second capture of ``kind``."""
    folder = work / re.sub(r"\W+", "-", kind).strip("-")
    folder.mkdir()
    (folder / "20250101T000000.html").write_text(first, encoding="utf-8")
    (folder / "20250102T000000.html").write_text(second, encoding="utf-8")
    data = folder.with_name(folder.name + ".data")
    args = watcher("--data-dir", str(data), "import", "kinds", str(folder), "--json")
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=work)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode not in (0, 1) or len(lines) != 2:
        return f"error: {done.stderr.strip()[-200:]}"
    return str(lines[1]["status"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kinds", nargs="*", help="only these kinds")
    args = parser.parse_args()
    use_bytecode_cache()
    print(f"machine: {machine()}; {len(KINDS)} kinds of noise, {len(KNOWN_GAPS)} known gaps")
    alarms = unexpected = 0
    with tempfile.TemporaryDirectory(prefix="watcher-noise-kinds-") as tmp:
        for kind, (first, second) in KINDS.items():
            if args.kinds and kind not in args.kinds:
                continue
            status = second_status(kind, first, second, Path(tmp))
            gap = kind in KNOWN_GAPS
            if status != "unchanged":
                alarms += 1
                unexpected += not gap
            note = " (known gap)" if gap else ""
            print(f"{kind:40} {status}{note}")
    print(f"false alarms: {alarms} ({unexpected} outside the known gaps)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
