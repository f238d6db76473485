"""Element tree → blocks: the walk that turns the elements holding a document into
headings, paragraphs, list items and table rows.

One iterative pass over lxml's ``iterwalk`` events (no recursion, so deeply nested
pages cannot exhaust the stack); inline markup only lets its text flow.
"""

from __future__ import annotations

from lxml import etree

from . import visibility
from .chrome import has_descendant
from .model import Block, BlockKind
from .textformats import clean_pre, clean_text

_SKIP = visibility.SKIP_TAGS
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = frozenset(
    "address article aside blockquote body center dd details dir div dl dt fieldset "
    "figcaption figure footer form header hgroup hr li main menu nav ol p pre section "
    "summary table tbody thead tfoot tr td th caption ul legend html button".split()
) | frozenset(_HEADINGS)
_LISTS = frozenset(("ul", "ol", "menu", "dir"))
_NEVER_WALKED = _SKIP - {"button", "template"}  # templates left are shadow roots
_BOLD = frozenset(("b", "strong"))
# A heading with at most this much text is one line, whatever blocks it wraps its words
# in; a longer one is an unclosed heading tag that swallowed the blocks after it.
HEADING_LINE_CHARS = 300
# A link wrapped around blocks with at most this much text is one line.
LINK_LINE_CHARS = 200
# Blocks that, beside a heading in a table cell, make it a page's layout.
_CELL_BLOCKS = ("p", "ul", "ol", "dl", "div", "section", "blockquote", "pre", *_HEADINGS)
# Tags the walker acts on; any other tag is inline markup whose text just flows.
_STRUCTURAL = _BLOCKS | _BOLD | frozenset(("br", "tr", "td", "th"))


