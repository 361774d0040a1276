"""Whether two large buffers hold the same bytes, without copying them.

`==` between memoryviews compares item by item (10 ms for a photo's 9 MB of
scan data), and `bytes ==` needs both sides as bytes (a copy each). Here two
writable buffers (a private map of a file, a bytearray) are compared by libc's
memcmp, a piece at a time; any other pair in pieces copied into one reused
bytearray, whose `==` is a memcmp too.

A file cleaned from a map (intake/clean.py) is read through a FileMap, whose
pages are given back as the work moves through them (`release`: compared,
written, searched), so that resident memory stays bounded at any file size.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
from collections.abc import Callable
from typing import BinaryIO

Bytes = bytes | bytearray | memoryview

_PIECE = 1 << 18
# A file map's pages are given back after each of these: its resident memory stays under two of them.
RELEASE_EVERY = 32 << 20
_PAGE = mmap.PAGESIZE


class FileMap(mmap.mmap):
    """A private map of a file (ACCESS_COPY) that this process reads and never writes: writable
    memory only so that memcmp can take its address. Read pages count in the process's resident
    memory (a 1 GiB JPEG read once would count 1 GiB) until given back with `release`; never
    written, they are read again from the page cache if touched again, unchanged."""


def release(view: Bytes | mmap.mmap) -> None:
    """Give back the whole pages under `view` when it is (part of) a FileMap; anything else is
    left alone (madvise would zero an anonymous buffer's pages)."""
    owner = view.obj if isinstance(view, memoryview) else view
    if not isinstance(owner, FileMap) or not len(view) or len(owner) <= RELEASE_EVERY:
        return  # a small map stays whole: giving it back would only cost page faults when it is read again
    start = _address(view)
    if start is None:
        return
    first, last = -(-start // _PAGE) * _PAGE, (start + len(view)) // _PAGE * _PAGE
    if last > first:
        _madvise()(first, last - first, mmap.MADV_DONTNEED)


def release_range(buffer: Bytes | mmap.mmap, start: int, end: int) -> None:
    with memoryview(buffer) as whole, whole[start:end] as piece:
        release(piece)


def write_releasing(out: BinaryIO, part: bytes | memoryview) -> None:
    """out.write(part), a piece at a time, each piece of a file map given back once written."""
    if len(part) <= RELEASE_EVERY:
        out.write(part)
        release(part)
        return
    with memoryview(part) as whole:
        for start in range(0, len(whole), RELEASE_EVERY):
            piece = whole[start:start + RELEASE_EVERY]
            out.write(piece)
            release(piece)


def same_bytes(first: Bytes, second: Bytes) -> bool:
    if len(first) != len(second):
        return False
    if isinstance(first, bytes) and isinstance(second, bytes):
        return first == second
    if not len(first):
        return True
    addresses = _address(first), _address(second)
    if None not in addresses:
        return _same_at(first, second, addresses[0], addresses[1])  # type: ignore[arg-type]
    return _same_in_pieces(first, second)


def _same_at(first: Bytes, second: Bytes, first_at: int, second_at: int) -> bool:
    """memcmp a piece at a time, giving back each piece of a file map once compared."""
    size = len(first)
    with memoryview(first) as one, memoryview(second) as other:
        for start in range(0, size, RELEASE_EVERY):
            length = min(RELEASE_EVERY, size - start)
            if _memcmp()(first_at + start, second_at + start, length) != 0:
                return False
            release(one[start:start + length])
            release(other[start:start + length])
    return True


def _address(buffer: Bytes) -> int | None:
    """Where a writable, contiguous buffer's bytes are; None for a read-only one (bytes)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(buffer))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@functools.cache
def _madvise() -> Callable[[int, int, int], int]:
    function = ctypes.CDLL(None, use_errno=True).madvise
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


@functools.cache
def _memcmp() -> Callable[[int, int, int], int]:
    # The program's own symbols include libc's (as in support/process.py).
    function = ctypes.CDLL(None).memcmp
    function.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
    function.restype = ctypes.c_int
    return function


def _same_in_pieces(first: Bytes, second: Bytes) -> bool:
    piece = bytearray(min(_PIECE, len(first)))
    for start in range(0, len(first), len(piece)):
        chunk = first[start:start + len(piece)]
        if len(chunk) == len(piece):
            piece[:] = chunk
            same = piece == second[start:start + len(piece)]
        else:
            same = bytearray(chunk) == second[start:start + len(chunk)]
        if not same:
            return False
    return True
