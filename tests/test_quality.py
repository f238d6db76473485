"""Broken captures are recognised and rejected with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.model import Block, Document
from watcher.normalise import Rules, parse
from watcher.quality import confirmed, verdict

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> Document:
    return parse((PAGES / name).read_bytes(), filename=name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("challenge.html", "error or challenge page"),
        ("login.html", "error or challenge page"),
        ("notfound.html", "error or challenge page"),
    ],
    ids=["bot-challenge", "login", "not-found"],
)
def test_error_pages_served_with_200_are_rejected(name: str, reason: str) -> None:
    judged = verdict(page(name))
    assert not judged.ok
    assert reason in (judged.reason or "")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Page introuvable", "Désolé, la page que vous cherchez n'existe plus ou a été déplacée."),
        ("Wartungsarbeiten", "Unsere Website ist wegen Wartungsarbeiten kurz nicht erreichbar."),
        ("Acceso denegado", "No tiene permiso para ver esta página desde su ubicación."),
        ("Accedi", "Accedi per continuare a leggere i documenti della tua organizzazione."),
        ("Erro", "Página não encontrada. Verifique o endereço e tente de novo mais tarde."),
        ("Oeps", "Pagina niet gevonden. Controleer het adres of ga terug naar de startpagina."),
    ],
    ids=["french-not-found", "german-maintenance", "spanish-denied", "italian-login",
         "portuguese-not-found", "dutch-not-found"],
)  # fmt: skip
def test_error_pages_in_other_languages_are_rejected(title: str, text: str) -> None:
    judged = verdict(Document(title, (Block("paragraph", text),) * 6))
    assert not judged.ok and "error or challenge page" in (judged.reason or "")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Access to this page has been denied", "Press & Hold to confirm you are a human."),
        ("One more step", "Please wait while we confirm that your connection is safe."),
        ("ERROR: The request could not be satisfied", "We can't connect to the server just now."),
        ("Sorry", "Our systems have detected unusual traffic from your computer network."),
    ],
    ids=["press-and-hold", "one-more-step", "edge-error", "unusual-traffic"],
)
def test_bot_walls_of_other_kinds_are_rejected(title: str, text: str) -> None:
    judged = verdict(Document(title, (Block("paragraph", text),) * 6))
    assert not judged.ok and "error or challenge page" in (judged.reason or "")


@pytest.mark.parametrize(
    ("title", "lines"),
    [
        ("404", ["Sorry, we could not find that."]),
        ("Acme", ["Error 503", "Please come back in a few minutes."]),
        ("Acme", ["404 - Not Found", "The address may be mistyped."]),
        ("Acme", ["Something went wrong.", "Try reloading."]),
        ("Acme", ["This page is not available right now."]),
    ],
    ids=["bare-404-title", "error-503-line", "404-not-found", "went-wrong", "not-available"],
)
def test_status_codes_and_generic_errors_are_rejected(title: str, lines: list[str]) -> None:
    judged = verdict(Document(title, tuple(Block("paragraph", line) for line in lines)))
    assert not judged.ok and "error or challenge page" in (judged.reason or "")


def test_numbers_like_status_codes_in_a_short_policy_are_not_errors() -> None:
    """A short notice with an address or an amount is not a 404 or 500 page."""
    text = (
        "We are Acme Ltd, 500 Market Street, Suite 403, San Francisco. We collect your "
        "e-mail address to send the newsletter you asked for, keep it until you unsubscribe, "
        "and never sell it. Under the law you may be fined up to 404 euros for nothing at all."
    )
    assert verdict(Document("Privacy notice", (Block("paragraph", text),) * 2)).ok


def test_a_short_chinese_notice_counts_its_characters_as_words() -> None:
    # Written without spaces, its 67 ideographs were once read as 5 "words" (the runs
    # between punctuation): a near-empty page, never tracked.
    text = (
        "华夏云笔记在你使用服务时收集你的手机号码和设备信息，用于验证身份和同步笔记。"
        "我们不会出售你的个人信息，也不会与第三方共享，除非获得你的明确同意。"
    )
    notice = Document("隐私政策", (Block("paragraph", text),))
    assert notice.words == 67
    assert verdict(notice).ok


def test_empty_and_near_empty_pages_are_rejected() -> None:
    assert verdict(Document("", ())).reason == "empty page (no text)"
    tiny = Document("Policy", (Block("paragraph", "Our policy is being updated."),))
    assert verdict(tiny).reason == "near-empty page (5 words)"


def test_a_page_that_frames_its_policy_names_the_frame() -> None:
    framed = Document("Acme", (), scripted=True, frames=("https://legal.example/acme",))
    assert verdict(framed).reason == (
        "empty page (no text); it shows another page in a frame: "
        "track https://legal.example/acme instead"
    )


def test_a_page_built_by_scripts_says_so() -> None:
    shell = Document("Acme", (), scripted=True)
    assert verdict(shell).reason == (
        "empty page (no text); it loads scripts: its text is probably built by JavaScript, "
        "which watcher does not run"
    )
    loading = Document("Acme", (Block("paragraph", "Loading…"),), scripted=True)
    assert (verdict(loading).reason or "").startswith("near-empty page (1 word); it loads scripts")


def test_a_real_policy_is_accepted_even_if_it_mentions_captcha() -> None:
    doc = page("acme_v1.html")
    extra = Block(
        "paragraph",
        "Our sign-up form uses a CAPTCHA to keep out bots; access denied pages are logged.",
    )
    assert verdict(Document(doc.title, (*doc.blocks, extra))).ok


def test_sudden_shrink_is_rejected_until_confirmed() -> None:
    doc = page("acme_v1.html")
    assert verdict(doc, previous_words=200).ok
    judged = verdict(doc, previous_words=2000)
    assert not judged.ok and judged.confirmable
    assert judged.reason == f"text shrank from 2000 to {doc.words} words"


def test_confirmation_needs_the_same_text_repeatedly() -> None:
    assert not confirmed("abc", [])
    assert not confirmed("abc", ["abc"])
    assert not confirmed("abc", ["abc", None])
    assert not confirmed("abc", ["abc", "xyz"])
    assert confirmed("abc", ["abc", "abc"])


@pytest.mark.parametrize(
    ("select", "hint"),
    [
        (("article.policy",), "; select article.policy matched nothing on the page"),
        (("article.policy", "#terms"), "; select article.policy, #terms matched nothing"),
        (("div.empty",), ""),
    ],
    ids=["one-selector", "two-selectors", "matches-an-empty-block"],
)
def test_an_empty_page_says_when_its_select_matched_nothing(
    select: tuple[str, ...], hint: str
) -> None:
    """A page redesigned under a source's ``select`` reads as empty: say which selector
    no longer matches, not only that the page is empty."""
    body = b'<html><body><main><p>Our policy.</p></main><div class="empty"></div></body></html>'
    judged = verdict(parse(body, "text/html", rules=Rules(select=select)))
    assert judged.reason is not None and judged.reason.startswith("empty page (no text)" + hint)
    if not hint:
        assert "select" not in judged.reason
