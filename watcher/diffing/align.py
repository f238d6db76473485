"""Which section of the old outline became which section of the new one.

Sections are matched in rounds, each on what is left by the previous one:
same title (numbering stripped, case and punctuation ignored) and same body;
same title; then a score of title and body similarity, best pairs first,
preferring pairs that keep the order of the sections already matched.
Matched sections that left the longest order-keeping chain (weighted by
size, so that the small section of a swapped pair is the one that moved)
are ``moved``. Renumbering plays no part: numbers are never compared.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Section
from .words import longest_increasing, word_pairs, words_of

log = logging.getLogger(__name__)

SHORT_BODY = 5
"""Bodies with fewer words than this are matched on their titles only."""
COMMON_SHINGLE = 40
"""Body shingles found in more sections than this are ignored when looking for candidates."""


@dataclass(frozen=True, slots=True)
class Pair:
    """A matched pair of sections, a removed one (no ``new``) or an added one (no ``old``)."""

    old: int | None
    new: int | None
    moved: bool = False


def title_key(title: str) -> str:
    """A title as compared: NFKC, case-folded, words only."""
    return " ".join(words_of(unicodedata.normalize("NFKC", title).casefold()))


def title_similarity(a: str, b: str) -> float:
    """Similarity of two title keys, 0..1 (word-level ratio)."""
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def align(old: Sequence[Section], new: Sequence[Section]) -> list[Pair]:
    """Match the sections of two outlines; every section appears in exactly one pair."""
    matches: dict[int, int] = {}
    old_keys = [title_key(s.title) for s in old]
    new_keys = [title_key(s.title) for s in new]
    _match_groups(
        [(k, s.body) for k, s in zip(old_keys, old, strict=True)],
        [(k, s.body) for k, s in zip(new_keys, new, strict=True)],
        matches,
    )
    _match_groups(old_keys, new_keys, matches, only_equal_counts=True)
    _match_similar(old, new, old_keys, new_keys, matches)
    moved = _moved(old, matches)
    pairs = [Pair(i, j, i in moved) for i, j in matches.items()]
    pairs += [Pair(i, None) for i in range(len(old)) if i not in matches]
    matched_new = set(matches.values())
    pairs += [Pair(None, j) for j in range(len(new)) if j not in matched_new]
    return pairs


def _match_groups(
    old_keys: Sequence[object],
    new_keys: Sequence[object],
    matches: dict[int, int],
    only_equal_counts: bool = False,
) -> None:
    """Pair unmatched sections with equal keys, in document order."""
    taken = set(matches.values())
    olds: dict[object, list[int]] = defaultdict(list)
    news: dict[object, list[int]] = defaultdict(list)
    for i, key in enumerate(old_keys):
        if i not in matches:
            olds[key].append(i)
    for j, key in enumerate(new_keys):
        if j not in taken:
            news[key].append(j)
    for key, old_list in olds.items():
        new_list = news.get(key, [])
        if only_equal_counts and len(old_list) != len(new_list):
            continue
        for i, j in zip(old_list, new_list, strict=False):
            matches[i] = j


def _match_similar(
    old: Sequence[Section],
    new: Sequence[Section],
    old_keys: Sequence[str],
    new_keys: Sequence[str],
    matches: dict[int, int],
) -> None:
    """Pair what is left by title and body similarity, best pairs first."""
    free_old = [i for i in range(len(old)) if i not in matches]
    taken = set(matches.values())
    free_new = [j for j in range(len(new)) if j not in taken]
    if not free_old or not free_new:
        return
    shingles_old = {i: word_pairs(old[i].text) for i in free_old}
    shingles_new = {j: word_pairs(new[j].text) for j in free_new}
    shared = _shared_shingles(shingles_old, shingles_new)
    candidates = _candidates(free_old, free_new, old_keys, new_keys, shared)
    anchors = sorted(matches.items())
    words_old = {i: old[i].words for i in free_old}
    words_new = {j: new[j].words for j in free_new}
    scored = []
    for i, j in candidates:
        title = title_similarity(old_keys[i], new_keys[j])
        common = shared.get((i, j), 0)
        union = len(shingles_old[i]) + len(shingles_new[j]) - common
        body = common / union if union else 1.0
        score = _score(words_old[i], words_new[j], title, body)
        if score is not None:
            in_order = _keeps_order(anchors, i, j)
            scored.append((score + (0.05 if in_order else 0.0), i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_new: set[int] = set()
    for _, i, j in scored:
        if i not in matches and j not in used_new:
            matches[i] = j
            used_new.add(j)


def _shared_shingles(
    old: dict[int, frozenset[int]], new: dict[int, frozenset[int]]
) -> dict[tuple[int, int], int]:
    """How many body shingles each (old, new) pair shares, through an inverted index."""
    index: dict[int, list[int]] = defaultdict(list)
    for i, shingles in old.items():
        for s in shingles:
            index[s].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for j, shingles in new.items():
        for s in shingles:
            postings = index.get(s)
            if postings and len(postings) <= COMMON_SHINGLE:
                for i in postings:
                    shared[(i, j)] += 1
    return dict(shared)


def _candidates(
    free_old: Sequence[int],
    free_new: Sequence[int],
    old_keys: Sequence[str],
    new_keys: Sequence[str],
    shared: dict[tuple[int, int], int],
) -> set[tuple[int, int]]:
    """Pairs worth scoring: all of them when few, else those sharing body or title words."""
    if len(free_old) * len(free_new) <= 2500:
        return {(i, j) for i in free_old for j in free_new}
    pairs = set(shared)
    by_word: dict[str, list[int]] = defaultdict(list)
    for i in free_old:
        for word in set(old_keys[i].split()):
            by_word[word].append(i)
    for j in free_new:
        for word in set(new_keys[j].split()):
            postings = by_word.get(word, [])
            if len(postings) <= COMMON_SHINGLE:
                pairs.update((i, j) for i in postings)
    return pairs


def _score(old_words: int, new_words: int, title: float, body: float) -> float | None:
    """How well two sections (with bodies of so many words) match; None: they do not."""
    if old_words < SHORT_BODY and new_words < SHORT_BODY:
        return title if title >= 0.5 else None
    if old_words < SHORT_BODY or new_words < SHORT_BODY:
        return 0.5 * title if title >= 0.8 else None
    if body >= 0.5 or (title >= 0.5 and body >= 0.2):
        return 0.7 * body + 0.3 * title
    return None


def _keeps_order(anchors: Sequence[tuple[int, int]], i: int, j: int) -> bool:
    """Whether matching old ``i`` to new ``j`` crosses none of the matched pairs around it."""
    k = bisect.bisect_left(anchors, (i, -1))
    before = anchors[k - 1][1] if k > 0 else -1
    after = anchors[k][1] if k < len(anchors) else 1 << 60
    return before < j < after


def _moved(old: Sequence[Section], matches: dict[int, int]) -> set[int]:
    """Old indices of matched sections outside the heaviest order-keeping chain."""
    pairs = sorted(matches.items())
    weights = [sum(map(len, old[i].body)) + 1 for i, _ in pairs]
    keep = {i for i, _ in longest_increasing(pairs, weights)}
    return {i for i, _ in pairs if i not in keep}
