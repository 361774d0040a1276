"""Ogg Vorbis and Ogg Opus: the comment header rewritten, the audio pages kept.

An Ogg file is a chain of pages carrying packets. Vorbis begins with three
header packets (identification, comment, setup), Opus with two (OpusHead,
OpusTags); the audio starts on a fresh page after them. Decoders need the
comment packet to exist, so it is rewritten with an empty vendor string and
no comments (Opus: no binary data after them either). The identification
page stays byte for byte; the pages after it that held the comment (and,
for Vorbis, the setup packet) are laid out again with correct CRCs, using
the same number of pages when the packets allow it, so that every audio
page keeps its sequence number and stays byte-identical. When the header
needs fewer pages than before, the audio pages are renumbered: their
sequence numbers and CRCs change, their granule positions, lacing and
packet data do not (that is what the content check compares).

Only one logical stream (no multiplexing, no chaining) of Vorbis or Opus is
cleaned; anything else is refused. Pages are read one at a time.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats import audio_tags
from intake.formats.base import Category, ContentDigest, Finding, View, chunk_size
from intake.errors import Refused
from intake.formats.streamed import bytes_verbs

NAME = "Ogg"
MEDIA_TYPES = ("audio/ogg",)

_CONTINUED, _FIRST, _LAST = 1, 2, 4
_NO_GRANULE = (1 << 64) - 1
MAX_HEADER_BYTES = 64 << 20
MAX_LACING = 255


@dataclass(frozen=True)
class Codec:
    name: str
    headers: int  # how many header packets
    comment_prefix: bytes
    empty_comment: bytes  # the whole comment packet, cleaned


VORBIS = Codec("Vorbis", 3, b"\x03vorbis", b"\x03vorbis" + audio_tags.empty_vorbis_comment() + b"\x01")
OPUS = Codec("Opus", 2, b"OpusTags", b"OpusTags" + audio_tags.empty_vorbis_comment())


@dataclass(frozen=True)
class Page:
    offset: int
    header: bytes  # the 27 fixed bytes and the lacing table

    @property
    def flags(self) -> int:
        return self.header[5]

    @property
    def serial(self) -> bytes:
        return self.header[14:18]

    @property
    def sequence(self) -> int:
        return int.from_bytes(self.header[18:22], "little")

    @property
    def lacing(self) -> bytes:
        return self.header[27:]

    @property
    def body_length(self) -> int:
        return sum(self.lacing)

    @property
    def end(self) -> int:
        return self.offset + len(self.header) + self.body_length

    def packet_ends(self) -> bool:
        return any(value < 255 for value in self.lacing)


@dataclass(frozen=True)
class Ogg:
    codec: Codec
    first_page: Page
    header_pages: tuple[Page, ...]  # after the first page, up to where the audio starts
    packets: tuple[bytes, ...]  # the header packets
    audio_start: int
    end: int  # after the last page
    length: int


def crc(page: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, no initial or final XOR), via zlib.

    zlib's CRC-32 is the same polynomial bit-reflected, starting from and
    finishing with all ones; reflecting every byte in and the result out, and
    cancelling the ones with the CRC of as many zero bytes, gives Ogg's."""
    reflected = zlib.crc32(page.translate(_REFLECT)) ^ zlib.crc32(bytes(len(page)))
    return int(f"{reflected:032b}"[::-1], 2)


_REFLECT = bytes(int(f"{value:08b}"[::-1], 2) for value in range(256))


def read_page(source: BinaryIO, offset: int) -> Page | None:
    """The page at `offset`, or None at the end of the file."""
    source.seek(offset)
    fixed = source.read(27)
    if not fixed:
        return None
    if len(fixed) < 27 or not fixed.startswith(b"OggS") or fixed[4] != 0:
        raise Refused("the Ogg file has bytes that are not an Ogg page")
    lacing = source.read(fixed[26])
    page = Page(offset, fixed + lacing)
    if len(lacing) < fixed[26] or source.seek(0, io.SEEK_END) < page.end:
        raise Refused("the Ogg file ends inside a page (truncated)")
    return page


def _body(source: BinaryIO, page: Page) -> bytes:
    source.seek(page.offset + len(page.header))
    return source.read(page.body_length)


