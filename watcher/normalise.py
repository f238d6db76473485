"""Bytes → :class:`Document` → canonical text.

The normaliser reads HTML (with lxml's HTML parser), plain text and Markdown,
keeps only the text a reader of the policy sees, and writes it in a canonical,
Markdown-like form that is stable under re-indentation, attribute order,
whitespace, ``&nbsp;``, zero-width characters and Unicode normalisation.

Everything here is a pure function of its inputs.
"""

from __future__ import annotations

import codecs
import dataclasses
import logging
import re
import threading
from typing import Literal
from urllib.parse import urljoin

from lxml import etree

from . import content, visibility
from .canonical import (
    BOMS,
    NORMALISER_VERSION,
    Rules,
    block_of_line,
    canonical,
    check_text_like,
    render_block,
    split_blocks,
)
from .errors import InputError
from .model import Block, Document
from .pdf import parse_pdf
from .quality import MIN_WORDS
from .textformats import (
    clean_text,
    parse_markdown,
    parse_text,
    strip_inline_markdown,
)
from .walker import Walker

__all__ = [
    "MAX_BLOCK_CHARS",
    "NORMALISER_VERSION",
    "Rules",
    "block_of_line",
    "canonical",
    "check_text_like",
    "clean_text",
    "decode",
    "detect_encoding",
    "detect_format",
    "parse",
    "parse_html",
    "parse_markdown",
    "parse_text",
    "render_block",
    "split_blocks",
    "strip_inline_markdown",
]

log = logging.getLogger(__name__)

Format = Literal["html", "text", "markdown", "pdf"]

MAX_BLOCK_CHARS = 100_000
# What a page shows while its script loads the rest ("Loading…", "Chargement…",
# "加载中…"): a paragraph of these words alone is the page's state, not its text.
_LOADING = re.compile(
    r"(?:loading|please wait|chargement(?: en cours)?|veuillez patienter|wird geladen|"
    r"bitte warten|cargando|caricamento|carregando|bezig met laden|(?:laden|lädt)(?=\s*[.…])|"
    r"読み込み中|加载中|載入中|로딩 중|불러오는 중)\s*(?:\.{1,3}|…)?",
    re.I,
)
LOADING_CHARS = 24


# ---------------------------------------------------------------- decoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.I)


def declared_charset(body: bytes, content_type: str = "") -> str | None:
    """The charset named by the Content-Type header, else by a ``<meta>`` tag."""
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        return _codec_name(header.group(1))
    meta = _META_CHARSET.search(body[:4096])
    return _codec_name(meta.group(1).decode("ascii")) if meta else None


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_encoding(body: bytes, content_type: str = "") -> str:
    """The encoding to read ``body`` with, distrusting declarations that lie.

    A byte-order mark wins; then valid UTF-8 (pages that declare Latin-1 or
    Windows-1252 but are UTF-8 are the common lie); then the declared charset
    when the bytes decode under it; then a statistical guess.
    """
    for bom, name in BOMS:
        if body.startswith(bom):
            return name
    declared = declared_charset(body, content_type)
    try:
        body.decode("utf-8")
        if declared is None or declared in ("utf-8", "ascii") or not body.isascii():
            return "utf-8"
    except UnicodeDecodeError:
        pass
    if declared and declared not in ("utf-8",):
        try:
            body.decode(declared)
            return declared
        except (UnicodeDecodeError, LookupError):
            pass
    return _guess_encoding(body)


def _guess_encoding(body: bytes) -> str:
    """A statistical guess for long bodies; Windows-1252 (which decodes nearly any
    byte) for short ones, where guesses are unreliable."""
    if len(body) >= 512:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        if (
            best is not None
            and best.encoding
            and not best.encoding.startswith("utf_16")
            and not best.encoding.startswith("utf_32")
        ):
            return str(codecs.lookup(best.encoding).name)
    return "cp1252"


def decode(body: bytes, content_type: str = "") -> str:
    """``body`` as text, see :func:`detect_encoding`."""
    encoding = detect_encoding(body, content_type)
    text = body.decode(encoding, errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


# ---------------------------------------------------------------- format sniffing

_HTML_SNIFF = re.compile(
    rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<(!doctype|html))",
    re.I | re.S,
)
_SCRIPT = re.compile(rb"<script\b", re.I)
# Readers find a PDF's signature within its first 1024 bytes (not inside a page's markup).
_PDF_SIGNATURE = re.compile(rb"[^<]{0,1019}%PDF-")
_TEMPLATE = re.compile(rb"<template\b", re.I)
_NONE: frozenset[str] = frozenset()
_SCRIPT_BUILT = (
    re.compile(rb"<noscript\b[^>]*>[^<]*javascript", re.I),
    re.compile(
        rb"""<div\s[^>]*\bid\s*=\s*["']?(?:root|app|__next|__nuxt|svelte|q-app)(?=["'\s>])[^>]*>"""
        rb"\s*</div>",
        re.I,
    ),
    re.compile(rb"<([a-z][a-z0-9]*-[a-z0-9-]+)\b[^>]*>\s*</\1\s*>", re.I),
)
_HTML_TAGS = re.compile(rb"<(p|div|h[1-6]|ul|ol|li|table|section|article|br|span|a)[\s>/]", re.I)


