"""Change reports: one :class:`~watcher.diff.ChangeSet` as text, Markdown, HTML or JSON.

Every format is drawn from the same view (:func:`build_view`): the sections
that changed, each with its label (``4 → 5 Sharing of data``), its details
(``modified, substantive; +12 −3 words; flags: third parties``) and its
changed paragraphs as word-level spans, unchanged paragraphs collapsed and
long unchanged stretches shortened; renumbered-only sections are listed and
unchanged ones counted. :func:`render` picks the format; each format has its
own function, and :func:`render_html_fragment` gives the HTML body part for
emails and digests.

HTML comes from jinja2 templates in ``watcher/templates`` with autoescaping;
policy text is only ever data, never markup, and links are made only from
``http(s)`` URLs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from .diff import SEP, ChangeSet, SectionChange

log = logging.getLogger(__name__)

Format = Literal["text", "markdown", "html", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "html", "json")
CONTEXT_CHARS = 100
"""Unchanged text kept on each side of an edit inside a changed paragraph."""
# Which text a span's words belong to: both versions, the new one or the old one.
_SIDES = {"equal": "both", "move-in": "both", "move-out": "both", "insert": "new", "delete": "old"}
# A heading inside a section's body, as the document's text writes it.
_HEADING_MARK = re.compile(r"^#{1,6} ")
# What a paragraph's leading heading markers say when only they were edited.
_HEADING_NOTES = {
    frozenset({"insert"}): "now a heading",
    frozenset({"delete"}): "no longer a heading",
    frozenset({"insert", "delete"}): "heading level changed",
}

SCHEMA = """\
JSON change report, schema 1 (``"schema": 1``; a new major version means an
incompatible change, new keys may be added within a version).

{
  "schema": 1,
  "source": {"id", "name", "url", "old_label", "new_label",
             "old_captured_at", "new_captured_at", "report_url"},   # strings or null
  "changed": bool,                  # false: the texts are the same
  "summary": {
    "headline": str,                # "3 sections changed (substantive)"
    "classification": "none" | "cosmetic" | "editorial" | "substantive",
    "sections": {"modified", "renamed", "moved", "added", "removed", "unchanged": int},
    "renumbered": int,              # matched sections whose numbering changed
    "inserted": int, "deleted": int,            # words, all sections
    "flags": [str],                 # privacy terms in inserted or deleted text, one per
                                    # keyword pattern, in the order of the keyword list
    "moved_paragraphs": int,
    "stated_date": {"old": str | null, "new": str | null,   # as written, "last updated" etc.
                    "changed": bool,        # a different date
                    "reformatted": bool},   # the same date written differently
    "title": {"old": str, "new": str}
  },
  "sections": [                     # new document order; removed ones where they were
    {
      "status": "unchanged" | "modified" | "renamed" | "moved" | "added" | "removed",
      "old_title": str | null, "new_title": str | null,    # numbering stripped
      "old_number": str | null, "new_number": str | null,  # "" when unnumbered
      "old_index": int | null, "new_index": int | null,    # position in each outline
      "level": int,                 # heading level, 0 for the preamble
      "classification": "none" | "cosmetic" | "editorial" | "substantive",
      "inserted": int, "deleted": int,
      "flags": [str],
      "moved": bool,                # position changed relative to the other sections
      "renumbered": bool,
      "date_only": bool,            # the only edit is the stated date
      "hunks": [                    # empty when the body is unchanged
        {"op": "equal" | "insert" | "delete" | "move-out" | "move-in",
         "text": str,
         "moved": int}              # move hunks only: index in moved_paragraphs
      ]
    }
  ],
  "moved_paragraphs": [
    {"from_section": int, "to_section": int,      # indices in "sections"
     "similarity": float, "old_text": str, "new_text": str,
     "inserted": int, "deleted": int,
     "hunks": [{"op", "text"}]}                   # old_text -> new_text
  ]
}

