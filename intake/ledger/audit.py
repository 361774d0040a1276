"""Ledger verification: what `intake ledger verify` checks, and in what order.

Without the passphrase: row numbering, every checkpoint's signature, each
checkpoint's root against the stored rows, and consistency proofs between
successive checkpoints. With the unlocked keyring: every entry is opened and
its commitment, signature, sequence number and link to the tree before it
are checked. The first failure names the entry or checkpoint it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint, CheckpointError
from intake.ledger.entries import CustodyEntry, EntryError, SignedEntry
from intake.ledger.log import leaf_hashes
from intake.ledger.note import NoteError, Verifier, open_note
from intake.ledger.store import LedgerStore, StoredCheckpoint, StoredEntry
from intake.seal import SealError, unseal
from keys.keystore import Keyring


PAIRWISE_LIMIT = 1024


class AuditFailure(Exception):
    """The first thing found wrong; its message names the entry or checkpoint."""


@dataclass
class AuditReport:
    checked: list[str] = field(default_factory=list)
    failure: str | None = None
    entries: list[CustodyEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def read_checkpoint(note: str, origin: str, verifier: Verifier) -> Checkpoint:
    """A checkpoint whose signature and origin are this ledger's, or AuditFailure."""
    try:
        checkpoint = Checkpoint.from_text(open_note(note, [verifier]))
    except (NoteError, CheckpointError) as error:
        raise AuditFailure(f"its signature or format is wrong ({error})") from error
    if checkpoint.origin != origin:
        raise AuditFailure("it belongs to another ledger (origin differs)")
    return checkpoint


def audit(store: LedgerStore, origin: str, verifier: Verifier, keyring: Keyring | None = None) -> AuditReport:
    report = AuditReport()
    try:
        entries = store.entries()
        hashes = leaf_hashes(entries)
        _check_numbering(entries, report)
        roots = merkle.prefix_roots(hashes)
        checkpoints = _check_checkpoints(store.checkpoints(), roots, origin, verifier, report)
        _check_consistency(checkpoints, hashes, report)
        if keyring is not None:
            report.entries = _check_entries(entries, roots, keyring, report)
    except AuditFailure as failure:
        report.failure = str(failure)
    return report


def _check_numbering(entries: list[StoredEntry], report: AuditReport) -> None:
    for position, entry in enumerate(entries):
        if entry.idx != position:
            raise AuditFailure(
                f"entry {position}: stored with index {entry.idx}; a row was deleted, reordered or renumbered"
            )
    report.checked.append(f"{len(entries)} entries numbered 0..{len(entries) - 1} without gaps")


def _check_checkpoints(
    stored: list[StoredCheckpoint], roots: list[bytes], origin: str, verifier: Verifier, report: AuditReport
) -> list[Checkpoint]:
    sizes = [c.size for c in stored]
    expected = list(range(1, len(roots) + 1))
    if sizes != expected:
        missing = sorted(set(expected) - set(sizes))
        extra = sorted(set(sizes) - set(expected))
        where = f"checkpoint for size {missing[0]} is missing" if missing else f"checkpoint for size {extra[0]} has no entries"
        raise AuditFailure(f"{where}: checkpoints or entries were deleted or added")
    checkpoints = []
    for row in stored:
        try:
            checkpoint = read_checkpoint(row.note, origin, verifier)
        except AuditFailure as failure:
            raise AuditFailure(f"checkpoint {row.size}: {failure}") from failure
        if checkpoint.size != row.size:
            raise AuditFailure(f"checkpoint {row.size}: it signs size {checkpoint.size}; checkpoints were swapped")
        if checkpoint.root != roots[row.size - 1]:
            raise AuditFailure(
                f"entry {row.size - 1}: its stored record does not match signed checkpoint {row.size}; it was altered"
            )
        checkpoints.append(checkpoint)
    report.checked.append(f"{len(checkpoints)} checkpoints signed by {verifier.vkey()}")
    report.checked.append("every checkpoint's root matches the stored entries (RFC 9162)")
    return checkpoints


