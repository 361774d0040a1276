"""PNG (and APNG): chunk surgery, never re-encoding.

A PNG is a signature and a list of chunks (length, type, data, CRC-32). The
clean copy keeps the chunks that rendering needs byte for byte, so the
compressed image data (IDAT, and the APNG frames in fdAT) is untouched, and
drops every other chunk: text (tEXt, zTXt, iTXt), EXIF (eXIf), the
modification time (tIME), unknown ancillary chunks and anything after IEND.
An orientation stated only in ImageMagick's raw EXIF profile is kept in a
new such profile holding nothing else, and one stated only in XMP in a new
iTXt chunk holding nothing else (intake.formats.shared.xmp_orientation).

The parser is strict and fails closed: a wrong CRC, a length past the end of
the data, an unknown critical chunk, a kept chunk of the wrong size, image
data that does not inflate to exactly the size the header declares (extra
data could hide a payload) or that would inflate past MAX_PIXEL_BYTES all
raise Refused.

Some helpers here (EXIF review, text helpers) are shared with the GIF and
WebP modules, which carry the same blocks in other containers; ICC profiles
are judged by intake.formats.shared.icc for every format.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from intake.formats.shared import icc, xmp_orientation
from intake.formats.base import (Category, ContentDigest, Finding, Parsed, View, bytes_verbs, categorise, read_exactly,
                                 shorten, stream_verbs)
from intake.errors import Refused
from intake.formats.shared.image_blocks import (TAIL_WHERE, exif_orientation, exif_review, iptc_block, or_generic,
                                                orientation_exif)
from intake.formats.shared.metadata import iptc_findings, xmp_findings

NAME = "PNG"
MEDIA_TYPES = ("image/png",)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK_LENGTH = 2**31 - 1  # the PNG limit for one chunk's data
# Decoded image data (all frames) above this is refused: it bounds memory and
# time for a decompression bomb, whose size the header gives away in advance.
MAX_PIXEL_BYTES = 512 << 20
# Compressed text and profiles are expanded only this far (they are removed
# anyway; the limit only bounds what inspect and views spend on them).
MAX_TEXT_BYTES = 16 << 20
MAX_ICC_BYTES = 1 << 20
MAX_TEXT_TOTAL = 64 << 20  # all expanded text and profiles of one file together
# Real PNGs have at most tens of thousands of chunks (IDAT is usually split
# every 8-64 KiB); millions of empty chunks would only make the loop crawl.
MAX_CHUNKS = 200_000

# Chunks rendering needs, with the data lengths they may have (None: any,
# checked elsewhere). Fixed lengths leave no room for a hidden payload.
KEPT_LENGTHS: dict[bytes, frozenset[int] | None] = {
    b"IHDR": frozenset({13}), b"PLTE": None, b"IDAT": None, b"IEND": frozenset({0}),
    b"tRNS": None, b"gAMA": frozenset({4}), b"cHRM": frozenset({32}), b"sRGB": frozenset({1}),
    b"sBIT": frozenset({1, 2, 3, 4}), b"bKGD": frozenset({1, 2, 6}), b"pHYs": frozenset({9}),
    b"cICP": frozenset({4}), b"acTL": frozenset({8}), b"fcTL": frozenset({26}), b"fdAT": None,
}
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")

# Colour type -> (channels, allowed bit depths).
_COLOUR_TYPES = {0: (1, (1, 2, 4, 8, 16)), 2: (3, (8, 16)), 3: (1, (1, 2, 4, 8)), 4: (2, (8, 16)), 6: (4, (8, 16))}
# Adam7 passes: x start, y start, x step, y step.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
# tRNS data length by colour type (palette: up to one byte per entry).
_TRNS_LENGTHS = {0: frozenset({2}), 2: frozenset({6}), 3: frozenset(range(1, 257))}

@dataclass(frozen=True)
class Chunk:
    type: bytes
    data: bytes


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool

    @property
    def bits_per_pixel(self) -> int:
        return _COLOUR_TYPES[self.colour_type][0] * self.bit_depth


# ---------------------------------------------------------------- chunk layer

def parse_chunks(data: bytes) -> tuple[list[Chunk], bytes]:
    """The chunks up to and including IEND (CRCs checked) and the bytes after IEND."""
    if not data.startswith(SIGNATURE):
        raise Refused("not a PNG file (no PNG signature)")
    chunks: list[Chunk] = []
    offset = len(SIGNATURE)
    while not chunks or chunks[-1].type != b"IEND":  # each pass consumes >= 12 bytes
        if len(chunks) >= MAX_CHUNKS:
            raise Refused(f"PNG has more than {MAX_CHUNKS} chunks")
        chunk, offset = _read_chunk(data, offset)
        chunks.append(chunk)
    return chunks, data[offset:]


def _read_chunk(data: bytes, offset: int) -> tuple[Chunk, int]:
    if offset + 12 > len(data):
        raise Refused("PNG is truncated (no IEND chunk)")
    length = int.from_bytes(data[offset:offset + 4], "big")
    kind = data[offset + 4:offset + 8]
    if length > MAX_CHUNK_LENGTH or offset + 12 + length > len(data):
        raise Refused("PNG chunk length runs past the end of the file")
    if not kind.isalpha():  # bytes.isalpha: ASCII letters only
        raise Refused("PNG chunk type is not four letters")
    body = data[offset + 4:offset + 8 + length]
    stored = int.from_bytes(data[offset + 8 + length:offset + 12 + length], "big")
    if zlib.crc32(body) != stored:
        raise Refused(f"PNG chunk {_name(kind)} has a wrong CRC (damaged file)")
    return Chunk(kind, body[4:]), offset + 12 + length


def encode_chunk(chunk: Chunk) -> bytes:
    body = chunk.type + chunk.data
    return len(chunk.data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def build_png(chunks: Iterable[Chunk]) -> bytes:
    return SIGNATURE + b"".join(encode_chunk(chunk) for chunk in chunks)


def _name(kind: bytes) -> str:
    return kind.decode("latin-1")


# ---------------------------------------------------------------- structure

def _header(chunks: list[Chunk]) -> Header:
    if chunks[0].type != b"IHDR" or len(chunks[0].data) != 13:
        raise Refused("PNG does not start with a valid IHDR chunk")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0].data)
    if not (0 < width <= MAX_CHUNK_LENGTH and 0 < height <= MAX_CHUNK_LENGTH):
        raise Refused("PNG image size is invalid")
    if colour not in _COLOUR_TYPES or depth not in _COLOUR_TYPES[colour][1]:
        raise Refused("PNG colour type and bit depth do not fit together")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise Refused("PNG header names an unknown compression, filter or interlace method")
    return Header(width, height, depth, colour, interlace == 1)


def _check_layout(chunks: list[Chunk], header: Header) -> None:
    """Refuse what a decoder would reject, and kept chunks with room for extra bytes."""
    counts: dict[bytes, int] = {}
    for chunk in chunks:
        counts[chunk.type] = counts.get(chunk.type, 0) + 1
        if chunk.type[:1].isupper() or chunk.type in KEPT_LENGTHS:  # critical, or kept
            _check_kept(chunk, header)
    if counts.get(b"IHDR") != 1 or counts.get(b"PLTE", 0) > 1:
        raise Refused("PNG has more than one IHDR or PLTE chunk")
    if not counts.get(b"IDAT"):
        raise Refused("PNG has no image data (IDAT)")
    if header.colour_type == 3 and not counts.get(b"PLTE"):
        raise Refused("palette PNG without a palette (PLTE)")


def _check_kept(chunk: Chunk, header: Header) -> None:
    if chunk.type not in KEPT_LENGTHS:
        raise Refused(f"PNG has an unknown critical chunk {_name(chunk.type)!r}; it cannot be cleaned safely")
    allowed = KEPT_LENGTHS[chunk.type]
    if chunk.type == b"PLTE":
        allowed = None if len(chunk.data) % 3 == 0 and 3 <= len(chunk.data) <= 768 else frozenset()
    elif chunk.type == b"tRNS":
        allowed = _TRNS_LENGTHS.get(header.colour_type, frozenset())
    elif chunk.type == b"fdAT":
        allowed = None if len(chunk.data) >= 4 else frozenset()
    if allowed is not None and len(chunk.data) not in allowed:
        raise Refused(f"PNG {_name(chunk.type)} chunk has an invalid length")


# ---------------------------------------------------------------- image data

@dataclass
class _Frames:
    """APNG frame bookkeeping while walking the chunks in order."""

    sizes: list[tuple[int, int]] = field(default_factory=list)  # fcTL width, height of fdAT frames
    data: list[list[bytes]] = field(default_factory=list)       # their fdAT payloads
    controls: int = 0
    sequence: int = 0
    current_is_idat: bool = False
    seen_idat: bool = False
    seen_actl: bool = False
    declared: int = 0  # acTL's frame count


def _image_data(chunks: list[Chunk], header: Header) -> list[bytes]:
    """Decompressed IDAT, then each APNG frame: exactly the declared sizes, or Refused."""
    frames = _walk_animation(chunks)
    expected = [_raw_size(header.width, header.height, header.bits_per_pixel, header.interlaced)]
    expected += [_raw_size(w, h, header.bits_per_pixel, header.interlaced) for w, h in frames.sizes]
    if sum(expected) > MAX_PIXEL_BYTES:
        raise Refused(f"PNG image data would decompress to more than {MAX_PIXEL_BYTES >> 20} MiB")
    streams = [b"".join(c.data for c in chunks if c.type == b"IDAT")] + [b"".join(parts) for parts in frames.data]
    return [_inflate_exact(stream, size) for stream, size in zip(streams, expected, strict=True)]


def _walk_animation(chunks: list[Chunk]) -> _Frames:
    frames = _Frames()
    for chunk in chunks:
        if chunk.type == b"acTL":
            frames.seen_actl = not frames.seen_idat
            frames.declared = int.from_bytes(chunk.data[:4], "big")
        elif chunk.type == b"IDAT":
            frames.seen_idat = True
        elif chunk.type in (b"fcTL", b"fdAT"):
            _animation_chunk(chunk, frames)
    if frames.controls and not frames.seen_actl:
        raise Refused("APNG frame chunks without an animation control (acTL) before the image data")
    if frames.controls and frames.controls != frames.declared:
        # Frames beyond the declared count are never shown: a place to hide pictures.
        raise Refused("APNG frame count does not match its animation control (acTL)")
    if any(not parts for parts in frames.data):
        raise Refused("APNG frame without image data")
    return frames


def _animation_chunk(chunk: Chunk, frames: _Frames) -> None:
    # One sequence runs through fcTL and fdAT: gaps or reordering are refused.
    if int.from_bytes(chunk.data[:4], "big") != frames.sequence:
        raise Refused("APNG sequence numbers are out of order")
    frames.sequence += 1
    if chunk.type == b"fcTL":
        width, height = struct.unpack(">II", chunk.data[4:12])
        if not (0 < width <= MAX_CHUNK_LENGTH and 0 < height <= MAX_CHUNK_LENGTH):
            raise Refused("APNG frame size is invalid")
        frames.controls += 1
        frames.current_is_idat = not frames.seen_idat
        if not frames.current_is_idat:
            frames.sizes.append((width, height))
            frames.data.append([])
    elif frames.controls == 0 or frames.current_is_idat:
        raise Refused("APNG frame data (fdAT) without its frame control (fcTL)")
    else:
        frames.data[-1].append(chunk.data[4:])


def _raw_size(width: int, height: int, bits_per_pixel: int, interlaced: bool) -> int:
    """Bytes of filtered scanlines (one filter byte per line) the image must decompress to."""
    if not interlaced:
        return height * (1 + (width * bits_per_pixel + 7) // 8)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        columns, rows = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if columns > 0 and rows > 0:
            total += rows * (1 + (columns * bits_per_pixel + 7) // 8)
    return total


def _inflate_exact(stream: bytes, size: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(stream, size + 1)
    except zlib.error:
        raise Refused("PNG image data is not valid zlib data") from None
    if len(out) > size:
        raise Refused("PNG image data holds more than the image needs (possible hidden data)")
    if len(out) < size or not inflater.eof:
        raise Refused("PNG image data is truncated")
    if inflater.unused_data:
        raise Refused("PNG image data has bytes after the compressed stream (possible hidden data)")
    return out


def inflate_bounded(stream: bytes, limit: int) -> tuple[bytes | None, bool]:
    """(data, complete): data is None when the stream is not zlib at all; complete
    means the whole stream fit within the limit, with nothing after its end."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(stream, limit)
    except zlib.error:
        return None, False
    return out, inflater.eof and not inflater.unconsumed_tail and not inflater.unused_data