def parse(source: BinaryIO) -> Ogg:
    length = source.seek(0, io.SEEK_END)
    first = read_page(source, 0)
    if first is None or not first.flags & _FIRST:
        raise Refused("not an Ogg file: no first page")
    codec = _codec(_body(source, first))
    packets, header_pages, audio_start = _header_packets(source, first, codec)
    end = _check_audio_pages(source, first, audio_start)
    return Ogg(codec, first, tuple(header_pages), tuple(packets), audio_start, end, length)


def _codec(first_body: bytes) -> Codec:
    if first_body.startswith(b"\x01vorbis"):
        return VORBIS
    if first_body.startswith(b"OpusHead"):
        return OPUS
    raise Refused("only Ogg Vorbis and Ogg Opus are cleaned; this Ogg stream holds something else")


def _header_packets(source: BinaryIO, first: Page, codec: Codec) -> tuple[list[bytes], list[Page], int]:
    """The header packets after the identification page, and the pages they fill."""
    if first.lacing[-1:] == b"\xff" or sum(v < 255 for v in first.lacing) != 1:
        raise Refused("the first Ogg page must hold exactly the identification header")
    packets: list[bytes] = []
    pages: list[Page] = []
    pending, offset = b"", first.end
    while len(packets) < codec.headers - 1:
        page = read_page(source, offset)
        if page is None or page.serial != first.serial:
            raise Refused(f"the Ogg {codec.name} headers are incomplete")
        pages.append(page)
        body, position = _body(source, page), 0
        for value in page.lacing:
            if len(packets) == codec.headers - 1:
                raise Refused("the Ogg audio does not start on a fresh page")
            pending += body[position:position + value]
            position += value
            if len(pending) > MAX_HEADER_BYTES:
                raise Refused("the Ogg headers are too large")
            if value < 255:
                packets.append(pending)
                pending = b""
        offset = page.end
    if not packets[0].startswith(codec.comment_prefix) or pending:
        raise Refused(f"the Ogg {codec.name} comment header is missing or malformed")
    return [_body(source, first)] + packets, pages, offset


def _check_audio_pages(source: BinaryIO, first: Page, offset: int) -> int:
    """Every page after the headers belongs to the one stream, in order; where the last ends."""
    expected, ended = None, False
    for page in _pages_from(source, offset):
        if page.serial != first.serial or page.flags & _FIRST or ended:
            raise Refused("the Ogg file holds more than one stream (multiplexed or chained)")
        if expected is not None and page.sequence != expected:
            raise Refused("the Ogg pages are out of order or missing")
        expected, ended, offset = page.sequence + 1, bool(page.flags & _LAST), page.end
    return offset


def _pages_from(source: BinaryIO, offset: int) -> Iterator[Page]:
    while (page := read_page(source, offset)) is not None:
        yield page
        offset = page.end


# --- writing the header pages ----------------------------------------------------

def _lacing(packets: list[bytes]) -> list[tuple[int, bytes]]:
    """(lacing value, bytes) for each segment of these packets."""
    segments = []
    for packet in packets:
        for start in range(0, len(packet) + 1, 255):
            piece = packet[start:start + 255]
            segments.append((len(piece), piece))
            if len(piece) < 255:
                break
    return segments


