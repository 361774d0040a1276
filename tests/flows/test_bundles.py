"""Field → editor → public bundle → verification, with real vaults, age, SQLite and files.

Three roles: a field contact (normal or write-only vault) submits sealed items
to an editor; the editor receives them and exports a BagIt bundle; a stranger
verifies it offline. Then every tampering the issue names is tried.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import bagit
import pyrage
import pytest

from conftest import cli_env, copy_vault, take_in
from intake.bundle.export import ExportOptions, export_bundle, exportable_items
from intake.errors import IntakeError, SubmissionRefused
from intake.bundle.receive import receive_submission
from intake.bundle.submission import submit
from intake.bundle.verify import verify_bundle
from intake.samples import write_letter_photo_notes
from intake.vault import Vault
from intake.keys.keystore import Keyring
from bundle_helpers import reseal_bytes

SECRETS = (b"SN-4471-0093", b"DemoPhone", b"Col. Example", b"ministry build", b"crate-0412", b"supply-letter",
           b"field-notes", b"LOT 7", b"from source K")


def ledger_size(vault: Vault) -> int:
    with vault.ledger() as ledger:
        return ledger.size()


def state(vault: Vault) -> tuple[int, list[str]]:
    return ledger_size(vault), sorted(p.name for p in vault.blobs.iterdir())


@pytest.fixture
def bundle(journey: dict, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(journey["bundle"], copy)
    return copy


def failures(path: Path, **kwargs) -> list[str]:
    report = verify_bundle(path, **({"allow_unpinned": True} | kwargs))
    return [f"{c.what}: {c.reason}" for c in report.checks if not c.ok]


# --- the round trip ------------------------------------------------------------------


def test_round_trip_verifies_and_holds_only_clean_copies(journey: dict) -> None:
    received = journey["received"]
    assert len(received.originals) == 3 and len(received.clean_copies) == 2  # the .txt cannot be cleaned
    bundle = journey["bundle"]
    report = verify_bundle(bundle, allow_unpinned=True)
    assert report.ok, failures(bundle)
    data = sorted(p.name for p in (bundle / "data").iterdir())
    assert data == sorted(f"{item}{ext}" for item, ext in zip(
        sorted(received.clean_copies), [".jpg" if f.endswith(".jpg") else ".pdf" for f in data]))
    assert {t.item for t in report.items} == set(received.clean_copies)
    for timeline in report.items:
        assert [(e.action, e.of) for e in timeline.events] == [("transferred", "original"),
                                                                ("transferred", "clean copy")]


def test_bundle_holds_no_original_and_none_of_its_metadata(journey: dict) -> None:
    original_hashes = [hashlib.sha256(p.read_bytes()).hexdigest().encode() for p in journey["samples"]]
    for path in journey["bundle"].rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in (*SECRETS, *original_hashes):
                assert secret not in content, (path, secret)
    for sample in journey["samples"]:
        assert all(sample.read_bytes() != p.read_bytes() for p in (journey["bundle"] / "data").iterdir())


def test_bag_is_accepted_by_bagit_python(journey: dict) -> None:
    bagit.Bag(str(journey["bundle"])).validate()
    info = (journey["bundle"] / "bag-info.txt").read_text()
    assert "intake/" not in info and "Bagging-Date" not in info and "Software" not in info


def test_submission_reveals_nothing_without_the_editors_key(journey: dict) -> None:
    sealed = journey["submission"].read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    for secret in (*SECRETS, b"itm_", b"ent_", b"received"):
        assert secret not in sealed
    field_keys = journey["field"][1]
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [field_keys.secret.age_identity])


def test_statement_shows_the_day_not_the_time_and_no_notes(journey: dict) -> None:
    statement = next((journey["bundle"] / "provenance").glob("itm_*.json")).read_text()
    document = json.loads(statement)
    assert document["disclosed"] == {"time": "day", "notes": False}
    shown_paths = [step[0] for c in document["custody"] for step in c["disclosure"]["shown"]]
    assert ["day"] in shown_paths and ["time"] not in shown_paths and ["note"] not in shown_paths
    assert "T0" not in statement.split('"day"')[1][:40]


def test_export_with_notes_and_seconds_shows_them(journey: dict, tmp_path: Path) -> None:
    field, keys = journey["field"]
    target = tmp_path / "b"
    export_bundle(field, keys, None, target, ExportOptions(with_notes=True, time_precision="second"))
    assert verify_bundle(target, allow_unpinned=True).ok, failures(target)
    text = "".join(p.read_text() for p in (target / "provenance").glob("itm_*.json"))
    assert "from source K" in text and '["time"],"20' in text


def test_zip_bundle_verifies(journey: dict, tmp_path: Path) -> None:
    editor, keys = journey["editor"]
    target = tmp_path / "bundle.zip"
    export_bundle(editor, keys, None, target, ExportOptions(as_zip=True))
    assert target.read_bytes()[:2] == b"PK"
    assert verify_bundle(target, allow_unpinned=True).ok, failures(target)


def test_items_are_chosen_by_clean_or_original_id(journey: dict, tmp_path: Path) -> None:
    editor, keys = journey["editor"]
    listed = exportable_items(editor, keys)
    assert len(listed) == 2
    export_bundle(editor, keys, [listed[0].original_item], tmp_path / "one")
    assert [p.stem for p in (tmp_path / "one" / "data").iterdir()] == [listed[0].item]
    with pytest.raises(IntakeError, match="no clean copy"):
        export_bundle(editor, keys, [journey["received"].originals[-1]], tmp_path / "none")
    with pytest.raises(IntakeError, match="no item"):
        export_bundle(editor, keys, ["itm_doesnotexist"], tmp_path / "none")
    assert not (tmp_path / "none").exists()


def test_trust_pins_the_custodian(journey: dict) -> None:
    editor_keys, field_keys = journey["editor"][1], journey["field"][1]
    assert verify_bundle(journey["bundle"], trust=editor_keys.public).ok
    assert any("pinned signer" in f for f in failures(journey["bundle"], trust=field_keys.public))


# --- tampering with a bundle -------------------------------------------------------------


def _rewrite_manifests(bundle: Path) -> None:
    """What a careful attacker does after swapping a file: recompute every BagIt manifest."""
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bundle).as_posix()}"
                 for p in sorted((bundle / "data").rglob("*")) if p.is_file()]
        (bundle / f"manifest-{algorithm}.txt").write_text("\n".join(lines) + "\n")
    for algorithm in ("sha256", "sha512"):
        tags = [p for p in sorted(bundle.rglob("*")) if p.is_file() and not p.relative_to(bundle).as_posix().startswith(
            ("data/", "tagmanifest-"))]
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bundle).as_posix()}" for p in tags]
        (bundle / f"tagmanifest-{algorithm}.txt").write_text("\n".join(lines) + "\n")


def test_swapped_file_with_rewritten_manifests_is_caught_and_named(bundle: Path) -> None:
    victim = next((bundle / "data").glob("*.jpg"))
    victim.write_bytes(victim.read_bytes()[:-2] + b"\x00\xd9")
    _rewrite_manifests(bundle)
    found = failures(bundle)
    assert any(victim.name in f and "swapped" in f for f in found), found
    assert any("not as signed" in f and victim.name in f for f in found), found  # the signed list of files


def test_removed_file_is_caught_and_named(bundle: Path) -> None:
    victim = next((bundle / "data").glob("*.pdf"))
    victim.unlink()
    assert any(victim.name in f for f in failures(bundle))


def test_edited_statement_is_caught(bundle: Path) -> None:
    statement = next((bundle / "provenance").glob("itm_*.json"))
    statement.write_text(statement.read_text().replace('"removed":{', '"removed":{"x":0,', 1))
    assert any(statement.name in f and "signature" in f for f in failures(bundle))


def test_edited_checkpoint_is_caught(bundle: Path) -> None:
    checkpoint = bundle / "provenance" / "checkpoint.txt"
    lines = checkpoint.read_text().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    checkpoint.write_text("\n".join(lines))
    assert any("checkpoint" in f for f in failures(bundle))


def test_proof_swapped_within_the_bundle_is_caught(bundle: Path) -> None:
    proofs = sorted((bundle / "provenance" / "proofs").iterdir())
    proofs[0].write_bytes(proofs[1].read_bytes())
    assert any(proofs[0].stem in f and "another entry" in f for f in failures(bundle))


def test_proof_replayed_from_another_bundle_is_caught(journey: dict, bundle: Path, tmp_path: Path) -> None:
    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "later")
    take_in(editor, keys, write_letter_photo_notes(tmp_path / "more"))
    later = tmp_path / "later-bundle"
    export_bundle(editor, keys, None, later)
    replaced = next((bundle / "provenance" / "proofs").iterdir())
    replaced.write_bytes((later / "provenance" / "proofs" / replaced.name).read_bytes())
    assert any(replaced.stem in f and "another checkpoint" in f for f in failures(bundle))


def test_a_file_added_to_data_is_caught(bundle: Path) -> None:
    (bundle / "data" / "extra.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    assert any("data/extra.jpg" in f for f in failures(bundle))


def test_verification_in_a_strangers_empty_home(journey: dict, tmp_path: Path) -> None:
    home = tmp_path / "stranger"
    home.mkdir()
    env = cli_env(home, passphrase=None)
    run = lambda *a: subprocess.run([sys.executable, "-m", "intake", *map(str, a)], capture_output=True,  # noqa: E731
                                    text=True, env=env, cwd=home, timeout=120)
    editor = journey["editor"][1].public
    pinned = run("verify", journey["bundle"], "--trust", editor.words)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.rstrip().endswith("bundle verified") and "FAIL" not in pinned.stdout
    assert list(home.iterdir()) == []  # no vault, no cache, nothing written
    as_json = json.loads(run("verify", journey["bundle"], "--json", "--trust", editor.fingerprint_hex).stdout)
    assert as_json["ok"] is True and as_json["pinned"] is True and all(c["ok"] for c in as_json["checks"])
    trust = tmp_path / "editor.pub"
    trust.write_text(journey["editor"][1].secret.export_public())
    assert run("verify", journey["bundle"], "--trust", trust).returncode == 0
    grouped = " ".join(editor.fingerprint_hex[i:i + 4] for i in range(0, 64, 4)).upper()
    assert run("verify", journey["bundle"], "--trust", grouped).returncode == 0
    other = tmp_path / "field.pub"
    other.write_text(journey["field"][1].secret.export_public())
    for wrong in (other, journey["field"][1].public.words):
        pinned_wrong = run("verify", journey["bundle"], "--trust", wrong)
        assert pinned_wrong.returncode == 1 and pinned_wrong.stderr.count("\n") == 1


def test_an_unpinned_signer_fails_last_and_plainly_unless_accepted(journey: dict, cli) -> None:
    editor = journey["editor"][1].public
    unpinned = cli("verify", journey["bundle"])
    assert unpinned.returncode == 1 and unpinned.stderr.count("\n") == 1 and "NOT pinned" in unpinned.stderr
    last = unpinned.stdout.rstrip().splitlines()[-1]
    assert last.startswith("FAIL  the signer is pinned: the signer is NOT pinned") and editor.words in last
    assert unpinned.stdout.count("FAIL") == 1
    as_json = json.loads(cli("verify", journey["bundle"], "--json").stdout)
    assert as_json["ok"] is False and as_json["pinned"] is False and as_json["signer"]["ok"] is False
    accepted = cli("verify", journey["bundle"], "--allow-unpinned")
    assert accepted.returncode == 0, accepted.stderr
    assert "NOT pinned (accepted with --allow-unpinned)" in accepted.stdout
    assert accepted.stdout.rstrip().endswith("bundle checks hold, but the signer is NOT pinned")


@pytest.mark.parametrize("given", ["twelve words is not enough here", "abcd", "0" * 63])
def test_a_malformed_pin_is_a_usage_error(journey: dict, cli, given: str) -> None:
    result = cli("verify", journey["bundle"], "--trust", given)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- receiving -----------------------------------------------------------------------------


def test_second_receive_of_the_same_submission_is_refused(journey: dict) -> None:
    editor, keys = journey["editor"]
    before = state(editor)
    with pytest.raises(SubmissionRefused, match="already received"):
        receive_submission(editor, keys, journey["submission"])
    assert state(editor) == before


def _editor_copy(journey: dict, tmp_path: Path, name: str = "editor2") -> tuple[Vault, Keyring]:
    return copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / name)


def test_a_forked_sender_ledger_is_refused(journey: dict, template_vault, tmp_path: Path) -> None:
    editor, editor_keys = _editor_copy(journey, tmp_path)
    fork, keys = copy_vault(template_vault, tmp_path / "fork")  # same key, history started over
    take_in(fork, keys, write_letter_photo_notes(tmp_path / "other"))
    take_in(fork, keys, [tmp_path / "other" / "field-notes.txt"])
    submission = tmp_path / "fork.age"
    submit(fork, keys, None, editor_keys.public, submission)
    before = state(editor)
    with pytest.raises(SubmissionRefused, match="forked|rolled back"):
        receive_submission(editor, editor_keys, submission)
    assert state(editor) == before


def test_a_later_consistent_submission_is_accepted(journey: dict, tmp_path: Path) -> None:
    field, keys = copy_vault((journey["field"][0].root, journey["field"][1]), tmp_path / "field")
    editor, editor_keys = _editor_copy(journey, tmp_path)
    take_in(field, keys, [write_letter_photo_notes(tmp_path / "new")[1]])
    submission = tmp_path / "second.age"
    submit(field, keys, None, editor_keys.public, submission)
    result = receive_submission(editor, editor_keys, submission)
    assert len(result.originals) == 1 and len(result.clean_copies) == 1 and result.skipped == 5
    assert not result.new_sender


def _reseal(journey: dict, target: Path, change) -> Path:
    """Open a submission with the editor's key, let `change` edit its manifest, seal it again."""
    def rewrite(data: bytes) -> bytes:
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return reseal_bytes(journey, target, rewrite)


