"""The normaliser: HTML, text and Markdown → blocks → canonical text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from watcher.errors import InputError
from watcher.model import Block
from watcher.normalise import (
    Rules,
    block_of_line,
    canonical,
    clean_text,
    decode,
    detect_encoding,
    detect_format,
    parse,
    parse_markdown,
    parse_text,
    render_block,
)
from watcher.sections import outline

PAGES = Path(__file__).parent / "fixtures" / "pages"


def text_of(html: str | bytes, **kwargs: object) -> str:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return canonical(parse(body, "text/html", **kwargs))  # type: ignore[arg-type]


def test_page_chrome_is_dropped_and_policy_kept() -> None:
    text = text_of((PAGES / "acme_v1.html").read_bytes())
    assert text.startswith("# Acme Widgets Privacy Notice\n")
    for chrome in (
        "Skip to content",
        "Home",
        "Shop",
        "cookies",
        "You may also like",
        "©",
        "build",
        "font-family",
    ):
        assert chrome not in text
    assert "## 4. Sharing" in text
    assert "- Order data, such as the widgets you bought and the delivery address;" in text
    assert "| Couriers | Delivering your order |" in text


def test_markup_only_changes_give_the_same_canonical_text() -> None:
    clean = text_of((PAGES / "acme_v1.html").read_bytes())
    noisy = text_of((PAGES / "acme_v1_noisy.html").read_bytes())
    assert noisy == clean


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ('<p class="x" id="y">Data</p>', '<p id="y" class="x">Data</p>'),
        ("<p>one   two\n three</p>", "<p>one two three</p>"),
        ("<p>one&nbsp;two</p>", "<p>one two</p>"),
        ("<p>per\u200bsonal da\u00adta</p>", "<p>personal data</p>"),
        ("<p>cafe\u0301</p>", "<p>caf\u00e9</p>"),
        ("<p>bidi \u202eoverride\u202c</p>", "<p>bidi override</p>"),
        ("<div>\n      <p>indented</p>\n</div>", "<div><p>indented</p></div>"),
        ('<p><a href="/x?utm_source=a">link</a> text</p>', '<p><a href="/x">link</a> text</p>'),
        ('<p>a <img src="/1.png" alt="logo"> b</p>', '<p>a <img src="/2.webp"> b</p>'),
    ],
    ids=[
        "attribute-order",
        "whitespace",
        "nbsp",
        "zero-width",
        "unicode-nfc",
        "bidi-controls",
        "re-indentation",
        "tracking-params",
        "image-sources",
    ],
)
def test_canonical_text_is_stable(a: str, b: str) -> None:
    page = "<html><body><main><h1>Policy</h1>{}</main></body></html>"
    assert text_of(page.format(a)) == text_of(page.format(b))


@pytest.mark.parametrize(
    ("html", "title"),
    [
        (
            "<head><title>Privacy Notice | Acme</title></head><body><p>x</p></body>",
            "Privacy Notice | Acme",
        ),
        (
            "<head><title>Privacy Notice</title></head><body><button><svg><title>Close</title>"
            "</svg></button><main><h1>Policy</h1><p>Text.</p></main>"
            "<footer><svg><title>Opt-Out Icon</title></svg></footer></body>",
            "Privacy Notice",
        ),
        (
            "<body><svg><title>Menu</title></svg><h1>Terms of Use</h1><p>Text.</p></body>",
            "Terms of Use",
        ),
    ],
    ids=["head-title", "icon-titles-ignored", "no-title-first-heading"],
)
def test_document_title(html: str, title: str) -> None:
    assert parse(f"<html>{html}</html>".encode(), "text/html").title == title


def test_hidden_elements_scripts_and_dialogs_are_dropped() -> None:
    html = """<body><main><h1>Terms</h1><p>Visible.</p>
      <p hidden>Hidden attr.</p><div style="display: none">Display none.</div>
      <script>var secret = 1;</script><style>.x{}</style><template><p>Tpl</p></template>
      <dialog open>Subscribe!</dialog><p>After.</p></main></body>"""
    assert text_of(html) == "# Terms\n\nVisible.\n\nAfter.\n"


def protected(address: str, key: int) -> str:
    """``address`` as a CDN's e-mail obfuscation serves it, XOR-ed with ``key``."""
    encoded = f"{key:02x}" + "".join(f"{byte ^ key:02x}" for byte in address.encode())
    return (
        f'<a href="/cdn-cgi/l/email-protection#{encoded}"><span class="__cf_email__" '
        f'data-cfemail="{encoded}">[email&#160;protected]</span></a>'
    )


