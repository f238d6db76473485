"""What page chrome looks like, element by element: tags, ARIA roles, the class names
of consent banners and page furniture, links to the previous and next page, the names
of a site's header, footer and menus, language switchers, forms to fill and controls
that scripts make of other elements.

These judgments need only the element and its attributes; :mod:`watcher.content`
weighs them against the page's text before dropping anything. Widgets known by what
they do rather than by their names are found in :mod:`watcher.widgets`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from .visibility import HEADING_TAGS, Attributes

_CHROME_TAGS = frozenset(("nav", "aside", "dialog"))
_PAGE_FRAME_TAGS = frozenset(("header", "footer"))
# The only tags that make an element without attributes chrome.
CHROME_OR_FRAME_TAGS = _CHROME_TAGS | _PAGE_FRAME_TAGS
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar dialog alertdialog "
    "toolbar".split()
)
# Class or id names of page furniture: cookie/consent banners and the
# consent-management platforms that inject them, skip links, breadcrumbs,
# share bars, newsletter sign-ups, announcement bars, pagers, readers' comments and
# votes, modal windows.
# Matched inside camelCase and hashed CSS module names too ("cookieConsent--x1y2").
# Site builders glue the wrapper word on ("footerwrapper", "dialogwrap").
_FURNITURE_END = (
    r"(?=$|\s|_|--|-?(?:container|wrapper|wrap|inner|outer|root|holder|box|overlay|backdrop"
    r"|window|layer|sdk|component|module|area|region|block|panel|pane)(?:$|[\s_-]))"
)
# Consent banners: up to two qualifiers may come between the words ("cookie-law-info-
# bar", "eu-cookie-compliance-banner", "cookiePolicyBanner"), never a word of the policy's
# own. The last words also name a policy's own sections ("ccpa-notice", "cookie-settings").
_CONSENT_START = (
    r"(?:cookies?|consent|gdpr|ccpa)(?:[-_]?(?:law|info|eu|policy|compliance|consent|reports?"
    r"|gdpr)){0,2}[-_]?"
)
_SECTION_WORDS = r"notice|consent|prefs|preferences|settings"
_CONSENT_WORDS = (
    _CONSENT_START + r"(?:banner|bar|popup|pop-up|modal|dialog|wall|prompt|confirm|confirmation"
    r"|overlay|layer|alert|toast|drawer|sheet|manager|law|message|" + _SECTION_WORDS + ")"
)
# The consent-management platforms that inject banners (not the names they give the
# cookie lists they fill in a cookie policy: OneTrust's "ot-sdk-cookie-policy").
_PLATFORMS = (
    r"(?:^|[\s_-])(?:onetrust|cookiebot|cybotcookiebot|truste|osano|didomi"
    r"|usercentrics|cookieyes|cky-consent|qc-cmp|cmp-container|cc-window|cc-banner|cookielaw"
    r"|tarteaucitron|klaro|iubenda-cs|sp_message|fides"
    r")(?=$|[\s_-])"
)
_CHROME_NAMES = re.compile(
    # Consent banners and page furniture: the furniture word ends the name, or only a
    # wrapper word or a BEM / CSS-module suffix follows ("cookie-banner__inner",
    # "cookieConfirm--x1y2"); "cookies-notice-title" (a policy's heading) is not.
    r"(?:^|[\s_-])(?:"
    + _CONSENT_WORDS
    + r"|skip[-_]?(?:link|links|to[-_]?content|nav|navigation)|breadcrumbs?"
    r"|share[-_]?(?:bar|buttons|links|tools)|social[-_]?(?:share|links|icons)"
    r"|newsletter[-_]?(?:signup|sign-up|form)|pagination|paginator|pager|prev[-_]?next"
    # A theme's block to subscribe to the site's news ("subscribe-section"), never a
    # bare "subscribe" (a policy's anchor for its section on subscriptions).
    r"|subscribe[-_]?(?:section|form|box|bar|banner|block|widget|cta)"
    # Site-wide announcement bars ("RollWorks is now AdRoll", "Black Friday: 30% off").
    r"|announcement(?:s|[-_]?(?:bar|banner))?|promo[-_]?(?:bar|banner)"
    # Online shops' strip of trust badges on every page ("Free delivery", "Secure
    # payment", "30 days to return"), named "reassurance" in French and English.
    r"|reassurances?(?:[-_]?(?:bar|banner|strip|items?|list))?"
    # Help centres' and blogs' "Related articles" (Intercom's "related_articles",
    # "jp-relatedposts") and "Recently viewed articles" (Zendesk's "recent-articles"),
    # which change from one fetch or reader to the next; never "related-policies" or
    # "related-documents", which may be a policy's own list.
    r"|(?:related|recent)[-_]?(?:articles?|posts?|stories|content|reads?|questions)"
    r"|recently[-_]?viewed(?:[-_]?(?:articles?|posts?|items?|pages?))?"
    # Modal windows, dialogs and pop-ups (a log-in form, cookie preferences), which CSS
    # frameworks hide until opened: named so only ("modal", "login-modal", "dialog-
    # wrapper"), never "modal-body" alone; French sites say "popin".
    r"|modal|dialog|popup|pop-up|popin"
    # Readers' comments and the form to post one (CMS and comment-service names; never
    # a bare "comments", which also names a policy's "Questions and comments" section).
    r"|comments?[-_](?:area|wrapper|list|respond|form|template)|commentlist"
    r"|article-comments|disqus[-_]thread|wp-block-(?:post-)?comments(?:-form)?"
    # Help centres' "Was this article helpful?" widgets ("article-votes", "articleRatings",
    # "article-feedback"): readers' votes, not the document.
    r"|article[-_]?(?:ratings?|votes?|voting|feedback|reactions?|helpful(?:ness)?)"
    r"|(?:was[-_]?)?this[-_]?(?:article[-_]?|page[-_]?)?helpful"
    # Chat widgets that sites float over every page (a chat's launcher, its bubble, the
    # frames chat services inject), never a bare "chat" or "live-chat": a policy names
    # its section on chat data so.
    r"|(?:live[-_]?)?chat[-_]?(?:widget|bubble|launcher|frame|iframe|button)"
    r"|intercom[-_](?:launcher|container|frame|messenger|lightweight-app)"
    r"|drift[-_](?:widget|frame|conductor)|crisp[-_]client|tidio[-_]chat"
    r"|hubspot[-_]messages(?:[-_]iframe)?|fc[-_]frame|beacon[-_]container"
    # Feedback tabs and the button that opens a consent banner again, which sites
    # also float over every page (a bare "feedback" also names a terms' section).
    r"|feedback[-_]?(?:tab|button|btn|widget|launcher|trigger|badge)"
    # The button that scrolls back up, floated over the page ("back-to-top",
    # "scrollToTop"), whatever element scripts make it of.
    r"|(?:scroll|back|go|jump|return)[-_]?to[-_]?top"
    r"|(?:consent|cookies?|btn)[-_]?revisit|revisit[-_]?(?:consent|cookies?)"
    # An article's byline under its title, as help centres and blogs print it: who
    # wrote it, their avatar, when ("Updated 3 days ago") and a button to follow it
    # ("article-meta", "post-author", "entry-byline", "article-subscribe", "avatar").
    r"|(?:article|post|entry)[-_]?(?:meta|author|byline|subscribe)|byline|avatar"
    r")" + _FURNITURE_END + "|" + _PLATFORMS
)
_PLATFORM_NAMES = re.compile(_PLATFORMS)
_SECTION_NAMES = re.compile(
    r"(?:^|[\s_-])" + _CONSENT_START + "(?:" + _SECTION_WORDS + ")" + _FURNITURE_END
)
# Site header, footer, menus and sidebars of pages without HTML5 landmarks. Only
# used around the main content (such names also mark headings inside documents).
_LAYOUT_NAMES = re.compile(
    r"(?:^|[\s_-])(?P<site>site|global|page|main|top)?[-_]?"
    r"(?P<word>header|footer|navbar|nav|navigation|menu|menubar|sidebar|topbar|masthead)"
    + _FURNITURE_END
)
# A cheap first test: every name that _CHROME_NAMES matches contains one of these.
_CHROME_STEMS = (
    "cookie", "consent", "gdpr", "ccpa", "onetrust", "truste", "osano", "didomi",
    "usercentrics", "cky-", "qc-cmp", "cmp-container", "cc-window", "cc-banner", "skip",
    "tarteaucitron", "klaro", "iubenda-cs", "sp_message", "fides",
    "breadcrumb", "share", "social", "newsletter", "pagina", "pager", "prev", "comment",
    "disqus", "modal", "dialog", "popup", "pop-up", "popin", "rating", "vot", "feedback",
    "reaction", "helpful", "announcement", "promo", "reassurance", "related", "recent", "chat",
    "intercom", "drift", "crisp", "hubspot", "fc-frame", "fc_frame", "beacon", "revisit",
    "meta", "author", "byline", "avatar", "subscribe", "to-top", "to_top", "totop",
)  # fmt: skip
# The layout names a page's title may stand in (a site or page header, a masthead).
_HEADER_WORDS = frozenset(
    (site, word)
    for site in (None, "site", "global", "page", "main", "top")
    for word in ("header", "masthead", "topbar")
)
_LAYOUT_STEMS = ("header", "footer", "nav", "menu", "sidebar", "topbar", "masthead")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# A BEM element named as its block's header ("policy__header", "lp-terms__header"): the
# block's name is the first group.
_BLOCK_HEADER = re.compile(r"(?:^|\s)([a-z0-9][\w-]*?)__header(?=$|\s|-)", re.IGNORECASE)
# How far up the block that owns such a header is looked for.
BLOCK_HEADER_LEVELS = 2
# Class names that hide an element on a desktop screen and show it on small ones: a
# mobile copy of a menu or of a block of the page, which is read as a desktop shows it
# ("hidden-lg", "twtr-hidden--lg", Bulma's "is-hidden-desktop", Foundation's
# "hide-for-large" and "show-for-small-only", Bootstrap 3's "visible-xs").
_DESKTOP_HIDDEN = re.compile(
    r"(?:^|[-_])hidden-{1,2}(?:lg|large|desktop)$|^hide-for-large(?:-only)?$"
    r"|^hide-(?:on-)?desktop$|^show-for-(?:small|medium)-only$"
    r"|^visible-(?:xs|sm)(?:-block|-inline|-inline-block)?$|^(?:mobile|tablet)-only$"
)
# Mobile-first display classes (Bootstrap's "d-md-none", Tailwind's "md:hidden"): the
# one of the largest breakpoint up to a desktop's decides.
_BREAKPOINT_DISPLAY = re.compile(r"(?:d-(sm|md|lg)-|(sm|md|lg):)([\w-]+)")
_BREAKPOINTS = ("sm", "md", "lg")
# The words of a pager's links (``rel``) and of a script's pager buttons (a class).
_PAGER_WORDS = frozenset(("prev", "previous", "next"))
# The label of a pager link: the word alone, with arrows, or before the page's name
# ("Next: Cookie Policy"), in the languages whose dates watcher reads; in English also
# "Read next", "Up next" and "Next article" (or page, post, chapter...).
_PAGER_LABEL = re.compile(
    r"\W*(?:(?:read|up)\s+)?"
    r"(?:previous|prev|next|pr[ée]c[ée]dent|suivant|zur[üu]ck|weiter|vorherige|n[äa]chste"
    r"|anterior|siguiente|precedente|successivo|pr[óo]ximo|seguinte|vorige|volgende)"
    r"(?:\s+(?:article|page|post|chapter|section|topic|story|guide|lesson|entry))?"
    r"\s*(?:$|[:|»›→–—-])",
    re.I,
)

_STRING = etree.XPath("string()", smart_strings=False)
_SYMBOLS = re.compile(r"[^\w\s]+")
# A language switcher's label ("Change language:") is this short or shorter.
LANGUAGE_LABEL_CHARS = 40
#: A link that shows more characters than this names no language (the longest name in
#: :data:`ENDONYMS` with a region, "English (United Kingdom)", has 24).
LANGUAGE_NAME_CHARS = 30
#: Two-letter language codes (ISO 639-1, and the country codes that sites also use for
#: a language: "JP", "CN", "KR"), as a switcher's links show them.
LANGUAGE_CODES = frozenset(
    "aa ab af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv "
    "kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no "
    "nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn "
    "so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo "
    "wa wo xh yi yo za zh zu jp cn cz dk gr ua vn".split()
)
#: Languages as their speakers name them (case-folded): the words of a language
#: switcher's links.
ENDONYMS = frozenset(
    name.casefold()
    for name in (
        "English", "Français", "Francais", "Deutsch", "Español", "Espanol", "Italiano",
        "Português", "Portugues", "Nederlands", "Polski", "Svenska", "Dansk", "Norsk",
        "Norsk bokmål", "Suomi", "Íslenska", "Eesti", "Latviešu", "Lietuvių", "Čeština",
        "Slovenčina", "Slovenščina", "Magyar", "Română", "Hrvatski", "Srpski", "Српски",
        "Bosanski", "Shqip", "Македонски", "Български", "Ελληνικά", "Русский", "Українська",
        "Беларуская", "Қазақ тілі", "Türkçe", "Azərbaycan", "ქართული", "Հայերեն", "Català",
        "Euskara", "Galego", "Gaeilge", "Cymraeg", "Gàidhlig", "Lëtzebuergesch", "Malti",
        "日本語", "한국어", "中文", "简体中文", "繁體中文", "繁体中文", "中文简体", "中文繁體",
        "العربية", "עברית", "فارسی", "اردو", "हिन्दी", "हिंदी", "বাংলা", "தமிழ்", "తెలుగు",
        "मराठी", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "ไทย", "Tiếng Việt", "Bahasa Indonesia",
        "Indonesia", "Bahasa Melayu", "Melayu", "Filipino", "Tagalog", "Kiswahili",
    )
)  # fmt: skip


def menu_label(element: etree._Element) -> etree._Element | None:
    """The heading or label right before ``element`` that names it (``aria-labelledby``):
    the element's previous sibling, or its wrappers' (nothing else between them), or a
    child of that sibling; not the page's ``<h1>``, which may name a table of contents."""
    names = element.get("aria-labelledby")
    if not names:
        return None
    wanted = set(names.split())
    node: etree._Element | None = element
    for _ in range(3):
        if node is None:
            return None
        previous = node.getprevious()
        if previous is not None:
            for candidate in (previous, *previous):
                if candidate.get("id") in wanted:
                    return None if candidate.tag == "h1" else candidate
            return None
        node = node.getparent()
    return None


