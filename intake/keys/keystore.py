"""The vault's secrets at rest, and the sealing policy they unlock.

The secret identity is sealed under the passphrase with Argon2id (RFC 9106,
64 MiB, 3 passes, 4 lanes) and ChaCha20-Poly1305, both from `cryptography`.
age's own passphrase format was the first choice, but rage picks scrypt with
512 MiB of memory and pyrage cannot lower it: that breaks the memory budget
on the borrowed laptops this runs on. The plaintext is still an age identity
file, and docs/formats.md gives the ten-line recovery recipe. The sealing policy
(who may open what the vault seals) is sealed to the vault's own age identity
and signed by its Ed25519 key: nobody without the passphrase can read it, and
nobody without the key can change it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from intake.support.canonical import canonical_json
from intake.errors import CheckFailed, IdentityError, IntakeError, SealError, WrongPassphrase
from intake.support.fsutil import atomic_write
from intake.keys.seal import seal, unseal
from intake.keys.passphrase_box import lock_secret, unlock_secret
from intake.witness.configured import ConfiguredWitness
from intake.keys.identity import PublicIdentity, SecretIdentity

_POLICY_DOMAIN = b"intake-sealing-policy/v1\n"


def save_identity(path: Path, identity: SecretIdentity, passphrase: str) -> None:
    atomic_write(path, lock_secret(identity.to_secret_text().encode("utf-8"), passphrase))


def load_identity(path: Path, passphrase: str) -> SecretIdentity:
    try:
        sealed = path.read_bytes()
    except OSError as error:
        raise IntakeError(f"cannot read the vault's identity file ({error.strerror})") from error
    plain = unlock_secret(sealed, passphrase)
    if plain is None:
        raise WrongPassphrase("wrong passphrase for this vault (nothing was changed)")
    return SecretIdentity.from_secret_text(plain.decode("utf-8"))


@dataclass(frozen=True)
class TimestampAuthority:
    """An RFC 3161 TSA the desk asks at every export, and the CA certificate (PEM) its tokens must chain to."""

    url: str
    ca_pem: str


@dataclass(frozen=True)
class SealingPolicy:
    """Whom the vault seals to. A write-only field vault leaves itself out."""

    seal_to_self: bool
    recipients: tuple[PublicIdentity, ...] = field(default=())
    exported: tuple[str, ...] = field(default=())
    openpgp: str | None = None  # fingerprint of a linked GPG key that also signs exports
    witnesses: tuple[ConfiguredWitness, ...] = field(default=())  # asked to cosign every export's checkpoint
    witness_quorum: int | None = None  # cosignatures a bundle needs to count as witnessed; None: all
    timestamp_authorities: tuple[TimestampAuthority, ...] = field(default=())
    # Raised by every save; the ledger records it, so an older copy restored is refused
    # (intake/ledger/policy_state.py). Policies saved before it existed read as 0.
    serial: int = 0

    def with_recipient(self, text: str) -> "SealingPolicy":
        identity = PublicIdentity.from_text(text)
        if any(r.fingerprint == identity.fingerprint for r in self.recipients):
            return self
        return replace(self, recipients=self.recipients + (identity,), exported=self.exported + (text,))

    def without_recipient(self, fingerprint: bytes) -> "SealingPolicy":
        """The policy without this recipient (its exported text goes with it)."""
        kept = [(r, text) for r, text in zip(self.recipients, self.exported) if r.fingerprint != fingerprint]
        return replace(self, recipients=tuple(r for r, _ in kept), exported=tuple(text for _, text in kept))

    def age_recipients(self, own: PublicIdentity) -> list[str]:
        chosen = [r.age_recipient for r in self.recipients]
        if self.seal_to_self:
            chosen.insert(0, own.age_recipient)
        return chosen


@dataclass(frozen=True)
class Keyring:
    """What an unlocked vault holds in memory, and only there."""

    secret: SecretIdentity
    policy: SealingPolicy

    @cached_property
    def public(self) -> PublicIdentity:
        """Derived once: an append of 500 entries asked for it twice per entry."""
        return self.secret.public()

    @property
    def can_open_sealed(self) -> bool:
        return self.policy.seal_to_self

    @property
    def policy_serial(self) -> int:
        return self.policy.serial

    def seal_recipients(self) -> list[str]:
        return self.policy.age_recipients(self.public)


def save_policy(path: Path, policy: SealingPolicy, secret: SecretIdentity) -> None:
    body = {"v": 1, "seal_to_self": policy.seal_to_self, "recipients": list(policy.exported), "openpgp": policy.openpgp}
    if policy.witnesses or policy.witness_quorum is not None:  # older vaults' policies stay byte-identical
        body["witnesses"] = [w.to_dict() for w in policy.witnesses]
        body["witness_quorum"] = policy.witness_quorum
    if policy.timestamp_authorities:  # absent otherwise, so a policy without them stays as it was
        body["tsa"] = [{"url": tsa.url, "ca": tsa.ca_pem} for tsa in policy.timestamp_authorities]
    if policy.serial:
        body["serial"] = policy.serial
    signature = secret.sign(_POLICY_DOMAIN + canonical_json(body))
    document = {"policy": body, "signature": base64.b64encode(signature).decode("ascii")}
    atomic_write(path, seal(canonical_json(document), [str(secret.age_identity.to_public())]))


def load_policy(path: Path, secret: SecretIdentity) -> SealingPolicy:
    try:
        document = json.loads(unseal(path.read_bytes(), [secret.age_identity]))
        body = document["policy"]
        signature = base64.b64decode(document["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, SealError) as error:
        raise CheckFailed("the vault's sealing policy is unreadable; the vault is damaged") from error
    if not secret.public().verify(_POLICY_DOMAIN + canonical_json(body), signature):
        raise CheckFailed("the vault's sealing policy was altered (its signature does not verify)")
    openpgp = body.get("openpgp")
    if openpgp is not None and not (isinstance(openpgp, str) and openpgp.isalnum()):
        raise CheckFailed("the vault's linked OpenPGP key is damaged")
    serial = body.get("serial", 0)
    if type(serial) is not int or serial < 0:
        raise CheckFailed("the vault's sealing policy is damaged (its version)")
    policy = SealingPolicy(seal_to_self=bool(body["seal_to_self"]), openpgp=openpgp, serial=serial, **_witnesses(body),
                           timestamp_authorities=_timestamp_authorities(body.get("tsa", [])))
    try:
        for text in body["recipients"]:
            policy = policy.with_recipient(text)
    except IdentityError as error:
        raise CheckFailed("a recipient in the sealing policy is damaged") from error
    return policy


def _witnesses(body: dict) -> dict:
    """The desk's witnesses; a policy written before witnesses existed has none."""
    try:
        witnesses = tuple(ConfiguredWitness.from_dict(w) for w in body.get("witnesses", []))
        quorum = body.get("witness_quorum")
        if quorum is not None and (type(quorum) is not int or quorum < 1):
            raise ValueError("quorum")
    except (IntakeError, KeyError, TypeError, ValueError) as error:
        raise CheckFailed("the witnesses in the sealing policy are damaged") from error
    return {"witnesses": witnesses, "witness_quorum": quorum}


def _timestamp_authorities(listed: object) -> tuple[TimestampAuthority, ...]:
    try:
        return tuple(TimestampAuthority(str(tsa["url"]), str(tsa["ca"])) for tsa in listed)  # type: ignore[attr-defined]
    except (KeyError, TypeError) as error:
        raise CheckFailed("a time-stamping authority in the sealing policy is damaged") from error
