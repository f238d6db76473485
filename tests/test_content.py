"""Main-content detection and chrome removal (watcher.content), rule by rule."""

from __future__ import annotations

import re

import pytest

from watcher.chrome import is_chrome_name
from watcher.normalise import Rules, canonical, parse

PROSE = (
    "We collect the data you give us when you create an account and the data your "
    "device sends when you use the service, and we keep it only as long as we need it."
)


def text_of(html: str, rules: Rules | None = None) -> str:
    return canonical(parse(html.encode("utf-8"), "text/html", rules=rules))


def policy(paragraphs: int = 6) -> str:
    return "".join(f"<p>{n}. {PROSE}</p>" for n in range(1, paragraphs + 1))


@pytest.mark.parametrize(
    ("names", "chrome"),
    [
        ("cookie-banner", True),
        ("vb_popin_monvb", True),
        ("popinet-logo", False),
        ("subscribe-section", True),
        ("subscribe", False),
        ("cookieConsent--x7Yq2", True),
        ("cookie-banner__inner", True),
        ("consent-manager-container", True),
        ("onetrust-banner-sdk otFlat", True),
        ("CybotCookiebotDialog", True),
        ("cookie-law-info-bar", True),
        ("moove_gdpr_cookie_info_bar", True),
        ("eu-cookie-compliance-banner", True),
        ("cookiePolicyBanner", True),
        ("CookieConsentPanel", True),
        ("hs-eu-cookie-confirmation", True),
        ("tarteaucitronRoot", True),
        ("sp_message_container_12", True),
        ("skip-link", True),
        ("announcement-banner", True),
        ("site-announcements", True),
        ("promoBar", True),
        ("reassurance-container", True),
        ("reassurance-block delivery", True),
        ("breadcrumbs", True),
        ("shareBar", True),
        ("modal fade login-modal", True),
        ("newsletter-popup", True),
        ("articleRatings", True),
        ("article-votes", True),
        ("was-this-helpful", True),
        ("dialog-wrapper", True),
        ("cookie-dialogwrap", True),
        ("chat-widget-container", True),
        ("chatBubble", True),
        ("intercom-launcher", True),
        ("hubspot-messages-iframe-container", True),
        ("feedback-tab", True),
        ("feedbackButton", True),
        ("cky-btn-revisit-wrapper", True),
        ("consent-revisit", True),
        ("revisitCookies", True),
        ("jsx-62724f related_articles my-6", True),
        ("jp-relatedposts", True),
        ("ytr-related-content", True),
        ("recent-articles", True),
        ("recently-viewed-articles", True),
        ("article-meta", True),
        ("post-author-wrapper", True),
        ("entry-byline", True),
        ("byline", True),
        ("article-subscribe button", True),
        ("avatar", True),
        ("hh-scroll-to-top-box hh-scroll-to-top-box-hidden", True),
        ("scrollToTop", True),
        ("back_to_top", True),
        ("related-policies", False),
        ("relationship", False),
        ("recent-changes", False),
        ("live-chat", False),
        ("chat-data", False),
        ("dialogue-quote", False),
        ("modal-body", False),
        ("feedback", False),
        ("feedback-section", False),
        ("revisit-terms", False),
        ("article-body", False),
        ("modalities", False),
        ("cookies-notice-title", False),
        ("cookie-policy-text", False),
        ("cookie-policy", False),
        ("cookie-panel", False),
        ("cookie-information", False),
        ("ot-sdk-cookie-policy ot-sdk-container", False),
        ("main-content", False),
        ("fortune", False),
        ("announcement-date", False),
        ("promotion-terms", False),
        ("reinsurance", False),
        ("reassurance-text", False),
        ("article-info", False),
        ("post-metadata", False),
        ("author-rights", False),
        ("entry-content", False),
        ("photo-top", False),
        ("top-of-page", False),
    ],
)
def test_chrome_class_names(names: str, chrome: bool) -> None:
    assert is_chrome_name(names) is chrome


def test_folded_panels_are_kept_and_invisible_text_dropped() -> None:
    html = f"""<body><main><h1>Terms</h1>{policy(3)}
      <button aria-controls="p1" aria-expanded="false"><h2>Refunds</h2></button>
      <div id="p1" hidden><p>Refunds within 14 days.</p></div>
      <div hidden="until-found"><p>Found text.</p></div>
      <div hidden><p>Template text.</p></div>
      <p>Contact <span class="visually-hidden">screen reader hint</span>us.</p>
      <button>Print</button></main></body>"""
    text = text_of(html)
    assert "## Refunds\n\nRefunds within 14 days." in text
    assert "Found text." in text
    for gone in ("Template text", "screen reader hint", "Print"):
        assert gone not in text
    assert "Contact us." in text


@pytest.mark.parametrize(
    ("folded", "kept"),
    [
        ('<div class="toggle"><h4>Cookies</h4></div><div style="display:none"><p>{t}</p></div>',
         True),
        ('<button type="button"><h3>Cookies</h3></button><div style="display:none"><p>{t}</p>'
         "</div>", True),
        ('<p class="toggle">Cookies</p><div class="toggle-content" style="display:none">'
         "<p>{t}</p></div>", True),
        ('<div class="accordion-body" hidden><p>{t}</p></div>', True),
        ('<div><h2>Contact</h2><p>Write to us.</p></div><div style="display:none"><p>{t}</p>'
         "</div>", False),
        ('<div class="variant-b" style="display:none"><p>{t}</p></div>', False),
        ('<a href="#" class="more">Read more</a><div style="display:none"><p>{t}</p></div>',
         True),
        ('<button type="button">Show all</button><div style="display:none"><p>{t}</p></div>',
         True),
        ('<a href="javascript:void(0)">Lire la suite</a><div hidden><p>{t}</p></div>', True),
        ('<a href="/offices">Our offices</a><div style="display:none"><p>{t}</p></div>', False),
        ('<a href="#">Read more about our partners</a><div style="display:none"><p>{t}</p>'
         "</div>", False),
        ('<div class="brand invisible"><p>{t}</p></div>', False),
        ('<button aria-controls="q" aria-expanded="false">Cookies</button>'
         '<div id="q" class="panel invisible"><p>{t}</p></div>', True),
        ('<div class="invisible-ink-note"><p>{t}</p></div>', True),
        ('<div class="rich w-condition-invisible w-richtext"><p>{t}</p></div>', False),
        ('<button aria-controls="q" aria-expanded="false">Cookies</button>'
         '<div id="q" class="w-condition-invisible"><p>{t}</p></div>', False),
        ('<div class="slds-spinner_container slds-hide"><p>{t}</p></div>', False),
        ('<button aria-controls="q" aria-expanded="false">Cookies</button>'
         '<div id="q" class="slds-hide"><p>{t}</p></div>', True),
        ('<p>Cookies. <span class="slds-assistive-text">{t}</span></p>', False),
    ],
    ids=["under-toggle-heading", "under-heading-button", "toggle-class", "accordion-class",
         "after-a-section", "hidden-variant", "after-read-more-link", "after-show-all-button",
         "after-lire-la-suite", "after-another-link", "after-a-longer-label",
         "invisible-class", "invisible-panel", "invisible-in-a-longer-name",
         "site-builder-condition", "site-builder-condition-even-under-a-toggle",
         "design-system-hidden", "design-system-hidden-panel", "design-system-assistive"],
)  # fmt: skip
def test_script_folded_panels_are_kept_other_hidden_text_is_not(folded: str, kept: bool) -> None:
    """Script-driven accordions hide their panels with an inline style until the reader
    opens them: a panel under a toggle labelled by its heading, named as an accordion's
    folding part, or right after a "Read more" control, is the document's text; other
    hidden blocks are not, nor what a site builder's content conditions left out when
    the page was published (Webflow's ``w-condition-invisible``, never shown), nor what
    Salesforce's design system hides (``slds-hide``: spinners' "Loading…") or keeps for
    screen readers (``slds-assistive-text``)."""
    secret = "Cookies are kept for a year."
    html = f"<body><main><h1>Terms</h1>{policy(3)}{folded.format(t=secret)}{policy(2)}</main>"
    assert (secret in text_of(html + "</body>")) is kept


@pytest.mark.parametrize(
    "outside",
    ["", f"<div class='promo'><p>{PROSE}</p></div>"],
    ids=["the-article-holds-most-text", "text-outside-the-wrapper-too"],
)
def test_a_sidebar_named_as_the_sites_menu_is_dropped_even_without_links(outside: str) -> None:
    """A help centre's tree of topics, its items plain text that a script makes work,
    named as a navigation pane beside the article: not the document, whether the
    article or the wrapper of both is the block that holds most of the page's text."""
    tree = "".join(f"<li><span class='nav-item'>Topic {n}</span></li>" for n in range(12))
    html = (
        "<body><div class='container'><div class='nav-pane'><h2>Help</h2>"
        f"<ul class='nav-tree'>{tree}</ul></div><div class='content-pane'>"
        f"<h1>Ad policy</h1>{policy(4)}</div></div>{outside}</body>"
    )
    text = text_of(html)
    assert "Topic 3" not in text and "Help" not in text
    assert text.startswith("# Ad policy\n")


@pytest.mark.parametrize(
    ("block", "words", "kept"),
    [
        ('<div class="nav-button previous"><span>Previous</span><span>Cookie policy</span>'
         '</div><div class="nav-button next"><span>Next</span><span>Terms of sale</span></div>',
         "Terms of sale", False),
        ('<div class="next"><p>Next, we describe how long we keep your data.</p></div>',
         "we describe", True),
        ('<div class="next-steps"><h2>Next steps</h2><p>Write to us.</p></div>', "Write to us",
         True),
    ],
    ids=["previous-and-next-buttons", "a-sentence-that-starts-with-next", "named-next-steps"],
)  # fmt: skip
def test_buttons_to_the_previous_and_next_page_are_the_sites(
    block: str, words: str, kept: bool
) -> None:
    """A help centre's buttons to the articles before and after this one, worked by a
    script rather than links: named and labelled so."""
    html = f"<body><main><h1>Ad policy</h1>{policy(4)}{block}</main></body>"
    assert (words in text_of(html)) is kept


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        ('<div class="toc"><div role="listitem"><a href="#s1">Account names</a></div>'
         '<div role="listitem"><a href="#s2">Display names</a></div></div>', False),
        ('<ul><li><a href="#s1">Account names</a></li><li><a href="#s2">Display names</a>'
         "</li></ul>", False),
        ('<ol><li>Account names: see <a href="#s1">the first section</a>.</li>'
         '<li>Display names: see <a href="#s2">the second</a>.</li></ol>', True),
        ('<p><a href="#s1">Account names</a></p>', True),
    ],
    ids=["a-sidebar-of-in-page-links", "a-list-of-in-page-links", "notes-with-in-page-links",
         "one-in-page-link"],
)  # fmt: skip
def test_a_table_of_contents_after_the_document_is_the_pages(after: str, kept: bool) -> None:
    """The document's headings again as links beside it ("On this page"), which the page's
    markup puts after the text, are not the document; notes that link into it are."""
    html = (
        '<body><main><div class="wrap"><div class="content"><h1>Names</h1>'
        f'<h2 id="s1">Account names</h2>{policy(3)}<h2 id="s2">Display names</h2>{policy(2)}'
        f"</div>{after}</div></main></body>"
    )
    text = text_of(html)
    assert text.count("Account names") == (2 if kept else 1)


@pytest.mark.parametrize(
    ("toggle", "label", "kept"),
    [
        ('<button aria-controls="toc" aria-expanded="false"><div>ON THIS PAGE</div></button>'
         '<div id="toc" class="hidden xl:block"><nav><ul><li><a href="#a">Data</a></li>'
         '<li><a href="#b">Rights</a></li></ul></nav></div>', "ON THIS PAGE", False),
        ('<button class="menu-toggle" aria-controls="menu" aria-expanded="false">Menu</button>'
         '<ul id="menu" role="navigation"><li><a href="/">Home</a></li></ul>', "Menu", False),
        ('<button aria-controls="p" aria-expanded="false">ON THIS PAGE</button>'
         '<div id="p" hidden><nav><a href="#a">Data</a></nav><p>What we keep.</p></div>',
         "ON THIS PAGE", True),
        ('<button aria-controls="p" aria-expanded="false">ON THIS PAGE</button>'
         '<div id="p" hidden><p>What we keep.</p></div>', "ON THIS PAGE", True),
    ],
    ids=["a-table-of-contents", "a-menu", "a-panel-with-text-too", "a-folded-section"],
)  # fmt: skip
def test_a_toggle_that_opens_a_menu_is_the_menus_label(toggle: str, label: str, kept: bool) -> None:
    """A button that folds a table of contents or a menu on small screens names that
    menu, which is dropped; a toggle of the document's own text is its heading."""
    html = f"<body><main><h1>Terms</h1>{toggle}{policy(4)}</main></body>"
    assert (label in text_of(html)) is kept


@pytest.mark.parametrize(
    ("hidden", "kept"),
    [("showpromobannerfortheregion", False), ("Cookies are kept for a year.", True)],
    ids=["a-token", "a-sentence"],
)
def test_one_hidden_token_under_a_heading_is_not_a_folded_section(hidden: str, kept: bool) -> None:
    # Sites leave markers for their scripts in hidden paragraphs, right under a heading.
    folded = f'<h2>Cookies</h2><p style="display: none;">{hidden}</p>'
    html = f"<body><main><h1>Terms</h1>{folded}{policy(3)}</main>"
    assert (hidden in text_of(html + "</body>")) is kept


@pytest.mark.parametrize(
    ("hidden", "kept"),
    [
        ('<div hidden=""><div>Sign in to use the Zephyr tool and get help.</div></div>', False),
        ('<div hidden="">' + f"<p>Zephyr clauses. {PROSE}</p>" * 4 + "</div>", True),
    ],
    ids=["a-box-before-the-document", "the-document-itself"],
)
def test_a_hidden_block_under_the_title_is_a_folded_section_only_if_it_is_the_document(
    hidden: str, kept: bool
) -> None:
    # The title folds nothing: a help centre's box for signed-in readers stays hidden;
    # a page that hides its whole text under the title until its script runs does not.
    html = f"<body><main><h1>Terms</h1>{hidden}<div>{policy(3)}</div></main></body>"
    assert ("Zephyr" in text_of(html)) is kept


