"""Is this capture a real policy page?

A capture that looks broken (empty or near-empty text, a bot challenge,
CAPTCHA, login or "not found" page served with 200, or text that suddenly
shrinks far below the last version) is rejected with a reason, and never
becomes a version or an alert. The rules are about how broken pages look in
general, never about a particular site.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from .model import Document

log = logging.getLogger(__name__)

MIN_WORDS = 40
SHORT_PAGE_WORDS = 300
SHRINK_RATIO = 0.5
SHRINK_MIN_WORDS = 150
CONFIRMATIONS = 3
#: How the reason of a confirmable rejection (a sudden shrink) begins.
SHRANK = "text shrank"


@functools.cache
def _error_page() -> re.Pattern[str]:
    # Compiled on first use: a check that finds nothing new judges no page.
    return re.compile(
        r"\b(just a moment|attention required|checking (your|if the site connection is) "
        r"(browser|secure)|verify(ing)? (that )?you are (a )?human|are you a robot|"
        r"captcha|enable (javascript|cookies)( and cookies)? to continue|"
        r"access (is )?denied|request (unsuccessful|blocked)|pardon our interruption|"
        r"ddos protection|bot (protection|detection)|security check|"
        r"(page|document|file|resource) (was )?not (be )?found|"
        # A status code counts with the words around it, not alone: "Suite 500", "up to 403".
        r"(error|http|status( code)?)\s*:?\s*(40[34]|50[0234])\b|"
        r"\b(40[34]|50[0234])\s*[-–:|.]?\s*(error|not found|forbidden|page|internal server|"
        r"bad gateway|service unavailable|gateway time-?out)|"
        r"page (is not|isn['’]t|not) available|something went wrong|"
        r"(an )?unexpected error (has )?occurred|"
        r"forbidden|service (temporarily )?unavailable|internal server error|bad gateway|"
        r"(sign|log) ?in to (continue|your account|view)|please (sign|log) ?in|session (has )?"
        r"expired|too many requests|rate limit(ed)?|under maintenance|temporarily down|"
        r"press (&|and) hold|one more step|request could not be satisfied|"
        r"(unusual|suspicious) (traffic|activity) from your|"
        # The same in French, German, Spanish, Italian, Portuguese and Dutch.
        r"page (introuvable|non trouvée)|accès (refusé|interdit)|erreur interne|"
        r"service (temporairement )?indisponible|(site )?en (cours de )?maintenance|"
        r"(veuillez vous|connectez-vous pour) (connecter|continuer)|vérification de sécurité|"
        r"seite (wurde )?nicht gefunden|zugriff verweigert|(dienst|seite) (vorübergehend )?nicht "
        r"verfügbar|wartungsarbeiten|bitte melden sie sich an|sicherheitsüberprüfung|"
        r"página no (encontrada|disponible)|acceso denegado|servicio no disponible|"
        r"en mantenimiento|inicia sesión para continuar|verificación de seguridad|"
        r"pagina non (trovata|disponibile)|accesso negato|servizio non disponibile|"
        r"in manutenzione|accedi per continuare|verifica di sicurezza|"
        r"página não (encontrada|disponível)|acesso negado|serviço indisponível|"
        r"em manutenção|faça login para continuar|verificação de segurança|"
        r"pagina niet gevonden|toegang geweigerd|in onderhoud|log in om verder te gaan|"
        r"beveiligingscontrole)",
        re.I,
    )


# A title or line that is a status code alone ("404", "Error 503").
_BARE_STATUS = re.compile(r"^\W*(?:error\s*)?(?:40[34]|50[0234])\W*$", re.I)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a capture may become a version, and why not."""

    ok: bool
    reason: str | None = None
    confirmable: bool = False

    @classmethod
    def accept(cls) -> Verdict:
        """A capture that looks like the document."""
        return cls(True)


def verdict(doc: Document, previous_words: int | None = None) -> Verdict:
    """Judge a normalised capture against the last accepted version's size.

    ``confirmable`` rejections (a big shrink) become acceptable when the same
    content keeps coming back: see :func:`confirmed`.
    """
    words = doc.words
    if words == 0:
        return Verdict(False, "empty page (no text)" + _empty_page_hint(doc))
    if words < SHORT_PAGE_WORDS or _error_sign([doc.title]):
        found = _error_sign([doc.title, *(b.text for b in doc.blocks[:12])])
        if found:
            return Verdict(
                False, f'looks like an error or challenge page ("{found}", {words} words)'
            )
    if words < MIN_WORDS:
        counted = f"{words} word{'' if words == 1 else 's'}"
        return Verdict(False, f"near-empty page ({counted})" + _empty_page_hint(doc))
    if (
        previous_words
        and previous_words >= SHRINK_MIN_WORDS
        and words < previous_words * SHRINK_RATIO
    ):
        return Verdict(False, f"{SHRANK} from {previous_words} to {words} words", confirmable=True)
    return Verdict.accept()


def _error_sign(lines: list[str]) -> str | None:
    """The words among a page's title and first lines that mark an error or challenge page."""
    match = _error_page().search(" ".join(lines))
    if match:
        return match.group(0).strip()
    bare = next((m for m in map(_BARE_STATUS.match, lines) if m), None)
    return bare.group(0).strip() if bare else None


def _empty_page_hint(doc: Document) -> str:
    """Why a page may look empty to watcher and not to a reader (see
    ``Document.unmatched``, ``Document.frames`` and ``Document.scripted``)."""
    if doc.unmatched:
        return f"; select {', '.join(doc.unmatched)} matched nothing on the page"
    if doc.frames:
        return f"; it shows another page in a frame: track {doc.frames[0]} instead"
    if not doc.scripted:
        return ""
    return (
        "; it loads scripts: its text is probably built by JavaScript, which watcher does not run"
    )


def is_confirmable(reason: str | None) -> bool:
    """Whether a recorded rejection ``reason`` is one that repeats can overturn."""
    return (reason or "").startswith(SHRANK)


def confirmed(content_sha: str, recent_rejections: list[str | None]) -> bool:
    """Whether a confirmable rejection has now been seen often enough to be real.

    ``recent_rejections`` are the content hashes of the source's most recent
    fetches (newest first, ``None`` for anything that was not the same kind
    of rejection). The same shrunken text seen ``CONFIRMATIONS`` times in a
    row is taken to be the document's new text.
    """
    needed = CONFIRMATIONS - 1
    streak = recent_rejections[:needed]
    return len(streak) == needed and all(sha == content_sha for sha in streak)
