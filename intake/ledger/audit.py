"""Ledger verification: what `intake ledger verify` checks, and in what order.

Without the passphrase: row numbering, every checkpoint's signature (in a
ledger of over SIGNATURE_LIMIT checkpoints: every checkpoint byte for byte but
its signature, and the signatures of the latest and of sizes 1, 2, 4, 8, …;
checkpoint_audit.py), each checkpoint's root against the stored rows,
consistency proofs between checkpoints, and the stored tree hashes. With the unlocked keyring: every entry is opened and
its commitment, signature, sequence number and link to the tree before it
are checked, and with `blobs` every sealed file it names, in the same pass.
The first failure names the entry or checkpoint it concerns.

Entries are read and opened a chunk at a time, and what is kept of each is only
what later checks need (its id, links and hashes), unless the caller keeps the
opened entries (`keep`): `ledger verify` of a big ledger holds no opened entry.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from intake.blobs import BLOB_NAME
from intake.forked import ForkedChunks
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.checkpoint_audit import FEED_EVERY, OwnNotes, check_checkpoints, read_checkpoint
from intake.errors import AuditFailure, Check, CheckFailed
from intake.ledger.compact import BlobTally, EarlierEntries
from intake.ledger.custodian import Custodian
from intake.ledger.entries import CustodyEntry, SignedEntry
from intake.ledger.opening import (
    NO_DERIVATION, ChunkOpener, Disclose, Link, OpenedChunk, OpenedRecord, Opening, check_opened,
    derivation_failure, open_entry, rows_digest,
)
from intake.ledger.stored_tree import leaf_hash_of
from intake.ledger.note import Verifier
from intake.ledger.store import LedgerStore

__all__ = ["AuditReport", "OpenedRecord", "RecomputedTree", "audit", "audit_against", "check_opened",
           "read_checkpoint"]

PAIRWISE_LIMIT = 1024
# Chunks a worker may open ahead of the in-order checks (ForkedChunks' `ahead`).
OPENED_AHEAD = 32


@dataclass
class AuditReport:
    checked: list[str] = field(default_factory=list)
    failure: str | None = None
    opened: list[OpenedRecord] = field(default_factory=list)  # only when the caller keeps the entries
    # Sealed files no entry names: `orphans` provably so (placed by a command killed before its
    # entry was appended; the next exclusive lock removes them), `unexplained` the others.
    orphans: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    tree: RecomputedTree | None = None  # every subtree hash, recomputed from the rows: proofs without SQL (`keep`)
    leaves: merkle.HashList = field(default_factory=merkle.HashList)  # every entry's leaf hash, recomputed

    @property
    def signed(self) -> list[SignedEntry]:
        return [record.signed for record in self.opened]

    @property
    def entries(self) -> list[CustodyEntry]:
        return [record.signed.entry for record in self.opened]

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def checks(self) -> list[Check]:
        """The report as lines: the failure (the first thing found wrong), then what held."""
        failed = [Check(False, "the ledger", self.failure)] if self.failure is not None else []
        return failed + [Check(True, what) for what in self.checked]


def audit(
    store: LedgerStore, origin: str, verifier: Verifier, keyring: Custodian | None = None, blobs: Path | None = None,
    keep: bool = True, every_entry: bool = True, disclose: Disclose | None = None,
) -> AuditReport:
    """Every check of `ledger verify`. `keep`: the opened entries and the recomputed tree stay in
    the report (else only the checks and the leaf hashes do). `every_entry=False` (export): every
    entry is opened and its links checked, but the commitment, signature and custodian of an
    `exported` entry, which no bundle publishes (it is on no clean copy's trail), are not
    (`OpenedRecord.checked`); the rows themselves are proven unaltered either way, without the
    passphrase, by the roots recomputed against the signed checkpoints. `disclose` (export): what
    a bundle shows of an entry; each entry checked in full comes back with that disclosure
    (`OpenedRecord.disclosure`), made as its commitment is checked.

    With a keyring that opens the entries, the workers that open them start first (forked.py) and
    work while this process checks the rows and checkpoints (steps 1-9); their results are read,
    in entry order, once those passed."""
    report = AuditReport()
    opener = ChunkOpener.of(store, keyring, Opening(blobs, keep, every_entry, disclose))
    try:
        # A chunk's result is about 100 KB: up to OPENED_AHEAD per worker (6 MB) wait while steps 1-9 run.
        with ForkedChunks(opener, opener.chunks, ahead=OPENED_AHEAD) if opener is not None else nullcontext(None) \
                as opened:
            between = opened.poll if opened is not None else _nothing  # the workers fed as the rows stream
            report.leaves = _numbered_leaves(store, report, between)
            tree = RecomputedTree.of(report.leaves)
            stored = _HeldCheck(partial(_check_stored_tree, store, tree))
            own = OwnNotes.of(origin, verifier, keyring.secret if keyring is not None else None)
            # Without entry workers, the checkpoints are checked on every core meanwhile.
            checked, checkpoints = check_checkpoints(store, tree.levels, origin, verifier, own,
                                                     _replayed_sizes(len(report.leaves)), opened is None,
                                                     between, meanwhile=stored.run)
            report.checked += checked
            between()
            _check_consistency(checkpoints, tree.subtree, report)
            stored.result(report.checked)
            report.tree = tree if keep else None  # the levels above the leaves: half the memory
            del tree, stored
            named = None
            if keyring is not None:
                named = _check_entries(report.leaves, blobs, report, opener, opened)
        if blobs is not None:
            _find_unreferenced(store, blobs, report, named, opener)
    except AuditFailure as failure:
        report.failure = str(failure)
    return report


def _nothing() -> None:
    pass


@dataclass
class _HeldCheck:
    """A later step run early, while other processes work: its failure (a damaged database's
    too) or its `ok` lines held until the steps before it have passed."""

    check: Callable[[list[str], Callable[[], None]], None]  # given its `ok` lines, and what to call between rows
    checked: list[str] = field(default_factory=list)
    failure: AuditFailure | CheckFailed | None = None

    def run(self, between: Callable[[], None]) -> None:
        try:
            self.check(self.checked, between)
        except (AuditFailure, CheckFailed) as failure:
            self.failure = failure

    def result(self, checked: list[str]) -> None:
        if self.failure is not None:
            try:
                raise self.failure
            finally:  # nothing here keeps it: its traceback holds the check's frames (an open cursor)
                self.failure = None
        checked += self.checked


def _numbered_leaves(store: LedgerStore, report: AuditReport, between: Callable[[], None]) -> merkle.HashList:
    """Every entry's leaf hash, row by row, each row numbered as its place."""
    leaves = merkle.HashList()
    rows = store.leaf_rows(leaf_hash_of)
    for position, (idx, leaf) in enumerate(rows):
        if position % FEED_EVERY == 0:
            between()
        if idx != position:
            for _ in rows:  # a cell of the wrong type is named first, wherever it sorts
                pass
            raise AuditFailure(
                f"entry {position}: stored with index {idx}; a row was deleted, reordered or renumbered"
            )
        leaves.append(leaf)
    if leaves:
        report.checked.append(f"{len(leaves)} entries numbered 0..{len(leaves) - 1} without gaps")
    else:
        report.checked.append("the ledger is empty")
    return leaves


@dataclass(frozen=True)
class RecomputedTree:
    """Every perfect subtree hash, recomputed here (never read from the stored table being
    checked), one list per level: level 0 is the leaf list itself. A dict keyed by (level, index)
    held twice the memory for a big ledger (issue 12: verify over 150 MB at 100,000 entries)."""

    levels: list[merkle.HashList]

    @classmethod
    def of(cls, leaves: merkle.HashList) -> RecomputedTree:
        levels = [leaves] if leaves else []
        while len(levels[-1] if levels else ()) > 1:
            nodes = iter(levels[-1])
            levels.append(merkle.HashList(merkle.node_hash(left, right) for left, right in zip(nodes, nodes)))
        return cls(levels)

    def leaves(self) -> Sequence[bytes]:
        return self.levels[0] if self.levels else merkle.HashList()

    def get(self, level: int, index: int) -> bytes | None:
        return self.levels[level][index] if level < len(self.levels) and index < len(self.levels[level]) else None

    def count(self) -> int:
        return sum(len(level) for level in self.levels)

    def subtree(self, lo: int, hi: int) -> bytes:
        width = hi - lo
        if width > 0 and width & (width - 1) == 0 and lo % width == 0:  # a perfect subtree, held as it is
            return self.levels[width.bit_length() - 1][lo // width]
        return merkle.fold([self.levels[level][index] for level, index in merkle.perfect_blocks(lo, hi)])


def _check_consistency(checkpoints: list[Checkpoint], subtree: merkle.SubtreeHash, report: AuditReport) -> None:
    """Prove each checkpoint extends the one before, as an outside party would.

    The roots were already matched to the rows; this replays the RFC 9162
    consistency proofs so the same code path that serves `--against` and
    remote verifiers is exercised on every audit.
    """
    for older, newer in _proof_pairs(checkpoints):
        proof = merkle.consistency_proof_from(older.size, newer.size, subtree)
        if not merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof):
            raise AuditFailure(f"checkpoint {newer.size}: it is not an append-only extension of checkpoint {older.size}")
    report.checked.append("each checkpoint is an append-only extension of the one before (consistency proofs)")


def _check_stored_tree(
    store: LedgerStore, expected: RecomputedTree, checked: list[str], between: Callable[[], None]
) -> None:
    """The stored subtree hashes serve every proof a bundle carries: they must be the entries' own."""
    if not expected.levels and store.tree_count() == 0:
        return  # an empty ledger: nothing stored, nothing to say
    if not store.has_tree() or store.tree_count() == 0:
        checked.append("no stored Merkle hashes yet (an older vault: they are built at the next append)")
        return
    count = 0
    for row, (level, index, value) in enumerate(store.iter_tree_rows()):
        if row % FEED_EVERY == 0:
            between()
        if level < 0 or index < 0 or expected.get(level, index) != value:
            raise _altered_tree(row)
        count = row + 1
    if count != expected.count():
        raise _altered_tree(count)
    checked.append(f"the {count} stored Merkle hashes match the entries")


def _altered_tree(row: int) -> AuditFailure:
    return AuditFailure(f"the stored Merkle hashes do not match the entries (from row {row} of the tree table, "
                        "by level and index): the tree table was altered")


def _replayed_sizes(count: int) -> set[int] | None:
    """The checkpoints whose consistency proofs are replayed: every one (None) for small ledgers;
    sizes 1, 2, 4, 8, … and the latest for big ones. A proof costs O(n) hashes to build, so all
    pairs of a large ledger would be quadratic; the direct root checks already cover every size."""
    if count <= PAIRWISE_LIMIT:
        return None
    return {1 << k for k in range(count.bit_length()) if (1 << k) <= count} | {count}


def _proof_pairs(checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, Checkpoint]]:
    """Each successive pair of the replayed checkpoints (_replayed_sizes), in size order."""
    return list(zip(checkpoints, checkpoints[1:]))