def test_obfuscated_email_addresses_are_read_as_readers_see_them() -> None:
    def page(address: str, key: int) -> str:
        return (
            f"<body><main><h1>Privacy</h1><p>Write to {protected(address, key)} or to our "
            f"office.</p><p>Bad: <span data-cfemail='zz'>[email&#160;protected]</span>.</p>"
            "</main></body>"
        )

    text = text_of(page("dpo@example.org", 0x5A))
    assert "Write to dpo@example.org or to our office." in text
    assert "Bad: [email protected]." in text  # not decodable: left as the page has it
    # The key is drawn anew for every response: the text must not depend on it.
    assert text_of(page("dpo@example.org", 0x13)) == text
    assert text_of(page("privacy@example.org", 0x5A)) != text


@pytest.mark.parametrize(
    ("html", "scripted"),
    [
        (
            '<html><head><script src="/static/app.js"></script></head><body><div id="root">'
            "</div><noscript>You need to enable JavaScript to run this app.</noscript></body>",
            True,
        ),
        ("<body><policy-viewer></policy-viewer><SCRIPT>render()</SCRIPT></body>", True),
        ("<body><p>Our policy is being updated.</p></body>", False),
        (
            '<body><script src="/a.js"></script><noscript><img src="/pixel"></noscript>'
            "<h2>Sorry, something broke.</h2><p>Try again later.</p></body>",
            False,
        ),
        ("<body><main><h1>Privacy</h1>" + "<p>We keep your data safe.</p>" * 12 + "</main>"
         '<script src="/analytics.js"></script></body>', False),
    ],
    ids=["app-shell", "custom-element", "no-script", "error-page", "policy-with-scripts"],
)  # fmt: skip
def test_next_to_no_text_with_scripts_is_marked_scripted(html: str, scripted: bool) -> None:
    assert parse(html.encode(), "text/html").scripted is scripted


def test_declarative_shadow_roots_are_read_and_other_templates_are_not() -> None:
    """A web component rendered on the server puts its content in a ``<template
    shadowrootmode>``, which browsers show in place; other templates are never shown."""
    section = (
        '<policy-section><template shadowrootmode="open"><h2>Your rights</h2>'
        "<p>You may ask us for a copy.</p></template></policy-section>"
    )
    unused = '<template id="row"><p>Template text.</p></template>'
    body = "<p>We keep your data safe and never sell it to anyone at all.</p>" * 6
    text = text_of(f"<body><main><h1>Privacy</h1>{body}{section}{unused}</main></body>")
    assert "## Your rights\n\nYou may ask us for a copy." in text
    assert "Template text" not in text


