"""Policies published as PDF (watcher.pdf): lines re-joined, page furniture left out."""

from __future__ import annotations

import io

import pytest

from watcher.errors import InputError
from watcher.model import Block
from watcher.normalise import canonical, detect_format, parse
from watcher.pdf import blocks_of_pages
from watcher.sections import outline

from .conftest import make_pdf

WRAPPED = [
    "1. Information we collect",
    "We collect the data you give us when you create an account with us, and the data",
    "your device sends when you use the service, and we keep it only as long as we need",
    "to. We keep billing infor-",
    "2. How we use it",
]
# A three-page policy as a word processor exports it: a running header and footer
# on every page, numbered headings, wrapped paragraphs, bullets, a hyphenated word.
POLICY = [
    [
        "ACME PRIVACY POLICY",
        "Last updated: 3 March 2026",
        "1. Information we collect",
        "We collect the data you give us when you create an account with us, and the data",
        "your device sends when you use the service, and we keep it only as long as we need",
        "to. We collect contact details for support requests and billing infor-",
        "mation for payments.",
        "Acme Inc. - Confidential",
        "Page 1 of 3",
    ],
    [
        "ACME PRIVACY POLICY",
        "2. How we use it",
        "We use it to run the service and to send you notices about changes to these terms",
        "and to your account, and for nothing else at all.",
        "\u2022 To send you receipts for what you buy",
        "\u2022 To answer your questions when you write to us",
        "Acme Inc. - Confidential",
        "Page 2 of 3",
    ],
    [
        "ACME PRIVACY POLICY",
        "3. Contact us",
        "Write to privacy@acme.example or to Acme Inc., 1 Main Street, Springfield, with",
        "any question about this policy or about the data we hold about you.",
        "Acme Inc. - Confidential",
        "Page 3 of 3",
    ],
]


def test_a_policy_pdf_reads_as_paragraphs_items_and_numbered_sections() -> None:
    doc = parse(make_pdf(POLICY), "application/pdf")
    text = canonical(doc)
    assert text.startswith("ACME PRIVACY POLICY\n\nLast updated: 3 March 2026\n\n")
    assert "billing information for payments." in text  # hyphenated across lines
    assert "we need to. We collect" in text  # a wrapped paragraph is one block
    assert "- To send you receipts for what you buy\n- To answer" in text
    for furniture in ("Page 1 of 3", "Page 2", "Confidential"):
        assert furniture not in text
    assert text.count("ACME PRIVACY POLICY") == 1
    titles = [section.title for section in outline(doc).sections if section.title]
    assert titles == ["Information we collect", "How we use it", "Contact us"]


def test_a_pdf_is_known_by_its_signature_its_name_or_its_content_type() -> None:
    body = make_pdf(POLICY)
    assert detect_format(body) == "pdf"
    assert detect_format(body, filename="0001_20260101T000000.pdf") == "pdf"
    assert detect_format(b"garbled", "application/pdf") == "pdf"
    assert detect_format(b"\r\n" * 20 + body) == "pdf"  # bytes before the signature
    mention = b"<!doctype html><p>Files start with %PDF-1.7 and end with %%EOF.</p>"
    assert detect_format(mention) == "html"
    assert detect_format(b"<html><body><p>Moved</p></body></html>", "application/pdf") == "html"


def printed(when: str) -> list[list[str]]:
    """POLICY as a browser prints a page: the time of printing and the page's title
    above, its address and the page number below, on every page."""
    return [
        [f"{when} Acme Privacy Policy", *lines, f"https://acme.example/privacy {n}/3"]
        for n, lines in enumerate(POLICY, 1)
    ]


def test_a_new_export_of_the_same_text_reads_the_same() -> None:
    """Every export draws a new file identifier, and a printed page carries the time it
    was printed: the bytes change, the text does not."""
    first, again = make_pdf(POLICY, "1" * 32), make_pdf(POLICY, "2" * 32)
    assert first != again
    text = canonical(parse(first))
    assert canonical(parse(again)) == text
    morning = canonical(parse(make_pdf(printed("3/3/26, 9:15 AM"))))
    evening = canonical(parse(make_pdf(printed("3/4/26, 6:40 PM"))))
    assert morning == evening and "acme.example/privacy" not in morning
    assert morning == text


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (
            [WRAPPED],
            [
                Block("paragraph", "1. Information we collect"),
                Block("paragraph", " ".join(WRAPPED[1:4])),
                Block("paragraph", "2. How we use it"),
            ],
        ),
        (
            [["Total: 12", "- first point", "continued here on the next line", "(a) a clause"]],
            [
                Block("paragraph", "Total: 12"),
                Block("item", "first point continued here on the next line"),
                Block("paragraph", "(a) a clause"),
            ],
        ),
        ([["Terms", "3"], ["More terms", "- 4 -"]], [Block("paragraph", "Terms More terms")]),
        (
            [["Retention", "Account data", "30", "days after you close the account.", "End"]],
            [
                Block("paragraph", "Retention"),
                Block("paragraph", "Account data 30"),
                Block("paragraph", "days after you close the account. End"),
            ],
        ),
        ([[], [""]], []),
        ([["Last modi\ufb01ed", "e\ufb00ective"]], [Block("paragraph", "Last modified effective")]),
    ],
    ids=[
        "numbered-lines-start-blocks",
        "bullets-and-clauses",
        "page-numbers-dropped",
        "a-number-inside-the-page-kept",
        "empty",
        "ligatures-spelled-out",
    ],
)
def test_blocks_of_pages(pages: list[list[str]], expected: list[Block]) -> None:
    assert blocks_of_pages(["\n".join(lines) for lines in pages]) == expected


def test_an_unreadable_or_locked_pdf_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"^policy\.pdf: cannot read PDF \("):
        parse(b"%PDF-1.4\n1 0 obj<< /Type /Catalog", name="policy.pdf")
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(POLICY))))
    writer.encrypt("secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(InputError, match=r"^locked\.pdf: encrypted PDF"):
        parse(locked.getvalue(), name="locked.pdf")