def _site_header_inside(element: etree._Element) -> bool:
    """A ``<header>`` inside ``<main>`` or an ``<article>`` that is still the site's: it
    holds the site's menu (a ``<nav>``) and no heading, where an article's own header
    holds its title (sites that wrap the whole page in ``<main>``)."""
    return (
        element.tag == "header"
        and has_descendant(element, "nav")
        and not has_descendant(element, *HEADING_TAGS)
    )


def chrome_kind(element: etree._Element, attrs: Attributes) -> str | None:
    """Why ``element`` is page chrome (``"tag"``, ``"role"``, ``"name"``, ``"pager"``), or None.
    ``attrs`` are the element's attributes."""
    tag = element.tag
    if tag in _CHROME_TAGS:
        if tag == "aside" and any(a.tag in ("article", "main") for a in element.iterancestors()):
            return "aside"  # a call-out inside the document: chrome only if it is navigation
        return "tag"
    get = attrs.get
    role = get("role")
    if role and role.strip().lower() in _CHROME_ROLES:
        return "role"
    if tag in _PAGE_FRAME_TAGS:
        if any(a.tag in ("article", "main") for a in element.iterancestors()):
            return "tag" if _site_header_inside(element) else None
        # A header holding the page's title is its introduction, not the site banner.
        return None if tag == "header" and has_descendant(element, "h1") else "tag"
    if get("aria-modal") == "true":
        return "role"
    classes = get("class") or ""
    if classes and (
        _hidden_on_desktop(classes) or ("mobile" in classes and _mobile_twin(element, classes))
    ):
        return "mobile"
    names = classes + " " + (get("id") or "")
    if len(names) > 3 and _furniture_names(names):
        return None if _document_part_named_like_chrome(element, names) else "name"
    if tag == "a":
        return "pager" if _is_pager_link(element, attrs) else None
    if "prev" in classes or "next" in classes:
        return "pager" if _is_pager_button(element, classes) else None
    return None


