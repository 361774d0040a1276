"""Findings from the metadata blocks many formats share: EXIF, XMP, IPTC.

Format modules find the blocks (a JPEG APP1, a PNG eXIf chunk, a PDF
metadata stream) and hand the bytes here to be read and categorised.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
import xml.etree.ElementTree as ElementTree

import exifread
from defusedxml import ElementTree as SafeElementTree

from intake.formats.base import Category, Finding, categorise, format_coordinates, gps_decimal, shorten

# Structural EXIF entries: pointers and layout, not information about anyone.
_EXIF_STRUCTURAL = re.compile(r"(Offset|Pointer|GPSInfo|ExifOffset|InteroperabilityOffset)$")
KEPT_EXIF_TAGS = frozenset({"Image Orientation"})

_EXIF_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"^GPS "), Category.LOCATION),
    (re.compile(r"(Artist|Copyright|CameraOwnerName|OwnerName|XPAuthor|By-line)"), Category.PERSON),
    (re.compile(r"(Make|Model|Serial|LensSpecification|HostComputer|ImageUniqueID|MakerNote|UniqueCameraModel)"),
     Category.DEVICE),
    (re.compile(r"(DateTime|SubSecTime|OffsetTime|TimeZone)"), Category.TIME),
    (re.compile(r"(Software|ProcessingSoftware)"), Category.SOFTWARE),
    (re.compile(r"^Thumbnail |JPEGThumbnail|^Interoperability "), Category.HIDDEN),
)


def _exif_category(name: str) -> Category:
    return categorise(name, _EXIF_RULES)


def exif_findings(data: bytes, where: str) -> list[Finding]:
    """Findings in a bare EXIF block (TIFF structure: `II*\\0` or `MM\\0*`), read in bounded time."""
    if data.startswith(b"Exif\x00\x00"):  # as in JPEG APP1 and many WebP EXIF chunks
        data = data[6:]
    return ExifReader().findings(data, where)


def _exifread_findings(data: bytes, where: str) -> list[Finding]:
    """exifread on a block ExifReader has already walked and found bounded."""
    try:
        tags = exifread.process_file(io.BytesIO(data), details=True, extract_thumbnail=True, debug=False)
    except Exception:  # exifread raises many types on hostile input; the caller refuses
        return [Finding(Category.HIDDEN, "EXIF", "unreadable EXIF block", where)]
    findings = [_gps_finding(tags, where)] if "GPS GPSLatitude" in tags or "GPS GPSLongitude" in tags else []
    for name, tag in tags.items():
        if name in KEPT_EXIF_TAGS or _EXIF_STRUCTURAL.search(name):
            continue
        if name == "JPEGThumbnail":
            findings.append(Finding(Category.HIDDEN, "embedded thumbnail", f"{len(tag)} bytes", where))
            continue
        findings.append(Finding(_exif_category(name), name, shorten(str(getattr(tag, "printable", tag))), where))
    return [f for f in findings if f is not None]


def _gps_finding(tags: dict, where: str) -> Finding | None:
    try:
        lat = _dms(tags["GPS GPSLatitude"].values, str(tags.get("GPS GPSLatitudeRef", "N")))
        lon = _dms(tags["GPS GPSLongitude"].values, str(tags.get("GPS GPSLongitudeRef", "E")))
    except (KeyError, ZeroDivisionError, TypeError, ValueError, IndexError, AttributeError):
        return Finding(Category.LOCATION, "GPS position", "present (unreadable coordinates)", where)
    return Finding(Category.LOCATION, "GPS position", format_coordinates(lat, lon), where)


def _dms(values: list, reference: str) -> float:
    degrees, minutes, seconds = (float(v.num) / float(v.den) for v in values[:3])
    return gps_decimal(degrees, minutes, seconds, reference)


_XMP_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"GPS|Location|City|Country|State|Sublocation|Latitude|Longitude", re.I), Category.LOCATION),
    (re.compile(r"creator$|Author|Owner|Credit|Rights|Contributor|Publisher|byline|Artist|Person|By-line", re.I),
     Category.PERSON),
    (re.compile(r"Make|Model|Serial|Lens|CameraProfile|HostComputer", re.I), Category.DEVICE),
    (re.compile(r"Date|Time|when", re.I), Category.TIME),
    (re.compile(r"CreatorTool|Producer|softwareAgent|Software|Application", re.I), Category.SOFTWARE),
    (re.compile(r"History|DocumentID|InstanceID|DerivedFrom|Ingredients|Pantry|Thumbnail", re.I), Category.HIDDEN),
)


def _xmp_category(name: str) -> Category:
    return categorise(name, _XMP_RULES)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xmp_findings(data: bytes, where: str) -> list[Finding]:
    """Every value in an XMP packet, categorised by its property name."""
    start, end = data.find(b"<x:xmpmeta"), data.rfind(b"</x:xmpmeta>")
    packet = data[start:end + len(b"</x:xmpmeta>")] if start >= 0 and end > start else data
    try:
        root = SafeElementTree.fromstring(packet)
    except (ElementTree.ParseError, ValueError, Exception):  # defusedxml raises its own types too
        return [Finding(Category.HIDDEN, "XMP", "unparseable XMP packet", where)] if packet.strip() else []
    findings: list[Finding] = []
    _walk_xmp(root, "", where, findings)
    return findings or [Finding(Category.OTHER, "XMP", "empty XMP packet", where)]


def _walk_xmp(element: ElementTree.Element, parent: str, where: str, findings: list[Finding]) -> None:
    name = _local(element.tag)
    label = name if name not in ("li", "Seq", "Bag", "Alt", "Description", "RDF", "xmpmeta") else parent
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local not in ("about", "parseType", "lang", "xmptk", "resource") and value.strip():
            findings.append(Finding(_xmp_category(local), local, shorten(value), where))
    if element.text and element.text.strip():
        findings.append(Finding(_xmp_category(label), label, shorten(element.text), where))
    for child in element:
        _walk_xmp(child, label, where, findings)


_IPTC_NAMES = {
    5: "ObjectName", 25: "Keywords", 40: "SpecialInstructions", 55: "DateCreated", 60: "TimeCreated",
    62: "DigitalCreationDate", 63: "DigitalCreationTime", 65: "OriginatingProgram", 70: "ProgramVersion",
    80: "By-line", 85: "By-lineTitle", 90: "City", 92: "Sub-location", 95: "Province-State",
    100: "Country-PrimaryLocationCode", 101: "Country-PrimaryLocationName", 103: "OriginalTransmissionReference",
    105: "Headline", 110: "Credit", 115: "Source", 116: "CopyrightNotice", 118: "Contact", 120: "Caption-Abstract",
    122: "Writer-Editor",
}
_IPTC_CATEGORY = {
    55: Category.TIME, 60: Category.TIME, 62: Category.TIME, 63: Category.TIME, 65: Category.SOFTWARE,
    70: Category.SOFTWARE, 80: Category.PERSON, 85: Category.PERSON, 90: Category.LOCATION, 92: Category.LOCATION,
    95: Category.LOCATION, 100: Category.LOCATION, 101: Category.LOCATION, 110: Category.PERSON,
    115: Category.PERSON, 116: Category.PERSON, 118: Category.PERSON, 122: Category.PERSON,
}


def iptc_findings(data: bytes, where: str) -> list[Finding]:
    """IPTC-IIM datasets (0x1C record dataset length value), as in Photoshop resource 0x0404."""
    findings: list[Finding] = []
    offset = 0
    while offset + 5 <= len(data) and data[offset] == 0x1C:
        record, dataset, length = struct.unpack(">BBH", data[offset + 1:offset + 5])
        if length & 0x8000:
            return findings + [Finding(Category.HIDDEN, "IPTC", "extended dataset length", where)]
        value = data[offset + 5:offset + 5 + length]
        offset += 5 + length
        if record == 2 and dataset != 0:
            name = _IPTC_NAMES.get(dataset, f"2:{dataset}")
            text = shorten(value.decode("utf-8", "replace"))
            findings.append(Finding(_IPTC_CATEGORY.get(dataset, Category.OTHER), f"IPTC {name}", text, where))
    return findings


MAKERNOTE = 0x927C
TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}  # as exifread

@dataclass(frozen=True)
class TiffEntry:
    tag: int
    kind: int
    count: int
    field: bytes  # the 4-byte value-or-offset field
    at: int  # where the entry starts in the block


@dataclass(frozen=True)
class Tiff:
    """A TIFF structure as EXIF stores it; every read is checked against the block."""

    data: bytes
    order: str

    @classmethod
    def of(cls, data: bytes) -> Tiff | None:
        order = {b"II*\0": "<", b"MM\0*": ">"}.get(data[:4])
        return cls(data, order) if order else None

    def u32(self, offset: int) -> int:
        return struct.unpack(self.order + "I", self.data[offset:offset + 4])[0] if offset + 4 <= len(self.data) else 0

    def ifd(self, offset: int, partial: bool = False, first: int = 8) -> tuple[list[TiffEntry], int] | None:
        """One IFD's entries and the next IFD's offset; None when it does not fit in the block.

        `partial`: the entries that do fit, as exifread reads them (it reads zeros past the end).
        `first`: where an IFD may start (after the 8-byte header, except in maker notes without one)."""
        if offset < first or offset + 2 > len(self.data):
            return None
        end = offset + 2 + 12 * struct.unpack(self.order + "H", self.data[offset:offset + 2])[0]
        if end + 4 > len(self.data) and not partial:
            return None
        entries = [TiffEntry(*struct.unpack(self.order + "HHI4s", self.data[at:at + 12]), at)
                   for at in range(offset + 2, min(end, len(self.data) - 11), 12)]
        return entries, self.u32(end)

    def value(self, entry: TiffEntry) -> bytes:
        size = entry.count * TIFF_SIZES.get(entry.kind, 1)
        start = entry.at + 8 if size <= 4 else self.u32(entry.at + 8)
        return self.data[start:start + size]

    def numbers(self, entry: TiffEntry) -> list[int]:
        if entry.kind not in (3, 4) or entry.count >= 1000:
            return []
        raw = self.value(entry)
        size = 2 if entry.kind == 3 else 4
        return [struct.unpack(self.order + ("H" if size == 2 else "I"), raw[i:i + size])[0]
                for i in range(0, len(raw) - size + 1, size)]

    def first_ifd(self) -> list[TiffEntry] | None:
        found = self.ifd(self.u32(4))
        return found[0] if found else None


# exifread believes every count it reads: one crafted count makes it loop for
# hours. So before a block is handed to it, the IFDs it will follow are walked
# here and the values it would read are counted; a block over budget is only
# summarised. Maker notes are hidden from it: exifread reads a maker note value
# by value (a Canon DSLR's holds some 17,000), which made it most of the cost
# of cleaning a photo. Each maker note is one finding (maker, size), plus the
# few tags of the common layouts that name a person or a device (owner,
# serial numbers, lens, firmware, Apple's photo identifier), read here.
_EXIF_BUDGET = 200_000  # values per file (about 0.7 s of exifread); a camera's 64 KiB maker note is 65536
_MAX_EXIF_BLOCKS = 16  # per file
_SUB_IFDS = (0x8769, 0x8825, 0xA005, 0x014A)


class _Unbounded(Exception):
    """exifread would read more than the budget from this block."""


class ExifReader:
    """Findings of every EXIF block of one file, each read only if exifread can read it in bounded time."""

    def __init__(self) -> None:
        self.blocks = 0
        self.budget = _EXIF_BUDGET

    def findings(self, data: bytes, where: str) -> list[Finding]:
        self.blocks += 1
        tiff = Tiff.of(data)
        if tiff is None or self.blocks > _MAX_EXIF_BLOCKS:
            return [_summary(data, where)]  # exifread would guess a format, maybe a JPEG with its own EXIF
        walk = ExifWalk(tiff, self.budget)
        try:
            walk.chain()
        except _Unbounded:
            return [_summary(data, where)]
        self.budget -= walk.spent
        readable, notes = _hide_maker_notes(walk, where)
        return _exifread_findings(readable, where) + notes



def _summary(data: bytes, where: str) -> Finding:
    return Finding(Category.HIDDEN, "EXIF", f"EXIF block not read in detail, {len(data)} bytes", where)


def _hide_maker_notes(walk: ExifWalk, where: str) -> tuple[bytes, list[Finding]]:
    """The block with maker notes hidden (their entry's type set to 0, which exifread skips), and their findings."""
    tiff = walk.tiff
    readable = bytearray(tiff.data)
    notes = []
    for entry in walk.makernotes:
        readable[entry.at + 2:entry.at + 4] = b"\0\0"
        note = tiff.value(entry)
        name = note[:16].split(b"\0", 1)[0].decode("latin-1")
        label = name if name.isascii() and name.isprintable() and len(name) > 2 else walk.make or "unknown maker"
        notes.append(Finding(Category.DEVICE, "EXIF MakerNote", f"{label}, {entry.count} bytes", where))
        notes += [Finding(_exif_category(f"MakerNote {tag}"), f"MakerNote {tag}", shorten(value), where)
                  for tag, value in maker_note_tags(tiff, entry, walk.make)]
    return bytes(readable), notes


# The maker-note tags worth a finding, by layout; the rest of a note is camera settings.
_CANON_TAGS = {0x0006: "ImageType", 0x0007: "FirmwareVersion", 0x0009: "OwnerName", 0x000C: "SerialNumber",
               0x0095: "LensModel", 0x0096: "InternalSerialNumber"}
_NIKON_TAGS = {0x001D: "SerialNumber", 0x00A0: "SerialNumber", 0x00A7: "ShutterCount"}
_APPLE_TAGS = {0x0011: "ContentIdentifier", 0x0020: "ImageCaptureRequestID"}
_SAMSUNG_TAGS = {0xA002: "SerialNumber", 0xA004: "LensFirmware", 0xA005: "InternalLensSerialNumber"}


def maker_note_tags(tiff: Tiff, entry: TiffEntry, make: str) -> list[tuple[str, str]]:
    """(name, value) of the identifying tags of a Canon, Nikon (type 3), Apple or Samsung (type 2) maker note.

    Each layout is one IFD, read with the same bounds checks as the rest of the block; other layouts give nothing."""
    note = tiff.value(entry)
    if note.startswith(b"Nikon\0\2"):
        inner = Tiff.of(note[10:])  # its own TIFF header; offsets count from there
        return _note_ifd(inner, inner.u32(4), _NIKON_TAGS) if inner else []
    if note.startswith(b"Apple iOS\0") and note[12:14] in (b"MM", b"II"):
        return _note_ifd(Tiff(note, "<" if note[12:14] == b"II" else ">"), 14, _APPLE_TAGS)
    if make.startswith("Canon") and entry.count * TIFF_SIZES.get(entry.kind, 1) > 4:
        at = tiff.u32(entry.at + 8)  # offsets count from the block's header
        return _note_ifd(Tiff(tiff.data, _note_order(tiff.data, at, tiff.order)), at, _CANON_TAGS)
    if make.startswith("SAMSUNG"):
        return _note_ifd(Tiff(note, _note_order(note, 0, tiff.order)), 0, _SAMSUNG_TAGS)  # offsets from the note
    return []


def _note_order(data: bytes, at: int, order: str) -> str:
    """A maker note keeps the camera's byte order even when software rewrites the EXIF around it in the other."""
    count = struct.unpack(order + "H", data[at:at + 2])[0] if at + 2 <= len(data) else 0
    fits = 0 < count and at + 2 + 12 * count <= len(data)
    return order if fits else {"<": ">", ">": "<"}[order]


def _note_ifd(tiff: Tiff, offset: int, wanted: dict[int, str]) -> list[tuple[str, str]]:
    found = tiff.ifd(offset, partial=True, first=0)
    if found is None:
        return []
    values = []
    for entry in found[0]:
        if entry.tag not in wanted:
            continue
        if entry.kind == 2:
            text = tiff.value(entry)[:256].split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        else:
            text = " ".join(str(n) for n in tiff.numbers(entry)[:16])
        if text:
            values.append((wanted[entry.tag], text))
    return values


class ExifWalk:
    """The IFDs exifread follows (chain, Exif, GPS, Interop, SubIFDs), charged against the budget."""

    def __init__(self, tiff: Tiff, budget: int) -> None:
        self.tiff, self.budget, self.spent, self.open = tiff, budget, 0, set[int]()
        self.makernotes: list[TiffEntry] = []
        ifd0 = tiff.first_ifd() or []
        makes = [tiff.value(e).split(b"\0", 1)[0].decode("latin-1") for e in ifd0 if e.tag == 0x010F]
        self.make = makes[-1] if makes else ""  # exifread keeps the last one

    def chain(self) -> None:
        offset, seen = self.tiff.u32(4), set[int]()
        while offset and offset not in seen:  # exifread stops at a repeated IFD too
            seen.add(offset)
            offset = self.walk(offset, 0)

    def walk(self, offset: int, depth: int, long_tags: tuple[int, ...] = (MAKERNOTE,)) -> int:
        found = self.tiff.ifd(offset, partial=True)
        if found is None:
            return 0  # exifread reads zeros past the end: no entries, nothing to follow
        if offset in self.open or depth > 4:
            raise _Unbounded
        self.open.add(offset)
        for entry in found[0]:
            self.entry(entry, depth, long_tags)
        self.open.discard(offset)
        return found[1]

    def entry(self, entry: TiffEntry, depth: int, long_tags: tuple[int, ...]) -> None:
        if entry.kind not in TIFF_SIZES:
            return  # exifread skips unknown types
        reads = entry.count if entry.kind != 2 and (entry.count < 1000 or entry.tag in long_tags) else 0
        self.spent += 1 + reads
        if self.spent > self.budget:
            raise _Unbounded
        if entry.tag in _SUB_IFDS:
            for sub in self.tiff.numbers(entry)[:None if entry.tag == 0x014A else 1]:
                self.walk(sub, depth + 1)
        elif entry.tag == MAKERNOTE:
            self.makernotes.append(entry)
