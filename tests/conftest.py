"""Shared fixtures: real vaults, real age, real SQLite; created once, copied per test.

Creating and unlocking a vault runs age's scrypt (seconds by design), so one
template vault is made per session and copied; the copies share its keys,
which is why one unlocked keyring serves them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake.bundle.export import export_bundle
from intake.bundle.receive import receive_submission
from intake.bundle.submission import submit
from intake.samples import write_letter_photo_notes
from intake.takein.clean_copy import clean_received
from intake.takein.original import Received, receive_original
from intake.takein.sources import collect_sources, source_for
from intake.vault import Vault, create_vault
from intake.keys.keystore import Keyring

PASSPHRASE = "a long test passphrase"
PROJECT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

# Test modules share helpers by module name (`from test_cli import one_error_line`) across the
# folders the tests are sorted into; pytest only puts a test's own folder on the path, so every
# test folder is put after tests/ here. (Stopgap: such helpers belong in tests/*_helpers.py.)
sys.path.extend(str(folder) for folder in sorted({path.parent for path in TESTS.rglob("test_*.py")} - {TESTS})
                if str(folder) not in sys.path)


@dataclass
class Unlocked:
    vault: Vault
    keyring: Keyring

    def add(self, path: Path, note: str | None = None) -> Received:
        with self.vault.locked(), self.vault.ledger() as ledger:
            return receive_original(source_for(path), ledger, self.keyring, self.vault.blobs, note)

    def ledger(self):  # context manager
        return self.vault.ledger()


@pytest.fixture(scope="session")
def template_vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keyring]:
    root = tmp_path_factory.mktemp("template") / "vault"
    vault = create_vault(root, "tester", PASSPHRASE)
    return root, vault.unlock(PASSPHRASE)


@pytest.fixture
def unlocked(tmp_path: Path, template_vault: tuple[Path, Keyring]) -> Unlocked:
    template, keyring = template_vault
    root = tmp_path / "vault"
    shutil.copytree(template, root)
    return Unlocked(Vault.open(root), keyring)


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)

    def make(name: str, data: bytes) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return make


def no_children_left() -> bool:
    """Every forked worker was reaped: this process has no child, running or not."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def cli_env(home: Path, passphrase: str | None = PASSPHRASE) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    if passphrase is not None:
        env["INTAKE_PASSPHRASE"] = passphrase
    return env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real `intake` command in a child process, as a user would."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def run(*args: str | Path, passphrase: str | None = PASSPHRASE, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "intake", *map(str, args)],
            capture_output=True, text=True, input=stdin if stdin is not None else "",
            env=env or cli_env(home, passphrase), cwd=tmp_path, timeout=300,
        )

    return run


# --- two roles, for bundles: a field vault that took in samples, an editor who received them ---


def take_in(vault: Vault, keyring: Keyring, paths: list[Path], note: str | None = None) -> None:
    with vault.locked(), vault.ledger() as ledger:
        for source in collect_sources(paths, vault.root).sources:
            received = receive_original(source, ledger, keyring, vault.blobs, note)
            clean_received(source, received, ledger, keyring, vault.blobs)


def copy_vault(template: tuple[Path, Keyring], target: Path) -> tuple[Vault, Keyring]:
    shutil.copytree(template[0], target)
    return Vault.open(target), template[1]


@pytest.fixture(scope="session")
def editor_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keyring]:
    root = tmp_path_factory.mktemp("editor") / "vault"
    return root, create_vault(root, "editor-1", PASSPHRASE).unlock(PASSPHRASE)


@pytest.fixture(scope="session")
def write_only_template(tmp_path_factory: pytest.TempPathFactory, editor_template) -> tuple[Path, Keyring]:
    root = tmp_path_factory.mktemp("wo") / "vault"
    editor_text = editor_template[1].secret.export_public()
    return root, create_vault(root, "field-w", PASSPHRASE, write_only=True, recipients=(editor_text,)).unlock(PASSPHRASE)


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory, template_vault, editor_template) -> dict:
    """The whole path once: field vault takes in samples, submits, editor receives and exports."""
    base = tmp_path_factory.mktemp("journey")
    field, field_keys = copy_vault(template_vault, base / "field")
    editor, editor_keys = copy_vault(editor_template, base / "editor")
    samples = write_letter_photo_notes(base / "inbox")
    take_in(field, field_keys, samples, note="from source K")
    submission = base / "to-editor.age"
    submit(field, field_keys, None, editor_keys.public, submission)
    received = receive_submission(editor, editor_keys, submission)
    bundle = base / "bundle"
    export_bundle(editor, editor_keys, None, bundle)
    return {"base": base, "field": (field, field_keys), "editor": (editor, editor_keys), "samples": samples,
            "submission": submission, "received": received, "bundle": bundle}
