"""Tamper tests on the ledger's SQLite file.

The issue's promise: any changed byte in any stored record, a deleted or
reordered row, or a swapped checkpoint is detected, and the failure names the
first bad entry (or checkpoint). Each case takes a fresh copy of one vault
built per module, changes ledger.sqlite behind intake's back with the stdlib
sqlite3 module (or by editing the file's bytes), and runs the audit without
and with the unlocked keyring. A consistent truncation (last entries and
their checkpoints removed together) cannot be seen locally by design; it must
be caught against a checkpoint saved earlier (`verify --against`).

A tampered database must give a failed audit or CheckFailed, never another
exception: `outcome` lets only CheckFailed through, so anything else fails
the test.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import PASSPHRASE, Unlocked
from intake.errors import CheckFailed
from intake.ledger.audit import audit, audit_against
from intake.vault import Vault, create_vault
from intake.keys.keystore import Keyring
from intake.keys.identity import PublicIdentity
from intake.ledger.checkpoint import Checkpoint, sign_checkpoint
from intake.ledger.note import Verifier

N = 5  # entries in the built vault; checkpoints have sizes 1..N
ROWS = list(range(N))
SIZES = list(range(1, N + 1))


# --- the vaults ------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    root: Path  # N entries
    keyring: Keyring
    entries: list[tuple[int, bytes, bytes]]  # (idx, commitment, sealed), by idx
    notes: dict[int, str]  # checkpoint size -> signed note
    fork_root: Path  # same keys and origin; shares entries 0..N-2, then diverges (N + 1 entries)
    fork_entries: list[tuple[int, bytes, bytes]]
    fork_notes: dict[int, str]
    foreign_notes: dict[int, str]  # another vault (other keys, other origin), N checkpoints


def _read_rows(root: Path) -> tuple[list[tuple[int, bytes, bytes]], dict[int, str]]:
    db = sqlite3.connect(root / "ledger.sqlite")
    try:
        entries = db.execute("SELECT idx, commitment, sealed FROM entries ORDER BY idx").fetchall()
        notes = dict(db.execute("SELECT size, note FROM checkpoints ORDER BY size").fetchall())
    finally:
        db.close()
    return entries, notes


def _add_files(unlocked: Unlocked, folder: Path, tag: str, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        path = folder / f"{tag}-{number}.txt"
        path.write_bytes(f"{tag} document {number}\n".encode() * (number + 3))
        unlocked.add(path, f"{tag} note {number}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, template_vault: tuple[Path, Keyring]) -> Built:
    template, keyring = template_vault
    base = tmp_path_factory.mktemp("ledger_tamper")
    root = base / "vault"
    shutil.copytree(template, root)
    main = Unlocked(Vault.open(root), keyring)
    _add_files(main, base / "inbox", "shared", N - 1)
    fork_root = base / "fork"
    shutil.copytree(root, fork_root)  # same history up to N - 1 entries
    _add_files(main, base / "inbox", "main", 1)
    _add_files(Unlocked(Vault.open(fork_root), keyring), base / "inbox", "fork", 2)

    other_root = base / "other"
    other = create_vault(other_root, "someone-else", PASSPHRASE)
    _add_files(Unlocked(other, other.unlock(PASSPHRASE)), base / "inbox", "other", N)

    entries, notes = _read_rows(root)
    fork_entries, fork_notes = _read_rows(fork_root)
    _, foreign_notes = _read_rows(other_root)
    assert [e[0] for e in entries] == ROWS and sorted(notes) == SIZES
    assert fork_entries[: N - 1] == entries[: N - 1] and fork_entries[N - 1] != entries[N - 1]
    return Built(root, keyring, entries, notes, fork_root, fork_entries, fork_notes, foreign_notes)


@pytest.fixture
def vault(built: Built, tmp_path: Path) -> Path:
    """A fresh copy of the built vault, ready to be tampered with."""
    root = tmp_path / "vault"
    shutil.copytree(built.root, root)
    return root


# --- helpers ---------------------------------------------------------------------


def execute(root: Path, *statements: str | tuple[str, tuple]) -> None:
    """Run SQL on the vault's ledger as an attacker with file access would."""
    db = sqlite3.connect(root / "ledger.sqlite", isolation_level=None)
    try:
        db.execute("BEGIN")
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            db.execute(sql, params)
        db.execute("COMMIT")
    finally:
        db.close()


@pytest.fixture(autouse=True, params=["one pass", "chunks on every core"])
def checkpoint_chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case twice: the checkpoints read in one pass, and (without the passphrase) read in
    chunks of two sizes by forked workers while the audit checks the stored tree hashes."""
    if request.param != "one pass":
        monkeypatch.setattr("intake.ledger.checkpoint_audit.CHECKPOINT_CHUNK", 2)


def outcome(root: Path, keyring: Keyring | None = None) -> str | None:
    """The audit's failure message, "CheckFailed: ..." if it raised that, None if ok."""
    opened = Vault.open(root)
    try:
        with opened.ledger() as ledger:
            report = audit(ledger.store, opened.config.origin, opened.verifier, keyring)
    except CheckFailed as error:
        return f"CheckFailed: {error}"
    if report.ok:
        assert report.checked  # a passing audit says what it checked
    return report.failure


def against(root: Path, saved_note: str) -> str | None:
    opened = Vault.open(root)
    try:
        with opened.ledger() as ledger:
            report = audit_against(ledger.store, opened.config.origin, opened.verifier, saved_note)
    except CheckFailed as error:
        return f"CheckFailed: {error}"
    return report.failure


