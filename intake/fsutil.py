"""Durable, atomic file writes: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from intake.errors import IntakeError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def partial_path(final: Path) -> Path:
    """Where a file is written before it is renamed into place."""
    return final.with_name(f".partial-{secrets.token_hex(8)}-{final.name}")


def create_private(path: Path) -> int:
    """Open a new file 0600, refusing to follow or reuse anything already there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)


def atomic_write(path: Path, data: bytes, sync_dir: bool = True) -> None:
    """`sync_dir=False` leaves the folder's fsync to the caller, who may batch it."""
    partial = partial_path(path)
    fd = create_private(partial)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=PRIVATE_DIR, parents=False, exist_ok=False)
    os.chmod(path, PRIVATE_DIR)


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """A small input file, read whole: a FIFO, device or folder would hang or never end, so it is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise IntakeError(f"cannot read {what} {path} ({error.strerror})") from error
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise IntakeError(f"{path} is not a regular file; give {what} as a file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise IntakeError(f"{path} is too large to be {what} (over {limit} bytes)")
    return data
