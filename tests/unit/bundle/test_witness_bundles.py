"""Witnessed exports with real vaults and real witnesses on loopback: cosigned bundles verify against a
verifier's policy; a fork, a rollback or a witness that is down leaves a bundle that does not."""

from __future__ import annotations

import base64
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PASSPHRASE, cli_env, copy_vault
from intake.bundle.export import export_bundle
from intake.bundle.statement import CHECKPOINT_FILE
from intake.bundle.verify import verify_bundle
from intake.vault import Vault
from intake.witness.configured import ConfiguredWitness
from intake.witness.cosignature import Cosigner
from intake.witness.desk import with_quorum, with_witness
from intake.witness.policy import WitnessPolicy
from intake.keys.keystore import Keyring
from consistency_helpers import add_photo
from recipe_helpers import run_script
from witness_helpers import RunningWitness, new_witness, serving


def configure(vault: Vault, keyring: Keyring, *witnesses: tuple[str, RunningWitness | str],
              quorum: int | None = None) -> Keyring:
    """The desk's witnesses: each a running witness, or a URL where nothing answers."""
    policy = keyring.policy
    for name, witness in witnesses:
        key = witness.home.cosigner.key if isinstance(witness, RunningWitness) else _unused_key(name)
        url = witness.url if isinstance(witness, RunningWitness) else witness
        policy = with_witness(policy, ConfiguredWitness(name, key, url))
    if quorum is not None:
        policy = with_quorum(policy, quorum)
    return vault.save_policy(keyring, policy)


def _unused_key(name: str):
    from intake.witness.cosignature import Cosigner
    return Cosigner.generate(f"{name}.example/w").key


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed as soon as it was found free: connections are refused


def policy_of(*witnesses: RunningWitness, quorum: int | None = None) -> WitnessPolicy:
    lines = [w.home.cosigner.key.vkey() for w in witnesses] + ([f"quorum {quorum}"] if quorum else [])
    return WitnessPolicy.parse("\n".join(lines) + "\n")


def witness_line(report) -> object:
    return next(c for c in report.checks if "cosigned by witnesses" in c.what)


@pytest.fixture
def desk(tmp_path: Path, template_vault) -> tuple[Vault, Keyring]:
    vault, keyring = copy_vault(template_vault, tmp_path / "vault")
    add_photo(vault, keyring, tmp_path / "in1", "first.jpg")
    return vault, keyring


@pytest.fixture
def witness(tmp_path: Path, desk):
    home = new_witness(tmp_path / "witness")
    home.state.trust_log(desk[0].verifier)
    with serving(home) as running:
        yield running


def test_a_cosigned_bundle_verifies_against_the_verifiers_policy(tmp_path: Path, desk, witness) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness))
    result = export_bundle(vault, keyring, None, tmp_path / "bundle")
    assert result.witnessing is not None and result.witnessing.enough
    assert result.witnessing.summary() == "witnessed by 1 of 1 (quorum 1): the bundle is witnessed"
    note = (tmp_path / "bundle" / CHECKPOINT_FILE).read_text()
    assert witness.home.cosigner.key.find(note) is not None
    for proof in (tmp_path / "bundle" / "provenance" / "proofs").iterdir():
        assert proof.read_text().endswith("\n\n" + note)  # every tlog-proof carries the very same note
    report = verify_bundle(tmp_path / "bundle", keyring.public, witnesses=policy_of(witness))
    assert report.ok, [c for c in report.checks if not c.ok]
    assert witness_line(report).what.endswith("1 of 1, quorum 1 (witness.test/w1)")
    unchecked = witness_line(verify_bundle(tmp_path / "bundle", keyring.public))
    assert unchecked.ok and "1 cosignature line(s) present, NOT checked" in unchecked.what


