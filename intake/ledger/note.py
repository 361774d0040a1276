"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a UTF-8 text ending in a newline, a blank line, then one or
more signature lines ``— <key name> <base64(key ID || signature)>``.  Parsing
follows golang.org/x/mod/sumdb/note, the reference implementation, with a few
deliberate tightenings that are called out where they happen.

Error messages name keys at most by their (public) key name: they never echo
key material, signature bytes or the note text, which may be sensitive.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from intake.errors import NoteError

__all__ = [
    "NoteError",
    "Signer",
    "SignatureLine",
    "Verifier",
    "b64decode_canonical",
    "key_id",
    "open_note",
    "sign",
    "signature_lines",
    "valid_key_name",
]

# Signature type identifier for Ed25519 assigned by the signed-note spec.
_ALG_ED25519 = 0x01
_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_KEY_ID_SIZE = 4
# The spec asks verifiers to cap the signature count (it must be at least 16);
# 100 is the cap used by the Go reference implementation.
MAX_SIGNATURES = 100
_SIG_PREFIX = "\u2014 "  # em dash, space
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f]")


# --- validation helpers -----------------------------------------------------


def _is_valid_name(name: object) -> bool:
    """Key names: non-empty, UTF-8, no Unicode spaces, no '+'.

    Control characters are rejected as well: a note may not contain them, so a
    name holding one could never appear on a signature line anyway.
    """
    return isinstance(name, str) and _is_valid_text_name(name)


@lru_cache(maxsize=256)
def _is_valid_text_name(name: str) -> bool:
    """_is_valid_name of a str, cached: an audit reads a note per checkpoint, all under the same
    one or two names, and the character scan was most of opening one (70 µs of 280)."""
    if not name or "+" in name:
        return False
    if any(ch.isspace() or ord(ch) < 0x20 for ch in name):
        return False
    return _utf8(name) is not None


