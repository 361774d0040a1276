"""PNG files with planted metadata (eXIf, XMP, text chunks, ICC), and the checks GIF, WebP and PNG tests share."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from intake.formats import png
from intake.formats.base import Category, Finding

import exiftool_judge as exiftool
from planted import encodings

ARTIST = "PLANTED-ARTIST-7f3a"


SERIAL = "SN-PLANTED-99812"


MAKE = "PlantedMake-4411"


MODEL = "PlantedModel-X9"


SOFTWARE = "PlantedSoft-2.1"


EXIF_DATE = "2019:07:04 13:37:00"


THUMB_ARTIST = "PLANTED-THUMB-ARTIST-5c2"


XMP_CREATOR = "PLANTED-XMP-CREATOR-c0de"


XMP_TOOL = "PLANTED-TOOL-88"


XMP_CITY = "PLANTED-CITY-Odesa"


COMMENT = "PLANTED-COMMENT-lot7"


DESCRIPTION = "PLANTED-DESCRIPTION-iTXt-31"


ICC_DESC = "PLANTED-ICC-Johns-Monitor"


ICC_COPYRIGHT = "PLANTED-ICC-COPYRIGHT-Petrenko"


ICC_DEVICE = "PLANTED-ICC-DEVICE-Calib"


HIDDEN_CHUNK = "PLANTED-HIDDEN-chunk-e1"


TAIL = "PLANTED-TAIL-after-end"


PLANTED = (ARTIST, SERIAL, MAKE, MODEL, SOFTWARE, THUMB_ARTIST, XMP_CREATOR, XMP_TOOL, XMP_CITY, COMMENT,
           DESCRIPTION, ICC_DESC, ICC_COPYRIGHT, ICC_DEVICE, HIDDEN_CHUNK, TAIL, "2019:07:04", "2019-07-04")


GPS_DECIMAL = "46.635400, 32.616900"


def _entry(tag: int, kind: int, count: int, payload: bytes) -> tuple[int, int, int, bytes]:
    return tag, kind, count, payload


def _ascii(tag: int, text: str) -> tuple[int, int, int, bytes]:
    raw = text.encode() + b"\0"
    return _entry(tag, 2, len(raw), raw)


def _rationals(tag: int, *values: tuple[int, int]) -> tuple[int, int, int, bytes]:
    return _entry(tag, 5, len(values), b"".join(struct.pack(">II", n, d) for n, d in values))


def _long(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return _entry(tag, 4, 1, struct.pack(">I", value))


def _ifd_size(entries: list) -> int:
    return 2 + 12 * len(entries) + 4 + sum(len(p) + len(p) % 2 for *_, p in entries if len(p) > 4)


def _ifd(entries: list, offset: int, next_offset: int) -> bytes:
    entries = sorted(entries)
    data_at = offset + 2 + 12 * len(entries) + 4
    head, tail = struct.pack(">H", len(entries)), b""
    for tag, kind, count, payload in entries:
        if len(payload) <= 4:
            value = payload.ljust(4, b"\0")
        else:
            value = struct.pack(">I", data_at + len(tail))
            tail += payload + b"\0" * (len(payload) % 2)
        head += struct.pack(">HHI", tag, kind, count) + value
    return head + struct.pack(">I", next_offset) + tail


def thumbnail_jpeg() -> bytes:
    """A thumbnail with EXIF of its own, as cameras write them."""
    image = Image.new("RGB", (8, 8), (200, 10, 10))
    exif = image.getexif()
    exif[0x013B] = THUMB_ARTIST
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def planted_exif(orientation: int = 6) -> bytes:
    """A bare TIFF-structured EXIF block (big-endian) with IFD0, Exif, GPS and a thumbnail in IFD1."""
    thumb = thumbnail_jpeg()
    ifd0 = [_ascii(0x010F, MAKE), _ascii(0x0110, MODEL), _ascii(0x013B, ARTIST), _ascii(0x0131, SOFTWARE),
            _ascii(0x0132, EXIF_DATE), _entry(0x0112, 3, 1, struct.pack(">H", orientation)),
            _long(0x8769, 0), _long(0x8825, 0)]
    exif = [_ascii(0xA431, SERIAL), _ascii(0x9003, EXIF_DATE)]
    gps = [_ascii(1, "N"), _rationals(2, (46, 1), (38, 1), (744, 100)), _ascii(3, "E"),
           _rationals(4, (32, 1), (37, 1), (84, 100))]
    ifd1 = [_entry(0x0103, 3, 1, struct.pack(">H", 6)), _long(0x0201, 0), _long(0x0202, len(thumb))]
    at_exif = 8 + _ifd_size(ifd0)
    at_gps = at_exif + _ifd_size(exif)
    at_ifd1 = at_gps + _ifd_size(gps)
    at_thumb = at_ifd1 + _ifd_size(ifd1)
    ifd0[-2:] = [_long(0x8769, at_exif), _long(0x8825, at_gps)]
    ifd1[1] = _long(0x0201, at_thumb)
    return (b"MM\0*\0\0\0\x08" + _ifd(ifd0, 8, at_ifd1) + _ifd(exif, at_exif, 0) + _ifd(gps, at_gps, 0)
            + _ifd(ifd1, at_ifd1, 0) + thumb)


def planted_xmp() -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'xmp:CreatorTool="{XMP_TOOL}" xmp:CreateDate="2019-07-04T13:37:00" photoshop:City="{XMP_CITY}">'
        f'<dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li></rdf:Seq></dc:creator>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


def _icc_desc_tag(text: str) -> bytes:
    # v2 textDescriptionType: ASCII, then empty Unicode and ScriptCode parts.
    ascii_part = text.encode() + b"\0"
    tag = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_part)) + ascii_part + bytes(8) + bytes(3 + 67)
    return tag + bytes(-len(tag) % 4)


def _icc_text_tag(text: str) -> bytes:
    tag = b"text\0\0\0\0" + text.encode() + b"\0"
    return tag + bytes(-len(tag) % 4)


def planted_icc(description: str = ICC_DESC, date: tuple[int, ...] = (2019, 7, 4, 13, 37, 0)) -> bytes:
    """A small v2 display profile whose text names a person's calibrated monitor."""
    xyz = b"XYZ \0\0\0\0" + struct.pack(">3i", 63190, 65536, 54061)
    tags = [(b"desc", _icc_desc_tag(description)), (b"cprt", _icc_text_tag(ICC_COPYRIGHT)),
            (b"dmdd", _icc_desc_tag(ICC_DEVICE)), (b"wtpt", xyz)]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + b"\x02\x10\0\0" + b"mntrRGB XYZ " + struct.pack(">6H", *date)
              + b"acspAPPL" + bytes(4) + b"PLNTX9\0\0" + bytes(8) + struct.pack(">I", 0)
              + struct.pack(">3i", 63190, 65536, 54061) + b"PLNT" + bytes(44))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def standard_icc() -> bytes:
    """LittleCMS's built-in sRGB: a standard profile, but stamped with the time it was made."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def raw_profile(kind: str, data: bytes) -> str:
    """ImageMagick's hex text encoding of a profile."""
    hexed = data.hex()
    lines = "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
    return f"\n{kind}\n{len(data):8d}\n{lines}\n"


