"""cosignature/v1 checked both ways by an independent implementation: aics-tlog (PyPI).

aics-tlog needs Python 3.12 or newer, so it lives in its own environment;
`./dev test` makes one (.venv-oracle) when python3.12 is on the machine and
points INTAKE_COSIGNATURE_ORACLE at its interpreter. Elsewhere these tests skip.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import Signer, sign
from intake.witness.cosignature import Cosigner, CosignerKey

ORACLE = os.environ.get("INTAKE_COSIGNATURE_ORACLE", "")
pytestmark = pytest.mark.skipif(not ORACLE, reason="INTAKE_COSIGNATURE_ORACLE (a python with aics-tlog) is not set")

_VERIFY = """
import json, sys
from aics_tlog.checkpoint import verify_checkpoint
from aics_tlog.note import parse_note, parse_vkey
note, log_vkey, witness_vkey = sys.argv[1:4]
result = verify_checkpoint(parse_note(open(note).read()), parse_vkey(log_vkey), [parse_vkey(witness_vkey)], quorum=1)
print(json.dumps({"ok": result.ok, "witnesses": result.witnesses, "error": result.error}))
"""

_COSIGN = """
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from aics_tlog.cosign import cosignature_vkey, sign_cosignature
from aics_tlog.note import b64_encode, format_vkey
origin, size, root_b64, time = sys.argv[1:5]
import base64
key = Ed25519PrivateKey.generate()
_, line = sign_cosignature(key, "oracle.example/w", int(time), origin, int(size), base64.b64decode(root_b64))
print(format_vkey(cosignature_vkey("oracle.example/w", key.public_key())))
print("\\u2014 " + line.name + " " + b64_encode(line.key_id + line.signature))
"""


def _oracle(script: str, *args: str) -> str:
    done = subprocess.run([ORACLE, "-c", script, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _log_note() -> tuple[Signer, str, Checkpoint]:
    log = Signer("example.org/log", Ed25519PrivateKey.generate())
    checkpoint = Checkpoint("example.org/log", 5, merkle.root([merkle.leaf_hash(bytes([i])) for i in range(5)]))
    return log, sign(checkpoint.to_text(), [log]), checkpoint


def test_the_oracle_accepts_our_cosignature_and_refuses_a_changed_one(tmp_path: Path) -> None:
    log, note, checkpoint = _log_note()
    witness = Cosigner.generate("witness.example/w1")
    cosigned = note + witness.cosign(checkpoint.to_text(), 1_700_000_000)
    path = tmp_path / "note"
    path.write_text(cosigned, encoding="utf-8")
    verdict = json.loads(_oracle(_VERIFY, str(path), log.verifier().vkey(), witness.key.vkey()))
    assert verdict == {"ok": True, "witnesses": ["witness.example/w1"], "error": None}

    name, encoded = cosigned.splitlines()[-1][2:].split(" ")
    raw = base64.b64decode(encoded)
    later = raw[:4] + (1_700_000_001).to_bytes(8, "big") + raw[12:]  # the same signature, another time
    path.write_text(note + f"\u2014 {name} {base64.b64encode(later).decode()}\n", encoding="utf-8")
    assert json.loads(_oracle(_VERIFY, str(path), log.verifier().vkey(), witness.key.vkey()))["ok"] is False


def test_we_accept_the_oracles_cosignature() -> None:
    _, note, checkpoint = _log_note()
    root = checkpoint.to_text().splitlines()[2]
    vkey, line = _oracle(_COSIGN, checkpoint.origin, str(checkpoint.size), root, "1700000000").splitlines()
    key = CosignerKey.from_vkey(vkey)
    found = key.find(note + line + "\n")
    assert found is not None and found.time == 1_700_000_000
    assert key.find(note.replace("\n5\n", "\n6\n", 1) + line + "\n") is None