def _is_pager_button(element: etree._Element, classes: str) -> bool:
    """A script's button to the previous or next page, with no link (a help centre's
    ``<div class="nav-button previous"><span>Previous</span><span>Cookies</span></div>``):
    named so by a class of its own (``classes``), and labelled so by its first words."""
    if _PAGER_WORDS.isdisjoint(classes.lower().split()):
        return False
    first = next((text for text in element.itertext() if not text.isspace()), "")
    return _PAGER_LABEL.match(first) is not None


def _mobile_twin(element: etree._Element, classes: str) -> bool:
    """The small screens' copy of a block whose desktop copy stands beside it, named
    alike ("nav__wrapper-mobile" next to "nav__wrapper-desktop"): only the site's CSS
    tells which one shows, and a desktop shows the other."""
    stems = [name[:-6] for name in classes.split() if name.endswith("mobile")]
    if not stems:
        return False
    parent = element.getparent()
    if parent is None:
        return False
    twins = {stem + "desktop" for stem in stems}
    return any(
        twins.intersection(sibling.get("class", "").split())
        for sibling in parent.iterchildren(etree.Element)
        if sibling is not element
    )


@lru_cache(maxsize=2048)
def _hidden_on_desktop(classes: str) -> bool:
    """Whether class names hide their element on a desktop screen (shown on small
    screens only; cached: pages repeat their class strings)."""
    names = classes.split()
    if any(_DESKTOP_HIDDEN.search(name) for name in names):
        return True
    display, largest = "", -1
    for name in names:
        found = _BREAKPOINT_DISPLAY.fullmatch(name)
        if found:
            breakpoint = _BREAKPOINTS.index(found[1] or found[2])
            if breakpoint > largest:
                display, largest = found[3], breakpoint
    return display in ("none", "hidden")


