"""TIFF: rebuild the file from its image structure alone.

Deleting tags in place (what `exiftool -all=` does) leaves TIFF's own
metadata in IFD0 (Make, Artist, DateTime...) and the old bytes on disk.
Instead this module parses classic TIFF (II/MM, magic 42), keeps for every
full-resolution image only the tags needed to decode and render it, copies
its strips or tiles byte-identical, and writes a new file with fresh offsets
in the original byte order. Anything it does not understand is refused.
An orientation stated only in IFD0's XMP is kept there, in a new packet
holding nothing else (intake.formats.shared.xmp_orientation).
"""

from __future__ import annotations

import bisect
import itertools
import mmap
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import BinaryIO

from intake.formats.shared import icc, xmp_orientation
from intake.formats.base import (
    Category, ContentDigest, FileBytes, Finding, Parsed, View, bytes_verbs, nonzero_outside, read_exactly, shorten,
    stream_verbs,
)
from intake.errors import Refused
from intake.formats.shared.metadata import exif_findings, iptc_findings, xmp_findings

NAME = "TIFF"
MEDIA_TYPES = ("image/tiff",)

# Bounds for hostile input: pages + sub-images + EXIF/GPS directories in one file.
_MAX_IFDS = 1024
_MAX_DEPTH = 4

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_SHORT, _LONG = 3, 4

(_STRIP_OFFSETS, _STRIP_COUNTS, _TILE_OFFSETS, _TILE_COUNTS) = (273, 279, 324, 325)
_ICC, _XMP, _IPTC, _PHOTOSHOP = 34675, 700, 33723, 34377
_SUBIFDS, _EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 330, 34665, 34853, 40965
_MAKERNOTE, _DNG_VERSION = 37500, 50706

# Tags needed to decode and display the pixels: everything else goes.
# T4Options/T6Options (292, 293) are not in the usual lists but CCITT fax
# images cannot be decoded without them.
_KEPT = frozenset({
    254, 255, 256, 257, 258, 259, 262, 266, 273, 274, 277, 278, 279, 282, 283, 284, 292, 293, 296,
    301, 317, 318, 319, 320, 322, 323, 324, 325, 332, 338, 339, 347, 529, 530, 531, 532, _ICC,
})

_INTS, _RATIONAL, _BLOB = (_SHORT, _LONG), (5,), (1, 7)
# Kept tag -> (allowed types, count): a kept tag cannot carry text, nor more values than its role needs.
# Counts are a number or a rule of _count_ok; "any" values are checked elsewhere (tables, ICC policy).
_FORMS: dict[int, tuple[tuple[int, ...], int | str]] = {
    254: (_INTS, 1), 255: (_INTS, 1), 256: (_INTS, 1), 257: (_INTS, 1), 258: (_INTS, "samples"),
    259: (_INTS, 1), 262: (_INTS, 1), 266: (_INTS, 1), 273: (_INTS, "any"), 274: (_INTS, 1), 277: (_INTS, 1),
    278: (_INTS, 1), 279: (_INTS, "any"), 282: (_RATIONAL, 1), 283: (_RATIONAL, 1), 284: (_INTS, 1),
    292: (_INTS, 1), 293: (_INTS, 1), 296: (_INTS, 1), 301: ((_SHORT,), "transfer"), 317: (_INTS, 1),
    318: (_RATIONAL, 2), 319: (_RATIONAL, 6), 320: ((_SHORT,), "colormap"), 322: (_INTS, 1), 323: (_INTS, 1),
    324: (_INTS, "any"), 325: (_INTS, "any"), 332: (_INTS, 1), 338: (_INTS, "extra"), 339: (_INTS, "samples"),
    347: (_BLOB, "any"), 529: (_RATIONAL, 3), 530: (_INTS, 2), 531: (_INTS, 1), 532: (_RATIONAL, 6),
    34675: (_BLOB, "any"),
}

# Pixel codings whose data cannot hide metadata blocks (JPEG is checked below).
_COMPRESSIONS = frozenset({1, 2, 3, 4, 5, 7, 8, 32773, 32946, 34925, 50000})
_JPEG = 7

# Pointer tags followed per kind of directory, and the kind they lead to.
_CHILDREN: dict[str, dict[int, str]] = {
    "image": {_SUBIFDS: "image", _EXIF_IFD: "exif", _GPS_IFD: "gps"},
    "exif": {_INTEROP_IFD: "interop", _GPS_IFD: "gps"},
    "gps": {},
    "interop": {},
}

