"""Export: a public BagIt bundle of clean copies with signed provenance.

    BUNDLE/
      bagit.txt, bag-info.txt, manifest-sha{256,512}.txt, tagmanifest-sha{256,512}.txt
      data/<item>.<ext>                    the clean copies; never an original
      provenance/<item>.json               statement (canonical JSON)
      provenance/<item>.json.sig           Ed25519 signature of that file (raw 64 bytes)
      provenance/<item>.json.asc           OpenPGP signature, when a GPG key is linked
      provenance/proofs/<entry>.tlog-proof C2SP tlog-proof of each custody entry
      provenance/checkpoint.txt            the signed checkpoint the proofs lead to
      provenance/consistency/<size>.txt    proofs that this ledger extends each earlier export's
      provenance/custodian.pub|.pem|.asc   the custodian's public keys
      provenance/contents.sha256           SHA-256 of every other file but the tag manifests (sha256sum format)
      provenance/contents.sha256.sig|.asc  its Ed25519 / OpenPGP signature: one signature covers the bag
      VERIFY.txt                           how to check all of it with standard tools
      verify_provenance.py                 a python3-only script that runs every provenance check

Nothing leaves the vault but clean copies whose hashes the ledger recorded;
each is re-hashed as it is unsealed, and a mismatch aborts the whole export.
Before anything is written the ledger is audited: every row against the signed
checkpoints, every entry opened and linked, and every entry the bundle
publishes (the chosen clean copies' trails) checked in full, commitment and
signature (docs/bundles.md, "What export checks").
Once the bag is on disk, and before it appears under its name, one `exported` entry naming
every clean copy in it records it: a kill can leave a record without a bag, never a public bag
without its record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from intake.bundle.bagit import BagFile, BagSummary, SignedList, write_bag
from intake.bundle.consistency import ConsistencyProof, consistency_file, earlier_sizes
from intake.custody import CleanItem, Custody
from intake.bundle.recipe import SCRIPT_FILE, verify_recipe, verify_script
from intake.bundle.statement import (
    CHECKPOINT_FILE, CONTENTS_FILE, IDENTITY_FILE, OPENPGP_KEY_FILE, PEM_FILE, TIME_PRECISIONS, DisclosureOptions,
    build_statement, proof_file, public_fields, statement_file,
)
from intake.errors import CheckFailed, IntakeError, SealError
from intake.support.hashing import Digests
from intake.ledger.entries import BUNDLE_PREFIX, EXPORTED, PUBLIC_BUNDLE, Draft, new_id
from intake.ledger.proof import TlogProof
from intake.support.sniff import extension_for
from intake.keys.seal import unseal_stream
from intake.timestamp.stamps import CheckpointStamps, StampOutcome, stamp_checkpoint, timestamp_steps
from intake.vault import Vault
from intake.witness.client import witness_checkpoint
from intake.witness.desk import ExportWitnessing, required
from intake.keys.keystore import Keyring
from intake.support.progress import Progress

TAGMANIFEST = "tagmanifest-sha256.txt"


@dataclass(frozen=True)
class ExportOptions:
    with_notes: bool = False
    time_precision: str = "day"
    as_zip: bool = False

    def __post_init__(self) -> None:
        if self.time_precision not in TIME_PRECISIONS:
            raise IntakeError(f"time precision is one of {', '.join(TIME_PRECISIONS)}")

    def disclosure(self) -> DisclosureOptions:
        return DisclosureOptions(self.with_notes, self.time_precision)


@dataclass(frozen=True)
class ExportableItem:
    item: str
    original_item: str
    name: str
    media_type: str
    day: str
    sender: str | None = None  # the submitting field contact's fingerprint (hex); None: taken in here


@dataclass(frozen=True)
class ExportResult:
    target: Path
    items: tuple[str, ...]
    witnessing: ExportWitnessing | None = None  # None: the desk configured no witnesses
    timestamps: tuple[StampOutcome, ...] = ()  # one per configured TSA: a token, or why there is none
    duplicates: tuple[str, ...] = ()  # chosen items left out: the same clean copy is in the bundle already


def distinct_clean_copies(chosen: list[CleanItem]) -> tuple[list[CleanItem], list[CleanItem]]:
    """The first of each set of identical clean copies (by SHA-256), and the others: the same file
    taken in twice, or sent twice, is published once."""
    seen: set[str] = set()
    kept, repeated = [], []
    for clean in chosen:
        digest = str(clean.output.get("sha256"))
        (repeated if digest in seen else kept).append(clean)
        seen.add(digest)
    return kept, repeated


def exportable_items(vault: Vault, keyring: Keyring) -> list[ExportableItem]:
    with vault.locked(exclusive=False), vault.ledger() as ledger:
        custody = Custody.open(vault, keyring, ledger)
    return [ExportableItem(c.item, c.original_item, c.name, c.media_type, c.day, c.sender)
            for c in custody.clean_items()]


def export_bundle(
    vault: Vault, keyring: Keyring, items: Sequence[str] | None, target: Path,
    options: ExportOptions = ExportOptions(), progress: Progress | None = None,
) -> ExportResult:
    if target.exists() or target.is_symlink():
        raise IntakeError(f"{target} already exists; choose another -o OUT")
    with vault.locked(), vault.ledger() as ledger:  # exclusive: the export is recorded
        # the statements' disclosures are made by the audit's workers, on every core, as each entry is checked
        shown = options.disclosure()
        custody = Custody.open(vault, keyring, ledger, every_entry=False, disclose=lambda entry: public_fields(entry, shown))
        chosen, repeated = distinct_clean_copies(custody.resolve(items))
        custody.require_sound(chosen, keyring)
        custody, witnessing = _witnessed(custody, keyring)
        payload, tags, stamps = _bundle_files(vault, keyring, custody, chosen, options, progress)

        def record(summary: BagSummary) -> None:
            ledger.append_all(_exported(chosen, summary.tags[TAGMANIFEST].sha256, len(custody.entries), options),
                              keyring)

        info = [("External-Description", "Clean copies with signed provenance; see VERIFY.txt")]
        write_bag(target, payload, tags, info, as_zip=options.as_zip,
                  signed_list=SignedList(CONTENTS_FILE, _Signer(keyring)), before_naming=record)
    return ExportResult(target, tuple(c.item for c in chosen), witnessing, stamps.outcomes,
                        tuple(c.item for c in repeated))


def _witnessed(custody: Custody, keyring: Keyring) -> tuple[Custody, ExportWitnessing | None]:
    """The checkpoint with the cosignatures of the desk's witnesses, before anything quotes it: the
    bundle's checkpoint.txt and every tlog-proof carry this same note. Witnesses hold the size of
    the last export they saw, and get a consistency proof from it."""
    witnesses = keyring.policy.witnesses
    if not witnesses:
        return custody, None
    assert custody.checkpoint is not None
    size = len(custody.entries)
    # The recomputed tree is read-only here: witnesses are asked from other threads.
    witnessed = witness_checkpoint(custody.checkpoint, witnesses, lambda old: custody.consistency_proof(old, size),
                                   believed_size=max(earlier_sizes(_published_sizes(custody), size), default=0))
    return replace(custody, checkpoint=witnessed.note), ExportWitnessing(witnessed.outcomes, required(keyring.policy))


def _exported(chosen: list[CleanItem], tagmanifest_sha256: str, proved_size: int, options: ExportOptions) -> list[Draft]:
    """The one `exported` entry of this bundle, appended once the bag is on disk, before it is
    named. The bag cannot hold it (its checkpoint is signed before it exists); it is the
    custodian's own record of what went public, in which bundle (its signed tag manifest's hash)
    and with what disclosed. One per bundle, not per clean copy: the ledger, and every later
    export's audit, grow by one entry per export."""
    bundle = {
        "role": PUBLIC_BUNDLE, "tagmanifest_sha256": tagmanifest_sha256, "checkpoint_size": proved_size,
        "time_precision": options.time_precision, "with_notes": options.with_notes,
    }
    return [Draft(EXPORTED, new_id(BUNDLE_PREFIX), inputs=tuple({"item": c.item, **_copy_of(c.output)} for c in chosen),
                  outputs=(bundle,), parents=tuple(c.opened.entry.id for c in chosen))]


