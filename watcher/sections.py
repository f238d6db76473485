"""Document → outline: which blocks are headings, their numbers and levels.

Headings are HTML headings, numbered headings (``1.``, ``2.3``, ``9.1.1``,
``Article 4``, ``(a)``, roman numerals), bold-only lines, list items that title
the clauses nested under them, and in documents without markup the short title
lines that a reader takes for headings. Levels
follow the order in which heading styles nest, as a reader infers them.
"""

from __future__ import annotations

import collections
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .canonical import render_block
from .dates import date_line
from .model import CJK, Block, Document, Outline, Section, count_words, has_ideographs

log = logging.getLogger(__name__)

MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 150
BODY_WORDS = 12
# At most this many date lines standing together are the document's dates.
DATE_LINES = 3

_HAN_DIGITS = "〇零一二三四五六七八九十百"
_HAN_VALUES = {ch: n for n, ch in enumerate("零一二三四五六七八九")} | {"〇": 0}
_ROMAN = r"(?=[IVXLC])M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})"
_NUMBER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "article",
        re.compile(
            r"^((?:Article|Section|Chapter|Part|Clause|Schedule|Annex|Appendix|Art\.|§)\s*"
            r"(?:\d+(?:\.\d+)*[A-Za-z]?|" + _ROMAN + r"|[A-Z])\b)\s*[.:)\-–—]*\s*(.*)$",
            re.I,
        ),
    ),
    # "2.1 Sharing"; in Chinese also "2、共享", "2.共享".
    (
        "decimal",
        re.compile(rf"^(\d{{1,3}}(?:\.\d{{1,3}})*)(?:[.):、]?\s+|[.、．](?=[{CJK}]))(\S.*)$"),
    ),
    ("paren", re.compile(r"^(\((?:\d{1,3}|[a-z]|[ivx]{1,5})\))\s+(\S.*)$")),
    ("roman", re.compile(r"^(" + _ROMAN + r")[.)]\s+(\S.*)$")),
    ("alpha", re.compile(r"^([A-Z])[.)]\s+(\S.*)$")),
)
# Numbers only a text with characters beyond ASCII can have: tried after the others.
_WIDE_NUMBER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "3.1数据", and Chinese and Japanese "第三条" (article 3), "三、", "（三）".
    ("decimal", re.compile(rf"^(\d{{1,3}}(?:\.\d{{1,3}})+)(?=[{CJK}])(.+)$")),
    ("han-article", re.compile(rf"^(第[\d{_HAN_DIGITS}]+[条章节條節款部編编])\s*(\S.*)$")),
    ("han", re.compile(rf"^([{_HAN_DIGITS}]+、)\s*(\S.*)$")),
    ("han-paren", re.compile(rf"^([（(][{_HAN_DIGITS}]+[）)])\s*(\S.*)$")),
)
_WIDE_FIRST = frozenset("第（(" + _HAN_DIGITS)
_DATE_LINE = re.compile(
    r"^(?:(?:last\s+)?(?:updated|modified|revised|effective|version|dated?)\b.*"
    r"|[\d\s./,-]*(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s*(?:\d{1,2}(?:st|nd|rd|th)?,?\s*)?\d{2,4}\s*|[\d\s./-]+)$",
    re.I,
)
# A number standing bare before the words: no dot, bracket or colon after it.
_BARE_NUMBER = re.compile(r"\d{1,3}\s")
_URLISH = re.compile(r"https?://|www\.|\S@\S|\.(com|org|net)\b", re.I)
# Words run together by a table flattened to text: "DateVersionChangesReviewer".
_GLUED = re.compile(r"[a-z][A-Z][a-z]+[A-Z]")
_TITLE_WORDS = re.compile(r"\w+")
# A table of contents' entry names a section when this share of the words of the longer
# of their two titles is in both ("How Do We Collect and Process Your Personal Data" for
# "How We Collect Your Personal Data").
CONTENTS_MATCH = 0.6
_TERMINAL = (".", ",", ";", ":", "—", "–", "-", "|", "/", "(", "。", "，", "；", "：")
# Ends of a sentence or a clause: a line ending so is body text, not a title.
_STOPS = (".", ";", ":", "。", "；", "：")
_CLAUSE_ENDS = (",", ";", "，", "；")


