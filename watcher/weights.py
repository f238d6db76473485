"""Weighing a page: how much text, and how much link text, each element holds.

One bottom-up pass (:func:`survey`) gives every visible element its :class:`Weight`,
and on the way finds the hidden elements and the page chrome that
:mod:`watcher.content` drops before it looks for the document by text density;
:func:`drop_weighed` drops an element and keeps its ancestors' weights right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from .chrome import (
    CHROME_OR_FRAME_TAGS,
    LANGUAGE_NAME_CHARS,
    chrome_kind,
    in_page,
    is_custom_control,
    names_language,
    says_language,
)
from .visibility import drop, is_hidden
from .widgets import page_link_kind

# A focusable non-link element with at most this much text is a control, not text.
CONTROL_CHARS = 40
# A block is navigation when this share of its text is link text...
LINK_DENSITY = 0.5
# ... and it has at least this many links (one or two links are skipped
# over, not a barrier: "Print", "Download PDF").
NAV_LINKS = 3
# A <header> inside these is theirs, not the site's (as ARIA maps it to "banner").
_SECTIONING = frozenset(("article", "aside", "main", "nav", "section"))


@dataclass(slots=True)
class Weight:
    """Text in an element: all of it, the part inside links to other pages, links."""

    text: int = 0
    link: int = 0
    links: int = 0

    def subtract(self, other: Weight) -> None:
        """Remove a dropped descendant's text."""
        self.text -= other.text
        self.link -= other.link
        self.links -= other.links

    @property
    def prose(self) -> int:
        """Text that is not link text."""
        return self.text - self.link

    def is_navigation(self) -> bool:
        """Mostly links, and several of them: a menu, a footer, a list of related pages."""
        return self.links >= NAV_LINKS and self.link >= LINK_DENSITY * self.text


class Survey(NamedTuple):
    """What :func:`survey` finds."""

    weights: dict[etree._Element, Weight]
    hidden: list[etree._Element]
    chrome: dict[etree._Element, str]
    #: The visible links that lead to the page in another language (see
    #: :func:`~watcher.widgets.language_lists`).
    languages: list[etree._Element]


def survey(top: etree._Element, panels: frozenset[str]) -> Survey:
    """One bottom-up pass over ``top``: the :class:`Weight` of every visible element,
    the hidden elements (to drop), the chrome elements with why they are chrome, and
    the links to the page in other languages.

    Hidden elements get no weight, so their ancestors' weights leave them out.
    """
    weights: dict[etree._Element, Weight] = {}
    hidden: list[etree._Element] = []
    chrome: dict[etree._Element, str] = {}
    languages: list[etree._Element] = []

    def shown_last(element: etree._Element) -> bool:
        # Everything after an element comes before it in this pass: weighed already.
        return not _shows_after(element, top, weights, chrome)

    for el in reversed(list(top.iter(etree.Element))):
        # Every attribute read at once: one call instead of up to eight lookups, and
        # most of the checks below only apply to elements with attributes.
        attrs = dict(el.items())
        if attrs and is_hidden(el, attrs, panels):
            hidden.append(el)
            continue
        text = el.text
        weight = Weight(len(text.strip()) if text else 0)
        for child in el:
            tail = child.tail
            if tail:
                weight.text += len(tail.strip())
            sub = weights.get(child)
            if sub is not None:
                weight.text += sub.text
                weight.link += sub.link
                weight.links += sub.links
        tag = el.tag
        if tag == "a" and not in_page(attrs.get("href", "#")):
            weight.link = weight.text
            weight.links += 1
            if (weight.text <= LANGUAGE_NAME_CHARS or "hreflang" in attrs or "lang" in attrs) and (
                names_language(el) or says_language(el)
            ):
                languages.append(el)
        elif weight.text <= CONTROL_CHARS and "tabindex" in attrs and is_custom_control(el):
            hidden.append(el)
            continue
        weights[el] = weight
        if attrs or tag in CHROME_OR_FRAME_TAGS:
            kind = chrome_kind(el, attrs)
            if kind is None and tag == "a":
                kind = page_link_kind(el, attrs.get("href", ""), weight.text, shown_last)
            if kind:
                chrome[el] = kind
    languages.reverse()
    return Survey(weights, hidden, dict(reversed(chrome.items())), languages)


def _shows_after(
    element: etree._Element,
    top: etree._Element,
    weights: dict[etree._Element, Weight],
    chrome: dict[etree._Element, str],
) -> bool:
    """Whether ``top`` shows text after ``element``: in its tail or its ancestors', or in
    an element after it or after one of them that is weighed (visible) with text and not
    chrome."""
    node = element
    while node is not top:
        if node.tail and not node.tail.isspace():
            return True
        for sibling in node.itersiblings():
            weight = weights.get(sibling)
            if weight is not None and weight.text and sibling not in chrome:
                return True
            if sibling.tail and not sibling.tail.isspace():
                return True
        parent = node.getparent()
        if parent is None:
            return False
        node = parent
    return False


def drop_weighed(element: etree._Element, weights: dict[etree._Element, Weight]) -> None:
    """Drop ``element``, taking its text out of its ancestors' weights. The site's footer
    and header are emptied instead, and stay in their places to mark where the document
    can end and start (see :mod:`watcher.region`)."""
    weight = weights[element]
    dropped = Weight(weight.text, weight.link, weight.links)
    for ancestor in element.iterancestors():
        if ancestor.tag == "a" and not in_page(ancestor.get("href", "#")):
            # All of it was that link's text (a card's byline inside the link to its
            # article), and so link text in every block above.
            dropped.link = dropped.text
        if ancestor in weights:
            weights[ancestor].subtract(dropped)
    edge = "footer" if element.tag == "footer" or element.get("role") == "contentinfo" else None
    if edge is None and is_site_header(element):
        edge = "header"
    if edge is not None:
        element.clear(keep_tail=True)
        element.tag = edge
        weights[element] = Weight()
    else:
        drop(element)


def is_site_header(element: etree._Element, named: bool = False) -> bool:
    """The site's header (the banner at the top of every page), not an article's; with
    ``named``, whatever its tag (its class or id names it so)."""
    if not named and element.tag != "header" and element.get("role") != "banner":
        return False
    return not any(a.tag in _SECTIONING for a in element.iterancestors())


def inside(element: etree._Element, top: etree._Element) -> bool:
    """Whether ``element`` is still in ``top``'s tree (not in a dropped subtree)."""
    return any(ancestor is top for ancestor in element.iterancestors())