def test_a_page_that_shows_its_text_only_through_a_template_is_read_from_it() -> None:
    """A page whose script stamps its content out of a ``<template>`` (Alpine's
    ``x-if``) is empty without the script: the template's text is what readers see.
    A page with text of its own never reads its templates."""
    policy = "<p>We keep your data safe and never sell it to anyone at all.</p>" * 8
    nav = '<header><nav><a href="/">Legal</a> <a href="/tos">Terms</a></nav></header>'
    page = (
        f'<body>{nav}<template x-if="visible === true"><main><h1>Privacy Notice</h1>'
        f'{policy}</main></template><template x-if="visible === false"><p>You will be '
        "redirected shortly.</p></template><footer><p>© 2026 Acme</p></footer>"
        '<script src="/alpine.js"></script></body>'
    )
    doc = parse(page.encode(), "text/html")
    assert canonical(doc).startswith("# Privacy Notice\n\nWe keep your data safe")
    assert "redirected" not in canonical(doc) and "Legal" not in canonical(doc)
    assert not doc.scripted
    rows = '<template id="row"><p>Loading the list of partners, please wait.</p></template>'
    shell = f'<body><div id="root"></div>{rows}<script src="/app.js"></script></body>'
    assert parse(shell.encode(), "text/html").scripted  # a template too short to be it


def test_the_pages_a_near_empty_page_frames_are_named() -> None:
    html = (
        '<body><noscript><iframe src="https://tags.example/ns.html"></iframe></noscript>'
        '<h1>Privacy Policy</h1><iframe src="/embed/privacy?lang=en" height="2000"></iframe>'
        '<iframe src="https://ads.example/px" width="1" height="1"></iframe>'
        '<iframe src="/tags/" style="display: none"></iframe></body>'
    )
    doc = parse(html.encode(), "text/html", name="https://acme.example/legal/privacy")
    assert doc.frames == ("https://acme.example/embed/privacy?lang=en",)
    policy = "<p>We keep your data safe and never sell it to anyone at all.</p>" * 8
    framed = f'<body><h1>Privacy</h1>{policy}<iframe src="/video"></iframe></body>'
    assert parse(framed.encode(), "text/html").frames == ()  # only asked of empty pages


@pytest.mark.parametrize(
    ("placeholder", "kept"),
    [
        ("Loading…", False),
        ("Loading...", False),
        ("Chargement en cours…", False),
        ("Wird geladen ...", False),
        ("加载中…", False),
        ("Loading the data you upload", True),
        ("Laden", True),
    ],
    ids=["english", "dots", "french", "german", "chinese", "in-a-sentence", "a-word-alone"],
)
def test_a_paragraph_that_says_the_page_is_loading_is_not_read(
    placeholder: str, kept: bool
) -> None:
    # The page's script replaces it; a capture taken before, or a server that renders
    # it only sometimes, would otherwise differ from the next by this line.
    policy = "<p>We collect the data you give us and keep it as long as we need it.</p>" * 5
    text = text_of(f"<main><h1>Privacy</h1><p>{placeholder}</p>{policy}</main>")
    assert text.startswith("# Privacy\n")
    assert (placeholder in text) is kept


def test_select_and_remove_override_detection() -> None:
    html = """<body><nav>Menu</nav><div class="policy"><h1>Policy</h1><p>Keep me.</p>
      <p class="promo">Drop me.</p></div><div class="other"><p>Not selected.</p></div></body>"""
    rules = Rules(select=(".policy",), remove=(".promo",))
    assert text_of(html, rules=rules) == "# Policy\n\nKeep me.\n"


def test_blocks_have_kinds_levels_and_bold() -> None:
    html = """<body><h2>Title</h2><p><strong>Bold heading</strong></p><p>Para <b>with</b> bold.</p>
      <ul><li>one<ol><li>nested</li></ol></li></ul><pre>  keep
    spacing</pre></body>"""
    doc = parse(html.encode(), "text/html")
    assert doc.blocks == (
        Block("heading", "Title", 2),
        Block("paragraph", "Bold heading", 0, True),
        Block("paragraph", "Para with bold."),
        Block("item", "one", 0),
        Block("item", "nested", 1),
        Block("pre", "  keep\n    spacing"),
    )


def test_br_separates_paragraphs_but_not_list_items() -> None:
    html = "<body><p>Line one<br>Line two</p><ul><li>Item<br>continued</li></ul></body>"
    assert text_of(html) == "Line one\n\nLine two\n\n- Item continued\n"


POLICY_TEXT = "We collect the data you give us and keep it no longer than we need it."


