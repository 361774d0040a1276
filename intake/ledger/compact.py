"""What the audit keeps of every earlier entry and of every sealed file's name: fixed-width keyed
digests in flat arrays, not Python objects.

`ledger verify` checks each entry against the ones before it (its id is new, its parents are
earlier entries, a clean copy's input is what its parent produced) and, at the end, that every
file in blobs/ is named by some entry. Kept as strings in dicts and sets, that was about 360
bytes per entry: 360 MB at a million entries. Here an entry costs 41 bytes (a 16-byte digest of
its id, a 16-byte digest of what it produced, a flag, and an index slot), and the blob names
cost nothing per name: a keyed multiset hash per bucket of names, with an exact comparison of
the buckets that differ.

Every digest is BLAKE2b-128 under a key drawn for one audit, inherited by the forked workers
that compute them and never stored: nobody can choose values whose digests collide, and by
chance two of a million collide with probability about 2^-88.
"""

from __future__ import annotations

import json
import secrets
from array import array
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

DIGEST_SIZE = 16
_MASK = (1 << (8 * DIGEST_SIZE)) - 1
_EMPTY = 0  # an index slot holds entry number + 1; 0 is a free slot


@dataclass(frozen=True)
class KeyedDigests:
    """The audit's keyed digests, one domain each (BLAKE2b's `person`)."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def of_id(self, text: str) -> bytes:
        return self._digest(text.encode("utf-8", "surrogatepass"), b"intake-id")

    def of_produced(self, item: Any, sha256: Any) -> bytes:
        """An item and a SHA-256 as an entry records them (any JSON, or None when absent): equal
        digests for equal values (compared as their JSON text), different ones otherwise."""
        text = json.dumps([item, sha256], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return self._digest(text.encode("ascii"), b"intake-produced")

    def of_blob(self, name: str) -> bytes:
        return self._digest(name.encode("utf-8", "surrogatepass"), b"intake-blob")

    def _digest(self, data: bytes, domain: bytes) -> bytes:
        return blake2b(data, digest_size=DIGEST_SIZE, key=self.key, person=domain).digest()


class EarlierEntries:
    """The entries checked so far, by number: each one's id digest and produced digest (item and
    SHA-256 of its first output) and whether that output is a clean copy, with an open-addressing
    index from id digest to number. The digests are uniform, so the index probes linearly from a
    digest's first bytes. Everything is sized once for `expected` entries (the index at most half
    full): arrays grown an entry at a time are copied as they grow, and the allocator keeps the
    holes, which cost a third more at 200,000 entries. More entries than expected still fit."""

    def __init__(self, expected: int) -> None:
        self._count = 0
        self._ids = bytearray(DIGEST_SIZE * expected)
        self._produced = bytearray(DIGEST_SIZE * expected)
        self._clean = bytearray(expected)
        self._slots = _free_slots(max(16, 1 << (2 * max(1, expected)).bit_length()))

    def __len__(self) -> int:
        return self._count

    def find(self, id_digest: bytes) -> int | None:
        """The number of the earlier entry with this id digest, or None."""
        mask = len(self._slots) - 1
        slot = int.from_bytes(id_digest[:8], "little") & mask
        while (held := self._slots[slot]) != _EMPTY:
            start = (held - 1) * DIGEST_SIZE
            if self._ids[start:start + DIGEST_SIZE] == id_digest:
                return held - 1
            slot = (slot + 1) & mask
        return None

    def add(self, id_digest: bytes, produced: bytes, clean: bool) -> None:
        """The next entry (call find first: an id already here would be shadowed)."""
        number = self._count
        if number == len(self._clean):  # more than expected: room for as many again
            self._ids += bytes(len(self._ids) + DIGEST_SIZE)
            self._produced += bytes(len(self._produced) + DIGEST_SIZE)
            self._clean += bytes(len(self._clean) + 1)
        start = number * DIGEST_SIZE
        self._ids[start:start + DIGEST_SIZE] = id_digest
        self._produced[start:start + DIGEST_SIZE] = produced
        self._clean[number] = 1 if clean else 0
        self._count += 1
        if 2 * self._count > len(self._slots):
            self._slots = _free_slots(2 * len(self._slots))
            for earlier in range(number):
                self._place(earlier)
        self._place(number)

    def produced(self, number: int) -> tuple[bytes, bool]:
        start = number * DIGEST_SIZE
        return bytes(self._produced[start:start + DIGEST_SIZE]), bool(self._clean[number])

    def _place(self, number: int) -> None:
        mask = len(self._slots) - 1
        start = number * DIGEST_SIZE
        slot = int.from_bytes(self._ids[start:start + 8], "little") & mask
        while self._slots[slot] != _EMPTY:
            slot = (slot + 1) & mask
        self._slots[slot] = number + 1


def _free_slots(count: int) -> array:
    return array("I", bytes(4 * count))


class BlobTally:
    """A multiset of blob names as a keyed multiset hash per bucket: for each of 65,536 buckets
    (by a digest's first bytes), how many names fell in it and the sum of their digests modulo
    2^128. Two tallies agree on a bucket exactly when the same names fell in it, but with
    probability 2^-128 (the key is secret); where they differ, `differing` names the buckets to
    compare name by name."""

    BUCKETS = 1 << 16

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * self.BUCKETS))
        self._sums = [0] * self.BUCKETS

    @classmethod
    def bucket(cls, digest: bytes) -> int:
        return int.from_bytes(digest[:4], "big") % cls.BUCKETS

    def add(self, digest: bytes) -> None:
        bucket = self.bucket(digest)
        self._counts[bucket] += 1
        self._sums[bucket] = (self._sums[bucket] + int.from_bytes(digest, "big")) & _MASK

    def add_all(self, digests: bytes) -> None:
        """Digests end to end, as a worker hands them back."""
        for start in range(0, len(digests), DIGEST_SIZE):
            self.add(digests[start:start + DIGEST_SIZE])

    def differing(self, other: BlobTally) -> set[int]:
        return {bucket for bucket in range(self.BUCKETS)
                if self._counts[bucket] != other._counts[bucket] or self._sums[bucket] != other._sums[bucket]}
