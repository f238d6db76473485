"""How much a change matters: classification, word counts, privacy-term flags, stated dates.

* ``cosmetic``: the words are the same once case, punctuation, whitespace and
  typography are set aside (a renumbered heading or clause is cosmetic too);
* ``editorial``: a few words (at most :data:`EDITORIAL_WORDS` inserted plus
  deleted) that are unlikely to change the meaning, paragraphs moved
  without edits, a section retitled or moved;
* ``substantive``: everything else — in particular any edit that inserts or
  deletes a flagged privacy term, a negation, a modal verb, a quantifier or
  a number, that adds or removes a whole paragraph, or that adds or removes
  a section with a body.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..dates import DATE_PATTERN, MONTH_NUMBERS, date_line, labelled_date
from ..model import CJK, Outline, count_words, has_ideographs
from .words import SEP, Hunk

log = logging.getLogger(__name__)

Classification = Literal["none", "cosmetic", "editorial", "substantive"]
RANK: dict[str, int] = {"none": 0, "cosmetic": 1, "editorial": 2, "substantive": 3}
EDITORIAL_WORDS = 10
"""More words inserted plus deleted than this in one section is substantive."""
DATE_BLOCKS = 20
"""The stated date is looked for in this many first blocks of a document..."""
DATE_TAIL = 5
"""...then in this many last blocks, when they are short, labelled date lines."""

KEYWORD_REACH = 40
"""Keyword matches are looked for this many characters around each edit."""

SIGNIFICANT = frozenset(
    # English
    "not no nor never without except unless only solely may might will shall must can cannot "
    "could would should all any none every always required require requires prohibited "
    "mandatory optional one two three four five six seven eight nine ten eleven twelve "
    "twenty thirty sixty ninety hundred thousand once twice day days week weeks month months "
    "year years "
    # French, German, Spanish, Italian, Portuguese and Dutch: their negations, modal verbs,
    # quantifiers and periods ("ne … pas", "nicht", "kann", "jamais", "días"), none of
    # them an English word of its own ("an", "tag" and "werden" left out)
    "ne pas jamais sans sauf seulement uniquement peut peuvent pourra pourront doit doivent "
    "devra devront tous toutes aucun aucune chaque toujours obligatoire facultatif jour "
    "jours semaine semaines mois ans année années "
    "nicht kein keine keinen keiner nie niemals ohne außer nur kann können darf dürfen muss "
    "müssen soll sollen alle jede jeder jedes immer pflicht tage tagen woche wochen monat "
    "monate monaten jahr jahre jahren "
    "nunca sin salvo excepto solo sólo únicamente puede pueden podrá podrán debe deben "
    "deberá deberán todos todas ningún ninguna ninguno cada siempre obligatorio día días "
    "semana semanas mes meses año años "
    "non mai senza tranne soltanto può possono potrà potranno deve devono dovrà dovranno "
    "tutti tutte nessun nessuno nessuna ogni sempre obbligatorio giorno giorni settimana "
    "settimane mese mesi anno anni "
    "não sem exceto apenas somente pode podem poderá poderão devem deverá deverão nenhum "
    "nenhuma obrigatório dia dias mês ano anos "
    "niet geen nooit zonder behalve alleen kan kunnen mag mogen moet moeten zal zullen elke "
    "altijd verplicht dag dagen weken maand maanden jaar jaren".split()
)
"""Words whose insertion or deletion likely changes what a sentence means: negations,
modal verbs, quantifiers, numbers and periods of time (digits count too)."""
# The same in Chinese, Japanese and Korean, found inside the runs of characters that
# these scripts write without spaces: "不" (not), "必须" (must), "仅" (only), "ない" and
# "ません" (not: a diff by character sees "す" become "せん"), "のみ" (only), "않" and
# "없" (not), "반드시" (always).
_SIGNIFICANT_MARKS = re.compile(
    "不|没有|無|无|未|非|禁止|仅|僅|只|可能|可以|必须|必須|应当|應當|应该|須|须|将|將|所有|任何|每"
    "|ない|ません|せん|のみ|必ず|できる|できま|않|없|못|금지|반드시|수\\s?있"
)

_WORDS = re.compile(r"\w+")
# A clause's label at the start of a paragraph or line, after a list item's dash if
# any: "A.1.", "I.2.a.", "3.", "b)", "(iv)". Always closed by a dot or a bracket, and
# a label of several parts holds a digit, so that "2.5 million" and "U.S." are words.
_PART = r"(?:\d{1,3}|[A-Za-z]|[ivxlc]{2,5}|[IVXLC]{2,5})"
_LABEL = re.compile(
    rf"(?m)^[ \t]*(?:[-*•][ \t]+)?(?:\((?:\d{{1,3}}|[A-Za-z]|[ivx]{{2,5}})\)|{_PART}[.)]"
    rf"|(?=\S*\d)(?:{_PART}\.)+{_PART}[.)])(?=\s)"
)
_COUNTED = re.compile(r"\w+(?:[-'.]\w+)*")
_COUNTED_CJK = re.compile(rf"[{CJK}]|[^\W{CJK}]+(?:[-'.][^\W{CJK}]+)*")
_BARE = re.compile(rf"\s*(?P<date>{DATE_PATTERN})\s*\.?\s*", re.I)
# A date written year first: ISO, Chinese and Japanese ("2025年3月1日"), Korean.
_NUMERIC = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})(?:-|年|년\s?|\.\s?)(\d{1,2})(?:-|月|월\s?|\.\s?)(\d{1,2})日?일?")


Hit = tuple[int, str]
"""A keyword found in an edit: the index of its pattern and the text matched (lower case)."""


@dataclass(frozen=True, slots=True)
class EditStats:
    """What the edits of one diff amount to."""

    classification: Classification
    inserted: int
    deleted: int
    flags: tuple[Hit, ...]


def worst(levels: Iterable[Classification]) -> Classification:
    """The most serious of ``levels`` (``none`` when there are none)."""
    best: Classification = "none"
    for level in levels:
        if RANK[level] > RANK[best]:
            best = level
    return best


@functools.lru_cache(maxsize=32)
def compile_keywords(keywords: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The keyword regexes, compiled case-insensitively."""
    return tuple(re.compile(k, re.I) for k in keywords)