@pytest.mark.parametrize(
    ("style", "hidden"),
    [
        ("position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0, 0, 0, 0)", True),
        ("clip: rect(1px 1px 1px 1px); white-space: nowrap", True),
        ("position: absolute; clip: rect(0px,0px,0px,0px); clip-path: inset(50%)", True),
        ("clip-path: inset(50%)", True),
        ("position:absolute; left:-10000px; top:auto", True),
        ("text-indent: -9999px", True),
        ("clip: rect(0, 320px, 200px, 0)", False),
        ("clip-path: inset(10% 0 0 0)", False),
        ("position: relative; left: -12px", False),
        ("margin-left: -1000px", False),
    ],
    ids=[
        "clip-zero", "clip-1px", "clip-and-inset", "inset-50", "off-left", "text-indent",
        "clip-visible", "inset-partial", "nudged-left", "negative-margin",
    ],
)  # fmt: skip
def test_text_styled_for_screen_readers_only_is_dropped(style: str, hidden: bool) -> None:
    hint = f'<p>Say <span style="{style}">hint</span>it.</p>'
    html = f"<body><main><h1>Terms</h1>{policy(3)}{hint}</main></body>"
    assert ("hint" not in text_of(html)) is hidden


@pytest.mark.parametrize(
    ("style", "hidden"),
    [
        ("color:whitesmoke;text-align:center;background:whitesmoke", True),
        ("background-color: #FFF; color: #fff !important", True),
        ("color: rgb(255, 255, 255); background-color: rgb(255,255,255)", True),
        ("color: #fff; background: #333", False),
        ("color: inherit; background: inherit", False),
        ("color: transparent; background: transparent", False),
        ("color: #fff; background: #fff; color: #000", False),
        ("border-color: red; background: red", False),
    ],
    ids=[
        "named", "hex-in-upper-case", "rgb", "other-colours", "inherited", "transparent",
        "colour-set-again", "border-colour",
    ],
)  # fmt: skip
def test_text_in_its_backgrounds_colour_is_dropped(style: str, hidden: bool) -> None:
    # A server's name printed so at the end of the page changes with the server.
    server = f'<div id="ServerId" style="{style}"> web-042-eu </div>'
    html = f"<body><main><h1>Terms</h1>{policy(3)}{server}</main></body>"
    assert ("web-042-eu" not in text_of(html)) is hidden


@pytest.mark.parametrize(
    ("classes", "hidden"),
    [
        ("printfooter", True),
        ("print-only", True),
        ("visible-print-block", True),
        ("d-none d-print-block", True),
        ("d-none d-md-block d-print-block", False),
        ("print-expand-all", False),
        ("no-print", False),
    ],
    ids=["mediawiki", "print-only", "bootstrap-3", "bootstrap", "shown-on-desktop",
         "print-button-bar", "screen-only"],
)  # fmt: skip
def test_text_for_print_only_is_dropped(classes: str, hidden: bool) -> None:
    """Text shown only on paper is not what the reader sees: MediaWiki's "Retrieved from"
    footer names the page's revision, and every edit of the page's source changed it."""
    footer = f'<div class="{classes}">Retrieved from "/w/index.php?oldid=565291"</div>'
    html = f"<body><main><h1>Terms</h1>{policy(3)}{footer}</main></body>"
    assert ("Retrieved" not in text_of(html)) is hidden


@pytest.mark.parametrize(
    ("classes", "mobile"),
    [
        ("cr02__item twtr-hidden--md twtr-hidden--lg", True),
        ("cr02__item twtr-hidden--sm twtr-hidden--xs", False),
        ("d-lg-none", True),
        ("d-block d-md-none", True),
        ("d-md-none d-lg-block", False),
        ("lg:hidden", True),
        ("hidden lg:block", False),
        ("is-hidden-desktop", True),
        ("is-hidden-mobile", False),
        ("hide-for-large", True),
        ("show-for-small-only", True),
        ("visible-xs", True),
        ("mobile-only", True),
        ("overflow-hidden", False),
    ],
    ids=lambda value: str(value),
)
def test_a_copy_for_small_screens_is_not_read(classes: str, mobile: bool) -> None:
    """Responsive pages repeat a block for small screens and let CSS show one of the
    two; the page is read as a desktop shows it, so the block is read once."""
    summary = "<p>Our service is a public platform: what you post can be seen.</p>"
    page = (
        f'<body><main><h1>Privacy</h1><div class="desktop-only">{summary}</div>'
        f'<div class="{classes}">{summary}</div>{policy(3)}</main></body>'
    )
    assert text_of(page).count("public platform") == (1 if mobile else 2)


@pytest.mark.parametrize(
    ("desktop", "mobile", "copies"),
    [
        ("toc__wrapper toc__wrapper-desktop", "toc__wrapper toc__wrapper-mobile", 1),
        ("toc--desktop", "toc--mobile is-closed", 1),
        ("toc", "section-mobile", 2),
    ],
    ids=["twins", "twins-by-modifier", "no-twin"],
)
def test_the_mobile_twin_of_a_block_is_not_read(desktop: str, mobile: str, copies: int) -> None:
    """Only the site's CSS shows one of two blocks named alike for desktop and mobile;
    a block named "mobile" without such a twin (a section on mobile apps) stays."""
    chapters = '<ul><li><a href="#c1">Who may use the service</a></li></ul>'
    page = (
        f'<body><main><h1>Terms</h1><div class="{desktop}">{chapters}</div>'
        f'<div class="{mobile}">{chapters}</div>{policy(3)}</main></body>'
    )
    assert text_of(page).count("Who may use") == copies


def test_a_copy_for_small_screens_that_holds_most_of_the_text_is_read() -> None:
    # The page's only copy of the document, marked for small screens (its desktop
    # version built by a script): reading nothing would lose the policy.
    page = f'<body><main><h1>Privacy</h1><div class="d-lg-none">{policy(6)}</div></main></body>'
    assert "6. We collect" in text_of(page)


@pytest.mark.parametrize(
    ("pager", "kept"),
    [
        (
            '<div class="flex gap-2"><a class="group p-2" href="/legal/terms"><span>'
            "<span>Previous</span><span>Terms of Service</span></span></a>"
            '<a class="group p-2" href="/legal/dpa"><span><span>Next</span>'
            "<span>Data Processing Addendum</span></span></a></div>",
            "",
        ),
        ('<p><a href="/legal/dpa" rel="next">Data Processing Addendum</a></p>', ""),
        ('<div><a href="/cgu">« Précédent</a> <a href="/dpa">Suivant : DPA</a></div>', ""),
        ('<div class="pagination"><a href="/p/1">1</a> <a href="/p/3">3</a></div>', ""),
        (
            '<p>Read the <a href="/dpa">next</a> document too.</p>',
            "Read the next document too.",
        ),
        ('<p><a href="/steps">Next steps for your account</a></p>', "Next steps for your account"),
        ('<p><a href="#sharing">Next: Sharing</a></p>', "Next: Sharing"),
        (
            '<div class="m4"><div><h4 class="k1">Next article</h4><h3 class="k2">Minors and '
            'safety</h3></div><a class="k3" href="/guidelines/minors"><span>Read next</span>'
            "</a></div>",
            "",
        ),
        ('<p><a href="/guidelines/minors">Up next</a></p>', ""),
        ('<p><a href="/guidelines/minors">Previous page</a></p>', ""),
    ],
    ids=[
        "labelled-pair", "rel-next", "french-labels", "named-pagination", "link-in-a-sentence",
        "next-as-a-word", "in-page-link", "next-article-card", "up-next", "previous-page",
    ],
)  # fmt: skip
def test_links_to_the_previous_and_next_page_are_not_the_document(pager: str, kept: str) -> None:
    html = f"<body><main><h1>Privacy Policy</h1>{policy()}{pager}</main></body>"
    tail = text_of(html).split(PROSE)[-1].strip()
    assert tail == kept


def test_title_header_is_kept_and_site_header_dropped() -> None:
    html = f"""<body><header><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a></header>
      <header class="hero"><h1>Privacy Policy</h1><p>Last updated: 1 May 2025</p></header>
      <div>{policy()}</div></body>"""
    text = text_of(html)
    assert text.startswith("# Privacy Policy\n\nLast updated: 1 May 2025\n\n1. ")
    assert "Home" not in text


def test_chrome_that_wraps_the_main_content_or_most_of_the_text_is_kept() -> None:
    wrapped = f'<body><div role="dialog"><main><h1>Terms</h1>{policy()}</main></div></body>'
    assert text_of(wrapped).startswith("# Terms\n")
    named = f'<body><div class="cookie-notice"><h1>Cookie Notice</h1>{policy()}</div></body>'
    assert text_of(named).startswith("# Cookie Notice\n")
    # A wrapper named as chrome around the document's <article> stays; one around
    # readers' comments (small <article>s of their own) goes.
    article = f"<article><h1>Terms</h1>{policy()}</article>"
    wrapped = f'<body><div class="skip-to-content-wrapper">{article}</div></body>'
    assert text_of(wrapped).startswith("# Terms\n")
    comments = '<div class="comments-area"><article><p>Nice policy, thanks.</p></article></div>'
    assert "Nice policy" not in text_of(f"<body>{article}{comments}</body>")


def test_a_modal_window_after_the_document_is_not_part_of_it() -> None:
    """CSS frameworks hide a modal (a log-in form) until it is opened; without roles or
    ARIA, its class name says what it is. A policy shown in a modal stays."""
    modal = (
        '<div class="modal fade" id="login-modal"><div class="modal-dialog">'
        '<h4 class="modal-title">Log In</h4><div class="modal-body"><p>Remember me on '
        "this computer</p><p>Enter the email address you signed up with.</p></div></div></div>"
    )
    content = f'<div class="content"><h1>Privacy</h1>{policy(6)}</div>'
    text = text_of(f"<body>{content}{modal}</body>")
    assert text.startswith("# Privacy\n") and "Remember me" not in text
    shown = f'<body><div class="modal"><h1>Privacy</h1>{policy(6)}</div></body>'
    assert text_of(shown).startswith("# Privacy\n")


def test_without_landmarks_a_consent_named_section_is_kept_and_the_banner_is_not() -> None:
    header = '<div id="header"><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a></div>'
    ccpa = '<div id="ccpa-notice"><h2>California residents</h2><p>Ask what we hold.</p></div>'
    banner = '<div class="cookie-notice"><h3>Cookies here</h3><p>Is that OK?</p></div>'
    footer = '<div id="footer"><p>© 2025 Acme</p></div>'
    content = f'<div id="content"><h1>Privacy</h1>{policy(6)}{ccpa}</div>'
    text = text_of(f"<body>{header}{content}{footer}{banner}</body>")
    assert "## California residents\n\nAsk what we hold." in text
    assert "Is that OK" not in text and "Home" not in text


def test_a_consent_platforms_cookie_list_in_the_policy_is_kept() -> None:
    """Consent platforms fill a cookie policy's list of cookies into an element named
    after them (OneTrust: "ot-sdk-cookie-policy"); their banner is chrome, the list is
    what the policy says."""
    rows = "".join(
        f"<tr><td>pref_{n}</td><td>Remembers your settings.</td><td>{n} days</td></tr>"
        for n in range(1, 7)
    )
    cookie_list = (
        '<div id="ot-sdk-cookie-policy"><section class="ot-sdk-cookie-policy ot-sdk-container">'
        '<h3>Cookie List</h3><h4 class="ot-sdk-cookie-policy-group">Functional Cookies</h4>'
        f"<table>{rows}</table></section></div>"
    )
    banner = '<div id="onetrust-banner-sdk"><p>We use cookies. Accept all?</p></div>'
    html = f"<body><main><h1>Cookie Policy</h1>{policy(4)}{cookie_list}</main>{banner}</body>"
    text = text_of(html)
    assert "### Cookie List" in text and "| pref_6 | Remembers your settings. | 6 days |" in text
    assert "Accept all" not in text


@pytest.mark.parametrize(
    ("block", "kept"),
    [
        ('<h2 id="cookie-settings">Your cookie settings</h2><p>Use the browser.</p>', True),
        ('<h2 id="gdpr-notice">Notice for the EEA</h2><p>Our lawful bases.</p>', True),
        ('<h3 id="social-links">Links to social networks</h3><p>We link out.</p>', True),
        ('<section id="ccpa-notice"><h2>California residents</h2><p>Ask us.</p></section>', True),
        ('<div class="consent-preferences"><h3>Your choices</h3><p>Withdraw.</p></div>', True),
        ('<div class="cookie-banner"><h3>We use cookies</h3><p>Accept all?</p></div>', False),
        ('<div class="cookie-notice"><p>We use cookies. Accept all?</p></div>', False),
        ('<div class="cookie-notice onetrust-pc-sdk"><h3>Choices</h3><p>Accept?</p></div>', False),
    ],
    ids=["heading", "heading-gdpr", "heading-social", "section", "section-class", "banner-word",
         "no-heading", "platform"],
)  # fmt: skip
def test_policy_sections_named_like_consent_banners_are_kept(block: str, kept: bool) -> None:
    """Policies name their own sections with consent words ("ccpa-notice", "cookie-
    settings") as anchors; a section of the document that opens with its heading, or a
    heading, is not a banner. Banner words ("cookie-banner"), banners without a heading
    and consent platforms' names stay chrome."""
    first_text = next(t for t in re.split(r"<[^>]+>", block) if t.strip())
    text = text_of(f"<body><main><h1>Privacy Policy</h1>{policy(4)}{block}</main></body>")
    assert (first_text in text) is kept, first_text


CHOICES = (
    '<button type="button" aria-label="Accept all cookies"><span>Accept all cookies</span>'
    "</button><button>Refuse non-essential cookies</button>"
)


LONG_COOKIE_NOTICE = " ".join(
    ["We use cookies and similar tools that you need to shop, to improve your visits and"]
    + ["to measure how customers use our services so that we can make them better."] * 12
)


