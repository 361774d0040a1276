"""TIFF cleaning: every planted metadata value goes, every strip and tile stays byte-identical.

Fixtures are generated here: Pillow writes the images (uncompressed, LZW,
deflate, JPEG, PackBits, CCITT G4, multi-page, RGBA, 16-bit grey in both byte
orders) with planted tags; a small writer below adds what Pillow cannot write
(EXIF/GPS directories into libtiff-compressed files, SubIFDs, previews, tiles,
ICC profiles, and the malformed files).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageSequence

from intake.formats import tiff
from intake.formats.base import Category, Finding
from intake.errors import Refused
from intake.support.sniff import sniff
from tiff_builders import FIXTURES, MALFORMED, XMP, _entry, _file, _graft_exif_gps, _grey, _grey_fields, _header, _link, _put, _single, _write_ifd

EXIFTOOL = shutil.which("exiftool")

PLANTED: dict[str, Category] = {
    "PLANTED-DESC-5b21": Category.OTHER,
    "PLANTED-MAKE-1c9e": Category.DEVICE,
    "PLANTED-MODEL-77d0": Category.DEVICE,
    "PLANTED-SOFTWARE-3e8a": Category.SOFTWARE,
    "2017:06:15 13:45:12": Category.TIME,
    "PLANTED-ARTIST-7f3a": Category.PERSON,
    "PLANTED-HOST-4410": Category.DEVICE,
    "PLANTED-COPYRIGHT-9a02": Category.PERSON,
    "PLANTED-DOCNAME-61f0": Category.OTHER,
    "PLANTED-PAGENAME-0c3b": Category.OTHER,
    "PLANTED-XMP-CREATOR-2d7c": Category.PERSON,
    "PLANTED-CITY-8e1f": Category.LOCATION,
    "PLANTED-BYLINE-55aa": Category.PERSON,
    "PLANTED-PS-BYLINE-90bd": Category.PERSON,
    "PLANTED-XPAUTHOR-c0de": Category.PERSON,
    "PLANTED-PRIVATE-ab12": Category.OTHER,
}
PLANTED_EXIF: dict[str, Category] = {
    "2015:08:09 10:11:12": Category.TIME,
    "SN-PLANTED-99812": Category.DEVICE,
    "PLANTED-OWNER-e4e4": Category.PERSON,
    "PLANTED-LENS-0f0f": Category.DEVICE,
    "46.635400, 32.616900": Category.LOCATION,
}
# Strings a leftover would show in the bytes (the GPS position is stored as rationals, not text:
# its absence is checked through inspect and exiftool).
NEEDLES = [n for n in [*PLANTED, *PLANTED_EXIF] if n != "46.635400, 32.616900"] + ["PLANTED"]


# --- fixture generation ------------------------------------------------------------------------


# --- a small TIFF writer for what Pillow cannot write --------------------------------------------


def _icc(description: str, extra: dict[bytes, bytes] | None = None) -> bytes:
    desc = b"desc" + bytes(4) + struct.pack(">I", len(description) + 1) + description.encode() + b"\0" + bytes(79)
    xyz = b"XYZ " + bytes(4) + struct.pack(">3i", 63190, 65536, 54061)
    tags = {b"desc": desc, b"wtpt": xyz, **(extra or {})}
    table, body = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for signature, data in tags.items():
        table += struct.pack(">4sII", signature, offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    size = offset + len(body)
    header = struct.pack(">I4sI4s4s4s12s4s", size, b"none", 0x02100000, b"mntr", b"RGB ", b"XYZ ",
                         bytes(12), b"acsp").ljust(128, b"\0")
    return header + struct.pack(">I", len(tags)) + table + body


# --- checks ------------------------------------------------------------------------------------


def _frames(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    with Image.open(io.BytesIO(data)) as image:
        return [(frame.mode, frame.size, frame.tobytes()) for frame in ImageSequence.Iterator(image)]


def _searchable(data: bytes) -> list[bytes]:
    return [view.data for view in tiff.views(data)]


def _assert_no_planted(data: bytes) -> None:
    for blob in _searchable(data):
        for needle in NEEDLES:
            for encoded in (needle.encode(), needle.encode("utf-16-le"), needle.encode("utf-16-be")):
                assert encoded not in blob, needle


def _assert_clean_copy(original: bytes, clean: bytes) -> None:
    assert sniff(clean[:4096]) in tiff.MEDIA_TYPES
    assert clean[:2] == original[:2], "byte order kept"
    _assert_no_planted(clean)
    assert tiff.inspect(clean) == []
    assert tiff.content(clean) == tiff.content(original)
    assert _frames(clean) == _frames(original)
    assert tiff.sanitize(clean) == clean, "cleaning is idempotent"


def _by_value(findings: list[Finding]) -> dict[str, Finding]:
    """The first finding (in file order) that shows each planted value."""
    return {needle: next(f for f in findings if needle in f.value)
            for needle in [*PLANTED, *PLANTED_EXIF] if any(needle in f.value for f in findings)}


def _exiftool(tmp_path: Path, data: bytes) -> list[dict]:
    path = tmp_path / "clean.tif"
    path.write_bytes(data)
    result = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", "-ee", str(path)], capture_output=True, text=True,
                            timeout=60, check=True)
    return json.loads(result.stdout)


# --- Pillow fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixtures() -> dict[str, bytes]:
    return {name: make() for name, make in FIXTURES.items()}


@pytest.mark.parametrize("name", FIXTURES)
def test_clean_copy_has_no_planted_value_and_same_pixels(fixtures: dict[str, bytes], name: str) -> None:
    original = fixtures[name]
    assert sniff(original[:4096]) in tiff.MEDIA_TYPES
    assert any(needle.encode() in original for needle in NEEDLES)
    _assert_clean_copy(original, tiff.sanitize(original))


@pytest.mark.parametrize("name", FIXTURES)
def test_inspect_lists_every_planted_value_with_its_category(fixtures: dict[str, bytes], name: str) -> None:
    findings = tiff.inspect(fixtures[name])
    found = _by_value(findings)
    for needle, category in {**PLANTED, **PLANTED_EXIF}.items():
        assert needle in found, needle
        assert found[needle].category == category, (needle, found[needle])
    assert found["PLANTED-ARTIST-7f3a"].where == "IFD0"
    assert found["46.635400, 32.616900"].where == "GPS (IFD0)"
    assert found["SN-PLANTED-99812"].where == "EXIF (IFD0)"
    assert not [f for f in findings if f.field in ("Orientation", "ImageWidth", "StripOffsets")]


def test_every_page_is_kept_and_its_metadata_reported(fixtures: dict[str, bytes]) -> None:
    original = fixtures["multipage-lzw"]
    artists = [f.where for f in tiff.inspect(original) if f.field == "Artist"]
    assert artists == ["IFD0", "IFD1", "IFD2", "IFD3"]
    clean = tiff.sanitize(original)
    assert len(_frames(clean)) == 4 and len(tiff.content(clean)) == 4


def test_orientation_and_rendering_tags_are_kept(fixtures: dict[str, bytes]) -> None:
    clean = tiff.sanitize(fixtures["packbits-palette"])
    with Image.open(io.BytesIO(clean)) as image:
        assert image.getexif().get(274) == 6
        assert image.getpalette() == Image.open(io.BytesIO(fixtures["packbits-palette"])).getpalette()


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
@pytest.mark.parametrize("name", ["uncompressed-rgb", "jpeg-ycbcr", "multipage-lzw", "grey16-big-endian"])
def test_exiftool_sees_no_planted_value(fixtures: dict[str, bytes], name: str, tmp_path: Path) -> None:
    report = _exiftool(tmp_path, tiff.sanitize(fixtures[name]))
    text = json.dumps(report)
    assert not [needle for needle in NEEDLES if needle in text]
    tags = {key.split(":")[-1] for item in report for key in item}
    assert not [t for t in tags if t.startswith("GPS") or t in
                ("Make", "Model", "Artist", "Author", "Creator", "XPAuthor", "By-line", "Copyright", "Software",
                 "ModifyDate", "DateTimeOriginal", "SerialNumber", "HostComputer", "ImageDescription")]
    groups = {key.split(":")[0] for item in report for key in item}
    assert not groups & {"ExifIFD", "GPS", "XMP-dc", "XMP-photoshop", "IPTC", "Photoshop", "SubIFD", "InteropIFD",
                         "MakerNotes"}


def test_views_decode_utf16_text(fixtures: dict[str, bytes]) -> None:
    decoded = [v for v in tiff.views(fixtures["lzw-rgb"]) if "UTF-16" in v.where]
    assert any(b"PLANTED-XPAUTHOR-c0de" in v.data for v in decoded)


def test_twelve_megapixels_are_copied_fast() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (1, 2, 3)).save(buffer, format="TIFF", tiffinfo={315: "PLANTED-ARTIST-7f3a"})
    original = buffer.getvalue()
    start = time.perf_counter()
    clean = tiff.sanitize(original)
    assert time.perf_counter() - start < 2.0
    assert b"PLANTED" not in clean and tiff.content(clean) == tiff.content(original)


# --- structures Pillow does not write ----------------------------------------------------------


def test_reduced_resolution_page_is_removed_as_hidden_content() -> None:
    out = _header("<")
    full = _grey(out, "<", (16, 8), 1)
    preview = _grey(out, "<", (4, 2), 2, [_entry("<", 254, 4, 1), _entry("<", 315, 2, "PLANTED-ARTIST-7f3a")])
    _link(out, "<", full, preview)
    struct.pack_into("<I", out, 4, full)
    original = bytes(out)
    findings = tiff.inspect(original)
    assert Finding(Category.HIDDEN, "reduced-resolution preview image", "4×2 pixels", "IFD1") in findings
    assert Finding(Category.PERSON, "Artist", "PLANTED-ARTIST-7f3a", "IFD1") in findings
    clean = tiff.sanitize(original)
    assert len(_frames(clean)) == 1 and _frames(clean)[0] == _frames(original)[0]
    _assert_clean_copy_single(original, clean)


def _assert_clean_copy_single(original: bytes, clean: bytes) -> None:
    _assert_no_planted(clean)
    assert tiff.inspect(clean) == [] and tiff.content(clean) == tiff.content(original)


@pytest.mark.parametrize("order", ["<", ">"])
def test_subifd_previews_are_removed_and_reported(order: str) -> None:
    out = _header(order)
    preview = _grey(out, order, (4, 2), 3, [_entry(order, 254, 4, 1), _entry(order, 271, 2, "PLANTED-MAKE-1c9e")])
    main = _grey(out, order, (16, 8), 4, [_entry(order, 330, 4, preview)])
    struct.pack_into(order + "I", out, 4, main)
    original = bytes(out)
    findings = tiff.inspect(original)
    assert Finding(Category.HIDDEN, "reduced-resolution preview image", "4×2 pixels", "SubIFD of IFD0") in findings
    assert Finding(Category.DEVICE, "Make", "PLANTED-MAKE-1c9e", "SubIFD of IFD0") in findings
    _assert_clean_copy_single(original, tiff.sanitize(original))


def test_full_resolution_subifd_is_refused() -> None:
    out = _header("<")
    sub = _grey(out, "<", (16, 8), 3)
    struct.pack_into("<I", out, 4, _grey(out, "<", (16, 8), 4, [_entry("<", 330, 4, sub)]))
    with pytest.raises(Refused, match="full-resolution"):
        tiff.sanitize(bytes(out))


@pytest.mark.parametrize("order", ["<", ">"])
def test_tiled_image_keeps_its_tiles(order: str) -> None:
    out = _header(order)
    tiles = [_put(out, random.Random(i).randbytes(16 * 16)) for i in range(4)]
    fields = [(256, 3, 30), (257, 3, 20), (258, 3, 8), (259, 3, 1), (262, 3, 1), (277, 3, 1), (322, 3, 16),
              (323, 3, 16), (324, 4, tiles), (325, 4, [256] * 4), (315, 2, "PLANTED-ARTIST-7f3a")]
    struct.pack_into(order + "I", out, 4, _write_ifd(out, order, [_entry(order, *f) for f in fields]))
    original = bytes(out)
    clean = tiff.sanitize(original)
    _assert_clean_copy_single(original, clean)
    assert _frames(clean) == _frames(original)
    assert tiff.content(original) == [b"".join(random.Random(i).randbytes(256) for i in range(4))]


def test_unreferenced_bytes_are_reported_and_dropped() -> None:
    original = _single() + b"PLANTED-TRAILER-ARTIST-7f3a"
    assert Finding(Category.HIDDEN, "unreferenced data", "27 non-zero bytes",
                   "bytes outside the TIFF structure") in tiff.inspect(original)
    _assert_clean_copy_single(original, tiff.sanitize(original))


def test_standard_icc_profile_is_kept_neutralised() -> None:
    profile = _icc("sRGB IEC61966-2.1")
    original = _single(extra=[_entry("<", 34675, 7, profile)])
    # The colour engine the header names is not about colour: zeroed, like any date or device field.
    assert tiff.inspect(original) == [Finding(Category.OTHER, "ICC preferred colour engine", "none",
                                              "ICC profile (IFD0)")]
    clean = tiff.sanitize(original)
    assert tiff.inspect(clean) == []
    with Image.open(io.BytesIO(clean)) as image:
        assert image.info.get("icc_profile") == profile[:4] + bytes(4) + profile[8:]


@pytest.mark.parametrize("profile,expected", [
    (_icc("PLANTED-SCANNER-PROFILE"), (Category.DEVICE, "ICC colour profile", "PLANTED-SCANNER-PROFILE")),
    (_icc("sRGB IEC61966-2.1", {b"dmdd": b"desc" + bytes(4) + struct.pack(">I", 19) + b"PLANTED-MODEL-77d0\0"}),
     (Category.DEVICE, "ICC device model text", "PLANTED-MODEL-77d0")),
    # a calibration date: not a stock profile
    (_icc("sRGB IEC61966-2.1", {b"calt": b"dtim" + bytes(16)}), (Category.DEVICE, "ICC colour profile",
                                                                  "sRGB IEC61966-2.1")),
    (b"PLANTED-NOT-A-PROFILE", (Category.HIDDEN, "ICC colour profile", "unreadable profile, 21 bytes")),
])
def test_other_icc_profiles_are_removed(profile: bytes, expected: tuple[Category, str, str]) -> None:
    original = _single(extra=[_entry("<", 34675, 7, profile)])
    findings = tiff.inspect(original)
    assert Finding(*expected, "ICC profile (IFD0)") in findings
    assert all(f.field.startswith("ICC") and f.where == "ICC profile (IFD0)" for f in findings)
    clean = tiff.sanitize(original)
    assert profile not in clean and b"PLANTED" not in clean
    _assert_clean_copy_single(original, clean)


def test_unknown_and_private_tags_are_removed() -> None:
    original = _single(extra=[_entry("<", 50000 + 1234, 7, b"\x00\x01PLANTED-BLOB"), (64000, 99, 3, b"abc"),
                              _entry("<", 37724, 7, b"PLANTED-LAYERS" * 10)])
    fields = {(f.field, f.category) for f in tiff.inspect(original)}
    assert fields == {("tag 51234", Category.OTHER), ("tag 64000", Category.OTHER),
                      ("ImageSourceData (Photoshop layers)", Category.HIDDEN)}
    _assert_clean_copy_single(original, tiff.sanitize(original))


def test_geotiff_georeferencing_is_reported_as_location() -> None:
    original = _single(extra=[_entry("<", 33922, 12, (0.0, 0.0, 0.0, 46.6354, 32.6169, 0.0)),
                              _entry("<", 34737, 2, "PLANTED-PLACE-WGS 84|")])
    assert {(f.field, f.category) for f in tiff.inspect(original)} == {
        ("GeoTIFF ModelTiepoint", Category.LOCATION), ("GeoTIFF GeoAsciiParams", Category.LOCATION)}
    _assert_clean_copy_single(original, tiff.sanitize(original))


# --- refusals ----------------------------------------------------------------------------------


def _gps_value_beyond() -> bytes:
    out = _header("<")
    gps = _write_ifd(out, "<", [(2, 5, 3, 2**31)])
    strip = _put(out, bytes(64))
    return _file("<", [[_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", 34853, 4, gps)]], out)


@pytest.mark.parametrize(("make", "label"), [
    (lambda: _single(extra=[_entry("<", 34665, 4, 2**30)]), "EXIF (IFD0)"),
    (lambda: _gps_value_beyond(), "GPS (IFD0)"),
    (lambda: _single(extra=[_entry("<", 34665, 2, "PLANTED-ARTIST-7f3a")]), "EXIF (IFD0)"),
    (lambda: _single(extra=[_entry("<", 330, 4, 2**30)]), "SubIFD of IFD0"),
])
def test_damaged_directories_that_are_removed_whole_are_reported(make: Callable[[], bytes], label: str) -> None:
    original = make()
    findings = tiff.inspect(original)
    assert Finding(Category.HIDDEN, label.split(" ")[0], "damaged directory, removed unread", label) in findings
    _assert_clean_copy_single(original, tiff.sanitize(original))


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_are_refused(name: str) -> None:
    make, reason = MALFORMED[name]
    data = make()
    for verb in (tiff.sanitize, tiff.inspect, tiff.content):
        with pytest.raises(Refused) as caught:
            verb(data)
        message = str(caught.value)
        assert reason in message and "\n" not in message and "PLANTED" not in message


@pytest.mark.parametrize("name", ["uncompressed-rgb", "multipage-lzw", "grey16-big-endian"])
def test_truncated_files_are_refused(fixtures: dict[str, bytes], name: str) -> None:
    original = fixtures[name]
    last_needed = _last_referenced_byte(original)
    for length in range(0, last_needed, max(1, last_needed // 1500)):
        with pytest.raises(Refused):
            tiff.sanitize(original[:length])


def _last_referenced_byte(data: bytes) -> int:
    """Cutting only trailing zero padding leaves a complete file."""
    return len(data.rstrip(b"\0"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_files_are_cleaned_completely_or_refused(data: st.DataObject) -> None:
    original = bytearray(MUTATION_BASE)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    corrupted = bytes(original)
    try:
        clean = tiff.sanitize(corrupted)
    except Refused:
        return
    assert tiff.inspect(clean) == []
    assert tiff.content(clean) == tiff.content(corrupted)
    # A corrupted strip offset may make planted bytes the pixels: that is content, not metadata.
    rest = clean
    for pixels in tiff.content(clean):
        rest = rest.replace(pixels, b"")
    assert not [n for n in NEEDLES if n.encode() in rest]


# A small file whose every structure sits in the first bytes, so mutations hit the directories.
MUTATION_BASE = _graft_exif_gps(_single(size=(4, 2), extra=[
    _entry("<", 315, 2, "PLANTED-ARTIST-7f3a"), _entry("<", 700, 1, XMP[:300]),
    _entry("<", 34675, 7, _icc("sRGB IEC61966-2.1"))]))
