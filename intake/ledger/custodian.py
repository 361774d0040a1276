"""What the ledger needs of the unlocked keys, as an interface the keyring fulfils.

The ledger signs, seals and opens entries with these; it never imports the sealing policy
itself (intake/keys/keystore.py), so the key policy can change without touching the ledger.
"""

from __future__ import annotations

from typing import Protocol

from intake.keys.identity import PublicIdentity, SecretIdentity


class Custodian(Protocol):
    @property
    def secret(self) -> SecretIdentity: ...

    @property
    def public(self) -> PublicIdentity: ...

    @property
    def can_open_sealed(self) -> bool:
        """Entries and blobs are sealed to the custodian too (not only to its editors)."""

    @property
    def policy_serial(self) -> int:
        """The sealing policy's version, recorded with each tree size (policy_state)."""

    def seal_recipients(self) -> list[str]: ...
