"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, section 2.1.

The custody ledger is an append-only log. Its signed checkpoints commit to
the Merkle Tree Hash (MTH) of every entry so far, and this module is what
lets an outside party check two things without trusting the ledger's
storage: that an entry is in a checkpointed tree (inclusion proofs) and
that a later checkpoint extends an earlier one (consistency proofs).

Everything follows RFC 9162 section 2.1 to the letter, because the point of
using a published construction is that independent verifiers (Go
transparency-dev/merkle, sigsum, CT monitors) compute the same bytes:

* leaves and interior nodes are hashed with different one-byte prefixes
  (0x00 and 0x01) so a leaf can never be passed off as a node;
* a tree of n > 1 leaves is split at k, the largest power of two smaller
  than n, so the left subtree is always perfect and old roots stay
  embedded in new trees;
* the verifiers are the section 2.1.3.2 and 2.1.4.2 algorithms step by
  step, so they can be audited against the RFC text side by side.

Functions whose names start with ``verify_`` never raise on bad input:
proofs arrive from untrusted parties, and "malformed" must mean "not
verified", not a crash a caller forgets to catch. The proof builders work on
the log's own data, so bad arguments there are programming errors and raise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

__all__ = [
    "EMPTY_ROOT",
    "HashList",
    "leaf_hash",
    "node_hash",
    "root",
    "prefix_roots",
    "inclusion_proof",
    "consistency_proof",
    "SubtreeHash",
    "inclusion_proof_from",
    "consistency_proof_from",
    "root_from",
    "perfect_blocks",
    "fold",
    "verify_inclusion",
    "verify_consistency",
]

_HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}) = HASH(): the root of the tree with no leaves (RFC 9162 2.1.1)."""


class HashList(Sequence[bytes]):
    """32-byte hashes end to end in one bytearray: a million of them take 32 MB, where a list of
    bytes objects takes about 100 (issue 12: `ledger verify` of a million entries within 150 MB)."""

    def __init__(self, hashes: Iterable[bytes] = ()) -> None:
        self._data = bytearray()
        for value in hashes:
            self.append(value)

    def append(self, value: bytes) -> None:
        if len(value) != _HASH_SIZE:
            raise ValueError(f"not a {_HASH_SIZE}-byte hash")
        self._data += value

    def __len__(self) -> int:
        return len(self._data) // _HASH_SIZE

    def bytes_between(self, start: int, end: int) -> bytes:
        """Hashes start..end − 1, end to end."""
        return bytes(self._data[start * _HASH_SIZE:end * _HASH_SIZE])

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("hash index out of range")
        start = index * _HASH_SIZE
        return bytes(self._data[start:start + _HASH_SIZE])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HashList):
            return self._data == other._data
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (mutable)

    def __iter__(self) -> Iterator[bytes]:
        data = self._data
        for start in range(0, len(data) - _HASH_SIZE + 1, _HASH_SIZE):
            yield bytes(data[start:start + _HASH_SIZE])


# --- hashing -----------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d).

    The 0x00 prefix separates leaves from interior nodes; without it a
    64-byte leaf equal to two child hashes would collide with their parent
    (second-preimage attack on the tree).
    """
    digest = hashlib.sha256(_LEAF_PREFIX)
    digest.update(data)  # update, not concatenation: leaves may be large
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the interior node of RFC 9162 2.1.1.

    Inputs are not length-checked here because this is the inner loop of
    every computation; the public entry points validate hashes first.
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


# --- argument checks ---------------------------------------------------------


def _is_hash(value: object) -> bool:
    """True for a 32-byte bytes object, the only thing a node may be."""
    return isinstance(value, (bytes, bytearray)) and len(value) == _HASH_SIZE


def _is_size(value: object) -> bool:
    """True for a non-negative int; bool is excluded because True as an
    index or tree size is surely a bug, not the number 1."""
    return type(value) is int and value >= 0


def _is_hash_list(proof: object) -> bool:
    """True for a sequence of 32-byte hashes (str and bytes are sequences
    too, but of the wrong things, and are rejected by the element check)."""
    return isinstance(proof, Sequence) and all(_is_hash(p) for p in proof)


def _require_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    """Reject anything but 32-byte leaf hashes.

    Passing raw leaf data instead of leaf hashes is the easy mistake; it
    would silently produce a tree nobody else can reproduce.
    """
    if isinstance(leaf_hashes, HashList):
        return  # holds nothing else
    for position, value in enumerate(leaf_hashes):
        if not _is_hash(value):
            raise ValueError(f"leaf_hashes[{position}] is not a {_HASH_SIZE}-byte hash")


def _require_int(value: object, name: str) -> None:
    """Builders take plain ints; see _is_size for why bool is refused."""
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


