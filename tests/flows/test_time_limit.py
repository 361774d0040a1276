"""The per-file time budget: a file that takes longer is refused in one line, and the rest goes on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli_env
from intake import samples
from intake.budget import run_within
from intake.errors import TimeLimitExceeded
from intake.clean import clean_within
from intake.errors import Refused


def _sleep_then(value: str) -> str:
    time.sleep(30)
    return value


def _fail() -> None:
    raise Refused("the walker refused it")


def _crash() -> None:
    """A parser that dies (as a segfault in a C library would), without writing a core."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_work_past_its_budget_is_stopped_at_the_budget() -> None:
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="took longer than 0.5 s; refused"):
        run_within(0.5, _sleep_then, "late")
    assert time.monotonic() - started < 5


def test_results_and_refusals_come_back_and_a_crash_is_a_refusal() -> None:
    assert run_within(10, str.upper, "kept") == "KEPT"
    with pytest.raises(Refused, match="the walker refused it"):
        run_within(10, _fail)
    with pytest.raises(Refused, match="stopped abruptly"):
        run_within(10, _crash)


def test_cleaning_within_the_budget_gives_the_same_clean_copy() -> None:
    photo = samples.photo()
    from intake.clean import clean_bytes

    assert clean_within(photo, 60).data == clean_bytes(photo).data


def test_the_limit_is_set_by_the_environment_for_sanitize_and_add(tmp_path: Path, template_vault) -> None:
    import shutil

    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    photo.write_bytes(samples.photo())
    (tmp_path / "in" / "notes.txt").write_text("plain")
    env = {**cli_env(tmp_path), "INTAKE_TIME_LIMIT": "0.000001"}
    result = subprocess.run([sys.executable, "-m", "intake", "sanitize", str(photo), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "took longer than 1e-06 s; refused" in result.stdout
    assert not (tmp_path / "out" / "photo.jpg").exists()
    vault = tmp_path / "vault"
    shutil.copytree(template_vault[0], vault)
    added = subprocess.run([sys.executable, "-m", "intake", "--vault", str(vault), "add", str(tmp_path / "in")],
                           capture_output=True, text=True, env=env, timeout=120)
    assert added.returncode == 0, added.stderr
    assert "no clean copy: took longer than" in added.stdout
    bad = subprocess.run([sys.executable, "-m", "intake", "inspect", str(photo)], capture_output=True, text=True,
                         env={**env, "INTAKE_TIME_LIMIT": "soon"}, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "INTAKE_TIME_LIMIT" in bad.stderr
    normal = subprocess.run([sys.executable, "-m", "intake", "sanitize", str(photo), "-o", str(tmp_path / "out2")],
                            capture_output=True, text=True, env=cli_env(tmp_path), timeout=120)
    assert normal.returncode == 0 and (tmp_path / "out2" / "photo.jpg").is_file()
