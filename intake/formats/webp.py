"""WebP: RIFF chunk surgery, never re-encoding.

A WebP is "RIFF", a size, "WEBP", then chunks (four-character code, little-
endian size, data, one zero byte of padding after odd sizes). The clean copy
keeps the image chunks byte for byte (VP8, VP8L, ALPH, ANIM and the frames in
ANMF), keeps a standard ICC profile (see intake.formats.shared.icc) and the orientation
(in a minimal EXIF block written here, or, stated only in XMP, in a packet holding
nothing else: intake.formats.shared.xmp_orientation), and drops EXIF, XMP and unknown
chunks, unknown chunks inside animation frames and anything after the RIFF
container. The VP8X flags and the RIFF size are rewritten to match.

Sizes must agree: a chunk running past its container, a missing padding byte,
a second image that no decoder would show (a place to hide one) or a layout
libwebp would not decode raises Refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.formats.shared import icc, xmp_orientation
from intake.formats.base import Buffer, Category, Finding, Parsed, View, bytes_verbs
from intake.errors import Refused
from intake.formats.shared.metadata import xmp_findings
from intake.formats.shared.image_blocks import TAIL_WHERE, exif_review, or_generic

NAME = "WebP"
# The image chunks are views of the map, never copied (formats/base.py).
MAPPED_AT_ANY_SIZE = True
MEDIA_TYPES = ("image/webp",)

VP8X, VP8, VP8L, ALPH, ANIM, ANMF = b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"
ICCP, EXIF, XMP = b"ICCP", b"EXIF", b"XMP "
BITSTREAMS = (VP8, VP8L)
# VP8X flag bits.
ICC_FLAG, ALPHA_FLAG, EXIF_FLAG, XMP_FLAG, ANIMATION_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02
RESERVED_FLAGS = 0xC1
FRAME_HEADER = 16  # ANMF: x, y, width, height, duration (3 bytes each) and flags
# Real files have a handful of chunks (one ANMF per frame when animated) and
# two or three per frame; millions of empty chunks would only make the loop crawl.
MAX_CHUNKS, MAX_FRAME_CHUNKS = 100_000, 16


@dataclass(frozen=True)
class Chunk:
    fourcc: bytes
    data: bytes | memoryview  # an image chunk's: a view of the file, never copied
    pad: int = 0  # the padding byte after an odd-sized chunk, as found
    parts: tuple[bytes | memoryview, ...] = ()  # a rebuilt frame's data, in pieces (then `data` is b"")

    @property
    def size(self) -> int:
        return sum(map(len, self.parts)) if self.parts else len(self.data)


def _name(fourcc: bytes) -> str:
    return fourcc.decode("latin-1")


# ---------------------------------------------------------------- parsing

def parse_chunks(data: Buffer, start: int, end: int, limit: int = MAX_CHUNKS) -> list[Chunk]:
    """The chunks between start and end, which they must fill exactly; their data are views of `data`."""
    whole = memoryview(data)
    chunks: list[Chunk] = []
    offset = start
    while offset < end:  # each pass consumes at least 8 bytes
        if len(chunks) >= limit:
            raise Refused(f"WebP has more than {limit} chunks in one container")
        if offset + 8 > end:
            raise Refused("WebP chunk header runs past its container")
        fourcc, size = bytes(data[offset:offset + 4]), int.from_bytes(data[offset + 4:offset + 8], "little")
        if not all(0x20 <= byte < 0x7F for byte in fourcc):
            raise Refused("WebP chunk name is not printable")
        body_end = offset + 8 + size
        if body_end + (size & 1) > end:
            raise Refused(f"WebP chunk {_name(fourcc)!r} runs past its container")
        chunks.append(Chunk(fourcc, whole[offset + 8:body_end], data[body_end] if size & 1 else 0))
        offset = body_end + (size & 1)
    return chunks


def _riff(data: Buffer) -> tuple[list[Chunk], bytes]:
    """The top-level chunks and whatever follows the RIFF container."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise Refused("not a WebP file (no RIFF/WEBP header)")
    size = int.from_bytes(data[4:8], "little")
    if size & 1 or size < 12:
        raise Refused("WebP RIFF size is invalid")
    if 8 + size > len(data):
        raise Refused("WebP is truncated (shorter than its RIFF size)")
    return parse_chunks(data, 12, 8 + size), bytes(data[8 + size:])


