"""What a reader of a page sees: the elements whose text is never read (scripts,
form controls, media), hidden elements and screen-reader-only text, the labels that
responsive tables repeat in every cell for small screens, and the tree surgery that
removes them; e-mail addresses that a script reveals.

Folded accordion and tab panels (the target of a toggle's ``aria-controls``,
``hidden="until-found"``, a section right under its heading, the block right
after a "Read more" control) are visible for this purpose: their text is part
of the document even while folded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TypeAlias

from lxml import etree

# An element's attributes: ``element.attrib``, or a dict read from it at once.
Attributes: TypeAlias = "Mapping[str, str] | etree._Attrib"

# Elements whose content is never document text.
SKIP_TAGS = frozenset(
    "script style noscript template svg math canvas iframe object embed video audio "
    "img picture source track map button input select option textarea head title "
    "meta link base dialog".split()
)
_NEVER_TEXT = tuple(sorted(SKIP_TAGS - {"button", "template"}))
# Class names that CSS frameworks use for text only screen readers get.
_VISUALLY_HIDDEN = (
    "sr-only",
    "sr-only-focusable",
    "visually-hidden",
    "visually-hidden-focusable",
    "visuallyhidden",
    "screen-reader-text",
    "screen-reader-only",
    "screenreader-only",
    "hidden-visually",
    "a11y-hidden",
    "assistive-text",
    "slds-assistive-text",  # Salesforce's Lightning Design System
    "assistiveText",
)
# Class names of text for print only (CSS frameworks', MediaWiki's footer).
_PRINT_ONLY = frozenset(
    "print-only printonly visible-print visible-print-block visible-print-inline "
    "visible-print-inline-block show-for-print printfooter".split()
)
# The class a site builder's stylesheet always hides (``display: none !important``):
# Webflow's, on what a condition of its content system left out when the page was
# published (an empty entry of a list, a paragraph for another country). No script
# shows it later.
_CMS_HIDDEN = "w-condition-invisible"
# Salesforce's Lightning Design System's classes for display: none and visibility:
# hidden (its help centres' spinners, "Loading…" notes and empty widgets).
_DESIGN_SYSTEM_HIDDEN = frozenset(("slds-hide", "slds-hidden"))
# An accordion's toggle says its section's title in this many characters or fewer,
# over a panel of at least this many words.
TOGGLE_LABEL_CHARS = 150
TOGGLE_PANEL_WORDS = 15
_SCREEN_DISPLAY = re.compile(r"d-(?:sm|md|lg|xl|xxl)-")
_VISUALLY_HIDDEN_STEMS = ("sr-only", "isually", "reader", "a11y-hidden", "ssistive")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Inline styles of the "visually hidden" technique: text clipped to nothing or moved
# far off-screen, for screen readers only (route announcers of single-page apps
# repeat the page's name in one; icon-only buttons label themselves with one).
_SCREEN_READER_STYLE = re.compile(
    r"clip\s*:\s*rect\(\s*[01](?:px)?(?:\s*,?\s*[01](?:px)?){3}\s*\)"
    r"|clip-path\s*:\s*inset\(\s*50%\s*\)"
    r"|(?<![\w-])(?:left|top|text-indent)\s*:\s*-\d{4,}(?:px)?(?![\w.])",
    re.I,
)
# Text in its own background's colour ("color: whitesmoke; background: whitesmoke"):
# no reader sees it. Sites print a server's name or a build's code so for their staff,
# and it changes with the server that answers. Not the CSS-wide keywords (the same
# word there names two colours), nor "transparent" (text painted through a background).
_STYLE_COLOURS = re.compile(
    r"(?:^|;)\s*(?P<what>color|background(?:-color)?)\s*:\s*(?P<value>[^;!]+?)\s*"
    r"(?:!\s*important\s*)?(?=;|$)",
    re.I,
)
_NOT_A_COLOUR = frozenset("inherit initial unset revert currentcolor transparent none".split())
# A page hiding itself until its script runs keeps at most this much text in view, and
# the element its style hides holds at least this share of the page's text (see unveil).
VEILED_CHARS = 1000
VEIL_SHARE = 0.8
# What an inline style does to its element (see _style_hiding).
_SHOWN, _HIDDEN, _SCREEN_READER = 0, 1, 2
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# A table needs this many rows (its heading row and two more) for a label that every
# cell of a column starts with to be one for small screens.
CELL_LABEL_ROWS = 3
# Class names of the folding part of an accordion ("accordion-content", "collapse",
# "toggle-content"): scripts hide it with an inline style until the reader opens it.
_FOLDING = re.compile(r"accordion|collaps|toggle|expand", re.I)
# The whole label of a control that unfolds the rest of a text ("Read more", "Show all",
# "Lire la suite", "Mehr anzeigen"...): the block it unfolds is the document's.
# (Compiled on first use, through re's cache: most pages have no such control.)
_REVEAL_LABEL = (
    r"(?:(?:read|show|see|view) (?:more|all|full|the full \w+)"
    r"|(?:en )?(?:lire|voir|afficher) (?:la suite|plus)|weiterlesen|mehr (?:anzeigen|lesen)"
    r"|(?:leer|ver|mostrar) más|(?:ler|ver|mostrar) mais|(?:leggi|mostra) (?:di )?più"
    r"|(?:lees|toon) meer)\W*"
)


# What lxml refuses to assign as text, although its HTML parser lets it through.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def drop(element: etree._Element) -> None:
    """Remove ``element`` and its subtree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = text_for_lxml((previous.tail or "") + tail)
        else:
            parent.text = text_for_lxml((parent.text or "") + tail)
    parent.remove(element)


