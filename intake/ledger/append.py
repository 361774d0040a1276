"""The custody ledger: append signed, sealed entries; prove what it holds.

An entry is signed and sealed in `seal_entry`; each new tree size's checkpoint
is signed by `sign_checkpoint` (checkpoint.py). Each append is one SQLite
transaction that stores the entry and the signed checkpoint of the new tree, so
every tree size has exactly one checkpoint and a tampered row is pinned to the
first checkpoint it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from intake import __version__
from intake.ledger import merkle, policy_state
from intake.ledger.checkpoint import Checkpoint, sign_checkpoint
from intake.ledger.custodian import Custodian
from intake.ledger.entries import CustodyEntry, Draft, SignedEntry, new_id
from intake.ledger.note import Verifier
from intake.ledger.originals import entry_tag, tag_key
from intake.ledger.store import LedgerStore, StoredCheckpoint, StoredEntry
from intake.ledger.stored_tree import Frontier, StoredTree, all_rows, leaf_hash_of, stored_leaf_hashes
from intake.keys.seal import seal

TOOL = f"intake/{__version__}"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_entry(entry: CustodyEntry, custodian: Custodian) -> StoredEntry:
    """Sign the entry, then seal the signed bytes to the policy's recipients: the row the ledger keeps."""
    signed = SignedEntry.sign(entry, custodian.secret)
    return StoredEntry(entry.seq, signed.commitment(), seal(signed.to_bytes(), custodian.seal_recipients()))


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
            tree = Frontier(self._tree_for_append(size), size)
            tags = tag_key(keyring.secret) if self.store.originals_through() == size else None
            root = tree.root()
            for draft in drafts:
                entry = self._complete(draft, keyring, seq=size, prev=root)
                stored = seal_entry(entry, keyring)
                tree.append(leaf_hash_of(stored.commitment, stored.sealed))
                size += 1
                root = tree.root()  # this checkpoint's root, and the next entry's `prev`
                checkpoint = Checkpoint(self.origin, size, root)
                self.store.insert(stored, StoredCheckpoint(size, sign_checkpoint(checkpoint, keyring.secret.signing_key)))
                appended.append(entry)
            if tags is not None:  # an older vault gets its rows when it first looks a file up
                self.store.insert_originals([(entry.seq, entry_tag(tags, entry.seq, entry)) for entry in appended])
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
        latest = self.store.latest_checkpoint()
        return latest.note if latest else None

    def size(self) -> int:
        return self.store.count()

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.store.count() if size is None else size
        return merkle.inclusion_proof_from(index, size, self._subtree_source(size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        size = self.store.count() if new_size is None else new_size
        return merkle.consistency_proof_from(old_size, size, self._subtree_source(size))
