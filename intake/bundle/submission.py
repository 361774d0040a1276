"""Sealed submissions, field → editor: pack chosen items, seal to the editor, import them.

A submission is one age file sealed to the editor (optionally wrapped again in
OpenPGP). Inside is a tar stream:

    submission.json     sender identity, the sender's latest checkpoint, every leaf of
                        the sender's ledger, the chosen entries, a tlog-proof for each
    blobs/<name>        each file an entry names: plain bytes (the sender could open
                        them) or still sealed (a write-only field vault sealed them to
                        the editor and cannot open them itself)

Nothing is readable without the editor's key, not even the list of items.
`receive_submission` checks everything before it writes anything, then imports
the items with `transferred` entries in one ledger transaction. docs/bundles.md
describes the format and every check.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from intake.custody import Custody, OpenedEntry, unique_item
from intake.support.canonical import canonical_json
from intake.errors import IntakeError
from intake.support.fsutil import create_private, new_file, partial_path
from intake.ledger.entries import RECEIVED, SANITIZED, SignedEntry, new_id
from intake.ledger.append import Ledger
from intake.ledger.proof import TlogProof
from intake.keys.seal import seal_stream, unseal_stream
from intake.support.streams import piped
from intake.vault import Vault
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring
from intake.support.progress import Progress

SUBMISSION_TYPE = "intake-submission/v1"
MANIFEST = "submission.json"
AGE_HEADER = b"age-encryption.org/v1\n"
MANIFEST_LIMIT = 64 << 20


@dataclass(frozen=True)
class SubmitResult:
    target: Path
    items: tuple[str, ...]
    entries: int


@dataclass(frozen=True)
class _Packed:
    seq: int
    signed: SignedEntry | None     # None: sealed to the editor, the sender cannot open it
    sealed: bytes


Blobs = dict[str, int | None]  # blob name -> plain size as recorded, or None: carried still sealed


# --- submit -------------------------------------------------------------------


def submit(
    vault: Vault, keyring: Keyring, items: Sequence[str] | None, editor: PublicIdentity, target: Path,
    gpg_recipient: str | None = None, progress: Progress | None = None,
) -> SubmitResult:
    if target.exists() or target.is_symlink():
        raise IntakeError(f"{target} already exists; choose another -o FILE")
    if editor.fingerprint == keyring.public.fingerprint:
        raise IntakeError("that is this vault's own identity; --to takes the editor's public identity")
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        packed, blobs = _choose(vault, keyring, ledger, items, editor)
        manifest = _manifest(vault, keyring, ledger, packed, blobs)
        _write_sealed(target, manifest, blobs, vault, keyring, editor, gpg_recipient, progress)
    chosen = sorted({s.signed.entry.item for s in packed if s.signed is not None})
    return SubmitResult(target, tuple(chosen), len(packed))


def _choose(
    vault: Vault, keyring: Keyring, ledger: Ledger, items: Sequence[str] | None, editor: PublicIdentity
) -> tuple[list[_Packed], Blobs]:
    rows = ledger.store.entries()
    if not keyring.can_open_sealed:
        if items is not None:
            raise IntakeError("a write-only field vault cannot open its entries to pick items: use --all")
        if all(r.fingerprint != editor.fingerprint for r in keyring.policy.recipients):
            raise IntakeError("that editor is not a recipient of this field vault: they could not open what it took in")
        # Its entries are sealed to the editors, so which blob is whose is unknown here: all of them go.
        sealed: Blobs = {p.name: None for p in sorted(vault.blobs.glob("*.age"))}
        return [_Packed(row.idx, None, row.sealed) for row in rows], sealed
    chosen = _entries_for(Custody.open(vault, keyring, ledger), items)
    blobs: Blobs = {str(out["blob"]): int(out["size"]) for o in chosen for out in o.entry.outputs if "blob" in out}
    return [_Packed(o.entry.seq, o.signed, rows[o.entry.seq].sealed) for o in chosen], blobs


def _entries_for(custody: Custody, items: Sequence[str] | None) -> list[OpenedEntry]:
    local = [o for o in custody.entries if o.entry.action in (RECEIVED, SANITIZED)]
    if items is None:
        if not local:
            raise IntakeError("the vault holds nothing it took in itself: nothing to submit")
        return local
    known = {o.entry.item for o in local}
    items = [unique_item(item, known) for item in items]
    wanted = set(items)
    for item in items:
        if item not in known:
            raise IntakeError(f"no item {item} taken in by this vault (see `intake ledger show`)")
    originals = {o.entry.item for o in local if o.entry.item in wanted and o.entry.action == RECEIVED}
    originals |= {str(o.entry.inputs[0]["item"]) for o in local if o.entry.item in wanted and o.entry.action == SANITIZED}
    return [o for o in local if o.entry.item in originals or (o.entry.inputs and o.entry.inputs[0].get("item") in originals)]


def _manifest(vault: Vault, keyring: Keyring, ledger: Ledger, packed: list[_Packed], blobs: Blobs) -> bytes:
    rows = ledger.store.entries()
    leaves = [row.commitment + hashlib.sha256(row.sealed).digest() for row in rows]
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None or not packed:
        raise IntakeError("the ledger is empty: there is nothing to submit")
    entries = []
    for one in packed:
        proof = TlogProof(one.seq, tuple(ledger.inclusion_proof(one.seq, len(rows))), checkpoint, extra=leaves[one.seq])
        record: dict[str, Any] = {"seq": one.seq, "proof": proof.to_text()}
        if one.signed is not None:
            record["signed"] = json.loads(one.signed.to_bytes())
        else:
            record["sealed"] = base64.b64encode(one.sealed).decode("ascii")
        entries.append(record)
    return canonical_json({
        "type": SUBMISSION_TYPE,
        "id": new_id("sub_"),
        "sender": keyring.secret.export_public(),
        "origin": vault.config.origin,
        "checkpoint": checkpoint,
        "leaves": [leaf.hex() for leaf in leaves],
        "entries": entries,
        "blobs": sorted(blobs),
        "blobs_sealed": not keyring.can_open_sealed,
    })


def _write_sealed(
    target: Path, manifest: bytes, blobs: Blobs, vault: Vault, keyring: Keyring, editor: PublicIdentity,
    gpg_recipient: str | None, progress: Progress | None,
) -> None:
    total = sum((vault.blobs / name).stat().st_size for name in blobs)

    def produce(out: BinaryIO) -> None:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add_member(tar, MANIFEST, io.BytesIO(manifest), len(manifest))
            done = 0
            for name, size in sorted(blobs.items()):
                _add_blob(tar, vault.blobs / name, size, keyring)
                done += (vault.blobs / name).stat().st_size
                if progress:
                    progress(done, total)

    def seal_into(sealed: BinaryIO) -> None:
        piped(produce, lambda reader: seal_stream(reader, sealed, [editor.age_recipient]))

    if not gpg_recipient:
        with new_file(target) as sealed:
            seal_into(sealed)
        return
    _write_gpg_wrapped(target, seal_into, vault, gpg_recipient)


def _write_gpg_wrapped(target: Path, seal_into: Callable[[BinaryIO], None], vault: Vault, gpg_recipient: str) -> None:
    """gpg reads and writes named files, so the age file and gpg's output wait in the vault
    (sealed to the editor; a kill leaves them to the next exclusive lock to remove), and only
    the finished file is copied to the user's folder, nameless until complete."""
    from intake.keys.openpgp import encrypt_file

    sealed_path, wrapped = partial_path(vault.root / "submission.age"), partial_path(vault.root / "submission.gpg")
    try:
        with os.fdopen(create_private(sealed_path), "wb") as sealed:
            seal_into(sealed)
            sealed.flush()
            os.fsync(sealed.fileno())
        encrypt_file(sealed_path, wrapped, gpg_recipient)
        with open(wrapped, "rb") as source, new_file(target) as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except OSError as error:
        raise IntakeError(f"cannot write the submission ({error.strerror}); nothing was left at {target}") from error
    finally:
        sealed_path.unlink(missing_ok=True)
        wrapped.unlink(missing_ok=True)


def _add_member(tar: tarfile.TarFile, name: str, source: BinaryIO, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    tar.addfile(info, source)


def _add_blob(tar: tarfile.TarFile, blob: Path, plain_size: int | None, keyring: Keyring) -> None:
    """Plain bytes (tar needs the size first: the entry recorded it), or the sealed blob as it is."""
    name = f"blobs/{blob.name}"
    if plain_size is None:
        with open(blob, "rb") as sealed:
            _add_member(tar, name, sealed, os.fstat(sealed.fileno()).st_size)
        return

    def produce(out: BinaryIO) -> None:
        with open(blob, "rb") as sealed:
            unseal_stream(sealed, out, [keyring.secret.age_identity])

    piped(produce, lambda reader: _add_member(tar, name, reader, plain_size))
