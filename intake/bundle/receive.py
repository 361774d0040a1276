"""Receiving a submission into an editor's vault: check everything, then import.

Order matters: the manifest (sender, checkpoint, leaves, entries, proofs) is
checked in full before any blob is read; blobs are re-sealed into the vault
under new names and checked against the entries as they stream; only when
every blob is in are the `transferred` entries appended, in one transaction.
Any failure removes what was written: the vault is as before.

The sender's checkpoint is kept inside the editor's own (sealed, signed)
`transferred` entries, so a later submission from the same sender must extend
it: a sender who rewrote history is caught, and no separate file can be rolled
back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import re
import secrets
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from intake.custody import Custody
from intake.bundle.verify import ItemTimeline, TimelineEvent, VerifyReport
from intake.bundle.submission import AGE_HEADER, MANIFEST, MANIFEST_LIMIT, SUBMISSION_TYPE
from intake.blobs import partial_blob, place_blob
from intake.support.canonical import canonical_json
from intake.clean import IN_MEMORY_BYTES, inspect_file_within
from intake.errors import (
    CheckpointError,
    EntryError,
    IdentityError,
    IntakeError,
    NoteError,
    ProofError,
    SealError,
    SubmissionRefused,
)
from intake.support.fsutil import create_private, fsync_dir, open_regular, partial_path
from intake.support.hashing import CHUNK as READ_SIZE, Digests, DigestingReader, digest_stream
from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.entries import (
    CLEAN_COPY, ORIGINAL, RECEIVED, SANITIZED, SENDER_RECORD, TRANSFERRED, CustodyEntry, Draft, SignedEntry, new_id,
)
from intake.ledger.append import Ledger
from intake.ledger.note import Verifier, open_note
from intake.ledger.proof import TlogProof
from intake.keys.seal import seal_stream, unseal, unseal_stream
from intake.support.streams import SpillingReader, piped
from intake.vault import Vault
from intake.keys.pinning import Pin
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring
from intake.support.progress import Progress

SUBMISSION_ID = re.compile(r"^sub_[a-z0-9]{8,64}$")
Passed = Callable[[str], None]  # one check that held, for the report of check_submission


@dataclass(frozen=True)
class ReceiveResult:
    sender: PublicIdentity
    new_sender: bool
    originals: tuple[str, ...]
    clean_copies: tuple[str, ...]
    skipped: int


@dataclass(frozen=True)
class _KnownSender:
    checkpoint: Checkpoint
    imported: dict[str, str]  # the sender's entry id -> our transferred entry id


@dataclass
class _History:
    senders: dict[str, _KnownSender] = field(default_factory=dict)
    submissions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Manifest:
    id: str
    sender: PublicIdentity
    origin: str
    checkpoint: str
    leaves: tuple[bytes, ...]
    entries: tuple[SignedEntry, ...]  # new ones only, in ledger order
    blobs: dict[str, Digests]         # sender blob name -> what it must hash to (new entries' files)
    clean_copies: frozenset[str]      # those of them that are clean copies: inspected again on arrival
    declared: frozenset[str]          # every file the submission carries, old entries' too
    blobs_sealed: bool
    skipped: int


def receive_submission(vault: Vault, keyring: Keyring, source: Path, progress: Progress | None = None) -> ReceiveResult:
    _require_editor(keyring)
    with vault.locked(), vault.ledger() as ledger:
        history = _history(Custody.open(vault, keyring, ledger))
        with _age_file(source, vault) as sealed:
            return _receive_age(sealed, source, vault, keyring, ledger, history, progress)


def check_submission(
    vault: Vault, keyring: Keyring, source: Path, trust: Pin | PublicIdentity | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Every check `receive` makes, against this vault's history, writing nothing: what an editor
    runs before deciding to import. A refusal is the report's failed line; an unreadable file or
    one sealed to someone else is an IntakeError, as for `receive`."""
    _require_editor(keyring)
    report = VerifyReport()
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        history = _history(Custody.open(vault, keyring, ledger))
        with _age_file(source, vault) as sealed:
            try:
                manifest, _ = _read_age(sealed, source, keyring, history, _checking(keyring, vault.scratch), progress, report.passed)
            except SubmissionRefused as error:
                report.failed("the submission holds what it claims", str(error))
                return report
    report.custodian = manifest.sender
    pin = Pin.of(trust) if isinstance(trust, PublicIdentity) else trust
    if pin is not None and not pin.matches(manifest.sender):
        report.failed("sent by the expected sender", "it was sent by another key than the one you gave")
    report.items = _timelines(manifest)
    return report


