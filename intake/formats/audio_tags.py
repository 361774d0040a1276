"""Findings from the tag blocks audio formats share: ID3v2, ID3v1, APE, Vorbis comments.

The audio modules (mp3, wav, aiff, flac, ogg) find the blocks and remove them
whole; this module only reads them, so that `inspect` can say what a file
gives away. Reading is lenient (a tag that cannot be read in detail is one
finding of its size): the block goes either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats.base import Category, CategoryRules, Finding, categorise, shorten
from intake.errors import Refused

_RULES: CategoryRules = (
    (re.compile(r"gps|location|latitude|longitude|geo|place|city|country|TLOC", re.I), Category.LOCATION),
    (re.compile(r"artist|author|composer|performer|conductor|lyricist|copyright|owner|originator|engineer|"
                r"publisher|encoded.?by|organi[sz]ation|contact|^TPE|^TCOM|^TEXT|^TOLY|^TOPE|^TCOP|^TENC|^TPUB|"
                r"^IART|^ICOP|^IENG|^ITCH|^ICMS|^TP[1-4]$|^TCM$|^TXT$", re.I), Category.PERSON),
    (re.compile(r"device|model|make|microphone|recorder|serial|umid|^IMIC|^ISRF", re.I), Category.DEVICE),
    (re.compile(r"date|time|year|^TDRC|^TYER|^TDAT|^TIME|^TDEN|^TDOR|^TORY|^ICRD|^TYE$|^TDA$", re.I),
     Category.TIME),
    (re.compile(r"encoder|software|vendor|tool|history|^TSSE|^ISFT|^TSS$|^TEN$", re.I), Category.SOFTWARE),
    (re.compile(r"picture|cover|^APIC|^PIC$|^GEOB|^PRIV|^ISBJ", re.I), Category.HIDDEN),
)

# An ID3v2 frame holding text: a one-byte encoding, then the text.
_ID3_ENCODINGS = {0: "latin-1", 1: "utf-16", 2: "utf-16-be", 3: "utf-8"}
MAX_TAG_READ = 16 << 20  # a tag bigger than this is reported by its size only


def tag_finding(name: str, value: str, where: str) -> Finding:
    """One tag field, categorised by its name."""
    text = shorten(value) or "(empty)"
    return Finding(categorise(name, _RULES), name, text, where)


def picture_finding(size: int, where: str, description: str = "") -> Finding:
    described = f", described as {shorten(description, 120)!r}" if description.strip() else ""
    return Finding(Category.HIDDEN, "an embedded picture", f"{size} bytes{described}", where)


def flac_picture_finding(body: bytes, where: str) -> Finding:
    """A FLAC PICTURE structure (a FLAC block, or base64 in an Ogg comment): the picture and its description."""
    mime_length = int.from_bytes(body[4:8], "big")
    at = 8 + mime_length
    description_length = int.from_bytes(body[at:at + 4], "big")
    description = body[at + 4:at + 4 + description_length].decode("utf-8", "replace")
    return picture_finding(len(body), where, description)


# --- ID3v2 -----------------------------------------------------------------

def synchsafe(raw: bytes) -> int:
    """A 28-bit ID3 "synchsafe" integer: seven bits per byte; a set high bit is a lie and refused."""
    if any(byte & 0x80 for byte in raw):
        raise Refused("an ID3 tag has a malformed (not synchsafe) size")
    value = 0
    for byte in raw:
        value = value << 7 | byte
    return value


def id3v2_length(header: bytes) -> int:
    """The whole length of the ID3v2 tag starting with this 10-byte header, footer included."""
    if len(header) < 10 or not header.startswith(b"ID3") or header[3] not in (2, 3, 4) or header[4] == 0xFF:
        raise Refused("a malformed ID3v2 tag header")
    footer = 10 if header[3] == 4 and header[5] & 0x10 else 0
    return 10 + synchsafe(header[6:10]) + footer


def id3v2_findings(tag: bytes, where: str = "ID3v2 tag") -> list[Finding]:
    """The frames of an ID3v2.2/2.3/2.4 tag, as far as they can be read."""
    version, flags = tag[3], tag[5]
    found = [Finding(Category.OTHER, "ID3v2 tag", f"version 2.{version}, {len(tag)} bytes", where)]
    if len(tag) > MAX_TAG_READ:
        return found
    body = tag[10:len(tag) - (10 if version == 4 and flags & 0x10 else 0)]
    if flags & 0x80:
        body = body.replace(b"\xff\x00", b"\xff")  # "unsynchronised": a zero byte after every 0xFF
    position = _extended_header_length(body, version) if flags & 0x40 else 0
    id_size, header_size = (3, 6) if version == 2 else (4, 10)
    while position + header_size <= len(body) and body[position] != 0:
        frame_id = body[position:position + id_size].decode("latin-1")
        size_raw = body[position + id_size:position + header_size - (0 if version == 2 else 2)]
        size = _frame_size(size_raw, version)
        payload = body[position + header_size:position + header_size + size]
        if size <= 0 or len(payload) < size:
            break
        found.append(_id3_frame_finding(frame_id, payload, where))
        position += header_size + size
    return found


def _extended_header_length(body: bytes, version: int) -> int:
    """ID3v2.4 counts the extended header's own size field in its size (synchsafe); v2.3 does not."""
    if version == 4:
        return _frame_size(body[:4], 4)
    return 4 + int.from_bytes(body[:4], "big") if version == 3 else len(body)