@pytest.mark.parametrize(
    ("heading", "text"),
    [
        ("<h1><div>Non-User Notice</div></h1>", "# Non-User Notice"),
        ("<h2><span>3.</span><div>Sharing</div></h2>", "## 3. Sharing"),
        ("<h2><div>Your</div><div>rights</div></h2>", "## Your rights"),
        ("<h3><button>Cookies we use</button></h3>", "### Cookies we use"),
        (
            '<h3><button aria-expanded="false" aria-controls="p1"><span>Cookies we use'
            "</span><span class=icon></span></button></h3>",
            "### Cookies we use",
        ),
        ('<h3>Cookies we use <button class="copy">Copy link</button></h3>', "### Cookies we use"),
    ],
    ids=["div-in-h1", "number-and-div", "two-divs", "button", "aria-accordion", "copy-button"],
)
def test_a_heading_is_one_line_whatever_blocks_hold_its_words(heading: str, text: str) -> None:
    """Component libraries wrap a heading's words in blocks (``<h1><div>``), and the ARIA
    accordion puts them in the toggle's ``<button>``: they were read as a paragraph, or
    dropped with the other buttons, and the outline lost the section."""
    assert text_of(f"<body><main>{heading}<p>{POLICY_TEXT}</p></main></body>") == (
        f"{text}\n\n{POLICY_TEXT}\n"
    )


ANSWER = f"<div><p>{POLICY_TEXT}</p><p>{POLICY_TEXT}</p></div>"


@pytest.mark.parametrize(
    ("item", "label", "kept"),
    [
        (
            '<div class="k1"><button class="k2"><span>Which data do we collect?</span><svg>'
            f"</svg></button>{ANSWER}</div>",
            "Which data do we collect?",
            True,
        ),
        (f"<div><button>×</button>{ANSWER}</div>", "×", False),
        (
            '<div><button>Open the menu</button><div><a href="/a">Plans and prices</a> <a '
            'href="/b">Our blog</a> <a href="/c">Jobs at Acme</a> <a href="/d">Press room'
            '</a> <a href="/e">Contact</a></div></div>',
            "Open the menu",
            False,
        ),
        (f"<div><button>Print this page</button>{ANSWER}<p>Done.</p></div>", "Print", False),
    ],
    ids=["question-over-its-answer", "icon", "menu", "not-one-of-two"],
)
def test_an_accordion_toggle_without_aria_titles_its_panel(
    item: str, label: str, kept: bool
) -> None:
    """Accordions built without ARIA put a section's title (often a question) in a bare
    ``<button>`` followed by its panel: the title is read as a bold line, which the
    outline makes a section; an icon's button, a menu's toggle, or a button that is not
    one of two blocks with its panel, is not text."""
    text = text_of(f"<body><main><h1>Privacy</h1><p>{POLICY_TEXT}</p>{item}</main></body>")
    if not kept:
        assert label not in text, text
        return
    assert f"**{label}**\n\n{POLICY_TEXT}" in text
    doc = parse(text.encode(), "text/markdown")
    assert [section.title for section in outline(doc).sections][-1] == label


