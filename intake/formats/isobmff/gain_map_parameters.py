"""The numbers an Apple HDR gain map is shown with, read from what describes it and written afresh.

An iPhone describes its gain map (an auxiliary image, `urn:com:apple:photo:2020:aux:hdrgainmap`)
with an XMP packet holding `HDRGainMapVersion` and, from iOS 17 on, `HDRGainMapHeadroom`. iOS 14-16
wrote the headroom only into the EXIF maker note (Apple tags 33 and 48), which cleaning removes
with the rest of the EXIF; Apple's "Applying Apple HDR effect to your photos" gives the formula
that turns those two tags into the headroom. The keep-hdr mode writes a fresh packet holding only
these numbers, so nothing else the packet or the maker note said rides along. A headroom carried over
from the maker note is written as iOS 17 writes it: with that version's number (VERSION_WITH_HEADROOM).
"""

from __future__ import annotations

import re
import struct

from intake.formats.shared.metadata import MAKERNOTE, SafeElementTree, Tiff, TiffEntry

APPLE_GAIN_MAP_NS = "http://ns.apple.com/HDRGainMap/1.0/"
GAIN_MAP_FIELDS = ("HDRGainMapVersion", "HDRGainMapHeadroom")
# iOS 17's metadata version (0x20000), the first to carry the headroom in the XMP: Apple's readers take the
# XMP headroom only from this version on and otherwise compute it from the maker note, with the same
# formula as headroom_from_maker_note. The gain map's pixels are applied alike in both versions.
VERSION_WITH_HEADROOM = "131072"
_NUMBER = re.compile(r"[+-]?[0-9]{1,12}(\.[0-9]{1,12})?")
_EXIF_IFD = 0x8769
_APPLE_NOTE = b"Apple iOS\0"
_APPLE_NOTE_IFD = 14  # after "Apple iOS\0", a 2-byte version and the byte order; offsets count from the note
_HDR_HEADROOM, _HDR_GAIN = 0x0021, 0x0030  # "maker33" and "maker48" in Apple's formula


def values_in_packet(packet: bytes) -> dict[str, str]:
    """Apple's gain-map numbers in an XMP packet, each matched as a number; nothing else is read."""
    start, end = packet.find(b"<x:xmpmeta"), packet.rfind(b"</x:xmpmeta>")
    if start < 0 or end < start:
        return {}
    try:
        root = SafeElementTree.fromstring(packet[start:end + len(b"</x:xmpmeta>")])
    except Exception:  # defusedxml raises its own types too: an unreadable packet keeps nothing
        return {}
    values = {}
    for element in root.iter():
        pairs = [(element.tag, element.text or "")] + list(element.attrib.items())
        for name, value in pairs:
            namespace, _, local = str(name).lstrip("{").partition("}")
            if namespace == APPLE_GAIN_MAP_NS and local in GAIN_MAP_FIELDS and _NUMBER.fullmatch(value.strip()):
                values[local] = value.strip()
    return values


def packet_of(values: dict[str, str]) -> bytes:
    """A fresh XMP packet holding only the given gain-map numbers, in a fixed order and form: the same
    values always give the same bytes (the content check rebuilds it from the clean copy and compares)."""
    fields = "".join(f"<HDRGainMap:{name}>{values[name]}</HDRGainMap:{name}>" for name in GAIN_MAP_FIELDS if name in values)
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:HDRGainMap="{APPLE_GAIN_MAP_NS}">{fields}</rdf:Description>'
            "</rdf:RDF></x:xmpmeta>").encode("ascii")


def headroom_from_maker_note(exif_item: bytes) -> str | None:
    """The headroom an iOS 14-16 photo's gain map is shown with, from the Apple maker note in its EXIF
    item (HEIF form: a 4-byte offset to the TIFF header, then the block), as Apple's formula gives it,
    written as iOS 17 writes it (six decimals). None without an Apple maker note holding tag 33."""
    if len(exif_item) < 4:
        return None
    start = 4 + int.from_bytes(exif_item[:4], "big")
    tiff = Tiff.of(exif_item[start + 6:] if exif_item[start:start + 6] == b"Exif\0\0" else exif_item[start:])
    note = _apple_maker_note(tiff) if tiff else None
    if note is None:
        return None
    values = _note_rationals(Tiff(note, "<" if note[12:14] == b"II" else ">"))
    if _HDR_HEADROOM not in values:
        return None
    return f"{apple_headroom(values[_HDR_HEADROOM], values.get(_HDR_GAIN, 0.0)):.6f}"


def apple_headroom(maker33: float, maker48: float) -> float:
    """Apple's published formula: the two maker-note values give a number of stops, the headroom is 2^stops."""
    if maker33 < 1.0:
        stops = -20.0 * maker48 + 1.8 if maker48 <= 0.01 else -0.101 * maker48 + 1.601
    else:
        stops = -70.0 * maker48 + 3.0 if maker48 <= 0.01 else -0.303 * maker48 + 2.303
    return 2.0 ** max(stops, 0.0)


def _apple_maker_note(tiff: Tiff) -> bytes | None:
    ifd0 = tiff.first_ifd() or []
    exif_ifds = [tiff.numbers(entry)[:1] for entry in ifd0 if entry.tag == _EXIF_IFD]
    if not exif_ifds or not exif_ifds[0]:
        return None
    found = tiff.ifd(exif_ifds[0][0], partial=True)
    for entry in found[0] if found else ():
        if entry.tag == MAKERNOTE:
            note = tiff.value(entry)
            if note.startswith(_APPLE_NOTE) and note[12:14] in (b"MM", b"II"):
                return note
    return None


def _note_rationals(note: Tiff) -> dict[int, float]:
    """Tags 33 and 48 of the maker note's IFD, as numbers (Apple writes signed rationals)."""
    found = note.ifd(_APPLE_NOTE_IFD, partial=True, first=0)
    values = {}
    for entry in found[0] if found else ():
        if entry.tag in (_HDR_HEADROOM, _HDR_GAIN) and entry.count == 1:
            value = _number(note, entry)
            if value is not None:
                values[entry.tag] = value
    return values


def _number(note: Tiff, entry: TiffEntry) -> float | None:
    raw = note.value(entry)
    formats = {5: "II", 10: "ii", 11: "f", 12: "d"}
    if entry.kind not in formats or len(raw) != struct.calcsize(note.order + formats[entry.kind]):
        return None
    parts = struct.unpack(note.order + formats[entry.kind], raw)
    if len(parts) == 2:
        return parts[0] / parts[1] if parts[1] else None
    return parts[0] if parts[0] == parts[0] and abs(parts[0]) < 1e6 else None  # no NaN or absurd values