def text_for_lxml(text: str) -> str:
    """``text``, with control characters (which lxml will not store) as spaces."""
    return _NOT_XML_TEXT.sub(" ", text) if _NOT_XML_TEXT.search(text) else text


def strip_never_text(root: etree._Element, templates: bool = False) -> None:
    """Drop scripts, styles, media, form controls, buttons that are not toggles, and
    templates (unless ``templates``), except the declarative shadow roots that
    browsers render in place."""
    for icon in root.iter("svg", "img"):
        tail = icon.tail
        if not tail or tail[0].isalnum():
            # An icon between words sets them apart on screen ("Support › Terms").
            icon.tail = " " + (tail or "")
    etree.strip_elements(root, *_NEVER_TEXT, with_tail=False)
    if not templates:
        for template in list(root.iter("template")):
            if template.get("shadowrootmode") is None and template.get("shadowroot") is None:
                drop(template)
    toggles: list[etree._Element] = []
    menus: list[etree._Element] = []
    for element in list(root.iter("button", "nav")):
        if element.tag == "nav":
            menus.append(element)
        elif _heads_its_panel(element):
            _as_bold_line(element)
        elif not _is_toggle(element):
            drop(element)
        elif element.get("aria-controls"):
            toggles.append(element)
    for button in _menu_toggles(toggles, menus):
        drop(button)


def _menu_toggles(
    toggles: list[etree._Element], menus: list[etree._Element]
) -> list[etree._Element]:
    """The ``toggles`` whose panels (``aria-controls``) hold nothing but navigation: a
    table of contents ("On this page") or a site menu ("Menu") folded for small
    screens. Such a label names the menu, which is dropped as chrome; it is no heading
    of the document. The panels are looked for around the page's ``menus`` and right
    after each toggle, not through the whole page: accordions are many, menus few."""
    if not toggles:
        return []
    wanted = {name for button in toggles for name in (button.get("aria-controls") or "").split()}
    candidates = [panel for menu in menus for panel in (menu, *menu.iterancestors())]
    candidates.extend(
        panel for b in toggles if (panel := b.getnext()) is not None and isinstance(panel.tag, str)
    )
    found: set[str] = set()
    looked: set[str] = set()
    for panel in candidates:
        name = panel.get("id")
        if name in wanted and name not in looked:
            looked.add(name)
            if _all_navigation(panel):
                found.add(name)
    return [
        button
        for button in toggles
        if (names := (button.get("aria-controls") or "").split()) and found.issuperset(names)
    ]


