"""Compression of raw captures for the store.

Captures of one page over time are near-identical, so a capture is stored as
a zstd *delta*: compressed with an earlier capture of the same source (its
*keyframe*) as a raw-content dictionary, which typically costs a few
kilobytes instead of tens. A keyframe is stored on its own, so reading any
capture takes at most two decompressions. Everything here is pure.
"""

from __future__ import annotations

import zlib

import zstandard

from .errors import StoreError

LEVEL = 3
# A delta larger than this share of the keyframe's own compressed size means the
# page has drifted far from it: store a new keyframe instead.
DELTA_LIMIT = 0.35


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def compress(body: bytes) -> tuple[str, bytes]:
    """A capture compressed on its own (a keyframe): ``(codec, data)``."""
    return "zstd", zstandard.ZstdCompressor(level=LEVEL).compress(body)


def delta_compressor(base: bytes) -> zstandard.ZstdCompressor:
    """A compressor of captures against ``base`` (the raw bytes of their keyframe);
    making one costs more than using it, so callers keep it for the next capture."""
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=_dictionary(base))


def compress_delta(body: bytes, base: bytes | zstandard.ZstdCompressor) -> bytes:
    """A capture compressed against its keyframe (raw bytes, or their compressor)."""
    compressor = base if isinstance(base, zstandard.ZstdCompressor) else delta_compressor(base)
    return compressor.compress(body)


def worth_a_delta(delta: bytes, keyframe_data: bytes) -> bool:
    """Whether a delta is small enough, or the page has drifted from its keyframe."""
    return len(delta) <= DELTA_LIMIT * len(keyframe_data)


def decompress(codec: str, data: bytes, base: bytes | None = None) -> bytes:
    """Undo :func:`compress` (``zstd``), :func:`compress_delta` (``zstd-delta``,
    given the keyframe's raw bytes) or the older ``zlib`` codec."""
    if codec == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    if codec == "zstd-delta":
        if base is None:
            raise StoreError("a delta-compressed capture needs its keyframe")
        return zstandard.ZstdDecompressor(dict_data=_dictionary(base)).decompress(data)
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "raw":
        return data
    raise StoreError(f"unknown blob codec '{codec}'")
