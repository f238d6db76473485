"""What page chrome looks like, element by element: tags, ARIA roles, the class names
of consent banners and page furniture, consent banners' buttons, links to the previous
and next page, the names of a site's header, footer and menus, forms to fill and
controls that scripts make of other elements.

These judgments need only the element and its attributes; :mod:`watcher.content`
weighs them against the page's text before dropping anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    r"|window|layer|sdk|component|module|area|region|block|panel)(?:$|[\s_-]))"
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
    # Site-wide announcement bars ("RollWorks is now AdRoll", "Black Friday: 30% off").
    r"|announcement(?:s|[-_]?(?:bar|banner))?|promo[-_]?(?:bar|banner)"
    # Modal windows, dialogs and pop-ups (a log-in form, cookie preferences), which CSS
    # frameworks hide until opened: named so only ("modal", "login-modal", "dialog-
    # wrapper"), never "modal-body" alone.
    r"|modal|dialog|popup|pop-up"
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
    "disqus", "modal", "dialog", "popup", "pop-up", "rating", "vot", "feedback", "reaction",
    "helpful", "announcement", "promo", "chat", "intercom", "drift", "crisp", "hubspot",
    "fc-frame", "fc_frame", "beacon",
)  # fmt: skip
# The layout names a page's title may stand in (a site or page header, a masthead).
_HEADER_WORDS = frozenset(
    (site, word)
    for site in (None, "site", "global", "page", "main", "top")
    for word in ("header", "masthead", "topbar")
)
_LAYOUT_STEMS = ("header", "footer", "nav", "menu", "sidebar", "topbar", "masthead")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
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
_PAGER_RELS = frozenset(("prev", "previous", "next"))
# The label of a pager link: the word alone, with arrows, or before the page's name
# ("Next: Cookie Policy"), in the languages whose dates watcher reads.
_PAGER_LABEL = re.compile(
    r"\W*(?:previous|prev|next|pr[ée]c[ée]dent|suivant|zur[üu]ck|weiter|vorherige|n[äa]chste"
    r"|anterior|siguiente|precedente|successivo|pr[óo]ximo|seguinte|vorige|volgende)"
    r"\s*(?:$|[:|»›→–—-])",
    re.I,
)

# The whole label of a consent banner's buttons ("Accept all cookies", "Refuse
# non-essential cookies", "Tout refuser", "Alle ablehnen"), in the languages whose dates
# watcher reads.
_CONSENT_CHOICE = re.compile(
    r"(?:i\s+)?(?:accept|allow|agree|reject|refuse|decline|deny|got\s+it"
    r"|(?:tout\s+)?(?:accepter|refuser)|j['’]accepte|(?:alle\s+)?(?:akzeptieren|ablehnen)"
    r"|zustimmen|aceptar|rechazar|accetta|rifiuta|aceitar|rejeitar|accepteren|weigeren)"
    r"\b[^.!?]{0,40}",
    re.I,
)
_COOKIE_WORDS = re.compile(r"cookie|consent|tracker|t[ée]moins?\b", re.I)
# The text of an element, without its scripts' and styles' (not stripped yet).
_SHOWN_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")
# A consent banner says what it has to say in this many words or fewer.
BANNER_WORDS = 150
# ... and its preferences panel, with a line on each kind of cookie, in this many.
PANEL_WORDS = 400
# The forms that networks and mail clients open to share a page (how share buttons are
# built: the link carries the page's address to the network's share endpoint).
_SHARE_LINK = re.compile(
    r"^\s*(?:mailto:\?|(?:https?:)?//(?:[\w-]+\.)*(?:"
    r"(?:twitter|x)\.com/(?:intent/(?:tweet|post)|share)"
    r"|facebook\.com/(?:sharer|share\.php|dialog/(?:share|feed))"
    r"|linkedin\.com/(?:shareArticle|sharing/share-offsite|cws/share)"
    r"|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|whatsapp\.com/send|wa\.me/\?"
    r"|t(?:elegram)?\.me/share|tumblr\.com/(?:share|widgets/share)|bsky\.app/intent/compose"
    r"|threads\.net/intent|vk\.com/share\.php|xing\.com/spi/shares|line\.me/R/msg"
    r"))",
    re.I | re.M,
)
_HREFS = etree.XPath("//a/@href", smart_strings=False)
# A vote widget asks its question in this many words or fewer.
VOTE_WORDS = 30
# ... and a newsletter sign-up its offer in this many.
SIGNUP_WORDS = 40
_NOT_FIELDS = frozenset(("hidden", "submit", "button", "image", "reset", "checkbox"))
_EMAIL_WORD = re.compile(r"e-?mail|courriel", re.I)
# Text outside forms and headings, a link outside forms, or a second form.
_BESIDE_FORM = etree.XPath(
    "boolean(.//text()[normalize-space()][not(ancestor::script or ancestor::style"
    " or ancestor::form or ancestor::h1 or ancestor::h2 or ancestor::h3 or ancestor::h4"
    " or ancestor::h5 or ancestor::h6)] | .//a[not(ancestor::form)] | .//form[2])"
)
# A language switcher's label ("Change language:") is this short or shorter.
LANGUAGE_LABEL_CHARS = 40
# A tab's label is this short or shorter, and stands this few levels above its panes.
TAB_LABEL_CHARS = 40
TAB_LEVELS = 3


def consent_banners(root: etree._Element) -> list[etree._Element]:
    """Consent banners known by their choices, whatever their class names (hashed by
    CSS-in-JS): the outermost labelled region or dialog of at most :data:`BANNER_WORDS`
    words that speaks of cookies around an "Accept all cookies" or "Refuse" button (or a
    link to a script), else the outermost such block that offers two of those choices;
    and the preferences panel beside a banner. Read before the buttons go with the rest
    of what has no text."""
    found: list[etree._Element] = []
    for button in _choices(root):
        if not _is_consent_choice(button):
            continue
        banner = _banner_around(button)
        if banner is not None and banner not in found:
            found.append(banner)
            found.extend(panel for panel in _panels_beside(banner) if panel not in found)
    return found


def _choices(root: etree._Element) -> Iterator[etree._Element]:
    """What a reader clicks to choose: buttons, and links that go nowhere but to a script
    (``<a href="#" class="btn">Accept all</a>``, as cookie plugins make them)."""
    for element in root.iter("button", "a"):
        if element.tag == "button":
            yield element
        else:
            href = (element.get("href") or "").strip()
            if href in ("", "#") or href.startswith("javascript:"):
                yield element


def _is_consent_choice(button: etree._Element) -> bool:
    label = button.get("aria-label") or "".join(button.itertext())
    return len(label) <= 60 and bool(_CONSENT_CHOICE.fullmatch(" ".join(label.split())))


def _banner_around(button: etree._Element) -> etree._Element | None:
    labelled = unlabelled = None
    for ancestor in button.iterancestors():
        if ancestor.tag in ("body", "main", "article"):
            break
        if _shows_over(ancestor, BANNER_WORDS):
            break  # and so are all the ancestors above
        if _COOKIE_WORDS.search(" ".join(_SHOWN_TEXT(ancestor))):
            if _is_labelled_region(ancestor):
                labelled = ancestor
            else:
                unlabelled = ancestor
    if labelled is not None:
        return labelled
    # Nothing labels it: a block that offers one choice could be a policy's own form.
    if unlabelled is not None and sum(map(_is_consent_choice, _choices(unlabelled))) >= 2:
        return unlabelled
    return None


def _panels_beside(banner: etree._Element) -> list[etree._Element]:
    """The banner's siblings that speak of cookies and offer two consent choices: the
    preferences panel a banner opens ("Necessary", "Statistics"... Save / Refuse all /
    Accept all), longer than a banner."""
    return [
        sibling
        for sibling in banner.itersiblings(etree.Element, preceding=True)
        if _is_panel(sibling)
    ] + [sibling for sibling in banner.itersiblings(etree.Element) if _is_panel(sibling)]


def _is_panel(element: etree._Element) -> bool:
    if _shows_over(element, PANEL_WORDS):
        return False
    choices = sum(map(_is_consent_choice, _choices(element)))
    return choices >= 2 and bool(_COOKIE_WORDS.search(" ".join(_SHOWN_TEXT(element))))


def _is_labelled_region(element: etree._Element) -> bool:
    get = element.get
    return (
        element.tag in ("aside", "dialog")
        or get("role") in ("region", "dialog", "alertdialog")
        or get("aria-label") is not None
        or get("aria-labelledby") is not None
    )


def vote_forms(root: etree._Element) -> list[etree._Element]:
    """Forms that ask readers to rate the page ("Was this helpful?" Yes / No), known by
    their choices whatever their class names: two or more submit buttons of one name
    with different values, no other control but hidden fields, and at most
    :data:`VOTE_WORDS` words. Read before the buttons go with the rest of what has no
    text. A policy's own form (an opt-out button, consent check boxes) is not one."""
    return [form for form in root.iter("form") if _is_vote(form)]


