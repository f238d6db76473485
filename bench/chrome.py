"""Page chrome changed on purpose, policy untouched: does the text watcher reads change?

Usage: ``python bench/chrome.py [CORPUS] [--details]`` (run by hand; not a test)

For the first capture of every document of the corpus (a ``.tar.xz`` or an unpacked
folder; default ``../shared/corpus/genai-eu.tar.xz``), each change below is made to a
copy of the page (parsed with lxml, changed, written back), and that copy and an
unchanged copy written back the same way are normalised in this process with the
default rules. The changes are what sites do to their chrome between two fetches of
the same policy: a change of the text watcher reads is a false alarm in waiting. A few
are also made at the end of a bare copy of each page that has a main block (its
headings, paragraphs, lists and tables as the ``<body>``'s children, as a simple page
holds its policy, with no footer to end it), where sites append what they float over
every page.

Prints, per change, the pages it applies to and those whose text changed; with
``--details``, the first lines that changed. The exit status is 0 when no text
changed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_CORPUS, documents, machine, unpack

from watcher.errors import WatcherError
from watcher.normalise import Rules, canonical, detect_encoding, parse_html

Change = Callable[[etree._Element], bool]

LANDMARKS = (
    "//nav|//header|//footer|//*[@role='navigation' or @role='banner' or @role='contentinfo']"
)
MAIN = "//main|//article|//*[@role='main']"
BODY = "/html/body"
ONE_TITLE = "//h1[count(//h1) = 1]"
CHOICES = (
    '<button type="button">Accept all cookies</button><button type="button">Reject all</button>'
)
BANNER = (
    '<div id="{id}" role="dialog" aria-label="Cookie consent"><p>We use cookies and similar '
    "technologies to improve your experience, measure our audience and show you relevant "
    f'ads.</p>{CHOICES}<a href="/cookie-settings">Manage preferences</a></div>'
)
HASHED_BANNER = (
    '<div class="x8f2"><div class="x8f3"><p>We use cookies to give you the best experience, '
    'to analyse traffic and for advertising. <a href="/cookies">Cookie policy</a></p></div>'
    f'<div class="x8f4">{CHOICES}<button type="button">Customise</button></div></div>'
)
OFFER = '<p>Black Friday: 30% off all plans until Sunday. <a href="/pricing">See offers</a></p>'
RELATED = (
    '<aside class="related"><h2>Related articles</h2><ul>'
    '<li><a href="/help/a">How to delete your account</a></li>'
    '<li><a href="/help/b">Download your data</a></li>'
    '<li><a href="/help/c">Change your email address</a></li></ul></aside>'
)
SHARES = (
    '<div class="q1w2"><a href="https://twitter.com/intent/tweet?url=x">Share on X</a>'
    '<a href="https://www.facebook.com/sharer/sharer.php?u=x">Facebook</a>'
    '<a href="https://www.linkedin.com/sharing/share-offsite/?url=x">LinkedIn</a>'
    '<a href="mailto:?subject=x">Email</a></div>'
)
HELPFUL = (
    '<div class="r5t6"><p>Was this page helpful?</p><button type="button">Yes</button>'
    '<button type="button">No</button></div>'
)
ROLE_VOTE = (
    '<fieldset class="v7"><legend><h2><span>Was this helpful?</span></h2></legend>'
    '<div role="button" tabindex="0" aria-label="Yes"><span>Yes</span></div>'
    '<div role="button" tabindex="0" aria-label="No"><span>No</span></div></fieldset>'
)
SHARE_POST = (
    '<div class="h7"><div class="h8"><h4>Share this article</h4></div><div class="h9"><button '
    'type="button" data-text="Policy">Post</button></div></div>'
)
NEXT_CARD = (
    '<div class="n3"><div><h4>Next article</h4><h3>How we keep accounts safe</h3></div>'
    '<a href="/guidelines/accounts"><span>Read next</span></a></div>'
)
SIGNUP = (
    '<form action="/subscribe" method="post"><p>Get the latest news from us every month.</p>'
    '<input type="email" name="email" placeholder="Your email"><button type="submit">'
    "Subscribe</button></form>"
)
CHAT = (
    '<div id="chat-widget-container"><div class="chat-bubble"><p>Hi there! Questions about '
    'our product? We are happy to help.</p><button type="button">Chat with us</button></div>'
    "</div>"
)
LANGUAGES = (
    '<p class="m7n8"><a href="/fr/">Français</a> | <a href="/de/">Deutsch</a> | '
    '<a href="/it/">Italiano</a></p>'
)
FOLDED_TOC = (
    '<div class="m2"><button type="button" aria-controls="toc-m2" aria-expanded="false">'
    'On this page</button><div id="toc-m2" class="hidden lg:block"><nav><ul>'
    '<li><a href="#overview">Overview</a></li><li><a href="#your-rights">Your rights</a></li>'
    '<li><a href="#contact">Contact</a></li></ul></nav></div></div>'
)
SIDE_TOC = (
    '<div class="s4"><div><a href="#overview">Overview</a></div>'
    '<div><a href="#your-rights">Your rights</a></div><div><a href="#contact">Contact</a></div>'
    "</div>"
)
FEEDBACK = '<div class="feedback-tab"><a href="/feedback">Feedback</a></div>'
CONSENT_LINK = '<a href="#" class="p3q4">Consent preferences</a>'
TOP_BUTTON = '<a href="#" class="p5q6">\u2191</a>'
_BLOCK_TEST = " or ".join(
    f"self::{tag}" for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "table")
)
_BLOCKS = f".//*[{_BLOCK_TEST}]"
_YEAR = re.compile(r"20[12]\d")


def fragment(html: str) -> etree._Element:
    """One element parsed from ``html``."""
    return lxml.html.fragment_fromstring(html)


def added(html: str, anchor: str, where: str) -> Change:
    """A change that adds ``html`` at the first element the XPath ``anchor`` finds:
    as its first child (``where="first"``), its last child (``"last"``) or right after
    it (``"after"``). It does not apply to a page where ``anchor`` finds nothing."""

    def change(root: etree._Element) -> bool:
        found = root.xpath(anchor)
        if not found:
            return False
        new = fragment(html)
        if where == "first":
            found[0].insert(0, new)
        elif where == "last":
            found[0].append(new)
        else:
            found[0].addnext(new)
        return True

    return change


def rename_landmark_links(root: etree._Element) -> bool:
    """Every link label in the site's header, navigation and footer gets a word more."""
    renamed = 0
    for landmark in root.xpath(LANDMARKS):
        for link in landmark.iter("a"):
            if link.text and link.text.strip():
                link.text = link.text.strip() + " Plus"
                renamed += 1
    return renamed > 0