A section's body text is its blocks joined by blank lines ("\\n\\n"). Joining
the text of its hunks whose op is equal, delete or move-out gives the old
body; equal, insert or move-in gives the new one.
"""

SpanOp = Literal["equal", "insert", "delete", "move-out", "move-in", "elided"]


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a report says about the source and the two versions it compares."""

    source_id: str
    source_name: str
    url: str
    old_label: str
    new_label: str
    old_captured_at: str | None = None
    new_captured_at: str | None = None
    report_url: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one paragraph of a report: kept, inserted, deleted, moved or elided."""

    op: SpanOp
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One displayed paragraph.

    ``kind`` is ``changed`` (spans of a paragraph with edits), ``moved-out``
    or ``moved-in`` (``note`` says where to or from), or ``gap`` (``note``
    says how many unchanged paragraphs were left out); a ``changed`` paragraph's
    ``note`` says when only its being a heading changed (``now a heading``).
    ``bold`` marks a paragraph set wholly in bold (``**text**`` in the document's
    text) and ``heading`` one that is a heading inside its section (``### text``):
    plain text shows its spans with the markers, HTML and Markdown show
    :meth:`unmarked` in bold.
    """

    kind: Literal["changed", "moved-out", "moved-in", "gap"]
    spans: tuple[Span, ...] = ()
    note: str = ""
    bold: bool = False
    heading: bool = False

    @property
    def strong(self) -> bool:
        """Whether HTML and Markdown show the paragraph in bold."""
        return self.bold or self.heading

    def unmarked(self) -> tuple[Span, ...]:
        """The spans without a heading's ``#`` marker or a bold paragraph's ``**``
        markers (the closing one is already gone when the shortened end was cut)."""
        body = list(self.spans)
        if self.heading:
            body[0] = Span(body[0].op, _HEADING_MARK.sub("", body[0].text, count=1))
        if self.bold:
            body[0] = Span(body[0].op, body[0].text[2:])
            if body[-1].op != "elided":
                body[-1] = Span(body[-1].op, body[-1].text[:-2])
        return tuple(span for span in body if span.text)


