"""The data that flows between the pipeline's stages.

``fetch`` produces a :class:`Capture`; ``normalise`` turns it into a
:class:`Document`; ``sections`` turns that into an :class:`Outline`. All are
plain, immutable values so that every stage can be a pure function.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "item", "row", "pre"]

# Chinese and Japanese are written without spaces between words: each ideograph or
# kana counts as one word, as word processors count them, and is a diff's unit, so that
# "三年" → "五年" is one character changed, not a clause replaced.
CJK = (
    "\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003134f"
)
WORD_PATTERN = rf"[{CJK}]|[^\W{CJK}]+"
"""A word: one ideograph or kana, or a run of other letters and digits."""
_CJK_LEADS = (b"\xe3", b"\xe4", b"\xe5", b"\xe6", b"\xe7", b"\xe8", b"\xe9", b"\xef", b"\xf0")
# Possessive: a word never gives characters back, which makes counting a third faster.
_WORD = re.compile(r"\w++(?:[-'’.]\w++)*+", re.UNICODE)


def has_ideographs(text: str) -> bool:
    """Whether ``text`` holds Chinese or Japanese (:data:`CJK`): words, tokens and
    counts then take the slower path that knows them."""
    if text.isascii():
        return False
    # UTF-8 opens every such character with one of these bytes: looking for them in the
    # encoded text is eight times as fast as searching the text, and most pages have none.
    encoded = text.encode("utf-8", "surrogatepass")
    return any(lead in encoded for lead in _CJK_LEADS) and _cjk().search(text) is not None


@lru_cache(maxsize=1)
def _cjk() -> re.Pattern[str]:
    # Compiled on first use: a class that reaches into the astral planes takes 1.5 ms to
    # compile, which every process would pay at start-up, most of them for nothing.
    return re.compile(f"[{CJK}]")


def count_words(text: str, ideographs_per_word: int = 1) -> int:
    """Number of words in ``text``: runs of letters and digits (hyphenated words count
    once), and each ideograph or kana (:data:`CJK`), or each ``ideographs_per_word`` of
    them (2 to weigh a line's length as a reader does: Chinese and Japanese words are
    about two characters long)."""
    if has_ideographs(text):
        rest, ideographs = _cjk().subn(" ", text)
        return ideographs // ideographs_per_word + _count_spaced(rest)
    return _count_spaced(text)


def _count_spaced(text: str) -> int:
    """:func:`count_words` of a text without ideographs or kana."""
    # A word never spans whitespace, and a token of letters and digits alone is one
    # word (``\w`` is exactly ``str.isalnum`` plus "_"), so the regex only sees the
    # tokens with punctuation in them: counting a page is twice as fast.
    tokens = text.split()
    other = [token for token in tokens if not token.isalnum()]
    return len(tokens) - len(other) + sum(map(_words_in_token, other))


@lru_cache(maxsize=16384)
def _words_in_token(token: str) -> int:
    # Cached: the same punctuated tokens ("data," "(a)") recur all over a policy.
    return len(_WORD.findall(token))


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a document's text.

    ``level`` is the heading level (1-6) for headings and the nesting depth
    (0 = top) for list items; 0 otherwise. ``bold`` marks a paragraph whose
    whole text is bold, which readers take for a heading.
    """

    kind: BlockKind
    text: str
    level: int = 0
    bold: bool = False

    def __reduce__(self) -> tuple[type[Block], tuple[BlockKind, str, int, bool]]:
        # Analyses cross process boundaries by pickle; the default for frozen slotted
        # dataclasses looks up every field per object and is three times slower.
        return (Block, (self.kind, self.text, self.level, self.bold))


@dataclass(frozen=True)
class Document:
    """A normalised document: a title and its blocks in reading order.

    ``scripted`` marks an HTML page with next to no text that loads scripts: its
    text is most likely built by JavaScript in the reader's browser (a single-page
    app, an embedded policy widget), which watcher does not run. ``frames`` are the
    addresses of the pages such a page shows in frames (an embedded policy).
    ``unmatched`` are the source's ``select`` selectors when none of them matched
    anything on the page.
    """

    title: str
    blocks: tuple[Block, ...]
    scripted: bool = False
    frames: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()

    @cached_property
    def words(self) -> int:
        """Number of words in all blocks."""
        # One call: a word never spans the line break between two blocks.
        return count_words("\n".join(b.text for b in self.blocks))


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a document's outline.

    ``heading`` is the heading as written, ``number`` its numbering
    (``"4"``, ``"2.3"``, ``"Article 4"``, ``"(a)"``, ``"IV"`` or ``""``) and
    ``title`` the heading without its numbering. ``body`` holds the section's
    own blocks in canonical form (sub-sections excluded). The preamble, the
    text before the first heading, is a section of level 0 with an empty
    heading.
    """

    level: int
    number: str
    title: str
    heading: str
    body: tuple[str, ...]

    def __reduce__(self) -> tuple[type[Section], tuple[int, str, str, str, tuple[str, ...]]]:
        # As Block.__reduce__: analyses are pickled to and from worker processes.
        return (Section, (self.level, self.number, self.title, self.heading, self.body))

    @property
    def words(self) -> int:
        """Number of words in the section's own body."""
        return count_words("\n".join(self.body))

    @property
    def text(self) -> str:
        """The section's body as one string, blocks separated by blank lines."""
        return "\n\n".join(self.body)