@pytest.mark.parametrize("attack, reason", [
    ("signature", "signature"), ("entry", "altered"), ("leaves", "does not match"), ("proof", "proof|another"),
    ("checkpoint", "checkpoint"),
])
def test_a_forged_submission_is_refused(journey: dict, tmp_path: Path, attack: str, reason: str) -> None:
    def change(manifest: dict) -> None:
        manifest["id"] = "sub_bbbbbbbbbbbbbbbb"
        entry = manifest["entries"][0]
        if attack == "signature":
            entry["signed"]["signature"] = entry["signed"]["signature"][:-4] + "AAA="
        elif attack == "entry":
            entry["signed"]["entry"]["outputs"][0]["name"] = "other.jpg"
        elif attack == "leaves":
            manifest["leaves"][0] = "00" * 64
        elif attack == "proof":
            entry["proof"] = manifest["entries"][1]["proof"]
        else:
            manifest["checkpoint"] = manifest["checkpoint"].replace("\n\n", "\nextra\n\n", 1)

    editor, keys = _editor_copy(journey, tmp_path)
    forged = _reseal(journey, tmp_path / "forged.age", change)
    before = state(editor)
    with pytest.raises(SubmissionRefused, match=reason):
        receive_submission(editor, keys, forged)
    assert state(editor) == before