# --- tree shape and roots ----------------------------------------------------


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1), RFC 9162 2.1.1.

    Splitting there keeps every left subtree perfect, which is what makes
    proofs logarithmic and old trees recognisable inside new ones.
    """
    return 1 << ((n - 1).bit_length() - 1)


def _push(stack: list[bytes], new_size: int, leaf: bytes) -> None:
    """Append one leaf to a compact range (stack of perfect-subtree roots).

    Appending leaf number new_size completes one perfect subtree per trailing
    zero bit of new_size, so exactly that many merges keep the stack equal to
    the binary decomposition of the size, largest subtree first.
    """
    node = leaf
    for _ in range((new_size & -new_size).bit_length() - 1):
        node = node_hash(stack.pop(), node)
    stack.append(node)


def _fold(stack: Sequence[bytes]) -> bytes:
    """MTH of the tree whose compact range is stack.

    The RFC's split puts the largest perfect subtree on the left and
    recurses on the rest, so the root is the right-to-left fold of the
    stack; this costs one hash per set bit of the size.
    """
    node = stack[-1]
    for position in range(len(stack) - 2, -1, -1):
        node = node_hash(stack[position], node)
    return node


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range given as its perfect subtrees' hashes, largest first (see perfect_blocks)."""
    if not hashes:
        raise ValueError("no subtree hashes to fold")
    return _fold(hashes)


def _subtree_root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) without copying the slice, in hi - lo - 1 node hashes."""
    if lo == hi:
        return EMPTY_ROOT
    stack: list[bytes] = []
    for offset in range(hi - lo):
        _push(stack, offset + 1, leaves[lo + offset])
    return _fold(stack)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already-hashed leaves; the empty tree gives EMPTY_ROOT.

    Leaves are taken pre-hashed because the ledger keeps leaf hashes, and
    re-hashing the sealed entries for every root would be wasteful.
    """
    _require_leaf_hashes(leaf_hashes)
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def prefix_roots(leaf_hashes: Sequence[bytes]) -> HashList:
    """Roots of the trees of size 1..n, i.e. of every checkpoint the log made.

    An audit compares every stored checkpoint with the entries; n separate
    root() calls would be quadratic, while one pass keeping a compact range
    costs n - 1 merges plus one fold of at most log2(n) hashes per size.
    """
    _require_leaf_hashes(leaf_hashes)
    return HashList(iter_prefix_roots(leaf_hashes))


def iter_prefix_roots(leaf_hashes: Iterable[bytes], start_size: int = 0,
                      start_range: Sequence[bytes] = ()) -> Iterator[bytes]:
    """prefix_roots one by one, for a caller that needs each root once and in order. With
    `start_size`, the leaves extend a tree of that size whose perfect subtrees' hashes, largest
    first (perfect_blocks(0, start_size)), are `start_range`: the roots of sizes start_size + 1, …
    (a chunk of the sizes, computed on its own)."""
    if start_size < 0 or len(start_range) != start_size.bit_count():
        raise ValueError(f"a tree of {start_size} leaves has {max(0, start_size).bit_count()} perfect subtrees")
    stack = list(start_range)
    for position, leaf in enumerate(leaf_hashes, start_size):
        _push(stack, position + 1, leaf)
        yield _fold(stack)


# --- proof construction ------------------------------------------------------


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1 with m = index, n = len(leaf_hashes).

    The result lists sibling hashes from the leaf up to the root, the order
    verify_inclusion (2.1.3.2) consumes them in.
    """
    _require_int(index, "index")
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"index {index} is outside a tree of {len(leaf_hashes)} leaves")
    _require_leaf_hashes(leaf_hashes)
    return inclusion_proof_from(index, len(leaf_hashes), _over(leaf_hashes))


SubtreeHash = Callable[[int, int], bytes]
"""MTH(D[lo:hi]) for the ranges proofs ask for: computed from leaves, or read from stored hashes."""


def _over(leaves: Sequence[bytes]) -> SubtreeHash:
    return lambda lo, hi: _subtree_root(leaves, lo, hi)


def inclusion_proof_from(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(m, D[size]) from any source of subtree hashes (a log with stored hashes reads O(log² n))."""
    _require_int(index, "index")
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of {size} leaves")
    proof: list[bytes] = []
    _path(index, subtree, 0, size, proof)
    return proof


def _path(m: int, subtree: SubtreeHash, lo: int, hi: int, out: list[bytes]) -> None:
    """Append PATH(m, D[lo:hi]) to out.

    Recursing first and appending afterwards yields the bottom-up order the
    RFC's concatenation "PATH(...) : MTH(...)" defines. Depth is log2(n).
    """
    n = hi - lo
    if n == 1:
        return
    k = _split(n)
    if m < k:
        _path(m, subtree, lo, lo + k, out)
        out.append(subtree(lo + k, hi))
    else:
        _path(m - k, subtree, lo + k, hi, out)
        out.append(subtree(lo, lo + k))


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1, m = old_size, n = len(leaf_hashes).

    Requires 0 < m <= n: the RFC defines no proof from the empty tree (it is
    trivially consistent; pass an empty proof to verify_consistency), and
    m == n yields the empty proof.
    """
    _require_int(old_size, "old_size")
    if not 0 < old_size <= len(leaf_hashes):
        raise ValueError(f"old_size {old_size} is not in 1..{len(leaf_hashes)}")
    _require_leaf_hashes(leaf_hashes)
    return consistency_proof_from(old_size, len(leaf_hashes), _over(leaf_hashes))


def consistency_proof_from(old_size: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(m, D[size]) from any source of subtree hashes; 0 < m <= size."""
    _require_int(old_size, "old_size")
    if not 0 < old_size <= size:
        raise ValueError(f"old_size {old_size} is not in 1..{size}")
    proof: list[bytes] = []
    _subproof(old_size, subtree, 0, size, True, proof)
    return proof


