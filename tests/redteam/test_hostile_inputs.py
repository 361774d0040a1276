"""Hostile inputs (issue 11, part 4): each gives one line and exit 1 or 2, and leaves the vault whole.

Real FIFOs (os.mkfifo), real devices (/dev/zero), real symbolic-link loops,
real file-size limits (RLIMIT_FSIZE, for a full disk), real submissions
resealed with a hostile manifest.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import cli_env, copy_vault
from intake.blobs import BLOB_NAME
from intake.errors import SubmissionRefused
from intake.bundle.receive import receive_submission
from intake.custody import read_entries
from intake.support.sniff import sniff_bytes, sniff_handle
from intake.takein.sources import Source, source_for
from intake.takein import TakenIn, NotTakenIn, take_in
from intake.vault import Vault
from bundle_helpers import reseal_bytes
from cli_helpers import one_error_line, snapshot


def run(*args: str | Path, env: dict[str, str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
    """A real `intake`; the timeout turns a hang into a failed test instead of a stuck suite."""
    return subprocess.run([sys.executable, "-m", "intake", *map(str, args)], capture_output=True, text=True,
                          input="", env=env, timeout=timeout, **kwargs)


@pytest.fixture
def vault_dir(tmp_path: Path, template_vault) -> Path:
    root = tmp_path / "vault"
    shutil.copytree(template_vault[0], root)
    return root


def blob_files(vault: Path) -> set[str]:
    return {p.name for p in (vault / "blobs").iterdir() if BLOB_NAME.match(p.name)}


def referenced_blobs(vault: Path, template_vault) -> set[str]:
    entries = read_entries(Vault.open(vault), template_vault[1])
    return {str(out["blob"]) for entry in entries for out in entry.outputs if "blob" in out}


# --- a zip that breaks the sniffer ----------------------------------------------------------


def corrupt_mimetype_zip() -> bytes:
    """An ODF-looking zip whose deflated `mimetype` member is not a valid deflate stream."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text" * 4, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    data = bytearray(buffer.getvalue())
    start = 30 + len("mimetype")  # no extra field: zipfile writes none here
    data[start] = 0xFF  # block type 3: "invalid block type"
    return bytes(data)


def test_a_corrupt_deflate_stream_does_not_break_sniffing(tmp_path: Path) -> None:
    data = corrupt_mimetype_zip()
    with pytest.raises(zipfile.zlib.error):
        zipfile.ZipFile(io.BytesIO(data)).read("mimetype")  # the trap is real
    assert sniff_bytes(data) == "application/zip"
    path = tmp_path / "bad.odt"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        assert sniff_handle(handle) == "application/zip"
        assert handle.tell() == 0


