"""BagIt 1.0 (RFC 8493): writing a bag, and validating one that may be hostile.

A bag written here is checkable by any BagIt validator and by `sha256sum -c`
on its manifests: `data/` holds the payload; beside it sit bagit.txt,
bag-info.txt, payload manifests for sha256 and sha512, the caller's tag
files, optionally a signed list of every file (see SignedList), and tag
manifests for sha256 and sha512 that list every tag file but themselves, so
every file of the bag is covered by a manifest, as RFC 8493 validators expect. Output is deterministic: the same input gives the same bytes, and
nothing records a tool version, host, user or time unless the caller's `info`
says so.

The validator is stricter than RFC 8493, because intake's own bags always
carry both algorithms, a Payload-Oxum and complete tag manifests: anything
less from a bag that claims to be ours is a sign of tampering. See
docs/formats.md, "Bundles: BagIt layer".
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ContextManager, Protocol

from intake.bundle.bagpath import fold, parents, path_problem, shown
from intake.bundle.bagsource import BagSource
from intake.errors import Check, CheckFailed, IntakeError
from intake.forked import ForkedChunks
from intake.support.fsutil import NewFile, fsync_dir, sync_files
from intake.support.hashing import Digests, DigestingWriter, digest_stream

__all__ = ["ALGORITHMS", "BagFile", "BagSource", "BagSummary", "SignedList", "manifest_entries",
           "signed_list_entries", "validate_bag", "write_bag"]

ALGORITHMS = ("sha256", "sha512")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
PAYLOAD = "data/"
SIGNATURE_SUFFIXES = (".sig", ".asc")  # raw Ed25519, OpenPGP armored
FILE_MODE = 0o644
FOLDER_MODE = 0o755
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_UNIX = 3  # zip "made by" system: the 0644 / 0755 modes below are Unix modes
_RESERVED = re.compile(r"^(bagit\.txt|bag-info\.txt|fetch\.txt|(tag)?manifest-.*)$")
_MANIFEST_NAME = re.compile(r"^(tag)?manifest-(.+)\.txt$")
_HEX_LENGTH = {"sha256": 64, "sha512": 128}


# --- records ------------------------------------------------------------------


@dataclass(frozen=True)
class BagFile:
    """One file to put in a bag.

    `source` is the content, or a callable that writes it to the stream it is
    given (called once; the bytes are hashed as they pass). `size`, if given,
    is checked against what was written; a zip needs it for a file over 2 GiB.
    `check`, if given, is called with the digests of what was written, before
    anything else is: it raises to stop the bag (export compares a clean copy
    with its ledger entry there, on the bag's own digests rather than a second
    SHA-256 of the same bytes). `known_sha512`, if given, is the SHA-512 of the
    bytes `source` writes, known beforehand: it is listed as is, and of what was
    written only SHA-256 and the size are computed, so `check` is required, and
    must prove by them that the bytes are the ones that SHA-512 was taken of
    (export: the SHA-256 and size its ledger entry records beside it).
    """

    path: str
    source: bytes | Callable[[BinaryIO], None]
    size: int | None = None
    check: Callable[[Digests], None] | None = None
    known_sha512: str | None = None

    def __post_init__(self) -> None:
        if self.known_sha512 is not None and self.check is None:
            raise ValueError("a known SHA-512 is listed only for bytes a check proves")


@dataclass(frozen=True)
class SignedList:
    """A tag file at `path` listing the SHA-256 of every other file, as `sha256sum` writes it.

    It is written after the payload manifests and before the tag manifests, so
    it covers the payload, bagit.txt, bag-info.txt, the payload manifests and
    every tag file, and the tag manifests cover it and its signatures. It cannot
    list the tag manifests (they list it) nor itself and its signatures. `sign`
    is called with its bytes and returns detached signatures as (suffix, bytes),
    suffix `.sig` or `.asc`, written beside it as `PATH.SUFFIX`.
    """

    path: str
    sign: Callable[[bytes], list[tuple[str, bytes]]]

    def names(self, suffixes: Sequence[str] = SIGNATURE_SUFFIXES) -> list[str]:
        return [self.path, *(self.path + suffix for suffix in suffixes)]


@dataclass(frozen=True)
class BagSummary:
    path: Path
    payload_count: int
    payload_bytes: int
    payload: dict[str, Digests]   # by path, e.g. "data/x.jpg"
    tags: dict[str, Digests]      # every other file written, manifests included


# --- writing ------------------------------------------------------------------


def write_bag(target: Path, payload: Sequence[BagFile], tags: Sequence[BagFile],
              info: Sequence[tuple[str, str]], as_zip: bool = False,
              signed_list: SignedList | None = None,
              before_naming: Callable[[BagSummary], None] | None = None) -> BagSummary:
    """Write a bag at `target` (a folder, or a zip if `as_zip`), all or nothing.

    `signed_list`, if given, adds the signed list of every file (SignedList).
    `before_naming`, if given, runs once the whole bag is on disk and before it appears under
    its name (export records the bag there: a kill then leaves a record without a bag, never
    a bag without its record); if it raises, the bag is discarded.
    """
    target = Path(target)
    _check_files(payload, [*tags, *(BagFile(name, b"") for name in (signed_list.names() if signed_list else []))])
    _check_info(info)
    _check_target(target)
    try:
        sink: _Sink = _ZipSink(target) if as_zip else _FolderSink(target)
    except OSError as error:
        raise _cannot_write(target, error) from None
    try:
        summary = _write_contents(sink, payload, tags, info, signed_list)
        sink.make_durable()
        if before_naming is not None:
            before_naming(summary)
        sink.commit()
    except OSError as error:
        sink.discard()
        raise _cannot_write(target, error) from None
    except BaseException:
        sink.discard()
        raise
    return summary


def _cannot_write(target: Path, error: OSError) -> IntakeError:
    return IntakeError(f"cannot write the bag {shown(str(target))} ({error.strerror or type(error).__name__}); "
                       "nothing was left behind")


def _write_contents(sink: _Sink, payload: Sequence[BagFile], tags: Sequence[BagFile],
                    info: Sequence[tuple[str, str]], signed_list: SignedList | None) -> BagSummary:
    sink.payload_folder(empty=not payload)
    files = sorted(payload, key=_by_path) + sorted(tags, key=_by_path)
    with sink.write_all(files) as each:  # left (workers stopped) before a failure discards the bag
        written = {file.path: _checked(file, digests) for file, digests in each}
    payload_digests = {file.path: written[file.path] for file in payload}
    tag_digests = {file.path: written[file.path] for file in tags}
    payload_bytes = sum(digests.size for digests in payload_digests.values())
    oxum = f"{payload_bytes}.{len(payload_digests)}"
    tag_digests["bagit.txt"] = sink.write(BagFile("bagit.txt", BAGIT_TXT))
    tag_digests["bag-info.txt"] = sink.write(BagFile("bag-info.txt", _bag_info(info, oxum)))
    for algorithm in ALGORITHMS:
        name = f"manifest-{algorithm}.txt"
        tag_digests[name] = sink.write(BagFile(name, _manifest(payload_digests, algorithm)))
    if signed_list is not None:
        tag_digests.update(_write_signed_list(sink, signed_list, {**payload_digests, **tag_digests}))
    listed = dict(tag_digests)  # tag manifests list every tag file except tag manifests
    for algorithm in ALGORITHMS:
        name = f"tagmanifest-{algorithm}.txt"
        tag_digests[name] = sink.write(BagFile(name, _manifest(listed, algorithm)))
    return BagSummary(sink.target, len(payload_digests), payload_bytes, payload_digests, tag_digests)


def _write_signed_list(sink: _Sink, signed_list: SignedList, covered: dict[str, Digests]) -> dict[str, Digests]:
    text = _manifest(covered, "sha256")
    written = {signed_list.path: sink.write(BagFile(signed_list.path, text))}
    for suffix, signature in signed_list.sign(text):
        if suffix not in SIGNATURE_SUFFIXES:
            raise ValueError(f"a signature of the signed list is named {suffix!r}")
        written[signed_list.path + suffix] = sink.write(BagFile(signed_list.path + suffix, signature))
    return written


def _by_path(file: BagFile) -> str:
    return file.path


def _bag_info(info: Sequence[tuple[str, str]], oxum: str) -> bytes:
    lines = [f"{label}: {value}\n" for label, value in info] + [f"Payload-Oxum: {oxum}\n"]
    return "".join(lines).encode("utf-8")


def _manifest(digests: dict[str, Digests], algorithm: str) -> bytes:
    # Two spaces, as sha256sum writes them: `sha256sum -c manifest-sha256.txt` works in the bag.
    lines = [f"{getattr(digests[path], algorithm)}  {encode_path(path)}\n" for path in sorted(digests)]
    return "".join(lines).encode("utf-8")


def encode_path(path: str) -> str:
    """RFC 8493 section 2.1.3: CR, LF and % (and only those) are percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