def _copy_of(output: dict[str, object]) -> dict[str, object]:
    return {key: output[key] for key in ("media_type", "sha256", "sha512", "size")}


def _bundle_files(
    vault: Vault, keyring: Keyring, custody: Custody, chosen: list[CleanItem],
    options: ExportOptions, progress: Progress | None,
) -> tuple[list[BagFile], list[BagFile], CheckpointStamps]:
    assert custody.checkpoint is not None  # a clean copy implies entries, and every entry a checkpoint
    size = len(custody.entries)
    disclosure = options.disclosure()
    fingerprint = keyring.public.fingerprint_hex
    payload, tags = [], []
    proofs: dict[str, BagFile] = {}
    prove = custody.inclusion_proofs(size)
    total = sum(int(c.output["size"]) for c in chosen)
    done = [0]
    for clean in chosen:
        data_file = f"data/{clean.item}{extension_for(clean.media_type)}"
        payload.append(_sealed_copy(data_file, vault, keyring, clean, progress, done, total))
        statement = build_statement(clean, data_file, vault.config.origin, fingerprint, disclosure)
        tags += _signed(statement_file(clean.item), statement, keyring)
        for step in clean.trail:
            if step.entry.id in proofs:
                continue  # an ancestor on several trails
            proof = TlogProof(step.entry.seq, tuple(prove(step.entry.seq)), custody.checkpoint,
                              extra=step.signed.commitment() + step.sealed_sha256)
            proofs[step.entry.id] = BagFile(proof_file(step.entry.id), proof.to_text().encode("utf-8"))
    tags += list(proofs.values())
    tags += _consistency_files(custody, size)
    tags += _identity_files(keyring)
    tags.append(BagFile(CHECKPOINT_FILE, custody.checkpoint.encode("utf-8")))
    stamps = _timestamped(tags, keyring)
    tags += stamps.files
    recipe = verify_recipe(len(chosen), openpgp=bool(keyring.policy.openpgp), extra_steps=timestamp_steps(stamps.tokens))
    tags.append(BagFile("VERIFY.txt", recipe.encode("utf-8")))
    tags.append(BagFile(SCRIPT_FILE, verify_script()))
    return payload, tags, stamps


