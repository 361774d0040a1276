"""The shared ISO-BMFF box layer: hand-built box trees, honest and hostile."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from intake.errors import Refused
from intake.formats.isobmff.boxes import (
    MAX_DEPTH, Box, box_bytes, box_header, children, copy_range, full_box_header,
    full_box_payload, iter_boxes, read_payload, write_box,
)


def tree(data: bytes) -> tuple[io.BytesIO, int]:
    return io.BytesIO(data), len(data)


def all_boxes(data: bytes) -> list[Box]:
    source, end = tree(data)
    return list(iter_boxes(source, 0, end))


def test_siblings_and_children_are_located_without_reading_payloads() -> None:
    inner = box_bytes(b"hdlr", b"\0" * 12) + box_bytes(b"pitm", full_box_payload(0, 0, b"\0\1"))
    data = box_bytes(b"ftyp", b"heic\0\0\0\0mif1") + box_bytes(b"meta", full_box_payload(0, 0, inner))
    top = all_boxes(data)
    assert [box.type for box in top] == [b"ftyp", b"meta"]
    ftyp, meta = top
    assert (ftyp.start, ftyp.header_size, ftyp.size) == (0, 8, 20)
    assert meta.start == 20 and meta.payload_end == len(data)
    source, _ = tree(data)
    nested = list(children(source, meta, skip=4))
    assert [(box.type, box.depth) for box in nested] == [(b"hdlr", 1), (b"pitm", 1)]
    assert read_payload(source, nested[1], 100) == b"\0\0\0\0\0\1"
    assert full_box_header(read_payload(source, nested[1], 100)) == (0, 0, b"\0\1")


def test_a_box_after_its_container_is_read_at_the_right_offset_with_an_offset_start() -> None:
    data = b"JUNKJUNK" + box_bytes(b"free", b"abc") + box_bytes(b"skip", b"")
    source = io.BytesIO(data)
    boxes = list(iter_boxes(source, 8, len(data)))
    assert [(box.type, box.start, box.size) for box in boxes] == [(b"free", 8, 11), (b"skip", 19, 8)]


def test_64_bit_size_is_read_and_written_only_when_needed() -> None:
    payload = b"sample-bytes"
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + len(payload)) + payload
    (box,) = all_boxes(large)
    assert (box.type, box.header_size, box.size, box.payload_start) == (b"mdat", 16, 28, 16)
    assert read_payload(io.BytesIO(large), box, 100) == payload
    assert box_bytes(b"mdat", payload) == struct.pack(">I4s", 20, b"mdat") + payload
    huge = box_header(b"mdat", 1 << 32)
    assert huge == struct.pack(">I4sQ", 1, b"mdat", (1 << 32) + 16)
    assert box_header(b"mdat", 0xFFFFFFFF - 8) == struct.pack(">I4s", 0xFFFFFFFF, b"mdat")


def test_size_zero_runs_to_the_end_of_its_container() -> None:
    data = box_bytes(b"ftyp", b"isom") + struct.pack(">I4s", 0, b"mdat") + b"x" * 50
    boxes = all_boxes(data)
    assert boxes[1].type == b"mdat" and boxes[1].payload_end == len(data) and boxes[1].payload_size == 50


def test_uuid_boxes_carry_their_extended_type() -> None:
    extended = bytes(range(16))
    data = box_bytes(b"uuid", b"<xmp/>", extended)
    (box,) = all_boxes(data)
    assert box.extended_type == extended and box.header_size == 24
    assert read_payload(io.BytesIO(data), box, 10) == b"<xmp/>"
    with pytest.raises(ValueError):
        box_bytes(b"uuid", b"")
    with pytest.raises(ValueError):
        box_bytes(b"free", b"", extended)


def test_write_box_and_box_bytes_agree_and_round_trip() -> None:
    out = io.BytesIO()
    write_box(b"iloc", b"\1\2\3", out)
    assert out.getvalue() == box_bytes(b"iloc", b"\1\2\3")
    (box,) = all_boxes(out.getvalue())
    assert read_payload(io.BytesIO(out.getvalue()), box, 3) == b"\1\2\3"


def test_copy_range_streams_in_chunks_and_refuses_a_short_source() -> None:
    data = bytes(range(256)) * 40
    out = io.BytesIO()
    copy_range(io.BytesIO(data), 100, 9000, out, chunk=777)
    assert out.getvalue() == data[100:9000]
    with pytest.raises(Refused, match="ends inside"):
        copy_range(io.BytesIO(data), 10, len(data) + 5, io.BytesIO())


@pytest.mark.parametrize("data, reason", [
    (struct.pack(">I4s", 500, b"moov") + b"x" * 10, "past the end"),
    (struct.pack(">I4s", 4, b"moov") + b"x" * 10, "less than its own header"),
    (struct.pack(">I4s", 7, b"free"), "less than its own header"),
    (struct.pack(">I4sQ", 1, b"mdat", 8) + b"x", "less than its own header"),
    (struct.pack(">I4sQ", 1, b"mdat", 1 << 40) + b"x", "past the end"),
    (struct.pack(">I4s", 1, b"mdat") + b"abc", "64-bit size runs past"),
    (box_bytes(b"free", b"") + b"\0\0\0", "stray bytes"),
    (struct.pack(">I4s", 30, b"uuid") + b"short", "extended type runs past"),
    (struct.pack(">I4s", 20, b"uuid") + bytes(16), "less than its own header"),
])
def test_hostile_sizes_are_refused_with_one_line(data: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason) as refused:
        all_boxes(data)
    assert "\n" not in str(refused.value)


def test_a_child_past_its_parent_is_refused_even_if_the_file_is_longer() -> None:
    inner = struct.pack(">I4s", 40, b"iinf") + b"x" * 4
    data = box_bytes(b"meta", inner) + b"y" * 100
    source = io.BytesIO(data)
    meta = next(iter_boxes(source, 0, len(data)))
    with pytest.raises(Refused, match="'iinf' box claims 40 bytes, past the end"):
        list(children(source, meta))


def test_a_source_shorter_than_its_stated_end_is_refused() -> None:
    data = box_bytes(b"ftyp", b"isom")
    with pytest.raises(Refused, match="ends inside"):
        list(iter_boxes(io.BytesIO(data), 0, len(data) + 20))
    (box,) = all_boxes(data)
    truncated = io.BytesIO(data[:10])
    with pytest.raises(Refused, match="ends inside"):
        read_payload(truncated, box, 100)


def test_payloads_over_the_limit_are_refused_before_reading() -> None:
    data = box_bytes(b"Exif", b"z" * 1000)
    (box,) = all_boxes(data)
    with pytest.raises(Refused, match="more than the 999 allowed"):
        read_payload(io.BytesIO(data), box, 999)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    def nest(levels: int) -> bytes:
        data = box_bytes(b"free", b"")
        for _ in range(levels):
            data = box_bytes(b"dinf", data)
        return data

    def walk(source: io.BytesIO, box: Box) -> int:
        return 1 + max((walk(source, child) for child in children(source, box)
                        if child.type == b"dinf"), default=0)

    shallow = nest(MAX_DEPTH)
    source = io.BytesIO(shallow)
    assert walk(source, next(iter_boxes(source, 0, len(shallow)))) == MAX_DEPTH
    deep = nest(MAX_DEPTH + 1)
    source = io.BytesIO(deep)
    with pytest.raises(Refused, match="nest deeper"):
        walk(source, next(iter_boxes(source, 0, len(deep))))


def test_non_ascii_types_are_named_printably() -> None:
    data = struct.pack(">I4s", 99, b"\xa9xyz")
    with pytest.raises(Refused) as refused:
        all_boxes(data)
    assert "\\xa9xyz" in str(refused.value)


def test_full_box_header_refuses_a_short_payload() -> None:
    with pytest.raises(Refused):
        full_box_header(b"\0\0")


def test_long_ranges_are_copied_by_the_kernel_between_files_in_order(tmp_path: Path) -> None:
    from intake.formats.isobmff import boxes

    data = bytes(range(256)) * ((boxes.KERNEL_COPY_MIN * 2) // 256 + 3)
    (tmp_path / "source").write_bytes(data)
    start, end = 1001, 1001 + boxes.KERNEL_COPY_MIN + 77
    with open(tmp_path / "source", "rb") as source, open(tmp_path / "out", "w+b") as out:
        out.write(b"head")  # still in the write buffer: it must land before the copied range
        boxes.copy_range(source, start, end, out)
        out.write(b"tail")
        boxes.copy_range(source, 5, 9, out)  # a short one goes through memory
    assert (tmp_path / "out").read_bytes() == b"head" + data[start:end] + b"tail" + data[5:9]
    memory = io.BytesIO(b"head")
    memory.seek(4)
    with open(tmp_path / "source", "rb") as source, open(tmp_path / "short", "w+b") as short:
        boxes.copy_range(source, start, end, memory)  # no file descriptor: through memory
        with pytest.raises(Refused, match="ends inside"):  # a range past the end of the file
            boxes.copy_range(source, len(data) - 10, len(data) + boxes.KERNEL_COPY_MIN, short)
    assert memory.getvalue() == b"head" + data[start:end]