def _frame_size(raw: bytes, version: int) -> int:
    if version == 4:
        try:
            return synchsafe(raw)
        except Refused:
            return -1
    return int.from_bytes(raw, "big")


_ID3_NAMES = {
    "TPE1": "artist", "TPE2": "album artist", "TPE3": "conductor", "TPE4": "remixed by", "TCOM": "composer",
    "TEXT": "lyricist", "TIT1": "grouping", "TIT2": "title", "TIT3": "subtitle", "TALB": "album", "TCON": "genre",
    "TRCK": "track", "TYER": "year", "TDRC": "recording time", "TDEN": "encoding time", "TDAT": "date",
    "TSSE": "encoder settings", "TENC": "encoded by", "TCOP": "copyright", "TPUB": "publisher", "COMM": "comment",
    "USLT": "lyrics", "TOPE": "original artist", "TOLY": "original lyricist", "TOWN": "owner",
}


def id3_picture_description(payload: bytes) -> str:
    """The description of an APIC frame: encoding, MIME type, picture type, then the description."""
    mime_end = payload.find(b"\0", 1)
    if not payload or mime_end < 0:
        return ""
    encoding = _ID3_ENCODINGS.get(payload[0], "latin-1")
    terminator = b"\0\0" if encoding.startswith("utf-16") else b"\0"
    text = payload[mime_end + 2:]
    end = next((i for i in range(0, len(text), len(terminator)) if text[i:i + len(terminator)] == terminator), -1)
    return text[:end].decode(encoding, "replace").strip("\0\ufeff ") if end >= 0 else ""


def _id3_frame_finding(frame_id: str, payload: bytes, where: str) -> Finding:
    finding = _id3_frame_value(frame_id, payload, where)
    name = _ID3_NAMES.get(finding.field)
    return tag_finding(f"{name} ({finding.field})", finding.value, where) if name else finding


def _id3_frame_value(frame_id: str, payload: bytes, where: str) -> Finding:
    if frame_id == "APIC":
        return picture_finding(len(payload), where, id3_picture_description(payload))
    if frame_id == "PIC":
        return picture_finding(len(payload), where)
    if frame_id.startswith("T") or frame_id in ("COMM", "COM", "USLT", "ULT", "WXXX", "WXX"):
        text = _id3_text(payload, skip_language=frame_id in ("COMM", "COM", "USLT", "ULT"))
        if frame_id in ("TXXX", "TXX", "WXXX", "WXX") and "\0" in text:
            description, _, value = text.partition("\0")
            return tag_finding(description or frame_id, value.replace("\0", "; "), where)
        return tag_finding(frame_id, text.replace("\0", "; "), where)
    if frame_id.startswith("W"):
        return tag_finding(frame_id, payload.decode("latin-1").rstrip("\0"), where)
    return tag_finding(frame_id, f"{len(payload)} bytes", where)


def _id3_text(payload: bytes, skip_language: bool) -> str:
    if not payload:
        return ""
    encoding = _ID3_ENCODINGS.get(payload[0], "latin-1")
    text = payload[4:] if skip_language else payload[1:]
    return text.decode(encoding, "replace").strip("\0").replace("\ufeff", "")