@pytest.mark.parametrize(
    ("block", "kept"),
    [
        (
            '<div role="region" aria-labelledby="n1" class="sc-a1b2"><h2 id="n1">Cookie Notice'
            f"</h2><p>Did someone say cookies? We use them.</p>{CHOICES}</div>",
            False,
        ),
        (
            '<div aria-label="Cookie consent" class="x9f"><div><p>We and our partners use '
            f"trackers.</p></div><div>{CHOICES}</div></div>",
            False,
        ),
        (
            '<aside class="k3"><p>Nous utilisons des cookies.</p><button>Tout accepter</button>'
            "<button>Tout refuser</button></aside>",
            False,
        ),
        (
            '<section aria-labelledby="c1"><h2 id="c1">Your cookie choices</h2><p>You can '
            "refuse cookies in your browser settings at any time.</p></section>",
            True,
        ),
        (
            '<div role="region" aria-label="Newsletter"><p>Get our news.</p>'
            "<button>Accept</button></div>",
            True,
        ),
        (
            '<div aria-label="Privacy choices" class="q1"><p>We use cookies to measure visits.'
            f"</p><script>{'var x = 1; ' * 200}</script>{CHOICES}</div>",
            False,
        ),
        (
            '<div class="x8f"><div><p>We use cookies to measure visits and for ads.</p></div>'
            f"<div>{CHOICES}</div></div>",
            False,
        ),
        (
            '<div class="x9f"><p>We use cookies to remember your choice of language.</p>'
            "<button>Accept</button></div>",
            True,
        ),
        (
            '<span class="k1"><form method="post" action="/prefs"><div><h4>Choose your '
            f'cookie preferences</h4><p>{LONG_COOKIE_NOTICE}</p></div><div><a href="#" '
            'role="button">Continue without accepting</a></div><div><span class=k2><span '
            'class=k3><input type="submit" value="all"><span aria-hidden="true">Accept '
            'cookies</span></span></span><span><a href="/prefs">Customise cookies</a>'
            "</span></div></form></span>",
            False,
        ),
    ],
    ids=[
        "region-in-main",
        "labelled-div",
        "aside-french",
        "policy-section",
        "not-cookies",
        "with-a-long-script",
        "unlabelled-with-two-choices",
        "unlabelled-with-one-choice",
        "long-form-with-input-buttons",
    ],
)
def test_a_consent_banner_is_known_by_its_choices_whatever_its_class(
    block: str, kept: bool
) -> None:
    """CSS-in-JS hashes class names ("sc-a1b2"), so nothing names the banner; its
    "Accept all cookies" and "Refuse" buttons, in a short labelled region that speaks of
    cookies, do: also an ``<input type="submit">`` labelled by the text its wrapper shows
    beside it, and "Continue without accepting", in a banner of up to 250 words that says
    what the cookies are for. A section of the policy about cookies, without those
    buttons, stays."""
    first_text = next(t for t in re.split(r"<[^>]+>", block) if t.strip())
    text = text_of(f"<body><main>{block}<h1>Reports</h1>{policy(2)}</main></body>")
    assert (first_text in text) is kept, first_text
    assert "Reports" in text and "Accept all" not in text


LINK_CHOICES = (
    '<a href="#" class="btn-k1">Personnaliser</a><a href="#" class="btn-k2">Refuser tout</a>'
    '<a href="javascript:void(0)" class="btn-k3">Accepter tout</a>'
)
KINDS = "".join(
    f"<li><span>{kind}<br><span>These cookies {use}.</span></span></li>"
    for kind, use in [
        ("Necessary", "keep you signed in and the site secure " * 4),
        ("Statistics", "count visits and find technical problems " * 4),
        ("Experience", "remember your preferences from one visit to the next " * 4),
        ("Personalisation", "show offers based on your earlier searches " * 4),
    ]
)


def test_a_consent_banner_of_links_to_scripts_and_its_preferences_panel_are_left_out() -> None:
    """Cookie plugins make their choices links that go nowhere but to a script, and put
    the preferences panel the banner opens (too long to be a banner: a line on each kind
    of cookie) beside it. Links to other pages are not choices."""
    banner = (
        '<div class="k7"><div class="k8">Cookies</div><div>We use cookies to run this site. '
        f'<a href="/cookies">Read our cookie policy</a></div><div>{LINK_CHOICES}</div></div>'
    )
    panel = (
        '<div class="k9"><div>Cookies</div><div>Choose the cookies you accept.</div>'
        f'<ul>{KINDS}</ul><a href="#">Save</a>{LINK_CHOICES}</div>'
    )
    page = f"<body><main><h1>Privacy</h1>{policy(3)}</main><div>{banner}{panel}</div></body>"
    text = text_of(page)
    assert "3. We collect" in text
    for words in ("We use cookies to run", "Refuser tout", "Statistics", "Choose the cookies"):
        assert words not in text, words
    linked = page.replace('href="#"', 'href="/prefs"').replace('"javascript:void(0)"', '"/ok"')
    assert "We use cookies to run" in text_of(linked)


HIDDEN_FIELD = '<input type="hidden" name="token" value="AbC123">'


@pytest.mark.parametrize(
    ("form", "words", "kept"),
    [
        (
            f'<form method="post" class="x1">{HIDDEN_FIELD}<div>Was this helpful?</div>'
            '<button name="q7" value="5">Yes</button><button name="q7" value="1">No</button>'
            "</form>",
            "Was this helpful?",
            False,
        ),
        (
            '<form><p>Rate this page</p><input type="submit" name="r" value="Good">'
            '<input type="submit" name="r" value="Bad"></form>',
            "Rate this page",
            False,
        ),
        (
            "<form><p>To stop the sale of your data, send this form.</p>"
            '<button name="opt" value="out">Opt out</button></form>',
            "To stop the sale",
            True,
        ),
        (
            '<form><p>Choose the cookies we may set.</p><input type="checkbox" name="c">'
            '<button name="c" value="save">Save</button><button name="c" value="all">All'
            "</button></form>",
            "Choose the cookies",
            True,
        ),
        (
            f"<form><p>Is this clear? {PROSE}</p>"
            '<button name="q" value="1">Yes</button><button name="q" value="0">No</button>'
            "</form>",
            "Is this clear?",
            True,
        ),
    ],
    ids=["yes-no-buttons", "submit-inputs", "one-button", "with-a-check-box", "long-text"],
)
def test_a_vote_widget_is_known_by_its_choices_whatever_its_class(
    form: str, words: str, kept: bool
) -> None:
    """Help centres ask "Was this helpful?" in a form of two submit buttons of one name,
    their class names hashed; a form of the policy's own (one button, check boxes, a
    paragraph to read) stays."""
    page = f'<body><div class="doc"><h1>Help</h1>{policy(3)}<div>{form}</div></div></body>'
    text = text_of(page)
    assert text.startswith("# Help\n") and "3. We collect" in text
    assert (words in text) is kept


@pytest.mark.parametrize(
    "page",
    [
        f'<body style="visibility: hidden"><h1>Privacy</h1>{policy(3)}</body>',
        (
            '<body><div class="page" style="visibility:hidden"><header><a href="/">Home</a>'
            f'</header><main><h1>Privacy</h1>{policy(3)}</main></div><p style="display:none">'
            "Loading</p></body>"
        ),
    ],
    ids=["body", "page-wrapper"],
)
def test_a_page_hidden_until_its_script_runs_is_read_as_shown(page: str) -> None:
    """Pages hide themselves until their fonts and scripts load (against a flash of
    unstyled content); the reader sees the page. The body hidden so crashed the reader."""
    text = text_of(page)
    assert text.startswith("# Privacy") and "1. We collect" in text
    assert "Home" not in text and "Loading" not in text


def test_a_consent_banner_outside_a_hidden_page_does_not_count_against_it() -> None:
    """Consent scripts add their banner at the end of ``<body>``, outside the wrapper
    that the page hides until its script runs: the banner's text is not the page's, and
    the page was read as empty when the banner held a fifth of all the text."""
    banner = (
        '<div role="dialog" aria-label="Cookie consent"><p>We and our partners use cookies '
        "and similar technologies to keep you signed in, to measure the audience of the "
        "site and to show you advertising that is relevant to you, on this site and on "
        f"others. You can change your mind at any time.</p>{CHOICES}</div>"
    )
    veiled = f'<div class="app" style="visibility: hidden"><h1>Reports</h1>{policy(2)}</div>'
    text = text_of(f"<body>{veiled}{banner}</body>")
    assert text.startswith("# Reports\n") and "2. We collect" in text
    assert "partners" not in text
    # A page that shows its text is not veiled, banner or not: what it hides stays hidden.
    shown = f'<div class="app"><h1>Reports</h1>{policy(2)}</div>'
    login = '<div style="display: none"><p>Sign in to see your reports.</p></div>'
    assert "Sign in" not in text_of(f"<body>{shown}{login}{banner}</body>")


def test_a_page_hidden_by_its_markup_is_empty() -> None:
    assert text_of(f"<body hidden><h1>Privacy</h1>{policy(3)}</body>") == ""


def test_the_title_banner_above_a_main_without_a_title_is_kept() -> None:
    nav = '<header><nav><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a></nav></header>'
    hero = '<div class="hero"><h1>Privacy Policy</h1><p>Last updated: 1 May 2025</p></div>'
    promo = '<div class="promo"><p>Our new app is out.</p></div>'
    text = text_of(f"<body>{nav}{promo}{hero}<main><h2>1. Scope</h2>{policy(8)}</main></body>")
    assert text.startswith("# Privacy Policy\n\nLast updated: 1 May 2025\n\n## 1. Scope\n")
    assert "Home" not in text and "new app" not in text
    # Only the block holding the page's title, and only when <main> has none.
    text = text_of(f"<body>{promo}<main><h1>Terms</h1>{policy(8)}</main></body>")
    assert "new app" not in text and text.startswith("# Terms\n")
    # A site logo linked home is not the page's title.
    logo = '<div class="logo"><h1><a href="/">Acme</a></h1></div>'
    text = text_of(f"<body>{logo}<main><h2>1. Scope</h2>{policy(8)}</main></body>")
    assert text.startswith("## 1. Scope\n")


@pytest.mark.parametrize(
    ("before", "kept"),
    [
        ('<div class="x1"><a href="/">Home</a> › <a href="/legal">Legal</a></div>', False),
        (
            '<div class="x1"><a href="/help">Help</a><img alt="Arrow" src="a.svg">'
            "<span>Privacy Policy</span></div>",
            False,
        ),
        ('<p class="x1">It replaces <a href="/old">our earlier notice</a>.</p>', True),
        ('<div class="x1"><a href="#scope">Scope</a> <a href="#data">Data</a></div>', True),
    ],
    ids=["links", "ending-with-this-page", "a-sentence", "contents"],
)
def test_the_breadcrumb_before_the_title_is_left_out(before: str, kept: bool) -> None:
    """Help centres put a trail of links over the title ("Help › Legal"), class names
    hashed and no <nav>: the site renames those pages with its menus. A sentence with a
    link, or the document's own contents, stays."""
    title = f'<div class="x2">{before}<h1>Privacy Policy</h1></div>'
    text = text_of(f'<body><div class="x3">{title}{policy(4)}</div></body>')
    assert text.startswith("# Privacy Policy\n") is not kept
    assert "4. We collect" in text


SITE_LINKS = (
    '<a href="/docs">Documentation</a> <a href="/p">Pricing</a> '
    '<a href="/sales">Contact Sales</a> <a href="/login">Get Started</a>'
)


SITE_HEADER = f'<header><a href="/">Acme</a><nav>{SITE_LINKS}</nav></header>'


@pytest.mark.parametrize(
    "top",
    [
        f'<div id="announcement-banner"><p>Acme is now Acme Labs. <a href="/blog">Read more'
        f"</a>.</p></div><nav>{SITE_LINKS}</nav>",
        f'<div class="k0">{SITE_HEADER}<div class="k9"><p>We have updated our <a href="/t">'
        "Terms</a>. By continuing to use Acme, you agree to them.</p></div></div>",
        f'<div class="k9"><p>Black Friday: 30% off all plans until Sunday.</p></div>{SITE_HEADER}',
    ],
    ids=["named", "beside-the-site-header", "before-the-site-header"],
)
def test_an_announcement_bar_over_the_page_is_left_out(top: str) -> None:
    """Sites announce sales, new names and updated terms in a bar over every page, and
    change it often: nothing before the site's header, or beside it in the block that
    holds it, is the document."""
    text = text_of(f'<body>{top}<div class="k1"><h1>Terms</h1>{policy(4)}</div></body>')
    assert text.startswith("# Terms\n") and "4. We collect" in text


BAR = '<div class="k9"><p>{words}</p></div>'


@pytest.mark.parametrize(
    ("words", "kept"),
    [
        ('Black Friday: 30% off. <a href="/pricing">See offers</a>', False),
        ('We have updated our terms. <a href="/changes">What changed</a>', False),
        (
            "Thank you for ordering from Green Fork! Our kitchen is closed at lunchtime from"
            ' 15 to 28 August. <br> For orders: <a href="mailto:orders@example.com">orders@'
            "example.com</a> or +33 1 23 45 67 89. If you have a food allergy or intolerance,"
            " please call the restaurant before you order.",
            False,
        ),
        ("Effective date: 1 May 2025", True),
        ('Read this with our <a href="/cookies">Cookie Policy</a>', True),
    ],
    ids=["promo-bar", "update-notice", "closing-notice", "date-line", "two-titles"],
)
def test_a_bar_over_a_page_without_a_site_header_is_left_out(words: str, kept: bool) -> None:
    """A page built by a script often has no site header to mark where the page's own
    bars end: a short notice with a link before the block that holds the page's one
    title is the page's, not the document's. A line without a link stays (it may be the
    policy's date), and so does a notice on a page with more than one title."""
    second = "<h1>Cookies</h1><p>We use cookies.</p>" if "Cookie Policy" in words else ""
    body = f'<div class="k1"><div class="k2"><h1>Terms</h1></div>{policy(4)}{second}</div>'
    text = text_of(f"<body>{BAR.format(words=words)}{body}</body>")
    assert (re.split(r"\s*<", words)[0] in text) is kept, text
    assert "4. We collect" in text and "# Terms" in text


@pytest.mark.parametrize(
    ("close", "kept"),
    [
        ('<i class="fas fa-times bar_brand_close"></i>', False),
        ('<a href="#" title="Fermer">×</a>', False),
        ('<span class="icon-star"></span>', True),
    ],
    ids=["close-icon", "labelled-link", "no-close-control"],
)
def test_a_bar_with_a_close_control_over_the_title_is_left_out(close: str, kept: bool) -> None:
    """A short block that the reader can close, with or without a link, is a bar over
    the page ("Our two brands join forces ×"); a line without such a control may be
    the policy's own and stays."""
    bar = f'<div class="k9"><p>Acme and Example join forces for you</p>{close}</div>'
    body = f'<div class="k1"><div class="k2"><h1>Terms</h1></div>{policy(4)}</div>'
    text = text_of(f"<body>{bar}{body}</body>")
    assert ("join forces" in text) is kept, text
    assert "# Terms" in text and "4. We collect" in text


