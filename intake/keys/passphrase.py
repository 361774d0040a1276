"""Where a passphrase comes from: a terminal prompt, a file or the environment.

Never a command-line argument: those are visible to every user of the
machine and end up in shell history.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from intake.errors import IntakeError
from intake.support.fsutil import PASSPHRASE_FILE_LIMIT, read_regular_text

ENV_VAR = "INTAKE_PASSPHRASE"


def supplied(passphrase_file: Path | None) -> str | None:
    """A passphrase given by file or environment, without prompting."""
    if passphrase_file is not None:
        text = read_regular_text(passphrase_file, PASSPHRASE_FILE_LIMIT, "the passphrase file")
        return text.splitlines()[0] if text else ""
    return os.environ.get(ENV_VAR) or None


def obtain(passphrase_file: Path | None, prompt: str = "Vault passphrase: ", confirm: bool = False) -> str:
    given = supplied(passphrase_file)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise IntakeError(f"a passphrase is needed: run on a terminal, or set {ENV_VAR} or --passphrase-file FILE")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise IntakeError("the two passphrases differ; nothing was created")
    return first


def optional(passphrase_file: Path | None, prompt: str) -> str | None:
    """For commands that do more with a passphrase but work without one."""
    given = supplied(passphrase_file)
    if given is not None or not sys.stdin.isatty():
        return given
    return getpass.getpass(prompt) or None
