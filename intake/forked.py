"""CPU-bound work over a long list, on every core, by fork.

The list is cut into one slice per core; the first slice is worked here, each
other one in a forked child. Nothing is sent to a child: it inherits what it
needs (keys included) by fork, so no secret goes through a pipe to it. Only
its results come back, pickled through a pipe. A process with other threads
(the terminal app) works every slice itself: a child forked from it could
inherit a lock that another thread held.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from intake.budget import serve_in_child

T = TypeVar("T")
R = TypeVar("R")


def forked_map(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], least: int = 1000) -> list[R]:
    """work(items), the same list, computed in slices of at least `least` items on every core.

    `work` must be a pure function of its slice (its result in the order of the slice), and must
    not raise for an item it can report in its result: an exception stops the whole map."""
    slices = _slices(len(items), least)
    if len(slices) < 2 or threading.active_count() > 1:
        return work(items)
    children: list[_Child] = []
    try:
        children = [_Child.start(work, items[start:end]) for start, end in slices[1:]]
        results = work(items[slices[0][0]:slices[0][1]])
        for child in children:
            results += child.result()
        return results
    finally:
        for child in children:
            child.stop()


def _slices(count: int, least: int) -> list[tuple[int, int]]:
    parts = max(1, min(os.cpu_count() or 1, count // max(1, least)))
    bounds = [count * n // parts for n in range(parts + 1)]
    return list(zip(bounds, bounds[1:]))


class _Child:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd, self.reaped = pid, fd, False

    @classmethod
    def start(cls, work: Callable[[Sequence[T]], list[R]], part: Sequence[T]) -> _Child:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_fd)
            serve_in_child(write_fd, work, (part,))
        os.close(write_fd)
        return cls(pid, read_fd)

    def result(self) -> list:
        chunks = []
        while chunk := os.read(self.fd, 1 << 20):
            chunks.append(chunk)
        os.close(self.fd)
        self.fd = -1
        os.waitpid(self.pid, 0)
        self.reaped = True
        if not chunks:
            raise RuntimeError("a worker process stopped without a result")
        status, value = pickle.loads(b"".join(chunks))
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        """After an error here: the child is ended and reaped, its pipe closed."""
        if self.fd >= 0:
            os.close(self.fd)
        if not self.reaped:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
