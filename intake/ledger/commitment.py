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
from collections.abc import Callable, Iterator, Mapping
from json.encoder import encode_basestring
from dataclasses import dataclass, field
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
    fields: list[Field] = []
    _flatten_into(value, path, fields)
    return iter(fields)


def _flatten_into(value: Any, path: Path, fields: list[Field]) -> None:
    """flatten's fields, appended in its order: one list, not a generator per level (a statement
    flattens every entry it discloses, and the nested generators were most of that)."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten_into(value[key], path + (key,), fields)
    elif isinstance(value, (list, tuple)) and value:
        for index, item in enumerate(value):
            _flatten_into(item, path + (index,), fields)
    else:
        fields.append(Field(path, list(value) if isinstance(value, tuple) else value))


def field_salt(salt: bytes, field: Field, encoded_path: bytes | None = None) -> bytes:
    path = field.encoded_path() if encoded_path is None else encoded_path
    return hmac.digest(salt, FIELD_SALT_DOMAIN + path, "sha256")  # one-shot: the same HMAC, in C


def field_digest(field: Field, salt: bytes, encoded_path: bytes | None = None) -> bytes:
    """`salt` is the field's own salt (from field_salt), never the entry's."""
    if encoded_path is None:
        return hashlib.sha256(FIELD_DOMAIN + salt + canonical_json([list(field.path), field.value])).digest()
    # The same bytes as canonical_json([path, value]), from the path already encoded and the value
    # encoded as commit_entry encodes it (a disclosure digests every hidden field of each entry).
    encoded = _encoded_scalar(field.value)
    if encoded is None:  # not a value flatten yields; canonical_json says what is wrong with it
        encoded = canonical_json(field.value)
    return hashlib.sha256(FIELD_DOMAIN + salt + b"[" + encoded_path + b"," + encoded + b"]").digest()


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


def commit_entry(entry: Mapping[str, Any], extra: tuple[str, Scalar], salt: bytes) -> bytes:
    """commit_fields([*flatten(entry), Field((extra[0],), extra[1])], salt), the same bytes, in one
    loop: no Field objects, each path encoded as it is walked (a child's from its parent's), and
    the common scalars encoded without the general encoder. `ledger verify` computes this for
    every entry; `extra` is the ("day", …) field committed beside the entry's own. Its name must
    not be a key of `entry` (a custody entry has no "day")."""
    listed: list[tuple[bytes, bytes]] = []
    salted = FieldSalter(salt)
    for key, value in entry.items():
        _commit_walk(value, b"[" + _encoded_key(key), salted, listed)
    name, value = extra
    _commit_walk(value, b"[" + _encoded_key(name), salted, listed)
    listed.sort()  # by the encoded path: paths are unique, so the digest never decides
    listing = b"[" + b",".join([b"[" + path + b',"' + digest + b'"]' for path, digest in listed]) + b"]"
    return hashlib.sha256(COMMIT_DOMAIN + listing).digest()


def _commit_walk(value: Any, open_path: bytes, salted: FieldSalter, listed: list[tuple[bytes, bytes]]) -> None:
    """`open_path`: canonical_json of the value's path without its closing bracket, e.g.
    b'["outputs",0'. Appends (encoded path, hex digest) for every scalar under `value`."""
    encoded = _encoded_scalar(value)
    if encoded is None:  # a non-empty array or object: its members, each under its own path
        members = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in members:
            element = str(key).encode("ascii") if type(key) is int else _encoded_key(key)
            _commit_walk(item, open_path + b"," + element, salted, listed)
        return
    path = open_path + b"]"
    digest = hashlib.sha256(FIELD_DOMAIN + salted.of(path) + b"[" + path + b"," + encoded + b"]")  # [path, value]
    listed.append((path, digest.hexdigest().encode("ascii")))


@dataclass
class DisclosedFields:
    """What commit_disclosing hands back: the commitment, and each field as canonical JSON of what
    Disclosure.to_dict() writes for it (shown: [path, value, salt hex]; hidden: [path, digest hex]),
    in flatten's order, written from the bytes the commitment already encoded (no encoder, and
    no second walk for floats, which _encoded_scalar refuses); and the hidden digests by path."""

    commitment: bytes
    shown: list[bytes]
    hidden: list[bytes]
    hidden_digests: dict[Path, str]


def commit_disclosing(
    entry: Mapping[str, Any], extra: tuple[str, Scalar], salt: bytes, show: Callable[[Path], bool],
) -> DisclosedFields:
    """commit_entry's commitment and the disclosure `show` asks for, in one walk: each field's salt
    and digest are computed once for both, and no Field objects are made (the audit's workers
    disclose every entry an export publishes this way, as they check its commitment)."""
    walk = _DisclosingWalk(FieldSalter(salt), show)
    for key in sorted(entry):
        walk.visit(entry[key], (key,), b"[" + _encoded_key(key))
    name, value = extra
    walk.visit(value, (name,), b"[" + _encoded_key(name))  # last, as CustodyEntry.fields() puts it
    walk.listed.sort()
    listing = b"[" + b",".join([b"[" + path + b',"' + digest + b'"]' for path, digest in walk.listed]) + b"]"
    return DisclosedFields(hashlib.sha256(COMMIT_DOMAIN + listing).digest(), walk.shown, walk.hidden,
                           walk.hidden_digests)


@dataclass
class _DisclosingWalk:
    salted: FieldSalter
    show: Callable[[Path], bool]
    listed: list[tuple[bytes, bytes]] = field(default_factory=list)
    shown: list[bytes] = field(default_factory=list)
    hidden: list[bytes] = field(default_factory=list)
    hidden_digests: dict[Path, str] = field(default_factory=dict)

    def visit(self, value: Any, path: Path, open_path: bytes) -> None:
        """As _commit_walk, carrying the path itself too; members of an object in sorted order (flatten's)."""
        encoded = _encoded_scalar(value)
        if encoded is None:
            members = sorted(value.items()) if isinstance(value, dict) else enumerate(value)
            for key, item in members:
                element = str(key).encode("ascii") if type(key) is int else _encoded_key(key)
                self.visit(item, path + (key,), open_path + b"," + element)
            return
        encoded_path = open_path + b"]"
        salt = self.salted.of(encoded_path)
        digest = hashlib.sha256(FIELD_DOMAIN + salt + b"[" + encoded_path + b"," + encoded + b"]").hexdigest()
        quoted = digest.encode("ascii")
        self.listed.append((encoded_path, quoted))
        if self.show(path):
            self.shown.append(b"[" + encoded_path + b"," + encoded + b',"' + salt.hex().encode("ascii") + b'"]')
        else:
            self.hidden.append(b"[" + encoded_path + b',"' + quoted + b'"]')
            self.hidden_digests[path] = digest


class FieldSalter:
    """field_salt for one entry's salt, for many paths: HMAC-SHA256 (RFC 2104) from the two padded
    key states hashed once per entry and copied per field, the same bytes as hmac.digest at a
    third of its cost (0.6 against 1.7 µs here: hmac.digest sets up a new HMAC context per call)."""

    def __init__(self, salt: bytes) -> None:
        key = hashlib.sha256(salt).digest() if len(salt) > _HMAC_BLOCK else salt
        key = key.ljust(_HMAC_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD) + FIELD_SALT_DOMAIN)
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def of(self, encoded_path: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(encoded_path)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_HMAC_BLOCK = 64  # SHA-256's block size
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))  # RFC 2104's ipad and opad, as translate tables
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


@lru_cache(maxsize=4096)
def _encoded_key(key: str) -> bytes:
    """A path element that is an object key, as canonical_json writes it (TypeError if not a str)."""
    if type(key) is not str:
        raise TypeError("canonical JSON object keys must be strings")
    return canonical_json(key)


def _encoded_scalar(value: Any) -> bytes | None:
    """canonical_json(value) for a scalar or an empty array or object, None for a non-empty one
    (flatten's split). The usual types are written directly; anything else (floats are refused
    there) goes through canonical_json itself."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value).encode("utf-8")  # what the encoder uses with ensure_ascii=False
    if kind is int:
        return int.__repr__(value).encode("ascii")
    if value is None:
        return b"null"
    if kind is bool:
        return b"true" if value else b"false"
    if isinstance(value, (dict, list, tuple)):
        if value:
            return None
        return b"{}" if isinstance(value, dict) else b"[]"
    return canonical_json(value)
