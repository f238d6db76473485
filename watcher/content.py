"""Finding the policy in a page: main-content detection and chrome removal.

:func:`extract` takes a parsed page and returns the elements whose text is
the document. With per-source ``select`` selectors it returns exactly what
they match; otherwise it removes page chrome (navigation, headers and
footers, cookie banners, dialogs, sidebars) and picks the main content.
These are general rules about how web pages are built, never rules about a
particular site.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

from cssselect import GenericTranslator
from lxml import etree

log = logging.getLogger(__name__)

_CHROME_TAGS = ("nav", "aside", "dialog")
_PAGE_FRAME_TAGS = ("header", "footer")
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar dialog alertdialog "
    "toolbar".split()
)
# Class or id tokens of page furniture: cookie/consent banners and the
# consent-management platforms that inject them, skip links, breadcrumbs,
# share bars, newsletter sign-ups.
_CHROME_NAMES = re.compile(
    r"(^|[\s_-])("
    r"cookie[-_]?(banner|bar|notice|consent|popup|modal|dialog|wall|prefs|preferences|settings)"
    r"|consent[-_]?(banner|bar|manager|modal|popup|dialog)|gdpr[-_]?(banner|popup)"
    r"|onetrust|ot-sdk|cookiebot|cybotcookiebot|truste|osano|didomi|usercentrics|cookieyes|cky-"
    r"|qc-cmp|cmp-container|cc-window|cc-banner"
    r"|skip[-_]?(link|to[-_]?content|nav)|breadcrumbs?|share[-_]?(bar|buttons|links)"
    r"|social[-_]?(share|links)|newsletter[-_]?(signup|form)"
    r")($|[\s_-])",
    re.I,
)


@lru_cache(maxsize=256)
def _xpath(selector: str) -> etree.XPath:
    return etree.XPath(GenericTranslator().css_to_xpath(selector))


def select_all(root: etree._Element, selectors: Iterable[str]) -> list[etree._Element]:
    """Elements matching any of the CSS ``selectors``, outermost only, in document order."""
    found: dict[etree._Element, None] = {}
    for selector in selectors:
        for element in _xpath(selector)(root):
            if isinstance(element, etree._Element):
                found[element] = None
    chosen = set(found)
    order = {el: i for i, el in enumerate(root.iter())}
    outer = [el for el in found if not any(a in chosen for a in el.iterancestors())]
    return sorted(outer, key=lambda el: order.get(el, 0))


def drop(element: etree._Element) -> None:
    """Remove ``element`` and its subtree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def extract(
    root: etree._Element, select: tuple[str, ...] = (), remove: tuple[str, ...] = ()
) -> list[etree._Element]:
    """The elements that hold the document's text.

    ``select`` (when given) replaces main-content detection and chrome
    removal; ``remove`` always drops what it matches.
    """
    for element in select_all(root, remove):
        drop(element)
    if select:
        return select_all(root, select)
    remove_chrome(root)
    return [main_content(root)]


def remove_chrome(root: etree._Element) -> None:
    """Drop navigation, banners, cookie notices, dialogs and other page furniture."""
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and _is_chrome(el)]
    for element in doomed:
        if not any(a in doomed for a in element.iterancestors()):
            drop(element)


def _is_chrome(element: etree._Element) -> bool:
    tag = element.tag
    if tag in _CHROME_TAGS:
        return True
    if tag in _PAGE_FRAME_TAGS:
        return not any(a.tag in ("article", "main") for a in element.iterancestors())
    role = element.get("role")
    if role and role.strip().lower() in _CHROME_ROLES:
        return True
    names = (element.get("class") or "") + " " + (element.get("id") or "")
    return bool(names.strip()) and bool(_CHROME_NAMES.search(names))


def _text_length(element: etree._Element) -> int:
    return sum(len(t.strip()) for t in element.itertext())


def main_content(root: etree._Element) -> etree._Element:
    """The element holding the page's main text (``<main>``, an ``<article>``, or ``<body>``)."""
    body = root.find("body")
    if body is None:
        body = root
    total = _text_length(body)
    if total == 0:
        return body
    for xpath, share in (("//main | //*[@role='main']", 0.3), ("//article", 0.5)):
        candidates = [el for el in root.xpath(xpath) if isinstance(el, etree._Element)]
        if not candidates:
            continue
        best = max(candidates, key=_text_length)
        if _text_length(best) >= share * total:
            return best
    return body
