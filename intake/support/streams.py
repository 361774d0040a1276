"""Joining a writer-shaped step to a reader-shaped one, in constant memory.

pyrage decrypts *into* a writer but encrypts *from* a reader, and tarfile
streams in one direction at a time; an OS pipe between two threads lets them
be chained without holding a file in memory or writing plaintext to disk.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from intake.support.hashing import read_into

T = TypeVar("T")


def piped(produce: Callable[[BinaryIO], None], consume: Callable[[BinaryIO], T]) -> T:
    """Run produce(writer) in a thread and consume(reader) here; either's error is raised here."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def run_producer() -> None:
        try:
            with os.fdopen(write_fd, "wb") as writer:
                produce(writer)
        except BaseException as error:  # handed to the consumer's thread below
            failure.append(error)

    thread = threading.Thread(target=run_producer, daemon=True)
    thread.start()
    consumer_error: BaseException | None = None
    try:
        with os.fdopen(read_fd, "rb") as reader:
            result = consume(reader)
            while reader.read(1 << 16):  # let the producer finish even if the consumer stopped early
                pass
    except BaseException as error:
        consumer_error = error
    thread.join()
    # The producer's error explains a consumer that met a truncated stream, so it wins.
    if failure and not isinstance(failure[0], BrokenPipeError):
        raise failure[0] from consumer_error
    if consumer_error is not None:
        raise consumer_error
    return result


class SpillingReader(io.RawIOBase):
    """A read-only stream that keeps a copy of what passes through it, to be looked at whole
    once it has streamed by (`copy()`, a seekable file at its start). Up to `limit` bytes the
    copy is held in memory; past that it goes to a nameless file in `folder` (O_TMPFILE:
    gone when closed or killed), so memory stays bounded for a file of any size."""

    def __init__(self, source: BinaryIO, limit: int, folder: Path) -> None:
        self._source = source
        self._limit = limit
        self._folder = folder
        self._copy: BinaryIO = io.BytesIO()
        self.spilled = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = read_into(self._source, buffer)
        if not self.spilled and self._copy.tell() + count > self._limit:
            self._spill()
        with memoryview(buffer) as whole, whole[:count] as chunk:
            self._copy.write(chunk)
        return count

    def _spill(self) -> None:
        held = self._copy.getvalue()  # type: ignore[attr-defined]
        self._copy = tempfile.TemporaryFile(dir=self._folder)
        self._copy.write(held)
        self.spilled = True

    def copy(self) -> BinaryIO:
        self._copy.seek(0)
        return self._copy

    def discard(self) -> None:
        """Closing this reader (a wrapper may do it) keeps the copy; this drops it."""
        self._copy.close()
