"""Zero-config noise rejection: each kind of page noise, on a fixture written for it.

Fixtures in ``fixtures/noise`` come in pairs (``KIND_a.html``, ``KIND_b.html``):
the same policy in a page whose noise differs. Noise in the page frame or in
the markup must give identical canonical text; noise inside the document's
area (A/B blocks, the date of the day, hashes) is settled against history by
:mod:`watcher.volatile`. Real changes must still show.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

from watcher.normalise import canonical, parse
from watcher.quality import verdict
from watcher.volatile import differing_units, same_line, settle, settle_document, volatile_units

NOISE = Path(__file__).parent / "fixtures" / "noise"
BENCH = Path(__file__).parents[1] / "bench" / "noise.py"

POLICY_LINES = (
    "# Example Co Privacy Policy",
    "Last updated: 3 February 2025",
    "## 4. Your rights",
    "| Hosting provider | Running our servers |",
    "- Usage data: pages viewed, features used and error reports.",
)


def text(name: str) -> str:
    return canonical(parse((NOISE / name).read_bytes(), "text/html", name=name))


@pytest.mark.parametrize(
    ("kind", "noise"),
    [
        ("nav_footer", ("Home", "Summer sale", "©", "All rights reserved")),
        ("cookie_banner", ("partners", "Accept all", "Learn more")),
        ("related", ("Related articles", "You may also like", "dark mode")),
        ("build_hash", ("build", "a1b2c3d4", "ff09e81c", "7e1f2a9")),
        ("lazy_images", ("webp", "data:image", "office.jpg", "lazyload")),
        ("tracking", ("utm_", "gclid", "fbclid")),
        ("csrf", ("3f9a1c0e7b2d4a6f", "9e8d7c6b5a4f3e2d")),
        ("comments", ("thoughts on", "says:", "advertisers", "Leave a Reply", "published")),
    ],
)
def test_noise_outside_the_document_gives_the_same_text(kind: str, noise: tuple[str, ...]) -> None:
    first, second = text(f"{kind}_a.html"), text(f"{kind}_b.html")
    assert first == second
    lines = first.splitlines()
    for line in POLICY_LINES:
        assert line in lines
    for word in noise:
        assert word not in first


ANNOUNCER = {
    "a": (
        "Example Co",
        "Print this policy",
        "clip: rect(0px, 0px, 0px, 0px); clip-path: inset(50%)",
    ),
    "b": ("Navigated to Privacy Policy | Example Co", "Print", "clip:rect(1px 1px 1px 1px)"),
}


def test_text_styled_for_screen_readers_only_is_not_the_document() -> None:
    # A single-page app's route announcer and an icon link's off-screen label, inside
    # the document's area: they differ between captures, and no reader sees them.
    page = (NOISE / "build_hash_a.html").read_text(encoding="utf-8")
    texts = []
    for announced, label, clip in ANNOUNCER.values():
        icon = f'<a href="/print"><span style="position:absolute;left:-10000px">{label}</span></a>'
        announcer = f'<div aria-live="assertive" style="position:absolute;{clip}">{announced}</div>'
        variant = page.replace('<div class="doc">', f'<div class="doc">\n<p>{icon}</p>', 1)
        variant = variant.replace(
            '  </div>\n  <div class="more">', f'{announcer}\n  </div>\n  <div class="more">', 1
        )
        assert announcer in variant and icon in variant
        texts.append(canonical(parse(variant.encode(), "text/html")))
    assert texts[0] == texts[1] == text("build_hash_a.html")
    for word in ("Navigated", "Print", "Example Co\n"):
        assert word not in texts[0]


def help_centre_article(votes: str, comments: int) -> str:
    """``related_a.html``'s policy as a help-centre article: breadcrumbs in a wrapper that
    a skip link targets (chrome by its name, kept because it holds the document), and
    the article's own footer with share links, vote and comment counts."""
    page = (NOISE / "related_a.html").read_text(encoding="utf-8")
    crumbs = (
        '<nav class="crumbs" aria-label="Breadcrumbs"><ol><li><a href="/hc">Help Centre</a></li>'
        "<li><span>Privacy Policy</span></li></ol></nav>"
    )
    footer = (
        '<footer><ul class="share"><li><a href="https://social.example/share">Share</a></li>'
        f'</ul><a href="#comments">{comments} comments</a><p>Was this article helpful?</p>'
        f"<small>{votes} found this helpful</small></footer>"
    )
    opened = f'<div id="__app_skipToContent_fallback"><article>{crumbs}<div class="doc">'
    page = page.replace('<div class="doc">', opened, 1)
    page = page.replace(
        "  </div>\n  <div class", f"  </div>{footer}</article></div>\n  <div class", 1
    )
    assert crumbs in page and footer in page
    return page