def test_the_stdlib_script_checks_the_witnesses_you_trust(tmp_path: Path, desk, witness) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness))
    bundle = export_bundle(vault, keyring, None, tmp_path / "bundle").target
    home, trusted, stranger = tmp_path / "stranger", witness.home.cosigner.key.vkey(), \
        Cosigner.generate("other.example/w").key.vkey()
    policies = {"ours": f"# our partner\n{trusted}\n", "theirs": f"{stranger}\n",
                "either": f"{trusted}\n{stranger}\nquorum 1\n", "both": f"{trusted}\n{stranger}\n"}
    results = {}
    for name, text in policies.items():
        (tmp_path / name).write_text(text)
        results[name] = run_script(bundle, home, "--witnesses", str(tmp_path / name))
    assert results["ours"].returncode == 0 and results["either"].returncode == 0, results["ours"].stdout
    assert "ok    the checkpoint is cosigned by the witnesses you trust" in results["ours"].stdout
    for name in ("theirs", "both"):
        assert results[name].returncode == 1
        assert "no valid cosignature from other.example/w" in results[name].stdout
    checkpoint = bundle / CHECKPOINT_FILE
    note = checkpoint.read_text()
    name, key_id_and_rest = note.rstrip("\n").rsplit("\n", 1)[-1].removeprefix("\u2014 ").split(" ")
    assert name == witness.home.cosigner.name  # the last line is the witness's cosignature
    raw = bytearray(base64.b64decode(key_id_and_rest))
    raw[-1] ^= 1
    checkpoint.write_text(note.replace(key_id_and_rest, base64.b64encode(bytes(raw)).decode("ascii")))
    altered = run_script(bundle, home, "--witnesses", str(tmp_path / "ours"))
    assert altered.returncode == 1 and "FAIL  the checkpoint is cosigned by the witnesses you trust" in altered.stdout


def test_later_exports_are_cosigned_from_the_witness_size(tmp_path: Path, desk, witness) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness))
    export_bundle(vault, keyring, None, tmp_path / "first")
    add_photo(vault, keyring, tmp_path / "in2", "second.jpg")
    assert export_bundle(vault, keyring, None, tmp_path / "second").witnessing.enough
    assert verify_bundle(tmp_path / "second", keyring.public, witnesses=policy_of(witness)).ok
    assert any(" 200 cosigned " in line and "(from " in line and "(from 0)" not in line for line in witness.log)


def test_a_fork_is_refused_by_the_witness_and_fails_verification(tmp_path: Path, desk, witness, cli) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness))
    copy, _ = copy_vault((vault.root, keyring), tmp_path / "copy")
    add_photo(vault, keyring, tmp_path / "in2", "real.jpg")
    add_photo(copy, keyring, tmp_path / "in3", "planted.jpg")
    assert export_bundle(vault, keyring, None, tmp_path / "real").witnessing.enough
    forked = export_bundle(copy, keyring, None, tmp_path / "forked").witnessing
    assert not forked.enough and forked.outcomes[0].result == "refused"
    assert "fork" in forked.outcomes[0].reason
    report = verify_bundle(tmp_path / "forked", keyring.public, witnesses=policy_of(witness))
    check = witness_line(report)
    assert not report.ok and not check.ok and "witness.test/w1" in check.reason
    policy_file = tmp_path / "witnesses.txt"
    policy_file.write_text(f"# our partner\n{witness.home.cosigner.key.vkey()}\n")
    done = cli("verify", tmp_path / "forked", "--allow-unpinned", "--witnesses", policy_file)
    assert done.returncode == 1 and re.search(r"FAIL  the checkpoint is cosigned by witnesses.*witness.test/w1",
                                              done.stdout)
    assert cli("verify", tmp_path / "real", "--allow-unpinned", "--witnesses", policy_file).returncode == 0


def test_a_rolled_back_vault_is_refused(tmp_path: Path, desk, witness) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness))
    older, _ = copy_vault((vault.root, keyring), tmp_path / "older")
    add_photo(vault, keyring, tmp_path / "in2", "second.jpg")
    assert export_bundle(vault, keyring, None, tmp_path / "newer").witnessing.enough
    rolled_back = export_bundle(older, keyring, None, tmp_path / "older-bundle").witnessing
    assert not rolled_back.enough and "rollback" in rolled_back.outcomes[0].reason
    assert not verify_bundle(tmp_path / "older-bundle", keyring.public, witnesses=policy_of(witness)).ok


def test_a_witness_that_is_down_does_not_stop_the_export(tmp_path: Path, desk, witness) -> None:
    vault, keyring = desk
    keyring = configure(vault, keyring, ("partner", witness), ("gone", dead_url()))
    result = export_bundle(vault, keyring, None, tmp_path / "bundle")
    assert result.witnessing.summary() == "witnessed by 1 of 2 (quorum 2): the bundle is NOT witnessed enough"
    assert [o.result for o in result.witnessing.outcomes] == ["cosigned", "down"]
    assert verify_bundle(tmp_path / "bundle", keyring.public, allow_unpinned=True).ok  # the bundle itself holds
    gone = WitnessPolicy.parse(f"{witness.home.cosigner.key.vkey()}\n{keyring.policy.witnesses[1].key.vkey()}\n")
    report = verify_bundle(tmp_path / "bundle", keyring.public, witnesses=gone)
    assert not report.ok and "gone.example/w" in witness_line(report).reason
    one_of_two = WitnessPolicy(gone.witnesses, 1)
    assert verify_bundle(tmp_path / "bundle", keyring.public, witnesses=one_of_two).ok