def _document_part_named_like_chrome(element: etree._Element, names: str) -> bool:
    """A heading named like furniture ("cookie-settings", "social-links": an anchor for
    the table of contents; banners and share bars are not headings), or a section of
    the document named with the words policies give their own sections ("ccpa-notice")."""
    if element.tag in HEADING_TAGS:
        return not _platform_name(names)
    return _only_section_words(names) and _opens_a_section_of_the_document(element)


@lru_cache(maxsize=1024)
def _platform_name(names: str) -> bool:
    return bool(_PLATFORM_NAMES.search(_CAMEL.sub("-", names).lower()))


@lru_cache(maxsize=1024)
def _only_section_words(names: str) -> bool:
    """Whether ``names`` read as chrome only through the words of :data:`_SECTION_NAMES`
    (not through banner words, a consent platform's name or other furniture)."""
    return not _CHROME_NAMES.search(_SECTION_NAMES.sub(" ", _CAMEL.sub("-", names).lower()))


def _opens_a_section_of_the_document(element: etree._Element) -> bool:
    """Its first text is a heading: a section, not a banner. (Whether it belongs to the
    document is then for main-content detection to say, as for any other block: a
    banner is appended after the page's footer, beyond the document.)"""
    first = next((el for el in element.iter(etree.Element) if (el.text or "").strip()), None)
    return first is not None and (
        first.tag in HEADING_TAGS or any(a.tag in HEADING_TAGS for a in first.iterancestors())
    )


