"""A bundle proves its ledger extends the checkpoints of earlier exports: `verify NEW --since OLD`
catches a fork (two histories of one size under one key) and a rollback, with real vaults."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import copy_vault
from intake.errors import ConsistencyError
from intake.bundle.consistency import ConsistencyProof, consistency_file
from intake.bundle.export import ExportOptions, export_bundle
from intake.bundle.statement import CHECKPOINT_FILE
from intake.bundle.verify import verify_bundle
from intake.keys.keystore import Keyring
from consistency_helpers import add_photo
from recipe_helpers import run_script


def since_check(new: Path, old_note: str, keyring: Keyring):
    report = verify_bundle(new, keyring.public, since=old_note)
    return report, next(c for c in report.checks if "--since" in c.what)


@pytest.fixture
def history(tmp_path: Path, template_vault) -> dict:
    """One vault exported twice; then two copies of it (a fork), each growing its own history."""
    vault, keyring = copy_vault(template_vault, tmp_path / "vault")
    add_photo(vault, keyring, tmp_path / "in1", "first.jpg")
    export_bundle(vault, keyring, None, tmp_path / "first")
    add_photo(vault, keyring, tmp_path / "in2", "second.jpg")
    export_bundle(vault, keyring, None, tmp_path / "second", ExportOptions(as_zip=True))
    with vault.ledger() as ledger:
        saved_later = ledger.latest_checkpoint()  # after the export's own entries: a size no bundle published
    fork, _ = copy_vault((vault.root, keyring), tmp_path / "fork")
    add_photo(vault, keyring, tmp_path / "in3", "third.jpg")
    add_photo(fork, keyring, tmp_path / "in4", "other.jpg")
    export_bundle(vault, keyring, None, tmp_path / "third")
    export_bundle(fork, keyring, None, tmp_path / "forked")
    return {"keyring": keyring, "first": tmp_path / "first", "second": tmp_path / "second",
            "third": tmp_path / "third", "forked": tmp_path / "forked",
            "saved_later": saved_later}


def note_of(bundle: Path) -> str:
    return (bundle / CHECKPOINT_FILE).read_text()


def test_a_newer_bundle_proves_it_extends_every_earlier_export(history: dict) -> None:
    keyring = history["keyring"]
    report, check = since_check(history["third"], note_of(history["first"]), keyring)
    assert report.ok and check.ok and "consistency proof" in check.what
    assert (history["third"] / consistency_file(int(note_of(history["first"]).split("\n")[1]))).is_file()
    same, check = since_check(history["first"], note_of(history["first"]), keyring)
    assert same.ok and "the same checkpoint" in check.what


def test_an_older_bundle_given_as_new_is_a_rollback(history: dict) -> None:
    report, check = since_check(history["first"], note_of(history["third"]), history["keyring"])
    assert not report.ok and "ROLLBACK" in str(check.reason)


def test_two_histories_of_one_size_are_a_fork(history: dict) -> None:
    third, forked = note_of(history["third"]), note_of(history["forked"])
    assert third.split("\n")[:2] == forked.split("\n")[:2] and third != forked  # same origin and size
    assert verify_bundle(history["forked"], history["keyring"].public).ok  # alone, each verifies
    report, check = since_check(history["forked"], third, history["keyring"])
    assert not report.ok and "FORK" in str(check.reason)


def test_an_altered_consistency_proof_is_a_fork(history: dict, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(history["third"], copy)
    old = note_of(history["first"])
    proof_path = copy / consistency_file(int(old.split("\n")[1]))
    proof = ConsistencyProof.from_text(proof_path.read_text())
    flipped = bytes([proof.hashes[0][0] ^ 1]) + proof.hashes[0][1:]
    proof_path.write_text(ConsistencyProof(proof.old_size, (flipped, *proof.hashes[1:])).to_text())
    _, check = since_check(copy, old, history["keyring"])
    assert not check.ok and "FORK" in str(check.reason)


def test_a_checkpoint_of_another_key_or_without_a_proof_is_not_accepted(history: dict, journey: dict) -> None:
    _, check = since_check(history["third"], note_of(journey["bundle"]), history["keyring"])
    assert not check.ok and "not signed by this bundle's custodian" in str(check.reason)
    _, check = since_check(history["third"], history["saved_later"], history["keyring"])
    assert not check.ok and "carries no consistency proof from size" in str(check.reason)


def test_cli_since_takes_a_bundle_zip_or_a_checkpoint_file(history: dict, tmp_path: Path, cli) -> None:
    pin = history["keyring"].public.fingerprint_hex
    ok = cli("verify", history["third"], "--trust", pin, "--since", history["second"])  # a zip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok    the ledger extends the older checkpoint given with --since" in ok.stdout
    saved = tmp_path / "saved.txt"
    saved.write_text(note_of(history["first"]))
    assert cli("verify", history["third"], "--trust", pin, "--since", saved).returncode == 0
    fork = cli("verify", history["forked"], "--trust", pin, "--since", history["third"])
    assert fork.returncode == 1 and "FORK" in fork.stdout and fork.stderr.count("\n") == 1
    missing = cli("verify", history["third"], "--trust", pin, "--since", tmp_path / "nope.txt")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


@pytest.mark.parametrize("text", ["", "old 1", "old 01\n", "new 3\n", "old 3\nnot-base64!\n", "old 3\nAAAA\n",
                                  "old 3\n" + "A" * 43 + "=\n" * 1 + "x\n"])
def test_a_malformed_proof_file_is_refused(text: str) -> None:
    with pytest.raises(ConsistencyError):
        ConsistencyProof.from_text(text)


def test_the_stdlib_script_checks_since_too(history: dict, tmp_path: Path) -> None:
    home = tmp_path / "stranger"
    extends = run_script(history["third"], home, "--since", str(history["first"]))
    assert extends.returncode == 0, extends.stdout
    assert "ok    the ledger extends the older checkpoint given with --since" in extends.stdout
    saved = tmp_path / "saved.txt"
    saved.write_text(note_of(history["third"]))
    assert run_script(history["third"], home, "--since", str(saved)).returncode == 0  # the same checkpoint
    rollback = run_script(history["first"], home, "--since", str(history["third"]))
    assert rollback.returncode == 1 and "ROLLBACK" in rollback.stdout
    fork = run_script(history["forked"], home, "--since", str(history["third"] / CHECKPOINT_FILE))
    assert fork.returncode == 1 and "FORK" in fork.stdout
    unpublished = tmp_path / "later.txt"
    unpublished.write_text(history["saved_later"])
    no_proof = run_script(history["third"], home, "--since", str(unpublished))
    assert no_proof.returncode == 1 and "no consistency proof from size" in no_proof.stdout
    missing = run_script(history["third"], home, "--since", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "Traceback" not in missing.stdout + missing.stderr
