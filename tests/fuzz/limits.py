"""Per-input limits for fuzzing: a time limit and a memory bound, raised as distinct failures.

The time limit is an interval timer whose signal raises in the main thread, so a
parser stuck in Python code is stopped; a parser stuck inside C code is stopped
when it returns to Python, and the campaign runner's watchdog (run.py) catches
the rest. The memory bound lowers the address-space limit for the duration of
one input: an input that makes a parser allocate without bound ends in
MemoryError here instead of in the kernel's OOM killer.
"""

from __future__ import annotations

import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
MEMORY_HEADROOM = 1 << 30


class Hang(Exception):
    """An input took longer than its time limit."""


class MemoryBlowup(Exception):
    """An input made the parser reach the memory bound."""


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@contextmanager
def _memory_bound(headroom: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    bound = _address_space() + headroom
    if hard != resource.RLIM_INFINITY:
        bound = min(bound, hard)
    resource.setrlimit(resource.RLIMIT_AS, (bound, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang("the input took longer than its time limit")


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded(run: Callable[[], T], seconds: float, headroom: int = MEMORY_HEADROOM) -> T:
    """run() under the time limit and the memory bound; Hang or MemoryBlowup when it breaks one."""
    try:
        with _time_limit(seconds), _memory_bound(headroom):
            return run()
    except MemoryError as error:
        raise MemoryBlowup("the input made the parser allocate past the memory bound") from error
