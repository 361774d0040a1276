"""A witness's own state, in SQLite: the logs it witnesses and what it last cosigned for each.

    STATE/             0700
      witness.key      the witness's private key (cosignature.Cosigner.to_text), 0600
      witness.sqlite   logs(origin, vkey), heads(origin, size, root)

The one rule a witness must never break is to cosign two inconsistent trees
of one log. The head is therefore advanced by compare-and-swap: the update
names the size and root it was decided against, in one statement, so two
requests racing on the same head cannot both win (c2sp.org/tlog-witness).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from intake.errors import NoteError, StateError
from intake.ledger.note import Verifier

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (origin TEXT PRIMARY KEY, vkey TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS heads (
    origin TEXT PRIMARY KEY REFERENCES logs(origin),
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32)
) STRICT;
"""
STATE_FILE = "witness.sqlite"
KEY_FILE = "witness.key"


@dataclass(frozen=True)
class Head:
    size: int
    root: bytes


@dataclass(frozen=True)
class WitnessState:
    path: Path

    @classmethod
    def create(cls, folder: Path) -> WitnessState:
        state = cls(folder / STATE_FILE)
        with state._connection():
            pass
        return state

    @classmethod
    def open(cls, folder: Path) -> WitnessState:
        path = folder / STATE_FILE
        if not path.is_file():
            raise StateError(f"no witness state in {folder}: run `intake witness init --state {folder}` first")
        return cls(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
                db.executescript(_SCHEMA)
                yield db
        except sqlite3.Error as error:
            raise StateError(f"the witness state {self.path} is unusable ({error})") from error

    def trust_log(self, verifier: Verifier) -> bool:
        """Witness this log from now on; False if its origin was already trusted (under any key)."""
        with self._connection() as db:
            inserted = db.execute("INSERT OR IGNORE INTO logs (origin, vkey) VALUES (?, ?)",
                                  (verifier.name, verifier.vkey()))
            return inserted.rowcount == 1

    def log_key(self, origin: str) -> Verifier | None:
        with self._connection() as db:
            row = db.execute("SELECT vkey FROM logs WHERE origin = ?", (origin,)).fetchone()
        if row is None:
            return None
        try:
            return Verifier.from_vkey(row[0])
        except NoteError as error:
            raise StateError(f"the witness state holds a damaged key for {origin!r}") from error

    def logs(self) -> list[str]:
        with self._connection() as db:
            return [row[0] for row in db.execute("SELECT vkey FROM logs ORDER BY origin")]

    def head(self, origin: str) -> Head | None:
        with self._connection() as db:
            row = db.execute("SELECT size, root FROM heads WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else Head(int(row[0]), bytes(row[1]))

    def advance(self, origin: str, seen: Head | None, new: Head) -> bool:
        """Move the head from `seen` (None: never cosigned) to `new`; False if it moved meanwhile."""
        with self._connection() as db:
            if seen is None:
                changed = db.execute("INSERT OR IGNORE INTO heads (origin, size, root) VALUES (?, ?, ?)",
                                     (origin, new.size, new.root))
            else:
                changed = db.execute("UPDATE heads SET size = ?, root = ? WHERE origin = ? AND size = ? AND root = ?",
                                     (new.size, new.root, origin, seen.size, seen.root))
            return changed.rowcount == 1