def encode_chunk(chunk: Chunk) -> list[bytes | memoryview]:
    """The chunk as written, in pieces: its header, its data (views stay views), its padding."""
    size = chunk.size
    return [chunk.fourcc + size.to_bytes(4, "little"), *(chunk.parts or (chunk.data,)), b"\0" if size & 1 else b""]


def _header(chunk: Chunk) -> bytes:
    return chunk.fourcc + len(chunk.data).to_bytes(4, "little")


def _padding(chunk: Chunk) -> bytes:
    """The padding byte as found, after an odd-sized chunk."""
    return bytes([chunk.pad]) if len(chunk.data) & 1 else b""


# ---------------------------------------------------------------- layout

def _check_layout(chunks: list[Chunk]) -> bool:
    """Refuse layouts libwebp would not decode, or that would hide an image; True if extended (VP8X)."""
    first = chunks[0].fourcc
    if first in BITSTREAMS:
        if any(c.fourcc in (VP8X, VP8, VP8L, ALPH, ANIM, ANMF, ICCP) for c in chunks[1:]):
            raise Refused("simple WebP has image chunks after its image")
        return False
    if first != VP8X or len(chunks[0].data) != 10:
        raise Refused("WebP does not start with an image or a valid VP8X chunk")
    rest = chunks[1:]
    if any(c.fourcc == VP8X for c in rest) or sum(c.fourcc == ICCP for c in rest) > 1:
        raise Refused("WebP has more than one VP8X or ICCP chunk")
    if chunks[0].data[0] & ANIMATION_FLAG:
        _check_animation(rest)
    else:
        _check_still(rest, "WebP")
    return True


def _check_animation(chunks: list[Chunk]) -> None:
    kinds = [c.fourcc for c in chunks]
    if kinds.count(ANIM) != 1 or any(len(c.data) != 6 for c in chunks if c.fourcc == ANIM):
        raise Refused("animated WebP needs exactly one valid ANIM chunk")
    if any(kind in (VP8, VP8L, ALPH) for kind in kinds) or ANMF not in kinds:
        raise Refused("animated WebP has image data outside its frames, or no frames")


def _check_still(chunks: list[Chunk], what: str) -> None:
    """One bitstream, at most one ALPH before it and only with lossy VP8."""
    kinds = [c.fourcc for c in chunks if c.fourcc in (VP8, VP8L, ALPH, ANIM, ANMF)]
    if kinds not in ([VP8], [VP8L], [ALPH, VP8]):
        raise Refused(f"{what} does not hold exactly one image (optionally with alpha)")


# ---------------------------------------------------------------- review

@dataclass
class _Review:
    chunks: list[Chunk] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    content: list[bytes | memoryview] = field(default_factory=list)
    outside: list[bytes | memoryview] = field(default_factory=list)  # every byte but the image data
    icc_kept: bool = False
    exif_kept: bool = False
    exif_read: bool = False  # VP8X flags the EXIF chunk: only then do readers turn the picture by it
    xmp_kept: bytes | None = None  # the orientation-only packet (_kept_xmp), written as the last chunk