def test_an_unclosed_heading_does_not_swallow_the_blocks_after_it() -> None:
    long_text = " ".join([POLICY_TEXT] * 5)
    html = f"<body><main><h2>Scope<div>{long_text}</div><div>{long_text}</div></main></body>"
    assert text_of(html) == f"## Scope\n\n{long_text}\n\n{long_text}\n"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (
            '<div class="c1"><h4>Share this article</h4></div><div class="c2"><button '
            'type="button" data-text="Privacy">Post</button></div>',
            "",
        ),
        ("<h2>Contact</h2><h3>Offices</h3>", ""),
        ("<h2>Contact</h2><p>Write to Box 12.</p>", "## Contact\n\nWrite to Box 12.\n"),
        (
            '<p>You might also be interested in:</p><div class="related-articles"><ul><li><a '
            'href="/help/fees">Fees</a></li><li><a href="/help/returns">Returns</a></li>'
            '<li><a href="/help/safety">Safety</a></li></ul></div>',
            "",
        ),
        (
            "<p>Write to us at:</p><p>Box 12, Port Town.</p>",
            "Write to us at:\n\nBox 12, Port Town.\n",
        ),
    ],
    ids=[
        "share-label", "two-empty-headings", "a-heading-with-its-text", "related-intro",
        "an-introduction-with-its-text",
    ],
)  # fmt: skip
def test_a_page_does_not_end_with_a_label(tail: str, expected: str) -> None:
    """A heading with nothing under it at the end of the page, or a line announcing what
    follows, labelled a widget that went as chrome (share buttons a script runs, links to
    related articles); it goes too."""
    html = f"<body><main><h1>Terms</h1><p>{POLICY_TEXT}</p>{tail}</main></body>"
    assert text_of(html) == f"# Terms\n\n{POLICY_TEXT}\n" + (f"\n{expected}" if expected else "")


def test_a_page_of_headings_alone_and_a_selection_keep_their_last_heading() -> None:
    headings = "<body><main><h1>Terms</h1><h2>Sales</h2><h2>Returns</h2></main></body>"
    assert text_of(headings) == "# Terms\n\n## Sales\n\n## Returns\n"
    selected = f"<body><main><p>{POLICY_TEXT}</p><h2>Share</h2></main></body>"
    assert text_of(selected, rules=Rules(select=("main",))).endswith("## Share\n")


def test_links_standing_in_a_list_without_items_are_items() -> None:
    """Script frameworks render lists of links as ``<ul><a/><a/></ul>``; browsers show
    one per line. Read together, their words ran into each other ("OverviewWhat")."""
    html = (
        '<body><ul class="toc"><a href="#a">Overview</a><a href="#b">What we collect</a>'
        '<span>Contact <b>us</b></span></ul><ul><li>One <a href="#x">link</a>.</li></ul>'
        "<p>Text after.</p></body>"
    )
    assert text_of(html) == (
        "- Overview\n- What we collect\n- Contact us\n- One link.\n\nText after.\n"
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            '<a href="/help">Support</a><svg><path d="M0"/></svg><span>Privacy Policy</span>',
            "Support Privacy Policy",
        ),
        (
            '<a href="/t.pdf">Download PDF<img src="i.png"></a><a href="/old">Old terms</a>',
            "Download PDF Old terms",
        ),
        ('We keep it<img src="i.png">, as the law says', "We keep it, as the law says"),
        ("Data<svg></svg>protection", "Data protection"),
    ],
    ids=["breadcrumb-chevron", "icon-between-links", "before-punctuation", "in-a-sentence"],
)
def test_an_icon_between_words_sets_them_apart(html: str, text: str) -> None:
    """Icons are dropped with the other media, but on screen they stand between words:
    "SupportPrivacy Policy" ran together."""
    assert text_of(f"<body><p>{html}</p></body>") == text + "\n"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="/report/threats">Report threats</a><a href="/report/gore">Report gore</a>',
         "Report threats Report gore"),
        ('<a href="/adchoices">Media.ne</a><a href="/adchoices">t</a>, and more',
         "Media.net, and more"),
        ('<a href="/a">Terms</a>, <a href="/b">Privacy</a>', "Terms, Privacy"),
        ('<a href="/a">Terms</a><span>apply</span>', "Termsapply"),
        ('Braintree (<a href="/legal"><a href="/de/legal">https://x.example/de/legal</a></a>).',
         "Braintree (https://x.example/de/legal)."),
    ],
    ids=["two-links", "one-link-cut-in-two", "links-in-a-sentence", "link-then-text",
         "link-inside-a-link"],
)  # fmt: skip
def test_two_links_side_by_side_are_two_things_to_click(html: str, text: str) -> None:
    """Links to different places are separate controls on screen even when the markup
    puts nothing between them; a link cut in two (the same address twice) is one, and
    the empty link the parser leaves of a link written inside another is none."""
    assert text_of(f"<body><p>{html}</p></body>") == text + "\n"


