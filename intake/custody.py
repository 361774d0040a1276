"""The custody ledger read for people: verify it, read its entries, find the clean copies.

`verify_ledger` is every check of `ledger verify`; `read_entries` and `Custody.open`
open the entries after the ledger verified (the one place that refuses a write-only
vault). A clean copy is an item some entry produced with the role "clean copy": a
`sanitized` entry (cleaned here) or a `transferred` one (received from a field
contact). Its trail is that entry and every entry it derives from, in ledger
order. Export and submission both start here, after an audit. Submission's
checks every entry in full. Export's proves every row unaltered (the roots
against the signed checkpoints), opens every entry and checks its links, and
checks the commitment and signature of every entry a bundle can publish: all
but the `exported` ones, which are on no trail; `require_sound` makes sure of
it for the trails chosen (docs/bundles.md, "What export checks").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from dataclasses import dataclass
from typing import Any

from intake.errors import AuditFailure, CheckFailed, IntakeError
from intake.ledger import merkle
from intake.ledger.audit import AuditReport, RecomputedTree, audit, audit_against, check_opened
from intake.ledger.entries import CLEAN_COPY, EXPORTED, SENDER_RECORD, CustodyEntry, SignedEntry
from intake.ledger.disclosure import EncodedDisclosure
from intake.ledger.opening import Disclose
from intake.ledger.append import Ledger
from intake.vault import Vault
from intake.keys.keystore import Keyring


def verify_ledger(
    vault: Vault, keyring: Keyring | None = None, against: str | None = None, keep_entries: bool = False
) -> AuditReport:
    """Every check of `ledger verify`: with a keyring also every entry and sealed file;
    with `against` (a saved checkpoint's text) also that the ledger extends it. The opened
    entries are in the report only with `keep_entries` (a big ledger's would fill the memory)."""
    blobs = vault.blobs
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        if against is not None:
            return audit_against(ledger.store, vault.config.origin, vault.verifier, against, keyring, blobs,
                                 keep=keep_entries)
        return audit(ledger.store, vault.config.origin, vault.verifier, keyring, blobs, keep=keep_entries)


def read_entries(vault: Vault, keyring: Keyring) -> list[CustodyEntry]:
    """Every entry, opened, after the ledger verified in full (sealed files too); as `ledger show` does."""
    _require_openable(keyring)
    return _verified(verify_ledger(vault, keyring, keep_entries=True)).entries


def _require_openable(keyring: Keyring) -> None:
    if not keyring.can_open_sealed:
        raise IntakeError("this is a write-only field vault: its entries are sealed to the editors and cannot be opened here")


def _verified(report: AuditReport) -> AuditReport:
    if not report.ok:
        raise CheckFailed(f"ledger verification failed: {report.failure}")
    return report


@dataclass(frozen=True)
class OpenedEntry:
    signed: SignedEntry
    sealed_sha256: bytes
    commitment: bytes = b""  # as stored; checked against the entry unless `checked`
    checked: bool = True     # commitment, signature and custodian checked by the audit
    disclosure: EncodedDisclosure | None = None  # what a bundle shows of it, if the audit was asked (Custody.open)

    @property
    def entry(self) -> CustodyEntry:
        return self.signed.entry


@dataclass(frozen=True)
class CleanItem:
    opened: OpenedEntry          # the entry that produced the clean copy
    trail: tuple[OpenedEntry, ...]  # ancestors first, this entry last

    @property
    def output(self) -> dict[str, Any]:
        return self.opened.entry.outputs[0]

    @property
    def item(self) -> str:
        return self.opened.entry.item

    @property
    def original_item(self) -> str:
        return str(self.opened.entry.inputs[0]["item"])

    @property
    def name(self) -> str:
        return str(self.output.get("name", ""))

    @property
    def media_type(self) -> str:
        return str(self.output["media_type"])

    @property
    def day(self) -> str:
        return self.opened.entry.time[:10]

    @property
    def sender(self) -> str | None:
        """The hex fingerprint of the field contact who sent it; None when it was taken in here."""
        for opened in self.trail:
            for record in opened.entry.inputs:
                if record.get("role") == SENDER_RECORD:
                    return str(record["sender"])
        return None


@dataclass(frozen=True)
class Custody:
    entries: tuple[OpenedEntry, ...]
    checkpoint: str | None
    tree: RecomputedTree | None = None  # the audit's recomputed Merkle tree, for proofs

    @classmethod
    def open(cls, vault: Vault, keyring: Keyring, ledger: Ledger, every_entry: bool = True,
             disclose: Disclose | None = None) -> "Custody":
        """Audit the ledger (entries, not blobs) and open every entry. With `every_entry=False`
        the commitment and signature of an `exported` entry are not checked (see audit). With
        `disclose`, each entry checked in full also comes with what a bundle shows of it."""
        _require_openable(keyring)
        report = _verified(audit(ledger.store, vault.config.origin, vault.verifier, keyring, every_entry=every_entry,
                                 disclose=disclose))
        entries = tuple(OpenedEntry(r.signed, r.sealed_sha256, r.commitment, r.checked, r.disclosure)
                        for r in report.opened)
        return cls(entries, ledger.latest_checkpoint(), report.tree)

    def require_sound(self, chosen: Sequence[CleanItem], keyring: Keyring) -> None:
        """Every entry on the chosen clean copies' trails is the content its stored commitment
        commits to, signed by this custodian (ledger verify's steps 11-13): what a bundle
        publishes of them must verify. The audit proved every row unaltered already."""
        for clean in chosen:
            for step in clean.trail:
                if step.checked:
                    continue
                try:
                    check_opened(step.signed, step.commitment, keyring.public, step.entry.seq, keyring.secret)
                except AuditFailure as failure:
                    raise CheckFailed(f"ledger verification failed: {failure}") from failure

    def inclusion_proofs(self, size: int) -> Callable[[int], list[bytes]]:
        """inclusion_proof(index, size) for many indexes: the hashes of the ranges the proofs share
        (those that end at `size`, above all) are folded once (an export proves every trail entry)."""
        assert self.tree is not None
        subtree = lru_cache(maxsize=None)(self.tree.subtree)
        return lambda index: merkle.inclusion_proof_from(index, size, subtree)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        assert self.tree is not None
        return merkle.consistency_proof_from(old_size, new_size, self.tree.subtree)

    def clean_items(self) -> list[CleanItem]:
        by_id = {opened.entry.id: opened for opened in self.entries}
        return [
            CleanItem(opened, self._trail(opened, by_id))
            for opened in self.entries
            if opened.entry.outputs and opened.entry.outputs[0].get("role") == CLEAN_COPY
        ]

    def resolve(self, items: Sequence[str] | None) -> list[CleanItem]:
        """The clean copies asked for, by their item id or their original's; None: all."""
        clean = self.clean_items()
        if items is None:
            if not clean:
                raise IntakeError("the vault holds no clean copy yet: nothing can leave it")
            return clean
        chosen: list[CleanItem] = []
        known = {opened.entry.item for opened in self.entries if opened.entry.action != EXPORTED}  # not bundles
        for wanted in dict.fromkeys(unique_item(given, known) for given in items):
            match = [c for c in clean if wanted in (c.item, c.original_item)]
            if not match:
                raise IntakeError(self._why_missing(wanted))
            chosen += [c for c in match if c not in chosen]
        return chosen

    def _why_missing(self, wanted: str) -> str:
        if any(opened.entry.item == wanted and opened.entry.action != EXPORTED for opened in self.entries):
            return f"item {wanted} has no clean copy (it could not be cleaned), so it cannot leave the vault"
        return f"no item {wanted} in this vault (see `intake ledger show`)"

    @staticmethod
    def _trail(opened: OpenedEntry, by_id: dict[str, OpenedEntry]) -> tuple[OpenedEntry, ...]:
        found: dict[str, OpenedEntry] = {}
        pending = [opened]
        while pending:
            current = pending.pop()
            if current.entry.id not in found:
                found[current.entry.id] = current
                pending += [by_id[parent] for parent in current.entry.parents if parent in by_id]
        return tuple(sorted(found.values(), key=lambda o: o.entry.seq))


ITEM_PREFIX = "itm_"
MIN_PREFIX = 4  # characters after `itm_`, as git asks at least 4 of a hash


def unique_item(given: str, known: Iterable[str]) -> str:
    """The one known item id that `given` starts (with or without `itm_`), as git takes a short
    hash; an unknown id is returned as given, for the caller's own `no item` message."""
    known = set(known)
    if given in known:
        return given
    wanted = given if given.startswith(ITEM_PREFIX) else ITEM_PREFIX + given
    if len(wanted) - len(ITEM_PREFIX) < MIN_PREFIX:
        raise IntakeError(f"item {given!r} is too short: give at least {MIN_PREFIX} characters of its id")
    matches = sorted(item for item in known if item.startswith(wanted))
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise IntakeError(f"item {given} is ambiguous: it starts {len(matches)} ids ({shown}); give more characters")
    return matches[0] if matches else given