_NAMES: dict[int, tuple[str, Category]] = {
    11: ("ProcessingSoftware", Category.SOFTWARE), 269: ("DocumentName", Category.OTHER),
    270: ("ImageDescription", Category.OTHER), 271: ("Make", Category.DEVICE), 272: ("Model", Category.DEVICE),
    280: ("MinSampleValue", Category.OTHER), 281: ("MaxSampleValue", Category.OTHER),
    285: ("PageName", Category.OTHER), 297: ("PageNumber", Category.OTHER), 305: ("Software", Category.SOFTWARE),
    306: ("DateTime", Category.TIME), 315: ("Artist", Category.PERSON), 316: ("HostComputer", Category.DEVICE),
    333: ("InkNames", Category.OTHER), 347: ("JPEGTables of an image that is not JPEG", Category.OTHER),
    513: ("JPEGInterchangeFormat", Category.HIDDEN), 514: ("JPEGInterchangeFormatLength", Category.HIDDEN),
    18246: ("Rating", Category.OTHER),
    32781: ("ImageID", Category.OTHER), 33432: ("Copyright", Category.PERSON),
    34858: ("TimeZoneOffset", Category.TIME), 36867: ("DateTimeOriginal", Category.TIME),
    36868: ("DateTimeDigitized", Category.TIME), 37510: ("UserComment", Category.OTHER),
    37724: ("ImageSourceData (Photoshop layers)", Category.HIDDEN),
    40091: ("XPTitle", Category.OTHER), 40092: ("XPComment", Category.OTHER), 40093: ("XPAuthor", Category.PERSON),
    40094: ("XPKeywords", Category.OTHER), 40095: ("XPSubject", Category.OTHER),
    42016: ("ImageUniqueID", Category.DEVICE), 42032: ("CameraOwnerName", Category.PERSON),
    42033: ("BodySerialNumber", Category.DEVICE), 42035: ("LensMake", Category.DEVICE),
    42036: ("LensModel", Category.DEVICE), 42037: ("LensSerialNumber", Category.DEVICE),
    50708: ("UniqueCameraModel", Category.DEVICE), 50709: ("LocalizedCameraModel", Category.DEVICE),
    50735: ("CameraSerialNumber", Category.DEVICE), 50740: ("DNGPrivateData", Category.HIDDEN),
    59932: ("Padding", Category.OTHER), 32932: ("Wang annotation", Category.HIDDEN),
    37393: ("ImageNumber", Category.OTHER), 50341: ("PrintIM", Category.OTHER),
    42112: ("GDAL metadata", Category.OTHER), 42113: ("GDAL no-data value", Category.OTHER),
    # GeoTIFF georeferencing: where on Earth the picture is.
    33550: ("GeoTIFF ModelPixelScale", Category.LOCATION), 33922: ("GeoTIFF ModelTiepoint", Category.LOCATION),
    34264: ("GeoTIFF ModelTransformation", Category.LOCATION),
    34735: ("GeoTIFF GeoKeyDirectory", Category.LOCATION), 34736: ("GeoTIFF GeoDoubleParams", Category.LOCATION),
    34737: ("GeoTIFF GeoAsciiParams", Category.LOCATION),
}
_UTF16_TAGS = frozenset({40091, 40092, 40093, 40094, 40095})


class _Hostile(Refused):
    """Loops and resource bombs: refused wherever they occur, never tolerated as 'damage'."""


@dataclass(frozen=True, eq=False)
class _Entry:
    tag: int
    type: int
    count: int
    raw: memoryview | None  # the value bytes; None when the type is unknown
    offset: int = -1  # where an out-of-line value starts; -1 when it sits in the entry itself


