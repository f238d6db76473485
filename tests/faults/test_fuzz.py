"""Fuzzing with Hypothesis: the HTML normaliser, the section parser and the diff.

No input makes them crash (an unreadable input is an :class:`InputError`, nothing
else); the same input always gives the same output; a document compared with itself
shows no change; and the diff of two versions, applied to the first, gives the second:
each section's hunks turn the old body into the new one exactly, and the sections come
out in the new order.

Runs are reproducible (``derandomize``, see :data:`conftest.fuzz`); set
``FAULTS_FUZZ_PROFILE=faults-deep`` for a long random run.
"""

from __future__ import annotations

import contextlib
import html
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from watcher.diff import ChangeSet, diff, new_text, old_text
from watcher.errors import InputError
from watcher.model import Block, Document, Outline, count_words
from watcher.normalise import canonical, parse, render_block
from watcher.sections import outline

from .conftest import fuzz

# ---------------------------------------------------------------- strategies

WORDS = (
    "we", "share", "your", "data", "with", "partners", "keep", "records", "for", "days",
    "members", "may", "not", "sell", "third", "parties", "delete", "on", "request", "cookies",
    "consent", "children", "location", "transfer", "1.", "2)", "§", "Article", "IV", "a.",
)  # fmt: skip
ODD = (
    "\u00a0", "\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "e\u0301", "ﬁ", "😀", "“", "”",
    "—", "&", "<", ">", "#", "- ", "* ", "|", "**", "_", "`", "\\", "\t", "\r\n", "  ",
)  # fmt: skip


def sentences(controls: bool) -> st.SearchStrategy[str]:
    """Policy-like words, odd characters and random text (with control characters or not)."""
    letters = st.characters(blacklist_categories=("Cs",) if controls else ("Cs", "Cc"))
    word = st.one_of(
        st.sampled_from(WORDS), st.sampled_from(ODD), st.text(letters, min_size=1, max_size=6)
    )
    return st.lists(word, min_size=1, max_size=12).map(" ".join)


sentence = sentences(controls=True)
INLINE = ("b", "strong", "em", "span", "a", "i", "code")
BLOCK = ("p", "div", "section", "li", "td", "blockquote", "pre", "h1", "h2", "h3", "h4")
HIDING = ("", " hidden", " style='display:none'", " class='cookie-banner'", " aria-hidden='true'")


@st.composite
def element(draw: st.DrawFn, text: st.SearchStrategy[str], depth: int = 0) -> str:
    """An HTML fragment: text, inline or block elements, lists, tables, scripts."""
    kind = draw(st.integers(0, 9 if depth < 3 else 1))
    if kind <= 1:
        return html.escape(draw(text), quote=False)
    if kind == 2:
        return "<br>"
    if kind == 3:
        return f"<script>{html.escape(draw(text))}</script>"
    inner = element(text, depth + 1)
    children = "".join(draw(st.lists(inner, max_size=3)))
    if kind == 4:
        items = "".join(f"<li>{c}</li>" for c in draw(st.lists(inner, max_size=3)))
        tag = draw(st.sampled_from(["ul", "ol"]))
        return f"<{tag}>{items}</{tag}>"
    if kind == 5:
        cells = draw(st.lists(st.lists(inner, min_size=1, max_size=3), max_size=3))
        rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)
        return f"<table>{rows}</table>"
    tag = draw(st.sampled_from(INLINE if kind <= 6 else BLOCK))
    return f"<{tag}{draw(st.sampled_from(HIDING))}>{children}</{tag}>"


def html_pages(controls: bool) -> st.SearchStrategy[str]:
    return st.lists(element(sentences(controls)), max_size=8).map(
        lambda parts: (
            f"<html><head><title>T</title></head><body><main>{''.join(parts)}</main></body></html>"
        )
    )


pages = html_pages(controls=True)
readable_pages = html_pages(controls=False)


def invisible_free(text: str) -> bool:
    return not any(c in text for c in "\u200b\u202e\u2066\ufeff\u00ad")


