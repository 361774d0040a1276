"""A custody entry shown in part: chosen fields with their salts, the rest as digests.

Anyone holding a disclosure and the custodian's public key can recompute the
entry's commitment, check the custodian's signature over it, and rebuild the
ledger leaf (commitment ‖ SHA-256 of the sealed entry) that an inclusion proof
places in a signed checkpoint. Nothing hidden can be learnt from it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake.ledger.commitment import Field, FieldSalter, Path, Scalar, commit_digests, field_digest
from intake.ledger.entries import SignedEntry, signing_message
from intake.support.canonical import canonical_json
from intake.keys.identity import PublicIdentity
from intake.errors import DisclosureError

HIDDEN = object()
_MAX_FIELDS = 10_000


@dataclass(frozen=True)
class Disclosure:
    shown: tuple[tuple[Field, bytes], ...]   # each shown field with its own salt
    hidden: tuple[tuple[Path, bytes], ...]   # each hidden field's path and digest
    signature: bytes
    sealed_sha256: bytes

    def digests(self) -> dict[Path, bytes]:
        digests: dict[Path, bytes] = {}
        for path, digest in [(f.path, field_digest(f, salt)) for f, salt in self.shown] + list(self.hidden):
            if path in digests:
                raise DisclosureError(f"the field {list(path)} appears twice")
            digests[path] = digest
        return digests

    def commitment(self) -> bytes:
        return commit_digests(self.digests())

    def leaf(self) -> bytes:
        """The ledger's Merkle leaf data (before RFC 9162 leaf hashing)."""
        return self.commitment() + self.sealed_sha256

    def verify(self, signer: PublicIdentity) -> bool:
        try:
            return signer.verify(signing_message(self.commitment()), self.signature)
        except DisclosureError:
            return False

    def value(self, *path: str | int) -> Any:
        """A shown value, or HIDDEN."""
        return next((f.value for f, _ in self.shown if f.path == path), HIDDEN)

    def shown_tree(self) -> dict[str, Any]:
        """The shown fields rebuilt as nested objects (arrays as index-keyed objects)."""
        tree: dict[str, Any] = {}
        for field, _ in self.shown:
            node = tree
            for key in field.path[:-1]:
                node = node.setdefault(str(key), {})
            if field.path:
                node[str(field.path[-1])] = field.value
        return tree

    def to_dict(self) -> dict[str, Any]:
        return {
            "shown": [[list(f.path), f.value, salt.hex()] for f, salt in self.shown],
            "hidden": [[list(path), digest.hex()] for path, digest in self.hidden],
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "sealed_sha256": self.sealed_sha256.hex(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> "Disclosure":
        try:
            if not isinstance(data, dict) or set(data) != {"shown", "hidden", "signature", "sealed_sha256"}:
                raise DisclosureError("a disclosure has missing or unknown keys")
            if len(data["shown"]) + len(data["hidden"]) > _MAX_FIELDS:
                raise DisclosureError("a disclosure has too many fields")
            shown = tuple((Field(_path(p), _scalar(v)), _hex(s, 32)) for p, v, s in data["shown"])
            hidden = tuple((_path(p), _hex(d, 32)) for p, d in data["hidden"])
            signature = base64.b64decode(data["signature"], validate=True)
            disclosure = cls(shown, hidden, signature, _hex(data["sealed_sha256"], 32))
        except (TypeError, ValueError, binascii.Error) as error:
            if isinstance(error, DisclosureError):
                raise
            raise DisclosureError("a disclosure is malformed") from error
        disclosure.digests()  # duplicates
        return disclosure


def disclose(signed: SignedEntry, sealed_sha256: bytes, show: Callable[[Path], bool]) -> Disclosure:
    shown, hidden = [], []
    salted = FieldSalter(signed.salt)  # field_salt's bytes, the HMAC key's pads hashed once per entry
    for field in signed.entry.fields():
        path = field.encoded_path()  # encoded once per process, not once per digest
        salt = salted.of(path)
        if show(field.path):
            shown.append((field, salt))
        else:
            hidden.append((field.path, field_digest(field, salt, path)))
    return Disclosure(tuple(shown), tuple(hidden), signed.signature, sealed_sha256)


@dataclass(frozen=True)
class EncodedDisclosure:
    """A disclosure as a statement holds it: canonical JSON of Disclosure.to_dict(), and the
    salted digest it shows in place of the original's SHA-256 (hex), if it hides that field."""

    json: bytes
    original_sha256: str | None

    @classmethod
    def of(cls, disclosure: dict[str, Any]) -> "EncodedDisclosure":
        """From Disclosure.to_dict()'s form."""
        wanted = list(ORIGINAL_HASH)
        hidden = next((digest for path, digest in disclosure["hidden"] if path == wanted), None)
        return cls(canonical_json(disclosure), hidden)


ORIGINAL_HASH = ("outputs", 0, "sha256")  # the path of a `received` entry's original's SHA-256


def disclose_committed(
    signed: SignedEntry, sealed_sha256: bytes, show: Callable[[Path], bool],
) -> tuple[EncodedDisclosure, bytes]:
    """disclose(...), encoded, and the entry's commitment, from one walk of the entry: each
    field's salt and digest are computed once for both (the audit, which recomputes every
    commitment, hands export its disclosures this way, on every core)."""
    fields = signed.entry.commit_disclosing(signed.salt, show)
    # canonical_json(to_dict()), its keys in sorted order, from the fields already written
    written = (b'{"hidden":[' + b",".join(fields.hidden) + b'],"sealed_sha256":"' + sealed_sha256.hex().encode("ascii")
               + b'","shown":[' + b",".join(fields.shown) + b'],"signature":"' + base64.b64encode(signed.signature)
               + b'"}')
    return EncodedDisclosure(written, fields.hidden_digests.get(ORIGINAL_HASH)), fields.commitment


def _path(value: Any) -> Path:
    if not isinstance(value, list) or not all(
        (isinstance(p, str) or (type(p) is int and p >= 0)) for p in value
    ):
        raise DisclosureError("a disclosure field has a malformed path")
    return tuple(value)


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) or (isinstance(value, (list, dict)) and value):
        raise DisclosureError("a disclosure field holds a value that is not a scalar")
    return value


def _hex(value: Any, size: int) -> bytes:
    raw = bytes.fromhex(value) if isinstance(value, str) and len(value) == 2 * size else b""
    if len(raw) != size:
        raise DisclosureError("a disclosure holds a malformed hash or salt")
    return raw
