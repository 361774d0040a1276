"""A verifier's witness policy: which witnesses it trusts, and how many must have cosigned.

    # witnesses we trust to catch a fork of the desk's ledger
    witness.example.org/w1+1c5e2a07+BA3...=
    partner.example/w+9f00aa12+BBb...=
    quorum 2

One cosignature/v1 verifier key (c2sp.org/signed-note vkey, type 0x04) per
line, `#` comments and blank lines ignored, and at most one `quorum K` line
(default: every listed witness). The policy comes from the verifier, never
from the bundle: a bundle can carry any number of cosignatures from keys its
custodian made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from intake.errors import PolicyError
from intake.support.fsutil import read_regular_file
from intake.errors import CosignatureError
from intake.witness.cosignature import CosignerKey

_POLICY_LIMIT = 64 << 10


@dataclass(frozen=True)
class PolicyCheck:
    cosigned: tuple[str, ...]
    missing: tuple[str, ...]
    quorum: int

    @property
    def ok(self) -> bool:
        return len(self.cosigned) >= self.quorum


@dataclass(frozen=True)
class WitnessPolicy:
    witnesses: tuple[CosignerKey, ...]
    quorum: int

    def __post_init__(self) -> None:
        if not self.witnesses:
            raise PolicyError("a witness policy names at least one witness key")
        if len({(w.name, w.key_id) for w in self.witnesses}) != len(self.witnesses):
            raise PolicyError("a witness policy names a witness twice")
        if not 1 <= self.quorum <= len(self.witnesses):
            raise PolicyError(f"the quorum is 1 to {len(self.witnesses)} (the number of witnesses listed)")

    @classmethod
    def parse(cls, text: str) -> WitnessPolicy:
        keys: list[CosignerKey] = []
        quorum: int | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("quorum"):
                if quorum is not None:
                    raise PolicyError(f"witness policy line {number}: a second quorum line")
                quorum = _quorum(line, number)
                continue
            try:
                keys.append(CosignerKey.from_vkey(line))
            except CosignatureError as error:
                raise PolicyError(f"witness policy line {number}: {error}") from None
        return cls(tuple(keys), len(keys) if quorum is None else quorum)

    @classmethod
    def read(cls, path: Path) -> WitnessPolicy:
        try:
            text = read_regular_file(path, _POLICY_LIMIT, "the witness policy").decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(f"the witness policy {path} is not UTF-8 text") from None
        return cls.parse(text)

    def check(self, note: str) -> PolicyCheck:
        """Which trusted witnesses validly cosigned this checkpoint note."""
        found = [w for w in self.witnesses if w.find(note) is not None]
        missing = [w.name for w in self.witnesses if w not in found]
        return PolicyCheck(tuple(w.name for w in found), tuple(missing), self.quorum)


def _quorum(line: str, number: int) -> int:
    _, _, value = line.partition(" ")
    if not value.isascii() or not value.isdigit():
        raise PolicyError(f"witness policy line {number}: write `quorum K` with K a number")
    return int(value)
