"""The document's region around its core: what joins it, and what is cut from its edges.

:func:`watcher.content.main_content` finds the *core*, the innermost block that holds
most of the page's text; this module grows it into the document, sibling by sibling
and level by level, over blocks that are not navigation (so the title and "last
updated" line above it are kept), up to the first menu, link list, form to fill, grid
of cards or copyright line on each side and never past the site's header or footer. It
also trims what stands at the core's edges without a name to tell it: the site's menus
in a page-wide core, the name of a menu over the title, the breadcrumb right before the
title, and the menus of a title banner above a ``<main>`` that has no title.

These are general rules about how web pages are built, never rules about a
particular site.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence

from lxml import etree

from .chrome import has_descendant, in_page, is_language_switcher, is_layout, is_page_header
from .visibility import HEADING_TAGS, flat_text, spaced_text
from .weights import LINK_DENSITY, NAV_LINKS, Weight, drop_weighed, inside, is_site_header

log = logging.getLogger(__name__)

# A block outside the core this short with a copyright sign is the page footer.
COLOPHON_CHARS = 400
# A block with links whose headings and link labels make this share of its text is a
# grid of cards linking to other pages.
CARD_SHARE = 0.8
# A menu's name before it ("Documents", "Legal") is at most this long.
MENU_LABEL_CHARS = 40
# A site's footer after the document holds at least this many links (its link lists).
FOOTER_LINKS = 2 * NAV_LINKS
# Links right before the page's title this short (characters, spaces left out) are its
# breadcrumb, when nothing but separators and the title's own words is between them.
TRAIL_CHARS = 160
# Right under the page's title, a list of at least this many links to other pages, over
# a document with this many times its text in prose, is the site's menu.
MENU_LINKS = 5
MENU_PROSE_FACTOR = 10
# A notice this short with a link, before the page's title, is a bar over the page
# ("Black Friday: 30% off. See offers"), not the document.
NOTICE_CHARS = 300
# A control that closes its block: named so ("bar-close", "close-btn", Font Awesome's
# "fa-times") or labelled so, in the languages whose dates watcher reads.
_CLOSE_CLASS = re.compile(r"(?:^|[-_])(?:close|dismiss)(?:$|[-_])|^fa-(?:times|xmark|close)$", re.I)
_CLOSE_LABEL = re.compile(
    r"close|dismiss|fermer|schlie(?:ß|ss)en|cerrar|chiudi|fechar|sluiten|×|✕", re.I
)
# The address of a site's page to sign in or up ("/login?redirect_url=…", "/signin";
# not "/register", which may be a register of processing the policy links to).
_SIGN_IN_PAGE = re.compile(r"/(?:log-?in|sign-?in|sign-?up|connexion|anmelden)(?=$|[/?#.])", re.I)
_CRUMB_SEPARATORS = re.compile(r"[>›»/|·•:\-–—]+")
_HEADERS = etree.XPath("descendant-or-self::*[self::header or @role='banner']")
# A site header that is only a <div>, named so by class or id ("site-header",
# "headerWrap--HR7IA3TN"), its menu items buttons a script makes work rather than links.
_NAMED_HEADERS = etree.XPath(
    "descendant-or-self::*[contains(@class, 'eader') or contains(@id, 'eader')]"
)
_HEADER_NAME = re.compile(
    r"(?:^|[\s_-])(?:site|global|top|app)?[-_]?header(?:[-_]?(?:wrap|wrapper|container|bar))?"
    r"(?=$|\s|--)",
    re.IGNORECASE,
)
# ... when it holds at least this many labels, none longer than this: a bar of menu
# items, not a title banner or an article's "last updated" header.
HEADER_LABELS = 3
HEADER_LABEL_CHARS = 30
# A switcher between the site's documents names each in at most this many characters.
SWITCHER_LABEL_CHARS = 60
# Before the page's title, a strip of such labels of at most this many words each,
# without a link, is the site's row of brands or logos.
STRIP_LABEL_WORDS = 2
_SENTENCE_END = re.compile(r"[.!?;:]")


def title_before(
    landmark: etree._Element, body: etree._Element, weights: dict[etree._Element, Weight]
) -> etree._Element | None:
    """The block holding the page's ``<h1>`` right before a ``<main>`` that has none:
    sites put the policy's title and its "last updated" line in a banner above it (the
    banner's menus left out)."""
    node = landmark
    while node is not body:
        nearest = _nearest_with_text(node.itersiblings(preceding=True), weights)
        if nearest is not None:
            _drop_menus(nearest, weights)
            return nearest if _is_title_block(nearest, weights[nearest]) else None
        parent = node.getparent()
        if parent is None:
            return None
        node = parent
    return None