def fold(text: str, labels: bool = True) -> str:
    """``text`` with only what a cosmetic change cannot alter: its letters and digits;
    without ``labels``, not the labels that number its clauses either (renumbering a
    clause, or numbering it with a list's own counter instead of typed labels, does not
    change what it says)."""
    if not labels:
        text = _LABEL.sub("", text)
    return "".join(_WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))


def same_words(old: str, new: str) -> bool:
    """Whether ``old`` and ``new`` differ only cosmetically: in case, punctuation,
    whitespace, typography or their clauses' labels. Both ways are tried: a label that
    a split paragraph now opens ("… the Customer: (i) notifies" → "(i) notifies") is
    a word of the sentence before it."""
    return fold(old) == fold(new) or fold(old, labels=False) == fold(new, labels=False)


def edit_stats(hunks: Sequence[Hunk], patterns: Sequence[re.Pattern[str]]) -> EditStats:
    """Classification, counts and flags of one diff's insertions and deletions.

    Moved pieces count as neither inserted nor deleted; a diff whose only
    changes are moves is editorial.
    """
    edits = [h for h in hunks if h.op in ("insert", "delete")]
    moves = any(h.op in ("move-in", "move-out") for h in hunks)
    if not edits:
        return EditStats("editorial" if moves else "none", 0, 0, ())
    inserted, deleted = word_changes(hunks)
    flags = keyword_flags(hunks, patterns)
    old = "".join(h.text for h in hunks if h.op in ("equal", "delete"))
    new = "".join(h.text for h in hunks if h.op in ("equal", "insert"))
    level: Classification
    if same_words(old, new):
        level = "editorial" if moves else "cosmetic"
    elif (
        flags
        or inserted + deleted > EDITORIAL_WORDS
        or any(_significant(h.text) or (SEP in h.text and count_words(h.text)) for h in edits)
    ):
        level = "substantive"
    else:
        level = "editorial"
    return EditStats(level, inserted, deleted, flags)