@pytest.mark.parametrize(
    ("links", "text"),
    [
        (
            '<a href="#1"><div class="n">1. </div><div>Welcome</div></a>'
            '<a href="#2"><div class="n">2. </div><div>Sharing</div></a>',
            "1. Welcome\n\n2. Sharing",
        ),
        ('<a href="#1"><span>1.</span> <span>Welcome</span></a>', "1. Welcome"),
        (
            '<a href="/blog/x"><h3>Our new app</h3><p>Read how it works.</p></a>',
            "### Our new app\n\nRead how it works.",
        ),
        (
            f'<a href="/long"><div>{POLICY_TEXT}</div><div>{POLICY_TEXT}</div>'
            f"<div>{POLICY_TEXT}</div></a>",
            "\n\n".join([POLICY_TEXT] * 3),
        ),
    ],
    ids=["contents-entries-in-divs", "inline-parts", "card-with-a-heading", "long-link"],
)
def test_a_short_link_wrapped_around_blocks_is_one_line(links: str, text: str) -> None:
    """A table of contents built by a site builder puts each entry's number and title in
    two ``<div>``s inside the link: one thing to click, one line ("1. Welcome"), not a
    number alone on a line. A card with a heading, or a long link, keeps its blocks."""
    page = f"<body><main><div>{links}</div><p>{POLICY_TEXT}</p></main></body>"
    assert text_of(page) == f"{text}\n\n{POLICY_TEXT}\n"


def test_layout_cells_and_single_cell_rows() -> None:
    html = (
        "<body><table><tr><td>Only cell text here</td></tr>"
        "<tr><td>a</td><td>b</td></tr></table></body>"
    )
    assert text_of(html) == "Only cell text here\n\n| a | b |\n"


def test_a_table_that_lays_out_the_page_is_read_as_blocks() -> None:
    """A cell holding headings is the page's layout: its headings, paragraphs and the
    table inside it keep their kinds, where they were once one long line of text."""
    html = (
        "<body><table><tr><td><h1>Privacy notice</h1><p>Updated May 2025.</p>"
        "<h2>What we collect</h2><p>Your name.</p><p>Your address.</p>"
        "<table><tr><th>Data</th><th>Kept</th></tr><tr><td><p>Name</p></td><td>5 years</td>"
        "</tr></table><h2>Your rights</h2><p>Ask us.</p></td></tr></table></body>"
    )
    doc = parse(html.encode(), "text/html")
    assert doc.blocks == (
        Block("heading", "Privacy notice", 1),
        Block("paragraph", "Updated May 2025."),
        Block("heading", "What we collect", 2),
        Block("paragraph", "Your name."),
        Block("paragraph", "Your address."),
        Block("row", "Data | Kept"),
        Block("row", "Name | 5 years"),
        Block("heading", "Your rights", 2),
        Block("paragraph", "Ask us."),
    )
    addresses = "<body><table><tr><td><p>Acme Ltd</p><p>1 Main Street</p></td></tr></table>"
    assert text_of(addresses) == "Acme Ltd 1 Main Street\n", "a cell of data stays one line"
    title_bar = "<table><tr><td><h3>1. Terms</h3></td><td><a href='#toc'>Top</a></td></tr></table>"
    assert (
        text_of(f"<body>{title_bar}<p>We agree.</p></body>") == "### 1. Terms\n\nTop\n\nWe agree.\n"
    )
    categories = "".join(
        f"<tr><td><h4>{name}</h4></td><td>{examples}</td></tr>"
        for name, examples in (("Identifiers", "Name, e-mail"), ("Usage", "Pages seen"))
    )
    assert text_of(f"<body><table>{categories}</table></body>") == (
        "| Identifiers | Name, e-mail |\n| Usage | Pages seen |\n"
    ), "a heading alone in a cell of a table of many rows is data"


