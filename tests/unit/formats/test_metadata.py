"""The shared EXIF reader stays bounded on hostile blocks, whichever format carries them."""

from __future__ import annotations

import struct
import time

from intake.formats.base import Category
from intake.formats.shared.metadata import exif_findings, xmp_findings


def block_with_entry(tag: int, kind: int, count: int) -> bytes:
    """A little-endian EXIF block whose IFD0 holds one entry with the given count."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", tag, kind, count, 26) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 64


def test_huge_counts_are_summarised_not_read() -> None:
    for tag in (0x927C, 0x010F, 0x8769):
        started = time.monotonic()
        findings = exif_findings(b"Exif\x00\x00" + block_with_entry(tag, 3, 0x7FFFFFFF), "EXIF")
        assert time.monotonic() - started < 2
        assert findings, "a removed block is always reported"


def test_prefix_and_plain_block_read_the_same() -> None:
    make = b"PlantedMake\x00"
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), 26) + struct.pack("<I", 0)
    block = b"II*\x00" + struct.pack("<I", 8) + ifd + make
    plain = exif_findings(block, "EXIF")
    assert any(f.value == "PlantedMake" and f.category.value == "device" for f in plain)
    assert exif_findings(b"Exif\x00\x00" + block, "EXIF") == plain


def test_not_a_tiff_block_is_not_guessed_at() -> None:
    findings = exif_findings(b"\xff\xd8\xff\xe1 not tiff", "EXIF")
    assert len(findings) == 1 and findings[0].category.value == "hidden content"


def test_a_gain_maps_capacity_is_no_city() -> None:
    """Ultra HDR and Galaxy gain maps describe themselves with hdrgm:HDRCapacityMax; it was reported as a place."""
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" '
              'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" hdrgm:HDRCapacityMax="2.3" '
              'photoshop:City="PLANTED-CITY"/></rdf:RDF></x:xmpmeta>').encode()
    categories = {f.field: f.category for f in xmp_findings(packet, "XMP")}
    assert categories == {"HDRCapacityMax": Category.OTHER, "City": Category.LOCATION}
