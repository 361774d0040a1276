"""A time budget per file: inspecting or cleaning one file runs in a forked child that is
killed when the budget is spent, so no file, however crafted, holds up a batch for long.

Two shapes: `run_within` forks one child per call (add, the app); `BudgetedPool` forks a
few workers once and hands each one file at a time with a deadline (sanitize of a folder):
a worker past its deadline is killed and replaced, and its file refused with the same
message. A pool worker writes its own output and sends back only a small report, plus the
descriptors of the files it wrote (SCM_RIGHTS), so the parent can name them once synced.

A child, not a cooperative deadline: the format walkers spend their time inside C
libraries (qpdf, zlib, expat) that no Python check can interrupt, and a child that
crashes takes only itself down. The file's bytes reach the child by fork (no copy
until written); the result comes back pickled, through memory shared with the child
when it fits (a clean copy of several MB through a 64 KiB pipe took longer than
cleaning a photo), else through the pipe.
"""

from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import socket
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from intake.errors import IntakeError, Refused, TimeLimitExceeded

T = TypeVar("T")
ENV_TIME_LIMIT = "INTAKE_TIME_LIMIT"
DEFAULT_TIME_LIMIT = 120.0
# Files of any size are cleaned by stream: without a setting, big ones get this much more per GiB.
DEFAULT_SECONDS_PER_GIB = 120.0


def configured_time_limit(size: int = 0) -> float:
    """Seconds per file, from INTAKE_TIME_LIMIT (docs/cli.md), else the default for a file of `size` bytes."""
    text = os.environ.get(ENV_TIME_LIMIT)
    if not text:
        return DEFAULT_TIME_LIMIT + DEFAULT_SECONDS_PER_GIB * size / (1 << 30)
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e6:
        raise IntakeError(f"{ENV_TIME_LIMIT} must be a number of seconds above 0 (it is {text[:20]!r})")
    return seconds


def run_within(seconds: float, work: Callable[..., T], *args: object) -> T:
    """work(*args) in a child process; its result, or its exception raised here."""
    read_fd, write_fd = os.pipe()
    with mmap.mmap(-1, _shared_size(args)) as shared:  # anonymous and shared: pages cost memory only once written
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_fd)
            serve_in_child(write_fd, work, args, shared)
        os.close(write_fd)
        try:
            data = _read_until(read_fd, time.monotonic() + seconds)
        finally:
            os.close(read_fd)
            _reap(pid)
        if data is None:
            raise over_time(seconds)
        if not data:
            raise stopped_abruptly()
        status, value = _unpickle(data, shared)
    if status == "error":
        raise value
    return value


def over_time(seconds: float) -> TimeLimitExceeded:
    return TimeLimitExceeded(f"took longer than {seconds:g} s; refused (the limit is {ENV_TIME_LIMIT})")


def stopped_abruptly() -> Refused:
    return Refused("the parser stopped abruptly on this file; refused")


def _shared_size(args: tuple) -> int:
    """Room for a result the size of the inputs (a clean copy is about the original's size), and some."""
    return 2 * sum(len(a) for a in args if isinstance(a, (bytes, bytearray, memoryview))) + (1 << 20)


def _unpickle(data: bytes, shared: mmap.mmap) -> tuple[str, object]:
    """The pipe carries the pickle, or b"@" and the length of the pickle the child left in shared memory."""
    if data[:1] != b"@":
        return pickle.loads(data)
    length = int(data[1:])
    if not 0 <= length <= len(shared):
        raise Refused("the file could not be handled; refused")
    with memoryview(shared)[:length] as view:
        return pickle.loads(view)


def _pickled(outcome: tuple[str, object], shared: mmap.mmap | None) -> bytes:
    """What goes through the pipe: the pickle itself, or where it was written in shared memory
    (straight into it: a large result is not copied once more on the way)."""
    try:
        if shared is not None:
            pickle.dump(outcome, shared)  # type: ignore[arg-type]
            return b"@%d" % shared.tell()
    except ValueError:  # larger than the shared memory
        pass
    except Exception:
        outcome = ("error", Refused("the file could not be handled; refused"))
    try:
        return pickle.dumps(outcome)
    except Exception:
        return pickle.dumps(("error", Refused("the file could not be handled; refused")))


def serve_in_child(write_fd: int, work: Callable[..., object], args: tuple, shared: mmap.mmap | None = None) -> None:
    """The whole life of a forked child: work(*args), then its result or exception, pickled, to the
    parent (through `shared` memory when given and large enough, else the pipe); never returns."""
    code = 0
    try:
        try:
            outcome: tuple[str, object] = ("ok", work(*args))
        except Exception as error:  # handed to the parent, which raises it
            outcome = ("error", error)
        data = _pickled(outcome, shared)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes before EOF; None when the deadline passes first."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- a pool of budgeted workers

_JOB = struct.Struct("<Q")
_MAX_REPORT = 1 << 16  # a report is a small dict; the clean copy itself never travels
_MAX_FDS = 4


@dataclass
class Done:
    """One item's outcome: `work`'s report and the descriptors it handed over, or the refusal
    or error it ended with (a time limit, a crash, or whatever `work` raised)."""

    index: int
    report: object = None
    fds: list[int] = field(default_factory=list)
    error: BaseException | None = None


@dataclass
class _Worker:
    pid: int
    channel: socket.socket
    queue: list[int] = field(default_factory=list)  # items sent, in order; the first is being worked on
    deadline: float = 0.0  # for the first item


