"""Bytes verbs for a module that streams: the small-file path held whole in memory.

(base.py has inspect_via_stream and sanitize_via_stream; this adds the
residue, whose bounded pieces are joined back into runs so that a value cut
in two by a piece boundary is still found by a plain `in` scan.)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from intake.formats.base import (ContentDigest, Finding, View, inspect_via_stream, read_exactly,
                                 sanitize_via_stream)


def joined(pieces: Iterator[View]) -> list[View]:
    """Consecutive pieces with the same `where` put back together into one view."""
    runs: list[View] = []
    for piece in pieces:
        if runs and runs[-1].where == piece.where:
            runs[-1] = View(piece.where, runs[-1].data + piece.data)
        else:
            runs.append(piece)
    return runs


def residue_via_stream(residue_stream: Callable[[BinaryIO], Iterator[View]], data: bytes) -> list[View]:
    return joined(residue_stream(io.BytesIO(data)))


BytesVerbs = tuple[Callable[[bytes], list[Finding]], Callable[[bytes], bytes], Callable[[bytes], list[View]],
                   Callable[[bytes], list[View]]]


def bytes_verbs(inspect_stream: Callable[[BinaryIO], list[Finding]],
                sanitize_stream: Callable[[BinaryIO, BinaryIO], None],
                residue_stream: Callable[[BinaryIO], Iterator[View]], label: str) -> BytesVerbs:
    """inspect, sanitize, views and residue on bytes, for a module whose real work is in its stream verbs."""

    def inspect(data: bytes) -> list[Finding]:
        return inspect_via_stream(inspect_stream, data)

    def sanitize(data: bytes) -> bytes:
        return sanitize_via_stream(sanitize_stream, data)

    def views(data: bytes) -> list[View]:
        return [View(label, data)]

    def residue(data: bytes) -> list[View]:
        return residue_via_stream(residue_stream, data)

    return inspect, sanitize, views, residue


def copy_range(source: BinaryIO, start: int, length: int, out: BinaryIO) -> None:
    """`length` bytes from `start` to `out`, in chunk_size() pieces."""
    source.seek(start)
    for piece in read_exactly(source, length):
        out.write(piece)


def digest_of_ranges(source: BinaryIO, ranges: list[tuple[int, int]]) -> bytes:
    """The content digest of these (start, length) ranges of the source, each one part."""
    digest = ContentDigest()
    for start, length in ranges:
        digest.begin(length)
        source.seek(start)
        for piece in read_exactly(source, length):
            digest.update(piece)
    return digest.digest()