def looks_like_submission(path: Path) -> bool:
    """A file that starts as age or as an OpenPGP message: what `receive` takes. A bundle is a
    folder or a zip, so the two are told apart by content, not by name."""
    from intake.keys.openpgp import looks_like_openpgp

    try:
        head = _head(path) if path.is_file() else b""
    except IntakeError:
        return False
    return head.startswith(AGE_HEADER) or looks_like_openpgp(head)


def _require_editor(keyring: Keyring) -> None:
    if not keyring.can_open_sealed:
        raise IntakeError("a write-only field vault cannot receive submissions: it cannot open them")


@contextmanager
def _age_file(source: Path, vault: Vault) -> Iterator[Path]:
    """The age file itself, or the one inside its OpenPGP wrapping: unwrapped into the vault
    (still sealed with age to it) and removed afterwards; a kill leaves a partial file that the
    next exclusive lock removes."""
    head = _head(source)
    if head.startswith(AGE_HEADER):
        yield source
        return
    from intake.keys.openpgp import decrypt_file, looks_like_openpgp

    if not looks_like_openpgp(head):
        raise IntakeError(f"{source} is not an intake submission (neither age nor OpenPGP)")
    unwrapped = partial_path(vault.root / "submission")
    try:
        decrypt_file(source, unwrapped)
        yield unwrapped
    finally:
        unwrapped.unlink(missing_ok=True)


def _head(source: Path) -> bytes:
    with open_regular(source, "the submission") as stream:
        try:
            return stream.read(64)
        except OSError as error:
            raise IntakeError(f"cannot read {source} ({error.strerror})") from error


def _history(custody: Custody) -> _History:
    """What this vault already received, from the sender records of its own entries."""
    history = _History()
    imported: dict[str, dict[str, str]] = {}
    for opened in custody.entries:
        for record in opened.entry.inputs:
            if record.get("role") != SENDER_RECORD:
                continue
            sender = str(record["sender"])
            history.submissions.add(str(record["submission"]))
            imported.setdefault(sender, {})[str(record["entry"])] = opened.entry.id
            checkpoint = Checkpoint.from_text(record["checkpoint"].split("\n\n", 1)[0] + "\n")
            known = history.senders.get(sender)
            if known is None or checkpoint.size >= known.checkpoint.size:
                history.senders[sender] = _KnownSender(checkpoint, imported[sender])
    return history


def _receive_age(
    sealed: Path, source: Path, vault: Vault, keyring: Keyring, ledger: Ledger, history: _History,
    progress: Progress | None,
) -> ReceiveResult:
    written: list[Path] = []
    store = _importing(vault, keyring, ledger, written)
    try:
        manifest, renamed = _read_age(sealed, source, keyring, history, store, progress, lambda _: None)
        ledger.append_all(_drafts(manifest, renamed, history), keyring)
    except BaseException:
        _remove(written)
        raise
    originals = tuple(e.entry.item for e in manifest.entries if e.entry.action == RECEIVED)
    clean = tuple(e.entry.item for e in manifest.entries if e.entry.action == SANITIZED)
    new_sender = manifest.sender.fingerprint_hex not in history.senders
    return ReceiveResult(manifest.sender, new_sender, originals, clean, manifest.skipped)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in {path.parent for path in paths}:  # partial/ and blobs/
        fsync_dir(folder)


def _read_age(
    sealed: Path, source: Path, keyring: Keyring, history: _History, store: "Store", progress: Progress | None,
    passed: Passed,
) -> tuple[_Manifest, dict[str, str]]:
    def produce(out: BinaryIO) -> None:
        with open_regular(sealed, "the submission") as stream:
            unseal_stream(stream, out, [keyring.secret.age_identity])

    try:
        return piped(produce, lambda reader: _read_stream(reader, keyring, history, store, progress, passed))
    except SealError as error:
        raise IntakeError(f"{source} does not open with this vault's key: it was sealed to someone else, or is damaged") from error
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, OSError) and error.errno is not None:
            raise IntakeError(f"cannot import into the vault ({error.strerror}); nothing was imported") from error
        # pyrage reports a truncated or corrupted age stream as an OSError without errno
        raise SubmissionRefused(f"{source} is truncated or damaged; nothing was imported") from error


