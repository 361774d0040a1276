"""WebP cleaning: EXIF, XMP, private profiles and foreign chunks go; the image chunks stay."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import pytest
from PIL import Image, ImageOps, ImageSequence

from intake.formats import webp
from intake.formats.base import Category
from intake.errors import Refused
from png_builders import (ARTIST, GPS_DECIMAL, ICC_COPYRIGHT, ICC_DESC, PLANTED, SERIAL, TAIL, XMP_CREATOR,
                             assert_nothing_planted, categories, exiftool_check, noise, planted_exif, planted_icc,
                             planted_xmp, standard_icc)

HIDDEN_CHUNK = "PLANTED-WEBP-CHUNK-odd"  # 22 bytes, padded: see odd_chunk
FRAME_CHUNK = "PLANTED-IN-FRAME-3b"
PLANTED_HERE = PLANTED + (HIDDEN_CHUNK, FRAME_CHUNK)


# ---------------------------------------------------------------- RIFF helpers (independent of the module)

def riff_chunk(fourcc: bytes, data: bytes, pad: bytes = b"\0") -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (pad if len(data) % 2 else b"")


def chunks_of(data: bytes, start: int = 12, end: int | None = None) -> list[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    out, offset = [], start
    while offset < end:
        size = struct.unpack("<I", data[offset + 4:offset + 8])[0]
        out.append((data[offset:offset + 4], data[offset + 8:offset + 8 + size]))
        offset += 8 + size + size % 2
    return out


def riff(body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def rebuild(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return riff(b"".join(riff_chunk(fourcc, data) for fourcc, data in chunks))


def saved(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", **options)
    return out.getvalue()


def dirty_webp(prefix: bytes = b"Exif\0\0", **options: object) -> bytes:
    options = {"lossless": True, **options}
    data = saved(noise((40, 28), "RGBA"), exif=prefix + planted_exif(), xmp=planted_xmp(), icc_profile=planted_icc(),
                 **options)
    odd = HIDDEN_CHUNK.encode() + b"!"  # 23 bytes: an odd size, padded
    return rebuild(chunks_of(data) + [(b"PLNT", odd)]) + TAIL.encode()


def pixels(data: bytes) -> list[tuple[str, bytes]]:
    return [(frame.mode, frame.tobytes()) for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


@pytest.fixture(scope="module")
def dirty() -> bytes:
    return dirty_webp()


# ---------------------------------------------------------------- the planted file

def test_planted_values_are_found(dirty: bytes) -> None:
    findings = webp.inspect(dirty)
    shown = {(f.value, f.category, f.where) for f in findings}
    for expected in [
        (GPS_DECIMAL, Category.LOCATION, "EXIF (WebP EXIF chunk)"),
        (ARTIST, Category.PERSON, "EXIF (WebP EXIF chunk)"),
        (SERIAL, Category.DEVICE, "EXIF (WebP EXIF chunk)"),
        (XMP_CREATOR, Category.PERSON, "XMP (WebP XMP chunk)"),
        (ICC_DESC, Category.DEVICE, "WebP ICCP chunk (colour profile)"),
        (ICC_COPYRIGHT, Category.PERSON, "WebP ICCP chunk (colour profile)"),
        ("23 bytes", Category.HIDDEN, "WebP PLNT chunk"),
        (f"{len(TAIL)} bytes", Category.HIDDEN, "bytes after the end of the image"),
    ]:
        assert expected in shown, expected
    assert any(f.field == "embedded thumbnail" for f in findings)
    assert set(Category) - {Category.OTHER} <= categories(findings)


@pytest.mark.parametrize("prefix", [b"Exif\0\0", b""], ids=["with-Exif-prefix", "bare-TIFF"])
@pytest.mark.parametrize("options", [{"lossless": True}, {"lossless": False, "quality": 80}], ids=["VP8L", "VP8+ALPH"])
def test_clean_copy_has_no_planted_value_and_same_pixels(prefix: bytes, options: dict, tmp_path: Path) -> None:
    data = dirty_webp(prefix, **options)
    assert any(f.value == GPS_DECIMAL for f in webp.inspect(data))
    clean = webp.sanitize(data)
    assert_nothing_planted(clean, webp.views(clean), PLANTED_HERE)
    assert webp.inspect(clean) == []
    assert pixels(clean) == pixels(data)
    assert webp.content(clean) == webp.content(data)
    kept = [fourcc for fourcc, _ in chunks_of(clean)]
    assert kept == [b"VP8X", b"VP8L", b"EXIF"] if options["lossless"] else [b"VP8X", b"ALPH", b"VP8 ", b"EXIF"]
    image_chunks = [c for c in chunks_of(data) if c[0] in (b"VP8L", b"VP8 ", b"ALPH")]
    assert [c for c in chunks_of(clean) if c[0] in (b"VP8L", b"VP8 ", b"ALPH")] == image_chunks
    flags = chunks_of(clean)[0][1][0]
    assert flags & 0x08 and not flags & 0x04 and not flags & 0x20  # EXIF (orientation) yes; XMP, ICC no
    assert dict(Image.open(io.BytesIO(clean)).getexif()) == {0x0112: 6}
    assert webp.sanitize(clean) == clean
    exiftool_check(tmp_path, "clean.webp", clean, PLANTED_HERE)


def _exif_flag_cleared(data: bytes) -> bytes:
    chunks = chunks_of(data)
    assert chunks[0][0] == b"VP8X" and chunks[0][1][0] & 0x08
    return rebuild([(b"VP8X", bytes([chunks[0][1][0] & ~0x08]) + chunks[0][1][1:])] + chunks[1:])


def test_an_exif_orientation_vp8x_does_not_flag_turns_nothing_and_is_dropped() -> None:
    """Readers (libwebp, Pillow) read a WebP's EXIF only when VP8X flags it: an unflagged EXIF
    orientation turns nothing, so the clean copy must not keep it and flag it (Pillow would turn
    the picture). An XMP orientation is then the one stated, and kept."""
    flagged = saved(noise((40, 20)), lossless=True, exif=b"Exif\0\0" + planted_exif(orientation=6))
    unflagged = _exif_flag_cleared(flagged)
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(unflagged))).size
    assert shown == (40, 20) != ImageOps.exif_transpose(Image.open(io.BytesIO(flagged))).size
    clean = webp.sanitize(unflagged)
    assert b"EXIF" not in clean and chunks_of(clean)[0][1][0] & 0x08 == 0
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(clean))).size == shown
    assert webp.inspect(clean) == [] and pixels(clean) == pixels(unflagged)
    assert [fourcc for fourcc, _ in chunks_of(webp.sanitize(flagged))] == [b"VP8X", b"VP8L", b"EXIF"]

    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' \
          b'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="8"/>' \
          b'</rdf:RDF></x:xmpmeta>'
    both = saved(noise((40, 20)), lossless=True, exif=b"Exif\0\0" + planted_exif(orientation=6), xmp=xmp)
    unflagged_exif = _exif_flag_cleared(both)
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(unflagged_exif))).getpixel((0, 0))
    clean = webp.sanitize(unflagged_exif)
    assert [fourcc for fourcc, _ in chunks_of(clean)] == [b"VP8X", b"VP8L", b"XMP "]
    turned = ImageOps.exif_transpose(Image.open(io.BytesIO(clean)))
    assert turned.size == ImageOps.exif_transpose(Image.open(io.BytesIO(unflagged_exif))).size == (20, 40)
    assert turned.getpixel((0, 0)) == shown


def test_orientation_one_leaves_no_exif_at_all() -> None:
    data = saved(noise((8, 8)), lossless=True, exif=b"Exif\0\0" + planted_exif(orientation=1))
    clean = webp.sanitize(data)
    assert b"EXIF" not in clean and chunks_of(clean)[0][1][0] & 0x08 == 0


def test_standard_profile_is_kept_without_its_date(tmp_path: Path) -> None:
    profile = standard_icc()
    data = saved(noise((8, 8)), lossless=True, icc_profile=profile)
    # lcms stamps the date and names itself as colour engine, platform and creator: all zeroed.
    assert [f.field for f in webp.inspect(data)] == ["ICC preferred colour engine", "ICC profile creation date",
                                                     "ICC platform", "ICC profile creator"]
    clean = webp.sanitize(data)
    kept = Image.open(io.BytesIO(clean)).info["icc_profile"]
    assert kept[24:36] == bytes(12) and kept[4:8] == kept[40:44] == kept[80:84] == bytes(4)
    assert kept[:4] + kept[8:24] + kept[100:] == profile[:4] + profile[8:24] + profile[100:]
    assert chunks_of(clean)[0][1][0] & 0x20  # the ICC flag stays
    assert webp.inspect(clean) == [] and pixels(clean) == pixels(data)
    exiftool_check(tmp_path, "srgb.webp", clean, ignore_groups=("ICC",))


def animated(frames: int = 3) -> bytes:
    images = [noise((16, 12), "RGBA", seed=i) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "WEBP", save_all=True, append_images=images[1:], duration=[80, 120, 160][:frames], loop=3,
                   lossless=True, exif=b"Exif\0\0" + planted_exif(), xmp=planted_xmp())
    return out.getvalue()


def with_frame_extra(data: bytes, extra: bytes) -> bytes:
    """The second ANMF frame with an extra sub-chunk after its bitstream."""
    chunks = chunks_of(data)
    index = [i for i, (fourcc, _) in enumerate(chunks) if fourcc == b"ANMF"][1]
    chunks[index] = (b"ANMF", chunks[index][1] + extra)
    return rebuild(chunks)


def test_animation_frames_and_their_unknown_chunks(tmp_path: Path) -> None:
    data = with_frame_extra(animated(), riff_chunk(b"PLNF", FRAME_CHUNK.encode()))
    findings = webp.inspect(data)
    assert (f"{len(FRAME_CHUNK)} bytes", Category.HIDDEN,
            "WebP PLNF chunk inside an animation frame") in {(f.value, f.category, f.where) for f in findings}
    clean = webp.sanitize(data)
    assert FRAME_CHUNK.encode() not in clean and ARTIST.encode() not in clean
    assert pixels(clean) == pixels(data)
    assert Image.open(io.BytesIO(clean)).info["loop"] == 3
    assert webp.content(clean) == webp.content(data) and webp.inspect(clean) == []
    # The frames (with their durations and offsets in the ANMF headers) are back to what Pillow wrote.
    assert [c for c in chunks_of(clean) if c[0] in (b"ANIM", b"ANMF")] == \
           [c for c in chunks_of(animated()) if c[0] in (b"ANIM", b"ANMF")]
    exiftool_check(tmp_path, "anim.webp", clean, PLANTED_HERE)


def test_simple_webp_with_trailing_metadata_chunks() -> None:
    simple = saved(noise((8, 8)), lossless=True)
    assert chunks_of(simple)[0][0] == b"VP8L" and len(chunks_of(simple)) == 1
    data = rebuild(chunks_of(simple) + [(b"EXIF", planted_exif()), (b"XMP ", planted_xmp())])
    assert any(f.value == ARTIST for f in webp.inspect(data))
    assert webp.sanitize(data) == simple  # no VP8X to flag an orientation with, so no EXIF at all


def test_non_zero_padding_is_reported_and_zeroed() -> None:
    fourcc, bitstream = chunks_of(saved(noise((8, 8)), lossless=True))[0]
    odd = bitstream + b"\0" if len(bitstream) % 2 == 0 else bitstream  # not decoded here: only its size matters
    data = riff(riff_chunk(fourcc, odd, pad=b"\x41"))
    findings = webp.inspect(data)
    assert [(f.field, f.category) for f in findings] == [("padding byte", Category.HIDDEN)]
    clean = webp.sanitize(data)
    assert clean == riff(riff_chunk(fourcc, odd)) and webp.inspect(clean) == []


# ---------------------------------------------------------------- malformed input

def test_truncation_at_every_offset_is_refused() -> None:
    data = saved(noise((6, 6)), lossless=True, exif=planted_exif(), xmp=planted_xmp())
    start = time.monotonic()
    for cut in range(len(data)):
        with pytest.raises(Refused):
            webp.sanitize(data[:cut])
        with pytest.raises(Refused):
            webp.inspect(data[:cut])
    assert time.monotonic() - start < 10


def test_random_corruption_raises_only_refused() -> None:
    data = dirty_webp()
    for position in range(0, len(data), 13):
        for value in (0x00, 0x7F, 0xFF):
            corrupt = data[:position] + bytes([value]) + data[position + 1:]
            try:
                clean = webp.sanitize(corrupt)
            except Refused as refusal:
                assert str(refusal) and "\n" not in str(refusal)
                continue
            assert webp.inspect(clean) == []
            assert webp.content(clean) == webp.content(corrupt)


def _vp8x(flags: int) -> bytes:
    return riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (7).to_bytes(3, "little") + (7).to_bytes(3, "little"))


LOSSLESS = chunks_of(saved(noise((8, 8)), lossless=True))[0]
FRAME = riff_chunk(b"ANMF", bytes(16) + riff_chunk(*LOSSLESS))


@pytest.mark.parametrize("data,reason", [
    (b"RIFF\x04\0\0\0WEBP", "RIFF size"),
    (b"RIFF", "not a WebP"),
    (b"RIFF\x10\0\0\0WAVEfmt ", "not a WebP"),
    (riff(riff_chunk(*LOSSLESS))[:-2], "truncated"),
    (b"RIFF" + struct.pack("<I", 4 + len(riff_chunk(*LOSSLESS)) + 2) + b"WEBP" + riff_chunk(*LOSSLESS), "truncated"),
    (riff(riff_chunk(*LOSSLESS) + b"EXIF\x03\0\0\0abc"), "RIFF size"),   # odd chunk without its padding
    (riff(riff_chunk(*LOSSLESS) + b"EXIF\x03\0\0\0abc" + riff_chunk(b"XMP ", b"xy") + b"\0"), "not printable"),
    (riff(riff_chunk(*LOSSLESS) + b"EXIF\x40\0\0\0" + bytes(8)), "runs past"),
    (riff(riff_chunk(*LOSSLESS) + riff_chunk(b"ICCP", planted_icc())), "simple WebP"),
    (riff(riff_chunk(*LOSSLESS) + riff_chunk(*LOSSLESS)), "simple WebP"),
    (riff(riff_chunk(b"VP8X", bytes(9)) + riff_chunk(*LOSSLESS)), "VP8X"),
    (riff(_vp8x(0) + riff_chunk(*LOSSLESS) + riff_chunk(*LOSSLESS)), "exactly one image"),
    (riff(_vp8x(0) + riff_chunk(*LOSSLESS) + FRAME), "exactly one image"),         # a hidden frame
    (riff(_vp8x(0x02) + FRAME), "ANIM"),
    (riff(_vp8x(0x02) + riff_chunk(b"ANIM", bytes(6)) + FRAME + riff_chunk(*LOSSLESS)), "outside its frames"),
    (riff(_vp8x(0) + riff_chunk(b"\x01\x02\x03\x04", b"")), "not printable"),
    (riff(_vp8x(0x02) + riff_chunk(b"ANIM", bytes(6)) + riff_chunk(b"ANMF", bytes(10))), "too short"),
    (riff(riff_chunk(b"ALPH", b"x") + riff_chunk(*LOSSLESS)), "does not start"),
    (riff(b""), "RIFF size"),
])
def test_malformed_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        webp.sanitize(data)
    with pytest.raises(Refused):
        webp.content(data)


def test_too_many_chunks_are_refused_quickly() -> None:
    start = time.monotonic()
    with pytest.raises(Refused, match="more than 100000 chunks"):
        webp.inspect(riff(riff_chunk(*LOSSLESS) + riff_chunk(b"PLNT", b"") * 100_000))
    frame = riff_chunk(b"ANMF", bytes(16) + riff_chunk(*LOSSLESS) + riff_chunk(b"PLNT", b"") * 16)
    with pytest.raises(Refused, match="more than 16 chunks"):
        webp.inspect(riff(_vp8x(0x02) + riff_chunk(b"ANIM", bytes(6)) + frame))
    assert time.monotonic() - start < 5


def test_well_formed_minimal_layouts_are_accepted() -> None:
    still = riff(_vp8x(0) + riff_chunk(*LOSSLESS))
    assert webp.sanitize(still) == still
    anim = riff(_vp8x(0x02) + riff_chunk(b"ANIM", bytes(6)) + FRAME + FRAME)
    assert webp.sanitize(anim) == anim
