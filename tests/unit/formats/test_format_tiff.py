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
from PIL.TiffImagePlugin import IFDRational, ImageFileDirectory_v2

from intake.formats import tiff
from intake.formats.base import Category, Finding
from intake.errors import Refused
from intake.support.sniff import sniff

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
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
       b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
       b' photoshop:City="PLANTED-CITY-8e1f"><dc:creator><rdf:Seq><rdf:li>PLANTED-XMP-CREATOR-2d7c</rdf:li>'
       b'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
IPTC = b"\x1c\x02\x50\x00\x13PLANTED-BYLINE-55aa"
_PS_IPTC = b"\x1c\x02\x50\x00\x16PLANTED-PS-BYLINE-90bd"
PHOTOSHOP = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(_PS_IPTC)) + _PS_IPTC + b"\x00"
# Strings a leftover would show in the bytes (the GPS position is stored as rationals, not text:
# its absence is checked through inspect and exiftool).
NEEDLES = [n for n in [*PLANTED, *PLANTED_EXIF] if n != "46.635400, 32.616900"] + ["PLANTED"]


# --- fixture generation ------------------------------------------------------------------------


def _noise(mode: str, size: tuple[int, int], seed: int) -> Image.Image:
    """Deterministic non-trivial pixels, so 'pixels equal' means something."""
    raw = random.Random(seed).randbytes(len(Image.new(mode, size).tobytes()))
    if mode == "F":  # keep floats finite
        raw = b"".join(struct.pack("=f", b / 7) for b in raw[: size[0] * size[1]])
    image = Image.frombytes(mode, size, raw)
    if mode == "P":
        image.putpalette([random.Random(seed).randrange(256) for _ in range(768)])
    return image


def _planted_info(with_exif: bool) -> ImageFileDirectory_v2:
    info = ImageFileDirectory_v2()
    texts = {270: "PLANTED-DESC-5b21", 271: "PLANTED-MAKE-1c9e", 272: "PLANTED-MODEL-77d0",
             305: "PLANTED-SOFTWARE-3e8a", 306: "2017:06:15 13:45:12", 315: "PLANTED-ARTIST-7f3a",
             316: "PLANTED-HOST-4410", 33432: "PLANTED-COPYRIGHT-9a02", 269: "PLANTED-DOCNAME-61f0",
             285: "PLANTED-PAGENAME-0c3b", 65000: "PLANTED-PRIVATE-ab12"}
    for tag, text in texts.items():
        info[tag] = text
        info.tagtype[tag] = 2
    for tag, blob, kind in ((700, XMP, 1), (33723, IPTC, 7), (34377, PHOTOSHOP, 7),
                            (40093, "PLANTED-XPAUTHOR-c0de".encode("utf-16-le") + b"\0\0", 1)):
        info[tag] = blob
        info.tagtype[tag] = kind
    info[274] = 6  # Orientation: kept, not a finding
    info.tagtype[274] = 3
    if with_exif:  # Pillow's own writer (uncompressed) can nest directories; libtiff cannot
        info[34665] = {0x9003: "2015:08:09 10:11:12", 0xA431: "SN-PLANTED-99812",
                       0xA430: "PLANTED-OWNER-e4e4", 0xA434: "PLANTED-LENS-0f0f"}
        info.tagtype[34665] = 4
        info[34853] = {1: "N", 2: (IFDRational(46), IFDRational(38), IFDRational(744, 100)),
                       3: "E", 4: (IFDRational(32), IFDRational(37), IFDRational(84, 100))}
        info.tagtype[34853] = 4
    return info


def _pillow(mode: str, compression: str, pages: tuple[str, ...] = ()) -> bytes:
    raw = compression == "raw"
    buffer = io.BytesIO()
    extra = [_noise(m, (23 + 4 * i, 17 + 3 * i), 10 + i) for i, m in enumerate(pages)]
    _noise(mode, (37, 29), 1).save(buffer, format="TIFF", tiffinfo=_planted_info(raw), compression=compression,
                                   save_all=bool(extra), append_images=extra)
    return buffer.getvalue() if raw else _graft_exif_gps(buffer.getvalue())


