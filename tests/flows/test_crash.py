"""SIGKILL at any moment of `intake add` leaves a vault that opens and verifies,
holding every entry whose `add` had reported success."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import cli_env


def run(vault: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), *args],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for i in range(12):
        (folder / f"doc-{i:02}.bin").write_bytes(os.urandom(random.randint(1, 400_000)))
    (folder / "doc-99-large.bin").write_bytes(os.urandom(96 << 20))
    return folder


# Kill after the child reported k items, or after a delay while it is busy
# sealing or committing; together these land at many different moments.
@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Cleanable files, so kills also land while clean copies are sealed and recorded."""
    from jpeg_builders import planted_jpeg

    folder = tmp_path_factory.mktemp("photos")
    for i in range(10):
        (folder / f"crate-{i:02}.jpg").write_bytes(planted_jpeg((1200 + 40 * i, 900)))
    return folder


TRIALS = [("items", 0), ("items", 1), ("items", 5), ("items", 11), ("delay", 0.0), ("delay", 0.05),
          ("partial", 1 << 20), ("partial", 60 << 20)]


@pytest.mark.parametrize("mode,amount", TRIALS)
def test_sigkill_during_add(tmp_path: Path, template_vault, inbox: Path, mode: str, amount: float) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    env = cli_env(tmp_path)
    child = subprocess.Popen([sys.executable, "-u", "-m", "intake", "--vault", str(vault), "add", str(inbox)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    reported: list[str] = []
    assert child.stdout is not None
    if mode == "items":
        while len(reported) < amount:
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith("itm_"):
                reported.append(line.split()[0])
        # Let it get going on the next file before the kill.
        time.sleep(0.02)
    elif mode == "delay":
        _wait_until(lambda: any((vault / "blobs").iterdir()))
        time.sleep(amount)
    else:
        _wait_until(lambda: any(p.stat().st_size >= amount for p in (vault / "partial").glob(".partial-*")))
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    reported += [line.split()[0] for line in rest.splitlines() if line.startswith("itm_")]
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"

    verified = run(vault, env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    shown = run(vault, env, "ledger", "show", "--json")
    recorded = [entry["item"] for entry in json.loads(shown.stdout)["entries"]]
    assert set(reported) <= set(recorded)
    # A later command runs normally on the same vault and cleans half-written blobs.
    extra = tmp_path / "after.txt"
    extra.write_text("after the crash")
    assert run(vault, env, "add", str(extra)).returncode == 0
    assert not list((vault / "partial").iterdir()) and not list((vault / "blobs").glob(".partial-*"))


def _wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll the vault; the child has unlocked (scrypt) once it writes a blob."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except FileNotFoundError:  # a partial blob was renamed while we looked
            pass
        time.sleep(0.002)
    pytest.fail("the child never reached the moment to kill it")


@pytest.mark.parametrize("after_lines", [1, 4, 9])
def test_sigkill_while_cleaning(tmp_path: Path, template_vault, photos: Path, after_lines: int) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    env = cli_env(tmp_path)
    child = subprocess.Popen([sys.executable, "-u", "-m", "intake", "--vault", str(vault), "add", str(photos)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert child.stdout is not None
    lines = [child.stdout.readline() for _ in range(after_lines)]
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"
    printed = [line.split()[0] for line in lines + rest.splitlines() if line.strip().startswith("itm_")]
    verified = run(vault, env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    recorded = {entry["item"] for entry in json.loads(run(vault, env, "ledger", "show", "--json").stdout)["entries"]}
    assert set(printed) <= recorded


def test_an_orphan_blob_is_reported_then_removed_under_the_exclusive_lock(tmp_path: Path, template_vault) -> None:
    """The state a kill between a blob's rename and its entry's append leaves, made by the real
    placing code; and a sealed file intake never placed, which is reported but never removed."""
    from intake.blobs import write_blob
    from intake.vault import Vault

    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    env = cli_env(tmp_path)
    with Vault.open(vault).ledger() as ledger:
        write_blob(vault / "blobs" / ("ab" * 16 + ".age"), b"age-encryption.org/v1\nkilled here", ledger)
    stranger = vault / "blobs" / ("cd" * 16 + ".age")
    stranger.write_bytes(b"not placed by intake")
    verified = run(vault, env, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "1 sealed file(s) in blobs/ were left by an interrupted command" in verified.stdout
    assert f"not left by intake: {stranger.name}" in verified.stdout
    (tmp_path / "a.txt").write_text("the next command")
    assert run(vault, env, "add", str(tmp_path / "a.txt")).returncode == 0
    assert not (vault / "blobs" / ("ab" * 16 + ".age")).exists()
    assert stranger.exists()
    again = run(vault, env, "ledger", "verify")
    assert "interrupted" not in again.stdout and again.returncode == 0


def test_an_older_vault_has_its_blobs_swept_once_then_partial_files_go_to_their_own_folder(
        tmp_path: Path, template_vault) -> None:
    """A vault made before partial/ kept half-written blobs in blobs/: the first exclusive lock
    removes them there, then makes partial/ (which records that the sweep was done); from then on
    blobs are written in partial/ and renamed into blobs/, and what a kill leaves in partial/ goes."""
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    (vault / "partial").rmdir()  # as a vault made before it
    env = cli_env(tmp_path)
    left = vault / "blobs" / f".partial-{'0' * 16}-{'ab' * 16}.age"
    left.write_bytes(b"age-encryption.org/v1\nkilled here")
    assert run(vault, env, "ledger", "verify").returncode == 0  # a reader changes nothing
    assert left.exists() and not (vault / "partial").exists()
    (tmp_path / "a.txt").write_text("the next command")
    assert run(vault, env, "add", str(tmp_path / "a.txt")).returncode == 0
    assert not left.exists()
    assert (vault / "partial").stat().st_mode & 0o777 == 0o700 and not list((vault / "partial").iterdir())
    from intake.blobs import BLOB_NAME

    killed = vault / "partial" / f".partial-{'1' * 16}-{'cd' * 16}.age"
    killed.write_bytes(b"age-encryption.org/v1\nkilled here")
    (tmp_path / "b.txt").write_text("and the one after")
    assert run(vault, env, "add", str(tmp_path / "b.txt")).returncode == 0
    assert not killed.exists()
    assert all(BLOB_NAME.match(p.name) for p in (vault / "blobs").iterdir())
    verified = run(vault, env, "ledger", "verify")
    assert verified.returncode == 0 and "interrupted" not in verified.stdout, verified.stdout