def _all_navigation(panel: etree._Element) -> bool:
    """Whether all of ``panel``'s text stands in a ``<nav>`` or a navigation landmark."""
    if is_navigation(panel):
        return True
    in_menus = 0
    stack = [child for child in panel if isinstance(child.tag, str)]
    while stack:
        element = stack.pop()
        if is_navigation(element):
            in_menus += len(flat_text(element))
        else:
            stack.extend(child for child in element if isinstance(child.tag, str))
    return in_menus > 0 and in_menus == len(flat_text(panel))


def is_navigation(element: etree._Element) -> bool:
    """A ``<nav>`` or an element with the navigation landmark role."""
    return element.tag == "nav" or (element.get("role") or "").strip() == "navigation"


def unveil(
    body: etree._Element,
    shown: int,
    hidden: list[etree._Element],
    banners: Sequence[etree._Element] = (),
) -> bool:
    """Show a page that hides itself until its script has run (``visibility: hidden`` on
    the ``<body>`` or on the wrapper of nearly all its text, against a flash of unstyled
    content), as its script would. ``shown`` is how much text is in view, ``hidden`` the
    hidden elements, ``banners`` the page's consent banners. Returns whether a style
    was taken off."""
    if not hidden:
        return False
    # A consent banner sits outside the page's wrapper by design (its script adds it
    # to the end of <body>): its text would otherwise count against the veil's share.
    veiled = set(hidden)
    aside = sum(
        len(flat_text(b))
        for b in banners
        if not any(el in veiled for el in (b, *b.iterancestors()))
    )
    if shown - aside > VEILED_CHARS:
        return False
    total = len(flat_text(body)) - aside
    for element in hidden:
        style = element.get("style")
        if (
            style
            and _style_hiding(style) == _HIDDEN
            and 0 < VEIL_SHARE * total <= len(flat_text(element))
        ):
            del element.attrib["style"]
            return True
    return False


def drop_hidden(root: etree._Element, panels: frozenset[str]) -> None:
    """Drop the hidden elements under ``root`` (see :func:`is_hidden`)."""
    for element in [el for el in root.iter(etree.Element) if is_hidden(el, el.attrib, panels)]:
        drop(element)


def panel_ids(root: etree._Element) -> frozenset[str]:
    """Ids of the panels that toggles on the page open (``aria-controls``)."""
    ids: set[str] = set()
    for value in root.xpath("//@aria-controls"):
        ids.update(str(value).split())
    return frozenset(ids)


def is_hidden(element: etree._Element, attrs: Attributes, panels: frozenset[str]) -> bool:
    """Hidden by an attribute, a style, or a screen-reader-only class or style (folded
    panels excepted). ``attrs`` are the element's attributes."""
    get = attrs.get
    style = get("style")
    hiding = _style_hiding(style) if style else _SHOWN
    if hiding == _HIDDEN or get("hidden") is not None:
        return not _is_panel(element, panels)
    if hiding == _SCREEN_READER:
        return True
    classes = get("class")
    if classes is None:
        return False
    if "invisible" in classes:
        names = classes.split()
        if _CMS_HIDDEN in names:
            return True
        if "invisible" in names:
            # CSS frameworks' class for visibility: hidden (Bootstrap, Tailwind).
            return not _is_panel(element, panels)
    if "slds-hid" in classes and _DESIGN_SYSTEM_HIDDEN.intersection(classes.split()):
        return not _is_panel(element, panels)
    if "print" in classes and _print_only(classes):
        return True
    return _screen_reader_only(classes)


@lru_cache(maxsize=4096)
def _style_hiding(style: str) -> int:
    """Whether an inline style hides its element (``_HIDDEN``), keeps it from the eye
    only (``_SCREEN_READER``: clipped, off-screen, or painted in its background's
    colour) or neither (cached: pages repeat their styles)."""
    if _HIDDEN_STYLE.search(style):
        return _HIDDEN
    if _SCREEN_READER_STYLE.search(style) or _in_background_colour(style):
        return _SCREEN_READER
    return _SHOWN


def _in_background_colour(style: str) -> bool:
    """Whether an inline style paints its text in its background's colour."""
    lowered = style.lower()
    if "background" not in lowered or "color" not in lowered:
        return False
    colours: dict[str, str] = {}
    for found in _STYLE_COLOURS.finditer(lowered):
        what = "text" if found["what"] == "color" else "background"
        colours[what] = "".join(found["value"].split())  # the last one wins, as in CSS
    text = colours.get("text")
    return text is not None and text not in _NOT_A_COLOUR and text == colours.get("background")