def root_from(size: int, subtree: SubtreeHash) -> bytes:
    return subtree(0, size) if size else EMPTY_ROOT


def perfect_blocks(lo: int, hi: int) -> list[tuple[int, int]]:
    """MTH(D[lo:hi]) as perfect subtrees (level, index), largest first, for a range whose start is
    aligned as every range of the RFC's recursion is. The right-to-left fold of their hashes is the
    range's hash, so a log that stores every perfect subtree reads at most log2(n) hashes."""
    blocks = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo % (1 << level):
            raise ValueError(f"range [{lo}, {hi}) is not aligned to perfect subtrees")
        blocks.append((level, lo >> level))
        lo += 1 << level
    return blocks


def _subproof(m: int, subtree: SubtreeHash, lo: int, hi: int, old_root_known: bool, out: list[bytes]) -> None:
    """Append SUBPROOF(m, D[lo:hi], b) to out, with b = old_root_known.

    b stays true while D[0:m] is the whole old tree, whose root the verifier
    already holds, so that node is left out of the proof; once the recursion
    goes right, D[0:m]'s parts must be supplied.
    """
    n = hi - lo
    if m == n:
        if not old_root_known:
            out.append(subtree(lo, hi))
        return
    k = _split(n)
    if m <= k:
        _subproof(m, subtree, lo, lo + k, old_root_known, out)
        out.append(subtree(lo + k, hi))
    else:
        _subproof(m - k, subtree, lo + k, hi, False, out)
        out.append(subtree(lo, lo + k))


# --- verification ------------------------------------------------------------


def _shift_until_odd_or_zero(fn: int, sn: int) -> tuple[int, int]:
    """Step "If LSB(fn) is not set, then right-shift both fn and sn equally
    until either LSB(fn) is set or fn is 0" shared by 2.1.3.2 and 2.1.4.2."""
    while fn & 1 == 0 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 2.1.3.2: is leaf (a leaf HASH) at index in the tree of size
    whose root is expected_root?

    Returns False, never raises, on malformed input. Note that the size is
    bound only through the shape of the proof; the signature over the
    checkpoint is what binds size and root together.
    """
    if not (_is_size(index) and _is_size(size) and _is_hash(leaf) and _is_hash(expected_root)):
        return False
    if not _is_hash_list(proof):
        return False
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if index >= size:
        return False
    return _inclusion_loop(index, size, leaf, proof, expected_root)


def _inclusion_loop(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """Steps 2 to 5 of RFC 9162 2.1.3.2, numbered as in the RFC."""
    fn, sn = index, size - 1  # 2.
    r = bytes(leaf)  # 3.
    for p in proof:  # 4.
        if sn == 0:  # 4a.
            return False
        if fn & 1 or fn == sn:  # 4b.
            r = node_hash(p, r)  # 4b.i
            fn, sn = _shift_until_odd_or_zero(fn, sn)  # 4b.ii
        else:
            r = node_hash(r, p)  # 4b. otherwise, i.
        fn, sn = fn >> 1, sn >> 1  # 4c.
    return sn == 0 and r == expected_root  # 5.


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree (new_size, new_root) an append-only
    extension of (old_size, old_root)?

    The RFC algorithm covers 0 < old_size < new_size. The two trivial cases
    are decided here with an empty proof: equal sizes need equal roots, and
    the empty tree (whose root must be EMPTY_ROOT, since any other value is a
    false claim about it) is consistent with every tree. Returns False, never
    raises, on malformed input.
    """
    if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    if not _is_hash_list(proof) or old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT
    return _consistency_loop(old_size, new_size, old_root, new_root, proof)


def _consistency_loop(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]) -> bool:
    """Steps 1 to 7 of RFC 9162 2.1.4.2, with the RFC's names and numbering."""
    if len(proof) == 0:  # 1.
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # 2. first is an exact power of 2
        path.insert(0, bytes(first_hash))
    fn, sn = first - 1, second - 1  # 3.
    while fn & 1:  # 4.
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # 5.
    for c in path[1:]:  # 6.
        if sn == 0:  # 6a.
            return False
        if fn & 1 or fn == sn:  # 6b.
            fr = node_hash(c, fr)  # 6b.i
            sr = node_hash(c, sr)  # 6b.ii
            fn, sn = _shift_until_odd_or_zero(fn, sn)  # 6b.iii
        else:
            sr = node_hash(sr, c)  # 6b. otherwise, i.
        fn, sn = fn >> 1, sn >> 1  # 6c.
    return fr == first_hash and sr == second_hash and sn == 0  # 7.