def test_an_article_footer_and_breadcrumbs_inside_a_kept_wrapper_are_not_the_document() -> None:
    first, second = (
        canonical(parse(help_centre_article(votes, comments).encode(), "text/html"))
        for votes, comments in (("12 out of 30", 3), ("13 out of 31", 4))
    )
    assert first == second == text("related_a.html")
    for word in ("helpful", "comments", "Share", "Help Centre", "- Privacy Policy"):
        assert word not in first


def test_folded_accordion_and_tab_text_is_kept() -> None:
    page = text("accordion.html")
    for kept in (
        "### France",
        "Residents of France may give instructions about their data after death.",
        "Germany",
        "Residents of Germany may contact the Bavarian authority.",
        "Residents of Spain may contact the AEPD.",
        "California residents have the right to opt out of sales.",
        "Residents of Brazil may contact the ANPD.",
        "Questions? Contact us.",
    ):
        assert kept in page.splitlines()
    assert "opens in a new window" not in page
    assert "Limited offer" not in page


def test_a_cookie_policy_in_a_consent_named_container_is_kept() -> None:
    page = text("cookie_policy.html")
    assert page.startswith("# Example Co Cookie Notice\n")
    assert "## 4. Your rights" in page


@pytest.mark.parametrize("changed", ["changed_sentence.html", "changed_date.html"])
def test_real_changes_still_show(changed: str) -> None:
    before, after = text("nav_footer_a.html"), text(changed)
    assert before != after
    when = datetime(2026, 4, 20, 10, 0)
    assert settle([before], after, when) == after


def test_an_error_page_in_the_site_frame_is_rejected_after_a_real_version() -> None:
    doc = parse((NOISE / "error_in_frame.html").read_bytes(), "text/html")
    judged = verdict(doc, previous_words=400)
    assert not judged.ok
    # Read as an error page ("This page is not available right now"), not only as a
    # shrink: it can never be confirmed into a version by coming back.
    assert "error or challenge page" in (judged.reason or "") and not judged.confirmable


# ---------------------------------------------------------------- volatile blocks


def test_an_ab_variant_block_that_keeps_flipping_is_not_a_change() -> None:
    variant_a, variant_b = text("ab_variant_a.html"), text("ab_variant_b.html")
    assert variant_a != variant_b
    # The first switch is reported (nothing says yet that it is noise) ...
    assert settle([variant_a], variant_b) == variant_b
    # ... once the block has flipped back and forth, its flips are not.
    history = [variant_a, variant_b, variant_a]
    assert settle(history, variant_b) == variant_a
    assert "Try Example Pro free for 30 days and get priority support." in volatile_units(history)


def test_a_real_change_next_to_a_flipping_block_is_kept_and_the_block_settled() -> None:
    variant_a, variant_b = text("ab_variant_a.html"), text("ab_variant_b.html")
    edited = variant_b.replace("keep it secure", "keep it secure, to train our models")
    settled = settle([variant_a, variant_b, variant_a], edited)
    assert "to train our models" in settled
    assert settled == variant_a.replace("keep it secure", "keep it secure, to train our models")


def test_a_change_is_recorded_with_the_lines_two_fetches_disagree_on_as_stored() -> None:
    """A revision next to a tip that rotates on every request: the document recorded
    keeps the tip as the latest version has it, block for block, so its diff shows
    only the edit."""
    page = (NOISE / "nav_footer_a.html").read_text(encoding="utf-8")

    def fetched(tip: str, edit: bool) -> str:
        tipped = page.replace("<h2>", f"<p>Tip: {tip}.</p><h2>", 1)
        return tipped.replace("keep it secure", "keep it secure, to train our models", edit)

    latest = canonical(parse(fetched("use a long password", edit=False).encode(), "text/html"))
    document = parse(fetched("turn on two-step sign-in", edit=True).encode(), "text/html")
    refetch = canonical(parse(fetched("review your devices", edit=True).encode(), "text/html"))
    settled = settle_document(latest, document, canonical(document), refetch)
    expected = latest.replace("keep it secure", "keep it secure, to train our models")
    assert "Tip: use a long password." in expected and canonical(settled) == expected
    assert [b.kind for b in settled.blocks] == [b.kind for b in document.blocks]
    assert settle_document(latest, document, canonical(document), canonical(document)) is document


