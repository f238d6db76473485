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
   consent managers and front-end frameworks give them; consent banners, vote
   widgets and share links also by their buttons and links), never an element
   that holds most of the page's text.
4. The main content is found by text density: from the ``<main>`` landmark
   (or ``<body>``), descend while one child holds most of the non-link text;
   that container is the *core*. The region then grows outwards, sibling by
   sibling and level by level, over blocks that are not navigation (so the
   title and "last updated" line above the core are kept) and stops at the
   first link-dense block on each side (menus, footers, related links, a grid
   of cards that link to other pages): see :mod:`watcher.region`.

These are general rules about how web pages are built, never rules about a
particular site.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

from .chrome import forms_to_fill, has_descendant, menu_label
from .region import drop_breadcrumb, grow, title_before, trim_menus
from .visibility import (
    HEADING_TAGS,
    drop,
    drop_hidden,
    flat_text,
    is_navigation,
    panel_ids,
    strip_never_text,
    unveil,
)
from .weights import Weight, drop_weighed, inside, survey
from .widgets import (
    consent_banners,
    language_lists,
    search_boxes,
    share_bars,
    signup_forms,
    tab_strips,
    vote_buttons,
    vote_forms,
)

log = logging.getLogger(__name__)

# Class names that hide a block until a script shows it: CSS frameworks' and design
# systems' utilities ("hidden", "d-none", "is-hidden", "a-hidden", "wt-display-none",
# Tachyons' "dn").
_HIDDEN_CLASS = re.compile(
    r"^(?:[a-z]{1,3}[-_])?(?:hidden|hide|d-none)$|(?:^|[-_])display-?none$|^dn$"
)
# ... and the most a widget's hidden next step holds (characters, spaces aside).
FOLLOW_UP_CHARS = 600
# A menu's wrapper left with at most this many characters of text holds only its label
# ("ON THIS PAGE" over a table of contents) ...
MENU_LABEL_CHARS = 30
# ... looked for this many levels above the menu.
MENU_LABEL_LEVELS = 3
# Wrappers that are never a menu's: the page and its document.
_NEVER_MENU_WRAPPER = frozenset(("html", "body", "main", "article"))


# Elements whose parts are never the main content on their own.
_WHOLE = frozenset("table thead tbody tfoot tr ul ol dl menu p pre blockquote".split()) | frozenset(
    HEADING_TAGS
)
# An element holding at least this share of the page's text is never chrome,
# whatever its tag or class says (a cookie policy inside class="cookie-notice").
CHROME_GUARD = 0.5
# Chrome holding an <article> with this share of the page's text holds the document.
ARTICLE_SHARE = 0.25
# Descend into a child while it holds this share of the landmark's text.
CORE_SHARE = 0.75
# A landmark (<main>) is used when it holds this share of the page's text.
LANDMARK_SHARE = 0.5


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
    signups = [] if select else signup_forms(root)
    searches = [] if select else search_boxes(root)
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
    weights, hidden, chrome, languages = survey(body, panels)
    if unveil(body, weights[body].text if body in weights else 0, hidden, banners):
        weights, hidden, chrome, languages = survey(body, panels)
    if body not in weights:
        return []  # a page hidden whole by its markup shows nothing
    chrome.update((banner, "consent") for banner in banners if banner in weights)
    chrome.update((form, "vote") for form in votes if form in weights)
    chrome.update((form, "signup") for form in signups if form in weights)
    chrome.update((box, "search") for box in searches if box in weights)
    chrome.update((bar, "share") for bar in shares if bar in weights)
    chrome.update((block, "language") for block in language_lists(languages) if block in weights)
    chrome.update((strip, "tabs") for strip in tab_strips(hidden) if strip in weights)
    # A vote widget that went as hidden (a focusable block of a few words, once its
    # buttons went) leaves its next steps as a shown one does.
    followers = [f for form in votes if form not in weights for f in _hidden_followers(form, True)]
    for element in hidden:
        drop(element)
    _drop_shown(followers, weights, body)
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
        if weight is None or not inside(element, body):
            continue
        if _guarded(element, found[element], weights, total):
            continue
        _drop_with_leftovers(element, found[element], weights, body)


