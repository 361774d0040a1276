"""Reading and verifying a vault's custody ledger, for `intake ledger` and the TUI."""

from __future__ import annotations

from dataclasses import dataclass

from intake.errors import CheckFailed, IntakeError
from intake.ledger.audit import AuditReport, audit, audit_against
from intake.ledger.entries import CustodyEntry
from intake.vault import Vault
from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class EntryRow:
    """One custody entry as a line of a table: what `ledger show` prints."""

    seq: int
    time: str
    action: str
    item: str
    sha256: str  # of the first output: the original, or the clean copy of a `sanitized` entry
    name: str    # an `exported` entry: the clean copy's hash, and the bundle instead of a name
    note: str | None
    actor: str

    @classmethod
    def of(cls, entry: CustodyEntry) -> "EntryRow":
        if entry.action == "exported":  # what left: the clean copy; where to: the bundle
            copy, bundle = entry.inputs[0] if entry.inputs else {}, entry.outputs[0] if entry.outputs else {}
            return cls(entry.seq, entry.time, entry.action, entry.item, str(copy.get("sha256", "")),
                       f"to the bundle {str(bundle.get('tagmanifest_sha256', ''))[:16]}", entry.note, entry.actor)
        subject = entry.outputs[0] if entry.outputs else {}
        return cls(entry.seq, entry.time, entry.action, entry.item, str(subject.get("sha256", "")),
                   str(subject.get("name", "")), entry.note, entry.actor)


def verify_ledger(vault: Vault, keyring: Keyring | None = None, against: str | None = None) -> AuditReport:
    """Every check of `ledger verify`: with a keyring also every entry and sealed file;
    with `against` (a saved checkpoint's text) also that the ledger extends it."""
    blobs = vault.blobs
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        if against is not None:
            return audit_against(ledger.store, vault.config.origin, vault.verifier, against, keyring, blobs)
        return audit(ledger.store, vault.config.origin, vault.verifier, keyring, blobs)


def read_entries(vault: Vault, keyring: Keyring) -> list[CustodyEntry]:
    """Every entry, opened, after the ledger verified in full; as `ledger show` does."""
    if not keyring.can_open_sealed:
        raise IntakeError("this is a write-only field vault: its entries are sealed to the editors and cannot be shown here")
    report = verify_ledger(vault, keyring)
    if not report.ok:
        raise CheckFailed(f"ledger verification failed: {report.failure}")
    return report.entries