def test_a_one_time_revert_is_a_change() -> None:
    before, after = text("nav_footer_a.html"), text("changed_sentence.html")
    assert settle([before, after], before) == before


def test_the_date_of_the_day_is_not_a_change() -> None:
    first, second = text("date_of_day_a.html"), text("date_of_day_b.html")
    assert settle([first], second, datetime(2026, 3, 15, 9, 2)) == first
    # The same line with a date that is not the capture's is a real difference.
    assert settle([first], second, datetime(2026, 5, 1, 9, 2)) == second


def test_how_long_ago_it_was_updated_is_not_a_change() -> None:
    page = (NOISE / "date_of_day_a.html").read_text(encoding="utf-8")
    generated = "Page generated on 14 March 2026 at 10:31."
    first, second = (
        canonical(parse(page.replace(generated, f"Updated {ago}").encode(), "text/html"))
        for ago in ("over a week ago", "2 months ago")
    )
    assert "Updated over a week ago" in first.splitlines()
    assert settle([first], second, datetime(2026, 5, 1, 9, 2)) == first


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Mis à jour il y a 3 jours", "Mis à jour il y a une semaine"),
        ("Aktualisiert vor 2 Tagen", "Aktualisiert gestern"),
        ("Actualizado hace 5 días", "Actualizado hace 2 meses"),
        ("Atualizado há 3 dias", "Atualizado hoje"),
        ("Aggiornato 3 giorni fa", "Aggiornato ieri"),
        ("Bijgewerkt 2 dagen geleden", "Bijgewerkt 3 weken geleden"),
    ],
    ids=["french", "german", "spanish", "portuguese", "italian", "dutch"],
)
def test_how_long_ago_is_not_a_change_in_other_languages_either(old: str, new: str) -> None:
    assert same_line(old, new)
    assert not same_line(old, new + " par l'équipe juridique")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Page générée le 14 mars 2026 à 10:31", "Page générée le 1er avril 2026 à 09:02"),
        ("Stand: 14. März 2026", "Stand: 1. April 2026"),
        ("Generado el 14 de marzo de 2026", "Generado el 1 de abril de 2026"),
        ("Gegenereerd op 14 maart 2026", "Gegenereerd op 1 april 2026"),
        ("Generated on 14 March 2026", "Generated on April 1, 2026"),
        ("页面生成于2026年3月14日", "页面生成于2026年4月1日"),
        ("생성일 2026년 3월 14일", "생성일 2026년 4월 1일"),
    ],
    ids=["french", "german", "spanish", "dutch", "english", "chinese", "korean"],
)
def test_the_date_of_the_day_is_not_a_change_in_other_languages_either(old: str, new: str) -> None:
    assert same_line(old, new, datetime(2026, 4, 1).date())
    assert not same_line(old, new, datetime(2026, 5, 20).date())