def word_changes(hunks: Sequence[Hunk]) -> tuple[int, int]:
    """Words inserted and deleted.

    Within each replacement (the edits between two unchanged stretches) a
    word found on both sides, ignoring case and typography, is neither: a
    change of quotes around a name does not count the name.
    """
    inserted = deleted = 0
    for is_edit, group in itertools.groupby(hunks, key=lambda h: h.op in ("insert", "delete")):
        if not is_edit:
            continue
        added: Counter[str] = Counter()
        removed: Counter[str] = Counter()
        for op, text in group:
            (added if op == "insert" else removed).update(_folded_words(text))
        inserted += (added - removed).total()
        deleted += (removed - added).total()
    return inserted, deleted


def _folded_words(text: str) -> list[str]:
    """The words of ``text`` as counted: case-folded, typographic apostrophes plain."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return (_COUNTED_CJK if has_ideographs(text) else _COUNTED).findall(text)


def _significant(text: str) -> bool:
    """Whether ``text`` holds a number (digits, or numerals such as "五" or "½") or a word
    of :data:`SIGNIFICANT`."""
    if any(c.isnumeric() for c in text):
        return True
    if any(w.casefold() in SIGNIFICANT for w in _WORDS.findall(text)):
        return True
    return not text.isascii() and _SIGNIFICANT_MARKS.search(text) is not None


def keyword_flags(hunks: Sequence[Hunk], patterns: Sequence[re.Pattern[str]]) -> tuple[Hit, ...]:
    """Keywords found in inserted or deleted text, one per pattern, in pattern order.

    A keyword counts when a match in the old text overlaps a deletion or a
    match in the new text overlaps an insertion, so that "third parties"
    is found when only "third" was inserted.
    """
    old_spans, new_spans = _edit_spans(hunks)
    if not old_spans and not new_spans:
        return ()
    old = "".join(h.text for h in hunks if h.op in ("equal", "delete", "move-out"))
    new = "".join(h.text for h in hunks if h.op in ("equal", "insert", "move-in"))
    old_windows, new_windows = _windows(old, old_spans), _windows(new, new_spans)
    hits: list[Hit] = []
    for index, pattern in enumerate(patterns):
        label = _first_overlap(pattern, new, new_windows) or _first_overlap(
            pattern, old, old_windows
        )
        if label:
            hits.append((index, label))
    return tuple(hits)


Window = tuple[int, int, list[tuple[int, int]]]


def _windows(text: str, spans: Sequence[tuple[int, int]]) -> list[Window]:
    """Stretches of ``text`` around the edit ``spans`` (merged when they overlap)."""
    windows: list[Window] = []
    for a, b in spans:
        lo, hi = max(0, a - KEYWORD_REACH), min(len(text), b + KEYWORD_REACH)
        if windows and lo <= windows[-1][1]:
            windows[-1][2].append((a, b))
            windows[-1] = (windows[-1][0], hi, windows[-1][2])
        else:
            windows.append((lo, hi, [(a, b)]))
    return windows


def _edit_spans(hunks: Sequence[Hunk]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where the deletions are in the old text and the insertions in the new one."""
    old_pos = new_pos = 0
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    for op, text in hunks:
        if op == "delete":
            old_spans.append((old_pos, old_pos + len(text)))
        elif op == "insert":
            new_spans.append((new_pos, new_pos + len(text)))
        if op in ("equal", "delete", "move-out"):
            old_pos += len(text)
        if op in ("equal", "insert", "move-in"):
            new_pos += len(text)
    return old_spans, new_spans


def _first_overlap(pattern: re.Pattern[str], text: str, windows: Sequence[Window]) -> str | None:
    """The first match of ``pattern`` that overlaps an edit, looked for near the edits
    (or in one pass over the text when the edits are many)."""
    if len(windows) > 8:
        spans = [span for _, _, group in windows for span in group]
        ends = [b for _, b in spans]
        for match in pattern.finditer(text):
            start, end = match.span()
            k = bisect.bisect_right(ends, start)
            if match.group() and k < len(spans) and spans[k][0] < end:
                return " ".join(match.group().lower().split())
        return None
    for lo, hi, group in windows:
        if pattern.search(text, lo, hi) is None:
            continue
        for match in pattern.finditer(text, lo, hi):
            start, end = match.span()
            if match.group() and any(a < end and start < b for a, b in group):
                return " ".join(match.group().lower().split())
    return None


