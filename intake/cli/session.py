"""Which vault a command works on, and unlocking it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import argparse
import os
from pathlib import Path

import platformdirs

if TYPE_CHECKING:
    from intake.vault import Vault
    from intake.keys.keystore import Keyring


ENV_VAULT = "INTAKE_VAULT"


def vault_root(args: argparse.Namespace) -> Path:
    if args.vault is not None:
        return args.vault
    if os.environ.get(ENV_VAULT):
        return Path(os.environ[ENV_VAULT])
    return platformdirs.user_data_path("intake") / "vault"


def open_vault(args: argparse.Namespace) -> Vault:
    from intake.vault import Vault

    return Vault.open(vault_root(args))


def unlock(args: argparse.Namespace, vault: Vault) -> Keyring:
    from intake.keys import passphrase

    return passphrase.obtain_accepted(args.passphrase_file, vault.unlock)
