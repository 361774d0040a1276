"""JPEG cleaning: segment surgery that removes every metadata block and keeps
the scan data byte for byte.

Fixtures are generated here: a small Pillow picture wrapped in every kind of
segment a camera or editor writes, each carrying planted, unique values.
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageCms

from intake.formats import jpeg
from intake.formats.base import Category, Finding
from intake.errors import Refused
from intake.support.sniff import sniff
from planted import encodings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import exiftool_judge  # noqa: E402

ARTIST = "PLANTED-ARTIST-7f3a"
COPYRIGHT = "PLANTED-COPYRIGHT-0a9c"
OWNER = "PLANTED-OWNER-8e4d"
XP_AUTHOR = "PLANTED-XPAUTHOR-b2c8"
MAKE = "PLANTED-MAKE-c41e"
MODEL = "PLANTED-MODEL-5d20"
SERIAL = "SN-PLANTED-99812"
LENS = "PLANTED-LENS-2b7a"
MAKERNOTE = "PLANTED-MAKERNOTE-6f01"
SOFTWARE = "PLANTED-SOFTWARE-e7b1"
DESCRIPTION = "PLANTED-DESCRIPTION-31aa"
TAKEN = "2031:07:14 03:21:09"
GPS = "46.635400, 32.616900"
THUMB_ARTIST = "PLANTED-THUMB-ARTIST-93d5"
JFIF_THUMB = "PLANTED-JFIFTHUMB-4c2e01"  # 24 bytes: an 8x1 RGB thumbnail
JFXX = "PLANTED-JFXX-11f0"
XMP_CREATOR = "PLANTED-XMP-CREATOR-a61b"
XMP_CITY = "PLANTED-XMP-CITY-77c3"
XMP_TOOL = "PLANTED-XMP-TOOL-0d4e"
EXT_XMP = "PLANTED-EXTXMP-INSTRUCTIONS-5b9f"
ICC_DESC = "PLANTED-ICC-MONITOR-3e8a"
ICC_OWNER = "PLANTED-ICC-OWNER-c0d7"
MPF = "PLANTED-MPF-2210"
FPXR = "PLANTED-FPXR-9a0c"
IPTC_BYLINE = "PLANTED-IPTC-BYLINE-1d6e"
IPTC_CITY = "PLANTED-IPTC-CITY-f3a2"
IPTC_CAPTION = "PLANTED-IPTC-CAPTION-88b0"
PS_THUMB = "PLANTED-PS-THUMB-7e21"
DUCKY = "PLANTED-DUCKY-0c3b"
C2PA = "PLANTED-C2PA-44d1"
COMMENT = "PLANTED-COMMENT-lot7-a3"
APPENDED_ARTIST = "PLANTED-APPENDED-ARTIST-4411"

PLANTED = [v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str) and "PLANTED" in v] + [TAKEN]


# --- fixture builders -----------------------------------------------------

def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def tiff_ifd(order: str, entries: list[tuple[int, int, object]], start: int, next_ifd: int) -> bytes:
    """One IFD at `start`, its out-of-line values right after it."""
    data_start = start + 2 + 12 * len(entries) + 4
    table, data = b"", b""
    for tag, kind, value in sorted(entries, key=lambda e: e[0]):
        count, raw = tiff_value(order, kind, value)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            field = struct.pack(order + "I", data_start + len(data))
            data += raw + b"\0" * (len(raw) % 2)
        table += struct.pack(order + "HHI", tag, kind, count) + field
    return struct.pack(order + "H", len(entries)) + table + struct.pack(order + "I", next_ifd) + data


def tiff_value(order: str, kind: int, value: object) -> tuple[int, bytes]:
    if kind == 2:
        raw = str(value).encode() + b"\0"
        return len(raw), raw
    if kind in (3, 4):
        values = value if isinstance(value, list) else [value]
        return len(values), b"".join(struct.pack(order + ("H" if kind == 3 else "I"), v) for v in values)
    if kind == 5:
        return len(value), b"".join(struct.pack(order + "II", *pair) for pair in value)  # type: ignore[arg-type]
    raw = bytes(value)  # type: ignore[arg-type]
    return len(raw), raw


def tiff_block(order: str, ifd0: list, exif: list = (), gps: list = (), ifd1: list = (),  # type: ignore[assignment]
               thumbnail: bytes = b"") -> bytes:
    """A TIFF structure as EXIF stores it: IFD0 -> Exif IFD, GPS IFD; IFD1 with a JPEG thumbnail."""
    size = lambda entries: len(tiff_ifd(order, entries, 0, 0))  # noqa: E731
    ifd0 = list(ifd0) + ([(0x8769, 4, 0)] if exif else []) + ([(0x8825, 4, 0)] if gps else [])
    ifd1 = list(ifd1) + ([(0x0201, 4, 0), (0x0202, 4, 0)] if thumbnail else [])
    at_exif = 8 + size(ifd0)
    at_gps = at_exif + (size(exif) if exif else 0)
    at_ifd1 = at_gps + (size(gps) if gps else 0)
    at_thumb = at_ifd1 + (size(ifd1) if ifd1 else 0)
    pointers = {0x8769: at_exif, 0x8825: at_gps, 0x0201: at_thumb, 0x0202: len(thumbnail)}
    ifd0 = [(t, k, pointers.get(t, v)) for t, k, v in ifd0]
    ifd1 = [(t, k, pointers.get(t, v)) for t, k, v in ifd1]
    head = (b"II*\0" if order == "<" else b"MM\0*") + struct.pack(order + "I", 8)
    return (head + tiff_ifd(order, ifd0, 8, at_ifd1 if ifd1 else 0)
            + (tiff_ifd(order, exif, at_exif, 0) if exif else b"")
            + (tiff_ifd(order, gps, at_gps, 0) if gps else b"")
            + (tiff_ifd(order, ifd1, at_ifd1, 0) if ifd1 else b"") + thumbnail)


def noise(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """Reproducible noise: every run tests the same pictures."""
    return Image.frombytes("L", size, random.Random(seed).randbytes(size[0] * size[1]))


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB", **options: object) -> bytes:
    """A Pillow JPEG with some structure in it (gradients, noise) and no metadata."""
    noise_band = noise(size)
    gradient = Image.linear_gradient("L").resize(size)
    bands = {"L": [noise_band],
             "RGB": [noise_band, gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)],
             "CMYK": [noise_band, gradient, noise_band.transpose(Image.Transpose.FLIP_TOP_BOTTOM), gradient]}[mode]
    out = io.BytesIO()
    Image.merge(mode, bands).save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def body(data: bytes) -> bytes:
    """Pillow's JPEG without its SOI and JFIF segment: tables, frame, scans, EOI."""
    return data[data.index(b"\xff\xdb"):]


