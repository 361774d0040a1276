"""An orientation stated only in XMP, and the one packet a clean copy keeps it in.

Browsers ignore XMP orientation; readers that follow the Metadata Working Group
rules (Pillow's exif_transpose, Adobe's) turn the picture by it where EXIF
states none. Copying it into EXIF would change what browsers show, dropping it
what the others show; so a clean copy keeps it where it was, in a packet
written here that holds tiff:Orientation and nothing else (docs/sanitizing.md).
JPEG, PNG, WebP and TIFF each put that packet in their own container.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from intake.errors import Refused
from intake.formats.shared.metadata import Tiff

# As Pillow reads it (Image.getexif), and only where EXIF has no orientation entry.
STATED = re.compile(rb'tiff:Orientation(="|>)([0-9])')
EXIF_ORIENTATION = 0x0112


def packet(orientation: int) -> bytes:
    """An XMP packet holding tiff:Orientation and nothing else: no toolkit, no dates, no IDs."""
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/>'
        b'</rdf:RDF></x:xmpmeta>' % orientation)


def kept_packet(packets: Iterable[bytes], exif_states_orientation: bool, what: str) -> bytes | None:
    """The packet a clean copy keeps, or None: only where EXIF states no orientation (an EXIF
    orientation, even 1, is the one readers show), only for 2-8 (1 and unknown values turn
    nothing); packets that disagree refuse the file, since which one a reader obeys is not known."""
    if exif_states_orientation:
        return None
    stated = {found[2] for data in packets if (found := STATED.search(data))}
    if len(stated) > 1:
        raise Refused(f"the {what}'s XMP packets disagree on the picture's orientation")
    orientation = int(stated.pop()) if stated else 1
    return packet(orientation) if 2 <= orientation <= 8 else None


def exif_states_orientation(block: bytes) -> bool:
    """Whether an EXIF block (a TIFF structure, after `Exif\\0\\0` if any) has an orientation entry in IFD0."""
    tiff = Tiff.of(block[6:] if block.startswith(b"Exif\0\0") else block)
    ifd0 = tiff.first_ifd() if tiff else None
    return bool(ifd0 and any(entry.tag == EXIF_ORIENTATION for entry in ifd0))
