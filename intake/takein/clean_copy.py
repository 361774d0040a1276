"""Clean and record: a just-received original cleaned (intake.clean) into a derived item.

The clean copy and a findings report are sealed, and a `sanitized` entry whose parent is
the `received` one records them. The original is read again and its hash checked against
what was sealed: a file that changed in between is not cleaned.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from intake.clean import IN_MEMORY_BYTES, Cleaned, CleanedFile, clean_file_within, clean_within
from intake.errors import FileRefused, IntakeError, Refused
from intake.support.canonical import canonical_json
from intake.support.fsutil import create_private, read_regular_file
from intake.support.hashing import Digests, DigestingReader, digest_bytes
from intake.takein.original import Received
from intake.takein.sources import Source, open_source

if TYPE_CHECKING:
    from intake.ledger.append import Ledger
    from intake.keys.keystore import Keyring


@dataclass(frozen=True)
class Sanitized:
    """The clean copy of a received item: a derived item of its own."""

    item: str
    entry: str
    removed: dict[str, int]
    digests: Digests
    kept: tuple[str, ...] = ()  # what --keep-hdr kept that is removed by default


@dataclass(frozen=True)
class NotCleaned:
    reason: str


def clean_received(
    source: Source, received: Received, ledger: Ledger, keyring: Keyring, blobs: Path, keep_hdr: bool = False
) -> Sanitized | NotCleaned:
    """Clean a just-received file into a derived item, with its sealed findings report.

    The file is read again, so its hash is checked against what was sealed:
    a file that changed in between is not cleaned. A small file is cleaned in
    memory; a bigger one by stream (intake.clean.clean_file) into a nameless
    file in partial/ (O_TMPFILE: a kill leaves nothing), which is sealed from there.
    `keep_hdr` keeps HDR gain maps (intake.clean); the sealed findings report lists them as kept.
    """
    from intake.blobs import partial_folder

    if source.size <= IN_MEMORY_BYTES:
        return _sanitize_in_memory(source, received, ledger, keyring, blobs, keep_hdr)
    try:
        original = open_source(source)
    except FileRefused as error:
        return NotCleaned(str(error))
    with original, tempfile.TemporaryFile(dir=partial_folder(blobs)) as clean:
        try:
            cleaned = clean_file_within(original, clean, keep_hdr=keep_hdr)
        except Refused as refusal:
            return NotCleaned(str(refusal))
        # The child that cleaned it shares the descriptor's offset: the buffer's idea of where it
        # is may be stale, and a seek to 0 inside that buffer would not reach the file. A seek
        # from the end always does, and empties the buffer.
        original.seek(0, io.SEEK_END)
        original.seek(0)
        if hashlib.file_digest(original, "sha256").hexdigest() != received.digests.sha256:
            return NotCleaned("the file changed while it was being taken in")
        clean.seek(0)
        return _record_clean(source, received, cleaned, clean, ledger, keyring, blobs)


def _sanitize_in_memory(
    source: Source, received: Received, ledger: Ledger, keyring: Keyring, blobs: Path, keep_hdr: bool = False
) -> Sanitized | NotCleaned:
    data = read_regular_file(source.path, IN_MEMORY_BYTES, "the file")
    if len(data) != received.digests.size or hashlib.sha256(data).hexdigest() != received.digests.sha256:
        return NotCleaned("the file changed while it was being taken in")
    try:
        cleaned = clean_within(data, keep_hdr=keep_hdr)
    except Refused as refusal:
        return NotCleaned(str(refusal))
    return _record_clean(source, received, cleaned, io.BytesIO(cleaned.data), ledger, keyring, blobs)


def _record_clean(
    source: Source, received: Received, cleaned: Cleaned | CleanedFile, clean: BinaryIO, ledger: Ledger,
    keyring: Keyring, blobs: Path,
) -> Sanitized:
    from intake.ledger.entries import CLEAN_COPY, FINDINGS_REPORT, SANITIZED, Draft, new_id

    report_fields = {"item": received.item, "findings": [f.to_dict() for f in cleaned.findings]}
    if cleaned.kept:
        report_fields["kept"] = list(cleaned.kept)
    report = canonical_json(report_fields)
    written: list[Path] = []
    try:
        clean_blob, digests = _write_sealed_stream(blobs, clean, keyring, ledger, written)
        report_blob = _write_sealed(blobs, report, keyring, ledger, written)
        item = new_id("itm_")
        original = {**received.digests.to_dict(), "media_type": received.media_type, "item": received.item}
        clean_output = {**digests.to_dict(), "media_type": cleaned.media_type, "name": source.name,
                        "blob": clean_blob, "item": item, "role": CLEAN_COPY, "removed": cleaned.removed()}
        findings = {**digest_bytes(report).to_dict(), "media_type": "application/json", "blob": report_blob,
                    "item": received.item, "role": FINDINGS_REPORT}
        entry = ledger.append(
            Draft(SANITIZED, item, inputs=(original,), outputs=(clean_output, findings), parents=(received.entry,)),
            keyring,
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Sanitized(item, entry.id, cleaned.removed(), digests, cleaned.kept)


def _write_sealed_stream(blobs: Path, plain: BinaryIO, keyring: Keyring, ledger: Ledger,
                         written: list[Path]) -> tuple[str, Digests]:
    """Seal a file into a new blob in one pass that also hashes it."""
    from intake.blobs import partial_blob, place_blob
    from intake.keys.seal import seal_stream

    blob = blobs / f"{secrets.token_hex(16)}.age"
    written.append(blob)
    partial = partial_blob(blob)
    reader = DigestingReader(plain)
    try:
        with os.fdopen(create_private(partial), "wb") as target:
            seal_stream(reader, target, keyring.seal_recipients())
            target.flush()
            os.fsync(target.fileno())
        place_blob(partial, blob, ledger)
    except OSError as error:
        raise IntakeError(f"cannot write to the vault ({error.strerror}); the clean copy was not recorded") from error
    finally:
        partial.unlink(missing_ok=True)
    return blob.name, reader.digests()


def _write_sealed(blobs: Path, data: bytes, keyring: Keyring, ledger: Ledger, written: list[Path]) -> str:
    return _write_sealed_stream(blobs, io.BytesIO(data), keyring, ledger, written)[0]
