"""Taking files into a vault, as `intake add` and the app do: collect → receive → clean → record.

    sources.py     collect: the files given, checked; each opened again as it is now
    original.py    receive: the original hashed, sealed into blobs/, its `received` entry
    clean_copy.py  clean (intake.clean) and record: the sealed clean copy, findings, `sanitized` entry
    duplicates.py  files taken in before, by SHA-256

`take_in` is a generator so a caller can stop between files: every file it
has yielded is fully recorded, and nothing of the next one is written yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intake.errors import FileRefused
from intake.support.progress import FileProgress
from intake.takein.sources import Source

if TYPE_CHECKING:
    from intake.vault import Vault
    from intake.keys.keystore import Keyring
    from intake.takein.clean_copy import NotCleaned, Sanitized
    from intake.takein.original import Received


@dataclass(frozen=True)
class TakenIn:
    """One file taken in: its `received` record, and its clean copy or why there is none."""

    source: Source
    received: Received
    outcome: Sanitized | NotCleaned

    @property
    def cleaned(self) -> bool:
        from intake.takein.clean_copy import Sanitized  # loaded by take_in already

        return isinstance(self.outcome, Sanitized)


@dataclass(frozen=True)
class NotTakenIn:
    """A file refused before anything of it was recorded (unreadable, swapped, hostile to the
    sniffer, or the vault could not take it); the rest of the batch goes on."""

    source: Source
    reason: str
    cleaned = False


def take_in(
    vault: Vault, keyring: Keyring, sources: Iterable[Source], note: str | None = None,
    progress: FileProgress | None = None, on_received: Callable[[Received], None] | None = None,
    keep_hdr: bool = False,
) -> Iterator[TakenIn | NotTakenIn]:
    """Receive and clean each file under the vault's exclusive lock.

    The sealing policy is read again under the lock, so a recipient added by
    another command meanwhile is not lost. Stopping the iteration (close())
    between files releases the lock; files already yielded stay recorded. A file that cannot be
    received is yielded as NotTakenIn, with nothing of it written, and the next one is taken.
    """
    # Here, not with the package: `inspect` uses sources.py alone, and the recording side is a
    # tenth of its start-up.
    from intake.takein.clean_copy import clean_received
    from intake.takein.original import receive_original

    with vault.locked(), vault.ledger() as ledger:
        keyring = vault.reread_policy(keyring)
        for source in sources:
            try:
                received = receive_original(source, ledger, keyring, vault.blobs, note, progress)
            except FileRefused as error:
                yield NotTakenIn(source, str(error))
                continue
            if on_received is not None:
                on_received(received)
            outcome = clean_received(source, received, ledger, keyring, vault.blobs, keep_hdr)
            yield TakenIn(source, received, outcome)