def _is_pager_link(link: etree._Element, attrs: Attributes) -> bool:
    """A link to the previous or next page of a series (``rel="next"``, or labelled
    "Previous", "Next »", "Suivant"…) standing on its own, not in a sentence:
    documentation sites and help centres put a pair under every page, and what
    they point to changes whenever the site's pages are reordered."""
    rel = attrs.get("rel")
    if rel and not _PAGER_WORDS.isdisjoint(rel.lower().split()):
        return True
    label = link.text  # read once: lxml builds a new string on every read
    if not label or label.isspace():
        label = next((text for text in link.itertext() if not text.isspace()), "")
    if _PAGER_LABEL.match(label) is None or in_sentence(link):
        return False
    return not in_page(attrs.get("href", "#"))


def in_sentence(element: etree._Element) -> bool:
    """Whether text runs right before or after ``element`` (an inline link in prose)."""
    if (element.tail or "").strip():
        return True
    previous = element.getprevious()
    before = previous.tail if previous is not None else element.getparent().text
    return bool((before or "").strip())


@lru_cache(maxsize=8192)
def _furniture_names(names: str) -> bool:
    """:func:`is_chrome_name` behind a cheap substring test, cached by class string."""
    lowered = names.lower()
    return any(stem in lowered for stem in _CHROME_STEMS) and is_chrome_name(names)


