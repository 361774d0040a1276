"""GIF: block surgery, never re-encoding.

A GIF is a header, a logical screen descriptor with an optional global colour
table, then blocks: images (descriptor, optional local colour table, LZW data
in sub-blocks), extensions (label, sub-blocks) and the trailer. The clean copy
keeps the header, the screen, the colour tables, every image byte for byte,
the Graphic Control Extensions (timing, transparency) and the looping
application extensions (NETSCAPE2.0, ANIMEXTS1.0). It drops comments, XMP,
every other application extension, Plain Text extensions (almost no viewer
draws them, so their text is hidden from whoever looks at the picture),
unknown extensions and anything after the trailer.

Every length is checked against the data left; a missing trailer, an unknown
block, or a kept extension of the wrong shape raises Refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.formats.shared import icc
from intake.formats.base import Buffer, Category, Finding, Parsed, View, bytes_verbs, shorten
from intake.support.buffers import RELEASE_EVERY, release_range
from intake.errors import Refused
from intake.formats.shared.metadata import iptc_findings, xmp_findings
from intake.formats.shared.image_blocks import TAIL_WHERE, iptc_block, or_generic

NAME = "GIF"
# The images are views of the map, and the block walk gives its pages back (formats/base.py).
MAPPED_AT_ANY_SIZE = True
MEDIA_TYPES = ("image/gif",)

IMAGE, EXTENSION, TRAILER = 0x2C, 0x21, 0x3B
GRAPHIC_CONTROL, COMMENT, PLAIN_TEXT, APPLICATION = 0xF9, 0xFE, 0x01, 0xFF
LOOPING_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
# Encoders fill sub-blocks to 255 bytes: a 256 MiB GIF has about a million.
# Millions of one-byte sub-blocks would only make the loop crawl.
MAX_SUB_BLOCKS = 2_000_000
# A bigger file may have one per this many bytes: full sub-blocks are 256 bytes each.
BYTES_PER_SUB_BLOCK = 128


@dataclass(frozen=True)
class Block:
    kind: str          # "image", "control", "loop" (kept) or "removed"
    raw: bytes | memoryview  # the block exactly as in the file (an image: a view of the file, never copied)
    payload: bytes = b""  # extension data with the sub-block lengths taken out


@dataclass
class _Gif:
    screen: bytes                     # header, logical screen descriptor, global colour table
    blocks: list[Block] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    tail: bytes = b""
    sub_blocks: int = 0
    max_sub_blocks: int = MAX_SUB_BLOCKS


# ---------------------------------------------------------------- parsing

def _colour_table_size(packed: int) -> int:
    return 3 << ((packed & 7) + 1) if packed & 0x80 else 0


def _screen_end(data: bytes) -> int:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise Refused("not a GIF file (no GIF header)")
    if len(data) < 13:
        raise Refused("GIF is truncated (no logical screen descriptor)")
    end = 13 + _colour_table_size(data[10])
    if end > len(data):
        raise Refused("GIF is truncated (global colour table)")
    return end


def _sub_blocks(data: Buffer, offset: int, gif: _Gif, collect: bool = True) -> tuple[list[bytes], int]:
    """The data sub-blocks from offset up to the zero terminator (when `collect`), and the offset after it."""
    parts: list[bytes] = []
    while True:  # each pass consumes at least one byte
        gif.sub_blocks += 1
        if gif.sub_blocks > gif.max_sub_blocks:
            raise Refused(f"GIF has more than {gif.max_sub_blocks} data sub-blocks")
        if offset >= len(data):
            raise Refused("GIF is truncated (inside a block)")
        size = data[offset]
        if offset + 1 + size > len(data):
            raise Refused("GIF sub-block runs past the end of the file")
        if size == 0:
            return parts, offset + 1
        if collect:
            parts.append(data[offset + 1:offset + 1 + size])
        offset += 1 + size


def _image(data: Buffer, whole: memoryview, offset: int, gif: _Gif) -> tuple[Block, int]:
    if offset + 10 > len(data):
        raise Refused("GIF is truncated (image descriptor)")
    start = offset + 10 + _colour_table_size(data[offset + 9]) + 1  # + LZW minimum code size
    if start > len(data):
        raise Refused("GIF is truncated (local colour table)")
    _, end = _sub_blocks(data, start, gif, collect=False)
    return Block("image", whole[offset:end]), end


def _parse(data: Buffer) -> _Gif:
    offset = _screen_end(data)
    gif = _Gif(bytes(data[:offset]), max_sub_blocks=max(MAX_SUB_BLOCKS, len(data) // BYTES_PER_SUB_BLOCK))
    whole = memoryview(data)
    released = 0
    while True:  # every block consumes bytes, so this ends
        if offset - released >= RELEASE_EVERY:  # a mapped file's pages walked are given back
            release_range(data, released, offset)
            released = offset
        if offset >= len(data):
            raise Refused("GIF is truncated (no trailer)")
        introducer = data[offset]
        if introducer == TRAILER:
            gif.tail = bytes(data[offset + 1:])
            return gif
        if introducer == IMAGE:
            block, offset = _image(data, whole, offset, gif)
        elif introducer == EXTENSION:
            block, offset = _extension(data, offset, gif)
        else:
            raise Refused(f"GIF has an unknown block type 0x{introducer:02x}")
        gif.blocks.append(block)


def _extension(data: Buffer, offset: int, gif: _Gif) -> tuple[Block, int]:
    if offset + 2 > len(data):
        raise Refused("GIF is truncated (extension)")
    label = data[offset + 1]
    parts, end = _sub_blocks(data, offset + 2, gif)
    raw = bytes(data[offset:end])
    if label == GRAPHIC_CONTROL:
        if [len(part) for part in parts] != [4]:
            raise Refused("GIF graphic control extension has the wrong size")
        return Block("control", raw), end
    if label == APPLICATION and parts[:1] and parts[0] in LOOPING_APPLICATIONS:
        _check_looping(parts[1:])
        return Block("loop", raw), end
    block = Block("removed", raw, b"".join(parts))
    gif.findings.extend(_removed_findings(label, parts, raw))
    # XMP is written raw across the sub-blocks (see _application_findings): readers see it whole.
    readable = raw[14:] if label == APPLICATION and parts[:1] == [b"XMP DataXMP"] else block.payload
    gif.views.append(View(_where(label, parts), readable))
    return block, end


def _check_looping(parts: list[bytes]) -> None:
    # Only the loop count (id 1) and buffer size (id 2) sub-blocks: no room for anything else.
    for part in parts:
        if not ((len(part) == 3 and part[0] == 1) or (len(part) == 5 and part[0] == 2)):
            raise Refused("GIF looping extension carries unexpected data")


# ---------------------------------------------------------------- findings

def _where(label: int, parts: list[bytes]) -> str:
    if label == COMMENT:
        return "GIF comment extension"
    if label == PLAIN_TEXT:
        return "GIF plain text extension"
    if label == APPLICATION and parts[:1] and len(parts[0]) == 11:
        return f"GIF application extension {_ident(parts[0])!r}"
    return f"GIF extension 0x{label:02x}"


def _ident(first: bytes) -> str:
    return first.decode("latin-1")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _removed_findings(label: int, parts: list[bytes], raw: bytes) -> list[Finding]:
    where = _where(label, parts)
    if label == COMMENT:
        return [Finding(Category.OTHER, "comment", shorten(_text(b"".join(parts))) or "(empty)", where)]
    if label == PLAIN_TEXT:
        text = shorten(_text(b"".join(parts[1:])))
        return [Finding(Category.HIDDEN, "plain text (not shown by most viewers)", text or "(empty)", where)]
    if label == APPLICATION and parts[:1] and len(parts[0]) == 11:
        return _application_findings(parts[0], parts[1:], raw, where)
    return [Finding(Category.HIDDEN, "unknown extension", f"{sum(map(len, parts))} bytes", where)]


def _application_findings(ident: bytes, parts: list[bytes], raw: bytes, where: str) -> list[Finding]:
    payload = b"".join(parts)
    if ident == b"XMP DataXMP":
        # XMP is written raw, so the sub-block length bytes are part of the packet
        # itself; read the raw extension, not the de-blocked payload.
        return or_generic(xmp_findings(raw[14:], "XMP (GIF application extension)"), "XMP packet", where)
    if ident == b"ICCRGBG1012":
        return icc.dropped_findings(payload, where)
    if ident in (b"MGKIPTC0000", b"MGK8BIM0000"):
        return or_generic(iptc_findings(iptc_block(payload), f"IPTC ({where})"), "IPTC block", where)
    return [Finding(Category.HIDDEN, "application data", f"{len(payload)} bytes", where)]


# ---------------------------------------------------------------- cleaning

def _kept_blocks(gif: _Gif) -> list[Block]:
    """The kept blocks in order. A control extension belongs to the next image or
    plain text block; when that is a removed plain text, the control goes too,
    or its delay and transparency would move onto the next image."""
    kept: list[Block] = []
    for block in gif.blocks:
        if block.kind != "removed":
            kept.append(block)
        elif block.raw[1] == PLAIN_TEXT and kept and kept[-1].kind == "control":
            kept.pop()
    return kept


def _pairs(blocks: list[Block]) -> list[bytes | memoryview]:
    """Each image after the control extension that applies to it (b"" when none does), as two
    parts: the image stays a view of the file."""
    images: list[bytes | memoryview] = []
    control: bytes | memoryview = b""
    for block in blocks:
        if block.kind == "control":
            control = block.raw
        elif block.kind == "image":
            images += [control, block.raw]
            control = b""
        elif block.raw[1] == PLAIN_TEXT:
            control = b""
    return images


@dataclass(frozen=True)
class GifFile:
    """A GIF parsed once, with the bytes verbs (formats/base.py, Parsed) reading that parse."""

    data: Buffer
    gif: _Gif

    def inspect(self) -> list[Finding]:
        tail = [Finding(Category.HIDDEN, "data after the trailer", f"{len(self.gif.tail)} bytes", TAIL_WHERE)]
        return self.gif.findings + (tail if self.gif.tail else [])

    def sanitize_parts(self) -> list[bytes | memoryview]:
        return [self.gif.screen] + [block.raw for block in _kept_blocks(self.gif)] + [bytes([TRAILER])]

    def views(self) -> list[View]:
        tail = [View(TAIL_WHERE, self.gif.tail)] if self.gif.tail else []
        return [View("the GIF file", self.data)] + self.gif.views + tail

    def residue(self) -> list[View]:
        """Every byte outside the image data: the screen, every other block and the bytes after
        the trailer, plus the extensions' joined payloads. The images must be identical before
        and after (content), so the leftover scan only needs to look here."""
        outside = b"".join([self.gif.screen, *(bytes(block.raw) for block in self.gif.blocks if block.kind != "image"),
                            self.gif.tail])
        return [View("the GIF outside its image data", outside)] + self.views()[1:]

    def content(self) -> list[bytes | memoryview]:
        """The screen and colour table, then every image (after its control extension) byte for byte."""
        return [self.gif.screen, *_pairs(self.gif.blocks)]


def parse_file(data: Buffer, original: Parsed | None = None) -> GifFile:
    """`data` parsed once (`original` is not needed: a GIF's parse learns nothing to reuse)."""
    return GifFile(data, _parse(data))


inspect, sanitize, views, residue, content = bytes_verbs(parse_file)


def sanitize_parts(data: Buffer) -> list[bytes | memoryview]:
    """sanitize's clean copy as pieces to write in order (intake.clean writes them from a map of the file)."""
    return parse_file(data).sanitize_parts()