def thumbnail_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = THUMB_ARTIST
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 10, 10)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def exif_payload(order: str = "<", orientation: int = 6) -> bytes:
    gps = [(1, 2, "N"), (2, 5, [(46, 1), (38, 1), (744, 100)]), (3, 2, "E"), (4, 5, [(32, 1), (37, 1), (84, 100)])]
    ifd0 = [(0x010F, 2, MAKE), (0x0110, 2, MODEL), (0x0112, 3, orientation), (0x0131, 2, SOFTWARE),
            (0x0132, 2, TAKEN), (0x013B, 2, ARTIST), (0x8298, 2, COPYRIGHT), (0x010E, 2, DESCRIPTION),
            (0x9C9D, 1, list((XP_AUTHOR + "\0").encode("utf-16-le")))]
    exif = [(0x9003, 2, TAKEN), (0xA430, 2, OWNER), (0xA431, 2, SERIAL), (0xA434, 2, LENS),
            (0x927C, 7, MAKERNOTE.encode())]
    ifd1 = [(0x0103, 3, 6)]
    return b"Exif\0\0" + tiff_block(order, ifd0, exif, gps, ifd1, thumbnail_with_exif())


XMP_PACKET = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:xmpNote="http://ns.adobe.com/xmp/note/" photoshop:City="{XMP_CITY}" xmp:CreatorTool="{XMP_TOOL}"
 xmp:CreateDate="2031-07-14T03:21:09" xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF">
<dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li></rdf:Seq></dc:creator>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()

EXT_PACKET = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 photoshop:Instructions="{EXT_XMP}"/></rdf:RDF></x:xmpmeta>""".encode()


def extended_xmp_segments() -> list[bytes]:
    """Two chunks, the planted value cut in half between them (and the second one sent first)."""
    guid, cut = b"0123456789ABCDEF0123456789ABCDEF", EXT_PACKET.index(EXT_XMP.encode()) + 9
    chunks = [(0, EXT_PACKET[:cut]), (cut, EXT_PACKET[cut:])]
    prefix = b"http://ns.adobe.com/xmp/extension/\0" + guid + struct.pack(">I", len(EXT_PACKET))
    return [segment(0xE1, prefix + struct.pack(">I", offset) + data) for offset, data in reversed(chunks)]


def icc_profile(description: str, copyright_text: str, *, version: int = 2, extra_tags: tuple = ()) -> bytes:
    """A small valid RGB display profile built from Pillow's sRGB, with our own text tags."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = int.from_bytes(base[128:132], "big")
    colour = []
    for start in range(132, 132 + 12 * count, 12):
        signature, offset, size = struct.unpack(">4sII", base[start:start + 12])
        if signature not in (b"desc", b"cprt"):
            colour.append((signature, base[offset:offset + size]))
    desc = (b"mluc" + struct.pack(">IIIIII", 0, 1, 12, 0x656E5553, 2 * len(description), 28)
            + description.encode("utf-16-be"))
    cprt = b"text\0\0\0\0" + copyright_text.encode() + b"\0"
    tags = [(b"desc", desc), (b"cprt", cprt), *colour, *extra_tags]
    table, data, at = b"", b"", 132 + 12 * len(tags)
    for signature, blob in tags:
        data += bytes(-len(data) % 4)
        table += struct.pack(">4sII", signature, at + len(data), len(blob))
        data += blob
    header = bytearray(base[:128])
    header[8] = version
    header[24:36] = struct.pack(">6H", 2031, 7, 14, 3, 21, 9)
    header[48:56] = b"PLNTPLNT"
    profile = bytes(header) + struct.pack(">I", len(tags)) + table + data
    return len(profile).to_bytes(4, "big") + profile[4:]


def icc_segments(profile: bytes, cut: int) -> list[bytes]:
    pieces = [profile[:cut], profile[cut:]]
    return [segment(0xE2, b"ICC_PROFILE\0" + bytes((n, 2)) + piece) for n, piece in enumerate(pieces, 1)]


def photoshop_payload() -> bytes:
    def dataset(number: int, value: str) -> bytes:
        return b"\x1c\x02" + bytes((number,)) + struct.pack(">H", len(value)) + value.encode()

    def resource(identifier: int, data: bytes) -> bytes:
        return b"8BIM" + struct.pack(">H", identifier) + b"\0\0" + struct.pack(">I", len(data)) + data + \
            b"\0" * (len(data) % 2)

    iptc = dataset(80, IPTC_BYLINE) + dataset(90, IPTC_CITY) + dataset(120, IPTC_CAPTION)
    thumb = bytes(28) + b"\xff\xd8\xff\xe0" + PS_THUMB.encode()
    return b"Photoshop 3.0\0" + resource(0x0404, iptc) + resource(0x040C, thumb) + resource(0x03ED, bytes(16))


