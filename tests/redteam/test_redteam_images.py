"""Red-team regressions for the image cleaners: files written by Pillow, then
filled by exiftool with a unique planted value in every category, never seen
by the other tests. Each must come out with no planted value anywhere (raw,
every view, every zlib stream) and with the same pixels and orientation."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageOps, ImageSequence, PngImagePlugin

from intake.clean import clean_bytes, clean_file, inspect_bytes, inspect_file
from intake.errors import Refused
from intake.formats import handler_for
from intake.formats.base import CHUNK_SETTING, streams
from intake.support.sniff import sniff_bytes
from png_builders import raw_profile

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
# else, so both see what they saw. JPEG, PNG, WebP and TIFF alike.
XMP_FORMATS = [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tif")]


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS)
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


def _cleaned_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The clean copy in memory (clean_bytes) and file to file (clean_file: PNG and TIFF by their
    stream verbs, in 5-byte pieces so that every piece boundary is crossed; JPEG and WebP from a
    map of the file), which must be the same bytes; both inspect it and find nothing."""
    dirty = path.read_bytes()
    in_memory = clean_bytes(dirty).data
    monkeypatch.setenv(CHUNK_SETTING, "5")
    with path.open("rb") as source, (path.parent / f"streamed-{path.name}").open("w+b") as out:
        clean_file(source, out)
        out.seek(0)
        assert out.read() == in_memory
        assert inspect_file(out).findings == []
    monkeypatch.delenv(CHUNK_SETTING)
    assert inspect_bytes(in_memory).findings == []
    return in_memory


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS)
def test_an_xmp_orientation_is_kept_alone_and_only_where_exif_states_none(fmt: str, suffix: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, "-XMP-tiff:Orientation#=6", f"-XMP-dc:Creator={MARK}-creator", f"-EXIF:Artist={MARK}-artist")
    dirty = path.read_bytes()
    clean = tmp_path / f"clean.{suffix}"
    clean.write_bytes(_cleaned_both_ways(path, monkeypatch))
    assert _shown(clean.read_bytes()) == _shown(dirty) != _shown(_saved(fmt))
    assert _xmp_tags(clean) == {"XMP-tiff:Orientation": 6} and MARK.encode() not in clean.read_bytes()
    _exiftool(path, "-EXIF:Orientation#=1")  # EXIF's orientation is the one shown: the XMP one goes
    clean.write_bytes(_cleaned_both_ways(path, monkeypatch))
    assert _xmp_tags(clean) == {} and _shown(clean.read_bytes()) == _shown(path.read_bytes())


def test_png_and_tiff_take_the_stream_path_of_clean_file() -> None:
    """What _cleaned_both_ways relies on: clean_file cleans these two by their stream verbs."""
    assert all(streams(handler_for(media)) for media in ("image/png", "image/tiff"))
    assert not any(streams(handler_for(media)) for media in ("image/jpeg", "image/webp"))


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS)
@pytest.mark.parametrize("orientation", [1, 9])
def test_an_xmp_orientation_that_turns_nothing_is_not_kept(fmt: str, suffix: str, orientation: int,
                                                          tmp_path: Path) -> None:
    """1 turns nothing, and readers ignore values outside 1-8: the packet goes with the rest."""
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, f"-XMP-tiff:Orientation#={orientation}", f"-XMP-dc:Creator={MARK}-creator")
    clean = tmp_path / f"clean.{suffix}"
    clean.write_bytes(clean_bytes(path.read_bytes()).data)
    assert _xmp_tags(clean) == {} and _shown(clean.read_bytes()) == _shown(path.read_bytes())


# A second packet, written as Adobe's tools write a property (an element, not an attribute).
def _second_packet(orientation: int) -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/">'
            b'<tiff:Orientation>%d</tiff:Orientation></rdf:Description></rdf:RDF></x:xmpmeta>' % orientation)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _riff_chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def _with_webp_chunks(data: bytes, *chunks: bytes) -> bytes:
    body = data[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _with_packet(fmt: str, data: bytes, packet: bytes) -> bytes:
    """`data` with one more XMP packet, where its format keeps XMP."""
    if fmt == "JPEG":
        segment = b"http://ns.adobe.com/xap/1.0/\0" + packet
        return data[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + data[2:]
    if fmt == "PNG":
        return data[:33] + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + packet) + data[33:]
    return _with_webp_chunks(data, _riff_chunk(b"XMP ", packet))


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS[:3])  # a TIFF directory holds one XMP tag (two are refused)
def test_xmp_packets_that_disagree_on_the_orientation_are_refused(fmt: str, suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, "-XMP-tiff:Orientation#=6", f"-XMP-dc:Creator={MARK}-creator")
    with pytest.raises(Refused, match="XMP packets disagree on the picture's orientation"):
        clean_bytes(_with_packet(fmt, path.read_bytes(), _second_packet(3)))
    agreeing = _with_packet(fmt, path.read_bytes(), _second_packet(6))
    clean = tmp_path / f"clean.{suffix}"
    clean.write_bytes(clean_bytes(agreeing).data)
    assert _xmp_tags(clean) == {"XMP-tiff:Orientation": 6} and _shown(clean.read_bytes()) == _shown(agreeing)
    assert clean.read_bytes().count(b"tiff:Orientation") == 1