# ---------------------------------------------------------------- the normaliser


def read(body: bytes, content_type: str = "text/html") -> tuple[str, dict[str, object]] | str:
    """Canonical text and outline of ``body``, or the message of its InputError."""
    try:
        doc = parse(body, content_type, name="fuzz")
    except InputError as exc:
        return f"InputError: {exc}"
    return canonical(doc), outline(doc).to_dict()


@fuzz
@given(pages)
def test_normaliser_never_crashes_and_is_deterministic(page: str) -> None:
    body = page.encode("utf-8", errors="surrogatepass")
    first = read(body)
    assert read(body) == first
    if isinstance(first, str):
        return
    text = first[0]
    assert invisible_free(text)
    assert text == unicodedata.normalize("NFC", text)
    assert not text or text.endswith("\n")
    assert all(line == line.rstrip() for line in text.split("\n") if not line.startswith(" "))


@fuzz
@given(readable_pages, st.sampled_from(["cp1252", "iso-8859-1", "utf-16", "utf-8"]))
def test_encoding_never_changes_the_text(page: str, encoding: str) -> None:
    """The same page in any declared encoding (characters it lacks as references; no
    control characters: ``&#128;`` is "€" in HTML, by the standard).

    Bytes that are also valid UTF-8 are read as UTF-8 whatever the declaration (the
    common lie is the declaration), so such pages are left out."""
    encoded = page.encode(encoding, errors="xmlcharrefreplace")
    if encoding != "utf-8" and not encoded.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            encoded.decode("utf-8")
            assume(False)
    utf8 = read(page.encode("utf-8", errors="surrogatepass"))
    other = read(encoded, f"text/html; charset={encoding}")
    if isinstance(utf8, str) or isinstance(other, str):
        assert isinstance(utf8, str) == isinstance(other, str), (utf8, other)
        return
    assert other == utf8


@fuzz
@given(st.binary(max_size=3000), st.sampled_from(["", "text/html", "text/plain", "text/markdown"]))
def test_any_bytes_are_read_or_refused(body: bytes, content_type: str) -> None:
    for prefix in (b"", b"<html><body><p>"):
        result = read(prefix + body, content_type)
        assert read(prefix + body, content_type) == result


# ---------------------------------------------------------------- the section parser

block = st.builds(
    Block,
    kind=st.sampled_from(["heading", "paragraph", "item", "row", "pre"]),
    text=sentence.map(lambda s: " ".join(s.split())).filter(bool),
    level=st.integers(0, 6),
    bold=st.booleans(),
)
documents = st.builds(
    Document, title=st.one_of(st.just(""), sentence), blocks=st.lists(block, max_size=25).map(tuple)
)


@fuzz
@given(documents)
def test_sections_keep_every_block_in_order(doc: Document) -> None:
    found = outline(doc)
    assert outline(doc) == found, "the same outline every time"
    assert Outline.from_dict(found.to_dict()) == found
    rebuilt: list[str] = []
    for k, section in enumerate(found.sections):
        if k == 0 and section.level == 0:
            assert section.heading == "" and section.body, "a preamble holds text"
        else:
            assert 1 <= section.level <= 6, section
            rebuilt.append(section.heading)
        rebuilt.extend(section.body)
    assert len(rebuilt) == len(doc.blocks), "no block lost or added"
    for text, b in zip(rebuilt, doc.blocks, strict=True):
        assert text in (b.text, render_block(b)), (text, b)
    assert sum(count_words(text) for text in rebuilt) == doc.words


# ---------------------------------------------------------------- the diff

TITLES = ("Scope", "What we collect", "Sharing", "Retention", "Your rights", "Cookies",
          "Children", "Contact", "Transfers", "Changes")  # fmt: skip


@st.composite
def policy(draw: st.DrawFn) -> list[tuple[str, list[str]]]:
    titles = draw(st.lists(st.sampled_from(TITLES), unique=True, max_size=7))
    return [(t, draw(st.lists(sentence, max_size=4))) for t in titles]