FIXTURES: dict[str, Callable[[], bytes]] = {
    "uncompressed-rgb": lambda: _pillow("RGB", "raw"),
    "lzw-rgb": lambda: _pillow("RGB", "tiff_lzw"),
    "deflate-rgba": lambda: _pillow("RGBA", "tiff_adobe_deflate"),
    "jpeg-ycbcr": lambda: _pillow("YCbCr", "jpeg"),
    "packbits-palette": lambda: _pillow("P", "packbits"),
    "g4-bilevel": lambda: _pillow("1", "group4"),
    "grey16-little-endian": lambda: _pillow("I;16", "raw"),
    "grey16-big-endian": lambda: _pillow("I;16B", "raw"),
    "float32": lambda: _pillow("F", "raw"),
    "multipage-lzw": lambda: _pillow("RGB", "tiff_lzw", ("L", "RGBA", "I;16")),
    "multipage-uncompressed": lambda: _pillow("RGB", "raw", ("CMYK", "LA")),
}


# --- a small TIFF writer for what Pillow cannot write --------------------------------------------


def _entry(order: str, tag: int, kind: int, values: object) -> tuple[int, int, int, bytes]:
    if kind == 2:
        raw = str(values).encode() + b"\0"
        return tag, kind, len(raw), raw
    if kind in (1, 7):
        return tag, kind, len(values), bytes(values)  # type: ignore[arg-type]
    letter = {3: "H", 4: "I", 5: "I", 12: "d"}[kind]
    items = list(values) if isinstance(values, (list, tuple)) else [values]
    count = len(items) // 2 if kind == 5 else len(items)
    return tag, kind, count, struct.pack(f"{order}{len(items)}{letter}", *items)


def _write_ifd(out: bytearray, order: str, entries: list[tuple[int, int, int, bytes | int]],
               sort: bool = True) -> int:
    """Values out of line first, then the directory. An int value is written as a raw pointer."""
    records = []
    for tag, kind, count, raw in (sorted(entries, key=lambda e: e[0]) if sort else entries):
        if isinstance(raw, int):
            records.append(struct.pack(order + "HHII", tag, kind, count, raw))
        elif len(raw) <= 4:
            records.append(struct.pack(order + "HHI", tag, kind, count) + raw.ljust(4, b"\0"))
        else:
            records.append(struct.pack(order + "HHII", tag, kind, count, _put(out, raw)))
    offset = _put(out, struct.pack(order + "H", len(records)) + b"".join(records) + bytes(4))
    return offset


def _put(out: bytearray, blob: bytes) -> int:
    if len(out) % 2:
        out.append(0)
    out += blob
    return len(out) - len(blob)


def _link(out: bytearray, order: str, ifd: int, target: int) -> None:
    """Set the next-IFD pointer of the directory at `ifd`."""
    (count,) = struct.unpack_from(order + "H", out, ifd)
    struct.pack_into(order + "I", out, ifd + 2 + 12 * count, target)


def _header(order: str) -> bytearray:
    return bytearray((b"II*\0" if order == "<" else b"MM\0*") + bytes(4))


def _grey(out: bytearray, order: str, size: tuple[int, int], seed: int, extra: list | None = None,
          replace: dict[int, tuple] | None = None) -> int:
    """An uncompressed 8-bit grey image; returns its directory offset."""
    width, height = size
    strip = _put(out, random.Random(seed).randbytes(width * height))
    fields = {256: (3, width), 257: (3, height), 258: (3, 8), 259: (3, 1), 262: (3, 1), 273: (4, strip),
              277: (3, 1), 278: (3, height), 279: (4, width * height), **(replace or {})}
    entries = [_entry(order, tag, kind, value) for tag, (kind, value) in fields.items()]
    return _write_ifd(out, order, entries + list(extra or []))


def _single(order: str = "<", size: tuple[int, int] = (16, 8), **kwargs: object) -> bytes:
    out = _header(order)
    struct.pack_into(order + "I", out, 4, _grey(out, order, size, 5, **kwargs))  # type: ignore[arg-type]
    return bytes(out)