@pytest.mark.parametrize(
    ("strip", "kept"),
    [
        ("<div>Acme</div><div>Acme Run</div><div>Acme Studio</div>", False),
        ("<span>How-to</span><span>•</span><span>Host</span>", False),
        ("<div>Legal</div><div>Last updated 1 May 2025</div><div>Acme</div>", True),
        ("<div>Acme</div><div>Acme Run</div>", True),
        ("<div>Acme</div><div>Studio</div><div>Read this first.</div>", True),
    ],
    ids=["brands", "article-kind", "date-line", "two-labels", "a-sentence"],
)
def test_a_strip_of_names_over_the_title_is_left_out(strip: str, kept: bool) -> None:
    """Over the title, a row of three names or more of at most two words each, with no
    link and no sentence (a small screen's copy of the site's logos, an article's kind
    and audience), is the page's. A date line, two labels or a sentence stay."""
    body = f'<div class="k1"><div class="k2"><h1>Terms</h1></div>{policy(4)}</div>'
    text = text_of(f'<body><div class="k9">{strip}</div>{body}</body>')
    assert ("Acme" in text or "How-to" in text) is kept, text
    assert "4. We collect" in text and "# Terms" in text


ITEMS = "".join(f'<div class="item--k3">{label}</div>' for label in ("Studio", "Code", "Research"))


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (f'<div class="headerWrap--HR7IA3TN"><div class="nav--k2">{ITEMS}</div></div>', False),
        (f'<div id="site-header"><span>Acme</span>{ITEMS}<button>Sign in</button></div>', False),
        ('<div class="header"><span>Last updated: 1 May 2025</span></div>', True),
        (f'<div class="header"><h2>Acme</h2>{ITEMS}</div>', True),
        (
            f'<div class="header">{ITEMS}<p>Please read these terms before you use Acme.</p></div>',
            True,
        ),
    ],
    ids=["hashed-module-name", "id", "date-line", "with-a-heading", "with-a-sentence"],
)
def test_a_site_header_known_only_by_its_name_is_left_out(header: str, kept: bool) -> None:
    """Script-built pages make the site's header of <div>s, its menu items buttons
    rather than links: a block named as a header that holds only a few short labels is
    the site's. One that holds a heading or a sentence may be the document's."""
    page = f'<body><div class="top">{header}</div><div class="k1"><div class="t">Terms</div>'
    text = text_of(f"{page}{policy(5)}</div></body>")
    assert ("Research" in text or "Last updated" in text) is kept, text
    assert "5. We collect" in text


def test_the_title_beside_the_site_header_is_kept() -> None:
    hero = '<div class="k2"><h1>Terms</h1><p>Last updated: 1 May 2025</p></div>'
    text = text_of(
        f'<body><div class="k0">{SITE_HEADER}{hero}</div><main>{policy(8)}</main></body>'
    )
    assert text.startswith("# Terms\n\nLast updated: 1 May 2025\n\n1. We collect")
    assert "Pricing" not in text


@pytest.mark.parametrize(
    ("bar_class", "bar_extra"),
    [
        # The site's bar inside the banner, named so (with a toggle button in it), or
        # an unnamed mobile menu that makes the banner mostly links.
        pytest.param("navbar fixed", '<button aria-expanded="false">Products</button>', id="named"),
        pytest.param("fixed h-screen", "", id="links"),
    ],
)
def test_the_sites_menu_in_a_title_banner_is_left_out(bar_class: str, bar_extra: str) -> None:
    # A redesign that moves the bar in or out of the banner is not a change either.
    menu = f'<div class="{bar_class}">{bar_extra}{SITE_LINKS}</div>'
    hero = f'<div class="hero">{menu}<div><h1>Legal</h1></div></div>'
    text = text_of(f"<body><div>{hero}<main><h2>Privacy</h2>{policy(8)}</main></div></body>")
    assert text.startswith("# Legal\n\n## Privacy\n")
    for gone in ("Contact Sales", "Products", "Pricing"):
        assert gone not in text


@pytest.mark.parametrize("landmark", ["main", "div"])
def test_a_link_list_between_the_title_and_the_document_is_passed_over(landmark: str) -> None:
    """A language switcher or links to the other policies under the title do not cut the
    title and its date off; a menu before the title still bounds the document."""
    menu = '<div id="menu"><a href="/">Home</a> <a href="/x">X</a> <a href="/y">Y</a></div>'
    title = '<div class="intro"><h1>Privacy Policy</h1><p>Last updated: 1 May 2025</p></div>'
    languages = (
        '<div class="languages"><a href="/fr/privacy">Français</a> '
        '<a href="/de/privacy">Deutsch</a> <a href="/es/privacy">Español</a></div>'
    )
    body = f'<div class="body"><h2>1. Scope</h2>{policy(8)}</div>'
    text = text_of(f"<body>{menu}<{landmark}>{title}{languages}{body}</{landmark}></body>")
    assert text.startswith("# Privacy Policy\n\nLast updated: 1 May 2025\n\n## 1. Scope\n")
    assert "Home" not in text and "Deutsch" not in text


def test_a_site_logo_in_an_h1_is_not_a_title_to_reach_past_a_menu() -> None:
    promo = '<div class="promo"><p>Free shipping on orders over 50 euros!</p></div>'
    logo = '<div class="logo"><h1><a href="/">Acme</a></h1></div>'
    links = (
        '<div class="links"><a href="/">Home</a> <a href="/x">Shop</a> <a href="/y">Blog</a></div>'
    )
    text = text_of(f"<body>{promo}{logo}{links}<div><h2>Privacy</h2>{policy(8)}</div></body>")
    assert text.startswith("## Privacy\n") and "Free shipping" not in text


def test_main_landmark_is_used_when_it_holds_most_text() -> None:
    html = f"""<body><div class="promo"><p>{PROSE}</p></div>
      <main><h1>Terms</h1>{policy()}</main></body>"""
    text = text_of(html)
    assert text.startswith("# Terms\n")
    assert text.count(PROSE) == 6


def test_a_document_repeated_outside_main_for_small_screens_is_read_once() -> None:
    """Responsive layouts render the document twice, one copy for each screen size, and
    CSS shows one: the copy in ``<main>`` is the document even with less than half the
    page's text, and the side menu beside it stays out."""
    article = f"<article><h1>Digital Services Act</h1>{policy(3)}</article>"
    side = '<div class="col"><button>Select a page</button><p>Legal pages</p></div>'
    html = (
        f'<body><div class="a1">{side}<main>{article}</main></div>'
        f'<div class="a2"><div class="col">{article}</div></div></body>'
    )
    text = text_of(html)
    assert text.count("Digital Services Act") == 1 and text.count("3. We collect") == 1
    assert "Legal pages" not in text


def test_a_menus_label_and_folded_wrapper_go_with_it() -> None:
    """A table of contents labelled from outside (``<h3 id>`` over ``<nav
    aria-labelledby>``), or folded in a ``<details>``, left its label behind: "Table of
    contents" read as the document's first section. A ``<details>`` with text of its own
    stays, and so does an ``<h1>`` that labels a menu."""
    toc = "<ul>" + "".join(f'<li><a href="#s{n}">Part {n}</a></li>' for n in range(5)) + "</ul>"
    side = f'<div><h3 id="toc">Table of contents</h3><nav aria-labelledby="toc">{toc}</nav></div>'
    folded = f"<details open><summary>Contents</summary><nav>{toc}</nav></details>"
    kept = f"<details><summary>Scope</summary><p>{PROSE}</p><nav>{toc}</nav></details>"
    section = f'<h2 id="p">Partners</h2><p>We share with:</p><nav aria-labelledby="p">{toc}</nav>'
    html = (
        f'<body>{side}<main><h1 id="t">Privacy</h1>{folded}{policy(3)}{kept}{section}'
        f'<nav aria-labelledby="t">{toc}</nav></main></body>'
    )
    text = text_of(html)
    assert "Table of contents" not in text and "Contents" not in text
    assert text.startswith("# Privacy") and "Scope" in text and "Part " not in text
    assert "## Partners\n\nWe share with:" in text


@pytest.mark.parametrize(
    ("wrapper", "label", "kept"),
    [
        ('<div class="sidebar"><div class="toc-header">ON THIS PAGE</div>'
         '<div><nav id="TableOfContents">{toc}</nav></div></div>', "ON THIS PAGE", False),
        ('<div class="note"><h3>Sur cette page</h3><nav>{toc}</nav></div>', "Sur cette page",
         False),
        ('<div class="meta"><span>Updated on 3 May</span><nav>{toc}</nav></div>',
         "Updated on 3 May", True),
        ('<div><p>We share data with these partners:</p><nav>{toc}</nav></div>',
         "We share data with these partners:", True),
        ('<div><span>See <a href="/all">all</a></span><nav>{toc}</nav></div>', "See all", True),
    ],
    ids=["a-label-in-a-div", "a-heading", "a-date", "a-sentence", "a-label-with-a-link"],
)  # fmt: skip
def test_a_menus_wrapper_left_with_only_its_label_goes_with_it(
    wrapper: str, label: str, kept: bool
) -> None:
    """A menu whose wrapper shows nothing else but a few words ("ON THIS PAGE" in a
    ``<div>`` over a table of contents) took its label along: without it, the label read
    as a line of the document. A date, a sentence or a link beside a menu stays."""
    toc = "<ul>" + "".join(f'<li><a href="#s{n}">Part {n}</a></li>' for n in range(5)) + "</ul>"
    block = wrapper.format(toc=toc)
    html = f"<body><main><h1>Terms</h1>{policy(2)}{block}{policy(2)}</main></body>"
    text = text_of(html)
    assert "Part " not in text and text.count(PROSE) == 4
    assert (label in text) is kept


def test_without_landmarks_the_dense_block_and_its_title_are_found() -> None:
    html = f"""<body><div class="top"><a href="/">Home</a> <a href="/x">Products</a>
      <a href="/y">Pricing</a></div>
      <div class="wrap"><div class="intro"><h1>Privacy Policy</h1><p>Effective 2 June 2025</p></div>
      <div class="body">{policy()}</div></div>
      <div class="end"><a href="/t">Terms</a> <a href="/p">Privacy</a> <a href="/c">Careers</a>
      <p>© 2025</p></div></body>"""
    text = text_of(html)
    assert text.startswith("# Privacy Policy\n\nEffective 2 June 2025\n\n1. ")
    assert text.rstrip().endswith(PROSE)


def test_a_list_or_table_is_never_the_whole_document() -> None:
    items = "".join(f"<li>{PROSE}</li>" for _ in range(8))
    html = f"""<body><div><h1>Terms</h1><p>Last updated today.</p>
      <p><b>Previous versions</b></p>
      <ul><li><a href="/v1">1 May</a></li><li><a href="/v2">2 June</a></li>
      <li><a href="/v3">3 July</a></li></ul><ol>{items}</ol></div></body>"""
    text = text_of(html)
    assert text.startswith("# Terms\n\nLast updated today.\n\n**Previous versions**\n\n- 1 May")


def test_growth_stops_at_navigation_but_not_at_one_link_or_in_page_anchors() -> None:
    html = f"""<body><div>
      <div class="menu-x"><a href="/1">One</a> <a href="/2">Two</a> <a href="/3">Three</a></div>
      <div><h1>Policy</h1></div>
      <div><a href="/policy.pdf">Download PDF</a></div>
      <div><a href="#s1">Scope</a> <a href="#s2">Data</a> <a href="#s3">Rights</a></div>
      <div class="text">{policy()}</div>
      <div><a href="/r1">Related one</a> <a href="/r2">Related two</a> <a href="/r3">Three</a></div>
      </div></body>"""
    text = text_of(html)
    assert text.startswith("# Policy\n\nScope Data Rights\n\n1. ")
    for gone in ("One", "Download PDF", "Related"):
        assert gone not in text


LANGUAGES = (
    '<a href="/cy/" hreflang="cy">Cymraeg</a> <a href="/gd/" hreflang="gd">Gàidhlig</a>',
    '<ul><li><a href="/fr/"><span lang="fr">Français</span></a></li></ul>',
)


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        (f"<div><span>Change language:</span>{LANGUAGES[0]}</div>", False),
        (f"<div>This page is also available in: {LANGUAGES[1]}</div>", False),
        (
            f'<div><p>{PROSE} Ask us for it in <a href="/fr/" lang="fr">Français</a>.</p></div>',
            True,
        ),
        ('<div>Change language: <a href="/cy/">Cymraeg</a></div>', True),
    ],
    ids=["hreflang-and-label", "lang-on-the-words", "in-a-sentence", "language-unmarked"],
)
def test_a_language_switcher_after_the_document_is_left_out(after: str, kept: bool) -> None:
    # One or two links are not a menu by count, but links that name their language
    # (as the W3C asks of a switcher) lead to translations: the site's, not the text.
    html = f'<body><div class="doc"><h1>Terms</h1>{policy()}</div>{after}</body>'
    text = text_of(html)
    assert text.startswith("# Terms\n")
    assert (re.search("Cymraeg|Français", text) is not None) is kept


@pytest.mark.parametrize(
    ("where", "links", "kept"),
    [
        ("inside", '<a href="/fr/">Français</a> | <a href="/de/">Deutsch (Schweiz)</a>', False),
        ("inside", '<ul><li><a href="/fr/">Français</a></li><li><a href="/es/">Español</a></li>'
         "</ul>", False),
        ("inside", '<a href="/x" hreflang="cy">Cymraeg</a> <a href="/y" hreflang="fr">FR</a>',
         False),
        ("inside", '<a href="/privacy?lang=fr">FR</a> · <a href="/privacy?lang=de">DE</a>', False),
        ("bare", '<a href="/fr/privacy">Français</a> | <a href="/it/privacy">Italiano</a>', False),
        ("by-the-title", '<a href="/fr/" hreflang="fr">Français</a>', False),
        ("inside", '<a href="/fr/">\U0001f1eb\U0001f1f7 Français</a> <a href="/ja/">日本語</a>',
         False),
        ("inside", '<a href="/fr/">Français</a>', True),
        ("inside", '<a href="/fr/">Français</a> | <a href="/contact">Contact</a>', True),
        ("inside", '<a href="/eu">EU</a> | <a href="/us">US data</a>', True),
        ("inside", '<a href="/a">AB</a> | <a href="/b">CD</a>', True),
        ("inside", '<a href="/us">US</a> | <a href="/ai">AI</a>', True),
    ],
    ids=[
        "names", "names-in-a-list", "hreflang-and-code", "codes-in-addresses", "end-of-bare-page",
        "in-the-title-block", "with-a-flag",
        "one-name", "with-another-link", "regions", "codes-elsewhere", "codes-of-no-language",
    ],
)  # fmt: skip
def test_a_language_switcher_inside_the_document_is_left_out(
    where: str, links: str, kept: bool
) -> None:
    # Translations coming and going are the site's news: "Italiano" added to the list
    # under a policy would otherwise be a change of the policy.
    switcher = f"<p>{links}</p>"
    if where == "bare":
        html = f"<body><h1>Terms</h1>{policy()}{switcher}</body>"
    elif where == "by-the-title":
        html = f"<body><main><div><h1>Terms</h1>{switcher}</div>{policy()}</main></body>"
    else:
        html = f"<body><main><article><h1>Terms</h1>{switcher}{policy()}</article></main></body>"
    text = text_of(html)
    assert text.startswith("# Terms\n")
    words = re.sub(r"<[^>]+>", " ", links).split()
    assert all((word in text) is kept for word in words if word not in ("|", "·")), text[:200]


