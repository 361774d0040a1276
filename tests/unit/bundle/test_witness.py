"""cosignature/v1, the add-checkpoint protocol and the witness's decisions, over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import stat
import time
import urllib.parse
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intake.ledger import merkle
from intake.ledger.checkpoint import Checkpoint
from intake.ledger.note import Signer, sign
from intake.errors import CosignatureError, PolicyError, ProtocolError
from intake.witness.cosignature import Cosigner, CosignerKey, signed_message
from intake.witness.policy import WitnessPolicy
from intake.witness.protocol import AddCheckpoint
from intake.witness.state import KEY_FILE, Head
from witness_helpers import new_witness, reopened, serving

ORIGIN = "example.org/log"
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(20)]
OTHER = [merkle.leaf_hash(f"other {i}".encode()) for i in range(20)]


def checkpoint_note(log: Signer, size: int, leaves: list[bytes] = LEAVES) -> str:
    return sign(Checkpoint(ORIGIN, size, merkle.root(leaves[:size])).to_text(), [log])


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("POST", "/add-checkpoint", body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def add(url: str, log: Signer, old: int, size: int, leaves: list[bytes] = LEAVES,
        proof: tuple[bytes, ...] | None = None) -> tuple[int, str, bytes]:
    if proof is None:
        proof = tuple(merkle.consistency_proof(old, leaves[:size])) if 0 < old < size else ()
    return post(url, AddCheckpoint(old, proof, checkpoint_note(log, size, leaves)).to_body())


@pytest.fixture
def log() -> Signer:
    return Signer(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def witness(tmp_path: Path, log: Signer):
    home = new_witness(tmp_path / "witness")
    home.state.trust_log(log.verifier())
    with serving(home) as running:
        yield running


# --- cosignature/v1 ------------------------------------------------------------------------------


def test_key_id_and_message_are_the_spec_formulas() -> None:
    cosigner = Cosigner.generate("witness.example/w1")
    public = cosigner.key.public_key
    assert cosigner.key.key_id == hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert signed_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    line = cosigner.cosign(body, 1679315147)
    raw = base64.b64decode(line.split(" ")[-1])
    assert raw[:4] == cosigner.key.key_id and int.from_bytes(raw[4:12], "big") == 1679315147 and len(raw) == 76
    found = cosigner.key.find(sign(body, [Signer("example.com/behind-the-sofa", Ed25519PrivateKey.generate())]) + line)
    assert found is not None and found.time == 1679315147


def test_vkeys_and_private_keys_round_trip_and_bad_ones_are_refused() -> None:
    cosigner = Cosigner.generate("witness.example/w1")
    vkey = cosigner.key.vkey()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    assert CosignerKey.from_vkey(vkey) == cosigner.key
    assert Cosigner.from_text(cosigner.to_text()).key == cosigner.key
    log_vkey = Signer("example.org/log", Ed25519PrivateKey.generate()).verifier().vkey()
    with pytest.raises(CosignatureError, match="type 0x04"):
        CosignerKey.from_vkey(log_vkey)  # a signed-note Ed25519 (0x01) key is not a witness key
    name, key_id, material = vkey.split("+", 2)
    with pytest.raises(CosignatureError, match="ID does not match"):
        CosignerKey.from_vkey(f"other.example/w+{key_id}+{material}")
    with pytest.raises(CosignatureError):
        CosignerKey.from_vkey("no plus signs")


def test_a_cosignature_over_another_checkpoint_or_time_does_not_verify(log: Signer) -> None:
    cosigner = Cosigner.generate("w")
    text = Checkpoint(ORIGIN, 3, merkle.root(LEAVES[:3])).to_text()
    line = cosigner.cosign(text, 100)
    assert cosigner.key.find(checkpoint_note(log, 3) + line) is not None
    assert cosigner.key.find(checkpoint_note(log, 4) + line) is None
    raw = bytearray(base64.b64decode(line.split(" ")[-1]))
    raw[11] ^= 1  # the time
    assert cosigner.key.find(checkpoint_note(log, 3) + f"\u2014 w {base64.b64encode(raw).decode()}\n") is None
    assert Cosigner.generate("w").key.find(checkpoint_note(log, 3) + line) is None  # same name, other key


# --- the protocol's bodies -----------------------------------------------------------------------


def test_request_bodies_round_trip_and_malformed_ones_are_refused(log: Signer) -> None:
    request = AddCheckpoint(3, tuple(merkle.consistency_proof(3, LEAVES[:7])), checkpoint_note(log, 7))
    assert AddCheckpoint.from_body(request.to_body()) == request
    assert request.to_body().startswith(b"old 3\n")
    note = checkpoint_note(log, 7).encode()
    for bad in (b"old 03\n\n" + note, b"old 3\n" + note, b"new 3\n\n" + note, b"old 3\nnot base64\n\n" + note,
                b"old 0\n" + b"".join(base64.b64encode(h) + b"\n" for h in LEAVES * 4)[: 45 * 64] + b"\n" + note,
                b"\xff\xfe"):
        with pytest.raises(ProtocolError):
            AddCheckpoint.from_body(bad)


# --- the witness's answers, over HTTP ------------------------------------------------------------


def test_it_cosigns_a_new_log_then_only_consistent_extensions(witness, log: Signer) -> None:
    status, _, body = add(witness.url, log, 0, 3)
    assert status == 200 and body.startswith("\u2014 witness.test/w1 ".encode())
    assert witness.home.cosigner.key.find(checkpoint_note(log, 3) + body.decode()) is not None
    assert add(witness.url, log, 3, 8)[0] == 200
    assert witness.home.state.head(ORIGIN) == Head(8, merkle.root(LEAVES[:8]))
    assert add(witness.url, log, 8, 8)[0] == 200  # the same checkpoint again is cosigned again


def test_a_stale_old_size_gets_409_with_the_witness_size(witness, log: Signer) -> None:
    assert add(witness.url, log, 0, 5)[0] == 200
    status, content_type, body = add(witness.url, log, 0, 9)
    assert (status, content_type, body) == (409, "text/x.tlog.size", b"5\n")


def test_a_fork_at_the_same_size_is_409_and_the_head_stays(witness, log: Signer) -> None:
    assert add(witness.url, log, 0, 6)[0] == 200
    status, content_type, body = add(witness.url, log, 6, 6, OTHER)
    assert (status, content_type, body) == (409, "text/x.tlog.size", b"6\n")
    assert witness.home.state.head(ORIGIN) == Head(6, merkle.root(LEAVES[:6]))


def test_a_fork_at_a_larger_size_fails_its_proof_with_422(witness, log: Signer) -> None:
    assert add(witness.url, log, 0, 4)[0] == 200
    proof = tuple(merkle.consistency_proof(4, LEAVES[:9]))
    assert add(witness.url, log, 4, 9, OTHER, proof=proof)[0] == 422
    assert add(witness.url, log, 4, 9, proof=proof[:-1])[0] == 422
    assert witness.home.state.head(ORIGIN).size == 4


def test_a_rollback_is_refused(witness, log: Signer) -> None:
    assert add(witness.url, log, 0, 10)[0] == 200
    assert add(witness.url, log, 0, 7)[:3] == (409, "text/x.tlog.size", b"10\n")
    assert add(witness.url, log, 10, 7, proof=())[0] == 400  # old size above the checkpoint's


def test_unknown_origin_404_and_wrong_log_key_403(witness, log: Signer) -> None:
    impostor = Signer(ORIGIN, Ed25519PrivateKey.generate())
    assert add(witness.url, impostor, 0, 3)[0] == 403
    stranger = Signer("stranger.example/log", Ed25519PrivateKey.generate())
    note = sign(Checkpoint(stranger.name, 3, merkle.root(LEAVES[:3])).to_text(), [stranger])
    assert post(witness.url, AddCheckpoint(0, (), note).to_body())[0] == 404
    assert witness.home.state.head(ORIGIN) is None


def test_malformed_and_oversized_requests_are_400(witness) -> None:
    assert post(witness.url, b"hello")[0] == 400
    assert post(witness.url, b"old 0\n\nnot a checkpoint\n")[0] == 400
    assert post(witness.url, b"x" * (65 << 10))[0] == 400
    assert len(witness.log) == 3 and not any("127.0.0.1" in line for line in witness.log)  # no client address


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_a_witness_listens_on_ipv6(tmp_path: Path, log: Signer) -> None:
    home = new_witness(tmp_path / "witness")
    home.state.trust_log(log.verifier())
    with serving(home, "::1") as running:
        assert running.url.startswith("http://[::1]:")
        assert add(running.url, log, 0, 3)[0] == 200
    assert home.state.head(ORIGIN) is not None


def test_connections_past_the_cap_get_503_and_the_witness_recovers(tmp_path: Path, log: Signer) -> None:
    home = new_witness(tmp_path / "witness")
    home.state.trust_log(log.verifier())

    def status(url: str) -> int:
        try:
            return add(url, log, 0, 3)[0]
        except ConnectionError:  # the 503 came and the socket closed before the request was all sent
            return 503

    with serving(home, max_connections=2) as running:
        port = int(running.url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
        try:
            time.sleep(0.2)  # both accepted: each holds a thread, waiting for a request line
            assert status(running.url) == 503
            assert home.state.head(ORIGIN) is None
            assert any("503 too many connections" in line for line in running.log)
        finally:
            for connection in idle:
                connection.close()
        deadline = time.monotonic() + 5
        while (answer := status(running.url)) == 503 and time.monotonic() < deadline:
            time.sleep(0.05)  # the idle connections' threads end as they see the close
        assert answer == 200


def test_the_state_survives_a_restart_and_the_key_file_is_private(tmp_path: Path, log: Signer) -> None:
    folder = tmp_path / "w"
    home = new_witness(folder)
    home.state.trust_log(log.verifier())
    with serving(home) as running:
        assert add(running.url, log, 0, 5)[0] == 200
    with serving(reopened(folder)) as running:
        assert add(running.url, log, 0, 5, OTHER)[:3] == (409, "text/x.tlog.size", b"5\n")
        assert add(running.url, log, 5, 7)[0] == 200
    assert stat.S_IMODE(os.stat(folder / KEY_FILE).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert reopened(folder).cosigner.key == home.cosigner.key


def test_the_head_moves_by_compare_and_swap(tmp_path: Path, log: Signer) -> None:
    state = new_witness(tmp_path / "w").state
    state.trust_log(log.verifier())
    first, second = Head(3, merkle.root(LEAVES[:3])), Head(5, merkle.root(LEAVES[:5]))
    assert state.advance(ORIGIN, None, first)
    assert not state.advance(ORIGIN, None, second)  # someone else inserted first
    assert state.advance(ORIGIN, first, second)
    assert not state.advance(ORIGIN, first, Head(4, merkle.root(LEAVES[:4])))  # decided against a stale head
    assert state.head(ORIGIN) == second


# --- the verifier's policy -----------------------------------------------------------------------


def test_policy_files_parse_with_comments_and_quorum() -> None:
    a, b = Cosigner.generate("a.example/w"), Cosigner.generate("b.example/w")
    policy = WitnessPolicy.parse(f"# partners\n\n{a.key.vkey()}\n  {b.key.vkey()}  \nquorum 1\n")
    assert policy.witnesses == (a.key, b.key) and policy.quorum == 1
    assert WitnessPolicy.parse(f"{a.key.vkey()}\n{b.key.vkey()}\n").quorum == 2


@pytest.mark.parametrize("text, message", [
    ("", "at least one"),
    ("{a}\nquorum 2\n", "quorum is 1 to 1"),
    ("{a}\nquorum 0\n", "quorum is 1 to 1"),
    ("{a}\nquorum two\n", "line 2"),
    ("{a}\nquorum 1\nquorum 1\n", "second quorum"),
    ("{a}\n{a}\n", "twice"),
    ("# c\nnot-a-key\n", "line 2"),
])
def test_bad_policy_files_are_one_line_errors(text: str, message: str) -> None:
    a = Cosigner.generate("a.example/w")
    with pytest.raises(PolicyError, match=message) as caught:
        WitnessPolicy.parse(text.format(a=a.key.vkey()))
    assert "\n" not in str(caught.value)