@dataclass(frozen=True, slots=True)
class _Heading:
    index: int
    style: tuple[str, int]
    number: str
    title: str


def split_number(text: str) -> tuple[str, str]:
    """Split a heading into numbering and title: ``"4.2 Sharing"`` → ``("4.2", "Sharing")``."""
    found = _numbered(text)
    if found is None:
        return "", _strip_title(text)
    return _clean_number(found[1]), _strip_title(found[2])


def _clean_number(number: str) -> str:
    return number if number.startswith(("(", "（")) else number.rstrip(".:)、").strip()


def _strip_title(title: str) -> str:
    title = title.strip()
    if title.endswith((".", ":", "。", "：")) and not title.endswith(".."):
        title = title[:-1].rstrip()
    return title


def _numbered(text: str) -> tuple[str, str, str] | None:
    """(family, number, title) when ``text`` starts with a heading number."""
    patterns = _NUMBER_PATTERNS
    if not text.isascii() and (text[:1] in _WIDE_FIRST or text[:1].isdigit()):
        patterns += _WIDE_NUMBER_PATTERNS
    for family, pattern in patterns:
        match = pattern.match(text)
        if match and match.group(2).strip():
            return family, match.group(1), match.group(2)
    return None


def _is_short(text: str, words: int = MAX_HEADING_WORDS) -> bool:
    return len(text) <= MAX_HEADING_CHARS and _words(text) <= words


def _words(text: str) -> int:
    """Words as a line's length is weighed: two ideographs or kana make a word."""
    return count_words(text, ideographs_per_word=2)


def _starts_like_title(title: str) -> bool:
    """Whether ``title`` opens with a capital or a letter of a script without case, or
    is Chinese or Japanese ("2.3 cookie 的清除")."""
    first = title[:1]
    return first.isupper() or (first.isalpha() and not first.islower()) or has_ideographs(title)


def _numbered_style(text: str) -> tuple[tuple[str, int], str, str] | None:
    """A numbered paragraph that reads as a heading: short, not a sentence of a list."""
    found = _numbered(text)
    if found is None:
        return None
    family, number, title = found
    title = title.strip()
    if not _is_short(title, 12) or title.endswith(_CLAUSE_ENDS):
        return None
    if title.endswith(_STOPS) and _words(title) > 6:
        return None
    if re.search(r"[.;:]\s+\S|[。；]\S", title):
        return None
    if family == "decimal" and not _starts_like_title(title):
        return None
    if not any(ch.isalpha() for ch in title):
        return None
    depth = number.count(".") + 1 if family == "decimal" else 1
    return (family, depth), number, title


def _plain_title(text: str) -> bool:
    """A short line with no sentence punctuation that a reader sees as a title."""
    if not _is_short(text, 12) or not text[:1].isupper():
        return False
    if text.endswith(_TERMINAL):
        return text.endswith(".") and _words(text) <= 2 and text[:-1].isalpha()
    if ": " in text or _URLISH.search(text) or _DATE_LINE.match(text) or _GLUED.search(text):
        return False
    return sum(ch.isalpha() for ch in text) >= 3


def _is_body(block: Block) -> bool:
    if block.kind in ("item", "row", "pre"):
        return True
    return _words(block.text) > BODY_WORDS or block.text.endswith(_STOPS)


