"""Ledger verification: what `intake ledger verify` checks, and in what order.

Without the passphrase: row numbering, every checkpoint's signature (in a
ledger of over SIGNATURE_LIMIT checkpoints: every checkpoint byte for byte but
its signature, and the signatures of the latest and of sizes 1, 2, 4, 8, …),
each checkpoint's root against the stored rows, consistency proofs between
checkpoints, and the stored tree hashes. With the unlocked keyring: every entry is opened and
its commitment, signature, sequence number and link to the tree before it
are checked. The first failure names the entry or checkpoint it concerns.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intake.blobs import unreferenced_blobs
from intake.support.hashing import Digests, DigestingWriter
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.errors import Check, CheckpointError, EntryError, NoteError, SealError
from intake.ledger.custodian import Custodian
from intake.ledger.entries import CLEAN_COPY, CustodyEntry, SignedEntry
from intake.ledger.stored_tree import leaf_hash_of
from intake.ledger.note import Verifier, b64decode_canonical, open_note
from intake.ledger.store import LedgerStore, StoredEntry
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


class AuditFailure(Exception):
    """The first thing found wrong; its message names the entry or checkpoint."""


@dataclass
class AuditReport:
    checked: list[str] = field(default_factory=list)
    failure: str | None = None
    signed: list[SignedEntry] = field(default_factory=list)
    # Sealed files no entry names: `orphans` provably so (placed by a command killed before its
    # entry was appended; the next exclusive lock removes them), `unexplained` the others.
    orphans: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    @property
    def entries(self) -> list[CustodyEntry]:
        return [signed.entry for signed in self.signed]

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
    store: LedgerStore, origin: str, verifier: Verifier, keyring: Custodian | None = None, blobs: Path | None = None
) -> AuditReport:
    report = AuditReport()
    try:
        rows = _leaf_rows(store)
        _check_numbering([idx for idx, _ in rows], report)
        hashes = [leaf for _, leaf in rows]
        roots = merkle.prefix_roots(hashes)
        checkpoints = _check_checkpoints(store, roots, origin, verifier, report)
        tree = _Tree.of(hashes)
        _check_consistency(checkpoints, tree.subtree, report)
        _check_stored_tree(store, tree, report)
        if keyring is not None:
            report.signed = _check_entries(store.entries(), roots, keyring, report)
            if blobs is not None:
                _check_blobs(report.entries, blobs, keyring, report)
        if blobs is not None:
            _find_unreferenced(store, blobs, report, opened=keyring is not None and keyring.can_open_sealed)
    except AuditFailure as failure:
        report.failure = str(failure)
    return report


def _leaf_rows(store: LedgerStore) -> list[tuple[int, bytes]]:
    return store.leaf_rows(leaf_hash_of)


def _check_numbering(indexes: list[int], report: AuditReport) -> None:
    for position, idx in enumerate(indexes):
        if idx != position:
            raise AuditFailure(
                f"entry {position}: stored with index {idx}; a row was deleted, reordered or renumbered"
            )
    if indexes:
        report.checked.append(f"{len(indexes)} entries numbered 0..{len(indexes) - 1} without gaps")
    else:
        report.checked.append("the ledger is empty")


def _check_checkpoints(
    store: LedgerStore, roots: list[bytes], origin: str, verifier: Verifier, report: AuditReport
) -> list[Checkpoint]:
    sizes = store.checkpoint_sizes()
    _check_sizes(sizes, len(roots))
    sampled = _signature_sample(len(sizes))
    expected = _ExpectedNote(origin, verifier.key_id)
    checkpoints = []
    for row in store.iter_checkpoints():  # the notes row by row: never all held at once
        root = roots[row.size - 1]
        if sampled is not None and row.size not in sampled and expected.matches(row.note, row.size, root):
            checkpoints.append(Checkpoint(origin, row.size, root))
            continue
        try:
            checkpoint = read_checkpoint(row.note, origin, verifier, single_signature=True)
        except AuditFailure as failure:
            raise AuditFailure(f"checkpoint {row.size}: {failure}") from failure
        if checkpoint.size != row.size:
            raise AuditFailure(f"checkpoint {row.size}: it signs size {checkpoint.size}; checkpoints were swapped")
        checkpoints.append(checkpoint)
    _check_roots(checkpoints, roots)
    if sampled is None:
        report.checked.append(f"{len(checkpoints)} checkpoints signed by {verifier.vkey()}")
    else:
        report.checked.append(f"{len(checkpoints)} checkpoints are exactly the notes {verifier.vkey()} writes for "
                              f"their roots; the signatures of the latest and of {len(sampled) - 1} others verify")
    report.checked.append("every checkpoint's root matches the stored entries (RFC 9162)")
    return checkpoints


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


def _check_roots(checkpoints: list[Checkpoint], roots: list[bytes]) -> None:
    """Name the culprit: an altered entry breaks every checkpoint from its own
    on; a replaced checkpoint breaks only itself."""
    broken = [c.size for c in checkpoints if c.root != roots[c.size - 1]]
    if not broken:
        return
    first = broken[0]
    if broken == [first] and first < len(roots):
        raise AuditFailure(f"checkpoint {first}: its root matches no stored history while later ones do; it was replaced")
    raise AuditFailure(f"entry {first - 1}: its stored record does not match signed checkpoint {first}; it was altered")


@dataclass(frozen=True)
class _Tree:
    """Every perfect subtree hash, recomputed here (never read from the stored table being
    checked), one list per level: level 0 is the leaf list itself. A dict keyed by (level, index)
    held twice the memory for a big ledger (issue 12: verify over 150 MB at 100,000 entries)."""

    levels: list[list[bytes]]

    @classmethod
    def of(cls, leaves: list[bytes]) -> _Tree:
        levels = [leaves] if leaves else []
        while len(levels[-1] if levels else ()) > 1:
            nodes = levels[-1]
            levels.append([merkle.node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)])
        return cls(levels)

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


def _check_stored_tree(store: LedgerStore, expected: _Tree, report: AuditReport) -> None:
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


def _proof_pairs(checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, Checkpoint]]:
    """Every successive pair for small ledgers; doubling sizes for big ones.

    A proof costs O(n) hashes to build, so all pairs of a large ledger would be
    quadratic; the direct root checks above already cover every size.
    """
    if len(checkpoints) <= PAIRWISE_LIMIT:
        return list(zip(checkpoints, checkpoints[1:]))
    picked = [checkpoints[(1 << k) - 1] for k in range(len(checkpoints).bit_length()) if (1 << k) <= len(checkpoints)]
    if picked[-1] is not checkpoints[-1]:
        picked.append(checkpoints[-1])
    return list(zip(picked, picked[1:]))


def audit_against(
    store: LedgerStore, origin: str, verifier: Verifier, saved_note: str,
    keyring: Custodian | None = None, blobs: Path | None = None,
) -> AuditReport:
    """Is the ledger now an append-only extension of a checkpoint saved earlier?"""
    report = audit(store, origin, verifier, keyring, blobs)
    if not report.ok:
        return report
    try:
        saved = read_checkpoint(saved_note, origin, verifier)
    except AuditFailure as failure:
        report.failure = f"the saved checkpoint: {failure}"
        return report
    hashes = [leaf for _, leaf in _leaf_rows(store)]
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
    entries: list[StoredEntry], roots: list[bytes], keyring: Custodian, report: AuditReport
) -> list[SignedEntry]:
    if not keyring.can_open_sealed:
        report.checked.append("entries are sealed to the editors only (write-only vault): contents not opened here")
        return []
    opened: list[SignedEntry] = []
    seen: set[str] = set()
    # Opening is most of the work (age, the commitment, Ed25519) and each entry's is its own: on every core.
    each = forked_map(functools.partial(_open_entries, keyring=keyring, public=keyring.public), entries)
    for stored, signed in zip(entries, each):
        if isinstance(signed, AuditFailure):
            raise signed
        entry = signed.entry
        prev = roots[stored.idx - 1] if stored.idx else merkle.EMPTY_ROOT
        if entry.seq != stored.idx or entry.prev != prev.hex():
            raise AuditFailure(f"entry {stored.idx}: its link to the entries before it is broken")
        if entry.id in seen or any(parent not in seen for parent in entry.parents):
            raise AuditFailure(f"entry {stored.idx}: its id repeats or a parent is not an earlier entry")
        seen.add(entry.id)
        opened.append(signed)
    _check_derivations([signed.entry for signed in opened])
    report.checked.append(f"{len(opened)} entries opened: commitment, signature, sequence and links hold")
    return opened


def _check_derivations(entries: list[CustodyEntry]) -> None:
    """A clean copy must name, as its input, exactly the file its parent received."""
    by_id = {entry.id: entry for entry in entries}
    for entry in entries:
        if entry.action == "exported":
            _check_export(entry, by_id)
            continue
        if entry.action != "sanitized" and not (entry.action == "transferred" and entry.parents):
            continue
        parent = by_id.get(entry.parents[0]) if len(entry.parents) == 1 else None
        inputs = 1 if entry.action == "sanitized" else 2  # a transfer adds the sender's record
        source = entry.inputs[0] if len(entry.inputs) == inputs else {}
        received = parent.outputs[0] if parent is not None and parent.outputs else {}
        if parent is None or parent.item != source.get("item") or received.get("sha256") != source.get("sha256"):
            raise AuditFailure(f"entry {entry.seq}: its clean copy does not derive from the file its parent received")


def _check_export(entry: CustodyEntry, by_id: dict[str, CustodyEntry]) -> None:
    """An export must name, as its input, exactly the clean copy its parent produced."""
    parent = by_id.get(entry.parents[0]) if len(entry.parents) == 1 else None
    produced = parent.outputs[0] if parent is not None and parent.outputs else {}
    source = entry.inputs[0] if len(entry.inputs) == 1 else {}
    if parent is None or produced.get("role") != CLEAN_COPY or parent.item != entry.item \
            or source.get("item") != entry.item or source.get("sha256") != produced.get("sha256"):
        raise AuditFailure(f"entry {entry.seq}: it exports a file that is not the clean copy its parent produced")


def _check_blobs(entries: list[CustodyEntry], blobs: Path, keyring: Custodian, report: AuditReport) -> None:
    """Every sealed file an entry names is still there and still the file it recorded."""
    if not keyring.can_open_sealed:
        _describe_write_only_blobs(blobs, report)
        return
    named = [(entry, output) for entry in entries for output in entry.outputs if "blob" in output]
    check = functools.partial(_blob_failures, blobs=blobs, keyring=keyring)
    failure = next((f for f in forked_map(check, named) if f), None)
    if failure is not None:
        raise failure
    report.checked.append(f"{len(named)} sealed files (originals, clean copies, findings reports) open and match "
                          "their recorded hashes")


def _describe_write_only_blobs(blobs: Path, report: AuditReport) -> None:
    """A write-only vault cannot open its entries, so it cannot tell which sealed file each names:
    it counts what is there and says who checks the rest."""
    count = len(unreferenced_blobs(blobs, set()))
    report.checked.append(f"{count} sealed files are in blobs/; which entry names each, and whether each still "
                          "matches its recorded hash, only the editors can check (write-only vault)")


def _find_unreferenced(store: LedgerStore, blobs: Path, report: AuditReport, opened: bool) -> None:
    """Without opened entries only the ledger's own list of unrecorded blobs can be told apart."""
    present = set(unreferenced_blobs(blobs, set()))
    report.orphans = sorted(present & set(store.unrecorded()))
    if opened:
        named = {str(out["blob"]) for entry in report.entries for out in entry.outputs if "blob" in out}
        report.unexplained = sorted(present - named - set(report.orphans))