def test_layout_names_bound_the_document_but_not_its_own_headings() -> None:
    html = f"""<body><div class="site-header"><p>Example Co</p><p>Welcome back</p></div>
      <div class="doc"><h1>Terms</h1>
      <div class="section_nav_header">Contracting entity</div>{policy()}</div>
      <div class="site-footer"><p>Example Co Ltd, 1 Road, Town</p></div></body>"""
    text = text_of(html)
    assert text.startswith("# Terms\n\nContracting entity\n\n1. ")
    assert "Example Co" not in text


def test_a_layout_name_with_its_wrapper_word_glued_on_bounds_the_document() -> None:
    # Site builders name a footer "footerwrapper"; with no links, only its name says
    # that its app pitch is not the document's last paragraph.
    pitch = '<section class="footerwrapper"><p>Get our app for free on your phone.</p></section>'
    html = f'<body><div class="doc"><h1>Terms</h1>{policy()}</div>{pitch}</body>'
    text = text_of(html)
    assert text.startswith("# Terms\n") and "Get our app" not in text


def test_nothing_after_the_page_footer_is_the_document() -> None:
    # The footer is dropped as chrome, yet still ends the document: after it, scripts
    # insert widgets and probes (a font test of one word repeated, test strings).
    footer = '<footer><a href="/a">About</a> <a href="/b">Blog</a> <a href="/c">Jobs</a></footer>'
    probe = "<div>" + "word " * 60 + "</div><br><span>mmMwWLliI0fiflO&amp;1</span>"
    html = f'<body><div class="doc"><h1>Terms</h1>{policy()}</div>{footer}{probe}</body>'
    text = text_of(html)
    assert text.startswith("# Terms\n") and text.rstrip().endswith(PROSE)
    assert "word word" not in text and "mmMw" not in text and "About" not in text


def hashed_menu(heading: str, links: list[str]) -> str:
    """A block of links to other sections of the site, class names hashed."""
    cards = "".join(
        f'<a class="_9x1" href="/{slug}/"><h6 class="_9x2">{slug.title()}</h6>'
        f'<p class="_9x3">All about {slug}.</p></a>'
        for slug in links
    )
    return f'<div class="_9n1"><h2 class="_9x4">{heading}</h2><div class="_9x5">{cards}</div></div>'


@pytest.mark.parametrize(
    ("ending", "kept"),
    [
        (hashed_menu("Policies", ["standards", "improving", "enforcement"]), False),
        (hashed_menu("Reports", ["report-2024", "report-2025", "report-2026"]), True),
    ],
    ids=["footer-repeating-the-menu", "links-of-its-own"],
)
def test_the_sites_menus_at_the_edges_of_a_whole_page_core_are_left_out(
    ending: str, kept: bool
) -> None:
    """Class names hashed, no <nav> or <footer>: the menu before the block holding the
    page's <h1> is the site's, and so is a link list at the end that goes to the same
    pages; a link list that goes elsewhere (the document's list of reports) stays."""
    page = (
        '<body><div class="_li">'
        + hashed_menu("Transparency", ["standards", "improving", "enforcement"])
        + f'<section class="_9p1"><h1>Privacy violations</h1>{policy(4)}</section>'
        + f"<section><p>How we review reports, step by step.</p>{policy(3)}</section>"
        + ending
        + "</div></body>"
    )
    text = text_of(page)
    assert text.startswith("# Privacy violations\n") and "3. We collect" in text
    assert ("Report-2025" in text) is kept
    assert "All about standards" not in text


SHARES = (
    '<a href="https://twitter.com/intent/tweet?url=https%3A%2F%2Facme.example%2Fprivacy">'
    'Post</a> <a href="https://www.facebook.com/sharer/sharer.php?u=x">Facebook</a> '
    '<a href="https://www.linkedin.com/sharing/share-offsite/?url=x">LinkedIn</a> '
    '<a href="mailto:?subject=Privacy%20Policy">Email</a>'
)


def test_related_articles_in_a_help_centre_article_are_not_its_text() -> None:
    """A help centre's article ends with "Related Articles" that change from one fetch to
    the next (Intercom puts them inside the ``<article>``): they are the site's."""

    def page(related: tuple[str, ...]) -> str:
        cards = "".join(
            f'<a href="/en/articles/{n}">{title}</a>' for n, title in enumerate(related)
        )
        return (
            f"<body><main><article><h1>Law enforcement requests</h1>{policy(4)}"
            '<section class="jsx-1a2b related_articles"><hr><div class="text-xl">Related'
            f" Articles</div><section>{cards}</section></section></article></main></body>"
        )

    first = text_of(page(("Exceptions to our Usage Policy", "Online Safety Contacts")))
    second = text_of(page(("Tenant Restrictions", "Online Safety Contacts", "Invite rules")))
    assert first == second
    assert "4. We collect" in first and "Related" not in first


@pytest.mark.parametrize(
    ("block", "kept"),
    [
        (f'<div class="q1w2"><div class="q3">{SHARES}</div></div>', False),
        (
            '<p>Follow us on <a href="https://twitter.com/acme">X</a> and '
            '<a href="https://www.facebook.com/acme">Facebook</a>.</p>',
            True,
        ),
        (
            '<p>Write to <a href="mailto:privacy@acme.example">privacy@acme.example</a> or '
            '<a href="mailto:dpo@acme.example?subject=Request">our DPO</a>.</p>',
            True,
        ),
    ],
    ids=["share-links", "profiles", "addresses"],
)
def test_share_links_are_known_by_where_they_go(block: str, kept: bool) -> None:
    """A row of share buttons under the title, class names hashed, is the site's: its
    links go to the networks' share forms, or to an e-mail without an address. Links to
    the company's own profiles, and its addresses, are the policy's."""
    text = text_of(f'<body><div class="x1"><h1>Privacy</h1>{block}{policy(4)}</div></body>')
    first = re.sub(r"<[^>]+>", "", block).split()[0]
    assert (first in text) is kept and "4. We collect" in text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", '<a class="headerlink" href="#{id}" title="Permalink">\u00b6</a>'),
        ('<a aria-hidden="true" class="anchor" href="#{id}">#</a> ', ""),
        ("", ' <a href="#{id}" aria-label="Link to this section">\U0001f517\ufe0f</a>'),
        ("", '<a class="hash-link" href="#{id}">\u200b</a>'),
    ],
    ids=["pilcrow", "hash-before", "link-emoji", "zero-width"],
)
def test_links_to_a_heading_itself_are_not_its_words(before: str, after: str) -> None:
    """The symbol that a site puts beside each heading to give its address (shown on
    hover) is not part of the title: a site that turns them on changes every heading's
    markup, not its words."""
    heads = ("Data we collect", "Sharing", "Your rights")

    def page(links: bool) -> str:
        body = "".join(
            f'<h2 id="h{i}">{before.format(id=f"h{i}") if links else ""}{title}'
            f"{after.format(id=f'h{i}') if links else ''}</h2>{policy(2)}"
            for i, title in enumerate(heads)
        )
        return f"<body><main><h1>Privacy</h1>{body}</main></body>"

    assert text_of(page(links=True)) == text_of(page(links=False))
    assert "## Sharing\n" in text_of(page(links=True))


def test_an_articles_byline_is_left_out_and_its_date_line_kept() -> None:
    # Help centres print who wrote an article, when ("Updated 3 days ago") and a button
    # to follow it under its title; the policy's own date line is the document's.
    def page(days: int) -> str:
        byline = (
            '<div class="article-author"><a href="/u/1">Legal Team</a>'
            f'<ul class="article-meta"><li>Updated {days} days ago</li></ul></div>'
            '<a class="article-subscribe button" href="/follow">Follow</a>'
        )
        header = f'<header class="article-header"><h1>Privacy</h1>{byline}</header>'
        body = f'<div class="article-body"><p>Last updated: 3 March 2025</p>{policy(3)}</div>'
        return f"<body><main><article>{header}{body}</article></main></body>"

    text = text_of(page(2))
    assert text.startswith("# Privacy\n\nLast updated: 3 March 2025\n")
    assert not re.search("Legal Team|days ago|Follow", text)
    assert text == text_of(page(3))


@pytest.mark.parametrize(
    ("back", "kept"),
    [
        ('<a href="#ref-1" class="footnote-backref">\u21a9\ufe0e</a>', False),
        ('<a href="#ref-1">^</a>', False),
        ('<a href="#ref-1">\u21a9 back</a>', True),
        ('<a href="#ref-1">see 1</a>', True),
    ],
    ids=["return-arrow", "caret", "arrow-and-words", "words"],
)
def test_a_footnotes_link_back_to_its_citation_is_dropped(back: str, kept: bool) -> None:
    # Markdown renderers add "↩︎" after each footnote; a site that changes renderer
    # changes no word of its policy.
    def page(after: str) -> str:
        cited = '<p>We keep logs.<sup><a href="#fn-1" id="ref-1">1</a></sup></p>'
        notes = f'<ol class="footnotes"><li id="fn-1">For 30 days. {after}</li></ol>'
        return f"<body><main><h1>Privacy</h1>{cited}{policy(3)}{notes}</main></body>"

    text = text_of(page(back))
    assert "We keep logs.1" in text
    assert (text == text_of(page(""))) is not kept


@pytest.mark.parametrize(
    ("after_section", "kept"),
    [
        ('<p><a href="#top">Back to top \u2191</a></p>', False),
        ('<a href="#doc" class="k2">Retour</a><hr>', False),
        ('<p class="up"><a href="#sec-{n}">Revenir en haut</a></p>', False),
        ('<p>See <a href="#sec-{n}">the start of this section</a> for details.</p>', True),
        ('<p><a href="#sec-{m}">Next: section {m}</a></p>', True),
        ('<a href="#" class="s1" title="Back to top">\u2191</a>', False),
        ('<p><a href="#">\u2191 Up</a></p>', True),
    ],
    ids=[
        "to-top",
        "to-the-document",
        "to-its-section",
        "in-a-sentence",
        "down-the-page",
        "arrow-to-nowhere",
        "words-to-nowhere",
    ],
)
def test_links_back_up_the_page_are_dropped(after_section: str, kept: bool) -> None:
    """A "Back to top" link after each section is the page's navigation, known by where
    it goes (the top, or a block it stands in); a link in a sentence, or one down the
    page, is the document's."""
    sections = "".join(
        f'<section id="sec-{n}"><h2>Part {n}</h2>{policy(2)}'
        f"{after_section.format(n=n, m=n + 1)}</section>"
        for n in range(1, 4)
    )
    text = text_of(f'<body><main id="doc"><h1>Privacy</h1>{sections}</main></body>')
    words = re.sub(r"<[^>]+>", "", after_section.format(n=1, m=2)).split()
    assert (" ".join(words[:2]) in text) is kept
    assert "## Part 3\n" in text and "2. We collect" in text


@pytest.mark.parametrize("arrow", ["\u2191", "\u25b2", "^"], ids=["arrow", "triangle", "caret"])
def test_a_floating_top_button_after_a_bare_page_is_dropped(arrow: str) -> None:
    """A page whose policy is the whole ``<body>`` takes in whatever a site appends to
    it: a floating button back to the top showing only an arrow is not the document's
    last line."""
    bare = f"<body><h1>Privacy</h1>{policy(4)}"
    button = f'<a href="#" class="scroll-top" title="Back to top">{arrow}</a>'
    assert text_of(f"{bare}{button}</body>") == text_of(f"{bare}</body>")
    assert "4. We collect" in text_of(f"{bare}{button}</body>")


@pytest.mark.parametrize(
    "heading",
    [
        '<h2 id="h{n}"><a href="#h{n}">Title {n}</a></h2>',
        '<h2 id="h{n}"><span class="num">{n}.</span> <a href="#h{n}">Title {n}</a></h2>',
        '<h2 id="h{n}"><a href="#h{n}">Title {n}</a><a href="#h{n}">\u00b6</a></h2>',
    ],
    ids=["its-title", "its-number", "title-and-pilcrow"],
)
def test_a_heading_that_links_to_itself_keeps_its_title(heading: str) -> None:
    """A heading whose title or number is a link to itself (to copy its address) keeps
    them: that link is not one back up the page."""
    heads = "".join(heading.format(n=n) + policy(2) for n in range(1, 4))
    text = text_of(f"<body><main><h1>Privacy</h1>{heads}</main></body>")
    assert re.search(r"^## (3\. )?Title 3$", text, re.M)
    assert ("## 3. Title 3" in text) is ("{n}." in heading)


@pytest.mark.parametrize(
    "link",
    [
        '<a href="#s3">\u00a7 3</a>',
        '<a href="#s3">\u00a7</a> 3',
        '<a href="#fn1">*</a>',
        '<a href="/faq">#</a>',
    ],
    ids=["section-number", "section-sign-in-a-sentence", "footnote-mark", "link-elsewhere"],
)
def test_symbols_that_say_something_stay(link: str) -> None:
    """A section sign with its number or in a sentence, a footnote's mark and a link to
    another page are the document's, whatever they show."""
    text = text_of(
        f"<body><main><h1>Privacy</h1><p>As set out in {link} below.</p>{policy(4)}</main></body>"
    )
    assert re.sub(r"<[^>]+>", "", link) in text


