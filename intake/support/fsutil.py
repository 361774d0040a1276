"""Durable, atomic file writes: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import errno
import glob
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from intake.errors import IntakeError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PARTIAL_PREFIX = ".partial-"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_files(files: Sequence[Path], folders: Sequence[Path]) -> None:
    """Every one of `files` and `folders` (all in the file system of folders[0]) on disk.

    On Linux one syncfs(2) of that file system writes them all back and commits the journal
    once: a bag of 2,500 small files took 0.02-0.08 s so, against 0.8-2.3 s for one fsync each
    (every fsync waits for a journal commit and a cache flush of its own). Since Linux 5.8
    syncfs reports a failed write back like fsync. Elsewhere, one fsync each."""
    if folders and _syncfs(folders[0]):
        return
    for path in files:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in folders:
        fsync_dir(folder)


def _syncfs(folder: Path) -> bool:
    """syncfs(2) of the file system holding `folder`; False where there is none (not Linux)."""
    syncfs = _libc_syncfs()
    if syncfs is None:
        return False
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if syncfs(fd) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    finally:
        os.close(fd)
    return True


def _libc_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2), or None where there is none (not Linux, or an old libc)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only here: the start-up of every command does not pay for it

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # the program's own symbols include libc's
    except (OSError, AttributeError):
        return None


def partial_path(final: Path) -> Path:
    """Where a file is written before it is renamed into place."""
    return final.with_name(f"{PARTIAL_PREFIX}{secrets.token_hex(8)}-{final.name}")


def remove_partials(final: Path) -> None:
    """Remove what `partial_path` names for `final` and nothing else: a writer killed before its
    rename (a sanitize worker past its time limit on vfat, where there are no nameless files)
    leaves its hidden partial file, and no trace of it may stay."""
    for partial in final.parent.glob(f"{PARTIAL_PREFIX}{'[0-9a-f]' * 16}-{glob.escape(final.name)}"):
        partial.unlink(missing_ok=True)


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


class NewFile:
    """A new file that appears under its name only once complete, and never replaces one.

    It is written nameless (O_TMPFILE in the target's folder) and linked in at the end, so a
    kill, even SIGKILL, leaves nothing in the user's folder. Where the file system has no
    O_TMPFILE it falls back to a hidden partial name, removed on any error we can catch."""

    def __init__(self, target: Path, mode: int = PRIVATE_FILE) -> None:
        self.target = target
        self._partial: Path | None = None
        try:
            fd = os.open(target.parent, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, mode)
        except (AttributeError, OSError) as error:
            if isinstance(error, OSError) and error.errno not in _NO_TMPFILE:
                raise IntakeError(f"cannot write {target} ({error.strerror})") from error
            self._partial = partial_path(target)
            fd = _create(self._partial, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        os.fchmod(fd, mode)
        self.handle: BinaryIO = os.fdopen(fd, "w+b")

    @classmethod
    def adopt(cls, target: Path, fd: int, partial: str | None = None) -> NewFile:
        """The file another process wrote and handed over (hand_over), to be committed here."""
        new = cls.__new__(cls)
        new.target, new._partial = target, Path(partial) if partial else None
        new.handle = os.fdopen(fd, "r+b")
        return new

    def hand_over(self) -> tuple[int, str | None]:
        """A descriptor of the written file (the caller's to pass on and close) and its partial
        name, if it has one, for another process to adopt; this object lets go of the file."""
        self.handle.flush()
        fd = os.dup(self.handle.fileno())
        self.handle.close()
        return fd, str(self._partial) if self._partial else None

    def make_durable(self) -> None:
        """Its bytes on disk, before it has a name: commit(synced=True) then names it."""
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def commit(self, synced: bool = False) -> None:
        """Name the file. `synced`: the caller has made its data durable (sync_open_files) and will
        fsync the folder itself, once for many files."""
        try:
            self.handle.flush()
            if not synced:
                os.fsync(self.handle.fileno())
            # Fails, rather than replaces, if the name was taken meanwhile.
            if self._partial is None:
                _link_nameless(self.handle.fileno(), self.target)
            else:
                os.link(self._partial, self.target)
        except FileExistsError as error:
            raise IntakeError(f"{self.target} appeared while it was being written; nothing was changed") from error
        except OSError as error:
            raise IntakeError(f"cannot write {self.target} ({error.strerror}); nothing was left there") from error
        finally:
            self.discard()
        if not synced:
            fsync_dir(self.target.parent)

    def discard(self) -> None:
        try:
            self.handle.close()
        except OSError:  # a full disk fails the last flush; the file is going anyway
            pass
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)


def start_writeback(handle: BinaryIO) -> None:
    """Start writing a new file's data to disk now, without waiting (Linux starts writeback for
    POSIX_FADV_DONTNEED): a later sync_open_files then waits only for what is still in flight."""
    handle.flush()
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def sync_open_files(handles: list[BinaryIO]) -> None:
    """Make the data of open files durable, nameless ones included: one syncfs(2) per file
    system (a batch of new files costs one journal commit, not one each), or an fsync per file
    where libc has no syncfs or it fails (fsync then raises the error)."""
    for handle in handles:
        handle.flush()
    synced: set[int] = set()
    for handle in handles:
        device = os.fstat(handle.fileno()).st_dev
        if device in synced:
            continue
        if _syncfs_of(handle.fileno()):
            synced.add(device)
        else:
            os.fsync(handle.fileno())


def _syncfs_of(fd: int) -> bool:
    """syncfs(2) of the file system holding the open file `fd`; False where there is none or it fails."""
    syncfs = _libc_syncfs()
    return syncfs is not None and syncfs(fd) == 0


def _link_nameless(fd: int, target: Path) -> None:
    """linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N, the unprivileged way to name an O_TMPFILE
    file; Python uses it only when given a folder descriptor (plain link() would fail, EXDEV)."""
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.link(f"/proc/self/fd/{fd}", target.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL}


def _create(path: Path, flags: int, mode: int) -> int:
    try:
        return os.open(path, flags, mode)
    except OSError as error:
        raise IntakeError(f"cannot write {path} ({error.strerror})") from error


@contextmanager
def new_file(target: Path, mode: int = PRIVATE_FILE) -> Iterator[BinaryIO]:
    """`with new_file(path) as out:` write; the file appears whole at the end, or not at all."""
    output = NewFile(target, mode)
    try:
        yield output.handle
    except OSError as error:
        output.discard()
        if error.errno is None:
            raise
        raise IntakeError(f"cannot write {target} ({error.strerror}); nothing was left there") from error
    except BaseException:
        output.discard()
        raise
    output.commit()


def remove_files(folder: Path, chosen: Callable[[str], bool]) -> None:
    """Remove the files (not folders) in `folder` whose names are `chosen`."""
    # scandir, not Path.glob: glob lists a whole folder first (a million blobs took 250 MB)
    with os.scandir(folder) as listing:
        doomed = [entry.path for entry in listing if chosen(entry.name) and not entry.is_dir(follow_symlinks=False)]
    for path in doomed:
        Path(path).unlink(missing_ok=True)


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=PRIVATE_DIR, parents=False, exist_ok=False)
    os.chmod(path, PRIVATE_DIR)


def resolved(path: Path) -> Path:
    """path.resolve(), with a symlink loop or an unreadable folder as a one-line error
    (Python 3.11 raises RuntimeError for a loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or "a loop of symbolic links"
        raise IntakeError(f"cannot follow {path} ({reason})") from error


# Bounds for whole-file reads, per kind of file: far above any real one, far below memory.
PASSPHRASE_FILE_LIMIT = 4 << 10
IDENTITY_FILE_LIMIT = 64 << 10
CHECKPOINT_FILE_LIMIT = 1 << 20


def open_regular(path: Path, what: str) -> BinaryIO:
    """Open an input for reading, refusing anything but a regular file.

    Opening a FIFO blocks until a writer comes, and a device such as /dev/zero
    never ends: O_NONBLOCK makes the open return at once, and fstat on the open
    descriptor (not the name, which could be swapped meanwhile) decides."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise IntakeError(f"cannot read {what} {path} ({error.strerror})") from error
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IntakeError(f"{path} is not a regular file; give {what} as a file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """A small input file, read whole and bounded: a FIFO, device or folder is refused."""
    with open_regular(path, what) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise IntakeError(f"cannot read {what} {path} ({error.strerror})") from error
    if len(data) > limit:
        raise IntakeError(f"{path} is too large to be {what} (over {limit} bytes)")
    return data


def read_regular_text(path: Path, limit: int, what: str) -> str:
    try:
        return read_regular_file(path, limit, what).decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(f"{path} is not {what} (not UTF-8 text)") from None
