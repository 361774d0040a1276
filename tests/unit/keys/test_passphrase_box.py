"""The passphrase box that holds the secret identity: Argon2id + ChaCha20-Poly1305."""

from __future__ import annotations

import json

import pytest

from intake.support.canonical import canonical_json
from intake.errors import IntakeError
from intake.keys.passphrase_box import lock_secret, unlock_secret


def test_round_trip_and_wrong_passphrase() -> None:
    box = lock_secret(b"AGE-SECRET-KEY-1...", "right passphrase")
    assert unlock_secret(box, "right passphrase") == b"AGE-SECRET-KEY-1..."
    assert unlock_secret(box, "wrong passphrase") is None
    assert b"AGE-SECRET-KEY" not in box


def test_fresh_salt_and_nonce_each_time() -> None:
    first, second = (json.loads(lock_secret(b"same", "same passphrase")) for _ in range(2))
    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["aead"]["nonce"] != second["aead"]["nonce"]


@pytest.mark.parametrize("change", ["iterations", "salt", "nonce", "ciphertext"])
def test_any_changed_field_fails_to_open(change: str) -> None:
    document = json.loads(lock_secret(b"secret", "right passphrase"))
    if change == "iterations":
        document["kdf"]["iterations"] = 4
    elif change == "salt":
        document["kdf"]["salt"] = "AAAAAAAAAAAAAAAAAAAAAA=="
    elif change == "nonce":
        document["aead"]["nonce"] = "AAAAAAAAAAAAAAAA"
    else:
        document["ciphertext"] = "A" + document["ciphertext"][1:]
    assert unlock_secret(canonical_json(document), "right passphrase") is None


@pytest.mark.parametrize("patch", [
    {"memory_kib": 64 * 1024 * 1024},   # a crafted file asking for 64 GiB
    {"iterations": 10_000},
    {"lanes": 0},
    {"alg": "scrypt"},
    {"memory_kib": "65536"},
])
def test_crafted_parameters_are_refused_before_any_work(patch: dict) -> None:
    document = json.loads(lock_secret(b"secret", "right passphrase"))
    document["kdf"].update(patch)
    with pytest.raises(IntakeError, match="damaged"):
        unlock_secret(canonical_json(document), "right passphrase")


@pytest.mark.parametrize("junk", [b"", b"not json", b"{}", b'{"format": "intake-passphrase-box/v1"}', b"[1,2]"])
def test_junk_is_refused_with_one_message(junk: bytes) -> None:
    with pytest.raises(IntakeError, match="damaged"):
        unlock_secret(junk, "any passphrase")


def test_short_salt_is_refused() -> None:
    document = json.loads(lock_secret(b"secret", "right passphrase"))
    document["kdf"]["salt"] = "AAAA"
    with pytest.raises(IntakeError, match="damaged"):
        unlock_secret(canonical_json(document), "right passphrase")