def test_the_policy_date_changing_is_a_change_on_another_day() -> None:
    assert not same_line(
        "Last updated: 3 February 2025", "Last updated: 9 March 2026", datetime(2026, 4, 1).date()
    )


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        ("Build a1b2c3d4e5", "Build 9f8e7d6c5b", True),
        ("Session eyJhbGciOiJIUzI1NiJ9abc123", "Session eyJhbGciOiJIUzI1NiJ9xyz789", True),
        ("Company number 01234567", "Company number 07654321", False),
        ("We keep data for 30 days.", "We keep data for 90 days.", False),
        ("Updated 3 days ago", "Updated 2 months ago", True),
        ("Updated over a week ago", "Updated yesterday", True),
        ("Updated yesterday", "Updated in the last 15 minutes", True),
        ("Updated in the last hour", "Updated 2 days ago", True),
        ("Logs from the last 30 days", "Logs from the last 90 days", False),
        ("Last edited about 1 year ago · 4 min read", "Last edited 2 years ago · 4 min read", True),
        ("Updated 3 days ago", "Updated 3 days ago by the legal team", False),
        (
            "We delete chat logs that were created more than 30 days ago, unless the law "
            "requires us to keep them.",
            "We delete chat logs that were created more than 90 days ago, unless the law "
            "requires us to keep them.",
            False,
        ),
        ("Page generated in 0.123 seconds", "Page generated in 0.087 seconds", True),
        ("Rendered in 42ms", "Rendered in 57 ms", True),
        ("Last checked at 10:21:07 UTC", "Last checked at 08:02:59 UTC", True),
        ("Support hours: 9:00 to 17:00", "Support hours: 9:00 to 18:00", False),
        ("Fetched 2026-03-14 10:21:07 GMT", "Fetched 2026-03-14 11:02:13 GMT", True),
        ("Session timeout: 00:30:00", "Session timeout: 00:15:00", False),
        ("| Session | 00:30:00 |", "| Session | 00:15:00 |", False),
        ("We answer requests in 30 days", "We answer requests in 45 days", False),
    ],
    ids=[
        "build-hash", "token", "registration-number", "retention", "relative-time",
        "relative-words", "in-the-last-minutes", "in-the-last-hour", "last-30-days",
        "relative-with-qualifier", "relative-and-more", "ago-in-prose", "generated-in",
        "rendered-in-ms", "time-to-the-second", "opening-hours", "stamp-after-a-date",
        "a-duration", "a-duration-in-a-row", "answered-in-days",
    ],
)  # fmt: skip
def test_hash_like_tokens_are_not_changes_but_numbers_are(old: str, new: str, same: bool) -> None:
    assert same_line(old, new) is same


def test_reader_counters_and_the_copyright_year_are_not_a_change() -> None:
    page = (NOISE / "date_of_day_a.html").read_text(encoding="utf-8")
    generated = "Page generated on 14 March 2026 at 10:31."

    def fetched(views: str, year: int) -> str:
        meta = f"Legal team · {views} views · 6 min read</p><p>© {year} Example Co."
        return canonical(parse(page.replace(generated, meta).encode(), "text/html"))

    first, second = fetched("12,345", 2025), fetched("12,401", 2026)
    assert "Legal team · 12,345 views · 6 min read" in first.splitlines()
    assert "© 2025 Example Co." in first.splitlines()
    assert settle([first], second, datetime(2026, 1, 2, 9, 0)) == first
    edited = second.replace("keep it secure", "keep it secure, to train our models")
    assert "to train our models" in settle([first], edited, datetime(2026, 1, 2, 9, 0))


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        ("12 out of 15 found this helpful", "13 out of 16 found this helpful", True),
        ("Average rating 4.2 / 5. Vote count: 42", "Average rating 4.3 / 5. Vote count: 43", True),
        ("Views: 1.2K", "Views: 1.3K", True),
        ("Read 1,201 times.", "Read 1,206 times.", True),
        ("- 0 comments", "- 1 comment", True),
        ("Mis à jour le 3 mars · 12 345 vues", "Mis à jour le 3 mars · 12 401 vues", True),
        ("Copyright © 2019-2025 Example Co.", "Copyright © 2019-2026 Example Co.", True),
        ("© 2025 Example Co. All rights reserved.", "© 2026 Example Inc. All rights reserved.",
         False),
        ("Effective 1 January 2025", "Effective 1 January 2026", False),
        ("We answer comments within 30 days.", "We answer comments within 45 days.", False),
        ("Free plan: 1,000 views per month", "Free plan: 500 views per month", False),
        ("| Free | 10,000 views |", "| Free | 5,000 views |", False),
        ("12 views", "12 views and 3 shares", False),
        ("Was this helpful? 52 of 60 found this helpful", "Was this helpful? 53 of 61 found "
         "this helpful", True),
        ("1,204 people are reading this", "1,377 people are reading this", True),
        ("37 users online", "41 users online", True),
        ("Up to 10 users are allowed on the free plan", "Up to 5 users are allowed on the free "
         "plan", False),
    ],
    ids=[
        "helpful-votes", "rating", "views-label", "read-times", "comments-item", "french-views",
        "copyright-range", "copyright-and-more", "policy-year", "number-in-a-sentence",
        "plan-limit", "plan-table-row", "counter-and-more", "after-a-question",
        "people-reading", "users-online", "users-allowed",
    ],
)  # fmt: skip
def test_reader_counters_are_noise_only_on_their_own(old: str, new: str, same: bool) -> None:
    assert same_line(old, new) is same