def _is_vote(form: etree._Element) -> bool:
    choices: set[tuple[str | None, str | None]] = set()
    for control in form.iter("input", "button", "select", "textarea"):
        kind = (control.get("type") or ("submit" if control.tag == "button" else "")).lower()
        if control.tag == "input" and kind == "hidden":
            continue
        if control.tag not in ("input", "button") or kind not in ("submit", "image"):
            return False
        choices.add((control.get("name"), control.get("value")))
    names = {name for name, _ in choices}
    if len(choices) < 2 or len(names) != 1 or None in names:
        return False
    return not _shows_over(form, VOTE_WORDS)


def _shows_over(element: etree._Element, words: int) -> bool:
    """Whether ``element`` shows more than ``words`` words (its scripts and styles left
    out), counting no further than that: its ancestors may hold the whole page."""
    count = 0
    for node in element.iter():
        if node.text and isinstance(node.tag, str) and node.tag not in ("script", "style"):
            count += len(node.text.split())
        if node.tail and node is not element:
            count += len(node.tail.split())
        if count > words:
            return True
    return False


def signup_forms(root: etree._Element) -> list[etree._Element]:
    """Forms that sign readers up to news by e-mail ("Our news every month" [your
    e-mail] Subscribe), known by their one field whatever their class names: an
    e-mail address and nothing else to type or choose (check boxes aside: the consent
    to the mailing), with at most :data:`SIGNUP_WORDS` words. Each goes with the
    blocks around it that show nothing else but a heading (the offer's title: "Stay
    updated"): no other text, link or form. A contact or log-in form asks more than
    an address; a policy's paragraph beside a form to subscribe to its updates stays."""
    found: list[etree._Element] = []
    for form in root.iter("form"):
        if not _is_signup(form):
            continue
        widget = form
        for ancestor in form.iterancestors():
            # The word count first: it stops early, where the XPath reads the whole block.
            if ancestor.tag in ("body", "main", "article") or _shows_over(ancestor, SIGNUP_WORDS):
                break
            if _BESIDE_FORM(ancestor):
                break
            widget = ancestor
        found.append(widget)
    return found