@dataclass(frozen=True, eq=False)  # compared by identity
class _Ifd:
    label: str
    kind: str
    entries: dict[int, _Entry]
    next_offset: int
    spans: tuple[tuple[int, int], ...]  # bytes this directory and its values occupy
    children: dict[int, tuple[_Ifd, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Tiff:
    data: bytes
    order: str  # struct byte order: "<" or ">"
    chain: tuple[_Ifd, ...]  # the main IFD chain: pages and in-chain previews


# --- reading -----------------------------------------------------------------------------------


def _parse(data: bytes) -> _Tiff:
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        raise Refused("not a TIFF file (no II/MM byte-order mark)")
    order = "<" if data[:2] == b"II" else ">"
    magic, first = struct.unpack_from(order + "HI", data, 2)
    if magic == 43:
        raise Refused("BigTIFF (64-bit offsets) is not supported")
    if magic != 42:
        raise Refused(f"not a classic TIFF file (magic number {magic})")
    seen: set[int] = set()
    chain = _read_chain(memoryview(data), order, first, "image", seen, 0, lambda i: f"IFD{i}")
    if not chain:
        raise Refused("the TIFF file has no image directory")
    # Values may legitimately be shared, but not so much that copying them multiplies the file.
    if sum(end - start for ifd in chain for start, end in _tree_spans(ifd)) > 2 * len(data) + 2**20:
        raise Refused("tag values overlap: reading them would take far more memory than the file")
    return _Tiff(data, order, tuple(chain))


def _value_span(entry: _Entry) -> tuple[int, int]:
    return entry.offset, entry.offset + len(entry.raw or b"")


def _removed_spans(tiff: _Tiff, ifd: _Ifd, kept: bool) -> list[tuple[int, int]]:
    """The directory itself and every value sanitize does not copy, down the whole tree."""
    spans = list(ifd.spans[:1]) + [_value_span(e) for e in ifd.entries.values()
                                   if e.offset >= 0 and not (kept and _keeps(tiff, ifd, e))]
    return spans + [span for kids in ifd.children.values() for kid in kids
                    for span in _removed_spans(tiff, kid, False)]


def _tree_spans(ifd: _Ifd) -> list[tuple[int, int]]:
    return list(ifd.spans) + [span for kids in ifd.children.values() for kid in kids for span in _tree_spans(kid)]


def _read_chain(view: memoryview, order: str, offset: int, kind: str, seen: set[int], depth: int,
                label: Callable[[int], str]) -> list[_Ifd]:
    """Directories linked by next-IFD pointers; `seen` is shared by the whole file to catch loops."""
    chain: list[_Ifd] = []
    while offset:
        ifd = _read_ifd(view, order, offset, kind, seen, depth, label(len(chain)))
        chain.append(ifd)
        offset = ifd.next_offset if kind == "image" else 0  # EXIF/GPS "next" pointers are junk in the wild
    return chain


def _read_ifd(view: memoryview, order: str, offset: int, kind: str, seen: set[int], depth: int,
              label: str) -> _Ifd:
    if offset in seen:
        raise _Hostile(f"{label} loops back to an earlier directory")
    if len(seen) >= _MAX_IFDS or depth > _MAX_DEPTH:
        raise _Hostile(f"more than {_MAX_IFDS} directories or nesting deeper than {_MAX_DEPTH}")
    seen.add(offset)
    if offset < 8 or offset + 2 > len(view):
        raise Refused(f"{label} starts outside the file")
    (count,) = struct.unpack_from(order + "H", view, offset)
    end = offset + 2 + 12 * count + 4
    if count == 0 or end > len(view):
        raise Refused(f"{label} is empty or runs past the end of the file")
    entries: dict[int, _Entry] = {}
    spans = [(offset, end)]
    for index in range(count):
        entry, span = _read_entry(view, order, offset + 2 + 12 * index, label)
        if entry.tag in entries:
            raise Refused(f"{label} has tag {entry.tag} twice")
        entries[entry.tag] = entry
        spans.extend(span)
    (next_offset,) = struct.unpack_from(order + "I", view, end - 4)
    children = _read_children(view, order, entries, kind, seen, depth, label)
    return _Ifd(label, kind, entries, next_offset, tuple(spans), children)


def _read_entry(view: memoryview, order: str, position: int, label: str) -> tuple[_Entry, list[tuple[int, int]]]:
    tag, kind, count = struct.unpack_from(order + "HHI", view, position)
    size = _TYPE_SIZES.get(kind)
    if size is None:
        return _Entry(tag, kind, count, None), []
    length = size * count
    if length <= 4:
        return _Entry(tag, kind, count, view[position + 8:position + 8 + length]), []
    (pointer,) = struct.unpack_from(order + "I", view, position + 8)
    if pointer + length > len(view):
        raise Refused(f"tag {tag} in {label} points outside the file")
    return _Entry(tag, kind, count, view[pointer:pointer + length], pointer), [(pointer, pointer + length)]


def _read_children(view: memoryview, order: str, entries: dict[int, _Entry], kind: str, seen: set[int],
                   depth: int, label: str) -> dict[int, tuple[_Ifd, ...]]:
    """EXIF, GPS, Interoperability and SubIFD directories: all removed whole, so a damaged one is
    reported and dropped unread instead of refusing the file (loops and bombs are still refused)."""
    children: dict[int, tuple[_Ifd, ...]] = {}
    for tag, child_kind in _CHILDREN[kind].items():
        if tag not in entries:
            continue
        try:
            pointers = _ints(entries[tag], order, label, allowed=(_LONG, 13))
        except _Hostile:
            raise
        except Refused:
            pointers = (0,)  # not a pointer at all: reported as damaged below
        found: list[_Ifd] = []
        for number, pointer in enumerate(pointers):
            name = _child_label(tag, number, len(pointers), label)
            try:
                chain = _read_chain(view, order, pointer, child_kind, seen, depth + 1,
                                    lambda i, n=name: n if i == 0 else f"{n} (next {i})")
            except _Hostile:
                raise
            except Refused:
                chain = []
            found.extend(chain or [_Ifd(name, "damaged", {}, 0, ())])
        children[tag] = tuple(found)
    return children


def _child_label(tag: int, number: int, total: int, parent: str) -> str:
    if tag == _SUBIFDS:
        return f"SubIFD{number + 1 if total > 1 else ''} of {parent}"
    name = {_EXIF_IFD: "EXIF", _GPS_IFD: "GPS", _INTEROP_IFD: "Interoperability"}[tag]
    return f"{name} ({parent})"


def _ints(entry: _Entry, order: str, label: str, allowed: tuple[int, ...] = (1, _SHORT, _LONG)) -> tuple[int, ...]:
    if entry.raw is None or entry.type not in allowed or entry.count == 0:
        raise Refused(f"tag {entry.tag} in {label} has an unexpected type or no value")
    letter = {1: "B", _SHORT: "H", _LONG: "I", 13: "I"}[entry.type]
    return struct.unpack(f"{order}{entry.count}{letter}", entry.raw)


def _int(ifd: _Ifd, order: str, tag: int, default: int | None = None) -> int:
    if tag not in ifd.entries:
        if default is None:
            raise Refused(f"{ifd.label} has no tag {tag}, which the image needs")
        return default
    return _ints(ifd.entries[tag], order, ifd.label)[0]


def _is_preview(ifd: _Ifd, order: str) -> bool:
    """NewSubfileType bit 0 (or old SubfileType 2): a reduced-resolution copy of another image in the file."""
    return bool(_int(ifd, order, 254, 0) & 1) or _int(ifd, order, 255, 1) == 2


# --- images: which are kept, and their strips or tiles ------------------------------------------


def _kept_images(tiff: _Tiff) -> list[_Ifd]:
    kept = [ifd for ifd in tiff.chain if not _is_preview(ifd, tiff.order)]
    if not kept:
        raise Refused("the TIFF file holds only reduced-resolution previews")
    total = 0
    for ifd in kept:
        _check_image(tiff, ifd)
        total += sum(length for _, length in _chunks(tiff, ifd))
    if total > len(tiff.data):
        raise Refused("strips or tiles overlap (more image data than file)")
    _check_disjoint(tiff, kept)
    return kept


def _check_disjoint(tiff: _Tiff, kept: list[_Ifd]) -> None:
    """What is copied (strips, tiles, kept values) must not share bytes with what is removed
    (directories, removed values): otherwise metadata would travel inside a palette or a strip."""
    copied: list[tuple[int, int]] = []
    for ifd in kept:
        copied.extend((offset, offset + length) for offset, length in _chunks(tiff, ifd) if length)
        copied.extend(_value_span(e) for e in ifd.entries.values() if e.offset >= 0 and _keeps(tiff, ifd, e))
    removed = sorted(span for ifd in tiff.chain
                     for span in _removed_spans(tiff, ifd, any(ifd is k for k in kept)))
    starts = [start for start, _ in removed]
    reach = list(itertools.accumulate((end for _, end in removed), max))
    for start, end in copied:
        index = bisect.bisect_left(starts, end) - 1  # last removed span starting before `end`
        if index >= 0 and reach[index] > start:
            raise Refused("image data or a kept tag value overlaps a directory or removed metadata")


def _check_image(tiff: _Tiff, ifd: _Ifd) -> None:
    if _DNG_VERSION in ifd.entries:
        raise Refused("DNG raw files are not supported: their raw image and colour data live in tags "
                      "this cleaner removes")
    _check_samples(tiff, ifd)  # first: the count rules below depend on it
    for tag in sorted(_KEPT & ifd.entries.keys()):
        entry = ifd.entries[tag]
        types, rule = _FORMS[tag]
        if entry.raw is None or entry.type not in types or not _count_ok(tiff, ifd, entry.count, rule):
            raise Refused(f"tag {tag} in {ifd.label} has an unexpected type or number of values")
    compression = _int(ifd, tiff.order, 259, 1)
    if compression not in _COMPRESSIONS:
        raise Refused(f"compression {compression} in {ifd.label} is not supported")
    _check_subifds_are_previews(tiff, ifd)
    if compression == _JPEG:
        _check_jpeg_streams(tiff, ifd)
    if compression == 1:
        _check_uncompressed_sizes(tiff, ifd)


def _count_ok(tiff: _Tiff, ifd: _Ifd, count: int, rule: int | str) -> bool:
    if isinstance(rule, int):
        return count == rule
    if rule == "any":
        return count >= 1
    samples = _int(ifd, tiff.order, 277, 1)
    if rule == "samples":
        return count in (1, samples)
    if rule == "extra":
        return 1 <= count <= samples
    bits = _bits(tiff, ifd)[0]
    if bits > 16:
        return False
    return count == 3 << bits if rule == "colormap" else count in (1 << bits, 3 << bits)


def _bits(tiff: _Tiff, ifd: _Ifd) -> tuple[int, ...]:
    """BitsPerSample for every sample (one value may stand for all)."""
    samples = _int(ifd, tiff.order, 277, 1)
    bits = _ints(ifd.entries[258], tiff.order, ifd.label) if 258 in ifd.entries else (1,)
    return bits * samples if len(bits) == 1 else bits


def _check_samples(tiff: _Tiff, ifd: _Ifd) -> None:
    if not 1 <= _int(ifd, tiff.order, 277, 1) <= 4096 or not all(1 <= b <= 64 for b in _bits(tiff, ifd)):
        raise Refused(f"{ifd.label} has an impossible number of samples or bits per sample")


def _check_uncompressed_sizes(tiff: _Tiff, ifd: _Ifd) -> None:
    """Uncompressed strips must hold exactly their pixels: extra bytes would be copied as hidden data."""
    chunks = _chunks(tiff, ifd)
    if [length for _, length in chunks] != _raw_chunk_sizes(tiff, ifd, len(chunks)):
        raise Refused(f"a strip or tile of {ifd.label} holds more or fewer bytes than its pixels")


def _raw_chunk_sizes(tiff: _Tiff, ifd: _Ifd, total: int) -> list[int]:
    bits = _bits(tiff, ifd)
    planes = bits if _int(ifd, tiff.order, 284, 1) == 2 else (sum(bits),)  # bits per pixel of each plane
    per_plane = total // len(planes)
    if _chunk_tags(ifd)[0] == _TILE_OFFSETS:
        width, rows = _int(ifd, tiff.order, 322), _int(ifd, tiff.order, 323)
        return [_ceil_div(width * plane, 8) * rows for plane in planes for _ in range(per_plane)]
    width, length = _int(ifd, tiff.order, 256), _int(ifd, tiff.order, 257)
    rows = min(_int(ifd, tiff.order, 278, 2**32 - 1), length)
    return [_ceil_div(width * plane, 8) * min(rows, length - strip * rows)
            for plane in planes for strip in range(per_plane)]


def _check_subifds_are_previews(tiff: _Tiff, ifd: _Ifd) -> None:
    """SubIFDs are removed, so they must be previews: a full-resolution one would be lost content."""
    for sub in ifd.children.get(_SUBIFDS, ()):
        if sub.kind != "damaged" and not _is_preview(sub, tiff.order):
            raise Refused(f"{sub.label} is a full-resolution image; removing it would lose content")


def _chunks(tiff: _Tiff, ifd: _Ifd) -> list[tuple[int, int]]:
    """(offset, length) of every strip or tile, checked against the file and the image size."""
    offsets_tag, counts_tag = _chunk_tags(ifd)
    tiled = offsets_tag == _TILE_OFFSETS
    offsets = _ints(ifd.entries[offsets_tag], tiff.order, ifd.label, (_SHORT, _LONG))
    counts = _ints(ifd.entries[counts_tag], tiff.order, ifd.label, (_SHORT, _LONG))
    if len(offsets) != len(counts) or len(offsets) != _expected_chunks(tiff, ifd, tiled):
        raise Refused(f"{ifd.label}: the number of strips or tiles does not match the image size")
    for offset, count in zip(offsets, counts):
        if offset + count > len(tiff.data):
            raise Refused(f"a strip or tile of {ifd.label} lies outside the file")
    return list(zip(offsets, counts))


def _chunk_tags(ifd: _Ifd) -> tuple[int, int]:
    """(offsets tag, byte counts tag): strips or tiles, never both (stale pointers would be copied)."""
    tiled = {322, 323, _TILE_OFFSETS, _TILE_COUNTS} & ifd.entries.keys()
    stripped = {_STRIP_OFFSETS, _STRIP_COUNTS} & ifd.entries.keys()
    if tiled and stripped:
        raise Refused(f"{ifd.label} has both strips and tiles")
    tags = (_TILE_OFFSETS, _TILE_COUNTS) if tiled else (_STRIP_OFFSETS, _STRIP_COUNTS)
    if tags[0] not in ifd.entries or tags[1] not in ifd.entries:
        raise Refused(f"{ifd.label} has no complete strip or tile table")
    return tags


def _expected_chunks(tiff: _Tiff, ifd: _Ifd, tiled: bool) -> int:
    width, length = _int(ifd, tiff.order, 256), _int(ifd, tiff.order, 257)
    planes = _int(ifd, tiff.order, 277, 1) if _int(ifd, tiff.order, 284, 1) == 2 else 1
    if tiled:
        tile_width, tile_length = _int(ifd, tiff.order, 322), _int(ifd, tiff.order, 323)
        if not (width and length and tile_width and tile_length):
            raise Refused(f"{ifd.label} has a zero image or tile size")
        return _ceil_div(width, tile_width) * _ceil_div(length, tile_length) * planes
    rows = min(_int(ifd, tiff.order, 278, 2**32 - 1), length)
    if not (width and rows):
        raise Refused(f"{ifd.label} has a zero image size or RowsPerStrip")
    return _ceil_div(length, rows) * planes


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _chunk_bytes(tiff: _Tiff, ifd: _Ifd) -> list[memoryview]:
    """Views, not copies: a JPEG strip's header is read without its scan data."""
    data = memoryview(tiff.data)
    return [data[offset:offset + length] for offset, length in _chunks(tiff, ifd)]


def _check_jpeg_streams(tiff: _Tiff, ifd: _Ifd) -> None:
    """JPEG strips are copied unchanged, so they must not carry APPn/COM metadata of their own."""
    streams = _chunk_bytes(tiff, ifd)
    if 347 in ifd.entries:
        streams.append(bytes(ifd.entries[347].raw or b""))
    for stream in streams:
        _check_jpeg_header(stream, ifd.label)


def _check_jpeg_header(stream: bytes | memoryview, label: str) -> None:
    if bytes(stream[:2]) != b"\xff\xd8":
        raise Refused(f"a JPEG strip or table of {label} is not a JPEG stream")
    position = 2
    while position + 2 <= len(stream):
        if stream[position] != 0xFF:
            raise Refused(f"a JPEG strip of {label} is damaged")
        marker = stream[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan, or the end of a tables-only stream
            return
        if position + 4 > len(stream):
            break
        (length,) = struct.unpack_from(">H", stream, position + 2)
        segment = bytes(stream[position + 4:position + 2 + length])
        if marker == 0xFE or (0xE0 <= marker <= 0xEF and not _harmless_app(marker, segment)):
            raise Refused(f"a JPEG strip of {label} carries its own metadata (APPn/COM); it cannot be "
                          "removed without changing the image data")
        position += 2 + length
    raise Refused(f"a JPEG strip of {label} ends before its image data")


def _harmless_app(marker: int, segment: bytes) -> bool:
    # JFIF (density only; not the JFXX thumbnail extension) and Adobe (colour transform) are decoding info.
    return (marker == 0xE0 and segment.startswith(b"JFIF\0")) or (marker == 0xEE and segment.startswith(b"Adobe"))


# --- findings ----------------------------------------------------------------------------------


def _findings(tiff: _Tiff, kept: list[_Ifd], readable: bytes | FileBytes | None = None) -> list[Finding]:
    """Everything sanitize removes, per directory in file order, then the unreferenced bytes."""
    findings: list[Finding] = []
    kept_xmp = _kept_xmp(tiff, kept)
    for ifd in tiff.chain:
        findings.extend(_directory_findings(tiff, ifd, dropped=not any(ifd is k for k in kept),
                                            kept_xmp=kept_xmp if ifd is kept[0] else None))
    return findings + _unreferenced_findings(tiff, readable)


def _directory_findings(tiff: _Tiff, ifd: _Ifd, dropped: bool, kept_xmp: bytes | None = None) -> list[Finding]:
    """`kept_xmp`: the orientation-only packet cleaning writes in this directory, not a finding."""
    if ifd.kind == "damaged":
        return [_damaged(ifd)]
    findings: list[Finding] = []
    if dropped:
        size = f"{_int(ifd, tiff.order, 256, 0)}×{_int(ifd, tiff.order, 257, 0)} pixels"
        findings.append(Finding(Category.HIDDEN, "reduced-resolution preview image", size, ifd.label))
    for tag in sorted(ifd.entries):
        entry = ifd.entries[tag]
        if tag == _ICC and not dropped:
            findings.extend(_icc_findings(ifd, entry))
        elif tag in _KEPT and (dropped or _keeps(tiff, ifd, entry)):
            continue  # structure: of a kept image, or part of the removed preview reported above
        elif tag == _XMP and entry.type == _XMP_TYPE and kept_xmp is not None and entry.raw == kept_xmp:
            continue
        else:
            findings.extend(_tag_findings(tiff, ifd, entry))
    return findings


def _keeps(tiff: _Tiff, ifd: _Ifd, entry: _Entry) -> bool:
    """Whether sanitize copies this entry of a kept image."""
    if entry.tag not in _KEPT:
        return False
    if entry.tag == 347:  # JPEGTables mean something only to a JPEG-compressed image
        return _int(ifd, tiff.order, 259, 1) == _JPEG
    if entry.tag == _ICC:
        return icc.is_standard(bytes(entry.raw or b""))
    return True


def _icc_findings(ifd: _Ifd, entry: _Entry) -> list[Finding]:
    """A standard profile is kept with its non-colour header fields zeroed (see _emit_image); any other goes."""
    return icc.review(bytes(entry.raw or b""), f"ICC profile ({ifd.label})")[1]


def _tag_findings(tiff: _Tiff, ifd: _Ifd, entry: _Entry) -> list[Finding]:
    raw = bytes(entry.raw) if entry.raw is not None else b""
    if entry.tag == _XMP:
        return xmp_findings(raw, f"XMP ({ifd.label})")
    if entry.tag == _IPTC:
        where = f"IPTC ({ifd.label})"
        return iptc_findings(raw, where) or [Finding(Category.OTHER, "IPTC", f"{len(raw)} bytes", where)]
    if entry.tag == _PHOTOSHOP:
        return _photoshop_findings(raw, f"Photoshop resources ({ifd.label})")
    if entry.tag in (_EXIF_IFD, _GPS_IFD):
        return [f for child in ifd.children.get(entry.tag, ()) for f in _exif_findings(tiff, child)]
    if entry.tag == _SUBIFDS:
        return [f for sub in ifd.children.get(_SUBIFDS, ()) for f in _directory_findings(tiff, sub, dropped=True)]
    name, category = _NAMES.get(entry.tag, (f"tag {entry.tag}", Category.OTHER))
    return [Finding(category, name, _describe(entry, tiff.order), ifd.label)]


def _describe(entry: _Entry, order: str) -> str:
    if entry.raw is None:
        return f"value of unknown type {entry.type}"
    raw = bytes(entry.raw)
    if entry.tag in _UTF16_TAGS:
        return shorten(raw.decode("utf-16-le", "replace").rstrip("\0"))
    if entry.type == 2 or (entry.type in (1, 7) and _is_text(raw)):
        return shorten("; ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part))
    if entry.type in (3, 4, 8, 9) and entry.count <= 8:
        letter = {3: "H", 4: "I", 8: "h", 9: "i"}[entry.type]
        return " ".join(str(v) for v in struct.unpack(f"{order}{entry.count}{letter}", raw))
    if entry.type in (11, 12) and entry.count <= 8:
        letter = "f" if entry.type == 11 else "d"
        return " ".join(f"{v:g}" for v in struct.unpack(f"{order}{entry.count}{letter}", raw))
    if entry.type in (5, 10) and entry.count <= 4:
        letter = "I" if entry.type == 5 else "i"
        values = struct.unpack(f"{order}{2 * entry.count}{letter}", raw)
        return " ".join(f"{values[i]}/{values[i + 1]}" for i in range(0, len(values), 2))
    return f"{len(raw)} bytes"


def _is_text(raw: bytes) -> bool:
    stripped = raw.rstrip(b"\0")
    return bool(stripped) and all(32 <= b < 127 or b in (9, 10, 13) for b in stripped[:4096])


def _photoshop_findings(raw: bytes, where: str) -> list[Finding]:
    """Photoshop image resources ('8BIM' blocks); the IPTC record (0x0404) is itemised."""
    findings = [Finding(Category.HIDDEN, "Photoshop image resources", f"{len(raw)} bytes", where)]
    position = 0
    while position + 12 <= len(raw) and raw[position:position + 4] == b"8BIM":
        (resource,) = struct.unpack_from(">H", raw, position + 4)
        name_length = raw[position + 6]
        position += 6 + ((name_length + 2) & ~1)  # Pascal name padded to even length
        if position + 4 > len(raw):
            break
        (size,) = struct.unpack_from(">I", raw, position)
        body = raw[position + 4:position + 4 + size]
        if resource == 0x0404:
            findings.extend(iptc_findings(body, where))
        position += 4 + size + (size & 1)
    return findings


def _exif_findings(tiff: _Tiff, child: _Ifd) -> list[Finding]:
    """EXIF/GPS findings from a small TIFF holding only this directory (no copy of the whole file)."""
    if child.kind == "damaged":
        return [_damaged(child)]
    findings = exif_findings(_mini_tiff(tiff, child), child.label)
    findings = [f for f in findings if not f.field.startswith("Image ")]
    makernote = child.entries.get(_MAKERNOTE)
    if makernote is not None:  # left out of the small TIFF: exifread walks huge MakerNotes value by value
        findings.append(Finding(Category.DEVICE, "EXIF MakerNote", f"{makernote.count} bytes of camera maker "
                                "data", child.label))
    return findings or [Finding(Category.OTHER, child.label.split(" ")[0], "empty directory", child.label)]


def _damaged(ifd: _Ifd) -> Finding:
    return Finding(Category.HIDDEN, ifd.label.split(" ")[0], "damaged directory, removed unread", ifd.label)


def _mini_tiff(tiff: _Tiff, child: _Ifd) -> bytes:
    out = bytearray(tiff.data[:4]) + bytearray(4)
    offset = _emit_tree(out, tiff.order, child)
    pointer_tag = _GPS_IFD if child.kind == "gps" else _EXIF_IFD
    root, _ = _emit_ifd(out, tiff.order, [(pointer_tag, _LONG, 1, struct.pack(tiff.order + "I", offset))])
    out[4:8] = struct.pack(tiff.order + "I", root)
    return bytes(out)


def _emit_tree(out: bytearray, order: str, ifd: _Ifd) -> int:
    entries: list[tuple[int, int, int, bytes]] = []
    for tag, entry in ifd.entries.items():
        if entry.raw is None or tag == _MAKERNOTE:
            continue
        if tag in ifd.children and ifd.children[tag] and ifd.children[tag][0].kind != "damaged":
            child_offset = _emit_tree(out, order, ifd.children[tag][0])
            entries.append((tag, _LONG, 1, struct.pack(order + "I", child_offset)))
        elif tag not in ifd.children:
            entries.append((tag, entry.type, entry.count, bytes(entry.raw)))
    return _emit_ifd(out, order, entries)[0]


def _unreferenced_findings(tiff: _Tiff, readable: bytes | FileBytes | None = None) -> list[Finding]:
    """Bytes that no directory, value, strip or tile points to (left-overs of edits, appended data).
    `readable` is the file read on demand, when it is too big to hold."""
    spans = [(0, 8)] + [span for ifd in tiff.chain for span in _all_spans(tiff, ifd)]
    hidden = nonzero_outside(tiff.data if readable is None else readable, spans)
    if not hidden:
        return []
    return [Finding(Category.HIDDEN, "unreferenced data", f"{hidden} non-zero bytes",
                    "bytes outside the TIFF structure")]


def _all_spans(tiff: _Tiff, ifd: _Ifd) -> list[tuple[int, int]]:
    spans = list(ifd.spans)
    if ifd.kind == "image":
        try:
            spans.extend((offset, offset + length) for offset, length in _chunks(tiff, ifd))
        except Refused:  # a damaged preview is removed anyway; its bytes then count as unreferenced
            pass
    for children in ifd.children.values():
        for child in children:
            spans.extend(_all_spans(tiff, child))
    return spans


# --- writing -----------------------------------------------------------------------------------


def _align(out: bytearray | _Layout) -> None:
    if len(out) % 2:
        out.append(0)


def _emit_ifd(out: bytearray | _Layout, order: str, entries: list[tuple[int, int, int, bytes]]) -> tuple[int, int]:
    """Write values then the directory; returns (directory offset, position of its next pointer)."""
    fields: list[bytes] = []
    for tag, kind, count, raw in sorted(entries):
        if len(raw) <= 4:
            fields.append(struct.pack(order + "HHI", tag, kind, count) + raw.ljust(4, b"\0"))
            continue
        _align(out)
        fields.append(struct.pack(order + "HHII", tag, kind, count, len(out)))
        out += raw
    _align(out)
    start = len(out)
    out += struct.pack(order + "H", len(fields)) + b"".join(fields) + bytes(4)
    return start, len(out) - 4


class _Layout:
    """The clean file as a list of pieces: bytes written here, and (offset, length) references to
    strips and tiles copied from the original when the file is written out, so no image data is
    held. Behaves enough like the bytearray _emit_ifd writes into (len, +=, append)."""

    def __init__(self, head: bytes) -> None:
        self.pieces: list[bytearray | tuple[int, int]] = [bytearray(head)]
        self.starts = [0]
        self._size = len(head)

    def __len__(self) -> int:
        return self._size

    def __iadd__(self, data: bytes | bytearray | memoryview) -> _Layout:
        last = self.pieces[-1]
        if isinstance(last, bytearray):
            last += data
        else:
            self.starts.append(self._size)
            self.pieces.append(bytearray(data))
        self._size += len(data)
        return self

    def append(self, byte: int) -> None:
        self += bytes((byte,))

    def copy(self, offset: int, length: int) -> None:
        self.starts.append(self._size)
        self.pieces.append((offset, length))
        self._size += length

    def patch(self, position: int, data: bytes) -> None:
        """Overwrite written bytes (a directory pointer); never inside a copied strip."""
        index = bisect.bisect_right(self.starts, position) - 1
        piece = self.pieces[index]
        assert isinstance(piece, bytearray)
        start = position - self.starts[index]
        piece[start:start + len(data)] = data


def _layout(tiff: _Tiff, kept: list[_Ifd]) -> _Layout:
    """A new TIFF: for each full-resolution image (`kept`), its strips or tiles and its rendering tags
    only; the first (IFD0) also gets the orientation-only XMP packet, if its XMP stated one."""
    out = _Layout(bytes(tiff.data[:4]) + bytes(4))
    previous = 4  # where the pointer to the next directory goes
    kept_xmp = _kept_xmp(tiff, kept)
    try:
        for ifd in kept:
            offset, previous_next = _emit_image(out, tiff, ifd, kept_xmp if ifd is kept[0] else None)
            out.patch(previous, struct.pack(tiff.order + "I", offset))
            previous = previous_next
    except struct.error:  # an offset past 4 GiB: everything else was validated before writing
        raise Refused("the cleaned file would exceed the 4 GiB limit of classic TIFF") from None
    return out


def _emit_image(out: _Layout, tiff: _Tiff, ifd: _Ifd, kept_xmp: bytes | None) -> tuple[int, int]:
    chunks = _chunks(tiff, ifd)
    offsets: list[int] = []
    for offset, length in chunks:  # pixel data first, byte-identical
        _align(out)
        offsets.append(len(out))
        out.copy(offset, length)
    offsets_tag, counts_tag = _chunk_tags(ifd)
    count = len(chunks)
    entries = [(offsets_tag, _LONG, count, struct.pack(f"{tiff.order}{count}I", *offsets)),
               (counts_tag, _LONG, count, struct.pack(f"{tiff.order}{count}I", *(n for _, n in chunks)))]
    for tag, entry in ifd.entries.items():
        if tag not in (offsets_tag, counts_tag) and entry.raw is not None and _keeps(tiff, ifd, entry):
            value = bytes(entry.raw)
            entries.append((tag, entry.type, entry.count, icc.neutralised(value) if tag == _ICC else value))
    if kept_xmp is not None:
        entries.append((_XMP, _XMP_TYPE, len(kept_xmp), kept_xmp))
    return _emit_ifd(out, tiff.order, entries)


# XMP (XMLPacket) as exiftool and Pillow write it: BYTE.
_XMP_TYPE = 1


def _kept_xmp(tiff: _Tiff, kept: list[_Ifd]) -> bytes | None:
    """The packet keeping an orientation stated only in the XMP of the image that becomes IFD0
    (intake.formats.shared.xmp_orientation): readers show a TIFF's first page by IFD0's
    Orientation tag, else by IFD0's XMP. The XMP of later pages goes with the rest."""
    first = kept[0]
    xmp = first.entries.get(_XMP)
    packets = [bytes(xmp.raw)] if xmp is not None and xmp.raw is not None else []
    return xmp_orientation.kept_packet(packets, 274 in first.entries, "TIFF")


# --- views and content -------------------------------------------------------------------------


def _utf16_views(tiff: _Tiff) -> list[View]:
    found = []
    for ifd in tiff.chain:
        for tag in sorted(_UTF16_TAGS & ifd.entries.keys()):
            raw = ifd.entries[tag].raw
            if raw is not None:
                text = bytes(raw).decode("utf-16-le", "replace")
                found.append(View(f"{_NAMES[tag][0]} ({ifd.label}), UTF-16", text.encode("utf-8")))
    return found


@dataclass(frozen=True)
class _Parse:
    """A TIFF's directories, and the images it keeps, checked once (on first use)."""

    tiff: _Tiff

    @cached_property
    def kept(self) -> list[_Ifd]:
        """The full-resolution images, checked: Refused when sanitize would refuse."""
        return _kept_images(self.tiff)


@dataclass(frozen=True)
class TiffFile(_Parse):
    """A TIFF in memory parsed once, with the bytes verbs (formats/base.py, Parsed) reading that parse."""

    data: bytes

    def inspect(self) -> list[Finding]:
        return _findings(self.tiff, self.kept)

    def sanitize_parts(self) -> list[bytes | memoryview]:
        source = memoryview(self.data)
        return [bytes(piece) if isinstance(piece, bytearray) else source[piece[0]:piece[0] + piece[1]]
                for piece in _layout(self.tiff, self.kept).pieces]

    def views(self) -> list[View]:
        """The raw file, plus UTF-16 text tags decoded (a byte search would miss them)."""
        return [View("TIFF file", self.data)] + _utf16_views(self.tiff)

    def residue(self) -> list[View]:
        """The views: nothing is left out in memory (the stream path leaves out the image data)."""
        return self.views()

    def content(self) -> list[bytes | memoryview]:
        """Per kept image, its strips or tiles concatenated: copied unchanged by sanitize."""
        return [b"".join(_chunk_bytes(self.tiff, ifd)) for ifd in self.kept]


def parse_file(data: bytes, original: Parsed | None = None) -> TiffFile:
    """`data` parsed once (`original` is not needed: a TIFF's parse learns nothing to reuse)."""
    return TiffFile(_parse(data), data)


inspect, sanitize, views, residue, content = bytes_verbs(parse_file)


# --- files of any size: the stream verbs --------------------------------------------------------
# The file is mapped read-only for its directories and tag values (only those pages are read);
# strips and tiles are read through the file in pieces, never through the mapping.

OUTSIDE_WHERE = "TIFF file outside its image data"


def _mapped(source: BinaryIO) -> bytes | mmap.mmap:
    try:
        fileno = source.fileno()
    except (AttributeError, OSError):  # an in-memory file (io.BytesIO): its bytes are already held
        source.seek(0)
        return source.read()
    if os.fstat(fileno).st_size == 0:
        raise Refused("not a TIFF file (no II/MM byte-order mark)")
    return mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)


@dataclass(frozen=True)
class TiffStream(_Parse):
    """An open TIFF parsed once (its directories and values through a map of the file), with the
    stream verbs (formats/base.py, ParsedStream) reading that parse; strips and tiles are read
    through the file in pieces, never through the map."""

    source: BinaryIO

    def inspect(self) -> list[Finding]:
        return _findings(self.tiff, self.kept, FileBytes(self.source))

    def sanitize(self, out: BinaryIO) -> None:
        for piece in _layout(self.tiff, self.kept).pieces:
            if isinstance(piece, bytearray):
                out.write(piece)
                continue
            self.source.seek(piece[0])
            for part in read_exactly(self.source, piece[1]):
                out.write(part)

    def content_digest(self) -> bytes:
        """Per kept image, its strips or tiles as one part (content's parts, digested by stream)."""
        digest = ContentDigest()
        for ifd in self.kept:
            chunks = _chunks(self.tiff, ifd)
            digest.begin(sum(length for _, length in chunks))
            for offset, length in chunks:
                self.source.seek(offset)
                for part in read_exactly(self.source, length):
                    digest.update(part)
        return digest.digest()

    def residue(self) -> Iterator[View]:
        """The file outside the kept images' strips and tiles, in pieces, then UTF-16 text decoded."""
        content_spans = sorted((offset, offset + length) for ifd in self.kept
                               for offset, length in _chunks(self.tiff, ifd) if length)
        position, size = 0, len(self.tiff.data)
        for start, end in content_spans + [(size, size)]:
            if start > position:
                self.source.seek(position)
                where = f"{OUTSIDE_WHERE} (bytes {position} to {start})"
                yield from (View(where, part) for part in read_exactly(self.source, start - position))
            position = max(position, end)
        yield from _utf16_views(self.tiff)


def parse_stream(source: BinaryIO) -> TiffStream:
    return TiffStream(_parse(_mapped(source)), source)  # type: ignore[arg-type]  # an mmap reads like bytes


inspect_stream, sanitize_stream, content_digest, residue_stream = stream_verbs(parse_stream)