# Items queued per worker: the next one waits in the worker's channel, so it starts as soon as
# the last is done, not after a round trip through this process (which a loaded machine may
# not schedule for milliseconds). Its deadline starts when the last one's result arrives.
_QUEUED = 2


class BudgetedPool:
    """`work(item) -> (report, descriptors)` for each item on `size` forked workers, each item
    within its own number of seconds. Workers are forked once (they inherit `work` and the items:
    nothing but an index is sent to them) and killed at the end, or when an item overruns; the
    items queued behind one that overran go to other workers."""

    def __init__(self, work: Callable[[T], tuple[object, list[int]]], items: Sequence[T], size: int) -> None:
        self._work, self._items, self._size = work, items, max(1, size)
        self._workers: list[_Worker] = []
        self._waiting: list[int] = []

    def run(self, seconds: Sequence[float]) -> Iterator[Done]:
        """Each item's Done, in the order they finish; every worker is gone when this ends."""
        self._waiting = list(range(len(self._items)))[::-1]
        try:
            while self._waiting or any(w.queue for w in self._workers):
                self._fill(seconds)
                yield from self._collect(seconds)
        finally:
            for worker in self._workers:
                _stop(worker)
            self._workers = []

    def _fill(self, seconds: Sequence[float]) -> None:
        """Every worker's queue topped up, the least loaded first; new workers up to `size`."""
        while self._waiting:
            worker = min(self._workers, key=lambda w: len(w.queue), default=None)
            if len(self._workers) < self._size and (worker is None or worker.queue):
                worker = self._spawn()
            if worker is None or len(worker.queue) >= _QUEUED:
                return
            if not self._send(worker, self._waiting.pop(), seconds):
                return

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            ours.close()
            for sibling in self._workers:
                sibling.channel.close()
            _serve_items(theirs, self._work, self._items)
        theirs.close()
        worker = _Worker(pid, ours)
        self._workers.append(worker)
        return worker

    def _send(self, worker: _Worker, index: int, seconds: Sequence[float]) -> bool:
        """False when the worker is dead with an item of ours: `_collect` reports that item (it
        finds the closed channel) before the worker is replaced."""
        try:
            worker.channel.send(_JOB.pack(index))
        except OSError:  # it died: this item waits for another worker
            self._waiting.append(index)
            if worker.queue:  # it died working on queue[0], which must not go unreported
                return False
            self._replace(worker)
            return True
        if not worker.queue:
            worker.deadline = time.monotonic() + seconds[index]
        worker.queue.append(index)
        return True

    def _collect(self, seconds: Sequence[float]) -> Iterator[Done]:
        busy = [w for w in self._workers if w.queue]
        timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready, _, _ = select.select([w.channel for w in busy], [], [], timeout)
        for worker in busy:
            if worker.channel in ready:
                yield self._receive(worker, seconds)
            elif time.monotonic() >= worker.deadline:
                index = worker.queue[0]
                self._replace(worker)
                yield Done(index, error=over_time(seconds[index]))

    def _receive(self, worker: _Worker, seconds: Sequence[float]) -> Done:
        index = worker.queue[0]
        try:
            data, fds, _, _ = socket.recv_fds(worker.channel, _MAX_REPORT, _MAX_FDS)
        except OSError:
            data, fds = b"", []
        if not data:
            for fd in fds:
                os.close(fd)
            self._replace(worker)
            return Done(index, error=stopped_abruptly())
        worker.queue.pop(0)
        if worker.queue:  # the worker has started the next one
            worker.deadline = time.monotonic() + seconds[worker.queue[0]]
        status, value, took = pickle.loads(data)
        if status == "error" or took > seconds[index]:
            for fd in fds:  # a file written past the limit is discarded: nameless, it vanishes
                os.close(fd)
            return Done(index, error=value if status == "error" else over_time(seconds[index]))
        return Done(index, report=value, fds=list(fds))

    def _replace(self, worker: _Worker) -> None:
        """A worker past its deadline or dead is killed and reaped; the items queued behind the
        one it was working on go back to wait for another worker."""
        _stop(worker)
        self._workers.remove(worker)
        self._waiting.extend(reversed(worker.queue[1:]))
        worker.queue.clear()


def _stop(worker: _Worker) -> None:
    worker.channel.close()
    try:
        os.kill(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(worker.pid, 0)


def _serve_items(channel: socket.socket, work: Callable[[T], tuple[object, list[int]]], items: Sequence[T]) -> None:
    """The whole life of a pool worker: an index in, work(item) out (its report pickled with the
    seconds it took, its descriptors passed), until the parent closes the channel; never returns.
    The parent holds each item to its limit by those seconds too: a result already waiting when a
    loaded parent gets round to looking may still have come too late."""
    code = 0
    try:
        while request := channel.recv(_JOB.size):
            (index,) = _JOB.unpack(request)
            started = time.monotonic()
            try:
                report, fds = work(items[index])
                outcome: tuple[str, object, float] = ("ok", report, time.monotonic() - started)
            except Exception as error:  # handed to the parent, which decides
                outcome, fds = ("error", error, 0.0), []
            if fds:
                socket.send_fds(channel, [_report(outcome)], fds)
            else:
                channel.send(_report(outcome))
            for fd in fds:  # the parent holds its own copies now
                os.close(fd)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _report(outcome: tuple[str, object, float]) -> bytes:
    try:
        data = pickle.dumps(outcome)
    except Exception:
        data = b""
    if not data or len(data) > _MAX_REPORT:
        data = pickle.dumps(("error", Refused("the file could not be handled; refused"), 0.0))
    return data
