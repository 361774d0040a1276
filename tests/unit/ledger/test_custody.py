"""Reading and verifying the ledger through the library (as `ledger show` and the TUI do)."""

from __future__ import annotations

import sqlite3

import pytest

from intake import samples
from intake.errors import CheckFailed, IntakeError
from intake.text import EntryRow
from intake.custody import read_entries, verify_ledger
from intake.ledger import opening
from intake.vault import create_vault
from intake.keys.identity import SecretIdentity
from conftest import PASSPHRASE, take_in


def test_rows_show_what_ledger_show_prints(unlocked, make_file) -> None:
    received = unlocked.add(make_file("crate.jpg", samples.photo()), note="from K")
    (entry,) = read_entries(unlocked.vault, unlocked.keyring)
    row = EntryRow.of(entry)
    assert (row.seq, row.action, row.item, row.name, row.note) == (0, "received", received.item, "crate.jpg", "from K")
    assert row.sha256 == received.digests.sha256
    assert row.actor == unlocked.keyring.public.fingerprint_hex


def test_an_export_row_names_the_bundle_and_how_many_clean_copies_went(unlocked, make_file, tmp_path) -> None:
    """One `exported` entry per bundle: its row shows the bundle's id, how many clean copies went,
    the clean copy's hash when there is one, and none when there are more."""
    import io

    from PIL import Image

    from intake.bundle.export import export_bundle

    pictures = []
    for name, colour in (("a.jpg", "red"), ("b.jpg", "blue")):  # two different pictures: two clean copies
        picture = io.BytesIO()
        Image.new("RGB", (16, 16), colour).save(picture, "JPEG")
        pictures.append(make_file(name, picture.getvalue()))
    take_in(unlocked.vault, unlocked.keyring, pictures)
    export_bundle(unlocked.vault, unlocked.keyring, None, tmp_path / "both")
    items = [e.item for e in read_entries(unlocked.vault, unlocked.keyring) if e.action == "sanitized"]
    export_bundle(unlocked.vault, unlocked.keyring, items[:1], tmp_path / "one")
    entries = read_entries(unlocked.vault, unlocked.keyring)
    rows = [EntryRow.of(e) for e in entries if e.action == "exported"]
    assert [row.item[:4] for row in rows] == ["bnd_", "bnd_"]
    assert rows[0].name.startswith("2 clean copies to the bundle ") and rows[0].sha256 == ""
    assert rows[1].name.startswith("1 clean copy to the bundle ")
    (copy,) = [e for e in entries if e.item == items[0] and e.action == "sanitized"]
    assert rows[1].sha256 == copy.outputs[0]["sha256"]


def test_verify_with_and_without_the_keyring(unlocked, make_file) -> None:
    unlocked.add(make_file("crate.jpg", samples.photo()))
    full = verify_ledger(unlocked.vault, unlocked.keyring)
    public = verify_ledger(unlocked.vault)
    assert full.ok and public.ok
    assert any("sealed files" in line for line in full.checked)
    assert not any("sealed files" in line for line in public.checked)


def test_verify_names_an_altered_entry_and_read_entries_refuses(unlocked, make_file) -> None:
    unlocked.add(make_file("a.jpg", samples.photo()))
    unlocked.add(make_file("b.jpg", samples.photo()))
    with sqlite3.connect(unlocked.vault.ledger_path) as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = 0").fetchone()
        changed = bytearray(sealed)
        changed[len(changed) // 2] ^= 1
        db.execute("UPDATE entries SET sealed = ? WHERE idx = 0", (bytes(changed),))
    report = verify_ledger(unlocked.vault, unlocked.keyring)
    assert not report.ok and report.failure.startswith("entry 0")
    with pytest.raises(CheckFailed, match="entry 0"):
        read_entries(unlocked.vault, unlocked.keyring)


def test_verify_against_a_saved_checkpoint_detects_rollback(unlocked, make_file) -> None:
    unlocked.add(make_file("a.jpg", samples.photo()))
    unlocked.add(make_file("b.jpg", samples.photo()))
    with unlocked.ledger() as ledger:
        saved = ledger.latest_checkpoint()
    assert verify_ledger(unlocked.vault, against=saved).ok
    with sqlite3.connect(unlocked.vault.ledger_path) as db:
        db.execute("DELETE FROM entries WHERE idx = 1")
        db.execute("DELETE FROM checkpoints WHERE size = 2")
        db.execute("DELETE FROM tree WHERE ((idx + 1) << level) > 1")  # a careful attacker trims the tree too
    report = verify_ledger(unlocked.vault, against=saved)
    assert not report.ok and "rolled back" in report.failure


def test_write_only_vault_entries_cannot_be_read(tmp_path) -> None:
    editor = SecretIdentity.generate("editor").export_public()
    vault = create_vault(tmp_path / "field", "field", PASSPHRASE, write_only=True, recipients=(editor,))
    with pytest.raises(IntakeError, match="write-only"):
        read_entries(vault, vault.unlock(PASSPHRASE))


def test_a_small_ledger_is_cut_into_chunks_for_every_core(unlocked, make_file, monkeypatch) -> None:
    """Under ENTRY_CHUNK entries the ledger is still cut in CHUNKS_AT_LEAST chunks (here of one
    entry each), so the workers open it while the audit checks the checkpoints; the checks and
    what they find are the same."""
    assert [opening.entry_chunk(n) for n in (0, 1, 512, 1000, 4096, 4097, 10**6)] == [128, 128, 128, 250, 1024, 1024, 1024]
    for name in ("a", "b", "c", "d"):
        unlocked.add(make_file(f"{name}.jpg", samples.photo(serial=f"SN-{name}")))
    whole = verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=True)
    monkeypatch.setattr(opening, "SMALLEST_CHUNK", 1)
    assert opening.entry_chunk(4) == 1
    chunked = verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=True)
    assert whole.ok and chunked.ok and chunked.checked == whole.checked
    assert [e.seq for e in chunked.entries] == [e.seq for e in whole.entries] == [0, 1, 2, 3]
    (entry,) = [e for e in whole.entries if e.seq == 2]
    (unlocked.vault.blobs / str(entry.outputs[0]["blob"])).unlink()
    failed = verify_ledger(unlocked.vault, unlocked.keyring)
    assert failed.failure == f"entry 2: the sealed original of item {entry.item} is missing"


def test_verify_reads_entries_a_chunk_at_a_time_and_holds_none(unlocked, make_file, monkeypatch) -> None:
    """A big ledger is opened a chunk at a time (opening.ENTRY_CHUNK), here 3 entries: links,
    derivations and sealed files are checked across chunks, and `ledger verify` keeps no entry."""
    for name in ("a", "b", "c", "d"):
        unlocked.add(make_file(f"{name}.jpg", samples.photo(serial=f"SN-{name}")))
    whole = verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=True)
    monkeypatch.setattr(opening, "ENTRY_CHUNK", 3)
    chunked = verify_ledger(unlocked.vault, unlocked.keyring)
    assert whole.ok and chunked.ok and chunked.checked == whole.checked
    assert chunked.opened == [] and [e.seq for e in whole.entries] == [0, 1, 2, 3]
    assert [e.seq for e in read_entries(unlocked.vault, unlocked.keyring)] == [0, 1, 2, 3]
    (entry,) = [e for e in whole.entries if e.seq == 3]
    (unlocked.vault.blobs / str(entry.outputs[0]["blob"])).unlink()
    failed = verify_ledger(unlocked.vault, unlocked.keyring)
    assert failed.failure == f"entry 3: the sealed original of item {entry.item} is missing"
