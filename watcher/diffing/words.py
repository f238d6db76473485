"""Word-level diffs with diff-match-patch, fast on long texts and never timed out.

Texts are cut into tokens (a word, a run of whitespace, or one other
character; in Chinese and Japanese, each ideograph or kana) and each distinct
token is mapped to one character, the way diff-match-patch's own line mode
maps lines; the diff of those character strings is a diff of whole words, and
its semantic cleanup merges scattered small edits into readable ones.

Myers' algorithm costs time in proportion to the length times the number of
edits, so long texts are first aligned paragraph by paragraph, then sentence
by sentence, then word by word (units that occur once on each side anchor
the alignment, as in patience diff), and diff-match-patch only sees the
short regions between anchors. It always runs with ``Diff_Timeout = 0`` on
inputs bounded by the limits below; a large region with nothing in common
to anchor on is reported as replaced whole (a paragraph-level diff), never
as the output of a timeout.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

from diff_match_patch import diff_match_patch

from ..model import WORD_PATTERN, has_ideographs

log = logging.getLogger(__name__)

Op = Literal["equal", "insert", "delete", "move-out", "move-in"]
OLD_SIDE: frozenset[str] = frozenset(("equal", "delete", "move-out"))
NEW_SIDE: frozenset[str] = frozenset(("equal", "insert", "move-in"))
SEP = "\n\n"

SMALL_TOKENS = 200
"""Regions with at most this many tokens (both sides) get an exact word diff directly."""
UNIT_DMP_MAX = 600
"""Gaps between anchors up to this many units (both sides) get an exact diff; larger
gaps with no unit in common that occurs once on each side are replaced whole."""
WORD_GAP_MAX = 240
"""The same limit for gaps between anchoring words in a long region."""

_DMP_OPS: dict[int, Op] = {-1: "delete", 0: "equal", 1: "insert"}
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_WORD = re.compile(r"\w+")
# The same for texts with Chinese or Japanese, one token per ideograph (slower).
_TOKEN_CJK = re.compile(rf"{WORD_PATTERN}|\s+|[^\w\s]")
_WORD_CJK = re.compile(WORD_PATTERN)
_SENTENCE_ENDS = frozenset(".!?;")
# Full-width stops end a sentence without a space after them (Chinese, Japanese).
_FULL_STOPS = frozenset("。！？；")
_WORD_POOL = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x30000, 0x3134A))
_MARK_POOL = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_BREAK_POOL = "\n\r\u2028\u2029\x85"
_SPACE_POOL = (
    " \t\x0b\x0c\x1c\x1d\x1e\x1f\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u202f\u205f\u3000"
)


class Hunk(NamedTuple):
    """One piece of a diff: an operation and the text it applies to.

    ``equal`` text is in both versions, ``delete`` and ``move-out`` only in
    the old one, ``insert`` and ``move-in`` only in the new one.
    """

    op: Op
    text: str


UnitBlock = tuple[bool, int, int, int, int]
"""``(equal, i0, i1, j0, j1)``: units ``a[i0:i1]`` and ``b[j0:j1]`` are equal or replaced."""


def tokenize(text: str) -> list[str]:
    """``text`` as tokens: words, whitespace runs and single other characters."""
    return (_TOKEN_CJK if has_ideographs(text) else _TOKEN).findall(text)


def words_of(text: str) -> list[str]:
    """The words of ``text``: runs of letters and digits, and each ideograph or kana."""
    return (_WORD_CJK if has_ideographs(text) else _WORD).findall(text)


def word_pairs(text: str) -> frozenset[int]:
    """Hashes of the case-folded word pairs of ``text`` (of its word, when it has one)."""
    words = words_of(text.casefold())
    if len(words) < 2:
        return frozenset(hash(w) for w in words)
    return frozenset(map(hash, itertools.pairwise(words)))


def old_text(hunks: Sequence[Hunk]) -> str:
    """The old version's text, rebuilt from ``hunks``."""
    return "".join(h.text for h in hunks if h.op in OLD_SIDE)


def new_text(hunks: Sequence[Hunk]) -> str:
    """The new version's text, rebuilt from ``hunks``."""
    return "".join(h.text for h in hunks if h.op in NEW_SIDE)


