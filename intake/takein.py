"""Taking files into a vault, one at a time, as `intake add` and the TUI do.

    sources ──inspect_source──▶ findings (nothing written)
    sources ──take_in──▶ per file: receive (seal + `received`) ──▶ clean (`sanitized`)

`take_in` is a generator so a caller can stop between files: every file it
has yielded is fully recorded, and nothing of the next one is written yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from intake.clean import MAX_CLEAN_BYTES, Inspection, inspect_within
from intake.errors import FileRefused
from intake.pipeline import NotCleaned, Progress, Received, Sanitized, Source, read_source, receive, sanitize_received
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
    if source.size > MAX_CLEAN_BYTES:
        return Inspection("unknown", [], False, f"over {MAX_CLEAN_BYTES >> 20} MiB: not inspected")
    return inspect_within(read_source(source))


def take_in(
    vault: Vault, keyring: Keyring, sources: Iterable[Source], note: str | None = None,
    progress: Progress | None = None, on_received: Callable[[Received], None] | None = None,
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
            outcome = sanitize_received(source, received, ledger, keyring, vault.blobs)
            yield IntakeResult(source, received, outcome)