# ---------------------------------------------------------------- review

@dataclass(frozen=True)
class Decision:
    """What happens to one chunk: the replacement (None: dropped), why, and what a reader could see."""

    keep: Chunk | None
    findings: list[Finding] = field(default_factory=list)
    views: list[View] = field(default_factory=list)


def _review(chunk: Chunk) -> Decision:
    if chunk.type in KEPT_LENGTHS:
        return Decision(chunk)
    if chunk.type in TEXT_CHUNKS:
        return _review_text(chunk)
    if chunk.type == b"eXIf":
        kept, findings = exif_review(chunk.data, "EXIF (PNG eXIf chunk)")
        return Decision(Chunk(b"eXIf", kept) if kept is not None else None, findings)
    if chunk.type == b"tIME":
        return Decision(None, [Finding(Category.TIME, "last modified", _time_value(chunk.data), "PNG tIME chunk")])
    if chunk.type == b"iCCP":
        return _review_iccp(chunk)
    return Decision(None, [_unknown_chunk_finding(chunk)])


_KNOWN_ANCILLARY = {
    b"caBX": (Category.HIDDEN, "C2PA content credentials"),
    b"dSIG": (Category.PERSON, "digital signature"),
    b"iDOT": (Category.SOFTWARE, "Apple decoding hints"),
    b"sPLT": (Category.OTHER, "suggested palette"),
    b"hIST": (Category.OTHER, "palette histogram"),
    b"oFFs": (Category.OTHER, "image offset"),
    b"pCAL": (Category.OTHER, "pixel calibration"),
    b"sCAL": (Category.OTHER, "physical scale"),
    b"sTER": (Category.OTHER, "stereo layout"),
    b"mDCv": (Category.DEVICE, "mastering display colour volume"),
    b"cLLi": (Category.OTHER, "content light level"),
}


