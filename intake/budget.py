"""A time budget per file: inspecting or cleaning one file runs in a forked child that is
killed when the budget is spent, so no file, however crafted, holds up a batch for long.

A child, not a cooperative deadline: the format walkers spend their time inside C
libraries (qpdf, zlib, expat) that no Python check can interrupt, and a child that
crashes takes only itself down. The file's bytes reach the child by fork (no copy
until written); the result comes back pickled through a pipe.
"""

from __future__ import annotations

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


class TimeLimitExceeded(Refused):
    """The file took longer than its budget: refused, like any file that cannot be cleaned."""


def configured_time_limit() -> float:
    """Seconds per file, from INTAKE_TIME_LIMIT (docs/cli.md), else the default."""
    text = os.environ.get(ENV_TIME_LIMIT)
    if not text:
        return DEFAULT_TIME_LIMIT
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
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read_fd)
        _child(write_fd, work, args)
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
    status, value = pickle.loads(data)
    if status == "error":
        raise value
    return value


def _child(write_fd: int, work: Callable[..., object], args: tuple) -> None:
    code = 0
    try:
        try:
            outcome: tuple[str, object] = ("ok", work(*args))
        except Exception as error:  # handed to the parent, which raises it
            outcome = ("error", error)
        try:
            data = pickle.dumps(outcome)
        except Exception:
            data = pickle.dumps(("error", Refused("the file could not be handled; refused")))
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