def _drop_with_leftovers(
    element: etree._Element,
    kind: str,
    weights: dict[etree._Element, Weight],
    body: etree._Element,
) -> None:
    """Drop chrome (of ``kind``) with what only introduced or followed it: the heading
    that labels it from outside (``<h3 id="toc">`` over ``<nav aria-labelledby="toc">``),
    a ``<details>`` or a menu's wrapper left with nothing but its label ("Table of
    contents", "ON THIS PAGE"), and a widget's hidden next steps."""
    label = menu_label(element)
    disclosure = next(element.iterancestors("details"), None)
    followers = _hidden_followers(element, kind == "vote")
    wrappers = _menu_wrappers(element)
    drop_weighed(element, weights)
    _drop_shown([*followers, *([label] if label is not None else [])], weights, body)
    if disclosure is not None and disclosure in weights and inside(disclosure, body):
        summary = disclosure.find("summary")
        if weights[disclosure].text == (weights[summary].text if summary in weights else 0):
            drop_weighed(disclosure, weights)
    wrapper = _left_with_a_label(wrappers, weights, body)
    if wrapper is not None:
        drop_weighed(wrapper, weights)


def _drop_shown(
    elements: list[etree._Element], weights: dict[etree._Element, Weight], body: etree._Element
) -> None:
    """Drop those of ``elements`` that are still shown: weighed, and not in a subtree
    that went before them."""
    for element in elements:
        if element in weights and inside(element, body):
            drop_weighed(element, weights)


def _menu_wrappers(element: etree._Element) -> list[etree._Element]:
    """The elements around a menu (``<nav>``, ``role="navigation"``) that may hold
    nothing but it and its label; none around other chrome."""
    if not is_navigation(element):
        return []
    wrappers: list[etree._Element] = []
    for ancestor in element.iterancestors():
        if ancestor.tag in _NEVER_MENU_WRAPPER or len(wrappers) == MENU_LABEL_LEVELS:
            break
        wrappers.append(ancestor)
    return wrappers


def _left_with_a_label(
    wrappers: list[etree._Element], weights: dict[etree._Element, Weight], body: etree._Element
) -> etree._Element | None:
    """The first of a dropped menu's ``wrappers`` that still shows text, when all it
    shows is a short label: a sidebar's "ON THIS PAGE" in a ``<div>`` (no heading, so
    no ``aria-labelledby`` names it) over the table of contents that went. No link, no
    digit (a date or a number is the document's), no title."""
    for wrapper in wrappers:
        weight = weights.get(wrapper)
        if weight is None or not inside(wrapper, body):
            return None
        if weight.text == 0:
            continue
        if weight.text > MENU_LABEL_CHARS or weight.links or has_descendant(wrapper, "h1"):
            return None
        label = flat_text(wrapper)
        return None if any(c.isdigit() for c in label) else wrapper
    return None


def _hidden_followers(element: etree._Element, vote: bool) -> list[etree._Element]:
    """The blocks right after chrome that a class hides until a script shows them: the
    widget's next steps ("Why didn't this article help you?" and its thanks after a
    "Did this help?" vote). Such a class alone does not hide text (scripts take it off
    to open a folded section), but after a widget that went, these blocks are its own.
    After a vote, so is a block that its script keeps out of sight with
    ``aria-hidden="true"`` (and a style keyed to it) until the reader votes: the
    "It's inaccurate" / "It's incomplete" choices and the box to say more."""
    found = []
    for sibling in element.itersiblings(etree.Element):
        names = (sibling.get("class") or "").split()
        if not any(_HIDDEN_CLASS.search(name) for name in names) and not (
            vote and (sibling.get("aria-hidden") or "").strip() == "true"
        ):
            break
        if len(flat_text(sibling)) > FOLLOW_UP_CHARS:
            break
        found.append(sibling)
    return found


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
    trim_menus(core, weights)
    region = grow(core, top, weights, forms)
    if top is not body and not has_descendant(top, "h1"):
        title = title_before(top, body, weights)
        if title is not None:
            region.insert(0, title)
    drop_breadcrumb(region, weights)
    log.debug("main content: <%s> core, %d element(s) in the region", core.tag, len(region))
    return region


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
        weight.prose == prose and el is not core and not inside(el, landmark)
        and inside(el, body) and flat_text(el) == text
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