def _review(chunk: Chunk, extended: bool, review: _Review) -> None:
    where = f"WebP {_name(chunk.fourcc)} chunk"
    keep: Chunk | None = None
    if chunk.fourcc in (VP8, VP8L, ALPH, ANIM):
        keep = chunk
        review.content += [chunk.fourcc, chunk.data]
        review.outside.append(_header(chunk) + _padding(chunk))
    elif chunk.fourcc == ANMF:
        keep = _review_frame(chunk, review)
    else:
        review.outside += [_header(chunk), bytes(chunk.data), _padding(chunk)]
    if chunk.fourcc == ICCP:
        profile, findings = icc.review(bytes(chunk.data), "WebP ICCP chunk (colour profile)")
        keep, review.icc_kept = (Chunk(ICCP, profile) if profile is not None else None), profile is not None
        review.findings.extend(findings)
    elif chunk.fourcc == EXIF:
        block, findings = exif_review(bytes(chunk.data), "EXIF (WebP EXIF chunk)")
        # Orientation only counts where readers read it (libwebp, Pillow): in the extended format,
        # with VP8X's EXIF bit set. Kept without it, and its bit set, it would turn the picture.
        keep = Chunk(EXIF, block) if block is not None and review.exif_read else None
        review.exif_kept = keep is not None
        review.findings.extend(findings)
    elif chunk.fourcc == XMP:
        if chunk.data != review.xmp_kept:  # the packet cleaning writes holds nothing else
            review.findings.extend(or_generic(xmp_findings(bytes(chunk.data), "XMP (WebP XMP chunk)"), "XMP packet",
                                              where))
    elif chunk.fourcc not in (VP8, VP8L, ALPH, ANIM, ANMF):
        review.findings.append(Finding(Category.HIDDEN, "unknown chunk", f"{len(chunk.data)} bytes", where))
    _note_padding(chunk, keep, where, review)
    if keep is not None:
        review.chunks.append(keep)


def _note_padding(chunk: Chunk, keep: Chunk | None, where: str, review: _Review) -> None:
    # The clean copy always pads with zero; a non-zero byte there was carrying something.
    if keep is not None and chunk.pad:
        review.findings.append(Finding(Category.HIDDEN, "padding byte", "non-zero", where))


def _review_frame(chunk: Chunk, review: _Review) -> Chunk:
    """An animation frame without its unknown sub-chunks (the spec allows them there)."""
    if len(chunk.data) < FRAME_HEADER:
        raise Refused("WebP animation frame (ANMF) is too short")
    parts = parse_chunks(chunk.data, FRAME_HEADER, len(chunk.data), MAX_FRAME_CHUNKS)
    _check_still(parts, "WebP animation frame")
    kept: list[Chunk] = []
    header = bytes(chunk.data[:FRAME_HEADER])
    review.outside += [_header(chunk), header]
    for part in parts:
        where = f"WebP {_name(part.fourcc)} chunk inside an animation frame"
        padding = _padding(part)
        if part.fourcc in (VP8, VP8L, ALPH):
            kept.append(part)
            _note_padding(part, part, where, review)
            review.outside += [_header(part), padding]
        else:
            review.findings.append(Finding(Category.HIDDEN, "unknown chunk", f"{len(part.data)} bytes", where))
            review.outside += [_header(part), bytes(part.data), padding]
    review.content.append(header)
    for part in kept:
        review.content += [part.fourcc, part.data]
    return Chunk(ANMF, b"", parts=(header, *(piece for part in kept for piece in encode_chunk(part))))


def _vp8x(chunk: Chunk, review: _Review) -> Chunk:
    """The flags with EXIF and XMP (and ICC, if the profile went) cleared; reserved bits zeroed."""
    flags = chunk.data[0]
    if flags & RESERVED_FLAGS or any(chunk.data[1:4]):
        review.findings.append(Finding(Category.HIDDEN, "reserved bits", "non-zero", "WebP VP8X chunk"))
    flags &= ~(RESERVED_FLAGS | EXIF_FLAG | XMP_FLAG | (0 if review.icc_kept else ICC_FLAG))
    flags |= (EXIF_FLAG if review.exif_kept else 0) | (XMP_FLAG if review.xmp_kept else 0)
    return Chunk(VP8X, bytes([flags]) + bytes(3) + chunk.data[4:10])