# --- ID3v1, APE, Lyrics3 ----------------------------------------------------

_ID3V1_FIELDS = (("title", 3, 33), ("artist", 33, 63), ("album", 63, 93), ("year", 93, 97), ("comment", 97, 127))


def id3v1_findings(tag: bytes, where: str = "ID3v1 tag") -> list[Finding]:
    findings = [Finding(Category.OTHER, "ID3v1 tag", "128 bytes at the end of the file", where)]
    for name, start, end in _ID3V1_FIELDS:
        value = tag[start:end].split(b"\0", 1)[0].decode("latin-1").strip()
        if value:
            findings.append(tag_finding(name, value, where))
    return findings


def ape_findings(tag: bytes, where: str = "APE tag") -> list[Finding]:
    """Items of an APEv1/v2 tag (the footer's item count; key=value items with a flags word)."""
    findings = [Finding(Category.OTHER, "APE tag", f"{len(tag)} bytes", where)]
    footer = tag[-32:]
    count = int.from_bytes(footer[16:20], "little")
    position = 32 if tag.startswith(b"APETAGEX") and len(tag) >= 64 else 0
    for _ in range(min(count, 4096)):
        if position + 8 > len(tag) - 32:
            break
        size = int.from_bytes(tag[position:position + 4], "little")
        flags = int.from_bytes(tag[position + 4:position + 8], "little")
        key_end = tag.find(b"\0", position + 8)
        if key_end < 0 or key_end + 1 + size > len(tag) - 32:
            break
        key = tag[position + 8:key_end].decode("latin-1")
        value = tag[key_end + 1:key_end + 1 + size]
        binary = (flags >> 1) & 3 == 1
        findings.append(picture_finding(size, where) if binary and "cover" in key.lower()
                        else tag_finding(key, f"{size} bytes" if binary else value.decode("utf-8", "replace"), where))
        position = key_end + 1 + size
    return findings


def lyrics3_findings(tag: bytes, where: str = "Lyrics3 tag") -> list[Finding]:
    text = tag.decode("latin-1")
    return [Finding(Category.OTHER, "Lyrics3 tag", shorten(text), where)]


# --- Vorbis comments (FLAC, Ogg Vorbis, Opus) --------------------------------

