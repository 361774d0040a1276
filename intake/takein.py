"""Taking files into a vault, one at a time, as `intake add` and the TUI do.

    sources ──inspect_source──▶ findings (nothing written)
    sources ──take_in──▶ per file: receive (seal + `received`) ──▶ clean (`sanitized`)

`take_in` is a generator so a caller can stop between files: every file it
has yielded is fully recorded, and nothing of the next one is written yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intake.clean import Inspection, inspect_file_within
from intake.errors import CheckFailed, FileRefused
from intake.support.fsutil import open_regular
from intake.pipeline import NotCleaned, Progress, Received, Sanitized, Source, open_source, receive, sanitize_received

if TYPE_CHECKING:
    from intake.vault import Vault
    from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class IntakeResult:
    """One file taken in: its `received` record, and its clean copy or why there is none."""

    source: Source
    received: Received
    outcome: Sanitized | NotCleaned

    @property
    def cleaned(self) -> bool:
        return isinstance(self.outcome, Sanitized)


@dataclass(frozen=True)
class NotTakenIn:
    """A file refused before anything of it was recorded (unreadable, swapped, hostile to the
    sniffer, or the vault could not take it); the rest of the batch goes on."""

    source: Source
    reason: str
    cleaned = False


def inspect_source(source: Source) -> Inspection:
    """What `inspect` reports for one file: findings worst first, or why there are none."""
    with open_regular(source.path, "the file") as handle:
        return inspect_file_within(handle)


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


def take_in(
    vault: Vault, keyring: Keyring, sources: Iterable[Source], note: str | None = None,
    progress: Progress | None = None, on_received: Callable[[Received], None] | None = None,
    keep_hdr: bool = False,
) -> Iterator[IntakeResult | NotTakenIn]:
    """Receive and clean each file under the vault's exclusive lock.

    The sealing policy is read again under the lock, so a recipient added by
    another command meanwhile is not lost. Stopping the iteration (close())
    between files releases the lock; files already yielded stay recorded. A file that cannot be
    received is yielded as NotTakenIn, with nothing of it written, and the next one is taken.
    """
    with vault.locked(), vault.ledger() as ledger:
        keyring = vault.reread_policy(keyring)
        for source in sources:
            try:
                received = receive(source, ledger, keyring, vault.blobs, note, progress)
            except FileRefused as error:
                yield NotTakenIn(source, str(error))
                continue
            if on_received is not None:
                on_received(received)
            outcome = sanitize_received(source, received, ledger, keyring, vault.blobs, keep_hdr)
            yield IntakeResult(source, received, outcome)