def appended_picture() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = APPENDED_ARTIST
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 0)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def planted_jpeg(base: bytes | None = None, order: str = "<", orientation: int = 6) -> bytes:
    jfif = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x08\x01" + JFIF_THUMB.encode()
    icc = icc_profile(ICC_DESC, ICC_OWNER)
    head = [
        segment(0xE0, jfif),
        segment(0xE0, b"JFXX\0\x10" + JFXX.encode()),
        segment(0xE1, exif_payload(order, orientation)),
        segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP_PACKET),
        *extended_xmp_segments(),
        *icc_segments(icc, icc.index(ICC_OWNER.encode()) + 7),
        segment(0xE2, b"MPF\0II*\0\x08\0\0\0" + MPF.encode()),
        segment(0xE2, b"FPXR\0\0\x01" + FPXR.encode()),
        segment(0xEB, b"JP\0\0\0\0\0\x01" + C2PA.encode()),
        segment(0xEC, b"Ducky\0" + DUCKY.encode()),
        segment(0xED, photoshop_payload()),
        segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01"),
        segment(0xFE, COMMENT.encode()),
    ]
    return b"\xff\xd8" + b"".join(head) + body(base or picture()) + appended_picture()


def pixels(data: bytes) -> bytes:
    """Decoded pixels, as stored (no orientation applied)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow comments on the fixtures' fake MPF and EXIF
        image = Image.open(io.BytesIO(data))
        image.load()
    return image.mode.encode() + repr(image.size).encode() + image.tobytes()


def reachable(data: bytes) -> list[bytes]:
    return [view.data for view in jpeg.views(data)]


@pytest.fixture(scope="module")
def dirty() -> bytes:
    return planted_jpeg()


@pytest.fixture(scope="module")
def clean(dirty: bytes) -> bytes:
    return jpeg.sanitize(dirty)


# --- (a) nothing planted is left ------------------------------------------

def test_planted_values_are_in_the_fixture(dirty: bytes) -> None:
    everything = b"".join(reachable(dirty))
    for value in PLANTED:
        assert any(e in everything for e in encodings(value)), value


def test_no_planted_value_survives_in_any_view(clean: bytes) -> None:
    assert sniff(clean[:4096]) == "image/jpeg"
    for view in jpeg.views(clean):
        for value in PLANTED:
            for encoded in encodings(value) + [value[:12].encode()]:
                assert encoded not in view.data, (value, view.where)
    assert b"PLANTED" not in clean


def test_only_decoding_segments_and_orientation_remain(clean: bytes) -> None:
    parsed = jpeg.parse(clean)
    kinds = [(s.marker, s.payload[:5]) for s in parsed.header]
    assert kinds[:3] == [(0xE0, b"JFIF\0"), (0xE1, b"Exif\0"), (0xEE, b"Adobe")]
    assert all(s.marker in jpeg.DECODING for s in parsed.segments[3:])
    assert parsed.trailer == b""
    assert parsed.segments[0].payload == b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x00\x00"
    assert parsed.segments[1].payload == jpeg.orientation_exif(6, "<")


# --- (b) the picture is unchanged -----------------------------------------

def test_pixels_and_scan_data_are_unchanged(dirty: bytes, clean: bytes) -> None:
    assert pixels(clean) == pixels(dirty)
    assert jpeg.content(clean) == jpeg.content(dirty)
    assert jpeg.content(dirty)[-1] in dirty  # the scan data, byte for byte


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_orientation_is_kept_alone(order: str, orientation: int) -> None:
    clean = jpeg.sanitize(planted_jpeg(order=order, orientation=orientation))
    exif = Image.open(io.BytesIO(clean)).getexif()
    assert dict(exif) == ({} if orientation == 1 else {0x0112: orientation})
    assert (b"Exif\0\0" in clean) == (orientation != 1)
    if orientation != 1:
        assert clean[clean.index(b"Exif\0\0") + 6:][:2] == (b"II" if order == "<" else b"MM")
    assert jpeg.inspect(clean) == []
    assert not any("Orientation" in f.field for f in jpeg.inspect(planted_jpeg(order=order)))


def test_orientation_only_exif_is_left_as_it_is() -> None:
    data = b"\xff\xd8" + segment(0xE1, jpeg.orientation_exif(3, ">")) + body(picture())
    assert jpeg.inspect(data) == []
    assert jpeg.sanitize(data) == data


@pytest.mark.parametrize("options", [
    {"progressive": True},
    {"progressive": True, "restart_marker_blocks": 1},
    {"restart_marker_rows": 1, "subsampling": 0},
    {"optimize": True},
], ids=["progressive", "progressive-restarts", "baseline-restarts", "optimized"])
def test_scan_structures_survive(options: dict) -> None:
    base = picture((97, 61), **options)
    dirty = planted_jpeg(base)
    clean = jpeg.sanitize(dirty)
    assert pixels(clean) == pixels(base)
    assert jpeg.content(clean) == jpeg.content(base)
    scans = [s for s in jpeg.parse(clean).segments if s.marker == jpeg.SOS]
    assert len(scans) > 1 if options.get("progressive") else len(scans) == 1
    if "restart_marker_blocks" in options or "restart_marker_rows" in options:
        assert any(b"\xff\xd0" in bytes(s.scan) for s in scans)


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk(mode: str) -> None:
    base = picture((40, 30), mode)
    dirty = b"\xff\xd8" + segment(0xFE, COMMENT.encode()) + segment(0xE1, exif_payload()) + \
        base[2:]  # keep Pillow's own header segments (the Adobe one for CMYK)
    clean = jpeg.sanitize(dirty)
    assert pixels(clean) == pixels(base)
    assert (b"Adobe" in clean) == (mode == "CMYK")
    assert b"PLANTED" not in clean


def test_arithmetic_coding_keeps_its_tables() -> None:
    """Arithmetic-coded frames (SOF9, DAC) share the segment syntax: kept as they are, not decoded."""
    base = body(picture())
    frame = base.index(b"\xff\xc0")
    coded = b"\xff\xd8" + base[:frame] + segment(0xCC, b"\x00\x10\x10\x05") + b"\xff\xc9" + base[frame + 2:]
    dirty = coded[:2] + segment(0xFE, COMMENT.encode()) + coded[2:]
    clean = jpeg.sanitize(dirty)
    assert clean == coded
    assert jpeg.content(clean) == jpeg.content(dirty)


def test_fill_bytes_and_dnl() -> None:
    base = body(picture())
    frame = base.index(b"\xff\xc0")
    height = base[frame + 5:frame + 7]
    no_height = base[:frame + 5] + b"\0\0" + base[frame + 7:]
    with_dnl = no_height[:-2] + segment(0xDC, height) + b"\xff\xff\xff" + no_height[-2:]
    data = b"\xff\xd8\xff\xff" + with_dnl
    clean = jpeg.sanitize(data)
    assert clean == b"\xff\xd8" + no_height[:-2] + segment(0xDC, height) + b"\xff\xd9"
    assert jpeg.content(clean) == jpeg.content(data)


def test_metadata_between_scans_goes_too() -> None:
    """Decoders read JFIF, Adobe and ICC segments only before the first scan; later ones are just data."""
    base = body(picture((33, 21), progressive=True))
    second_scan = base.index(b"\xff\xda", base.index(b"\xff\xda") + 2)
    late = [segment(0xFE, COMMENT.encode()), segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP_PACKET),
            segment(0xE1, exif_payload()), segment(0xE0, b"JFIF\0\x01\x02\x01\0\x48\0\x48\0\0"),
            segment(0xEE, b"Adobe\0\x64\0\0\0\0\x02"), *icc_segments(icc_profile(ICC_DESC, ICC_OWNER), 100)]
    dirty = b"\xff\xd8" + base[:second_scan] + b"".join(late) + base[second_scan:]
    clean = jpeg.sanitize(dirty)
    assert clean == b"\xff\xd8" + base
    values = {f.value for f in jpeg.inspect(dirty)}
    assert {COMMENT, XMP_CREATOR, ARTIST, "JFIF, 14 bytes", "Adobe, 12 bytes", "ICC_PROFILE, 114 bytes"} <= values
    assert pixels(clean) == pixels(b"\xff\xd8" + base)


def test_sanitize_is_idempotent(clean: bytes) -> None:
    assert jpeg.sanitize(clean) == clean


# --- (c) inspect lists what goes, and nothing after cleaning ------------------

EXPECTED = [
    (Category.LOCATION, GPS, "EXIF"),
    (Category.PERSON, ARTIST, "EXIF"),
    (Category.PERSON, COPYRIGHT, "EXIF"),
    (Category.PERSON, OWNER, "EXIF"),
    (Category.DEVICE, MAKE, "EXIF"),
    (Category.DEVICE, MODEL, "EXIF"),
    (Category.DEVICE, SERIAL, "EXIF"),
    (Category.DEVICE, LENS, "EXIF"),
    (Category.SOFTWARE, SOFTWARE, "EXIF"),
    (Category.TIME, TAKEN, "EXIF"),
    (Category.PERSON, THUMB_ARTIST, "EXIF of the embedded thumbnail"),
    (Category.PERSON, XMP_CREATOR, "XMP"),
    (Category.LOCATION, XMP_CITY, "XMP"),
    (Category.SOFTWARE, XMP_TOOL, "XMP"),
    (Category.OTHER, EXT_XMP, "extended XMP"),
    (Category.PERSON, IPTC_BYLINE, "IPTC (Photoshop APP13)"),
    (Category.LOCATION, IPTC_CITY, "IPTC (Photoshop APP13)"),
    (Category.DEVICE, ICC_DESC, "ICC profile (APP2)"),
    (Category.PERSON, ICC_OWNER, "ICC profile (APP2)"),
    (Category.TIME, "2031-07-14 03:21:09", "ICC profile (APP2)"),
    (Category.OTHER, COMMENT, "JPEG comment (COM)"),
    (Category.PERSON, APPENDED_ARTIST, "EXIF of a picture after the end of the image"),
]
HIDDEN = ["JFIF thumbnail", "JFIF extension thumbnail", "multi-picture index (MPF)", "FlashPix data",
          "APP11 segment", "APP12 segment", "Photoshop thumbnail", "bytes after the end of the image",
          "embedded thumbnail"]


@pytest.mark.parametrize("category,value,where", EXPECTED, ids=[e[1] for e in EXPECTED])
def test_inspect_names_each_planted_value(dirty: bytes, category: Category, value: str, where: str) -> None:
    found = [f for f in jpeg.inspect(dirty) if value in f.value and f.where == where]
    assert found and all(f.category == category for f in found), found


def test_inspect_names_hidden_content(dirty: bytes) -> None:
    hidden = {f.field for f in jpeg.inspect(dirty) if f.category == Category.HIDDEN}
    assert set(HIDDEN) <= hidden
    assert not any("Orientation" in f.field for f in jpeg.inspect(dirty))


def test_inspect_of_the_clean_copy_is_empty(clean: bytes) -> None:
    assert jpeg.inspect(clean) == []


def test_the_pipeline_checks_pass(dirty: bytes, clean: bytes) -> None:
    from intake.clean import check_clean_copy, worst_first

    check_clean_copy(jpeg, "image/jpeg", dirty, clean, worst_first(jpeg.inspect(dirty)))


# --- (d) exiftool as an outside judge ------------------------------------------

@pytest.mark.skipif(not exiftool_judge.AVAILABLE, reason="exiftool is not installed")
def test_exiftool_finds_nothing(clean: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clean.jpg"
    path.write_bytes(clean)
    assert exiftool_judge.identifying(path) == {}
    tags = exiftool_judge.tags(path)
    shown = " ".join(f"{k}={v}" for k, v in tags.items())
    assert "PLANTED" not in shown and "2031" not in shown
    assert tags.get("IFD0:Orientation") == "Rotate 90 CW"
    assert not any(k.split(":")[0] in ("IFD1", "ExifIFD", "GPS", "XMP", "ICC_Profile", "MPF") for k in tags)


# --- ICC profiles ---------------------------------------------------------------

def with_icc(profile: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(icc_segments(profile, len(profile) // 2)) + body(picture())


def test_srgb_profile_is_dropped_without_alarm() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # lcms dates it "now"
    data = with_icc(srgb)
    findings = jpeg.inspect(data)
    assert Finding(Category.OTHER, "ICC colour profile", "sRGB built-in", "ICC profile (APP2)") in findings
    assert {f.category for f in findings} == {Category.OTHER, Category.TIME}
    clean = jpeg.sanitize(data)
    assert b"ICC_PROFILE" not in clean and pixels(clean) == pixels(data)


def test_unreadable_profile_is_dropped() -> None:
    data = b"\xff\xd8" + segment(0xE2, b"ICC_PROFILE\0\x01\x02" + ICC_DESC.encode()) + body(picture())
    assert [f.value for f in jpeg.inspect(data)] == [f"unreadable profile, {len(ICC_DESC)} bytes"]
    assert b"ICC_PROFILE" not in jpeg.sanitize(data)


def test_wide_gamut_profile_can_be_kept_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off by default (see jpeg.py); when on, only colour tags and a fresh description stay."""
    monkeypatch.setattr(jpeg, "ICC_KEPT", jpeg.ICC_WIDE_GAMUT)
    private = ((b"zzzz", b"text\0\0\0\0" + ICC_DESC.encode() + b"\0"), (b"yyyy", b"XYZ " + bytes(16)))
    for version in (2, 4):
        data = with_icc(icc_profile("Display P3", ICC_OWNER, version=version, extra_tags=private))
        found = {(f.field, f.value) for f in jpeg.inspect(data)}
        assert {("ICC profile copyright", ICC_OWNER), ("ICC zzzz text", ICC_DESC), ("ICC tag", "yyyy"),
                ("ICC profile creation date", "2031-07-14 03:21:09"), ("ICC device manufacturer", "PLNT")} <= found
        assert "Display P3" not in {value for _, value in found}
        clean = jpeg.sanitize(data)
        assert jpeg.inspect(clean) == [] and jpeg.sanitize(clean) == clean
        assert b"PLANTED" not in clean and b"PLNT" not in clean and ICC_OWNER.encode("utf-16-be") not in clean
        profile = Image.open(io.BytesIO(clean)).info["icc_profile"]
        assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile))).strip() == "Display P3"
        assert profile[24:36] == bytes(12) and pixels(clean) == pixels(data)


