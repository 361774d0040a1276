"""The keys a vault works with besides its own: the editors it seals to (reading their identity
files, adding them) and the GPG key that co-signs its exports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from intake.errors import IdentityError, IntakeError
from intake.support.fsutil import IDENTITY_FILE_LIMIT, read_regular_text
from intake.vault import Vault
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring, SealingPolicy


@dataclass(frozen=True)
class RecipientFile:
    text: str  # exactly as exported; the policy keeps it so the self-signature stays checkable
    identity: PublicIdentity


@dataclass(frozen=True)
class RecipientAdded:
    keyring: Keyring  # with the policy as now saved
    added: bool  # False when the identity already was a recipient


def read_identity_file(path: Path) -> RecipientFile:
    """An exported public identity, its self-signature checked."""
    text = read_regular_text(path, IDENTITY_FILE_LIMIT, "the identity file")
    try:
        identity = PublicIdentity.from_text(text)
    except IdentityError as error:
        raise IntakeError(f"{path}: {error}") from error
    return RecipientFile(text, identity)


def check_not_self(keyring: Keyring, identity: PublicIdentity) -> None:
    if identity.fingerprint == keyring.public.fingerprint:
        raise IntakeError("that is this vault's own identity")


def add_recipient(vault: Vault, keyring: Keyring, recipient: RecipientFile) -> RecipientAdded:
    """Seal everything from now on also to this identity (after its words were confirmed).

    The policy is read again under the exclusive lock, so a concurrent change is not lost.
    """
    check_not_self(keyring, recipient.identity)
    added = False

    def with_recipient(policy: SealingPolicy) -> SealingPolicy | None:
        nonlocal added
        if any(r.fingerprint == recipient.identity.fingerprint for r in policy.recipients):
            return None
        added = True
        return policy.with_recipient(recipient.text)

    return RecipientAdded(vault.change_policy(keyring, with_recipient), added)


@dataclass(frozen=True)
class GpgLinked:
    keyring: Keyring  # with the policy as now saved
    fingerprint: str
    user_id: str | None


def link_gpg_key(vault: Vault, keyring: Keyring, fingerprint: str) -> GpgLinked:
    """Exports from now on also carry OpenPGP signatures by this GPG secret key (full fingerprint)."""
    from intake.keys.openpgp import find_key  # only when asked: python-gnupg looks for gpg

    key = find_key(fingerprint, secret=True)
    keyring = vault.change_policy(keyring, lambda policy: replace(policy, openpgp=key.fingerprint))
    return GpgLinked(keyring, key.fingerprint, key.user_ids[0] if key.user_ids else None)