def test_a_table_inside_a_cell_loses_no_cell_and_leaves_the_next_rows_whole() -> None:
    """Before, the cell before the inner table was lost, and every row after it fell
    apart into paragraphs of one cell each."""
    html = (
        "<body><table><tr><th>Name</th><th>Detail</th></tr><tr><td>Ads</td><td><table>"
        "<tr><td>x</td><td>y</td></tr></table></td></tr><tr><td>Mail</td><td>plain</td></tr>"
        "</table></body>"
    )
    assert text_of(html) == "| Name | Detail |\n\nAds\n\n| x | y |\n| Mail | plain |\n"


def _rows(heading: str, *cells: str) -> str:
    return f"<tr><th>Purpose</th><th>Basis</th></tr>{heading}" + "".join(
        f"<tr><td>{cell}</td><td>Contract</td></tr>" for cell in cells
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (_rows("", '<span class="lbl">Purpose</span><span>Billing</span>',
               '<span class="lbl">Purpose</span><span>Support</span>'),
         "| Purpose | Basis |\n| Billing | Contract |\n| Support | Contract |\n"),
        ('<tr><td><span>Purpose</span><span>Purpose</span></td><td><span>Basis</span>Basis'
         '</td></tr><tr><td><span>Purpose</span>Billing</td><td><span>Basis</span>Contract'
         '</td></tr><tr><td><span>Purpose</span>Support</td><td><span>Basis</span>Contract'
         "</td></tr>",
         "| Purpose | Basis |\n| Billing | Contract |\n| Support | Contract |\n"),
        (_rows("", "<b>Billing</b>: monthly", "<b>Support</b>: by mail"),
         "| Purpose | Basis |\n| Billing: monthly | Contract |\n| Support: by mail | Contract |\n"),
        (_rows("", "<b>Note</b> billing", "<b>Note</b> support"),
         "| Purpose | Basis |\n| Note billing | Contract |\n| Note support | Contract |\n"),
        (_rows("", '<span class="lbl">Purpose</span><span>Billing</span>'),
         "| Purpose | Basis |\n| PurposeBilling | Contract |\n"),
    ],
    ids=["labels-under-a-heading-row", "labels-in-the-heading-row-too", "different-leads",
         "a-lead-that-is-not-the-heading", "one-row-is-too-few"],
)  # fmt: skip
def test_a_responsive_tables_labels_for_small_screens_are_read_once(
    rows: str, expected: str
) -> None:
    """A table that stacks its rows on small screens puts its column's heading in every
    cell, which a stylesheet shows only then: read in every cell, it ran into the value
    ("PurposeBilling"). The same lead in every cell that is not the heading, or one row
    alone, is the text's."""
    assert text_of(f"<body><table>{rows}</table></body>") == expected


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("café".encode(), "text/html; charset=iso-8859-1", "utf-8"),
        ("café".encode("latin-1"), "text/html; charset=utf-8", "cp1252"),
        ("café".encode("latin-1"), "text/html; charset=iso-8859-1", "iso8859-1"),
        ("\ufeffcafé".encode(), "text/html; charset=iso-8859-1", "utf-8"),
        (b'<meta charset="windows-1252"><p>caf\xe9</p>', "text/html", "cp1252"),
    ],
    ids=[
        "utf8-declared-latin1",
        "latin1-declared-utf8",
        "latin1-honest",
        "bom-wins",
        "meta-charset",
    ],
)
def test_charset_detection_distrusts_lies(body: bytes, content_type: str, expected: str) -> None:
    assert detect_encoding(body, content_type) == expected
    assert "café" in decode(body, content_type)