@needs_exiftool
def test_a_webp_xmp_orientation_that_libwebp_does_not_read_is_not_kept(tmp_path: Path) -> None:
    """libwebp reads XMP only where VP8X sets its XMP bit, so neither a packet whose bit is clear
    nor one after a simple (VP8X-less) WebP's image turns the picture: both go with the rest."""
    path = tmp_path / "xmp-orientation.webp"
    path.write_bytes(_saved("WEBP"))
    _exiftool(path, "-XMP-tiff:Orientation#=6")
    flagged = path.read_bytes()
    assert flagged[12:16] == b"VP8X" and flagged[20] & 0x04
    unflagged = flagged[:20] + bytes([flagged[20] & ~0x04]) + flagged[21:]
    simple = _with_webp_chunks(_saved("WEBP"), _riff_chunk(b"XMP ", _second_packet(6)))
    assert simple[12:16] == b"VP8 "
    for dirty in (unflagged, simple):
        clean = clean_bytes(dirty).data
        assert _shown(clean) == _shown(dirty) == _shown(_saved("WEBP")) and b"Orientation" not in clean


def _checked_by_its_tool(suffix: str, path: Path) -> None:
    """The format's own checker, where one is installed (Debian: pngcheck, webp, libtiff-tools)."""
    command = {"png": ["pngcheck", "-q"], "webp": ["webpinfo", "-quiet"], "tif": ["tiffinfo", "-D"]}.get(suffix)
    if command is None:
        return  # no independent JPEG checker is installed here; Pillow decodes it below
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed, so the {suffix} file is checked by Pillow alone")
    checked = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS)
def test_a_clean_copy_keeping_an_xmp_orientation_is_a_valid_file_of_its_format(fmt: str, suffix: str,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, "-XMP-tiff:Orientation#=6", f"-XMP-dc:Creator={MARK}-creator")
    clean = tmp_path / f"clean.{suffix}"
    clean.write_bytes(clean_bytes(path.read_bytes()).data)
    with Image.open(clean) as picture:
        assert picture.format == fmt
        picture.load()
        assert picture.tobytes() == Image.open(path).tobytes()
    _checked_by_its_tool(suffix, clean)


def _png_crcs_mended(data: bytes) -> bytes:
    out, offset = bytearray(data[:8]), 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        out += _png_chunk(data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length])
        offset += 12 + length
    return bytes(out)


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix", XMP_FORMATS)
def test_inspect_accepts_the_kept_packet_and_nothing_like_it(fmt: str, suffix: str, tmp_path: Path) -> None:
    """Fail closed: a packet that differs from the one cleaning writes by one byte (another
    namespace, the same length) is reported, and cleaning writes its own packet again."""
    path = tmp_path / f"xmp-orientation.{suffix}"
    path.write_bytes(_saved(fmt))
    _exiftool(path, "-XMP-tiff:Orientation#=6")
    clean = clean_bytes(path.read_bytes()).data
    tampered = clean.replace(b"/tiff/1.0/", b"/tiff/1.1/")
    tampered = _png_crcs_mended(tampered) if fmt == "PNG" else tampered
    assert tampered != clean and inspect_bytes(clean).findings == []
    assert [finding.field for finding in inspect_bytes(tampered).findings] == ["Orientation"]
    assert clean_bytes(tampered).data == clean


# ImageMagick keeps a PNG's EXIF in a text chunk named `Raw profile type exif`
# (hex of `Exif\0\0` + TIFF); Pillow reads it where there is no eXIf chunk, and
# exif_transpose turns the picture by its orientation (browsers ignore it). The
# same decision as for XMP: keep it where it was, in a profile holding the
# minimal EXIF (IFD0, Orientation) alone, so every reader sees what it saw.
def _raw_exif_png(*orientations: int | None, zipped: bool = True) -> bytes:
    """A PNG with one raw EXIF profile per orientation (None: no Orientation entry), each with
    planted Make, Artist and GPS, written by Pillow as ImageMagick lays the text out."""
    info = PngImagePlugin.PngInfo()
    for orientation in orientations:
        exif = Image.Exif()
        exif[0x010F], exif[0x013B] = f"{MARK}-make", f"{MARK}-artist"
        if orientation is not None:
            exif[0x0112] = orientation
        exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 34.0, 56.0)})
        info.add_text("Raw profile type exif", raw_profile("exif", exif.tobytes()), zip=zipped)
    out = io.BytesIO()
    _picture()[0].save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _exif_tags(path: Path) -> dict[str, object]:
    found = subprocess.run([EXIFTOOL, "-j", "-n", "-a", "-G1", "-EXIF:all", str(path)], check=True,
                           capture_output=True, text=True, timeout=60)
    return {tag: value for tag, value in json.loads(found.stdout)[0].items() if tag != "SourceFile"}