def banners(root: etree._Element) -> bool:
    """A labelled consent banner at the start of the page and another at its end."""
    first = added(BANNER.format(id="consent-a"), BODY, "first")
    return first(root) and added(BANNER.format(id="consent-b"), BODY, "last")(root)


def next_year_in_footer(root: etree._Element) -> bool:
    """The footer's years move on ("© 2025" becomes "© 2031")."""
    moved = 0
    for footer in root.xpath("//footer|//*[@role='contentinfo']"):
        for element in footer.iter(etree.Element):
            for name in ("text", "tail"):
                value = getattr(element, name)
                if value and _YEAR.search(value):
                    setattr(element, name, _YEAR.sub("2031", value))
                    moved += 1
    return moved > 0


def reverse_attributes(root: etree._Element) -> bool:
    """Every element's attributes in the reverse order."""
    for element in root.iter(etree.Element):
        items = list(element.attrib.items())
        if len(items) > 1:
            element.attrib.clear()
            for name, value in reversed(items):
                element.set(name, value)
    return True


def heading_permalinks(root: etree._Element) -> bool:
    """Every heading below the title gets a link to itself that shows a pilcrow, as
    documentation builders add them (shown on hover)."""
    headings = root.xpath("//h2|//h3|//h4")
    for n, heading in enumerate(headings):
        heading.append(fragment(f'<a class="headerlink" href="#h{n}">\u00b6</a>'))
    return bool(headings)


def back_to_top_links(root: etree._Element) -> bool:
    """A "Back to top" link at the end of every section: before each ``<h2>`` but the
    first."""
    headings = root.xpath("//h2")[1:]
    for heading in headings:
        heading.addprevious(fragment('<p class="t9"><a href="#top">Back to top</a></p>'))
    return bool(headings)


def expand_all_link(root: etree._Element) -> bool:
    """An "Expand all" control, a link that says it is a button, above the first
    ``<h2>``, as pages with folded sections have."""
    headings = root.xpath("//h2")
    if headings:
        control = '<p class="x4"><a href="#" role="button">Expand all</a></p>'
        headings[0].addprevious(fragment(control))
    return bool(headings)