def _read_stream(
    reader: BinaryIO, keyring: Keyring, history: _History, store: "Store", progress: Progress | None, passed: Passed
) -> tuple[_Manifest, dict[str, str]]:
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST or not first.isfile() or first.size > MANIFEST_LIMIT:
            raise SubmissionRefused("not an intake submission: it does not start with its manifest")
        passed("it opens with this vault's key and starts with its manifest")
        manifest = _check_manifest(_read_member(tar, first), keyring, history, passed)
        renamed: dict[str, str] = {}
        seen: set[str] = set()
        while (member := tar.next()) is not None:
            sender_name = member.name.removeprefix("blobs/")
            if not member.isfile() or member.name == sender_name or sender_name not in manifest.declared \
                    or sender_name in seen:
                raise SubmissionRefused(f"the submission holds an unexpected member {member.name!r}")
            seen.add(sender_name)
            if sender_name not in manifest.blobs:
                continue  # a file of an entry received before: the stream skips it
            stream = tar.extractfile(member)
            assert stream is not None
            renamed[sender_name] = store(stream, manifest, sender_name)
            if progress:
                progress(len(renamed), len(manifest.blobs))
    missing = sorted(set(manifest.blobs) - set(renamed))
    if missing:
        raise SubmissionRefused(f"the submission lacks {len(missing)} of the files its entries name")
    if seen != manifest.declared:
        raise SubmissionRefused("the submission's list of files names files it does not hold")
    passed(f"{len(renamed)} file(s) match the hashes their entries recorded")
    return manifest, renamed


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    assert stream is not None
    return stream.read()


# a file's stream in the submission -> its name in this vault ("" when only checked)
Store = Callable[[BinaryIO, _Manifest, str], str]


def _importing(vault: Vault, keyring: Keyring, ledger: Ledger, written: list[Path]) -> Store:
    def store(stream: BinaryIO, manifest: _Manifest, sender_name: str) -> str:
        blob = vault.blobs / f"{secrets.token_hex(16)}.age"
        partial = partial_blob(blob)
        written.append(partial)
        with os.fdopen(create_private(partial), "wb") as target:
            _require_sound(stream, manifest, sender_name, keyring, lambda plain: _seal_digesting(plain, target, keyring),
                           vault.scratch)
            target.flush()
            os.fsync(target.fileno())
        place_blob(partial, blob, ledger)
        written.append(blob)
        return blob.name

    return store


def _checking(keyring: Keyring, spill: Path) -> Store:
    def store(stream: BinaryIO, manifest: _Manifest, sender_name: str) -> str:
        _require_sound(stream, manifest, sender_name, keyring, digest_stream, spill)
        return ""

    return store


def _require_sound(
    stream: BinaryIO, manifest: _Manifest, sender_name: str, keyring: Keyring, consume: Callable[[BinaryIO], Digests],
    spill: Path,
) -> None:
    """The file must hash to what its entry recorded; a clean copy must also be clean. A write-only
    sender's files are still sealed to us: unsealed as they stream, never whole on disk. A clean
    copy is kept as it streams, to be inspected again: in memory, or past IN_MEMORY_BYTES in a
    nameless file in `spill` (the vault's partial/), so a big one does not fill the memory."""
    inspect_again = sender_name in manifest.clean_copies
    kept: list[SpillingReader] = []

    def take(plain: BinaryIO) -> Digests:
        if inspect_again:
            kept.append(SpillingReader(plain, IN_MEMORY_BYTES, spill))
            return consume(kept[0])
        return consume(plain)

    try:
        if manifest.blobs_sealed:
            digests = piped(lambda out: unseal_stream(stream, out, [keyring.secret.age_identity]), take)
        else:
            digests = take(stream)
        if digests != manifest.blobs[sender_name]:
            raise SubmissionRefused("a file in the submission does not match the hashes its entry recorded")
        if kept:
            _require_clean(kept[0].copy())
    finally:
        for reader in kept:
            reader.discard()


