"""Where a passphrase comes from: a terminal prompt, a file or the environment.

Never a command-line argument: those are visible to every user of the
machine and end up in shell history.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from intake.errors import IntakeError, WeakPassphrase, WrongPassphrase
from intake.support.fsutil import PASSPHRASE_FILE_LIMIT, read_regular_text

ENV_VAR = "INTAKE_PASSPHRASE"
T = TypeVar("T")


def supplied(passphrase_file: Path | None) -> str | None:
    """A passphrase given by file or environment, without prompting."""
    if passphrase_file is not None:
        text = read_regular_text(passphrase_file, PASSPHRASE_FILE_LIMIT, "the passphrase file")
        return text.splitlines()[0] if text else ""
    return os.environ.get(ENV_VAR) or None


TRIES = 3


def obtain_accepted(
    passphrase_file: Path | None, accept: Callable[[str], T], prompt: str = "Vault passphrase: ",
    confirm: bool = False,
) -> T:
    """The passphrase as `accept` takes it (unlocking, or checking a new one's length). Typed at
    the terminal, a wrong or too short one is asked again, up to TRIES times, and a new one is
    checked before it is repeated; one given by file or environment is tried once."""
    given = supplied(passphrase_file)
    if given is not None:
        return accept(given)
    if not sys.stdin.isatty():
        raise IntakeError(f"a passphrase is needed: run on a terminal, or set {ENV_VAR} or --passphrase-file FILE")
    left = TRIES
    while True:
        typed = getpass.getpass(prompt)
        left -= 1
        try:
            accepted = accept(typed)
        except (WrongPassphrase, WeakPassphrase) as error:
            if not left:
                raise
            sys.stderr.write(f"intake: {error}; try again ({left} left)\n")
            continue
        if confirm and getpass.getpass("Repeat the passphrase: ") != typed:
            raise IntakeError("the two passphrases differ; nothing was created")
        return accepted


def optional(passphrase_file: Path | None, prompt: str) -> str | None:
    """For commands that do more with a passphrase but work without one."""
    given = supplied(passphrase_file)
    if given is not None or not sys.stdin.isatty():
        return given
    return getpass.getpass(prompt) or None