def names(message: str, *fragments: str) -> bool:
    """True if every fragment appears as whole words ("entry 1" is not in "entry 12")."""
    return all(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w])", message) for f in fragments)


def assert_detected(root: Path, keyring: Keyring, *fragments: str) -> None:
    """Detected without the passphrase and with it, naming what it must name."""
    for label, ring in (("without keyring", None), ("with keyring", keyring)):
        message = outcome(root, ring)
        assert message is not None, f"tampering not detected {label}"
        assert names(message, *fragments), f"{label}: {message!r} does not name {fragments}"


def assert_intact(root: Path, keyring: Keyring, size: int) -> None:
    assert outcome(root) is None
    opened = Vault.open(root)
    with opened.ledger() as ledger:
        report = audit(ledger.store, opened.config.origin, opened.verifier, keyring)
    assert report.ok, report.failure
    assert [e.seq for e in report.entries] == list(range(size))


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


BLOB_POSITIONS: dict[str, Callable[[int], int]] = {
    "first": lambda n: 0,
    "middle": lambda n: n // 2,
    "last": lambda n: n - 1,
}


def _other_ascii(char: int) -> int:
    """Another printable ASCII character of the same kind (valid UTF-8 either way)."""
    for lo, hi in ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)):
        if lo <= char <= hi:
            return lo + (char - lo + 1) % (hi - lo + 1)
    return ord("x") if char == ord("\n") else ord("A")


