"""A time budget per file: inspecting or cleaning one file runs in a forked child that is
killed when the budget is spent, so no file, however crafted, holds up a batch for long.

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
import time
from collections.abc import Callable
from typing import TypeVar

from intake.errors import IntakeError, Refused

T = TypeVar("T")
ENV_TIME_LIMIT = "INTAKE_TIME_LIMIT"
DEFAULT_TIME_LIMIT = 120.0
# Files of any size are cleaned by stream: without a setting, big ones get this much more per GiB.
DEFAULT_SECONDS_PER_GIB = 120.0


class TimeLimitExceeded(Refused):
    """The file took longer than its budget: refused, like any file that cannot be cleaned."""


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
            raise TimeLimitExceeded(f"took longer than {seconds:g} s; refused (the limit is {ENV_TIME_LIMIT})")
        if not data:
            raise Refused("the parser stopped abruptly on this file; refused")
        status, value = _unpickle(data, shared)
    if status == "error":
        raise value
    return value


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