@dataclass(frozen=True, slots=True)
class Outline:
    """A document's sections in document order (pre-order of the tree)."""

    title: str
    sections: tuple[Section, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with every section's body."""
        return {
            "title": self.title,
            "sections": [{**_head(s), "body": list(s.body)} for s in self.sections],
        }

    def skeleton(self) -> dict[str, Any]:
        """The outline without its text: the form stored with a version, whose
        canonical text holds the bodies (see :meth:`from_skeleton`)."""
        return {
            "title": self.title,
            "sections": [{**_head(s), "blocks": len(s.body)} for s in self.sections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outline:
        """The inverse of :meth:`to_dict`."""
        sections = tuple(_section(s, tuple(s["body"])) for s in data.get("sections", []))
        return cls(title=str(data.get("title", "")), sections=sections)

    @classmethod
    def from_skeleton(cls, data: dict[str, Any], blocks: Sequence[str]) -> Outline:
        """Rebuild an outline from :meth:`skeleton` and the document's canonical
        block lines (``normalise.split_blocks`` of its canonical text)."""
        if data.get("sections") and "body" in data["sections"][0]:
            return cls.from_dict(data)
        sections = []
        at = 0
        for s in data.get("sections", []):
            at += 1 if s["heading"] else 0
            count = int(s["blocks"])
            sections.append(_section(s, tuple(blocks[at : at + count])))
            at += count
        return cls(title=str(data.get("title", "")), sections=tuple(sections))

    def tree(self) -> list[SectionNode]:
        """The sections nested by level: each node holds its sub-sections."""
        roots: list[SectionNode] = []
        stack: list[SectionNode] = []
        for section in self.sections:
            node = SectionNode(section)
            while stack and stack[-1].section.level >= section.level:
                stack.pop()
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        return roots


def _head(section: Section) -> dict[str, Any]:
    return {
        "level": section.level,
        "number": section.number,
        "title": section.title,
        "heading": section.heading,
    }


def _section(data: dict[str, Any], body: tuple[str, ...]) -> Section:
    return Section(
        int(data["level"]), str(data["number"]), str(data["title"]), str(data["heading"]), body
    )


@dataclass(slots=True)
class SectionNode:
    """A section with its sub-sections, as returned by :meth:`Outline.tree`."""

    section: Section
    children: list[SectionNode] = field(default_factory=list)


Origin = Literal["network", "import"]


@dataclass(frozen=True, slots=True)
class Capture:
    """Raw bytes of one capture of a page, from the network or from a file."""

    body: bytes
    captured_at: datetime
    url: str = ""
    final_url: str = ""
    content_type: str = ""
    http_status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[str, ...] = ()
    origin: Origin = "network"
    filename: str | None = None


# ---------------------------------------------------------------- fetching

FetchOutcome = Literal["ok", "not_modified", "failed"]


@dataclass(frozen=True, slots=True)
class Validators:
    """Validators from the last successful fetch, for conditional requests."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP attempt (redirects included) of a fetch.

    ``url`` is the URL requested, ``bytes`` the number of decoded body bytes
    received and ``error`` a short human message, None when the attempt
    produced a usable answer (2xx or 304).
    """

    url: str
    started_at: datetime
    duration_ms: int
    http_status: int | None
    bytes: int
    error: str | None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The result of fetching one source, after retries.

    ``capture`` is set when ``outcome`` is ``"ok"``; ``error`` (the last
    attempt's error) when it is ``"failed"``. ``"not_modified"`` means the
    server answered 304 to a conditional request: the content is unchanged.
    """

    source_id: str
    url: str
    outcome: FetchOutcome
    capture: Capture | None
    attempts: tuple[Attempt, ...]
    error: str | None = None