def test_page_that_lies_about_its_charset_reads_right() -> None:
    html = "<body><main><h1>Política de privacidad</h1><p>Protección de datos.</p></main></body>"
    doc = parse(html.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert doc.blocks[0].text == "Política de privacidad"


@pytest.mark.parametrize(
    ("body", "content_type", "filename", "expected"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>", "text/plain", None, "html"),
        (b"# Title\n\nText", "", "policy.md", "markdown"),
        (b"Title\n\nText", "text/plain", None, "text"),
        (b"<p>a</p><p>b</p><div>c</div>", "", None, "html"),
        (b"Plain words only", "application/octet-stream", None, "text"),
    ],
    ids=["html-served-as-text", "markdown-by-name", "plain-text", "html-fragment", "unknown-type"],
)
def test_detect_format(body: bytes, content_type: str, filename: str | None, expected: str) -> None:
    assert detect_format(body, content_type, filename) == expected


def test_plain_text_lines_and_bullets() -> None:
    doc = parse_text("Title\n\nFirst line.\nSecond line.\n  • bullet one\n· bullet two\n")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("paragraph", "Title"),
        ("paragraph", "First line."),
        ("paragraph", "Second line."),
        ("item", "bullet one"),
        ("item", "bullet two"),
    ]


def test_hard_wrapped_text_is_rejoined() -> None:
    para = (
        "We collect data about you when you use the service and when you contact us by "
        "email or telephone, and we keep it only as long as we need it for these purposes."
    )
    words = para.split()
    lines, line = [], ""
    for word in words * 3:
        if len(line) + len(word) > 60:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    wrapped = "\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:])
    doc = parse_text(wrapped)
    assert len(doc.blocks) == 2


def test_markdown_inline_markup_and_tables() -> None:
    md = """# Terms

Intro with a [link](https://example.com/?utm=1) and **bold** and ![logo](x.png) text.

**Section heading**

* item one
* item *two*

| Data | Use |
| --- | --- |
| Email | Contact |
"""
    doc = parse_markdown(md)
    assert canonical(doc) == (
        "# Terms\n\nIntro with a link and bold and logo text.\n\n**Section heading**\n\n"
        "- item one\n- item two\n\n| Data | Use |\n| Email | Contact |\n"
    )


def test_canonical_text_reads_back_to_the_same_text() -> None:
    text = text_of((PAGES / "acme_v1.html").read_bytes())
    assert canonical(parse_markdown(text)) == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x00\x01\x02binary\x00data", "binary file"),
        (b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000, "nested too deeply"),
        (b"x" * 200_000, "characters"),
    ],
    ids=["binary", "deep-nesting", "one-huge-line"],
)
def test_unreadable_input_is_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse(body, name="capture.html")
    assert str(info.value).startswith("capture.html: ")
    assert "\n" not in str(info.value)


def test_clean_text_normalises_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Ärger über Öl")
    assert clean_text(f"  {decomposed}\u00a0 ") == "Ärger über Öl"


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("[x](javascript:alert(1)) after", "x after"),
        ("see [the site](https://example.org/a_(b)) now", "see the site now"),
        ('![logo](a.png "Logo") and [terms](/terms "Our terms")', "logo and terms"),
    ],
    ids=["parenthesised-target", "wiki-style-url", "titles"],
)
def test_markdown_link_targets_never_leak_into_text(markdown: str, text: str) -> None:
    assert parse_markdown(markdown).blocks[0].text == text


@pytest.mark.parametrize(
    "block",
    [
        Block("heading", "4. Your rights", 2),
        Block("item", "Usage data: pages viewed.", 0),
        Block("item", "nested item", 2),
        Block("row", "Hosting provider | Running our servers"),
        Block("paragraph", "We collect what you give us."),
        Block("paragraph", "Definitions", bold=True),
        Block("pre", "line one\n\n  line three"),
    ],
    ids=["heading", "item", "nested-item", "row", "paragraph", "bold", "pre"],
)
def test_a_canonical_line_reads_back_as_its_block(block: Block) -> None:
    assert block_of_line(render_block(block)) == block
