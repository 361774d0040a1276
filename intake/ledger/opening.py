"""Opening the ledger's entries for the audit: one chunk of entries at a time, in a forked worker.

A worker reads its own rows (a connection of its own), opens each entry, checks what concerns it
alone (steps 10-13: it opens, it is what its commitment commits to, signed by this custodian,
naming this custodian; and of step 14 its sequence number and the form of its `prev`) and then
its sealed files (steps 16-18). What goes back to the audit is what the in-order checks need, as
fixed-width keyed digests (compact.py): never the opened entries, unless the caller keeps them.
docs/ledger.md lists the steps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyrage import x25519

from intake.blobs import BLOB_NAME
from intake.errors import AuditFailure, EntryError, SealError
from intake.keys.identity import PublicIdentity, SecretIdentity
from intake.keys.seal import unseal, unseal_stream
from intake.ledger.commitment import Path as FieldPath
from intake.ledger.compact import KeyedDigests
from intake.ledger.custodian import Custodian
from intake.ledger.disclosure import EncodedDisclosure, disclose_committed
from intake.ledger.entries import (
    BUNDLE_PREFIX, CLEAN_COPY, EXPORTED, ORIGINAL, SANITIZED, TRANSFERRED, CustodyEntry, SignedEntry,
)
from intake.ledger.store import LedgerStore, StoredEntry
from intake.ledger.stored_tree import leaf_hash_of
from intake.support.hashing import DigestingWriter, Digests

# Entries a worker opens at a time (about 0.4 s of work): the last chunks end together on every
# core, and handing one out costs nothing beside opening it.
ENTRY_CHUNK = 1024
# A smaller ledger is cut into CHUNKS_AT_LEAST chunks of no fewer than SMALLEST_CHUNK entries: in
# one chunk it was opened by this process alone, after its checkpoints, with the other core idle
# (export of 500 items audits 1,000 entries).
CHUNKS_AT_LEAST = 4
SMALLEST_CHUNK = 128
# The one action whose entries no bundle publishes: an export is on no clean copy's trail.
UNPUBLISHED = EXPORTED
_LOWER_HEX_ROOT = re.compile(r"[0-9a-f]{64}")

# What a derivation asks of an entry's parents (docs/ledger.md: a clean copy names as its input
# exactly the file its one parent received; an export names as its n-th input exactly the clean
# copy its n-th parent produced).
NO_DERIVATION, DERIVES_CLEAN_COPY, EXPORTS_CLEAN_COPY, NEVER = 0, 1, 2, 3


@dataclass(frozen=True)
class OpenedRecord:
    """An entry as the audit opened it, with its leaf data as stored."""

    signed: SignedEntry
    commitment: bytes     # the stored commitment (the leaf data's first half)
    sealed_sha256: bytes  # SHA-256 of the stored sealed record (its second half)
    checked: bool         # its commitment, signature and custodian were checked (steps 11-13)
    disclosure: EncodedDisclosure | None = None  # what Opening.disclose shows of it, if asked


# Given an entry, which of its fields a bundle shows (bundle/statement.py's public_fields).
Disclose = Callable[[CustodyEntry], Callable[[FieldPath], bool]]


@dataclass(frozen=True)
class Opening:
    """How the entries are opened: `blobs` (the vault's blobs/) to check every sealed file in the
    same pass; `keep` the opened entries in the report; `every_entry` checked in full; `disclose`,
    given an entry, what a bundle shows of it: each entry checked in full is then disclosed as it
    is checked, from the same salts and digests (export's statements, built on every core)."""

    blobs: Path | None
    keep: bool
    every_entry: bool
    disclose: Disclose | None = None


# One opened entry as the in-order checks see it: (id digest, prev as 32 bytes, parents' id
# digests, produced digest, produces a clean copy, derivation kind, the produced digest each
# parent must have, in order). Plain tuples: a chunk of them pickles and unpickles in a few
# milliseconds.
Link = tuple[bytes, bytes, tuple[bytes, ...], bytes, bool, int, tuple[bytes, ...]]


@dataclass(frozen=True, slots=True)
class OpenedChunk:
    """What a worker hands back for one chunk. `links` run up to the first entry that failed on
    its own (`failure`); `blob_failure` is the chunk's first sealed file that failed (later ones
    are not opened); `named` the keyed digests of the names of the sealed files its entries name
    that can be in blobs/, end to end, and `files` how many they name in all."""

    first: int
    rows_digest: bytes
    links: list[Link]
    failure: AuditFailure | None
    blob_failure: AuditFailure | None
    named: bytes
    files: int
    records: list[OpenedRecord]


def entry_chunk(count: int) -> int:
    """Entries per chunk for a ledger of `count`: ENTRY_CHUNK, or fewer when that would leave fewer
    than CHUNKS_AT_LEAST chunks (never under SMALLEST_CHUNK, nor over ENTRY_CHUNK)."""
    return min(ENTRY_CHUNK, max(SMALLEST_CHUNK, -(-count // CHUNKS_AT_LEAST)))


def rows_digest(leaves: bytes) -> bytes:
    """SHA-256 of a chunk's leaf hashes end to end: the worker's rows must be the ones the audit
    checked against the checkpoints."""
    return hashlib.sha256(leaves).digest()


@dataclass
class ChunkOpener:
    """work(n) for ForkedChunks: chunk n of the entries opened and checked. Runs in a worker, which
    opens its own read-only connection on first use."""

    store: LedgerStore
    count: int
    keyring: Custodian
    opening: Opening
    digests: KeyedDigests = field(default_factory=KeyedDigests)
    chunk: int = ENTRY_CHUNK
    _reader: LedgerStore | None = None

    def __post_init__(self) -> None:
        # Derived once: a keyring computes its public identity anew on every call (30 µs an entry).
        self.public = self.keyring.public
        self.own = self.keyring.secret  # signatures re-made, not verified (SecretIdentity.made)
        self.identities = [self.keyring.secret.age_identity]

    @classmethod
    def of(cls, store: LedgerStore, keyring: Custodian | None, opening: Opening) -> ChunkOpener | None:
        """The opener of this ledger's entries, or None when there is no key to open them with."""
        if keyring is None or not keyring.can_open_sealed:
            return None
        count = store.count()
        return cls(store, count, keyring, opening, chunk=entry_chunk(count))

    @property
    def chunks(self) -> int:
        return -(-self.count // self.chunk)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def rows(self, number: int) -> list[StoredEntry]:
        """The rows of chunk `number`, read through this process's own connection."""
        if self._reader is None:
            self._reader = self.store.reader()
        first = number * self.chunk
        return self._reader.entries_between(first, min(self.count, first + self.chunk))

    def __call__(self, number: int) -> OpenedChunk:
        rows = self.rows(number)
        first = number * self.chunk
        chunk = _ChunkResult(first, self.opening.keep)
        leaves = bytearray()
        for row in rows:
            leaves += leaf_hash_of(row.commitment, row.sealed)
        wants_sealed_sha256 = chunk.keep or self.opening.disclose is not None  # else not hashed (ledger verify)
        for row in rows:
            sealed_sha256 = hashlib.sha256(row.sealed).digest() if wants_sealed_sha256 else b""
            try:
                signed, checked, disclosure = self._open(row, sealed_sha256)
            except AuditFailure as failure:
                chunk.failure = failure
                break
            chunk.add(self._link(signed.entry), row, sealed_sha256, signed, checked, disclosure)
            if self.opening.blobs is not None and chunk.blob_failure is None:
                chunk.blob_failure = _first_blob_failure(signed.entry, self.opening.blobs, self.identities)
            self._name_blobs(signed.entry, chunk)
        return chunk.done(rows_digest(bytes(leaves)) if [r.idx for r in rows] == list(range(first, first + len(rows)))
                          else b"")

    def _open(self, row: StoredEntry, sealed_sha256: bytes) -> tuple[SignedEntry, bool, EncodedDisclosure | None]:
        """Steps 10-13, and of step 14 what needs no other entry; and the entry's disclosure, when
        the opening asks for it and the entry is checked in full."""
        signed = open_entry(row, self.identities)
        checked = self.opening.every_entry or signed.entry.action != UNPUBLISHED
        disclosure = None
        if checked:
            if self.opening.disclose is not None:
                disclosure = self._disclosure(signed, sealed_sha256)
            check_opened(signed, row.commitment, self.public, row.idx, self.own)
        entry = signed.entry
        if entry.seq != row.idx or not _LOWER_HEX_ROOT.fullmatch(entry.prev):
            raise AuditFailure(f"entry {row.idx}: its link to the entries before it is broken")
        return signed, checked, disclosure

    def _disclosure(self, signed: SignedEntry, sealed_sha256: bytes) -> EncodedDisclosure:
        """What a bundle shows of the entry, encoded as its statement holds it (one bytes object
        travels back from the worker at a fraction of the cost of the lists it encodes). Its
        commitment comes from the same salts and digests; check_opened compares that one with
        the stored commitment."""
        assert self.opening.disclose is not None
        disclosure, commitment = disclose_committed(signed, sealed_sha256, self.opening.disclose(signed.entry))
        signed.computed_commitment(commitment)
        return disclosure

    def _link(self, entry: CustodyEntry) -> Link:
        produced = entry.outputs[0] if entry.outputs else {}
        kind, wanted = _derivation(entry, self.digests)
        return (self.digests.of_id(entry.id), bytes.fromhex(entry.prev),
                tuple(self.digests.of_id(parent) for parent in entry.parents),
                self.digests.of_produced(entry.item, produced.get("sha256")), produced.get("role") == CLEAN_COPY,
                kind, wanted)

    def _name_blobs(self, entry: CustodyEntry, chunk: _ChunkResult) -> None:
        for output in entry.outputs:
            if "blob" in output:
                name = str(output["blob"])
                chunk.files += 1
                if BLOB_NAME.match(name):  # only such names are counted in blobs/
                    chunk.named += self.digests.of_blob(name)


@dataclass
class _ChunkResult:
    first: int
    keep: bool
    links: list[Link] = field(default_factory=list)
    failure: AuditFailure | None = None
    blob_failure: AuditFailure | None = None
    named: bytearray = field(default_factory=bytearray)
    files: int = 0
    records: list[OpenedRecord] = field(default_factory=list)

    def add(self, link: Link, row: StoredEntry, sealed_sha256: bytes, signed: SignedEntry, checked: bool,
            disclosure: EncodedDisclosure | None) -> None:
        self.links.append(link)
        if self.keep:
            self.records.append(OpenedRecord(signed, row.commitment, sealed_sha256, checked, disclosure))

    def done(self, digest: bytes) -> OpenedChunk:
        return OpenedChunk(self.first, digest, self.links, self.failure, self.blob_failure, bytes(self.named),
                           self.files, self.records)


def _derivation(entry: CustodyEntry, digests: KeyedDigests) -> tuple[int, tuple[bytes, ...]]:
    """What the entry's parents must have produced: the kind of check and, for each parent in
    order, the produced digest (of item and SHA-256) it must equal."""
    if entry.action == EXPORTED:
        return _export_derivation(entry, digests)
    if entry.action != SANITIZED and not (entry.action == TRANSFERRED and entry.parents):
        return NO_DERIVATION, ()
    inputs = 1 if entry.action == SANITIZED else 2  # a transfer adds the sender's record
    source = entry.inputs[0] if entry.inputs else {}
    item, sha256 = (source.get("item"), source.get("sha256")) if len(entry.inputs) == inputs else (None, None)
    return DERIVES_CLEAN_COPY, (digests.of_produced(item, sha256),)


def _export_derivation(entry: CustodyEntry, digests: KeyedDigests) -> tuple[int, tuple[bytes, ...]]:
    """An export names its bundle as its item (`bnd_`), and each clean copy as an input, the n-th
    produced by its n-th parent. One recorded before exports were recorded per bundle names its
    one clean copy as its item too, so an input of another item fails whatever the parent."""
    inputs = entry.inputs
    names_what_it_exports = entry.item.startswith(BUNDLE_PREFIX) or (
        len(inputs) == 1 and inputs[0].get("item") == entry.item)
    if not inputs or len(inputs) != len(entry.parents) or not names_what_it_exports:
        return NEVER, ()
    return EXPORTS_CLEAN_COPY, tuple(digests.of_produced(copy.get("item"), copy.get("sha256")) for copy in inputs)


def derivation_failure(
    entry: int, kind: int, wanted: tuple[bytes, ...], parents: list[tuple[bytes, bool]],
) -> AuditFailure | None:
    """The derivation check of entry number `entry`, given what each of its parents produced, in
    order, and whether that was a clean copy."""
    if kind == NO_DERIVATION:
        return None
    if kind == DERIVES_CLEAN_COPY:
        if len(parents) != 1 or parents[0][0] != wanted[0]:
            return AuditFailure(f"entry {entry}: its clean copy does not derive from the file its parent received")
        return None
    if kind == NEVER or len(parents) != len(wanted) or not all(
            produced == digest and clean for (produced, clean), digest in zip(parents, wanted)):
        return AuditFailure(f"entry {entry}: it exports a file that is not the clean copy its parent produced")
    return None


def open_entry(stored: StoredEntry, identities: list[x25519.Identity]) -> SignedEntry:
    try:
        return SignedEntry.from_bytes(unseal(stored.sealed, identities))
    except (SealError, EntryError) as error:
        raise AuditFailure(f"entry {stored.idx}: it does not open as a custody entry") from error


def check_opened(
    signed: SignedEntry, commitment: bytes, public: PublicIdentity, idx: int, own: SecretIdentity | None = None,
) -> None:
    """Steps 11-13 for one opened entry: it is the content its stored commitment commits to,
    signed by this custodian, and names this custodian. `own`: the custodian's secret key, when
    this process holds it (its signatures are then made again rather than verified)."""
    if signed.commitment() != commitment:
        raise AuditFailure(f"entry {idx}: its content does not match its commitment")
    if not signed.verify(public, own):
        raise AuditFailure(f"entry {idx}: its signature does not verify")
    if signed.entry.actor != public.fingerprint_hex:
        raise AuditFailure(f"entry {idx}: it names another custodian")


def _first_blob_failure(entry: CustodyEntry, blobs: Path, identities: list[x25519.Identity]) -> AuditFailure | None:
    for output in entry.outputs:
        if "blob" in output:
            try:
                _check_blob(entry, output, blobs / str(output["blob"]), identities)
            except AuditFailure as failure:
                return failure
    return None


def _check_blob(entry: CustodyEntry, output: dict[str, Any], path: Path, identities: list[x25519.Identity]) -> None:
    what = f"the sealed {output.get('role', ORIGINAL)} of item {output.get('item', entry.item)}"
    if not path.is_file() or "/" in str(output["blob"]):
        raise AuditFailure(f"entry {entry.seq}: {what} is missing")
    sink = DigestingWriter()
    try:
        with open(path, "rb") as sealed:
            unseal_stream(sealed, sink, identities)
    except (SealError, OSError) as error:
        raise AuditFailure(f"entry {entry.seq}: {what} does not open") from error
    if sink.digests() != Digests.from_dict(output):
        raise AuditFailure(f"entry {entry.seq}: {what} was replaced")
