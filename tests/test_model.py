"""The pipeline's data values: word counting."""

from __future__ import annotations

import pickle
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.model import CJK, Block, Document, Section, count_words

# The definition of a word, written the slow and obvious way: one ideograph or kana, or
# letters and digits (other than those) joined by hyphens, apostrophes or dots.
_LETTER = rf"(?:(?![{CJK}])\w)"
_REFERENCE_WORD = re.compile(rf"[{CJK}]|{_LETTER}+(?:[-'’.]{_LETTER}+)*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("data", 1),
        ("personal data", 2),
        ("e-mail and third-party", 3),
        ("don't, won’t", 2),
        ("Section 1.2.3 applies.", 3),
        ("(a) the controller; (b) the processor", 6),
        ("— • | /", 0),
        ("data/processing", 2),
        ("user_id", 1),
        ("naïve café ＡＢ ½", 4),
        ("--leading and trailing--", 3),
        ("保存不超过三年。", 7),
        ("苹果账户（Apple ID）登录", 8),
        ("プライバシーポリシー", 10),
        ("개인정보 처리방침", 2),
    ],
    ids=[
        "empty",
        "whitespace",
        "one-word",
        "two-words",
        "hyphenated",
        "apostrophes",
        "dotted-number",
        "list-markers",
        "punctuation-only",
        "slash-splits",
        "underscore-joins",
        "non-ascii",
        "dangling-hyphens",
        "chinese-per-character",
        "chinese-with-latin",
        "japanese-kana",
        "korean-spaced",
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert count_words(text) == expected


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
    | st.text(alphabet="ab1_-'’. \n—é²三年ポ。、", max_size=60)
)
def test_count_words_matches_the_regex_definition(text: str) -> None:
    # The fast path (whitespace tokens, str.isalnum) must count exactly what the
    # word regex finds, whatever the characters.
    assert count_words(text) == len(_REFERENCE_WORD.findall(text))


def test_document_words_sums_its_blocks() -> None:
    doc = Document("T", (Block("heading", "1. Scope"), Block("paragraph", "We keep data.")))
    assert doc.words == 5


def test_blocks_and_sections_survive_pickling() -> None:
    # Analyses travel to and from worker processes by pickle.
    block = Block("item", "Email address", level=2, bold=True)
    section = Section(2, "4.1", "Retention", "4.1 Retention", ("We keep data.", "- logs"))
    assert pickle.loads(pickle.dumps(block)) == block
    assert pickle.loads(pickle.dumps(section)) == section