def _timestamped(tags: list[BagFile], keyring: Keyring) -> CheckpointStamps:
    """Time-stamps the checkpoint exactly as it goes into the bag, once nothing more is added to it."""
    checkpoint = next(t.source for t in tags if t.path == CHECKPOINT_FILE)
    assert isinstance(checkpoint, bytes)
    return stamp_checkpoint(checkpoint, keyring.policy.timestamp_authorities)


def _consistency_files(custody: Custody, size: int) -> list[BagFile]:
    """From every size an earlier export published: a reader holding that bundle can tell a fork."""
    published = _published_sizes(custody)
    return [
        BagFile(consistency_file(old), ConsistencyProof(old, tuple(custody.consistency_proof(old, size)))
                .to_text().encode("ascii"))
        for old in earlier_sizes(published, size)
    ]


def _published_sizes(custody: Custody) -> list[int]:
    return [int(str(o.entry.outputs[0].get("checkpoint_size", 0))) for o in custody.entries
            if o.entry.action == EXPORTED and o.entry.outputs]


def _sealed_copy(
    data_file: str, vault: Vault, keyring: Keyring, clean: CleanItem, progress: Progress | None, done: list[int],
    total: int,
) -> BagFile:
    """The clean copy unsealed into the bag, and its digests (the bag's own, of the bytes written)
    compared with its ledger entry before the next file."""
    def write(out: BinaryIO) -> None:
        try:
            with open(vault.blobs / str(clean.output["blob"]), "rb") as sealed:
                unseal_stream(sealed, out, [keyring.secret.age_identity])
        except (OSError, SealError) as error:
            raise CheckFailed(f"the sealed clean copy of {clean.item} is missing or does not open; nothing was exported") from error

    def check(written: Digests) -> None:
        if written != Digests.from_dict(clean.output):
            raise CheckFailed(f"the sealed clean copy of {clean.item} does not match its ledger entry; nothing was exported")
        done[0] += int(clean.output["size"])
        if progress:
            progress(done[0], total)
    # SHA-256 and size prove the bytes the entry's SHA-512 was taken of (by `add`, or checked by
    # `receive`): that SHA-512 is listed, not computed again
    return BagFile(data_file, write, check=check, known_sha512=str(clean.output["sha512"]))


def _signed(path: str, data: bytes, keyring: Keyring) -> list[BagFile]:
    return [BagFile(path, data)] + [BagFile(path + suffix, signature) for suffix, signature in _Signer(keyring)(data)]


def _identity_files(keyring: Keyring) -> list[BagFile]:
    pem = keyring.secret.signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    files = [BagFile(IDENTITY_FILE, keyring.secret.export_public().encode("utf-8")), BagFile(PEM_FILE, pem)]
    if keyring.policy.openpgp:
        from intake.keys.openpgp import export_public_key

        files.append(BagFile(OPENPGP_KEY_FILE, export_public_key(keyring.policy.openpgp).encode("ascii")))
    return files


@dataclass(frozen=True)
class _Signer:
    """The detached signatures of one file: Ed25519 always, OpenPGP when a GPG key is linked."""

    keyring: Keyring

    def __call__(self, data: bytes) -> list[tuple[str, bytes]]:
        signatures = [(".sig", self.keyring.secret.sign(data))]
        if self.keyring.policy.openpgp:
            from intake.keys.openpgp import sign_detached

            signatures.append((".asc", sign_detached(data, self.keyring.policy.openpgp).encode("ascii")))
        return signatures
