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
from typing import BinaryIO

from intake.formats import audio_tags, iff
from intake.formats.base import Category, Finding, View
from intake.errors import Refused
from intake.formats.iff import Chunk, Form
from intake.formats.streamed import bytes_verbs, digest_of_ranges

NAME = "AIFF"
MEDIA_TYPES = ("audio/aiff",)

KEPT = (b"COMM", b"SSND", b"FVER")


def parse(source: BinaryIO) -> Form:
    length = source.seek(0, io.SEEK_END)
    source.seek(0)
    head = source.read(12)
    if len(head) < 12 or head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
        raise Refused("not an AIFF file: no FORM AIFF/AIFC header")
    end = iff.checked_end(8 + int.from_bytes(head[4:8], "big"), length, NAME)
    form = iff.Form(NAME, tuple(iff.walk(source, NAME, end, "big")), end, length)
    _check_layout(form, head[8:12])
    return form


def _check_layout(form: Form, kind: bytes) -> None:
    idents = [chunk.ident for chunk in form.chunks]
    if idents.count(b"COMM") != 1 or idents.count(b"SSND") != 1 or idents.count(b"FVER") > 1:
        raise Refused("an AIFF file needs exactly one COMM and one SSND chunk")
    if kind == b"AIFC" and idents.count(b"FVER") != 1:
        raise Refused("an AIFF-C file needs its FVER chunk")
    if form.chunk(b"COMM").size < 18 or form.chunk(b"SSND").size < 8:
        raise Refused("the AIFF COMM or SSND chunk is too short")


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    form = parse(source)
    findings = [f for chunk in form.chunks if chunk.ident not in KEPT for f in _chunk_findings(source, chunk)]
    return list(dict.fromkeys(findings + iff.trailer_findings(form)))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    form = parse(source)
    source.seek(8)
    kind = source.read(4)
    kept = form.kept(KEPT)
    out.write(b"FORM" + (4 + iff.padded_size(kept)).to_bytes(4, "big") + kind)
    for chunk in kept:
        iff.write_chunk(source, out, chunk, "big")


def content_digest(source: BinaryIO) -> bytes:
    """The COMM chunk and the sound data (SSND): what is heard."""
    form = parse(source)
    return digest_of_ranges(source, [(c.offset, c.size) for c in (form.chunk(b"COMM"), form.chunk(b"SSND"))])


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """Every byte but the sound data."""
    return iff.residue(source, parse(source), b"SSND")


inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the AIFF file")


def content(data: bytes) -> list[bytes]:
    form = parse(io.BytesIO(data))
    return iff.bodies(data, [form.chunk(b"COMM"), form.chunk(b"SSND")])


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
