"""The sealing policy's version, bound to the ledger, so an older policy restored is refused.

keys/policy.age is signed, so nobody without the key can change it; but an
older copy, signed as well, could be put back and silently drop an editor.
So every policy carries a serial raised at each save, and the ledger keeps,
in the same transaction as every append, one signed record:

    Ed25519( "intake-policy-state/v1\\n" ‖ origin ‖ "\\n" ‖ ledger size ‖ "\\n" ‖ serial )

The record must name the ledger's current size (an old record put back does
not) and a serial no higher than the policy's (an old policy put back has a
lower one). A policy saved but not yet recorded (a kill in between) is newer
than the record: accepted, and recorded at the next write.
"""

from __future__ import annotations

from intake.errors import CheckFailed
from intake.ledger.store import LedgerStore
from intake.keys.identity import PublicIdentity, SecretIdentity

_DOMAIN = b"intake-policy-state/v1\n"


def _statement(origin: str, size: int, serial: int) -> bytes:
    return _DOMAIN + f"{origin}\n{size}\n{serial}".encode("utf-8")


def record(store: LedgerStore, origin: str, size: int, serial: int, secret: SecretIdentity) -> None:
    """Within a transaction: never lowers the recorded serial (a caller may hold an older policy)."""
    current = store.policy_state()
    serial = max(serial, current[1]) if current is not None else serial
    store.set_policy_state(size, serial, secret.sign(_statement(origin, size, serial)))


def check(store: LedgerStore, origin: str, public: PublicIdentity, serial: int) -> None:
    """Refuse a policy older than the ledger records; a vault from before the record passes."""
    state = store.policy_state()
    if state is None:
        return
    size, recorded, signature = state
    if not public.verify(_statement(origin, size, recorded), signature):
        raise CheckFailed("the ledger's record of the sealing policy does not verify: the vault was tampered with")
    if size != store.count():
        raise CheckFailed("the ledger's record of the sealing policy is from an earlier state of the ledger: "
                          "the vault was tampered with or restored in part")
    if serial < recorded:
        raise CheckFailed(f"the vault's sealing policy (version {serial}) is older than its ledger records "
                          f"(version {recorded}): it was restored from an old copy and may leave out editors; refused")
