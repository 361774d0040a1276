"""The vault directory: create, open, unlock, lock, and where things live.

    VAULT/                0700
      vault.json          public: format, ledger origin, public keys (no name)
      keys/identity.key   secret identity, sealed with the passphrase (Argon2id + ChaCha20-Poly1305)
      keys/policy.age     sealing policy (recipients), sealed to the vault, signed
      ledger.sqlite       custody ledger: commitments, sealed entries, checkpoints
      blobs/              sealed originals under random names
      partial/            sealed files being written, renamed into blobs/ when complete
      lock                serializes commands on one vault

Nothing here holds a file name, note, content or metadata value in the clear.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from intake.blobs import partial_folder, remove_orphans, remove_partial_blobs
from intake.ledger import policy_state
from intake.support.canonical import canonical_json
from intake.errors import CheckFailed, IntakeError, WeakPassphrase
from intake.support.fsutil import PARTIAL_PREFIX, PRIVATE_DIR, atomic_write, fsync_dir, make_private_dir, remove_files
from intake.ledger.audit import read_checkpoint
from intake.ledger.append import Ledger
from intake.ledger.note import Verifier
from intake.ledger.store import LedgerStore
from intake.keys.identity import PublicIdentity, SecretIdentity
from intake.keys.keystore import Keyring, SealingPolicy, load_identity, load_policy, save_identity, save_policy

VAULT_FORMAT = "intake-vault/1"
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class VaultConfig:
    origin: str
    signing_key: bytes
    age_recipient: str

    def to_bytes(self) -> bytes:
        return canonical_json({
            "format": VAULT_FORMAT,
            "origin": self.origin,
            "ed25519": self.signing_key.hex(),
            "age": self.age_recipient,
        }) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> "VaultConfig":
        try:
            document = json.loads(data)
            if document["format"] != VAULT_FORMAT:
                raise ValueError("format")
            return cls(str(document["origin"]), bytes.fromhex(document["ed25519"]), str(document["age"]))
        except (ValueError, KeyError, TypeError) as error:
            raise IntakeError("vault.json is not an intake vault description (damaged or another format)") from error


def say_waiting() -> None:
    print("intake: waiting for another intake command on this vault...", file=sys.stderr)


@dataclass(frozen=True)
class Vault:
    """`on_wait` is called once when another command holds the lock: the command line prints
    a line, the app shows a notice (a line on stderr would garble its screen)."""

    root: Path
    config: VaultConfig
    on_wait: Callable[[], None] = field(default=say_waiting, compare=False, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / "vault.json"

    @property
    def identity_path(self) -> Path:
        return self.root / "keys" / "identity.key"

    @property
    def policy_path(self) -> Path:
        return self.root / "keys" / "policy.age"

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def scratch(self) -> Path:
        """Where nameless working copies go: partial/, or blobs/ in a vault made before partial/
        that no writing command has opened yet (it is made under the exclusive lock)."""
        folder = partial_folder(self.blobs)
        return folder if folder.is_dir() else self.blobs

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.config.origin, self.config.signing_key)

    @classmethod
    def open(cls, root: Path, on_wait: Callable[[], None] = say_waiting) -> "Vault":
        config_path = root / "vault.json"
        try:
            if not root.is_dir() or not config_path.is_file():
                raise IntakeError(f"no vault at {root}: create one with `intake init`, or pass --vault DIR")
            require_private_folders(root)
            config = VaultConfig.from_bytes(config_path.read_bytes())
        except OSError as error:
            raise IntakeError(f"cannot read the vault at {root} ({error.strerror}); "
                              "run intake as the vault's owner") from error
        return cls(root, config, on_wait)

    def unlock(self, passphrase: str) -> Keyring:
        secret = load_identity(self.identity_path, passphrase)
        public = secret.public()
        if (public.signing_key, public.age_recipient) != (self.config.signing_key, self.config.age_recipient):
            raise CheckFailed("vault.json names other keys than the vault's identity: the vault was tampered with")
        return Keyring(secret, self.unlock_policy(secret))

    def reread_policy(self, keyring: Keyring) -> Keyring:
        """The keyring with the policy as saved now: call under the lock, so that a recipient or
        witness another command added meanwhile is used, and not lost by a change made here."""
        return Keyring(keyring.secret, self.unlock_policy(keyring.secret))

    def unlock_policy(self, secret: SecretIdentity) -> SealingPolicy:
        """The policy, refused if older than the ledger records (intake/ledger/policy_state.py)."""
        policy = load_policy(self.policy_path, secret)
        store = LedgerStore.open(self.ledger_path)
        try:
            with store.reading():
                policy_state.check(store, self.config.origin, secret.public(), policy.serial)
        finally:
            store.close()
        return policy

    def public_keys(self) -> PublicIdentity:
        """Public keys from vault.json; the name is sealed, so it is left blank."""
        return PublicIdentity("-", self.config.signing_key, self.config.age_recipient)

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        store = LedgerStore.open(self.ledger_path)
        try:
            yield Ledger(store, self.config.origin, self.verifier)
        finally:
            store.close()

    @contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[None]:
        """Serialize commands: writers exclusive, readers shared."""
        try:
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as error:
            raise IntakeError(f"cannot lock the vault ({error.strerror}); is it on a read-only disk?") from error
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                self.on_wait()
                fcntl.flock(fd, mode)
            if exclusive:
                self._remove_partial_files()
                self._remove_orphan_blobs()
            yield
        finally:
            os.close(fd)

    def _remove_partial_files(self) -> None:
        """Files a killed command left half-written: sealed bytes, never referenced (in the root: a
        received submission unwrapped from OpenPGP, still sealed with age). Blobs are written in
        partial/, so blobs/ itself, which holds every sealed file, is not listed (intake/blobs.py)."""
        for folder in (self.root, self.root / "keys"):
            remove_files(folder, lambda name: name.startswith(PARTIAL_PREFIX))
        remove_partial_blobs(self.blobs)

    def _remove_orphan_blobs(self) -> None:
        store = LedgerStore.open(self.ledger_path)
        try:
            remove_orphans(store, self.blobs)
        finally:
            store.close()

    def save_policy(self, keyring: Keyring, policy: SealingPolicy) -> Keyring:
        """Call under the exclusive lock. The file first, then the ledger's record: a kill in
        between leaves a policy newer than the record, which is accepted."""
        policy = replace(policy, serial=policy.serial + 1)
        save_policy(self.policy_path, policy, keyring.secret)
        with self.ledger() as ledger, ledger.store.transaction():
            policy_state.record(ledger.store, self.config.origin, ledger.store.count(), policy.serial, keyring.secret)
        return Keyring(keyring.secret, policy)

    def change_policy(self, keyring: Keyring, change: Callable[[SealingPolicy], SealingPolicy | None]) -> Keyring:
        """Take the exclusive lock, read the policy again (so a concurrent change is not lost), and
        sign and seal what `change` makes of it; `change` returns None to leave it as it is."""
        with self.locked():
            current = self.reread_policy(keyring)
            changed = change(current.policy)
            return current if changed is None else self.save_policy(current, changed)

    def check_saved_checkpoint(self, note: str) -> None:
        read_checkpoint(note, self.config.origin, self.verifier)


def require_private_folders(root: Path) -> None:
    """Fail closed: anyone who may write into the vault may swap its policy, ledger or blobs."""
    partial = root / "partial"  # absent from a vault made before it: made at its first exclusive lock
    for folder in (root, root / "keys", root / "blobs", *([partial] if os.path.lexists(partial) else [])):
        mode = folder.lstat().st_mode
        if stat.S_ISLNK(mode) or stat.S_IMODE(mode) & 0o022:
            raise IntakeError(f"the vault folder {folder} is writable by other users (mode "
                              f"{stat.S_IMODE(mode):04o}); refused: run `chmod 700 {folder}` if it is yours")


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(f"a vault passphrase needs at least {MIN_PASSPHRASE} characters")
    return passphrase


def create_vault(
    root: Path, name: str, passphrase: str, write_only: bool = False, recipients: tuple[str, ...] = ()
) -> Vault:
    """Build the vault beside its final place, then rename it in: all or nothing."""
    check_passphrase(passphrase)
    if write_only and not recipients:
        raise IntakeError("a write-only vault needs at least one --recipient (an editor's public identity)")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise IntakeError(f"{root} already exists and is not empty; choose another --vault")
    secret = SecretIdentity.generate(name)
    policy = SealingPolicy(seal_to_self=not write_only)
    for text in recipients:
        policy = policy.with_recipient(text)
    root.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    staging = root.with_name(f".{root.name}.partial-{secrets.token_hex(4)}")
    try:
        _populate(staging, secret, policy, passphrase)
        if root.exists():
            root.rmdir()
        os.rename(staging, root)
        fsync_dir(root.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Vault.open(root)


def _populate(staging: Path, secret: SecretIdentity, policy: SealingPolicy, passphrase: str) -> None:
    make_private_dir(staging)
    make_private_dir(staging / "keys")
    make_private_dir(staging / "blobs")
    make_private_dir(staging / "partial")
    public = secret.public()
    origin = f"intake.ledger/{secrets.token_hex(8)}"
    atomic_write(staging / "vault.json", VaultConfig(origin, public.signing_key, public.age_recipient).to_bytes())
    save_identity(staging / "keys" / "identity.key", secret, passphrase)
    save_policy(staging / "keys" / "policy.age", policy, secret)
    store = LedgerStore.create(staging / "ledger.sqlite")
    try:
        with store.transaction():
            policy_state.record(store, origin, 0, policy.serial, secret)
    finally:
        store.close()
