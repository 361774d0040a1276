"""Custody entries: the schema, their commitments and their signatures.

One entry per action. An entry is committed to field by field
(intake.ledger.commitment), the commitment is signed by the custodian's
Ed25519 key, and the signed entry is sealed with age. The ledger's Merkle leaf
is the commitment plus the hash of the sealed bytes, so the tree (public) says
nothing about the content, yet pins every stored byte; and a bundle can show
some fields of an entry and prove them without showing the rest.
docs/ledger.md describes every field.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from intake.support.canonical import canonical_json
from intake.ledger.commitment import DisclosedFields, Field, Path, commit_disclosing, commit_entry, flatten
from intake.keys.identity import PublicIdentity, SecretIdentity
from intake.errors import EntryError

# The actions some command writes (ledger.md); an entry with any other action does not parse.
RECEIVED, SANITIZED, TRANSFERRED, EXPORTED = "received", "sanitized", "transferred", "exported"
ACTIONS = frozenset({RECEIVED, SANITIZED, TRANSFERRED, EXPORTED})
# What an entry's output is: its "role". ORIGINAL also names, in a bundle's timeline, the
# file a step concerned when it was not the clean copy itself.
ORIGINAL = "original"
CLEAN_COPY = "clean copy"
FINDINGS_REPORT = "findings report"
SENDER_RECORD = "sender record"  # a `transferred` entry's: who sent it, and their checkpoint
PUBLIC_BUNDLE = "public bundle"  # an `exported` entry's: the bundle by its tag manifest's hash
BUNDLE_PREFIX = "bnd_"  # an `exported` entry's item: the bundle it records
ENTRY_DOMAIN = b"intake-entry/v2\n"
SCHEMA_VERSION = 2
DAY = ("day",)  # committed beside the fields, so a bundle can show the day without the time


def new_id(prefix: str) -> str:
    return prefix + base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


@dataclass(frozen=True)
class Draft:
    """What a caller knows about an action; the ledger adds the rest on append."""

    action: str
    item: str
    inputs: tuple[dict[str, Any], ...] = ()
    outputs: tuple[dict[str, Any], ...] = ()
    parents: tuple[str, ...] = ()
    note: str | None = None
    entry_id: str | None = None  # chosen ahead when a later draft of the same append names it as parent

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise EntryError(f"unknown custody action {self.action!r}")


@dataclass(frozen=True)
class CustodyEntry:
    id: str
    seq: int
    prev: str
    action: str
    item: str
    actor: str
    time: str
    tool: str
    inputs: tuple[dict[str, Any], ...] = ()
    outputs: tuple[dict[str, Any], ...] = ()
    parents: tuple[str, ...] = ()
    note: str | None = None
    v: int = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": self.v,
            "id": self.id,
            "seq": self.seq,
            "prev": self.prev,
            "action": self.action,
            "item": self.item,
            "actor": self.actor,
            "time": self.time,
            "tool": self.tool,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "parents": list(self.parents),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CustodyEntry":
        expected = set(cls.__dataclass_fields__)
        if not isinstance(data, dict) or set(data) != expected:
            raise EntryError("an entry has missing or unknown fields")
        if data["v"] != SCHEMA_VERSION or data["action"] not in ACTIONS:
            raise EntryError("an entry has an unknown version or action")
        if not _well_typed(data):
            raise EntryError("an entry has a field of the wrong type")
        return cls(
            **{**data, "inputs": tuple(data["inputs"]), "outputs": tuple(data["outputs"]),
               "parents": tuple(data["parents"])}
        )

    def fields(self) -> list[Field]:
        return [*flatten(self.to_dict()), Field(DAY, self.time[:10])]

    def commit(self, salt: bytes) -> bytes:
        """commit_fields(self.fields(), salt), computed in one loop (commit_entry: half the CPU)."""
        return commit_entry(self.to_dict(), (DAY[0], self.time[:10]), salt)

    def commit_disclosing(self, salt: bytes, show: Callable[[Path], bool]) -> DisclosedFields:
        """commit(salt), and the fields `show` asks for with their salts, the others as digests."""
        return commit_disclosing(self.to_dict(), (DAY[0], self.time[:10]), salt, show)


def _well_typed(data: dict[str, Any]) -> bool:
    """Entries also arrive from other people's vaults (submissions): a wrong type must not crash a check."""
    texts = ("id", "prev", "action", "item", "actor", "time", "tool")
    return (
        all(isinstance(data[key], str) for key in texts)
        and type(data["seq"]) is int
        and all(isinstance(data[key], list) and all(isinstance(r, dict) for r in data[key]) for key in ("inputs", "outputs"))
        and isinstance(data["parents"], list) and all(isinstance(p, str) for p in data["parents"])
        and (data["note"] is None or isinstance(data["note"], str))
    )


def signing_message(commitment: bytes) -> bytes:
    return ENTRY_DOMAIN + commitment


@dataclass(frozen=True)
class SignedEntry:
    entry: CustodyEntry
    signature: bytes
    salt: bytes

    @classmethod
    def sign(cls, entry: CustodyEntry, secret: SecretIdentity) -> "SignedEntry":
        salt = secrets.token_bytes(32)
        commitment = entry.commit(salt)
        signed = cls(entry, secret.sign(signing_message(commitment)), salt)
        signed.__dict__["_commitment"] = commitment  # the cached_property's value: not computed again
        return signed

    def commitment(self) -> bytes:
        """A hiding commitment: without the salt, guessing the entry confirms nothing."""
        return self._commitment

    def computed_commitment(self, commitment: bytes) -> None:
        """The commitment, computed from this entry's own fields and salt by another route
        (disclose_committed, which also yields every field's salt and digest): not computed again."""
        self.__dict__["_commitment"] = commitment

    @cached_property
    def _commitment(self) -> bytes:
        # Computed once per record: verify, audit and export each ask for it, and it is the
        # costliest part of reading an entry (a digest and an HMAC per field). The record is immutable.
        return self.entry.commit(self.salt)

    def verify(self, signer: PublicIdentity, own: SecretIdentity | None = None) -> bool:
        """`own`: this process's secret key; when it is the signer's, its signature is made again
        and compared rather than verified (SecretIdentity.made)."""
        message = signing_message(self.commitment())
        if own is not None and own.signing_public == signer.signing_key and own.made(message, self.signature):
            return True
        return signer.verify(message, self.signature)

    def to_bytes(self) -> bytes:
        return canonical_json({
            "entry": self.entry.to_dict(),
            "salt": self.salt.hex(),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        })

    @classmethod
    def from_bytes(cls, data: bytes) -> "SignedEntry":
        try:
            document = json.loads(data)
            entry = CustodyEntry.from_dict(document["entry"])
            salt = bytes.fromhex(document["salt"])
            signature = base64.b64decode(document["signature"], validate=True)
        except (ValueError, KeyError, TypeError) as error:
            raise EntryError("a sealed record does not hold a custody entry") from error
        return cls(entry, signature, salt)


def leaf_data(commitment: bytes, sealed: bytes) -> bytes:
    """The Merkle leaf: commitment to the content, digest of the stored bytes."""
    return commitment + hashlib.sha256(sealed).digest()
