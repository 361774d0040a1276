"""Bundles and submissions with a linked GPG key, checked by real gpg as a researcher would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import PASSPHRASE, cli_env, copy_vault, take_in
from intake.samples import write_letter_photo_notes
from intake.bundle.export import export_bundle
from intake.bundle.receive import receive_submission
from intake.bundle.submission import submit
from intake.bundle.verify import verify_bundle
from intake.keys.openpgp import looks_like_openpgp
from gpg_helpers import add_subkey, agents_running, discard_home, gpg, make_home, new_key
from recipe_helpers import failed_steps, run_recipe


@pytest.fixture(scope="module")
def editor_gpg() -> Iterator[tuple[Path, str]]:
    home = make_home()
    fingerprint = new_key(home, "Desk <desk@example.invalid>")
    add_subkey(home, fingerprint, "cv25519", "encr")
    yield home, fingerprint
    discard_home(home)


def test_export_with_a_linked_key_verifies_with_gpg_alone(
    journey: dict, editor_gpg: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, fingerprint = editor_gpg
    monkeypatch.setenv("GNUPGHOME", str(home))
    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    keys = editor.change_policy(keys, lambda policy: replace(policy, openpgp=fingerprint))
    bundle = tmp_path / "bundle"
    export_bundle(editor, keys, None, bundle)
    signatures = sorted(bundle.rglob("*.asc"))
    signatures.remove(bundle / "provenance" / "custodian.asc")
    assert {p.name for p in signatures} >= {"contents.sha256.asc"}
    assert len([p for p in signatures if p.name.startswith("itm_")]) == 2

    stranger = make_home()
    try:
        gpg(stranger, "--import", str(bundle / "provenance" / "custodian.asc"))
        for signature in signatures:  # the recipe: `gpg --verify X.asc`, beside X
            result = subprocess.run(["gpg", "--verify", signature.name], cwd=signature.parent, capture_output=True,
                                    env={**os.environ, "GNUPGHOME": str(stranger)})
            assert result.returncode == 0, result.stderr
            assert fingerprint.encode() in result.stderr.replace(b" ", b"")
    finally:
        discard_home(stranger)

    report = verify_bundle(bundle, allow_unpinned=True)
    assert report.ok
    assert sum("valid OpenPGP signature" in c.what for c in report.checks) == len(signatures)
    stranger = make_home()  # short: the throwaway GnuPG home the recipe makes holds gpg-agent's socket
    runs = run_recipe(bundle, stranger)
    try:
        assert not failed_steps(runs), [(r.title, r.output) for r in runs if r.returncode]
        assert any(fingerprint in run.output.replace(" ", "") for run in runs if run.title.startswith("Step 0."))
        assert any("every .asc verifies" in run.output for run in runs)
        (bundle / "provenance/contents.sha256.asc").unlink()
        assert any("OpenPGP" in title for title in failed_steps(run_recipe(bundle, stranger)))
    finally:
        for gpg_home in (stranger / "tmp").iterdir():
            discard_home(gpg_home)
        discard_home(stranger)
    failed = [f"{c.what}: {c.reason}" for c in verify_bundle(bundle, allow_unpinned=True).checks if not c.ok]
    assert any("contents.sha256.asc" in f for f in failed), failed
    statement = next((bundle / "provenance").glob("itm_*.json"))
    statement.write_bytes(statement.read_bytes().replace(b'"size":', b'"size": ', 1))
    failed_checks = [c for c in verify_bundle(bundle, allow_unpinned=True).checks if not c.ok]
    assert any(statement.name in c.what and "OpenPGP" in c.what for c in failed_checks)


def test_submission_wrapped_for_a_gpg_desk(
    journey: dict, editor_gpg: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, fingerprint = editor_gpg
    monkeypatch.setenv("GNUPGHOME", str(home))
    field, keys = copy_vault((journey["field"][0].root, journey["field"][1]), tmp_path / "field")
    editor, editor_keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    take_in(field, keys, [write_letter_photo_notes(tmp_path / "new")[0]])
    wrapped = tmp_path / "for-desk.gpg"
    submit(field, keys, None, editor_keys.public, wrapped, gpg_recipient=fingerprint)
    head = wrapped.read_bytes()[:64]
    assert looks_like_openpgp(head) and b"age-encryption" not in wrapped.read_bytes()
    result = receive_submission(editor, editor_keys, wrapped)
    assert len(result.clean_copies) == 1 and result.skipped == 5
    assert not list(editor.root.glob(".*partial*"))


def test_keys_use_gpg_from_the_command_line(
    journey: dict, editor_gpg: tuple[Path, str], tmp_path: Path,
) -> None:
    home, fingerprint = editor_gpg
    editor, _ = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
    env = {**cli_env(tmp_path, PASSPHRASE), "GNUPGHOME": str(home)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "intake", "--vault", str(editor.root), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    short = run("keys", "use-gpg", fingerprint[-16:])
    assert short.returncode == 2 and short.stderr.count("\n") == 1
    linked = run("keys", "use-gpg", " ".join(fingerprint[i:i + 4] for i in range(0, 40, 4)).lower())
    assert linked.returncode == 0, linked.stderr
    assert fingerprint in linked.stdout
    exported = run("export", "--all", "-o", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out" / "provenance" / "custodian.asc").is_file()


GNUPG_PROGRAMS = frozenset({"gpg", "gpg2", "gpg-agent", "keyboxd", "dirmngr", "scdaemon", "gpgsm", "gpgconf"})


def _environments_holding(secret: str) -> list[int]:
    """GnuPG processes whose environment holds `secret` (as root, or our own user's, readable here).
    Only GnuPG's: intake commands of other tests, running at the same time, carry the test
    passphrase in their environment by design."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() in GNUPG_PROGRAMS \
                        and secret.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


def test_gpg_gets_no_secret_and_no_agent_outlives_intake(journey: dict, tmp_path: Path) -> None:
    """The user's GnuPG home has no agent running: intake's gpg calls start one, and intake stops it
    on exit; neither gpg nor the agent ever sees INTAKE_PASSPHRASE."""
    home = make_home()
    try:
        fingerprint = new_key(home, "Desk <desk@example.invalid>")
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)
        assert not agents_running(home)
        editor, _ = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
        env = {**cli_env(tmp_path, PASSPHRASE), "GNUPGHOME": str(home)}
        linked = subprocess.run([sys.executable, "-m", "intake", "--vault", str(editor.root), "keys", "use-gpg",
                                 fingerprint], capture_output=True, text=True, env=env, timeout=120)
        assert linked.returncode == 0, linked.stderr
        exported = subprocess.run([sys.executable, "-m", "intake", "--vault", str(editor.root), "export", "--all",
                                   "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=120)
        assert exported.returncode == 0, exported.stderr
        assert not agents_running(home)
        assert _environments_holding(PASSPHRASE) == []
    finally:
        discard_home(home)


def test_an_agent_the_user_had_is_left_running(journey: dict, tmp_path: Path) -> None:
    home = make_home()
    try:
        fingerprint = new_key(home, "Desk <desk@example.invalid>")
        subprocess.run(["gpg-connect-agent", "--homedir", str(home), "/bye"], capture_output=True)
        assert agents_running(home)
        editor, _ = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor")
        env = {**cli_env(tmp_path, PASSPHRASE), "GNUPGHOME": str(home)}
        linked = subprocess.run([sys.executable, "-m", "intake", "--vault", str(editor.root), "keys", "use-gpg",
                                 fingerprint], capture_output=True, text=True, env=env, timeout=120)
        assert linked.returncode == 0, linked.stderr
        assert agents_running(home)
    finally:
        discard_home(home)
