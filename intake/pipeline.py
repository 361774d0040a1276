"""Receiving files into the vault: hash, seal and record in one streaming pass.

    original ──read once──▶ SHA-256 + SHA-512 ──▶ age ──▶ blobs/<random>
                                                    └──▶ signed `received` entry

A supported file is then cleaned (intake.clean) into a derived item: the
clean copy and a findings report, both sealed, and a `sanitized` entry whose
parent is the `received` one.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from intake.support.canonical import canonical_json
from intake.clean import IN_MEMORY_BYTES, Cleaned, CleanedFile, clean_file_within, clean_within
from intake.display import recordable
from intake.errors import FileRefused, IntakeError, Refused
from intake.support.fsutil import create_private, open_regular, partial_path, read_regular_file, resolved
from intake.support.hashing import Digests, DigestingReader, digest_bytes
from intake.support.sniff import sniff_handle

if TYPE_CHECKING:  # the vault side loads only when something is taken in: `inspect` and `sanitize` start fast
    from intake.ledger.append import Ledger
    from intake.keys.keystore import Keyring

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Source:
    """A file to take in, and the name it is recorded under (sealed)."""

    path: Path
    name: str
    size: int
    relative: Path  # where a copy goes under an output folder



@dataclass(frozen=True)
class Received:
    item: str
    entry: str
    name: str
    media_type: str
    digests: Digests


@dataclass(frozen=True)
class Collected:
    sources: list[Source]
    skipped_links: list[Path]


def collect_sources(paths: Iterable[Path], vault_root: Path | None = None) -> Collected:
    """Check every input before anything is written; directories are walked.

    Devices, sockets and FIFOs are refused: reading one could block forever
    or take in something that is not a document. Links inside folders are
    skipped (and reported): they may point anywhere, even in circles.
    """
    collected = Collected([], [])
    for path in paths:
        _refuse_inside_vault(path, vault_root)
        _expand(path, collected)
    if not collected.sources:
        raise IntakeError("nothing to do: the folders given hold no regular files")
    return collected


def _refuse_inside_vault(path: Path, vault_root: Path | None) -> None:
    if vault_root is None:
        return
    given, vault = resolved(path), resolved(vault_root)
    if given == vault or vault in given.parents or given in vault.parents:
        raise IntakeError(f"{path} is or holds the vault itself; add files from outside it")


def source_for(path: Path) -> Source:
    """One file, checked as `add` checks it, recorded under its base name."""
    return _regular(path, Path(path.name), _stat(path))


def _expand(path: Path, collected: Collected) -> None:
    info = _stat(path)
    if stat.S_ISDIR(info.st_mode):
        for item in _walk(path):
            if isinstance(item, Source):
                collected.sources.append(item)
            else:
                collected.skipped_links.append(item)
    else:
        collected.sources.append(_regular(path, Path(path.name), info))


def _walk(top: Path) -> Iterator[Source | Path]:
    # Names are recorded under the folder's own name, so `..` or `/` given on the
    # command line can never turn into a name that climbs out of an output folder.
    base = Path(top.resolve().name)
    for folder, subfolders, files in os.walk(top, onerror=_raise_walk_error):
        subfolders.sort()
        # os.walk lists links to folders among the subfolders and does not follow them.
        yield from (Path(folder) / name for name in subfolders if (Path(folder) / name).is_symlink())
        for name in sorted(files):
            path = Path(folder) / name
            info = _stat(path, follow=False)
            if stat.S_ISLNK(info.st_mode):
                yield path
                continue
            yield _regular(path, base / path.relative_to(top), info)


def _raise_walk_error(error: OSError) -> None:
    raise IntakeError(f"cannot read folder {error.filename} ({error.strerror})")


def _stat(path: Path, follow: bool = True) -> os.stat_result:
    try:
        return path.stat() if follow else path.lstat()
    except OSError as error:
        raise IntakeError(f"cannot read {path} ({error.strerror})") from error


def _regular(path: Path, relative: Path, info: os.stat_result) -> Source:
    if not stat.S_ISREG(info.st_mode):
        kind = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else (
            "a socket" if stat.S_ISSOCK(info.st_mode) else "a pipe" if stat.S_ISFIFO(info.st_mode) else "not a regular file")
        raise IntakeError(f"{path} is {kind}; only regular files and folders can be added")
    if not os.access(path, os.R_OK):
        raise IntakeError(f"cannot read {path} (permission denied)")
    return Source(path, recordable(str(relative)), info.st_size, relative)


def receive(
    source: Source, ledger: Ledger, keyring: Keyring, blobs: Path, note: str | None = None,
    progress: Progress | None = None,
) -> Received:
    """Seal one original into a new blob and record its `received` entry."""
    from intake.ledger.entries import Draft, new_id

    blob = blobs / f"{secrets.token_hex(16)}.age"
    media_type, digests = _seal_original(source, blob, keyring, ledger, progress)
    try:
        item = new_id("itm_")
        output = {**digests.to_dict(), "media_type": media_type, "name": source.name, "blob": blob.name}
        entry = ledger.append(Draft("received", item, outputs=(output,), note=note), keyring)
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    return Received(item, entry.id, source.name, media_type, digests)


def _seal_original(source: Source, blob: Path, keyring: Keyring, ledger: Ledger, progress: Progress | None) -> tuple[str, Digests]:
    from intake.blobs import place_blob
    from intake.keys.seal import seal_stream

    original = open_source(source)
    partial = partial_path(blob)
    try:
        with original, os.fdopen(create_private(partial), "wb") as target:
            media_type = _sniff_source(source, original)
            report = (lambda done: progress(source.name, done, source.size)) if progress else None
            reader = DigestingReader(original, report)
            seal_stream(reader, target, keyring.seal_recipients())
            target.flush()
            os.fsync(target.fileno())
        place_blob(partial, blob, ledger)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise IntakeError(f"cannot take in {source.path} ({error.strerror or error}); nothing was recorded for it") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return media_type, reader.digests()


def open_source(source: Source) -> BinaryIO:
    """The file as it is now: it may have been swapped for a FIFO or removed since it was listed."""
    try:
        return open_regular(source.path, "the file")
    except IntakeError as error:
        raise FileRefused(str(error)) from error


def _sniff_source(source: Source, original: BinaryIO) -> str:
    """Sniffed in full before any blob takes its place: a file that breaks the sniffer leaves
    nothing behind and stops nothing else (docs/threat-model.md)."""
    try:
        return sniff_handle(original)
    except Exception as error:  # whatever a hostile file does to a parser, it is refused alone
        raise FileRefused(f"{source.path} could not be read as any type ({type(error).__name__})") from error


@dataclass(frozen=True)
class Sanitized:
    """The clean copy of a received item: a derived item of its own."""

    item: str
    entry: str
    removed: dict[str, int]
    digests: Digests
    kept: tuple[str, ...] = ()  # what --keep-hdr kept that is removed by default


@dataclass(frozen=True)
class NotCleaned:
    reason: str


def sanitize_received(
    source: Source, received: Received, ledger: Ledger, keyring: Keyring, blobs: Path, keep_hdr: bool = False
) -> Sanitized | NotCleaned:
    """Clean a just-received file into a derived item, with its sealed findings report.

    The file is read again, so its hash is checked against what was sealed:
    a file that changed in between is not cleaned. A small file is cleaned in
    memory; a bigger one by stream (intake.clean.clean_file) into a nameless
    file in blobs/ (O_TMPFILE: a kill leaves nothing), which is sealed from there.
    `keep_hdr` keeps HDR gain maps (intake.clean); the sealed findings report lists them as kept.
    """
    if source.size <= IN_MEMORY_BYTES:
        return _sanitize_in_memory(source, received, ledger, keyring, blobs, keep_hdr)
    try:
        original = open_source(source)
    except FileRefused as error:
        return NotCleaned(str(error))
    with original, tempfile.TemporaryFile(dir=blobs) as clean:
        try:
            cleaned = clean_file_within(original, clean, keep_hdr=keep_hdr)
        except Refused as refusal:
            return NotCleaned(str(refusal))
        original.seek(0)
        if hashlib.file_digest(original, "sha256").hexdigest() != received.digests.sha256:
            return NotCleaned("the file changed while it was being taken in")
        clean.seek(0)
        return _record_clean(source, received, cleaned, clean, ledger, keyring, blobs)


def _sanitize_in_memory(
    source: Source, received: Received, ledger: Ledger, keyring: Keyring, blobs: Path, keep_hdr: bool = False
) -> Sanitized | NotCleaned:
    data = read_regular_file(source.path, IN_MEMORY_BYTES, "the file")
    if len(data) != received.digests.size or hashlib.sha256(data).hexdigest() != received.digests.sha256:
        return NotCleaned("the file changed while it was being taken in")
    try:
        cleaned = clean_within(data, keep_hdr=keep_hdr)
    except Refused as refusal:
        return NotCleaned(str(refusal))
    return _record_clean(source, received, cleaned, io.BytesIO(cleaned.data), ledger, keyring, blobs)


def _record_clean(
    source: Source, received: Received, cleaned: Cleaned | CleanedFile, clean: BinaryIO, ledger: Ledger,
    keyring: Keyring, blobs: Path,
) -> Sanitized:
    from intake.ledger.entries import CLEAN_COPY, FINDINGS_REPORT, Draft, new_id

    report_fields = {"item": received.item, "findings": [f.to_dict() for f in cleaned.findings]}
    if cleaned.kept:
        report_fields["kept"] = list(cleaned.kept)
    report = canonical_json(report_fields)
    written: list[Path] = []
    try:
        clean_blob, digests = _write_sealed_stream(blobs, clean, keyring, ledger, written)
        report_blob = _write_sealed(blobs, report, keyring, ledger, written)
        item = new_id("itm_")
        original = {**received.digests.to_dict(), "media_type": received.media_type, "item": received.item}
        clean_output = {**digests.to_dict(), "media_type": cleaned.media_type, "name": source.name,
                        "blob": clean_blob, "item": item, "role": CLEAN_COPY, "removed": cleaned.removed()}
        findings = {**digest_bytes(report).to_dict(), "media_type": "application/json", "blob": report_blob,
                    "item": received.item, "role": FINDINGS_REPORT}
        entry = ledger.append(
            Draft("sanitized", item, inputs=(original,), outputs=(clean_output, findings), parents=(received.entry,)),
            keyring,
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Sanitized(item, entry.id, cleaned.removed(), digests, cleaned.kept)


def _write_sealed_stream(blobs: Path, plain: BinaryIO, keyring: Keyring, ledger: Ledger,
                         written: list[Path]) -> tuple[str, Digests]:
    """Seal a file into a new blob in one pass that also hashes it."""
    from intake.blobs import place_blob
    from intake.keys.seal import seal_stream

    blob = blobs / f"{secrets.token_hex(16)}.age"
    written.append(blob)
    partial = partial_path(blob)
    reader = DigestingReader(plain)
    try:
        with os.fdopen(create_private(partial), "wb") as target:
            seal_stream(reader, target, keyring.seal_recipients())
            target.flush()
            os.fsync(target.fileno())
        place_blob(partial, blob, ledger)
    except OSError as error:
        raise IntakeError(f"cannot write to the vault ({error.strerror}); the clean copy was not recorded") from error
    finally:
        partial.unlink(missing_ok=True)
    return blob.name, reader.digests()


def _write_sealed(blobs: Path, data: bytes, keyring: Keyring, ledger: Ledger, written: list[Path]) -> str:
    return _write_sealed_stream(blobs, io.BytesIO(data), keyring, ledger, written)[0]
