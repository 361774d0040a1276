"""What the screens are given instead of reaching into the app: the settings of this run and,
once unlocked, the open vault with its keyring."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from intake.errors import IntakeError
from intake.vault import Vault
from intake.keys.keystore import Keyring

Clock = Callable[[], datetime]

DEFAULT_LOCK_AFTER = 600.0  # seconds without a key press or click before the app locks itself
LOCK_VARIABLE = "INTAKE_LOCK_MINUTES"


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


def lock_after_from(environ: Mapping[str, str]) -> float | None:
    """INTAKE_LOCK_MINUTES: minutes without a key press before the app locks (0: never; default 10)."""
    given = environ.get(LOCK_VARIABLE, "").strip()
    if not given:
        return DEFAULT_LOCK_AFTER
    try:
        minutes = float(given)
    except ValueError:
        minutes = -1.0
    if not 0 <= minutes <= 24 * 60:
        raise IntakeError(f"{LOCK_VARIABLE} must be a number of minutes from 0 (never lock) to 1440")
    return minutes * 60 if minutes else None


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