def audit_against(
    store: LedgerStore, origin: str, verifier: Verifier, saved_note: str,
    keyring: Custodian | None = None, blobs: Path | None = None, keep: bool = True,
) -> AuditReport:
    """Is the ledger now an append-only extension of a checkpoint saved earlier?"""
    report = audit(store, origin, verifier, keyring, blobs, keep=keep)
    if not report.ok:
        return report
    try:
        saved = read_checkpoint(saved_note, origin, verifier)
    except AuditFailure as failure:
        report.failure = f"the saved checkpoint: {failure}"
        return report
    hashes = report.leaves
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
    leaves: merkle.HashList, blobs: Path | None, report: AuditReport, opener: ChunkOpener | None,
    opened: ForkedChunks[OpenedChunk] | None,
) -> BlobTally | None:
    """Steps 10-18 over the opened chunks, in entry order; the sealed files the entries name, as a
    tally, or None when they cannot be opened here. Failures keep the order of the steps: any
    entry's own or link failure first (in entry order), then a derivation, then a sealed file."""
    if opener is None or opened is None:
        report.checked.append("entries are sealed to the editors only (write-only vault): contents not opened here")
        if blobs is not None:
            _describe_write_only_blobs(blobs, report)
        return None
    earlier = EarlierEntries(len(leaves))
    named = BlobTally()
    prevs = itertools.chain([merkle.EMPTY_ROOT], merkle.iter_prefix_roots(leaves))
    derivation: AuditFailure | None = None
    blob_failure: AuditFailure | None = None
    files = 0
    try:
        for chunk in opened:
            _check_rows(chunk, leaves, opener.chunk)
            for number, link in enumerate(chunk.links, chunk.first):
                derived = _check_link(number, link, next(prevs), earlier)  # every entry's, whatever failed before
                derivation = derivation or derived
            if chunk.failure is not None:
                raise chunk.failure
            blob_failure = blob_failure or chunk.blob_failure
            named.add_all(chunk.named)
            files += chunk.files
            report.opened += chunk.records
    finally:
        opener.close()
    if derivation is not None:
        raise derivation
    what = "commitment, signature, sequence and links hold" if opener.opening.every_entry else \
        "sequence and links hold; commitment and signature of every entry but `exported` ones"
    report.checked.append(f"{len(earlier)} entries opened: {what}")
    if opener.opening.blobs is not None:
        if blob_failure is not None:
            raise blob_failure
        report.checked.append(f"{files} sealed files (originals, clean copies, findings reports) open and match "
                              "their recorded hashes")
    return named


