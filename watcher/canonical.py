"""The canonical text and what is decided before any parsing: a document's blocks
rendered one Markdown-like line each, and read back; the extraction rules of a
source; the version of the normaliser; whether bytes are text at all.

Pure and light (no HTML parser): the process that fetches and records imports this,
and the normaliser (:mod:`watcher.normalise`) only when a page must be read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .errors import InputError
from .model import Block, Document

# Bump when a change to the normaliser (or to sections) can change the canonical text or the
# outline of an unchanged page: stored versions made by an older normaliser are
# then re-read from their raw capture before comparing, so an upgrade never looks
# like a policy change, and before diffing, so it never looks like new sections.
NORMALISER_VERSION = 19


@dataclass(frozen=True, slots=True)
class Rules:
    """Per-source extraction rules: CSS selectors to keep and to drop."""

    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


# Byte-order marks and the encodings they announce.
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def check_text_like(body: bytes, name: str) -> None:
    """Raise :class:`InputError` when ``body`` is not a text document."""
    head = body[:65536]
    wide = next((enc for bom, enc in BOMS if enc != "utf-8" and head.startswith(bom)), None)
    if wide is not None:  # UTF-16/32 with a byte-order mark: judge the characters
        unit = 4 if wide == "utf-32" else 2
        text = head[: len(head) - len(head) % unit].decode(wide, errors="replace")
        head = text.encode("utf-8", errors="replace")
    if b"\x00" in head:
        raise InputError(f"{name}: binary file (contains NUL bytes), not a text or HTML document")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if head and controls / len(head) > 0.05:
        raise InputError(f"{name}: binary file (control bytes), not a text or HTML document")


def canonical(doc: Document) -> str:
    """The canonical text of a document: one Markdown-like line per block.

    Headings are ``#`` lines, list items ``- `` lines indented by depth,
    table rows ``| a | b |`` and bold-only paragraphs ``**text**``; blocks
    are separated by blank lines, except consecutive items and rows.
    """
    out: list[str] = []
    previous: str | None = None
    for block in doc.blocks:
        line = render_block(block)
        if previous is not None:
            tight = block.kind == previous and block.kind in ("item", "row")
            out.append("\n" if tight else "\n\n")
        out.append(line)
        previous = block.kind
    return "".join(out) + ("\n" if out else "")


_FENCE = re.compile(r"^`{3,}$")


def split_blocks(text: str) -> list[str]:
    """The canonical lines of a canonical text, one per block: the inverse of the
    joining done by :func:`canonical` (a fenced ``pre`` block is one entry)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line) and line in lines[i + 1 :]:
            end = lines.index(line, i + 1)
            out.append("\n".join(lines[i : end + 1]))
            i = end + 1
        elif line:
            out.append(line)
            i += 1
        else:
            i += 1
    return out


_RENDERED = re.compile(r"^(?:(#{1,6}) (.*)|((?:  )*)- (.*)|\| (.*) \||\*\*(.+)\*\*)$", re.S)


def block_of_line(line: str) -> Block:
    """The block that :func:`render_block` renders as ``line`` (its inverse; a
    paragraph whose own text looks like another kind's line is read as that kind)."""
    if _FENCE.match(line.split("\n", 1)[0]) and "\n" in line:
        return Block("pre", line.split("\n", 1)[1].rsplit("\n", 1)[0])
    match = _RENDERED.match(line)
    if match is None:
        return Block("paragraph", line)
    hashes, heading, indent, item, row, bold = match.groups()
    if hashes:
        return Block("heading", heading, len(hashes))
    if item is not None:
        return Block("item", item, len(indent) // 2)
    if row is not None:
        return Block("row", row)
    return Block("paragraph", bold, bold=True)


def render_block(block: Block) -> str:
    """One block in canonical form."""
    if block.kind == "heading":
        return "#" * max(1, min(block.level, 6)) + " " + block.text
    if block.kind == "item":
        return "  " * block.level + "- " + block.text
    if block.kind == "row":
        return "| " + block.text + " |"
    if block.kind == "pre":
        fence = "```"
        while any(line.startswith(fence) for line in block.text.split("\n")):
            fence += "`"
        return f"{fence}\n{block.text}\n{fence}"
    if block.bold:
        return "**" + block.text + "**"
    return block.text