def _candidate(block: Block, plain: bool) -> tuple[tuple[str, int], str, str] | None:
    """The heading style, number and title of ``block`` if it could be a heading."""
    if block.kind == "heading":
        number, title = split_number(block.text)
        return ("h", block.level), number, title or block.text
    if block.kind != "paragraph":
        return None
    numbered = _numbered_style(block.text)
    if numbered is not None:
        style, number, title = numbered
        return style, _clean_number(number), _strip_title(title)
    if block.bold and _is_short(block.text) and not block.text.endswith((*_CLAUSE_ENDS, "。")):
        number, title = split_number(block.text)
        return ("bold", 0), number, title
    if plain and _plain_title(block.text):
        return ("plain", 0), "", _strip_title(block.text)
    return None


def _table_neighbour(blocks: tuple[Block, ...], i: int) -> bool:
    """Lines next to a lone ``|`` are cells of a table flattened to text."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(blocks):
            text = blocks[j].text
            if text == "|" or text.endswith(" |"):
                return True
    return False


def find_headings(doc: Document) -> list[_Heading]:
    """The blocks of ``doc`` that are headings, with their styles."""
    blocks = doc.blocks
    plain = not any(b.kind == "heading" or b.bold for b in blocks)
    candidates: dict[int, tuple[tuple[str, int], str, str]] = {}
    for i, block in enumerate(blocks):
        found = _candidate(block, plain)
        in_table = found is not None and found[0][0] == "plain" and _table_neighbour(blocks, i)
        if found and not in_table:
            candidates[i] = found
    _drop_date_line(blocks, candidates)
    _drop_lists_of_numbers(blocks, candidates)
    _drop_lone_bare_numbers(blocks, candidates)
    candidates.update(_list_headings(blocks))
    headings = []
    for i, (style, number, title) in sorted(candidates.items()):
        if blocks[i].kind == "paragraph" and not _heads_something(blocks, candidates, i, style):
            continue
        headings.append(_Heading(i, style, number, title))
    return _without_contents(blocks, headings)


def _without_contents(blocks: tuple[Block, ...], headings: list[_Heading]) -> list[_Heading]:
    """``headings`` without a table of contents set as headings: a run of entries with
    nothing under them, most of whose titles head sections further on (as written or
    nearly), and the line in bold that introduces such entries ("This policy will help
    you understand:" over the list of its sections), which would otherwise hold every
    section one level below it."""
    keys = [_title_key(h.title) for h in headings]
    entries = _contents_entries(blocks, headings, keys)
    kept: list[_Heading] = []
    later: list[set[str]] = []
    for k in range(len(headings) - 1, -1, -1):
        if k in entries:
            continue
        heading = headings[k]
        end = kept[-1].index if kept else len(blocks)
        if not _introduces(heading, blocks[heading.index + 1 : end], later):
            kept.append(heading)
            later.append(set(keys[k].split()))
    return kept[::-1]


def _contents_entries(
    blocks: tuple[Block, ...], headings: list[_Heading], keys: list[str]
) -> set[int]:
    """The positions in ``headings`` of the entries of tables of contents: runs of lines
    in bold or numbered (not HTML headings) with nothing under them, most of which name
    a section further on, as written or nearly. (The other entries of a list in bold
    are no headings: nothing follows them but the next.) One alone counts when it names
    a section after the next as written: a title said twice, in bold over the same title
    numbered, is no table of contents."""
    entries: set[int] = set()
    k = 0
    while k < len(headings):
        run = k
        while run + 1 < len(headings) and headings[run + 1].index == headings[run].index + 1:
            run += 1
        # headings k..run-1 hold nothing; the run ends at the first that does
        listed = [j for j in range(k, run) if blocks[headings[j].index].kind == "paragraph"]
        if len(listed) == 1 and run == k + 1:
            if keys[k] and keys[k] in keys[run + 1 :]:
                entries.add(k)
        elif listed:
            after = [set(key.split()) for key in keys[run:]]
            named = sum(_names_one(set(keys[j].split()), after) for j in listed)
            if 2 * named >= len(listed) >= 2:
                entries.update(listed)
        k = run + 1
    return entries


def _names_one(words: set[str], titles: list[set[str]]) -> bool:
    """Whether the title ``words`` is one of ``titles``, as written or nearly (most of
    the words of the longer of the two in common)."""
    return bool(words) and any(
        len(words & title) >= CONTENTS_MATCH * max(len(words), len(title)) for title in titles
    )


def _introduces(heading: _Heading, under: tuple[Block, ...], later: list[set[str]]) -> bool:
    """Whether ``heading``, a line in bold, stands over nothing but the entries of a table
    of contents: short lines that name sections further on."""
    if heading.style[0] != "bold" or len(under) < 2:
        return False
    if not all(b.kind in ("item", "paragraph") and _is_short(b.text) for b in under):
        return False
    return all(_names_one(set(_title_key(split_number(b.text)[1]).split()), later) for b in under)


def _title_key(title: str) -> str:
    return " ".join(_TITLE_WORDS.findall(title.casefold()))


def _drop_date_line(
    blocks: tuple[Block, ...], candidates: dict[int, tuple[tuple[str, int], str, str]]
) -> None:
    """A "Last updated: 12 March 2024" line set as a heading (bold or ``<h2>``) is the
    document's date, not a section's title: a new date would read as a section
    renamed. So are a few such lines standing together ("Last updated: …" over
    "Effective: …"); several apart, each over its own text, are the entries of a change
    log, and stay."""
    dated = [i for i in candidates if _is_short(blocks[i].text) and date_line(blocks[i].text)]
    if dated and len(dated) <= DATE_LINES and dated[-1] - dated[0] == len(dated) - 1:
        for i in dated:
            del candidates[i]


def _list_headings(blocks: tuple[Block, ...]) -> dict[int, tuple[tuple[str, int], str, str]]:
    """List items that title the clauses nested under them: contracts published as
    one nested ``<ol>`` ("1. CUSTOMER OBLIGATIONS" over "1.1 Generally. ..."). An item
    counts when it reads as a title, the items right after it are deeper and hold
    body text (not a table of contents), and another item at its depth does the same."""
    nesting = [
        i
        for i in range(len(blocks) - 1)
        if blocks[i].kind == "item"
        and blocks[i + 1].kind == "item"
        and blocks[i + 1].level > blocks[i].level
    ]
    titled = {i for i in nesting if _item_title(blocks[i].text) and _heads_clauses(blocks, i)}
    per_depth = collections.Counter(blocks[i].level for i in titled)
    depths = {depth for depth, count in per_depth.items() if count >= 2}
    shapes = {(blocks[i].level, _title_shape(blocks[i].text)) for i in titled}
    found: dict[int, tuple[tuple[str, int], str, str]] = {}
    for i in range(len(blocks) - 1):
        block = blocks[i]
        if block.kind != "item" or block.level not in depths:
            continue
        # At a depth where clauses are titled, an item shaped like those titles is one
        # too, even when its clauses are not nested ("II. Use of Our Services").
        if i in titled or (
            _item_title(block.text) and (block.level, _title_shape(block.text)) in shapes
        ):
            number, title = split_number(block.text)
            found[i] = (("item", block.level), number, title)
    return found


def _title_shape(text: str) -> tuple[str, bool, bool]:
    """How a title is written: its numbering, capitals throughout, a final period
    (which only tells titles from short sentences when the title is not in capitals:
    "GENERAL RESTRICTIONS." is shaped like "OWNERSHIP")."""
    found = _numbered(text)
    letters = [ch for ch in text if ch.isalpha()]
    upper = sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)
    return (found[0] if found else "", upper, not upper and text.endswith("."))


def _item_title(text: str) -> bool:
    """Short, with letters, and not a sentence or the start of one."""
    if len(text) > MAX_HEADING_CHARS or text.endswith((*_CLAUSE_ENDS, ":", "：")):
        return False  # the cheap tests first: most items are clauses
    _, title = split_number(text)
    if not title or not _is_short(text, 12):
        return False
    if text.endswith((".", "。")) and _words(title) > 6:
        return False
    return not re.search(r"[.;:]\s+\S|[。；]\S", title) and any(ch.isalpha() for ch in title)


def _heads_clauses(blocks: tuple[Block, ...], i: int) -> bool:
    """The items nested right under item ``i`` include body text."""
    level = blocks[i].level
    for j in range(i + 1, len(blocks)):
        block = blocks[j]
        if block.kind != "item" or block.level <= level:
            return False
        if _words(block.text) > BODY_WORDS:
            return True
    return False


def _heads_something(
    blocks: tuple[Block, ...], candidates: Mapping[int, object], i: int, style: tuple[str, int]
) -> bool:
    """A numbered line heads whatever follows it; an unnumbered one must lead to body text."""
    if style[0] in ("plain", "bold"):
        return _leads_body(blocks, candidates, i)
    return i + 1 < len(blocks)


def _leads_body(blocks: tuple[Block, ...], candidates: Mapping[int, object], i: int) -> bool:
    """A text heading is followed by body text, directly or after one sub-heading."""
    for j in (i + 1, i + 2):
        if j >= len(blocks):
            return False
        if j not in candidates:
            return _is_body(blocks[j]) or blocks[j].kind == "heading"
        if blocks[j].kind == "heading":
            return True
    return False


def _number_value(number: str) -> tuple[int, ...] | None:
    digits = re.findall(r"\d+", number)
    if digits:
        return tuple(int(d) for d in digits)
    numeral = "".join(ch for ch in number if ch in _HAN_DIGITS)
    return (_han_value(numeral),) if numeral else None


def _han_value(numeral: str) -> int:
    """The value of a Chinese numeral up to 999 ("三" 3, "十二" 12, "二十" 20)."""
    total = current = 0
    for ch in numeral:
        if ch in "十百":
            total += (current or 1) * (10 if ch == "十" else 100)
            current = 0
        else:
            current = _HAN_VALUES[ch]
    return total + current


def _drop_lists_of_numbers(
    blocks: tuple[Block, ...], candidates: dict[int, tuple[tuple[str, int], str, str]]
) -> None:
    """Runs of three or more consecutive numbered paragraphs are a list or a table
    of contents, not headings; a run ends where the numbering restarts. Unless the
    run holds clauses numbered under a short line before them ("5. Security" over
    "5.1 We take …"): then it is the document's numbered text, and its short lines
    are its headings."""
    run: list[tuple[int, tuple[int, ...]]] = []

    def close() -> None:
        if len(run) >= 3 and not _numbers_clauses(run, candidates):
            for index, _ in run:
                candidates.pop(index, None)
        run.clear()

    for i, block in enumerate(blocks):
        found = _numbered(block.text) if block.kind == "paragraph" else None
        value = _number_value(found[1]) if found else None
        if value is None:
            close()
            continue
        if run and value <= run[-1][1]:
            close()
        run.append((i, value))
    close()


def _numbers_clauses(
    run: list[tuple[int, tuple[int, ...]]], candidates: Mapping[int, object]
) -> bool:
    """Whether a short line of ``run`` (a candidate heading) is followed by body text
    numbered under it: "5." then "5.1 …" that is no heading."""
    return any(
        index in candidates
        and following not in candidates
        and len(sub) > len(value)
        and sub[: len(value)] == value
        for (index, value), (following, sub) in itertools.pairwise(run)
    )


def _drop_lone_bare_numbers(
    blocks: tuple[Block, ...], candidates: dict[int, tuple[tuple[str, int], str, str]]
) -> None:
    """A paragraph opening with a bare number ("10 Harbour Square", a line of an address
    split by ``<br>``; no dot or bracket after the number) is a heading only beside
    another heading numbered one less (the numbered heading before it) or one more (the
    one after it). A street number stands alone, and a new address read as a section
    removed and another added; "1 Hatch Street Upper" above "1. Acceptance" is no
    section either, though the terms number 2 further on."""
    numbered = [
        (i, int(number)) for i, (_, number, _) in sorted(candidates.items()) if number.isdigit()
    ]
    for at, (i, value) in enumerate(numbered):
        style = candidates[i][0]
        if not (style == ("decimal", 1) and blocks[i].kind == "paragraph"):
            continue
        if not _BARE_NUMBER.match(blocks[i].text):
            continue
        before = numbered[at - 1][1] if at else None
        after = numbered[at + 1][1] if at + 1 < len(numbered) else None
        if before != value - 1 and after != value + 1:
            del candidates[i]


def _primary_styles(headings: list[_Heading]) -> set[tuple[str, int]]:
    """Numbered styles whose numbering runs on across headings of other styles.

    ``1. … 4. Cookies``, ``What are cookies?``, ``5. …``: the numbered headings
    are the document's top level and the unnumbered ones sit inside them.
    Numbers that restart under each unnumbered heading mean the opposite.
    """
    primary = set()
    numbered = {h.style for h in headings if h.number and h.style[0] != "h"}
    for style in numbered:
        positions = [i for i, h in enumerate(headings) if h.style == style]
        values = [_number_value(headings[i].number) for i in positions]
        if len(positions) < 3 or any(v is None for v in values):
            continue
        increasing = all(a < b for a, b in itertools.pairwise(values))  # type: ignore[operator]
        interleaved = any(
            headings[i].style[0] in ("plain", "bold") for i in range(positions[0], positions[-1])
        )
        if increasing and interleaved:
            primary.add(style)
    return primary


def _rank(style: tuple[str, int], primary: set[tuple[str, int]]) -> int | None:
    family, depth = style
    if family == "h":
        return depth
    if style in primary:
        return 10 + depth
    return None


def _assign_levels(headings: list[_Heading]) -> list[int]:
    """Levels as a reader infers them from how heading styles nest.

    HTML heading levels, and numbering that runs across the document, have a
    fixed order; other styles nest in the order they first appear, and a
    style seen before returns to its level.
    """
    primary = _primary_styles(headings)
    stack: list[tuple[tuple[str, int], int | None]] = []
    levels = []
    for heading in headings:
        rank = _rank(heading.style, primary)
        if rank is None:
            same = [pos for pos, (style, _) in enumerate(stack) if style == heading.style]
            if same:
                del stack[same[0] :]
        else:
            _pop_for_rank(stack, rank)
        stack.append((heading.style, rank))
        levels.append(len(stack))
    return levels


def _pop_for_rank(stack: list[tuple[tuple[str, int], int | None]], rank: int) -> None:
    """Pop what a heading of ``rank`` closes: ranked entries at or below it, and
    unranked ones nested under such an entry (or under nothing ranked)."""
    while stack:
        top_rank = stack[-1][1]
        if top_rank is not None:
            if top_rank < rank:
                return
            stack.pop()
            continue
        below = next((r for _, r in reversed(stack) if r is not None), None)
        if below is not None and below < rank:
            return
        stack.pop()


def outline(doc: Document) -> Outline:
    """The outline of ``doc``: its sections in document order."""
    headings = find_headings(doc)
    levels = _assign_levels(headings)
    sections: list[Section] = []
    starts = [h.index for h in headings] + [len(doc.blocks)]
    first = starts[0]
    if first > 0:
        sections.append(Section(0, "", "", "", _body(doc.blocks[:first])))
    for heading, level, end in zip(headings, levels, starts[1:], strict=True):
        block = doc.blocks[heading.index]
        sections.append(
            Section(
                level=level,
                number=heading.number,
                title=heading.title,
                heading=block.text,
                body=_body(doc.blocks[heading.index + 1 : end]),
            )
        )
    title = doc.title
    if (not title or _DATE_LINE.match(title)) and headings:
        title = doc.blocks[headings[0].index].text
    return Outline(title=title, sections=tuple(sections))


def _body(blocks: tuple[Block, ...]) -> tuple[str, ...]:
    return tuple(render_block(b) for b in blocks)