def _check_rows(chunk: OpenedChunk, leaves: merkle.HashList, size: int) -> None:
    """The rows a worker opened are those whose leaves the checkpoints were checked against."""
    end = min(len(leaves), chunk.first + size)
    if chunk.rows_digest != rows_digest(leaves.bytes_between(chunk.first, end)):
        raise AuditFailure("the entries changed while they were read: run the check again")


def _check_link(number: int, link: Link, prev: bytes, earlier: EarlierEntries) -> AuditFailure | None:
    """Step 14's root and step 15 for entry `number`, raised; its derivation failure returned (the
    first is raised once every entry passed its own checks)."""
    id_digest, entry_prev, parents, produced, clean, kind, wanted = link
    if entry_prev != prev:
        raise AuditFailure(f"entry {number}: its link to the entries before it is broken")
    parent_numbers = [earlier.find(parent) for parent in parents]
    if earlier.find(id_digest) is not None or None in parent_numbers:
        raise AuditFailure(f"entry {number}: its id repeats or a parent is not an earlier entry")
    from_parents = [earlier.produced(parent) for parent in parent_numbers] if kind != NO_DERIVATION else []
    earlier.add(id_digest, produced, clean)
    return derivation_failure(number, kind, wanted, from_parents)


def _describe_write_only_blobs(blobs: Path, report: AuditReport) -> None:
    """A write-only vault cannot open its entries, so it cannot tell which sealed file each names:
    it counts what is there and says who checks the rest."""
    count = sum(1 for _ in _blob_names(blobs))
    report.checked.append(f"{count} sealed files are in blobs/; which entry names each, and whether each still "
                          "matches its recorded hash, only the editors can check (write-only vault)")


