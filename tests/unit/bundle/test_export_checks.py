"""What export proves about the ledger before anything leaves the vault (docs/bundles.md, "What
export checks"): every row unaltered, wherever it is; every entry it can publish sound. Real
vaults, real age, real SQLite; the faulty rows below are written with the vault's own key, as
only a faulty version of this program could write them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import copy_vault, take_in
from intake import samples
from intake.ledger import policy_state
from intake.bundle.export import ExportOptions, export_bundle
from intake.bundle.statement import build_statement, public_fields
from intake.bundle.verify import verify_bundle
from intake.custody import Custody, verify_ledger
from intake.errors import CheckFailed
from intake.keys.keystore import Keyring
from intake.ledger.append import seal_entry
from intake.ledger.checkpoint import Checkpoint, sign_checkpoint
from intake.ledger.entries import PUBLIC_BUNDLE, Draft, SignedEntry
from intake.ledger.store import StoredCheckpoint
from intake.ledger.stored_tree import Frontier, StoredTree, leaf_hash_of
from intake.keys.seal import seal
from intake.support.canonical import canonical_json
from intake.vault import Vault


@pytest.fixture
def exported_once(tmp_path: Path, template_vault) -> tuple[Vault, Keyring]:
    """A vault holding one photo and its clean copy (entries 0, 1), exported once (entry 2)."""
    vault, keyring = copy_vault(template_vault, tmp_path / "vault")
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(samples.photo())
    take_in(vault, keyring, [photo])
    export_bundle(vault, keyring, None, tmp_path / "first")
    return vault, keyring


def flip_sealed_byte(vault: Vault, idx: int) -> None:
    with sqlite3.connect(vault.ledger_path) as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = ?", (idx,)).fetchone()
        changed = bytearray(sealed)
        changed[len(changed) // 2] ^= 1
        db.execute("UPDATE entries SET sealed = ? WHERE idx = ?", (bytes(changed), idx))


@pytest.mark.parametrize("idx", [0, 1, 2], ids=["received", "sanitized", "exported"])
def test_an_altered_entry_anywhere_stops_an_export(exported_once, tmp_path: Path, idx: int) -> None:
    """Entry 2 is on no trail, so the bundle would publish nothing of it: export still refuses."""
    vault, keyring = exported_once
    flip_sealed_byte(vault, idx)
    with pytest.raises(CheckFailed, match=f"ledger verification failed: entry {idx}: its stored record does not match"):
        export_bundle(vault, keyring, None, tmp_path / "second")
    assert not (tmp_path / "second").exists()


def append_with_wrong_commitment(vault: Vault, keyring: Keyring, draft: Draft) -> tuple[int, str]:
    """As Ledger.append_all, but the row stores the commitment of the same entry under another
    salt: the tree and the checkpoint are right, the commitment does not open with the record."""
    with vault.locked(), vault.ledger() as ledger, ledger.store.transaction():
        size = ledger.store.count()
        tree = Frontier(StoredTree(ledger.store), size)
        entry = ledger._complete(draft, keyring, seq=size, prev=tree.root())
        stored = seal_entry(entry, keyring)
        stored = replace(stored, commitment=SignedEntry.sign(entry, keyring.secret).commitment())
        tree.append(leaf_hash_of(stored.commitment, stored.sealed))
        note = sign_checkpoint(Checkpoint(ledger.origin, size + 1, tree.root()), keyring.secret.signing_key)
        ledger.store.insert(stored, StoredCheckpoint(size + 1, note))
        policy_state.record(ledger.store, ledger.origin, size + 1, keyring.policy_serial, keyring.secret)
        return size, entry.id


def test_an_entry_a_bundle_can_publish_is_checked_in_full(exported_once, tmp_path: Path) -> None:
    vault, keyring = exported_once
    digest = {"role": "original", "name": "other.jpg", "media_type": "image/jpeg", "sha256": "0" * 64,
              "sha512": "0" * 128, "size": 1}
    idx, _ = append_with_wrong_commitment(vault, keyring, Draft("received", "itm_faultyfaulty", outputs=(digest,)))
    assert verify_ledger(vault).ok  # the rows are exactly what the key signed
    with pytest.raises(CheckFailed, match=f"entry {idx}: its content does not match its commitment"):
        export_bundle(vault, keyring, None, tmp_path / "second")
    assert not (tmp_path / "second").exists()


def test_an_exported_entry_is_published_by_no_bundle_and_verify_still_opens_it(exported_once, tmp_path: Path) -> None:
    """The one kind of entry export does not check in full: it is on no clean copy's trail, so
    nothing of it goes into a bundle. `ledger verify` with the passphrase checks it."""
    vault, keyring = exported_once
    with vault.ledger() as ledger:
        (clean,) = Custody.open(vault, keyring, ledger).clean_items()
    copy = {key: clean.output[key] for key in ("media_type", "sha256", "sha512", "size")}
    bundle = {"role": PUBLIC_BUNDLE, "tagmanifest_sha256": "0" * 64, "checkpoint_size": 2,
              "time_precision": "day", "with_notes": False}
    draft = Draft("exported", clean.item, inputs=({"item": clean.item, **copy},), outputs=(bundle,),
                  parents=(clean.opened.entry.id,))
    idx, entry_id = append_with_wrong_commitment(vault, keyring, draft)
    result = export_bundle(vault, keyring, None, tmp_path / "second")
    assert result.items == (clean.item,)
    assert verify_bundle(tmp_path / "second", keyring.public).ok
    assert not list((tmp_path / "second").rglob(f"{entry_id}*"))  # nothing of it was published
    report = verify_ledger(vault, keyring)
    assert not report.ok and report.failure == f"entry {idx}: its content does not match its commitment"


def test_a_clean_copy_unsealed_into_the_bag_must_be_the_one_its_entry_names(exported_once, tmp_path: Path) -> None:
    """The bag's own digests of each clean copy as written are compared with its ledger entry: a
    sealed file replaced by another that opens (real age, the vault's recipients) stops the export,
    and no bag is left, nor any half-built one."""
    vault, keyring = exported_once
    with vault.ledger() as ledger:
        (clean,) = Custody.open(vault, keyring, ledger).clean_items()
    blob = vault.blobs / str(clean.output["blob"])
    blob.write_bytes(seal(samples.photo(serial="SN-other"), list(keyring.seal_recipients())))
    with pytest.raises(CheckFailed, match=f"the sealed clean copy of {clean.item} does not match its ledger entry; "
                                          "nothing was exported"):
        export_bundle(vault, keyring, None, tmp_path / "second")
    blob.write_bytes(b"not age")
    with pytest.raises(CheckFailed, match=f"the sealed clean copy of {clean.item} is missing or does not open"):
        export_bundle(vault, keyring, None, tmp_path / "second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "in", "vault"]


@pytest.mark.parametrize("options", [ExportOptions(), ExportOptions(with_notes=True, time_precision="second")],
                         ids=["defaults", "notes and seconds"])
def test_the_disclosures_the_audit_makes_are_those_a_statement_would_make(exported_once, options) -> None:
    """Export has the audit's workers disclose each entry as they check it; the statements built
    from those are byte for byte the ones built from the entries alone, for either disclosure."""
    vault, keyring = exported_once
    shown = options.disclosure()
    with vault.ledger() as ledger:
        plain = Custody.open(vault, keyring, ledger, every_entry=False)
        disclosed = Custody.open(vault, keyring, ledger, every_entry=False,
                                 disclose=lambda entry: public_fields(entry, shown))
    assert all(o.disclosure is None for o in plain.entries)
    assert [o.disclosure is not None for o in disclosed.entries] == [o.entry.action != "exported" for o in disclosed.entries]
    statements = [[build_statement(clean, "data/x.jpg", vault.config.origin, "ab" * 32, shown)
                   for clean in custody.clean_items()] for custody in (plain, disclosed)]
    assert statements[0] == statements[1] and len(statements[0]) == 1
    (statement,) = statements[0]
    assert canonical_json(json.loads(statement)) == statement
    assert json.loads(statement)["original"]["sha256_commitment"]