def _utf8(text: str) -> bytes | None:
    """UTF-8 encoding of text, or None when it holds lone surrogates."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _has_bad_control(text: str) -> bool:
    """True if text has an ASCII control character other than newline."""
    return _CONTROL_BUT_NEWLINE.search(text) is not None


def _b64decode_canonical(data: str) -> bytes | None:
    """Decode standard padded base64, accepting only its canonical encoding.

    Requiring the canonical form keeps every signature line and key string
    byte-for-byte unique, so they cannot be mutated while still decoding to
    the same bytes.
    """
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if _b64encode(raw) == data else None


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _require_name(name: str) -> str:
    if not _is_valid_name(name):
        raise NoteError("invalid key name")
    return name


def _require_public_key(public_key: object) -> bytes:
    if not isinstance(public_key, bytes) or len(public_key) != _PUBLIC_KEY_SIZE:
        raise NoteError("Ed25519 public key must be 32 bytes")
    return public_key


# --- keys -------------------------------------------------------------------


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _require_name(name)
    _require_public_key(public_key)
    material = name.encode("utf-8") + b"\n" + bytes([_ALG_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


@dataclass(frozen=True)
class Verifier:
    """A trusted Ed25519 public key under a key name."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _require_name(self.name)
        _require_public_key(self.public_key)

    @cached_property
    def key_id(self) -> bytes:
        """Computed once per verifier (frozen: name and key never change), not once per note."""
        return key_id(self.name, self.public_key)

    def vkey(self) -> str:
        """The verifier key string ``<name>+<hex key ID>+<base64(0x01||key)>``."""
        encoded = _b64encode(bytes([_ALG_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse a verifier key string, checking name, key ID, type and length."""
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise NoteError("malformed verifier key")
        name, hex_id, encoded = parts
        # Upper-case hex is accepted because the Go reference accepts it.
        if not _HEX_KEY_ID.fullmatch(hex_id):
            raise NoteError("malformed verifier key ID")
        key = _b64decode_canonical(encoded)
        if key is None or len(key) != 1 + _PUBLIC_KEY_SIZE:
            raise NoteError("malformed verifier key")
        if key[0] != _ALG_ED25519:
            raise NoteError("unsupported verifier key type")
        verifier = cls(_require_name(name), key[1:])
        if verifier.key_id != bytes.fromhex(hex_id):
            raise NoteError("verifier key ID does not match the key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if signature is a valid Ed25519 signature of message."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public_key)
            key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key under a key name."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _require_name(self.name)
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise NoteError("signer key must be an Ed25519 private key")

    def verifier(self) -> Verifier:
        raw = self.private_key.public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw
        )
        return Verifier(self.name, raw)


# --- signing ----------------------------------------------------------------


def _check_text(text: str) -> bytes:
    """Validate note text for signing and return its UTF-8 bytes."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    encoded = _utf8(text)
    if encoded is None:
        raise NoteError("note text is not valid UTF-8")
    if _has_bad_control(text):
        raise NoteError("note text contains a control character")
    return encoded


def _check_signers(signers: Sequence[Signer]) -> None:
    if not signers:
        raise NoteError("a note needs at least one signature")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError("too many signers")
    ids = [(s.name, s.verifier().key_id) for s in signers]
    # Two lines by the same key add nothing and Go silently drops the second.
    if len(set(ids)) != len(ids):
        raise NoteError("duplicate signer")


def _signature_line(signer: Signer, message: bytes) -> str:
    signature = signer.private_key.sign(message)
    encoded = _b64encode(signer.verifier().key_id + signature)
    return f"{_SIG_PREFIX}{signer.name} {encoded}\n"


def sign(text: str, signers: Sequence[Signer]) -> str:
    """Sign text (which must end in a newline) and return the full note."""
    message = _check_text(text)
    _check_signers(signers)
    lines = "".join(_signature_line(s, message) for s in signers)
    return f"{text}\n{lines}"


# --- opening ----------------------------------------------------------------


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes


def signature_lines(note: str) -> tuple[str, list[SignatureLine]]:
    """The note's text and its parsed signature lines, none of them verified.

    For signature types this module does not verify itself (witness
    cosignatures): the caller picks the lines by name and key ID.
    """
    text, lines = _split_note(note)
    return text, [_parse_line(line) for line in lines]


def valid_key_name(name: object) -> bool:
    """A key name as signed notes allow it: non-empty, no spaces, no '+'."""
    return _is_valid_name(name)


def b64decode_canonical(data: str) -> bytes | None:
    """Standard padded base64, only in its canonical form; None otherwise."""
    return _b64decode_canonical(data)


def _split_note(note: str) -> tuple[str, list[str]]:
    """Split a note into its text and its signature lines."""
    if not isinstance(note, str) or _utf8(note) is None:
        raise NoteError("malformed note: not valid UTF-8")
    if _has_bad_control(note):
        raise NoteError("malformed note: control character")
    # The text is separated from the signatures by the *last* blank line.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: too many signatures")
    return text, lines


def _parse_line(line: str) -> SignatureLine:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError("malformed note: bad signature line")
    name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
    raw = _b64decode_canonical(encoded)
    # At least one signature byte must follow the key ID (as in Go).
    if not _is_valid_name(name) or raw is None or len(raw) <= _KEY_ID_SIZE:
        raise NoteError("malformed note: bad signature line")
    return SignatureLine(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def _index_verifiers(
    verifiers: Iterable[Verifier],
) -> dict[tuple[str, bytes], set[Verifier]]:
    """Group verifiers by (name, key ID); more than one per slot is ambiguous."""
    index: dict[tuple[str, bytes], set[Verifier]] = {}
    for verifier in verifiers:
        if not isinstance(verifier, Verifier):
            raise NoteError("verifiers must be Verifier instances")
        index.setdefault((verifier.name, verifier.key_id), set()).add(verifier)
    return index


def _check_known(
    sig: SignatureLine, candidates: set[Verifier], message: bytes
) -> None:
    """Verify a signature whose (name, key ID) matches a trusted key."""
    if len(candidates) > 1:
        # Equal duplicates collapse in the set; only distinct keys sharing a
        # name and key ID land here, which means the trust set is corrupt.
        raise NoteError(f"ambiguous verifier for key {sig.name!r}")
    (verifier,) = candidates
    if not verifier.verify(message, sig.signature):
        raise NoteError(f"invalid signature for key {sig.name!r}")


def open_note(note: str, verifiers: Sequence[Verifier]) -> str:
    """Verify note against trusted verifiers and return its text.

    Signatures from unknown keys are ignored, as the spec requires.  Every
    signature from a known key must verify (stricter than Go, which skips
    repeated lines by the same key), and at least one must be present.
    """
    text, signatures = signature_lines(note)
    index = _index_verifiers(verifiers)
    message = text.encode("utf-8")
    verified = 0
    for sig in signatures:
        candidates = index.get((sig.name, sig.key_id))
        if candidates is None:
            continue
        _check_known(sig, candidates, message)
        verified += 1
    if not verified:
        raise NoteError("note has no verifiable signatures")
    return text
