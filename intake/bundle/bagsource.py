"""A bag on disk, as a folder or a zip, read without trusting it.

The bag may be hostile: made to escape the folder it is read from, to
exhaust memory or time, or to make two readers see two different files.
Nothing is ever extracted or written; every file is read through this view.

A folder: every symbolic link and every special file (FIFO, socket, device)
inside it is refused at `open`, by name; files are then opened one path
component at a time with O_NOFOLLOW, so a link swapped in later is not
followed either.

A zip (recognised by its first bytes, never its name) is refused at `open`
if a member name is unsafe (see bagpath.path_problem), two names are the same
file once case and Unicode form are folded, a name is both a file and a
folder, a member is a link or other special file, is encrypted, or uses a
compression other than stored or deflate, if it has more than MAX_ENTRIES
entries (counted in the central directory before the zip library parses
it), or if its members declare more than `max_total_size` bytes in all.
While a member is read its bytes are counted: more or fewer than it declared
stops the read. So a bomb costs at most `max_total_size` bytes of
decompression work.

Error classes: a path that is missing, unreadable, or neither a folder nor a
zip is IntakeError (exit 2, unusable input). A folder or zip that is one but
is unsafe or damaged (links, hostile names, bombs, a truncated or corrupt zip)
is CheckFailed (exit 1): the bundle was read and failed verification.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from intake.bundle.bagpath import fold, parents, path_problem, shown
from intake.errors import CheckFailed, IntakeError
from intake.support.fsutil import open_regular

MAX_ENTRIES = 100_000
MAX_TOTAL_SIZE = 4 << 30
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
_ENCRYPTED = 0x01 | 0x40  # traditional and strong encryption flags
# What hostile zip bytes can make the standard library raise.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
               NotImplementedError, OverflowError, KeyError, IndexError)


class BagSource(ABC):
    """Read-only view of a bag: a folder or a zip, chosen by content."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path, max_total_size: int = MAX_TOTAL_SIZE) -> "BagSource":
        """The bag at `path`; `max_total_size` bounds what a zip may expand to."""
        path = Path(path)
        try:
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                return FolderBag(path)
            if stat.S_ISREG(mode) and _starts_like_zip(path):
                return ZipBag(path, max_total_size)
        except FileNotFoundError:
            raise IntakeError(f"{shown(str(path))} does not exist") from None
        except PermissionError:
            raise IntakeError(f"cannot read {shown(str(path))} (permission denied)") from None
        except OSError as error:
            raise IntakeError(f"cannot read {shown(str(path))} ({error.strerror})") from None
        raise IntakeError(f"{shown(str(path))} is neither a bag folder nor a zip file")

    @abstractmethod
    def files(self) -> list[str]:
        """Every regular file, as a POSIX path relative to the bag's root, sorted."""

    @abstractmethod
    def _open(self, path: str) -> BinaryIO:
        """A stream over one file named by files(); CheckFailed if it is not there."""

    def read(self, path: str, limit: int) -> bytes:
        """A whole small file; CheckFailed if it is longer than `limit` bytes."""
        with self.stream(path) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise CheckFailed(f"{shown(path)} is larger than {limit} bytes")
        return data

    @contextmanager
    def stream(self, path: str) -> Iterator[BinaryIO]:
        stream = self._open(path)
        try:
            yield stream
        finally:
            stream.close()

    def close(self) -> None:
        """Release the folder or zip; the default holds nothing."""

    def __enter__(self) -> "BagSource":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _starts_like_zip(path: Path) -> bool:
    with open_regular(path, "a bundle") as handle:
        return handle.read(4) in _ZIP_SIGNATURES


# --- folders ------------------------------------------------------------------

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO swapped in after the walk must not hang; it is then refused.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class FolderBag(BagSource):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self._root = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as error:
            raise IntakeError(f"cannot open the bag folder {shown(str(path))} ({error.strerror})") from None
        try:
            self._files = _walk(self._root)
        except BaseException:
            os.close(self._root)
            raise
        self._known = frozenset(self._files)

    def files(self) -> list[str]:
        return list(self._files)

    def _open(self, path: str) -> BinaryIO:
        if path not in self._known:
            raise CheckFailed(f"{shown(path)} is not in the bag")
        *folders, name = path.split("/")
        opened: list[int] = []
        try:
            where = self._root
            for folder in folders:
                where = os.open(folder, _DIRECTORY_FLAGS, dir_fd=where)
                opened.append(where)
            fd = os.open(name, _FILE_FLAGS, dir_fd=where)
        except OSError as error:
            raise _changed_under_us(path, error) from None
        finally:
            for descriptor in opened:
                os.close(descriptor)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CheckFailed(f"{shown(path)} is no longer a regular file")
        return os.fdopen(fd, "rb")

    def close(self) -> None:
        if self._root >= 0:
            os.close(self._root)
            self._root = -1


