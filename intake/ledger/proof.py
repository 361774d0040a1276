"""C2SP transparency-log proofs (https://c2sp.org/tlog-proof): one entry, offline.

    c2sp.org/tlog-proof@v1
    extra <base64 of the leaf data>        (optional, unauthenticated)
    index <decimal>
    <base64 hash>...                        (the RFC 9162 inclusion path)
    <empty line>
    <the signed checkpoint note, verbatim>

The ledger puts the leaf data (commitment ‖ SHA-256 of the sealed entry) in
`extra`: the spec's "data necessary to reconstruct the record hash". It is not
trusted: a verifier recomputes the commitment from the disclosed entry and
requires it to equal the first half.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.errors import CheckpointError, NoteError, ProofError
from intake.ledger.note import Verifier, open_note

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")
_MAX_HASHES = 64


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def to_text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {_b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [_b64(h) for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def from_text(cls, text: str) -> "TlogProof":
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or not checkpoint or lines[0] != HEADER:
            raise ProofError("not a c2sp.org/tlog-proof@v1 proof")
        extra = None
        rest = lines[1:]
        if rest and rest[0].startswith("extra "):
            extra = _unb64(rest[0][len("extra "):], None)
            rest = rest[1:]
        match = _INDEX.fullmatch(rest[0]) if rest else None
        if match is None:
            raise ProofError("the proof's index line is missing or malformed")
        hashes = tuple(_unb64(line, 32) for line in rest[1:])
        if len(hashes) > _MAX_HASHES:
            raise ProofError("the proof has too many hashes")
        return cls(int(match.group(1)), hashes, checkpoint, extra)

    def verify(self, leaf: bytes, verifier: Verifier) -> Checkpoint:
        """The checkpoint, if it is signed by `verifier` and includes `leaf` at `index`."""
        try:
            checkpoint = Checkpoint.from_text(open_note(self.checkpoint, [verifier]))
        except (NoteError, CheckpointError) as error:
            raise ProofError(f"its checkpoint is not signed by the custodian ({error})") from error
        if checkpoint.origin != verifier.name:
            raise ProofError("its checkpoint belongs to another ledger")
        if not merkle.verify_inclusion(self.index, checkpoint.size, merkle.leaf_hash(leaf), self.hashes, checkpoint.root):
            raise ProofError(f"it does not place this entry at index {self.index} of the checkpointed tree")
        return checkpoint


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, size: int | None) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ProofError("the proof holds malformed base64") from error
    if size is not None and len(raw) != size:
        raise ProofError("a proof hash is not 32 bytes")
    return raw
