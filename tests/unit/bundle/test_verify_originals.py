"""`ledger verify` with the passphrase checks every sealed original, and names
are shown as data, never as terminal commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import cli_env
from intake.ledger.audit import audit
from intake.keys.seal import seal


def _audit(unlocked):
    with unlocked.vault.ledger() as ledger:
        return audit(ledger.store, unlocked.vault.config.origin, unlocked.vault.verifier,
                     unlocked.keyring, unlocked.vault.blobs)


def test_replaced_original_is_caught(unlocked, make_file) -> None:
    unlocked.add(make_file("a.txt", b"the real letter"))
    unlocked.add(make_file("b.txt", b"the real photo"))
    assert _audit(unlocked).ok
    # Anyone can seal to the vault's public age key: swap in another file.
    blob = sorted(unlocked.vault.blobs.iterdir(), key=os.path.getmtime)[1]
    blob.write_bytes(seal(b"a forged photo", [unlocked.keyring.public.age_recipient]))
    report = _audit(unlocked)
    assert not report.ok and "entry 1" in report.failure and "replaced" in report.failure


def test_missing_original_is_caught(unlocked, make_file) -> None:
    unlocked.add(make_file("a.txt", b"the real letter"))
    next(unlocked.vault.blobs.iterdir()).unlink()
    report = _audit(unlocked)
    assert not report.ok and "missing" in report.failure


def test_control_characters_in_names_are_escaped(tmp_path: Path, template_vault) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    hostile = tmp_path / "x\x1b]0;pwned\x07\x1b[2J.txt"
    hostile.write_text("x")
    odd = tmp_path / os.fsdecode(b"caf\xe9-latin1.txt")
    odd.write_text("y")
    env = cli_env(tmp_path)
    added = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), "add", str(hostile), str(odd)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert added.returncode == 0, added.stderr
    shown = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), "ledger", "show"],
                           capture_output=True, text=True, env=env, timeout=120)
    for output in (added.stdout, shown.stdout):
        assert "\x1b" not in output and "\x07" not in output
        assert "\\x1b]0;pwned" in output
        assert "caf\\xe9-latin1.txt" in output