def is_chrome_name(names: str) -> bool:
    """Whether class or id ``names`` mark page furniture (camelCase is split first)."""
    return bool(_CHROME_NAMES.search(_CAMEL.sub("-", names).lower()))


def is_layout(element: etree._Element) -> bool:
    """A footer (an article's own footer too: its share buttons, votes and comment
    counts are not the document), or named as the site's header, footer, menu or
    sidebar. A block named only as a header is the title's when it holds an ``<h1>``,
    or any heading when no prefix says it is the site's ("policy__header": a
    component's own header, over its text) or when it is the page's header (see
    :func:`is_page_header`); a menu, sidebar or footer holding an ``<h1>`` (a switcher
    between legal documents labelled with the current one's name) is still one."""
    if element.tag == "footer":
        return True
    found = _layout_names(element)
    if not found:
        return False
    if not found <= _HEADER_WORDS:
        return True
    titles = HEADING_TAGS if found == {(None, "header")} else ("h1",)
    # The heading itself may bear the name ("<h1 class="module_header">").
    if element.tag in titles or has_descendant(element, *titles):
        return False
    return not (_is_page_header(element, found) or _is_blocks_own_header(element))


def is_page_header(element: etree._Element) -> bool:
    """Named as the page's header ("page-header": Bootstrap's and WordPress's block
    over the article), holding a heading and no link: the page's title, in an ``<h2>``
    where the page has no ``<h1>``; or the header of the block that holds the document
    (see :func:`_is_blocks_own_header`). A site's header holds the site's name in a
    heading beside its links."""
    return _is_page_header(element, _layout_names(element)) or _is_blocks_own_header(element)


def _is_page_header(element: etree._Element, found: set[tuple[str | None, str]]) -> bool:
    if not found or not all(site == "page" for site, _ in found) or not found <= _HEADER_WORDS:
        return False
    return has_descendant(element, *HEADING_TAGS) and not has_descendant(element, "a")


def _is_blocks_own_header(element: etree._Element) -> bool:
    """A header named as a BEM element of a block that holds it ("lp-terms__header" in
    the "lp-terms" block), with no link: that component's own header, its title and
    date in paragraphs over its text, not the site's (which links its home page and
    menu)."""
    blocks = {m[1] for m in _BLOCK_HEADER.finditer(element.get("class") or "")}
    if not blocks or has_descendant(element, "a"):
        return False
    for level, ancestor in enumerate(element.iterancestors()):
        if level == BLOCK_HEADER_LEVELS:
            break
        if blocks & set((ancestor.get("class") or "").split()):
            return True
    return False


def _layout_names(element: etree._Element) -> set[tuple[str | None, str]]:
    """The layout names in ``element``'s class and id, each with its prefix ("site",
    "page"…) or None."""
    names = (element.get("class") or "") + " " + (element.get("id") or "")
    if not any(stem in names.lower() for stem in _LAYOUT_STEMS):
        return set()
    return {(m["site"], m["word"]) for m in _LAYOUT_NAMES.finditer(_CAMEL.sub("-", names).lower())}


