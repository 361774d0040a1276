"""The keys a vault works with besides its own: the editors it seals to (reading their identity
files, adding them) and the GPG key that co-signs its exports."""

from __future__ import annotations

from dataclasses import dataclass, replace
import os
from collections.abc import Callable
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


def write_public_identity(keyring: Keyring, target: Path) -> None:
    """This vault's public identity file, for the people who seal to it. Never overwrites; the
    file is public, so readable by all."""
    try:
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(keyring.secret.export_public())
    except FileExistsError as error:
        raise IntakeError(f"{target} already exists; choose another file name") from error
    except OSError as error:
        raise IntakeError(f"cannot write {target} ({error.strerror})") from error
    os.chmod(target, 0o644)


@dataclass(frozen=True)
class RecipientRemoved:
    keyring: Keyring  # with the policy as now saved
    removed: PublicIdentity


def remove_recipient(vault: Vault, keyring: Keyring, fingerprint: bytes) -> RecipientRemoved:
    """Seal nothing more to this recipient from now on. What was already sealed to them stays
    openable by them: sealing cannot be undone. A write-only vault keeps at least one editor,
    or it would seal to nobody. The policy is read again under the exclusive lock."""
    with vault.locked():
        keyring = vault.reread_policy(keyring)
        policy = keyring.policy
        found = next((r for r in policy.recipients if r.fingerprint == fingerprint), None)
        if found is None:
            raise IntakeError("that key is not a recipient of this vault (see `intake keys list`)")
        if not policy.seal_to_self and len(policy.recipients) == 1:
            raise IntakeError("this write-only vault seals to that editor only; add another recipient first")
        return RecipientRemoved(vault.save_policy(keyring, policy.without_recipient(fingerprint)), found)


def find_recipient(keyring: Keyring, matches: Callable[[PublicIdentity], bool]) -> PublicIdentity:
    """The one recipient a pin (hex, words or key file) names."""
    found = [r for r in keyring.policy.recipients if matches(r)]
    if not found:
        raise IntakeError("no recipient of this vault has that fingerprint (see `intake keys list`)")
    if len(found) > 1:
        raise IntakeError("more than one recipient matches; give the whole hex fingerprint")
    return found[0]


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
