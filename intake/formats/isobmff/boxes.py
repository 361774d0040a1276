"""STAND-IN for the heif helper's box layer (branch heif): same names, replaced when it is merged."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats.base import Refused, read_exactly


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int
    header_size: int
    size: int
    extended_type: bytes | None = None

    @property
    def payload_start(self) -> int:
        return self.start + self.header_size

    @property
    def payload_end(self) -> int:
        return self.start + self.size


def iter_boxes(source: BinaryIO, start: int, end: int) -> Iterator[Box]:
    position = start
    while position < end:
        source.seek(position)
        header = source.read(8)
        if len(header) < 8 or position + 8 > end:
            raise Refused("a box header runs past its container; refused")
        size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
        header_size = 8
        if size == 1:
            large = source.read(8)
            if len(large) < 8 or position + 16 > end:
                raise Refused("a box header runs past its container; refused")
            size, header_size = int.from_bytes(large, "big"), 16
        elif size == 0:
            size = end - position
        extended = None
        if box_type == b"uuid":
            extended = source.read(16)
            if len(extended) < 16:
                raise Refused("a uuid box is truncated; refused")
        if size < header_size or position + size > end:
            raise Refused("a box's size runs past its container; refused")
        yield Box(box_type, position, header_size, size, extended)
        position += size


def read_payload(source: BinaryIO, box: Box, limit: int) -> bytes:
    length = box.payload_end - box.payload_start
    if length > limit:
        raise Refused("a box is too large to read; refused")
    source.seek(box.payload_start)
    return b"".join(read_exactly(source, length))


def child_boxes(payload: bytes) -> list[tuple[Box, bytes]]:
    source = io.BytesIO(payload)
    return [(box, payload[box.payload_start:box.payload_end]) for box in iter_boxes(source, 0, len(payload))]


def full_box_header(payload: bytes) -> tuple[int, int]:
    if len(payload) < 4:
        raise Refused("a full box is too short; refused")
    return payload[0], int.from_bytes(payload[1:4], "big")


def box_bytes(box_type: bytes, payload: bytes) -> bytes:
    size = len(payload) + 8
    if size < 1 << 32:
        return size.to_bytes(4, "big") + box_type + payload
    return (1).to_bytes(4, "big") + box_type + (size + 8).to_bytes(8, "big") + payload


def write_box(out: BinaryIO, box_type: bytes, payload: bytes) -> None:
    out.write(box_bytes(box_type, payload))


def copy_range(source: BinaryIO, start: int, end: int, out: BinaryIO) -> None:
    source.seek(start)
    for piece in read_exactly(source, end - start):
        out.write(piece)