# ---------------------------------------------------------------- token codec


def _code_points(ranges: Sequence[tuple[int, int]]) -> Iterator[str]:
    """The characters of some code point ranges, in order."""
    return (chr(c) for lo, hi in ranges for c in range(lo, hi + 1))


class TokenCodec:
    """Maps each distinct token to one character and back.

    Words get letters, whitespace gets whitespace and paragraph breaks get
    line breaks, so that diff-match-patch's semantic cleanup, which looks
    at character classes, sees the same shapes as in the real text.
    """

    def __init__(self) -> None:
        self.char_of: dict[str, str] = {}
        self.token_of: dict[str, str] = {}
        self.ends: set[str] = set()
        self.full_stops: set[str] = set()
        self.breaks: set[str] = set()
        self._pools: dict[str, Iterator[str]] = {
            "word": _code_points(_WORD_POOL),
            "mark": _code_points(_MARK_POOL),
            "space": iter(_SPACE_POOL),
            "break": iter(_BREAK_POOL),
        }

    def encode(self, text: str) -> str:
        """One character per token of ``text``."""
        get = self.char_of.get
        return "".join([get(tok) or self._assign(tok) for tok in tokenize(text)])

    def decode(self, chars: str) -> str:
        """The text the characters stand for."""
        return "".join(map(self.token_of.__getitem__, chars))

    def _assign(self, token: str) -> str:
        """A new character for ``token``, from its class's pool or a fallback."""
        kind = _kind(token)
        fallbacks = {"break": ("space",), "space": ()}.get(kind, ())
        for pool in (kind, *fallbacks, "mark", "word"):
            char = next(self._pools[pool], None)
            if char is not None:
                break
        else:
            raise OverflowError("more distinct tokens than characters to map them to")
        self.char_of[token] = char
        self.token_of[char] = token
        if token in _SENTENCE_ENDS:
            self.ends.add(char)
        elif token in _FULL_STOPS:
            self.full_stops.add(char)
        if kind == "break":
            self.breaks.add(char)
        return char

    def is_mark(self, char: str) -> bool:
        """Whether ``char`` stands for a punctuation or symbol token."""
        token = self.token_of.get(char, "")
        return bool(token) and _kind(token) == "mark"

    def splitter(self, level: int) -> re.Pattern[str] | None:
        """Where units of ``level`` start: 0 = paragraphs, 1 = sentences."""
        breaks = "".join(map(re.escape, sorted(self.breaks)))
        if level == 0:
            return re.compile(f"(?=[{breaks}])") if breaks else None
        ends = "".join(map(re.escape, sorted(self.ends)))
        spaces = "".join(re.escape(c) for c in sorted(self.token_of) if self.token_of[c].isspace())
        stops = "".join(map(re.escape, sorted(self.full_stops)))
        points = [f"(?<=[{ends}][{spaces}])"] if ends and spaces else []
        points += [f"(?<=[{stops}])"] if stops else []
        return re.compile("|".join(points)) if points else None


def _kind(token: str) -> str:
    """``word``, ``space``, ``break`` (a paragraph break) or ``mark`` (anything else)."""
    if token[0].isspace():
        return "break" if SEP in token else "space"
    return "word" if token[0].isalnum() or token[0] == "_" else "mark"


# ---------------------------------------------------------------- unit alignment


