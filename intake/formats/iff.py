"""Chunked forms of the IFF family: RIFF (WAV, little-endian) and IFF (AIFF, big-endian).

A form is a 12-byte header (`RIFF`/`RF64`/`FORM`, a size, a form type) and
then chunks: a four-letter id, a 32-bit size in the form's byte order, the
body, and a pad byte after an odd body. The WAV and AIFF modules decide
which chunks stay; walking, copying and the leftover views are shared here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from intake.formats.base import Category, Finding, View, read_exactly
from intake.errors import Refused
from intake.formats.streamed import copy_range

MAX_CHUNKS = 4096
ByteOrder = Literal["little", "big"]


@dataclass(frozen=True)
class Chunk:
    ident: bytes
    offset: int  # where the body starts
    size: int  # body length, without the pad byte

    @property
    def label(self) -> str:
        return self.ident.decode("latin-1").strip() or "unnamed"


@dataclass(frozen=True)
class Form:
    name: str  # "WAV", "AIFF": for messages
    chunks: tuple[Chunk, ...]
    end: int  # where the form ends; bytes after it are not part of the file
    length: int

    def chunk(self, ident: bytes) -> Chunk:
        return next(chunk for chunk in self.chunks if chunk.ident == ident)

    def kept(self, idents: tuple[bytes, ...]) -> list[Chunk]:
        return [chunk for chunk in self.chunks if chunk.ident in idents]


def checked_end(declared_end: int, length: int, name: str) -> int:
    """Where the form ends: as declared, or one byte short (a last odd chunk without its pad byte, common)."""
    if declared_end > length + 1:
        raise Refused(f"the {name} file says it is longer than it is (truncated, or a false size)")
    return min(declared_end, length)


def walk(source: BinaryIO, name: str, end: int, order: ByteOrder,
         true_size: Callable[[bytes, int], int] = lambda ident, size: size) -> list[Chunk]:
    """The chunks from byte 12 to `end`; `true_size` may replace a size field (RF64's placeholder)."""
    chunks: list[Chunk] = []
    position = 12
    while position + 8 <= end:
        if len(chunks) >= MAX_CHUNKS:
            raise Refused(f"the {name} file has too many chunks")
        source.seek(position)
        header = source.read(8)
        ident = header[:4]
        size = true_size(ident, int.from_bytes(header[4:8], order))
        if position + 8 + size > end:
            raise Refused(f"the {name} chunk '{ident.decode('latin-1')}' is longer than the file")
        chunks.append(Chunk(ident, position + 8, size))
        position += 8 + size + (size & 1)
    if end - position > 1:
        raise Refused(f"the {name} file ends in the middle of a chunk header")
    return chunks


def write_chunk(source: BinaryIO, out: BinaryIO, chunk: Chunk, order: ByteOrder, size_field: int | None = None) -> None:
    """The chunk as it was (its size field may be given), its body copied in pieces, padded to even."""
    out.write(chunk.ident + (chunk.size if size_field is None else size_field).to_bytes(4, order))
    copy_range(source, chunk.offset, chunk.size, out)
    if chunk.size & 1:
        out.write(b"\0")


def padded_size(chunks: list[Chunk]) -> int:
    """What these chunks take in a form, headers and pad bytes included."""
    return sum(8 + chunk.size + (chunk.size & 1) for chunk in chunks)


def residue(source: BinaryIO, form: Form, samples: bytes) -> Iterator[View]:
    """Every byte of the file but the body of the `samples` chunk, in pieces."""
    source.seek(0)
    yield View(f"the {form.name} header", source.read(12))
    for chunk in form.chunks:
        source.seek(chunk.offset - 8)
        yield View(f"the '{chunk.label}' chunk header", source.read(8))
        if chunk.ident != samples:
            source.seek(chunk.offset)
            for piece in read_exactly(source, chunk.size):
                yield View(f"the '{chunk.label}' chunk", piece)
    source.seek(form.end)
    for piece in read_exactly(source, form.length - form.end):
        yield View(f"bytes after the {form.name} form", piece)


def bodies(data: bytes, chunks: list[Chunk]) -> list[bytes]:
    return [data[chunk.offset:chunk.offset + chunk.size] for chunk in chunks]


def trailer_findings(form: Form) -> list[Finding]:
    if form.length <= form.end + (form.end & 1):
        return []
    extra = form.length - form.end
    return [Finding(Category.HIDDEN, f"bytes after the end of the {form.name} form", f"{extra} bytes",
                    f"after the {form.name} form")]
