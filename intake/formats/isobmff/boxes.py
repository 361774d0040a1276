"""The ISO-BMFF box layer: the only code in intake that parses box headers.

An ISO base media file (HEIF, AVIF, MP4, MOV, M4A, 3GP) is a sequence of
boxes: a 32-bit size, a four-letter type, optionally a 64-bit size and a
16-byte extended type, then the payload; containers hold further boxes.
Everything here works on a seekable binary source and reads headers only:
payloads are read on request up to a stated limit, and large ranges (mdat)
are copied in bounded chunks, so memory follows the metadata, not the media.

Every header is checked against the range it must lie in; a size that runs
past it, is shorter than its own header, or nests too deep is refused with a
one-line reason, never guessed at.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.errors import Refused

# Real files nest a handful of levels (moov/trak/mdia/minf/stbl/stsd/...);
# a deeper tree is built to exhaust a parser.
MAX_DEPTH = 16
# Fragmented recordings put a moof/mdat pair per fragment at the top level:
# a day of one-second fragments fits; a million tiny boxes is an attack.
MAX_SIBLINGS = 1_000_000
_HEADER = 8
_LARGE_HEADER = 16
_UUID = b"uuid"
_MAX_32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Box:
    """One box's header, located in its source; the payload stays where it is."""

    type: bytes
    start: int  # offset of the header in the source
    header_size: int  # 8, 16 with a 64-bit size, +16 for a 'uuid' extended type
    size: int  # the whole box, header included
    extended_type: bytes | None = None  # 16 bytes for 'uuid' boxes
    depth: int = 0  # 0 for top-level boxes; children are one deeper

    @property
    def payload_start(self) -> int:
        return self.start + self.header_size

    @property
    def payload_end(self) -> int:
        return self.start + self.size

    @property
    def payload_size(self) -> int:
        return self.size - self.header_size

    @property
    def name(self) -> str:
        return type_name(self.type)


def type_name(box_type: bytes) -> str:
    """A four-letter type for messages: printable, whatever bytes the file holds."""
    return box_type.decode("latin-1").encode("ascii", "backslashreplace").decode("ascii")


def iter_boxes(source: BinaryIO, start: int, end: int, depth: int = 0) -> Iterator[Box]:
    """The boxes that exactly tile source[start:end], in order; refused unless they do."""
    if depth > MAX_DEPTH:
        raise Refused(f"the ISO-BMFF boxes nest deeper than {MAX_DEPTH} levels")
    position, count = start, 0
    while position < end:
        count += 1
        if count > MAX_SIBLINGS:
            raise Refused(f"more than {MAX_SIBLINGS} ISO-BMFF boxes side by side")
        box = _read_header(source, position, end, depth)
        yield box
        position = box.payload_end


def children(source: BinaryIO, box: Box, skip: int = 0) -> Iterator[Box]:
    """The boxes inside a container; `skip` passes over leading fields (4 for a full box like meta)."""
    if skip > box.payload_size:
        raise Refused(f"the '{box.name}' box is too short for its fields")
    return iter_boxes(source, box.payload_start + skip, box.payload_end, box.depth + 1)


def _read_header(source: BinaryIO, position: int, end: int, depth: int) -> Box:
    head = _read_exactly(source, position, min(_HEADER, end - position), "a box header")
    if len(head) < _HEADER:
        raise Refused(f"{end - position} stray bytes where an ISO-BMFF box header should be")
    size, box_type = struct.unpack(">I4s", head)
    name = Box(box_type, position, _HEADER, _HEADER).name
    header_size = _HEADER
    if size == 1:
        if end - position < _LARGE_HEADER:
            raise Refused(f"the '{name}' box's 64-bit size runs past its container")
        (size,) = struct.unpack(">Q", _read_exactly(source, position + _HEADER, 8, "a box size"))
        header_size = _LARGE_HEADER
    elif size == 0:  # "extends to the end of the file": bounded by the container instead
        size = end - position
    extended_type = None
    if box_type == _UUID:
        if end - position < header_size + 16:
            raise Refused("a 'uuid' box's extended type runs past its container")
        extended_type = _read_exactly(source, position + header_size, 16, "a uuid")
        header_size += 16
    if size < header_size:
        raise Refused(f"the '{name}' box claims {size} bytes, less than its own header")
    if size > end - position:
        raise Refused(f"the '{name}' box claims {size} bytes, past the end of its container")
    return Box(box_type, position, header_size, size, extended_type, depth)


