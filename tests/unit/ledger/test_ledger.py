"""The custody ledger as a library: appends, proofs, checkpoints, opened entries.

Every test works on a real vault (real age, real SQLite, real signatures)
copied from the session's template by the `unlocked` fixture.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, strategies as st

from conftest import Unlocked
from intake.support.canonical import canonical_json
from intake.ledger import merkle
from intake.ledger.audit import audit, audit_against
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.commitment import COMMIT_DOMAIN
from intake.ledger.entries import CustodyEntry, Draft, SignedEntry, leaf_data, new_id, signing_message
from intake.errors import EntryError, NoteError
from intake.ledger.append import TOOL
from intake.ledger.stored_tree import leaf_hashes
from intake.ledger.note import Signer, Verifier, open_note
from intake.keys.seal import unseal

COUNT = 7  # not a power of two: trees with unbalanced right edges


def append(unlocked: Unlocked, drafts: list[Draft]) -> list[CustodyEntry]:
    with unlocked.vault.locked(), unlocked.ledger() as ledger:
        return [ledger.append(draft, unlocked.keyring) for draft in drafts]


def stored(unlocked: Unlocked):
    with unlocked.ledger() as ledger:
        return ledger.store.entries(), ledger.store.checkpoints()


def checkpoint_of(unlocked: Unlocked, note: str) -> Checkpoint:
    return Checkpoint.from_text(open_note(note, [unlocked.vault.verifier]))


def drafts(count: int) -> list[Draft]:
    return [Draft("received", f"itm_test{number}", note=f"draft {number}") for number in range(count)]


@pytest.fixture
def filled(unlocked: Unlocked) -> tuple[Unlocked, list[CustodyEntry]]:
    return unlocked, append(unlocked, drafts(COUNT))


# --- appends ------------------------------------------------------------------------


def test_empty_ledger(unlocked: Unlocked) -> None:
    with unlocked.ledger() as ledger:
        assert ledger.size() == 0
        assert ledger.latest_checkpoint() is None
        report = audit(ledger.store, unlocked.vault.config.origin, unlocked.vault.verifier, unlocked.keyring)
    assert report.ok, report.failure
    assert report.entries == []


def test_appends_are_contiguous_and_linked(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, entries = filled
    rows, checkpoints = stored(unlocked)
    hashes = leaf_hashes(rows)
    assert [e.seq for e in entries] == list(range(COUNT))
    assert [row.idx for row in rows] == list(range(COUNT))
    assert [c.size for c in checkpoints] == list(range(1, COUNT + 1))
    assert entries[0].prev == merkle.EMPTY_ROOT.hex()
    for entry in entries:
        assert entry.prev == merkle.root(hashes[: entry.seq]).hex()
        assert re.fullmatch(r"[0-9a-f]{64}", entry.prev)
        if entry.seq:  # the root the previous append signed
            assert entry.prev == checkpoint_of(unlocked, checkpoints[entry.seq - 1].note).root.hex()
    assert len({e.id for e in entries}) == COUNT
    assert all(re.fullmatch(r"ent_[a-z2-7]{16}", e.id) for e in entries)
    assert {e.actor for e in entries} == {unlocked.keyring.public.fingerprint_hex}
    assert {e.tool for e in entries} == {TOOL}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.time) for e in entries)
    with unlocked.ledger() as ledger:
        assert ledger.size() == COUNT
        assert ledger.latest_checkpoint() == checkpoints[-1].note


def test_appends_continue_across_reopening(unlocked: Unlocked) -> None:
    first = append(unlocked, drafts(2))
    second = append(unlocked, drafts(2))
    assert [e.seq for e in first + second] == [0, 1, 2, 3]
    rows, _ = stored(unlocked)
    assert second[0].prev == merkle.root(leaf_hashes(rows[:2])).hex()


def test_each_checkpoint_commits_to_the_tree_of_its_size(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, _ = filled
    rows, checkpoints = stored(unlocked)
    hashes = leaf_hashes(rows)
    for row in checkpoints:
        checkpoint = checkpoint_of(unlocked, row.note)
        assert checkpoint.origin == unlocked.vault.config.origin
        assert checkpoint.size == row.size
        assert checkpoint.root == merkle.root(hashes[: row.size])
        assert checkpoint.extensions == ()


def test_leaf_hash_pins_commitment_and_sealed_bytes(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, _ = filled
    rows, _ = stored(unlocked)
    for row, leaf in zip(rows, leaf_hashes(rows)):
        expected = hashlib.sha256(b"\x00" + row.commitment + hashlib.sha256(row.sealed).digest()).digest()
        assert leaf == expected == merkle.leaf_hash(leaf_data(row.commitment, row.sealed))


# --- proofs against the signed checkpoints ------------------------------------------


def test_inclusion_proofs_verify_against_every_checkpoint(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, _ = filled
    rows, checkpoints = stored(unlocked)
    hashes = leaf_hashes(rows)
    roots = {row.size: checkpoint_of(unlocked, row.note).root for row in checkpoints}
    with unlocked.ledger() as ledger:
        for size, root in roots.items():
            for index in range(size):
                proof = ledger.inclusion_proof(index, size)
                assert merkle.verify_inclusion(index, size, hashes[index], proof, root), (index, size)
                if size > 1:  # another leaf, another index or another root does not verify
                    other = (index + 1) % size
                    assert not merkle.verify_inclusion(index, size, hashes[other], proof, root)
                    assert not merkle.verify_inclusion(other, size, hashes[index], proof, root)
                    assert not merkle.verify_inclusion(index, size, hashes[index], proof, roots[size - 1])
        for index in range(COUNT):  # size defaults to the whole ledger
            assert ledger.inclusion_proof(index) == ledger.inclusion_proof(index, COUNT)
            assert merkle.verify_inclusion(index, COUNT, hashes[index], ledger.inclusion_proof(index), roots[COUNT])


def test_consistency_proofs_verify_between_every_pair_of_checkpoints(
    filled: tuple[Unlocked, list[CustodyEntry]],
) -> None:
    unlocked, _ = filled
    _, checkpoints = stored(unlocked)
    roots = {row.size: checkpoint_of(unlocked, row.note).root for row in checkpoints}
    with unlocked.ledger() as ledger:
        for old in roots:
            for new in roots:
                if old > new:
                    continue
                proof = ledger.consistency_proof(old, new)
                assert merkle.verify_consistency(old, new, roots[old], roots[new], proof), (old, new)
                if old == new:
                    assert proof == []
                else:
                    assert not merkle.verify_consistency(old, new, roots[new], roots[old], proof)
                    assert not merkle.verify_consistency(old, new, roots[old], roots[old], proof)
        assert ledger.consistency_proof(3) == ledger.consistency_proof(3, COUNT)


def test_every_saved_checkpoint_is_extended_by_the_ledger(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, _ = filled
    _, checkpoints = stored(unlocked)
    vault = unlocked.vault
    with vault.ledger() as ledger:
        for row in checkpoints:
            report = audit_against(ledger.store, vault.config.origin, vault.verifier, row.note)
            assert report.ok, (row.size, report.failure)


# --- checkpoint signatures ---------------------------------------------------------------


def test_checkpoint_note_verifies_with_the_vaults_key_only(filled: tuple[Unlocked, list[CustodyEntry]]) -> None:
    unlocked, _ = filled
    note = stored(unlocked)[1][-1].note
    vault = unlocked.vault
    origin = vault.config.origin
    assert vault.verifier == Verifier(origin, unlocked.keyring.public.signing_key)
    assert open_note(note, [vault.verifier]).startswith(f"{origin}\n{COUNT}\n")
    assert open_note(note, [Verifier.from_vkey(vault.verifier.vkey())]) == open_note(note, [vault.verifier])
    vault.check_saved_checkpoint(note)

    stranger = Signer(origin, Ed25519PrivateKey.generate()).verifier()  # same name, other key
    renamed = Verifier("someone.else/log", vault.config.signing_key)  # other name, same key
    for wrong in (stranger, renamed):
        with pytest.raises(NoteError):
            open_note(note, [wrong])
    # Trusting a stranger as well changes nothing: the vault's signature is what counts.
    assert open_note(note, [stranger, vault.verifier]) == open_note(note, [vault.verifier])


def test_checkpoint_signature_does_not_survive_a_changed_text(
    filled: tuple[Unlocked, list[CustodyEntry]],
) -> None:
    unlocked, _ = filled
    note = stored(unlocked)[1][2].note
    body, signature = note.split("\n\n", 1)
    origin, size, root = body.split("\n")
    for changed in (f"{origin}\n4\n{root}", f"{origin}x\n{size}\n{root}", f"{origin}\n{size}\n{root[::-1]}"):
        with pytest.raises(NoteError):
            open_note(f"{changed}\n\n{signature}", [unlocked.vault.verifier])


# --- entries as appended, as opened ---------------------------------------------------


def test_entries_opened_by_audit_equal_what_was_received(
    unlocked: Unlocked, make_file: Callable[[str, bytes], Path],
) -> None:
    files = [
        ("report.pdf", b"%PDF-1.7\n" + secrets.token_bytes(5000), "from the field, \u00e9t\u00e9 2024"),
        ("empty.txt", b"", None),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + secrets.token_bytes(70000), "second source"),
        ("notes/\u0444\u0430\u0439\u043b.txt", "r\u00e9sum\u00e9\n".encode() * 100, ""),
    ]
    received = []
    for name, data, note in files:
        received.append(unlocked.add(make_file(name, data), note))
    vault = unlocked.vault
    with vault.ledger() as ledger:
        report = audit(ledger.store, vault.config.origin, vault.verifier, unlocked.keyring)
    assert report.ok, report.failure
    assert len(report.entries) == len(files)
    for seq, ((name, data, note), got, entry) in enumerate(zip(files, received, report.entries)):
        assert entry.seq == seq
        assert entry.action == "received"
        assert entry.id == got.entry
        assert entry.item == got.item and entry.item.startswith("itm_")
        assert entry.note == note
        assert entry.inputs == () and entry.parents == ()
        (output,) = entry.outputs
        assert output["sha256"] == hashlib.sha256(data).hexdigest() == got.digests.sha256
        assert output["sha512"] == hashlib.sha512(data).hexdigest() == got.digests.sha512
        assert output["size"] == len(data)
        assert output["name"] == Path(name).name == got.name
        assert output["media_type"] == got.media_type
        assert (vault.blobs / output["blob"]).is_file()
    assert len({e.item for e in report.entries}) == len(files)


def test_entries_opened_by_audit_equal_what_was_appended(unlocked: Unlocked) -> None:
    received = Draft("received", "itm_a", outputs=({"sha256": "00" * 32, "size": 3},), note="n\u00f8te")
    first = append(unlocked, [received])
    cleaned = new_id("ent_")  # named ahead: the export in the same append derives from it
    rest = append(unlocked, [
        Draft("sanitized", "itm_b", inputs=({"item": "itm_a", "sha256": "00" * 32},),
              outputs=({"role": "clean copy", "sha256": "11" * 32},), parents=(first[0].id,), entry_id=cleaned),
        Draft("exported", "itm_b", inputs=({"item": "itm_b", "sha256": "11" * 32},),
              outputs=({"role": "public bundle"},), parents=(cleaned,), note=None),
        Draft("transferred", "itm_a"),
    ])
    vault = unlocked.vault
    with vault.ledger() as ledger:
        report = audit(ledger.store, vault.config.origin, vault.verifier, unlocked.keyring)
    assert report.ok, report.failure
    assert report.entries == first + rest


def test_stored_commitment_is_the_sealed_entrys_salted_commitment(
    filled: tuple[Unlocked, list[CustodyEntry]],
) -> None:
    unlocked, entries = filled
    rows, _ = stored(unlocked)
    salts = set()
    for row, entry in zip(rows, entries):
        signed = SignedEntry.from_bytes(unseal(row.sealed, [unlocked.keyring.secret.age_identity]))
        assert signed.entry == entry
        assert row.commitment == signed.commitment()
        assert unlocked.keyring.public.verify(signing_message(row.commitment), signed.signature)
        assert len(signed.salt) == 32
        salts.add(signed.salt)
        # Hiding: a changed salt changes the commitment; without the salt it is not the stored value.
        for salt in (secrets.token_bytes(32), bytes(32), signed.salt[:-1] + bytes([signed.salt[-1] ^ 1])):
            assert SignedEntry(entry, signed.signature, salt).commitment() != row.commitment
        plain = canonical_json(entry.to_dict())
        assert hashlib.sha256(COMMIT_DOMAIN + plain).digest() != row.commitment
        assert hashlib.sha256(plain).digest() != row.commitment
    assert len(salts) == COUNT
    assert len({row.commitment for row in rows}) == COUNT


def _entry(note: str | None = "n") -> CustodyEntry:
    return CustodyEntry(
        id="ent_aaaaaaaaaaaaaaaa", seq=0, prev=merkle.EMPTY_ROOT.hex(), action="received", item="itm_x",
        actor="ab" * 32, time="2024-01-01T00:00:00Z", tool=TOOL, note=note,
    )


SALTS = st.binary(min_size=32, max_size=32)


@given(SALTS, SALTS, st.binary(min_size=64, max_size=64))
def test_commitment_is_deterministic_in_the_salt_and_changes_with_it(
    first: bytes, second: bytes, signature: bytes,
) -> None:
    entry = _entry()
    commitment = SignedEntry(entry, signature, first).commitment()
    assert commitment == SignedEntry(entry, signature, first).commitment()
    assert len(commitment) == 32
    assert (SignedEntry(entry, signature, second).commitment() == commitment) == (first == second)


@given(SALTS, st.text(max_size=20), st.text(max_size=20))
def test_commitment_binds_the_entry(salt: bytes, note: str, other: str) -> None:
    def commit(text: str) -> bytes:
        return SignedEntry(_entry(text), bytes(64), salt).commitment()

    assert (commit(note) == commit(other)) == (note == other)


def test_clean_copy_must_derive_from_what_its_parent_received(unlocked: Unlocked) -> None:
    first = append(unlocked, [Draft("received", "itm_a", outputs=({"sha256": "00" * 32},))])
    append(unlocked, [Draft("sanitized", "itm_b", inputs=({"item": "itm_a", "sha256": "ff" * 32},),
                            parents=(first[0].id,))])
    vault = unlocked.vault
    with vault.ledger() as ledger:
        report = audit(ledger.store, vault.config.origin, vault.verifier, unlocked.keyring)
    assert not report.ok and "entry 1" in report.failure and "derive" in report.failure


@pytest.mark.parametrize("change", [
    {"inputs": ["not an object"]}, {"outputs": {}}, {"parents": [1]}, {"seq": "0"}, {"time": 0}, {"note": 5},
])
def test_an_entry_of_the_wrong_shape_is_refused(change: dict) -> None:
    """Entries arrive in other people's submissions: a wrong type is a malformed entry, not a crash later."""
    from intake.errors import EntryError

    with pytest.raises(EntryError, match="wrong type"):
        CustodyEntry.from_dict({**_entry().to_dict(), **change})


@pytest.mark.parametrize("action", ["signed", "verified", "note", "deleted"])
def test_only_the_actions_some_command_writes_are_accepted(action: str) -> None:
    with pytest.raises(EntryError, match="unknown custody action"):
        Draft(action, "itm_a")
