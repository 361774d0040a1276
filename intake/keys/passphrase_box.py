"""A secret sealed under a passphrase: Argon2id (RFC 9106) + ChaCha20-Poly1305.

The file is canonical JSON (docs/formats.md):

    {"aead": {"alg": "chacha20-poly1305", "nonce": B64},
     "ciphertext": B64,
     "format": "intake-passphrase-box/v1",
     "kdf": {"alg": "argon2id", "iterations": 3, "lanes": 4, "memory_kib": 65536, "salt": B64}}

The header (everything but the ciphertext) is the AEAD's associated data, so
parameters cannot be swapped. 64 MiB keeps a whole `intake add` under the
150 MB memory budget; it is RFC 9106's second recommended setting.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from intake.support.canonical import canonical_json
from intake.errors import IntakeError

FORMAT = "intake-passphrase-box/v1"
MEMORY_KIB = 64 * 1024
ITERATIONS = 3
LANES = 4
# Bounds on what a file may ask for, so a crafted file cannot exhaust memory.
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 64


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    return Argon2id(
        salt=base64.b64decode(kdf["salt"], validate=True), length=32, iterations=kdf["iterations"],
        lanes=kdf["lanes"], memory_cost=kdf["memory_kib"],
    ).derive(passphrase.encode("utf-8"))


def lock_secret(plaintext: bytes, passphrase: str) -> bytes:
    header = {
        "format": FORMAT,
        "kdf": {"alg": "argon2id", "memory_kib": MEMORY_KIB, "iterations": ITERATIONS, "lanes": LANES,
                "salt": _b64(os.urandom(16))},
        "aead": {"alg": "chacha20-poly1305", "nonce": _b64(os.urandom(12))},
    }
    key = _derive(passphrase, header["kdf"])
    nonce = base64.b64decode(header["aead"]["nonce"])
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, canonical_json(header))
    return canonical_json({**header, "ciphertext": _b64(ciphertext)}) + b"\n"


def unlock_secret(box: bytes, passphrase: str) -> bytes | None:
    """The plaintext, or None when the passphrase is wrong."""
    header, ciphertext, nonce = _parse(box)
    key = _derive(passphrase, header["kdf"])
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, canonical_json(header))
    except InvalidTag:
        return None


def _parse(box: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    damaged = IntakeError("the vault's identity file is damaged or not an intake passphrase box")
    try:
        document = json.loads(box)
        header = {key: document[key] for key in ("format", "kdf", "aead")}
        kdf = header["kdf"]
        valid = (
            header["format"] == FORMAT and kdf["alg"] == "argon2id" and header["aead"]["alg"] == "chacha20-poly1305"
            and all(type(kdf[k]) is int for k in ("memory_kib", "iterations", "lanes"))
            and 8 * kdf["lanes"] <= kdf["memory_kib"] <= MAX_MEMORY_KIB
            and 1 <= kdf["iterations"] <= MAX_ITERATIONS and 1 <= kdf["lanes"] <= 16
        )
        ciphertext = base64.b64decode(document["ciphertext"], validate=True)
        nonce = base64.b64decode(header["aead"]["nonce"], validate=True)
        salt = base64.b64decode(kdf["salt"], validate=True)
    except (ValueError, KeyError, TypeError) as error:
        raise damaged from error
    if not valid or len(nonce) != 12 or not 16 <= len(salt) <= 64:
        raise damaged
    return header, ciphertext, nonce