def _walk(root: int) -> list[str]:
    """Every regular file below `root`, refusing links and special files by name."""
    files: list[str] = []
    count = 0
    pending: list[tuple[str, int]] = [("", os.dup(root))]
    try:
        while pending:
            prefix, fd = pending.pop()
            try:
                with os.scandir(fd) as entries:
                    for entry in entries:
                        count += 1
                        if count > MAX_ENTRIES:
                            raise CheckFailed(f"the bag folder holds more than {MAX_ENTRIES} entries")
                        relative = prefix + entry.name
                        if entry.is_symlink():
                            raise CheckFailed(f"the bag holds a symbolic link, {shown(relative)}; "
                                              "intake never follows links in a bag")
                        if entry.is_dir(follow_symlinks=False):
                            pending.append((relative + "/", os.open(entry.name, _DIRECTORY_FLAGS, dir_fd=fd)))
                        elif entry.is_file(follow_symlinks=False):
                            files.append(relative)
                        else:
                            raise CheckFailed(f"the bag holds {shown(relative)}, which is neither a file "
                                              "nor a folder (a device, pipe or socket)")
            finally:
                os.close(fd)
    except OSError as error:
        raise IntakeError(f"cannot read the bag folder ({error.strerror})") from None
    finally:
        for _, fd in pending:
            os.close(fd)
    return sorted(files)


def _changed_under_us(path: str, error: OSError) -> IntakeError:
    if error.errno in (errno.ELOOP, errno.ENOTDIR):
        return CheckFailed(f"{shown(path)} became a symbolic link while the bag was read")
    if error.errno == errno.ENOENT:
        return CheckFailed(f"{shown(path)} disappeared while the bag was read")
    return IntakeError(f"cannot read {shown(path)} ({error.strerror})")


# --- zips ---------------------------------------------------------------------


class ZipBag(BagSource):
    def __init__(self, path: Path, max_total_size: int) -> None:
        super().__init__(path)
        self._handle = open(path, "rb")
        try:
            _count_central_directory(self._handle)
            try:
                self._archive = zipfile.ZipFile(self._handle)
                infos = self._archive.infolist()
            except _ZIP_ERRORS as error:
                raise CheckFailed(f"the zip is damaged ({_zip_error(error)})") from None
            self._members = _index(infos, max_total_size)
        except BaseException:
            self._handle.close()
            raise

    def files(self) -> list[str]:
        return sorted(self._members)

    def _open(self, path: str) -> BinaryIO:
        info = self._members.get(path)
        if info is None:
            raise CheckFailed(f"{shown(path)} is not in the bag")
        try:
            member = self._archive.open(info)
        except _ZIP_ERRORS as error:
            raise CheckFailed(f"{shown(path)}: damaged zip member ({_zip_error(error)})") from None
        return io.BufferedReader(_CountedMember(member, info.file_size, path), io.DEFAULT_BUFFER_SIZE)

    def close(self) -> None:
        self._archive.close()
        self._handle.close()


def _zip_error(error: BaseException) -> str:
    """The library's complaint about zip structure, which never quotes member data."""
    return shown(" ".join(str(error).split())) or type(error).__name__


class _CountedMember(io.RawIOBase):
    """A member's bytes, stopped the moment they exceed what it declared, checked at the end."""

    def __init__(self, member: BinaryIO, declared: int, path: str) -> None:
        self._member = member
        self._declared = declared
        self._path = path
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._declared - self._count + 1)
        try:
            chunk = self._member.read(wanted)
        except _ZIP_ERRORS as error:
            raise CheckFailed(f"{shown(self._path)}: damaged zip member ({_zip_error(error)})") from None
        self._count += len(chunk)
        if self._count > self._declared:
            raise CheckFailed(f"{shown(self._path)}: the zip member holds more bytes than it declares")
        if not chunk and wanted and self._count != self._declared:
            raise CheckFailed(f"{shown(self._path)}: the zip member holds fewer bytes than it declares")
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._member.close()
        super().close()


