"""Section-aware diff of two versions of a policy: what changed, where, and does it matter.

:func:`diff` aligns the sections of two outlines (renumbered, reordered,
retitled, split and merged sections are matched; see
:mod:`watcher.diffing.align`), finds paragraphs that moved between sections
(:mod:`watcher.diffing.moves`), diffs each matched section word by word
(:mod:`watcher.diffing.words`) and classifies every section and the change
as a whole (:mod:`watcher.diffing.classify`). The result, a
:class:`ChangeSet`, carries everything every report needs.

A section's text is ``"\\n\\n".join(section.body)``; its hunks rebuild the
old text (``equal`` + ``delete`` + ``move-out``) and the new text
(``equal`` + ``insert`` + ``move-in``) exactly. Headings are compared
separately: a new number alone is not a change of content.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .canonical import block_of_line
from .config import DEFAULT_KEYWORDS
from .diffing import classify
from .diffing.align import Pair, align
from .diffing.classify import Classification, EditStats, edit_stats, worst
from .diffing.moves import Move, find_moves
from .diffing.words import SEP, Hunk, Op, diff_words, new_text, old_text, section_hunks
from .model import Outline, Section, count_words
from .normalise import parse_markdown
from .sections import outline as make_outline

log = logging.getLogger(__name__)

__all__ = [
    "SCHEMA_VERSION",
    "SEP",
    "ChangeSet",
    "Classification",
    "Hunk",
    "MovedParagraph",
    "Op",
    "SectionChange",
    "Status",
    "diff",
    "diff_texts",
    "new_text",
    "old_text",
    "stated_date",
]

SCHEMA_VERSION = 1
Status = Literal["unchanged", "modified", "renamed", "moved", "added", "removed"]
STATUSES: tuple[Status, ...] = ("modified", "renamed", "moved", "added", "removed", "unchanged")


@dataclass(frozen=True, slots=True)
class MovedParagraph:
    """A paragraph that left one section and appears in another (or elsewhere in the same one).

    ``from_section`` and ``to_section`` are positions in :attr:`ChangeSet.sections`;
    ``hunks`` is the word diff from ``old_text`` to ``new_text`` (one ``equal``
    hunk when the paragraph moved unchanged).
    """

    old_text: str
    new_text: str
    from_section: int
    to_section: int
    similarity: float
    hunks: tuple[Hunk, ...]
    inserted: int = 0
    deleted: int = 0

    @property
    def exact(self) -> bool:
        """Whether the paragraph moved without edits."""
        return self.old_text == self.new_text


@dataclass(frozen=True, slots=True)
class SectionChange:
    """What became of one section.

    ``status`` is ``added`` or ``removed`` for unmatched sections; for matched
    ones ``renamed`` (title changed) wins over ``moved`` (position changed
    relative to the other sections), which wins over ``modified`` (body
    changed); ``unchanged`` sections may still be renumbered. ``moved`` is
    also set on renamed sections that moved. ``moves`` maps the index of each
    ``move-out``/``move-in`` hunk to an index in
    :attr:`ChangeSet.moved_paragraphs`. ``date_only`` marks a section whose
    only edit is the stated date.
    """

    status: Status
    old: Section | None
    new: Section | None
    old_index: int | None
    new_index: int | None
    classification: Classification
    inserted: int
    deleted: int
    flags: tuple[str, ...]
    hunks: tuple[Hunk, ...]
    moved: bool = False
    moves: tuple[tuple[int, int], ...] = ()
    date_only: bool = False

    @property
    def old_title(self) -> str | None:
        """The old title (numbering stripped), None for an added section."""
        return self.old.title if self.old else None

    @property
    def new_title(self) -> str | None:
        """The new title (numbering stripped), None for a removed section."""
        return self.new.title if self.new else None

    @property
    def old_number(self) -> str | None:
        """The old numbering (``""`` when unnumbered), None for an added section."""
        return self.old.number if self.old else None

    @property
    def new_number(self) -> str | None:
        """The new numbering (``""`` when unnumbered), None for a removed section."""
        return self.new.number if self.new else None

    @property
    def section(self) -> Section:
        """The new version of the section, or the old one when it was removed."""
        return self.new or self.old  # type: ignore[return-value]

    @property
    def renumbered(self) -> bool:
        """Whether a matched section's numbering changed."""
        return bool(self.old and self.new and self.old.number != self.new.number)

    @property
    def retitled(self) -> bool:
        """Whether a matched section's title changed."""
        return bool(self.old and self.new and self.old.title != self.new.title)

    @property
    def body_changed(self) -> bool:
        """Whether the section's body differs between the versions."""
        return any(h.op != "equal" for h in self.hunks)

    @property
    def old_text(self) -> str:
        """The old body text, rebuilt from the hunks."""
        return old_text(self.hunks)

    @property
    def new_text(self) -> str:
        """The new body text, rebuilt from the hunks."""
        return new_text(self.hunks)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Everything about the change from one version of a document to the next.

    ``sections`` are in the new version's document order, removed sections
    placed where they were. ``inserted``/``deleted`` count words;
    ``flags`` are the privacy terms found in inserted or deleted text.
    """

    changed: bool
    classification: Classification
    sections: tuple[SectionChange, ...]
    inserted: int
    deleted: int
    flags: tuple[str, ...]
    old_date: str | None
    new_date: str | None
    moved_paragraphs: tuple[MovedParagraph, ...] = ()
    old_title: str = ""
    new_title: str = ""
    same_date: bool = False
    same_words: bool = False
    """The same words in the same order: only the page's layout changed (a label made a
    heading, paragraphs made a list), which is cosmetic however the sections moved."""

    @property
    def date_changed(self) -> bool:
        """Whether the stated "last updated"/"effective" date changed (not just its format)."""
        return self.old_date != self.new_date and not self.same_date

    @property
    def date_reformatted(self) -> bool:
        """Whether the stated date is written differently but names the same day."""
        return self.old_date != self.new_date and self.same_date

    @property
    def renumbered(self) -> int:
        """How many matched sections were renumbered."""
        return sum(1 for s in self.sections if s.renumbered)

    def counts(self) -> dict[str, int]:
        """How many sections have each status."""
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for section in self.sections:
            counts[section.status] += 1
        return counts

    def changed_sections(self) -> tuple[SectionChange, ...]:
        """The sections whose status is not ``unchanged``."""
        return tuple(s for s in self.sections if s.status != "unchanged")

    def date_line(self) -> str | None:
        """``stated date changed from X to Y`` (or added, removed, reformatted), if it did."""
        if self.date_reformatted:
            return f"stated date reformatted from {self.old_date} to {self.new_date} (same date)"
        if not self.date_changed:
            return None
        if self.old_date and self.new_date:
            return f"stated date changed from {self.old_date} to {self.new_date}"
        if self.new_date:
            return f"stated date added: {self.new_date}"
        return f"stated date removed (was {self.old_date})"

    def headline(self) -> str:
        """One line for an email subject: ``3 sections changed (substantive)``."""
        if not self.changed:
            return "no change"
        changed = self.changed_sections()
        if changed and all(s.date_only for s in changed):
            if self.date_reformatted:
                return f"stated date reformatted ({self.classification})"
            if self.date_line():
                return f"{self.date_line()} ({self.classification})"
        if not changed:
            what = f"{_plural(self.renumbered, 'section')} renumbered"
            return f"{what} ({self.classification})" if self.renumbered else "headings reformatted"
        if self.same_words:
            return f"layout only, the same words in the same order ({self.classification})"
        return f"{_plural(len(changed), 'section')} changed ({self.classification})"

    def summary(self) -> dict[str, Any]:
        """The change in numbers (the ``summary`` object of the JSON schema)."""
        return {
            "headline": self.headline(),
            "classification": self.classification,
            "sections": self.counts(),
            "renumbered": self.renumbered,
            "inserted": self.inserted,
            "deleted": self.deleted,
            "flags": list(self.flags),
            "moved_paragraphs": len(self.moved_paragraphs),
            "stated_date": {
                "old": self.old_date,
                "new": self.new_date,
                "changed": self.date_changed,
                "reformatted": self.date_reformatted,
            },
            "title": {"old": self.old_title, "new": self.new_title},
        }

    def to_json(self) -> dict[str, Any]:
        """The change as JSON-ready data, schema 1 (documented in :data:`watcher.report.SCHEMA`)."""
        return {
            "schema": SCHEMA_VERSION,
            "changed": self.changed,
            "summary": self.summary(),
            "sections": [_section_json(s) for s in self.sections],
            "moved_paragraphs": [
                {
                    "from_section": m.from_section,
                    "to_section": m.to_section,
                    "similarity": m.similarity,
                    "old_text": m.old_text,
                    "new_text": m.new_text,
                    "inserted": m.inserted,
                    "deleted": m.deleted,
                    "hunks": [{"op": h.op, "text": h.text} for h in m.hunks],
                }
                for m in self.moved_paragraphs
            ],
        }


def _plural(n: int, word: str) -> str:
    """``1 section``, ``2 sections``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _section_json(change: SectionChange) -> dict[str, Any]:
    """One entry of the JSON ``sections`` list (hunks only when the body changed)."""
    refs = dict(change.moves)
    hunks: list[dict[str, Any]] = []
    if change.body_changed:
        for k, hunk in enumerate(change.hunks):
            item: dict[str, Any] = {"op": hunk.op, "text": hunk.text}
            if k in refs:
                item["moved"] = refs[k]
            hunks.append(item)
    return {
        "status": change.status,
        "old_title": change.old_title,
        "new_title": change.new_title,
        "old_number": change.old_number,
        "new_number": change.new_number,
        "old_index": change.old_index,
        "new_index": change.new_index,
        "level": change.section.level,
        "classification": change.classification,
        "inserted": change.inserted,
        "deleted": change.deleted,
        "flags": list(change.flags),
        "moved": change.moved,
        "renumbered": change.renumbered,
        "date_only": change.date_only,
        "hunks": hunks,
    }