def _require_clean(copy: BinaryIO) -> None:
    """The sender's signature says who cleaned a clean copy, not that it is clean: a field tool that
    is old, broken or altered could send a photo with its GPS fix, and an editor would publish it.
    So it is inspected again here, as it was when it was made (docs/threat-model.md)."""
    inspection = inspect_file_within(copy)
    if not inspection.supported or inspection.problem is not None:
        raise SubmissionRefused("a clean copy in the submission is not a file intake can inspect: it cannot be "
                                "shown to be clean")
    if inspection.findings:
        kinds = ", ".join(sorted({finding.category.value for finding in inspection.findings}))
        raise SubmissionRefused(f"a clean copy in the submission still carries identifying metadata ({kinds}): "
                                "the sender's tool did not clean it; nothing was imported")


def _seal_digesting(plain: BinaryIO, target: BinaryIO, keyring: Keyring) -> Digests:
    reader = DigestingReader(plain)
    # pyrage reads 8 KiB at a time: through a 1 MiB buffer, the readers beneath (the tar member,
    # the hashes, the kept copy of a clean copy) run once per MiB, not 128 times.
    seal_stream(io.BufferedReader(reader, READ_SIZE), target, keyring.seal_recipients())
    return reader.digests()


# --- the manifest ----------------------------------------------------------------


