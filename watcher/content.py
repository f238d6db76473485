"""Finding the policy in a page: visibility, chrome removal and main content.

:func:`extract` takes a parsed page and returns the elements whose text is
the document, in document order:

1. Text no reader sees is removed: scripts, styles, form controls, elements
   hidden with ``hidden`` or ``display: none`` and screen-reader-only text (by
   class name or by the clipped or off-screen inline style).
   Collapsed accordion and tab panels (the target of a toggle's
   ``aria-controls``, ``hidden="until-found"``) are *kept*: their text is
   part of the document even while folded.
2. With per-source ``select`` selectors, exactly what they match is returned.
3. Otherwise page chrome is removed (navigation, banners, footers, cookie
   notices, dialogs, sidebars: by tag, ARIA role and the class names that
   consent managers and front-end frameworks give them), never an element
   that holds most of the page's text.
4. The main content is found by text density: from the ``<main>`` landmark
   (or ``<body>``), descend while one child holds most of the non-link text;
   that container is the *core*. The region then grows outwards, sibling by
   sibling and level by level, over blocks that are not navigation (so the
   title and "last updated" line above the core are kept) and stops at the
   first link-dense block on each side (menus, footers, related links, a grid
   of cards that link to other pages).

These are general rules about how web pages are built, never rules about a
particular site.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from lxml import etree

from .chrome import (
    consent_banners,
    forms_to_fill,
    has_descendant,
    in_page,
    is_language_switcher,
    is_layout,
    menu_label,
    share_bars,
    vote_buttons,
    vote_forms,
)
from .visibility import (
    HEADING_TAGS,
    drop,
    drop_hidden,
    flat_text,
    panel_ids,
    strip_never_text,
    unveil,
)
from .weights import LINK_DENSITY, NAV_LINKS, Weight, survey

log = logging.getLogger(__name__)


# Elements whose parts are never the main content on their own.
_WHOLE = frozenset("table thead tbody tfoot tr ul ol dl menu p pre blockquote".split()) | frozenset(
    HEADING_TAGS
)
# An element holding at least this share of the page's text is never chrome,
# whatever its tag or class says (a cookie policy inside class="cookie-notice").
CHROME_GUARD = 0.5
# Chrome holding an <article> with this share of the page's text holds the document.
ARTICLE_SHARE = 0.25
# A block outside the core this short with a copyright sign is the page footer.
COLOPHON_CHARS = 400
# Descend into a child while it holds this share of the landmark's text.
CORE_SHARE = 0.75
# A landmark (<main>) is used when it holds this share of the page's text.
LANDMARK_SHARE = 0.5
# A block with links whose headings and link labels make this share of its text is a
# grid of cards linking to other pages.
CARD_SHARE = 0.8
# A menu's name before it ("Documents", "Legal") is at most this long.
MENU_LABEL_CHARS = 40
# A <header> inside these is theirs, not the site's (as ARIA maps it to "banner").
_SECTIONING = frozenset(("article", "aside", "main", "nav", "section"))
_HEADERS = etree.XPath("descendant-or-self::*[self::header or @role='banner']")
# Links right before the page's title this short (characters, spaces left out) are its
# breadcrumb, when nothing but separators and the title's own words is between them.
TRAIL_CHARS = 160
_CRUMB_SEPARATORS = re.compile(r"[>›»/|·•:\-–—]+")


@lru_cache(maxsize=256)
def _xpath(selector: str) -> etree.XPath:
    # Imported here: most sources have no selectors, and start-up time counts.
    from cssselect import GenericTranslator

    return etree.XPath(GenericTranslator().css_to_xpath(selector))


def select_all(root: etree._Element, selectors: Iterable[str]) -> list[etree._Element]:
    """Elements matching any of the CSS ``selectors``, outermost only, in document order."""
    selectors = tuple(selectors)
    if not selectors:
        return []
    found: dict[etree._Element, None] = {}
    for selector in selectors:
        for element in _xpath(selector)(root):
            if isinstance(element, etree._Element):
                found[element] = None
    chosen = set(found)
    order = {el: i for i, el in enumerate(root.iter())}
    outer = [el for el in found if not any(a in chosen for a in el.iterancestors())]
    return sorted(outer, key=lambda el: order.get(el, 0))


def extract(
    root: etree._Element,
    select: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    templates: bool = False,
) -> list[etree._Element]:
    """The elements that hold the document's text, in document order.

    ``select`` (when given) replaces main-content detection and chrome
    removal; ``remove`` always drops what it matches. With ``templates``, the
    contents of ``<template>`` elements are read as shown.
    """
    panels = panel_ids(root)
    # Read before the fields and buttons go with the rest of what has no text; only
    # the chrome rules use them, and ``select`` replaces those.
    forms = frozenset() if select else forms_to_fill(root)
    banners = [] if select else consent_banners(root)
    votes = [] if select else vote_forms(root) + vote_buttons(root)
    strip_never_text(root, templates)
    shares = [] if select else share_bars(root)
    for element in select_all(root, remove):
        drop(element)
    if select:
        drop_hidden(root, panels)
        return select_all(root, select)
    body = root.find("body")
    if body is None:
        body = root
    weights, hidden, chrome = survey(body, panels)
    if unveil(body, weights[body].text if body in weights else 0, hidden, banners):
        weights, hidden, chrome = survey(body, panels)
    if body not in weights:
        return []  # a page hidden whole by its markup shows nothing
    chrome.update((banner, "consent") for banner in banners if banner in weights)
    chrome.update((form, "vote") for form in votes if form in weights)
    chrome.update((bar, "share") for bar in shares if bar in weights)
    for element in hidden:
        drop(element)
    remove_chrome(body, weights, chrome)
    return main_content(body, weights, forms)


# ---------------------------------------------------------------- chrome


def remove_chrome(
    body: etree._Element,
    weights: dict[etree._Element, Weight],
    found: dict[etree._Element, str],
) -> None:
    """Drop navigation, banners, cookie notices, dialogs and other page furniture.

    ``found`` maps the chrome elements to why they are chrome, and ``weights`` are the
    elements' weights (both from :func:`~watcher.weights.survey`), kept up to date.
    """
    total = weights[body].prose
    # Every chrome element in turn, not only the outermost: a menu inside a wrapper
    # that had to stay (it also holds the document) is still a menu.
    for element in found:
        weight = weights.get(element)
        if weight is None or not _inside(element, body):
            continue
        if _guarded(element, found[element], weights, total):
            continue
        _drop_with_leftovers(element, weights, body)


def _drop_with_leftovers(
    element: etree._Element, weights: dict[etree._Element, Weight], body: etree._Element
) -> None:
    """Drop chrome with what only introduced it: the heading that labels it from outside
    (``<h3 id="toc">`` over ``<nav aria-labelledby="toc">``), and a ``<details>`` left
    with nothing but its summary ("Table of contents")."""
    label = menu_label(element)
    disclosure = next(element.iterancestors("details"), None)
    _drop_weighed(element, weights)
    if label is not None and label in weights and _inside(label, body):
        _drop_weighed(label, weights)
    if disclosure is not None and disclosure in weights and _inside(disclosure, body):
        summary = disclosure.find("summary")
        if weights[disclosure].text == (weights[summary].text if summary in weights else 0):
            _drop_weighed(disclosure, weights)


def _drop_weighed(element: etree._Element, weights: dict[etree._Element, Weight]) -> None:
    """Drop ``element``, taking its text out of its ancestors' weights. The page's footer
    is emptied instead, and stays in its place to end the document (:func:`_neighbours`)."""
    weight = weights[element]
    for ancestor in element.iterancestors():
        if ancestor in weights:
            weights[ancestor].subtract(weight)
    edge = "footer" if element.tag == "footer" or element.get("role") == "contentinfo" else None
    if edge is None and _is_site_header(element):
        edge = "header"
    if edge is not None:
        element.clear(keep_tail=True)
        element.tag = edge
        weights[element] = Weight()
    else:
        drop(element)


def _is_site_header(element: etree._Element) -> bool:
    """The site's header (the banner at the top of every page), not an article's."""
    if element.tag != "header" and element.get("role") != "banner":
        return False
    return not any(a.tag in _SECTIONING for a in element.iterancestors())


def _inside(element: etree._Element, top: etree._Element) -> bool:
    """Whether ``element`` is still in ``top``'s tree (not in a dropped subtree)."""
    return any(ancestor is top for ancestor in element.iterancestors())