# ---------------------------------------------------------------- the diff


def stated_date(outline: Outline) -> str | None:
    """The "last updated"/"effective" date ``outline`` states, as written (None when absent)."""
    return classify.stated_date(outline)


def diff_texts(
    old_text: str, new_text: str, keywords: tuple[str, ...] = DEFAULT_KEYWORDS
) -> ChangeSet:
    """:func:`diff` of two canonical texts (watcher's Markdown-like form, or any Markdown)."""
    return diff(
        make_outline(parse_markdown(old_text)), make_outline(parse_markdown(new_text)), keywords
    )


def diff(old: Outline, new: Outline, keywords: tuple[str, ...] = DEFAULT_KEYWORDS) -> ChangeSet:
    """The change from ``old`` to ``new``, section by section."""
    patterns = classify.compile_keywords(tuple(keywords))
    pairs = _document_order(align(old.sections, new.sections))
    moves = find_moves(old.sections, new.sections, pairs)
    old_date, new_date = stated_date(old), stated_date(new)
    dates = _changed_dates(old, new, old_date, new_date)
    position_old = {p.old: k for k, p in enumerate(pairs) if p.old is not None}
    position_new = {p.new: k for k, p in enumerate(pairs) if p.new is not None}
    moved = [_moved_paragraph(m, old, new, position_old, position_new) for m in moves]
    out_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    into: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for k, m in enumerate(moves):
        out_of[m.old_section].append((m.old_para, k))
        into[m.new_section].append((m.new_para, k))
    context = _Context(old, new, patterns, dates, moved, out_of, into, {})
    sections = tuple(_section_change(p, context) for p in pairs)
    order = {label: index for index, label in context.labels.items()}
    return _change_set(old, new, sections, tuple(moved), (old_date, new_date), order)