def _check_manifest(data: bytes, keyring: Keyring, history: _History, passed: Passed) -> _Manifest:
    try:
        document = json.loads(data)
        if document.get("type") != SUBMISSION_TYPE:
            raise ValueError("type")
        sender = PublicIdentity.from_text(document["sender"])
        origin, note = str(document["origin"]), str(document["checkpoint"])
        leaves = tuple(_hex(leaf, 64) for leaf in document["leaves"])
        records = list(document["entries"])
        blob_names = _blob_names(document["blobs"])
        blobs_sealed = _boolean(document["blobs_sealed"])
        submission_id = _submission_id(document["id"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, IdentityError) as error:
        raise SubmissionRefused("the submission's manifest is malformed") from error
    if sender.fingerprint == keyring.public.fingerprint:
        raise SubmissionRefused("this submission comes from this vault itself")
    if submission_id in history.submissions:
        raise SubmissionRefused("this submission was already received")
    verifier = Verifier(origin, sender.signing_key)
    roots = merkle.prefix_roots([merkle.leaf_hash(leaf) for leaf in leaves])
    checkpoint = _sender_checkpoint(note, verifier, roots)
    passed(f"the sender's checkpoint is signed by the sender's key and matches their {checkpoint.size}-entry ledger")
    known = history.senders.get(sender.fingerprint_hex)
    _check_extends(known, checkpoint, roots)
    if known is not None:
        passed(f"it extends what this sender showed before ({known.checkpoint.size} entries): no fork, no rollback")
    opened = [_open_record(r, keyring, sender, verifier, note, leaves, roots) for r in records]
    if len({s.entry.seq for s in opened}) != len(opened):
        raise SubmissionRefused("the submission lists an entry twice")
    passed(f"{len(opened)} entries: each signed by the sender, in the sender's ledger, with a valid proof")
    fresh = [s for s in sorted(opened, key=lambda s: s.entry.seq) if not known or s.entry.id not in known.imported]
    if not fresh:
        raise SubmissionRefused("everything in this submission was already received")
    passed(f"not received before ({len(fresh)} new entries, {len(opened) - len(fresh)} already received)")
    blobs = _expected_blobs(fresh, opened, known)
    if not set(blobs) <= blob_names:
        raise SubmissionRefused("the submission does not carry every file its entries name")
    named = {str(o["blob"]) for s in opened for o in s.entry.outputs if "blob" in o}
    if not blobs_sealed and blob_names != named:
        raise SubmissionRefused("the submission's list of files is not the files its entries name")
    if any(s.entry.action == SANITIZED for s in fresh):
        passed("every clean copy derives from the original its entry names")
    clean = frozenset(str(o["blob"]) for s in fresh for o in s.entry.outputs if o.get("role") == CLEAN_COPY)
    return _Manifest(submission_id, sender, origin, note, leaves, tuple(fresh), blobs, clean, frozenset(blob_names),
                     blobs_sealed, len(opened) - len(fresh))


_BLOB_NAME = re.compile(r"[0-9a-f]{32}\.age")


def _blob_names(listed: Any) -> frozenset[str]:
    """The manifest's file list, bound to what `submit` writes: sorted blob names, each once."""
    if not isinstance(listed, list) or not all(isinstance(n, str) and _BLOB_NAME.fullmatch(n) for n in listed) \
            or listed != sorted(set(listed)):
        raise ValueError("blobs")
    return frozenset(listed)


def _submission_id(value: Any) -> str:
    """Bound to the replay check: it must be the id `submit` makes, not null or a number that
    str() would turn into one."""
    if not isinstance(value, str) or not SUBMISSION_ID.match(value):
        raise ValueError("id")
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("bool")
    return value


def _hex(value: Any, size: int) -> bytes:
    raw = bytes.fromhex(value) if isinstance(value, str) and len(value) == 2 * size else b""
    if len(raw) != size:
        raise ValueError("hex")
    return raw


def _sender_checkpoint(note: str, verifier: Verifier, roots: list[bytes]) -> Checkpoint:
    try:
        checkpoint = Checkpoint.from_text(open_note(note, [verifier]))
    except (NoteError, CheckpointError) as error:
        raise SubmissionRefused("the sender's checkpoint is not signed by the sender's key") from error
    if checkpoint.origin != verifier.name:
        raise SubmissionRefused("the sender's checkpoint belongs to another ledger")
    if checkpoint.size != len(roots) or checkpoint.size == 0 or roots[-1] != checkpoint.root:
        raise SubmissionRefused("the sender's ledger does not match the sender's signed checkpoint")
    return checkpoint


def _check_extends(known: _KnownSender | None, checkpoint: Checkpoint, roots: list[bytes]) -> None:
    if known is None:
        return
    old = known.checkpoint
    if old.origin != checkpoint.origin:
        raise SubmissionRefused("this sender's key now signs another ledger than before: history was replaced")
    if old.size > checkpoint.size:
        raise SubmissionRefused(
            f"the sender's ledger holds {checkpoint.size} entries but an earlier submission showed {old.size}: "
            "it was rolled back, or this is an old submission")
    if old.size and roots[old.size - 1] != old.root:
        raise SubmissionRefused(
            f"the sender's ledger forked: its first {old.size} entries differ from an earlier submission's "
            "(history was rewritten)")


def _open_record(
    record: Any, keyring: Keyring, sender: PublicIdentity, verifier: Verifier, note: str,
    leaves: tuple[bytes, ...], roots: list[bytes],
) -> SignedEntry:
    try:
        seq = record["seq"]
        if type(seq) is not int or not 0 <= seq < len(leaves):
            raise ValueError("seq")
        proof = TlogProof.from_text(record["proof"])
        if "signed" in record:
            signed, sealed_sha256 = SignedEntry.from_bytes(canonical_json(record["signed"])), leaves[seq][32:]
        else:
            sealed = base64.b64decode(record["sealed"], validate=True)
            signed, sealed_sha256 = SignedEntry.from_bytes(unseal(sealed, [keyring.secret.age_identity])), hashlib.sha256(sealed).digest()
    except SealError as error:
        raise SubmissionRefused("an entry in the submission is not sealed to this vault") from error
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError, binascii.Error, ProofError,
            EntryError) as error:
        raise SubmissionRefused("an entry in the submission is malformed") from error
    entry = signed.entry
    where = f"the sender's entry {seq}"
    if signed.commitment() + sealed_sha256 != leaves[seq]:
        raise SubmissionRefused(f"{where} does not match the sender's ledger: it was altered")
    if not signed.verify(sender) or entry.actor != sender.fingerprint_hex:
        raise SubmissionRefused(f"{where}: its signature does not verify (bad signature or another signer)")
    prev = roots[seq - 1] if seq else merkle.EMPTY_ROOT
    if entry.seq != seq or entry.prev != prev.hex():
        raise SubmissionRefused(f"{where}: its link to the entries before it is broken")
    if proof.index != seq or proof.checkpoint != note or proof.extra not in (None, leaves[seq]):
        raise SubmissionRefused(f"{where}: its proof is for another entry or checkpoint")
    try:
        proof.verify(leaves[seq], verifier)
    except ProofError as error:
        raise SubmissionRefused(f"{where}: {error}") from error
    if entry.action not in (RECEIVED, SANITIZED):
        raise SubmissionRefused(f"{where} is a {entry.action!r} entry; only what a vault took in can be submitted")
    return signed