# --- (e) malformed input is refused, never crashes, never hangs ------------------

def small() -> bytes:
    return planted_jpeg(picture((16, 16)))


def test_every_truncation_is_refused() -> None:
    data = planted_jpeg(picture((16, 16)))
    end = len(data) - len(appended_picture())
    for cut in range(0, end):
        with pytest.raises(Refused):
            jpeg.sanitize(data[:cut])
    for cut in range(0, end, 97):
        with pytest.raises(Refused):
            jpeg.inspect(data[:cut])
    for cut in range(end, len(data) + 1, 50):  # a shorter tail is still only a tail
        assert b"PLANTED" not in jpeg.sanitize(data[:cut])


def test_wrong_segment_lengths_are_refused_or_cleaned() -> None:
    data = small()
    for parsed_segment in jpeg.parse(data).segments[:30]:
        start = data.index(parsed_segment.encoded())
        length = len(parsed_segment.payload) + 2
        for wrong in {0, 1, 2, length - 1, length + 1, 0xFFFF}:
            mutated = data[:start + 2] + wrong.to_bytes(2, "big") + data[start + 4:]
            check_refused_or_clean(mutated)


def base_body() -> bytes:
    return body(picture((16, 16)))


def with_frame(change) -> bytes:  # noqa: ANN001
    return b"\xff\xd8" + change(base_body())