def assert_nothing_planted(data: bytes, views: list, planted: tuple[str, ...] = PLANTED) -> None:
    for value in planted:
        for needle in encodings(value):
            assert needle not in data, value
            for view in views:
                assert needle not in view.data, (value, view.where)


def exiftool_check(tmp_path: Path, name: str, data: bytes, planted: tuple[str, ...] = PLANTED,
                   ignore_groups: tuple[str, ...] = ()) -> dict:
    """exiftool shows none of the planted values and no identifying tag in the clean copy."""
    if not exiftool.AVAILABLE:
        pytest.skip("exiftool is not installed")
    path = tmp_path / name
    path.write_bytes(data)
    # -G1:4 numbers repeated tags (Copy1:Comment...), which plain -j -a would fold into one.
    every = subprocess.run(["exiftool", "-j", "-a", "-G1:4", "-ee", "-b", "-u", str(path)],
                           capture_output=True, text=True, timeout=60).stdout
    for value in planted:
        assert value not in every, value
    left = {k: v for k, v in exiftool.identifying(path).items() if not k.startswith(ignore_groups)}
    assert left == {}
    return exiftool.tags(path)


def categories(findings: list[Finding]) -> set[Category]:
    return {finding.category for finding in findings}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def insert_before(data: bytes, before: bytes, extra: bytes) -> bytes:
    offset = 8
    while data[offset + 4:offset + 8] != before:
        offset += 12 + struct.unpack(">I", data[offset:offset + 4])[0]
    return data[:offset] + extra + data[offset:]