def _expected_blobs(
    fresh: list[SignedEntry], opened: list[SignedEntry], known: _KnownSender | None
) -> dict[str, Digests]:
    by_id = {s.entry.id: s.entry for s in opened}
    blobs: dict[str, Digests] = {}
    for signed in fresh:
        entry = signed.entry
        if entry.action == SANITIZED:
            _check_derivation(entry, by_id, known)
        for output in entry.outputs:
            try:
                blobs[str(output["blob"])] = Digests.from_dict(output)
            except (KeyError, TypeError, ValueError) as error:
                raise SubmissionRefused(f"the sender's entry {entry.seq} names a file without valid hashes") from error
    return blobs


def _check_derivation(entry: CustodyEntry, by_id: dict[str, CustodyEntry], known: _KnownSender | None) -> None:
    parent = by_id.get(entry.parents[0]) if len(entry.parents) == 1 else None
    source = entry.inputs[0] if entry.inputs else {}
    if parent is None:
        if known is not None and len(entry.parents) == 1 and entry.parents[0] in known.imported:
            return
        raise SubmissionRefused(f"the sender's entry {entry.seq} is a clean copy whose original is not in the submission")
    received = parent.outputs[0] if parent.outputs else {}
    if parent.item != source.get("item") or received.get("sha256") != source.get("sha256"):
        raise SubmissionRefused(f"the sender's entry {entry.seq}: the clean copy does not derive from the file its original records")


# --- the editor's entries ------------------------------------------------------------


def _drafts(manifest: _Manifest, renamed: dict[str, str], history: _History) -> list[Draft]:
    known = history.senders.get(manifest.sender.fingerprint_hex)
    ours: dict[str, str] = dict(known.imported) if known else {}
    drafts = []
    for signed in manifest.entries:
        entry = signed.entry
        ours[entry.id] = new_id("ent_")
        record = {
            "role": SENDER_RECORD, "sender": manifest.sender.fingerprint_hex, "origin": manifest.origin,
            "entry": entry.id, "seq": entry.seq, "leaf": manifest.leaves[entry.seq].hex(),
            "checkpoint": manifest.checkpoint, "submission": manifest.id,
        }
        outputs = tuple({**output, "blob": renamed[str(output["blob"])]} for output in entry.outputs)
        inputs = (*entry.inputs, record) if entry.action == SANITIZED else (record,)
        parents = tuple(ours[p] for p in entry.parents)
        # The field contact's note travels on, sealed like every entry; exports publish it only --with-notes.
        drafts.append(Draft(TRANSFERRED, entry.item, inputs=inputs, outputs=outputs, parents=parents,
                            entry_id=ours[entry.id], note=entry.note))
    return drafts


# --- what check_submission shows --------------------------------------------------------


def _timelines(manifest: _Manifest) -> list[ItemTimeline]:
    """Each new item's history as the sender recorded it: an original's receipt; a clean copy's
    receipt of its original, then its cleaning."""
    by_id = {signed.entry.id: signed.entry for signed in manifest.entries}
    timelines = []
    for signed in manifest.entries:
        entry = signed.entry
        parents = [by_id[p] for p in entry.parents if p in by_id]
        own = CLEAN_COPY if entry.action == SANITIZED else ORIGINAL
        events = tuple(TimelineEvent(e.time[:10], e.action, e.actor, ORIGINAL, e.note) for e in parents) + (
            TimelineEvent(entry.time[:10], entry.action, entry.actor, own, entry.note),)
        name = str(entry.outputs[0].get("name", "")) if entry.outputs else ""
        timelines.append(ItemTimeline(entry.item, name, events))
    return timelines
