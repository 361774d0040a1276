"""GIF cleaning: comments, XMP and foreign blocks go; frames, timing and looping stay."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from intake.formats import gif
from intake.formats.base import Category
from intake.errors import Refused
from png_builders import (ICC_COPYRIGHT, ICC_DESC, TAIL, XMP_CITY, XMP_CREATOR, XMP_TOOL, assert_nothing_planted,
                             categories, exiftool_check, noise, planted_icc, planted_xmp)

COMMENT = "PLANTED-GIF-COMMENT-Kherson"
LONG_COMMENT = "PLANTED-SPLIT-COMMENT-across-blocks"
PLAIN_TEXT = "PLANTED-PLAIN-TEXT-caption"
APP_DATA = "PLANTED-APP-DATA-91"
UNKNOWN = "PLANTED-UNKNOWN-EXT-4d"
BYLINE = "PLANTED-IPTC-BYLINE-Ivanenko"
PLANTED = (COMMENT, LONG_COMMENT, PLAIN_TEXT, APP_DATA, UNKNOWN, BYLINE, XMP_CREATOR, XMP_TOOL, XMP_CITY,
           ICC_DESC, ICC_COPYRIGHT, TAIL)
PLAIN_TEXT_DELAY = 777


# ---------------------------------------------------------------- building blocks

def sub_blocks(payload: bytes, size: int = 255) -> bytes:
    return b"".join(bytes([len(part)]) + part for part in
                    (payload[i:i + size] for i in range(0, len(payload), size))) + b"\0"


def comment(text: bytes) -> bytes:
    return b"\x21\xfe" + sub_blocks(text)


def application(ident: bytes, payload: bytes) -> bytes:
    assert len(ident) == 11
    return b"\x21\xff\x0b" + ident + sub_blocks(payload)


def xmp_extension(packet: bytes) -> bytes:
    """XMP is written raw, then a 258-byte "magic trailer" that any sub-block walk ends in."""
    return b"\x21\xff\x0bXMP DataXMP" + packet + b"\x01" + bytes(range(255, -1, -1)) + b"\0"


def control(delay: int, transparent: int | None = None) -> bytes:
    packed = 1 if transparent is not None else 0
    return b"\x21\xf9\x04" + struct.pack("<BHB", packed, delay, transparent or 0) + b"\0"


def plain_text(text: bytes) -> bytes:
    grid = struct.pack("<HHHHBBBB", 0, 0, 40, 8, 8, 8, 1, 0)
    return b"\x21\x01\x0c" + grid + sub_blocks(text)


def screen_end(data: bytes) -> int:
    return 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)


def insert_after_screen(data: bytes, extra: bytes) -> bytes:
    at = screen_end(data)
    return data[:at] + extra + data[at:]


def insert_before_trailer(data: bytes, extra: bytes) -> bytes:
    assert data.endswith(b";")
    return data[:-1] + extra + b";"


def animated(frames: int = 3) -> bytes:
    images = [noise((20, 14), seed=i).convert("P") for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=[100, 200, 300][:frames], loop=0,
                   comment=COMMENT.encode())
    return out.getvalue()


def iptc_record(dataset: int, value: str) -> bytes:
    raw = value.encode()
    return b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(raw)) + raw


def dirty_gif() -> bytes:
    long_comment = b"x" * 240 + LONG_COMMENT.encode() + b"y" * 60  # crosses the 255-byte sub-block boundary
    extras = (xmp_extension(planted_xmp()) + comment(long_comment)
              + application(b"PLANTEDX1.0", APP_DATA.encode()) + application(b"ICCRGBG1012", planted_icc())
              + application(b"MGKIPTC0000", iptc_record(80, BYLINE)) + b"\x21\x99" + sub_blocks(UNKNOWN.encode()))
    data = insert_after_screen(animated(), extras)
    return insert_before_trailer(data, control(PLAIN_TEXT_DELAY) + plain_text(PLAIN_TEXT.encode())) + TAIL.encode()


def frames(data: bytes) -> list[tuple[bytes, int]]:
    image = Image.open(io.BytesIO(data))
    return [(frame.convert("RGBA").tobytes(), frame.info.get("duration")) for frame in ImageSequence.Iterator(image)]


@pytest.fixture(scope="module")
def dirty() -> bytes:
    return dirty_gif()


# ---------------------------------------------------------------- the planted file

def test_planted_values_are_found(dirty: bytes) -> None:
    findings = gif.inspect(dirty)
    shown = {(f.value, f.category, f.where) for f in findings}
    for expected in [
        (COMMENT, Category.OTHER, "GIF comment extension"),
        (XMP_CREATOR, Category.PERSON, "XMP (GIF application extension)"),
        (XMP_CITY, Category.LOCATION, "XMP (GIF application extension)"),
        (ICC_DESC, Category.DEVICE, "GIF application extension 'ICCRGBG1012'"),
        (BYLINE, Category.PERSON, "IPTC (GIF application extension 'MGKIPTC0000')"),
        (PLAIN_TEXT, Category.HIDDEN, "GIF plain text extension"),
        (f"{len(APP_DATA)} bytes", Category.HIDDEN, "GIF application extension 'PLANTEDX1.0'"),
        (f"{len(UNKNOWN)} bytes", Category.HIDDEN, "GIF extension 0x99"),
        (f"{len(TAIL)} bytes", Category.HIDDEN, "bytes after the end of the image"),
    ]:
        assert expected in shown, expected
    assert any(f.field == "comment" and f.value.startswith("xxxx") for f in findings)  # long: shortened
    assert {Category.PERSON, Category.LOCATION, Category.DEVICE, Category.HIDDEN, Category.TIME,
            Category.SOFTWARE, Category.OTHER} <= categories(findings)


def test_clean_copy_has_no_planted_value_and_same_frames(dirty: bytes) -> None:
    clean = gif.sanitize(dirty)
    assert_nothing_planted(clean, gif.views(clean), PLANTED)
    assert gif.inspect(clean) == []
    assert frames(clean) == frames(dirty)
    assert Image.open(io.BytesIO(clean)).info.get("loop") == 0  # NETSCAPE2.0 kept
    assert gif.content(clean) == gif.content(dirty)
    assert struct.pack("<H", PLAIN_TEXT_DELAY) not in clean  # the plain text's control went with it
    assert gif.sanitize(clean) == clean


def test_views_join_split_sub_blocks(dirty: bytes) -> None:
    assert LONG_COMMENT.encode() not in dirty  # a length byte sits in the middle of it
    assert any(LONG_COMMENT.encode() in view.data for view in gif.views(dirty))


def test_exiftool_finds_nothing(dirty: bytes, tmp_path: Path) -> None:
    exiftool_check(tmp_path, "clean.gif", gif.sanitize(dirty), PLANTED)


def test_exiftool_saw_the_planted_values(dirty: bytes, tmp_path: Path) -> None:
    """The fixture is realistic: exiftool itself reads what we planted."""
    import exiftool_judge
    if not exiftool_judge.AVAILABLE:
        pytest.skip("exiftool is not installed")
    path = tmp_path / "dirty.gif"
    path.write_bytes(dirty)
    shown = repr(exiftool_judge.tags(path))
    assert XMP_CREATOR in shown and PLAIN_TEXT in shown and ICC_DESC in shown


def test_control_of_a_removed_plain_text_does_not_move_to_the_next_image() -> None:
    out = io.BytesIO()
    noise((10, 6)).convert("P").save(out, "GIF")
    single = out.getvalue()
    data = insert_after_screen(single, control(PLAIN_TEXT_DELAY) + plain_text(PLAIN_TEXT.encode()))
    clean = gif.sanitize(data)
    assert clean == single
    assert gif.content(clean) == gif.content(data)


def test_gif87a_and_local_colour_tables() -> None:
    images = [noise((9, 9), seed=i).convert("P", palette=Image.Palette.ADAPTIVE, colors=16 + i) for i in range(2)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:])
    data = insert_before_trailer(out.getvalue(), comment(COMMENT.encode()))
    clean = gif.sanitize(data)
    assert frames(clean) == frames(data) and COMMENT.encode() not in clean
    old = b"GIF87a" + gif.sanitize(data)[6:]
    assert gif.sanitize(old) == old


# ---------------------------------------------------------------- malformed input

def test_truncation_at_every_offset_is_refused() -> None:
    data = animated(2)
    start = time.monotonic()
    for cut in range(len(data)):
        with pytest.raises(Refused):
            gif.sanitize(data[:cut])
        with pytest.raises(Refused):
            gif.inspect(data[:cut])
    assert time.monotonic() - start < 10


def test_random_corruption_raises_only_refused() -> None:
    data = dirty_gif()
    for position in range(0, len(data), 7):
        for value in (0x00, 0x21, 0x2C, 0x3B, 0xFF):
            corrupt = data[:position] + bytes([value]) + data[position + 1:]
            try:
                clean = gif.sanitize(corrupt)
            except Refused:
                continue
            assert gif.inspect(clean) == []
            assert gif.content(clean) == gif.content(corrupt)


def test_millions_of_tiny_sub_blocks_are_refused() -> None:
    data = insert_after_screen(animated(1), b"\x21\xfe" + b"\x01x" * 2_000_001 + b"\0")
    start = time.monotonic()
    with pytest.raises(Refused, match="sub-blocks"):
        gif.inspect(data)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("data,reason", [
    (b"GIF89a\x01\x00", "truncated"),
    (b"PNG", "not a GIF"),
    (insert_after_screen(animated(1), b"\x42"), "unknown block"),
    (insert_after_screen(animated(1), b"\x21\xf9\x05\0\0\0\0\0\0"), "graphic control"),
    (insert_after_screen(animated(1), application(b"NETSCAPE2.0", b"\x01\0\0PLANTED")), "looping extension"),
    (b"GIF89a" + bytes([4, 0, 4, 0, 0, 0, 0]) + b"\x21\xfe\x40abc", "past the end"),
    (animated(1)[:-1], "no trailer"),
    (b"GIF89a" + bytes([4, 0, 4, 0, 0xF7, 0, 0]) + bytes(30), "global colour table"),
])
def test_malformed_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        gif.sanitize(data)
    with pytest.raises(Refused):
        gif.views(data)


def test_a_bigger_file_may_have_more_sub_blocks_but_never_more_than_one_per_128_bytes(monkeypatch) -> None:
    """The sub-block cap grows with the file (a big GIF of full sub-blocks is cleaned), never for
    a file made of tiny sub-blocks (which would only make the walk crawl)."""
    monkeypatch.setattr(gif, "MAX_SUB_BLOCKS", 40)
    full = insert_before_trailer(animated(1), comment(b"x" * 255 * 60))   # 60 sub-blocks of 255 bytes
    tiny = insert_before_trailer(animated(1), b"\x21\xfe" + sub_blocks(b"x" * 60, size=1))  # 60 of 1 byte
    assert len(full) // gif.BYTES_PER_SUB_BLOCK > 60 + 10
    assert any(f.field == "comment" and f.value.startswith("xxxx") for f in gif.inspect(full))
    with pytest.raises(Refused, match="more than 40 data sub-blocks"):
        gif.inspect(tiny)
