"""The fuzz harness's own limits stop what they promise to stop, so a passing fuzz run means something."""

from __future__ import annotations

import time

import pytest

from limits import Hang, MemoryBlowup, bounded


def test_an_input_over_the_time_limit_is_a_hang() -> None:
    started = time.monotonic()
    with pytest.raises(Hang):
        bounded(lambda: [time.sleep(0.01) for _ in range(1000)], seconds=0.2)
    assert time.monotonic() - started < 2


def test_an_allocation_past_the_bound_is_a_memory_blowup_and_the_bound_is_lifted_after() -> None:
    with pytest.raises(MemoryBlowup):
        bounded(lambda: bytearray(256 << 20), seconds=10, headroom=64 << 20)
    assert len(bytearray(256 << 20)) == 256 << 20


def test_a_quick_input_returns_its_value() -> None:
    assert bounded(lambda: 42, seconds=1) == 42