def _unknown_chunk_finding(chunk: Chunk) -> Finding:
    category, label = _KNOWN_ANCILLARY.get(chunk.type, (Category.HIDDEN, "unknown chunk"))
    return Finding(category, label, f"{len(chunk.data)} bytes", f"PNG {_name(chunk.type)} chunk")


def _time_value(data: bytes) -> str:
    if len(data) != 7:
        return "malformed time stamp"
    year, month, day, hour, minute, second = struct.unpack(">HBBBBB", data)
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d} UTC"


# ---------------------------------------------------------------- text chunks

@dataclass(frozen=True)
class _Text:
    keyword: str
    text: bytes | None  # None: compressed and unreadable
    complete: bool
    extra: str = ""     # iTXt language tag and translated keyword


def _read_text(chunk: Chunk) -> _Text:
    keyword_bytes, _, rest = chunk.data.partition(b"\0")
    keyword = keyword_bytes.decode("latin-1")
    if chunk.type == b"tEXt":
        return _Text(keyword, rest, True)
    if chunk.type == b"zTXt":
        text, complete = inflate_bounded(rest[1:], MAX_TEXT_BYTES) if rest[:1] == b"\0" else (None, False)
        return _Text(keyword, text, complete)
    flag, method, rest = rest[:1], rest[1:2], rest[2:]
    language, _, rest = rest.partition(b"\0")
    translated, _, text = rest.partition(b"\0")
    extra = " ".join(part.decode("utf-8", "replace") for part in (language, translated) if part)
    if flag == b"\1":
        inflated, complete = inflate_bounded(text, MAX_TEXT_BYTES) if method == b"\0" else (None, False)
        return _Text(keyword, inflated, complete, extra)
    return _Text(keyword, text, True, extra)


