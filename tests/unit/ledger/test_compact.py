"""What the audit keeps of earlier entries and blob names (intake/ledger/compact.py), and the
sealed files no entry names, found exactly through the keyed tallies and their fallback."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, strategies as st

from intake import samples
from intake.custody import verify_ledger
from intake.ledger.compact import BlobTally, EarlierEntries, KeyedDigests
from intake.ledger.entries import Draft


def test_earlier_entries_find_what_was_added_and_nothing_else() -> None:
    digests = KeyedDigests()
    earlier = EarlierEntries(3)
    ids = [f"ent_{n:016d}" for n in range(40)]  # more than expected: the arrays and the index grow
    for number, text in enumerate(ids):
        assert earlier.find(digests.of_id(text)) is None
        earlier.add(digests.of_id(text), digests.of_produced(f"itm_{number}", "ab" * 32), number % 2 == 0)
    assert len(earlier) == 40
    for number, text in enumerate(ids):
        assert earlier.find(digests.of_id(text)) == number
        assert earlier.produced(number) == (digests.of_produced(f"itm_{number}", "ab" * 32), number % 2 == 0)
    assert earlier.find(digests.of_id("ent_not_there")) is None


def test_produced_digests_compare_items_and_hashes_as_json() -> None:
    digests = KeyedDigests()
    assert digests.of_produced("itm_a", "ab") == digests.of_produced("itm_a", "ab")
    assert digests.of_produced("itm_a", None) != digests.of_produced("itm_a", "null")
    assert digests.of_produced("itm_a", "b") != digests.of_produced("itm_ab", "")
    assert digests.of_produced("\ud800", "x") == digests.of_produced("\ud800", "x")  # lone surrogates: no crash
    assert KeyedDigests().of_id("ent_a") != digests.of_id("ent_a")  # a new key for every audit


@given(st.lists(st.text(max_size=6), max_size=20), st.lists(st.text(max_size=6), max_size=20))
def test_tallies_differ_exactly_in_the_buckets_whose_names_differ(first: list[str], second: list[str]) -> None:
    digests = KeyedDigests()
    one, other = BlobTally(), BlobTally()
    for name in first:
        one.add(digests.of_blob(name))
    for name in second:
        other.add(digests.of_blob(name))
    differing = {BlobTally.bucket(digests.of_blob(name)) for name in set(first) ^ set(second)}
    differing |= {BlobTally.bucket(digests.of_blob(name)) for name in set(first) | set(second)
                  if first.count(name) != second.count(name)}
    assert one.differing(other) == differing


def _blob_name() -> str:
    return f"{secrets.token_hex(16)}.age"


@pytest.mark.parametrize("buckets", [BlobTally.BUCKETS, 1])
def test_files_no_entry_names_are_found_exactly(unlocked, make_file, monkeypatch, buckets: int) -> None:
    """With one bucket every name shares it with the named ones: the fallback compares them all."""
    monkeypatch.setattr(BlobTally, "BUCKETS", buckets)
    for name in ("a", "b", "c"):
        unlocked.add(make_file(f"{name}.jpg", samples.photo(serial=f"SN-{name}")))
    assert verify_ledger(unlocked.vault, unlocked.keyring).unexplained == []
    strangers = sorted(_blob_name() for _ in range(5))
    for name in strangers:
        (unlocked.vault.blobs / name).write_bytes(b"not ours")
    (unlocked.vault.blobs / "notes.txt").write_bytes(b"not a blob name: not counted")
    left = _blob_name()
    (unlocked.vault.blobs / left).write_bytes(b"a killed add left this")
    with unlocked.vault.ledger() as ledger:
        ledger.store.note_unrecorded(left)
    report = verify_ledger(unlocked.vault, unlocked.keyring)
    assert report.ok, report.failure
    assert report.unexplained == strangers and report.orphans == [left]
    assert report == verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=False)


def test_without_the_passphrase_only_the_unrecorded_are_looked_for(unlocked, make_file) -> None:
    unlocked.add(make_file("a.jpg", samples.photo(serial="SN-a")))
    stranger, left = _blob_name(), _blob_name()
    for name in (stranger, left):
        (unlocked.vault.blobs / name).write_bytes(b"x")
    with unlocked.vault.ledger() as ledger:
        ledger.store.note_unrecorded(left)
    report = verify_ledger(unlocked.vault)
    assert report.ok and report.orphans == [left] and report.unexplained == []


def test_a_blob_named_twice_still_counts_as_named(unlocked, make_file) -> None:
    """Two entries naming one file make the named tally hold it twice: its bucket differs from the
    listing's, and the name-by-name comparison finds nothing unnamed."""
    unlocked.add(make_file("a.jpg", samples.photo(serial="SN-a")))
    (first,) = verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=True).entries
    with unlocked.vault.locked(), unlocked.vault.ledger() as ledger:
        ledger.append_all([Draft("received", "itm_again", outputs=(dict(first.outputs[0]),))], unlocked.keyring)
    stranger = _blob_name()
    (unlocked.vault.blobs / stranger).write_bytes(b"x")
    report = verify_ledger(unlocked.vault, unlocked.keyring)
    assert report.ok, report.failure
    assert report.checked[-1].startswith("2 sealed files")
    assert report.unexplained == [stranger] and report.orphans == []


def test_entries_after_a_derivation_failure_are_still_checked(unlocked, make_file) -> None:
    """A derivation failure is reported only once every entry passed its own checks (steps 10-15):
    an id repeated after it is still found, and first; without it, the derivation is reported."""
    unlocked.add(make_file("a.jpg", samples.photo(serial="SN-a")))
    (received,) = verify_ledger(unlocked.vault, unlocked.keyring, keep_entries=True).entries
    wrong_input = {"item": "itm_another", "sha256": "00" * 32}
    drafts = [Draft("sanitized", "itm_clean", inputs=(wrong_input,), outputs=({"role": "clean copy"},),
                    parents=(received.id,))]
    with unlocked.vault.locked(), unlocked.vault.ledger() as ledger:
        ledger.append_all(drafts, unlocked.keyring)
    report = verify_ledger(unlocked.vault, unlocked.keyring)
    assert report.failure == "entry 1: its clean copy does not derive from the file its parent received"
    with unlocked.vault.locked(), unlocked.vault.ledger() as ledger:
        ledger.append_all([Draft("received", "itm_again", entry_id=received.id)], unlocked.keyring)
    report = verify_ledger(unlocked.vault, unlocked.keyring)
    assert report.failure == "entry 2: its id repeats or a parent is not an earlier entry"
