"""PDF → :class:`Document`: the text of each page, re-joined into paragraphs and items.

Policies, terms and data-processing agreements are often published as PDFs. A
PDF holds positioned lines, not paragraphs: the lines are re-joined (a line that
stops short of the margin ends its paragraph; a word hyphenated at a line end is
made whole), bullet lines become list items, and the running headers, footers
and page numbers repeated on every page are left out, so that a document that
grows by a page does not change on every page. Headings are then found by
:mod:`watcher.sections` as in plain text (numbered or capitalised short lines).

Text extraction uses pypdf, imported on first use: most sources are HTML.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence

from .errors import InputError
from .model import Block, BlockKind, Document
from .textformats import clean_text

log = logging.getLogger(__name__)

# Lines this near the top or bottom of a page can be running headers and footers.
EDGE_LINES = 2
# A line shorter than this share of the usual line width stops before the margin.
SHORT_LINE = 0.8
_PAGE_NUMBER = re.compile(
    r"(?:page|p\.|seite|página|pagina)?\s*[-–(]?\s*\d{1,4}\s*[-–)]?"
    r"(?:\s*(?:of|/|sur|von|de|di|van)\s*\d{1,4})?",
    re.I,
)
_BULLET = re.compile(r"[•●◦▪▫‣∙○■□➢►✓–—*-]\s*(\S.*)")
# The numbering or capitals that start a clause, a list entry or a heading.
_NUMBERED = re.compile(
    r"(?:\d{1,2}(?:\.\d{1,2})*\.|\d{1,2}(?:\.\d{1,2})+|[A-Z]\.|[IVX]{1,5}\.|\(?[a-z]\)"
    r"|\(\d{1,2}\)|\d{1,2}\)|(?:article|section|art\.|§)\s*\d+)\s+\S",
    re.I,
)
_DIGITS = re.compile(r"\d+")
# Typographic ligatures that PDF text keeps as one glyph ("modiﬁed"): the letters.
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "st", "\ufb06": "st"}
)  # fmt: skip


def parse_pdf(body: bytes, name: str = "input") -> Document:
    """Normalise the bytes of a PDF (raises :class:`InputError` when unreadable)."""
    pages = _page_texts(body, name)
    log.debug("%s: a PDF of %d page(s)", name, len(pages))
    blocks = tuple(blocks_of_pages(pages))
    title = blocks[0].text if blocks else ""
    return Document(title=title, blocks=blocks)


def _page_texts(body: bytes, name: str) -> list[str]:
    """The text of each page, as pypdf extracts it (one line per text line)."""
    from pypdf import PdfReader

    # pypdf warns of every flaw it reads around ("EOF marker not found"); a PDF it
    # cannot read raises, and is reported once, below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{name}: encrypted PDF (needs a password to read)")
        return [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise InputError(f"{name}: cannot read PDF ({type(exc).__name__}: {exc})") from None


def blocks_of_pages(pages: Sequence[str]) -> list[Block]:
    """Paragraphs and list items of a document's page texts, without page furniture."""
    page_lines = []
    for page in pages:
        cleaned = (clean_text(raw) for raw in page.translate(_LIGATURES).splitlines())
        page_lines.append(_without_page_number([line for line in cleaned if line]))
    lines = _body_lines(page_lines)
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    blocks: list[Block] = []
    text, ended = "", True
    kind: BlockKind = "paragraph"
    for line in lines:
        bullet = _BULLET.fullmatch(line)
        if bullet or ended or _starts_block(line):
            if text:
                blocks.append(Block(kind, text))
            kind = "item" if bullet else "paragraph"
            text = bullet.group(1) if bullet else line
        else:
            text = _joined(text, line)
        ended = len(line) < SHORT_LINE * width
    blocks.append(Block(kind, text))
    return blocks


def _without_page_number(lines: list[str]) -> list[str]:
    """A page's lines without its page number: a number standing alone at the top or
    bottom of the page (one alone inside the page, a table's cell, is the document's)."""
    last = len(lines) - EDGE_LINES
    return [
        line
        for index, line in enumerate(lines)
        if not ((index < EDGE_LINES or index >= last) and _PAGE_NUMBER.fullmatch(line))
    ]


def _body_lines(pages: list[list[str]]) -> list[str]:
    """The lines of all pages in order, without running footers or running headers,
    except a header without numbers, kept once (its first time)."""
    running = _running_lines(pages)
    seen: set[str] = set()
    lines: list[str] = []
    for page in pages:
        for index, line in enumerate(page):
            key = _DIGITS.sub("#", line)
            if key in running and (index < EDGE_LINES or index >= len(page) - EDGE_LINES):
                # A header without numbers, once: often the document's title. Numbers in
                # one are dates and times of printing, versions, page numbers.
                if key in seen or index >= EDGE_LINES or key != line:
                    continue
                seen.add(key)
            lines.append(line)
    return lines


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (numbers masked) at the top or bottom of at least half of the pages, and
    of two pages at least."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        edges = page[:EDGE_LINES] + page[EDGE_LINES:][-EDGE_LINES:]
        counts.update({_DIGITS.sub("#", line) for line in edges})
    need = max(2, math.ceil(len(pages) / 2))
    return {key for key, count in counts.items() if count >= need}


def _starts_block(line: str) -> bool:
    """A numbered clause or heading, or a line in capitals: never the middle of a
    paragraph."""
    if _NUMBERED.match(line):
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and line.isupper()


def _joined(text: str, line: str) -> str:
    """``text`` continued by the next line, a word hyphenated at the line end made whole."""
    if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
        return text[:-1] + line
    return f"{text} {line}"