def header_pages(packets: list[bytes], serial: bytes, first_sequence: int, wanted_pages: int) -> list[bytes]:
    """The packets laid out on `wanted_pages` pages if they fill them, else on as few as possible."""
    segments = _lacing(packets)
    count = wanted_pages if wanted_pages <= len(segments) <= wanted_pages * MAX_LACING \
        else -(-len(segments) // MAX_LACING)
    sizes = [len(segments) // count + (1 if index < len(segments) % count else 0) for index in range(count)]
    pages, position, continued = [], 0, False
    for number, size in enumerate(sizes):
        part = segments[position:position + size]
        position += size
        lacing = bytes(value for value, _ in part)
        ends_packet = any(value < 255 for value in lacing)
        granule = 0 if ends_packet else _NO_GRANULE
        pages.append(_page(_CONTINUED if continued else 0, granule, serial, first_sequence + number, lacing,
                           b"".join(piece for _, piece in part)))
        continued = lacing[-1] == 255
    return pages


def _page(flags: int, granule: int, serial: bytes, sequence: int, lacing: bytes, body: bytes) -> bytes:
    header = (b"OggS\0" + bytes((flags,)) + granule.to_bytes(8, "little") + serial
              + sequence.to_bytes(4, "little") + bytes(4) + bytes((len(lacing),)) + lacing)
    return _with_crc(header + body)


def _with_crc(page: bytes) -> bytes:
    blank = page[:22] + bytes(4) + page[26:]
    return blank[:22] + crc(blank).to_bytes(4, "little") + blank[26:]


def _renumbered(page: Page, body: bytes, shift: int) -> bytes:
    if not shift:
        return page.header + body
    header = page.header[:18] + (page.sequence + shift).to_bytes(4, "little") + page.header[22:]
    return _with_crc(header + body)


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    ogg = parse(source)
    findings = _comment_findings(ogg.packets[1], ogg.codec)
    if ogg.length > ogg.end:
        findings.append(Finding(Category.HIDDEN, "bytes after the last Ogg page", f"{ogg.length - ogg.end} bytes",
                                "after the Ogg stream"))
    return list(dict.fromkeys(findings))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    ogg = parse(source)
    source.seek(0)
    out.write(source.read(ogg.first_page.end))
    packets = [ogg.codec.empty_comment] + list(ogg.packets[2:])
    pages = header_pages(packets, ogg.first_page.serial, ogg.first_page.sequence + 1, len(ogg.header_pages))
    out.write(b"".join(pages))
    shift = len(pages) - len(ogg.header_pages)
    for page in _pages_from(source, ogg.audio_start):
        out.write(_renumbered(page, _body(source, page), shift))
        if page.end >= ogg.end:
            break


def content_digest(source: BinaryIO) -> bytes:
    """The identification page, the setup packet (Vorbis), every audio page but its sequence number and CRC."""
    ogg = parse(source)
    digest = ContentDigest()
    source.seek(0)
    digest.add(source.read(ogg.first_page.end))
    for packet in ogg.packets[2:]:
        digest.add(packet)
    for page in _pages_from(source, ogg.audio_start):
        digest.add(page.header[:18] + page.header[26:] + _body(source, page))
        if page.end >= ogg.end:
            break
    return digest.digest()


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """The comment packet and any bytes after the last page."""
    ogg = parse(source)
    comment, piece_size = ogg.packets[1], chunk_size()
    for start in range(0, len(comment), piece_size):
        yield View(f"the Ogg {ogg.codec.name} comment header", comment[start:start + piece_size])
    source.seek(ogg.end)
    trailer = source.read(ogg.length - ogg.end)
    if trailer:
        yield View("bytes after the last Ogg page", trailer)


# --- the bytes verbs -----------------------------------------------------------

inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the Ogg file")


def content(data: bytes) -> list[bytes]:
    return [content_digest(io.BytesIO(data))]


# --- findings ------------------------------------------------------------------

def _comment_findings(packet: bytes, codec: Codec) -> list[Finding]:
    """The comments; a picture (a base64 FLAC PICTURE structure) is described by what it says of itself."""
    where = f"Ogg {codec.name} comment header"
    block = packet[len(codec.comment_prefix):]
    findings = [f for f in audio_tags.vorbis_comment_findings(block, where) if f.field != "an embedded picture"]
    parsed = audio_tags.vorbis_comments(block)
    for name, value in parsed[1] if parsed else []:
        if name.upper() == "METADATA_BLOCK_PICTURE":
            findings.append(_picture_finding(value, where))
    if packet != codec.empty_comment and not findings:
        findings.append(Finding(Category.HIDDEN, "extra bytes in the comment header", f"{len(packet)} bytes", where))
    return findings


def _picture_finding(encoded: str, where: str) -> Finding:
    try:
        return audio_tags.flac_picture_finding(base64.b64decode(encoded, validate=False), where)
    except (binascii.Error, ValueError):
        return audio_tags.picture_finding(len(encoded), where, "unreadable")