def noise(size: tuple[int, int] = (48, 32), mode: str = "RGB", seed: int = 7) -> Image.Image:
    """Reproducible noise, so every run tests the same bytes."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(3 * size[0] * size[1])).convert(mode)


def planted_png(image: Image.Image | None = None, icc: bytes | None = None, **save: object) -> bytes:
    image = image or noise()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST)
    info.add_text("Software", SOFTWARE)
    info.add_text("Creation Time", "2019-07-04 13:37")
    info.add_text("Comment", COMMENT, zip=True)
    info.add_itxt("Description", DESCRIPTION, lang="en", tkey="Beschreibung", zip=True)
    info.add_itxt("XML:com.adobe.xmp", planted_xmp().decode())
    info.add_text("Raw profile type exif", raw_profile("exif", b"Exif\0\0" + planted_exif()))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=planted_exif(), icc_profile=icc or planted_icc(), **save)
    data = insert_before(out.getvalue(), b"IDAT", chunk(b"tIME", struct.pack(">HBBBBB", 2019, 7, 4, 13, 37, 0))
                         + chunk(b"prVW", HIDDEN_CHUNK.encode()) + chunk(b"caBX", b"jumb" + b"c2pa" * 4))
    return data + TAIL.encode()


def interlaced_png(width: int = 13, height: int = 9, extra: bytes = b"") -> bytes:
    """Pillow cannot write Adam7; a black 8-bit grey image needs one zero per filter byte and pixel."""
    size = 0
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)):
        columns, rows = len(range(x0, width, dx)), len(range(y0, height, dy))
        size += rows * (1 + columns) if columns and rows else 0
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 1)
    return (png.SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Author\0" + ARTIST.encode())
            + chunk(b"IDAT", zlib.compress(bytes(size) + extra)) + chunk(b"IEND", b""))


def small_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", COMMENT, zip=True)
    out = io.BytesIO()
    noise((9, 7)).save(out, "PNG", pnginfo=info, exif=planted_exif())
    return out.getvalue()


def idat_png(raw: bytes, width: int = 4, height: int = 4, colour: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return png.SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def apng(sequence: list[int] | None = None, drop_fctl: bool = False, frames_declared: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    idat = zlib.compress(bytes(6))
    seq = sequence or [0, 1, 2]
    fctl = lambda n: chunk(b"fcTL", struct.pack(">IIIIIHHBB", n, 2, 2, 0, 0, 1, 10, 0, 0))  # noqa: E731
    body = (chunk(b"IHDR", ihdr) + chunk(b"acTL", struct.pack(">II", frames_declared, 0)) + fctl(seq[0])
            + chunk(b"IDAT", idat) + (b"" if drop_fctl else fctl(seq[1]))
            + chunk(b"fdAT", struct.pack(">I", seq[2]) + idat) + chunk(b"IEND", b""))
    return png.SIGNATURE + body
