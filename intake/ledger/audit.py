"""Ledger verification: what `intake ledger verify` checks, and in what order.

Without the passphrase: row numbering, every checkpoint's signature (in a
ledger of over SIGNATURE_LIMIT checkpoints: every checkpoint byte for byte but
its signature, and the signatures of the latest and of sizes 1, 2, 4, 8, …),
each checkpoint's root against the stored rows, consistency proofs between
checkpoints, and the stored tree hashes. With the unlocked keyring: every entry is opened and
its commitment, signature, sequence number and link to the tree before it
are checked, and with `blobs` every sealed file it names, in the same pass.
The first failure names the entry or checkpoint it concerns.

Entries are read and opened a chunk at a time, and what is kept of each is only
what later checks need (its id, links and hashes), unless the caller keeps the
opened entries (`keep`): `ledger verify` of a big ledger holds no opened entry.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.blobs import unreferenced_blobs
from intake.support.hashing import Digests, DigestingWriter
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.errors import Check, CheckpointError, EntryError, NoteError, SealError
from intake.ledger.custodian import Custodian
from intake.ledger.entries import CLEAN_COPY, CustodyEntry, SignedEntry
from intake.ledger.stored_tree import leaf_hash_of
from intake.ledger.note import Verifier, b64decode_canonical, open_note
from intake.ledger.store import LedgerStore, StoredCheckpoint, StoredEntry
from intake.keys.seal import unseal, unseal_stream
from intake.forked import forked_map
from intake.keys.identity import PublicIdentity


PAIRWISE_LIMIT = 1024
# Up to this many checkpoints, every signature is verified. Beyond it, Ed25519 verification would
# dominate (about 60 µs each), and it adds nothing: every root is recomputed from the entries and
# the latest checkpoint's signature commits to all of them (each earlier root is a prefix of its
# tree, as the consistency proofs show), so a stored checkpoint needs only to be exactly the note
# this key writes for that root; the signature bytes of the latest and of sizes 1, 2, 4, 8, ... are
# verified too.
SIGNATURE_LIMIT = 1024
# The one action whose entries no bundle publishes: an export is on no clean copy's trail.
UNPUBLISHED = "exported"
# Entries read, opened and checked at a time: the sealed records of one chunk are held, never all.
ENTRY_CHUNK = 8192


class AuditFailure(Exception):
    """The first thing found wrong; its message names the entry or checkpoint."""


@dataclass(frozen=True)
class OpenedRecord:
    """An entry as the audit opened it, with its leaf data as stored."""

    signed: SignedEntry
    commitment: bytes     # the stored commitment (the leaf data's first half)
    sealed_sha256: bytes  # SHA-256 of the stored sealed record (its second half)
    checked: bool         # its commitment, signature and custodian were checked (steps 11-13)


@dataclass
class AuditReport:
    checked: list[str] = field(default_factory=list)
    failure: str | None = None
    opened: list[OpenedRecord] = field(default_factory=list)  # only when the caller keeps the entries
    # Sealed files no entry names: `orphans` provably so (placed by a command killed before its
    # entry was appended; the next exclusive lock removes them), `unexplained` the others.
    orphans: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    tree: RecomputedTree | None = None  # every subtree hash, recomputed from the rows: proofs without SQL

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


def read_checkpoint(note: str, origin: str, verifier: Verifier, single_signature: bool = False) -> Checkpoint:
    """A checkpoint whose signature and origin are this ledger's, or AuditFailure.

    Stored checkpoints carry exactly our one signature; a saved copy may also
    carry co-signatures (witnesses), which the signed-note format allows.
    """
    try:
        checkpoint = Checkpoint.from_text(open_note(note, [verifier]))
    except (NoteError, CheckpointError) as error:
        raise AuditFailure(f"its signature or format is wrong ({error})") from error
    if single_signature and note.rstrip("\n").rsplit("\n\n", 1)[-1].count("\n") != 0:
        raise AuditFailure("it carries signatures this vault did not make; it was altered")
    if checkpoint.origin != origin:
        raise AuditFailure("it belongs to another ledger (origin differs)")
    return checkpoint


def audit(
    store: LedgerStore, origin: str, verifier: Verifier, keyring: Custodian | None = None, blobs: Path | None = None,
    keep: bool = True, every_entry: bool = True,
) -> AuditReport:
    """Every check of `ledger verify`. `keep`: the opened entries stay in the report (else only
    their checks are). `every_entry=False` (export): every entry is opened and its links checked,
    but the commitment, signature and custodian of an `exported` entry, which no bundle publishes
    (it is on no clean copy's trail), are not (`OpenedRecord.checked`); the rows themselves are
    proven unaltered either way, without the passphrase, by the roots recomputed against the
    signed checkpoints."""
    report = AuditReport()
    try:
        hashes = _numbered_leaves(store, report)
        roots = merkle.HashList() if keyring is not None else None  # kept only for the entries' links
        checkpoints = _check_checkpoints(store, hashes, roots, origin, verifier, report)
        report.tree = RecomputedTree.of(hashes)
        _check_consistency(checkpoints, report.tree.subtree, report)
        _check_stored_tree(store, report.tree, report)
        named = None
        if keyring is not None:
            named = _check_entries(store, roots, keyring, report, _Opening(blobs, keep, every_entry))
        if blobs is not None:
            _find_unreferenced(store, blobs, report, named)
    except AuditFailure as failure:
        report.failure = str(failure)
    return report


def _numbered_leaves(store: LedgerStore, report: AuditReport) -> merkle.HashList:
    """Every entry's leaf hash, row by row, each row numbered as its place."""
    leaves = merkle.HashList()
    rows = store.leaf_rows(leaf_hash_of)
    for position, (idx, leaf) in enumerate(rows):
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


def _check_checkpoints(
    store: LedgerStore, leaves: merkle.HashList, roots: merkle.HashList | None, origin: str, verifier: Verifier,
    report: AuditReport,
) -> list[Checkpoint]:
    """Every size 1..n has exactly the checkpoint this key writes for the root recomputed from the
    entries. Roots are computed one size at a time as the notes stream by (kept in `roots` only if
    given); the checkpoints returned are those the consistency proofs replay (_proof_pairs)."""
    count = len(leaves)
    sampled = _signature_sample(count)
    expected = _ExpectedNote(origin, verifier.key_id)
    replayed = _replayed_sizes(count)
    recomputed = merkle.iter_prefix_roots(leaves)
    checkpoints, broken, seen = [], [], 0
    for position, row in enumerate(store.iter_checkpoints()):  # the notes row by row: never all held at once
        if row.size != position + 1 or row.size > count:
            raise _sizes_failure(store, count)
        seen = row.size
        root = next(recomputed)
        if roots is not None:
            roots.append(root)
        if sampled is not None and row.size not in sampled and expected.matches(row.note, row.size, root):
            checkpoint = Checkpoint(origin, row.size, root)
        else:
            checkpoint = _signed_checkpoint(row, origin, verifier)
        if checkpoint.root != root:
            broken.append(row.size)
        if replayed is None or row.size in replayed:
            checkpoints.append(checkpoint)
    if seen != count:
        raise _sizes_failure(store, count)
    _check_roots(broken, count)
    if sampled is None:
        report.checked.append(f"{count} checkpoints signed by {verifier.vkey()}")
    else:
        report.checked.append(f"{count} checkpoints are exactly the notes {verifier.vkey()} writes for "
                              f"their roots; the signatures of the latest and of {len(sampled) - 1} others verify")
    report.checked.append("every checkpoint's root matches the stored entries (RFC 9162)")
    return checkpoints


def _signed_checkpoint(row: StoredCheckpoint, origin: str, verifier: Verifier) -> Checkpoint:
    try:
        checkpoint = read_checkpoint(row.note, origin, verifier, single_signature=True)
    except AuditFailure as failure:
        raise AuditFailure(f"checkpoint {row.size}: {failure}") from failure
    if checkpoint.size != row.size:
        raise AuditFailure(f"checkpoint {row.size}: it signs size {checkpoint.size}; checkpoints were swapped")
    return checkpoint


def _signature_sample(count: int) -> set[int] | None:
    """The sizes whose signatures are verified, or None for all of them."""
    if count <= SIGNATURE_LIMIT:
        return None
    return {1 << k for k in range(count.bit_length()) if (1 << k) <= count} | {count}


@dataclass(frozen=True)
class _ExpectedNote:
    """The one note this ledger writes for a size and root, but for its signature bytes."""

    origin: str
    key_id: bytes

    def matches(self, note: str, size: int, root: bytes) -> bool:
        head = f"{self.origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n\n\u2014 {self.origin} "
        if not (note.startswith(head) and note.endswith("\n")):
            return False
        raw = b64decode_canonical(note[len(head):-1])
        return raw is not None and len(raw) == 4 + 64 and raw[:4] == self.key_id


def _sizes_failure(store: LedgerStore, count: int) -> AuditFailure:
    """What is wrong with the checkpoints' sizes, read again in full (only once something is)."""
    try:
        _check_sizes(store.checkpoint_sizes(), count)
    except AuditFailure as failure:
        return failure
    return AuditFailure("the checkpoints changed while they were read: run the check again")


def _check_sizes(sizes: list[int], entry_count: int) -> None:
    expected = list(range(1, entry_count + 1))
    if sizes == expected:
        return
    missing = sorted(set(expected) - set(sizes))
    extra = sorted(set(sizes) - set(expected))
    if missing:
        where = f"checkpoint for size {missing[0]} is missing"
    elif extra:
        where = f"checkpoint for size {extra[0]} has no entries"
    else:
        repeated = next(size for size in sizes if sizes.count(size) > 1)
        where = f"checkpoint for size {repeated} appears more than once"
    raise AuditFailure(f"{where}: checkpoints or entries were deleted or added")


def _check_roots(broken: list[int], count: int) -> None:
    """Name the culprit from the sizes whose checkpoint's root differs from the recomputed one: an
    altered entry breaks every checkpoint from its own on; a replaced checkpoint breaks only itself."""
    if not broken:
        return
    first = broken[0]
    if broken == [first] and first < count:
        raise AuditFailure(f"checkpoint {first}: its root matches no stored history while later ones do; it was replaced")
    raise AuditFailure(f"entry {first - 1}: its stored record does not match signed checkpoint {first}; it was altered")


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


def _check_stored_tree(store: LedgerStore, expected: RecomputedTree, report: AuditReport) -> None:
    """The stored subtree hashes serve every proof a bundle carries: they must be the entries' own."""
    if not expected.levels and store.tree_count() == 0:
        return  # an empty ledger: nothing stored, nothing to say
    if not store.has_tree() or store.tree_count() == 0:
        report.checked.append("no stored Merkle hashes yet (an older vault: they are built at the next append)")
        return
    count = 0
    for row, (level, index, value) in enumerate(store.iter_tree_rows()):
        if level < 0 or index < 0 or expected.get(level, index) != value:
            raise _altered_tree(row)
        count = row + 1
    if count != expected.count():
        raise _altered_tree(count)
    report.checked.append(f"the {count} stored Merkle hashes match the entries")


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
    assert report.tree is not None
    hashes = report.tree.leaves()
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


@dataclass(frozen=True)
class _Opening:
    """How the entries are opened: `blobs` (the vault's blobs/) to check every sealed file in the
    same pass; `keep` the opened entries in the report; `every_entry` checked in full."""

    blobs: Path | None
    keep: bool
    every_entry: bool


@dataclass(frozen=True, slots=True)
class _Summary:
    """What the in-order checks need of one opened entry (links, derivation, sealed files): a
    few strings, so a big ledger's audit need not hold its opened entries."""

    seq: int
    id: str
    prev: str
    parents: tuple[str, ...]
    action: str
    item: str
    input_count: int
    first_input: tuple[Any, Any]   # item and sha256 of inputs[0] (None, None without inputs)
    first_output: tuple[Any, Any]  # role and sha256 of outputs[0] (None, None without outputs)
    blobs: tuple[str, ...]         # the sealed files its outputs name

    @classmethod
    def of(cls, entry: CustodyEntry) -> _Summary:
        source = entry.inputs[0] if entry.inputs else {}
        produced = entry.outputs[0] if entry.outputs else {}
        return cls(entry.seq, entry.id, entry.prev, tuple(entry.parents), entry.action, entry.item, len(entry.inputs),
                   (source.get("item"), source.get("sha256")), (produced.get("role"), produced.get("sha256")),
                   tuple(str(out["blob"]) for out in entry.outputs if "blob" in out))


@dataclass(frozen=True, slots=True)
class _Opened:
    """One entry opened (in a forked worker): its summary, the first sealed-file failure of its
    slice (later files of that slice are not opened), and the record itself when it is kept."""

    summary: _Summary
    blob_failure: AuditFailure | None
    record: OpenedRecord | None


@dataclass(frozen=True, slots=True)
class _Parent:
    item: str
    first_output: tuple[Any, Any]


def _check_entries(
    store: LedgerStore, roots: Sequence[bytes], keyring: Custodian, report: AuditReport, opening: _Opening
) -> set[str] | None:
    """Steps 10-18, in one pass over the entries, a chunk at a time; the sealed files the entries
    name, or None when they cannot be opened here. Failures keep the order of the steps: any
    entry's own or link failure first (in entry order), then a derivation, then a sealed file."""
    if not keyring.can_open_sealed:
        report.checked.append("entries are sealed to the editors only (write-only vault): contents not opened here")
        if opening.blobs is not None:
            _describe_write_only_blobs(opening.blobs, report)
        return None
    # Opening is most of the work (age, the commitment, Ed25519, each sealed file) and each entry's
    # is its own: on every core.
    work = functools.partial(_open_entries, keyring=keyring, public=keyring.public, opening=opening)
    earlier: dict[str, _Parent] = {}
    named: set[str] = set()
    derivation: AuditFailure | None = None
    blob_failure: AuditFailure | None = None
    files = 0
    for chunk in store.iter_entries(ENTRY_CHUNK):
        for stored, opened in zip(chunk, forked_map(work, chunk)):
            if isinstance(opened, AuditFailure):
                raise opened
            entry = opened.summary
            _check_links(entry, stored.idx, roots, earlier)
            derivation = derivation or _derivation_failure(entry, earlier)
            blob_failure = blob_failure or opened.blob_failure
            earlier[entry.id] = _Parent(entry.item, entry.first_output)
            named.update(entry.blobs)
            files += len(entry.blobs)
            if opened.record is not None:
                report.opened.append(opened.record)
    if derivation is not None:
        raise derivation
    what = "commitment, signature, sequence and links hold" if opening.every_entry else \
        "sequence and links hold; commitment and signature of every entry but `exported` ones"
    report.checked.append(f"{len(earlier)} entries opened: {what}")
    if opening.blobs is not None:
        if blob_failure is not None:
            raise blob_failure
        report.checked.append(f"{files} sealed files (originals, clean copies, findings reports) open and match "
                              "their recorded hashes")
    return named


def _check_links(entry: _Summary, idx: int, roots: Sequence[bytes], earlier: dict[str, _Parent]) -> None:
    prev = roots[idx - 1] if idx else merkle.EMPTY_ROOT
    if entry.seq != idx or entry.prev != prev.hex():
        raise AuditFailure(f"entry {idx}: its link to the entries before it is broken")
    if entry.id in earlier or any(parent not in earlier for parent in entry.parents):
        raise AuditFailure(f"entry {idx}: its id repeats or a parent is not an earlier entry")


def _derivation_failure(entry: _Summary, earlier: dict[str, _Parent]) -> AuditFailure | None:
    """A clean copy must name, as its input, exactly the file its parent received; an export,
    exactly the clean copy its parent produced. Parents are earlier entries (checked first)."""
    parent = earlier.get(entry.parents[0]) if len(entry.parents) == 1 else None
    produced = parent.first_output if parent is not None else (None, None)
    if entry.action == "exported":
        source = entry.first_input if entry.input_count == 1 else (None, None)
        if parent is None or produced[0] != CLEAN_COPY or parent.item != entry.item \
                or source[0] != entry.item or source[1] != produced[1]:
            return AuditFailure(f"entry {entry.seq}: it exports a file that is not the clean copy its parent produced")
        return None
    if entry.action != "sanitized" and not (entry.action == "transferred" and entry.parents):
        return None
    inputs = 1 if entry.action == "sanitized" else 2  # a transfer adds the sender's record
    source = entry.first_input if entry.input_count == inputs else (None, None)
    if parent is None or parent.item != source[0] or produced[1] != source[1]:
        return AuditFailure(f"entry {entry.seq}: its clean copy does not derive from the file its parent received")
    return None


def _describe_write_only_blobs(blobs: Path, report: AuditReport) -> None:
    """A write-only vault cannot open its entries, so it cannot tell which sealed file each names:
    it counts what is there and says who checks the rest."""
    count = len(unreferenced_blobs(blobs, set()))
    report.checked.append(f"{count} sealed files are in blobs/; which entry names each, and whether each still "
                          "matches its recorded hash, only the editors can check (write-only vault)")


def _find_unreferenced(store: LedgerStore, blobs: Path, report: AuditReport, named: set[str] | None) -> None:
    """Without opened entries (`named` None) only the ledger's own list of unrecorded blobs can be
    told apart, so only those are looked for (a vault of a million blobs is not listed for them)."""
    unrecorded = store.unrecorded()
    if named is None:
        report.orphans = sorted(name for name in unrecorded if (blobs / name).is_file())
        return
    unnamed = unreferenced_blobs(blobs, named)
    report.orphans = sorted(set(unnamed) & set(unrecorded))
    report.unexplained = sorted(set(unnamed) - set(report.orphans))


def _open_entries(
    stored: Sequence[StoredEntry], keyring: Custodian, public: PublicIdentity, opening: _Opening
) -> list[_Opened | AuditFailure]:
    """Each entry opened and checked on its own (commitment, signature, custodian; then its sealed
    files), in order; nothing after the first failure of an entry, and no sealed file after the
    first that fails. Links between entries are checked afterwards, in order."""
    results: list[_Opened | AuditFailure] = []
    blob_failed = False
    for one in stored:
        try:
            signed = _open_entry(one, keyring)
            in_full = opening.every_entry or signed.entry.action != UNPUBLISHED
            if in_full:
                check_opened(signed, one.commitment, public, one.idx)
        except AuditFailure as failure:
            results.append(failure)
            break
        blob_failure = None
        if opening.blobs is not None and not blob_failed:
            blob_failure = _first_blob_failure(signed.entry, opening.blobs, keyring)
            blob_failed = blob_failure is not None
        record = None
        if opening.keep:
            record = OpenedRecord(signed, one.commitment, hashlib.sha256(one.sealed).digest(), in_full)
        results.append(_Opened(_Summary.of(signed.entry), blob_failure, record))
    return results


def _first_blob_failure(entry: CustodyEntry, blobs: Path, keyring: Custodian) -> AuditFailure | None:
    for output in entry.outputs:
        if "blob" in output:
            try:
                _check_blob(entry, output, blobs / str(output["blob"]), keyring)
            except AuditFailure as failure:
                return failure
    return None


def _check_blob(entry: CustodyEntry, output: dict, path: Path, keyring: Custodian) -> None:
    what = f"the sealed {output.get('role', 'original')} of item {output.get('item', entry.item)}"
    if not path.is_file() or "/" in str(output["blob"]):
        raise AuditFailure(f"entry {entry.seq}: {what} is missing")
    sink = DigestingWriter()
    try:
        with open(path, "rb") as sealed:
            unseal_stream(sealed, sink, [keyring.secret.age_identity])
    except (SealError, OSError) as error:
        raise AuditFailure(f"entry {entry.seq}: {what} does not open") from error
    if sink.digests() != Digests.from_dict(output):
        raise AuditFailure(f"entry {entry.seq}: {what} was replaced")


def _open_entry(stored: StoredEntry, keyring: Custodian) -> SignedEntry:
    try:
        return SignedEntry.from_bytes(unseal(stored.sealed, [keyring.secret.age_identity]))
    except (SealError, EntryError) as error:
        raise AuditFailure(f"entry {stored.idx}: it does not open as a custody entry") from error


def check_opened(signed: SignedEntry, commitment: bytes, public: PublicIdentity, idx: int) -> None:
    """Steps 11-13 for one opened entry: it is the content its stored commitment commits to,
    signed by this custodian, and names this custodian."""
    if signed.commitment() != commitment:
        raise AuditFailure(f"entry {idx}: its content does not match its commitment")
    if not signed.verify(public):
        raise AuditFailure(f"entry {idx}: its signature does not verify")
    if signed.entry.actor != public.fingerprint_hex:
        raise AuditFailure(f"entry {idx}: it names another custodian")
