"""Placing sealed blobs so that a kill at any moment leaves none that no entry accounts for.

    seal into partial/.partial-X ──▶ note X as unrecorded (committed) ──▶ rename to blobs/X.age
    ──▶ the entry naming X is appended, and X leaves `unrecorded`, in one transaction

A kill before the rename leaves a partial file; after it, a name still in
`unrecorded`. The next command holding the vault's exclusive lock removes
both: no other command can be between those steps then, so they are orphans.

Partial files are written in their own folder, partial/ (beside blobs/, so the
rename stays on one file system), so that sweeping them lists only what is
half-written, not every sealed file of the vault: at a million blobs, listing
blobs/ under every exclusive lock cost `add` about 0.4 s of system time. A vault
made before partial/ kept its partial files in blobs/: that folder is swept
once, and partial/ is created after the sweep, which records that it was done.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from intake.errors import IntakeError
from intake.support.fsutil import PARTIAL_PREFIX, create_private, fsync_dir, make_private_dir, partial_path, remove_files
from intake.ledger.append import Ledger
from intake.ledger.store import LedgerStore

BLOB_NAME = re.compile(r"^[0-9a-f]{32}\.age$")


def partial_folder(blobs: Path) -> Path:
    """VAULT/partial/, beside VAULT/blobs/."""
    return blobs.with_name("partial")


def partial_blob(blob: Path) -> Path:
    """Where `blob` is written before it is renamed into blobs/."""
    return partial_folder(blob.parent) / partial_path(blob).name


def place_blob(partial: Path, blob: Path, ledger: Ledger) -> None:
    """Rename a complete, synced partial file into place, recorded as unrecorded first."""
    ledger.store.note_unrecorded(blob.name)
    os.rename(partial, blob)
    fsync_dir(blob.parent)


def write_blob(blob: Path, sealed: bytes, ledger: Ledger) -> None:
    partial = partial_blob(blob)
    try:
        with os.fdopen(create_private(partial), "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        place_blob(partial, blob, ledger)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def remove_orphans(store: LedgerStore, blobs: Path) -> int:
    """Call only under the exclusive lock. Returns how many blobs were removed."""
    listed = store.unrecorded()
    if not listed:
        return 0  # the usual case: no write transaction, no fsync
    names = [name for name in listed if BLOB_NAME.match(name)]
    for name in names:
        (blobs / name).unlink(missing_ok=True)
    if names:
        fsync_dir(blobs)
    with store.transaction():
        store.forget_unrecorded(listed)
    return len(names)


def remove_partial_blobs(blobs: Path) -> None:
    """Call only under the exclusive lock: every file in partial/ was left by a killed command.
    A vault without partial/ (made before it) has its blobs/ swept instead, once."""
    folder = partial_folder(blobs)
    if folder.is_dir():
        remove_files(folder, lambda name: True)
        return
    remove_files(blobs, lambda name: name.startswith(PARTIAL_PREFIX))
    try:
        make_private_dir(folder)  # after the sweep: its presence says the sweep was done
        fsync_dir(folder.parent)
    except OSError as error:
        raise IntakeError(f"cannot create the vault's folder {folder} ({error.strerror}); "
                          "is the vault on a read-only disk?") from error