_ENCODED = re.compile(r"%(0[Dd]|0[Aa]|25)")
_DECODED = {"0d": "\r", "0a": "\n", "25": "%"}


def decode_path(path: str) -> str:
    return _ENCODED.sub(lambda match: _DECODED[match.group(1).lower()], path)


# --- what the caller may ask for ----------------------------------------------


def _check_files(payload: Sequence[BagFile], tags: Sequence[BagFile]) -> None:
    for file in payload:
        _check_path(file.path)
        if not file.path.startswith(PAYLOAD):
            raise IntakeError(f"payload file {shown(file.path)} must be under data/")
    for file in tags:
        _check_path(file.path)
        # Folded: on a case-insensitive disk, DATA/x lands in the payload and BagIt.TXT replaces bagit.txt.
        if fold(file.path.split("/", 1)[0]) == "data":
            raise IntakeError(f"tag file {shown(file.path)} must not be under data/")
        if "/" not in file.path and _RESERVED.match(fold(file.path)):
            raise IntakeError(f"tag file {shown(file.path)} has a name the bag itself uses")
    for file in (*payload, *tags):
        if file.size is not None and file.size < 0:
            raise IntakeError(f"{shown(file.path)} is given a negative size")
    _check_unique([file.path for file in (*payload, *tags)])