CHANGES: dict[str, Change] = {
    "menu labels renamed": rename_landmark_links,
    "consent banners added": banners,
    "unlabelled consent banner": added(HASHED_BANNER, BODY, "last"),
    "footer year": next_year_in_footer,
    "attributes reordered": reverse_attributes,
    "related articles after <main>": added(RELATED, MAIN, "after"),
    "announcement bar, named": added(f'<div class="announcement-bar">{OFFER}</div>', BODY, "first"),
    "announcement bar, hashed class": added(f'<div class="k9x2">{OFFER}</div>', BODY, "first"),
    "skip link": added('<a href="#main" class="skip-link">Skip to main content</a>', BODY, "first"),
    "share links under the title": added(SHARES, ONE_TITLE, "after"),
    "vote widget in <main>": added(HELPFUL, MAIN, "last"),
    "vote widget of role buttons in <main>": added(ROLE_VOTE, MAIN, "last"),
    "share label over a script's button": added(SHARE_POST, MAIN, "last"),
    '"Next article" card in <main>': added(NEXT_CARD, MAIN, "last"),
    "newsletter sign-up in <main>": added(SIGNUP, MAIN, "last"),
    "language links under the title": added(LANGUAGES, ONE_TITLE, "after"),
    "language links at the end of <main>": added(LANGUAGES, MAIN, "last"),
    "chat bubble at the page's end": added(CHAT, BODY, "last"),
    "permalinks beside the headings": heading_permalinks,
    "back-to-top links after sections": back_to_top_links,
    '"Expand all" above the sections': expand_all_link,
    "folded table of contents, title": added(FOLDED_TOC, ONE_TITLE, "after"),
    "table of contents after the text": added(SIDE_TOC, MAIN, "last"),
}


# The same page made bare (its <body> holds only the policy: what its <main> held) and
# then changed at its end, where a site appends what it floats over every page. A
# bare page has no footer to stop the document at, so all of <body> is read as it.
BARE_CHANGES: dict[str, Change] = {
    "consent banners added": banners,
    "chat bubble at the page's end": added(CHAT, BODY, "last"),
    "feedback tab at the page's end": added(FEEDBACK, BODY, "last"),
    "consent link at the page's end": added(CONSENT_LINK, BODY, "last"),
    "top button at the page's end": added(TOP_BUTTON, BODY, "last"),
    "language links at the page's end": added(LANGUAGES, BODY, "last"),
}


def made_bare(root: etree._Element) -> bool:
    """Rebuild ``<body>`` from the headings, paragraphs, lists and tables of the page's
    main block (its first ``<main>``, ``<article>`` or ``role="main"``; the outermost
    ones, in order) as its direct children, as a simple page holds its policy; False
    where the page has none."""
    body, mains = root.find("body"), root.xpath(MAIN)
    if body is None or not mains:
        return False
    main = mains[0]
    blocks: list[etree._Element] = []
    for block in main.xpath(_BLOCKS):
        if not blocks or blocks[-1] not in block.iterancestors():
            blocks.append(block)
    for child in list(body):
        body.remove(child)
    body.text = None
    body.extend(blocks)
    return bool(blocks)


def text(page: bytes, name: str) -> str:
    """The canonical text watcher reads in ``page`` by default."""
    return canonical(parse_html(page, Rules(), name=name))


def written(root: etree._Element) -> bytes:
    """The page written back as UTF-8, saying so (the original may declare nothing)."""
    head = root.find("head")
    if head is not None:
        head.insert(0, etree.Element("meta", charset="utf-8"))
    return bytes(lxml.html.tostring(root.getroottree(), encoding="utf-8"))


def check(page: Path, name: str, change: Change, bare: bool = False) -> list[str] | None:
    """The lines the change moved in the text (empty: none), or None where it does
    not apply; with ``bare``, to the page :func:`made_bare` first."""
    raw = page.read_bytes()
    source = raw.decode(detect_encoding(raw), "replace")
    before, after = lxml.html.document_fromstring(source), lxml.html.document_fromstring(source)
    if bare and not (made_bare(before) and made_bare(after)):
        return None
    if not change(after):
        return None
    try:
        old, new = text(written(before), name), text(written(after), name)
    except WatcherError:
        return None
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--details", action="store_true", help="print the lines that moved")
    args = parser.parse_args()
    pages = [sorted(doc.glob("*.html"))[0] for doc in documents(unpack(args.corpus))]
    print(f"machine: {machine()}; {len(pages)} pages (each document's first capture)")
    print(f"{'change':38} {'pages':>6} {'text changed':>13}")
    changed_total = 0
    runs = [(label, change, False) for label, change in CHANGES.items()]
    runs += [(f"bare: {label}", change, True) for label, change in BARE_CHANGES.items()]
    for label, change, bare in runs:
        applied = changed = 0
        for page in pages:
            moved = check(page, page.parent.name, change, bare)
            if moved is None:
                continue
            applied += 1
            if moved:
                changed += 1
                if args.details:
                    print(f"  {page.parent.name}: {' | '.join(moved[:4])[:200]}")
        changed_total += changed
        print(f"{label:38} {applied:>6} {changed:>13}")
    return 1 if changed_total else 0


if __name__ == "__main__":
    sys.exit(main())
