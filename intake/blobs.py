"""Placing sealed blobs so that a kill at any moment leaves none that no entry accounts for.

    seal into blobs/.partial-X ──▶ note X as unrecorded (committed) ──▶ rename to blobs/X.age
    ──▶ the entry naming X is appended, and X leaves `unrecorded`, in one transaction

A kill before the rename leaves a partial file; after it, a name still in
`unrecorded`. The next command holding the vault's exclusive lock removes
both: no other command can be between those steps then, so they are orphans.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from intake.support.fsutil import create_private, fsync_dir, partial_path
from intake.ledger.append import Ledger
from intake.ledger.store import LedgerStore

BLOB_NAME = re.compile(r"^[0-9a-f]{32}\.age$")


def place_blob(partial: Path, blob: Path, ledger: Ledger) -> None:
    """Rename a complete, synced partial file into place, recorded as unrecorded first."""
    ledger.store.note_unrecorded(blob.name)
    os.rename(partial, blob)
    fsync_dir(blob.parent)


def write_blob(blob: Path, sealed: bytes, ledger: Ledger) -> None:
    partial = partial_path(blob)
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