def _changed_dates(
    old: Outline, new: Outline, old_date: str | None, new_date: str | None
) -> tuple[str, ...]:
    """The dates a re-dated document changed, which alone make a change cosmetic: its
    stated date, and those of the other dated lines at its head that changed with it
    ("Effective date: …" under "Last updated: …"). None when the stated date stayed."""
    if old_date == new_date:
        return ()
    old_lines, new_lines = set(classify.date_lines(old)), set(classify.date_lines(new))
    changed = sorted(old_lines ^ new_lines)
    return tuple(dict.fromkeys(d for d in (old_date, new_date, *changed) if d))


@dataclass(frozen=True, slots=True)
class _Context:
    """What every section's change is computed from; ``labels`` fills up as flags are found."""

    old: Outline
    new: Outline
    patterns: tuple[Any, ...]
    dates: tuple[str, ...]
    moved: Sequence[MovedParagraph]
    out_of: dict[int, list[tuple[int, int]]]
    into: dict[int, list[tuple[int, int]]]
    labels: dict[int, str]


def _document_order(pairs: Sequence[Pair]) -> list[Pair]:
    """Pairs in the new version's order; a removed section follows the old section before it."""
    new_of = {p.old: p.new for p in pairs if p.old is not None}

    def anchor(old_index: int) -> int:
        """The new position of the nearest matched section before ``old_index``."""
        for i in range(old_index - 1, -1, -1):
            target = new_of.get(i)
            if target is not None:
                return target
        return -1

    def key(pair: Pair) -> tuple[int, int, int]:
        """Sort key: new position; removed sections after their anchor, in old order."""
        if pair.new is not None:
            return (pair.new, 0, 0)
        assert pair.old is not None
        return (anchor(pair.old), 1, pair.old)

    return sorted(pairs, key=key)


