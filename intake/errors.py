"""Errors that reach the user as one line, with the exit code of the contract."""

from __future__ import annotations


class IntakeError(Exception):
    """Unusable input or a usage error: one line on stderr, exit code 2.

    Messages say what went wrong and what to do. They never carry a secret,
    a file's content or a metadata value.
    """

    exit_code = 2


class CheckFailed(IntakeError):
    """A check ran and failed (verification, refusal): exit code 1."""

    exit_code = 1


class FileRefused(CheckFailed):
    """One input file is refused (swapped, unreadable, hostile); the rest of a batch goes on."""


class WrongPassphrase(IntakeError):
    """The passphrase does not open the vault's identity."""


class WeakPassphrase(IntakeError):
    """A new passphrase shorter than the minimum."""
