"""A capture analysed: normalised into a document, its canonical text and hash,
and its outline (pure; run in worker processes when there are many); and the
hashes that say whether two analyses can be compared.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xxhash

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


def fingerprint(body: bytes) -> str:
    """XXH3-128 of a capture's bytes: what tells a page's bytes are those of an
    earlier capture, without their SHA-256.

    A 350 KB page hashes in about 3 µs this way against 170 µs with SHA-256, which
    was a tenth of the CPU of a check that found the same bytes on 100 pages. Two
    different pages share a fingerprint with odds of 1 in 2**128; it is not a
    cryptographic hash, but the only party that could forge a match is the site,
    which could as well serve a tracker another page. SHA-256 stays what names a
    capture in the store.
    """
    return xxhash.xxh3_128_hexdigest(body)


def same_bytes(row: Mapping[str, Any], body: bytes) -> bool:
    """Whether a fetch row records a capture of exactly these bytes: by fingerprint,
    or by SHA-256 for rows written before fingerprints were kept."""
    if row["raw_sha256"] is None:  # no capture: a failure, or a 304 before any
        return False
    if row["raw_xxh3"]:
        return bool(row["raw_xxh3"] == fingerprint(body))
    return bool(row["raw_sha256"] == raw_digest(body))


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