def _review_text(chunk: Chunk) -> Decision:
    where = f"PNG {_name(chunk.type)} chunk"
    text = _read_text(chunk)
    views = [View(f"{where} {text.keyword!r}", text.text)] if text.text and chunk.type != b"tEXt" else []
    if text.extra:
        views.append(View(f"{where} {text.keyword!r} language and translated keyword", text.extra.encode()))
    if text.text is None:
        return Decision(None, [Finding(Category.HIDDEN, text.keyword, "unreadable compressed text", where)], views)
    findings = _text_findings(text.keyword, text.text, where, chunk.type)
    if not text.complete:
        findings.append(Finding(Category.HIDDEN, text.keyword, f"compressed text over {MAX_TEXT_BYTES >> 20} MiB, "
                                "truncated or followed by other bytes", where))
    decoded = _raw_profile(text.text) if text.keyword.startswith("Raw profile type ") else None
    if decoded:
        views.append(View(f"{where} {text.keyword!r} (decoded)", decoded))
    return Decision(None, findings, views)


_KEYWORD_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"GPS|Latitude|Longitude|Location|City|Country|Place", re.I), Category.LOCATION),
    (re.compile(r"Author|Artist|Copyright|Owner|Creator$|Person|By-?line|Credit|Contact|Rights|E-?mail|User",
                re.I), Category.PERSON),
    (re.compile(r"Make|Model|Serial|Source|Camera|Lens|Device|Host", re.I), Category.DEVICE),
    (re.compile(r"Time|Date", re.I), Category.TIME),
    (re.compile(r"Software|Tool|Program|Producer|Generat|Application|Version", re.I), Category.SOFTWARE),
)


def keyword_category(keyword: str) -> Category:
    return categorise(keyword, _KEYWORD_RULES)


def _text_findings(keyword: str, body: bytes, where: str, kind: bytes) -> list[Finding]:
    if keyword == "XML:com.adobe.xmp":
        xmp_where = f"XMP (PNG {_name(kind)} chunk)"
        return or_generic(xmp_findings(body, xmp_where), "XMP packet", xmp_where)
    if keyword.startswith("Raw profile type "):
        return _raw_profile_findings(keyword[len("Raw profile type "):], body, where)
    value = body.decode("utf-8" if kind == b"iTXt" else "latin-1", "replace")
    return [Finding(keyword_category(keyword), keyword, shorten(value) or "(empty)", where)]