MALFORMED = {
    "not a JPEG": lambda: b"\x89PNG\r\n\x1a\n",
    "start marker only": lambda: b"\xff\xd8",
    "no end marker": lambda: b"\xff\xd8" + base_body()[:-2],
    "cut inside the scan": lambda: b"\xff\xd8" + base_body()[:-40],
    "length beyond the data": lambda: b"\xff\xd8\xff\xfe\x40\x00abc" + base_body(),
    "length below two": lambda: b"\xff\xd8\xff\xfe\x00\x01" + base_body(),
    "restart marker between segments": lambda: b"\xff\xd8\xff\xd0" + base_body(),
    "start marker inside": lambda: b"\xff\xd8\xff\xd8" + base_body(),
    "stray bytes": lambda: b"\xff\xd8\x00\x01" + base_body(),
    "scan before frame": lambda: with_frame(lambda b: b[b.index(b"\xff\xda"):b.index(b"\xff\xda") + 14]
                                            + b[:b.index(b"\xff\xda")] + b[b.index(b"\xff\xda"):]),
    "two frames": lambda: with_frame(lambda b: b[:b.index(b"\xff\xda")] + b[b.index(b"\xff\xc0"):][:19]
                                     + b[b.index(b"\xff\xda"):]),
    "DNL before the scan": lambda: with_frame(lambda b: segment(0xDC, b"\0\x10") + b),
    "JPEG-LS": lambda: with_frame(lambda b: b.replace(b"\xff\xc0", b"\xff\xf7")),
    "hierarchical": lambda: with_frame(lambda b: segment(0xDE, bytes(15)) + b),
    "lossless differential": lambda: with_frame(lambda b: b.replace(b"\xff\xc0", b"\xff\xc5")),
    "reserved marker": lambda: with_frame(lambda b: segment(0xF0, b"xx") + b),
    "bad quantisation table": lambda: with_frame(lambda b: segment(0xDB, b"\x20" + bytes(64)) + b),
    "short quantisation table": lambda: with_frame(lambda b: segment(0xDB, b"\x00" + bytes(63)) + b),
    "huffman count too big": lambda: with_frame(lambda b: segment(0xC4, b"\x00" + b"\xff" * 16 + bytes(300)) + b),
    "frame length wrong": lambda: with_frame(lambda b: b.replace(b"\xff\xc0\x00\x11", b"\xff\xc0\x00\x12", 1)),
    "scan names a missing component": lambda: with_frame(
        lambda b: b[:b.index(b"\xff\xda") + 5] + b"\x09" + b[b.index(b"\xff\xda") + 6:]),
    "no height and no DNL": lambda: with_frame(
        lambda b: b[:b.index(b"\xff\xc0") + 5] + b"\0\0" + b[b.index(b"\xff\xc0") + 7:]),
    "EXIF without a TIFF header": lambda: b"\xff\xd8" + segment(0xE1, b"Exif\0\0garbage") + base_body(),
    "EXIF orientation as text": lambda: b"\xff\xd8" + segment(
        0xE1, b"Exif\0\0" + tiff_block("<", [(0x0112, 2, "6")])) + base_body(),
    "two different orientations": lambda: b"\xff\xd8" + segment(
        0xE1, b"Exif\0\0" + tiff_block("<", [(0x0112, 3, 6), (0x0112, 3, 8)])) + base_body(),
    "Adobe transforms disagree": lambda: b"\xff\xd8" + segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01") + segment(
        0xEE, b"Adobe\0\x64\0\0\0\0\x00") + base_body(),
    "too many segments": lambda: b"\xff\xd8" + b"\xff\xfe\x00\x02" * (jpeg.MAX_SEGMENTS + 2) + base_body(),
}


