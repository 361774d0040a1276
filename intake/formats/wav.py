"""WAV (RIFF and RF64 WAVE): chunk surgery, the samples copied byte for byte.

A WAVE file is a RIFF form of chunks. Playing it needs only `fmt ` (how the
samples are coded), `data` (the samples) and, for compressed codings, `fact`
(the sample count). Everything else goes, known or not (fail closed):
LIST/INFO text (artist, software, dates), `bext` (Broadcast WAV: originator,
origination date and time, UMID, coding history), `iXML` (recorder, scene,
sometimes GPS), `id3 ` tags, `_PMX` (XMP), cue points and their `LIST adtl`
labels, padding chunks and bytes after the form.

RF64 (the 64-bit form recorders switch to past 4 GiB) keeps its `ds64`
chunk, rewritten with the new sizes and no table. Everything streams: the
samples are copied in chunk_size() pieces, never held whole.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats import audio_tags, iff
from intake.formats.base import Category, Finding, View
from intake.errors import Refused
from intake.formats.iff import Chunk, Form
from intake.formats.shared.metadata import xmp_findings
from intake.formats.streamed import bytes_verbs, digest_of_ranges

NAME = "WAV"
MEDIA_TYPES = ("audio/wav",)

KEPT = (b"fmt ", b"fact", b"data")
_NO_SIZE = 0xFFFFFFFF  # RF64: "see ds64"
_DS64_SIZE = 28  # RIFF size, data size, sample count (8 bytes each), table length (4), no table


@dataclass(frozen=True)
class Wave:
    riff: bytes  # b"RIFF" or b"RF64"
    form: Form
    sample_count: int  # RF64's ds64 sample count; 0 for RIFF


# --- parsing ---------------------------------------------------------------

def parse(source: BinaryIO) -> Wave:
    length = source.seek(0, io.SEEK_END)
    source.seek(0)
    head = source.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise Refused("not a WAVE file: no RIFF/RF64 WAVE header")
    riff, declared = head[:4], int.from_bytes(head[4:8], "little")
    ds64 = _read_ds64(source) if riff == b"RF64" else None
    end = iff.checked_end(8 + (ds64[0] if ds64 else declared), length, NAME)

    def true_size(ident: bytes, size: int) -> int:
        return ds64[1] if ds64 and ident == b"data" and size == _NO_SIZE else size

    form = iff.Form(NAME, tuple(iff.walk(source, NAME, end, "little", true_size)), end, length)
    _check_layout(list(form.chunks))
    return Wave(riff, form, ds64[2] if ds64 else 0)


def _read_ds64(source: BinaryIO) -> tuple[int, int, int]:
    """RF64's (RIFF size, data size, sample count), from the ds64 chunk that must come first."""
    source.seek(12)
    head = source.read(8 + 24)
    if len(head) < 32 or head[:4] != b"ds64" or int.from_bytes(head[4:8], "little") < 24:
        raise Refused("an RF64 file without its ds64 chunk first")
    return tuple(int.from_bytes(head[start:start + 8], "little") for start in (8, 16, 24))  # type: ignore[return-value]


def _check_layout(chunks: list[Chunk]) -> None:
    idents = [chunk.ident for chunk in chunks]
    if idents.count(b"fmt ") != 1 or idents.count(b"data") != 1 or idents.count(b"fact") > 1:
        raise Refused("a WAV file needs exactly one 'fmt ' and one 'data' chunk")
    if idents.index(b"fmt ") > idents.index(b"data"):
        raise Refused("the WAV 'fmt ' chunk comes after its samples")
    if chunks[idents.index(b"fmt ")].size < 16:
        raise Refused("the WAV 'fmt ' chunk is too short")


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    form = parse(source).form
    findings = [f for chunk in form.chunks if chunk.ident not in KEPT + (b"ds64",)
                for f in _chunk_findings(source, chunk)]
    return list(dict.fromkeys(findings + iff.trailer_findings(form)))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    """The RIFF (or RF64) header, then fmt, fact and data in their order, copied unchanged."""
    wave = parse(source)
    kept = wave.form.kept(KEPT)
    body = 4 + iff.padded_size(kept)
    rf64 = wave.riff == b"RF64"
    if rf64:
        out.write(b"RF64" + _NO_SIZE.to_bytes(4, "little") + b"WAVE" + b"ds64" + _DS64_SIZE.to_bytes(4, "little"))
        sizes = (body + 8 + _DS64_SIZE, wave.form.chunk(b"data").size, wave.sample_count)
        out.write(b"".join(size.to_bytes(8, "little") for size in sizes) + bytes(4))
    elif body > 0xFFFFFFFF:
        raise Refused("the WAV file is too big for RIFF")
    else:
        out.write(b"RIFF" + body.to_bytes(4, "little") + b"WAVE")
    for chunk in kept:
        iff.write_chunk(source, out, chunk, "little", _NO_SIZE if rf64 and chunk.ident == b"data" else None)