def _guarded(
    element: etree._Element, kind: str, weights: dict[etree._Element, Weight], total: int
) -> bool:
    """Chrome that must stay: it wraps the main landmark; it is a call-out inside the
    document (an ``<aside>`` in the article that is not a menu); or, when only its
    class names say chrome (or hide it on a desktop screen), it holds most of the
    page's text."""
    weight = weights[element]
    if _wraps_main(element, weights, total):
        log.debug("not dropping <%s>: it holds the main content", element.tag)
        return True
    if kind == "aside" and not weight.is_navigation():
        return True
    if kind in ("name", "mobile") and total and weight.prose >= CHROME_GUARD * total:
        log.debug("not dropping <%s>: it holds most of the page's text", element.tag)
        return True
    return False


def _wraps_main(element: etree._Element, weights: dict[etree._Element, Weight], total: int) -> bool:
    """Whether ``element`` holds the main landmark, or an ``<article>`` with a good share
    of the page's text (readers' comments are small ``<article>`` elements too)."""
    if has_descendant(element, "main") or element.xpath("boolean(.//*[@role='main'])"):
        return True
    for article in element.iterdescendants("article"):
        weight = weights.get(article)
        if weight is None or not total or weight.prose >= ARTICLE_SHARE * total:
            return True
    return False