def _moved_paragraph(
    move: Move,
    old: Outline,
    new: Outline,
    position_old: dict[int, int],
    position_new: dict[int, int],
) -> MovedParagraph:
    """A move with its texts, the positions of its sections and its word diff."""
    before = old.sections[move.old_section].body[move.old_para]
    after = new.sections[move.new_section].body[move.new_para]
    hunks = tuple(diff_words(before, after))
    inserted, deleted = classify.word_changes(hunks)
    return MovedParagraph(
        before,
        after,
        position_old[move.old_section],
        position_new[move.new_section],
        move.similarity,
        hunks,
        inserted,
        deleted,
    )


def _section_change(pair: Pair, ctx: _Context) -> SectionChange:
    """What became of the section(s) of one pair."""
    old = ctx.old.sections[pair.old] if pair.old is not None else None
    new = ctx.new.sections[pair.new] if pair.new is not None else None
    if old is not None and old == new and not pair.moved and _still(pair, ctx):
        same: tuple[Hunk, ...] = (Hunk("equal", old.text),) if old.body else ()
        return SectionChange("unchanged", old, new, pair.old, pair.new, "none", 0, 0, (), same)
    outs = sorted(ctx.out_of.get(pair.old, [])) if pair.old is not None else []
    ins = sorted(ctx.into.get(pair.new, [])) if pair.new is not None else []
    old_body = old.body if old else ()
    new_body = new.body if new else ()
    moved_out = frozenset(p for p, _ in outs)
    moved_in = frozenset(p for p, _ in ins)
    hunks = tuple(section_hunks(old_body, new_body, moved_out, moved_in))
    stats, date_only = _body_stats(hunks, old_body, new_body, moved_out, moved_in, ctx)
    extra = [ctx.moved[k] for _, k in ins if not ctx.moved[k].exact]
    near = [edit_stats(m.hunks, ctx.patterns) for m in extra]
    status, heading_level, heading_hits = _heading_part(pair, old, new, hunks, ctx)
    levels = [stats.classification, heading_level, *(s.classification for s in near)]
    hits = [*stats.flags, *heading_hits, *(hit for s in near for hit in s.flags)]
    return SectionChange(
        status=status,
        old=old,
        new=new,
        old_index=pair.old,
        new_index=pair.new,
        classification=worst(levels),
        inserted=stats.inserted + sum(m.inserted for m in extra),
        deleted=stats.deleted + sum(m.deleted for m in extra),
        flags=_labels(hits, ctx),
        hunks=hunks,
        moved=pair.moved,
        moves=_move_refs(hunks, [k for _, k in outs], [k for _, k in ins]),
        date_only=date_only,
    )


def _heading_part(
    pair: Pair,
    old: Section | None,
    new: Section | None,
    hunks: Sequence[Hunk],
    ctx: _Context,
) -> tuple[Status, Classification, tuple[classify.Hit, ...]]:
    """The status of a pair, and what its headings and its place add to its classification
    and flags.

    An added or removed section with words of its own is substantive (one
    made only of moved paragraphs is editorial); a retitle is editorial
    (cosmetic when only case or punctuation changed), a new number or heading
    level cosmetic, a move editorial.
    """
    if old is None or new is None:
        edited = any(h.op in ("insert", "delete") and count_words(h.text) for h in hunks)
        status: Status = "added" if old is None else "removed"
        return status, "substantive" if edited else "editorial", _heading_hits(old or new, ctx)
    levels = [classify.title_level(old.title, new.title)]
    if old.heading != new.heading or old.level != new.level:
        levels.append("cosmetic")
    if pair.moved:
        levels.append("editorial")
    hits: tuple[classify.Hit, ...] = ()
    if old.title != new.title:
        hits = classify.keyword_flags(diff_words(old.title, new.title), ctx.patterns)
    return _status(pair, old, new), worst(levels), hits