# Well-formed segments that cannot be cleaned: only the verbs that clean (and inspect) refuse them.
UNCLEANABLE = {"EXIF without a TIFF header", "EXIF orientation as text", "two different orientations",
               "Adobe transforms disagree"}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_files_are_refused(name: str) -> None:
    data = MALFORMED[name]()
    verbs = (jpeg.sanitize, jpeg.inspect) if name in UNCLEANABLE else (jpeg.sanitize, jpeg.inspect, jpeg.content,
                                                                      jpeg.views)
    for verb in verbs:
        with pytest.raises(Refused) as refusal:
            verb(data)
        assert str(refusal.value) and "\n" not in str(refusal.value)


def test_hostile_runs_of_0xff_take_linear_time() -> None:
    base = base_body()
    scan = base.index(b"\xff\xda") + 14
    runs = {
        "fill before a marker": b"\xff\xd8" + b"\xff" * 2_000_000 + base,
        "fill inside the scan": b"\xff\xd8" + base[:scan] + (b"\xff" * 2_000_000 + b"\x00") + base[scan:],
        "nothing but 0xFF": b"\xff\xd8" + base[:scan] + b"\xff" * 2_000_000,
    }
    for name, data in runs.items():
        started = time.perf_counter()
        try:
            jpeg.sanitize(data)
        except Refused:
            pass
        assert time.perf_counter() - started < 1.0, name


def canon_exif(owner: str) -> bytes:
    """A Canon maker note: a plain IFD whose offsets count from the TIFF header."""
    def block(at: int) -> bytes:
        note = struct.pack("<H", 1) + struct.pack("<HHII", 0x0009, 2, len(owner) + 1, at + 18) + b"\0" * 4
        return tiff_block("<", [(0x010F, 2, "Canon")], [(0x927C, 7, note + owner.encode() + b"\0")])
    return b"Exif\0\0" + block(block(0).index(struct.pack("<HH", 0x0009, 2)) - 2)


def exifread_bomb(kind: str) -> bytes:
    """EXIF blocks on which exifread, left alone, loops for seconds to hours."""
    if kind == "values":  # 4900 entries of 999 rationals each
        table = b"".join(struct.pack("<HHII", 0x1000 + i, 5, 999, 8) for i in range(4900))
        return b"Exif\0\0II*\0" + struct.pack("<IH", 8, 4900) + table + bytes(4)
    if kind == "sub-ifds":  # 900 SubIFDs, all the same IFD
        return b"Exif\0\0" + tiff_block("<", [(0x014A, 4, [8] * 900)])
    note = bytearray(tiff_block("<", [(0x010F, 2, "NIKON")], [(0x927C, 7, b"Nikon\0\2\0\0\0")]))
    at = note.index(struct.pack("<HH", 0x927C, 7))
    note[at + 4:at + 8] = struct.pack("<I", 0x7FFFFFFF)  # a maker note of two billion bytes
    return b"Exif\0\0" + bytes(note)


