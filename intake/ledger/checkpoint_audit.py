"""Steps 3-8 of the ledger audit (docs/ledger.md): every size 1..n has exactly the checkpoint this
ledger's key writes for the root recomputed from the entries.

The notes are read and matched a chunk of sizes at a time. When nothing else runs on the other
cores (`ledger verify` without the passphrase), the chunks are checked on every core by forked
workers (forked.py), each recomputing its chunk's roots from the perfect subtrees the audit rebuilt
(inherited by fork) and reading its rows through a connection of its own, while the audit checks
the stored tree hashes. A chunk stops at its first failure, and the chunks are read in size order,
so the failure reported is the one a single pass in size order meets first.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from intake.errors import AuditFailure, CheckpointError, NoteError
from intake.forked import ForkedChunks
from intake.keys.identity import SecretIdentity
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import Verifier, b64decode_canonical, open_note
from intake.ledger.store import LedgerStore, StoredCheckpoint

__all__ = ["OwnNotes", "check_checkpoints", "read_checkpoint"]

# Up to this many checkpoints, every signature is verified. Beyond it, Ed25519 verification would
# dominate (about 60 µs each), and it adds nothing: every root is recomputed from the entries and
# the latest checkpoint's signature commits to all of them (each earlier root is a prefix of its
# tree, as the consistency proofs show), so a stored checkpoint needs only to be exactly the note
# this key writes for that root; the signature bytes of the latest and of sizes 1, 2, 4, 8, ... are
# verified too.
SIGNATURE_LIMIT = 1024
# Sizes per chunk on every core (about 0.1 s of work each). A ledger of no more checkpoints is
# checked in one pass here: forking would cost more than it saves.
CHECKPOINT_CHUNK = 8192
# Rows read between two calls that hand the entry workers more chunks (a call costs microseconds;
# 4,096 rows, milliseconds).
FEED_EVERY = 4096


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


@dataclass(frozen=True)
class _ExpectedNote:
    """The one note this ledger writes for a size and root, but for its signature bytes."""

    origin: str
    key_id: bytes

    def matches(self, note: str, size: int, root: bytes) -> bool:
        return self.signature(note, size, root) is not None

    def signature(self, note: str, size: int, root: bytes) -> bytes | None:
        """The note's signature bytes if it is that note, else None."""
        head = f"{self.origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n\n\u2014 {self.origin} "
        if not (note.startswith(head) and note.endswith("\n")):
            return None
        raw = b64decode_canonical(note[len(head):-1])
        return raw[4:] if raw is not None and len(raw) == 4 + 64 and raw[:4] == self.key_id else None


@dataclass(frozen=True)
class OwnNotes:
    """The note this ledger's key writes for a size and root, its signature made again
    (SecretIdentity.made): a stored note equal to it carries the verifier's own signature. Only for
    the key the verifier names, under the ledger's origin."""

    expected: _ExpectedNote
    key: SecretIdentity

    @classmethod
    def of(cls, origin: str, verifier: Verifier, key: SecretIdentity | None) -> OwnNotes | None:
        if key is None or Verifier(origin, key.signing_public) != verifier:
            return None
        return cls(_ExpectedNote(origin, verifier.key_id), key)

    def matches(self, note: str, size: int, root: bytes) -> bool:
        signature = self.expected.signature(note, size, root)
        if signature is None:
            return False
        body = Checkpoint(self.expected.origin, size, root).to_text().encode("utf-8")  # what the note signs
        return self.key.made(body, signature)


@dataclass(frozen=True)
class _Rules:
    """How each checkpoint is checked: every one's signature, or (`sampled`) only those of the
    sizes sampled and every other byte for byte; which sizes' checkpoints the consistency proofs
    replay (`replayed`, None for all)."""

    origin: str
    verifier: Verifier
    own: OwnNotes | None
    sampled: set[int] | None
    replayed: set[int] | None

    @cached_property
    def expected(self) -> _ExpectedNote:
        return _ExpectedNote(self.origin, self.verifier.key_id)

    def check(self, row: StoredCheckpoint, root: bytes) -> Checkpoint | None:
        """The checkpoint if its root differs from `root` or its size is replayed, else None;
        AuditFailure if it is not this ledger's note for its size."""
        unsampled = self.sampled is not None and row.size not in self.sampled
        if unsampled and self.expected.matches(row.note, row.size, root):
            checkpoint = None
        elif self.own is not None and self.own.matches(row.note, row.size, root):
            checkpoint = None
        else:
            checkpoint = _signed_checkpoint(row, self.origin, self.verifier)
            if checkpoint.root != root:
                return checkpoint
        if self.replayed is None or row.size in self.replayed:
            return checkpoint or Checkpoint(self.origin, row.size, root)
        return None


