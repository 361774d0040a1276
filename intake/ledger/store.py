"""SQLite storage of the ledger, nothing in the clear.

entries(idx, commitment, sealed), checkpoints(size, note), tree(level, idx,
hash), the hash of every perfect Merkle subtree (intake/ledger/stored_tree.py),
and originals(idx, tag), one keyed tag per entry (intake/ledger/originals.py).
Every value is either random-looking (commitment, age ciphertext, hashes of
them) or public by design (a signed checkpoint). Appends are single
transactions: a crash leaves the ledger as it was before the append or after
it, never between. Vaults made before the tree table get it at their next
append.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from intake.errors import CheckFailed, IntakeError
from intake.support.fsutil import PRIVATE_FILE

_TREE_TABLE = ("CREATE TABLE IF NOT EXISTS tree (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, "
               "PRIMARY KEY (level, idx)) WITHOUT ROWID")
# Blobs placed but not yet named by an entry: a name goes in (committed) before its blob takes its
# place, and out in the transaction of the entry that names it. A name still here under the
# exclusive lock is an orphan a killed command left (docs/formats.md).
_UNRECORDED_TABLE = "CREATE TABLE IF NOT EXISTS unrecorded (name TEXT PRIMARY KEY) WITHOUT ROWID"
# The sealing policy's version as of the ledger's current size, signed (intake/ledger/policy_state.py).
_POLICY_TABLE = ("CREATE TABLE IF NOT EXISTS policy_state (one INTEGER PRIMARY KEY CHECK (one = 0), "
                 "size INTEGER NOT NULL, serial INTEGER NOT NULL, signature BLOB NOT NULL)")
# One keyed tag per entry, so `add` finds an original taken in before (intake/ledger/originals.py).
_ORIGINALS_TABLE = ("CREATE TABLE IF NOT EXISTS originals (idx INTEGER PRIMARY KEY, tag BLOB NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS originals_by_tag ON originals (tag)")
_SCHEMA = (
    "CREATE TABLE entries (idx INTEGER PRIMARY KEY, commitment BLOB NOT NULL, sealed BLOB NOT NULL)",
    "CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL)",
    _TREE_TABLE,
    _UNRECORDED_TABLE,
    _POLICY_TABLE,
    *_ORIGINALS_TABLE,
)
TreeRow = tuple[int, int, bytes]  # level, index at that level, hash


@dataclass(frozen=True)
class StoredEntry:
    idx: int
    commitment: bytes
    sealed: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    note: str


class LedgerStore:
    def __init__(self, connection: sqlite3.Connection, path: Path | None = None) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def create(cls, path: Path) -> "LedgerStore":
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE))
        store = cls(_connect(path), path)
        with store._db:
            for statement in _SCHEMA:
                store._db.execute(statement)
        return store

    @classmethod
    def open(cls, path: Path) -> "LedgerStore":
        if not path.is_file():
            raise IntakeError(f"the vault has no ledger at {path}; is this a vault?")
        return cls(_connect(path), path)

    def reader(self) -> "LedgerStore":
        """A connection of its own to the same file, read-only: for a forked process, which must
        never use a connection opened before the fork."""
        if self.path is None:
            raise IntakeError("this ledger was opened without its path: it cannot be read again")
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                         timeout=60)
            connection.text_factory = bytes
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database cannot be opened ({_reason(error)})") from error
        return LedgerStore(connection, self.path)

    def close(self) -> None:
        self._db.close()

    def entries(self) -> list[StoredEntry]:
        rows = self._query(
            "SELECT idx, commitment, sealed, typeof(commitment) = 'blob' AND typeof(sealed) = 'blob' "
            "FROM entries ORDER BY idx"
        )
        return [
            StoredEntry(_as_int(i, where), _as_bytes(c, typed, where), _as_bytes(s, typed, where))
            for position, (i, c, s, typed) in enumerate(rows)
            for where in (f"entry row {position}",)
        ]

    def entries_between(self, first: int, end: int) -> list[StoredEntry]:
        """The entry rows whose idx is in first..end − 1, in idx order: one chunk of the entries, so
        an audit that opens every entry holds one chunk of sealed records, not all of them."""
        try:
            rows = self._db.execute(
                "SELECT idx, commitment, sealed, typeof(commitment) = 'blob' AND typeof(sealed) = 'blob' "
                "FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (first, end)).fetchall()
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database is damaged ({_reason(error)})") from error
        return [
            StoredEntry(_as_int(i, where), _as_bytes(c, typed, where), _as_bytes(s, typed, where))
            for number, (i, c, s, typed) in enumerate(rows, first)
            for where in (f"entry row {number}",)
        ]

    def leaf_rows(self, leaf_hash: Callable[[bytes, bytes], bytes]) -> Iterator[tuple[int, bytes]]:
        """(idx, leaf hash) of every entry, one row at a time: an audit without the passphrase never
        holds the sealed records themselves, so its memory does not grow with them."""
        try:
            cursor = self._db.execute(
                "SELECT idx, commitment, sealed, typeof(commitment) = 'blob' AND typeof(sealed) = 'blob' "
                "FROM entries ORDER BY idx")
            for position, (i, c, s, typed) in enumerate(cursor):
                where = f"entry row {position}"
                yield _as_int(i, where), leaf_hash(_as_bytes(c, typed, where), _as_bytes(s, typed, where))
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database is damaged ({_reason(error)})") from error

    def checkpoints(self) -> list[StoredCheckpoint]:
        rows = self._query("SELECT size, note, typeof(note) = 'text' FROM checkpoints ORDER BY size")
        return [
            StoredCheckpoint(_as_int(size, where), _as_text(note, typed, where))
            for position, (size, note, typed) in enumerate(rows)
            for where in (f"checkpoint row {position}",)
        ]

    def checkpoint_sizes(self) -> list[int]:
        rows = self._query("SELECT size FROM checkpoints ORDER BY size")
        return [_as_int(size, f"checkpoint row {position}") for position, (size,) in enumerate(rows)]

    def iter_checkpoints(self) -> Iterator[StoredCheckpoint]:
        """checkpoints(), row by row: an audit of a big ledger does not hold every note at once."""
        return self._checkpoint_rows("ORDER BY size", (), 0)

    def checkpoints_between(self, first: int, last: int) -> Iterator[StoredCheckpoint]:
        """The checkpoint rows whose size is in first..last, in size order: one chunk of them (an
        audit on every core reads its chunks through a connection of each worker's own)."""
        return self._checkpoint_rows("WHERE size >= ? AND size <= ? ORDER BY size", (first, last), first - 1)

    def _checkpoint_rows(self, where_and_order: str, parameters: tuple, first_row: int) -> Iterator[StoredCheckpoint]:
        """The rows the clause selects, each typed as it is read; `first_row` is the first one's
        place in size order (what a wrong cell's message counts from)."""
        try:
            cursor = self._db.execute(f"SELECT size, note, typeof(note) = 'text' FROM checkpoints {where_and_order}",
                                      parameters)
            for position, (size, note, typed) in enumerate(cursor, first_row):
                where = f"checkpoint row {position}"
                yield StoredCheckpoint(_as_int(size, where), _as_text(note, typed, where))
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database is damaged ({_reason(error)})") from error

    def checkpoint_sizes_within(self, count: int) -> bool:
        """Whether there are `count` checkpoints, each size an integer in 1..count, from one
        aggregate query (no row is brought into Python). Every size is then there exactly once
        unless another is missing, which a pass over the sizes 1..count in order finds (counting
        distinct sizes here took twice as long: 0.45 s at a million)."""
        (rows, smallest, largest, integers), = self._query(
            "SELECT count(*), min(size), max(size), total(typeof(size) = 'integer') FROM checkpoints")
        return rows == count == integers and (count == 0 or (smallest, largest) == (1, count))

    def count(self) -> int:
        """The ledger's size, from the last index (one b-tree lookup; count(*) would read every row).
        A gap left by a deleted row is the audit's to find."""
        (last,) = self._query("SELECT max(idx) FROM entries")[0]
        return 0 if last is None else _as_int(last, "the last entry row") + 1

    def has_tree(self) -> bool:
        return bool(self._query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tree'")[0][0])

    def tree_count(self) -> int:
        """Every stored hash, counted: reads the whole table (the audit's; an append uses tree_leaves)."""
        return int(self._query("SELECT count(*) FROM tree")[0][0]) if self.has_tree() else 0

    def tree_leaves(self) -> int:
        """How many leaves the stored tree holds, from the last one (one b-tree lookup)."""
        if not self.has_tree():
            return 0
        (last,) = self._query("SELECT max(idx) FROM tree WHERE level = 0")[0]
        return 0 if last is None else _as_int(last, "the last tree row") + 1

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest tree (one b-tree lookup, not every note)."""
        rows = self._query("SELECT size, note, typeof(note) = 'text' FROM checkpoints ORDER BY size DESC LIMIT 1")
        if not rows:
            return None
        size, note, typed = rows[0]
        return StoredCheckpoint(_as_int(size, "the last checkpoint row"), _as_text(note, typed, "the last checkpoint row"))

    def tree_hashes(self, positions: list[tuple[int, int]]) -> list[bytes]:
        """The stored hashes at (level, index); a missing or mistyped one is damage, named."""
        found = []
        for level, index in positions:
            rows = self._query("SELECT hash, typeof(hash) = 'blob' FROM tree WHERE level = ? AND idx = ?", (level, index))
            if not rows:
                raise CheckFailed(f"the ledger's stored tree lacks the hash at level {level}, index {index}: it was altered")
            found.append(_as_bytes(rows[0][0], rows[0][1], f"tree row ({level}, {index})"))
        return found

    def tree_rows(self) -> list[TreeRow]:
        return list(self.iter_tree_rows())

    def iter_tree_rows(self) -> Iterator[TreeRow]:
        """Row by row, in (level, index) order: an audit compares them without holding them all."""
        try:
            cursor = self._db.execute("SELECT level, idx, hash, typeof(hash) = 'blob' FROM tree ORDER BY level, idx")
            for level, index, value, typed in cursor:
                yield _as_int(level, "a tree row"), _as_int(index, "a tree row"), _as_bytes(value, typed, "a tree row")
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database is damaged ({_reason(error)})") from error

    def clear_tree(self) -> None:
        self._db.execute("DELETE FROM tree")

    def insert_tree(self, rows: list[TreeRow]) -> None:
        """Within a transaction: creates the table on a vault made before it existed."""
        self._db.execute(_TREE_TABLE)
        self._db.executemany("INSERT INTO tree (level, idx, hash) VALUES (?, ?, ?)", rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: the append reads the tree and writes in one step."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise IntakeError(f"the ledger could not be written ({_reason(error)}); nothing was recorded") from error

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Several reads that see one committed state (a writer may be appending meanwhile)."""
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database cannot be read ({_reason(error)})") from error
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def insert(self, entry: StoredEntry, checkpoint: StoredCheckpoint) -> None:
        self._db.execute(
            "INSERT INTO entries (idx, commitment, sealed) VALUES (?, ?, ?)",
            (entry.idx, entry.commitment, entry.sealed),
        )
        self._db.execute(
            "INSERT INTO checkpoints (size, note) VALUES (?, ?)", (checkpoint.size, checkpoint.note)
        )

    def entry_at(self, idx: int) -> StoredEntry | None:
        rows = self._query("SELECT commitment, sealed, typeof(commitment) = 'blob' AND typeof(sealed) = 'blob' "
                           "FROM entries WHERE idx = ?", (idx,))
        if not rows:
            return None
        commitment, sealed, typed = rows[0]
        where = f"entry row {idx}"
        return StoredEntry(idx, _as_bytes(commitment, typed, where), _as_bytes(sealed, typed, where))

    def originals_through(self) -> int | None:
        """How many entries, from the first, have their originals row; None for a vault made before
        the table (a gap is the same as a missing end: rows are only ever added in order)."""
        if not self._query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'originals'")[0][0]:
            return None
        (last,) = self._query("SELECT max(idx) FROM originals")[0]
        return 0 if last is None else _as_int(last, "the originals table") + 1

    def original_rows(self, tag: bytes) -> list[int]:
        """The entries whose originals row holds this tag (hints, to be confirmed by opening them)."""
        if self.originals_through() is None:
            return []
        return [_as_int(idx, "the originals table") for (idx,) in
                self._query("SELECT idx FROM originals WHERE tag = ? ORDER BY idx", (tag,))]

    def insert_originals(self, rows: list[tuple[int, bytes]]) -> None:
        """Within a transaction: creates the table on a vault made before it existed."""
        for statement in _ORIGINALS_TABLE:
            self._db.execute(statement)
        self._db.executemany("INSERT OR REPLACE INTO originals (idx, tag) VALUES (?, ?)", rows)

    def note_unrecorded(self, name: str) -> None:
        """Committed before the blob `name` is renamed into place."""
        with self.transaction():
            self._db.execute(_UNRECORDED_TABLE)
            self._db.execute("INSERT OR IGNORE INTO unrecorded (name) VALUES (?)", (name,))

    def forget_unrecorded(self, names: list[str]) -> None:
        """Within the transaction that records the entries naming them (or removes them)."""
        self._db.execute(_UNRECORDED_TABLE)
        self._db.executemany("DELETE FROM unrecorded WHERE name = ?", [(name,) for name in names])

    def policy_state(self) -> tuple[int, int, bytes] | None:
        """(ledger size, policy serial, signature), or None for a vault made before it existed."""
        if not self._query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'policy_state'")[0][0]:
            return None
        rows = self._query("SELECT size, serial, signature, typeof(signature) = 'blob' FROM policy_state")
        if not rows:
            return None
        size, serial, signature, typed = rows[0]
        where = "the sealing policy's record"
        return _as_int(size, where), _as_int(serial, where), _as_bytes(signature, typed, where)

    def set_policy_state(self, size: int, serial: int, signature: bytes) -> None:
        """Within a transaction."""
        self._db.execute(_POLICY_TABLE)
        self._db.execute("INSERT OR REPLACE INTO policy_state (one, size, serial, signature) VALUES (0, ?, ?, ?)",
                         (size, serial, signature))

    def unrecorded(self) -> list[str]:
        if not self._query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'unrecorded'")[0][0]:
            return []
        rows = self._query("SELECT name, typeof(name) = 'text' FROM unrecorded ORDER BY name")
        return [_as_text(name, typed, "an unrecorded blob row") for name, typed in rows]

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise CheckFailed(f"the ledger database is damaged ({_reason(error)})") from error


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=60)
        # Text is decoded here, per row, so a tampered cell is named, not quoted.
        connection.text_factory = bytes
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA secure_delete=ON")
    except sqlite3.Error as error:
        raise CheckFailed(f"the ledger database cannot be opened ({_reason(error)})") from error
    return connection


def _reason(error: sqlite3.Error) -> str:
    """SQLite's error name, never its message: that can quote stored bytes."""
    return getattr(error, "sqlite_errorname", None) or type(error).__name__


# A tampered cell may change type (SQLite is dynamically typed); such a value
# must surface as a failed check, not as a traceback.
def _as_int(value: object, where: str) -> int:
    if type(value) is not int:
        raise CheckFailed(f"{where} of the ledger holds a value of the wrong type: it was altered")
    return value


def _as_bytes(value: object, typed: object, where: str) -> bytes:
    if not isinstance(value, bytes) or typed != 1:
        raise CheckFailed(f"{where} of the ledger holds a value of the wrong type: it was altered")
    return value


def _as_text(value: object, typed: object, where: str) -> str:
    if not isinstance(value, bytes) or typed != 1:
        raise CheckFailed(f"{where} of the ledger holds a value of the wrong type: it was altered")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CheckFailed(f"{where} of the ledger holds text that is not UTF-8: it was altered") from error