def read_payload(source: BinaryIO, box: Box, limit: int) -> bytes:
    """A box's payload, refused when over `limit` bytes: the memory bound for metadata."""
    if box.payload_size > limit:
        raise Refused(f"the '{box.name}' box holds {box.payload_size} bytes, more than the {limit} allowed")
    return _read_exactly(source, box.payload_start, box.payload_size, f"the '{box.name}' box")


def _read_exactly(source: BinaryIO, position: int, length: int, what: str) -> bytes:
    source.seek(position)
    data = source.read(length)
    if len(data) != length:
        raise Refused(f"the file ends inside {what}")
    return data


def full_box_header(payload: bytes) -> tuple[int, int, bytes]:
    """(version, flags, the rest) of a full box's payload."""
    if len(payload) < 4:
        raise Refused("a full box is shorter than its version and flags")
    return payload[0], int.from_bytes(payload[1:4], "big"), payload[4:]


def full_box_payload(version: int, flags: int, rest: bytes) -> bytes:
    return bytes((version,)) + flags.to_bytes(3, "big") + rest


def box_header(box_type: bytes, payload_size: int, extended_type: bytes | None = None) -> bytes:
    """The header for a payload of `payload_size` bytes: 64-bit size only when 32 bits cannot hold it."""
    if len(box_type) != 4:
        raise ValueError("a box type is four bytes")
    if (box_type == _UUID) != (extended_type is not None) or (extended_type is not None and len(extended_type) != 16):
        raise ValueError("a 'uuid' box, and only one, carries a 16-byte extended type")
    tail = extended_type or b""
    size = _HEADER + len(tail) + payload_size
    if size <= _MAX_32:
        return struct.pack(">I4s", size, box_type) + tail
    return struct.pack(">I4sQ", 1, box_type, size + 8) + tail


def box_bytes(box_type: bytes, payload: bytes, extended_type: bytes | None = None) -> bytes:
    return box_header(box_type, len(payload), extended_type) + payload


def write_box(box_type: bytes, payload: bytes, out: BinaryIO, extended_type: bytes | None = None) -> None:
    out.write(box_header(box_type, len(payload), extended_type))
    out.write(payload)


# Ranges at least this long are copied by the kernel when both ends are files: below it, the flush
# before each copy costs more than the copy through memory saves.
KERNEL_COPY_MIN = 1 << 20


def copy_range(source: BinaryIO, start: int, end: int, out: BinaryIO, chunk: int = 1 << 20) -> None:
    """Stream source[start:end] to out in bounded chunks (sample data is never held whole)."""
    if end - start >= KERNEL_COPY_MIN and _kernel_copy(source, start, end, out):
        return
    source.seek(start)
    remaining = end - start
    while remaining > 0:
        data = source.read(min(chunk, remaining))
        if not data:
            raise Refused("the file ends inside a range it claims to hold")
        out.write(data)
        remaining -= len(data)


def _kernel_copy(source: BinaryIO, start: int, end: int, out: BinaryIO) -> bool:
    """source[start:end] appended to out by copy_file_range: no pass through user memory (an image's
    coded bytes, a video's samples). False, with out unchanged where it stands, when either is not a
    file on disk or the kernel cannot copy between them; then the caller copies through memory."""
    copy = getattr(os, "copy_file_range", None)
    try:
        source_fd, out_fd = source.fileno(), out.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    if copy is None:
        return False
    out.flush()
    position, done = out.tell(), 0
    try:
        while start + done < end:
            copied = copy(source_fd, out_fd, end - start - done, start + done, position + done)
            if copied == 0:
                raise Refused("the file ends inside a range it claims to hold")
            done += copied
    except OSError:  # another file system, a pipe, an old kernel: through memory, over what was copied
        return False
    out.seek(position + done)
    return True


def child_boxes(payload: bytes) -> list[tuple[Box, bytes]]:
    """The boxes tiling a payload already read into memory (a `moov` read whole, with a limit), each
    with its own payload. Offsets in each Box are relative to `payload`: payload[box.start:box.start +
    box.size] is the box as written."""
    return [(box, payload[box.payload_start:box.payload_end])
            for box in iter_boxes(io.BytesIO(payload), 0, len(payload))]