def _note_position(note: bytes, where: str) -> int:
    lines = note.split(b"\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    signature_start = note.rindex(b" ") + 1  # the base64 of key ID || signature
    return {
        "first": 0,
        "middle": len(note) // 2,
        "last": len(note) - 1,
        "size-line": starts[1],
        "root-line": starts[2] + 10,
        "blank-line": starts[3],
        "key-name": starts[4] + 4,  # just after the em dash and space
        "key-id": signature_start + 2,
        "signature": (signature_start + len(note)) // 2,
    }[where]


def change_note_char(note: str, where: str) -> str:
    """One ASCII character changed at (or just after) the named position."""
    data = bytearray(note.encode("utf-8"))
    position = _note_position(bytes(data), where)
    while data[position] >= 0x80:  # inside the em dash: move to the next ASCII byte
        position += 1
    data[position] = _other_ascii(data[position])
    changed = data.decode("utf-8")  # still valid UTF-8
    assert changed != note and len(changed) == len(note)
    return changed


NOTE_POSITIONS = ["first", "middle", "last", "size-line", "root-line", "blank-line", "key-name", "key-id", "signature"]


def test_built_vault_is_intact(built: Built, vault: Path) -> None:
    assert_intact(vault, built.keyring, N)
    assert outcome(built.fork_root, built.keyring) is None
    assert against(vault, built.notes[N]) is None


# --- a changed byte in every column of every table ---------------------------------


@pytest.mark.parametrize("position", list(BLOB_POSITIONS))
@pytest.mark.parametrize("column", ["commitment", "sealed"])
@pytest.mark.parametrize("row", ROWS)
def test_entry_blob_byte_changed(built: Built, vault: Path, row: int, column: str, position: str) -> None:
    old = dict(zip(("idx", "commitment", "sealed"), built.entries[row]))[column]
    new = flip(old, BLOB_POSITIONS[position](len(old)))
    execute(vault, (f"UPDATE entries SET {column} = ? WHERE idx = ?", (new, row)))
    assert_detected(vault, built.keyring, f"entry {row}", f"checkpoint {row + 1}")


@pytest.mark.parametrize("mask", [0x80, 0xFF])
@pytest.mark.parametrize("column", ["commitment", "sealed"])
def test_entry_blob_other_byte_changes(built: Built, vault: Path, column: str, mask: int) -> None:
    row = 2
    old = dict(zip(("idx", "commitment", "sealed"), built.entries[row]))[column]
    execute(vault, (f"UPDATE entries SET {column} = ? WHERE idx = ?", (flip(old, len(old) // 3, mask), row)))
    assert_detected(vault, built.keyring, f"entry {row}")


@pytest.mark.parametrize("change", ["truncated", "extended", "emptied"])
@pytest.mark.parametrize("column", ["commitment", "sealed"])
def test_entry_blob_length_changed(built: Built, vault: Path, column: str, change: str) -> None:
    row = 1
    old = dict(zip(("idx", "commitment", "sealed"), built.entries[row]))[column]
    new = {"truncated": old[:-1], "extended": old + b"\x00", "emptied": b""}[change]
    execute(vault, (f"UPDATE entries SET {column} = ? WHERE idx = ?", (new, row)))
    assert_detected(vault, built.keyring, f"entry {row}")


INTEGER_CHANGES = {"plus-1": lambda v: v + 1, "minus-1": lambda v: v - 1, "far": lambda v: 1000}


@pytest.mark.parametrize("change", list(INTEGER_CHANGES))
@pytest.mark.parametrize("row", ROWS)
def test_entry_idx_changed(built: Built, vault: Path, row: int, change: str) -> None:
    new = INTEGER_CHANGES[change](row)
    if new in ROWS:
        # idx is the rowid: SQLite itself refuses a duplicate, so this one-cell
        # change cannot exist in a well-formed file (swaps are tested below).
        with pytest.raises(sqlite3.IntegrityError):
            execute(vault, ("UPDATE entries SET idx = ? WHERE idx = ?", (new, row)))
        assert_intact(vault, built.keyring, N)
        return
    execute(vault, ("UPDATE entries SET idx = ? WHERE idx = ?", (new, row)))
    assert_detected(vault, built.keyring, f"entry {row}")


@pytest.mark.parametrize("change", list(INTEGER_CHANGES))
@pytest.mark.parametrize("size", SIZES)
def test_checkpoint_size_changed(built: Built, vault: Path, size: int, change: str) -> None:
    new = INTEGER_CHANGES[change](size)
    if new in SIZES:
        with pytest.raises(sqlite3.IntegrityError):  # size is the rowid, as above
            execute(vault, ("UPDATE checkpoints SET size = ? WHERE size = ?", (new, size)))
        assert_intact(vault, built.keyring, N)
        return
    execute(vault, ("UPDATE checkpoints SET size = ? WHERE size = ?", (new, size)))
    assert_detected(vault, built.keyring, f"checkpoint for size {size} is missing")


@pytest.mark.parametrize("position", NOTE_POSITIONS)
@pytest.mark.parametrize("size", SIZES)
def test_checkpoint_note_char_changed(built: Built, vault: Path, size: int, position: str) -> None:
    changed = change_note_char(built.notes[size], position)
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (changed, size)))
    assert_detected(vault, built.keyring, f"checkpoint {size}")


@pytest.mark.parametrize("change", ["dropped-last-char", "appended-newline", "appended-line", "empty"])
def test_checkpoint_note_length_changed(built: Built, vault: Path, change: str) -> None:
    size = 3
    note = built.notes[size]
    new = {"dropped-last-char": note[:-1], "appended-newline": note + "\n",
           "appended-line": note + "junk\n", "empty": ""}[change]
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (new, size)))
    assert_detected(vault, built.keyring, f"checkpoint {size}")


# --- deleted rows ----------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS)
def test_entry_row_deleted(built: Built, vault: Path, row: int) -> None:
    execute(vault, ("DELETE FROM entries WHERE idx = ?", (row,)))
    if row < N - 1:
        assert_detected(vault, built.keyring, f"entry {row}", "deleted")
    else:  # the last: every index is in place, its checkpoint is left without it
        assert_detected(vault, built.keyring, f"checkpoint for size {N} has no entries")


@pytest.mark.parametrize("size", SIZES)
def test_checkpoint_row_deleted(built: Built, vault: Path, size: int) -> None:
    execute(vault, ("DELETE FROM checkpoints WHERE size = ?", (size,)))
    assert_detected(vault, built.keyring, f"checkpoint for size {size} is missing")


def test_all_checkpoints_deleted(built: Built, vault: Path) -> None:
    execute(vault, "DELETE FROM checkpoints")
    assert_detected(vault, built.keyring, "checkpoint for size 1 is missing")


@pytest.mark.parametrize("dropped", [1, 2, N])
def test_consistent_truncation_needs_a_saved_checkpoint(built: Built, vault: Path, dropped: int) -> None:
    kept = N - dropped
    execute(vault, ("DELETE FROM entries WHERE idx >= ?", (kept,)),
            ("DELETE FROM checkpoints WHERE size > ?", (kept,)),
            ("DELETE FROM tree WHERE ((idx + 1) << level) > ?", (kept,)))
    # Not detectable locally: what is left is a genuine, signed, shorter ledger (and its stored tree).
    assert_intact(vault, built.keyring, kept)
    failure = against(vault, built.notes[N])
    assert failure is not None
    assert "truncated or rolled back" in failure and f"saw {N}" in failure
    if kept:
        assert against(vault, built.notes[kept]) is None


# --- reordered rows, swapped and foreign checkpoints --------------------------------------


@pytest.mark.parametrize("columns", ["commitment+sealed", "commitment", "sealed"])
@pytest.mark.parametrize("pair", [(0, 1), (1, 3), (0, 4), (3, 4)], ids=lambda p: f"rows{p[0]}-{p[1]}")
def test_entry_rows_swapped(built: Built, vault: Path, pair: tuple[int, int], columns: str) -> None:
    first, second = pair
    statements = []
    for column in columns.split("+"):
        position = ("idx", "commitment", "sealed").index(column)
        statements += [
            (f"UPDATE entries SET {column} = ? WHERE idx = ?", (built.entries[second][position], first)),
            (f"UPDATE entries SET {column} = ? WHERE idx = ?", (built.entries[first][position], second)),
        ]
    execute(vault, *statements)
    assert_detected(vault, built.keyring, f"entry {first}")


def test_entry_rows_reversed(built: Built, vault: Path) -> None:
    statements = [
        ("UPDATE entries SET commitment = ?, sealed = ? WHERE idx = ?", (c, s, N - 1 - idx))
        for idx, c, s in built.entries
    ]
    execute(vault, *statements)
    assert_detected(vault, built.keyring, "entry 0")


def test_entry_rows_renumbered_down_after_a_deletion(built: Built, vault: Path) -> None:
    """Delete entry 1, then close the gap: indexes are contiguous again."""
    execute(vault, "DELETE FROM entries WHERE idx = 1", "UPDATE entries SET idx = idx - 1 WHERE idx > 1",
            ("DELETE FROM checkpoints WHERE size = ?", (N,)))
    assert_detected(vault, built.keyring, "entry 1")


@pytest.mark.parametrize("pair", [(1, 2), (2, 4), (1, 5), (4, 5)], ids=lambda p: f"sizes{p[0]}-{p[1]}")
def test_checkpoint_notes_swapped(built: Built, vault: Path, pair: tuple[int, int]) -> None:
    first, second = pair
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.notes[second], first)),
            ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.notes[first], second)))
    assert_detected(vault, built.keyring, f"checkpoint {first}", "swapped")