def test_lines_that_differ_between_two_fetches_a_minute_apart_are_volatile() -> None:
    base = text("nav_footer_a.html")
    fetch = base + "\nQuote of the moment: carpe diem.\n"
    refetch = base + "\nQuote of the moment: memento mori.\n"
    assert differing_units(fetch, refetch) == {
        "Quote of the moment: carpe diem.",
        "Quote of the moment: memento mori.",
    }
    assert settle([base], fetch, refetch=refetch) == base


def test_settling_keeps_canonical_layout_of_lists_and_rows() -> None:
    old = "# T\n\nIntro.\n\n- one\n- two\n\n| a | b |\n| c | d |\n\nEnd.\n"
    noisy_history = [old, old.replace("Intro.\n\n", "Intro.\n\nPromo!\n\n"), old]
    new = old.replace("- two\n", "- two\n- three\n").replace("Intro.\n\n", "Intro.\n\nPromo!\n\n")
    assert settle(noisy_history, new) == old.replace("- two\n", "- two\n- three\n")


# ---------------------------------------------------------------- the benchmark's scoring


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_noise", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_word_f1_ignores_link_targets_markup_and_case() -> None:
    noise = bench()
    expected = "Our [Privacy\\_Policy](https://x.example/p?utm=1) <br> **applies** ![logo](a.png)"
    got = "our privacy policy APPLIES logo"
    assert noise.f1(noise.words(got), noise.words(expected)) == 1.0
    assert noise.f1(noise.words("our policy"), noise.words("our privacy policy")) == pytest.approx(
        0.8
    )
    assert noise.percentile([0.1, 0.5, 0.9, 1.0], 0.1) == 0.1


def test_recent_texts_reads_the_versions_a_pipeline_recorded(tmp_path: Path) -> None:
    from watcher.batch import import_files
    from watcher.config import Source
    from watcher.pipeline import Pipeline
    from watcher.store import Store
    from watcher.volatile import recent_texts

    pages = []
    for n, name in enumerate(("nav_footer_a.html", "nav_footer_b.html", "changed_sentence.html")):
        page = tmp_path / f"capture_2026010{n + 1}T100000.html"
        page.write_bytes((NOISE / name).read_bytes())
        pages.append(page)
    store = Store.open(tmp_path / "data")
    try:
        source = Source(id="example", name="Example", url="archive:example", archive_only=True)
        statuses = [o.status for o in import_files(Pipeline(store), source, pages)]
        # The second capture differs from the first only in its menu and footer.
        assert statuses == ["first", "unchanged", "changed"]
        texts = recent_texts(store, "example")
    finally:
        store.close()
    assert texts == [text("nav_footer_a.html"), text("changed_sentence.html")]


def test_bench_scores_a_document_whose_folder_is_no_source_id_and_one_capture_unreadable(
    tmp_path: Path,
) -> None:
    """Another collection may name a document "Café.com-…" and hold an empty capture: the
    benchmark must still score it, the empty capture refused and the others imported."""
    folder = tmp_path / "corpus" / "Café.com-Privacy-Policy"
    (folder / "expected").mkdir(parents=True)
    captures = []
    pages = [
        ("nav_footer_a.html", None),
        ("nav_footer_b.html", False),
        ("", True),  # an empty capture, labelled a change
        ("changed_sentence.html", True),
    ]
    for n, (name, change) in enumerate(pages):
        capture = f"000{n}_2026010{n + 1}T100000.html"
        (folder / capture).write_bytes((NOISE / name).read_bytes() if name else b"")
        expected = f"expected/{n}.md"
        (folder / expected).write_text(text(name or "nav_footer_b.html"), encoding="utf-8")
        captures.append({"file": capture, "change": change, "expected": expected})
    (folder / "truth.json").write_text(json.dumps({"captures": captures}), encoding="utf-8")
    dump = tmp_path / "rows.jsonl"
    run = subprocess.run(
        [sys.executable, str(BENCH), str(tmp_path / "corpus"), "--dump", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: a target missed (recall here)
    rows = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    assert [(r["status"], r["version"]) for r in rows] == [
        ("first", 1),
        ("unchanged", 1),
        ("refused", None),
        ("changed", 2),
    ]
    assert rows[2]["reason"] == "empty HTML document"
    assert "Café.com-Privacy-Policy" in run.stdout and " 0.500 " in run.stdout  # recall 1/2
