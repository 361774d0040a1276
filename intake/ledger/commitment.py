"""Salted field commitments: one hidden digest per value, so any subset can be shown.

An entry is flattened into (path, value) pairs, one per scalar (and per empty
array or object). Each pair gets its own salt, derived from the entry's secret
salt with HMAC, and its own digest. The commitment hashes the sorted list of
(path, digest). Showing a value means showing it with its salt; everything else
stays a digest that reveals nothing. This is the idea of IETF SD-JWT (selective
disclosure) cut down to canonical JSON: a public bundle shows a clean copy's hash and the day
of each custody step, and proves they are what the custodian signed, while the
original's hash, the file name and the exact time stay hidden — yet can be
shown later, one field at a time, by revealing that field's salt.
docs/ledger.md gives the exact bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from intake.support.canonical import canonical_json

FIELD_SALT_DOMAIN = b"intake-field-salt/v1\n"
FIELD_DOMAIN = b"intake-field/v1\n"
COMMIT_DOMAIN = b"intake-commit/v2\n"

Path = tuple[str | int, ...]
Scalar = str | int | bool | None | list | dict  # list and dict only when empty


@dataclass(frozen=True)
class Field:
    path: Path
    value: Scalar

    def encoded_path(self) -> bytes:
        return _encoded_path(self.path)


@lru_cache(maxsize=4096)
def _encoded_path(path: Path) -> bytes:
    """Entries share their paths ("outputs", 0, "sha256"): each is encoded once per process."""
    return canonical_json(list(path))


def flatten(value: Any, path: Path = ()) -> Iterator[Field]:
    """Every scalar with its path; empty arrays and objects count as values."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], path + (key,))
    elif isinstance(value, (list, tuple)) and value:
        for index, item in enumerate(value):
            yield from flatten(item, path + (index,))
    else:
        yield Field(path, list(value) if isinstance(value, tuple) else value)


def field_salt(salt: bytes, field: Field, encoded_path: bytes | None = None) -> bytes:
    path = field.encoded_path() if encoded_path is None else encoded_path
    return hmac.digest(salt, FIELD_SALT_DOMAIN + path, "sha256")  # one-shot: the same HMAC, in C


def field_digest(field: Field, salt: bytes, encoded_path: bytes | None = None) -> bytes:
    """`salt` is the field's own salt (from field_salt), never the entry's."""
    if encoded_path is None:
        return hashlib.sha256(FIELD_DOMAIN + salt + canonical_json([list(field.path), field.value])).digest()
    # The same bytes as canonical_json([path, value]), from the path already encoded.
    return hashlib.sha256(FIELD_DOMAIN + salt + b"[" + encoded_path + b"," + canonical_json(field.value) + b"]").digest()


def commit_digests(digests: dict[Path, bytes], encoded_paths: dict[Path, bytes] | None = None) -> bytes:
    """`encoded_paths`: canonical_json of each path, when the caller has them already."""
    encoded = encoded_paths or {path: _encoded_path(path) for path in digests}
    ordered = sorted(digests, key=encoded.__getitem__)
    # canonical_json([[path, hex digest], ...]), written from the encoded paths: the same bytes
    listing = b"[" + b",".join(b"[" + encoded[path] + b',"' + digests[path].hex().encode("ascii") + b'"]'
                               for path in ordered) + b"]"
    return hashlib.sha256(COMMIT_DOMAIN + listing).digest()


def commit_fields(fields: list[Field], salt: bytes) -> bytes:
    encoded = {f.path: f.encoded_path() for f in fields}
    return commit_digests({f.path: field_digest(f, field_salt(salt, f, encoded[f.path]), encoded[f.path])
                           for f in fields}, encoded)
