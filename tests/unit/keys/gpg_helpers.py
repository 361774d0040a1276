"""A throwaway GnuPG home with real keys, for the OpenPGP bridge and the bundle signature tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def gpg(home: Path, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GNUPGHOME": str(home)}
    command = ["gpg", "--batch", "--no-tty", "--disable-dirmngr", *args]
    return subprocess.run(command, input=input, env=env, capture_output=True, check=check)


def fingerprint_of(home: Path, user_id: str) -> str:
    listing = gpg(home, "--with-colons", "--list-keys", f"={user_id}").stdout.decode()
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def new_key(home: Path, user_id: str, usage: str = "sign", expire: str = "never", *extra: str) -> str:
    gpg(home, "--passphrase", "", "--pinentry-mode", "loopback", *extra,
        "--quick-gen-key", user_id, "ed25519", usage, expire)
    return fingerprint_of(home, user_id)


def add_subkey(home: Path, fingerprint: str, algorithm: str, usage: str) -> None:
    gpg(home, "--passphrase", "", "--pinentry-mode", "loopback", "--quick-add-key", fingerprint, algorithm, usage,
        "never")


def make_home() -> Path:
    # Short, under /tmp: gpg-agent's socket path must stay under ~100 characters.
    return Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))


def agents_running(home: Path) -> bool:
    found = subprocess.run(["pgrep", "-f", f"gpg-agent --homedir {home}"], capture_output=True)
    return found.returncode == 0


def discard_home(home: Path) -> None:
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)
    deadline = time.monotonic() + 5  # the agent exits shortly after it is told to, not at once
    while agents_running(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not agents_running(home)
    shutil.rmtree(home, ignore_errors=True)
