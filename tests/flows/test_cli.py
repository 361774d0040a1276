"""The command line as a user meets it: real processes, real vault files."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PASSPHRASE, cli_env
from cli_helpers import one_error_line, snapshot


@pytest.fixture
def vault_dir(tmp_path: Path, template_vault) -> Path:
    root = tmp_path / "vault"
    shutil.copytree(template_vault[0], root)
    return root


def test_init_creates_private_vault_and_identity(cli, tmp_path: Path) -> None:
    root = tmp_path / "new-vault"
    result = cli("--vault", root, "init", "--name", "kestrel")
    assert result.returncode == 0, result.stderr
    assert "words" in result.stdout
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for path in root.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    shown = cli("--vault", root, "keys", "show")
    assert shown.returncode == 0 and "kestrel" in shown.stdout
    # The pseudonym is sealed: it appears nowhere in the vault's bytes.
    assert not any(b"kestrel" in p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_init_uses_environment_vault_and_refuses_existing(cli, tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home")
    env["INTAKE_VAULT"] = str(tmp_path / "env-vault")
    assert cli("init", env=env).returncode == 0
    assert (tmp_path / "env-vault" / "vault.json").is_file()
    again = cli("init", env=env)
    assert again.returncode == 2
    assert "already exists" in one_error_line(again)


def test_init_refuses_short_passphrase_and_leaves_nothing(cli, tmp_path: Path) -> None:
    result = cli("--vault", tmp_path / "v", "init", passphrase="short")
    assert result.returncode == 2
    one_error_line(result)
    assert not (tmp_path / "v").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".v.partial")]


def test_missing_passphrase_without_terminal_is_one_line(cli, vault_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    result = cli("--vault", vault_dir, "add", tmp_path / "a.txt", passphrase=None)
    assert result.returncode == 2
    assert "INTAKE_PASSPHRASE" in one_error_line(result)


def test_wrong_passphrase_changes_nothing(cli, vault_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("evidence")
    before = snapshot(vault_dir)
    # export unlocks in a thread while it imports its modules: the same one line, nothing written
    for command in (["add", tmp_path / "a.txt"], ["ledger", "show"], ["keys", "show"],
                    ["export", "--all", "-o", tmp_path / "bundle"]):
        result = cli("--vault", vault_dir, *command, passphrase="not the passphrase")
        assert result.returncode == 2
        assert "wrong passphrase" in one_error_line(result)
        assert "not the passphrase" not in result.stderr + result.stdout
    assert snapshot(vault_dir) == before
    assert not (tmp_path / "bundle").exists() and not list(tmp_path.glob(".bundle.partial*"))


def test_passphrase_file(cli, vault_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    result = cli("--vault", vault_dir, "keys", "show", "--passphrase-file", secret, passphrase=None)
    assert result.returncode == 0, result.stderr
    result = cli("--vault", vault_dir, "export", "--all", "-o", tmp_path / "bundle", "--passphrase-file", secret,
                 passphrase=None)  # unlocked (in its own thread): it gets as far as finding nothing to export
    assert result.returncode == 2 and "holds no clean copy" in one_error_line(result)


def test_missing_vault(cli, tmp_path: Path) -> None:
    result = cli("--vault", tmp_path / "nowhere", "ledger", "verify")
    assert result.returncode == 2
    assert "no vault" in one_error_line(result)


def test_usage_error_is_one_line(cli) -> None:
    result = cli("ledger", "frobnicate")
    assert result.returncode == 2
    one_error_line(result)
    assert cli("add", "--help").returncode == 0


def test_add_prints_item_ids_and_records_them(cli, vault_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("first")
    (folder / "sub" / "two.bin").write_bytes(b"\x00\x01second")
    photo = tmp_path / "looks-like.pdf"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    result = cli("--vault", vault_dir, "add", folder, photo, "--note", "from the dock")
    assert result.returncode == 0, result.stderr
    printed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("itm_")]
    assert len(printed) == 3 and all(item.startswith("itm_") for item in printed)
    shown = cli("--vault", vault_dir, "ledger", "show", "--json")
    entries = json.loads(shown.stdout)["entries"]
    assert [e["item"] for e in entries] == printed
    by_name = {e["outputs"][0]["name"]: e for e in entries}
    assert set(by_name) == {"batch/one.txt", "batch/sub/two.bin", "looks-like.pdf"}
    jpeg = by_name["looks-like.pdf"]["outputs"][0]
    assert jpeg["media_type"] == "image/jpeg"  # sniffed from content, not the name
    assert jpeg["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert jpeg["sha512"] == hashlib.sha512(photo.read_bytes()).hexdigest()
    assert all(e["note"] == "from the dock" and e["action"] == "received" for e in entries)


@pytest.mark.parametrize("kind", ["missing", "device", "socket", "fifo"])
def test_bad_inputs_are_refused_before_anything_is_written(cli, vault_dir: Path, tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine")
    bad = tmp_path / f"bad-{kind}"
    if kind == "device":
        bad = Path("/dev/null")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(bad))
    elif kind == "fifo":
        os.mkfifo(bad)
    before = snapshot(vault_dir)
    result = cli("--vault", vault_dir, "add", good, bad)
    assert result.returncode == 2
    one_error_line(result)
    assert result.stdout == ""
    assert snapshot(vault_dir) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of their mode")
def test_unreadable_file_is_refused(cli, vault_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "locked.txt"
    secret.write_text("x")
    secret.chmod(0)
    before = snapshot(vault_dir)
    result = cli("--vault", vault_dir, "add", secret)
    assert result.returncode == 2 and "cannot read" in one_error_line(result)
    assert snapshot(vault_dir) == before


def test_write_failure_mid_file_leaves_vault_as_before(vault_dir: Path, tmp_path: Path) -> None:
    """A full disk, simulated with a file-size limit so the blob write fails half-way."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4 << 20))
    before = snapshot(vault_dir)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = subprocess.run(
        [sys.executable, "-m", "intake", "--vault", str(vault_dir), "add", str(big)],
        capture_output=True, text=True, env=cli_env(tmp_path), preexec_fn=limit, timeout=120,
    )
    assert result.returncode == 2, result.stderr
    one_error_line(result)
    assert snapshot(vault_dir) == before
    assert not list((vault_dir / "blobs").iterdir())


