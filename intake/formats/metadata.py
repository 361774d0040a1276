"""Findings from the metadata blocks many formats share: EXIF, XMP, IPTC.

Format modules find the blocks (a JPEG APP1, a PNG eXIf chunk, a PDF
metadata stream) and hand the bytes here to be read and categorised.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ElementTree

import exifread
from defusedxml import ElementTree as SafeElementTree

from intake.formats.base import Category, Finding, format_coordinates, gps_decimal

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
    for pattern, category in _EXIF_RULES:
        if pattern.search(name):
            return category
    return Category.OTHER


def exif_findings(data: bytes, where: str) -> list[Finding]:
    """Findings in a file or bare EXIF block (TIFF structure: `II*\\0` or `MM\\0*`)."""
    if data.startswith(b"Exif\x00\x00"):  # as in JPEG APP1 and many WebP EXIF chunks
        data = data[6:]
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
        findings.append(Finding(_exif_category(name), name, _short(str(getattr(tag, "printable", tag))), where))
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


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    for pattern, category in _XMP_RULES:
        if pattern.search(name):
            return category
    return Category.OTHER


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
            findings.append(Finding(_xmp_category(local), local, _short(value), where))
    if element.text and element.text.strip():
        findings.append(Finding(_xmp_category(label), label, _short(element.text), where))
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
            text = _short(value.decode("utf-8", "replace"))
            findings.append(Finding(_IPTC_CATEGORY.get(dataset, Category.OTHER), f"IPTC {name}", text, where))
    return findings