def _raw_profile(text: bytes) -> bytes | None:
    """ImageMagick's hex-encoded profile: "\\n<name>\\n<length>\\n<hex lines>"."""
    tokens = text.split()
    if len(tokens) < 2 or not tokens[1].isdigit():
        return None
    try:
        decoded = bytes.fromhex(b"".join(tokens[2:]).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if len(decoded) == int(tokens[1]) else None


def _raw_profile_findings(kind: str, text: bytes, where: str) -> list[Finding]:
    decoded = _raw_profile(text)
    label = f"raw profile {kind!r}"
    if decoded is None:
        return [Finding(Category.HIDDEN, label, "unreadable hex profile", where)]
    lowered, inner = kind.strip().lower(), f"{where} 'Raw profile type {kind}'"
    if decoded.startswith((b"Exif\0\0", b"II*\0", b"MM\0*")):
        # Reported even when it holds an orientation alone: only the exact chunk cleaning
        # writes (_kept_raw_exif) goes unreported, and that one never reaches this review.
        return or_generic(exif_review(decoded, f"EXIF ({inner})")[1], label, where)
    if b"<x:xmpmeta" in decoded or lowered == "xmp":
        return or_generic(xmp_findings(decoded, f"XMP ({inner})"), label, where)
    if lowered in ("iptc", "8bim"):
        return or_generic(iptc_findings(iptc_block(decoded), f"IPTC ({inner})"), label, where)
    if lowered in ("icc", "icm"):
        return icc.dropped_findings(decoded, f"ICC profile ({inner})")
    return [Finding(Category.HIDDEN, label, f"{len(decoded)} bytes", where)]


# ---------------------------------------------------------------- iCCP

def _review_iccp(chunk: Chunk) -> Decision:
    where = "PNG iCCP chunk (colour profile)"
    name_bytes, _, rest = chunk.data.partition(b"\0")
    name = name_bytes.decode("latin-1")
    profile, complete = inflate_bounded(rest[1:], MAX_ICC_BYTES + 1) if rest[:1] == b"\0" else (None, False)
    if profile is None or not complete or len(profile) > MAX_ICC_BYTES:
        return Decision(None, [Finding(Category.HIDDEN, "ICC profile", "unreadable or oversized colour profile", where)])
    views = [View(where, profile)]
    if not standard_icc_name(name):
        findings = [Finding(Category.OTHER, "ICC profile name", shorten(name) or "(empty)", where)]
        return Decision(None, findings + icc.dropped_findings(profile, where), views)
    kept, findings = icc.review(profile, where)
    if kept is None:
        return Decision(None, findings, views)
    if kept == profile:
        return Decision(chunk, [], views)
    return Decision(Chunk(b"iCCP", name_bytes + b"\0\0" + zlib.compress(kept, 9)), findings, views)


# ---------------------------------------------------------------- orientation outside eXIf

XMP_KEYWORD = b"XML:com.adobe.xmp"
RAW_EXIF_KEYWORD = b"Raw profile type exif"  # ImageMagick's; Pillow reads it where there is no eXIf


# Pillow 13 (checked by experiment): an eXIf chunk, before or after the image data, is the EXIF it
# reads, even one without an orientation (raw profiles are then ignored, and an XMP orientation is
# obeyed); without eXIf it reads the LAST text chunk of any kind (tEXt, zTXt, iTXt) named
# `Raw profile type exif`, before or after the image data. So a clean copy keeps, right after
# IHDR, at most one chunk stating an orientation outside eXIf: a raw EXIF profile or an XMP packet.
def _kept_orientation(chunks: list[Chunk]) -> Chunk | None:
    """The chunk keeping an orientation stated only in a raw EXIF profile or only in XMP, or None."""
    if any(chunk.type == b"eXIf" for chunk in chunks):
        return _kept_xmp(chunks, [chunk.data for chunk in chunks if chunk.type == b"eXIf"])
    profiles = _raw_exif_profiles(chunks)
    return _kept_raw_exif(profiles) or _kept_xmp(chunks, profiles)


def _kept_xmp(chunks: list[Chunk], exif_blocks: list[bytes]) -> Chunk | None:
    """The iTXt chunk keeping an orientation stated only in XMP (intake.formats.shared.xmp_orientation).
    Pillow reads XMP from a text chunk of any kind with the XMP keyword, before or after the image data."""
    packets = [text for chunk in chunks if _keyword(chunk) == XMP_KEYWORD if (text := _read_text(chunk).text)]
    exif_states = any(map(xmp_orientation.exif_states_orientation, exif_blocks))
    kept = xmp_orientation.kept_packet(packets, exif_states, "PNG")
    return Chunk(b"iTXt", XMP_KEYWORD + b"\0\0\0\0\0" + kept) if kept else None  # uncompressed, no language


def _kept_raw_exif(profiles: list[bytes]) -> Chunk | None:
    """The tEXt raw EXIF profile keeping the orientation of the PNG's raw profiles (eXIf-less), in the
    minimal EXIF block PNG, GIF and WebP keep (image_blocks.orientation_exif), or None for 1 and
    unknown values. Profiles that disagree (one without an orientation entry too) refuse the file:
    Pillow obeys the last, other readers the first."""
    stated = {_stated_orientation(block) for block in profiles}
    if len(stated) > 1:
        raise Refused("the PNG's raw EXIF profiles (ImageMagick's) disagree on the picture's orientation")
    orientation = stated.pop() if stated else None
    if orientation is None or not 2 <= orientation <= 8:
        return None
    text = raw_profile_text("exif", b"Exif\0\0" + orientation_exif(orientation))
    return Chunk(b"tEXt", RAW_EXIF_KEYWORD + b"\0" + text)


def _stated_orientation(block: bytes) -> int | None:
    """None where IFD0 has no orientation entry; 0 for one no reader obeys (malformed, outside 1-8)."""
    if not xmp_orientation.exif_states_orientation(block):
        return None
    return exif_orientation(block[6:] if block.startswith(b"Exif\0\0") else block) or 0


def raw_profile_text(kind: str, data: bytes) -> bytes:
    """ImageMagick's layout (png.c, Magick_png_write_raw_profile): "\\n<kind>\\n", the length
    right-aligned in 8 characters, then lower-case hex, a new line before every 36 bytes and at the end."""
    lines = b"".join(b"\n" + data[at:at + 36].hex().encode() for at in range(0, len(data), 36))
    return b"\n%s\n%8d%s\n" % (kind.encode(), len(data), lines)


def _keyword(chunk: Chunk) -> bytes | None:
    return chunk.data.partition(b"\0")[0] if chunk.type in TEXT_CHUNKS else None


def _raw_exif_profiles(chunks: list[Chunk]) -> list[bytes]:
    """The EXIF blocks of every readable raw EXIF profile (unreadable ones turn nothing here)."""
    raw = [_read_text(chunk).text for chunk in chunks if _keyword(chunk) == RAW_EXIF_KEYWORD]
    return [decoded for text in raw if text and (decoded := _raw_profile(text))]


def _with_kept(chunks: list[Chunk], kept: Chunk | None) -> list[Chunk]:
    """The kept orientation chunk right after IHDR: before the image data, where every reader looks."""
    return chunks[:1] + [kept] + chunks[1:] if kept else chunks


# ---------------------------------------------------------------- the verbs

@dataclass(frozen=True)
class _Result:
    chunks: list[Chunk]
    findings: list[Finding]
    views: list[View]
    content: list[bytes]


def _clean(data: bytes) -> _Result:
    chunks, tail = parse_chunks(data)
    header = _header(chunks)
    _check_layout(chunks, header)
    pixels = _image_data(chunks, header)
    kept_orientation = _kept_orientation(chunks)
    decisions = _review_all(chunks, kept_orientation)
    findings = [finding for decision in decisions for finding in decision.findings]
    if tail:
        findings.append(Finding(Category.HIDDEN, "data after IEND", f"{len(tail)} bytes", TAIL_WHERE))
    views = [view for decision in decisions for view in decision.views]
    if tail:
        views.append(View(TAIL_WHERE, tail))
    rendering = [c.type + c.data for c in chunks if c.type in (b"IHDR", b"PLTE", b"tRNS")]
    kept = _with_kept([d.keep for d in decisions if d.keep is not None], kept_orientation)
    return _Result(kept, findings, views, rendering + pixels)


def _review_all(chunks: list[Chunk], kept_orientation: Chunk | None) -> list[Decision]:
    """Each chunk's decision; the orientation-only chunk cleaning writes (raw EXIF profile or XMP) is
    dropped unreported (it holds nothing else, and is written again after IHDR: _with_kept)."""
    decisions: list[Decision] = []
    expanded = 0
    for chunk in chunks:
        decisions.append(Decision(None) if chunk == kept_orientation else _review(chunk))
        expanded += sum(len(view.data) for view in decisions[-1].views)
        if expanded > MAX_TEXT_TOTAL:  # many small bombs add up
            raise Refused(f"PNG text and profiles expand to more than {MAX_TEXT_TOTAL >> 20} MiB")
    return decisions


@dataclass(frozen=True)
class PngFile:
    """A PNG in memory parsed once, with the bytes verbs (formats/base.py, Parsed) reading that parse."""

    data: bytes
    parse: _Result

    def inspect(self) -> list[Finding]:
        return self.parse.findings

    def sanitize_parts(self) -> list[bytes | memoryview]:
        return [build_png(self.parse.chunks)]

    def views(self) -> list[View]:
        return [View("the PNG file", self.data)] + self.parse.views

    def residue(self) -> list[View]:
        """The views: nothing is left out (the image data are small beside a file read whole)."""
        return self.views()

    def content(self) -> list[bytes | memoryview]:
        """Header, palette and transparency, then the decompressed IDAT and every APNG frame."""
        return list(self.parse.content)


def parse_file(data: bytes, original: Parsed | None = None) -> PngFile:
    """`data` parsed once (`original` is not needed: a PNG's parse learns nothing to reuse)."""
    return PngFile(data, _clean(data))


inspect, sanitize, views, residue, content = bytes_verbs(parse_file)


# ICC profiles: a standard colour space (sRGB, Display P3, Adobe RGB...) says how to
# show the colours and is kept, neutralised (see intake.formats.shared.icc). In an iCCP
# chunk the profile's name must be a generic one too: anything else (a calibrated
# monitor, a scanner, a named printer) can point to a device or a person.
STANDARD_ICC_NAMES = frozenset({"icc profile", "icc", "photoshop icc profile", "embedded profile", "default"})


def standard_icc_name(name: str) -> bool:
    key = icc.normalise(name)
    return key in STANDARD_ICC_NAMES or key in icc.STANDARD_DESCRIPTIONS


# ---------------------------------------------------------------- files of any size (the stream verbs)

# Image data (IDAT, fdAT) is streamed; every other chunk is read whole, so its
# size is bounded, alone and together with the rest.
STREAMED_CHUNKS = (b"IDAT", b"fdAT")
MAX_HELD_CHUNK = 64 << 20
MAX_HELD_TOTAL = 128 << 20
# No buffer grows with the image when streaming; the time limit bounds a
# decompression bomb, and this bounds what the header may promise.
MAX_STREAMED_PIXEL_BYTES = 64 << 30
MIN_AVERAGE_CHUNK = 4096
OUTSIDE_WHERE = "the PNG file outside its image data"


@dataclass(frozen=True, slots=True)
class _Located:
    """A chunk where it lies in the file. A streamed chunk's `chunk.data` holds only its first
    4 bytes (the fdAT sequence number); `length` is the real data length."""

    chunk: Chunk
    offset: int
    length: int

    @property
    def streamed(self) -> bool:
        return self.chunk.type in STREAMED_CHUNKS


@dataclass
class _Walk:
    located: list[_Located] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    tail_offset: int = 0
    tail_length: int = 0
    digest: bytes = b""
    kept_orientation: Chunk | None = None

    @property
    def findings(self) -> list[Finding]:
        found = [finding for decision in self.decisions for finding in decision.findings]
        if self.tail_length:
            found.append(Finding(Category.HIDDEN, "data after IEND", f"{self.tail_length} bytes", TAIL_WHERE))
        return found


class _StreamInflater:
    """One image stream inflated piece by piece: exactly `size` bytes, or Refused."""

    def __init__(self, size: int) -> None:
        self._inflater = zlib.decompressobj()
        self._left = size

    def feed(self, piece: bytes) -> None:
        try:
            if self._inflater.eof:
                if piece:
                    raise Refused("PNG image data has bytes after the compressed stream (possible hidden data)")
                return
            produced = len(self._inflater.decompress(piece, self._left + 1))
            while self._inflater.unconsumed_tail and produced <= self._left:
                produced += len(self._inflater.decompress(self._inflater.unconsumed_tail, self._left + 1 - produced))
        except zlib.error:
            raise Refused("PNG image data is not valid zlib data") from None
        if produced > self._left:
            raise Refused("PNG image data holds more than the image needs (possible hidden data)")
        self._left -= produced
        if self._inflater.unused_data:
            raise Refused("PNG image data has bytes after the compressed stream (possible hidden data)")

    def finish(self) -> None:
        if self._left or not self._inflater.eof:
            raise Refused("PNG image data is truncated")


def _walk_stream(source: BinaryIO) -> _Walk:
    """Every check of _clean, in one pass over the file, holding no image data."""
    walk, frames, digest = _Walk(), _Frames(), ContentDigest()
    inflaters: list[_StreamInflater] = []
    # libpng writes 8 KiB IDAT chunks: a big file may hold more than MAX_CHUNKS of them.
    most_chunks = max(MAX_CHUNKS, source.seek(0, io.SEEK_END) // MIN_AVERAGE_CHUNK)
    source.seek(0)
    if source.read(len(SIGNATURE)) != SIGNATURE:
        raise Refused("not a PNG file (no PNG signature)")
    offset, held, header = len(SIGNATURE), 0, None
    while not walk.located or walk.located[-1].chunk.type != b"IEND":
        if len(walk.located) >= most_chunks:
            raise Refused(f"PNG has more than {most_chunks} chunks")
        kind, length = _chunk_head(source)
        if kind in STREAMED_CHUNKS:
            if header is None:
                raise Refused("PNG does not start with a valid IHDR chunk")
            chunk = _stream_image_chunk(source, kind, length, header, frames, inflaters, digest)
        else:
            held += length
            if length > MAX_HELD_CHUNK or held > MAX_HELD_TOTAL:
                raise Refused(f"PNG metadata chunks over {MAX_HELD_CHUNK >> 20} MiB are not cleaned; refused")
            chunk = _held_chunk(source, kind, length)
            header = header or _header([chunk])
            if kind in (b"acTL", b"fcTL"):
                _walk_animation_step(chunk, frames, header, inflaters)
            if kind in (b"IHDR", b"PLTE", b"tRNS"):
                digest.add(chunk.type + chunk.data)
        walk.located.append(_Located(chunk, offset, length))
        offset += 12 + length
    chunks = [located.chunk for located in walk.located]
    _check_layout(chunks, header)
    _walk_animation(chunks)  # the frame rules, on the chunks' heads
    _finish_images(header, frames, inflaters)
    held = [c for c in chunks if c.type not in STREAMED_CHUNKS]
    walk.kept_orientation = _kept_orientation(held)
    walk.decisions = _review_all(held, walk.kept_orientation)
    walk.tail_offset = offset
    walk.tail_length = max(0, source.seek(0, io.SEEK_END) - offset)
    walk.digest = digest.digest()
    return walk


def _chunk_head(source: BinaryIO) -> tuple[bytes, int]:
    head = source.read(8)
    if len(head) < 8:
        raise Refused("PNG is truncated (no IEND chunk)")
    length, kind = int.from_bytes(head[:4], "big"), head[4:]
    if length > MAX_CHUNK_LENGTH:
        raise Refused("PNG chunk length runs past the end of the file")
    if not kind.isalpha():
        raise Refused("PNG chunk type is not four letters")
    return kind, length


def _held_chunk(source: BinaryIO, kind: bytes, length: int) -> Chunk:
    data = source.read(length)
    stored = source.read(4)
    if len(data) < length or len(stored) < 4:
        raise Refused("PNG chunk length runs past the end of the file")
    if zlib.crc32(kind + data) != int.from_bytes(stored, "big"):
        raise Refused(f"PNG chunk {_name(kind)} has a wrong CRC (damaged file)")
    return Chunk(kind, data)


def _stream_image_chunk(source: BinaryIO, kind: bytes, length: int, header: Header, frames: _Frames,
                        inflaters: list[_StreamInflater], digest: ContentDigest) -> Chunk:
    """Check an IDAT or fdAT chunk's CRC and inflate its data as it streams by."""
    crc, first = zlib.crc32(kind), b""
    digest.begin(len(kind) + length)
    digest.update(kind)
    if kind == b"IDAT" and not inflaters:
        inflaters.append(_StreamInflater(_raw_size(header.width, header.height, header.bits_per_pixel,
                                                   header.interlaced)))
    target = _image_target(kind, frames, inflaters)
    for piece in read_exactly(source, length):
        crc = zlib.crc32(piece, crc)
        digest.update(piece)
        if len(first) < 4:
            take = 4 - len(first)
            first, piece = first + piece[:take], piece[take:] if kind == b"fdAT" else piece
        if target is not None:
            target.feed(piece)
    stored = source.read(4)
    if len(stored) < 4:
        raise Refused("PNG chunk length runs past the end of the file")
    if crc != int.from_bytes(stored, "big"):
        raise Refused(f"PNG chunk {_name(kind)} has a wrong CRC (damaged file)")
    if kind == b"IDAT":
        frames.seen_idat = True
    return Chunk(kind, first)  # the frame rules are checked on these heads after the pass


def _image_target(kind: bytes, frames: _Frames, inflaters: list[_StreamInflater]) -> _StreamInflater | None:
    if kind == b"IDAT":
        return inflaters[0]
    # fdAT: the frame opened by the last fcTL (the order is checked by _walk_animation after the pass).
    return inflaters[len(frames.sizes)] if frames.sizes else None


def _walk_animation_step(chunk: Chunk, frames: _Frames, header: Header, inflaters: list[_StreamInflater]) -> None:
    """An fcTL after the image data opens a frame: its inflater is ready for the fdAT chunks."""
    if chunk.type == b"fcTL" and frames.seen_idat and len(chunk.data) == 26:
        width, height = struct.unpack(">II", chunk.data[4:12])
        if 0 < width <= MAX_CHUNK_LENGTH and 0 < height <= MAX_CHUNK_LENGTH:
            frames.sizes.append((width, height))
            inflaters.append(_StreamInflater(_raw_size(width, height, header.bits_per_pixel, header.interlaced)))


def _finish_images(header: Header, frames: _Frames, inflaters: list[_StreamInflater]) -> None:
    sizes = [_raw_size(header.width, header.height, header.bits_per_pixel, header.interlaced)]
    sizes += [_raw_size(w, h, header.bits_per_pixel, header.interlaced) for w, h in frames.sizes]
    if sum(sizes) > MAX_STREAMED_PIXEL_BYTES:
        raise Refused(f"PNG image data would decompress to more than {MAX_STREAMED_PIXEL_BYTES >> 30} GiB")
    for inflater in inflaters:
        inflater.finish()


@dataclass(frozen=True)
class PngStream:
    """An open PNG walked once (_walk_stream), with the stream verbs (formats/base.py, ParsedStream)
    reading that walk; the image data are read from the file again only to copy or scan around them."""

    source: BinaryIO
    walk: _Walk

    def inspect(self) -> list[Finding]:
        return self.walk.findings

    def sanitize(self, out: BinaryIO) -> None:
        """Kept chunks in order: image data copied from the file as it is, the rest re-encoded."""
        source, held = self.source, iter(self.walk.decisions)
        out.write(SIGNATURE)
        for located in self.walk.located:
            if located.streamed:
                source.seek(located.offset)
                for piece in read_exactly(source, 12 + located.length):
                    out.write(piece)
                continue
            kept = next(held).keep
            if kept is not None:
                out.write(encode_chunk(kept))
            if located is self.walk.located[0] and self.walk.kept_orientation is not None:  # after IHDR, as _with_kept
                out.write(encode_chunk(self.walk.kept_orientation))

    def content_digest(self) -> bytes:
        """Header, palette and transparency, then every IDAT and fdAT chunk as stored (they are copied unchanged)."""
        return self.walk.digest

    def residue(self) -> Iterator[View]:
        """The file outside its image data (chunk by chunk), expanded text and profiles, the tail."""
        source, walk = self.source, self.walk
        source.seek(0)
        yield View(OUTSIDE_WHERE, source.read(len(SIGNATURE)))
        for located in walk.located:
            source.seek(located.offset)
            if located.streamed:
                # Length and type, and the CRC after the image data: not contiguous with it.
                yield View(f"{OUTSIDE_WHERE} (chunk at byte {located.offset})", source.read(8))
                source.seek(located.offset + 8 + located.length)
                yield View(f"{OUTSIDE_WHERE} (after chunk at byte {located.offset})", source.read(4))
            else:
                for piece in read_exactly(source, 12 + located.length):
                    yield View(f"{OUTSIDE_WHERE} (chunk at byte {located.offset})", piece)
        for decision in walk.decisions:
            yield from decision.views
        source.seek(walk.tail_offset)
        for piece in read_exactly(source, walk.tail_length):
            yield View(TAIL_WHERE, piece)


def parse_stream(source: BinaryIO) -> PngStream:
    return PngStream(source, _walk_stream(source))


inspect_stream, sanitize_stream, content_digest, residue_stream = stream_verbs(parse_stream)