def title_level(old_title: str, new_title: str) -> Classification:
    """A retitled section: cosmetic when only case or punctuation changed, else editorial."""
    if old_title == new_title:
        return "none"
    return "cosmetic" if fold(old_title) == fold(new_title) else "editorial"


# ---------------------------------------------------------------- stated dates


def _blocks(outline: Outline) -> Iterator[str]:
    """Headings and body blocks in document order."""
    for section in outline.sections:
        if section.heading:
            yield section.heading
        yield from section.body


def _last_blocks(outline: Outline, n: int) -> list[str]:
    """The last ``n`` blocks, last first."""
    out: list[str] = []
    for section in reversed(outline.sections):
        out.extend(reversed(section.body))
        if section.heading:
            out.append(section.heading)
        if len(out) >= n:
            break
    return out[:n]


def stated_date(outline: Outline) -> str | None:
    """The "last updated" / "effective" date the document states, as written.

    A labelled date ("Last updated: 12 March 2024", "Effective as of
    2024-03-12") in the first :data:`DATE_BLOCKS` blocks, else a block that is
    only a date in the first five, else a short labelled date line among the
    last :data:`DATE_TAIL` blocks (policies that sign off with the date).
    """
    head = list(itertools.islice(_blocks(outline), DATE_BLOCKS))
    for block in head:
        found = labelled_date(block)
        if found:
            return found
    for block in head[:5]:
        match = _BARE.fullmatch(block)
        if match:
            return match.group("date").strip()
    for block in _last_blocks(outline, DATE_TAIL):
        found = labelled_date(block) if count_words(block) <= 15 else None
        if found:
            return found
    return None


def date_lines(outline: Outline) -> tuple[str, ...]:
    """The dates of the lines among the first :data:`DATE_BLOCKS` blocks that open with
    a "last updated"-style label: the stated date's line and its neighbours
    ("Effective date: …" under "Last updated: …")."""
    head = itertools.islice(_blocks(outline), DATE_BLOCKS)
    return tuple(found for block in head if (found := date_line(block.lstrip("*#- "))))


def date_value(text: str) -> tuple[int, int, int] | None:
    """``(year, month, day)`` of a date written with a month name or year first (ISO,
    "2025年3月1日", "2024년 4월 1일", "2024. 4. 1").

    Day 0 stands for a month without a day. All-numeric dates not written year first
    (``12/01/23``) are ambiguous and give None.
    """
    iso = _YEAR_FIRST.fullmatch(text.strip())
    if iso:
        return int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    words = re.findall(r"[^\W\d_]+|\d+", text.casefold())
    month = next((MONTH_NUMBERS[w] for w in words if w in MONTH_NUMBERS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if 1 <= n <= 31]
    if month is None or len(years) != 1 or len(days) > 1:
        return None
    return years[0], month, days[0] if days else 0


def same_date(old: str | None, new: str | None) -> bool:
    """Whether two stated dates, written differently, name the same day. An all-numeric
    date (``10/12/2021``) names it when either reading, day or month first, gives the
    other date's day: a page that wrote "10 December 2021" meant that one."""
    if old is None or new is None:
        return False
    old_value, new_value = date_value(old), date_value(new)
    if old_value is not None and new_value is not None:
        return old_value == new_value
    known, numeric = (old_value, new) if old_value is not None else (new_value, old)
    return known is not None and known in _numeric_readings(numeric)


def _numeric_readings(text: str) -> set[tuple[int, int, int]]:
    """The days an all-numeric date may name: ``(year, month, day)`` read day first and
    month first (a four-digit year only)."""
    found = _NUMERIC.fullmatch(text.strip())
    if not found:
        return set()
    first, second, year = (int(part) for part in found.groups())
    return {
        (year, m, d) for d, m in ((first, second), (second, first)) if 1 <= m <= 12 and 1 <= d <= 31
    }


def mask_dates(paragraphs: Sequence[str], dates: Sequence[str]) -> tuple[str, ...]:
    """``paragraphs`` with each of ``dates`` replaced by one placeholder word (the
    longest first: "1 March 2024" is part of "21 March 2024")."""
    out = []
    longest_first = sorted(dates, key=len, reverse=True)
    for para in paragraphs:
        for date in longest_first:
            para = para.replace(date, "DATE")
        out.append(para)
    return tuple(out)