def content_digest(source: BinaryIO) -> bytes:
    """The 'fmt ' chunk and the samples: what is heard."""
    form = parse(source).form
    return digest_of_ranges(source, [(c.offset, c.size) for c in (form.chunk(b"fmt "), form.chunk(b"data"))])


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """Every byte but the samples: headers, every other chunk, bytes after the form."""
    return iff.residue(source, parse(source).form, b"data")


inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the WAV file")


def content(data: bytes) -> list[bytes]:
    form = parse(io.BytesIO(data)).form
    return iff.bodies(data, [form.chunk(b"fmt "), form.chunk(b"data")])


# --- findings ------------------------------------------------------------------

_INFO_NAMES = {
    "IART": "artist", "ICRD": "creation date", "INAM": "title", "ICMT": "comment", "ISFT": "software",
    "IENG": "engineer", "ICOP": "copyright", "IPRD": "album", "IGNR": "genre", "ITRK": "track", "ISBJ": "subject",
    "ITCH": "technician", "ISRC": "source", "IKEY": "keywords", "labl": "cue label", "note": "cue note",
    # LIST 'exif' (the EXIF-in-RIFF chunks some cameras and recorders write)
    "ecor": "camera make", "emdl": "camera model", "emnt": "maker notes", "etim": "creation time",
    "erel": "related file", "eucm": "user comment", "ever": "exif version",
}
_BEXT_FIELDS = (("Description", 0, 256), ("Originator", 256, 288), ("OriginatorReference", 288, 320),
                ("OriginationDate", 320, 330), ("OriginationTime", 330, 338))
_BEXT_UMID = (348, 412)
_BEXT_HISTORY = 602


def _chunk_findings(source: BinaryIO, chunk: Chunk) -> list[Finding]:
    where = f"'{chunk.label}' chunk"
    if chunk.size > audio_tags.MAX_TAG_READ or chunk.ident not in _READERS:
        return [Finding(Category.HIDDEN, f"{_KNOWN.get(chunk.ident, 'unknown chunk')} '{chunk.label}'",
                        f"{chunk.size} bytes", where)]
    source.seek(chunk.offset)
    return _READERS[chunk.ident](source.read(chunk.size), where)


def _list_findings(body: bytes, where: str) -> list[Finding]:
    kind = body[:4]
    findings = [Finding(Category.OTHER, f"LIST '{kind.decode('latin-1')}' chunk", f"{len(body)} bytes", where)]
    position = 4
    while position + 8 <= len(body):
        ident, size = body[position:position + 4], int.from_bytes(body[position + 4:position + 8], "little")
        text = body[position + 8:position + 8 + size]
        if kind == b"adtl":
            text = text[4:]  # a cue point id, then the label
        value = text.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        name = ident.decode("latin-1")
        name = f"{_INFO_NAMES[name]} ({name})" if name in _INFO_NAMES else name
        if value:
            findings.append(audio_tags.tag_finding(name, value, f"{where} ({kind.decode('latin-1')})"))
        position += 8 + size + (size & 1)
    return findings


def _bext_findings(body: bytes, where: str) -> list[Finding]:
    findings = [Finding(Category.OTHER, "Broadcast WAV (bext) chunk", f"{len(body)} bytes", where)]
    for name, start, end in _BEXT_FIELDS:
        value = body[start:end].split(b"\0", 1)[0].decode("latin-1").strip()
        if value:
            findings.append(audio_tags.tag_finding(name, value, where))
    umid = body[_BEXT_UMID[0]:_BEXT_UMID[1]]
    if umid.strip(b"\0"):
        findings.append(Finding(Category.DEVICE, "UMID", umid.hex()[:64], where))
    history = body[_BEXT_HISTORY:].split(b"\0", 1)[0].decode("latin-1").strip()
    if history:
        findings.append(audio_tags.tag_finding("CodingHistory", history, where))
    return findings


def _xml_findings(body: bytes, where: str) -> list[Finding]:
    return [Finding(Category.OTHER, "XML metadata", f"{len(body)} bytes", where)] + xmp_findings(body, where)


def _id3_findings(body: bytes, where: str) -> list[Finding]:
    if body.startswith(b"ID3"):
        return audio_tags.id3v2_findings(body, where)
    return [Finding(Category.HIDDEN, "ID3 chunk", f"unreadable, {len(body)} bytes", where)]


_READERS = {b"LIST": _list_findings, b"bext": _bext_findings, b"iXML": _xml_findings, b"_PMX": _xml_findings,
            b"id3 ": _id3_findings, b"ID3 ": _id3_findings}
_KNOWN = {b"cue ": "cue points", b"JUNK": "padding chunk", b"PAD ": "padding chunk", b"FLLR": "padding chunk",
          b"smpl": "sampler chunk", b"inst": "instrument chunk", b"plst": "playlist chunk", b"LIST": "LIST chunk"}
