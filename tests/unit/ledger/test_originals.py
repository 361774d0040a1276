"""The originals index: a file taken in before is found by its keyed tag and confirmed by opening
one entry, never by opening every entry; a tag is only a hint."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from conftest import Unlocked
from intake.ledger import originals
from intake.takein.duplicates import held_originals
from intake.takein.sources import source_for


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _db(unlocked: Unlocked) -> sqlite3.Connection:
    return sqlite3.connect(unlocked.vault.root / "ledger.sqlite")


def _fill(unlocked: Unlocked, make_file, count: int) -> list[Path]:
    paths = [make_file(f"note-{n}.txt", f"statement {n}\n".encode()) for n in range(count)]
    for path in paths:
        unlocked.add(path)
    return paths


def test_a_file_taken_in_before_is_found_with_its_item(unlocked: Unlocked, make_file) -> None:
    first, *_ = paths = _fill(unlocked, make_file, 5)
    new = make_file("new.txt", b"never taken in\n")
    held = held_originals(unlocked.vault, unlocked.keyring, [_sha(p) for p in paths] + [_sha(new)])
    assert set(held) == {_sha(p) for p in paths}
    assert held[_sha(first)] == _item_of_first(unlocked)


def test_only_the_entry_a_tag_names_is_opened(unlocked: Unlocked, make_file) -> None:
    first, *_ = _fill(unlocked, make_file, 6)
    item = _item_of_first(unlocked)
    with _db(unlocked) as db:  # every other entry made unreadable: a lookup must not need them
        db.execute("UPDATE entries SET sealed = randomblob(200) WHERE idx > 0")
    assert held_originals(unlocked.vault, unlocked.keyring, [_sha(first)]) == {_sha(first): item}


def _item_of_first(unlocked: Unlocked) -> str:
    from intake.keys.seal import unseal
    from intake.ledger.entries import SignedEntry

    with _db(unlocked) as db:
        (sealed,) = db.execute("SELECT sealed FROM entries WHERE idx = 0").fetchone()
    return SignedEntry.from_bytes(unseal(sealed, [unlocked.keyring.secret.age_identity])).entry.item


def test_a_forged_or_moved_tag_never_makes_a_duplicate(unlocked: Unlocked, make_file) -> None:
    first, second = _fill(unlocked, make_file, 2)
    stranger = make_file("stranger.txt", b"a file this vault never saw\n")
    key = originals.tag_key(unlocked.keyring.secret)
    with _db(unlocked) as db:  # the stranger's tag planted on the first entry's row
        db.execute("UPDATE originals SET tag = ? WHERE idx = 0", (originals.original_tag(key, _sha(stranger)),))
    assert held_originals(unlocked.vault, unlocked.keyring, [_sha(stranger)]) == {}
    assert held_originals(unlocked.vault, unlocked.keyring, [_sha(first)]) == {}  # its row was moved: missed
    assert set(held_originals(unlocked.vault, unlocked.keyring, [_sha(second)])) == {_sha(second)}


def test_the_tags_say_nothing_without_the_key(unlocked: Unlocked, make_file) -> None:
    paths = _fill(unlocked, make_file, 3)
    with _db(unlocked) as db:
        rows = db.execute("SELECT idx, tag FROM originals ORDER BY idx").fetchall()
    assert [idx for idx, _ in rows] == [0, 1, 2]
    tags = [tag for _, tag in rows]
    assert all(len(tag) == 32 for tag in tags) and len(set(tags)) == 3
    stored = (unlocked.vault.root / "ledger.sqlite").read_bytes()
    for path in paths:
        digest = bytes.fromhex(_sha(path))
        assert digest not in stored and hashlib.sha256(digest).digest() not in stored
    other = originals.tag_key(type(unlocked.keyring.secret).generate("someone-else"))
    assert originals.original_tag(other, _sha(paths[0])) not in tags  # another key, another tag


def test_an_older_vault_gets_its_tags_at_the_first_lookup(unlocked: Unlocked, make_file) -> None:
    paths = _fill(unlocked, make_file, 4)
    with _db(unlocked) as db:
        db.execute("DROP TABLE originals")
    late = make_file("late.txt", b"taken in before the tags were built\n")
    unlocked.add(late)  # an older vault appends without them
    with unlocked.ledger() as ledger:
        assert ledger.store.originals_through() is None
    told: list[tuple[int, int]] = []
    held = held_originals(unlocked.vault, unlocked.keyring, [_sha(p) for p in [*paths, late]],
                          lambda done, total: told.append((done, total)))
    assert set(held) == {_sha(p) for p in [*paths, late]}
    assert told[0] == (0, 5) and told[-1] == (5, 5)
    with unlocked.ledger() as ledger:
        assert ledger.store.originals_through() == ledger.store.count() == 5
    unlocked.add(make_file("after.txt", b"after\n"))
    with unlocked.ledger() as ledger:  # from now on each append adds its row
        assert ledger.store.originals_through() == 6
    told.clear()
    held_originals(unlocked.vault, unlocked.keyring, [_sha(late)], lambda done, total: told.append((done, total)))
    assert told == []  # built once: nothing to index again


def test_a_write_only_vault_knows_none(tmp_path: Path, write_only_template) -> None:
    from conftest import copy_vault
    from intake.takein.original import receive_original

    vault, keyring = copy_vault(write_only_template, tmp_path / "field")
    path = tmp_path / "crate.txt"
    path.write_bytes(os.urandom(64))
    with vault.locked(), vault.ledger() as ledger:
        receive_original(source_for(path), ledger, keyring, vault.blobs)
    assert held_originals(vault, keyring, [_sha(path)]) == {}