def _engine() -> diff_match_patch:
    """A diff-match-patch instance for bounded inputs: no timeout, exact results."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


def align_units(
    a: Sequence[str], b: Sequence[str], gap_limit: int = UNIT_DMP_MAX
) -> list[UnitBlock]:
    """Align two sequences of units (paragraphs, sentences) into equal and replaced runs.

    Units that occur exactly once on each side and keep their order anchor
    the alignment (patience diff); the gaps between anchors are aligned
    recursively, small anchorless gaps with diff-match-patch, and large
    anchorless gaps (more than ``gap_limit`` units on both sides together)
    are one replaced run.
    """
    out: list[UnitBlock] = []
    _align(a, b, 0, len(a), 0, len(b), out, gap_limit)
    merged: list[UnitBlock] = []
    for block in out:
        if block[1] == block[2] and block[3] == block[4]:
            continue
        if merged and merged[-1][0] == block[0]:
            last = merged[-1]
            merged[-1] = (last[0], last[1], block[2], last[3], block[4])
        else:
            merged.append(block)
    return merged


def _align(
    a: Sequence[str],
    b: Sequence[str],
    a0: int,
    a1: int,
    b0: int,
    b1: int,
    out: list[UnitBlock],
    limit: int,
) -> None:
    """Append the blocks of ``a[a0:a1]`` against ``b[b0:b1]`` to ``out``."""
    start_a, start_b = a0, b0
    while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
        a0, b0 = a0 + 1, b0 + 1
    out.append((True, start_a, a0, start_b, b0))
    end_a, end_b = a1, b1
    while a1 > a0 and b1 > b0 and a[a1 - 1] == b[b1 - 1]:
        a1, b1 = a1 - 1, b1 - 1
    if a0 == a1 or b0 == b1:
        out.append((False, a0, a1, b0, b1))
    else:
        anchors = _unique_anchors(a, b, a0, a1, b0, b1)
        if anchors:
            pa, pb = a0, b0
            for i, j in anchors:
                _align(a, b, pa, i, pb, j, out, limit)
                out.append((True, i, i + 1, j, j + 1))
                pa, pb = i + 1, j + 1
            _align(a, b, pa, a1, pb, b1, out, limit)
        elif (a1 - a0) + (b1 - b0) <= limit:
            _dmp_units(a, b, a0, a1, b0, b1, out)
        else:
            out.append((False, a0, a1, b0, b1))
    out.append((True, a1, end_a, b1, end_b))


def _unique_anchors(
    a: Sequence[str], b: Sequence[str], a0: int, a1: int, b0: int, b1: int
) -> list[tuple[int, int]]:
    """Pairs of units unique on both sides, longest run that keeps order."""
    count_a = Counter(a[a0:a1])
    count_b = Counter(b[b0:b1])
    where_b = {b[j]: j for j in range(b0, b1) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(a0, a1) if count_a[a[i]] == 1 and a[i] in where_b]
    return longest_increasing(pairs, [1] * len(pairs))


def longest_increasing(
    pairs: Sequence[tuple[int, int]], weights: Sequence[int]
) -> list[tuple[int, int]]:
    """The heaviest subsequence of ``pairs`` (sorted by first item) whose second items increase."""
    if not pairs:
        return []
    values = sorted({p[1] for p in pairs})
    rank = {v: k + 1 for k, v in enumerate(values)}
    tree: list[tuple[int, int]] = [(0, -1)] * (len(values) + 1)
    best: list[tuple[int, int]] = []
    for index, ((_, second), weight) in enumerate(zip(pairs, weights, strict=True)):
        k = rank[second] - 1
        top = (0, -1)
        while k > 0:
            top = max(top, tree[k])
            k -= k & -k
        best.append((top[0] + weight, top[1]))
        k = rank[second]
        entry = (top[0] + weight, index)
        while k < len(tree):
            tree[k] = max(tree[k], entry)
            k += k & -k
    index = max(range(len(best)), key=lambda i: best[i][0])
    chain: list[tuple[int, int]] = []
    while index >= 0:
        chain.append(pairs[index])
        index = best[index][1]
    return chain[::-1]


def _dmp_units(
    a: Sequence[str], b: Sequence[str], a0: int, a1: int, b0: int, b1: int, out: list[UnitBlock]
) -> None:
    """Append diff-match-patch's alignment of a small anchorless gap to ``out``."""
    codes: dict[str, str] = {}
    chars_a = "".join(codes.setdefault(u, chr(len(codes) + 1)) for u in a[a0:a1])
    chars_b = "".join(codes.setdefault(u, chr(len(codes) + 1)) for u in b[b0:b1])
    i, j = a0, b0
    for op, chars in _engine().diff_main(chars_a, chars_b, False):
        di = len(chars) if op <= 0 else 0
        dj = len(chars) if op >= 0 else 0
        out.append((op == 0, i, i + di, j, j + dj))
        i, j = i + di, j + dj


# ---------------------------------------------------------------- word diff