def test_canon_maker_note_is_read_in_detail() -> None:
    data = b"\xff\xd8" + segment(0xE1, canon_exif(OWNER)) + base_body()
    assert Finding(Category.PERSON, "MakerNote OwnerName", OWNER, "EXIF") in jpeg.inspect(data)
    assert OWNER.encode() not in jpeg.sanitize(data)


@pytest.mark.parametrize("kind", ["values", "sub-ifds", "maker note"])
def test_exifread_bombs_are_summarised_quickly(kind: str) -> None:
    bomb = segment(0xE1, exifread_bomb(kind))
    for data in (b"\xff\xd8" + segment(0xE1, jpeg.orientation_exif(6)) + bomb + base_body(),
                 b"\xff\xd8" + bomb + base_body()):
        started = time.perf_counter()
        findings = jpeg.inspect(data)
        assert time.perf_counter() - started < 1.0
        assert [f.value.split(",")[0] for f in findings] == ["EXIF block not read in detail"]
        assert jpeg.inspect(jpeg.sanitize(data)) == []


def check_refused_or_clean(data: bytes) -> None:
    """Anything but Refused is a bug; a file that is accepted must come out clean and unchanged."""
    started = time.perf_counter()
    try:
        findings = jpeg.inspect(data)
        clean = jpeg.sanitize(data)
        jpeg.views(data)
        before = jpeg.content(data)
    except Refused:
        return
    finally:
        assert time.perf_counter() - started < 5.0
    assert jpeg.inspect(clean) == [] and jpeg.content(clean) == before
    assert isinstance(findings, list)


# --- property tests ---------------------------------------------------------------

def entropy_data(draw: st.DrawFn) -> bytes:
    raw = draw(st.binary(max_size=300))
    coded = raw.replace(b"\xff", b"\xff\x00")
    restarts = draw(st.lists(st.integers(0, len(coded)), max_size=3))
    for number, at in enumerate(sorted(set(restarts), reverse=True)):
        if at == 0 or coded[at - 1] != 0xFF:
            coded = coded[:at] + bytes((0xFF, 0xD0 + number % 8)) + coded[at:]
    return coded


@st.composite
def tables(draw: st.DrawFn) -> jpeg.Segment:
    kind = draw(st.sampled_from(["dqt", "dht", "dri"]))
    if kind == "dqt":
        table = draw(st.integers(0, 3))
        return jpeg.Segment(jpeg.DQT, bytes((table,)) + draw(st.binary(min_size=64, max_size=64)))
    if kind == "dht":
        counts = draw(st.lists(st.integers(0, 3), min_size=16, max_size=16))
        values = draw(st.binary(min_size=sum(counts), max_size=sum(counts)))
        return jpeg.Segment(jpeg.DHT, bytes((draw(st.sampled_from([0, 1, 0x10, 0x11])),)) + bytes(counts) + values)
    return jpeg.Segment(jpeg.DRI, draw(st.binary(min_size=2, max_size=2)))


@st.composite
def extras(draw: st.DrawFn) -> jpeg.Segment:
    marker = draw(st.sampled_from([jpeg.COM, *range(0xE3, 0xED), 0xEF]))
    return jpeg.Segment(marker, draw(st.binary(max_size=80)))


@st.composite
def segment_sequences(draw: st.DrawFn) -> tuple[list[jpeg.Segment], bytes]:
    components = draw(st.integers(1, 3))
    frame = bytes((8, 0, draw(st.integers(1, 255)), 0, draw(st.integers(1, 255)), components)) + b"".join(
        bytes((n, 0x11, 0)) for n in range(1, components + 1))
    segments = draw(st.lists(st.one_of(tables(), extras()), max_size=5))
    segments.append(jpeg.Segment(draw(st.sampled_from(sorted(jpeg.SOF_MARKERS))), frame))
    segments += draw(st.lists(st.one_of(tables(), extras()), max_size=3))
    for _ in range(draw(st.integers(1, 3))):
        chosen = draw(st.integers(1, components))
        header = bytes((1, chosen, 0, 0, 63, 0))
        segments.append(jpeg.Segment(jpeg.SOS, header, entropy_data(draw)))
        segments += draw(st.lists(st.one_of(tables(), extras()), max_size=2))
    return segments, draw(st.binary(max_size=40))


@settings(max_examples=150, deadline=None)
@given(segment_sequences())
def test_segment_sequences_round_trip(sequence: tuple[list[jpeg.Segment], bytes]) -> None:
    segments, trailer = sequence
    data = jpeg.build(segments, trailer)
    parsed = jpeg.parse(data)
    assert list(parsed.segments) == segments and parsed.trailer == trailer
    clean = jpeg.sanitize(data)
    assert [s for s in jpeg.parse(clean).segments] == [s for s in segments if s.marker in jpeg.DECODING]
    assert jpeg.content(clean) == jpeg.content(data)
    assert jpeg.inspect(clean) == [] and jpeg.sanitize(clean) == clean