def _check_path(path: str) -> None:
    problem = path_problem(path)
    if problem is None and any(part != part.strip(" \t") for part in path.split("/")):
        # BagIt readers strip the whitespace around a manifest's path.
        problem = "has a part that starts or ends with a space or tab"
    if problem is None and path.startswith("~"):
        problem = "starts with ~"  # some readers take it for a home folder
    if problem:
        raise IntakeError(f"bag path {shown(path)} {problem}")


def _check_unique(paths: list[str]) -> None:
    seen: dict[str, str] = {}
    for path in paths:
        other = seen.get(fold(path))
        if other is not None:
            detail = "" if other == path else f" and {shown(other)} (the same name once case is ignored)"
            raise IntakeError(f"bag path {shown(path)}{detail} is given twice")
        seen[fold(path)] = path
    folders = {parent for path in paths for parent in parents(fold(path))}
    for path in paths:
        if fold(path) in folders:
            raise IntakeError(f"bag path {shown(path)} is both a file and a folder")


def _check_info(info: Sequence[tuple[str, str]]) -> None:
    for label, value in info:
        if (not label or ":" in label or label != label.strip() or _has_control(label)
                or label.lower() == "payload-oxum"):
            raise IntakeError(f"bag-info label {shown(label)} is not allowed")
        if value != value.strip() or _has_control(value):
            raise IntakeError(f"bag-info value for {shown(label)} has a line break, control "
                              "character or surrounding space")


