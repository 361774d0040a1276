"""Collect: the files a command was given, each checked before anything is written.

Folders are walked; devices, sockets and FIFOs are refused; links inside folders are
skipped and reported. Each file is then opened again as it is now (`open_source`): it
may have been swapped since it was listed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from intake.clean import Inspection, inspect_file_within
from intake.text import recordable
from intake.errors import FileRefused, IntakeError
from intake.support.fsutil import open_regular, resolved


@dataclass(frozen=True)
class Source:
    """A file to take in, and the name it is recorded under (sealed)."""

    path: Path
    name: str
    size: int
    relative: Path  # where a copy goes under an output folder



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


def open_source(source: Source) -> BinaryIO:
    """The file as it is now: it may have been swapped for a FIFO or removed since it was listed."""
    try:
        return open_regular(source.path, "the file")
    except IntakeError as error:
        raise FileRefused(str(error)) from error


def inspect_source(source: Source) -> Inspection:
    """What `inspect` reports for one file: findings worst first, or why there are none."""
    with open_regular(source.path, "the file") as handle:
        return inspect_file_within(handle)
