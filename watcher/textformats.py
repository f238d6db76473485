"""Plain text and Markdown → :class:`Document`, and the text cleanup every format shares.

Policies published as text keep one paragraph per line (hard-wrapped text is
re-joined); Markdown is read for its headings, lists, tables, bold lines and
code blocks, and watcher's own canonical text is Markdown of this kind. Pure
functions.
"""

from __future__ import annotations

import re
import unicodedata

from .model import Block, Document

# ---------------------------------------------------------------- text cleanup

_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c]+"
)


def clean_text(text: str) -> str:
    """Normalise one block's text: NFC, no invisible characters, single spaces.

    (``str.split()`` splits on exactly the characters ``str.isspace()``
    knows: ASCII and Unicode spaces, ``&nbsp;`` and line separators.)
    """
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def clean_pre(text: str) -> str:
    """Normalise preformatted text: like :func:`clean_text`, keeping its line breaks."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


# ---------------------------------------------------------------- plain text

_BULLET = re.compile(r"^(\s*)(?:[-*•·§▪◦‣●○■□➢►✓➤]|\u2013|\u2014)\s+(\S.*)$")


def parse_text(text: str) -> Document:
    """Normalise plain text: one block per non-blank line; bullet lines become items.

    Policies published as text keep one paragraph per line; hard-wrapped
    text (most lines broken near the same width) is re-joined into
    paragraphs first.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if _looks_hard_wrapped(lines):
        lines = _unwrap(lines)
    blocks: list[Block] = []
    for line in lines:
        block = _text_block(line)
        if block is not None:
            blocks.append(block)
    title = blocks[0].text if blocks else ""
    return Document(title=title, blocks=tuple(blocks))


def _text_block(line: str) -> Block | None:
    match = _BULLET.match(line.expandtabs(4))
    if match:
        depth = min(len(match.group(1)) // 4, 5)
        text = clean_text(match.group(2))
        return Block("item", text, depth) if text else None
    text = clean_text(line)
    return Block("paragraph", text) if text else None


def _looks_hard_wrapped(lines: list[str]) -> bool:
    lengths = [len(line.rstrip()) for line in lines if line.strip()]
    if len(lengths) < 8:
        return False
    longest = max(lengths)
    near_max = sum(1 for n in lengths if n >= longest - 15)
    return longest <= 100 and near_max >= len(lengths) * 0.4


def _unwrap(lines: list[str]) -> list[str]:
    out: list[str] = []
    current = ""
    for line in lines:
        if not line.strip():
            if current:
                out.append(current)
            current = ""
            out.append("")
        elif not current or _BULLET.match(line):
            if current:
                out.append(current)
            current = line
        else:
            current = current.rstrip() + " " + line.strip()
    if current:
        out.append(current)
    return out


# ---------------------------------------------------------------- Markdown

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_TARGET = r"\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)"  # (url) or (url "title")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]" + _MD_TARGET)
_MD_LINK = re.compile(r"\[([^\]]*)\]" + _MD_TARGET)
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_EMPH = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\3(?![\w*])"
)
_MD_CODE = re.compile(r"`([^`]*)`")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_MD_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+)\1\s*$")
_MD_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")


def strip_inline_markdown(text: str) -> str:
    """Markdown inline markup → its visible text (links keep their text)."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = _MD_CODE.sub(r"\1", text)
    previous = None
    while previous != text:
        previous = text
        text = _MD_EMPH.sub(lambda m: m.group(2) or m.group(4) or "", text)
    return _MD_ESCAPE.sub(r"\1", text)


def parse_markdown(text: str) -> Document:
    """Normalise Markdown (including watcher's own canonical text)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    paragraph: list[str] = []
    fence: list[str] | None = None

    def flush() -> None:
        if paragraph:
            joined = " ".join(line.strip() for line in paragraph)
            bold = _MD_BOLD_LINE.match(joined)
            clean = clean_text(strip_inline_markdown(joined))
            if clean:
                blocks.append(Block("paragraph", clean, bold=bool(bold)))
            paragraph.clear()

    for line in lines:
        if fence is not None:
            if _MD_FENCE.match(line):
                blocks.append(Block("pre", clean_pre("\n".join(fence))))
                fence = None
            else:
                fence.append(line)
            continue
        if _MD_FENCE.match(line):
            flush()
            fence = []
            continue
        if not line.strip():
            flush()
            continue
        setext = _MD_SETEXT.match(line)
        if setext and paragraph:
            heading = clean_text(strip_inline_markdown(" ".join(paragraph)))
            paragraph.clear()
            if heading:
                blocks.append(Block("heading", heading, 1 if setext.group(1)[0] == "=" else 2))
            continue
        block = _markdown_line(line)
        if block is None:
            paragraph.append(line.lstrip("> ").rstrip() if line.lstrip().startswith(">") else line)
            continue
        flush()
        if block.text or block.kind == "pre":
            blocks.append(block)
    if fence is not None:
        blocks.append(Block("pre", clean_pre("\n".join(fence))))
    flush()
    blocks = [b for b in blocks if b.text]
    title = next((b.text for b in blocks if b.kind == "heading"), blocks[0].text if blocks else "")
    return Document(title=title, blocks=tuple(blocks))


def _markdown_line(line: str) -> Block | None:
    """The block a single Markdown line stands for, or None for paragraph text."""
    heading = _MD_HEADING.match(line)
    if heading:
        return Block(
            "heading", clean_text(strip_inline_markdown(heading.group(2))), len(heading.group(1))
        )
    if _MD_HR.match(line):
        return Block("paragraph", "")
    item = _MD_ITEM.match(line.expandtabs(4))
    if item:
        depth = min(len(item.group(1)) // 2, 5)
        return Block("item", clean_text(strip_inline_markdown(item.group(2))), depth)
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        if _MD_TABLE_SEP.match(stripped):
            return Block("row", "")
        cells = [clean_text(strip_inline_markdown(c)) for c in stripped[1:-1].split("|")]
        cells = [c for c in cells if c]
        if len(cells) >= 2:
            return Block("row", " | ".join(cells))
        return Block("paragraph", cells[0] if cells else "")
    return None
