"""Camera raw files (DNG, CR2, NEF, ARW, ORF, RW2, RAF...): inspected, never cleaned.

A raw file is sensor data plus the maker's private structures that decoders
need to develop it (colour matrices, calibration, lens corrections in maker
notes and private DNG tags), beside the same EXIF, GPS and serial numbers as
a JPEG. intake's TIFF cleaner keeps only the tags a plain TIFF image needs:
applied to a raw file it would drop what the picture is developed with, and
it cannot prove that what it kept still renders the same picture. So raw
files are refused for cleaning with that reason; `intake add` still
receives and seals the original, and `inspect` lists what its EXIF says.
"""

from __future__ import annotations

from intake.formats.base import Finding, View
from intake.errors import Refused
from intake.formats.shared.metadata import exif_findings

NAME = "camera raw"
MEDIA_TYPES = ("image/x-adobe-dng", "image/x-canon-cr2", "image/x-nikon-nef", "image/x-sony-arw",
               "image/x-olympus-orf", "image/x-panasonic-rw2", "image/x-fuji-raf", "image/x-camera-raw")
REASON = ("camera raw files (DNG, CR2, NEF, ARW, ORF, RW2, RAF) are not cleaned: their image data is developed "
          "with maker-private tags that the TIFF cleaner would remove, so an untouched picture cannot be proven; "
          "export a JPEG or TIFF on a trusted machine or keep only the sealed original")


def inspect(data: bytes) -> list[Finding]:
    if data[:4] in (b"II*\0", b"MM\0*"):
        return exif_findings(data, "EXIF in the raw file")
    return []


def sanitize(data: bytes) -> bytes:
    raise Refused(REASON)


def views(data: bytes) -> list[View]:
    return [View("the file", data)]


residue = views  # nothing to leave out: the leftover scan reads every view (formats/base.py)

def content(data: bytes) -> list[bytes]:
    return [data]
