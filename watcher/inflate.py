"""Removing a response's gzip or deflate content coding, within a size cap.

The fetch stage asks for at most as many bytes as the cap leaves, so a gzip
bomb never expands in memory (see :mod:`watcher.fetch`).
"""

from __future__ import annotations

import zlib

_GZIP_MAGIC = b"\x1f\x8b"


class Inflater:
    """Removes a gzip or deflate content coding without ever producing more than asked.

    A gzip body may be several gzip members one after the other (what
    concatenating compressed files gives): all are decoded, as browsers do.
    Bytes after the last member that are not one are ignored, as browsers do.
    """

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._head = b""  # input held until a header can be checked
        self._decided = self._gzip
        self._between_members = False  # gzip: one member ended, is another next?
        self._ended = False  # gzip: past the last member, the rest is ignored

    def inflate(self, data: bytes, room: int) -> tuple[bytes, bytes]:
        """Decode ``data`` into at most ``room`` bytes; return them and the unused input."""
        if self._gzip:
            return self._inflate_gzip(data, room)
        if not self._decided:
            head = self._with_held(data)
            if head is None:
                return b"", b""
            self._decided = True
            try:
                out = self._obj.decompress(head, room)
            except zlib.error:
                # "deflate" is often sent raw, without the zlib header.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._obj.decompress(head, room)
        else:
            out = self._obj.decompress(data, room)
        return out, self._obj.unconsumed_tail

    def _with_held(self, data: bytes) -> bytes | None:
        """``data`` after the input held back, or None while fewer than the two bytes
        that a header check needs have come (they are held)."""
        data = self._head + data
        if len(data) < 2:
            self._head = data
            return None
        self._head = b""
        return data

    def _inflate_gzip(self, data: bytes, room: int) -> tuple[bytes, bytes]:
        if self._ended:
            return b"", b""
        if self._between_members:
            head = self._with_held(data)
            if head is None:
                return b"", b""
            self._between_members = False
            if not head.startswith(_GZIP_MAGIC):
                self._ended = True  # padding or junk after the last member
                return b"", b""
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
            data = head
        out = self._obj.decompress(data, room)
        if self._obj.eof:
            self._between_members = True
            return out, self._obj.unused_data
        return out, self._obj.unconsumed_tail
