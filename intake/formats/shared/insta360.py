"""Insta360's trailer: what the company's cameras append after a video's last box (.insv, .mp4) or
after a photo's end of image (.insp), found here so it can be left out and named in the report.

It holds the camera's records: the serial number, model and firmware, per-frame gyroscope and
exposure data, and, with a phone or GPS remote connected, a GPS track. Its contents are not read:
the whole block goes. Layout, from exiftool's reader (QuickTime.pm, IdentifyTrailers): the last 40
bytes are the trailer's whole length (4 bytes, little-endian, counting back from the end of the file),
4 more bytes, and the ASCII magic below.
"""

from __future__ import annotations

from typing import BinaryIO

from intake.formats.base import Category, Finding

MAGIC = b"8db42d694ccc418790edff439fe026bf"
_FOOTER = 8 + len(MAGIC)


def trailer_start(source: BinaryIO, end: int) -> int | None:
    """Where an Insta360 trailer ending at `end` starts, or None when the bytes before `end` do not end one."""
    if end < _FOOTER:
        return None
    source.seek(end - _FOOTER)
    footer = source.read(_FOOTER)
    if footer[8:] != MAGIC:
        return None
    length = int.from_bytes(footer[:4], "little")
    return end - length if _FOOTER <= length <= end else None


def finding(start: int, end: int) -> Finding:
    return Finding(Category.HIDDEN, "Insta360 trailer", f"{end - start} bytes of camera records (serial number, "
                   "model, firmware, gyroscope and exposure per frame, any GPS track)", f"after the movie (byte {start})")
