"""Sealing with the age format (C2SP age v1) to X25519 recipients, through pyrage.

Anything sealed here opens with the stock `age -d -i IDENTITY` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import pyrage
from pyrage import x25519

from intake.errors import IntakeError


class SealError(IntakeError):
    """A sealed blob does not open with the identities at hand."""


def _recipients(recipients: Sequence[str]) -> list[x25519.Recipient]:
    if not recipients:
        raise SealError("nothing can be sealed without at least one recipient")
    return [x25519.Recipient.from_str(r) for r in recipients]


def seal(data: bytes, recipients: Sequence[str]) -> bytes:
    return pyrage.encrypt(data, _recipients(recipients))


def seal_stream(source: BinaryIO, target: BinaryIO, recipients: Sequence[str]) -> None:
    """Seal `source` into `target` in constant memory."""
    pyrage.encrypt_io(source, target, _recipients(recipients))


def unseal(sealed: bytes, identities: Sequence[x25519.Identity]) -> bytes:
    try:
        return pyrage.decrypt(sealed, list(identities))
    except pyrage.DecryptError as error:
        raise SealError("a sealed record does not open with this vault's identity") from error


def unseal_stream(source: BinaryIO, target: BinaryIO, identities: Sequence[x25519.Identity]) -> None:
    try:
        pyrage.decrypt_io(source, target, list(identities))
    except pyrage.DecryptError as error:
        raise SealError("a sealed blob does not open with this vault's identity") from error


__all__ = ["SealError", "seal", "seal_stream", "unseal", "unseal_stream"]