def _graft_exif_gps(data: bytes) -> bytes:
    """Move IFD0 to the end with EXIF and GPS pointers added (libtiff will not write them)."""
    order = "<" if data[:2] == b"II" else ">"
    out = bytearray(data)
    (first,) = struct.unpack_from(order + "I", out, 4)
    (count,) = struct.unpack_from(order + "H", out, first)
    records = [bytes(out[first + 2 + 12 * i:first + 14 + 12 * i]) for i in range(count)]
    next_pointer = bytes(out[first + 2 + 12 * count:first + 6 + 12 * count])
    exif = _write_ifd(out, order, [_entry(order, 0x9003, 2, "2015:08:09 10:11:12"),
                                   _entry(order, 0xA431, 2, "SN-PLANTED-99812"),
                                   _entry(order, 0xA430, 2, "PLANTED-OWNER-e4e4"),
                                   _entry(order, 0xA434, 2, "PLANTED-LENS-0f0f"),
                                   _entry(order, 0x927C, 7, b"PLANTED-MAKERNOTE-0000")])
    gps = _write_ifd(out, order, [_entry(order, 1, 2, "N"), _entry(order, 2, 5, (46, 1, 38, 1, 744, 100)),
                                  _entry(order, 3, 2, "E"), _entry(order, 4, 5, (32, 1, 37, 1, 84, 100))])
    records += [struct.pack(order + "HHII", 34665, 4, 1, exif), struct.pack(order + "HHII", 34853, 4, 1, gps)]
    records.sort(key=lambda record: struct.unpack_from(order + "H", record)[0])
    new = _put(out, struct.pack(order + "H", len(records)) + b"".join(records) + next_pointer)
    out[first:first + 6 + 12 * count] = bytes(6 + 12 * count)  # no left-over copy of the old IFD0
    struct.pack_into(order + "I", out, 4, new)
    return bytes(out)


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


def _grey_fields(strip: int, size: tuple[int, int] = (8, 8)) -> list[tuple[int, int, object]]:
    """The tags of an uncompressed 8-bit grey image stored in one strip."""
    width, height = size
    return [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, strip),
            (277, 3, 1), (278, 3, height), (279, 4, width * height)]


def _file(order: str, pages: list[list[tuple[int, int, int, bytes | int]]], out: bytearray | None = None) -> bytes:
    """Pages chained in order; `out` may already hold strips the entries point to."""
    out = out if out is not None else _header(order)
    offsets = [_write_ifd(out, order, entries) for entries in pages]
    for current, following in zip(offsets, offsets[1:]):
        _link(out, order, current, following)
    struct.pack_into(order + "I", out, 4, offsets[0])
    return bytes(out)


def _pages_sharing(count: int, size: tuple[int, int], extra: list | None = None) -> bytes:
    """`count` pages whose strip is the same block of bytes."""
    out = _header("<")
    strip = _put(out, bytes(size[0] * size[1]))
    page = [_entry("<", *f) for f in _grey_fields(strip, size)] + list(extra or [])
    return _file("<", [page] * count, out)


def _looped_chain() -> bytes:
    out = _header("<")
    first = _grey(out, "<", (8, 8), 1)
    _link(out, "<", first, first)
    struct.pack_into("<I", out, 4, first)
    return bytes(out)


def _two_page_loop() -> bytes:
    out = _header("<")
    first, second = _grey(out, "<", (8, 8), 1), _grey(out, "<", (8, 8), 2)
    _link(out, "<", first, second)
    _link(out, "<", second, first)
    struct.pack_into("<I", out, 4, first)
    return bytes(out)


