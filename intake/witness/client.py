"""Ask a desk's witnesses to cosign a checkpoint, and gather what they say.

Each witness gets the checkpoint with a consistency proof from the size it is
believed to hold; if it answers 409 with another size, it is asked once more
with a proof from that size. Witnesses are asked in parallel with short
timeouts, because an export holds the vault lock meanwhile. A witness that is
down, slow or refuses is reported, never raised: the bundle is still written,
and says it is not witnessed. Only the configured URL is contacted: no
redirects, no proxies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from intake.errors import ProtocolError
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import signature_lines
from intake.witness.configured import ConfiguredWitness
from intake.witness.protocol import PATH, SIZE_CONTENT_TYPE, AddCheckpoint, Status, cosignature_lines, parse_size_body

TIMEOUT = 5.0
_ANSWER_LIMIT = 64 << 10
COSIGNED, DOWN, REFUSED = "cosigned", "down", "refused"
ProofFrom = Callable[[int], Sequence[bytes]]  # consistency proof from an old size to the checkpoint's


@dataclass(frozen=True)
class WitnessOutcome:
    name: str
    result: str  # COSIGNED, DOWN or REFUSED
    reason: str = ""
    line: str | None = None  # the cosignature line, when cosigned


@dataclass(frozen=True)
class Witnessed:
    note: str  # the checkpoint note with every valid cosignature line appended
    outcomes: tuple[WitnessOutcome, ...]

    @property
    def cosigned(self) -> list[str]:
        return [o.name for o in self.outcomes if o.result == COSIGNED]


class _Down(Exception):
    pass


class _Refused(Exception):
    pass


def witness_checkpoint(
    note: str, witnesses: Sequence[ConfiguredWitness], proof_from: ProofFrom, believed_size: int = 0,
    timeout: float = TIMEOUT,
) -> Witnessed:
    """The note with the cosignatures of every witness that gave one, and what each said."""
    if not witnesses:
        return Witnessed(note, ())
    from concurrent.futures import ThreadPoolExecutor  # here: a desk without witnesses never loads it

    text, _ = signature_lines(note)
    checkpoint = Checkpoint.from_text(text)
    with ThreadPoolExecutor(max_workers=len(witnesses)) as pool:
        outcomes = tuple(pool.map(
            lambda w: _ask(w, note, text, checkpoint, proof_from, believed_size, timeout), witnesses))
    lines = "".join(o.line for o in outcomes if o.line)
    return Witnessed(note + lines, outcomes)


def _ask(
    witness: ConfiguredWitness, note: str, text: str, checkpoint: Checkpoint, proof_from: ProofFrom,
    believed_size: int, timeout: float,
) -> WitnessOutcome:
    old = believed_size if 0 <= believed_size <= checkpoint.size else 0
    try:
        for attempt in range(2):
            status, content_type, body = _post(witness.url, _request(note, old, checkpoint, proof_from), timeout)
            if status == Status.CONFLICT and content_type == SIZE_CONTENT_TYPE and attempt == 0:
                their = parse_size_body(body)
                if their != old:
                    old = _retry_size(their, checkpoint)
                    continue
            return _answered(witness, text, status, body)
    except _Down as error:
        return WitnessOutcome(witness.name, DOWN, str(error))
    except (_Refused, ProtocolError) as error:
        return WitnessOutcome(witness.name, REFUSED, str(error))
    return WitnessOutcome(witness.name, REFUSED, "it asked for another size twice")


def _retry_size(their: int, checkpoint: Checkpoint) -> int:
    if their > checkpoint.size:
        raise _Refused(f"it has cosigned {their} entries of this ledger, more than this checkpoint's "
                       f"{checkpoint.size}: this vault is older than one it saw (a rollback or a copy)")
    return their


def _request(note: str, old: int, checkpoint: Checkpoint, proof_from: ProofFrom) -> bytes:
    proof = tuple(proof_from(old)) if 0 < old < checkpoint.size else ()
    return AddCheckpoint(old, proof, note).to_body()


_MEANINGS = {
    Status.CONFLICT: "it cosigned ANOTHER checkpoint of this size (a fork of this ledger)",
    Status.UNKNOWN_LOG: "it does not witness this ledger (give it `intake ledger vkey`)",
    Status.BAD_SIGNATURE: "it trusts another key for this ledger",
    Status.BAD_PROOF: "the consistency proof from the size it holds does not verify (a fork of this ledger)",
    Status.MALFORMED: "it found the request malformed",
}


def _answered(witness: ConfiguredWitness, text: str, status: int, body: bytes) -> WitnessOutcome:
    if status != Status.COSIGNED:
        meaning = _MEANINGS.get(status, "an unexpected answer")  # IntEnum keys match plain ints
        return WitnessOutcome(witness.name, REFUSED, f"HTTP {status}: {meaning}")
    for line in cosignature_lines(body):
        if witness.key.find(f"{text}\n{line}") is not None:
            return WitnessOutcome(witness.name, COSIGNED, "", line)
    return WitnessOutcome(witness.name, REFUSED, "its answer holds no valid cosignature by its key")


def _post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
    import http.client  # here: every export imports this module, and most desks configure no witness

    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path.rstrip("/") + PATH, body,
                           {"Content-Type": "text/plain; charset=utf-8"})
        response = connection.getresponse()
        answer = response.read(_ANSWER_LIMIT + 1)
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip()
        return response.status, content_type, answer[:_ANSWER_LIMIT]
    except (OSError, http.client.HTTPException) as error:
        raise _Down(f"unreachable ({type(error).__name__})") from error
    finally:
        connection.close()