def _is_signup(form: etree._Element) -> bool:
    fields = 0
    for control in form.iter("input", "select", "textarea"):
        kind = (control.get("type") or "text").lower()
        if control.tag == "input" and kind in _NOT_FIELDS:
            continue
        if control.tag != "input" or kind not in ("email", "text") or not _asks_email(control):
            return False
        fields += 1
    return fields == 1 and not _shows_over(form, SIGNUP_WORDS)


def _asks_email(field: etree._Element) -> bool:
    if (field.get("type") or "").lower() == "email":
        return True
    get = field.get
    said = (get("name"), get("id"), get("placeholder"), get("autocomplete"), get("aria-label"))
    return bool(_EMAIL_WORD.search(" ".join(filter(None, said))))


def tab_strips(hidden: list[etree._Element]) -> list[etree._Element]:
    """Lists of tab labels that a script switches panes with, known by the panes
    whatever their names: a block whose children are panes of one tag, all hidden but
    one, and right before it a list with one short label per pane and no link
    ("Privacy" "Publication" "Copyright" over the first of three legal notices). The
    labels are the page's controls, not the document; a list of links (a table of
    contents) or of another length stays."""
    hidden_set = set(hidden)
    found: list[etree._Element] = []
    seen: set[etree._Element] = set()
    for pane in hidden:
        parent = pane.getparent()
        if parent is None or parent in seen:
            continue
        seen.add(parent)
        panes = [child for child in parent if isinstance(child.tag, str)]
        if len(panes) < 2 or len({child.tag for child in panes}) != 1:
            continue
        if sum(1 for child in panes if child not in hidden_set) != 1:
            continue
        strip = _labels_before(parent, len(panes))
        if strip is not None:
            found.append(strip)
    return found


def _labels_before(block: etree._Element, count: int) -> etree._Element | None:
    """The list of ``count`` short labels without links that stands right before
    ``block`` (or before the blocks that hold only it), if there is one."""
    for _ in range(TAB_LEVELS):
        previous = block.getprevious()
        while previous is not None and not "".join(_SHOWN_TEXT(previous)).strip():
            previous = previous.getprevious()
        if previous is not None:
            lists = [previous] if previous.tag in ("ul", "ol") else list(previous.iter("ul", "ol"))
            if len(lists) != 1 or has_descendant(previous, "a"):
                return None
            items = [item for item in lists[0] if item.tag == "li"]
            if len(items) != count or len(items) != len(lists[0]):
                return None
            labels = ["".join(item.itertext()).strip() for item in items]
            if any(not label or len(label) > TAB_LABEL_CHARS for label in labels):
                return None
            return previous
        block = block.getparent()
        if block is None:
            return None
    return None


