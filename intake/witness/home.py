"""A witness's state folder: its private key and its SQLite state, created together."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from intake.errors import CosignatureError, IntakeError, StateError
from intake.support.fsutil import PRIVATE_DIR, atomic_write, read_regular_file
from intake.witness.cosignature import Cosigner
from intake.witness.state import KEY_FILE, WitnessState

_KEY_LIMIT = 4096


@dataclass(frozen=True)
class WitnessHome:
    cosigner: Cosigner
    state: WitnessState


def create_witness(folder: Path, name: str) -> WitnessHome:
    """A new key and an empty state; refuses a folder that already holds a witness."""
    if (folder / KEY_FILE).exists():
        raise IntakeError(f"{folder} already holds a witness key; choose another --state")
    cosigner = Cosigner.generate(name)
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(folder, PRIVATE_DIR)
    state = WitnessState.create(folder)
    atomic_write(folder / KEY_FILE, cosigner.to_text().encode("ascii"))
    return WitnessHome(cosigner, state)


def open_witness(folder: Path) -> WitnessHome:
    state = WitnessState.open(folder)
    try:
        text = read_regular_file(folder / KEY_FILE, _KEY_LIMIT, "the witness key").decode("ascii")
        return WitnessHome(Cosigner.from_text(text), state)
    except (UnicodeDecodeError, CosignatureError, ValueError) as error:
        raise StateError(f"the witness key in {folder} is damaged") from error
