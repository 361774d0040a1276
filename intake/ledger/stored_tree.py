"""The ledger's Merkle tree as stored hashes: the hash of every perfect subtree.

RFC 9162 logs and C2SP tlog-tiles keep these rather than recomputing the tree:
leaf n completes one perfect subtree per trailing one bit of n, so an append
(Frontier) writes on average two hashes, and any root, inclusion proof or consistency
proof reads at most log2(n) hashes per range it needs. Without them every
append and every proof would re-read every entry (O(n)).

Row (level, index) is MTH(D[index·2^level : (index+1)·2^level]).
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.ledger import merkle
from intake.ledger.entries import leaf_data
from intake.ledger.store import LedgerStore, StoredEntry, TreeRow


def leaf_hash_of(commitment: bytes, sealed: bytes) -> bytes:
    return merkle.leaf_hash(leaf_data(commitment, sealed))


def leaf_hashes(entries: list[StoredEntry]) -> list[bytes]:
    return [leaf_hash_of(e.commitment, e.sealed) for e in entries]


def stored_leaf_hashes(store: LedgerStore) -> merkle.HashList:
    """Every leaf hash, read row by row: the sealed records are never all held at once."""
    return merkle.HashList(leaf for _, leaf in store.leaf_rows(leaf_hash_of))


def stored_count(size: int) -> int:
    """Perfect subtrees in a tree of `size` leaves: size at level 0, size//2 at level 1, …"""
    return 2 * size - bin(size).count("1")


def all_rows(leaf_hashes: list[bytes]) -> list[TreeRow]:
    """Every stored hash of a tree, computed from its leaves (to build the table once, or audit it)."""
    rows: list[TreeRow] = []
    level, nodes = 0, leaf_hashes
    while nodes:
        rows += [(level, index, value) for index, value in enumerate(nodes)]
        nodes = [merkle.node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
        level += 1
    return rows


@dataclass(frozen=True)
class StoredTree:
    store: LedgerStore

    def is_complete(self, size: int) -> bool:
        """The stored hashes cover `size` leaves. Only the leaf level's end is read (O(log n)), not
        every row: an append stores its leaf and the subtrees it completes in one transaction, and
        building the table for an older vault writes all of it, so where the leaves stand the rest
        does. A vault appended to by a version without the table lags behind and is rebuilt; a row
        deleted from the middle is named by the first read that needs it, and by the audit."""
        return self.store.tree_leaves() == size

    def subtree(self, lo: int, hi: int) -> bytes:
        if lo == hi:
            return merkle.EMPTY_ROOT
        hashes = self.store.tree_hashes(merkle.perfect_blocks(lo, hi))
        return merkle.fold(hashes)

    def root(self, size: int) -> bytes:
        return merkle.root_from(size, self.subtree)



class Frontier:
    """A run of appends to a StoredTree: the hashes of the perfect subtrees that make up the tree
    (RFC 9162's compact range: one per set bit of the size, largest first) are read once and kept,
    so each new root is folded from them and each append finds its left siblings among them. An
    export of 500 items made a query per subtree hash for every root and append (5,000 in all)."""

    def __init__(self, tree: StoredTree, size: int) -> None:
        self._tree, self._size = tree, size
        self._peaks = tree.store.tree_hashes(merkle.perfect_blocks(0, size)) if size else []

    @property
    def size(self) -> int:
        return self._size

    def root(self) -> bytes:
        return merkle.fold(self._peaks) if self._peaks else merkle.EMPTY_ROOT

    def append(self, leaf: bytes) -> None:
        """Store the next leaf and every perfect subtree it completes (within a transaction)."""
        rows: list[TreeRow] = [(0, self._size, leaf)]
        node, level, index = leaf, 0, self._size
        while index & 1:  # each trailing one bit: the smallest peak is this node's left sibling
            node, level, index = merkle.node_hash(self._peaks.pop(), node), level + 1, index >> 1
            rows.append((level, index, node))
        self._peaks.append(node)
        self._tree.store.insert_tree(rows)
        self._size += 1
