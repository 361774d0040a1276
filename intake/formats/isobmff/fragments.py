"""Movie fragments (`moof`): where their samples lie, and how a fragment is moved.

A fragmented MP4 describes its samples in a `moof` before each `mdat`
instead of in `moov`'s sample tables: per track a `traf` with a header
(`tfhd`: track, defaults, maybe an absolute base offset) and runs (`trun`:
sample count, sizes, an offset from the base). Cleaning keeps every
fragment as written, except the absolute base offsets, which move with the
media data when the boxes before it shrink (ffmpeg writes them).

Only the boxes that describe samples are accepted inside a fragment; a
fragment carrying anything else (metadata, encryption, auxiliary data with
offsets of its own, a track that is removed) is refused by the caller.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from intake.errors import Refused
from intake.formats.isobmff.boxes import Box, child_boxes

_TRAF_KEPT = frozenset({b"tfhd", b"tfdt", b"trun", b"sgpd", b"sbgp", b"subs", b"sdtp"})
_BASE_OFFSET, _DESCRIPTION, _DURATION, _SIZE, _FLAGS = 0x1, 0x2, 0x8, 0x10, 0x20
_BASE_IS_MOOF = 0x20000
_RUN_OFFSET, _RUN_FIRST_FLAGS = 0x1, 0x4
_RUN_FIELDS = (0x100, 0x200, 0x400, 0x800)  # duration, size, flags, composition offset: 4 bytes each
_RUN_SIZE = 0x200


@dataclass(frozen=True)
class Run:
    """The samples of one `trun`, which lie one after another: one range of the file."""

    track_id: int
    offset: int
    length: int


@dataclass(frozen=True)
class Base:
    """An absolute base offset in a `tfhd`: where it is in the moof's bytes, its value, and a byte
    of the samples it locates (to find the mdat, and so the shift, they move with)."""

    position: int
    value: int
    anchor: int


@dataclass(frozen=True)
class Fragment:
    box: Box
    raw: bytes  # the moof as written
    bases: tuple[Base, ...]
    runs: tuple[Run, ...]

    def content(self) -> bytes:
        """The moof with its absolute offsets zeroed: what must be equal before and after."""
        return self._with(lambda base: 0)

    def moved(self, relocate: Callable[[int], int]) -> bytes:
        return self._with(lambda base: base.value + relocate(base.anchor) - base.anchor)

    def _with(self, value_of: Callable[[Base], int]) -> bytes:
        data = bytearray(self.raw)
        for base in self.bases:
            value = value_of(base)
            if not 0 <= value < 1 << 64:
                raise Refused("a fragment's base offset would not fit; refused")
            data[base.position:base.position + 8] = value.to_bytes(8, "big")
        return bytes(data)


def sample_size_defaults(extends: bytes) -> dict[int, int]:
    """`mvex` > `trex`: each track's default sample size, for runs that give none."""
    defaults = {}
    for box, body in child_boxes(extends):
        if box.type == b"trex":
            if len(body) < 24:
                raise Refused("a track-extends box is too short; refused")
            track_id, _, _, size = struct.unpack(">IIII", body[4:20])
            defaults[track_id] = size
        elif box.type not in (b"mehd", b"leva"):
            raise Refused(f"an unknown box ({box.name}) in the movie-extends box; refused")
    return defaults


def read_fragment(box: Box, raw: bytes, defaults: dict[int, int]) -> Fragment:
    """The runs and absolute offsets of one moof (`raw` is the whole box as written)."""
    bases: list[Base] = []
    runs: list[Run] = []
    previous_end = box.start  # the implicit base of the first traf is the moof itself
    for traf, body in child_boxes(raw[box.header_size:]):
        if traf.type == b"mfhd":
            continue
        if traf.type != b"traf":
            raise Refused(f"a movie fragment holds a '{traf.name}' box, which could carry anything; refused")
        start = box.header_size + traf.payload_start
        previous_end = _track_fragment(box, body, start, defaults, previous_end, bases, runs)
    return Fragment(box, raw, tuple(bases), tuple(runs))


def _track_fragment(moof: Box, body: bytes, start: int, defaults: dict[int, int], previous_end: int,
                    bases: list[Base], runs: list[Run]) -> int:
    children = child_boxes(body)
    unknown = [child.name for child, _ in children if child.type not in _TRAF_KEPT]
    if unknown:
        raise Refused(f"a track fragment holds a '{unknown[0]}' box; refused")
    headers = [(child, payload) for child, payload in children if child.type == b"tfhd"]
    if len(headers) != 1 or len(headers[0][1]) < 8:
        raise Refused("a track fragment needs one header (tfhd); refused")
    header_box, header = headers[0]
    flags, track_id = int.from_bytes(header[1:4], "big"), int.from_bytes(header[4:8], "big")
    fields = header[8:]
    base = moof.start if flags & _BASE_IS_MOOF else previous_end
    if flags & _BASE_OFFSET:
        base = _field(fields, 0)
    default_size = defaults.get(track_id, 0)
    if flags & _SIZE:
        default_size = _field(fields, 8 * bool(flags & _BASE_OFFSET) + 4 * bool(flags & _DESCRIPTION)
                              + 4 * bool(flags & _DURATION), 4)
    own: list[Run] = []
    position = base
    for child, payload in children:
        if child.type == b"trun":
            offset, length = _run(payload, default_size)
            position = base + offset if offset is not None else position
            own.append(Run(track_id, position, length))
            position += length
    if flags & _BASE_OFFSET:
        bases.append(Base(start + header_box.payload_start + 8, base, own[0].offset if own else base))
    runs += own
    return position


def _field(fields: bytes, at: int, width: int = 8) -> int:
    if len(fields) < at + width:
        raise Refused("a track fragment header is too short; refused")
    return int.from_bytes(fields[at:at + width], "big")


def _run(payload: bytes, default_size: int) -> tuple[int | None, int]:
    """(data offset or None, bytes of all its samples) of one trun."""
    if len(payload) < 8:
        raise Refused("a track run is too short; refused")
    flags, count = int.from_bytes(payload[1:4], "big"), int.from_bytes(payload[4:8], "big")
    position = 8
    offset = None
    if flags & _RUN_OFFSET:
        offset = struct.unpack(">i", payload[position:position + 4])[0] if len(payload) >= 12 else None
        position += 4
    position += 4 if flags & _RUN_FIRST_FLAGS else 0
    widths = [4 * bool(flags & field) for field in _RUN_FIELDS]
    entry = sum(widths)
    if position + count * entry > len(payload) or (offset is None and flags & _RUN_OFFSET):
        raise Refused("a track run says it has more samples than it holds; refused")
    if not flags & _RUN_SIZE:
        return offset, default_size * count
    size_at = position + widths[0]
    total = sum(int.from_bytes(payload[size_at + i * entry:size_at + i * entry + 4], "big") for i in range(count))
    return offset, total
