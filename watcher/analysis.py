"""A capture analysed: normalised into a document, its canonical text and hash,
and its outline (pure; run in worker processes when there are many); and the
hashes that say whether two analyses can be compared.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass

from .canonical import NORMALISER_VERSION, Rules, canonical
from .config import Source
from .model import Capture, Document, Outline
from .store import sha256


@dataclass(frozen=True, slots=True)
class Analysis:
    """A capture normalised: its document, canonical text and outline."""

    document: Document
    text: str
    content_sha: str
    outline: Outline


def analyse(capture: Capture, rules: Rules, name: str) -> Analysis:
    """Normalise a capture (pure). Raises :class:`InputError` for unreadable input."""
    # The normaliser (lxml and its rules) is imported by the first page that needs it:
    # a check whose pages all answer 304, or hash as before, never reads one.
    from .normalise import parse

    return analysis_of(parse(capture.body, capture.content_type, rules, capture.filename, name))


def analysis_of(doc: Document) -> Analysis:
    """A document's canonical text, its hash and its outline (pure)."""
    from .sections import outline

    text = canonical(doc)
    doc.words  # noqa: B018 - counted here, so that a worker process does it
    return Analysis(doc, text, sha256(text), outline(doc))


def raw_digest(body: bytes) -> str:
    """SHA-256 of a capture's bytes, remembered for the few captures in flight (a
    page's hash is needed both to route it and to record it)."""
    # Keyed by identity, not by value: hashing a 350 KB key for a dict costs half as
    # much as the SHA-256 itself. The entry holds the bytes, so the id stays theirs.
    key = id(body)
    remembered = _DIGESTS.get(key)
    if remembered is not None and remembered[0] is body:
        return remembered[1]
    digest = sha256(body)
    with _DIGESTS_LOCK:  # the daemon records from several threads
        if len(_DIGESTS) >= 8:
            _DIGESTS.pop(next(iter(_DIGESTS)))
        _DIGESTS[key] = (body, digest)
    return digest


_DIGESTS: dict[int, tuple[bytes, str]] = {}
_DIGESTS_LOCK = threading.Lock()


def rules_of(source: Source) -> Rules:
    """The extraction rules of a source."""
    return Rules(source.select, source.remove)


def rules_hash(source: Source) -> str:
    """A hash of what, besides the page, decides a source's canonical text and outline."""
    return _rules_hash(NORMALISER_VERSION, source.select, source.remove)


@functools.lru_cache(maxsize=256)
def _rules_hash(normaliser: int, select: tuple[str, ...], remove: tuple[str, ...]) -> str:
    # Cached: it is asked for twice for every page checked, with the same few rules.
    return sha256(json.dumps([normaliser, select, remove]))[:16]
