"""Files already taken in, found by their SHA-256 before a batch is taken in (`add`, the app)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intake.takein.sources import Source, open_source

if TYPE_CHECKING:
    from intake.support.progress import Progress
    from intake.vault import Vault
    from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class Duplicate:
    """A file whose bytes were taken in before (by SHA-256): in the ledger, or earlier in this batch."""

    source: Source
    sha256: str
    earlier: str  # the earlier item's id, or the earlier file's name in this batch
    in_ledger: bool  # True: `earlier` is an item id already in the ledger


def find_duplicates(vault: Vault, keyring: Keyring, sources: Sequence[Source],
                    indexing: Progress | None = None) -> list[Duplicate]:
    """Files already taken in. A write-only vault cannot open its entries, so there only repeats
    within these sources are found (the editor's export still publishes each clean copy once).
    `indexing`: see held_originals."""
    digests = [(source, sha256_of(source)) for source in sources]
    in_ledger = held_originals(vault, keyring, [digest for _, digest in digests], indexing)
    in_batch: dict[str, str] = {}
    found = []
    for source, digest in digests:
        if digest in in_ledger:
            found.append(Duplicate(source, digest, in_ledger[digest], True))
        elif digest in in_batch:
            found.append(Duplicate(source, digest, in_batch[digest], False))
        else:
            in_batch[digest] = source.name
    return found


def held_originals(vault: Vault, keyring: Keyring, digests: Iterable[str],
                   indexing: Progress | None = None) -> dict[str, str]:
    """Of these SHA-256s, those of originals the vault holds (taken in here or received from a
    field contact), each mapped to the first item that took it in: found by the ledger's keyed
    tags and confirmed by opening that entry (intake/ledger/originals.py), never by opening every
    entry. A write-only vault cannot open its entries, so it knows none. `indexing` is told (entries
    done, entries to do) when a vault made before the tags gets them, once: every entry is opened."""
    from intake.ledger import originals

    if not keyring.can_open_sealed:
        return {}
    wanted = list(digests)
    if not wanted:
        return {}
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        if originals.complete(ledger.store):
            return originals.held(ledger.store, keyring, wanted)
    with vault.locked(), vault.ledger() as ledger:  # a vault from before the tags: built once
        if not originals.complete(ledger.store):
            originals.build_missing(ledger.store, keyring, indexing)
        return originals.held(ledger.store, keyring, wanted)


def sha256_of(source: Source) -> str:
    """The file's SHA-256, as a `received` entry records it; a file swapped for a FIFO or a
    device since it was listed is refused (FileRefused), never read."""
    with open_source(source) as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