def is_language_switcher(element: etree._Element) -> bool:
    """Links to the page in other languages, with at most a short label ("Change
    language:") beside them: the site's, however few they are. Each link is marked with
    its language (``hreflang``, or ``lang`` on the link or its words, as the W3C asks),
    or, two links or more, each says only a language's name as its speakers write it
    ("Français", "Deutsch (Schweiz)") or its code ("FR") that its address also holds."""
    links = [a for a in element.iter("a") if not in_page(a.get("href", "#"))]
    if not links:
        return False
    if not all(names_language(link) for link in links) and (
        # Links not marked so must be two or more, and each say which language it is.
        len(links) < 2 or not all(names_language(link) or says_language(link) for link in links)
    ):
        return False
    text = sum(len(words.strip()) for words in element.itertext())
    link_text = sum(len(words.strip()) for link in links for words in link.itertext())
    return text - link_text <= LANGUAGE_LABEL_CHARS


def names_language(link: etree._Element) -> bool:
    """Whether a link is marked with the language it leads to (``hreflang``, ``lang``)."""
    if link.get("hreflang") or link.get("lang"):
        return True
    return len(link) > 0 and any(child.get("lang") for child in link.iterdescendants(etree.Element))


def says_language(link: etree._Element) -> bool:
    """Whether a link's words are only a language's name, as its speakers write it
    (a region may follow in brackets), or a language code that its address holds too
    ("FR" to ``/fr/privacy``)."""
    words = (link.text or "") if len(link) == 0 else _STRING(link)
    name = words.split("(", 1)[0].strip().casefold()
    if name in ENDONYMS:
        return True
    # A flag or an arrow beside the name ("🇫🇷 Français", "Deutsch ›").
    bare = _SYMBOLS.sub("", name).strip()
    if bare != name and bare in ENDONYMS:
        return True
    if name not in LANGUAGE_CODES:
        return False
    return (
        re.search(rf"(?:^|[/?&=._-]){name}(?:$|[/?&=._-])", link.get("href", ""), re.I) is not None
    )


def in_page(href: str) -> bool:
    """A link to a place in the same document (a table of contents entry), not to
    another page ("#/route" is a single-page-app route, not an anchor)."""
    anchor = href.find("#")
    return (
        anchor >= 0
        and not href.startswith("/", anchor + 1)
        and not href.startswith("!", anchor + 1)
    )


def has_descendant(element: etree._Element, *tags: str) -> bool:
    """Whether ``element`` has a descendant with one of ``tags``."""
    return next(element.iterdescendants(*tags), None) is not None


# A field the reader types into (hidden fields and check boxes excluded).
_TYPED_FIELD = etree.XPath(
    "boolean(.//textarea | .//input[not(@type) or @type='text' or @type='email'"
    " or @type='search' or @type='tel' or @type='url' or @type='password'])"
)
_TEXT_CONTAINERS = ("table", "ul", "ol", "dl", "pre", "blockquote", *HEADING_TAGS)
_TEXT_TAGS = frozenset(("p", *HEADING_TAGS))


def forms_to_fill(root: etree._Element) -> frozenset[etree._Element]:
    """The forms under ``root`` with a field the reader types into (a contact form, a
    newsletter sign-up, a search box), as opposed to a policy's own check boxes."""
    return frozenset(form for form in root.iter("form") if _TYPED_FIELD(form))


def is_custom_control(element: etree._Element) -> bool:
    """A focusable element scripted into a button or tab ("Print", "Expand all", a tab
    strip): a short label standing alone, not a toggle, not a text container. Headings
    and paragraphs are text, focusable or not: pages make them focus targets
    (``tabindex="-1"``) to move the reader to them."""
    get = element.get
    if get("tabindex") is None or "aria-expanded" in element.attrib:
        return False
    if element.tag in _TEXT_TAGS or get("role") == "heading":
        return False
    if get("aria-controls") is not None or has_descendant(element, *_TEXT_CONTAINERS):
        return False
    return not in_sentence(element)