@dataclass
class _Checked:
    """What a pass over the sizes first..last found: the first failure (a size out of place, or a
    note that is not this ledger's), the first two sizes whose root differs, and the replayed
    checkpoints."""

    sizes_wrong: bool = False
    failure: AuditFailure | None = None
    broken: list[int] = field(default_factory=list)
    replayed: list[Checkpoint] = field(default_factory=list)


def _check_rows(
    rows: Iterable[StoredCheckpoint], first: int, last: int, roots: Iterator[bytes], rules: _Rules,
    between: Callable[[], None],
) -> _Checked:
    """Rows that must be exactly the checkpoints of sizes first..last, in order, checked one by one
    against the roots of those sizes, up to the first failure."""
    checked = _Checked()
    expected = first
    for row in rows:
        if (expected - first) % FEED_EVERY == 0:
            between()
        if row.size != expected or expected > last:
            checked.sizes_wrong = True
            return checked
        root = next(roots)
        try:
            checkpoint = rules.check(row, root)
        except AuditFailure as failure:
            checked.failure = failure
            return checked
        if checkpoint is not None and checkpoint.root != root:
            if len(checked.broken) < 2:
                checked.broken.append(row.size)
        elif checkpoint is not None:
            checked.replayed.append(checkpoint)
        expected += 1
    checked.sizes_wrong = expected != last + 1
    return checked


@dataclass
class _Chunks:
    """work(n) for ForkedChunks: the checkpoints of chunk n's sizes, checked in a worker that reads
    them through a connection of its own, from the tree's `levels` (RecomputedTree's)."""

    store: LedgerStore
    levels: Sequence[merkle.HashList]
    rules: _Rules
    count: int
    _reader: LedgerStore | None = None

    @property
    def chunks(self) -> int:
        return -(-self.count // CHECKPOINT_CHUNK)

    def __call__(self, number: int) -> _Checked:
        first = number * CHECKPOINT_CHUNK + 1
        last = min(self.count, first + CHECKPOINT_CHUNK - 1)
        if self._reader is None:
            self._reader = self.store.reader()
        start = [self.levels[level][index] for level, index in merkle.perfect_blocks(0, first - 1)]
        roots = merkle.iter_prefix_roots(self.levels[0][first - 1:last], first - 1, start)
        return _check_rows(self._reader.checkpoints_between(first, last), first, last, roots, self.rules, _nothing)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def check_checkpoints(
    store: LedgerStore, levels: Sequence[merkle.HashList], origin: str, verifier: Verifier,
    own: OwnNotes | None, replayed: set[int] | None, every_core: bool, between: Callable[[], None],
    meanwhile: Callable[[Callable[[], None]], None],
) -> tuple[list[str], list[Checkpoint]]:
    """Steps 3-8: the `ok` lines and the replayed checkpoints, or the first AuditFailure.
    `levels`: the tree recomputed from the entries, level 0 its leaves. `every_core`: the chunks
    may be checked by forked workers, while this process runs `meanwhile` (which must not raise),
    handing it what to call between its own steps so that the workers are fed; else `meanwhile`
    runs after the single pass, and both call `between` every FEED_EVERY rows."""
    count = len(levels[0]) if levels else 0
    sampled = _signature_sample(count)
    rules = _Rules(origin, verifier, own, sampled, replayed)
    if every_core and count > CHECKPOINT_CHUNK and store.path is not None and store.checkpoint_sizes_within(count):
        work = _Chunks(store, levels, rules, count)
        try:
            # A chunk's result is a few bytes: the workers may run to the end while this process works.
            with ForkedChunks(work, work.chunks, ahead=work.chunks) as results:
                meanwhile(results.poll)  # else each worker would idle after its first two chunks
                checked = [_raise_first(store, count, result) for result in results]
        finally:
            work.close()
    else:
        roots = merkle.iter_prefix_roots(levels[0] if levels else ())
        checked = [_raise_first(store, count, _check_rows(store.iter_checkpoints(), 1, count, roots, rules, between))]
        meanwhile(between)
    _check_roots([size for result in checked for size in result.broken][:2], count)
    if sampled is None:
        lines = [f"{count} checkpoints signed by {verifier.vkey()}"]
    else:
        lines = [f"{count} checkpoints are exactly the notes {verifier.vkey()} writes for "
                 f"their roots; the signatures of the latest and of {len(sampled) - 1} others verify"]
    lines.append("every checkpoint's root matches the stored entries (RFC 9162)")
    return lines, [checkpoint for result in checked for checkpoint in result.replayed]


def _nothing() -> None:
    pass


def _raise_first(store: LedgerStore, count: int, checked: _Checked) -> _Checked:
    if checked.sizes_wrong:
        raise _sizes_failure(store, count)
    if checked.failure is not None:
        raise checked.failure
    return checked


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
