"""C2SP tlog-proof files (intake.ledger.proof), against our RFC 9162 tree and the spec's example."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import Signer, sign
from intake.errors import ProofError
from intake.ledger.proof import TlogProof

ORIGIN = "example.com/testlog"
KEY = Ed25519PrivateKey.generate()
SIGNER = Signer(ORIGIN, KEY)
LEAVES = [f"leaf {i}".encode() for i in range(11)]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
NOTE = sign(Checkpoint(ORIGIN, len(HASHES), merkle.root(HASHES)).to_text(), [SIGNER])

SPEC_EXAMPLE_HEAD = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=
"""


def _proof(index: int) -> TlogProof:
    return TlogProof(index, tuple(merkle.inclusion_proof(index, HASHES)), NOTE, extra=LEAVES[index])


def test_the_spec_example_layout_parses() -> None:
    """The example in c2sp.org/tlog-proof, with a checkpoint of our own (the spec's signatures are elided)."""
    proof = TlogProof.from_text(SPEC_EXAMPLE_HEAD + "\n" + NOTE)
    assert proof.index == 73894 and len(proof.hashes) == 5
    assert proof.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert proof.to_text() == SPEC_EXAMPLE_HEAD + "\n" + NOTE


@pytest.mark.parametrize("index", range(len(LEAVES)))
def test_every_leaf_is_proven_and_round_trips(index: int) -> None:
    proof = TlogProof.from_text(_proof(index).to_text())
    assert proof == _proof(index)
    assert proof.verify(LEAVES[index], SIGNER.verifier()).size == len(LEAVES)


def test_a_proof_without_extra_has_no_extra_line() -> None:
    text = TlogProof(0, (), NOTE).to_text()
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 0\n\n")
    assert TlogProof.from_text(text).extra is None


def test_a_proof_for_another_leaf_or_index_fails() -> None:
    with pytest.raises(ProofError):
        _proof(3).verify(LEAVES[4], SIGNER.verifier())
    moved = TlogProof(4, _proof(3).hashes, NOTE)
    with pytest.raises(ProofError):
        moved.verify(LEAVES[3], SIGNER.verifier())


def test_a_checkpoint_signed_by_another_key_fails() -> None:
    other = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(ProofError, match="not signed"):
        _proof(1).verify(LEAVES[1], other.verifier())


@pytest.mark.parametrize("text", [
    "", "c2sp.org/tlog-proof@v2\nindex 0\n\n" + NOTE, "c2sp.org/tlog-proof@v1\nindex 01\n\n" + NOTE,
    "c2sp.org/tlog-proof@v1\nindex -1\n\n" + NOTE, "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + NOTE,
    "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n" + NOTE, "c2sp.org/tlog-proof@v1\nindex 0\n",
], ids=["empty", "v2", "leading-zero", "negative", "bad-extra", "hash-before-blank", "no-checkpoint"])
def test_malformed_proofs_are_refused(text: str) -> None:
    with pytest.raises(ProofError):
        TlogProof.from_text(text)