def test_add_takes_a_corrupt_zip_with_the_rest_and_leaves_no_orphan(vault_dir: Path, tmp_path: Path,
                                                                     template_vault) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-bad.odt").write_bytes(corrupt_mimetype_zip())
    (inbox / "b-notes.txt").write_text("after the bad one")
    result = run("--vault", vault_dir, "add", inbox, env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert len([line for line in result.stdout.splitlines() if line.startswith("itm_")]) == 2
    assert blob_files(vault_dir) == referenced_blobs(vault_dir, template_vault)


def test_a_file_swapped_for_a_fifo_is_refused_alone(unlocked, tmp_path: Path) -> None:
    """Listed as a file, a FIFO by the time it is read: refused, and the next file is taken in."""
    fifo = tmp_path / "swapped"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text("taken in")
    swapped = Source(fifo, "swapped", 10, Path("swapped"))
    results = list(take_in(unlocked.vault, unlocked.keyring, [swapped, source_for(good)]))
    assert isinstance(results[0], NotTakenIn) and "not a regular file" in results[0].reason
    assert isinstance(results[1], TakenIn)
    assert len(blob_files(unlocked.vault.root)) == 1


# --- FIFOs and endless devices wherever a path is read -----------------------------------------


@pytest.fixture(params=["fifo", "/dev/zero"])
def endless(request, tmp_path: Path) -> Path:
    if request.param == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        return path
    return Path(request.param)


@pytest.mark.parametrize("command", [
    ("--passphrase-file", "{}", "ledger", "show"),
    ("keys", "add-recipient", "{}", "--yes"),
    ("ledger", "verify", "--against", "{}"),
    ("receive", "{}"),
    ("receive", "--check", "{}"),
    ("verify", "--allow-unpinned", "{}"),
    ("verify", "--trust", "{}", "{}"),
    ("submit", "--all", "--to", "{}", "-o", "out.age"),
    ("add", "{}"),
    ("inspect", "{}"),
])
def test_fifos_and_devices_are_refused_at_once(vault_dir: Path, tmp_path: Path, endless: Path, command) -> None:
    before = snapshot(vault_dir)
    args = [str(endless) if part == "{}" else part for part in command]
    result = run("--vault", vault_dir, *args, env=cli_env(tmp_path), cwd=tmp_path, timeout=30)
    assert result.returncode in (1, 2), result.stderr
    one_error_line(result)
    assert snapshot(vault_dir) == before


def test_verify_since_a_fifo_is_refused(tmp_path: Path, journey: dict) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run("verify", "--allow-unpinned", "--since", fifo, journey["bundle"], env=cli_env(tmp_path), timeout=30)
    assert result.returncode == 2
    one_error_line(result)


# --- symbolic-link loops, unreadable and loose vaults -----------------------------------------------


@pytest.mark.parametrize("command", [
    ("add", "loop"), ("inspect", "loop"), ("sanitize", "a.txt", "-o", "loop"), ("sanitize", "loop", "-o", "out"),
    ("receive", "loop"), ("keys", "add-recipient", "loop"), ("ledger", "verify", "--against", "loop"),
    ("--passphrase-file", "loop", "ledger", "show"), ("verify", "loop"),
])
def test_a_symlink_loop_is_one_line(vault_dir: Path, tmp_path: Path, command) -> None:
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "a.txt").write_text("a")
    result = run("--vault", vault_dir, *command, env=cli_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "unexpected" not in one_error_line(result)


def test_a_vault_behind_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    result = run("--vault", tmp_path / "loop" / "vault", "ledger", "verify", env=cli_env(tmp_path))
    assert result.returncode == 2
    assert "unexpected" not in one_error_line(result)


def _as_nobody() -> None:
    os.setgid(65534)
    os.setuid(65534)


def _run_as_nobody(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The system's Python (nobody cannot enter root's home, where the test's Python may live),
    with this project and its installed libraries on the path."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 to run as another user")
    env = {**env, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                    *[p for p in sys.path if p.endswith("site-packages")]])}
    return subprocess.run([python, "-m", "intake", *map(str, args)], capture_output=True, text=True, input="",
                          env=env, timeout=60, cwd="/", preexec_fn=_as_nobody)


def test_a_vault_unreadable_to_the_user_is_one_line(vault_dir: Path, tmp_path: Path) -> None:
    """As root (who reads everything), the command runs as `nobody`, for whom the vault is closed."""
    vault_dir.chmod(0o700)
    if os.geteuid() == 0:
        result = _run_as_nobody("--vault", vault_dir, "ledger", "verify", env=cli_env(tmp_path))
    else:
        vault_dir.chmod(0)
        result = run("--vault", vault_dir, "ledger", "verify", env=cli_env(tmp_path))
        vault_dir.chmod(0o700)
    assert result.returncode == 2, result.stderr
    line = one_error_line(result)
    assert "unexpected" not in line and "Permission denied" in line


@pytest.mark.parametrize("folder", ["", "blobs", "keys", "partial"])
def test_a_vault_writable_by_others_is_refused(vault_dir: Path, tmp_path: Path, folder: str) -> None:
    (vault_dir / folder).chmod(0o777)
    (tmp_path / "a.txt").write_text("a")
    before = snapshot(vault_dir)
    result = run("--vault", vault_dir, "add", tmp_path / "a.txt", env=cli_env(tmp_path))
    assert result.returncode == 2
    assert f"chmod 700 {vault_dir / folder}".rstrip("/") in one_error_line(result)
    assert snapshot(vault_dir) == before
    (vault_dir / folder).chmod(0o700)
    assert run("--vault", vault_dir, "add", tmp_path / "a.txt", env=cli_env(tmp_path)).returncode == 0


# --- a full disk ------------------------------------------------------------------------------


