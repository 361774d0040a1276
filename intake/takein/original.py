"""Receive: one original hashed, sealed and recorded in one streaming pass.

    original ──read once──▶ SHA-256 + SHA-512 ──▶ age ──▶ blobs/<random>
                                                    └──▶ signed `received` entry
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from intake.errors import FileRefused, IntakeError
from intake.support.fsutil import create_private
from intake.support.hashing import Digests, DigestingReader
from intake.support.progress import FileProgress
from intake.support.sniff import sniff_handle
from intake.takein.sources import Source, open_source

if TYPE_CHECKING:  # the vault side loads only when something is taken in: `inspect` and `sanitize` start fast
    from intake.ledger.append import Ledger
    from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class Received:
    item: str
    entry: str
    name: str
    media_type: str
    digests: Digests


def receive_original(
    source: Source, ledger: Ledger, keyring: Keyring, blobs: Path, note: str | None = None,
    progress: FileProgress | None = None,
) -> Received:
    """Seal one original into a new blob and record its `received` entry."""
    from intake.ledger.entries import RECEIVED, Draft, new_id

    blob = blobs / f"{secrets.token_hex(16)}.age"
    media_type, digests = _seal_original(source, blob, keyring, ledger, progress)
    try:
        item = new_id("itm_")
        output = {**digests.to_dict(), "media_type": media_type, "name": source.name, "blob": blob.name}
        entry = ledger.append(Draft(RECEIVED, item, outputs=(output,), note=note), keyring)
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    return Received(item, entry.id, source.name, media_type, digests)


def _seal_original(source: Source, blob: Path, keyring: Keyring, ledger: Ledger, progress: FileProgress | None) -> tuple[str, Digests]:
    from intake.blobs import partial_blob, place_blob
    from intake.keys.seal import seal_stream

    original = open_source(source)
    partial = partial_blob(blob)
    try:
        with original, os.fdopen(create_private(partial), "wb") as target:
            media_type = _sniff_source(source, original)
            report = (lambda done: progress(source.name, done, source.size)) if progress else None
            reader = DigestingReader(original, report)
            seal_stream(reader, target, keyring.seal_recipients())
            target.flush()
            os.fsync(target.fileno())
        place_blob(partial, blob, ledger)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise IntakeError(f"cannot take in {source.path} ({error.strerror or error}); nothing was recorded for it") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return media_type, reader.digests()


def _sniff_source(source: Source, original: BinaryIO) -> str:
    """Sniffed in full before any blob takes its place: a file that breaks the sniffer leaves
    nothing behind and stops nothing else (docs/threat-model.md)."""
    try:
        return sniff_handle(original)
    except Exception as error:  # whatever a hostile file does to a parser, it is refused alone
        raise FileRefused(f"{source.path} could not be read as any type ({type(error).__name__})") from error
