"""Which vault a command works on, and unlocking it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

import argparse
import os
import threading
from pathlib import Path


if TYPE_CHECKING:
    from intake.vault import Vault
    from intake.keys.keystore import Keyring


ENV_VAULT = "INTAKE_VAULT"
T = TypeVar("T")


def vault_root(args: argparse.Namespace) -> Path:
    if args.vault is not None:
        return args.vault
    if os.environ.get(ENV_VAULT):
        return Path(os.environ[ENV_VAULT])
    import platformdirs  # only here: 8 ms of every command's start-up, `inspect` and `--help` too

    return platformdirs.user_data_path("intake") / "vault"


def open_vault(args: argparse.Namespace) -> Vault:
    from intake.vault import Vault

    return Vault.open(vault_root(args))


def unlock(args: argparse.Namespace, vault: Vault) -> Keyring:
    from intake.keys import passphrase

    return passphrase.obtain_accepted(args.passphrase_file, vault.unlock)


def unlock_while(args: argparse.Namespace, vault: Vault, work: Callable[[], T]) -> tuple[Keyring, T]:
    """unlock(args, vault), with `work` done meanwhile when the passphrase is given by file or
    environment: Argon2id runs outside the GIL, so what `work` imports costs no wall time (export:
    0.1 s of modules beside 0.16 s of Argon2id). Typed at a terminal, it is asked for first, as ever.
    The unlocking thread has ended when this returns (a process with threads does not fork)."""
    from intake.keys import passphrase

    given = passphrase.supplied(args.passphrase_file)
    if given is None:
        return unlock(args, vault), work()
    outcome: list[Keyring | BaseException] = []

    def unlocking() -> None:
        try:
            outcome.append(vault.unlock(given))
        except BaseException as error:  # raised below, in this thread, as unlock(args, vault) raises it
            outcome.append(error)

    thread = threading.Thread(target=unlocking, name="unlock")
    thread.start()
    try:
        done = work()
    finally:
        thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0], done