@pytest.mark.parametrize(
    ("control", "kept"),
    [
        ('<p class="e1"><a href="#" role="button">Expand all</a></p>', False),
        ('<div><a href="javascript:void(0)" role="button">Show all sections</a></div>', False),
        ('<p><a href="javascript:window.print()">Print this page</a></p>', False),
        ('<p><a href="#" class="e2">Expand all</a></p>', True),
        ('<p><a href="#part-1" role="button">Expand all</a></p>', True),
        ('<p><a role="button">Expand all</a></p>', True),
        ('<p>To see every part, <a href="#" role="button">expand all</a> of them.</p>', True),
        ('<div><a href="javascript:void(0)" aria-expanded="true">Data we keep</a></div>', True),
        ('<p><a href="#" role="button" data-bs-toggle="collapse">Data we keep</a></p>', True),
    ],
    ids=[
        "to-nowhere",
        "javascript",
        "javascript-without-role",
        "to-nowhere-without-role",
        "to-a-place",
        "no-address",
        "in-a-sentence",
        "an-accordion-title",
        "a-collapse-toggle",
    ],
)
def test_links_that_work_the_script_are_dropped(control: str, kept: bool) -> None:
    """A link standing alone that goes to a script (``javascript:``), or that says it is
    a button (``role="button"``) and goes nowhere, works the page ("Expand all" over an
    accordion): not the policy's words. A link to nowhere without the role (menus use
    them too), one with a place to go (an accordion's title), one without an address
    (some pages' "View summary"), one that opens a block (an accordion's title again)
    and one in a sentence stay."""
    page = (
        f"<body><main><h1>Privacy</h1>{control}"
        f'<h2 id="part-1">Part 1</h2>{policy(3)}<h2>Part 2</h2>{policy(2)}</main></body>'
    )
    text = text_of(page)
    label = re.findall(r">([^<]+)</a>", control)[0]
    assert (label in text) is kept
    assert "## Part 2\n" in text and "3. We collect" in text


@pytest.mark.parametrize(
    ("heading", "text"),
    [
        ('<h2>Sharing<a href="javascript:print()" title="Print">Print</a></h2>', "## Sharing"),
        ('<h2>Sharing <a href="#" role="button">Show</a></h2>', "## Sharing"),
        ('<h2>1. <a href="javascript:void(0)">How we share</a></h2>', "## 1. How we share"),
        ('<h2><a href="javascript:void(0)">Sharing</a></h2>', "## Sharing"),
        ('<h2><a href="javascript:void(0)">Go</a> further</h2>', "## Go further"),
    ],
    ids=["print-after-the-title", "show-after-the-title", "the-title-after-its-number",
         "the-whole-title", "the-title-first"],
)  # fmt: skip
def test_a_scripts_link_that_ends_a_heading_after_its_title_is_dropped(
    heading: str, text: str
) -> None:
    # Help centres put "Print" in the article's title; an accordion's title is a
    # script's link too, and stays whole.
    page = f"<body><main><h1>Privacy</h1>{heading}{policy(3)}</main></body>"
    assert f"\n{text}\n" in text_of(page)


@pytest.mark.parametrize(
    ("block", "kept"),
    [
        (
            '<div class="r5"><p>Was this page helpful?</p><div><button type="button">Yes'
            '</button><button type="button">No</button></div></div>',
            False,
        ),
        (
            '<div class="r6"><p>Questions? <a href="/contact">Write to us</a>.</p>'
            '<button type="button">Print</button><button type="button">Save</button></div>',
            True,
        ),
        (
            '<div class="r7"><p>Want the full text of the earlier version?</p><button '
            'aria-expanded="false">Show it</button><button aria-controls="v1">Hide</button>'
            "</div>",
            True,
        ),
        (
            '<fieldset class="r8"><legend><h2><span>Was this helpful?</span></h2><div '
            'aria-label="Dismiss" role="button" tabindex="0"><i></i></div></legend><div '
            'role="button" aria-label="Yes"><span>Yes</span></div><div role="button" '
            'aria-label="No"><span>No</span></div></fieldset>',
            False,
        ),
        (
            '<div class="r11"><p>Was this page helpful?</p><button role="button">Yes</button>'
            '<button role="button">No</button></div>',
            False,
        ),
        (
            '<div class="r9"><p>Need the short version?</p><div role="button" '
            'aria-expanded="false">Open</div><div role="button" aria-controls="s1">Close'
            "</div></div>",
            True,
        ),
        (
            '<div class="r10"><p>Did you know we publish a summary?</p><a role="button" '
            'href="/summary">Read</a><a role="button" href="/faq">FAQ</a></div>',
            True,
        ),
        (
            '<div class="r12"><p>Was this information helpful?</p><span><input type="submit">'
            '<span aria-hidden="true">Yes</span></span><span><input type="submit"><span '
            'aria-hidden="true">No</span></span><input type="hidden" name="qid"></div>',
            False,
        ),
        (
            '<div class="r13"><p>Which version would you like?</p><input type="submit" '
            'value="Short"><input type="text" name="email"></div>',
            True,
        ),
    ],
    ids=[
        "yes-no",
        "with-a-link",
        "toggles",
        "role-buttons",
        "buttons-that-say-so",
        "role-button-toggles",
        "role-button-links",
        "input-buttons",
        "an-input-button-and-a-field",
    ],
)
def test_a_vote_widget_without_a_form_is_known_by_its_buttons(block: str, kept: bool) -> None:
    """Help centres ask "Was this page helpful?" with buttons a script listens to, no
    form around them: a question and a few short buttons, nothing else."""
    text = text_of(f"<body><main><h1>Terms</h1>{policy(4)}{block}</main></body>")
    first = re.sub(r"<[^>]+>", "", block).split()[0]
    assert (first in text) is kept and "4. We collect" in text


SIGNUP = (
    '<form action="/subscribe" method="post"><p>Our news every month.</p>'
    '<input type="email" name="email" placeholder="Your e-mail"><button>Subscribe</button></form>'
)


@pytest.mark.parametrize(
    ("block", "gone", "kept"),
    [
        pytest.param(SIGNUP, "Our news", "", id="sign-up"),
        pytest.param(
            f'<div class="x5"><h5>Stay updated</h5><div class="x6">{SIGNUP}</div></div>',
            "Stay updated",
            "",
            id="sign-up-under-its-title",
        ),
        pytest.param(
            '<form><p>Our news.</p><input name="newsletter_email" type="text"><input '
            'type="checkbox" name="agree"> I agree<input type="submit" value="Go"></form>',
            "Our news",
            "",
            id="field-named-email-and-a-consent-box",
        ),
        pytest.param(
            f"<div><h2>Updates</h2><p>We may change this policy; subscribe to hear of it.</p>"
            f"{SIGNUP}</div>",
            "Our news",
            "We may change this policy",
            id="a-policy-paragraph-beside-it-stays",
        ),
        pytest.param(
            '<form><p>Sign in.</p><input type="email" name="email"><input type="password" '
            'name="pw"><button>Sign in</button></form>',
            "",
            "Sign in.",
            id="log-in-form-is-not-one",
        ),
        pytest.param(
            '<form><p>Your request.</p><input type="email" name="email"><textarea '
            'name="message"></textarea><button>Send</button></form>',
            "",
            "Your request.",
            id="contact-form-is-not-one",
        ),
    ],
)
def test_a_newsletter_sign_up_inside_the_document_is_known_by_its_one_field(
    block: str, gone: str, kept: str
) -> None:
    """A sign-up to news by e-mail inside ``<main>``, however it is named, is not the
    document; nor is its title. A policy's own paragraph beside it stays, and forms
    that ask more than an address are not sign-ups (the region decides about those)."""
    text = text_of(f"<body><main><h1>Terms</h1>{policy(4)}{block}</main></body>")
    assert "4. We collect" in text
    assert not gone or gone not in text
    assert kept in text


OFFER = (
    '<section class="k7"><div class="k8"><article class="k9"><h2>Start your journey</h2>'
    "<p>Join thousands of readers who get our product news, new releases and member offers"
    ' first.</p><form><input type="email" name="email"><button>Join</button></form>'
    "<p>By joining you agree to receive marketing e-mails. Leave at any time.</p>"
    '<p><a href="/privacy">Read our privacy policy</a></p></article>'
    '<article class="k10 hidden"><p>Thanks for joining!</p></article></div></section>'
)
LEGAL_LINKS = "".join(
    f'<li><a href="/legal/{n}">{n.title()} terms</a></li>' for n in ("sale", "use", "api")
)
SHOP_MENU = "".join(f'<a href="/shop/{n}">Products for your home, line {n}</a>' for n in range(8))
SHOP_FOOTER = "".join(
    f'<p><a href="/about/{n}">About us {n}</a> and our shops</p>' for n in range(6)
)


@pytest.mark.parametrize(
    ("page", "gone", "kept"),
    [
        pytest.param(
            f'<body><div class="shell"><header><nav>{SHOP_MENU}</nav></header><section class="s1">'
            f'<div class="doc"><h1>Legal notice</h1>{policy(3)}</div><ul class="side">'
            f"{LEGAL_LINKS}</ul></section>{OFFER}<footer>{SHOP_FOOTER}</footer></div></body>",
            ("Start your journey", "Join thousands", "By joining", "Thanks", "Sale terms"),
            "3. We collect",
            id="offer-beside-the-document-and-its-side-list",
        ),
        pytest.param(
            f"<body><main><h1>Terms</h1>{policy(3)}{OFFER}</main></body>",
            ("Join</button>",),
            "Join thousands",
            id="offer-beside-the-title-itself-is-inside-the-document",
        ),
        pytest.param(
            f'<body><div class="doc"><header><h1>Terms</h1></header>{policy(4)}</div>'
            f"{OFFER.replace('<p><a', '<p><a href=/x>X</a> <a href=/y>Y</a> <a')}</body>",
            (),
            "Join thousands",
            id="a-block-with-more-links-is-not-an-offer",
        ),
    ],
)
def test_a_newsletter_offer_in_a_panel_beside_the_document_goes_whole(
    page: str, gone: tuple[str, ...], kept: str
) -> None:
    """A newsletter sign-up in a panel of its own beside the block that holds the page's
    ``<h1>`` (a title, a pitch, the form, a consent line, a thanks a script shows) is the
    site's offer: it goes whole, and once it is gone the document's block stands out.
    Beside the ``<h1>`` itself, the pitch is the document's (only the form goes); a
    block with links of its own is not a sign-up panel."""
    text = text_of(page)
    assert kept in text and "3. We collect" in text
    for words in gone:
        assert words not in text


def test_a_chat_widget_after_a_page_without_a_footer_is_not_the_document() -> None:
    bubble = (
        '<div id="chat-widget-container"><div class="chat-bubble"><p>Hi! Questions? We are'
        ' here to help.</p><button type="button">Chat with us</button></div></div>'
    )
    section = "<section id='live-chat'><h2>Live chat</h2><p>We keep chat logs 90 days.</p>"
    text = text_of(f"<body><h1>Privacy</h1>{policy(4)}{section}</section>{bubble}</body>")
    assert "We keep chat logs 90 days." in text and "Questions?" not in text


@pytest.mark.parametrize(
    ("widget", "kept"),
    [
        ('<div class="feedback-tab"><a href="/feedback">Feedback</a></div>', ""),
        ('<a href="#" class="t7">Consent Preferences</a>', ""),
        (
            '<a href="#" class="t7">Consent Preferences</a><div role="dialog" aria-label='
            '"Cookies"><p>We use cookies.</p><button>Accept all</button></div>',
            "",
        ),
        ('<p>Questions? <a href="#" class="t7">Write to us</a></p>', "Write to us"),
        ('<p><a href="/contact">Contact us</a></p>', "Contact us"),
    ],
    ids=["feedback-tab", "link-to-nowhere", "before-a-banner", "in-a-sentence", "a-real-link"],
)
def test_what_a_site_floats_after_a_bare_page_is_not_the_document(widget: str, kept: str) -> None:
    """A page whose policy is the whole ``<body>`` reads whatever a site appends to it
    as its last line: a feedback tab, named so, and a link that goes nowhere (a script
    opens consent preferences from it) that the page shows last are the site's. A link
    in a sentence and a link to another page stay: a policy may end with them."""
    bare = f"<body><h1>Privacy</h1>{policy(4)}"
    text = text_of(f"{bare}{widget}</body>")
    assert text.startswith("# Privacy\n") and f"4. {PROSE}" in text
    if kept:
        assert kept in text
    else:
        assert text == text_of(f"{bare}</body>")


def test_the_last_of_links_to_nowhere_after_every_section_stays() -> None:
    """A "Back to top" to ``#`` after every section is the document's line each time:
    the last one, which ends the page, too, or a widget appended after it would bring
    it back."""
    sections = "".join(
        f'<h2>Part {n}</h2>{policy(2)}<p><a href="#">Back to top</a></p>' for n in (1, 2, 3)
    )
    text = text_of(f"<body><h1>Privacy</h1>{sections}</body>")
    assert text.count("Back to top") == 3


def test_a_link_to_nowhere_that_something_follows_stays() -> None:
    """A link to ``#`` with text after it (an accordion's title over its panel, a
    menu's entry) is no floating widget: only the one the page shows last is."""
    page = (
        '<body><h1>Privacy</h1><p><a href="#" class="t8">Data we keep</a></p>'
        f'<div class="panel">{policy(3)}</div></body>'
    )
    assert "Data we keep" in text_of(page)


def test_nothing_after_a_site_footer_wrapped_in_blocks_is_the_document() -> None:
    """A footer that a page builder wraps in blocks of its own still ends the document:
    a notification badge or a widget after it is not the policy's last line."""
    footer = "".join(f'<a href="/{slug}">{slug.title()}</a> ' for slug in ("about", "help", "jobs"))
    page = (
        f'<body><div class="app"><div class="content"><article><h1>Privacy</h1>{policy(4)}'
        f'</article></div><div id="footer-scene"><div class="to-hydrate"><footer>{footer}'
        "</footer></div></div></div>"
        '<div id="push"><div class="count">1</div><div>New messages for you</div></div></body>'
    )
    text = text_of(page)
    assert text.endswith(f"4. {PROSE}\n") and "New messages" not in text


def tabbed(labels: str, panes: int = 3) -> str:
    """A legal notice in tabs: a list of labels, then panes of which the first shows."""
    shown = f'<div class="tab"><h2>Privacy</h2>{policy(4)}</div>'
    others = "".join(
        f'<div class="tab" style="display: none"><h2>Notice {n}</h2><p>{PROSE}</p></div>'
        for n in range(2, panes + 1)
    )
    return (
        f'<body><main><h1>Legal notices</h1><div class="full"><section class="menu"><ul>'
        f'{labels}</ul></section></div><div id="tabs">{shown}{others}</div></main></body>'
    )


