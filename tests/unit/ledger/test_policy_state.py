"""An older, validly signed sealing policy put back is refused: the ledger records its version."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import cli_env
from intake.keys.keystore import save_policy
from intake.vault import Vault
from cli_helpers import one_error_line, snapshot


def run(vault: Path, env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def setup(tmp_path: Path, template_vault, editor_template) -> tuple[Path, dict[str, str], Path, Path]:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    editor = tmp_path / "editor.pub"
    editor.write_text(editor_template[1].secret.export_public())
    (tmp_path / "a.txt").write_text("a file")
    return vault, cli_env(tmp_path), editor, tmp_path / "a.txt"


@pytest.mark.parametrize("appended_since", [False, True])
def test_an_older_policy_restored_is_refused(setup, tmp_path: Path, appended_since: bool) -> None:
    vault, env, editor, file = setup
    old_policy = (vault / "keys" / "policy.age").read_bytes()
    assert run(vault, env, "keys", "add-recipient", editor, "--yes").returncode == 0
    if appended_since:
        assert run(vault, env, "add", file).returncode == 0
    (vault / "keys" / "policy.age").write_bytes(old_policy)  # the attacker's copy, validly signed
    before = snapshot(vault)
    result = run(vault, env, "add", file)
    assert result.returncode == 1
    assert "older than its ledger records" in one_error_line(result)
    assert snapshot(vault) == before
    listed = run(vault, env, "keys", "list")
    assert listed.returncode == 1


def test_an_older_ledger_record_restored_is_refused(setup) -> None:
    vault, env, editor, file = setup
    with sqlite3.connect(vault / "ledger.sqlite") as db:
        old_row = db.execute("SELECT size, serial, signature FROM policy_state").fetchone()
    assert run(vault, env, "keys", "add-recipient", editor, "--yes").returncode == 0
    assert run(vault, env, "add", file).returncode == 0
    with sqlite3.connect(vault / "ledger.sqlite") as db:
        db.execute("UPDATE policy_state SET size = ?, serial = ?, signature = ?", old_row)
    result = run(vault, env, "add", file)
    assert result.returncode == 1
    assert "earlier state of the ledger" in one_error_line(result)


def test_a_policy_saved_but_not_yet_recorded_is_accepted(setup, template_vault) -> None:
    """A kill between writing policy.age and the ledger's record leaves a newer policy: it works."""
    vault, env, editor, file = setup
    keyring = template_vault[1]
    save_policy(vault / "keys" / "policy.age", replace(keyring.policy, serial=5), keyring.secret)
    assert run(vault, env, "add", file).returncode == 0
    assert Vault.open(vault).unlock_policy(keyring.secret).serial == 5