def _small_files_only() -> None:
    """A full disk without root: writes past 1 MiB fail with EFBIG (SIGXFSZ ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def test_a_full_disk_while_submitting_is_one_line_and_leaves_no_file(vault_dir: Path, tmp_path: Path,
                                                                      editor_template) -> None:
    env = cli_env(tmp_path)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    assert run("--vault", vault_dir, "add", big, env=env).returncode == 0
    editor = tmp_path / "editor.pub"
    editor.write_text(editor_template[1].secret.export_public())
    out = tmp_path / "out"
    out.mkdir()
    result = run("--vault", vault_dir, "submit", "--all", "--to", editor, "-o", out / "s.age", env=env,
                 preexec_fn=_small_files_only)
    assert result.returncode == 2
    assert "unexpected" not in one_error_line(result)
    assert list(out.iterdir()) == []


def test_a_full_disk_while_sealing_a_clean_copy_is_one_line(vault_dir: Path, tmp_path: Path, template_vault) -> None:
    """The original fits, its clean copy's sealed blob does not (pyrage's EncryptError path)."""
    from intake import samples

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(samples.photo())
    env = cli_env(tmp_path)

    def tiny() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(photo.read_bytes()) + 4096,) * 2)

    result = run("--vault", vault_dir, "add", photo, env=env, preexec_fn=tiny)
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        assert "unexpected" not in one_error_line(result)
    assert run("--vault", vault_dir, "ledger", "verify", env=env).returncode == 0
    assert run("--vault", vault_dir, "add", tmp_path / "photo.jpg", env=env).returncode == 0
    assert blob_files(vault_dir) == referenced_blobs(vault_dir, template_vault)


# --- core dumps -----------------------------------------------------------------------------


def test_the_command_line_turns_core_dumps_off(tmp_path: Path) -> None:
    probe = ("import ctypes, resource, intake.cli\n"
             "try:\n    intake.cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
             "print(resource.getrlimit(resource.RLIMIT_CORE)[0], ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n")
    # A test that ran `main` in this process may already have lowered the hard limit to 0 for good;
    # then only the soft limit can be offered (and PR_GET_DUMPABLE, reset by exec, is still checked).
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    offered = 1 << 20 if hard == resource.RLIM_INFINITY else min(1 << 20, hard)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (offered, hard)))
    assert result.stdout.split()[-2:] == ["0", "0"], result.stdout + result.stderr


# --- submission manifests that break parsers or bind nothing ----------------------------------------


def _refused(journey: dict, tmp_path: Path, rewrite, reason: str) -> None:
    editor, keys = copy_vault((journey["editor"][0].root, journey["editor"][1]), tmp_path / "editor2")
    forged = reseal_bytes(journey, tmp_path / "forged.age", rewrite)
    before = snapshot(editor.root)
    with pytest.raises(SubmissionRefused, match=reason):
        receive_submission(editor, keys, forged)
    assert snapshot(editor.root) == before
    result = run("--vault", editor.root, "receive", forged, env=cli_env(tmp_path))
    assert result.returncode == 1
    assert "unexpected" not in one_error_line(result)


def _manifest_change(change):
    def rewrite(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["id"] = "sub_cccccccccccccccc"
        change(manifest)
        return json.dumps(manifest).encode()

    return rewrite


def test_a_deeply_nested_manifest_is_refused(journey: dict, tmp_path: Path) -> None:
    depth = 200_000
    deep = b'{"type":"intake-submission/v1","entries":' + b"[" * depth + b"]" * depth + b"}"
    _refused(journey, tmp_path, lambda _: deep, "malformed")


@pytest.mark.parametrize("proof", [{"index": 0}, 7, None, ["a"]])
def test_a_proof_of_the_wrong_json_type_is_refused(journey: dict, tmp_path: Path, proof) -> None:
    def change(manifest: dict) -> None:
        manifest["entries"][0]["proof"] = proof

    _refused(journey, tmp_path, _manifest_change(change), "malformed")


@pytest.mark.parametrize("value", [None, 12, "", "../x"])
def test_a_submission_id_that_binds_nothing_is_refused(journey: dict, tmp_path: Path, value) -> None:
    def change(manifest: dict) -> None:
        manifest["id"] = value

    _refused(journey, tmp_path, _manifest_change(change), "malformed")


def test_a_garbage_proof_extra_is_refused(journey: dict, tmp_path: Path) -> None:
    def change(manifest: dict) -> None:
        lines = manifest["entries"][0]["proof"].split("\n")
        at = next(i for i, line in enumerate(lines) if line.startswith("extra "))
        lines[at] = "extra " + "QUJD" * 10
        manifest["entries"][0]["proof"] = "\n".join(lines)

    _refused(journey, tmp_path, _manifest_change(change), "proof")


def test_blobs_sealed_must_be_a_boolean(journey: dict, tmp_path: Path) -> None:
    def change(manifest: dict) -> None:
        manifest["blobs_sealed"] = "no"

    _refused(journey, tmp_path, _manifest_change(change), "malformed")