def _check_consistency(checkpoints: list[Checkpoint], hashes: list[bytes], report: AuditReport) -> None:
    """Prove each checkpoint extends the one before, as an outside party would.

    The roots were already matched to the rows; this replays the RFC 9162
    consistency proofs so the same code path that serves `--against` and
    remote verifiers is exercised on every audit.
    """
    for older, newer in _proof_pairs(checkpoints):
        proof = merkle.consistency_proof(older.size, hashes[: newer.size])
        if not merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof):
            raise AuditFailure(f"checkpoint {newer.size}: it is not an append-only extension of checkpoint {older.size}")
    report.checked.append("each checkpoint is an append-only extension of the one before (consistency proofs)")


def _proof_pairs(checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, Checkpoint]]:
    """Every successive pair for small ledgers; doubling sizes for big ones.

    A proof costs O(n) hashes to build, so all pairs of a large ledger would be
    quadratic; the direct root checks above already cover every size.
    """
    if len(checkpoints) <= PAIRWISE_LIMIT:
        return list(zip(checkpoints, checkpoints[1:]))
    picked = [checkpoints[(1 << k) - 1] for k in range(len(checkpoints).bit_length()) if (1 << k) <= len(checkpoints)]
    if picked[-1] is not checkpoints[-1]:
        picked.append(checkpoints[-1])
    return list(zip(picked, picked[1:]))


def audit_against(store: LedgerStore, origin: str, verifier: Verifier, saved_note: str) -> AuditReport:
    """Is the ledger now an append-only extension of a checkpoint saved earlier?"""
    report = audit(store, origin, verifier)
    if not report.ok:
        return report
    try:
        saved = read_checkpoint(saved_note, origin, verifier)
    except AuditFailure as failure:
        report.failure = f"the saved checkpoint: {failure}"
        return report
    hashes = leaf_hashes(store.entries())
    if saved.size > len(hashes):
        report.failure = (
            f"the ledger holds {len(hashes)} entries but the saved checkpoint saw {saved.size}: "
            "it was truncated or rolled back"
        )
        return report
    proof = merkle.consistency_proof(saved.size, hashes) if saved.size else []
    if not merkle.verify_consistency(saved.size, len(hashes), saved.root, merkle.root(hashes), proof):
        report.failure = f"the ledger is not an extension of the saved checkpoint of size {saved.size}: history was rewritten"
        return report
    report.checked.append(f"the ledger extends the saved checkpoint of size {saved.size} (consistency proof)")
    return report


def _check_entries(
    entries: list[StoredEntry], roots: list[bytes], keyring: Keyring, report: AuditReport
) -> list[CustodyEntry]:
    if not keyring.can_open_sealed:
        report.checked.append("entries are sealed to the editors only (write-only vault): contents not opened here")
        return []
    opened: list[CustodyEntry] = []
    seen: set[str] = set()
    for stored in entries:
        entry = _open_entry(stored, keyring)
        prev = roots[stored.idx - 1] if stored.idx else merkle.EMPTY_ROOT
        if entry.seq != stored.idx or entry.prev != prev.hex():
            raise AuditFailure(f"entry {stored.idx}: its link to the entries before it is broken")
        if entry.id in seen or any(parent not in seen for parent in entry.parents):
            raise AuditFailure(f"entry {stored.idx}: its id repeats or a parent is not an earlier entry")
        seen.add(entry.id)
        opened.append(entry)
    report.checked.append(f"{len(opened)} entries opened: commitment, signature, sequence and links hold")
    return opened


def _open_entry(stored: StoredEntry, keyring: Keyring) -> CustodyEntry:
    try:
        signed = SignedEntry.from_bytes(unseal(stored.sealed, [keyring.secret.age_identity]))
    except (SealError, EntryError) as error:
        raise AuditFailure(f"entry {stored.idx}: it does not open as a custody entry") from error
    if signed.commitment() != stored.commitment:
        raise AuditFailure(f"entry {stored.idx}: its content does not match its commitment")
    if not keyring.public.verify(signed.entry.signed_bytes(), signed.signature):
        raise AuditFailure(f"entry {stored.idx}: its signature does not verify")
    if signed.entry.actor != keyring.public.fingerprint_hex:
        raise AuditFailure(f"entry {stored.idx}: it names another custodian")
    return signed.entry
