"""Metadata blocks several image formats remove in the same way (PNG, GIF, WebP).

EXIF is reduced to its orientation, in a minimal block written here; IPTC is
unwrapped from a Photoshop resource block; a removed block is always reported.
"""

from __future__ import annotations

import struct

from intake.formats.base import Category, Finding
from intake.formats.shared.metadata import exif_findings

TAIL_WHERE = "bytes after the end of the image"


def or_generic(findings: list[Finding], label: str, where: str) -> list[Finding]:
    """A removed block is always reported, even when nothing in it could be read."""
    return findings or [Finding(Category.OTHER, label, "present (no readable fields)", where)]


def iptc_block(data: bytes) -> bytes:
    """Raw IPTC-IIM, unwrapping a Photoshop resource block (8BIM, resource 0x0404) if that is what it is."""
    offset = 0
    while data[offset:offset + 4] == b"8BIM" and offset + 8 <= len(data):  # each pass moves forward
        resource = int.from_bytes(data[offset + 4:offset + 6], "big")
        name_length = data[offset + 6] if offset + 6 < len(data) else 0
        size_at = offset + 6 + ((name_length + 2) & ~1)
        size = int.from_bytes(data[size_at:size_at + 4], "big")
        if resource == 0x0404:
            return data[size_at + 4:size_at + 4 + size]
        offset = size_at + 4 + size + (size & 1)
    return data


# EXIF: only the orientation survives (it says how to show the pixels), in a
# minimal block written here so that nothing else can ride along.
def orientation_exif(orientation: int) -> bytes:
    return b"MM\0*\0\0\0\x08\0\x01" + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\0\0\0\0"


_ORIENTATION_BLOCKS = frozenset(orientation_exif(n) for n in range(2, 9))


def exif_review(block: bytes, where: str) -> tuple[bytes | None, list[Finding]]:
    """(replacement block or None, findings) for an EXIF block that is being removed."""
    if block in _ORIENTATION_BLOCKS:
        return block, []
    tiff = block[6:] if block.startswith(b"Exif\0\0") else block
    findings = or_generic(exif_findings(tiff, where), "EXIF", where)
    orientation = exif_orientation(tiff)
    return (orientation_exif(orientation) if orientation and orientation > 1 else None), findings


def exif_orientation(tiff: bytes) -> int | None:
    """IFD0's orientation (a TIFF structure, no `Exif\\0\\0`): 1-8, or None when missing, malformed or unknown."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 10:
        return None
    ifd = struct.unpack(order + "I", tiff[4:8])[0]
    if ifd + 2 > len(tiff):
        return None
    count = struct.unpack(order + "H", tiff[ifd:ifd + 2])[0]
    for entry in range(ifd + 2, min(ifd + 2 + 12 * count, len(tiff) - 11), 12):
        tag, kind, number, value = struct.unpack(order + "HHIH", tiff[entry:entry + 10])
        if tag == 0x0112 and kind == 3 and number == 1:
            return value if 1 <= value <= 8 else None
    return None