# ---------------------------------------------------------------- main content


def main_content(
    body: etree._Element,
    weights: dict[etree._Element, Weight],
    forms: frozenset[etree._Element] = frozenset(),
) -> list[etree._Element]:
    """The elements holding the page's main text, in document order. ``forms`` are the
    page's :func:`forms_to_fill`."""
    if weights[body].prose == 0:
        return [body]
    top = _landmark(body, weights)
    core = _core(top, weights)
    _trim_menus(core, weights)
    region = _grow(core, top, weights, forms)
    if top is not body and not has_descendant(top, "h1"):
        title = _title_before(top, body, weights)
        if title is not None:
            region.insert(0, title)
    _drop_breadcrumb(region, weights)
    log.debug("main content: <%s> core, %d element(s) in the region", core.tag, len(region))
    return region


def _title_before(
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
        if weight is None or not weight.text or not _inside(element, block):
            continue
        if _has_h1(element):
            continue
        if is_layout(element) or weight.is_navigation():
            _drop_weighed(element, weights)


def _drop_breadcrumb(region: list[etree._Element], weights: dict[etree._Element, Weight]) -> None:
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
        _drop_weighed(crumbs, weights)


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


def _landmark(body: etree._Element, weights: dict[etree._Element, Weight]) -> etree._Element:
    """``<main>`` (or ``role=main``) when it holds most of the text, or a quarter of it
    that the page repeats outside it; else ``<body>``."""
    total = weights[body].prose
    candidates = [
        el
        for el in body.iter("main", "div", "section", "article")
        if el.tag == "main" or el.get("role") == "main"
    ]
    if not candidates:
        return body
    best = max(candidates, key=lambda el: weights[el].prose)
    share = weights[best].prose / total if total else 0.0
    if share >= LANDMARK_SHARE or (
        2 * share >= LANDMARK_SHARE and _repeated_outside(best, body, weights)
    ):
        return best
    return body


def _repeated_outside(
    landmark: etree._Element, body: etree._Element, weights: dict[etree._Element, Weight]
) -> bool:
    """Whether the document in ``landmark`` is rendered again, whole, outside it: a
    layout for small screens that repeats it (CSS shows one copy or the other)."""
    core = _core(landmark, weights)
    prose = weights[core].prose
    text = flat_text(core)
    return any(
        weight.prose == prose and el is not core and not _inside(el, landmark)
        and _inside(el, body) and flat_text(el) == text
        for el, weight in weights.items()
    )  # fmt: skip


def _core(top: etree._Element, weights: dict[etree._Element, Weight]) -> etree._Element:
    """The innermost element under ``top`` that still holds most of its prose.

    A table, a list or a paragraph is never the core on its own: the document
    is the container that holds it with its title and introduction.
    """
    need = CORE_SHARE * weights[top].prose
    node = top
    while True:
        best = max(node, key=lambda el: weights[el].prose if el in weights else -1, default=None)
        if best is None or best.tag in _WHOLE or weights[best].prose < need:
            return node
        node = best


def _trim_menus(core: etree._Element, weights: dict[etree._Element, Weight]) -> None:
    """Drop the site's menus from the edges of the core: the link lists before the block
    that holds the page's one ``<h1>``, and at the end those that go to the same pages (a
    footer repeats the header's sections). Where the core is the whole page (no block in
    it holds most of the text) and class names are hashes, nothing else finds them. A
    link list at the end that goes elsewhere (a list of reports, earlier versions of the
    terms) is the document's and stays."""
    children = [child for child in core if (w := weights.get(child)) is not None and w.text]
    titled = [i for i, child in enumerate(children) if _has_h1(child)]
    if len(titled) != 1:
        return
    menus: set[str] = set()
    before = children[: titled[0]]
    for index, child in enumerate(before):
        if weights[child].is_navigation():
            menus.update(_link_targets(child))
            _drop_weighed(child, weights)
            label = before[index - 1] if index else None
            if label is not None and _is_label(label, weights.get(label)):
                _drop_weighed(label, weights)
    if not menus:
        return
    for child in reversed(children[titled[0] + 1 :]):
        targets = _link_targets(child)
        if not weights[child].is_navigation() or len(targets & menus) < len(targets) / 2:
            break
        _drop_weighed(child, weights)


def _is_label(element: etree._Element, weight: Weight | None) -> bool:
    """A few words without links: a menu's name ("Documents")."""
    return weight is not None and 0 < weight.text <= MENU_LABEL_CHARS and not weight.links


def _link_targets(element: etree._Element) -> set[str]:
    """Where the links in ``element`` go (other pages only)."""
    return {href for a in element.iter("a") if (href := a.get("href")) and not in_page(href)}


def _grow(
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
    node = core
    while node is not top and (open_before or open_after):
        if open_before:
            preceding = list(node.itersiblings(preceding=True))
            kept, open_before = _neighbours(preceding, weights, forms, title_beyond=True)
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
        _drop_weighed(element, weights)
    log.debug("main content: %d footer block(s) at the end of the core", len(footer))
    return True


def _neighbours(
    siblings: Sequence[etree._Element],
    weights: dict[etree._Element, Weight],
    forms: frozenset[etree._Element],
    title_beyond: bool = False,
) -> tuple[list[etree._Element], bool]:
    """The siblings to keep, nearest first, and whether no navigation stopped the scan.

    A block holding a form to fill (a contact form or a newsletter sign-up after the
    policy, a search box before it) is the site's, and a boundary as a menu is. With
    ``title_beyond`` (``siblings`` are those before the document), a link list or form
    that stands between the document and its title (a language switcher, links to the
    other policies) is passed over, not a boundary.
    """
    kept: list[etree._Element] = []
    for index, sibling in enumerate(siblings):
        if sibling.tag == "footer" and not title_beyond:
            # Nothing after the page's footer is the document, even when the footer was
            # dropped as chrome: what follows it is overlays, widgets and the probes that
            # scripts insert ("word word word…" to measure fonts).
            return kept, False
        weight = weights.get(sibling)
        if title_beyond and _holds_site_header(sibling):
            # Nor before the site's header (emptied when dropped): skip links,
            # announcement bars ("Black Friday: 30% off"), app banners. A block that
            # holds it along with the page's title is the title's.
            if weight is not None and _is_title_block(sibling, weight):
                kept.append(sibling)
            return kept, False
        if weight is None or weight.text == 0:
            continue
        if is_layout(sibling) or _is_colophon(sibling, weight):
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
    return kept, True


def _holds_site_header(element: etree._Element) -> bool:
    return any(_is_site_header(el) for el in _HEADERS(element))


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
