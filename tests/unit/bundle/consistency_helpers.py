"""A photo added to a vault, for the consistency-proof and witness tests."""

from __future__ import annotations

from pathlib import Path

from intake import samples
from intake.keys.keystore import Keyring
from intake.vault import Vault

from conftest import take_in


def add_photo(vault: Vault, keyring: Keyring, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / name
    photo.write_bytes(samples.photo())
    take_in(vault, keyring, [photo])
