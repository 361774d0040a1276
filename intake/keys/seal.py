"""Sealing with the age format (C2SP age v1) to X25519 recipients, through pyrage.

Anything sealed here opens with the stock `age -d -i IDENTITY` command.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import BinaryIO

import pyrage
from pyrage import x25519

from intake.errors import SealError, SealWriteFailed


def _recipients(recipients: Sequence[str]) -> list[x25519.Recipient]:
    if not recipients:
        raise SealError("nothing can be sealed without at least one recipient")
    return [x25519.Recipient.from_str(r) for r in recipients]


_WRITE_FAILED = "sealing stopped before the end (is the disk full, or the input unreadable?); nothing was recorded"


def seal(data: bytes, recipients: Sequence[str]) -> bytes:
    try:
        return pyrage.encrypt(data, _recipients(recipients))
    except pyrage.EncryptError as error:
        raise SealWriteFailed(_WRITE_FAILED) from error


def seal_stream(source: BinaryIO, target: BinaryIO, recipients: Sequence[str]) -> None:
    """Seal `source` into `target` in constant memory. pyrage reports a failed write (ENOSPC,
    EFBIG) or read as EncryptError, which says nothing of the cause: a one-line refusal here."""
    try:
        pyrage.encrypt_io(source, target, _recipients(recipients))
    except pyrage.EncryptError as error:
        raise SealWriteFailed(_WRITE_FAILED) from error


def unseal(sealed: bytes, identities: Sequence[x25519.Identity]) -> bytes:
    """The opened bytes of a small sealed record. Through decrypt_io into a buffer: pyrage's
    decrypt(bytes) costs about 40 % more per record (120 against 85 µs for a custody entry), and
    `ledger verify` opens every entry. decrypt_io reports a damaged payload as OSError (a damaged
    header as DecryptError): from an in-memory reader and writer, both mean the record does not open."""
    opened = io.BytesIO()
    try:
        pyrage.decrypt_io(io.BytesIO(sealed), opened, list(identities))
    except (pyrage.DecryptError, OSError) as error:
        raise SealError("a sealed record does not open with this vault's identity") from error
    return opened.getvalue()


def unseal_stream(source: BinaryIO, target: BinaryIO, identities: Sequence[x25519.Identity]) -> None:
    try:
        pyrage.decrypt_io(source, target, list(identities))
    except pyrage.DecryptError as error:
        raise SealError("a sealed blob does not open with this vault's identity") from error


__all__ = ["SealError", "SealWriteFailed", "seal", "seal_stream", "unseal", "unseal_stream"]
