"""Outlines: the headings a reader sees, their numbers and levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.model import Block, Document
from watcher.normalise import parse, parse_markdown
from watcher.sections import outline, split_number

from .conftest import SEEDS, needs_seeds

PAGES = Path(__file__).parent / "fixtures" / "pages"


def headings(doc: Document) -> list[tuple[int, str, str]]:
    return [(s.level, s.number, s.title) for s in outline(doc).sections if s.level > 0]


def seed_outline(name: str) -> list[tuple[int, str, str]]:
    path = SEEDS / name
    return headings(parse(path.read_bytes(), filename=path.name))


# What a reader of each seed sees as its headings (level, number, title).
SEED_HEADINGS = {
    "000_ce146e9cdf94ff52.txt": [
        (1, "", "ManagedCONNECT Privacy Policy"),
        (1, "", "About Us"),
        (1, "", "What personal data do we collect?"),
        (2, "1", "Account login"),
        (2, "2", "Personal Data Settings"),
        (2, "3", "Customer Service"),
        (2, "4", "Others"),
        (1, "", "For what purpose do we collect or use your personal data?"),
        (1, "", "Exceptions to Informed Consent"),
        (1, "", "Who will we share this data with?"),
        (1, "", "Where will we send your data?"),
        (1, "", "Where we store your data?"),
        (1, "", "How long do we store your data?"),
        (1, "", "How do we protect your data?"),
        (1, "", "What rights do you have in relation to your data?"),
        (1, "", "Links on our Website"),
        (1, "", "Contact Us"),
    ],
    "001_0e4b31195985409b.txt": [
        (1, "", "Privacy Policy"),
        (1, "", "Questions and Data Protection Officer Contact"),
        (1, "", "Information Collection"),
        (1, "", "A Special Note Regarding Our Customer's Content"),
        (1, "", "Systems Used to Process Data"),
        (1, "", "Information Usage/Processing"),
        (1, "", "Information Sharing"),
        (1, "", "Marketing Choices"),
        (1, "", "Your Rights"),
        (1, "", "EEA"),
        (1, "", "EEA Standard Contractual Clauses"),
        (1, "", "Disclosures and Exchange of Information and Transfers Outside the EEA"),
        (1, "", "Notice to California Residents"),
        (1, "", "California Online Privacy Protection Act"),
        (1, "", "The California Consumer Privacy Act (CCPA) of 2018 (Effective January 1, 2020)"),
        (1, "", "Children's Privacy"),
        (1, "", "China Cybersecurity Law"),
        (1, "", "Security"),
        (1, "", "Data Transfer"),
        (1, "", "Cookies"),
        (1, "", "Information Retention"),
        (1, "", "Notification of Changes"),
    ],
    "002_925f0d373b4d26a6.txt": [
        (1, "1", "Introduction"),
        (1, "2", "Why do we collect your information?"),
        (1, "3", "What data do we collect?"),
        (1, "4", "How do we collect your data?"),
        (1, "5", "How will we use your data?"),
        (1, "6", "How will we share your data?"),
        (1, "7", "How do we store your data?"),
        (1, "8", "Marketing"),
        (1, "9", "What are your data protection rights?"),
        (2, "", "Cookies"),
        (3, "9.1.1", "How do we use cookies?"),
        (3, "9.1.2", "What types of cookies do we use?"),
        (3, "9.1.3", "How to manage cookies"),
        (1, "10", "Changes to our privacy policy"),
        (1, "11", "How to contact us"),
        (1, "12", "How to contact the appropriate authority"),
        (1, "13", "Data Privacy Complaints"),
        (1, "14", "Version Control"),
    ],
    "003_db64e71d00dc8e67.txt": [
        (1, "", "Privacy Policy"),
        (1, "", "Privacy policy"),
        (1, "", "Personal information"),
        (1, "", "Personal information collection"),
        (1, "", "Disclosure of using the personal information"),
        (1, "", "Principle of non-disclosure of personal information to third parties"),
        (1, "", "About disclose/revise/delete personal information"),
        (1, "", "Compliance with law"),
        (1, "", "Updates of the Privacy policy"),
    ],
    "004_493c10314a0cead7.txt": [
        (1, "", "Purpose"),
        (1, "", "Scope"),
        (1, "1", "Collection of Personal Data"),
        (1, "2", "Use of Personal Data"),
        (1, "3", "Sharing of Personal Data"),
        (1, "4", "Cookies"),
        (2, "", "What Are Cookies?"),
        (2, "", "How do we use cookies?"),
        (2, "", "What types of cookies do we use?"),
        (2, "", "How to manage your cookies"),
        (1, "5", "Data Subject Rights"),
        (1, "6", "Data Security"),
        (1, "7", "Data Retention"),
        (1, "8", "Children’s Data"),
        (1, "9", "Notice to California Residents"),
        (1, "10", "Links to Third-Party Websites"),
        (1, "11", "Other Issues"),
        (2, "", "What is the legal basis of processing?"),
        (2, "", "What are the consequences of not providing Personal Data?"),
        (2, "", "Do we engage in automated decision-making without human intervention?"),
        (1, "12", "How Long Do We Retain Personal Data?"),
        (1, "13", "Changes to Our Notice"),
        (1, "14", "Contact Us"),
    ],
}


@needs_seeds
@pytest.mark.parametrize("name", sorted(SEED_HEADINGS), ids=lambda n: n[:3])
def test_seed_headings_are_the_ones_a_reader_sees(name: str) -> None:
    assert seed_outline(name) == SEED_HEADINGS[name]


@needs_seeds
def test_seed_lists_dates_and_contents_are_not_headings() -> None:
    titles = {t for name in SEED_HEADINGS for _, _, t in seed_outline(name)}
    for not_heading in (
        "28th February 2021",
        "Your first and last name;",
        "Last updated: 12/01/23",
        "Topics addressed",
        "Marketing",
        "By e-mail: emea@chinacache.com",
        "Customer agrees to disclose",
        "Basic Data, Device Data",
    ):
        assert not_heading not in titles or not_heading == "Marketing"
    # The table of contents of seed 004 lists "4. Marketing"; the body has no such section.
    assert (1, "4", "Marketing") not in seed_outline("004_493c10314a0cead7.txt")


def test_html_outline_with_numbers_and_levels() -> None:
    doc = parse((PAGES / "acme_v1.html").read_bytes(), filename="acme_v1.html")
    assert headings(doc) == [
        (1, "", "Acme Widgets Privacy Notice"),
        (2, "1", "Who we are"),
        (2, "2", "Data we collect"),
        (2, "3", "How we use data"),
        (3, "3.1", "Marketing"),
        (2, "4", "Sharing"),
        (2, "5", "Retention"),
        (2, "6", "Contact us"),
    ]


def test_section_bodies_and_word_counts() -> None:
    doc = parse((PAGES / "acme_v1.html").read_bytes(), filename="acme_v1.html")
    sharing = next(s for s in outline(doc).sections if s.title == "Sharing")
    assert sharing.heading == "4. Sharing"
    assert sharing.body[0].startswith("We share data with delivery companies")
    assert sharing.body[1:] == (
        "| Recipient | Purpose |",
        "| Couriers | Delivering your order |",
        "| Payment providers | Taking payment |",
    )
    assert sharing.words == 30


def test_preamble_is_a_level_zero_section() -> None:
    doc = parse((PAGES / "plain_policy.txt").read_bytes(), filename="plain_policy.txt")
    first = outline(doc).sections[0]
    assert (first.level, first.heading) == (0, "")
    assert "Bluebird Networks Limited" in first.text


@pytest.mark.parametrize(
    ("heading", "number", "title"),
    [
        ("1. Introduction.", "1", "Introduction"),
        ("2.3 Sharing", "2.3", "Sharing"),
        ("9.1.1 How do we use cookies?", "9.1.1", "How do we use cookies?"),
        ("Article 4 – Transfers", "Article 4", "Transfers"),
        ("Section 12: Arbitration", "Section 12", "Arbitration"),
        ("(a) Children", "(a)", "Children"),
        ("IV. Your rights", "IV", "Your rights"),
        ("B) Scope", "B", "Scope"),
        ("Cookies", "", "Cookies"),
        ("1.我们如何收集信息", "1", "我们如何收集信息"),
        ("3.1数据共享", "3.1", "数据共享"),
        ("2、共享", "2", "共享"),
        ("三、我们如何共享", "三", "我们如何共享"),
        ("（二）委托处理", "（二）", "委托处理"),
        ("第十二条 附则", "第十二条", "附则"),
        ("2025年3月1日起生效", "", "2025年3月1日起生效"),
    ],
    ids=[
        "decimal",
        "two-level",
        "three-level",
        "article",
        "section",
        "paren-letter",
        "roman",
        "alpha",
        "unnumbered",
        "chinese-decimal-no-space",
        "chinese-two-level-no-dot",
        "chinese-enumeration-comma",
        "chinese-numeral",
        "chinese-bracketed-numeral",
        "chinese-article",
        "chinese-year-is-no-number",
    ],
)
def test_split_number(heading: str, number: str, title: str) -> None:
    assert split_number(heading) == (number, title)


def test_bold_lines_are_headings_when_they_lead_text() -> None:
    body = "This paragraph is long enough to be body text that a heading introduces here."
    doc = Document(
        "t",
        (
            Block("paragraph", "Your choices", bold=True),
            Block("paragraph", body),
            Block("paragraph", "Emphasis inside a paragraph.", bold=True),
        ),
    )
    assert headings(doc) == [(1, "", "Your choices")]


BODY = "This paragraph is long enough to be body text that a heading introduces here."


@pytest.mark.parametrize(
    "date_line",
    [
        Block("paragraph", "Last Updated: November 13th 2025", bold=True),
        Block("heading", "Effective date: February 5, 2026", level=2),
        Block("heading", "Dernière mise à jour : 1er avril 2025", level=3),
    ],
    ids=["bold", "h2", "h3-french"],
)
def test_a_date_line_set_as_a_heading_is_not_a_section(date_line: Block) -> None:
    doc = Document(
        "t",
        (
            Block("heading", "Privacy Policy", level=1),
            date_line,
            Block("paragraph", BODY),
            Block("heading", "Data we collect", level=2),
            Block("paragraph", BODY),
        ),
    )
    assert headings(doc) == [(1, "", "Privacy Policy"), (2, "", "Data we collect")]
    title = next(s for s in outline(doc).sections if s.title == "Privacy Policy")
    assert date_line.text in title.body[0]


def test_the_dated_entries_of_a_change_log_stay_headings() -> None:
    doc = Document(
        "t",
        (
            Block("heading", "Policy updates", level=1),
            Block("heading", "Updated March 12, 2026", level=2),
            Block("paragraph", BODY),
            Block("heading", "Updated 4 January 2026", level=2),
            Block("paragraph", BODY),
        ),
    )
    assert [title for _, _, title in headings(doc)] == [
        "Policy updates",
        "Updated March 12, 2026",
        "Updated 4 January 2026",
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Last updated: 24 August 2026", "Effective date: 31 August 2026"),
        ("2019年4月1日制定", "2024年4月1日改定"),
        ("공고일자: 2024년 3월 25일", "시행일자: 2024년 4월 1일"),
    ],
    ids=["english", "japanese-date-first", "korean"],
)
def test_dates_standing_together_are_not_sections(first: str, second: str) -> None:
    # "Last updated" over "Effective": the document's two dates, not two sections.
    doc = Document(
        "t",
        (
            Block("heading", "Privacy Policy", level=1),
            Block("paragraph", first, bold=True),
            Block("paragraph", second, bold=True),
            Block("paragraph", BODY),
            Block("paragraph", "1. Data we collect", bold=True),
            Block("paragraph", BODY),
        ),
    )
    assert headings(doc) == [(1, "", "Privacy Policy"), (2, "1", "Data we collect")]


def test_numbered_clauses_under_numbered_titles_keep_their_titles() -> None:
    # "5." over "5.1 …", "5.2 …" is a titled clause, not the start of a list of numbers.
    clause = "{} We review how we protect your data at least once a year, and we tell you."
    doc = Document(
        "t",
        (
            Block("paragraph", "4. How we store data", bold=True),
            Block("paragraph", BODY),
            Block("paragraph", "5. How we protect your data", bold=True),
            *(Block("paragraph", clause.format(n)) for n in ("5.1", "5.2", "5.3")),
            Block("paragraph", "6. Your rights", bold=True),
            Block("paragraph", BODY),
        ),
    )
    assert [(n, t) for _, n, t in headings(doc)] == [
        ("4", "How we store data"),
        ("5", "How we protect your data"),
        ("6", "Your rights"),
    ]


def test_chinese_headings_numbered_and_bold() -> None:
    body = "我们会按照法律法规的要求保存你的个人信息，并在保存期限届满后删除或匿名化处理。"
    doc = Document(
        "隐私政策",
        (
            Block("heading", "隐私政策", level=1),
            Block("paragraph", "更新日期：2026年1月15日", bold=True),
            Block("paragraph", "生效日期：2026年1月22日", bold=True),
            *(Block("paragraph", f"{n}.{t}", bold=True) for n, t in enumerate("收集使用存储")),
            Block("paragraph", "1. 我们如何收集信息", bold=True),
            Block("paragraph", "1.1 注册账号", bold=True),
            Block("paragraph", body),
            Block("paragraph", "请你特别注意，我们不会向第三方出售你的个人信息。", bold=True),
            Block("paragraph", body),
            Block("paragraph", "2. 我们如何存储信息", bold=True),
            Block("paragraph", "（一）存储期限", bold=True),
            Block("paragraph", body),
        ),
    )
    assert headings(doc) == [
        (1, "", "隐私政策"),
        (2, "1", "我们如何收集信息"),
        (3, "1.1", "注册账号"),
        (2, "2", "我们如何存储信息"),
        (3, "（一）", "存储期限"),
    ]


def test_numbered_lists_and_tables_of_contents_are_not_headings() -> None:
    md = "\n\n".join(
        [
            "Contents",
            "1. Scope",
            "2. Data",
            "3. Rights",
            "1. Scope",
            "These terms apply to everyone who uses the service in any way at all.",
            "2. Data",
            "We collect as little as we can and keep it for as short a time as we can.",
            "1. To run the service, including billing and support;",
            "3. Rights",
            "You can ask us for a copy of everything we hold about you, at no cost.",
        ]
    )
    doc = parse(md.encode(), "text/plain")
    assert headings(doc) == [(1, "1", "Scope"), (1, "2", "Data"), (1, "3", "Rights")]


@pytest.mark.parametrize(
    ("address", "headed"),
    [
        ("10 Harbour Square", []),
        ("10. Harbour Square", [(3, "10", "Harbour Square")]),
    ],
    ids=["street-number", "numbered-title"],
)
def test_a_street_address_is_not_a_numbered_section(
    address: str, headed: list[tuple[int, str, str]]
) -> None:
    # An address broken by <br> gives a paragraph per line; "10 Harbour Square" opens
    # with a bare number that no other heading continues, so a new address (another
    # street number) would have read as a section removed and one added.
    html = (
        "<h1>Privacy</h1><h2>Contact</h2><p>Write to us at:</p>"
        f"<p>Example Ltd<br>{address}<br>Port Town, PT1 2AB</p>"
        "<p>We answer every letter within thirty days of receiving it, by post.</p>"
    )
    assert headings(parse(html.encode(), "text/html")) == [
        (1, "", "Privacy"),
        (2, "", "Contact"),
        *headed,
    ]


def test_a_street_number_is_not_a_section_beside_numbered_terms() -> None:
    # "1 Harbour Square" comes before the terms' "1. Scope"; their "2. Data" further on
    # does not make the street number a section.
    html = (
        "<h1>Terms</h1><p>These terms are between you and:</p>"
        "<p>Example Ltd<br>1 Harbour Square<br>Port Town, PT1 2AB</p>"
        "<h2>1. Scope</h2><p>These terms apply to everyone who uses the service at all.</p>"
        "<h2>2. Data</h2><p>We collect as little as we can and keep it for a short time.</p>"
    )
    assert headings(parse(html.encode(), "text/html")) == [
        (1, "", "Terms"),
        (2, "1", "Scope"),
        (2, "2", "Data"),
    ]


def test_bare_numbers_that_run_on_are_headings() -> None:
    text = "\n\n".join(
        [
            "1 Scope",
            "These terms apply to everyone who uses the service in any way at all.",
            "2 Data",
            "We collect as little as we can and keep it for as short a time as we can.",
        ]
    )
    doc = parse(text.encode(), "text/plain")
    assert headings(doc) == [(1, "1", "Scope"), (1, "2", "Data")]


CLAUSE = "{} may use the service only as these terms allow, and must keep its account secure."


def test_contract_as_one_nested_list_has_its_clause_titles_as_headings() -> None:
    html = f"""<main><h1>Enterprise Terms</h1><ol>
      <li>I. Account Registration<ol><li>{CLAUSE.format("Customer")}</li>
        <li>{CLAUSE.format("Each user")}</li></ol></li>
      <li>II. Use of the Service</li>
      <li>{CLAUSE.format("Customer")}</li>
      <li>III. Fees<ol><li>{CLAUSE.format("Customer")}</li></ol></li>
      <li>IV. Term and Termination<ol><li>{CLAUSE.format("Either party")}</li></ol></li>
    </ol></main>"""
    doc = parse(html.encode(), "text/html")
    assert headings(doc) == [
        (1, "", "Enterprise Terms"),
        (2, "I", "Account Registration"),
        (2, "II", "Use of the Service"),  # titled like the others, though nothing is nested
        (2, "III", "Fees"),
        (2, "IV", "Term and Termination"),
    ]
    sections = outline(doc).sections
    assert sections[2].body == ("- " + CLAUSE.format("Customer"),)


def test_a_clause_title_in_capitals_counts_with_or_without_a_final_period() -> None:
    html = f"""<main><h1>Enterprise Terms</h1><ol>
      <li>ACCOUNTS<ol><li>{CLAUSE.format("Customer")}</li></ol></li>
      <li>GENERAL RESTRICTIONS.</li>
      <li>{CLAUSE.format("Customer")}</li>
      <li>Fees are due.</li>
      <li>{CLAUSE.format("Customer")}</li>
      <li>OWNERSHIP<ol><li>{CLAUSE.format("Either party")}</li></ol></li>
    </ol></main>"""
    assert headings(parse(html.encode(), "text/html")) == [
        (1, "", "Enterprise Terms"),
        (2, "", "ACCOUNTS"),
        (2, "", "GENERAL RESTRICTIONS"),
        (2, "", "OWNERSHIP"),  # "Fees are due." is a short sentence, not a title
    ]


@pytest.mark.parametrize(
    "items",
    [
        # A table of contents: the nested items are titles, not clauses.
        "<li>1. Scope<ol><li>1.1 Who we are</li><li>1.2 What this covers</li></ol></li>"
        "<li>2. Data<ol><li>2.1 What we collect</li></ol></li>",
        # Only one titled clause: a list, not the document's structure.
        f"<li>Cookies<ol><li>{CLAUSE.format('A site')}</li></ol></li><li>Pixels</li><li>Logs</li>",
        # Items ending in a colon introduce the list under them.
        f"<li>You agree that:<ol><li>{CLAUSE.format('You')}</li></ol></li>"
        f"<li>We agree that:<ol><li>{CLAUSE.format('We')}</li></ol></li>",
    ],
    ids=["table-of-contents", "single-titled-item", "lead-in-sentences"],
)
def test_nested_lists_that_are_not_clause_titles(items: str) -> None:
    html = f"<main><h1>Policy</h1><ol>{items}</ol><p>{CLAUSE.format('Anyone')}</p></main>"
    assert headings(parse(html.encode(), "text/html")) == [(1, "", "Policy")]


def test_markdown_headings() -> None:
    doc = parse_markdown(
        "# Terms\n\n## 1. Use\n\nText.\n\n### 1.1 Limits\n\nMore.\n\n## 2. Fees\n\nX."
    )
    assert headings(doc) == [
        (1, "", "Terms"),
        (2, "1", "Use"),
        (3, "1.1", "Limits"),
        (2, "2", "Fees"),
    ]


def test_outline_round_trips_through_json() -> None:
    doc = parse((PAGES / "acme_v1.html").read_bytes(), filename="acme_v1.html")
    found = outline(doc)
    from watcher.model import Outline

    assert Outline.from_dict(found.to_dict()) == found
    tree = found.tree()
    assert [n.section.title for n in tree] == ["Acme Widgets Privacy Notice"]
    assert [n.section.title for n in tree[0].children][:2] == ["Who we are", "Data we collect"]


# ---------------------------------------------------------------- tables of contents


def contents_page(intro: Block | None, entries: list[Block], sections: list[str]) -> Document:
    """A policy whose sections are listed before they start: an optional line over the
    list, its entries, then each section numbered in bold with its text."""
    head = [Block("heading", "Privacy Policy", level=1), Block("paragraph", BODY)]
    listed = ([intro] if intro else []) + entries
    body = [
        b
        for n, t in enumerate(sections, 1)
        for b in (Block("paragraph", f"{n}. {t}", bold=True), Block("paragraph", BODY))
    ]
    return Document("t", (*head, *listed, *body))


SECTIONS = ["What we collect", "How we use it", "Who we share it with"]


@pytest.mark.parametrize(
    ("intro", "entries", "sections"),
    [
        (
            Block("paragraph", "This policy will help you understand:", bold=True),
            [Block("item", f"{n}. {t}") for n, t in enumerate(SECTIONS, 1)],
            SECTIONS,
        ),
        (
            None,
            [Block("paragraph", f"{n}. {t}", bold=True) for n, t in enumerate(SECTIONS, 1)],
            SECTIONS,
        ),
        (
            None,
            [
                Block("paragraph", t, bold=True)
                for t in ("I. What do we collect", "II. How is it used")
            ],
            ["What we collect", "How it is used"],
        ),
    ],
    ids=["bold-line-over-a-list", "bold-entries", "entries-worded-otherwise"],
)
def test_a_table_of_contents_is_not_a_run_of_sections(
    intro: Block | None, entries: list[Block], sections: list[str]
) -> None:
    """The entries of a table of contents set in bold, and the bold line over them, would
    be empty sections (renamed whenever the list is) and put every real section one level
    below them: they are the preamble's text."""
    doc = contents_page(intro, entries, sections)
    assert headings(doc) == [(1, "", "Privacy Policy")] + [
        (2, str(n), t) for n, t in enumerate(sections, 1)
    ]
    assert len(outline(doc).sections[0].body) == 1 + len(entries) + (intro is not None)


def test_headings_over_headings_and_a_bold_lead_in_stay() -> None:
    """A chapter over its first clause (nothing between them) is no table of contents, nor
    is one title said twice, nor a bold line over a list of what it names."""
    doc = Document(
        "t",
        (
            Block("heading", "Privacy Policy", level=1),
            Block("paragraph", "3. Your rights", bold=True),
            Block("paragraph", "3.1 Access", bold=True),
            Block("paragraph", BODY),
            Block("paragraph", "Deletion", bold=True),
            Block("paragraph", "4. Deletion", bold=True),
            Block("paragraph", BODY),
            Block("paragraph", "What we collect:", bold=True),
            Block("item", "Your name"),
            Block("item", "Your e-mail address"),
            Block("paragraph", BODY),
        ),
    )
    titles = [t for _, _, t in headings(doc)]
    assert titles == [
        "Privacy Policy",
        "Your rights",
        "Access",
        "Deletion",
        "Deletion",
        "What we collect",
    ]