def _kept_xmp(chunks: list[Chunk]) -> bytes | None:
    """The packet keeping an orientation stated only in XMP (intake.formats.shared.xmp_orientation).
    libwebp reads XMP only in the extended format, with the XMP bit of VP8X set: a simple WebP's
    XMP chunk turns nothing, and is dropped like the rest of its XMP."""
    packets = [bytes(c.data) for c in chunks if c.fourcc == XMP] if chunks[0].data[0] & XMP_FLAG else []
    exif_states = bool(chunks[0].data[0] & EXIF_FLAG) and any(
        xmp_orientation.exif_states_orientation(bytes(c.data)) for c in chunks if c.fourcc == EXIF)
    return xmp_orientation.kept_packet(packets, exif_states, "WebP")


def _clean(data: Buffer) -> tuple[list[bytes | memoryview], list[Finding], list[bytes | memoryview], bytes]:
    """The clean copy in pieces, the findings, the content in pieces, and every byte of the file
    but its image data (the residue)."""
    chunks, tail = _riff(data)
    if not chunks:
        raise Refused("WebP holds no chunks")
    extended = _check_layout(chunks)
    review = _Review(exif_read=extended and bool(chunks[0].data[0] & EXIF_FLAG),
                     xmp_kept=_kept_xmp(chunks) if extended else None)
    for chunk in chunks[1:] if extended else chunks:
        _review(chunk, extended, review)
    if review.xmp_kept:
        review.chunks.append(Chunk(XMP, review.xmp_kept))
    body = ([_vp8x(chunks[0], review)] if extended else []) + review.chunks
    if tail:
        review.findings.append(Finding(Category.HIDDEN, "data after the RIFF container", f"{len(tail)} bytes",
                                       TAIL_WHERE))
    encoded = [piece for chunk in body for piece in encode_chunk(chunk)]
    canvas = [bytes(chunks[0].data[4:10])] if extended else []
    riff = b"RIFF" + (4 + sum(map(len, encoded))).to_bytes(4, "little") + b"WEBP"
    vp8x = _header(chunks[0]) + bytes(chunks[0].data) if extended else b""
    outside = b"".join([bytes(data[:12]), vp8x, *map(bytes, review.outside), tail])
    return [riff, *encoded], review.findings, canvas + review.content, outside


@dataclass(frozen=True)
class WebpFile:
    """A WebP parsed (and its clean copy built) once, with the bytes verbs (formats/base.py, Parsed)
    reading that parse."""

    data: Buffer
    clean: list[bytes | memoryview]  # the clean copy in pieces: image data are views of `data`
    findings: list[Finding]
    parts: list[bytes | memoryview]  # the content
    outside: bytes  # every byte but the image data

    def inspect(self) -> list[Finding]:
        return self.findings

    def sanitize_parts(self) -> list[bytes | memoryview]:
        return list(self.clean)

    def views(self) -> list[View]:
        return [View("the WebP file", self.data)]  # type: ignore[arg-type]

    def residue(self) -> list[View]:
        """Every byte outside the image data (VP8, VP8L and ALPH bitstreams, at the top or in
        frames): the image data must be identical before and after (content), so the leftover
        scan only needs to look here."""
        return [View("the WebP outside its image data", self.outside)]

    def content(self) -> list[bytes | memoryview]:
        """The canvas size, then every image chunk (ALPH, VP8, VP8L, ANIM, ANMF frames) byte for byte."""
        return list(self.parts)


def parse_file(data: Buffer, original: Parsed | None = None) -> WebpFile:
    """`data` parsed once, refused if unreadable (`original` is not needed: nothing to reuse)."""
    return WebpFile(data, *_clean(data))


def sanitize_parts(data: Buffer) -> list[bytes | memoryview]:
    """sanitize's clean copy as pieces to write in order (intake.clean writes them from a map of the file)."""
    return parse_file(data).sanitize_parts()


inspect, sanitize, views, residue, content = bytes_verbs(parse_file)
