"""C2SP transparency-log checkpoint bodies (https://c2sp.org/tlog-checkpoint).

A checkpoint is the text of a signed note: the log origin, the decimal tree
size and the base64 Merkle root hash, optionally followed by extension lines,
every line ending in a newline.  Signing and verifying the note around it is
the job of :mod:`intake.ledger.note`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake.ledger.note import Signer, sign
from intake.errors import CheckpointError

__all__ = ["Checkpoint", "CheckpointError", "sign_checkpoint"]

_ROOT_SIZE = 32  # SHA-256 RFC 6962 Merkle tree hash
# Tree sizes are uint64 in every reference implementation; larger values
# would not interoperate.
_MAX_SIZE = 2**64 - 1
# ASCII digits only (str.isdigit would admit other scripts' digits), and no
# leading zero unless the tree is empty.
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f]")


def _check_line(line: object, what: str) -> str:
    """A checkpoint line: non-empty UTF-8 text without control characters.

    The checkpoint is a signed-note text, which may not hold ASCII control
    characters (newline included, inside a line) or invalid UTF-8.
    """
    if not isinstance(line, str) or not line:
        raise CheckpointError(f"{what} must be a non-empty string")
    if _CONTROL.search(line):
        raise CheckpointError(f"{what} contains a control character")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"{what} is not valid UTF-8") from None
    return line


def _parse_size(line: str) -> int:
    if not _SIZE_RE.fullmatch(line):
        raise CheckpointError("tree size must be decimal without leading zeros")
    size = int(line)
    if size > _MAX_SIZE:
        raise CheckpointError("tree size does not fit in 64 bits")
    return size


def _parse_root(line: str) -> bytes:
    """Decode the root hash, accepting only canonical padded base64.

    Canonical-only means a checkpoint has exactly one text form, so two
    byte-different checkpoints never describe the same tree head.
    """
    try:
        root = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError("root hash is not valid base64") from None
    if base64.b64encode(root).decode("ascii") != line:
        raise CheckpointError("root hash is not canonical base64")
    if len(root) != _ROOT_SIZE:
        raise CheckpointError("root hash must be 32 bytes")
    return root


def _split_lines(text: str) -> list[str]:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint needs origin, size and root lines")
    return lines


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash and extension lines.

    The origin only has to be non-empty: the spec recommends (SHOULD) that it
    avoid spaces and '+', but tells clients not to assume so, so neither
    construction nor parsing enforces that recommendation.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        # bool is an int subclass; True as a tree size is surely a bug.
        if type(self.size) is not int or not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError("tree size must be an int in [0, 2**64)")
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise CheckpointError("root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("extensions must be a tuple of strings")
        for line in self.extensions:
            _check_line(line, "extension line")

    def to_text(self) -> str:
        root = base64.b64encode(self.root).decode("ascii")
        lines = (self.origin, str(self.size), root, *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly; raise CheckpointError if invalid."""
        origin, size, root, *extensions = _split_lines(text)
        return cls(
            origin=_check_line(origin, "origin"),
            size=_parse_size(size),
            root=_parse_root(root),
            extensions=tuple(extensions),
        )


def sign_checkpoint(checkpoint: Checkpoint, signing_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note under its own origin: what the ledger stores for each tree size."""
    return sign(checkpoint.to_text(), [Signer(checkpoint.origin, signing_key)])