def vorbis_comments(block: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """(vendor, [(name, value)...]) of a Vorbis comment block without framing bit; None if malformed."""
    position = 0

    def field() -> str | None:
        nonlocal position
        if position + 4 > len(block):
            return None
        length = int.from_bytes(block[position:position + 4], "little")
        if position + 4 + length > len(block):
            return None
        text = block[position + 4:position + 4 + length].decode("utf-8", "replace")
        position += 4 + length
        return text

    vendor = field()
    if vendor is None or position + 4 > len(block):
        return None
    count = int.from_bytes(block[position:position + 4], "little")
    position += 4
    comments: list[tuple[str, str]] = []
    for _ in range(count):
        entry = field()
        if entry is None:
            return None
        name, _, value = entry.partition("=")
        comments.append((name, value))
    return vendor, comments


def vorbis_comment_findings(block: bytes, where: str) -> list[Finding]:
    """Every comment and a non-empty vendor string; a picture comment is "an embedded picture"."""
    parsed = vorbis_comments(block)
    if parsed is None:
        return [Finding(Category.HIDDEN, "comment block", f"unreadable, {len(block)} bytes", where)]
    vendor, comments = parsed
    findings = [tag_finding("vendor (encoder)", vendor, where)] if vendor else []
    for name, value in comments:
        if name.upper() in ("METADATA_BLOCK_PICTURE", "COVERART"):
            findings.append(picture_finding(len(value), where))
        else:
            findings.append(tag_finding(name, value, where))
    return findings


def empty_vorbis_comment() -> bytes:
    """A comment block with an empty vendor and no comments: what decoders need, nothing more."""
    return bytes(8)


# --- where the tags are: before and after the audio ----------------------------

@dataclass(frozen=True)
class TagBlock:
    """A tag block found around the audio: its kind ("id3v2", "id3v1", "ape"...) and place."""

    kind: str
    offset: int
    length: int


MAX_TAG_BLOCKS = 16


def leading_id3v2(source: BinaryIO, start: int, end: int) -> list[TagBlock]:
    """ID3v2 tags one after another from `start` (some taggers prepend a second one)."""
    blocks: list[TagBlock] = []
    position = start
    while len(blocks) < MAX_TAG_BLOCKS:
        source.seek(position)
        header = source.read(10)
        if not header.startswith(b"ID3"):
            return blocks
        length = id3v2_length(header)
        if position + length > end:
            raise Refused("an ID3v2 tag is longer than the file")
        blocks.append(TagBlock("id3v2", position, length))
        position += length
    raise Refused("too many ID3v2 tags")


def trailing_tags(source: BinaryIO, start: int, end: int) -> list[TagBlock]:
    """Tags appended after the audio, last first: ID3v1 (and TAG+), APE, Lyrics3, ID3v2 with a footer."""
    blocks: list[TagBlock] = []
    while len(blocks) < MAX_TAG_BLOCKS:
        block = _last_tag(source, start, end)
        if block is None:
            return blocks
        blocks.append(block)
        end = block.offset
    raise Refused("too many tags after the audio")


def _tail(source: BinaryIO, end: int, length: int) -> bytes:
    source.seek(max(0, end - length))
    return source.read(min(length, end))


def _last_tag(source: BinaryIO, start: int, end: int) -> TagBlock | None:
    room = end - start
    if room >= 128 and _tail(source, end, 128).startswith(b"TAG"):
        enhanced = room >= 128 + 227 and _tail(source, end - 128, 227).startswith(b"TAG+")
        return TagBlock("id3v1", end - 128 - (227 if enhanced else 0), 128 + (227 if enhanced else 0))
    footer = _tail(source, end, 32) if room >= 32 else b""
    if footer.startswith(b"APETAGEX"):
        size, flags = int.from_bytes(footer[12:16], "little"), int.from_bytes(footer[20:24], "little")
        length = size + (32 if flags & 0x80000000 else 0)
        return _checked(TagBlock("ape", end - length, length), start, size < 32)
    marker = _tail(source, end, 15) if room >= 15 else b""
    if marker.endswith(b"LYRICS200"):
        digits = marker[:6]
        length = int(digits) + 15 if digits.isdigit() else 0
        return _checked(TagBlock("lyrics3", end - length, length), start, not digits.isdigit())
    if marker.endswith(b"LYRICSEND"):
        window = _tail(source, end, min(room, 5100 + 9))
        found = window.rfind(b"LYRICSBEGIN")
        return _checked(TagBlock("lyrics3", end - len(window) + found, len(window) - found), start, found < 0)
    footer = _tail(source, end, 10) if room >= 10 else b""
    if footer.startswith(b"3DI"):
        length = synchsafe(footer[6:10]) + 20
        return _checked(TagBlock("id3v2", end - length, length), start, footer[3] != 4)
    return None


def _checked(block: TagBlock, start: int, malformed: bool) -> TagBlock:
    if malformed or block.offset < start or block.length <= 0:
        raise Refused(f"a malformed {block.kind} tag at the end of the file")
    return block


def block_findings(source: BinaryIO, block: TagBlock) -> list[Finding]:
    """What one tag block says (read whole only up to MAX_TAG_READ)."""
    where = f"{_BLOCK_NAMES[block.kind]} at byte {block.offset}"
    if block.length > MAX_TAG_READ:
        return [Finding(Category.HIDDEN, _BLOCK_NAMES[block.kind], f"{block.length} bytes", where)]
    source.seek(block.offset)
    data = source.read(block.length)
    if block.kind == "id3v1":
        enhanced = data[:-128] if len(data) > 128 else b""
        extra = [tag_finding("artist", enhanced[64:124].split(b"\0", 1)[0].decode("latin-1"), where)] \
            if enhanced[64:124].strip(b"\0 ") else []
        return id3v1_findings(data[-128:], where) + extra
    readers = {"id3v2": id3v2_findings, "ape": ape_findings, "lyrics3": lyrics3_findings}
    return readers[block.kind](data, where)


_BLOCK_NAMES = {"id3v2": "ID3v2 tag", "id3v1": "ID3v1 tag", "ape": "APE tag", "lyrics3": "Lyrics3 tag"}