def _still(pair: Pair, ctx: _Context) -> bool:
    """Whether no paragraph moved out of or into the pair's sections."""
    return pair.old not in ctx.out_of and pair.new not in ctx.into


def _status(pair: Pair, old: Section, new: Section) -> Status:
    """Renamed wins over moved, which wins over modified."""
    if old.title != new.title:
        return "renamed"
    if pair.moved:
        return "moved"
    if old.body != new.body:
        return "modified"
    return "unchanged"


def _body_stats(
    hunks: Sequence[Hunk],
    old_body: Sequence[str],
    new_body: Sequence[str],
    moved_out: frozenset[int],
    moved_in: frozenset[int],
    ctx: _Context,
) -> tuple[EditStats, bool]:
    """Stats of a body diff; a change of the stated date alone is cosmetic (``date_only``)."""
    stats = edit_stats(hunks, ctx.patterns)
    if not ctx.dates or stats.classification == "none":
        return stats, False
    masked_old = classify.mask_dates(old_body, ctx.dates)
    masked_new = classify.mask_dates(new_body, ctx.dates)
    if masked_old == tuple(old_body) and masked_new == tuple(new_body):
        return stats, False
    masked = edit_stats(section_hunks(masked_old, masked_new, moved_out, moved_in), ctx.patterns)
    if masked.classification == "none":
        return EditStats("cosmetic", stats.inserted, stats.deleted, ()), True
    return EditStats(masked.classification, stats.inserted, stats.deleted, masked.flags), False


def _move_refs(
    hunks: Sequence[Hunk], outs: Sequence[int], ins: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """(hunk index, moved-paragraph index) for each move hunk, in paragraph order."""
    refs = []
    out_iter, in_iter = iter(outs), iter(ins)
    for k, hunk in enumerate(hunks):
        if hunk.op == "move-out":
            refs.append((k, next(out_iter)))
        elif hunk.op == "move-in":
            refs.append((k, next(in_iter)))
    return tuple(refs)


def _heading_hits(section: Section | None, ctx: _Context) -> tuple[classify.Hit, ...]:
    """Keywords in the heading of an added or removed section."""
    if section is None or not section.heading:
        return ()
    return classify.keyword_flags([Hunk("insert", section.heading)], ctx.patterns)


def _labels(hits: Sequence[classify.Hit], ctx: _Context) -> tuple[str, ...]:
    """One label per keyword pattern, in pattern order; a pattern keeps the label it was
    first found with anywhere in the diff, so that every section calls it the same."""
    first: dict[int, str] = {}
    for index, label in hits:
        first.setdefault(index, label)
    return tuple(ctx.labels.setdefault(index, first[index]) for index in sorted(first))


def _union(groups: Sequence[tuple[str, ...]], order: dict[str, int]) -> tuple[str, ...]:
    """All flags of ``groups``, once each, in keyword order."""
    seen = {flag for group in groups for flag in group}
    return tuple(sorted(seen, key=lambda flag: order.get(flag, len(order))))


def _change_set(
    old: Outline,
    new: Outline,
    sections: tuple[SectionChange, ...],
    moved: tuple[MovedParagraph, ...],
    dates: tuple[str | None, str | None],
    order: dict[str, int],
) -> ChangeSet:
    """The change set of the section changes, with totals."""
    changed = any(s.status != "unchanged" or s.classification != "none" for s in sections)
    same_words = changed and _words(old) == _words(new)
    return ChangeSet(
        changed=changed,
        classification="cosmetic" if same_words else worst(s.classification for s in sections),
        sections=sections,
        inserted=0 if same_words else sum(s.inserted for s in sections),
        deleted=0 if same_words else sum(s.deleted for s in sections),
        flags=() if same_words else _union([s.flags for s in sections], order),
        old_date=dates[0],
        new_date=dates[1],
        moved_paragraphs=moved,
        old_title=old.title,
        new_title=new.title,
        same_date=classify.same_date(*dates),
        same_words=same_words,
    )


def _words(outline: Outline) -> list[str]:
    """The words of a document in order, whatever blocks hold them."""
    words: list[str] = []
    for section in outline.sections:
        words += section.heading.split()
        for line in section.body:
            words += block_of_line(line).text.split()
    return words