def _find_unreferenced(
    store: LedgerStore, blobs: Path, report: AuditReport, named: BlobTally | None, opener: ChunkOpener | None
) -> None:
    """The sealed files in blobs/ that no entry names. Without opened entries (`named` None) only
    the ledger's own list of unrecorded blobs can be told apart, so only those are looked for (a
    vault of a million blobs is not listed for them). With them, the listing's tally is compared
    with the names' and the present unrecorded ones': buckets that agree hold exactly those
    unrecorded files beside named ones; only the buckets that differ are compared name by name,
    their names found by opening the entries once more."""
    unrecorded = store.unrecorded()
    present = sorted(name for name in unrecorded if BLOB_NAME.match(name) and (blobs / name).is_file())
    if named is None or opener is None:
        report.orphans = present
        return
    digests = opener.digests
    listed = BlobTally()
    for name in _blob_names(blobs):
        listed.add(digests.of_blob(name))
    for name in present:
        named.add(digests.of_blob(name))
    differing = listed.differing(named)
    unnamed = {name for name in present if BlobTally.bucket(digests.of_blob(name)) not in differing}
    if differing:
        in_buckets = [name for name in _blob_names(blobs) if BlobTally.bucket(digests.of_blob(name)) in differing]
        unnamed |= set(in_buckets) - _names_in_buckets(opener, differing)
    report.orphans = sorted(unnamed & set(unrecorded))
    report.unexplained = sorted(unnamed - set(report.orphans))


def _blob_names(blobs: Path) -> Iterator[str]:
    with os.scandir(blobs) as listing:  # names only: no Path object per blob
        for entry in listing:
            if BLOB_NAME.match(entry.name):
                yield entry.name


def _names_in_buckets(opener: ChunkOpener, buckets: set[int]) -> set[str]:
    """The blob names the entries name whose digests fall in `buckets`: every entry opened again
    (its checks passed already), on every core."""
    finder = _NamesInBuckets(opener, buckets)
    try:
        with ForkedChunks(finder, opener.chunks) as chunks:
            return {name for names in chunks for name in names}
    finally:
        opener.close()


@dataclass(frozen=True)
class _NamesInBuckets:
    opener: ChunkOpener
    buckets: set[int]

    def __call__(self, number: int) -> list[str]:
        rows = self.opener.rows(number)
        names = []
        for row in rows:
            for output in open_entry(row, self.opener.identities).entry.outputs:
                name = str(output.get("blob", ""))
                if BLOB_NAME.match(name) and BlobTally.bucket(self.opener.digests.of_blob(name)) in self.buckets:
                    names.append(name)
        return names
