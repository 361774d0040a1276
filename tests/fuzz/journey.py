"""A real field vault and editor vault, once: the seeds for the bundle, submission and ledger harnesses.

The field vault takes in the sample files and submits them to the editor; the
submission is kept, both sealed and opened (its tar stream, which the harness
mutates and seals again to the editor). A copy of the editor vault made before
it receives anything is what `check_submission` checks against; the editor then
receives and exports a zip bundle, whose files seed the ledger text parsers.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from intake import samples
from intake.bundle.export import ExportOptions, export_bundle
from intake.bundle.receive import receive_submission
from intake.bundle.submission import submit
from intake.takein.clean_copy import clean_received
from intake.takein.original import receive_original
from intake.takein.sources import collect_sources
from intake.keys.seal import unseal
from intake.vault import Vault, create_vault
from intake.keys.identity import PublicIdentity
from intake.keys.keystore import Keyring

PASSPHRASE = "a long fuzzing passphrase"


@dataclass(frozen=True)
class Journey:
    checking_vault: Vault
    editor_keys: Keyring
    submission_plain: bytes  # the tar stream inside the age file
    bundle_zip: bytes
    bundle_files: dict[str, bytes]
    custodian: PublicIdentity


def _take_in(vault: Vault, keyring: Keyring, paths: list[Path]) -> None:
    with vault.locked(), vault.ledger() as ledger:
        for source in collect_sources(paths, vault.root).sources:
            received = receive_original(source, ledger, keyring, vault.blobs, "from the fuzzing journey")
            clean_received(source, received, ledger, keyring, vault.blobs)


def _inbox(folder: Path) -> list[Path]:
    folder.mkdir()
    files = {"photo.jpg": samples.photo(), "letter.pdf": samples.letter(), "report.docx": samples.report()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


def build(base: Path) -> Journey:
    field = create_vault(base / "field", "field-fz", PASSPHRASE)
    field_keys = field.unlock(PASSPHRASE)
    editor = create_vault(base / "editor", "editor-fz", PASSPHRASE)
    editor_keys = editor.unlock(PASSPHRASE)
    _take_in(field, field_keys, _inbox(base / "inbox"))
    sealed = base / "to-editor.age"
    submit(field, field_keys, None, editor_keys.public, sealed)
    shutil.copytree(base / "editor", base / "checking")
    receive_submission(editor, editor_keys, sealed)
    bundle = base / "bundle.zip"
    export_bundle(editor, editor_keys, None, bundle, ExportOptions(as_zip=True))
    bundle_zip = bundle.read_bytes()
    with zipfile.ZipFile(io.BytesIO(bundle_zip)) as archive:
        prefix = archive.namelist()[0].split("/", 1)[0] + "/"
        files = {info.filename.removeprefix(prefix): archive.read(info)
                 for info in archive.infolist() if not info.is_dir()}
    return Journey(Vault.open(base / "checking"), editor_keys,
                   unseal(sealed.read_bytes(), [editor_keys.secret.age_identity]), bundle_zip, files,
                   editor_keys.public)


def statements(journey: Journey) -> list[dict]:
    return [json.loads(data) for name, data in sorted(journey.bundle_files.items())
            if name.startswith("provenance/itm_") and name.endswith(".json")]
