"""The custody ledger: append signed, sealed entries; prove what it holds.

Each append is one SQLite transaction that stores the entry and the signed
checkpoint of the new tree, so every tree size has exactly one checkpoint and
a tampered row is pinned to the first checkpoint it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from intake import __version__
from intake import policy_state
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.custodian import Custodian
from intake.ledger.entries import CustodyEntry, Draft, SignedEntry, leaf_data, new_id
from intake.ledger.note import Signer, Verifier, sign
from intake.ledger.store import LedgerStore, StoredCheckpoint, StoredEntry
from intake.ledger.stored_tree import StoredTree, all_rows
from intake.keys.seal import seal

TOOL = f"intake/{__version__}"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def leaf_hash_of(commitment: bytes, sealed: bytes) -> bytes:
    return merkle.leaf_hash(leaf_data(commitment, sealed))


def leaf_hashes(entries: list[StoredEntry]) -> list[bytes]:
    return [leaf_hash_of(e.commitment, e.sealed) for e in entries]


def stored_leaf_hashes(store: LedgerStore) -> list[bytes]:
    """Every leaf hash, read row by row: the sealed records are never all held at once."""
    return [leaf for _, leaf in store.leaf_rows(leaf_hash_of)]


@dataclass(frozen=True)
class Ledger:
    store: LedgerStore
    origin: str
    verifier: Verifier

    def append(self, draft: Draft, keyring: Custodian) -> CustodyEntry:
        return self.append_all([draft], keyring)[0]

    def append_all(self, drafts: list[Draft], keyring: Custodian) -> list[CustodyEntry]:
        """Several entries in one transaction: all are recorded, or none. Reads O(log n) stored
        hashes per entry, never the whole ledger (but once, to build the tree of an older vault)."""
        appended = []
        with self.store.transaction():
            size = self.store.count()
            tree = self._tree_for_append(size)
            for draft in drafts:
                entry = self._complete(draft, keyring, seq=size, prev=tree.root(size))
                signed = SignedEntry.sign(entry, keyring.secret)
                sealed = seal(signed.to_bytes(), keyring.seal_recipients())
                stored = StoredEntry(entry.seq, signed.commitment(), sealed)
                tree.append(size, merkle.leaf_hash(leaf_data(stored.commitment, stored.sealed)))
                size += 1
                checkpoint = Checkpoint(self.origin, size, tree.root(size))
                note = sign(checkpoint.to_text(), [Signer(self.origin, keyring.secret.signing_key)])
                self.store.insert(stored, StoredCheckpoint(checkpoint.size, note))
                appended.append(entry)
            policy_state.record(self.store, self.origin, size, keyring.policy_serial, keyring.secret)
            self.store.forget_unrecorded([str(out["blob"]) for draft in drafts for out in draft.outputs if "blob" in out])
        return appended

    def _tree_for_append(self, size: int) -> StoredTree:
        tree = StoredTree(self.store)
        if not tree.is_complete(size):  # a vault from before stored hashes: build them, once
            if self.store.has_tree():
                self.store.clear_tree()
            self.store.insert_tree(all_rows(stored_leaf_hashes(self.store)))
        return tree

    def _subtree_source(self, size: int) -> merkle.SubtreeHash:
        tree = StoredTree(self.store)
        if tree.is_complete(self.store.count()):
            return tree.subtree
        hashes = stored_leaf_hashes(self.store)[:size]  # not built yet (read-only use of an older vault)
        return lambda lo, hi: merkle.root(hashes[lo:hi])

    def _complete(self, draft: Draft, keyring: Custodian, seq: int, prev: bytes) -> CustodyEntry:
        return CustodyEntry(
            id=draft.entry_id or new_id("ent_"),
            seq=seq,
            prev=prev.hex(),
            action=draft.action,
            item=draft.item,
            actor=keyring.public.fingerprint_hex,
            time=utc_now(),
            tool=TOOL,
            inputs=draft.inputs,
            outputs=draft.outputs,
            parents=draft.parents,
            note=draft.note,
        )

    def latest_checkpoint(self) -> str | None:
        checkpoints = self.store.checkpoints()
        return checkpoints[-1].note if checkpoints else None

    def size(self) -> int:
        return self.store.count()

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.store.count() if size is None else size
        return merkle.inclusion_proof_from(index, size, self._subtree_source(size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        size = self.store.count() if new_size is None else new_size
        return merkle.consistency_proof_from(old_size, size, self._subtree_source(size))
