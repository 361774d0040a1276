"""Red-team regressions for the image cleaners: files written by Pillow, then
filled by exiftool with a unique planted value in every category, never seen
by the other tests. Each must come out with no planted value anywhere (raw,
every view, every zlib stream) and with the same pixels and orientation."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageOps, ImageSequence

from intake.clean import clean_bytes, inspect_bytes
from intake.formats import handler_for
from intake.support.sniff import sniff_bytes

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

MARK = "RTPLANT"
_PLANTED = re.compile(rb"RTPLANT|R\0T\0P\0L\0A\0N\0T")
_TEXT_TAGS = (
    "Artist", "Copyright", "XPAuthor", "OwnerName", "CameraOwnerName", "Make", "Model", "SerialNumber",
    "LensSerialNumber", "InternalSerialNumber", "Software", "ImageDescription", "UserComment", "HostComputer",
    "XMP-dc:Creator", "XMP-photoshop:City", "XMP-xmp:CreatorTool", "XMP-exif:GPSAreaInformation",
    "IPTC:By-line", "IPTC:City", "IPTC:Country-PrimaryLocationName",
)


def _picture(frames: int = 1) -> list[Image.Image]:
    pictures = []
    for seed in range(frames):
        picture = Image.new("RGB", (40, 24))
        picture.putdata([((x * 7 + seed * 50) % 256, (x * 3) % 256, (x * 11) % 256) for x in range(40 * 24)])
        pictures.append(picture)
    return pictures


def _saved(fmt: str, frames: int = 1, **options) -> bytes:
    pictures = _picture(frames)
    out = io.BytesIO()
    if frames > 1:
        options.update(save_all=True, append_images=pictures[1:])
    pictures[0].save(out, fmt, **options)
    return out.getvalue()


def _exiftool(path: Path, *arguments: str) -> None:
    subprocess.run([EXIFTOOL, "-q", "-q", "-m", "-overwrite_original", *arguments, str(path)],
                   check=True, capture_output=True, timeout=60)


def _planted(path: Path, data: bytes, *extra: str) -> bytes:
    path.write_bytes(data)
    values = [f"-{tag}={MARK}-{number}-{tag.split(':')[-1]}" for number, tag in enumerate(_TEXT_TAGS)]
    _exiftool(path, *values, "-GPSLatitude=12.3456789", "-GPSLongitude=98.7654321", "-GPSAltitude=1234.5",
              "-AllDates=2019:03:04 05:06:07", "-XMP-xmp:CreateDate=2019:03:04 05:06:07",
              "-IPTC:DateCreated=2019:03:04", f"-Comment={MARK}-comment", *extra)
    planted = path.read_bytes()
    assert _PLANTED.search(planted), "exiftool did not plant anything"
    return planted


def _everything_readable(data: bytes) -> list[bytes]:
    blobs = [data] + [view.data for view in handler_for(sniff_bytes(data)).views(data)]
    for blob in list(blobs):
        for start in re.finditer(rb"\x78[\x01\x5e\x9c\xda]", blob):
            try:
                blobs.append(zlib.decompressobj().decompress(blob[start.start():], 1 << 24))
            except zlib.error:
                pass
    return blobs


def _frames(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    return [(frame.mode, frame.size, frame.tobytes()) for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


def _shown(data: bytes) -> tuple[tuple[int, int], bytes]:
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    return shown.size, shown.tobytes()


CASES = {
    "progressive.jpg": lambda: _saved("JPEG", progressive=True),
    "cmyk.jpg": lambda: _cmyk_jpeg(),
    "palette-trns.png": lambda: _palette_png(),
    "animated.png": lambda: _saved("PNG", frames=3, duration=100),
    "animated.gif": lambda: _saved("GIF", frames=3, duration=100, loop=0),
    "animated.webp": lambda: _saved("WEBP", frames=3, duration=100, lossless=True),
    "multipage.tif": lambda: _saved("TIFF", frames=3, compression="tiff_lzw"),
}


def _cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    _picture()[0].convert("CMYK").save(out, "JPEG")
    return out.getvalue()


def _palette_png() -> bytes:
    out = io.BytesIO()
    _picture()[0].convert("P", palette=Image.ADAPTIVE, colors=16).save(out, "PNG", transparency=3)
    return out.getvalue()


@needs_exiftool
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("orientation", [None, 6])
def test_exiftool_planted_values_never_survive(name: str, orientation: int | None, tmp_path: Path) -> None:
    extra = [f"-Orientation#={orientation}"] if orientation and not name.endswith(".gif") else []
    dirty = _planted(tmp_path / name, CASES[name](), *extra)
    clean = clean_bytes(dirty).data
    for blob in _everything_readable(clean):
        assert not _PLANTED.search(blob)
        assert b"2019:03:04" not in blob and b"2019-03-04" not in blob
    assert _frames(clean) == _frames(dirty)
    assert _shown(clean) == _shown(dirty)


# An orientation stated only in XMP (tiff:Orientation, no EXIF orientation) is
# obeyed by Pillow's exif_transpose (and MWG-following tools) but ignored by
# browsers. Writing it into EXIF would change what browsers show; the decision
# (docs/sanitizing.md): keep it where it was, in an XMP packet holding nothing
# else, so both see what they saw. Done for JPEG; PNG, WebP and TIFF still drop it.
_NOT_YET = pytest.mark.xfail(strict=True, reason="XMP-only orientation is still dropped in this format")


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", [("JPEG", "jpg"), pytest.param("PNG", "png", marks=_NOT_YET),
                                        pytest.param("WEBP", "webp", marks=_NOT_YET),
                                        pytest.param("TIFF", "tif", marks=_NOT_YET)])
def test_orientation_given_only_in_xmp_is_kept(fmt: str, suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, "-XMP-tiff:Orientation#=6")
    dirty = path.read_bytes()
    assert _shown(clean_bytes(dirty).data) == _shown(dirty)


def _xmp_tags(path: Path) -> dict[str, str]:
    found = subprocess.run([EXIFTOOL, "-j", "-n", "-a", "-G1", "-XMP:all", str(path)], check=True, capture_output=True,
                           text=True, timeout=60)
    return {tag: value for tag, value in json.loads(found.stdout)[0].items() if tag.startswith("XMP")}


@needs_exiftool
def test_a_jpeg_keeps_its_xmp_orientation_alone_and_only_where_exif_states_none(tmp_path: Path) -> None:
    path = tmp_path / "xmp-orientation.jpg"
    path.write_bytes(_saved("JPEG"))
    _exiftool(path, "-XMP-tiff:Orientation#=6", f"-XMP-dc:Creator={MARK}-creator", f"-EXIF:Artist={MARK}-artist")
    dirty = path.read_bytes()
    clean = tmp_path / "clean.jpg"
    clean.write_bytes(clean_bytes(dirty).data)
    assert _shown(clean.read_bytes()) == _shown(dirty) != _shown(_saved("JPEG"))
    assert _xmp_tags(clean) == {"XMP-tiff:Orientation": 6} and MARK.encode() not in clean.read_bytes()
    assert inspect_bytes(clean.read_bytes()).findings == []
    _exiftool(path, "-EXIF:Orientation#=1")  # EXIF's orientation is the one shown: the XMP one goes
    clean.write_bytes(clean_bytes(path.read_bytes()).data)
    assert _xmp_tags(clean) == {} and _shown(clean.read_bytes()) == _shown(path.read_bytes())
