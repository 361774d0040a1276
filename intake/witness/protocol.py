"""The C2SP tlog-witness `add-checkpoint` call (https://c2sp.org/tlog-witness).

    POST <submission prefix>/add-checkpoint
    old <size>\\n                  the size the witness last cosigned (0: never)
    <base64 hash>\\n ...           RFC 9162 consistency proof from old to new, at most 63 lines
    \\n
    <the checkpoint note, with its signatures>

Answers: 200 with one or more cosignature lines; 409 with the witness's size
(`text/x.tlog.size`, "<size>\\n") when `old` is not it, or when the sizes are
equal and the roots differ; 404 unknown origin; 403 no valid log signature;
422 the proof does not verify; 400 anything malformed.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from enum import IntEnum

from intake.ledger.note import b64decode_canonical
from intake.errors import ProtocolError

PATH = "/add-checkpoint"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_BODY = 64 << 10  # a checkpoint with 100 signatures and a full proof stays far below
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_HASH_SIZE = 32


class Status(IntEnum):
    COSIGNED = 200
    MALFORMED = 400
    BAD_SIGNATURE = 403
    UNKNOWN_LOG = 404
    CONFLICT = 409
    BAD_PROOF = 422


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def to_body(self) -> bytes:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode("ascii") for h in self.proof)]
        return ("".join(f"{line}\n" for line in lines) + "\n" + self.note).encode("utf-8")

    @classmethod
    def from_body(cls, body: bytes) -> AddCheckpoint:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("the request is not UTF-8") from None
        head, separator, note = text.partition("\n\n")
        if not separator or not note:
            raise ProtocolError("the request has no blank line before the checkpoint")
        first, *hashes = head.split("\n")
        if not first.startswith("old ") or not _SIZE.fullmatch(first[4:]):
            raise ProtocolError("the request does not start with `old SIZE`")
        if len(hashes) > MAX_PROOF_LINES:
            raise ProtocolError("the consistency proof has more than 63 lines")
        return cls(parse_size(first[4:]), tuple(_hash(line) for line in hashes), note)


def _hash(line: str) -> bytes:
    raw = b64decode_canonical(line)
    if raw is None or len(raw) != _HASH_SIZE:
        raise ProtocolError("a consistency proof line is not a base64 SHA-256 hash")
    return raw


def parse_size(text: str) -> int:
    if not _SIZE.fullmatch(text) or int(text) >= 2**64:
        raise ProtocolError("a tree size is a decimal number without leading zeros")
    return int(text)


def size_body(size: int) -> bytes:
    return f"{size}\n".encode("ascii")


def parse_size_body(body: bytes) -> int:
    """The witness's size from a 409 answer."""
    text = body.decode("ascii", errors="replace")
    if not text.endswith("\n"):
        raise ProtocolError("the witness's size does not end with a newline")
    return parse_size(text[:-1])


def cosignature_lines(body: bytes) -> list[str]:
    """The signature lines of a 200 answer, each ending in a newline."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("the answer is not UTF-8") from None
    if not text.endswith("\n"):
        raise ProtocolError("the answer does not end with a newline")
    lines = [f"{line}\n" for line in text[:-1].split("\n")]
    if not all(line.startswith("\u2014 ") for line in lines):
        raise ProtocolError("the answer holds a line that is not a signature line")
    return lines
