"""Files already taken in, found by their SHA-256 before a batch is taken in (`add`, the app)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intake.errors import CheckFailed
from intake.takein.sources import Source, open_source

if TYPE_CHECKING:
    from intake.vault import Vault
    from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class Duplicate:
    """A file whose bytes were taken in before (by SHA-256): in the ledger, or earlier in this batch."""

    source: Source
    sha256: str
    earlier: str  # the earlier item's id, or the earlier file's name in this batch
    in_ledger: bool  # True: `earlier` is an item id already in the ledger


def find_duplicates(vault: Vault, keyring: Keyring, sources: Sequence[Source]) -> list[Duplicate]:
    """Files already taken in. A write-only vault cannot open its entries, so there only repeats
    within these sources are found (the editor's export still publishes each clean copy once)."""
    in_ledger = originals_held(vault, keyring)
    in_batch: dict[str, str] = {}
    found = []
    for source in sources:
        digest = sha256_of(source)
        if digest in in_ledger:
            found.append(Duplicate(source, digest, in_ledger[digest], True))
        elif digest in in_batch:
            found.append(Duplicate(source, digest, in_batch[digest], False))
        else:
            in_batch[digest] = source.name
    return found


def originals_held(vault: Vault, keyring: Keyring) -> dict[str, str]:
    """The SHA-256 of every original in the vault (taken in here or received from a field
    contact), mapped to its first item id: so taking the same file in twice can be noticed.
    A write-only vault cannot open its entries, so it knows none."""
    from intake.ledger.audit import audit
    from intake.ledger.entries import ORIGINAL

    if not keyring.can_open_sealed:
        return {}
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        report = audit(ledger.store, vault.config.origin, vault.verifier, keyring)
    if not report.ok:
        raise CheckFailed(f"ledger verification failed: {report.failure}")
    held: dict[str, str] = {}
    for entry in report.entries:
        if entry.action in ("received", "transferred") and entry.outputs \
                and entry.outputs[0].get("role", ORIGINAL) == ORIGINAL:
            held.setdefault(str(entry.outputs[0]["sha256"]), entry.item)
    return held


def sha256_of(source: Source) -> str:
    """The file's SHA-256, as a `received` entry records it; a file swapped for a FIFO or a
    device since it was listed is refused (FileRefused), never read."""
    with open_source(source) as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