def _drop_menus(block: etree._Element, weights: dict[etree._Element, Weight]) -> None:
    """Drop the menus in a block above the document (a banner that holds the site's
    navigation bar, by name or by its links, over the page's title), not the title."""
    for element in list(block.iterdescendants(etree.Element)):
        weight = weights.get(element)
        if weight is None or not weight.text or not inside(element, block):
            continue
        if _has_h1(element):
            continue
        if is_layout(element) or weight.is_navigation():
            drop_weighed(element, weights)


def drop_breadcrumb(region: list[etree._Element], weights: dict[etree._Element, Weight]) -> None:
    """Drop the trail of links right before the page's one ``<h1>`` ("Help › Legal ›
    Privacy"): the site renames its pages above this one with its menus, and when
    class names are hashes nothing else tells it from the document."""
    titles = [h1 for element in region for h1 in element.iter("h1")]
    if len(titles) != 1:
        return
    crumbs = _text_before(titles[0], region, weights)
    if crumbs is not None and _is_breadcrumb(crumbs, flat_text(titles[0])):
        if crumbs in region:
            region.remove(crumbs)
        drop_weighed(crumbs, weights)


def _text_before(
    element: etree._Element, region: list[etree._Element], weights: dict[etree._Element, Weight]
) -> etree._Element | None:
    """The nearest block with text before ``element`` in the ``region``."""
    node = element
    while node not in region:
        nearest = _nearest_with_text(node.itersiblings(preceding=True), weights)
        if nearest is not None:
            return nearest
        parent = node.getparent()
        if parent is None:
            return None
        node = parent
    index = region.index(node)
    return region[index - 1] if index else None


def _is_breadcrumb(element: etree._Element, title: str) -> bool:
    """Short, and nothing but links to other pages, separators and maybe ``title``
    (the trail's last step: this page, not linked)."""
    text = flat_text(element)
    links = [a for a in element.iter("a") if not in_page(a.get("href", "#"))]
    if not links or len(text) > TRAIL_CHARS:
        return False
    for link in links:
        text = text.replace(flat_text(link), "", 1)
    return _CRUMB_SEPARATORS.sub("", text) in ("", title)


def trim_menus(core: etree._Element, weights: dict[etree._Element, Weight]) -> None:
    """Drop the site's menus from the edges of the core: the link lists before the block
    that holds the page's one ``<h1>`` and the blocks there named as the site's menu or
    sidebar (a script's tree of topics, its items plain text), and at the end the link
    lists that go to the same pages (a footer repeats the header's sections) and the
    blocks named as the site's footer that hold link lists and less prose than the
    document (:func:`_is_site_footer`). Where the
    core is the whole page (no block in it holds most of the text) and class names are
    hashes, nothing else finds them. A link list at the end that goes elsewhere (a list
    of reports, earlier versions of the terms) is the document's and stays."""
    children = [child for child in core if (w := weights.get(child)) is not None and w.text]
    titled = [i for i, child in enumerate(children) if _has_h1(child)]
    if len(titled) != 1:
        return
    menus: set[str] = set()
    before = children[: titled[0]]
    for index, child in enumerate(before):
        if weights[child].is_navigation() or is_layout(child):
            menus.update(_link_targets(child))
            drop_weighed(child, weights)
            label = before[index - 1] if index else None
            if label is not None and _is_label(label, weights.get(label)):
                drop_weighed(label, weights)
    after = children[titled[0] + 1 :]
    if len(after) > 1 and _is_menu_under_title(after[0], after[1:], weights):
        drop_weighed(after[0], weights)
    document = weights[children[titled[0]]]
    for child in reversed(after):
        weight = weights[child]
        if not (
            _repeats_menus(child, weight, menus)
            or _is_site_footer(child, weight, document)
            or _is_card_list(child)
        ):
            break
        drop_weighed(child, weights)


