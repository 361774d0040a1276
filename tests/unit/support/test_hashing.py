"""Streaming digests equal hashlib's over the whole data, however the source hands out its bytes."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from intake.support.hashing import CHUNK, DigestingReader, digest_stream

DATA = os.urandom(3 * CHUNK + 12345)


class ReadOnly:
    """A source with only `read` (no readinto), giving at most `step` bytes at a time, as a socket might."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._at, self._step = data, 0, step

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk = self._data[self._at:self._at + size]
        self._at += len(chunk)
        return chunk


def expected(data: bytes) -> tuple[str, str, int]:
    return hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest(), len(data)


def seen(digests) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    return digests.sha256, digests.sha512, digests.size


def test_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(DATA)
    with open(path, "rb") as handle:
        assert seen(digest_stream(handle)) == expected(DATA)
    with open(path, "rb", buffering=0) as handle:  # raw: short reads are possible
        assert seen(digest_stream(handle)) == expected(DATA)


@pytest.mark.parametrize("step", [1, 4095, CHUNK + 1])
def test_a_source_without_readinto_and_short_reads(step: int) -> None:
    data = DATA[:200_000] if step == 1 else DATA
    assert seen(digest_stream(ReadOnly(data, step))) == expected(data)


def test_the_reader_passes_on_exactly_what_it_hashed() -> None:
    reader = DigestingReader(io.BytesIO(DATA))
    passed = b"".join(iter(lambda: reader.read(65536), b""))
    assert passed == DATA
    assert seen(reader.digests()) == expected(DATA)


def test_empty() -> None:
    assert seen(digest_stream(io.BytesIO(b""))) == expected(b"")