@pytest.mark.parametrize(
    ("labels", "kept"),
    [
        pytest.param("<li>Privacy</li><li>Publisher</li><li>Copyright</li>", False, id="tabs"),
        pytest.param(
            "<li><a href='#p'>Privacy</a></li><li>Publisher</li><li>Copyright</li>",
            True,
            id="a-link-among-them",
        ),
        pytest.param("<li>Privacy</li><li>Publisher</li>", True, id="fewer-labels-than-panes"),
    ],
)
def test_the_labels_of_tabs_a_script_switches_are_not_the_document(labels: str, kept: bool) -> None:
    """A list with one short label per pane, right before panes all hidden but one, is
    the script's tab strip: a new tab's label is not a change of the policy."""
    text = text_of(tabbed(labels))
    assert ("Publisher" in text) is kept
    assert "## Privacy" in text and "4. We collect" in text and "Notice 2" not in text


def test_the_name_of_a_menu_before_the_title_goes_with_it() -> None:
    """Legal centres list their documents over the title, under a bold name
    ("Documents"); the name is the menu's, not the first line of the policy."""
    documents = "".join(
        f'<li><p><a href="/{slug}">{slug.title()} policy</a></p></li>'
        for slug in ("terms", "cookies", "content", "copyright")
    )
    page = (
        f'<body><div class="page"><div class="body"><p><strong>Documents</strong></p>'
        f"<ul>{documents}</ul><h1>Privacy Policy</h1><p><strong>Summary</strong></p>"
        f"{policy(6)}</div></div></body>"
    )
    text = text_of(page)
    assert text.startswith("# Privacy Policy\n\n**Summary**\n") and "6. We collect" in text


def test_a_form_to_fill_bounds_the_document_and_a_policys_own_choices_stay() -> None:
    """A contact form or a newsletter sign-up after the policy is the site's: a block
    holding a field the reader types into ends the document, as a menu does. A block
    of check boxes (the policy's own cookie choices) is the document's."""
    contact = (
        '<section class="contact"><h2>Reach out to sales</h2><p>Fill out the form and '
        "we will get back to you.</p><form><label>Name:</label><input name=n>"
        "<label>Message:</label><textarea></textarea><p>Thank you! We got it.</p>"
        "</form></section>"
    )
    choices = (
        '<div><h2>Your choices</h2><form><label><input type="checkbox"> Analytics '
        'cookies</label><input type="hidden" name="t" value="x"></form></div>'
    )
    html = f'<body><div class="doc"><h1>Privacy</h1>{policy()}</div>{choices}{contact}</body>'
    text = text_of(html)
    assert "## Your choices\n\nAnalytics cookies" in text
    for gone in ("Reach out", "Name:", "Thank you"):
        assert gone not in text


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        (
            '<div class="k2"><div>Get help with your bookings, your account and more.</div>'
            '<a href="/login?redirect_url=/help/7">Log in or sign up</a></div>',
            False,
        ),
        ('<div class="k2"><a href="/signin">Sign in</a> to save your choices.</div>', False),
        (
            '<div class="k2"><p>Questions about these terms? <a href="/contact">Write to us'
            "</a>.</p></div>",
            True,
        ),
        (
            '<div class="k2"><p>Change your choices at any time. <a href="/login">Log in</a>'
            ' or read our <a href="/cookies">Cookie Policy</a>.</p></div>',
            True,
        ),
    ],
    ids=["log-in-prompt", "sign-in-line", "contact-line", "links-elsewhere-too"],
)
def test_a_prompt_to_sign_in_after_the_document_is_left_out(after: str, kept: bool) -> None:
    """Help centres print a box beside every article that asks the reader to log in
    ("Get help with your bookings. Log in or sign up"): a short block after the document
    whose every link goes to the site's sign-in or sign-up page is the site's. A short
    line with a link elsewhere stays."""
    html = (
        f'<body><div class="k0"><div class="k1"><h1>Terms</h1>{policy(4)}</div>{after}</div></body>'
    )
    text = text_of(html)
    first = re.sub(r"<[^>]+>", "", after).split(".")[0].strip()
    assert (first in text) is kept, text
    assert "4. We collect" in text


CARDS = "".join(
    f'<li><div>How-to</div><h3><a href="/help/{n}">{title}</a></h3><div>{teaser}</div></li>'
    for n, title, teaser in [
        (1, "Change a booking", "Pick new dates and see the new price before you confirm."),
        (2, "Why we check messages", "We hide contact details that look like phone numbers."),
        (3, "Pay in instalments", "Split a stay's price over two payments."),
    ]
)


@pytest.mark.parametrize(
    ("end", "kept"),
    [
        (f"<section><h2>Related articles</h2><ul>{CARDS}</ul></section>", False),
        (
            "<section><h2>More help</h2><p>You can also reach our teams below.</p>"
            f"<ul>{CARDS}</ul></section>",
            True,
        ),
        (
            '<section><h2>Earlier versions</h2><ul><li><a href="/v/3">Version of 1 May 2024'
            '</a></li><li><a href="/v/2">Version of 2 June 2023</a></li></ul></section>',
            True,
        ),
        (
            '<section><h2>Appeals</h2><h3><a href="/appeal">Appeal a decision</a></h3><p>Ask'
            ' us to look again.</p><h3><a href="/report">Report a concern</a></h3><p>Tell us'
            " what went wrong.</p></section>",
            True,
        ),
    ],
    ids=["related-cards", "cards-under-a-sentence", "earlier-versions", "linked-headings"],
)
def test_related_article_cards_at_the_end_of_the_document_are_left_out(
    end: str, kept: bool
) -> None:
    """A help centre ends an article with cards of related ones: under a heading, a list
    whose every item holds a heading that links to another article over its teaser. They
    change from one article to the next. A closing section that says something of its
    own, a list of earlier versions, or headings that link to forms, is the document's."""
    # Each part of the article in a block of its own, as a script's page slots hold them:
    # no one block holds most of the text.
    parts = "".join(f"<div><h2>Part {n}</h2>{policy(2)}</div>" for n in range(1, 4))
    body = f'<div class="k1"><div class="k2"><h1>Cookies</h1></div>{parts}{end}</div>'
    text = text_of(f"<body>{body}</body>")
    heading = re.search(r"<h2>([^<]+)</h2>", end)
    assert heading is not None
    assert (heading.group(1) in text) is kept, text
    assert "## Part 3\n\n1. We collect" in text


def test_a_heading_named_as_a_header_is_the_documents_title() -> None:
    # A CMS names its modules' titles "module_header": the heading itself is named as a
    # header, and it is the document's title, not the site's header.
    html = f"""<body><div class="content"><div class="cms">
      <h1 class="module_header">Terms</h1><div class="text">{policy(4)}</div>
      </div></div></body>"""
    assert text_of(html).startswith("# Terms\n\n1. We collect")


def test_a_header_named_block_with_the_documents_heading_is_its_title() -> None:
    # A component's own header ("policy__header": its title and introduction) is not the
    # site's header; a site header with a heading and a menu still bounds the document.
    html = f"""<body><div class="site-header"><h2>Example Co</h2>
      <a href="/a">Plans</a> <a href="/b">Blog</a> <a href="/c">Jobs</a></div>
      <div class="page-header"><h2>Welcome to Example Co</h2><a href="/in">Sign in</a></div>
      <div class="policy"><div class="policy__header"><h3>Personal data</h3>
      <div>We care about your privacy.</div></div>
      <div class="policy__main">{policy()}</div></div></body>"""
    text = text_of(html)
    assert text.startswith("### Personal data\n\nWe care about your privacy.\n\n1. ")
    assert "Example Co" not in text and "Welcome" not in text


def _links(*targets: str) -> str:
    return "".join(f'<li><a href="{href}">{href.strip("/#").title()}</a></li>' for href in targets)


SITE_PAGES = ("/about/", "/blog/", "/jobs/", "/contact/", "/help/", "/legal/", "/privacy/")


@pytest.mark.parametrize(
    ("links", "paragraphs", "kept"),
    [
        (SITE_PAGES, 8, False),
        (tuple(f"#part{n}" for n in range(1, 8)), 8, True),
        (SITE_PAGES, 0, True),
        (SITE_PAGES[:4], 8, True),
    ],
    ids=["site-menu", "table-of-contents", "list-of-links-page", "four-links"],
)
def test_a_menu_right_under_the_title_is_left_out(
    links: tuple[str, ...], paragraphs: int, kept: bool
) -> None:
    """A list of five or more links to other pages right under the title, over a
    document that says far more, is the site's menu that a layout floats beside the
    text. A table of contents, a page that is only the list, or a few links stay."""
    html = f"""<body><div id="content"><h1>Terms of Use</h1>
      <div id="links"><ul>{_links(*links)}</ul></div>
      {policy(paragraphs)}<p>{"Contact us by post. " * 4}</p></div></body>"""
    text = text_of(html)
    assert ("- Blog" in text or "- Part1" in text or "- Contact" in text) is kept, text
    assert text.startswith("# Terms of Use\n")


@pytest.mark.parametrize("hiding", ["dn", "d-none", "is-hidden"])
def test_a_dialog_hidden_by_a_class_after_the_site_header_goes_with_it(hiding: str) -> None:
    # A classified-ads site prints its "confirm your e-mail" dialog right after its
    # header, hidden by a utility class (Tachyons' "dn") until its script shows it. Such
    # a class in the document still hides nothing: a script takes it off to unfold a
    # section.
    html = f"""<body><header><a href="/">Home</a> <a href="/ads">Ads</a>
      <a href="/help">Help</a></header>
      <div class="email-confirm {hiding}"><div>Please, confirm your e-mail</div>
      <div>We sent you an email. Click on the link in it or we cannot notify you.
      <button>Thank you, I will</button></div></div>
      <section class="static"><div class="left"><h1>Terms and conditions</h1>
      {policy(4)}<div class="{hiding}"><h2>Annex</h2><p>Fees are listed here.</p></div>
      </div></section></body>"""
    text = text_of(html)
    assert text.startswith("# Terms and conditions\n"), text
    assert "confirm your e-mail" not in text
    assert "## Annex\n\nFees are listed here." in text


def test_a_page_header_without_links_holds_the_title_of_a_page_without_h1() -> None:
    # Bootstrap's "page-header" over the article holds its title in an <h2> where the
    # only <h1> is the site's name in its header: the title is the document's (a new
    # title is a change), the site's header before it is not.
    html = f"""<body><header><h1><a href="/"><img src="/logo.svg" alt="Logo"></a>
      Example Help Pages</h1><nav><a href="/a">Ads</a> <a href="/b">Apps</a>
      <a href="/c">Search</a></nav></header>
      <section class="main"><div class="page-header"><h2>Results</h2>
      <h3>Where do our results come from?</h3></div>
      <article class="content">{policy(3)}</article></section></body>"""
    text = text_of(html)
    assert text.startswith("## Results\n\n### Where do our results come from?\n\n1. "), text
    assert "Help Pages" not in text


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ('<div class="lp-terms__header"><p class="lp-terms__title">Terms of sale</p>'
         "<p>Updated on 08/08/2024</p></div>", True),
        ('<div class="lp-terms__header"><p>Terms of sale</p><a href="/">Home</a>'
         '<a href="/shop">Shop</a><a href="/help">Help</a></div>', False),
        ('<div class="site__header"><p>Terms of sale</p><p>Updated on 08/08/2024</p></div>',
         False),
    ],
    ids=["the-blocks-own-header", "a-header-with-links", "another-blocks-header"],
)  # fmt: skip
def test_the_header_of_the_block_that_holds_the_document_is_its_title(
    header: str, kept: bool
) -> None:
    """A header named as a BEM element of the block that holds it ("lp-terms__header"
    in "lp-terms"), with no link, is that block's own: the document's title and date in
    paragraphs, which a change of date must reach. Growth stops after it, before the
    shop's offers above. A header with links, or named for another block, is layout."""
    html = f"""<body><div class="promo"><p>Free delivery from 80 euros: see the terms of
      this offer in store.</p></div><div class="lp"><div class="lp-terms">{header}
      <div class="lp-terms__main">{policy(4)}</div></div></div></body>"""
    text = text_of(html)
    assert ("Updated on 08/08/2024" in text or "Home" in text) is kept, text
    assert "Free delivery" not in text


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        (
            ("Terms of Service", "Privacy Policy", "Cookie Policy", "Billing Terms of Acme S.A"),
            False,
        ),
        (("Privacy Policy", "Cookie Policy", "Billing Terms"), True),
        (("Terms of Service", "Read them closely.", "Ask us."), True),
    ],
    ids=["switcher-naming-the-title", "labels-without-the-title", "sentences"],
)
def test_a_switcher_of_the_sites_documents_over_the_title_is_left_out(
    options: tuple[str, ...], kept: bool
) -> None:
    """A script's switcher between the site's legal documents, its options plain labels
    without links, one of them the document's title: a new document in it is not a
    change of this one. Labels that do not name the title, or sentences, may be the
    document's own and stay."""
    switcher = "".join(f'<div class="opt">{option}</div>' for option in options)
    html = f"""<body><div class="k1"><div class="k2">{switcher}</div>
      <section class="k3"><div class="k4"><h1>Terms of Service</h1>{policy(4)}
      <h1>2. Accounts</h1>{policy(2)}</div></section></div></body>"""
    text = text_of(html)
    assert ("Cookie Policy" in text or "Ask us." in text) is kept, text
    assert "# Terms of Service\n\n1. We collect" in text


def test_a_menu_of_the_other_legal_documents_bounds_the_document_despite_its_h1() -> None:
    # A document switcher ("doc-menu") labels itself with an <h1> of the current page's
    # name; a menu holding an <h1> is still a menu, and a new entry is not a change.
    html = f"""<body><div class="legal">
      <div class="doc-menu"><h1>Privacy Policy</h1><h1>Menu</h1>
      <ul><li>Privacy Policy</li><li><a href="/cookies">Cookie Policy</a></li>
      <li><a href="/companies">Our companies</a></li></ul></div>
      <h1 class="mobile-title">Privacy Policy</h1>
      <div class="doc-content">{policy()}</div></div></body>"""
    text = text_of(html)
    assert text.startswith("# Privacy Policy\n\n1. ")
    for gone in ("Menu", "Cookie Policy", "Our companies"):
        assert gone not in text