def _is_menu_under_title(
    element: etree._Element,
    rest: Sequence[etree._Element],
    weights: dict[etree._Element, Weight],
) -> bool:
    """A list of links to other pages right under the title, before a document that
    says far more than it: the site's menu (About, Jobs, Help, Legal, Privacy) that a
    layout floats beside the text. A table of contents goes to places in the page, and
    a page that is only a list of links is all list."""
    weight = weights[element]
    if not weight.is_navigation() or weight.links < MENU_LINKS:
        return False
    if any(in_page(a.get("href", "")) for a in element.iter("a")):
        return False
    return sum(weights[block].prose for block in rest) >= MENU_PROSE_FACTOR * weight.text


def _repeats_menus(element: etree._Element, weight: Weight, menus: set[str]) -> bool:
    """A link list that goes mostly where the menus before the document went."""
    if not menus or not weight.is_navigation():
        return False
    targets = _link_targets(element)
    return len(targets & menus) >= len(targets) / 2


def _is_site_footer(element: etree._Element, weight: Weight, document: Weight) -> bool:
    """A block named as the site's footer (or menu) after the document, with link lists
    in it and less prose than the document: also when it says something besides its
    links (a notice on how the site uses data, social links, the legal pages)."""
    return weight.links >= FOOTER_LINKS and weight.prose < document.prose and is_layout(element)


def _is_label(element: etree._Element, weight: Weight | None) -> bool:
    """A few words without links: a menu's name ("Documents")."""
    return weight is not None and 0 < weight.text <= MENU_LABEL_CHARS and not weight.links


def _link_targets(element: etree._Element) -> set[str]:
    """Where the links in ``element`` go (other pages only)."""
    return {href for a in element.iter("a") if (href := a.get("href")) and not in_page(href)}


def grow(
    core: etree._Element,
    top: etree._Element,
    weights: dict[etree._Element, Weight],
    forms: frozenset[etree._Element],
) -> list[etree._Element]:
    """The core plus the non-navigation blocks around it, up to the nearest menu or form
    to fill each side."""
    before: list[list[etree._Element]] = []
    after: list[list[etree._Element]] = []
    open_before = True
    open_after = not _drop_site_footer(core, weights)
    # Whether the page's one <h1> is in the region yet (None: not one <h1> on the page).
    titled = _has_h1(core) if _one_h1(top) else None
    heading = next(core.iter("h1"), None)
    title = spaced_text(heading) if heading is not None else None
    node = core
    while node is not top and (open_before or open_after):
        if open_before:
            preceding = list(node.itersiblings(preceding=True))
            kept, open_before = _neighbours(
                preceding, weights, forms, title_beyond=True, titled=titled, title=title
            )
            if titled is False:
                titled = any(_has_h1(el) for el in kept)
            before.append(kept[::-1])
        if open_after:
            kept, open_after = _neighbours(list(node.itersiblings()), weights, forms)
            after.append(kept)
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    region = [el for level in reversed(before) for el in level]
    region.append(core)
    region.extend(el for level in after for el in level)
    return region


