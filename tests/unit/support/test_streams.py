"""intake.support.streams: the pipe between a writer and a reader, and the reader that keeps a copy."""

from __future__ import annotations

import io
import os

import pytest

from intake.support.streams import SpillingReader, piped


def test_piped_carries_everything_and_raises_the_producers_error() -> None:
    data = os.urandom(3 << 20)
    assert piped(lambda out: out.write(data), lambda reader: reader.read()) == data

    def broken(out) -> None:
        out.write(b"x" * 10)
        raise ValueError("producer failed")

    with pytest.raises(ValueError, match="producer failed"):
        piped(broken, lambda reader: reader.read())


@pytest.mark.parametrize("size, limit, spilled", [(1000, 1000, False), (1001, 1000, True), (0, 10, False)])
def test_spilling_reader_copies_everything_in_memory_or_past_its_limit_in_a_nameless_file(
        size: int, limit: int, spilled: bool, tmp_path) -> None:
    data = os.urandom(size)
    reader = SpillingReader(io.BytesIO(data), limit, tmp_path)
    passed = io.BufferedReader(reader, buffer_size=64).read()
    assert passed == data
    assert reader.spilled is spilled
    assert reader.copy().read() == data
    assert list(tmp_path.iterdir()) == []  # the spilled copy has no name
    reader.discard()