def diff_words(old: str, new: str) -> list[Hunk]:
    """Word-level diff of two texts, after diff-match-patch's semantic cleanup."""
    if old == new:
        return [Hunk("equal", old)] if old else []
    codec = TokenCodec()
    try:
        chars_old, chars_new = codec.encode(old), codec.encode(new)
    except OverflowError:
        log.warning("texts with too many distinct tokens: reported as replaced whole")
        return [Hunk("delete", old), Hunk("insert", new)]
    diffs = _diff_region(codec, chars_old, chars_new, 0)
    dmp = _engine()
    dmp.diff_cleanupSemantic(diffs)
    if _release_stranded_marks(diffs, codec):
        diffs = _join_runs(diffs)
    return [Hunk(_DMP_OPS[op], codec.decode(chars)) for op, chars in diffs if chars]


def _release_stranded_marks(diffs: list[tuple[int, str]], codec: TokenCodec) -> bool:
    """Turn a stray kept full stop into an edit where a paragraph was added or removed.

    ``pages{+, never … .\n\nNew paragraph+}.`` reads better as
    ``pages[-.-]{+, never … .\n\nNew paragraph.+}``: a kept stretch of at
    most two punctuation tokens that ends a paragraph, right after an edit
    that crosses a paragraph break, becomes a deletion and an insertion.
    """
    changed = False
    for i in range(1, len(diffs)):
        op, chars = diffs[i]
        before = diffs[i - 1]
        if op != 0 or len(chars) > 2 or before[0] == 0 or not _crosses_break(before[1], codec):
            continue
        if not all(codec.is_mark(c) for c in chars):
            continue
        after = diffs[i + 1][1] if i + 1 < len(diffs) else ""
        if after and after[0] not in codec.breaks:
            continue
        diffs[i : i + 1] = [(-1, chars), (1, chars)]
        changed = True
    return changed


