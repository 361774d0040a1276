"""What the screens are given instead of reaching into the app: the settings of this run and,
once unlocked, the open vault with its keyring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from intake.vault import Vault
from keys.keystore import Keyring

Clock = Callable[[], datetime]

DEFAULT_LOCK_AFTER = 600.0  # seconds without a key press or click before the app locks itself


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Settings:
    """Fixed for the whole run; tests pass a fixed clock and a short lock time."""

    clock: Clock = utc_clock
    start_dir: Path = Path(".")
    lock_after: float | None = DEFAULT_LOCK_AFTER  # None: never lock by itself


@dataclass(frozen=True)
class Session:
    """The unlocked vault: what every section works on. Dropped when the app locks."""

    vault: Vault
    keyring: Keyring
    settings: Settings

    def with_keyring(self, keyring: Keyring) -> Session:
        return Session(self.vault, keyring, self.settings)