def detect_format(body: bytes, content_type: str = "", filename: str | None = None) -> Format:
    """Whether ``body`` is a PDF, HTML, plain text or Markdown.

    A PDF is known by its extension, its signature or its Content-Type. Otherwise
    the file name's extension wins, then a sniff of the bytes (a page served
    with the wrong content type is still read as what it is), then the
    Content-Type header.
    """
    name = (filename or "").lower()
    if name.endswith(".pdf") or _PDF_SIGNATURE.match(body):
        return "pdf"
    if name.endswith((".md", ".markdown")):
        return "markdown"
    if name.endswith((".html", ".htm", ".xhtml")):
        return "html"
    head = body[:4096]
    if _HTML_SNIFF.match(head) or len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/pdf":
        return "pdf"
    if ctype in ("text/markdown", "text/x-markdown"):
        return "markdown"
    if name.endswith(".txt") or ctype == "text/plain":
        return "text"
    if ctype in ("text/html", "application/xhtml+xml") and b"<" in head:
        return "html"
    return "text"


# ---------------------------------------------------------------- entry point


def parse(
    body: bytes,
    content_type: str = "",
    rules: Rules | None = None,
    filename: str | None = None,
    name: str = "input",
) -> Document:
    """Normalise raw bytes of an HTML, PDF, text or Markdown document.

    ``name`` is used in error messages. Raises :class:`InputError` for
    binary input and for documents that cannot be a policy (nesting deeper
    than the parser allows, a single block of more than 100,000 characters).
    """
    fmt = detect_format(body, content_type, filename)
    if fmt == "pdf":
        doc = parse_pdf(body, name)
    else:
        check_text_like(body, name)
        if fmt == "html":
            doc = parse_html(body, rules or Rules(), content_type, name)
        else:
            text = decode(body, content_type)
            doc = parse_markdown(text) if fmt == "markdown" else parse_text(text)
    for block in doc.blocks:
        if len(block.text) > MAX_BLOCK_CHARS:
            raise InputError(
                f"{name}: a single {block.kind} of {len(block.text):,} characters "
                f"(limit {MAX_BLOCK_CHARS:,}): not a readable document"
            )
    return doc


# ---------------------------------------------------------------- HTML


def parse_html(body: bytes, rules: Rules, content_type: str = "", name: str = "input") -> Document:
    """Normalise an HTML page into a :class:`Document`."""
    root = _parse_tree(body, content_type, name)
    frames = _framed_pages(root, name)  # read now: frames are not text, extraction drops them
    document = _read_page(root, body, rules)
    if document.words >= MIN_WORDS:
        return document
    if _TEMPLATE.search(body):
        # A page that shows its text through a script stamping out a <template>
        # (Alpine's ``x-if``, a web component's shadow-less template): without the
        # script the page is empty, so read what the script would show.
        stamped = _read_page(_parse_tree(body, content_type, name), body, rules, templates=True)
        if stamped.words >= MIN_WORDS:
            log.debug("%s: text read from <template> elements", name)
            return stamped
    unmatched = (
        rules.select
        if rules.select and not _selects_anything(body, content_type, name, rules)
        else ()
    )
    return dataclasses.replace(
        document, scripted=_built_by_script(body), frames=frames, unmatched=unmatched
    )


def _selects_anything(body: bytes, content_type: str, name: str, rules: Rules) -> bool:
    """Whether the source's ``select`` matches any element of the page (read again:
    extraction changed the tree)."""
    return bool(content.select_all(_parse_tree(body, content_type, name), rules.select))


def _read_page(
    root: etree._Element, body: bytes, rules: Rules, templates: bool = False
) -> Document:
    """The document in a parsed page (``templates``: the contents of ``<template>``
    elements count as shown)."""
    if b"data-cfemail" in body:
        visibility.reveal_protected_emails(root)
    title = page_title(root)
    roots = content.extract(root, rules.select, rules.remove, templates=templates)
    walker = Walker()
    for element in roots:
        visibility.drop_cell_labels(element)
        walker.walk(element)
    blocks = tuple(block for block in walker.blocks if not _is_loading(block))
    if not rules.select:
        blocks = _without_trailing_labels(blocks)
    if not title:
        title = next((b.text for b in blocks if b.kind == "heading"), "")
    return Document(title=title, blocks=blocks)


