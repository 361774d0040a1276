"""Stored Merkle hashes: the same roots and proofs as the tree computed from every leaf, built once
for an older vault, and an altered tree table caught by the audit. Real SQLite, real vaults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intake.errors import CheckFailed
from intake.ledger import merkle
from intake.ledger.audit import audit
from intake.ledger.stored_tree import Frontier, StoredTree, all_rows, leaf_hashes, stored_count
from intake.ledger.store import LedgerStore


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> LedgerStore:
    return LedgerStore.create(tmp_path / "ledger.sqlite")


def test_appending_leaf_by_leaf_stores_every_perfect_subtree(store: LedgerStore) -> None:
    tree, data = StoredTree(store), leaves(37)
    for size, leaf in enumerate(data):
        with store.transaction():
            Frontier(tree, size).append(leaf)
        assert tree.is_complete(size + 1) and store.tree_count() == stored_count(size + 1)
        assert tree.root(size + 1) == merkle.root(data[: size + 1])
    assert store.tree_rows() == all_rows(data)


@pytest.mark.parametrize("start", [0, 1, 6, 7, 8, 31])
def test_a_run_of_appends_folds_each_root_from_the_subtrees_it_holds(store: LedgerStore, start: int) -> None:
    """One Frontier for many appends (as append_all): every root it folds, and every row it writes,
    are those computed from all the leaves, from whatever size the run starts at."""
    data = leaves(start + 40)
    with store.transaction():
        store.insert_tree(all_rows(data[:start]))
        frontier = Frontier(StoredTree(store), start)
        assert frontier.root() == merkle.root(data[:start])
        for size in range(start, len(data)):
            frontier.append(data[size])
            assert frontier.size == size + 1 and frontier.root() == merkle.root(data[: size + 1])
    assert store.tree_rows() == all_rows(data)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 37])
def test_proofs_from_stored_hashes_equal_proofs_from_leaves(store: LedgerStore, size: int) -> None:
    data = leaves(size)
    with store.transaction():
        store.insert_tree(all_rows(data))
    tree = StoredTree(store)
    for index in range(size):
        assert merkle.inclusion_proof_from(index, size, tree.subtree) == merkle.inclusion_proof(index, data)
    for old in range(1, size + 1):
        proof = merkle.consistency_proof_from(old, size, tree.subtree)
        assert proof == merkle.consistency_proof(old, data)
        assert merkle.verify_consistency(old, size, merkle.root(data[:old]), tree.root(size), proof)


def test_an_unaligned_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aligned"):
        merkle.perfect_blocks(1, 5)


def test_an_older_vault_gets_its_tree_at_the_next_append(unlocked, make_file) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        unlocked.add(make_file(name, name.encode() * 50))
    path = unlocked.vault.ledger_path
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE tree")  # as a vault made before stored hashes
    with unlocked.ledger() as ledger:
        before = ledger.inclusion_proof(1)  # read-only: computed from the entries
        assert not ledger.store.has_tree()
    unlocked.add(make_file("d.txt", b"d" * 50))
    with unlocked.ledger() as ledger:
        hashes = leaf_hashes(ledger.store.entries())
        assert ledger.store.tree_rows() == all_rows(hashes)
        assert ledger.inclusion_proof(1, 3) == before == merkle.inclusion_proof(1, hashes[:3])


def test_an_altered_tree_row_fails_the_audit(unlocked, make_file) -> None:
    for name in ("a.txt", "b.txt"):
        unlocked.add(make_file(name, name.encode() * 50))
    with sqlite3.connect(unlocked.vault.ledger_path) as db:
        db.execute("UPDATE tree SET hash = zeroblob(32) WHERE level = 1 AND idx = 0")
    with unlocked.ledger() as ledger:
        report = audit(ledger.store, unlocked.vault.config.origin, unlocked.vault.verifier)
    assert not report.ok and "stored Merkle hashes do not match" in str(report.failure)
    with sqlite3.connect(unlocked.vault.ledger_path) as db:
        db.execute("DELETE FROM tree WHERE level = 1 AND idx = 0")
    with unlocked.ledger() as ledger, pytest.raises(CheckFailed, match="lacks the hash"):
        StoredTree(ledger.store).subtree(0, 2)


def test_a_tree_that_lags_behind_the_entries_is_rebuilt_at_the_next_append(unlocked, make_file) -> None:
    """Completeness is read from the last leaf row, not a count of the table: entries appended by a
    version that kept no tree rows leave the leaf level short, and the next append rebuilds it."""
    for name in ("a.txt", "b.txt", "c.txt"):
        unlocked.add(make_file(name, name.encode() * 50))
    with sqlite3.connect(unlocked.vault.ledger_path) as db:
        db.execute("DELETE FROM tree WHERE (level = 0 AND idx = 2)")  # as if entry 2 came without its row
    with unlocked.ledger() as ledger:
        assert ledger.store.tree_leaves() == 2 and not StoredTree(ledger.store).is_complete(3)
    unlocked.add(make_file("d.txt", b"d" * 50))
    with unlocked.ledger() as ledger:
        hashes = leaf_hashes(ledger.store.entries())
        assert ledger.store.tree_rows() == all_rows(hashes)
        assert StoredTree(ledger.store).root(len(hashes)) == merkle.root(hashes)
