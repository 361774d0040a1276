"""Joining a writer-shaped step to a reader-shaped one, in constant memory.

pyrage decrypts *into* a writer but encrypts *from* a reader, and tarfile
streams in one direction at a time; an OS pipe between two threads lets them
be chained without holding a file in memory or writing plaintext to disk.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from typing import BinaryIO, TypeVar

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


class KeepingReader(io.RawIOBase):
    """A read-only stream that keeps a copy of what passes through it, up to `limit` bytes: for
    a file that must also be looked at whole once it has streamed by. Past the limit it keeps
    nothing more and says so (`overflowed`), and the stream itself goes on."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source = source
        self._kept = bytearray()
        self._limit = limit
        self.overflowed = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._source.read(len(buffer))
        buffer[:len(chunk)] = chunk
        if not self.overflowed:
            if len(self._kept) + len(chunk) > self._limit:
                self.overflowed, self._kept = True, bytearray()
            else:
                self._kept += chunk
        return len(chunk)

    def kept(self) -> bytes:
        return bytes(self._kept)
