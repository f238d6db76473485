"""Paragraphs that left one place and appear in another.

A paragraph is *lost* when the paragraph alignment of its section does not
keep it (or its section was removed) and *gained* likewise in the new
version. A lost and a gained paragraph with the same text are a move, even
within one section (a reordering); so are two that are nearly the same
(word-pair overlap of at least :data:`NEAR`) in different sections, unless
the lost one's own section gained a closer match, which makes it an edit in
place.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from ..model import Section, count_words
from .align import Pair
from .words import align_units, word_pairs

log = logging.getLogger(__name__)

MIN_WORDS = 3
"""Paragraphs with fewer words never count as moved."""
NEAR_WORDS = 6
"""Paragraphs with fewer words (about) count as moved only when unchanged."""
NEAR = 0.6
"""Word-pair overlap (Jaccard) at which two paragraphs are the same one, edited."""
COMMON = 50
"""Word pairs found in more paragraphs than this are ignored when looking for candidates."""

Place = tuple[int, int]
"""``(section index in its outline, paragraph index in the section's body)``."""


@dataclass(frozen=True, slots=True)
class Move:
    """A paragraph that moved: where it was, where it is, how alike the two are (1.0 = same)."""

    old_section: int
    old_para: int
    new_section: int
    new_para: int
    similarity: float


def find_moves(old: Sequence[Section], new: Sequence[Section], pairs: Sequence[Pair]) -> list[Move]:
    """The moved paragraphs between two outlines whose sections are matched by ``pairs``."""
    lost, gained = _lost_and_gained(old, new, pairs)
    if not lost or not gained:
        return []
    partner = {p.old: p.new for p in pairs if p.old is not None}
    moves = _exact(old, new, lost, gained)
    used_old = {(m.old_section, m.old_para) for m in moves}
    used_new = {(m.new_section, m.new_para) for m in moves}
    lost = [p for p in lost if p not in used_old]
    gained = [p for p in gained if p not in used_new]
    moves += _near(old, new, lost, gained, partner)
    return sorted(moves, key=lambda m: (m.new_section, m.new_para))


def _lost_and_gained(
    old: Sequence[Section], new: Sequence[Section], pairs: Sequence[Pair]
) -> tuple[list[Place], list[Place]]:
    """Paragraphs the versions do not share in place, minus those edited in place."""
    lost: list[Place] = []
    gained: list[Place] = []
    for pair in pairs:
        if pair.new is None and pair.old is not None:
            lost += [(pair.old, k) for k in range(len(old[pair.old].body))]
        elif pair.old is None and pair.new is not None:
            gained += [(pair.new, k) for k in range(len(new[pair.new].body))]
        elif pair.old is not None and pair.new is not None:
            a, b = old[pair.old].body, new[pair.new].body
            if a == b:
                continue
            for equal, i0, i1, j0, j1 in align_units(a, b):
                if equal:
                    continue
                edited = _edited_in_place(a, b, i0, i1, j0, j1)
                lost += [(pair.old, k) for k in range(i0, i1) if k not in edited]
                gained += [(pair.new, k) for k in range(j0, j1) if k - j0 + i0 not in edited]
    return sorted(lost), sorted(gained)


def _edited_in_place(
    a: Sequence[str], b: Sequence[str], i0: int, i1: int, j0: int, j1: int
) -> set[int]:
    """Old indices of replaced paragraphs that are edits of the new ones in the same place.

    Only a replacement of as many paragraphs as it removes is paired, one
    for one and in order.
    """
    if i1 - i0 != j1 - j0:
        return set()
    edited = set()
    for i, j in zip(range(i0, i1), range(j0, j1), strict=True):
        pairs_a, pairs_b = word_pairs(a[i]), word_pairs(b[j])
        union = len(pairs_a | pairs_b)
        if not union or len(pairs_a & pairs_b) / union >= NEAR:
            edited.add(i)
    return edited


def _exact(
    old: Sequence[Section], new: Sequence[Section], lost: Sequence[Place], gained: Sequence[Place]
) -> list[Move]:
    """Lost and gained paragraphs with the same text, paired in document order."""
    by_text: dict[str, deque[Place]] = defaultdict(deque)
    for s, k in gained:
        text = new[s].body[k]
        if count_words(text) >= MIN_WORDS:
            by_text[text].append((s, k))
    moves = []
    for s, k in lost:
        places = by_text.get(old[s].body[k])
        if places:
            ns, nk = places.popleft()
            moves.append(Move(s, k, ns, nk, 1.0))
    return moves


def _near(
    old: Sequence[Section],
    new: Sequence[Section],
    lost: Sequence[Place],
    gained: Sequence[Place],
    partner: dict[int, int | None],
) -> list[Move]:
    """Nearly equal lost and gained paragraphs, best pairs first; same-section pairs are edits."""
    enough = NEAR_WORDS - 1
    lost_sh = {p: word_pairs(old[p[0]].body[p[1]]) for p in lost}
    gained_sh = {p: word_pairs(new[p[0]].body[p[1]]) for p in gained}
    index: dict[int, list[Place]] = defaultdict(list)
    for place, shingles in gained_sh.items():
        if len(shingles) >= enough:
            for s in shingles:
                index[s].append(place)
    scored = []
    for place, shingles in lost_sh.items():
        if len(shingles) < enough:
            continue
        postings = (index[s] for s in shingles if s in index)
        shared = Counter(chain.from_iterable(p for p in postings if len(p) <= COMMON))
        for g, common in shared.items():
            similarity = common / (len(shingles) + len(gained_sh[g]) - common)
            if similarity >= NEAR:
                scored.append((similarity, place, g))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    taken_old: set[Place] = set()
    taken_new: set[Place] = set()
    moves = []
    for similarity, place, g in scored:
        if place in taken_old or g in taken_new:
            continue
        taken_old.add(place)
        taken_new.add(g)
        if partner.get(place[0]) != g[0]:
            moves.append(Move(place[0], place[1], g[0], g[1], round(similarity, 3)))
    return moves
