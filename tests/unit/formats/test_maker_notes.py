"""Maker notes: one finding each, plus the identifying tags of the common layouts, read in bounded time.

The fixtures are EXIF blocks written by Pillow with maker notes laid out as Canon, Nikon (type 3),
Apple and Samsung (type 2) cameras write them; exiftool, an independent reader, confirms each layout
is read as the camera's before intake's findings are checked against it."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import time

import pytest
from PIL import Image
from PIL.ExifTags import IFD

from intake.formats import jpeg
from intake.formats.base import Category, Finding
from intake.formats.shared.metadata import exif_findings

SERIAL = "PLANTED-SERIAL-5521"
OWNER = "PLANTED-OWNER-77a1"
_MARK = b"planted-maker-note-placeholder"


def note_ifd(order: str, entries: list[tuple[int, int, bytes]], at: int, base: int) -> bytes:
    """One IFD at `at` (where it lands, as offsets count it) and its values; each entry (tag, type, value)."""
    data_at = at + 2 + 12 * len(entries) + 4
    table, values = [struct.pack(order + "H", len(entries))], b""
    for tag, kind, value in sorted(entries):
        count = len(value) // {2: 1, 3: 2, 4: 4, 7: 1}[kind]
        if len(value) <= 4:
            table.append(struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\0"))
        else:
            table.append(struct.pack(order + "HHII", tag, kind, count, data_at + len(values) - base))
            values += value + b"\0" * (len(value) % 2)
    return b"".join(table) + b"\0\0\0\0" + values


def exif_with_note(make: str, build_note, order: str = ">") -> bytes:
    """An APP1 EXIF payload whose maker note is build_note(at), `at` being where it lands in the TIFF block."""
    image = Image.new("RGB", (8, 8))
    exif = image.getexif()
    exif._loaded_exif = None
    exif.endian = order
    exif[0x010F], exif[0x0110] = make, "Planted Model"
    size = len(build_note(0))
    exif.get_ifd(IFD.Exif)[0x927C] = _MARK.ljust(size, b"\0")
    block = exif.tobytes()
    at = block.find(_MARK) - 6
    note = build_note(at)
    assert len(note) == size
    return block[:at + 6] + note + block[at + 6 + size:]


def canon(at: int, order: str = "<", extra: list | None = None) -> bytes:
    entries = [(0x0009, 2, OWNER.encode() + b"\0"), (0x000C, 4, struct.pack(order + "I", 552100)),
               (0x0096, 2, SERIAL.encode() + b"\0")] + (extra or [])
    return note_ifd(order, entries, at, 0)


def nikon(_: int) -> bytes:
    inner = b"MM\0*" + struct.pack(">I", 8) + note_ifd(">", [(0x001D, 2, SERIAL.encode() + b"\0")], 8, 0)
    return b"Nikon\0\x02\x10\0\0" + inner


def apple(_: int) -> bytes:
    return b"Apple iOS\0\0\x01MM" + note_ifd(">", [(0x0011, 2, SERIAL.encode() + b"\0")], 14, 0)


def samsung(_: int) -> bytes:
    return note_ifd("<", [(0x0001, 7, b"0100"), (0xA002, 2, SERIAL.encode() + b"\0")], 0, 0)


def photo(app1: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(out, "JPEG", exif=app1)
    return out.getvalue()


def exiftool_notes(data: bytes) -> dict:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed")
    result = subprocess.run(["exiftool", "-j", "-MakerNotes:all", "-"], input=data, capture_output=True, check=True)
    return json.loads(result.stdout)[0]


LAYOUTS = {
    "Canon, little-endian note in a big-endian block": ("Canon", lambda at: canon(at), "InternalSerialNumber"),
    "Canon, same byte order": ("Canon", lambda at: canon(at, ">"), "InternalSerialNumber"),
    "Nikon type 3": ("NIKON CORPORATION", nikon, "SerialNumber"),
    "Apple": ("Apple", apple, "ContentIdentifier"),
    "Samsung type 2": ("SAMSUNG", samsung, "SerialNumber"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_identifying_maker_note_tags_are_found(layout: str) -> None:
    make, build, name = LAYOUTS[layout]
    data = photo(exif_with_note(make, build))
    assert SERIAL in json.dumps(exiftool_notes(data))  # the planted layout is the camera's, says exiftool
    findings = jpeg.inspect(data)
    assert Finding(Category.DEVICE, f"MakerNote {name}", SERIAL, "EXIF") in findings
    assert [f for f in findings if f.field == "EXIF MakerNote"][0].value.endswith(" bytes")
    assert SERIAL.encode() not in jpeg.sanitize(data)


def test_canon_owner_and_number_serial() -> None:
    findings = exif_findings(exif_with_note("Canon", canon), "EXIF")
    assert Finding(Category.PERSON, "MakerNote OwnerName", OWNER, "EXIF") in findings
    assert Finding(Category.DEVICE, "MakerNote SerialNumber", "552100", "EXIF") in findings
    assert Finding(Category.DEVICE, "EXIF MakerNote", f"Canon, {len(canon(0))} bytes", "EXIF") in findings


def test_a_large_maker_note_is_one_finding_read_quickly() -> None:
    """A Canon DSLR's note holds some 17,000 values; exifread read them one by one."""
    arrays = [(0x4000 + n, 3, struct.pack("<900H", *range(900))) for n in range(20)]
    block = exif_with_note("Canon", lambda at: canon(at, "<", arrays))
    started = time.perf_counter()
    for _ in range(20):
        findings = exif_findings(block, "EXIF")
    assert (time.perf_counter() - started) / 20 < 0.01
    assert not any("0x40" in f.field for f in findings)
    assert any(f.field == "MakerNote InternalSerialNumber" and f.value == SERIAL for f in findings)


HOSTILE = {
    "IFD count past the end": lambda at: struct.pack("<H", 0xFFFF) + bytes(40),
    "value offset past the end": lambda at: note_ifd("<", [], at, 0)[:2] + struct.pack("<H", 1) + struct.pack(
        "<HHII", 0x0096, 2, 0x7FFFFFFF, 0xFFFFFF00) + bytes(6),
    "IFD pointing at itself": lambda at: struct.pack("<H", 1) + struct.pack("<HHII", 0x0009, 2, 12, at) + bytes(4),
    "empty": lambda at: bytes(2),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("make", ["Canon", "SAMSUNG", "NIKON", "Apple"])
def test_hostile_maker_notes_give_a_finding_in_bounded_time(kind: str, make: str) -> None:
    build = HOSTILE[kind]
    prefix = {"NIKON": b"Nikon\0\x02\x10\0\0MM\0*\0\0\0\x08", "Apple": b"Apple iOS\0\0\x01MM"}.get(make, b"")
    data = photo(exif_with_note(make, lambda at: prefix + build(at + len(prefix))))
    started = time.perf_counter()
    findings = jpeg.inspect(data)
    assert time.perf_counter() - started < 1.0
    assert any(f.field == "EXIF MakerNote" for f in findings)
    assert jpeg.inspect(jpeg.sanitize(data)) == []
