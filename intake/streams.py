"""Joining a writer-shaped step to a reader-shaped one, in constant memory.

pyrage decrypts *into* a writer but encrypts *from* a reader, and tarfile
streams in one direction at a time; an OS pipe between two threads lets them
be chained without holding a file in memory or writing plaintext to disk.
"""

from __future__ import annotations

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
