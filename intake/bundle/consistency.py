"""Consistency between a bundle's ledger and an older view of it (RFC 9162 2.1.4).

A signed checkpoint proves what the ledger held, not that it was never
rewritten: two copies of one vault can each grow their own history, and both
bundles verify alone. Each bundle therefore carries, for every size its
custodian published before (the checkpoints of earlier exports, which the
ledger records), a proof that its own tree extends that one:

    provenance/consistency/<old size>.txt
        old <old size>
        <base64 SHA-256 hash>     one line per proof hash, in RFC 9162 order

`intake verify NEW --since OLD` takes OLD's checkpoint (from an older bundle,
or one saved with `intake ledger checkpoint`), signed by the same key, and
checks NEW's proof from OLD's size: equal sizes with different roots, or a
proof that fails, is a fork; a smaller NEW is a rollback.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from intake.bundle.bagsource import BagSource
from intake.bundle.statement import CHECKPOINT_FILE, PROVENANCE
from intake.errors import CheckpointError, ConsistencyError, IntakeError, NoteError
from intake.support.fsutil import open_regular, read_regular_file
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import Verifier, open_note

CONSISTENCY_DIR = f"{PROVENANCE}/consistency"
_HASH_SIZE = 32
_MAX_PROOF_LINES = 64  # a proof has at most about 2·log2(size) hashes
_CHECKPOINT_LIMIT = 64 << 10


def consistency_file(old_size: int) -> str:
    return f"{CONSISTENCY_DIR}/{old_size}.txt"


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    hashes: tuple[bytes, ...]

    def to_text(self) -> str:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode("ascii") for h in self.hashes)]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> ConsistencyProof:
        if not text.endswith("\n"):
            raise ConsistencyError("it does not end with a newline")
        first, *rest = text[:-1].split("\n")
        size = first.removeprefix("old ")
        if size == first or not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise ConsistencyError("its first line is not `old SIZE`")
        if len(rest) > _MAX_PROOF_LINES:
            raise ConsistencyError("it has too many hashes")
        return cls(int(size), tuple(_hash(line) for line in rest))

    def proves(self, old: Checkpoint, new: Checkpoint) -> bool:
        return self.old_size == old.size and merkle.verify_consistency(
            old.size, new.size, old.root, new.root, self.hashes)


def _hash(line: str) -> bytes:
    try:
        value = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ConsistencyError("a hash line is not base64") from None
    if len(value) != _HASH_SIZE or base64.b64encode(value).decode("ascii") != line:
        raise ConsistencyError("a hash line is not a canonical 32-byte hash")
    return value


def earlier_sizes(published: Sequence[int], size: int) -> list[int]:
    """The earlier published sizes a bundle of `size` entries proves it extends."""
    return sorted({s for s in published if 0 < s < size})


def read_old_checkpoint(path: Path) -> str:
    """OLD for `--since`: an older bundle (folder or zip), or a saved checkpoint file."""
    if path.is_dir() or _is_zip(path):
        with BagSource.open(path) as bag:
            try:
                data = bag.read(CHECKPOINT_FILE, _CHECKPOINT_LIMIT)
            except (KeyError, OSError, IntakeError) as error:
                raise IntakeError(f"{path} is a bundle without a readable {CHECKPOINT_FILE}") from error
    else:
        data = read_regular_file(path, _CHECKPOINT_LIMIT, "the older checkpoint")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(f"{path} is not a checkpoint (not UTF-8 text)") from None


def _is_zip(path: Path) -> bool:
    try:
        with open_regular(path, "the older checkpoint") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except (OSError, IntakeError):
        return False


@dataclass(frozen=True)
class SinceResult:
    ok: bool
    what: str
    reason: str | None = None


def check_since(
    old_note: str, new: Checkpoint, verifier: Verifier, proof_from: Callable[[int], str | None]
) -> SinceResult:
    """Does the bundle's ledger (`new`) extend OLD's, under the same key and origin?"""
    what = "the ledger extends the older checkpoint given with --since"
    try:
        old = Checkpoint.from_text(open_note(old_note, [verifier]))
    except (NoteError, CheckpointError):
        return SinceResult(False, what, "the older checkpoint is not signed by this bundle's custodian for this "
                                        "ledger (another key or origin, or it was altered)")
    if old.size > new.size:
        return SinceResult(False, what, f"ROLLBACK: this bundle shows {new.size} entries, the older checkpoint "
                                        f"{old.size}: this bundle is older, or the ledger was cut back")
    if old.size == new.size:
        if old.root == new.root:
            return SinceResult(True, f"{what} (the same checkpoint: {new.size} entries)")
        return SinceResult(False, what, f"FORK: two different ledgers of {new.size} entries signed by the same key")
    proof_text = proof_from(old.size)
    if proof_text is None:
        return SinceResult(False, what, f"this bundle carries no consistency proof from size {old.size} (bundles "
                                        "prove only earlier exports' sizes); the ledgers cannot be compared")
    try:
        proved = ConsistencyProof.from_text(proof_text).proves(old, new)
    except ConsistencyError as error:
        return SinceResult(False, what, f"{consistency_file(old.size)} is malformed ({error})")
    if not proved:
        return SinceResult(False, what, f"FORK: this bundle's ledger ({new.size} entries) does not extend the older "
                                        f"one ({old.size} entries); the consistency proof fails")
    return SinceResult(True, f"{what}: {old.size} → {new.size} entries, consistency proof (RFC 9162)")