@pytest.mark.parametrize("size", SIZES)
def test_checkpoint_from_another_vault(built: Built, vault: Path, size: int) -> None:
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.foreign_notes[size], size)))
    assert_detected(vault, built.keyring, f"checkpoint {size}", "signature")


@pytest.mark.parametrize("size", [1, N])
def test_checkpoint_signed_by_another_key_under_this_origin(built: Built, vault: Path, size: int) -> None:
    """The right note for the right root, signed by a key that takes this vault's name: with the
    keyring, the note the vault's key makes again differs, and the stored one is verified, and fails."""
    origin = Vault.open(vault).config.origin
    body = Checkpoint.from_text(built.notes[size].split("\n\n", 1)[0] + "\n")
    assert body.origin == origin and body.size == size
    forged = sign_checkpoint(body, Ed25519PrivateKey.generate())
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (forged, size)))
    assert_detected(vault, built.keyring, f"checkpoint {size}", "signature")


def test_own_signatures_are_made_again_with_the_keyring(built: Built, vault: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the keyring, the vault's own signatures (entries and checkpoints) are made again and
    compared, not verified (a third of the cost); without it, each is verified."""
    monkeypatch.setattr("intake.ledger.checkpoint_audit.CHECKPOINT_CHUNK", 1 << 13)  # calls counted in this process
    verified: list[str] = []
    entry_verify, note_verify = PublicIdentity.verify, Verifier.verify
    monkeypatch.setattr(PublicIdentity, "verify",
                        lambda self, message, signature: verified.append("entry") or entry_verify(self, message, signature))
    monkeypatch.setattr(Verifier, "verify",
                        lambda self, message, signature: verified.append("note") or note_verify(self, message, signature))
    assert outcome(vault, built.keyring) is None
    assert verified == []
    assert outcome(vault) is None
    assert verified == ["note"] * N


def test_checkpoint_from_a_fork_of_this_vault(built: Built, vault: Path) -> None:
    """Signed by the right key, for the right size, but over another history."""
    assert built.fork_notes[N] != built.notes[N]
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.fork_notes[N], N)))
    assert_detected(vault, built.keyring, f"checkpoint {N}")


def test_entry_from_a_fork_of_this_vault(built: Built, vault: Path) -> None:
    _, commitment, sealed = built.fork_entries[N - 1]
    execute(vault, ("UPDATE entries SET commitment = ?, sealed = ? WHERE idx = ?", (commitment, sealed, N - 1)))
    assert_detected(vault, built.keyring, f"entry {N - 1}")


def test_whole_fork_swapped_in_needs_a_saved_checkpoint(built: Built, vault: Path) -> None:
    """Entry and checkpoint replaced together by a genuine alternative history."""
    _, commitment, sealed = built.fork_entries[N - 1]
    execute(vault, ("UPDATE entries SET commitment = ?, sealed = ? WHERE idx = ?", (commitment, sealed, N - 1)),
            ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.fork_notes[N], N)),
            "DROP TABLE tree")  # the stored hashes would betray it; an older vault has none
    assert_intact(vault, built.keyring, N)
    failure = against(vault, built.notes[N])
    assert failure is not None and "history was rewritten" in failure
    assert against(vault, built.notes[N - 1]) is None  # the shared prefix still holds


# --- inserted rows ------------------------------------------------------------------------


def test_extra_entry_row(built: Built, vault: Path) -> None:
    _, commitment, sealed = built.entries[-1]
    execute(vault, ("INSERT INTO entries VALUES (?, ?, ?)", (N, commitment, sealed)))
    assert_detected(vault, built.keyring, f"checkpoint for size {N + 1} is missing")


def test_extra_checkpoint_row(built: Built, vault: Path) -> None:
    execute(vault, ("INSERT INTO checkpoints VALUES (?, ?)", (N + 1, built.notes[N])))
    assert_detected(vault, built.keyring, f"checkpoint for size {N + 1} has no entries")


def test_replayed_entry_and_checkpoint(built: Built, vault: Path) -> None:
    _, commitment, sealed = built.entries[-1]
    execute(vault, ("INSERT INTO entries VALUES (?, ?, ?)", (N, commitment, sealed)),
            ("INSERT INTO checkpoints VALUES (?, ?)", (N + 1, built.notes[N])))
    assert_detected(vault, built.keyring, f"checkpoint {N + 1}", "swapped")


def test_grafted_fork_entry_and_checkpoint(built: Built, vault: Path) -> None:
    _, commitment, sealed = built.fork_entries[N]
    execute(vault, ("INSERT INTO entries VALUES (?, ?, ?)", (N, commitment, sealed)),
            ("INSERT INTO checkpoints VALUES (?, ?)", (N + 1, built.fork_notes[N + 1])))
    assert_detected(vault, built.keyring, f"checkpoint {N + 1}")


# --- values of the wrong SQLite type ------------------------------------------------------------

WRONG_TYPES = {
    "commitment-text": ("UPDATE entries SET commitment = hex(commitment) WHERE idx = 1", "entry row 1"),
    "commitment-integer": ("UPDATE entries SET commitment = 7 WHERE idx = 1", "entry row 1"),
    "commitment-real": ("UPDATE entries SET commitment = 1.5 WHERE idx = 1", "entry row 1"),
    "commitment-invalid-utf8-text": ("UPDATE entries SET commitment = CAST(x'ff00fe' AS TEXT) WHERE idx = 1", None),
    "sealed-text": ("UPDATE entries SET sealed = 'age-encryption.org/v1' WHERE idx = 3", "entry row 3"),
    "sealed-integer": ("UPDATE entries SET sealed = 0 WHERE idx = 3", "entry row 3"),
    "sealed-as-text-bytes": ("UPDATE entries SET sealed = CAST(sealed AS TEXT) WHERE idx = 3", None),
    "note-blob": ("UPDATE checkpoints SET note = CAST(note AS BLOB) WHERE size = 2", "checkpoint row 1"),
    # TEXT affinity turns these into the text "2" and "2.5": a note that does not verify
    "note-integer": ("UPDATE checkpoints SET note = 2 WHERE size = 2", "checkpoint 2"),
    "note-real": ("UPDATE checkpoints SET note = 2.5 WHERE size = 2", "checkpoint 2"),
    "note-invalid-utf8-text": ("UPDATE checkpoints SET note = CAST(x'ff0a0aff0a' AS TEXT) WHERE size = 2", None),
}


@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_value_of_wrong_type(built: Built, vault: Path, case: str) -> None:
    statement, where = WRONG_TYPES[case]
    execute(vault, statement)
    for ring in (None, built.keyring):
        message = outcome(vault, ring)  # anything but CheckFailed would escape here
        assert message is not None
        if where is not None:
            assert names(message, where), message


@pytest.mark.parametrize("column", ["idx", "size"])
def test_rowid_column_refuses_text(built: Built, vault: Path, column: str) -> None:
    table = "entries" if column == "idx" else "checkpoints"
    with pytest.raises(sqlite3.IntegrityError, match="datatype mismatch"):
        execute(vault, f"UPDATE {table} SET {column} = 'two' WHERE {column} = 2")


@pytest.mark.parametrize(("statements", "exact"), [
    pytest.param((), True, id="intact"),
    pytest.param(("DELETE FROM checkpoints WHERE size = 3",), False, id="deleted"),
    pytest.param(("DELETE FROM checkpoints WHERE size = 5",), False, id="last-deleted"),
    pytest.param(("INSERT INTO checkpoints SELECT 6, note FROM checkpoints WHERE size = 5",), False, id="extra"),
    pytest.param(("UPDATE checkpoints SET size = 0 WHERE size = 1",), False, id="renumbered"),
    pytest.param(lambda: [*_loosen("checkpoints", "size, note"),
                          "INSERT INTO checkpoints SELECT * FROM checkpoints WHERE size = 2"], False, id="repeated"),
    pytest.param(lambda: [*_loosen("checkpoints", "size, note"),
                          "UPDATE checkpoints SET size = '2' WHERE size = 2"], False, id="text"),
    pytest.param(lambda: [*_loosen("checkpoints", "size, note"),
                          "UPDATE checkpoints SET size = 2.0 WHERE size = 2"], False, id="real"),
])
def test_checkpoint_sizes_within_one_to_n_or_not(built: Built, vault: Path, statements, exact: bool) -> None:
    """The aggregate that lets the audit read the checkpoints in chunks: a size missing, extra,
    repeated beside the others or not an integer sends it to the single pass that names the fault."""
    execute(vault, *(statements() if callable(statements) else statements))
    with Vault.open(vault).ledger() as ledger:
        assert ledger.store.checkpoint_sizes_within(N) is exact


def test_a_size_repeated_in_place_of_another_is_found_by_the_chunks(built: Built, vault: Path) -> None:
    """N checkpoints, every size an integer in 1..N, but 2 twice and 3 gone: the aggregate lets it
    through, and the pass over 3..4 in order names the missing size (both ways, per the fixture)."""
    execute(vault, *_loosen("checkpoints", "size, note"), "UPDATE checkpoints SET size = 2 WHERE size = 3")
    with Vault.open(vault).ledger() as ledger:
        assert ledger.store.checkpoint_sizes_within(N)
    assert_detected(vault, built.keyring, "checkpoint for size 3 is missing")


def _loosen(table: str, columns: str) -> list[str]:
    """Rebuild a table without types or keys, so any value fits any cell."""
    return [f"ALTER TABLE {table} RENAME TO old_{table}", f"CREATE TABLE {table} ({columns})",
            f"INSERT INTO {table} SELECT * FROM old_{table}", f"DROP TABLE old_{table}"]



LOOSE_SCHEMA = [
    pytest.param("entries", "UPDATE entries SET idx = '2' WHERE idx = 2", "wrong type", id="idx-text"),
    pytest.param("entries", "UPDATE entries SET idx = NULL WHERE idx = 2", "wrong type", id="idx-null"),
    pytest.param("entries", "UPDATE entries SET idx = 2.0 WHERE idx = 2", "wrong type", id="idx-real"),
    pytest.param("entries", "INSERT INTO entries SELECT * FROM entries WHERE idx = 2", "entry 3", id="idx-duplicate"),
    pytest.param("entries", "UPDATE entries SET commitment = NULL WHERE idx = 2", "entry row 2", id="commitment-null"),
    pytest.param("checkpoints", "UPDATE checkpoints SET size = '2' WHERE size = 2", "wrong type", id="size-text"),
    pytest.param("checkpoints", "UPDATE checkpoints SET size = NULL WHERE size = 2", "wrong type", id="size-null"),
    pytest.param("checkpoints", "UPDATE checkpoints SET size = 2.0 WHERE size = 2", "wrong type", id="size-real"),
    pytest.param("checkpoints", "INSERT INTO checkpoints SELECT * FROM checkpoints WHERE size = 2", "checkpoint",
                 id="size-duplicate"),
    pytest.param("checkpoints", "UPDATE checkpoints SET note = NULL WHERE size = 2", "checkpoint row 1",
                 id="note-null"),
]


@pytest.mark.parametrize(("table", "statement", "fragment"), LOOSE_SCHEMA)
def test_schema_loosened_then_bad_value(built: Built, vault: Path, table: str, statement: str, fragment: str) -> None:
    """The schema is in the file too: rebuilt without types or keys, any value fits any cell."""
    columns = "idx, commitment, sealed" if table == "entries" else "size, note"
    execute(vault, *_loosen(table, columns))
    assert_intact(vault, built.keyring, N)  # the rebuilt table alone changes nothing
    execute(vault, statement)
    for ring in (None, built.keyring):
        message = outcome(vault, ring)
        assert message is not None and fragment in message, message


# --- the file itself -------------------------------------------------------------------------------


def _file_offset(root: Path, value: bytes) -> int:
    data = (root / "ledger.sqlite").read_bytes()
    assert data.count(value) == 1, "the value should be stored once, in one page"
    return data.index(value)


def _patch_file(root: Path, position: int, byte: int) -> None:
    path = root / "ledger.sqlite"
    data = bytearray(path.read_bytes())
    data[position] = byte
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("position", list(BLOB_POSITIONS))
@pytest.mark.parametrize("row", [0, 2, N - 1])
def test_file_bytes_of_sealed_value_flipped(built: Built, vault: Path, row: int, position: str) -> None:
    sealed = built.entries[row][2]
    offset = _file_offset(vault, sealed) + BLOB_POSITIONS[position](len(sealed))
    original = (vault / "ledger.sqlite").read_bytes()[offset]
    _patch_file(vault, offset, original ^ 0x01)
    assert_detected(vault, built.keyring, f"entry {row}")


@pytest.mark.parametrize("row", [0, N - 1])
def test_file_bytes_of_commitment_flipped(built: Built, vault: Path, row: int) -> None:
    commitment = built.entries[row][1]
    offset = _file_offset(vault, commitment) + 17
    _patch_file(vault, offset, commitment[17] ^ 0x80)
    assert_detected(vault, built.keyring, f"entry {row}")


@pytest.mark.parametrize("size", [1, N])
def test_file_bytes_of_checkpoint_changed(built: Built, vault: Path, size: int) -> None:
    note = built.notes[size].encode()
    offset = _file_offset(vault, note) + _note_position(note, "root-line")
    _patch_file(vault, offset, _other_ascii(note[_note_position(note, "root-line")]))
    assert_detected(vault, built.keyring, f"checkpoint {size}")


def test_file_record_header_turns_blob_into_text(built: Built, vault: Path) -> None:
    """The record's serial type for the commitment: 32-byte BLOB (76) -> TEXT (77)."""
    commitment = built.entries[2][1]
    offset = _file_offset(vault, commitment) - 3  # header: size, idx NULL, commitment, sealed (2 bytes)
    assert (vault / "ledger.sqlite").read_bytes()[offset] == 32 * 2 + 12
    _patch_file(vault, offset, 32 * 2 + 13)
    for ring in (None, built.keyring):
        assert outcome(vault, ring) is not None


def _garble_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01  # "SQLite format 3\0" no longer
    path.write_bytes(bytes(data))


FILE_DAMAGE: dict[str, Callable[[Path], None]] = {
    "header-garbled": _garble_header,
    "truncated-to-half": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "truncated-to-one-page": lambda p: p.write_bytes(p.read_bytes()[:4096]),
    "emptied": lambda p: p.write_bytes(b""),
    "replaced-by-text": lambda p: p.write_text("not a database\n"),
}


@pytest.mark.parametrize("damage", list(FILE_DAMAGE))
def test_damaged_file(built: Built, vault: Path, damage: str) -> None:
    FILE_DAMAGE[damage](vault / "ledger.sqlite")
    for ring in (None, built.keyring):
        message = outcome(vault, ring)
        assert message is not None


# --- the command line -----------------------------------------------------------------------------


def _one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("intake: error:")
    return lines[0]


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["with-passphrase", "without-passphrase"])
def test_cli_verify_intact(cli, vault: Path, passphrase: str | None) -> None:
    result = cli("ledger", "verify", "--vault", vault, passphrase=passphrase)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    verdict = "ledger verified" if passphrase else "ledger verified (without the passphrase: the entries were not opened)"
    assert result.stdout.splitlines()[-1] == verdict
    opened = f"{N} entries opened"
    assert (opened in result.stdout) == (passphrase is not None)


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["with-passphrase", "without-passphrase"])
def test_cli_verify_tampered_entry(built: Built, cli, vault: Path, passphrase: str | None) -> None:
    sealed = built.entries[2][2]
    execute(vault, ("UPDATE entries SET sealed = ? WHERE idx = 2", (flip(sealed, len(sealed) // 2),)))
    result = cli("ledger", "verify", "--vault", vault, passphrase=passphrase)
    assert result.returncode == 1
    assert names(_one_error_line(result), "entry 2")
    assert "ledger verified" not in result.stdout


CLI_TAMPERING = {
    "checkpoints-swapped": (lambda b: [("UPDATE checkpoints SET note = ? WHERE size = 2", (b.notes[3],)),
                                       ("UPDATE checkpoints SET note = ? WHERE size = 3", (b.notes[2],))],
                            "checkpoint 2"),
    "entry-deleted": (lambda b: ["DELETE FROM entries WHERE idx = 1"], "entry 1"),
    "checkpoint-deleted": (lambda b: ["DELETE FROM checkpoints WHERE size = 4"], "checkpoint for size 4"),
    "foreign-checkpoint": (lambda b: [("UPDATE checkpoints SET note = ? WHERE size = 1", (b.foreign_notes[1],))],
                           "checkpoint 1"),
    "commitment-text": (lambda b: ["UPDATE entries SET commitment = hex(commitment) WHERE idx = 3"], "entry row 3"),
}


@pytest.mark.parametrize("case", list(CLI_TAMPERING))
def test_cli_verify_tampered(built: Built, cli, vault: Path, case: str) -> None:
    statements, fragment = CLI_TAMPERING[case]
    execute(vault, *statements(built))
    result = cli("ledger", "verify", "--vault", vault, passphrase=None)
    assert result.returncode == 1
    assert fragment in _one_error_line(result)




def _note_not_utf8(built: Built, vault: Path) -> None:
    """A byte of the em dash in checkpoint 2 changed to 0xff: no longer UTF-8."""
    broken = built.notes[2].encode().replace("\u2014".encode(), b"\xff\x80\x94", 1)
    execute(vault, ("UPDATE checkpoints SET note = CAST(? AS TEXT) WHERE size = 2", (broken,)))


def _sealed_turned_to_text_in_file(built: Built, vault: Path) -> None:
    """One bit of the file: the record's serial type for entry 1's sealed value, BLOB -> TEXT."""
    offset = _file_offset(vault, built.entries[1][1]) - 1  # last byte of the sealed value's varint
    byte = (vault / "ledger.sqlite").read_bytes()[offset]
    assert byte % 2 == 0  # an even serial type >= 12 is a BLOB
    _patch_file(vault, offset, byte + 1)


@pytest.mark.parametrize("tamper", [_note_not_utf8, _sealed_turned_to_text_in_file], ids=["note", "sealed-in-file"])
def test_cli_verify_text_not_utf8_is_one_line(built: Built, cli, vault: Path, tamper) -> None:
    tamper(built, vault)
    result = cli("ledger", "verify", "--vault", vault, passphrase=None)
    assert result.returncode == 1
    _one_error_line(result)


def test_cli_verify_duplicate_checkpoint_row_is_a_failed_check(built: Built, cli, vault: Path) -> None:
    execute(vault, *_loosen("checkpoints", "size, note"),
            "INSERT INTO checkpoints SELECT * FROM checkpoints WHERE size = 2")
    result = cli("ledger", "verify", "--vault", vault, passphrase=None)
    assert result.returncode == 1, result.stderr
    assert "checkpoint" in _one_error_line(result)


def _save_checkpoint(cli, vault: Path, where: Path) -> str:
    result = cli("ledger", "checkpoint", "--vault", vault, passphrase=None)
    assert result.returncode == 0, result.stderr
    where.write_text(result.stdout, encoding="utf-8")
    return result.stdout


def test_cli_verify_against_saved_checkpoint_after_more_adds(
    built: Built, cli, vault: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.txt"
    assert _save_checkpoint(cli, vault, saved) == built.notes[N]
    _add_files(Unlocked(Vault.open(vault), built.keyring), tmp_path / "later", "later", 2)
    result = cli("ledger", "verify", "--vault", vault, "--against", saved, passphrase=None)
    assert result.returncode == 0, result.stderr
    assert f"extends the saved checkpoint of size {N}" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("ledger verified (without the passphrase")


def _truncate(built: Built, vault: Path, tmp_path: Path) -> None:
    execute(vault, "DELETE FROM entries WHERE idx >= 3", "DELETE FROM checkpoints WHERE size > 3",
            "DELETE FROM tree WHERE ((idx + 1) << level) > 3")


def _truncate_last(built: Built, vault: Path, tmp_path: Path) -> None:
    execute(vault, ("DELETE FROM entries WHERE idx = ?", (N - 1,)), ("DELETE FROM checkpoints WHERE size = ?", (N,)),
            ("DELETE FROM tree WHERE ((idx + 1) << level) > ?", (N - 1,)))


def _rewrite_last(built: Built, vault: Path, tmp_path: Path) -> None:
    _truncate_last(built, vault, tmp_path)
    _add_files(Unlocked(Vault.open(vault), built.keyring), tmp_path / "rewrite", "rewrite", 3)


def _replace_by_fork(built: Built, vault: Path, tmp_path: Path) -> None:
    shutil.copyfile(built.fork_root / "ledger.sqlite", vault / "ledger.sqlite")


REWRITES = {
    "truncated": (_truncate, "truncated or rolled back"),
    "last-entry-and-checkpoint-deleted": (_truncate_last, "truncated or rolled back"),
    "rolled-back-and-re-extended": (_rewrite_last, "history was rewritten"),
    "replaced-by-fork": (_replace_by_fork, "history was rewritten"),
}


@pytest.mark.parametrize("case", list(REWRITES))
def test_cli_verify_against_detects_rewritten_history(
    built: Built, cli, vault: Path, tmp_path: Path, case: str
) -> None:
    saved = tmp_path / "checkpoint.txt"
    _save_checkpoint(cli, vault, saved)
    rewrite, fragment = REWRITES[case]
    rewrite(built, vault, tmp_path)
    assert outcome(vault, built.keyring) is None  # locally it is a genuine ledger
    result = cli("ledger", "verify", "--vault", vault, "--against", saved, passphrase=None)
    assert result.returncode == 1
    assert fragment in _one_error_line(result)


def test_cli_verify_against_checkpoint_of_another_vault(built: Built, cli, vault: Path, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.txt"
    saved.write_text(built.foreign_notes[N], encoding="utf-8")
    result = cli("ledger", "verify", "--vault", vault, "--against", saved, passphrase=None)
    assert result.returncode == 1
    assert "the saved checkpoint" in _one_error_line(result)


def test_cli_verify_against_on_tampered_ledger_names_the_entry(
    built: Built, cli, vault: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.txt"
    _save_checkpoint(cli, vault, saved)
    commitment = built.entries[0][1]
    execute(vault, ("UPDATE entries SET commitment = ? WHERE idx = 0", (flip(commitment, 0),)))
    result = cli("ledger", "verify", "--vault", vault, "--against", saved, passphrase=None)
    assert result.returncode == 1
    assert names(_one_error_line(result), "entry 0")


# --- a large ledger: every checkpoint byte for byte, the signatures of a sample ------------------


@pytest.fixture
def sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The large-ledger path on the built vault: sizes 1, 2, 4 and 5 (the latest) have their
    signatures verified; size 3 must only be exactly the note this key writes for its root."""
    monkeypatch.setattr("intake.ledger.checkpoint_audit.SIGNATURE_LIMIT", 2)


def test_large_ledger_path_accepts_an_intact_ledger_and_says_what_it_verified(built: Built, vault: Path,
                                                                              sampled: None) -> None:
    opened = Vault.open(vault)
    with opened.ledger() as ledger:
        report = audit(ledger.store, opened.config.origin, opened.verifier)
    assert report.ok and any("the signatures of the latest and of 3 others verify" in c for c in report.checked)


@pytest.mark.parametrize("where", ["size-line", "root-line", "key-name", "key-id", "first", "blank-line"])
def test_large_ledger_path_catches_an_unsampled_checkpoint_changed(built: Built, vault: Path, sampled: None,
                                                                   where: str) -> None:
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = 3", (change_note_char(built.notes[3], where),)))
    assert outcome(vault) is not None and "checkpoint 3" in str(outcome(vault))


@pytest.mark.parametrize("size", [3, 5])
def test_large_ledger_path_catches_a_foreign_or_resigned_checkpoint(built: Built, vault: Path, sampled: None,
                                                                    size: int) -> None:
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (built.foreign_notes[size], size)))
    assert names(str(outcome(vault)), f"checkpoint {size}")


def test_large_ledger_path_verifies_the_latest_signature(built: Built, vault: Path, sampled: None) -> None:
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = ?", (change_note_char(built.notes[N], "signature"), N)))
    assert names(str(outcome(vault)), f"checkpoint {N}", "signature")


def test_large_ledger_path_catches_an_altered_entry(built: Built, vault: Path, sampled: None) -> None:
    _, commitment, sealed = built.entries[2]
    execute(vault, ("UPDATE entries SET sealed = ? WHERE idx = 2", (flip(sealed, len(sealed) // 2),)))
    assert names(str(outcome(vault)), "entry 2")


# --- the stored tree is checked while the checkpoints are, and reported after them ------------------


@pytest.mark.parametrize("tree_change", [
    pytest.param("UPDATE tree SET hash = zeroblob(32) WHERE level = 0 AND idx = 1", id="hash-altered"),
    pytest.param("UPDATE tree SET idx = 'one' WHERE level = 0 AND idx = 1", id="cell-of-the-wrong-type"),
])
def test_a_foreign_checkpoint_is_named_before_an_altered_tree(built: Built, vault: Path, tree_change: str) -> None:
    """Step 10 (the stored tree hashes) runs early when the checkpoints are checked on every core,
    but its failure, even a damaged table's, waits until steps 3-9 passed: the first one wins."""
    execute(vault, tree_change)
    alone = outcome(vault)
    assert alone is not None and ("tree table" in alone or "wrong type" in alone), alone
    execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = 3", (built.foreign_notes[3],)))
    assert_detected(vault, built.keyring, "checkpoint 3")


def test_checkpoint_chunks_in_this_process_when_it_has_threads(built: Built, vault: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal app runs the audit beside other threads: nothing is forked then (a child could
    inherit a held lock), and the chunks are checked here, one after another, with the same verdicts."""
    monkeypatch.setattr("intake.ledger.checkpoint_audit.CHECKPOINT_CHUNK", 2)
    monkeypatch.setattr(os, "fork", _no_fork)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert outcome(vault) is None
        execute(vault, ("UPDATE checkpoints SET note = ? WHERE size = 4", (built.foreign_notes[4],)))
        assert names(str(outcome(vault)), "checkpoint 4")
    finally:
        release.set()
        other.join()


def _no_fork() -> int:
    raise AssertionError("forked beside another thread")