@pytest.mark.parametrize("damage", ["truncated", "foreign", "other key", "empty"])
def test_damaged_or_foreign_submissions_are_refused(journey: dict, tmp_path: Path, damage: str) -> None:
    editor, keys = _editor_copy(journey, tmp_path)
    sealed = journey["submission"].read_bytes()
    target = tmp_path / "bad.age"
    if damage == "truncated":
        target.write_bytes(sealed[: len(sealed) * 2 // 3])
    elif damage == "foreign":
        target.write_bytes(b"%PDF-1.7 not a submission")
    elif damage == "other key":
        plain = pyrage.decrypt(sealed, [keys.secret.age_identity])
        target.write_bytes(pyrage.encrypt(plain, [pyrage.x25519.Identity.generate().to_public()]))
    else:
        target.write_bytes(b"")
    before = state(editor)
    with pytest.raises(IntakeError):
        receive_submission(editor, keys, target)
    assert state(editor) == before
    assert not list(editor.root.glob(".partial-*")) and not list(editor.blobs.glob(".partial-*"))
    assert not list((editor.root / "partial").iterdir())


# --- a write-only field vault ----------------------------------------------------------------


def test_write_only_field_vault_submits_what_it_cannot_open(
    journey: dict, write_only_template, tmp_path: Path
) -> None:
    field, keys = copy_vault(write_only_template, tmp_path / "field")
    editor, editor_keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    take_in(field, keys, write_letter_photo_notes(tmp_path / "inbox"))
    with pytest.raises(IntakeError, match="write-only"):
        export_bundle(field, keys, None, tmp_path / "nope")
    with pytest.raises(IntakeError, match="--all"):
        submit(field, keys, ["itm_x"], editor_keys.public, tmp_path / "nope.age")
    stranger = journey["field"][1].public
    with pytest.raises(IntakeError, match="not a recipient"):
        submit(field, keys, None, stranger, tmp_path / "nope.age")
    submission = tmp_path / "wo.age"
    submit(field, keys, None, editor_keys.public, submission)
    result = receive_submission(editor, editor_keys, submission)
    assert len(result.originals) == 3 and len(result.clean_copies) == 2
    bundle = tmp_path / "bundle"
    export_bundle(editor, editor_keys, list(result.clean_copies), bundle)
    assert verify_bundle(bundle, allow_unpinned=True).ok, failures(bundle)
    assert not (tmp_path / "nope").exists() and not (tmp_path / "nope.age").exists()


# --- the command line ------------------------------------------------------------------------


def test_cli_round_trip_and_one_line_errors(journey: dict, tmp_path: Path, cli) -> None:
    editor = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")[0]
    field = copy_vault((journey["field"][0].root, journey["field"][1]), tmp_path / "field")[0]
    editor_pub = tmp_path / "editor.pub"
    assert cli("--vault", editor.root, "keys", "export", "-o", editor_pub).returncode == 0
    sub = cli("--vault", field.root, "submit", "--all", "--to", editor_pub, "-o", tmp_path / "s.age")
    assert sub.returncode == 0, sub.stderr
    again = cli("--vault", editor.root, "receive", tmp_path / "s.age")
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "already received" in again.stderr
    out = cli("--vault", editor.root, "export", "--all", "-o", tmp_path / "out", "--zip")
    assert out.returncode == 0, out.stderr
    verified = cli("verify", tmp_path / "out", "--trust", editor_pub)
    assert verified.returncode == 0 and "bundle verified" in verified.stdout
    shown = cli("--vault", editor.root, "ledger", "show").stdout
    tagmanifest = hashlib.sha256(zipfile.ZipFile(tmp_path / "out").read("out/tagmanifest-sha256.txt")).hexdigest()
    assert shown.count(f"2 clean copies to the bundle {tagmanifest[:16]}") == 1  # one `exported` row per bundle
    cases = [
        (("--vault", editor.root, "export", "-o", tmp_path / "x"), 2, "--all"),
        (("--vault", editor.root, "export", "--all", "-o", tmp_path / "out"), 2, "already exists"),
        (("verify", tmp_path / "missing"), 2, "missing"),
        (("verify", editor_pub), 2, ""),
        (("--vault", editor.root, "receive", editor_pub), 2, "not an intake submission"),
        (("--vault", field.root, "submit", "itm_nope", "--to", editor_pub, "-o", tmp_path / "t.age"), 2, "no item"),
    ]
    for args, code, words in cases:
        result = cli(*args)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "t.age").exists()


def test_cli_verify_of_a_tampered_bundle_names_the_failure(bundle: Path, cli) -> None:
    victim = next((bundle / "data").glob("*.jpg"))
    victim.write_bytes(b"\xff\xd8\xff\xd9")
    result = cli("verify", bundle)
    assert result.returncode == 1
    assert f"FAIL  data/{victim.name}" in result.stdout
    assert result.stderr.startswith("intake: error: the bundle did not verify") and result.stderr.count("\n") == 1


def test_hostile_zip_bundle_is_refused_without_writing(tmp_path: Path, cli) -> None:
    import zipfile

    hostile = tmp_path / "evil.zip"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        archive.writestr("../../escape.txt", "x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = cli("verify", hostile)
    assert result.returncode in (1, 2) and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("change", [
    {"custodian": 7}, {"original": []}, {"custody": [1]}, {"custody": "x"}, {"file": None},
])
def test_a_signed_statement_of_the_wrong_shape_fails_a_check_not_the_verifier(
    journey: dict, bundle: Path, change: dict,
) -> None:
    """Even a statement the custodian really signed may be hostile (a rogue custodian): named, no crash."""
    keys = journey["editor"][1]
    statement = next((bundle / "provenance").glob("itm_*.json"))
    document = {**json.loads(statement.read_text()), **change}
    statement.write_bytes(json.dumps(document).encode())
    (bundle / f"{statement.relative_to(bundle)}.sig").write_bytes(keys.secret.sign(statement.read_bytes()))
    assert any(statement.name in f and "not a valid provenance statement" in f for f in failures(bundle))


# --- the custodian's record of an export ---------------------------------------------------------


def _opened_entries(vault: Vault, keys: Keyring) -> list:
    from intake.custody import read_entries

    return read_entries(vault, keys)


def test_an_export_is_recorded_after_the_bag_is_complete(journey: dict) -> None:
    editor, keys = journey["editor"]
    bundle = journey["bundle"]
    entries = _opened_entries(editor, keys)
    by_id = {e.id: e for e in entries}
    tagmanifest = hashlib.sha256((bundle / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    # other tests export from the same editor too: this bundle's records are those naming it
    (exported,) = [e for e in entries if e.action == "exported" and e.outputs[0]["tagmanifest_sha256"] == tagmanifest]
    assert exported.item.startswith("bnd_") and exported.item not in {e.item for e in entries if e is not exported}
    assert sorted(copy["item"] for copy in exported.inputs) == sorted(journey["received"].clean_copies)
    checkpoint_size = int((bundle / "provenance" / "checkpoint.txt").read_text().splitlines()[1])
    assert len(exported.parents) == len(exported.inputs)
    for parent_id, copy in zip(exported.parents, exported.inputs):
        parent = by_id[parent_id]
        assert parent.action == "transferred" and parent.outputs[0]["role"] == "clean copy"
        assert copy == {"item": parent.item, **{k: parent.outputs[0][k] for k in ("media_type", "sha256", "sha512", "size")}}
    assert exported.outputs == ({"role": "public bundle", "tagmanifest_sha256": tagmanifest,
                                 "checkpoint_size": checkpoint_size, "time_precision": "day", "with_notes": False},)
    assert exported.seq >= checkpoint_size  # after everything the bundle proves
    # the record stays in the vault: the bundle's trails do not include it
    assert not any(text in p.read_bytes() for text in (exported.id.encode(), exported.item.encode())
                   for p in bundle.rglob("*") if p.is_file())


def test_an_export_that_cannot_be_recorded_leaves_no_bundle(journey: dict, tmp_path: Path) -> None:
    import sqlite3

    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    with sqlite3.connect(editor.ledger_path) as db:  # a ledger that refuses new rows, as a full disk would
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'refused'); END")
    before = ledger_size(editor)
    for as_zip in (False, True):
        target = tmp_path / ("out.zip" if as_zip else "out")
        with pytest.raises(IntakeError, match="the ledger could not be written"):
            export_bundle(editor, keys, None, target, ExportOptions(as_zip=as_zip))
        assert not target.exists() and ledger_size(editor) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["editor"]


def test_a_forged_export_record_fails_the_audit(journey: dict, tmp_path: Path) -> None:
    from intake.ledger.entries import Draft
    from intake.custody import verify_ledger

    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    original = journey["received"].originals[0]
    received = next(e for e in _opened_entries(editor, keys) if e.item == original)
    with editor.locked(), editor.ledger() as ledger:  # "exports" an original, as if it were clean
        ledger.append_all([Draft("exported", original, inputs=({"item": original, **{
            k: received.outputs[0][k] for k in ("media_type", "sha256", "sha512", "size")}},),
            outputs=({"role": "public bundle"},), parents=(received.id,))], keys)
    report = verify_ledger(editor, keys)
    assert not report.ok and "not the clean copy its parent produced" in report.failure


def _bundle_record(clean: list, item: str = "bnd_aaaaaaaaaaaaaaaa") -> tuple[str, tuple[dict, ...], tuple[str, ...]]:
    """An export's item, inputs and parents as `export` writes them for these clean copies."""
    inputs = tuple({"item": c.item, **{k: c.outputs[0][k] for k in ("media_type", "sha256", "sha512", "size")}}
                   for c in clean)
    return item, inputs, tuple(c.id for c in clean)


def _swapped(record: tuple) -> tuple:
    item, inputs, parents = record
    return item, inputs, parents[::-1]


def _one_parent_short(record: tuple) -> tuple:
    item, inputs, parents = record
    return item, inputs, parents[:-1]


def _an_original_among_them(record: tuple, received: object) -> tuple:
    item, inputs, parents = record
    original = {"item": received.item, **{k: received.outputs[0][k] for k in ("media_type", "sha256", "sha512", "size")}}
    return item, inputs + (original,), parents + (received.id,)


def _named_for_a_copy(record: tuple) -> tuple:
    item, inputs, parents = record
    return inputs[0]["item"], inputs, parents  # an item that is neither a bundle nor its one copy


@pytest.mark.parametrize("forge", ["as written", "swapped", "one parent short", "an original among them",
                                   "named for one copy", "no copy"])
def test_an_export_record_pairs_each_clean_copy_with_the_entry_that_produced_it(
        journey: dict, tmp_path: Path, forge: str) -> None:
    """One `exported` entry names every clean copy of its bundle, the n-th produced by its n-th
    parent: `ledger verify` accepts exactly that pairing."""
    from intake.custody import verify_ledger
    from intake.ledger.entries import Draft

    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    entries = _opened_entries(editor, keys)
    clean = [e for e in entries if e.outputs and e.outputs[0].get("role") == "clean copy"]
    received = next(e for e in entries if e.item == journey["received"].originals[0] and e.action != "exported")
    assert len(clean) == 2
    record = _bundle_record(clean)
    record = {
        "as written": lambda: record, "swapped": lambda: _swapped(record),
        "one parent short": lambda: _one_parent_short(record),
        "an original among them": lambda: _an_original_among_them(record, received),
        "named for one copy": lambda: _named_for_a_copy(record), "no copy": lambda: (record[0], (), ()),
    }[forge]()
    item, inputs, parents = record
    with editor.locked(), editor.ledger() as ledger:
        ledger.append_all([Draft("exported", item, inputs=inputs, outputs=({"role": "public bundle"},),
                                 parents=parents)], keys)
    report = verify_ledger(editor, keys)
    if forge == "as written":
        assert report.ok, report.failure
    else:
        assert not report.ok and "not the clean copy its parent produced" in report.failure


def test_the_bundle_does_not_repeat_sequence_numbers_or_the_log_size(journey: dict) -> None:
    from intake.ledger.disclosure import HIDDEN, Disclosure

    statements = sorted((journey["bundle"] / "provenance").glob("itm_*.json"))
    assert statements
    for path in statements:
        statement = json.loads(path.read_text())
        assert set(statement["log"]) == {"origin", "checkpoint"}
        for step in statement["custody"]:
            disclosure = Disclosure.from_dict(step["disclosure"])
            assert disclosure.value("seq") is HIDDEN and disclosure.value("id") == step["entry"]