def _drop_site_footer(core: etree._Element, weights: dict[etree._Element, Weight]) -> bool:
    """Drop the site's footer from the end of the core, when the core is a page wrapper
    that ends with it (a page holding several documents, none of them most of the
    text); whether there was one, which ends the region.

    The footer is the core's last blocks: a link list named as a footer or menu, with
    the short copyright lines around it. A footer block that says something (an
    effective date, an address) is the document's own and stays, and so does a
    copyright line that ends the document with no such link list.
    """
    children = [child for child in core if (w := weights.get(child)) is not None and w.text]
    footer: list[etree._Element] = []
    named = False
    while len(children) > 1:
        last, weight = children[-1], weights[children[-1]]
        if is_layout(last) and weight.is_navigation():
            named = True
        elif not _is_colophon(last, weight):
            break
        footer.append(children.pop())
    if not named:
        return False  # a copyright line alone may end the document itself
    for element in footer:
        drop_weighed(element, weights)
    log.debug("main content: %d footer block(s) at the end of the core", len(footer))
    return True


def _neighbours(
    siblings: Sequence[etree._Element],
    weights: dict[etree._Element, Weight],
    forms: frozenset[etree._Element],
    title_beyond: bool = False,
    titled: bool | None = None,
    title: str | None = None,
) -> tuple[list[etree._Element], bool]:
    """The siblings to keep, nearest first, and whether no navigation stopped the scan.

    A block holding a form to fill (a contact form or a newsletter sign-up after the
    policy, a search box before it) is the site's, and a boundary as a menu is. With
    ``title_beyond`` (``siblings`` are those before the document), a link list or form
    that stands between the document and its title (a language switcher, links to the
    other policies) is passed over, not a boundary; once the page's one ``<h1>`` is in
    (``titled``; None when the page has not one), a short notice with a link is a
    boundary too: a bar over the page. A switcher between the site's documents that
    names the document's ``title`` (its first ``<h1>``) is a boundary before it.
    """
    kept: list[etree._Element] = []
    for index, sibling in enumerate(siblings):
        weight = weights.get(sibling)
        if titled and (
            _is_notice(weight)
            or (title_beyond and _is_label_strip(sibling, weight))
            or (title_beyond and _is_dismissible_bar(sibling, weight))
        ):
            return kept, False
        if sibling.tag == "footer" and not title_beyond:
            # Nothing after the page's footer is the document, even when the footer was
            # dropped as chrome: what follows it is overlays, widgets and the probes that
            # scripts insert ("word word word…" to measure fonts).
            return kept, False
        if title_beyond and _holds_site_header(sibling):
            # Nor before the site's header (emptied when dropped): skip links,
            # announcement bars ("Black Friday: 30% off"), app banners. A block that
            # holds it along with the page's title is the title's.
            if weight is not None and _is_title_block(sibling, weight):
                kept.append(sibling)
            return kept, False
        if weight is None or weight.text == 0:
            if not title_beyond and has_descendant(sibling, "footer"):
                return kept, False  # a wrapper left with only the emptied site footer
            continue
        if is_layout(sibling) or _is_colophon(sibling, weight):
            return kept, False
        if title is not None and _is_document_switcher(sibling, weight, title):
            return kept, False
        if not title_beyond and _is_sign_in_prompt(sibling, weight):
            return kept, False
        if not title_beyond and _is_table_of_contents(sibling, weight, weights):
            # After the document, its headings again as a sidebar ("On this page"),
            # which a layout shows beside the text: the page's, not the document's.
            return kept, False
        if (
            weight.is_navigation()
            or _is_card_grid(sibling, weight)
            or _holds(sibling, forms)
            or (weight.links and is_language_switcher(sibling))
        ):
            if title_beyond and _title_next(siblings[index + 1 :], weights):
                continue
            return kept, False
        if weight.link >= LINK_DENSITY * weight.text:
            continue
        kept.append(sibling)
        if title_beyond and is_page_header(sibling):
            return kept, False  # the page's own title block: the site's is before it
        if titled is False:
            titled = _has_h1(sibling)
    return kept, True


