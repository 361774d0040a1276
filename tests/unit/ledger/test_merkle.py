"""Tests for intake.ledger.merkle (RFC 9162 section 2.1).

Three independent checks:

* published reference vectors from the Go transparency-dev/merkle project;
* a naive reference written in this file straight from the RFC's recursive
  definitions (MTH, PATH, PROOF/SUBPROOF), compared for every tree of 1..64
  leaves, every index and every (old, new) size pair;
* mutation tests: every genuine proof verifies, and every tampered claim is
  rejected unless it is indistinguishable by construction (see
  structural_verify_* and test_tree_size_is_bound_by_the_signature_only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from intake.ledger import merkle

# --- reference vectors ---------------------------------------------------------
#
# Source: github.com/transparency-dev/merkle (the Go reference used by Trillian
# and CT), files
#   testonly/constants.go  (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1):
#     LeafInputs(), NodeHashes()[0] (the leaf hashes) and RootHashes();
#   proof/verify_test.go   (commit 02194e9afb6c1d95b5381350007963aa70fff472):
#     inclusionProofs and consistencyProofs. In that file the inclusion vector
#     field "leaf" is 1-based (the test calls verifierCheck(p.leaf-1, ...)), so
#     {1, 8, ...} there is index 0 here.

REFERENCE_INPUTS = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]

REFERENCE_LEAF_HASHES = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]

# Roots of the trees of size 1..8 over REFERENCE_INPUTS.
REFERENCE_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (0-based index, tree size, proof)
REFERENCE_INCLUSION = [
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    ]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]

# (old size, new size, proof)
REFERENCE_CONSISTENCY = [
    (1, 1, []),
    (1, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (6, 7, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]


def unhex(values: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


REF_LEAVES = [merkle.leaf_hash(d) for d in REFERENCE_INPUTS]


# --- naive reference, straight from RFC 9162 2.1 ----------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over raw leaf data, 2.1.1."""
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + d[0])
    k = rfc_k(n)
    return sha256(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:]))


# PATH and PROOF are written over D = range(lo, hi) of leaf positions, so they
# return the subtrees (as ranges) whose MTH forms the proof. Slicing a range is a
# range, so the code reads exactly like the RFC's D[0:k] and D[k:n].


def rfc_path(m: int, d: range) -> list[range]:
    """PATH(m, D[n]), 2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = rfc_k(n)
    if m < k:
        return rfc_path(m, d[:k]) + [d[k:]]
    return rfc_path(m - k, d[k:]) + [d[:k]]


def rfc_subproof(m: int, d: range, b: bool) -> list[range]:
    """SUBPROOF(m, D[n], b), 2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [d]
    k = rfc_k(n)
    if m <= k:
        return rfc_subproof(m, d[:k], b) + [d[k:]]
    return rfc_subproof(m - k, d[k:], False) + [d[:k]]