@dataclass(frozen=True, slots=True)
class SectionView:
    """A changed section as displayed."""

    change: SectionChange
    label: str
    details: str
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a change report shows, whatever the format."""

    meta: ReportMeta
    changes: ChangeSet
    headline: str
    facts: tuple[str, ...]
    sections: tuple[SectionView, ...]
    renumbered: tuple[str, ...]
    unchanged: int
    source_link: str | None
    report_link: str | None


# ---------------------------------------------------------------- shared helpers


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL that can be linked, else None."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url, re.I):
        return url
    return None


def number_label(change: SectionChange) -> str:
    """``4 → 5`` for a renumbered section, else its number (``""`` when unnumbered)."""
    if change.renumbered:
        return f"{change.old_number or '–'} → {change.new_number or '–'}"
    return change.section.number


def title_label(change: SectionChange) -> str:
    """The title, ``Old → New`` for a retitled section; ``Preamble`` for untitled text."""
    if change.retitled:
        return f"{change.old_title or 'Preamble'} → {change.new_title or 'Preamble'}"
    return change.section.title or "Preamble"


def section_label(change: SectionChange) -> str:
    """Number and title: ``4 → 5 Sharing of data``."""
    return " ".join(p for p in (number_label(change), title_label(change)) if p)


def short_label(change: SectionChange) -> str:
    """Number and title of the section as it is now (as it was, when removed)."""
    section = change.section
    return " ".join(p for p in (section.number, section.title or "Preamble") if p)


def word_counts(inserted: int, deleted: int) -> str:
    """``+12 −3 words``."""
    return f"+{inserted} −{deleted} words"


def section_details(change: SectionChange) -> str:
    """``modified, substantive; +12 −3 words; flags: third parties``."""
    status: str = change.status
    if change.moved and status != "moved":
        status += ", moved"
    parts = [f"{status}, {change.classification}"]
    if change.inserted or change.deleted:
        parts.append(word_counts(change.inserted, change.deleted))
    if change.flags:
        parts.append("flags: " + ", ".join(change.flags))
    if change.date_only:
        parts.append("stated date only")
    return "; ".join(parts)


def report_facts(changes: ChangeSet) -> tuple[str, ...]:
    """The lines under the headline: counts, flags, stated date, moves."""
    facts = []
    if changes.inserted or changes.deleted:
        facts.append(word_counts(changes.inserted, changes.deleted))
    if changes.flags:
        facts.append("flags: " + ", ".join(changes.flags))
    date = changes.date_line()
    if date:
        facts.append(date[0].upper() + date[1:])
    if changes.moved_paragraphs:
        n = len(changes.moved_paragraphs)
        facts.append(f"{n} paragraph{'s' if n > 1 else ''} moved")
    return tuple(facts)


def paragraphs(change: SectionChange, changes: ChangeSet) -> tuple[Paragraph, ...]:
    """The displayed paragraphs of a section: changed ones, moves, and gaps for the rest."""
    refs = dict(change.moves)
    raw: list[Paragraph] = []
    current: list[Span] = []

    def flush() -> None:
        """End the paragraph being built."""
        if current:
            raw.append(Paragraph("changed", tuple(current)))
            current.clear()

    for k, hunk in enumerate(change.hunks):
        if k in refs:
            flush()
            raw.append(_move_paragraph(hunk.op, changes, refs[k]))
            continue
        parts = hunk.text.split(SEP)
        if hunk.op != "equal" and len(parts) > 1 and not hunk.text.strip():
            current.append(Span(hunk.op, "¶"))
        for i, part in enumerate(parts):
            if i:
                flush()
            if part:
                current.append(Span(hunk.op, part))
    flush()
    return _collapse(raw)


def _move_paragraph(op: str, changes: ChangeSet, index: int) -> Paragraph:
    """A moved paragraph, where it went (``move-out``) or where it came from, with its edits.

    A long paragraph is shown by its opening words where it left, and where it
    arrived too when it arrived unedited: its whole text twice would bury the
    edits around it (a restructured policy moves dozens of clauses at once).
    """
    moved = changes.moved_paragraphs[index]
    if op == "move-out":
        where = short_label(changes.sections[moved.to_section])
        return Paragraph(
            "moved-out", _opening(Span("move-out", moved.old_text)), f"moved to {where}"
        )
    where = short_label(changes.sections[moved.from_section])
    if moved.exact:
        return Paragraph(
            "moved-in", _opening(Span("move-in", moved.new_text)), f"moved from {where}"
        )
    spans = tuple(Span(h.op, h.text) for h in moved.hunks)
    return _shorten(Paragraph("moved-in", spans, f"moved from {where}"))


def _opening(span: Span) -> tuple[Span, ...]:
    """A long span cut to its first :data:`CONTEXT_CHARS` or so, then an ellipsis."""
    if not _long(span.text):
        return (span,)
    return Span(span.op, _cut(span.text, CONTEXT_CHARS, from_end=False)), Span("elided", "…")


def _collapse(raw: list[Paragraph]) -> tuple[Paragraph, ...]:
    """Unchanged paragraphs become gaps; long unchanged runs inside paragraphs are shortened."""
    out: list[Paragraph] = []
    skipped = 0
    for para in raw:
        if para.kind == "changed" and all(s.op == "equal" for s in para.spans):
            skipped += 1
            continue
        if skipped:
            out.append(_gap(skipped))
            skipped = 0
        out.append(_shorten(para) if para.kind == "changed" else para)
    if skipped and out:
        out.append(_gap(skipped))
    return tuple(out)


def _styled(para: Paragraph) -> Paragraph:
    """``para`` with its heading and bold marks read from its text."""
    return _marked_bold(_marked_heading(para))


def _marked_heading(para: Paragraph) -> Paragraph:
    """``para`` with ``heading`` set when it is a heading inside its section (its text
    opens with ``#`` markers); when only the markers were inserted or deleted, they
    give way to a note (``now a heading``) rather than showing as an edit."""
    spans = para.spans
    lead = 0
    while lead < len(spans) - 1 and _only_heading_mark(spans[lead]):
        lead += 1
    if lead and para.kind == "changed":
        note = _HEADING_NOTES[frozenset(s.op for s in spans[:lead])]
        return dataclasses.replace(para, spans=spans[lead:], note=note)
    if spans and spans[0].op in _SIDES and _HEADING_MARK.match(spans[0].text):
        return dataclasses.replace(para, heading=True)
    return para


def _only_heading_mark(span: Span) -> bool:
    """Whether ``span`` is an inserted or deleted heading marker and nothing else."""
    return span.op in ("insert", "delete") and bool(_HEADING_MARK.fullmatch(span.text))


def _marked_bold(para: Paragraph) -> Paragraph:
    """``para`` with ``bold`` set when it is set wholly in bold: its first span opens
    with ``**`` and its last closes with them on the same side (kept, inserted or
    deleted), or the shortened end cut the closing ones."""
    spans = para.spans
    if not spans or not spans[0].text.startswith("**") or spans[0].op not in _SIDES:
        return para
    first, last = spans[0], spans[-1]
    closed = (
        last.text.endswith("**")
        and _SIDES.get(last.op) == _SIDES[first.op]
        and sum(len(s.text) for s in spans) > 4
    )
    return dataclasses.replace(para, bold=True) if closed or last.op == "elided" else para


def _gap(n: int) -> Paragraph:
    """A stand-in for ``n`` unchanged paragraphs."""
    return Paragraph("gap", note=f"{n} unchanged paragraph{'s' if n > 1 else ''}")


def _shorten(para: Paragraph) -> Paragraph:
    """Long unchanged stretches cut to :data:`CONTEXT_CHARS` around the edits."""
    spans: list[Span] = []
    joined = _join_runs(para.spans)
    last = len(joined) - 1
    for i, span in enumerate(joined):
        if span.op != "equal" or not _long(span.text):
            spans.append(span)
            continue
        head = _cut(span.text, CONTEXT_CHARS, from_end=False) if i > 0 else ""
        tail = _cut(span.text, CONTEXT_CHARS, from_end=True) if i < last else ""
        if head:
            spans.append(Span("equal", head))
        spans.append(Span("elided", "…"))
        if tail:
            spans.append(Span("equal", tail))
    return Paragraph(para.kind, tuple(spans), para.note)


def _long(text: str) -> bool:
    """Whether an unchanged stretch is worth cutting: longer than its context on both
    sides and a little more."""
    return len(text) > 2 * CONTEXT_CHARS + 40


def _join_runs(spans: tuple[Span, ...]) -> list[Span]:
    """Neighbouring spans of the same kind as one (the diff may give a stretch in pieces)."""
    joined: list[Span] = []
    for span in spans:
        if joined and joined[-1].op == span.op:
            joined[-1] = Span(span.op, joined[-1].text + span.text)
        else:
            joined.append(span)
    return joined


def _cut(text: str, size: int, from_end: bool) -> str:
    """About ``size`` characters from one end of ``text``, cut at a space."""
    if from_end:
        piece = text[-size:]
        space = piece.find(" ")
        return piece[space:] if 0 <= space < size // 2 else piece
    piece = text[:size]
    space = piece.rfind(" ")
    return piece[: space + 1] if space > size // 2 else piece


def build_view(changes: ChangeSet, meta: ReportMeta) -> ReportView:
    """The report's content, shared by every format."""
    shown = tuple(
        SectionView(
            c,
            section_label(c),
            section_details(c),
            tuple(map(_styled, paragraphs(c, changes))),
        )
        for c in changes.sections
        if c.status != "unchanged"
    )
    renumbered = tuple(
        section_label(c) for c in changes.sections if c.status == "unchanged" and c.renumbered
    )
    unchanged = sum(1 for c in changes.sections if c.status == "unchanged" and not c.renumbered)
    return ReportView(
        meta=meta,
        changes=changes,
        headline=changes.headline(),
        facts=report_facts(changes),
        sections=shown,
        renumbered=renumbered,
        unchanged=unchanged,
        source_link=safe_url(meta.url),
        report_link=safe_url(meta.report_url),
    )


def versions_line(meta: ReportMeta) -> str:
    """``version 3 (2024-01-02) → version 4 (2024-02-03)``."""

    def one(label: str, when: str | None) -> str:
        """A label with its capture time, unless the label already says it."""
        return f"{label} ({when})" if when and when not in label else label

    return (
        f"{one(meta.old_label, meta.old_captured_at)} → {one(meta.new_label, meta.new_captured_at)}"
    )


# ---------------------------------------------------------------- text and terminal

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = {
    "insert": "\x1b[32;4m",
    "delete": "\x1b[31;9m",
    "move-out": "\x1b[36m",
    "move-in": "\x1b[36m",
    "elided": "\x1b[2m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "substantive": "\x1b[1;31m",
    "editorial": "\x1b[1;33m",
    "cosmetic": "\x1b[2m",
    "none": "",
}
_RESET = "\x1b[0m"
_MARKERS = {"insert": ("{+", "+}"), "delete": ("[-", "-]")}


def _plain(text: str) -> str:
    """Text made safe for a terminal: control characters shown, not obeyed."""
    return _CONTROL.sub("\ufffd", text)


def _paint(text: str, style: str, color: bool) -> str:
    """``text`` in an ANSI style when ``color``."""
    code = _ANSI.get(style, "")
    return f"{code}{text}{_RESET}" if color and code and text else text


def _text_spans(spans: tuple[Span, ...], color: bool) -> str:
    """Spans as text: ``[-…-]{+…+}`` markers, or ANSI red strike / green underline."""
    out = []
    for span in spans:
        text = _plain(span.text)
        if color:
            out.append(_paint(text, span.op, color))
        elif span.op in _MARKERS:
            start, end = _MARKERS[span.op]
            out.append(f"{start}{text}{end}")
        else:
            out.append(text)
    return "".join(out)


def _text_paragraph(para: Paragraph, color: bool) -> str:
    """One displayed paragraph as a line of text."""
    if para.kind == "gap":
        return _paint(f"  … {para.note}", "dim", color)
    text = _text_spans(para.spans, color)
    if para.kind == "changed":
        return f"{text} {_paint(f'({para.note})', 'dim', color)}" if para.note else text
    arrow = "⇢" if para.kind == "moved-out" else "⇠"
    note = _paint(f"{arrow} {para.note}:", para.spans[0].op if para.spans else "dim", color)
    return f"{note} {text}"


def render_text(changes: ChangeSet, meta: ReportMeta, color: bool = False) -> str:
    """Plain text (``[-deleted-]{+inserted+}``) or, with ``color``, ANSI-coloured text."""
    view = build_view(changes, meta)
    lines = [_paint(_plain(f"{meta.source_name}: {view.headline}"), "bold", color)]
    if meta.url:
        lines.append(_plain(meta.url))
    lines.append(_plain(versions_line(meta)))
    lines += [_plain(f) for f in view.facts]
    for section in view.sections:
        level = section.change.classification
        heading = _paint(f"## {_plain(section.label)}", "bold", color)
        lines += ["", f"{heading} {_paint(f'({section.details})', level, color)}"]
        lines += [_text_paragraph(p, color) for p in section.paragraphs]
    tail = []
    if view.renumbered:
        tail.append("Renumbered: " + "; ".join(_plain(r) for r in view.renumbered))
    if view.unchanged:
        tail.append(f"Unchanged: {view.unchanged} section{'s' if view.unchanged > 1 else ''}.")
    if tail:
        lines += ["", *tail]
    if view.report_link:
        lines += ["", f"Full report: {view.report_link}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#{}])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+>=])|(\d+)([.)]))", re.M)


def md_escape(text: str) -> str:
    """Policy text as literal Markdown: markup characters escaped, HTML inert."""
    text = _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    """``- x`` → ``\\- x`` and ``1. x`` → ``1\\. x``: not list items."""
    if match.group(2):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"


def _md_spans(spans: tuple[Span, ...]) -> str:
    """Spans as Markdown; edits as ``<ins>``/``<del>`` (emphasis markers fail next to
    punctuation, inline HTML does not)."""
    out = []
    for span in spans:
        if span.op in ("insert", "delete"):
            tag = "ins" if span.op == "insert" else "del"
            out.append(f"<{tag}>{md_escape(span.text)}</{tag}>")
        elif span.op == "elided":
            out.append(" … ")
        else:
            out.append(md_escape(span.text))
    return "".join(out)


def _md_paragraph(para: Paragraph) -> str:
    """One displayed paragraph as Markdown (moves as quotes)."""
    if para.kind == "gap":
        return f"*… {para.note}*"
    text = _md_spans(para.unmarked())
    if para.strong:
        text = f"<strong>{text}</strong>"
    if para.kind == "changed":
        return f"{text} *({para.note})*" if para.note else text
    arrow = "⇢" if para.kind == "moved-out" else "⇠"
    return f"> {arrow} *{md_escape(para.note)}:* {text}"


def render_markdown(changes: ChangeSet, meta: ReportMeta) -> str:
    """Markdown: deletions as ``<del>``, insertions as ``<ins>`` (struck through, underlined)."""
    view = build_view(changes, meta)
    name = md_escape(meta.source_name)
    lines = [f"# {name}: {md_escape(view.headline)}", ""]
    source = f"[{name}](<{view.source_link}>)" if view.source_link else name
    lines += [f"{source} · {md_escape(versions_line(meta))}", ""]
    lines += [f"- {md_escape(f)}" for f in view.facts]
    if view.sections:
        lines += ["", "Deletions are <del>struck through</del>, insertions <ins>underlined</ins>."]
    for section in view.sections:
        lines += ["", f"## {md_escape(section.label)}", "", f"*{md_escape(section.details)}*"]
        for para in section.paragraphs:
            lines += ["", _md_paragraph(para)]
    if view.renumbered:
        lines += ["", "**Renumbered:** " + "; ".join(md_escape(r) for r in view.renumbered)]
    if view.unchanged:
        s = "s" if view.unchanged > 1 else ""
        lines += ["", f"**Unchanged:** {view.unchanged} section{s}."]
    if view.report_link:
        lines += ["", f"[Full report](<{view.report_link}>)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML

_ENV: Environment | None = None


def environment() -> Environment:
    """The jinja2 environment for watcher's templates (autoescaped)."""
    global _ENV
    if _ENV is None:
        _ENV = Environment(
            loader=PackageLoader("watcher", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return _ENV


def render_html_fragment(changes: ChangeSet, meta: ReportMeta) -> str:
    """The report's body part (inline styles only), for an email or a digest."""
    template = environment().get_template("change_fragment.html")
    return template.render(view=build_view(changes, meta), versions=versions_line(meta))


def render_html(changes: ChangeSet, meta: ReportMeta) -> str:
    """A complete, self-contained HTML page (no external assets, inline styles)."""
    view = build_view(changes, meta)
    template = environment().get_template("report.html")
    return template.render(view=view, versions=versions_line(meta))


# ---------------------------------------------------------------- JSON


def report_json(changes: ChangeSet, meta: ReportMeta) -> dict[str, Any]:
    """The JSON report as data (see :data:`SCHEMA`)."""
    data = changes.to_json()
    source = {
        "id": meta.source_id,
        "name": meta.source_name,
        "url": meta.url,
        "old_label": meta.old_label,
        "new_label": meta.new_label,
        "old_captured_at": meta.old_captured_at,
        "new_captured_at": meta.new_captured_at,
        "report_url": meta.report_url,
    }
    return {"schema": data.pop("schema"), "source": source, **data}


def render_json(changes: ChangeSet, meta: ReportMeta) -> str:
    """The JSON report (see :data:`SCHEMA`), indented, UTF-8 text."""
    return json.dumps(report_json(changes, meta), ensure_ascii=False, indent=2) + "\n"


def render(changes: ChangeSet, fmt: Format, meta: ReportMeta, color: bool = False) -> str:
    """The change report in ``fmt``; ``color`` applies to the text format only."""
    if fmt == "text":
        return render_text(changes, meta, color)
    if fmt == "markdown":
        return render_markdown(changes, meta)
    if fmt == "html":
        return render_html(changes, meta)
    if fmt == "json":
        return render_json(changes, meta)
    raise ValueError(f"unknown report format: {fmt!r} (one of {', '.join(FORMATS)})")