def _is_table_of_contents(
    element: etree._Element, weight: Weight, weights: dict[etree._Element, Weight]
) -> bool:
    """Nothing but two or more links to places in the page: a table of contents."""
    if weight.links:
        return False
    anchors = [
        found
        for a in element.iter("a")
        if in_page(a.get("href", "")) and (found := weights.get(a)) is not None and found.text
    ]
    return len(anchors) >= 2 and sum(found.text for found in anchors) == weight.text


def _is_sign_in_prompt(element: etree._Element, weight: Weight) -> bool:
    """A short block whose links all go to the site's sign-in or sign-up page ("Get help
    with your bookings. Log in or sign up"): the site's, beside any page."""
    if not weight.links or weight.text > NOTICE_CHARS:
        return False
    return all(_SIGN_IN_PAGE.search(link.get("href", "")) for link in element.iter("a"))


def _is_notice(weight: Weight | None) -> bool:
    """A short block with a link to another page."""
    return weight is not None and 0 < weight.text <= NOTICE_CHARS and weight.links > 0


def _is_document_switcher(element: etree._Element, weight: Weight, title: str) -> bool:
    """Three or more short labels, none a sentence, one of them the document's title:
    the options of a switcher between the site's legal documents, over the one shown
    ("Terms of Service  Privacy Policy  Cookie Policy…", a script's options without
    links). A new document in it is not a change of this one."""
    if weight.text > NOTICE_CHARS:
        return False
    labels = _labels(element)
    if len(labels) < HEADER_LABELS or any(
        len(label) > SWITCHER_LABEL_CHARS or label[-1] in ".!?" for label in labels
    ):
        return False
    return title.casefold() in {label.casefold() for label in labels}


def _is_dismissible_bar(element: etree._Element, weight: Weight | None) -> bool:
    """A short block with a control to close it ("×", a "close" icon): a bar the reader
    can dismiss, over the page ("Our two brands join forces ×")."""
    if weight is None or not 0 < weight.text <= NOTICE_CHARS:
        return False
    return any(_closes(el) for el in element.iter(etree.Element))


def _closes(element: etree._Element) -> bool:
    """Whether ``element`` is named or labelled as a control that closes its block."""
    label = element.get("aria-label") or element.get("title")
    if label and _CLOSE_LABEL.fullmatch(label.strip()):
        return True
    classes = element.get("class")
    return bool(classes) and any(_CLOSE_CLASS.search(name) for name in classes.split())


def _one_h1(element: etree._Element) -> bool:
    """Whether ``element`` holds exactly one ``<h1>``."""
    return sum(1 for _ in itertools.islice(element.iter("h1"), 2)) == 1


def _holds_site_header(element: etree._Element) -> bool:
    return any(is_site_header(el) for el in _HEADERS(element)) or any(
        _is_named_header(el) for el in _NAMED_HEADERS(element)
    )


def _is_named_header(element: etree._Element) -> bool:
    """A ``<div>`` named as the site's header that holds a bar of short labels and no
    heading, outside the page's sectioning elements."""
    names = f"{element.get('class', '')} {element.get('id', '')}"
    if not _HEADER_NAME.search(names) or has_descendant(element, *HEADING_TAGS):
        return False
    if not _short_labels(element):
        return False
    return is_site_header(element, named=True)


def _short_labels(element: etree._Element, words: int | None = None) -> bool:
    """Whether ``element`` shows :data:`HEADER_LABELS` texts or more, each at most
    :data:`HEADER_LABEL_CHARS` long (and ``words`` words, when given)."""
    labels = _labels(element)
    if len(labels) < HEADER_LABELS or any(len(label) > HEADER_LABEL_CHARS for label in labels):
        return False
    return words is None or all(len(label.split()) <= words for label in labels)


def _labels(element: etree._Element) -> list[str]:
    """The texts ``element`` shows, each with its runs of whitespace one space."""
    return [" ".join(words) for text in element.itertext() if (words := text.split())]


