"""The command line for a tired, scared person (issue 14): each behaviour through the real `intake`
command, on real vaults, real age and real files."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import PASSPHRASE, PROJECT, cli_env, copy_vault
from intake.custody import unique_item
from intake.bundle.export import exportable_items
from intake.errors import IntakeError, SealError
from intake.keys.seal import unseal
from intake.keys.identity import SecretIdentity


@pytest.fixture
def vault_dir(tmp_path: Path, template_vault) -> Path:
    root = tmp_path / "vault"
    shutil.copytree(template_vault[0], root)
    return root


def _photo(path: Path, colour: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 16), colour).save(path, "JPEG")
    return path


def _pub(tmp_path: Path, name: str) -> tuple[SecretIdentity, Path]:
    identity = SecretIdentity.generate(name)
    path = tmp_path / f"{name}.pub"
    path.write_text(identity.export_public(), encoding="utf-8")
    return identity, path


def _blobs(vault: Path) -> list[Path]:
    return [p for p in (vault / "blobs").iterdir() if p.suffix == ".age"]


# --- #4 a write-only field vault ----------------------------------------------------------


def test_write_only_ledger_verify_counts_what_is_there(cli, tmp_path: Path, write_only_template) -> None:
    field, _ = copy_vault(write_only_template, tmp_path / "field")
    photos = [_photo(tmp_path / "in" / f"{n}.jpg", colour) for n, colour in enumerate(("red", "blue", "green"))]
    assert cli("--vault", field.root, "add", *photos).returncode == 0
    count = len(_blobs(field.root))
    assert count == 9  # per photo: the original, its findings report, its clean copy
    verified = cli("--vault", field.root, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"ok    {count} sealed files are in blobs/" in verified.stdout
    assert "0 sealed files" not in verified.stdout
    assert verified.stdout.splitlines()[-1].startswith("ledger verified (write-only vault")
    as_json = json.loads(cli("--vault", field.root, "ledger", "verify", "--json").stdout)
    assert as_json["ok"] is True and as_json["entries_opened"] is False
    assert any(line.startswith(f"{count} sealed files") for line in as_json["checked"])


# --- #11 failures first, the verdict last -------------------------------------------------


def _flip_entry(vault: Path, idx: int) -> None:
    with sqlite3.connect(vault / "ledger.sqlite") as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = ?", (idx,)).fetchone()
        changed = bytearray(sealed)
        changed[len(changed) // 2] ^= 1
        db.execute("UPDATE entries SET sealed = ? WHERE idx = ?", (bytes(changed), idx))


def test_ledger_verify_puts_the_failure_first(cli, vault_dir: Path, tmp_path: Path) -> None:
    assert cli("--vault", vault_dir, "add", _photo(tmp_path / "a.jpg")).returncode == 0
    _flip_entry(vault_dir, 1)
    failed = cli("--vault", vault_dir, "ledger", "verify")
    assert failed.returncode == 1
    lines = failed.stdout.splitlines()
    assert lines[0].startswith("ledger of") and lines[1].startswith("FAIL  ") and "entry 1" in lines[1]
    assert all(not line.startswith("FAIL") for line in lines[2:])
    assert failed.stderr.count("\n") == 1 and "ledger verification failed" in failed.stderr
    quiet = cli("--vault", vault_dir, "ledger", "verify", "-q")
    assert quiet.returncode == 1 and "ok    " not in quiet.stdout and "FAIL  " in quiet.stdout
    as_json = cli("--vault", vault_dir, "ledger", "verify", "--json")
    document = json.loads(as_json.stdout)  # one document: the report, not a second error document
    assert as_json.returncode == 1 and document["ok"] is False and "entry 1" in document["failure"]


def test_bundle_verify_puts_failures_first_and_the_verdict_last(cli, journey: dict, tmp_path: Path) -> None:
    editor_keys = journey["editor"][1]
    pub = tmp_path / "editor.pub"
    pub.write_text(editor_keys.secret.export_public(), encoding="utf-8")
    good = cli("verify", journey["bundle"], "--trust", pub)
    assert good.returncode == 0 and good.stdout.splitlines()[-1] == "bundle verified"
    tampered = tmp_path / "tampered"
    shutil.copytree(journey["bundle"], tampered)
    photo = next((tampered / "data").glob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-2] + b"\0\xd9")
    bad = cli("verify", tampered, "--trust", pub)
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith("FAIL  ")
    first_ok = next(i for i, line in enumerate(bad.stdout.splitlines()) if line.startswith("ok    "))
    assert "FAIL  " not in "\n".join(bad.stdout.splitlines()[first_ok:])
    assert "listed first" in bad.stderr


# --- #5 the field contact's note -----------------------------------------------------------


def test_the_note_reaches_the_editor_sealed_and_stays_out_of_public_bundles(
    cli, journey: dict, tmp_path: Path, editor_template
) -> None:
    note = "from source K"  # the journey's field vault took its files in with this note
    fresh, _ = copy_vault(editor_template, tmp_path / "fresh-editor")
    checked = cli("--vault", fresh.root, "receive", "--check", journey["submission"])
    assert checked.returncode == 0, checked.stderr
    assert f"note: {note}" in checked.stdout
    editor = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")[0]
    shown = cli("--vault", editor.root, "ledger", "show", "--json")
    transferred = [e for e in json.loads(shown.stdout)["entries"] if e["action"] == "transferred"]
    originals = [e for e in transferred if e["outputs"][0].get("role") != "clean copy"]
    assert originals and all(e["note"] == note for e in originals)  # the note is the receipt's
    assert note.encode() not in (editor.root / "ledger.sqlite").read_bytes()  # sealed, as every entry
    public = [p.read_bytes() for p in journey["bundle"].rglob("*") if p.is_file()]
    assert public and not any(note.encode() in data for data in public)
    with_notes = tmp_path / "with-notes"
    assert cli("--vault", editor.root, "export", "--all", "--with-notes", "-o", with_notes).returncode == 0
    assert any(note.encode() in p.read_bytes() for p in with_notes.rglob("*") if p.is_file())


# --- #7 the same file twice --------------------------------------------------------------


def test_the_same_file_twice_is_skipped_unless_allowed_and_published_once(
    cli, vault_dir: Path, tmp_path: Path
) -> None:
    photo = _photo(tmp_path / "in" / "crate.jpg")
    copy = tmp_path / "in" / "crate-copy.jpg"
    shutil.copy(photo, copy)
    first = cli("--vault", vault_dir, "add", photo, copy)
    assert first.returncode == 0 and "skipped crate-copy.jpg: it is the same file as crate.jpg" in first.stderr
    again = cli("--vault", vault_dir, "add", photo, "--json")
    assert again.returncode == 0
    (skipped,) = json.loads(again.stdout)["files"]
    assert skipped["status"] == "duplicate" and skipped["in_ledger"] is True and skipped["earlier"].startswith("itm_")
    assert len(_blobs(vault_dir)) == 3  # one original, its findings report, its clean copy
    forced = cli("--vault", vault_dir, "add", photo, "--allow-duplicate")
    assert forced.returncode == 0 and len(_blobs(vault_dir)) == 6
    exported = cli("--vault", vault_dir, "export", "--all", "-o", tmp_path / "bundle")
    assert exported.returncode == 0 and "left out 1 identical clean copy" in exported.stdout
    assert len(list((tmp_path / "bundle" / "data").iterdir())) == 1


def test_a_vault_from_before_the_originals_index_says_it_indexes_once(cli, vault_dir: Path, tmp_path: Path) -> None:
    photo = _photo(tmp_path / "in" / "crate.jpg")
    assert cli("--vault", vault_dir, "add", photo).returncode == 0
    with sqlite3.connect(vault_dir / "ledger.sqlite") as db:  # as an older intake left it
        db.execute("DROP TABLE originals")
    again = cli("--vault", vault_dir, "add", photo)
    assert again.returncode == 0
    assert "indexing the 2 earlier entries of this vault once" in again.stderr
    assert "skipped crate.jpg: it was taken in before" in again.stderr
    third = cli("--vault", vault_dir, "add", photo)
    assert "indexing" not in third.stderr and "taken in before" in third.stderr


def test_the_export_list_names_the_sender(journey: dict) -> None:
    editor, keys = journey["editor"]
    sender = journey["field"][1].public.fingerprint_hex
    listed = exportable_items(editor, keys)
    assert listed and all(item.sender == sender for item in listed)


# --- #8 removing a recipient ----------------------------------------------------------------


@pytest.mark.parametrize("given", ["words", "hex", "file"])
def test_remove_recipient_by_words_hex_or_file(cli, vault_dir: Path, tmp_path: Path, given: str) -> None:
    editor, pub = _pub(tmp_path, "editor-desk")
    added = cli("--vault", vault_dir, "keys", "add-recipient", pub, "--yes")
    assert added.returncode == 0 and "cannot be un-sealed" in added.stdout
    named = {"words": editor.public().words, "hex": editor.public().fingerprint_hex, "file": str(pub)}[given]
    removed = cli("--vault", vault_dir, "keys", "remove-recipient", named)
    assert removed.returncode == 0, removed.stderr
    assert "removed recipient  editor-desk" in removed.stdout
    listed = json.loads(cli("--vault", vault_dir, "keys", "list", "--json").stdout)
    assert listed["recipients"] == []
    assert cli("--vault", vault_dir, "add", _photo(tmp_path / "later.jpg")).returncode == 0
    for blob in _blobs(vault_dir):  # nothing sealed after the removal opens with the editor's key
        with pytest.raises(SealError):
            unseal(blob.read_bytes(), [editor.age_identity])
    again = cli("--vault", vault_dir, "keys", "remove-recipient", named)
    assert again.returncode == 2 and "no recipient" in again.stderr


def test_a_write_only_vault_keeps_its_last_editor(cli, tmp_path: Path, write_only_template, editor_template) -> None:
    field, _ = copy_vault(write_only_template, tmp_path / "field")
    words = editor_template[1].public.words
    refused = cli("--vault", field.root, "keys", "remove-recipient", words)
    assert refused.returncode == 2 and "add another recipient first" in refused.stderr


# --- #17 conventions -------------------------------------------------------------------------


def test_json_for_keys_add_submit_receive_and_errors(
    cli, vault_dir: Path, tmp_path: Path, template_vault, editor_template
) -> None:
    shown = json.loads(cli("--vault", vault_dir, "keys", "show", "--json").stdout)
    assert shown["fingerprint"] == template_vault[1].public.fingerprint_hex and shown["write_only"] is False
    added = json.loads(cli("--vault", vault_dir, "add", _photo(tmp_path / "a.jpg"), "--json").stdout)
    (taken,) = added["files"]
    assert taken["status"] == "taken in" and taken["clean_copy"]["item"].startswith("itm_")
    assert taken["sha256"] in cli("--vault", vault_dir, "ledger", "show", "-v").stdout  # whole hashes with -v
    assert taken["sha256"] not in cli("--vault", vault_dir, "ledger", "show").stdout
    editor, _ = copy_vault(editor_template, tmp_path / "editor")
    pub = tmp_path / "editor.pub"
    pub.write_text(editor_template[1].secret.export_public(), encoding="utf-8")
    submitted = cli("--vault", vault_dir, "submit", taken["item"], "--to", pub, "-o", tmp_path / "s.age", "--json")
    assert sorted(json.loads(submitted.stdout)["items"]) == sorted([taken["item"], taken["clean_copy"]["item"]])
    received = json.loads(cli("--vault", editor.root, "receive", tmp_path / "s.age", "--json").stdout)
    assert received["clean_copies"] == [taken["clean_copy"]["item"]] and received["new_sender"] is True
    missing = cli("--vault", tmp_path / "nowhere", "keys", "show", "--json")
    error = json.loads(missing.stdout)
    assert missing.returncode == error["exit_code"] == 2 and "no vault" in error["error"]


def test_short_unique_item_prefixes(cli, vault_dir: Path, tmp_path: Path) -> None:
    added = json.loads(cli("--vault", vault_dir, "add", _photo(tmp_path / "a.jpg"), "--json").stdout)
    item = added["files"][0]["clean_copy"]["item"]
    short = item.removeprefix("itm_")[:6]
    exported = json.loads(cli("--vault", vault_dir, "export", short, "-o", tmp_path / "b", "--json").stdout)
    assert exported["items"] == [item]
    too_short = cli("--vault", vault_dir, "export", "itm_a", "-o", tmp_path / "c")
    assert too_short.returncode == 2 and "at least 4 characters" in too_short.stderr
    with pytest.raises(IntakeError, match="ambiguous.*itm_abcd1, itm_abcd2"):
        unique_item("abcd", ["itm_abcd1", "itm_abcd2", "itm_bcde3"])
    assert unique_item("itm_bcde", ["itm_abcd1", "itm_bcde3"]) == "itm_bcde3"
    assert unique_item("itm_zzzz", ["itm_abcd1"]) == "itm_zzzz"  # unknown: the caller names it


def test_sanitize_without_output_writes_beside_and_never_overwrites(cli, tmp_path: Path) -> None:
    photo = _photo(tmp_path / "in" / "crate.jpg")
    first = cli("sanitize", photo)
    assert first.returncode == 0, first.stderr
    cleaned = tmp_path / "in" / "crate.cleaned.jpg"
    assert cleaned.is_file() and cleaned.read_bytes()[:2] == b"\xff\xd8"
    before = cleaned.read_bytes()
    second = cli("sanitize", photo)
    assert second.returncode == 2 and "already exists" in second.stderr and cleaned.read_bytes() == before


def test_an_output_folder_inside_the_input_does_not_nest(cli, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    _photo(inbox / "a.jpg")
    _photo(inbox / "out" / "earlier.jpg")  # what an earlier run left in the output folder
    result = cli("sanitize", inbox, "-o", inbox / "out", "--json")
    assert result.returncode == 0, result.stderr
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == ["in/a.jpg"]
    assert not (inbox / "out" / "in" / "out").exists()


def test_version_quiet_and_completion(cli, vault_dir: Path) -> None:
    assert cli("--version").stdout.startswith("intake ")
    for shell in ("bash", "zsh", "fish"):
        script = cli("completion", shell)
        assert script.returncode == 0 and "remove-recipient" in script.stdout and "allow-duplicate" in script.stdout
    bash = cli("completion", "bash").stdout
    assert subprocess.run(["bash", "-n"], input=bash, text=True).returncode == 0  # the shell parses it
    quiet = cli("--vault", vault_dir, "ledger", "verify", "-q")
    assert quiet.returncode == 0 and "ok    " not in quiet.stdout and quiet.stdout.splitlines()[-1] == "ledger verified"


# --- the passphrase prompt, on a real pseudo-terminal ------------------------------------------------


def _on_terminal(args: list[str], answers: list[str], home: Path) -> tuple[int, str]:
    """Run intake with a pseudo-terminal as its input; type each answer once its prompt shows."""
    controller, terminal = pty.openpty()
    env = cli_env(home, passphrase=None)
    child = subprocess.Popen([sys.executable, "-m", "intake", *args], stdin=terminal, stdout=terminal,
                             stderr=terminal, env=env, start_new_session=True, cwd=home)
    os.close(terminal)
    seen, pending, answered = b"", list(answers), 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen[answered:].rstrip().endswith(b":"):  # a new prompt since the last answer
                os.write(controller, pending.pop(0).encode() + b"\n")
                answered = len(seen)
        elif child.poll() is not None:
            break
    code = child.wait(timeout=60)
    os.close(controller)
    return code, seen.decode(errors="replace")


def test_the_prompt_allows_three_tries(vault_dir: Path, tmp_path: Path) -> None:
    code, shown = _on_terminal(["--vault", str(vault_dir), "keys", "show"], ["wrong one", "wrong two", PASSPHRASE],
                               tmp_path)
    assert code == 0, shown
    assert shown.count("try again") == 2 and "(1 left)" in shown and "fingerprint" in shown
    code, shown = _on_terminal(["--vault", str(vault_dir), "keys", "show"], ["x1", "x2", "x3"], tmp_path)
    assert code == 2 and shown.count("try again") == 2 and "wrong passphrase" in shown.splitlines()[-1]


def test_a_new_passphrase_is_checked_before_it_is_repeated(tmp_path: Path) -> None:
    good = "long enough passphrase"
    code, shown = _on_terminal(["--vault", str(tmp_path / "v"), "init"], ["short", good, good], tmp_path)
    assert code == 0, shown
    assert "at least 8 characters; try again" in shown
    assert shown.index("try again") < shown.index("Repeat the passphrase")


# --- #16 the demo ------------------------------------------------------------------------------------


def test_the_demo_writes_into_its_throwaway_folder(tmp_path: Path) -> None:
    here, scratch = tmp_path / "checkout", tmp_path / "tmp"
    here.mkdir()
    scratch.mkdir()
    env = {**cli_env(tmp_path / "home"), "TMPDIR": str(scratch), "PYTHONPATH": str(PROJECT)}
    result = subprocess.run([sys.executable, "-m", "intake.demo", "--script"], cwd=here, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert list(here.iterdir()) == []
    (base,) = scratch.glob("intake-demo-*")
    assert (base / "bundle" / "bagit.txt").is_file()