def test_ledger_verify_and_checkpoint(cli, vault_dir: Path, tmp_path: Path) -> None:
    assert cli("--vault", vault_dir, "ledger", "checkpoint").returncode == 2  # empty ledger
    (tmp_path / "a.txt").write_text("a")
    assert cli("--vault", vault_dir, "add", tmp_path / "a.txt").returncode == 0
    checkpoint = cli("--vault", vault_dir, "ledger", "checkpoint", passphrase=None)
    lines = checkpoint.stdout.split("\n")
    assert lines[0].startswith("intake.ledger/") and lines[1] == "1" and lines[3] == ""
    assert lines[4].startswith("\u2014 " + lines[0] + " ")
    plain = cli("--vault", vault_dir, "ledger", "verify", passphrase=None)
    assert plain.returncode == 0 and "not opened" in plain.stdout
    full = cli("--vault", vault_dir, "ledger", "verify")
    assert full.returncode == 0 and "1 entries opened" in full.stdout


def test_concurrent_adds_are_serialized(vault_dir: Path, tmp_path: Path) -> None:
    batches = []
    for name in ("left", "right"):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(4):
            (folder / f"{i}.bin").write_bytes(os.urandom(200_000))
        batches.append(folder)
    env = cli_env(tmp_path)
    children = [
        subprocess.Popen([sys.executable, "-m", "intake", "--vault", str(vault_dir), "add", str(folder)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for folder in batches
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    items = [line.split()[0] for out, _ in outputs for line in out.splitlines() if line.startswith("itm_")]
    shown = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault_dir), "ledger", "show", "--json"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert sorted(e["item"] for e in json.loads(shown.stdout)["entries"]) == sorted(items)
    assert len(items) == 8


def test_links_in_folders_are_skipped_and_vault_refused(cli, vault_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "real.txt").write_text("real")
    (folder / "loop").symlink_to(folder)
    (folder / "elsewhere.txt").symlink_to("/etc/hostname")
    result = cli("--vault", vault_dir, "add", folder)
    assert result.returncode == 0, result.stderr
    assert len([l for l in result.stdout.splitlines() if l.startswith("itm_")]) == 1
    assert "drop/real.txt" in result.stdout
    assert result.stderr.count("skipped symbolic link") == 2
    before = snapshot(vault_dir)
    inside = cli("--vault", vault_dir, "add", vault_dir / "blobs")
    assert inside.returncode == 2 and "vault itself" in one_error_line(inside)
    assert snapshot(vault_dir) == before


def test_hostile_names_in_errors_and_notes_are_escaped(cli, vault_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    os.mkfifo(folder / "evil\x1b[2J")
    refused = cli("--vault", vault_dir, "add", folder)
    assert refused.returncode == 2 and "\x1b" not in refused.stderr and "\\x1b[2J" in one_error_line(refused)
    (folder / "evil\x1b[2J").unlink()
    (folder / "ok.txt").write_text("fine")
    odd_note = os.fsdecode(b"note \xff")
    env = cli_env(tmp_path / "home")
    added = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault_dir), "add", str(folder),
                            "--note", odd_note], capture_output=True, env=env, timeout=120)
    assert added.returncode == 0, added.stderr


def test_sanitize_of_parent_folder_stays_inside_output(cli, tmp_path: Path) -> None:
    work = tmp_path / "deep" / "inner"
    work.mkdir(parents=True)
    from jpeg_builders import planted_jpeg
    (tmp_path / "deep" / "photo.jpg").write_bytes(planted_jpeg())
    out = work / "out"
    result = subprocess.run([sys.executable, "-m", "intake", "sanitize", "..", "-o", "out"], cwd=work,
                            capture_output=True, text=True, env=cli_env(tmp_path), timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert (out / "deep" / "photo.jpg").is_file()
    assert not (tmp_path / "photo.jpg").exists() and not (work / "photo.jpg").exists()


def test_zip_with_bomb_mimetype_is_sniffed_in_bounded_memory(cli, tmp_path: Path) -> None:
    import zipfile
    bomb = tmp_path / "bomb.odt"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" + b"\0" * (300 << 20))
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    result = subprocess.run([sys.executable, "-m", "intake", "inspect", str(bomb)], capture_output=True, text=True,
                            env=cli_env(tmp_path), preexec_fn=limit, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


@pytest.mark.parametrize("args", [
    ["export", "--all", "--w", "-o", "out"],
    ["verify", "bundle", "--allow"],
    ["inspect", "x.jpg", "--js"],
])
def test_abbreviated_options_are_refused(cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "unrecognized arguments" in result.stderr