def _is_label_strip(element: etree._Element, weight: Weight | None) -> bool:
    """A strip of names and no sentence or link: the site's brands or logos over the
    page ("Shoes  Outdoor  Studio", a small screen's copy of the header's logos)."""
    if weight is None or weight.links or not weight.text:
        return False
    return _short_labels(element, STRIP_LABEL_WORDS) and not _SENTENCE_END.search(_text(element))


def _holds(element: etree._Element, forms: frozenset[etree._Element]) -> bool:
    return bool(forms) and any(form in forms for form in element.iter("form"))


def _is_card_grid(element: etree._Element, weight: Weight) -> bool:
    """Cards of related pages: several links, and next to no text but their headings
    and link labels ("Related content": a title and a "Learn more" link per card), or
    several headings that are links to other pages (each card's title, over a teaser).
    A part of the document says something under its headings, which link nowhere."""
    if weight.links < NAV_LINKS:
        return False
    headings = list(element.iterdescendants(*HEADING_TAGS))
    if sum(1 for heading in headings if _links_away(heading, element)) >= NAV_LINKS:
        return True
    heading_text = sum(len(_text(heading)) for heading in headings)
    return weight.link + heading_text >= CARD_SHARE * weight.text


def _is_card_list(element: etree._Element) -> bool:
    """Cards of related pages in a list, under at most a short heading of their own
    ("Related articles"): every item, two or more, holds a heading that links to another
    page (a card's title, over its teaser). A document's own closing section says
    something besides its list, and its headings are not each an item's link."""
    lists = list(itertools.islice(element.iter("ul", "ol"), 2))
    if len(lists) != 1:
        return False
    cards = lists[0]
    items = [item for item in cards if item.tag == "li"]
    if len(items) < 2 or not all(_titled_card(item) for item in items):
        return False
    titles = [h for h in element.iterdescendants(*HEADING_TAGS) if cards not in h.iterancestors()]
    beside = len(flat_text(element)) - len(flat_text(cards))
    return beside <= MENU_LABEL_CHARS and beside == sum(len(flat_text(h)) for h in titles)


def _titled_card(item: etree._Element) -> bool:
    return any(_links_away(heading, item) for heading in item.iterdescendants(*HEADING_TAGS))


def _links_away(heading: etree._Element, top: etree._Element) -> bool:
    """Whether all of ``heading``'s text is a link to another page (inside it, or
    around it below ``top``)."""
    text = _text(heading)
    if not text:
        return False
    for link in heading.iter("a"):
        if not in_page(link.get("href", "#")) and _text(link) == text:
            return True
    for ancestor in heading.iterancestors():
        if ancestor is top:
            return False
        if ancestor.tag == "a":
            return not in_page(ancestor.get("href", "#"))
    return False


def _text(element: etree._Element) -> str:
    """All the text under ``element``, without the spaces around it."""
    return "".join(element.itertext()).strip()


def _title_next(siblings: Sequence[etree._Element], weights: dict[etree._Element, Weight]) -> bool:
    """Whether the nearest of ``siblings`` with text is the block of the page's title."""
    nearest = _nearest_with_text(siblings, weights)
    return nearest is not None and _is_title_block(nearest, weights[nearest])


def _nearest_with_text(
    siblings: Iterable[etree._Element], weights: dict[etree._Element, Weight]
) -> etree._Element | None:
    return next((s for s in siblings if (w := weights.get(s)) is not None and w.text), None)


def _is_title_block(element: etree._Element, weight: Weight) -> bool:
    """Holds the page's ``<h1>`` as prose (not a site logo linked home), and is not page
    furniture itself."""
    if weight.link >= LINK_DENSITY * weight.text or is_layout(element):
        return False
    return _has_h1(element)


def _has_h1(element: etree._Element) -> bool:
    """Whether ``element`` is or holds an ``<h1>``."""
    return element.tag == "h1" or has_descendant(element, "h1")


def _is_colophon(element: etree._Element, weight: Weight) -> bool:
    """A short block with a copyright sign: the page's footer."""
    return weight.text <= COLOPHON_CHARS and "©" in _text(element)