def _has_control(text: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


def _check_target(target: Path) -> None:
    if os.path.lexists(target):
        raise IntakeError(f"{shown(str(target))} already exists; choose a new name")
    if not target.parent.is_dir():
        raise IntakeError(f"the folder {shown(str(target.parent))} does not exist")


# --- where the bytes go -------------------------------------------------------


class _HashingWriter(io.RawIOBase):
    """Passes what it is given to `out`, keeping its digests: a payload is read once."""

    def __init__(self, out: BinaryIO, known_sha512: str | None = None) -> None:
        self._out = out
        self._digests = DigestingWriter(known_sha512=known_sha512)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._out.write(data)
        return self._digests.write(data)

    def digests(self) -> Digests:
        return self._digests.digests()


def _emit(file: BagFile, out: BinaryIO) -> Digests:
    """The file written to `out`, and the digests of what was written, unchecked (_checked)."""
    writer = _HashingWriter(out, file.known_sha512)
    if isinstance(file.source, (bytes, bytearray, memoryview)):
        writer.write(file.source)
    else:
        file.source(writer)
    return writer.digests()


def _checked(file: BagFile, digests: Digests) -> Digests:
    """The file's own check and announced size, in this process (a payload file may have been
    written by a worker)."""
    if file.check is not None:
        file.check(digests)
    if file.size is not None and digests.size != file.size:
        raise IntakeError(f"{shown(file.path)} gave {digests.size} bytes instead of the {file.size} announced")
    return digests


def _staging_name(target: Path) -> Path:
    """Hidden, and naming the process that builds it, so that a later export can tell a folder
    a killed export left behind (SIGKILL cannot be caught) from one being built right now."""
    return target.with_name(f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


_STAGING = re.compile(r"^\..+\.partial-(\d+)-[0-9a-f]{8}$")


def remove_stale_staging(folder: Path) -> None:
    """Staging folders in `folder` whose exporting process is gone."""
    try:
        candidates = [p for p in folder.iterdir() if _STAGING.match(p.name) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return
    for candidate in candidates:
        match = _STAGING.match(candidate.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(candidate, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


# Files whose bytes are given are written in groups of up to this many: a forked worker's result
# costs about as much to hand back as a small file to write.
GROUP_FILES = 64


def _groups(files: Sequence[BagFile]) -> list[range]:
    """The files in order, in groups: a file written by a callable (a clean copy, of any size)
    alone, files whose bytes are given up to GROUP_FILES at a time."""
    groups: list[range] = []
    start: int | None = None
    for index, file in enumerate(files):
        if callable(file.source):
            if start is not None:
                groups.append(range(start, index))
                start = None
            groups.append(range(index, index + 1))
        elif start is None:
            start = index
        elif index - start == GROUP_FILES:
            groups.append(range(start, index))
            start = index
    if start is not None:
        groups.append(range(start, len(files)))
    return groups


def _spread(groups: list[range], paths: Sequence[str]) -> list[range]:
    """The groups reordered so that each folder's are spread evenly over the whole run: two workers
    taking the next group are then mostly creating files in different folders. Creating files in
    one folder from two processes at once contends for that folder's lock: on this machine's ext4,
    2,500 files took 1.4-3 times the system time of two folders, one per process."""
    by_folder: dict[str, list[range]] = {}
    for group in groups:
        by_folder.setdefault(paths[group.start].rpartition("/")[0], []).append(group)
    placed = [((position + 0.5) / len(same), order, group)
              for order, same in enumerate(by_folder.values()) for position, group in enumerate(same)]
    return [group for _, _, group in sorted(placed, key=lambda spot: spot[:2])]


class _Sink(Protocol):
    """Where a bag is built: nothing is visible at `target` before `commit`; `discard` leaves nothing."""

    target: Path

    def payload_folder(self, empty: bool) -> None: ...

    def write(self, file: BagFile) -> Digests: ...

    def write_all(self, files: Sequence[BagFile]) -> ContextManager[Iterator[tuple[BagFile, Digests]]]:
        """Each file written, with the digests of what was written, unchecked (_checked), in the
        order the sink writes them. Leaving the context stops any writing still under way."""

    def make_durable(self) -> None:
        """Everything written is on disk, still under no name."""

    def commit(self) -> None: ...

    def discard(self) -> None: ...


class _FolderSink:
    """Builds the bag in a sibling staging folder, renamed into place once complete."""

    def __init__(self, target: Path) -> None:
        self.target = target
        remove_stale_staging(target.parent)
        self._staging = _staging_name(target)
        self._folders = [self._staging]
        self._files: list[Path] = []
        self._committed = False
        _make_folder(self._staging)

    def payload_folder(self, empty: bool) -> None:
        self._folder_for(PAYLOAD)  # RFC 8493: data/ exists even when empty

    def write(self, file: BagFile) -> Digests:
        return _checked(file, _write_new(self._placed(file.path), file))

    @contextmanager
    def write_all(self, files: Sequence[BagFile]) -> Iterator[Iterator[tuple[BagFile, Digests]]]:
        """Written by forked workers on every core (forked.py): unsealing, hashing and writing
        the clean copies one after another was the largest part of an export, with the second
        core idle. A worker inherits what a file's source needs (the vault's key) and hands back
        only digests. The groups are handed out spread over the folders (_spread)."""
        placed = [self._placed(file.path) for file in files]  # folders made, and listed for the sync, here
        groups = _spread(_groups(files), [file.path for file in files])

        def write_group(number: int) -> list[Digests]:
            return [_write_new(placed[index], files[index]) for index in groups[number]]

        with ForkedChunks(write_group, len(groups)) as written:
            yield ((files[index], digests) for group, results in zip(groups, written)
                   for index, digests in zip(group, results))

    def _placed(self, path: str) -> Path:
        placed = self._folder_for(path) / path.rsplit("/", 1)[-1]
        self._files.append(placed)
        return placed

    def _folder_for(self, path: str) -> Path:
        folder = self._staging
        for part in path.split("/")[:-1]:
            folder = folder / part
            if not folder.is_dir():
                _make_folder(folder)
                self._folders.append(folder)
        return folder

    def make_durable(self) -> None:
        # Every file is synced here, not as it is written, and all at once (sync_files): a sync
        # per file waited for one journal commit each (an export of 500 small items spent most
        # of its time there). Nothing is renamed into place before all are on disk.
        sync_files(self._files, list(reversed(self._folders)))  # children were made after their parents
        self._refuse_taken_name()

    def _refuse_taken_name(self) -> None:
        if os.path.lexists(self.target):
            raise IntakeError(f"{shown(str(self.target))} appeared while the bag was written; nothing was changed")

    def commit(self) -> None:
        self._refuse_taken_name()
        os.rename(self._staging, self.target)
        self._committed = True
        fsync_dir(self.target.parent)

    def discard(self) -> None:
        if not self._committed:
            shutil.rmtree(self._staging, ignore_errors=True)


def _write_new(placed: Path, file: BagFile) -> Digests:
    fd = os.open(placed, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # not narrowed by the umask: this is public output
        return _emit(file, handle)


def _make_folder(path: Path) -> None:
    os.mkdir(path, FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)


class _ZipSink:
    """Writes the zip to a sibling partial file, renamed into place once complete.

    RFC 8493 section 4: one top-level folder, named like the zip without
    `.zip`. Every entry has the same fixed date and modes and no extra field
    or comment; the central directory lists members in name order.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        name = target.name[:-4] if target.name.lower().endswith(".zip") else target.name
        if path_problem(name) or not name.strip():
            raise IntakeError(f"{shown(target.name)} cannot name the bag's folder inside the zip")
        self._top = name
        self._output = NewFile(target, FILE_MODE)  # nameless until complete: a kill leaves nothing
        self._handle = self._output.handle
        self._archive = zipfile.ZipFile(self._handle, "w", zipfile.ZIP_DEFLATED)
        self._committed = False

    def _info(self, path: str, mode: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self._top}/{path}", date_time=FIXED_DATE)
        info.create_system = _UNIX
        info.external_attr = mode << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def payload_folder(self, empty: bool) -> None:
        if empty:  # otherwise the payload's own entries imply data/
            info = self._info(PAYLOAD, 0o040000 | FOLDER_MODE)
            info.external_attr |= 0x10  # MS-DOS directory flag
            self._archive.writestr(info, b"")

    def write(self, file: BagFile) -> Digests:
        return _checked(file, self._write_unchecked(file))

    def write_all(self, files: Sequence[BagFile]) -> ContextManager[Iterator[tuple[BagFile, Digests]]]:
        """One stream: each file is written when its digests are asked for."""
        return nullcontext((file, self._write_unchecked(file)) for file in files)

    def _write_unchecked(self, file: BagFile) -> Digests:
        info = self._info(file.path, 0o100000 | FILE_MODE)
        if file.size is not None:
            info.file_size = file.size  # lets the zip library choose zip64 up front for a big file
        elif isinstance(file.source, (bytes, bytearray, memoryview)):
            info.file_size = len(file.source)
        member = self._archive.open(info, "w")
        try:
            digests = _emit(file, member)
        except BaseException:
            _close_quietly(member)
            raise
        try:
            member.close()
        except RuntimeError:  # the zip library: over 2 GiB without zip64
            raise IntakeError(f"{shown(file.path)} is over 2 GiB: a zip needs its size in advance") from None
        return digests

    def make_durable(self) -> None:
        self._archive.filelist.sort(key=lambda info: info.filename)
        self._archive.close()
        self._output.make_durable()

    def commit(self) -> None:
        self._output.commit(synced=True)
        fsync_dir(self.target.parent)
        self._committed = True

    def discard(self) -> None:
        if self._committed:
            return
        _close_quietly(self._archive)
        self._output.discard()


def _close_quietly(closable: zipfile.ZipFile | BinaryIO) -> None:
    try:
        closable.close()
    except (OSError, ValueError, RuntimeError, zipfile.BadZipFile):
        pass  # the file is being discarded: its last bytes do not matter


# --- validating ---------------------------------------------------------------

BAGIT_TXT_LIMIT = 4096
BAG_INFO_LIMIT = 1 << 20
MANIFEST_LIMIT = 64 << 20
_REASONS_SHOWN = 3
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ELEMENT = re.compile(r"^([^:\s](?:[^:]*[^:\s])?):(?:[ \t](.*))?$")
_MANIFEST_LINE = re.compile(r"^([0-9A-Fa-f]+)[ \t]+(.+)$")
_BLANKS = " \t"
_OXUM = re.compile(r"^([0-9]{1,20})\.([0-9]{1,20})$")


def validate_bag(source: BagSource) -> list[Check]:
    """Every check on the bag, in order; a failure does not stop the checks that follow."""
    bag = _Bag(source)
    checks = [_check_bagit_txt(bag)]
    info_check, oxum = _check_bag_info(bag)
    checks.append(info_check)
    payload_entries: list[dict[str, str]] = []
    for algorithm in ALGORITHMS:
        found, entries = _check_manifest(bag, f"manifest-{algorithm}.txt", algorithm, payload=True)
        checks += found
        payload_entries.append(entries)
    checks.append(_check_oxum(bag, oxum))
    tag_entries: list[dict[str, str]] = []
    for algorithm in ALGORITHMS:
        found, entries = _check_manifest(bag, f"tagmanifest-{algorithm}.txt", algorithm, payload=False)
        checks += found
        tag_entries.append(entries)
    checks += _check_other_manifests(bag)
    checks.append(_check_tag_coverage(bag, tag_entries))
    return checks


def manifest_entries(source: BagSource, name: str) -> dict[str, str]:
    """A manifest's hashes by decoded path; CheckFailed unless it is present and well-formed."""
    match = _MANIFEST_NAME.match(name)
    if not match or match.group(2) not in _HEX_LENGTH:
        raise IntakeError(f"{shown(name)} is not a manifest intake reads")
    entries, problems = _parse_manifest(_Bag(source), name, match.group(2), payload=not match.group(1))
    if entries is None or problems:
        raise CheckFailed(problems[0] if problems else f"{shown(name)} is missing")
    return entries


def signed_list_entries(source: BagSource, name: str) -> dict[str, str]:
    """A SignedList's SHA-256 by decoded path (payload and tag files alike); CheckFailed unless well-formed."""
    entries, problems = _parse_manifest(_Bag(source), name, "sha256", payload=None)
    if entries is None or problems:
        raise CheckFailed(problems[0] if problems else f"{shown(name)} is missing")
    return entries


class _Bag:
    """The bag's file list, and each file's digests computed at most once."""

    def __init__(self, source: BagSource) -> None:
        self.source = source
        self.files = source.files()
        self.present = frozenset(self.files)
        self.payload = [path for path in self.files if path.startswith(PAYLOAD)]
        self.tags = [path for path in self.files if not path.startswith(PAYLOAD)]
        self._digests: dict[str, Digests | str] = {}

    def digests(self, path: str) -> Digests | str:
        """The file's digests, or why its bytes could not be read (a damaged zip member)."""
        if path not in self._digests:
            try:
                with self.source.stream(path) as stream:
                    self._digests[path] = digest_stream(stream)
            except CheckFailed as error:
                self._digests[path] = str(error)
        return self._digests[path]

    def text(self, name: str, limit: int) -> str:
        """A tag file as UTF-8 text; CheckFailed if it is missing, too big, or not UTF-8."""
        if name not in self.present:
            raise CheckFailed(f"{name} is missing")
        data = self.source.read(name, limit)
        if data.startswith(b"\xef\xbb\xbf"):
            raise CheckFailed(f"{name} starts with a byte-order mark")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckFailed(f"{name} is not UTF-8") from None


def _lines(text: str) -> list[str]:
    """RFC 8493 allows LF, CR or CRLF line ends; the last line ends too."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _elements(text: str, name: str) -> list[tuple[str, str]]:
    """`Label: value` lines, with continuation lines (starting with a space or tab) joined."""
    elements: list[tuple[str, str]] = []
    for number, line in enumerate(_lines(text), 1):
        if line[:1] in (" ", "\t") and elements:
            label, value = elements[-1]
            elements[-1] = (label, (value + " " + line.strip(_BLANKS)).strip(_BLANKS))
            continue
        match = _ELEMENT.match(line)
        if not match:
            raise CheckFailed(f"{name} line {number} is not `Label: value`")
        elements.append((match.group(1), match.group(2) or ""))
    return elements


def _check_bagit_txt(bag: _Bag) -> Check:
    what = "bagit.txt declares BagIt 1.0 with UTF-8 tag files"
    try:
        elements = _elements(bag.text("bagit.txt", BAGIT_TXT_LIMIT), "bagit.txt")
    except CheckFailed as error:
        return Check(False, what, str(error))
    labels = [label for label, _ in elements]
    if labels != ["BagIt-Version", "Tag-File-Character-Encoding"]:
        return Check(False, what, "bagit.txt must hold BagIt-Version and Tag-File-Character-Encoding, "
                                     "in that order, and nothing else")
    version, encoding = elements[0][1], elements[1][1]
    if version != "1.0":
        return Check(False, what, f"bagit.txt declares BagIt version {shown(version)}, not 1.0")
    if encoding.upper() != "UTF-8":
        return Check(False, what, f"bagit.txt declares the encoding {shown(encoding)}, not UTF-8")
    return Check(True, what)


def _check_bag_info(bag: _Bag) -> tuple[Check, tuple[int, int] | None]:
    """The check, and Payload-Oxum as (bytes, files) if bag-info.txt gives one well-formed."""
    what = "bag-info.txt is well-formed and gives a Payload-Oxum"
    try:
        elements = _elements(bag.text("bag-info.txt", BAG_INFO_LIMIT), "bag-info.txt")
    except CheckFailed as error:
        return Check(False, what, str(error)), None
    oxums = [value for label, value in elements if label.lower() == "payload-oxum"]
    if len(oxums) != 1:
        return Check(False, what, f"bag-info.txt gives {len(oxums)} Payload-Oxum elements, not one"), None
    match = _OXUM.match(oxums[0])
    if not match:
        return Check(False, what, f"bag-info.txt has a malformed Payload-Oxum: {shown(oxums[0])}"), None
    return Check(True, what), (int(match.group(1)), int(match.group(2)))


def _parse_manifest(bag: _Bag, name: str, algorithm: str, payload: bool | None
                    ) -> tuple[dict[str, str] | None, list[str]]:
    """Entries by decoded path (None if the manifest is unreadable), and the problems found."""
    try:
        lines = _lines(bag.text(name, MANIFEST_LIMIT))
    except CheckFailed as error:
        return None, [str(error)]
    entries: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        problem = _entry_problem(line, algorithm, payload, entries)
        if problem:
            problems.append(f"{name} line {number}: {problem}")
    return entries, problems


def _entry_problem(line: str, algorithm: str, payload: bool | None, entries: dict[str, str]) -> str | None:
    """Why a manifest line is not a good entry; a good one is added to `entries`. `payload` None: any file."""
    match = _MANIFEST_LINE.match(line)
    if not match:
        return "not `checksum path`"
    checksum, path = match.group(1).lower(), decode_path(match.group(2))
    if len(checksum) != _HEX_LENGTH[algorithm]:
        return f"not a {algorithm} checksum"
    problem = path_problem(path)
    if problem:
        return f"the path {shown(path)} {problem}"
    if payload is not None and payload != path.startswith(PAYLOAD):
        return f"{shown(path)} is {'not ' if payload else ''}under data/"
    if path in entries:
        return f"{shown(path)} is listed twice"
    entries[path] = checksum
    return None


def _check_manifest(bag: _Bag, name: str, algorithm: str, payload: bool
                    ) -> tuple[list[Check], dict[str, str]]:
    """Well-formed, every listed file present and matching, and (payload) every file listed."""
    entries, problems = _parse_manifest(bag, name, algorithm, payload)
    if entries is None:
        return [Check(False, f"{name} is present and readable", problems[0])], {}
    kind = "payload" if payload else "tag"
    checks = [_outcome(f"{name} is well-formed ({len(entries)} entries)", problems)]
    mismatches = []
    for path, expected in sorted(entries.items()):
        if path not in bag.present:
            mismatches.append(f"{shown(path)}: listed in {name} but missing")
            continue
        digests = bag.digests(path)
        if isinstance(digests, str):
            mismatches.append(digests)
        elif getattr(digests, algorithm) != expected:
            mismatches.append(f"{shown(path)}: {algorithm} differs from {name}")
    checks.append(_outcome(f"{len(entries)} {kind} files match {name}", mismatches))
    if payload:
        unlisted = [f"{shown(path)}: not listed in {name}" for path in bag.payload if path not in entries]
        checks.append(_outcome(f"every payload file is listed in {name}", unlisted))
    return checks, entries


def _check_oxum(bag: _Bag, oxum: tuple[int, int] | None) -> Check:
    sizes = [bag.digests(path) for path in bag.payload]
    unreadable = [digests for digests in sizes if isinstance(digests, str)]
    total = sum(digests.size for digests in sizes if isinstance(digests, Digests))
    what = f"Payload-Oxum matches the payload ({len(bag.payload)} files, {total} bytes)"
    if oxum is None:
        return Check(False, what, "bag-info.txt gives no usable Payload-Oxum")
    if unreadable:
        return _outcome(what, unreadable)
    if oxum != (total, len(bag.payload)):
        return Check(False, what, f"Payload-Oxum says {oxum[1]} files, {oxum[0]} bytes; "
                                     f"the payload has {len(bag.payload)} files, {total} bytes")
    return Check(True, what)


def _check_other_manifests(bag: _Bag) -> list[Check]:
    """Manifests for other algorithms would go unchecked: failing closed, as intake never writes them."""
    others = [path for path in bag.tags
              if (match := _MANIFEST_NAME.match(path)) and match.group(2) not in ALGORITHMS]
    if not others:
        return []
    return [_outcome("no manifests for algorithms other than sha256 and sha512",
                     [f"{shown(path)}: intake checks sha256 and sha512 manifests only" for path in others])]


def _check_tag_coverage(bag: _Bag, tag_entries: list[dict[str, str]]) -> Check:
    """Every tag file is listed in every tag manifest: intake lists them all, so one missing is tampering.

    The only exceptions are the tag manifests themselves (RFC 8493: they
    cannot list each other).
    """
    exempt = {f"tagmanifest-{algorithm}.txt" for algorithm in ALGORITHMS}
    listable = [path for path in bag.tags if path not in exempt]
    uncovered = [path for path in listable if not all(path in entries for entries in tag_entries)]
    what = f"all {len(listable)} tag files are listed in every tag manifest"
    if uncovered:
        return Check(False, f"{len(uncovered)} tag files not covered by a tag manifest",
                        _joined([shown(path) for path in uncovered]))
    return Check(True, what)


def _outcome(what: str, problems: list[str]) -> Check:
    return Check(not problems, what, _joined(problems) if problems else None)


def _joined(problems: list[str]) -> str:
    shown_problems = "; ".join(problems[:_REASONS_SHOWN])
    more = len(problems) - _REASONS_SHOWN
    return shown_problems + (f"; and {more} more" if more > 0 else "")