def rfc_proof(m: int, d: range) -> list[range]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), 2.1.4.1."""
    return rfc_subproof(m, d, True)


def hashes_of(ranges: list[range], data: Sequence[bytes]) -> list[bytes]:
    return [rfc_mth(data[r.start:r.stop]) for r in ranges]


# --- structural verifiers (test oracle) --------------------------------------------
#
# A proof is the list of MTHs of the subtrees PATH/PROOF name. The structural
# verifier rebuilds the claimed root(s) by the MTH recursion for the *claimed*
# sizes, taking the supplied hashes for those named subtrees. It accepts exactly
# the claims whose tree shape is the same as that of the genuine claim; the RFC's
# fn/sn loops must agree with it on every tampered claim.


def rebuild(d: range, known: dict[tuple[int, int], bytes]) -> bytes | None:
    key = (d.start, d.stop)
    if key in known:
        return known[key]
    if len(d) <= 1:
        return None  # a leaf the proof does not provide: not derivable
    k = rfc_k(len(d))
    left, right = rebuild(d[:k], known), rebuild(d[k:], known)
    if left is None or right is None:
        return None
    return sha256(b"\x01" + left + right)


def well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == 32 for h in hashes)


def structural_verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root_: bytes) -> bool:
    if not (0 <= index < size) or not well_formed(leaf, root_, *proof):
        return False
    ranges = rfc_path(index, range(size))
    if len(ranges) != len(proof):
        return False
    known = {(r.start, r.stop): p for r, p in zip(ranges, proof)}
    known[(index, index + 1)] = leaf
    return rebuild(range(size), known) == root_


def structural_verify_consistency(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    if m < 0 or m > n or not well_formed(old, new, *proof):
        return False
    if m == n:
        return not proof and old == new and (m > 0 or old == sha256(b""))
    if m == 0:
        return not proof and old == sha256(b"")
    ranges = rfc_proof(m, range(n))
    if len(ranges) != len(proof):
        return False
    known = {(r.start, r.stop): p for r, p in zip(ranges, proof)}
    if m & (m - 1) == 0:
        known[(0, m)] = old  # the verifier supplies the old root itself
    return rebuild(range(m), known) == old and rebuild(range(n), known) == new


# --- data for the exhaustive tests ----------------------------------------------------

MAX_SIZE = 64
DATA = [f"entry {i}".encode() * (i % 5 + 1) for i in range(MAX_SIZE)]
LEAVES = [merkle.leaf_hash(d) for d in DATA]
NAIVE_ROOTS = [rfc_mth(DATA[:n]) for n in range(MAX_SIZE + 1)]
OTHER_HASH = sha256(b"not in the tree")


def flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


# --- basic values ----------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert merkle.EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.root([]) == merkle.EMPTY_ROOT
    assert merkle.prefix_roots([]) == []


def test_leaf_hash_of_empty_string() -> None:
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_hash_prefixes() -> None:
    a, b = LEAVES[0], LEAVES[1]
    assert merkle.leaf_hash(b"abc") == sha256(b"\x00abc")
    assert merkle.node_hash(a, b) == sha256(b"\x01" + a + b)
    assert merkle.node_hash(a, b) != merkle.node_hash(b, a)
    # Domain separation: a 64-byte leaf that looks like two children is not their parent.
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)


# --- published vectors --------------------------------------------------------------


def test_reference_leaf_hashes() -> None:
    assert [h.hex() for h in REF_LEAVES] == REFERENCE_LEAF_HASHES


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(size: int) -> None:
    assert merkle.root(REF_LEAVES[:size]).hex() == REFERENCE_ROOTS[size - 1]
    assert rfc_mth(REFERENCE_INPUTS[:size]).hex() == REFERENCE_ROOTS[size - 1]  # the naive reference too


def test_reference_prefix_roots() -> None:
    assert [r.hex() for r in merkle.prefix_roots(REF_LEAVES)] == REFERENCE_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), REFERENCE_INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    expected = unhex(proof)
    assert merkle.inclusion_proof(index, REF_LEAVES[:size]) == expected
    assert hashes_of(rfc_path(index, range(size)), REFERENCE_INPUTS) == expected
    root_ = bytes.fromhex(REFERENCE_ROOTS[size - 1])
    assert merkle.verify_inclusion(index, size, REF_LEAVES[index], expected, root_)


@pytest.mark.parametrize(("old", "new", "proof"), REFERENCE_CONSISTENCY)
def test_reference_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    expected = unhex(proof)
    assert merkle.consistency_proof(old, REF_LEAVES[:new]) == expected
    assert hashes_of(rfc_proof(old, range(new)), REFERENCE_INPUTS) == expected
    old_root = bytes.fromhex(REFERENCE_ROOTS[old - 1])
    new_root = bytes.fromhex(REFERENCE_ROOTS[new - 1])
    assert merkle.verify_consistency(old, new, old_root, new_root, expected)


# --- roots against the naive MTH -------------------------------------------------------


def test_roots_match_naive_mth_for_every_size() -> None:
    for n in range(MAX_SIZE + 1):
        assert merkle.root(LEAVES[:n]) == NAIVE_ROOTS[n], n
    assert merkle.prefix_roots(LEAVES) == NAIVE_ROOTS[1:]


def test_prefix_roots_is_a_single_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """n log n node hashes, not the ~n^2/2 of n separate root() calls."""
    n = 1024
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    calls = 0
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    roots = merkle.prefix_roots(leaves)
    monkeypatch.undo()
    # n - 1 merges, plus (popcount(size) - 1) hashes to fold each prefix.
    assert calls == (n - 1) + sum(bin(s).count("1") - 1 for s in range(1, n + 1))
    assert calls <= n * n.bit_length()
    assert roots[-1] == merkle.root(leaves)
    assert roots[699] == merkle.root(leaves[:700])


@pytest.mark.parametrize("start", [0, 1, 2, 3, 7, 8, 12, 31])
def test_prefix_roots_from_a_compact_range_continue_the_full_pass(start: int) -> None:
    """A chunk of the sizes, computed from the perfect subtrees of the tree before it, gives the
    same roots as one pass from the first leaf."""
    leaves = LEAVES[:40]
    compact = [merkle.root(leaves[lo:lo + (1 << level)]) for level, lo in
               ((level, index << level) for level, index in merkle.perfect_blocks(0, start))]
    assert list(merkle.iter_prefix_roots(leaves[start:], start, compact)) == merkle.prefix_roots(leaves)[start:]
    with pytest.raises(ValueError):
        list(merkle.iter_prefix_roots(leaves[start:], start, compact + [leaves[0]]))


# --- inclusion: exhaustive ----------------------------------------------------------------


def inclusion_tamperings(index: int, size: int, leaf: bytes, proof: list[bytes], root_: bytes):
    """(description, claim, must_fail). must_fail=False means: defer to the
    structural oracle (only size changes can be indistinguishable)."""
    yield "wrong leaf", (index, size, flip(leaf), proof, root_), True
    yield "other leaf", (index, size, OTHER_HASH, proof, root_), True
    yield "short leaf", (index, size, leaf[:-1], proof, root_), True
    yield "wrong root", (index, size, leaf, proof, flip(root_)), True
    yield "empty root", (index, size, leaf, proof, merkle.EMPTY_ROOT), True
    for other in {index - 1, index + 1, index ^ 1, index ^ 2, index + size, -1}:
        if other != index:
            yield f"index {other}", (other, size, leaf, proof, root_), True
    # Sizes outside (size/2, 2*size) change the path length, so they must fail;
    # nearby sizes may give the leaf the same path shape (see
    # test_tree_size_is_bound_by_the_signature_only) and go to the oracle.
    for other in {size * 2, size * 2 + 1, size // 2, 0, -1}:
        if other != size:
            yield f"size {other}", (index, other, leaf, proof, root_), True
    for other in {size - 1, size + 1, size + 8, size ^ 1}:
        if other not in (size, 0):
            yield f"size {other}", (index, other, leaf, proof, root_), False
    for i in range(len(proof)):
        for bit in (0, 7):
            changed = list(proof)
            changed[i] = flip(proof[i], bit)
            yield f"proof[{i}] bit {bit}", (index, size, leaf, changed, root_), True
        truncated = list(proof)
        truncated[i] = proof[i][:-1]
        yield f"proof[{i}] 31 bytes", (index, size, leaf, truncated, root_), True
    if proof:
        yield "last dropped", (index, size, leaf, proof[:-1], root_), True
        yield "first dropped", (index, size, leaf, proof[1:], root_), True
        yield "first repeated", (index, size, leaf, [proof[0], *proof], root_), True
    if len(proof) > 1:
        yield "swapped", (index, size, leaf, [proof[1], proof[0], *proof[2:]], root_), True
    yield "root appended", (index, size, leaf, [*proof, root_], root_), True
    yield "hash appended", (index, size, leaf, [*proof, OTHER_HASH], root_), True
    yield "empty appended", (index, size, leaf, [*proof, b""], root_), True
    yield "leaf prepended", (index, size, leaf, [leaf, *proof], root_), True
    # One hash too many, with the root that extra step would produce: only the
    # RFC's "if sn is 0, fail" (4a) stops this claim about a different tree.
    fake_root = merkle.node_hash(OTHER_HASH, root_)
    yield "extended to a fake root", (index, size, leaf, [*proof, OTHER_HASH], fake_root), True


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_every_index(size: int) -> None:
    root_ = NAIVE_ROOTS[size]
    for index in range(size):
        proof = merkle.inclusion_proof(index, LEAVES[:size])
        assert proof == hashes_of(rfc_path(index, range(size)), DATA), (index, size)
        assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root_), (index, size)
        assert structural_verify_inclusion(index, size, LEAVES[index], proof, root_)
        for description, claim, must_fail in inclusion_tamperings(index, size, LEAVES[index], proof, root_):
            got = merkle.verify_inclusion(*claim)
            assert got == structural_verify_inclusion(*claim), (index, size, description)
            if must_fail:
                assert got is False, (index, size, description)


def test_tree_size_is_bound_by_the_signature_only() -> None:
    """Leaf 0 has the same path shape in trees of 7 and 8 leaves, so the proof
    cannot tell them apart: only the signed checkpoint binds the size to the
    root. Pinned so nobody mistakes this for a bug or relies on the opposite."""
    proof = merkle.inclusion_proof(0, LEAVES[:7])
    assert merkle.verify_inclusion(0, 8, LEAVES[0], proof, NAIVE_ROOTS[7])
    assert not merkle.verify_inclusion(0, 16, LEAVES[0], proof, NAIVE_ROOTS[7])


# --- consistency: exhaustive ----------------------------------------------------------------


def consistency_tamperings(m: int, n: int, old: bytes, new: bytes, proof: list[bytes]):
    """(description, claim, must_fail); must_fail=False defers to the oracle."""
    yield "wrong old root", (m, n, flip(old), new, proof), True
    yield "wrong new root", (m, n, old, flip(new), proof), True
    yield "short old root", (m, n, old[:-1], new, proof), True
    yield "empty-tree old root", (m, n, merkle.EMPTY_ROOT, new, proof), True
    # With the new size fixed, every other old size changes the proof's shape.
    for other in {m - 1, m + 1, m ^ 1, m ^ 2, m * 2, m // 2, 0, -1, n, n + 1}:
        if other != m:
            yield f"old size {other}", (other, n, old, new, proof), True
    for other in {n * 2, n // 2, m - 1}:
        if other != n:
            yield f"new size {other}", (m, other, old, new, proof), True
    # Nearby new sizes can share the shape, as with inclusion: oracle decides.
    for other in {n - 1, n + 1, n ^ 1, n + 8}:
        if other != n:
            yield f"new size {other}", (m, other, old, new, proof), False
    yield "proof appended", (m, n, old, new, [*proof, OTHER_HASH]), True
    yield "old root appended", (m, n, old, new, [*proof, old]), True
    yield "old root prepended", (m, n, old, new, [old, *proof]), True
    fake_new = merkle.node_hash(OTHER_HASH, new)  # see "extended to a fake root" above
    yield "extended to a fake root", (m, n, old, fake_new, [*proof, OTHER_HASH]), True
    if m == n:
        return
    yield "swapped roots", (m, n, new, old, proof), True
    yield "empty proof", (m, n, old, new, []), True
    yield "new root appended", (m, n, old, new, [*proof, new]), True
    yield "first repeated", (m, n, old, new, [proof[0], *proof]), True
    yield "last dropped", (m, n, old, new, proof[:-1]), True
    yield "first dropped", (m, n, old, new, proof[1:]), True
    if len(proof) > 1:
        yield "swapped", (m, n, old, new, [proof[1], proof[0], *proof[2:]]), True
    for i in range(len(proof)):
        for bit in (0, 7):
            changed = list(proof)
            changed[i] = flip(proof[i], bit)
            yield f"proof[{i}] bit {bit}", (m, n, old, new, changed), True
        truncated = list(proof)
        truncated[i] = proof[i][:-1]
        yield f"proof[{i}] 31 bytes", (m, n, old, new, truncated), True


@pytest.mark.parametrize("n", range(1, MAX_SIZE + 1))
def test_consistency_every_old_size(n: int) -> None:
    for m in range(1, n + 1):
        old, new = NAIVE_ROOTS[m], NAIVE_ROOTS[n]
        proof = merkle.consistency_proof(m, LEAVES[:n])
        assert proof == hashes_of(rfc_proof(m, range(n)), DATA), (m, n)
        assert (proof == []) == (m == n)
        assert merkle.verify_consistency(m, n, old, new, proof), (m, n)
        assert structural_verify_consistency(m, n, old, new, proof)
        for description, claim, must_fail in consistency_tamperings(m, n, old, new, proof):
            got = merkle.verify_consistency(*claim)
            assert got == structural_verify_consistency(*claim), (m, n, description)
            if must_fail:
                assert got is False, (m, n, description)


def test_consistency_trivial_cases() -> None:
    root4, root5 = NAIVE_ROOTS[4], NAIVE_ROOTS[5]
    empty = merkle.EMPTY_ROOT
    # The empty tree is consistent with everything, with an empty proof...
    assert merkle.verify_consistency(0, 0, empty, empty, [])
    assert merkle.verify_consistency(0, 5, empty, root5, [])
    # ...but only if the claimed old root really is the empty tree's.
    assert not merkle.verify_consistency(0, 5, root4, root5, [])
    assert not merkle.verify_consistency(0, 0, root4, root4, [])
    assert not merkle.verify_consistency(0, 5, empty, root5, [root5])
    assert not merkle.verify_consistency(0, 0, empty, root5, [])
    # Equal sizes: empty proof and equal roots.
    assert merkle.verify_consistency(5, 5, root5, root5, [])
    assert not merkle.verify_consistency(5, 5, root4, root5, [])
    assert not merkle.verify_consistency(5, 5, root5, root5, [root5])
    # Going back in time is never consistent.
    assert not merkle.verify_consistency(5, 4, root5, root4, merkle.consistency_proof(4, LEAVES[:5]))


# --- larger trees ------------------------------------------------------------------------


def test_larger_tree_proofs() -> None:
    n = 2**14 + 3
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    roots = merkle.prefix_roots(leaves)
    assert roots[-1] == merkle.root(leaves)
    for index in (0, 1, n // 2, 2**14 - 1, 2**14, n - 1):
        proof = merkle.inclusion_proof(index, leaves)
        assert len(proof) == len(rfc_path(index, range(n)))  # 15 on the left, 3 on the right
        assert merkle.verify_inclusion(index, n, leaves[index], proof, roots[-1])
        assert not merkle.verify_inclusion(index, n, leaves[index - 1], proof, roots[-1])
    for old in (1, 777, 2**13, 2**14, n - 1):
        proof = merkle.consistency_proof(old, leaves)
        assert merkle.verify_consistency(old, n, roots[old - 1], roots[-1], proof)
        assert not merkle.verify_consistency(old, n, roots[old - 2], roots[-1], proof)


# --- invalid arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (4, 4), (5, 4), (0, 0)])
def test_inclusion_proof_rejects_out_of_range_index(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(index, LEAVES[:size])


@pytest.mark.parametrize(("old", "size"), [(-1, 4), (0, 4), (5, 4), (1, 0), (0, 0)])
def test_consistency_proof_rejects_bad_old_size(old: int, size: int) -> None:
    with pytest.raises(ValueError):
        merkle.consistency_proof(old, LEAVES[:size])


def test_builders_reject_non_int_positions() -> None:
    with pytest.raises(TypeError):
        merkle.inclusion_proof(True, LEAVES[:4])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        merkle.consistency_proof(2.0, LEAVES[:4])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "x" * 32, None])
def test_builders_reject_leaves_that_are_not_hashes(bad: object) -> None:
    leaves = [LEAVES[0], bad, LEAVES[2]]
    for call in (
        lambda: merkle.root(leaves),
        lambda: merkle.prefix_roots(leaves),
        lambda: merkle.inclusion_proof(0, leaves),
        lambda: merkle.consistency_proof(1, leaves),
    ):
        with pytest.raises(ValueError):
            call()


def test_verifiers_return_false_on_malformed_input() -> None:
    proof = merkle.inclusion_proof(2, LEAVES[:5])
    root_, leaf = NAIVE_ROOTS[5], LEAVES[2]
    garbage: list[tuple] = [
        (2, 5, leaf, None, root_),
        (2, 5, leaf, b"\x00" * 32, root_),
        (2, 5, leaf, "abc", root_),
        (2, 5, leaf, [*proof[:-1], "x" * 32], root_),
        (2, 5, leaf, [*proof[:-1], None], root_),
        (2, 5, None, proof, root_),
        (2, 5, leaf, proof, None),
        (2.0, 5, leaf, proof, root_),
        (2, "5", leaf, proof, root_),
        (True, 5, leaf, proof, root_),
    ]
    for claim in garbage:
        assert merkle.verify_inclusion(*claim) is False, claim
    assert merkle.verify_inclusion(2, 5, leaf, tuple(proof), root_)  # any sequence will do

    cproof = merkle.consistency_proof(3, LEAVES[:5])
    old, new = NAIVE_ROOTS[3], NAIVE_ROOTS[5]
    garbage = [
        (3, 5, old, new, None),
        (3, 5, old, new, [*cproof, 7]),
        (3, 5, old, new, "x" * 32),
        (3, 5, None, new, cproof),
        (3, 5, old, new[:16], cproof),
        (3.0, 5, old, new, cproof),
        (3, None, old, new, cproof),
        (-3, 5, old, new, cproof),
        (3, -5, old, new, cproof),
    ]
    for claim in garbage:
        assert merkle.verify_consistency(*claim) is False, claim
    assert merkle.verify_consistency(3, 5, old, new, tuple(cproof))


def test_the_audits_recomputed_tree_gives_every_range_and_proof_the_leaves_give() -> None:
    """RecomputedTree (the audit's, which export proves from) reads a perfect subtree as it is held
    and folds any other range; Custody.inclusion_proofs shares what proofs have in common. Both
    must give what the RFC's definitions give from the leaves."""
    from intake.custody import Custody
    from intake.ledger.audit import RecomputedTree

    leaves = [merkle.leaf_hash(bytes([n]) * 3) for n in range(70)]
    for size in (1, 2, 3, 7, 8, 9, 33, 64, 70):
        tree = RecomputedTree.of(merkle.HashList(leaves[:size]))
        for lo in range(size):
            for hi in range(lo + 1, size + 1):
                if lo % (1 << ((hi - lo).bit_length() - 1)) == 0:  # a start the RFC's recursion produces
                    assert tree.subtree(lo, hi) == merkle.root(leaves[lo:hi]), (size, lo, hi)
        prove = Custody((), None, tree).inclusion_proofs(size)
        for index in range(size):
            assert prove(index) == merkle.inclusion_proof(index, leaves[:size])