def _join_runs(diffs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Adjacent edits joined into one deletion and one insertion (without factoring
    out common ends, which diff-match-patch's merge would do)."""
    out: list[tuple[int, str]] = []
    for is_edit, group in itertools.groupby(diffs, key=lambda d: d[0] != 0):
        items = list(group)
        if not is_edit:
            out.append((0, "".join(chars for _, chars in items)))
            continue
        for op in (-1, 1):
            chars = "".join(c for o, c in items if o == op)
            if chars:
                out.append((op, chars))
    return out


def _crosses_break(chars: str, codec: TokenCodec) -> bool:
    """Whether token characters include a paragraph break."""
    return any(c in codec.breaks for c in chars)


def _diff_region(codec: TokenCodec, a: str, b: str, level: int) -> list[tuple[int, str]]:
    """Diff of two token strings: anchored on paragraphs, then sentences, then single words."""
    if a == b:
        return [(0, a)] if a else []
    if not a or not b:
        return [(1, b)] if b else [(-1, a)]
    if len(a) + len(b) <= SMALL_TOKENS:
        return [(op, chars) for op, chars in _engine().diff_main(a, b, False)]
    if level >= 2:
        return _anchored_tokens(a, b)
    splitter = codec.splitter(level)
    units_a = splitter.split(a) if splitter else [a]
    units_b = splitter.split(b) if splitter else [b]
    if len(units_a) == 1 and len(units_b) == 1:
        return _diff_region(codec, a, b, level + 1)
    out: list[tuple[int, str]] = []
    for equal, i0, i1, j0, j1 in align_units(units_a, units_b):
        part_a, part_b = "".join(units_a[i0:i1]), "".join(units_b[j0:j1])
        if equal:
            out.append((0, part_a))
        else:
            out.extend(_diff_region(codec, part_a, part_b, level + 1))
    return out


def _anchored_tokens(a: str, b: str) -> list[tuple[int, str]]:
    """A long token diff: words unique on both sides anchor it, small gaps get an exact diff.

    Gaps without anchors larger than :data:`WORD_GAP_MAX` tokens are replaced
    whole, which bounds the time of any diff.
    """
    out: list[tuple[int, str]] = []
    for equal, i0, i1, j0, j1 in align_units(a, b, WORD_GAP_MAX):
        if equal:
            out.append((0, a[i0:i1]))
            continue
        if i1 > i0:
            out.append((-1, a[i0:i1]))
        if j1 > j0:
            out.append((1, b[j0:j1]))
    return out


# ---------------------------------------------------------------- sections and moves


def section_hunks(
    old_paras: Sequence[str],
    new_paras: Sequence[str],
    moved_out: frozenset[int] = frozenset(),
    moved_in: frozenset[int] = frozenset(),
) -> list[Hunk]:
    """Hunks between two section bodies, with moved paragraphs as ``move-out``/``move-in``.

    The paragraphs that moved are taken out before the word diff and put
    back as whole pieces where they were (old side) and where they arrive
    (new side); the hunks rebuild ``SEP.join(old_paras)`` and
    ``SEP.join(new_paras)`` exactly.
    """
    kept_old = SEP.join(p for i, p in enumerate(old_paras) if i not in moved_out)
    kept_new = SEP.join(p for i, p in enumerate(new_paras) if i not in moved_in)
    core = diff_words(kept_old, kept_new)
    if not moved_out and not moved_in:
        return core
    old_events = _move_events(old_paras, moved_out, "move-out")
    new_events = _move_events(new_paras, moved_in, "move-in")
    return splice(core, old_events, new_events)


def _move_events(paras: Sequence[str], moved: frozenset[int], op: Op) -> list[tuple[int, Hunk]]:
    """Moved paragraphs as pieces with their offsets in the text of the kept ones.

    A moved paragraph after a kept one carries the separator before it; one
    before any kept paragraph carries the separator after it (unless it is
    the last paragraph), so that the pieces and the kept text join exactly.
    """
    events: list[tuple[int, Hunk]] = []
    offset = 0
    kept = 0
    last = len(paras) - 1
    for i, para in enumerate(paras):
        if i in moved:
            if kept:
                events.append((offset, Hunk(op, SEP + para)))
            else:
                events.append((0, Hunk(op, para + (SEP if i < last else ""))))
        else:
            offset += len(para) + (len(SEP) if kept else 0)
            kept += 1
    return events


def splice(
    hunks: Sequence[Hunk],
    old_events: Sequence[tuple[int, Hunk]],
    new_events: Sequence[tuple[int, Hunk]],
) -> list[Hunk]:
    """Insert pieces into a diff at offsets of its old side and of its new side.

    ``old_events`` are ``(offset in old_text(hunks), piece)`` in order, and
    likewise ``new_events``; hunks are split where an offset falls inside.
    A piece waits for the end of a replacement (a deletion followed by an
    insertion) rather than cutting into it.
    """
    out: list[Hunk] = []
    oi = ni = pos_old = pos_new = 0

    def flush(old: bool, new: bool) -> None:
        """Emit the pieces due at the current positions, on the sides asked for."""
        nonlocal oi, ni
        while old and oi < len(old_events) and old_events[oi][0] <= pos_old:
            out.append(old_events[oi][1])
            oi += 1
        while new and ni < len(new_events) and new_events[ni][0] <= pos_new:
            out.append(new_events[ni][1])
            ni += 1

    for hunk in hunks:
        text = hunk.text
        on_old, on_new = hunk.op in OLD_SIDE, hunk.op in NEW_SIDE
        while text:
            flush(on_old, on_new)
            limit = len(text)
            if on_old and oi < len(old_events):
                limit = min(limit, old_events[oi][0] - pos_old)
            if on_new and ni < len(new_events):
                limit = min(limit, new_events[ni][0] - pos_new)
            piece, text = text[:limit], text[limit:]
            out.append(Hunk(hunk.op, piece))
            pos_old += len(piece) if on_old else 0
            pos_new += len(piece) if on_new else 0
    flush(True, True)
    return merge(out)


def merge(hunks: Sequence[Hunk]) -> list[Hunk]:
    """Drop empty hunks and join neighbours with the same operation (moves stay apart)."""
    out: list[Hunk] = []
    for op, group in itertools.groupby((h for h in hunks if h.text), key=lambda h: h.op):
        items = list(group)
        if op in ("move-out", "move-in"):
            out.extend(items)
        else:
            out.append(Hunk(op, "".join(h.text for h in items)))
    return out