class Walker:
    """Turns an element tree into blocks in one iterative pass (no recursion,
    so deeply nested pages cannot exhaust the stack)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.bold_parts: list[bool] = []
        self.bold = 0
        self.contexts: list[tuple[BlockKind, int]] = [("paragraph", 0)]
        self.list_depth = 0
        self.pre = 0
        self.table_depth = 0
        self.cells: list[str] | None = None
        # Blocks inside a heading (<h1><div>Title</div></h1>, an accordion's <button>)
        # only part its words: how many are open, and whether this heading is one line.
        self.in_heading_line = 0
        self.heading_is_line = False
        # Inline elements standing in a list without <li> around them (a list of links
        # that a script framework renders as <ul><a/><a/></ul>): each is an item.
        self.loose_items: set[etree._Element] = set()
        # Tables holding a heading or a table, whose rows may lay out the page.
        self.tables_with_blocks: dict[etree._Element, bool] = {}
        # The link read as one line of its own while the walk is inside it.
        self.link_line: etree._Element | None = None

    def walk(self, root: etree._Element) -> None:
        """Add the blocks of ``root``'s subtree (and of the text that follows it)."""
        events = etree.iterwalk(root, events=("start", "end"))
        parts, bold_parts = self.parts, self.bold_parts
        for event, el in events:
            tag = el.tag
            if not isinstance(tag, str) or tag in _NEVER_WALKED:
                if event == "start":
                    events.skip_subtree()
                else:
                    self._text(el.tail)
                continue
            if tag not in _STRUCTURAL:
                if self.loose_items and el in self.loose_items:
                    self._loose_item(el, event)
                    continue
                if tag == "a" and (
                    self.link_line is el
                    or (self.link_line is None and event == "start" and _wraps_blocks(el))
                ):
                    self._block_link(el, event)
                    continue
                # Inline markup (span, a, em, ...): only its text counts.
                text = el.text if event == "start" else el.tail
                if text:
                    parts.append(text)
                    bold_parts.append(self.bold > 0)
                elif tag == "a" and event == "end" and _next_is_link(el):
                    # Two links side by side are two things to click ("Report threats",
                    # "Report gore"), whether or not the markup spaces them.
                    parts.append(" ")
                    bold_parts.append(self.bold > 0)
                continue
            if event == "start":
                self._start(el, tag)
            else:
                self._end(el, tag)
                self._text(el.tail)
        self._flush()

    def _loose_item(self, el: etree._Element, event: str) -> None:
        """An inline element right inside a list, read as one of its items."""
        if event == "start":
            self._open_block(el, "li")
            self._text(el.text)
        else:
            self._close_block("li")
            self._text(el.tail)

    def _block_link(self, el: etree._Element, event: str) -> None:
        """A short link wrapped around blocks, read as one line of its own: a table of
        contents' entry whose number and title stand in two ``<div>``s ("1." "Welcome!")
        is one thing to click, as a reader sees it."""
        if event == "start":
            self._open_block(el, "div")
            self.link_line = el
            self._text(el.text)
        else:
            self.link_line = None
            self._close_block("div")
            self._text(el.tail)

    def _text(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.bold_parts.append(self.bold > 0)

    def _start(self, el: etree._Element, tag: str) -> None:
        if tag in _BOLD:
            self.bold += 1
        elif tag == "br":
            self._line_break()
        elif tag == "tr" and self.table_depth and not self._lays_out(el):
            self._flush()
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self._flush_cell()
        elif tag in _BLOCKS:
            self._open_block(el, tag)
        self._text(el.text)

    def _lays_out(self, row: etree._Element) -> bool:
        """Whether ``row`` lays out the page (:func:`_lays_out`); a table with no heading
        and no table inside is data, row after row, and is looked into once."""
        if self.cells is not None:
            return False
        table = next(row.iterancestors("table"), None)
        if table is None:
            return False
        maybe = self.tables_with_blocks.get(table)
        if maybe is None:
            maybe = has_descendant(table, "table", *_HEADINGS)
            self.tables_with_blocks[table] = maybe
        return maybe and _lays_out(row, table)

    def _end(self, el: etree._Element, tag: str) -> None:
        if tag in _BOLD:
            self.bold -= 1
        elif tag == "tr" and self.cells is not None:
            self._flush_cell()
            self._emit_row(self.cells)
            self.cells = None
        elif tag in ("td", "th") and self.cells is not None:
            self._flush_cell()
        elif tag in _BLOCKS:
            self._close_block(tag)

    def _open_block(self, el: etree._Element, tag: str) -> None:
        if self.cells is not None or self.link_line is not None:
            self._text(" ")  # a block inside a table cell or a link: only a space
            return
        if self.heading_is_line and tag not in _HEADINGS and self.contexts[-1][0] == "heading":
            self._text(" ")
            self.in_heading_line += 1
            return
        self._flush()
        if tag in _LISTS:
            self.list_depth += 1
            first = el[0] if len(el) else None
            if first is not None and first.tag not in _STRUCTURAL:
                self.loose_items.update(c for c in el if c.tag not in _STRUCTURAL)
        elif tag == "table":
            self.table_depth += 1
        elif tag == "pre":
            self.pre += 1
        if tag in _HEADINGS:
            self.contexts.append(("heading", _HEADINGS[tag]))
            self.heading_is_line = _is_one_line(el)
        elif tag == "li":
            self.contexts.append(("item", max(self.list_depth - 1, 0)))
        elif tag == "pre":
            self.contexts.append(("pre", 0))
        elif tag in ("td", "th", "tr", "table") or self.contexts[-1][0] != "item":
            self.contexts.append(("paragraph", 0))
        else:
            self.contexts.append(self.contexts[-1])

    def _close_block(self, tag: str) -> None:
        if self.cells is not None or self.link_line is not None:
            self._text(" ")  # a block inside a table cell or a link: only a space
            return
        if self.in_heading_line and tag not in _HEADINGS:
            self._text(" ")
            self.in_heading_line -= 1
            return
        self._flush()
        if tag in _LISTS:
            self.list_depth -= 1
        elif tag == "table":
            self.table_depth -= 1
        elif tag == "pre":
            self.pre -= 1
        if len(self.contexts) > 1:
            self.contexts.pop()

    def _line_break(self) -> None:
        kind = self.contexts[-1][0]
        if self.cells is not None or kind in ("heading", "item"):
            self.parts.append(" ")
            self.bold_parts.append(False)
        elif kind == "pre":
            self.parts.append("\n")
            self.bold_parts.append(False)
        else:
            self._flush()

    def _flush_cell(self) -> None:
        text = clean_text("".join(self.parts))
        self.parts.clear()
        self.bold_parts.clear()
        if self.cells is not None and text:
            self.cells.append(text)

    def _emit_row(self, cells: list[str]) -> None:
        if len(cells) >= 2:
            self.blocks.append(Block("row", " | ".join(c.replace("|", "/") for c in cells)))
        elif cells:
            self.blocks.append(Block("paragraph", cells[0]))

    def _flush(self) -> None:
        if not self.parts:
            return
        kind, level = self.contexts[-1]
        raw = "".join(self.parts)
        if raw.isspace():
            self.parts.clear()
            self.bold_parts.clear()
            return
        text = clean_pre(raw) if kind == "pre" else clean_text(raw)
        bold = False
        if text and kind == "paragraph":
            bold = _all_bold(self.parts, self.bold_parts)
        self.parts.clear()
        self.bold_parts.clear()
        if text:
            self.blocks.append(Block(kind, text, level, bold))


def _lays_out(row: etree._Element, table: etree._Element) -> bool:
    """Whether a table row lays out a page rather than holding a table's data: a cell
    holds a table of its own, or a heading with other blocks beside it, or a heading in
    a table of one row (a section's title bar). Its cells are then read as containers
    of blocks, not flattened into one line each. A heading alone in a cell of a table
    of many rows (a category's name) is data."""
    for cell in row:
        if cell.tag not in ("td", "th"):
            continue
        if has_descendant(cell, "table"):
            return True
        heading = next(cell.iterdescendants(*_HEADINGS), None)
        if heading is not None and (_only_row(table) or _blocks_beside(cell, heading)):
            return True
    return False


def _only_row(table: etree._Element) -> bool:
    return len(table.xpath("./tr | ./*/tr")) == 1


def _blocks_beside(cell: etree._Element, heading: etree._Element) -> bool:
    """Whether ``cell`` holds a block that neither holds ``heading`` nor lies in it."""
    around = set(heading.iterancestors())
    return any(
        block is not heading and block not in around and heading not in block.iterancestors()
        for block in cell.iterdescendants(*_CELL_BLOCKS)
    )


def _is_one_line(heading: etree._Element) -> bool:
    """Whether a heading's text, blocks inside it included, is short enough to be one."""
    return not len(heading) or _text_within(heading, HEADING_LINE_CHARS)


def _text_within(element: etree._Element, chars: int) -> bool:
    """Whether ``element`` holds at most ``chars`` characters of text (counting no further)."""
    size = 0
    for text in element.itertext():
        size += len(text)
        if size > chars:
            return False
    return True


def _wraps_blocks(link: etree._Element) -> bool:
    """Whether ``link`` wraps blocks and no heading, in at most :data:`LINK_LINE_CHARS`
    of text (a card of a title and a summary is longer, or holds a heading)."""
    if not len(link) or not any(
        isinstance(el.tag, str) and el.tag in _BLOCKS for el in link.iterdescendants()
    ):
        return False
    return not has_descendant(link, *_HEADINGS) and _text_within(link, LINK_LINE_CHARS)


def _all_bold(parts: list[str], bold: list[bool]) -> bool:
    seen_bold = False
    for text, is_bold in zip(parts, bold, strict=True):
        if text.strip():
            if not is_bold:
                return False
            seen_bold = True
    return seen_bold


def _next_is_link(link: etree._Element) -> bool:
    """Whether another link comes right after ``link``, with nothing between them (one
    to the same address is the same link, cut in two by an editor: "Media.ne" "t"; an
    empty link is nothing to click: the parser's leftover of a link written inside
    another, "(<a><a>https://…</a></a>)")."""
    following = link.getnext()
    return (
        following is not None
        and following.tag == "a"
        and following.get("href") != link.get("href")
        and any(text.strip() for text in link.itertext())
    )
