"""Change reports: golden files per format, escaping, self-contained HTML, the JSON schema.

Regenerate the golden files after an intended change of output with
``WATCHER_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from watcher import normalise, sections
from watcher.diff import ChangeSet, Hunk, diff, diff_texts, new_text, old_text
from watcher.model import Outline
from watcher.report import (
    SCHEMA,
    ReportMeta,
    build_view,
    md_escape,
    render,
    render_html_fragment,
    safe_url,
)

from .conftest import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
FIXTURE_DIR = FIXTURES / "diff"
NAMES = ("northwind", "escaping", "harbour", "reorder", "merge")
EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html", "json": "json"}
UPDATE = os.environ.get("WATCHER_UPDATE_GOLDEN") == "1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def outlines(name: str) -> tuple[Outline, Outline]:
    old = next(FIXTURE_DIR.glob(f"{name}.old.*"))
    new = next(FIXTURE_DIR.glob(f"{name}.new.*"))

    def read(path: Path) -> Outline:
        return sections.outline(normalise.parse(path.read_bytes(), filename=path.name))

    return read(old), read(new)


def meta_for(name: str) -> ReportMeta:
    if name == "escaping":
        return ReportMeta(
            source_id="glasshouse",
            source_name='<img src=x onerror="alert(1)"> Glasshouse {{ 7*7 }}',
            url="javascript:alert(1)",
            old_label="version 1",
            new_label="version 2",
            old_captured_at="2024-01-15T08:00:00Z",
            new_captured_at="2024-02-01T08:00:00Z",
            report_url="javascript:alert(2)",
        )
    return ReportMeta(
        source_id=name,
        source_name=f"{name.title()} policy",
        url=f"https://policies.example/{name}",
        old_label="version 1",
        new_label="version 2",
        old_captured_at="2024-01-15T08:00:00Z",
        new_captured_at="2024-02-01T08:00:00Z",
        report_url=f"https://reports.example/{name}/2.html",
    )


def changes_for(name: str) -> ChangeSet:
    old, new = outlines(name)
    return diff(old, new)


def check_golden(path: Path, text: str) -> None:
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str, fmt: str) -> None:
    out = render(changes_for(name), fmt, meta_for(name))  # type: ignore[arg-type]
    check_golden(GOLDEN / f"{name}.{EXTENSIONS[fmt]}", out)


def test_golden_terminal_colours() -> None:
    out = render(changes_for("northwind"), "text", meta_for("northwind"), color=True)
    check_golden(GOLDEN / "northwind.ansi.txt", out)


def test_render_is_deterministic() -> None:
    first = render(changes_for("northwind"), "html", meta_for("northwind"))
    assert render(changes_for("northwind"), "html", meta_for("northwind")) == first


# ---------------------------------------------------------------- text and terminal


def test_text_report_shape() -> None:
    out = render(changes_for("northwind"), "text", meta_for("northwind"))
    assert "\x1b" not in out
    assert out.splitlines()[0] == "Northwind policy: 8 sections changed (substantive)"
    assert (
        "## 4 → 5 How will we share your data? "
        "(modified, substantive; +15 −0 words; flags: share, third parties)"
    ) in out
    assert "courier {+and to our payment provider +}so that" in out
    assert "[-six-]{+seven+}" in out
    assert "⇢ moved to 6 Marketing: We send our monthly newsletter" in out
    assert "## 6 → 8 How to contact us → How to reach us (renamed, editorial)" in out
    assert "Stated date changed from 04/02/24 to 18/03/24" in out
    assert "Unchanged: 1 section." in out


def test_colour_report_uses_ansi_not_markers() -> None:
    out = render(changes_for("northwind"), "text", meta_for("northwind"), color=True)
    assert "\x1b[32;4m" in out and "\x1b[31;9m" in out
    assert "{+" not in out and "[-" not in out
    plain = render(changes_for("northwind"), "text", meta_for("northwind"))
    assert ANSI.sub("", out).replace("{+", "").replace("+}", "") == ANSI.sub(
        "", plain.replace("{+", "").replace("+}", "").replace("[-", "").replace("-]", "")
    )


def test_terminal_output_neutralises_control_characters() -> None:
    changes = diff_texts("# T\n\nPlain words here.\n", "# T\n\nPlain \x1b[2J words here.\n")
    out = render(changes, "text", meta_for("x"), color=False)
    assert "\x1b" not in out


def test_renumbered_and_unchanged_sections_are_summarised() -> None:
    out = render(changes_for("reorder"), "text", meta_for("reorder"))
    assert "## 5 → 2 Reporting abuse (moved, editorial)" in out
    assert "Renumbered: 2 → 3 Prohibited content; 3 → 4 Security testing; 4 → 5 Enforcement" in out
    assert "Unchanged: 2 sections." in out


def test_no_change_report() -> None:
    old, _ = outlines("northwind")
    changes = diff(old, old)
    out = render(changes, "text", meta_for("northwind"))
    assert out.splitlines()[0] == "Northwind policy: no change"
    assert "##" not in out


def test_long_unchanged_text_is_shortened_around_edits() -> None:
    before = " ".join(f"a{i}" for i in range(200))
    after = " ".join(f"b{i}" for i in range(200))
    changes = diff_texts(f"# T\n\n{before} alpha {after}.\n", f"# T\n\n{before} beta {after}.\n")
    out = render(changes, "text", meta_for("x"))
    assert "[-alpha-]{+beta+}" in out
    assert "a199 [-alpha-]{+beta+} b0 " in out
    assert "a0 " not in out and "b199" not in out
    assert "… a1" in out or "…" in out


# A clause long enough to be cut: its opening, a middle, and an ending the report leaves out.
LONG_CLAUSE = (
    "Customers resident in the European Economic Area may withdraw from a paid plan within "
    "fourteen days of subscribing, by writing to our support desk with their account name. "
    + " ".join(f"w{i}" for i in range(40))
    + " We refund what was paid within seven days of the notice, through the same means of "
    "payment, and the closing words of this clause are zebra quartz."
)


def _moved_clause(edit: bool) -> str:
    """A text report of LONG_CLAUSE moved from one section to another, edited or not."""
    moved = LONG_CLAUSE.replace("seven days", "ten days") if edit else LONG_CLAUSE
    old = (
        f"# T\n\n## Use\n\nWe deliver orders.\n\n{LONG_CLAUSE}\n\n## Refunds\n\nFees are listed.\n"
    )
    new = f"# T\n\n## Use\n\nWe deliver orders.\n\n## Refunds\n\nFees are listed.\n\n{moved}\n"
    changes = diff_texts(old, new)
    assert len(changes.moved_paragraphs) == 1
    return render(changes, "text", meta_for("x"))


@pytest.mark.parametrize("edit", [False, True], ids=["unedited", "edited"])
def test_long_moved_paragraph_is_shown_by_its_opening(edit: bool) -> None:
    lines = _moved_clause(edit).splitlines()
    out_line = next(line for line in lines if line.startswith("⇢ moved to Refunds: "))
    in_line = next(line for line in lines if line.startswith("⇠ moved from Use: "))
    assert out_line.startswith("⇢ moved to Refunds: Customers resident in the European")
    assert out_line.endswith("…") and "zebra" not in out_line
    if edit:
        assert "[-seven-]{+ten+}" in in_line
        assert "through the same means" in in_line and "w20" not in in_line
    else:
        assert in_line.startswith("⇠ moved from Use: Customers resident in the European")
        assert in_line.endswith("…") and "zebra" not in in_line and "{+" not in in_line


@pytest.mark.parametrize(
    ("old", "new", "plain"),
    [
        ("We keep data.", "We keep data.\n\n**Schedule 1**", "{+**Schedule 1**+}"),
        ("**Fees are due.**", "**Fees are due monthly.**", "**Fees are due{+ monthly+}.**"),
        (
            "We keep data.\n\n**We never sell it, to anyone, for any reason.**",
            "We keep data.",
            "[-**We never sell it, to anyone, for any reason.**-]",
        ),
    ],
    ids=["inserted", "edited", "deleted"],
)
def test_a_bold_paragraph_is_shown_bold_not_with_its_markers(
    old: str, new: str, plain: str
) -> None:
    """A paragraph set wholly in bold is ``**text**`` in the document's text: plain text
    keeps the markers, HTML and Markdown show it bold instead."""
    changes = diff_texts(f"# T\n\n## A\n\n{old}\n", f"# T\n\n## A\n\n{new}\n")
    assert plain in render(changes, "text", meta_for("x"))
    for fmt in ("html", "markdown"):
        out = render(changes, fmt, meta_for("x"))  # type: ignore[arg-type]
        assert "**" not in out.replace("**Unchanged:**", "").replace("**Renumbered:**", "")
        assert re.search(r"<strong>(<(ins|del)[^>]*>)?\w", out), fmt


@pytest.mark.parametrize(
    ("old", "new", "plain", "note"),
    [
        ("Last updated: 1 May 2024", "###### Last updated: 1 May 2024", "", "now a heading"),
        ("##### Last updated: 1 May 2024", "Last updated: 1 May 2024", "", "no longer a heading"),
        (
            "###### Last updated: 1 May 2024",
            "###### Last updated: 2 May 2024",
            "###### Last updated: [-1-]{+2+} May 2024",
            "",
        ),
    ],
    ids=["made-a-heading", "made-a-paragraph", "heading-edited"],
)
def test_a_heading_inside_a_section_shows_as_one_not_with_its_markers(
    old: str, new: str, plain: str, note: str
) -> None:
    """A heading that does not start a section (a date line set as ``<h6>``) is
    ``###### text`` in the section's body. When only that changed, every format says so
    in words instead of showing the markers inserted or deleted; an edited heading
    keeps its markers in plain text and is shown bold without them in HTML and Markdown."""
    changes = diff_texts(
        f"# T\n\n## A\n\nWe keep data.\n\n{old}\n", f"# T\n\n## A\n\nWe keep data.\n\n{new}\n"
    )
    text = render(changes, "text", meta_for("x"))
    assert "{+#" not in text and "[-#" not in text
    line = next(line for line in text.splitlines() if line.startswith(("Last", "#####")))
    assert line == (f"Last updated: 1 May 2024 ({note})" if note else plain)
    for fmt in ("html", "markdown"):
        out = render(changes, fmt, meta_for("x"))  # type: ignore[arg-type]
        line = next(line for line in out.splitlines() if "Last updated: " in line)
        assert "#" not in re.sub(r"#[0-9a-f]{6}\b", "", line), fmt
        assert (f"({note})" in line) == bool(note), fmt
        assert bool(re.search(r"<strong>Last updated: ", line)) != bool(note), fmt


# ---------------------------------------------------------------- Markdown


def test_markdown_escapes_policy_text() -> None:
    assert md_escape("a *b* _c_ [d](e) <f> `g` | h ~i~") == (
        r"a \*b\* \_c\_ \[d\](e) \<f\> \`g\` \| h \~i\~"
    )
    assert md_escape("- item") == r"\- item"
    assert md_escape("1. first") == r"1\. first"
    out = render(changes_for("escaping"), "markdown", meta_for("escaping"))
    assert "<script>" not in out
    assert "\\<script\\>" in out
    assert "](javascript" not in out


def test_markdown_marks_edits_with_ins_and_del() -> None:
    out = render(changes_for("northwind"), "markdown", meta_for("northwind"))
    assert "courier <ins>and to our payment provider </ins>so that" in out
    assert "<del>six</del><ins>seven</ins>" in out
    assert '<del>"</del><ins>‘</ins>Customer Data' in render(
        changes_for("merge"), "markdown", meta_for("merge")
    )


# ---------------------------------------------------------------- HTML


def test_html_is_a_self_contained_page() -> None:
    page = render(changes_for("northwind"), "html", meta_for("northwind"))
    assert page.startswith("<!DOCTYPE html>")
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//meta[@name='color-scheme']/@content") == ["light dark"]
    assert tree.xpath("//meta[@name='viewport']")
    assert not tree.xpath("//script | //style | //link | //img | //iframe")
    assert not tree.xpath("//@src")
    assert all(h.startswith("https://") for h in tree.xpath("//@href"))
    styled = tree.xpath("//body//*[not(@style)]")
    assert {e.tag for e in styled} <= {"br", "li", "strong"}
    assert tree.xpath("//ins") and tree.xpath("//del")
    ins_style = tree.xpath("//ins/@style")[0]
    assert "underline" in ins_style and "color:" in ins_style and "background-color:" in ins_style
    assert "line-through" in tree.xpath("//del/@style")[0]


def test_html_escapes_hostile_policy_text() -> None:
    page = render(changes_for("escaping"), "html", meta_for("escaping"))
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script | //img | //a[starts-with(@href, 'javascript')]")
    assert not tree.xpath("//@*[starts-with(name(), 'on')]")
    assert not [h for h in tree.xpath("//@href") if "javascript" in h]
    text = tree.text_content()
    assert '<script>alert("pwned")</script>' in text
    assert "{{ config.items() }}" in text
    assert "{% if member %}badges{% endif %}" in text
    assert "javascript:alert(document.cookie)" in text
    assert '<a href="javascript:void(0)">scripts</a>' in text
    assert "&lt;i&gt; and &amp; stays" in text
    assert '<img src=x onerror="alert(1)"> Glasshouse {{ 7*7 }}' in text
    assert "49" not in text
    assert "<script>" not in page


def test_html_fragment_is_the_body_part() -> None:
    fragment = render_html_fragment(changes_for("northwind"), meta_for("northwind"))
    assert "<html" not in fragment and "<body" not in fragment
    assert fragment.lstrip().startswith("<div style=")
    page = render(changes_for("northwind"), "html", meta_for("northwind"))
    assert fragment in page


def test_links_only_from_web_urls() -> None:
    assert safe_url("https://example.com/a?b=c") == "https://example.com/a?b=c"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url('https://x" onclick="y') is None
    assert safe_url(None) is None


# ---------------------------------------------------------------- JSON


def test_json_report_follows_the_schema() -> None:
    data = json.loads(render(changes_for("northwind"), "json", meta_for("northwind")))
    assert list(data)[:2] == ["schema", "source"]
    assert data["schema"] == 1
    assert data["source"]["url"] == "https://policies.example/northwind"
    assert data["changed"] is True
    summary = data["summary"]
    assert summary["headline"] == "8 sections changed (substantive)"
    assert summary["stated_date"] == {
        "old": "04/02/24",
        "new": "18/03/24",
        "changed": True,
        "reformatted": False,
    }
    assert summary["sections"]["added"] == 2
    for key in data["summary"]:
        assert f'"{key}"' in SCHEMA
    for item in data["sections"]:
        for key in item:
            assert f'"{key}"' in SCHEMA
        assert item["classification"] in ("none", "cosmetic", "editorial", "substantive")


def test_json_hunks_rebuild_the_texts() -> None:
    old, new = outlines("northwind")
    data = diff(old, new).to_json()
    for item in data["sections"]:
        if not item["hunks"]:
            continue
        hunks = [Hunk(h["op"], h["text"]) for h in item["hunks"]]
        if item["old_index"] is not None:
            assert old_text(hunks) == old.sections[item["old_index"]].text
        if item["new_index"] is not None:
            assert new_text(hunks) == new.sections[item["new_index"]].text


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(changes_for("harbour"), "pdf", meta_for("harbour"))  # type: ignore[arg-type]


def test_view_is_shared_by_all_formats() -> None:
    view = build_view(changes_for("merge"), meta_for("merge"))
    assert [s.label for s in view.sections] == [
        "Definitions",
        "Sub-processors",
        "Notice of new sub-processors",
    ]
    kinds = [p.kind for s in view.sections for p in s.paragraphs]
    assert kinds.count("moved-in") == 2 and kinds.count("moved-out") == 2