def _blob_failures(
    named: Sequence[tuple[CustodyEntry, dict]], blobs: Path, keyring: Custodian
) -> list[AuditFailure | None]:
    """For each sealed file in turn, None or why it fails; nothing after the first failure."""
    results: list[AuditFailure | None] = []
    for entry, output in named:
        try:
            _check_blob(entry, output, blobs / str(output["blob"]), keyring)
            results.append(None)
        except AuditFailure as failure:
            results.append(failure)
            break
    return results


def _open_entries(stored: Sequence[StoredEntry], keyring: Custodian, public: PublicIdentity) -> list[SignedEntry | AuditFailure]:
    """Each entry opened and checked on its own (commitment, signature, custodian), in order;
    nothing after the first failure. Links between entries are checked afterwards, in order."""
    results: list[SignedEntry | AuditFailure] = []
    for one in stored:
        try:
            results.append(_open_entry(one, keyring, public))
        except AuditFailure as failure:
            results.append(failure)
            break
    return results


def _check_blob(entry: CustodyEntry, output: dict, path: Path, keyring: Custodian) -> None:
    what = f"the sealed {output.get('role', 'original')} of item {output.get('item', entry.item)}"
    if not path.is_file() or "/" in str(output["blob"]):
        raise AuditFailure(f"entry {entry.seq}: {what} is missing")
    if not keyring.can_open_sealed:
        return
    sink = DigestingWriter()
    try:
        with open(path, "rb") as sealed:
            unseal_stream(sealed, sink, [keyring.secret.age_identity])
    except (SealError, OSError) as error:
        raise AuditFailure(f"entry {entry.seq}: {what} does not open") from error
    if sink.digests() != Digests.from_dict(output):
        raise AuditFailure(f"entry {entry.seq}: {what} was replaced")


def _open_entry(stored: StoredEntry, keyring: Custodian, public: PublicIdentity) -> SignedEntry:
    try:
        signed = SignedEntry.from_bytes(unseal(stored.sealed, [keyring.secret.age_identity]))
    except (SealError, EntryError) as error:
        raise AuditFailure(f"entry {stored.idx}: it does not open as a custody entry") from error
    if signed.commitment() != stored.commitment:
        raise AuditFailure(f"entry {stored.idx}: its content does not match its commitment")
    if not signed.verify(public):
        raise AuditFailure(f"entry {stored.idx}: its signature does not verify")
    if signed.entry.actor != public.fingerprint_hex:
        raise AuditFailure(f"entry {stored.idx}: it names another custodian")
    return signed