@st.composite
def versions(draw: st.DrawFn) -> tuple[Outline, Outline]:
    """Two versions of a policy, the second made from the first by random edits."""
    old = draw(policy())
    new = [(t, list(body)) for t, body in old]
    for _ in range(draw(st.integers(0, 6))):
        action = draw(
            st.sampled_from(["edit", "insert", "drop", "move", "retitle", "section", "gone"])
        )
        if not new or action == "section":
            new.insert(
                draw(st.integers(0, len(new))),
                (draw(st.sampled_from(TITLES)), draw(st.lists(sentence, max_size=3))),
            )
            continue
        k = draw(st.integers(0, len(new) - 1))
        _title, body = new[k]
        if action == "gone":
            new.pop(k)
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
        elif action == "retitle":
            new[k] = (draw(st.sampled_from(TITLES)), body)
        elif action == "insert" or not body:
            body.insert(draw(st.integers(0, len(body))), draw(sentence))
        elif action == "drop":
            body.pop(draw(st.integers(0, len(body) - 1)))
        else:
            body[draw(st.integers(0, len(body) - 1))] = draw(sentence)
    return as_outline(old), as_outline(new)


def as_outline(sections: list[tuple[str, list[str]]]) -> Outline:
    """The outline watcher reads from the page made of ``sections`` (numbered headings)."""
    parts = ["<html><body><main><h1>Privacy notice</h1>"]
    for number, (title, body) in enumerate(sections, start=1):
        parts.append(f"<h2>{number}. {html.escape(title)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in body)
    parts.append("</main></body></html>")
    try:
        return outline(parse("".join(parts).encode("utf-8", errors="surrogatepass"), "text/html"))
    except InputError:
        return Outline(title="", sections=())


def body(outline_: Outline, index: int) -> str:
    return "\n\n".join(outline_.sections[index].body)


def apply(old: Outline, changes: ChangeSet) -> list[tuple[str, str, str]]:
    """``changes`` applied to ``old``: the new sections (number, title, body) in order.

    The bodies come from ``old`` and the hunks only; a hunk list that does not start
    from the old body fails the test.
    """
    rebuilt: dict[int, tuple[str, str, str]] = {}
    for change in changes.sections:
        if change.old_index is not None and change.hunks:
            assert old_text(change.hunks) == body(old, change.old_index), change
        if change.new_index is None or change.new is None:
            continue
        if change.hunks:
            text = new_text(change.hunks)
        else:
            text = body(old, change.old_index) if change.old_index is not None else ""
        rebuilt[change.new_index] = (change.new.number, change.new.title, text)
    assert sorted(rebuilt) == list(range(len(rebuilt)))
    return [rebuilt[i] for i in range(len(rebuilt))]


def sections_of(outline_: Outline) -> list[tuple[str, str, str]]:
    return [(s.number, s.title, body(outline_, k)) for k, s in enumerate(outline_.sections)]


@fuzz
@given(versions())
def test_diff_applied_to_the_old_version_gives_the_new(pair: tuple[Outline, Outline]) -> None:
    old, new = pair
    changes = diff(old, new)
    assert apply(old, changes) == sections_of(new)
    olds = sorted(c.old_index for c in changes.sections if c.old_index is not None)
    assert olds == list(range(len(old.sections))), "every old section is accounted for"
    assert diff(old, new).to_json() == changes.to_json(), "the same diff every time"
    assert changes.changed == (sections_of(old) != sections_of(new) or old.sections != new.sections)


@fuzz
@given(versions())
def test_a_version_compared_with_itself_has_no_change(pair: tuple[Outline, Outline]) -> None:
    for doc in pair:
        changes = diff(doc, doc)
        assert not changes.changed and changes.classification == "none"
        assert changes.inserted == changes.deleted == 0 and not changes.flags
        assert all(c.status == "unchanged" and not c.body_changed for c in changes.sections)
        assert apply(doc, changes) == sections_of(doc)