@lru_cache(maxsize=8192)
def _screen_reader_only(classes: str) -> bool:
    """Whether a class attribute marks text for screen readers only (cached: pages
    repeat the same class strings many times)."""
    return any(stem in classes for stem in _VISUALLY_HIDDEN_STEMS) and any(
        c in _VISUALLY_HIDDEN for c in classes.split()
    )


@lru_cache(maxsize=1024)
def _print_only(classes: str) -> bool:
    """Whether a class attribute marks text shown only on paper (MediaWiki's "Retrieved
    from <address of this revision>" footer, Bootstrap's ``d-none d-print-block``)."""
    names = classes.split()
    if any(name in _PRINT_ONLY for name in names):
        return True
    return (
        "d-none" in names
        and any(name.startswith("d-print-") for name in names)
        and not any(_SCREEN_DISPLAY.match(name) for name in names)
    )


def _is_toggle(button: etree._Element) -> bool:
    """A button that opens a folded section: its label is a heading of the document,
    or it holds all of a heading's text (``<h3><button>Cookies</button></h3>``, the
    ARIA accordion's markup; not a "Copy link" button beside a heading's words)."""
    attrib = button.attrib
    if "aria-expanded" in attrib or "aria-controls" in attrib:
        return True
    outer = next(button.iterancestors(*HEADING_TAGS), None)
    if outer is not None and flat_text(outer) == flat_text(button):
        return True
    # (Not any(): an element with no children tests false, so a heading holding only
    # text would not count.)
    heading = next(button.iterdescendants(*HEADING_TAGS), None)
    return heading is not None or _reveals_more(button)


def _as_bold_line(button: etree._Element) -> None:
    """Read an accordion's toggle as the bold line a reader sees over its panel (the
    outline makes a section of it), not as a button's label."""
    strong = etree.Element("strong")
    strong.text, button.text = button.text, None
    strong.extend(list(button))
    button.append(strong)
    button.tag = "p"


def _heads_its_panel(button: etree._Element) -> bool:
    """An accordion's toggle built without ARIA: a ``<button>`` of a few words (a
    question, a section's title) that is the first of two blocks, the other its panel
    of text, not of links ("Quelles données sont collectées ?" over its answer). Not an
    icon's button (one word or none), nor a menu's (its panel is links)."""
    parent = button.getparent()
    if parent is None or len(parent) != 2 or parent[0] is not button:
        return False
    label = spaced_text(button)
    if len(label) > TOGGLE_LABEL_CHARS or len(label.split()) < 2:
        return False
    panel = parent[1]
    if panel.tag in ("nav", "ul", "ol", "button") or not isinstance(panel.tag, str):
        return False
    words = len("".join(panel.itertext()).split())
    links = sum(len("".join(link.itertext()).split()) for link in panel.iter("a"))
    return words >= TOGGLE_PANEL_WORDS and 2 * links < words


def flat_text(element: etree._Element) -> str:
    """The text under ``element`` without any whitespace, to compare or measure."""
    return "".join("".join(element.itertext()).split())


def spaced_text(element: etree._Element) -> str:
    """The text under ``element`` with each run of whitespace one space, as a label
    reads."""
    return " ".join("".join(element.itertext()).split())


def _is_panel(element: etree._Element, panels: frozenset[str]) -> bool:
    """A folded panel whose text is the document's (accordion, tab panel)."""
    attrib = element.attrib
    if attrib.get("hidden") == "until-found":
        return True
    if attrib.get("role") in ("tabpanel", "region") or "aria-labelledby" in attrib:
        return True
    if attrib.get("id", "") in panels:
        return True
    # A folded section right under its heading (script-driven accordions), or under a
    # toggle whose label is the heading, or named as an accordion's folding part. A
    # section says something: one hidden token under a heading is a marker for scripts.
    previous = element.getprevious()
    if (
        previous is not None
        and (
            previous.tag in HEADING_TAGS
            or _labelled_by_heading(previous)
            or _reveals_more(previous)
        )
        and len("".join(element.itertext()).split()) != 1
        and not _beside_the_document(element, previous)
    ):
        return True
    return _FOLDING.search(attrib.get("class", "")) is not None