def test_select_and_remove_override_detection() -> None:
    html = f"""<body><nav>Menu</nav><div class="x"><h1>Kept</h1><p class="ad">Ad</p></div>
      <main>{policy()}</main></body>"""
    assert text_of(html, Rules(select=(".x",), remove=(".ad",))) == "# Kept\n"


def test_scripted_controls_are_dropped_but_focusable_text_is_kept() -> None:
    html = f"""<body><main><h1>Terms</h1>
      <div><div tabindex="0"><p>Legal overview</p></div><div tabindex="0">User terms</div></div>
      <span tabindex="-1">Print</span>
      {policy(3)}
      <div tabindex="0" role="region"><table><tr><td>Cookie</td><td>Duration</td></tr></table></div>
      <p>Data is kept under <span tabindex="0" class="term">GDPR</span> rules.</p>
      <div tabindex="0" aria-expanded="false">Show details</div>
      </main></body>"""
    text = text_of(html)
    for gone in ("Legal overview", "User terms", "Print"):
        assert gone not in text
    for kept in ("| Cookie | Duration |", "Data is kept under GDPR rules.", "Show details"):
        assert kept in text


def test_headings_and_paragraphs_that_take_focus_are_text() -> None:
    """Single-page apps and accessible sites make a heading the focus target of a route
    change or a skip link (``tabindex="-1"``); it is not a control."""
    html = f"""<body><main><h1 tabindex="-1">Privacy Policy</h1>
      <p tabindex="0">Effective: 1 May 2025</p>{policy(3)}
      <h2 tabindex="-1" id="rights">Your rights</h2>{policy(2)}
      <div role="heading" aria-level="2" tabindex="-1">Contact</div>{policy(1)}</main></body>"""
    text = text_of(html)
    for kept in ("# Privacy Policy", "Effective: 1 May 2025", "## Your rights", "Contact"):
        assert kept in text, kept


def test_a_call_out_inside_the_article_is_kept_but_a_related_links_box_is_not() -> None:
    html = f"""<body><article><h1>Terms</h1>{policy(3)}
      <aside><p>Key point: we never sell your data.</p></aside>
      <aside><a href="/a">Read A</a> <a href="/b">Read B</a> <a href="/c">Read C</a></aside>
      </article><aside><p>Sidebar promo text for the shop.</p></aside></body>"""
    text = text_of(html)
    assert "Key point: we never sell your data." in text
    for gone in ("Read A", "Sidebar promo"):
        assert gone not in text


CARD = {
    "learn-more": (
        '<li class="card"><h4>{name} Notice</h4><a href="/legal/{name}">Learn more</a></li>'
    ),
    "linked-title": (
        '<li><h3><a href="/help/{name}">{name} Notice</a></h3><div>What the {name} notice '
        "covers, and who it is for, in one sentence or two.</div></li>"
    ),
    "linked-card": (
        '<li><a href="/help/{name}"><h3>{name} Notice</h3></a><p>What the {name} notice '
        "covers, and who it is for, in one sentence or two.</p></li>"
    ),
}


@pytest.mark.parametrize("card", CARD.values(), ids=CARD.keys())
def test_cards_linking_to_related_pages_end_the_document(card: str) -> None:
    """Help centres and legal hubs put cards under a policy (a title and a "Learn more"
    link, or a linked title over a teaser): few links and short, so not a menu by link
    density, but their text is headings and link labels, or their headings link to
    other pages. A section of the document with links and text under its heading
    stays."""
    cards = "".join(card.format(name=name) for name in ("Careers", "Cookies", "Survey"))
    related = f'<div class="row"><div><hr><h2>Related content</h2></div><ul>{cards}</ul></div>'
    signup = '<div><h2>Stay informed</h2><p>Subscribe to updates.</p><a href="/s">Sign up</a></div>'
    links = " ".join(f'<a href="/annex/{n}">annex {n}</a>' for n in "ABC")
    annexes = f"<div><h3>13. Annexes</h3><p>{PROSE} See {links}.</p></div>"
    content = f"<div><h1>Privacy</h1>{policy(12)}</div>"
    text = text_of(f"<body><main>{content}{annexes}{related}{signup}</main></body>")
    assert "### 13. Annexes" in text and "See annex A annex B annex C." in text
    for gone in ("Related content", "Careers Notice", "Stay informed"):
        assert gone not in text


def test_script_folded_sections_under_their_heading_are_kept() -> None:
    html = f"""<body><main><h1>Terms</h1>{policy(3)}
      <h2>Refunds</h2><div style="display:none"><p>Refunds within 14 days.</p></div>
      <div id="q" hidden aria-labelledby="t"><p>Answer text.</p></div>
      <div hidden><p>Unlabelled template.</p></div></main></body>"""
    text = text_of(html)
    assert "## Refunds\n\nRefunds within 14 days." in text
    assert "Answer text." in text
    assert "Unlabelled template" not in text


def test_a_copyright_line_bounds_the_document() -> None:
    html = f"""<body><div><div class="d"><h1>Terms</h1>{policy()}</div>
      <div><p>© 2025 Example Co · Company no. 123</p></div></div></body>"""
    assert "©" not in text_of(html)


def test_a_site_footer_inside_a_wrapper_of_several_documents_is_dropped() -> None:
    # No document holds most of the text, so the wrapper that also holds the site's
    # footer is the core: its last blocks, a named link list and a copyright line, go.
    docs = "".join(
        f'<div class="section"><h2>{name}</h2>{policy(3)}</div>'
        for name in ("Terms", "Privacy", "Copyright")
    )
    footer = (
        '<div id="footer"><h3>Get the app</h3><ul><li><a href="/ios">iOS</a></li>'
        '<li><a href="/android">Android</a></li><li><a href="/jobs">Careers</a></li></ul></div>'
        "<div><p>© 2025 Example Co</p></div>"
    )
    html = f"""<body><div id="main">{docs}{footer}</div>
      <a href="#top">Scroll to top</a></body>"""
    text = text_of(html)
    assert text.startswith("## Terms\n\n1. ")
    assert text.rstrip().endswith(PROSE)
    for gone in ("Get the app", "Careers", "©", "Scroll to top"):
        assert gone not in text


def test_a_footer_block_of_the_documents_own_stays() -> None:
    docs = "".join(
        f'<div class="section"><h2>{name}</h2>{policy(3)}</div>' for name in ("Terms", "Privacy")
    )
    own = '<div class="policy-footer"><p>Effective 1 May 2025. Example Co, 1 Road, Town.</p></div>'
    assert text_of(f"<body><div>{docs}{own}</div></body>").rstrip().endswith("1 Road, Town.")


@pytest.mark.parametrize("links", [6, 2], ids=["site-footer", "documents-own-links"])
def test_a_site_footer_that_says_something_after_a_short_document_is_dropped(links: int) -> None:
    # A short legal notice; after it the site's footer, named so, with a notice of its
    # own on the site's use of data (more text than the document, less prose) and its
    # link lists. No block holds most of the text, so the core is the page's wrapper.
    notice = (
        "<p>The Example Hospital Trust collects your data as controller so that you can "
        "use the online services of the patient portal. To learn how your data is used "
        "and to exercise your rights, including objecting to its reuse for research, "
        'read the <a href="/privacy">privacy notice</a>.</p>'
    )
    items = "".join(f'<li><a href="/page{n}">Site page {n}</a></li>' for n in range(links))
    html = f"""<body><div class="rootWrapper">
      <div class="contentWrapper"><div class="banner"><h1>Legal notice</h1></div>
        <div class="body"><ul>
          <li>The portal is published by Example Hospital Trust, 5 Long Road, Town.</li>
          <li>The director of publication is A. Person, its chief executive.</li>
          <li>The portal is hosted by the Trust's own digital services, 5 Long Road.</li>
          <li>Its content may be reused only with the written permission of the Trust.</li>
          <li>Questions about this notice go to the Trust's legal department by post.</li>
        </ul></div></div>
      <div class="footer--container">{notice}<h3>Services</h3><ul>{items}</ul></div>
    </div></body>"""
    text = text_of(html)
    assert text.startswith("# Legal notice\n") and "hosted by the Trust" in text
    assert ("collects your data" in text) == (links < 6)


@pytest.mark.parametrize("title", ["", "<h1>Privacy policy</h1>"], ids=["site", "articles-own"])
def test_a_header_with_the_site_menu_inside_main_is_the_sites(title: str) -> None:
    # The site wraps the whole page in <main>, its header too: the menu, a log-in box
    # and a search overlay's "Frequent questions". A header that holds a title is the
    # document's own, with its table of contents.
    header = f"""<header id="header"><nav><a href="/">Home</a><a href="/faq">FAQ</a></nav>
      <div><span>Go to my personal space</span><button>Log in</button></div>
      <div><span>Frequent questions</span><p>Read our frequent questions for answers.</p>
      </div>{title}</header>"""
    html = f"""<body><main><div id="playground">{header}</div>
      <div class="top-space"><div class="content"><h2>Privacy policy</h2>{policy()}</div>
      </div></main></body>"""
    text = text_of(html)
    assert text.rstrip().endswith(PROSE)
    assert ("Frequent questions" in text) == bool(title)
    assert ("# Privacy policy\n" in text) if title else text.startswith("## Privacy policy")


def test_table_of_contents_links_with_full_addresses_do_not_stop_the_title() -> None:
    toc = "".join(f'<a href="https://example.com/terms#s{n}">Section {n}</a> ' for n in range(5))
    html = f"""<body><div><div><h1>Terms</h1></div><div>{toc}</div>
      <div class="body">{policy()}</div></div></body>"""
    assert text_of(html).startswith("# Terms\n")


def test_chrome_dropped_inside_a_link_leaves_the_links_text_with_it() -> None:
    # A help centre's collection: its title and description, then cards that each link
    # to an article with its byline inside the link. The bylines go as chrome; the
    # page's link text once kept counting them, outweighed its prose, and the page
    # read as empty.
    byline = '<div class="avatar">Written by Ann Example<br>Updated over a week ago</div>'
    cards = "".join(
        f'<a href="/articles/{n}"><h2>Policy number {n} for partners</h2>{byline}</a>'
        for n in range(9)
    )
    html = (
        '<body><header><a href="/">Help</a></header><div class="content">'
        "<h1>Policies for restaurants</h1><p>Information about the policies that apply to "
        "your business. Our ranking policy is available on request.</p>"
        f"{cards}</div></body>"
    )
    text = text_of(html)
    assert "# Policies for restaurants" in text
    assert "available on request" in text
    assert "Written by" not in text


@pytest.mark.parametrize(
    ("box", "kept"),
    [
        (
            '<form action="/help/search"><b>Search the Help pages</b> (not the listings)'
            '<input type="text" name="searchstring"><input type="submit" value="Search">'
            "</form>",
            False,
        ),
        (
            '<div><input type="text" placeholder="Search help..." aria-describedby="tip">'
            '<div id="tip" role="alert" class="clipped">Enter your search terms to see '
            "results as you type.</div></div>",
            False,
        ),
        (
            '<form><label>Name <input name="name"></label><label>Search terms wanted '
            '<input name="query"></label><input type="submit" value="Send"></form>',
            True,
        ),
        (
            '<p><label for="helpsearch"><span>Research more solutions</span></label></p>'
            '<div><form action="/help"><input type="search" id="helpsearch" name="kw">'
            "</form></div>",
            False,
        ),
    ],
    ids=["search-form", "search-field-hint", "a-form-of-two-fields", "label-outside-the-form"],
)
def test_a_search_box_in_the_page_is_chrome(box: str, kept: bool) -> None:
    # Help centres put a search box above the article, outside any header, with the
    # hint that a script announces as the reader types.
    html = f"<body><main><h1>Terms</h1>{box}{policy(3)}</main></body>"
    assert ("earch" in text_of(html)) is kept


def test_a_page_that_is_one_form_with_a_search_box_keeps_its_text() -> None:
    # ASP.NET sites wrap the whole page in one form, which holds the site's search box.
    html = (
        '<body><form action="/terms.aspx"><input type="search" name="q">'
        f"<main><h1>Terms</h1>{policy(4)}</main></form></body>"
    )
    text = text_of(html)
    assert "# Terms" in text
    assert "4. " in text


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        ('<div class="wt-display-none"><p>Why didn\'t this article help you?</p></div>'
         '<h1 class="a-hidden">Thanks for your feedback!</h1>', False),
        ('<div class="collapsed-panel"><p>Why didn\'t this article help you?</p></div>', True),
        ('<p>Part two. Why didn\'t this article help you? We ask every reader.</p>', True),
    ],
    ids=["hidden-follow-ups", "a-block-not-hidden", "the-document-going-on"],
)  # fmt: skip
def test_a_widgets_hidden_next_steps_go_with_it(after: str, kept: bool) -> None:
    # A "Did this help?" vote keeps its next questions and its thanks in blocks that a
    # design system's class hides until the reader votes; they go with the vote. Such a
    # class does not hide text elsewhere: scripts take it off to open folded sections.
    vote = (
        '<div class="article-votes"><p>Did this help?</p><a class="vote-up" href="#" '
        'title="Yes"></a><a class="vote-down" href="#" title="No"></a></div>'
    )
    html = f"<body><main><h1>Terms</h1>{policy(4)}{vote}{after}</main></body>"
    assert ("article help you" in text_of(html)) is kept


@pytest.mark.parametrize(
    ("vote", "kept"),
    [
        ('<div class="rate"><p>Was this answer helpful?</p><button>Yes</button>'
         "<button>No</button></div>", False),
        ('<div class="rate" tabindex="-1"><p>Was this answer helpful?</p>'
         "<button>Yes</button><button>No</button></div>", False),
        ("", True),
    ],
    ids=["after-a-vote", "after-a-focusable-vote", "no-vote-before-it"],
)  # fmt: skip
def test_a_votes_next_step_hidden_from_screen_readers_goes_with_it(vote: str, kept: bool) -> None:
    """A vote's next step that its script hides with ``aria-hidden="true"`` (the reasons
    to choose from when the answer did not help) goes with the vote, shown or dropped as
    a focusable block of a few words; ``aria-hidden`` alone hides nothing."""
    after = (
        '<div aria-hidden="true" class="feedback"><form><p>We are sorry this article did '
        "not answer your question.</p><input type=radio id=r1><label for=r1>It is "
        "inaccurate</label><input type=radio id=r2><label for=r2>Other</label></form></div>"
    )
    html = f"<body><main><h1>Terms</h1>{policy(4)}{vote}{after}</main></body>"
    text = text_of(html)
    assert "helpful" not in text and "Yes" not in text
    assert ("did not answer your question" in text) is kept