# --- the commands, end to end, with `intake witness serve` as its own process ---------------------


def _start_serving(state: Path, env: dict[str, str], port: int = 0) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "intake", "witness", "serve", "--state", str(state),
                                "--listen", f"127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    first = process.stderr.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    assert match, first
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=10)
    assert process.returncode == 0, rest
    return rest


def test_the_commands_end_to_end_with_a_witness_process(tmp_path: Path, desk, cli) -> None:
    vault, _ = desk
    state = tmp_path / "partner-witness"
    created = cli("witness", "init", "--state", state, "--name", "partner.example/w1", passphrase=None)
    assert created.returncode == 0, created.stderr
    witness_vkey = created.stdout.strip().splitlines()[-1]
    ledger_vkey = cli("ledger", "vkey", "--vault", vault.root, passphrase=None).stdout.strip()
    assert cli("witness", "trust-log", "--state", state, ledger_vkey, passphrase=None).returncode == 0
    env = cli_env(tmp_path / "home", None)
    older, _ = copy_vault((vault.root, desk[1]), tmp_path / "older")
    process, url = _start_serving(state, env)
    try:
        added = cli("witness", "add", "partner", witness_vkey, url, "--vault", vault.root)
        assert added.returncode == 0, added.stderr
        listed = cli("witness", "list", "--json", "--vault", vault.root)
        assert '"url": "' + url + '"' in listed.stdout and '"quorum": 1' in listed.stdout
        exported = cli("export", "--all", "-o", tmp_path / "bundle", "--vault", vault.root)
        assert exported.returncode == 0, exported.stderr
        assert "witnessed by 1 of 1 (quorum 1): the bundle is witnessed" in exported.stdout
    finally:
        log = _stop(process)
    assert re.search(r"POST /add-checkpoint 200 cosigned intake\.ledger/\w+ size \d+", log)
    assert PASSPHRASE not in log and "127.0.0.1" not in log.split("listening")[-1].split("\n", 1)[-1]
    policy = tmp_path / "witnesses.txt"
    policy.write_text(f"{witness_vkey}\nquorum 1\n")
    verified = cli("verify", tmp_path / "bundle", "--allow-unpinned", "--witnesses", policy, passphrase=None)
    assert verified.returncode == 0, verified.stdout
    # restarted, the witness still holds the size it cosigned: the desk goes on from it, an older copy is refused
    process, _ = _start_serving(state, env, int(url.rsplit(":", 1)[1]))
    try:
        add_photo(vault, desk[1], tmp_path / "in2", "second.jpg")
        again = cli("export", "--all", "-o", tmp_path / "again", "--vault", vault.root)
        assert "witnessed by 1 of 1 (quorum 1): the bundle is witnessed" in again.stdout, again.stdout
        assert cli("witness", "add", "partner", witness_vkey, url, "--vault", older.root).returncode == 0
        stale = cli("export", "--all", "-o", tmp_path / "stale", "--vault", older.root)
        assert stale.returncode == 0 and "NOT witnessed enough" in stale.stdout and "refused" in stale.stdout
    finally:
        log = _stop(process)
    assert " 409 " in log


def test_bad_witness_commands_are_one_line_errors(tmp_path: Path, desk, cli) -> None:
    vault, _ = desk
    bad_key = cli("witness", "add", "x", "not-a-key", "http://127.0.0.1:1", "--vault", vault.root)
    assert bad_key.returncode == 2 and bad_key.stderr.count("\n") == 1 and "intake: error:" in bad_key.stderr
    assert cli("witness", "quorum", "3", "--vault", vault.root).returncode == 2
    assert cli("witness", "serve", "--state", tmp_path / "none", "--listen", "127.0.0.1:0").returncode == 2
    bad_policy = tmp_path / "policy.txt"
    bad_policy.write_text("quorum 1\n")
    done = cli("verify", tmp_path / "nothing", "--witnesses", bad_policy)
    assert done.returncode == 2 and "witness policy" in done.stderr
