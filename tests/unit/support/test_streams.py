"""intake.support.streams: the pipe between a writer and a reader, and the reader that keeps a copy."""

from __future__ import annotations

import io
import os

import pytest

from intake.support.streams import KeepingReader, piped


def test_piped_carries_everything_and_raises_the_producers_error() -> None:
    data = os.urandom(3 << 20)
    assert piped(lambda out: out.write(data), lambda reader: reader.read()) == data

    def broken(out) -> None:
        out.write(b"x" * 10)
        raise ValueError("producer failed")

    with pytest.raises(ValueError, match="producer failed"):
        piped(broken, lambda reader: reader.read())


@pytest.mark.parametrize("size, limit, kept", [(1000, 1000, True), (1001, 1000, False), (0, 10, True)])
def test_keeping_reader_keeps_up_to_its_limit_and_passes_everything_on(size: int, limit: int, kept: bool) -> None:
    data = os.urandom(size)
    reader = KeepingReader(io.BytesIO(data), limit)
    passed = io.BufferedReader(reader, buffer_size=64).read()
    assert passed == data
    assert reader.overflowed is not kept
    assert reader.kept() == (data if kept else b"")
