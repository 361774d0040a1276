"""Big files written piece by piece with planted metadata, for the streaming tests and
bench/bench_bigfiles.py: none of them is ever held whole in memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

PLANTED_AUTHOR = "Planted Author Veronika Stroud"
PLANTED_PLACE = "Planted Place Zhytomyr Depot"
PIECE = 1 << 20


def _png_chunk(out: BinaryIO, kind: bytes, data: bytes) -> None:
    out.write(len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big"))


def _rows(width: int, height: int, channels: int) -> bytes:
    """Filter byte 0 and a pattern that shifts with the row, so rows differ."""
    row = bytes((x * 7) & 0xFF for x in range(width * channels))
    for y in range(height):
        shift = y % len(row)
        yield b"\0" + row[shift:] + row[:shift]


def write_png(path: Path, width: int, height: int, level: int = 1, idat_size: int = PIECE) -> None:
    """An RGB PNG of width x height with an author, a place and a time planted in text chunks."""
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        _png_chunk(out, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        _png_chunk(out, b"tEXt", b"Author\0" + PLANTED_AUTHOR.encode())
        _png_chunk(out, b"iTXt", b"Location\0\0\0\0\0" + PLANTED_PLACE.encode())
        _png_chunk(out, b"tIME", struct.pack(">HBBBBB", 2024, 3, 1, 12, 30, 0))
        compressor, pending = zlib.compressobj(level), bytearray()
        for row in _rows(width, height, 3):
            pending += compressor.compress(row)
            while len(pending) >= idat_size:
                _png_chunk(out, b"IDAT", bytes(pending[:idat_size]))
                del pending[:idat_size]
        pending += compressor.flush()
        for start in range(0, len(pending), idat_size):
            _png_chunk(out, b"IDAT", bytes(pending[start:start + idat_size]))
        _png_chunk(out, b"IEND", b"")


def png_size_for(megabytes: int, level: int = 0) -> tuple[int, int]:
    """Width and height of an RGB PNG whose image data is about `megabytes` MiB (stored, level 0)."""
    width = 8000
    return width, max(1, (megabytes << 20) // (width * 3 + 1))
