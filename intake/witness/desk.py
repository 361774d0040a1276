"""The desk's side: which witnesses its exports go to, how many must cosign, and what they said."""

from __future__ import annotations

from dataclasses import dataclass, replace

from intake.errors import IntakeError
from intake.witness.client import COSIGNED, WitnessOutcome
from intake.witness.configured import ConfiguredWitness
from intake.keys.keystore import SealingPolicy


def required(policy: SealingPolicy) -> int:
    """Cosignatures an export needs to count as witnessed (default: every configured witness)."""
    return len(policy.witnesses) if policy.witness_quorum is None else policy.witness_quorum


@dataclass(frozen=True)
class ExportWitnessing:
    outcomes: tuple[WitnessOutcome, ...]
    quorum: int

    @property
    def cosigned(self) -> int:
        return sum(o.result == COSIGNED for o in self.outcomes)

    @property
    def enough(self) -> bool:
        return self.cosigned >= self.quorum

    def summary(self) -> str:
        verdict = "the bundle is witnessed" if self.enough else "the bundle is NOT witnessed enough"
        return f"witnessed by {self.cosigned} of {len(self.outcomes)} (quorum {self.quorum}): {verdict}"

    def to_dict(self) -> dict[str, object]:
        return {
            "cosigned": self.cosigned, "quorum": self.quorum, "enough": self.enough,
            "witnesses": [{"name": o.name, "result": o.result, "reason": o.reason} for o in self.outcomes],
        }


def with_witness(policy: SealingPolicy, witness: ConfiguredWitness) -> SealingPolicy:
    if any(w.name == witness.name for w in policy.witnesses):
        raise IntakeError(f"a witness named {witness.name!r} is configured already; remove it first")
    if any(w.key == witness.key for w in policy.witnesses):
        raise IntakeError("that witness key is configured already, under another name")
    return replace(policy, witnesses=policy.witnesses + (witness,))


def without_witness(policy: SealingPolicy, name: str) -> SealingPolicy:
    kept = tuple(w for w in policy.witnesses if w.name != name)
    if len(kept) == len(policy.witnesses):
        raise IntakeError(f"no witness named {name!r} (see `intake witness list`)")
    quorum = policy.witness_quorum
    return replace(policy, witnesses=kept, witness_quorum=None if quorum is None or quorum > len(kept) else quorum)


def with_quorum(policy: SealingPolicy, quorum: int) -> SealingPolicy:
    if not 1 <= quorum <= len(policy.witnesses):
        raise IntakeError(f"the quorum is 1 to {len(policy.witnesses)} (the number of configured witnesses)")
    return replace(policy, witness_quorum=quorum)
