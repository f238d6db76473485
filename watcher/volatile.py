"""Blocks that come and go are not the policy.

Main-content detection removes most page chrome, but some noise lives inside
the document's region: an A/B-tested paragraph that appears in one fetch and
not the next, a "generated on <today>" line, a build hash, a promotion block.
These functions decide, against the source's history, which differences
between the latest version and a new capture are such noise:

* a line whose presence has already flipped at least :data:`MIN_FLIPS` times
  across the recent versions (there, gone, there again) is volatile: its
  coming or going is no change;
* a line that differs from the stored one only in a hash-like token (build
  ids, cache busters, CSRF tokens), in the year of a copyright notice
  ("© 2025" on 1 January), in a date that is the capture's own date (the
  "date of the day"), or, in a short line, in how long ago something
  happened ("Updated 3 days ago", "over a week ago", "yesterday", "in the last
  hour"), in the clock ("Last checked at 10:21:07", "Page generated in 0.12
  seconds") or in a reader counter ("12,345 views", "7 out of 9 found this
  helpful", "1,204 people are reading this"), is the same line;
* a line that differed between two fetches of the same page a minute apart
  (``refetch``) is volatile for this capture.

:func:`settle` returns the new canonical text with that noise put back as the
latest version has it, so that a capture whose only differences are noise
has exactly the latest version's text (and hash). Everything here is pure
except :func:`recent_texts`, which reads the store. Units are the lines of
the canonical text (a fenced ``pre`` block is one unit).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from .canonical import block_of_line
from .dates import MONTH_PATTERN, day_forms
from .model import Document

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

MIN_FLIPS = 2
HISTORY = 12

_HEXISH = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I)
_TOKENISH = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}(?![\w-])")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?\b")
# How long ago, as help centres and blogs print it next to an article's date (in
# English, French, German, Spanish, Portuguese, Italian and Dutch); the text moves
# with the clock, not with the document.
_RELATIVE = re.compile(
    r"\b(?:(?:over|about|around|almost|nearly|more than|less than|under)\s+)?"
    r"(?:\d+|an?|one|a few|several)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago\b"
    r"|\b(?:just now|yesterday|today|this (?:week|month|year)|last (?:week|month|year))\b"
    # Minutes and hours only: "in the last 30 days" may be a policy's own period.
    r"|\bin the (?:last|past) (?:(?:\d+|few) )?(?:minute|hour)s?\b"
    r"|\bil y a (?:\d+|une?|quelques) (?:seconde|minute|heure|jour|semaine|mois|an|année)s?\b"
    r"|\bvor (?:\d+|einer?|einigen|wenigen) (?:Sekunde|Minute|Stunde|Tag|Woche|Monat|Jahr)[en]*\b"
    r"|\b(?:hace|há) (?:\d+|una?|unos|unas|algu(?:n|m)[oa]s) "
    r"(?:segundo|minuto|hora|día|dia|semana|mes|mês|año|ano)(?:s|es)?\b"
    r"|\b(?:\d+|una?|qualche) (?:secondi|minuti|ore|giorni|settimane|mesi|anni|"
    r"secondo|minuto|ora|giorno|settimana|mese|anno) fa\b"
    r"|\b(?:\d+|een|enkele) (?:seconden?|minuten?|uur|uren|dagen?|weken?|maanden?|jaren?|jaar)"
    r" geleden\b"
    r"|\b(?:hier|aujourd['’]hui|gestern|heute|ayer|hoy|ontem|hoje|ieri|oggi|gisteren|vandaag)\b",
    re.I,
)
# The clock, as a page stamps it: a time to the second that says it is a moment (after
# "at" or a date, or before a time zone: "Last checked at 10:21:07", "10:21:07 UTC"), not
# a duration ("Session timeout: 00:30:00"); and how long the server took to make the
# page ("Page generated in 0.123 seconds", "Rendered in 42ms").
_SECONDS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"
_CLOCK = re.compile(
    rf"(?:\b(?:at|um|à|a las|alle|às|om)\s+|@\s*|\d[T\s]){_SECONDS}\b"
    rf"|\b{_SECONDS}\s*(?:[AaPp]\.?[Mm]\b\.?|UTC\b|GMT\b|Z\b|[A-Z]{{2,4}}T\b|[+-]\d{{2}}:?\d{{2}}\b)"
    r"|\b(?:generated|rendered|served|built|created|processed|loaded)\s+in\s+\d+(?:[.,]\d+)?"
    r"\s*(?:ms|milliseconds?|s|secs?|seconds?)\b",
    re.I,
)
# Reader counters, as blogs and help centres print them beside an article: a number
# bound to what readers did ("12,345 views", "Views: 1.2K", "Read 1,201 times", "7 out
# of 9 found this helpful", "Average rating 4.2/5"), standing on its own between the
# line's ends and separators, never inside a sentence ("up to 3 votes per year") or a
# table row (a plan's "10,000 views"); in the seven languages above.
_COUNT = r"(?:\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d+(?:[.,]\d+)?)\s*[kKmM]?\+?"
_READERS = (
    r"(?:views?|reads?|readers|likes?|dislikes?|comments?|repl(?:y|ies)|votes?|followers?"
    r"|vues|lectures|commentaires?|aufrufe|kommentare?|visualizaciones|visualizações"
    r"|visualizzazioni|comentarios?|comentários?|commenti|weergaven|reacties)"
)
# Compiled on first use (through re's cache): most checks never need it, and every
# process would pay for it at start-up.
_COUNTER = (
    r"(?:^|(?<=[·•|(,;:])|(?<=[·•|(,;:.!?-] ))\s*(?:"
    rf"{_COUNT}\s+{_READERS}"
    rf"|{_READERS}(?:\s+(?:count|total))?\s*:\s*{_COUNT}"
    rf"|(?:read|viewed|seen|lu|gelesen|leído|lido|letto|gelezen)\s+{_COUNT}"
    r"\s*(?:times|fois|mal|veces|vezes|volte|keer)"
    r"|\d+ (?:out )?of \d+ (?:people |users |readers |customers )?found this \w+(?: \w+)?"
    # Who else is on the page ("1,204 people are reading this", "37 users online").
    rf"|{_COUNT}\s+(?:people|persons|users|visitors|readers|others)\s+(?:are\s+)?"
    r"(?:reading|viewing|looking at|online|here)(?:\s+(?:this|now|right now))?"
    r"(?:\s+(?:page|article|post))?"
    r"|(?:average )?rating:?\s*\d(?:[.,]\d+)?\s*(?:/|out of)\s*\d+"
    r")(?=\s*(?:$|[·•|),;]|\.(?:\s|$)))"
)
# The year of a copyright notice, which sites move on on the first of January ("© 2025",
# "Copyright 2019–2025"): only the years right after the mark, not a policy's own dates.
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|\bcopyright\b)\s*(?:©\s*)?(?:19|20)\d\d(?:\s*[-–—]\s*(?:19|20)\d\d)?",
    re.I,
)
#: A line longer than this many words is prose: its "ago" or its "3 comments" is the
#: policy's own words.
SHORT_LINE_WORDS = 12
_ITEM = re.compile(r"^(?: {2})*- ")
_ROW = re.compile(r"^\| .* \|$")

Unit = tuple[str, str]  # (separator before the unit: "", "\n" or "\n\n"; the unit's text)
Placed = tuple[Unit, tuple[int, int]]  # a unit and where it comes from: (text, index)


# ---------------------------------------------------------------- units


def units(text: str) -> list[Unit]:
    """The canonical text as (separator, unit) pairs; a fenced block is one unit."""
    out: list[Unit] = []
    separator = ""
    fence: list[str] | None = None
    for line in text.split("\n"):
        if fence is not None:
            fence.append(line)
            if line == "```":
                out.append((separator, "\n".join(fence)))
                separator, fence = "\n", None
            continue
        if not line:
            separator = "\n\n" if out else ""
            continue
        if line == "```":
            fence = [line]
            continue
        out.append((separator, line))
        separator = "\n"
    if fence is not None:
        out.append((separator, "\n".join(fence)))
    return out


def join(parts: Iterable[Placed]) -> str:
    """Units back to canonical text.

    A unit keeps its own separator when it follows the unit it followed in
    its own text; where units were spliced, the separator is decided again
    the way :func:`watcher.normalise.canonical` decides it.
    """
    out: list[str] = []
    previous: Placed | None = None
    for placed in parts:
        (separator, unit), origin = placed
        if previous is not None:
            spliced = previous[1] != (origin[0], origin[1] - 1)
            if spliced or not separator:
                separator = "\n" if _tight(previous[0][1], unit) else "\n\n"
            out.append(separator)
        out.append(unit)
        previous = placed
    return "".join(out) + ("\n" if out else "")


def _tight(previous: str, unit: str) -> bool:
    """Canonical text separates consecutive list items, and table rows, by one newline."""
    return bool(
        (_ITEM.match(previous) and _ITEM.match(unit)) or (_ROW.match(previous) and _ROW.match(unit))
    )


# ---------------------------------------------------------------- volatility


def volatile_units(history: Sequence[str], min_flips: int = MIN_FLIPS) -> frozenset[str]:
    """Units whose presence flipped at least ``min_flips`` times across ``history``
    (canonical texts, oldest first)."""
    flips: Counter[str] = Counter()
    previous: set[str] | None = None
    for text in history:
        present = {unit for _, unit in units(text)}
        if previous is not None:
            flips.update(present ^ previous)
        previous = present
    return frozenset(unit for unit, count in flips.items() if count >= min_flips)


def differing_units(first: str, second: str) -> frozenset[str]:
    """Units in one of two fetches of the same page but not in the other."""
    return frozenset({u for _, u in units(first)} ^ {u for _, u in units(second)})


def same_line(old: str, new: str, day: date | None = None) -> bool:
    """Whether ``new`` is ``old`` up to hash-like tokens, copyright years, the date of
    the day, or (in a short line) a relative time or a reader counter.

    The date is only masked when ``new`` carries ``day`` (the capture's date,
    give or take a day for time zones): that is what a "generated on" or
    "as of today" line looks like; a policy's own date is left alone.
    """
    if old == new:
        return True
    if day is not None and _has_day(new, day):
        return _mask_dates(_mask_tokens(old)) == _mask_dates(_mask_tokens(new))
    masked = _mask_tokens(new)
    return (masked != new and _mask_tokens(old) == masked) or _short_line_noise(old, new)


def _short_line_noise(old: str, new: str) -> bool:
    """Two short lines that differ only in how long ago something happened, or in a
    reader counter (not in a table row: a plan's "10,000 views" is the terms' own)."""
    if len(new.split()) > SHORT_LINE_WORDS or len(old.split()) > SHORT_LINE_WORDS:
        return False
    mask = _mask_relative if _ROW.match(new) else _mask_readers
    masked = mask(new)
    return masked != new and mask(old) == masked


def _mask_relative(line: str) -> str:
    return _RELATIVE.sub("~", line)


def _mask_readers(line: str) -> str:
    return re.sub(_COUNTER, "~", _CLOCK.sub("~", _mask_relative(line)), flags=re.I)


def _mask_tokens(line: str) -> str:
    return _COPYRIGHT.sub("©", _TOKENISH.sub("#", _HEXISH.sub("#", line)))


def _has_day(line: str, day: date) -> bool:
    """Whether ``line`` carries ``day`` (give or take a day, for time zones)."""
    folded = line.casefold()
    candidates = (day - timedelta(days=1), day, day + timedelta(days=1))
    return any(form in folded for d in candidates for form in day_forms(d))


_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{4}\b"
    rf"|\b(?:\d{{1,2}}(?:er)?\.? (?:de )?)?{MONTH_PATTERN}(?: \d{{1,2}},?)?(?: de)? \d{{4}}\b"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{4}년 ?\d{1,2}월 ?\d{1,2}일",
    re.I,
)


def _mask_dates(line: str) -> str:
    return _TIME.sub("@", _DATE.sub("@", line))


# ---------------------------------------------------------------- settling


def settle(
    history: Sequence[str],
    new_text: str,
    captured_at: datetime | None = None,
    refetch: str | None = None,
) -> str:
    """``new_text`` with its noise resolved the way the latest version has it.

    ``history`` holds the canonical texts of the source's recent versions,
    oldest first (the last one is the latest version); ``captured_at`` is
    when ``new_text`` was fetched; ``refetch`` is the canonical text of a
    second fetch of the same page a minute later, when there is one. When
    every difference from the latest version is noise, the result *is* the
    latest version's text.
    """
    if not history or history[-1] == new_text:
        return new_text
    text = join(_settled(history, new_text, captured_at, refetch))
    if text != new_text:
        log.debug("settled volatile units")
    return text


def settle_document(latest: str, document: Document, text: str, refetch: str) -> Document:
    """``document`` (whose canonical text is ``text``) with the lines that differ from
    ``refetch``, another fetch of the page, as ``latest`` (the latest version's text)
    has them: a change then records, and its diff shows, only what changed.
    ``document`` itself when nothing was settled.

    Only the two fetches' evidence is used: lines that flipped across earlier
    versions may be real edits made twice, and a dated line may be the policy's
    new date, so both are recorded as the page has them.
    """
    new = units(text)
    if len(new) != len(document.blocks):  # a line that is not one block: leave it
        return document
    placed = _merge(units(latest), new, differing_units(text, refetch), None)
    if len(placed) == len(document.blocks) and all(side == 1 for _, (side, _) in placed):
        return document
    blocks = document.blocks
    return Document(
        document.title,
        tuple(blocks[i] if side == 1 else block_of_line(unit) for (_, unit), (side, i) in placed),
    )


def _settled(
    history: Sequence[str], new_text: str, captured_at: datetime | None, refetch: str | None
) -> list[Placed]:
    noisy = volatile_units(history)
    if refetch is not None:
        noisy |= differing_units(new_text, refetch)
    day = captured_at.date() if captured_at else None
    return _merge(units(history[-1]), units(new_text), noisy, day)


def _merge(
    latest: list[Unit], new: list[Unit], noisy: frozenset[str], day: date | None
) -> list[Placed]:
    """Splice ``latest`` and ``new``: new text wins except where the difference is noise."""
    matcher = difflib.SequenceMatcher(
        None, [u for _, u in latest], [u for _, u in new], autojunk=False
    )
    out: list[Placed] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_part = [(latest[i], (0, i)) for i in range(i1, i2)]
        new_part = [(new[j], (1, j)) for j in range(j1, j2)]
        if tag == "equal":
            out.extend(new_part)
        elif tag == "replace" and len(old_part) == len(new_part):
            for old, fresh in zip(old_part, new_part, strict=True):
                out.extend(_resolve(old, fresh, noisy, day))
        else:
            out.extend(p for p in old_part if p[0][1] in noisy)
            out.extend(p for p in new_part if p[0][1] not in noisy)
    return out


def _resolve(old: Placed, fresh: Placed, noisy: frozenset[str], day: date | None) -> list[Placed]:
    """One stored unit replaced by one new unit: which of them the text keeps.

    A volatile unit in the stored one's place (a counter, a rotating line) is that
    place's noise: the stored unit stays.
    """
    old_text, new_text = old[0][1], fresh[0][1]
    if same_line(old_text, new_text, day) or new_text in noisy:
        return [old]
    return [old, fresh] if old_text in noisy else [fresh]


# ---------------------------------------------------------------- store


def recent_texts(store: Store, source_id: str, limit: int = HISTORY) -> list[str]:
    """The canonical texts of a source's ``limit`` most recent versions, oldest first."""
    rows = store.db.query(
        "SELECT text FROM versions WHERE source_id = ? ORDER BY id DESC LIMIT ?",
        [source_id, limit],
    )
    return [str(row["text"]) for row in rows][::-1]
