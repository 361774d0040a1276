"""CPU-bound work in numbered chunks, on every core, by processes forked once.

`ForkedChunks(work, count)` computes work(0), …, work(count − 1) and yields the
results in that order. Entering it forks one worker per core; each is handed
chunk numbers, two at a time, and a worker that hands back a result gets the
next number, whichever worker it is, so both cores stay busy to the end whatever
each chunk costs. Nothing
but those numbers is sent to a worker: it inherits what it needs (keys
included) by fork, so no secret goes through a pipe to it, and it reads its own
input (a worker opens its own database connection; one is never carried across
a fork). Only results come back, pickled through a pipe. The workers start at
once, so they work while the caller does something else before it asks for the
first result (the ledger audit checks its checkpoints meanwhile, calling `poll`
between its steps so they are fed).

A process with other threads (the terminal app) works every chunk itself, when
asked: a child forked from it could inherit a lock that another thread held.
So does a process on one core, and any work of a single chunk.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import select
import signal
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

R = TypeVar("R")

_NUMBER = struct.Struct("<I")   # a chunk number, parent to worker
_LENGTH = struct.Struct("<Q")   # the length of a pickled result, worker to parent
_PIPE_BYTES = 1 << 20           # results a worker can hand back before the parent reads them
_HELD = 2                       # chunks a worker holds: the one it works on and the next
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class ForkedChunks(Generic[R]):
    """work(n) for n in range(count), on every core; iterate (once) for the results in order.

    `work` must be a pure function of the chunk number, and should report in its result what it
    can: an exception it raises is raised here, at that chunk. A worker holds at most two chunks
    (the one it works on and the next, so it never waits for this process); results read before
    their turn wait here, at most `ahead` per worker in all, so a slow chunk lets the other workers
    run that far ahead and no further."""

    def __init__(self, work: Callable[[int], R], count: int, ahead: int = 8) -> None:
        self._work, self._count, self._ahead = work, count, ahead
        self._workers: list[_Worker] = []
        self._next = 0            # the next chunk to hand out
        self._consumed = 0        # chunks whose results were yielded
        self._ready: dict[int, bytes] = {}  # results read before their turn, still pickled
        self._iterated = False

    def __enter__(self) -> ForkedChunks[R]:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if self._count > 1 and cores > 1 and threading.active_count() == 1:
            try:
                for _ in range(min(cores, self._count)):
                    self._workers.append(_Worker.start(self._work, self._workers))
            except BaseException:
                self._stop()
                raise
            self._hand_out()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def __iter__(self) -> Iterator[R]:
        if self._iterated:
            raise RuntimeError("the results of forked chunks can be read once")
        self._iterated = True
        for number in range(self._count):
            if not self._workers:
                yield self._work(number)
                continue
            while number not in self._ready:
                self._read_some()
            status, value = pickle.loads(self._ready.pop(number))
            self._consumed += 1
            self._hand_out()
            if status == "error":
                raise value
            yield value

    def poll(self) -> None:
        """Between two steps of the caller's own work: keep the results that are ready, and
        hand out more chunks, so the workers need not wait for the first result to be asked for."""
        if self._workers:
            self._read_some(timeout=0)

    def _read_some(self, timeout: float | None = None) -> None:
        """Wait for results (at most `timeout` seconds), keep them, and hand out the next chunks."""
        busy = {worker.fileno(): worker for worker in self._workers if worker.pending}
        ready, _, _ = select.select(list(busy), [], [], timeout) if busy else ([], [], [])
        for fd in ready:
            for number, data in busy[fd].read_results():
                self._ready[number] = data
        self._hand_out()

    def _hand_out(self) -> None:
        """Chunks in order to the workers holding fewer than two, while the results not yet
        yielded (held by a worker, or read before their turn) number fewer than `ahead` per worker."""
        window = self._ahead * len(self._workers)
        while self._next < self._count and self._next - self._consumed < window:
            worker = min(self._workers, key=lambda candidate: len(candidate.pending))
            if len(worker.pending) >= _HELD:
                return
            worker.give(self._next)
            self._next += 1

    def _stop(self) -> None:
        """Workers told to finish (their number pipe closed), then ended if still busy, and reaped."""
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


class _Worker:
    def __init__(self, pid: int, numbers: int, results: int) -> None:
        self.pid, self._numbers, self._results = pid, numbers, results
        self.pending: deque[int] = deque()  # chunks handed out whose results were not read, in order
        self._buffer = bytearray()

    @classmethod
    def start(cls, work: Callable[[int], object], earlier: list[_Worker]) -> _Worker:
        """A worker forked now. It closes its copies of the `earlier` workers' pipe ends, or one of
        them would never see the end of its numbers."""
        numbers_read, numbers_write = os.pipe()
        results_read, results_write = os.pipe()
        try:
            fcntl.fcntl(results_write, F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:
            pass  # the system's limit is lower: the worker waits for the parent sooner
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            for fd in [numbers_write, results_read] + [fd for other in earlier for fd in other.parent_ends()]:
                os.close(fd)
            _serve(work, numbers_read, results_write)
        os.close(numbers_read)
        os.close(results_write)
        return cls(pid, numbers_write, results_read)

    def parent_ends(self) -> tuple[int, int]:
        return self._numbers, self._results

    def fileno(self) -> int:
        return self._results

    def give(self, number: int) -> None:
        os.write(self._numbers, _NUMBER.pack(number))
        self.pending.append(number)

    def read_results(self) -> Iterator[tuple[int, bytes]]:
        """What the pipe holds now (it is ready): each complete result, with its chunk number."""
        data = os.read(self._results, _PIPE_BYTES)
        if not data:
            raise RuntimeError("a worker process stopped without a result")
        self._buffer += data
        while len(self._buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < _LENGTH.size + length:
                return
            result = bytes(self._buffer[_LENGTH.size:_LENGTH.size + length])
            del self._buffer[:_LENGTH.size + length]
            yield self.pending.popleft(), result

    def stop(self) -> None:
        os.close(self._numbers)  # a worker waiting for a number sees the end and leaves
        os.close(self._results)  # one writing a result is stopped by the closed pipe
        if self.pending:         # one in the middle of a chunk is not waited for
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(self.pid, 0)


def _serve(work: Callable[[int], object], numbers: int, results: int) -> None:
    """The whole life of a worker: a result for each number read, until the parent closes the
    pipe; then it leaves without running any of the parent's exit code."""
    code = 0
    try:
        with os.fdopen(numbers, "rb") as source, os.fdopen(results, "wb") as sink:
            while len(raw := source.read(_NUMBER.size)) == _NUMBER.size:
                (number,) = _NUMBER.unpack(raw)
                data = _pickled(work, number)
                sink.write(_LENGTH.pack(len(data)) + data)
                sink.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _pickled(work: Callable[[int], object], number: int) -> bytes:
    try:
        outcome: tuple[str, object] = ("ok", work(number))
    except BaseException as error:  # handed to the parent, which raises it at this chunk (KeyboardInterrupt too)
        outcome = ("error", error)
    try:
        return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(("error", RuntimeError(f"chunk {number}: its result could not be handed back")))