def _count_central_directory(handle: BinaryIO) -> None:
    """Refuse more than MAX_ENTRIES entries before the zip library builds one object per entry.

    The count in the end record can lie, so the central directory itself is
    walked, header by header, without keeping anything.
    """
    size = handle.seek(0, os.SEEK_END)
    tail_start = max(0, size - (22 + 0xFFFF))
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise CheckFailed("the zip is damaged (no end record: truncated?)")
    directory_size = struct.unpack_from("<I", tail, at + 12)[0]
    end = tail_start + at
    locator = end - 20
    if locator >= 0 and _read_at(handle, locator, 4) == b"PK\x06\x07":
        end = locator - 56  # the zip64 end record, where the zip library also looks for it
        record = _read_at(handle, end, 56)
        if len(record) != 56 or record[:4] != b"PK\x06\x06":
            raise CheckFailed("the zip is damaged (bad zip64 end record)")
        directory_size = struct.unpack_from("<Q", record, 40)[0]
    position = end - directory_size
    if position < 0:
        raise CheckFailed("the zip is damaged (its central directory lies outside the file)")
    count = 0
    while position < end:
        header = _read_at(handle, position, 46)
        if len(header) < 46 or header[:4] != b"PK\x01\x02":
            raise CheckFailed("the zip is damaged (bad central directory)")
        count += 1
        if count > MAX_ENTRIES:
            raise CheckFailed(f"the zip has more than {MAX_ENTRIES} entries")
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", header, 28)
        position += 46 + name_length + extra_length + comment_length


def _read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    handle.seek(offset)
    return handle.read(length)


def _index(infos: list[zipfile.ZipInfo], max_total_size: int) -> dict[str, zipfile.ZipInfo]:
    """The members by path relative to the bag's root, once every one has passed the checks."""
    files: dict[str, zipfile.ZipInfo] = {}
    folders: set[str] = set()
    folded: dict[str, str] = {}
    total = 0
    for info in infos:
        name = _check_member(info)
        key = fold(name.rstrip("/"))
        if key in folded:
            other = folded[key]
            problem = "twice" if other == name else f"twice, as {shown(other)} and {shown(name)} (same name once case is ignored)"
            raise CheckFailed(f"the zip holds {shown(name.rstrip('/'))} {problem}")
        folded[key] = name
        if name.endswith("/"):
            folders.add(name.rstrip("/"))
            continue
        total += info.file_size
        if total > max_total_size:
            raise CheckFailed(f"the zip's members declare more than {max_total_size} bytes in all (a zip bomb?)")
        files[name] = info
    _check_folders(files, folders)
    prefix = _bag_prefix(list(files) + [folder + "/" for folder in folders])
    return {name[len(prefix):]: info for name, info in files.items()}


def _check_member(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if info.orig_filename != name:
        raise CheckFailed(f"the zip has a member name with a NUL byte, {shown(info.orig_filename)}")
    problem = path_problem(name[:-1] if name.endswith("/") else name)
    if problem:
        raise CheckFailed(f"the zip has an unsafe member name: {shown(name)} {problem}")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise CheckFailed(f"the zip holds a symbolic link, {shown(name)}")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise CheckFailed(f"the zip holds {shown(name)}, which is neither a file nor a folder")
    if info.flag_bits & _ENCRYPTED:
        raise CheckFailed(f"the zip member {shown(name)} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckFailed(f"the zip member {shown(name)} uses a compression other than stored or deflate")
    if name.endswith("/") and info.file_size:
        raise CheckFailed(f"the zip folder entry {shown(name)} holds data")
    return name


def _check_folders(files: dict[str, zipfile.ZipInfo], folders: set[str]) -> None:
    for name in files:
        if name in folders:
            raise CheckFailed(f"the zip holds {shown(name)} both as a file and as a folder")
        for parent in parents(name):
            if parent in files:
                raise CheckFailed(f"the zip holds {shown(parent)} both as a file and as a folder")


def _bag_prefix(names: list[str]) -> str:
    """"" if the bag sits at the zip's root, else its single top-level folder followed by "/".

    RFC 8493 puts the bag in one top-level folder; bags zipped from inside
    their folder, with bagit.txt at the root, are accepted too.
    """
    if "bagit.txt" in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""