def _without_trailing_labels(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """``blocks`` without the labels they end with: a heading with nothing under it, or
    a short line that ends with a colon, at the end of a page labelled a widget that
    went as chrome ("Share this article" over share buttons, "Next article" over a link
    to it, "You might also be interested in:" over related articles). A page of such
    labels alone keeps them."""
    end = len(blocks)
    while end and (blocks[end - 1].kind == "heading" or _introduces(blocks, end - 1)):
        end -= 1
    return blocks[:end] if end else blocks


def _introduces(blocks: tuple[Block, ...], i: int) -> bool:
    """Whether paragraph ``i`` is a short line that announces what follows it, after the
    document's text: under a heading of its own ("Partners", "We share with:") it opens
    a section of the document, which stays."""
    block = blocks[i]
    if block.kind != "paragraph" or not block.text.endswith(":"):
        return False
    return len(block.text.split()) <= 12 and i > 0 and blocks[i - 1].kind != "heading"


def _is_loading(block: Block) -> bool:
    """Whether a paragraph only says that the page is loading."""
    return (
        block.kind == "paragraph"
        and len(block.text) <= LOADING_CHARS
        and _LOADING.fullmatch(block.text) is not None
    )


def _framed_pages(root: etree._Element, name: str) -> tuple[str, ...]:
    """The addresses of the pages a page shows in frames (an embedded policy), absolute
    when ``name`` is the page's address; not hidden frames (tag managers), tracking
    pixels or ``<noscript>`` frames."""
    found: list[str] = []
    for frame in root.iter("iframe"):
        src = (frame.get("src") or "").strip()
        if not src or src.startswith(("about:", "javascript:", "data:")):
            continue
        if frame.get("width") in ("0", "1") or frame.get("height") in ("0", "1"):
            continue
        if frame.get("aria-hidden") == "true" or visibility.is_hidden(frame, frame.attrib, _NONE):
            continue
        if any(a.tag == "noscript" for a in frame.iterancestors()):
            continue
        address = urljoin(name, src) if name.startswith(("http://", "https://")) else src
        if address not in found:
            found.append(address)
    return tuple(found[:3])


def _built_by_script(body: bytes) -> bool:
    """Whether a page loads scripts and shows the marks of a page they build: a
    ``<noscript>`` asking for JavaScript, or the empty element an app mounts itself in
    (``<div id="root"></div>``, ``<app-root></app-root>``)."""
    return _SCRIPT.search(body) is not None and any(
        pattern.search(body) for pattern in _SCRIPT_BUILT
    )


def page_title(root: etree._Element) -> str:
    """The page's ``<title>``: the first one that is not inside inline SVG or MathML,
    whose ``<title>`` elements label icons ("Close", "Opt-Out Icon")."""
    for element in root.iter("title"):
        if not any(a.tag in ("svg", "math") for a in element.iterancestors()):
            return clean_text(" ".join(element.itertext()))
    return ""


def _parser(encoding: str) -> etree.HTMLParser:
    """This thread's HTML parser for ``encoding``.

    Kept, because a parser's first document pays for libxml2's parsing context
    (a quarter of parsing a 300 KB page); one per thread, because a parser must
    not parse two documents at once.
    """
    parsers: dict[str, etree.HTMLParser] = _PARSERS.__dict__
    parser = parsers.get(encoding)
    if parser is None:
        parser = parsers[encoding] = etree.HTMLParser(
            encoding=encoding,
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            default_doctype=False,
        )
    return parser


_PARSERS = threading.local()


def _parse_tree(body: bytes, content_type: str, name: str) -> etree._Element:
    parser = _parser(detect_encoding(body, content_type))
    try:
        root = etree.fromstring(body, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise InputError(f"{name}: cannot parse HTML ({exc})") from None
    for error in parser.error_log:
        if "Excessive depth" in error.message:
            raise InputError(
                f"{name}: HTML nested too deeply to be a document (more than 256 levels)"
            )
        if error.type_name == "ERR_RESOURCE_LIMIT":
            # libxml2 stops at 10,000,000 characters of text without markup.
            raise InputError(
                f"{name}: a single run of text of more than 10,000,000 characters: "
                "not a readable document"
            )
    if root is None:
        raise InputError(f"{name}: empty HTML document")
    return root