def _pointing_at_itself(tag: int) -> bytes:
    """IFD0 whose EXIF or SubIFD pointer leads back to IFD0."""
    out = _header("<")
    strip = _put(out, bytes(64))
    offset = len(out)  # the directory is written right after the strip (no value is out of line)
    entries = [_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", tag, 4, offset)]
    assert _write_ifd(out, "<", entries) == offset
    struct.pack_into("<I", out, 4, offset)
    return bytes(out)


def _set_field(data: bytes, tag: int, *, kind: int | None = None, count: int | None = None,
               value: int | None = None, ifd: int | None = None) -> bytes:
    """Overwrite parts of one entry of a little-endian directory (IFD0 unless told)."""
    out = bytearray(data)
    ifd = struct.unpack_from("<I", out, 4)[0] if ifd is None else ifd
    (entries,) = struct.unpack_from("<H", out, ifd)
    for index in range(entries):
        position = ifd + 2 + 12 * index
        if struct.unpack_from("<H", out, position)[0] == tag:
            old_kind, old_count, old_value = struct.unpack_from("<HII", out, position + 2)
            struct.pack_into("<HII", out, position + 2, old_kind if kind is None else kind,
                             old_count if count is None else count, old_value if value is None else value)
            return bytes(out)
    raise AssertionError(f"no tag {tag}")


def _jpeg_with_exif() -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[315] = "PLANTED-ARTIST-7f3a"
    _noise("RGB", (16, 16), 9).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _jpeg_strip_file(stream: bytes) -> bytes:
    out = _header("<")
    strip = _put(out, stream)
    fields = [(256, 3, 16), (257, 3, 16), (258, 3, [8, 8, 8]), (259, 3, 7), (262, 3, 6), (273, 4, strip),
              (277, 3, 3), (278, 3, 16), (279, 4, len(stream))]
    return _file("<", [[_entry("<", *f) for f in fields]], out)


def _gps_value_beyond() -> bytes:
    out = _header("<")
    gps = _write_ifd(out, "<", [(2, 5, 3, 2**31)])
    strip = _put(out, bytes(64))
    return _file("<", [[_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", 34853, 4, gps)]], out)


def _duplicate_tag() -> bytes:
    out = _header("<")
    strip = _put(out, bytes(64))
    entries = [_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", 279, 4, 32)]
    struct.pack_into("<I", out, 4, _write_ifd(out, "<", entries, sort=False))
    return bytes(out)


def _without_tags(data: bytes, tags: set[int]) -> bytes:
    out = bytearray(data)
    (first,) = struct.unpack_from("<I", out, 4)
    (count,) = struct.unpack_from("<H", out, first)
    for index in range(count):
        if struct.unpack_from("<H", out, first + 2 + 12 * index)[0] in tags:
            struct.pack_into("<H", out, first + 2 + 12 * index, 40000 + index)  # renamed: now unknown tags
    return bytes(out)


def _shared_value_bomb() -> bytes:
    """Pages pointing a tag at the same large value: reading them all would take far more than the file."""
    out = _header("<")
    blob = _put(out, bytes(8192))
    strip = _put(out, bytes(64))
    page = [_entry("<", *f) for f in _grey_fields(strip)] + [(37724, 7, 8192, blob)]
    return _file("<", [page] * 300, out)


def _palette_over_artist() -> bytes:
    """The palette's pointer covers the Artist text: keeping the palette would keep the text."""
    out = _header("<")
    shared = _put(out, b"PLANTED-ARTIST-7f3a".ljust(1536, b"\0"))
    strip = _put(out, bytes(64))
    fields = [(f if f[0] != 262 else (262, 3, 3)) for f in _grey_fields(strip)]
    page = [_entry("<", *f) for f in fields] + [(320, 3, 768, shared), (315, 2, 1536, shared)]
    return _file("<", [page], out)


def _strip_over_directory() -> bytes:
    data = _single()
    return _set_field(data, 273, value=struct.unpack_from("<I", data, 4)[0] - 64)


MALFORMED: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "not a TIFF"),
    "not tiff": (lambda: b"PK\x03\x04" + bytes(100), "not a TIFF"),
    "bad magic": (lambda: b"II\x2b\x01" + bytes(100), "not a classic TIFF"),
    "bigtiff": (lambda: b"II\x2b\x00\x08\x00\x00\x00" + bytes(64), "BigTIFF"),
    "no ifd": (lambda: b"II*\x00\x00\x00\x00\x00", "no image directory"),
    "ifd beyond file": (lambda: b"II*\x00\xff\xff\x00\x00" + bytes(32), "outside the file"),
    "ifd in header": (lambda: b"MM\x00*\x00\x00\x00\x04" + bytes(32), "outside the file"),
    "empty ifd": (lambda: b"II*\x00\x08\x00\x00\x00" + bytes(6), "empty or runs past"),
    "entry count past end": (lambda: b"II*\x00\x08\x00\x00\x00\xff\xff" + bytes(40), "empty or runs past"),
    "ifd loops to itself": (_looped_chain, "loops back"),
    "two pages loop": (_two_page_loop, "loops back"),
    "exif points at ifd0": (lambda: _pointing_at_itself(34665), "loops back"),
    "subifd points at itself": (lambda: _pointing_at_itself(330), "loops back"),
    "strip beyond file": (lambda: _single(replace={273: (4, 10**6)}), "outside the file"),
    "strip runs past end": (lambda: _single(replace={279: (4, 10**6)}), "outside the file"),
    "value beyond file": (lambda: _set_field(_single(extra=[_entry("<", 315, 2, "PLANTED-ARTIST-7f3a")]), 315,
                                             value=2**31), "points outside"),
    "value ends past file": (lambda: _set_field(_single(extra=[_entry("<", 315, 2, "PLANTED-ARTIST-7f3a")]),
                                                315, count=10**5), "points outside"),
    "huge count": (lambda: _set_field(_single(extra=[_entry("<", 320, 3, list(range(768)))]), 320,
                                      count=0x7FFFFFFF), "points outside"),
    "huge strip count": (lambda: _set_field(_single(), 273, count=0x3FFFFFFF), "points outside"),
    "count overflowing 32 bits": (lambda: _set_field(_single(extra=[_entry("<", 282, 5, (72, 1))]), 282,
                                                     count=0x20000001, value=8), "points outside"),
    "strip count mismatch": (lambda: _single(replace={278: (3, 2)}), "number of strips"),
    "strips and tiles": (lambda: _single(extra=[_entry("<", 322, 3, 16), _entry("<", 323, 3, 16)]),
                         "both strips and tiles"),
    "duplicate tag": (_duplicate_tag, "twice"),
    "no strips": (lambda: _without_tags(_single(), {273, 279}), "no complete strip"),
    "zero rows per strip": (lambda: _single(replace={278: (3, 0)}), "zero"),
    "dng": (lambda: _single(extra=[_entry("<", 50706, 1, b"\x01\x04\x00\x00")]), "DNG"),
    "old-style jpeg": (lambda: _single(replace={259: (3, 6)}), "compression 6"),
    "jpeg 2000": (lambda: _single(replace={259: (3, 34712)}), "compression 34712"),
    "jpeg strip with exif": (lambda: _jpeg_strip_file(_jpeg_with_exif()), "APPn/COM"),
    "jpeg strip that is not jpeg": (lambda: _jpeg_strip_file(b"PLANTED-NOT-JPEG" * 4), "not a JPEG stream"),
    "only previews": (lambda: _single(extra=[_entry("<", 254, 4, 1)]), "only reduced-resolution"),
    "kept tag of unknown type": (lambda: _set_field(_single(), 262, kind=99), "unexpected type"),
    "text in a kept tag": (lambda: _single(extra=[_entry("<", 320, 2, "PLANTED-ARTIST-7f3a")]), "unexpected type"),
    "colormap of wrong size": (lambda: _single(extra=[_entry("<", 320, 3, list(range(30)))]), "unexpected type"),
    "extra bytes in raw strip": (lambda: _single(replace={279: (4, 16 * 8 + 20)}), "more or fewer bytes"),
    "overlapping strips": (lambda: _pages_sharing(8, (64, 64)), "overlap"),
    "shared value bomb": (_shared_value_bomb, "overlap"),
    "palette over removed text": (_palette_over_artist, "overlaps"),
    "strip over the directory": (_strip_over_directory, "overlaps"),
    "too many pages": (lambda: _pages_sharing(1100, (1, 1)), "more than 1024 directories"),
}


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
