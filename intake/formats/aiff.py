"""AIFF and AIFF-C: chunk surgery, the sound data copied byte for byte.

An AIFF file is an IFF `FORM` of big-endian chunks. Playing it needs `COMM`
(channels, frames, sample size and rate; for AIFF-C the compression) and
`SSND` (the samples); AIFF-C also requires `FVER` (the format version, a
constant). Those three are kept unchanged. Everything else goes, known or
not (fail closed): NAME, AUTH, `(c) `, ANNO, COMT (comments with their
time stamps), MARK and INST (markers and their names), APPL (application
data), `ID3 ` tags, padding and bytes after the form. Streams like WAV.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats import audio_tags
from intake.formats.base import Category, Finding, Refused, View, read_exactly
from intake.formats.streamed import bytes_verbs, copy_range, digest_of_ranges

NAME = "AIFF"
MEDIA_TYPES = ("audio/aiff",)

KEPT = (b"COMM", b"SSND", b"FVER")
MAX_CHUNKS = 4096


@dataclass(frozen=True)
class Chunk:
    ident: bytes
    offset: int  # of the body
    size: int

    @property
    def label(self) -> str:
        return self.ident.decode("latin-1").strip() or "unnamed"


@dataclass(frozen=True)
class Aiff:
    kind: bytes  # b"AIFF" or b"AIFC"
    chunks: tuple[Chunk, ...]
    form_end: int
    length: int

    def chunk(self, ident: bytes) -> Chunk:
        return next(chunk for chunk in self.chunks if chunk.ident == ident)


def parse(source: BinaryIO) -> Aiff:
    length = source.seek(0, io.SEEK_END)
    source.seek(0)
    head = source.read(12)
    if len(head) < 12 or head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
        raise Refused("not an AIFF file: no FORM AIFF/AIFC header")
    form_end = 8 + int.from_bytes(head[4:8], "big")
    if form_end > length + 1:  # one byte short: a last odd chunk without its pad byte
        raise Refused("the AIFF file says it is longer than it is (truncated, or a false size)")
    form_end = min(form_end, length)
    chunks: list[Chunk] = []
    position = 12
    while position + 8 <= form_end:
        if len(chunks) >= MAX_CHUNKS:
            raise Refused("the AIFF file has too many chunks")
        source.seek(position)
        header = source.read(8)
        size = int.from_bytes(header[4:8], "big")
        if position + 8 + size > form_end:
            raise Refused(f"the AIFF chunk '{header[:4].decode('latin-1')}' is longer than the file")
        chunks.append(Chunk(header[:4], position + 8, size))
        position += 8 + size + (size & 1)
    if form_end - position > 1:
        raise Refused("the AIFF file ends in the middle of a chunk header")
    aiff = Aiff(head[8:12], tuple(chunks), form_end, length)
    _check_layout(aiff)
    return aiff


def _check_layout(aiff: Aiff) -> None:
    idents = [chunk.ident for chunk in aiff.chunks]
    if idents.count(b"COMM") != 1 or idents.count(b"SSND") != 1 or idents.count(b"FVER") > 1:
        raise Refused("an AIFF file needs exactly one COMM and one SSND chunk")
    if aiff.kind == b"AIFC" and idents.count(b"FVER") != 1:
        raise Refused("an AIFF-C file needs its FVER chunk")
    if aiff.chunk(b"COMM").size < 18 or aiff.chunk(b"SSND").size < 8:
        raise Refused("the AIFF COMM or SSND chunk is too short")


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    aiff = parse(source)
    findings = [f for chunk in aiff.chunks if chunk.ident not in KEPT for f in _chunk_findings(source, chunk)]
    if aiff.length > aiff.form_end + (aiff.form_end & 1):
        findings.append(Finding(Category.HIDDEN, "bytes after the end of the AIFF form",
                                f"{aiff.length - aiff.form_end} bytes", "after the FORM"))
    return list(dict.fromkeys(findings))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    aiff = parse(source)
    kept = [chunk for chunk in aiff.chunks if chunk.ident in KEPT]
    body = 4 + sum(8 + chunk.size + (chunk.size & 1) for chunk in kept)
    out.write(b"FORM" + body.to_bytes(4, "big") + aiff.kind)
    for chunk in kept:
        out.write(chunk.ident + chunk.size.to_bytes(4, "big"))
        copy_range(source, chunk.offset, chunk.size, out)
        if chunk.size & 1:
            out.write(b"\0")


def content_digest(source: BinaryIO) -> bytes:
    """The COMM chunk and the sound data (SSND): what is heard."""
    aiff = parse(source)
    return digest_of_ranges(source, [(c.offset, c.size) for c in (aiff.chunk(b"COMM"), aiff.chunk(b"SSND"))])


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """Every byte but the sound data."""
    aiff = parse(source)
    source.seek(0)
    yield View("the AIFF header", source.read(12))
    for chunk in aiff.chunks:
        source.seek(chunk.offset - 8)
        yield View(f"the '{chunk.label}' chunk header", source.read(8))
        if chunk.ident != b"SSND":
            source.seek(chunk.offset)
            for piece in read_exactly(source, chunk.size):
                yield View(f"the '{chunk.label}' chunk", piece)
    source.seek(aiff.form_end)
    for piece in read_exactly(source, aiff.length - aiff.form_end):
        yield View("bytes after the AIFF form", piece)


inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the AIFF file")


def content(data: bytes) -> list[bytes]:
    aiff = parse(io.BytesIO(data))
    return [data[c.offset:c.offset + c.size] for c in (aiff.chunk(b"COMM"), aiff.chunk(b"SSND"))]


# --- findings ------------------------------------------------------------------

_TEXT_NAMES = {b"NAME": "title", b"AUTH": "author", b"(c) ": "copyright", b"ANNO": "annotation"}


def _chunk_findings(source: BinaryIO, chunk: Chunk) -> list[Finding]:
    where = f"AIFF '{chunk.label}' chunk"
    if chunk.size > audio_tags.MAX_TAG_READ:
        return [Finding(Category.HIDDEN, f"chunk '{chunk.label}'", f"{chunk.size} bytes", where)]
    source.seek(chunk.offset)
    body = source.read(chunk.size)
    if chunk.ident in _TEXT_NAMES:
        return [audio_tags.tag_finding(_TEXT_NAMES[chunk.ident], body.decode("latin-1").strip("\0 "), where)]
    if chunk.ident in (b"ID3 ", b"id3 ") and body.startswith(b"ID3"):
        return audio_tags.id3v2_findings(body, where)
    if chunk.ident == b"COMT":
        return _comment_findings(body, where)
    if chunk.ident == b"APPL":
        return [Finding(Category.HIDDEN, "application data", f"{body[:4]!r}, {chunk.size} bytes", where)]
    return [Finding(Category.HIDDEN, f"chunk '{chunk.label}'", f"{chunk.size} bytes", where)]


def _comment_findings(body: bytes, where: str) -> list[Finding]:
    """COMT: a count, then comments of a time stamp, a marker id, a length and the text."""
    findings = [Finding(Category.OTHER, "comments chunk", f"{len(body)} bytes", where)]
    position = 2
    for _ in range(int.from_bytes(body[:2], "big")):
        length = int.from_bytes(body[position + 6:position + 8], "big")
        text = body[position + 8:position + 8 + length].decode("latin-1").strip()
        if text:
            findings.append(audio_tags.tag_finding("comment", text, where))
        position += 8 + length + (length & 1)
        if position > len(body):
            break
    return findings