def vote_buttons(root: etree._Element) -> list[etree._Element]:
    """Blocks that ask readers to rate the page with buttons a script listens to, no
    form around them ("Was this helpful?" Yes / No): the outermost block around two or
    more buttons of a few words each, with no toggle, link or field in it, a question
    and at most :data:`VOTE_WORDS` words."""
    found: list[etree._Element] = []
    for button in root.iter("button"):
        if _short_buttons(button) != 1:
            continue  # a toggle, or a long label: no vote widget holds it
        widget = None
        for ancestor in button.iterancestors():
            if ancestor.tag in ("body", "main", "article", "form"):
                break
            buttons = _short_buttons(ancestor)
            if buttons < 0 or _shows_over(ancestor, VOTE_WORDS):
                break
            if buttons >= 2 and "?" in "".join(_SHOWN_TEXT(ancestor)):
                widget = ancestor
        if widget is not None and widget not in found:
            found.append(widget)
    return found


def _short_buttons(element: etree._Element) -> int:
    """How many buttons ``element`` holds, or -1 when it holds another control, a link,
    or a button that opens something or says more than a few words."""
    count = 0
    for control in element.iter("button", "a", "input", "select", "textarea"):
        if control.tag != "button" or control.get("aria-controls") or control.get("aria-expanded"):
            return -1
        if len("".join(control.itertext()).split()) > 3:
            return -1
        count += 1
    return count


def share_bars(root: etree._Element) -> list[etree._Element]:
    """Share buttons known by where they go, whatever their class names: the outermost
    block around two links or more to a network's share form or to an e-mail with no
    address (``mailto:?subject=``), with no other text than those links'."""
    # One search over all the addresses first: most pages have no share link at all.
    if not _SHARE_LINK.search("\n".join(_HREFS(root))):
        return []
    found: list[etree._Element] = []
    for link in root.iter("a"):
        if not _SHARE_LINK.match(link.get("href", "")):
            continue
        bar = None
        for ancestor in link.iterancestors():
            if ancestor.tag in ("body", "main", "article") or not _only_shares(ancestor):
                break
            bar = ancestor
        if bar is not None and bar not in found:
            found.append(bar)
    return found


def _only_shares(element: etree._Element) -> bool:
    links = list(element.iter("a"))
    if len(links) < 2 or not all(_SHARE_LINK.match(a.get("href", "")) for a in links):
        return False
    shown = sum(len("".join(_SHOWN_TEXT(a)).split()) for a in links)
    return len(" ".join(_SHOWN_TEXT(element)).split()) == shown


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
            return None
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
    return "pager" if tag == "a" and _is_pager_link(element, attrs) else None


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
    if rel and not _PAGER_RELS.isdisjoint(rel.lower().split()):
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
    or any heading when no site- or page- prefix says it is the site's
    ("policy__header": a component's own header, over its text); a menu, sidebar or
    footer holding an ``<h1>`` (a switcher between legal documents labelled with the
    current one's name) is still one."""
    if element.tag == "footer":
        return True
    names = (element.get("class") or "") + " " + (element.get("id") or "")
    lowered = names.lower()
    if not any(stem in lowered for stem in _LAYOUT_STEMS):
        return False
    found = {(m["site"], m["word"]) for m in _LAYOUT_NAMES.finditer(_CAMEL.sub("-", names).lower())}
    if not found:
        return False
    if not found <= _HEADER_WORDS:
        return True
    titles = HEADING_TAGS if found == {(None, "header")} else ("h1",)
    return not has_descendant(element, *titles)


def is_language_switcher(element: etree._Element) -> bool:
    """Links to the page in other languages, each marked with its language (``hreflang``,
    or ``lang`` on the link or its words, as the W3C asks), with at most a short label
    ("Change language:") beside them: the site's, however few they are."""
    links = [a for a in element.iter("a") if not in_page(a.get("href", "#"))]
    if not links or not all(_names_language(link) for link in links):
        return False
    text = sum(len(words.strip()) for words in element.itertext())
    link_text = sum(len(words.strip()) for link in links for words in link.itertext())
    return text - link_text <= LANGUAGE_LABEL_CHARS


def _names_language(link: etree._Element) -> bool:
    if link.get("hreflang") or link.get("lang"):
        return True
    return any(child.get("lang") for child in link.iterdescendants(etree.Element))


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
