"""HEIC/HEIF: inspected, never cleaned.

No maintained library rewrites HEIF metadata without re-encoding the image
(pillow-heif decodes and encodes again: the evidence would change), and an
ISO-BMFF item rewriter of our own would be a large new parser for hostile
input. So a HEIF file is refused for cleaning with that reason; `intake add`
still receives and seals the original.
"""

from __future__ import annotations

from intake.formats.base import Finding, View
from intake.errors import Refused
from intake.formats.shared.metadata import exif_findings

NAME = "HEIF"
MEDIA_TYPES = ("image/heif", "image/avif")
REASON = ("HEIC/HEIF/AVIF cannot be cleaned without re-encoding the image; "
          "convert it on a trusted machine or keep only the sealed original")


def inspect(data: bytes) -> list[Finding]:
    return exif_findings(data, "EXIF in the HEIF container")


def sanitize(data: bytes) -> bytes:
    raise Refused(REASON)


def views(data: bytes) -> list[View]:
    return [View("the file", data)]


def content(data: bytes) -> list[bytes]:
    return [data]
