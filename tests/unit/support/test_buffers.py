"""same_bytes: equal or not by content, whichever kind of buffer holds the bytes (a private map
of a file and a bytearray by memcmp, read-only ones in pieces); release: a FileMap's pages
given back, and nothing else touched."""

from __future__ import annotations

import hashlib
import mmap
import os
from pathlib import Path

from intake.support.buffers import RELEASE_EVERY, FileMap, release, same_bytes, write_releasing


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


def _resident_file_pages() -> int:
    """This process's resident pages that belong to mapped files (bytes), from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no RssFile in /proc/self/status")


def test_release_gives_back_a_file_maps_pages_and_the_bytes_read_again_are_the_same(tmp_path: Path) -> None:
    data = os.urandom(64 << 20)
    (tmp_path / "big.bin").write_bytes(data)
    with (tmp_path / "big.bin").open("rb") as handle, \
            FileMap(handle.fileno(), 0, access=mmap.ACCESS_COPY) as mapped:
        before = _resident_file_pages()
        first_read = hashlib.sha256(mapped).digest()  # every page touched
        touched = _resident_file_pages()
        with memoryview(mapped) as whole:
            release(whole[: len(data) // 2])
            halfway = _resident_file_pages()
            release(whole)
        released = _resident_file_pages()
        assert touched - before > 48 << 20
        assert 24 << 20 < touched - halfway < 40 << 20 and touched - released > 48 << 20
        assert first_read == hashlib.sha256(mapped).digest() == hashlib.sha256(data).digest()


def test_release_leaves_memory_that_is_no_file_map_alone(tmp_path: Path) -> None:
    """madvise(MADV_DONTNEED) would zero anonymous memory: only a FileMap's pages are given back."""
    data = os.urandom(4 << 20)
    anonymous = bytearray(data)
    shared = mmap.mmap(-1, len(data))
    shared[:] = data
    (tmp_path / "f.bin").write_bytes(data)
    with (tmp_path / "f.bin").open("rb") as handle:
        plain_map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    plain_map[:16] = b"written in place"  # a private map written: only a FileMap promises it never is
    for memory in (anonymous, shared, plain_map):
        with memoryview(memory) as view:
            release(view)
        release(memory)
    assert anonymous == data and shared[:] == data and plain_map[:] == b"written in place" + data[16:]


def test_write_releasing_writes_every_byte_in_order(tmp_path: Path) -> None:
    data = os.urandom(RELEASE_EVERY * 2 + 12345)
    (tmp_path / "in.bin").write_bytes(data)
    with (tmp_path / "in.bin").open("rb") as handle, \
            FileMap(handle.fileno(), 0, access=mmap.ACCESS_COPY) as mapped, \
            (tmp_path / "out.bin").open("wb") as out, memoryview(mapped) as whole:
        write_releasing(out, whole[1:])
        write_releasing(out, b"tail")
    assert (tmp_path / "out.bin").read_bytes() == data[1:] + b"tail"
