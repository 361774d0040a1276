"""Receiving files into the vault: hash, seal and record in one streaming pass.

    original ──read once──▶ SHA-256 + SHA-512 ──▶ age ──▶ blobs/<random>
                                                    └──▶ signed `received` entry

Cleaning (inspect → sanitize → re-inspect) joins here in the sanitizing issue.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from intake.display import recordable
from intake.errors import IntakeError
from intake.fsutil import create_private, fsync_dir, partial_path
from intake.hashing import Digests, DigestingReader
from intake.ledger.entries import Draft, new_id
from intake.ledger.log import Ledger
from intake.media import HEAD_SIZE, sniff
from intake.seal import seal_stream
from keys.keystore import Keyring

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Source:
    """A file to take in, and the name it is recorded under (sealed)."""

    path: Path
    name: str
    size: int


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
        raise IntakeError("nothing to add: the folders given hold no regular files")
    return collected


def _refuse_inside_vault(path: Path, vault_root: Path | None) -> None:
    if vault_root is None:
        return
    resolved, vault = path.resolve(), vault_root.resolve()
    if resolved == vault or vault in resolved.parents or resolved in vault.parents:
        raise IntakeError(f"{path} is or holds the vault itself; add files from outside it")


def _expand(path: Path, collected: Collected) -> None:
    info = _stat(path)
    if stat.S_ISDIR(info.st_mode):
        for item in _walk(path):
            if isinstance(item, Source):
                collected.sources.append(item)
            else:
                collected.skipped_links.append(item)
    else:
        collected.sources.append(_regular(path, recordable(path.name), info))


def _walk(top: Path) -> Iterator[Source | Path]:
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
            yield _regular(path, recordable(str(path.relative_to(top.parent))), info)


def _raise_walk_error(error: OSError) -> None:
    raise IntakeError(f"cannot read folder {error.filename} ({error.strerror})")


def _stat(path: Path, follow: bool = True) -> os.stat_result:
    try:
        return path.stat() if follow else path.lstat()
    except OSError as error:
        raise IntakeError(f"cannot read {path} ({error.strerror})") from error


def _regular(path: Path, name: str, info: os.stat_result) -> Source:
    if not stat.S_ISREG(info.st_mode):
        kind = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else (
            "a socket" if stat.S_ISSOCK(info.st_mode) else "a pipe" if stat.S_ISFIFO(info.st_mode) else "not a regular file")
        raise IntakeError(f"{path} is {kind}; only regular files and folders can be added")
    if not os.access(path, os.R_OK):
        raise IntakeError(f"cannot read {path} (permission denied)")
    return Source(path, name, info.st_size)


def receive(
    source: Source, ledger: Ledger, keyring: Keyring, blobs: Path, note: str | None = None,
    progress: Progress | None = None,
) -> Received:
    """Seal one original into a new blob and record its `received` entry."""
    blob = blobs / f"{secrets.token_hex(16)}.age"
    media_type, digests = _seal_original(source, blob, keyring, progress)
    try:
        item = new_id("itm_")
        output = {**digests.to_dict(), "media_type": media_type, "name": source.name, "blob": blob.name}
        entry = ledger.append(Draft("received", item, outputs=(output,), note=note), keyring)
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    return Received(item, entry.id, source.name, media_type, digests)


def _seal_original(source: Source, blob: Path, keyring: Keyring, progress: Progress | None) -> tuple[str, Digests]:
    partial = partial_path(blob)
    try:
        with open(source.path, "rb") as original, os.fdopen(create_private(partial), "wb") as target:
            media_type = sniff(original.read(HEAD_SIZE))
            original.seek(0)
            report = (lambda done: progress(source.name, done, source.size)) if progress else None
            reader = DigestingReader(original, report)
            seal_stream(reader, target, keyring.seal_recipients())
            target.flush()
            os.fsync(target.fileno())
        os.rename(partial, blob)
        fsync_dir(blob.parent)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise IntakeError(f"cannot take in {source.path} ({error.strerror or error}); nothing was recorded for it") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return media_type, reader.digests()