MUTATION_BASE = planted_jpeg(picture((16, 16)))
# Where each segment of the base file lies, so mutations land inside metadata as often as between segments.
REGIONS = [(start + 4, start + len(s.encoded()))  # payloads, after marker and length
           for s in jpeg.parse(MUTATION_BASE).segments if s.payload
           for start in [MUTATION_BASE.index(s.encoded())]]


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(MUTATION_BASE)
    for _ in range(draw(st.integers(1, 6))):
        start, end = draw(st.sampled_from([(0, len(MUTATION_BASE))] + REGIONS))
        at = min(start + draw(st.integers(0, 1 << 16)) % (end - start), len(data) - 1)
        operation = draw(st.sampled_from(["set"] * 6 + ["insert", "delete", "truncate"]))
        byte = draw(st.sampled_from([0x00, 0xFF, 0xD8, 0xD9, 0xDA, 0xE1, 0x01, 0x7F, 0x80]) | st.integers(0, 255))
        if operation == "set":
            data[at] = byte
        elif operation == "insert":
            data[at:at] = bytes((byte,))
        elif operation == "delete":
            del data[at]
        else:
            del data[at:]
        if len(data) < 2:
            break
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_random_mutations_only_ever_refuse(data: bytes) -> None:
    check_refused_or_clean(data)


# --- a 12-megapixel camera-sized picture --------------------------------------------

@pytest.fixture(scope="module")
def big() -> bytes:
    size = (4000, 3000)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [noise((size[0] // 4, size[1] // 4)).resize(size), gradient,
                                gradient.transpose(Image.Transpose.ROTATE_180)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return planted_jpeg(out.getvalue())


def test_twelve_megapixels_are_cleaned_fast_and_unchanged(big: bytes) -> None:
    started = time.perf_counter()
    clean = jpeg.sanitize(big)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.3, f"sanitize took {elapsed:.3f} s"
    assert pixels(clean) == pixels(big)
    assert b"PLANTED" not in clean
    started = time.perf_counter()
    assert jpeg.content(clean) == jpeg.content(big)
    assert time.perf_counter() - started < 0.5


def _scan_end_by_grammar(data: bytes, position: int) -> int | None:
    """The scan's end read straight from the grammar (B.1.1.5 of T.81), byte by byte: 0xFF then
    0x00 or RST0-7 stays in the scan, after any 0xFF fill bytes; any other 0xFF pair ends it."""
    while position < len(data):
        if data[position] != 0xFF:
            position += 1
            continue
        run_end = position
        while run_end < len(data) and data[run_end] == 0xFF:
            run_end += 1
        if run_end >= len(data):
            return None
        if data[run_end] != 0 and not 0xD0 <= data[run_end] <= 0xD7:
            return position
        position = run_end + 1
    return None


def test_the_end_of_scan_data_is_found_as_the_grammar_says() -> None:
    rng = random.Random(15)
    alphabet = [0xFF] * 6 + [0x00] * 4 + [0xD0, 0xD3, 0xD7, 0xD8, 0xD9, 0xC4, 0x12, 0xFE]
    for _ in range(3000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        start = rng.randint(0, len(data) - 1)
        expected = _scan_end_by_grammar(data, start)
        if expected is None:
            with pytest.raises(Refused, match="truncated"):
                jpeg._scan_end(data, start)
        else:
            assert jpeg._scan_end(data, start) == expected, (data.hex(), start)


def _segments_of(parsed: jpeg.Jpeg) -> list[tuple[int, bytes, bytes]]:
    return [(s.marker, s.payload, bytes(s.scan)) for s in parsed.segments] + [(-1, parsed.trailer, b"")]


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"restart_marker_rows": 1}],
                         ids=["baseline", "progressive", "restarts"])
def test_a_scan_known_from_the_original_gives_the_parse_a_fresh_search_gives(options: dict) -> None:
    """The clean copy's parse skips the search over a scan found byte for byte in the
    original's parse; whatever follows it, the segments are those a search from the start finds."""
    original = planted_jpeg(picture((640, 480), **options))
    known = [s.scan for s in jpeg._parse(original).segments if s.marker == jpeg.SOS]
    clean = jpeg.sanitize(original)
    longest = max(known, key=len)
    at = clean.index(bytes(longest)) + len(longest)
    flipped = bytearray(clean)
    flipped[at - 3] ^= 0x01  # inside the scan: no longer the known one
    ended = bytearray(clean)
    ended[at - 100:at - 98] = b"\xff\xd9"  # an end of image inside it, at the same length
    variants = {
        "the clean copy": clean,
        "more stuffed scan data after the known scan": clean[:at] + b"\xff\x00\x12\xff\xd0\x34" + clean[at:],
        "a stray marker right after it": clean[:at] + b"\xff\x01" + clean[at:],
        "a byte changed inside it": bytes(flipped),
        "an end-of-image marker written inside it": bytes(ended),
    }
    assert jpeg._past_known_scan(memoryview(clean), at - len(longest), known) == at  # the shortcut is taken
    for name, data in variants.items():
        try:
            fresh = _segments_of(jpeg._parse(data))
        except Refused as refusal:
            with pytest.raises(Refused, match=re.escape(str(refusal))):
                jpeg._parse(data, known)
            continue
        assert _segments_of(jpeg._parse(data, known)) == fresh, name


def test_an_insta360_trailer_after_the_end_of_the_image_goes() -> None:
    """Insta360 cameras end their photos (.insp) with the same trailer as their videos: serial number,
    gyroscope, GPS. It lies after the end of the image, so it goes whole and is reported by size."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, "JPEG")
    plain = buffer.getvalue()
    records = b"\x0a\x10PLANTED-INSTA360-SERIAL-6b2e" + bytes(100)
    photo = plain + records + (len(records) + 40).to_bytes(4, "little") + bytes(4) + b"8db42d694ccc418790edff439fe026bf"
    assert any(f.field == "bytes after the end of the image" and f.value == f"{len(photo) - len(plain)} bytes"
               for f in jpeg.inspect(photo))
    assert jpeg.sanitize(photo) == jpeg.sanitize(plain)
