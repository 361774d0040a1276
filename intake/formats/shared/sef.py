"""Samsung's SEF records: what a Galaxy phone appends to its photos, read for the report.

A Samsung camera ends a HEIC (in a top-level 'sefd' box) or a JPEG (after the
image) with records such as Image_UTC_Data (the capture time in
milliseconds), MCC_Data (the mobile network's country code: where the phone
was), Camera_Capture_Mode_Info and MotionPhoto_Data. They are never kept:
this module only says what they held, so the report names it and the
leftover scan can look for the values.

Layout, from the end: ... records ... 'SEFH' version count, then `count`
directory entries (2 bytes zero, 2 bytes type, 4 bytes distance back from
'SEFH' to the record, 4 bytes record length), the directory's size and
'SEFT'. A record is 2 bytes zero, 2 bytes type, 4 bytes name length, the
name, the data. All numbers are little-endian. Anything that does not fit
is reported by size, never guessed at.
"""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from typing import BinaryIO

from intake.formats.base import Category, Finding, shorten

_HEAD = b"SEFH"
_ENTRY = 12
MAX_RECORDS = 1024


def findings(data: bytes, where: str) -> list[Finding]:
    """One finding per record, or one for the whole block when its directory cannot be read."""
    records = _records(data)
    if records is None:
        return [Finding(Category.HIDDEN, "Samsung SEF data", f"{len(data)} bytes in an unreadable layout", where)]
    return [_finding(name, value, where) for name, value in records] or [
        Finding(Category.HIDDEN, "Samsung SEF data", f"{len(data)} bytes, no records", where)]


def _records(data: bytes) -> list[tuple[str, bytes]] | None:
    head = data.rfind(_HEAD)
    if head < 0 or len(data) < head + 12:
        return None
    count = struct.unpack_from("<I", data, head + 8)[0]
    if count > MAX_RECORDS or len(data) < head + 12 + count * _ENTRY:
        return None
    records = []
    for index in range(count):
        _, _, back, length = struct.unpack_from("<HHII", data, head + 12 + index * _ENTRY)
        start = head - back
        if start < 0 or length < 8 or start + length > head:
            return None
        name_length = struct.unpack_from("<I", data, start + 4)[0]
        if 8 + name_length > length:
            return None
        name = data[start + 8:start + 8 + name_length].decode("ascii", "replace")
        records.append((name, data[start + 8 + name_length:start + length]))
    return records


def _finding(name: str, value: bytes, where: str) -> Finding:
    text = value.decode("utf-8", "replace").strip("\0 ")
    if name == "Image_UTC_Data" and text.isdigit() and len(text) <= 15:
        moment = datetime.fromtimestamp(int(text) / 1000, timezone.utc)
        return Finding(Category.TIME, "Samsung capture time", f"{text} ({moment:%Y-%m-%d %H:%M:%S} UTC)", where)
    if name == "MCC_Data":
        return Finding(Category.LOCATION, "Samsung mobile country code", f"{shorten(text)} (the network's country)",
                       where)
    if name.startswith("MotionPhoto"):
        return Finding(Category.HIDDEN, f"Samsung {name}", f"{len(value)} bytes about the motion photo's video", where)
    if text.isprintable() and text:
        return Finding(Category.OTHER, f"Samsung {shorten(name, 60)}", shorten(text), where)
    return Finding(Category.HIDDEN, f"Samsung {shorten(name, 60)}", f"{len(value)} bytes", where)


def block_start(source: BinaryIO, size: int) -> int | None:
    """Where a SEF block that ends the file starts ('SEFT' last, its directory before it), or None
    when the file does not end with one that reads cleanly."""
    if size < 20:
        return None
    source.seek(size - 8)
    footer = source.read(8)
    if footer[4:] != b"SEFT":
        return None
    head = size - 8 - struct.unpack("<I", footer[:4])[0]
    if head < 0:
        return None
    source.seek(head)
    directory = source.read(size - 8 - head)
    if not directory.startswith(_HEAD) or len(directory) < 12:
        return None
    count = struct.unpack_from("<I", directory, 8)[0]
    if count == 0 or count > MAX_RECORDS or len(directory) < 12 + count * _ENTRY:
        return None
    furthest = max(struct.unpack_from("<I", directory, 12 + index * _ENTRY + 4)[0] for index in range(count))
    start = head - furthest
    return start if 0 <= start < head else None
