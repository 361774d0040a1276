"""`intake` as a person starts it: in a real pseudo-terminal, 100x30, passphrase typed, Ctrl+Q."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from conftest import cli_env
from tuikit import PASSPHRASE, copy_vault


class Terminal:
    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, size: tuple[int, int] = (100, 30)) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                        start_new_session=True)
        os.close(slave)
        self.seen = b""

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            assert time.monotonic() < deadline, f"never saw {text!r}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    break
        assert text.encode() in self.seen, f"never saw {text!r}"

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def exit_code(self, timeout: float = 30) -> int:
        try:
            while self.process.poll() is None and select.select([self.master], [], [], 0.2)[0]:
                os.read(self.master, 65536)  # keep the terminal drained so the app can finish writing
        except OSError:
            pass
        code = self.process.wait(timeout)
        os.close(self.master)
        return code


def test_bare_intake_on_a_terminal_opens_the_app_and_ctrl_q_quits(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    home = tmp_path / "home"
    home.mkdir()
    env = cli_env(home, passphrase=None)
    terminal = Terminal([sys.executable, "-m", "intake", "--vault", str(vault)], env, tmp_path)
    terminal.wait_for("Unlock the vault")
    terminal.type(PASSPHRASE + "\r")
    for section in ("Intake", "Ledger", "Verify", "Export", "Keys"):
        terminal.wait_for(section)
    terminal.wait_for("unlocked at")
    terminal.type("\x11")  # Ctrl+Q
    assert terminal.exit_code() == 0
    assert PASSPHRASE.encode() not in terminal.seen  # typed, never echoed


def test_bare_intake_without_a_terminal_still_prints_usage(cli) -> None:
    result = cli()
    assert result.returncode == 2
    assert result.stderr.strip().endswith("intake: error: a command is needed (see `intake --help`)")


def test_intake_tui_is_in_the_help(cli) -> None:
    result = cli("--help")
    assert result.returncode == 0 and "tui" in result.stdout


def test_passphrase_file_unlocks_without_asking_and_the_environment_does_not(tmp_path: Path, template_vault) -> None:
    vault = copy_vault(template_vault[0], tmp_path / "vault")
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    by_file = Terminal([sys.executable, "-m", "intake", "--vault", str(vault), "--passphrase-file", str(secret),
                        "tui"], cli_env(home, passphrase=None), tmp_path)
    by_file.wait_for("unlocked at")
    by_file.type("\x11")
    assert by_file.exit_code() == 0
    by_environment = Terminal([sys.executable, "-m", "intake", "--vault", str(vault), "tui"],
                              cli_env(home, passphrase=PASSPHRASE), tmp_path)
    by_environment.wait_for("Unlock the vault")
    by_environment.type("\x11")
    assert by_environment.exit_code() == 0
