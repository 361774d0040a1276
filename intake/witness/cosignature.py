"""C2SP tlog-cosignature `cosignature/v1` (https://c2sp.org/tlog-cosignature), Ed25519.

A cosignature is a signed-note signature line a witness adds to a checkpoint:

    — <witness name> base64(key ID || u64 big-endian time || Ed25519 signature)

    key ID  = SHA-256(<name> || "\\n" || 0x04 || 32-byte public key)[:4]
    message = "cosignature/v1\\n" "time <secs>\\n" || the checkpoint text (no signature lines)

It says: at that time, this is the largest consistent tree the witness has
seen for the checkpoint's origin. The public key travels as a signed-note
verifier key with type 0x04: `<name>+<hex key ID>+base64(0x04 || key)`. The
private key is kept as `PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 || seed)`,
the signed-note private key layout, in a 0600 file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from intake.errors import CosignatureError, NoteError
from intake.ledger.note import b64decode_canonical, signature_lines, valid_key_name

COSIGNATURE_V1 = 0x04
_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_TIME_SIZE = 8
_MAX_TIME = 2**63 - 1
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_LINE_PREFIX = "\u2014 "


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def signed_message(checkpoint_text: str, time: int) -> bytes:
    """What a cosignature/v1 signs: header line, time line, then the checkpoint text."""
    if not 0 <= time <= _MAX_TIME:
        raise CosignatureError("a cosignature time is 0 to 2^63-1 seconds")
    return f"cosignature/v1\ntime {time}\n".encode("ascii") + checkpoint_text.encode("utf-8")


def _split_key(text: str, what: str) -> tuple[str, bytes]:
    """`name+hexid+base64(0x04||material)`, checked: the name and the key ID must match the key."""
    parts = text.strip().split("+", 2) if isinstance(text, str) else []
    if len(parts) != 3 or not valid_key_name(parts[0]) or not _HEX_KEY_ID.fullmatch(parts[1]):
        raise CosignatureError(f"{what} is not NAME+KEYID+KEY")
    name, hex_id, encoded = parts
    raw = b64decode_canonical(encoded)
    if raw is None or len(raw) != 1 + _KEY_SIZE:
        raise CosignatureError(f"{what} does not hold a 32-byte key")
    if raw[0] != COSIGNATURE_V1:
        raise CosignatureError(f"{what} is not a cosignature/v1 (type 0x04) key")
    return name, raw[1:] + bytes.fromhex(hex_id)


@dataclass(frozen=True)
class Cosignature:
    name: str
    time: int


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key under its name: what verifiers trust."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise CosignatureError("a witness name has no spaces or '+' and is not empty")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _KEY_SIZE:
            raise CosignatureError("a witness key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.public_key)

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([COSIGNATURE_V1]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, text: str) -> CosignerKey:
        name, material = _split_key(text, "the witness key")
        key = cls(name, material[:_KEY_SIZE])
        if key.key_id != material[_KEY_SIZE:]:
            raise CosignatureError("the witness key's ID does not match its name and key")
        return key

    def verify(self, checkpoint_text: str, raw: bytes) -> Cosignature | None:
        """The cosignature in `raw` (time || signature, key ID removed), if it is valid."""
        if len(raw) != _TIME_SIZE + _SIGNATURE_SIZE:
            return None
        time = int.from_bytes(raw[:_TIME_SIZE], "big")
        if time > _MAX_TIME:
            return None
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                raw[_TIME_SIZE:], signed_message(checkpoint_text, time))
        except InvalidSignature:
            return None
        return Cosignature(self.name, time)

    def find(self, note: str) -> Cosignature | None:
        """A valid cosignature by this key on the note, if there is one."""
        try:
            text, lines = signature_lines(note)
        except NoteError:
            return None
        for line in lines:
            if (line.name, line.key_id) == (self.name, self.key_id):
                found = self.verify(text, line.signature)
                if found is not None:
                    return found
        return None


@dataclass(frozen=True)
class Cosigner:
    """A witness's private key under its name."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        self.key  # checks the name

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def key(self) -> CosignerKey:
        return CosignerKey(self.name, self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def cosign(self, checkpoint_text: str, time: int) -> str:
        """One signature line, newline-terminated, to append to the checkpoint note."""
        signature = self.private_key.sign(signed_message(checkpoint_text, time))
        raw = self.key.key_id + time.to_bytes(_TIME_SIZE, "big") + signature
        return f"{_LINE_PREFIX}{self.name} {_b64(raw)}\n"

    def to_text(self) -> str:
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key.key_id.hex()}+{_b64(bytes([COSIGNATURE_V1]) + seed)}\n"

    @classmethod
    def from_text(cls, text: str) -> Cosigner:
        if not text.startswith(_PRIVATE_PREFIX):
            raise CosignatureError("the witness key file is not a PRIVATE+KEY line")
        name, material = _split_key(text[len(_PRIVATE_PREFIX):], "the witness key file")
        cosigner = cls(name, Ed25519PrivateKey.from_private_bytes(material[:_KEY_SIZE]))
        if cosigner.key.key_id != material[_KEY_SIZE:]:
            raise CosignatureError("the witness key file is damaged (its key ID does not match)")
        return cosigner