@needs_exiftool
@pytest.mark.parametrize("zipped", [True, False])
def test_an_orientation_only_in_a_raw_exif_profile_is_kept_alone_in_one(zipped: bool, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "raw-exif.png"
    path.write_bytes(_raw_exif_png(6, zipped=zipped))
    dirty = path.read_bytes()
    assert _exif_tags(path)["IFD0:Make"] == f"{MARK}-make"  # exiftool reads the profile as EXIF
    clean = tmp_path / "clean.png"
    clean.write_bytes(_cleaned_both_ways(path, monkeypatch))
    assert _shown(clean.read_bytes()) == _shown(dirty) != _shown(_saved("PNG"))
    assert _exif_tags(clean) == {"IFD0:Orientation": 6} and MARK.encode() not in clean.read_bytes()
    chunks = _png_chunks(clean.read_bytes())
    assert [kind for kind, _ in chunks[:3]] == [b"IHDR", b"tEXt", b"IDAT"] and chunks[1][1].startswith(_RAW_EXIF)
    assert sum(data.startswith(b"Raw profile") for _, data in chunks) == 1
    assert clean_bytes(clean.read_bytes()).data == clean.read_bytes()
    _checked_by_its_tool("png", clean)


@pytest.mark.parametrize("orientation", [1, 9, None])
def test_a_raw_exif_profile_whose_orientation_turns_nothing_is_not_kept(orientation: int | None) -> None:
    """1 turns nothing and readers ignore values outside 1-8: the profile goes with the rest."""
    dirty = _raw_exif_png(orientation)
    clean = clean_bytes(dirty).data
    assert b"Raw profile" not in clean and _shown(clean) == _shown(dirty) == _shown(_saved("PNG"))


def test_raw_exif_profiles_that_disagree_on_the_orientation_are_refused() -> None:
    """Pillow obeys the last profile, other readers the first: which one is shown is not known.
    A profile without an orientation entry disagrees with one that has it."""
    for orientations in [(6, 3), (6, None), (None, 1)]:
        with pytest.raises(Refused, match="raw EXIF profiles .* disagree on the picture's orientation"):
            clean_bytes(_raw_exif_png(*orientations))
    agreeing = _raw_exif_png(6, 6)
    clean = clean_bytes(agreeing).data
    assert clean.count(b"Raw profile type exif") == 1 and _shown(clean) == _shown(agreeing)


def test_with_an_exif_chunk_the_raw_exif_profile_goes() -> None:
    """Pillow reads eXIf when there is one (even without an orientation; checked with Pillow 13):
    the raw profile turns nothing, so it goes; the eXIf orientation is kept as before."""
    for exif_orientation in (3, None):
        exif = Image.Exif()
        if exif_orientation:
            exif[0x0112] = exif_orientation
        dirty = _raw_exif_png(6)
        dirty = dirty[:33] + _png_chunk(b"eXIf", exif.tobytes()[6:]) + dirty[33:]
        clean = clean_bytes(dirty).data
        assert b"Raw profile" not in clean and _shown(clean) == _shown(dirty)
        assert (b"eXIf" in clean) == bool(exif_orientation)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, by an independent walk (not the module's parser)."""
    chunks, offset = [], 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        chunks.append((data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return chunks


_RAW_EXIF = b"Raw profile type exif\0"


def _kept_profile_changed(clean: bytes, how: str) -> bytes:
    """The clean copy with its kept profile (the chunk after IHDR) changed by a byte or so,
    saying the same orientation."""
    kind, data = _png_chunks(clean)[1]
    assert kind == b"tEXt" and data.startswith(_RAW_EXIF)
    text = data[len(_RAW_EXIF):]
    changed = {"upper-case hex": text.replace(b"4d4d", b"4D4d"),
               "no final new line": text[:-1],
               "no Exif header": text.replace(b"      32\n457869660000", b"      26\n")}[how]
    assert changed != text
    return clean[:33] + _png_chunk(b"tEXt", _RAW_EXIF + changed) + clean[33 + 12 + len(data):]


@pytest.mark.parametrize("how", ["upper-case hex", "no final new line", "no Exif header"])
def test_inspect_accepts_the_kept_raw_exif_profile_and_nothing_like_it(how: str) -> None:
    """Fail closed: a profile one byte away from the one cleaning writes, though Pillow reads
    the same orientation from it, is reported, and cleaning writes its own profile again."""
    clean = clean_bytes(_raw_exif_png(6)).data
    tampered = _kept_profile_changed(clean, how)
    assert tampered != clean and inspect_bytes(clean).findings == []
    assert _shown(tampered) == _shown(clean)
    assert inspect_bytes(tampered).findings
    assert clean_bytes(tampered).data == clean
