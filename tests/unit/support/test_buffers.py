"""same_bytes: equal or not by content, whichever kind of buffer holds the bytes (a private map
of a file and a bytearray by memcmp, read-only ones in pieces)."""

from __future__ import annotations

import mmap
from pathlib import Path

from intake.support.buffers import same_bytes


def test_same_bytes_compares_content_whatever_holds_it(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4000  # longer than one compared piece
    (tmp_path / "a.bin").write_bytes(data)
    with (tmp_path / "a.bin").open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    holders = {"bytes": data, "bytearray": bytearray(data), "map": memoryview(mapped),
               "read-only view": memoryview(data)}
    for name, first in holders.items():
        for other, second in holders.items():
            assert same_bytes(first, second), (name, other)
            assert same_bytes(first[7:], second[7:]), (name, other)
            assert not same_bytes(first, second[:-1]), (name, other)
        for where in (0, 5000, len(data) - 1):
            changed = bytearray(data)
            changed[where] ^= 0x40
            assert not same_bytes(first, changed), (name, where)
            assert not same_bytes(first, memoryview(bytes(changed))), (name, where)
    assert same_bytes(b"", memoryview(bytearray()))
    for holder in holders.values():
        if isinstance(holder, memoryview):
            holder.release()
    mapped.close()