def _beside_the_document(element: etree._Element, previous: etree._Element) -> bool:
    """A hidden block right under the page's title that holds less text than what comes
    after it: the title folds nothing, and the document goes on in view (a help
    centre's "Sign in to use the tool" box, shown to signed-in readers only)."""
    if previous.tag != "h1":
        return False
    after = sum(len(flat_text(sibling)) for sibling in element.itersiblings(etree.Element))
    return len(flat_text(element)) < after


def _reveals_more(control: etree._Element) -> bool:
    """A link or button labelled only "Read more" (or the like): the control that
    unfolds the hidden block after it."""
    if control.tag not in ("a", "button") and control.get("role") != "button":
        return False
    label = spaced_text(control)
    return len(label) <= 30 and re.fullmatch(_REVEAL_LABEL, label, re.I) is not None


def _labelled_by_heading(toggle: etree._Element) -> bool:
    """An element whose only text is one heading (an accordion's toggle), not a section
    that holds headings and their text."""
    headings = list(toggle.iterdescendants(*HEADING_TAGS))
    if len(headings) != 1:
        return False
    label = "".join(headings[0].itertext()).split()
    return "".join(toggle.itertext()).split() == label


def drop_cell_labels(root: etree._Element) -> None:
    """Drop the labels that responsive tables put in every cell for small screens: a
    column whose cells, below the first row, all start with an element saying the
    column's heading (``<td><span class="tbl_lbl">Purpose</span><span>To bill
    you</span></td>``), which a stylesheet shows only when the rows stack. On a
    desktop the heading row says it once; read in every cell, the label ran into the
    value ("PurposeTo bill you")."""
    for table in root.iter("table"):
        rows = table.xpath("tr|thead/tr|tbody/tr|tfoot/tr")
        if len(rows) < CELL_LABEL_ROWS:
            continue
        grid = [[cell for cell in row if cell.tag in ("td", "th")] for row in rows]
        for column, heading in enumerate(grid[0]):
            labels = _column_labels(grid, column, heading)
            for label in labels:
                drop(label)


def _column_labels(
    grid: list[list[etree._Element]], column: int, heading: etree._Element
) -> list[etree._Element]:
    """The label each cell of ``column`` starts with, when every cell below the first
    row starts with the same one and it says the column's ``heading`` (the first row's
    cell, alone or as its own label); none otherwise. Stops at the first cell without."""
    said: str | None = None
    labels = []
    for cells in grid[1:]:
        label = _leading_label(cells[column]) if column < len(cells) else None
        if label is None:
            return []
        text = spaced_text(label).casefold()
        if said is None:
            said = text
        elif text != said:
            return []
        labels.append(label)
    own = _leading_label(heading)
    if spaced_text(own if own is not None else heading).casefold() != said:
        return []
    return labels if own is None else [own, *labels]


def _leading_label(cell: etree._Element) -> etree._Element | None:
    """The element a cell starts with, when more text follows it in the cell."""
    if (cell.text or "").strip() or not len(cell):
        return None
    first = cell[0]
    if not isinstance(first.tag, str) or not flat_text(first):
        return None
    follows = (first.tail or "").strip() or any(
        flat_text(sibling) for sibling in first.itersiblings(etree.Element)
    )
    return first if follows else None


def reveal_protected_emails(root: etree._Element) -> None:
    """Put back the addresses that a CDN's e-mail obfuscation hid ("[email protected]"),
    as its script does in a reader's browser.

    The address is hex-encoded in ``data-cfemail`` and XOR-ed with the first byte,
    a key drawn anew for each response; a contact address that changes is a change
    of the policy, and would otherwise be invisible.
    """
    for element in root.xpath("//*[@data-cfemail]"):
        address = _decode_email(element.get("data-cfemail", ""))
        if address is None:
            continue
        for child in list(element):
            element.remove(child)  # the placeholder has no markup worth keeping
        element.text = address


def _decode_email(encoded: str) -> str | None:
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return None
    if len(data) < 2:
        return None
    key = data[0]
    address = bytes(byte ^ key for byte in data[1:]).decode("utf-8", errors="replace")
    return text_for_lxml(address)
