"""Running a bundle's VERIFY.txt recipe as a stranger would: a clean environment, step by step."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from intake.bundle.recipe import SCRIPT_FILE, recipe_commands

STRANGER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class StepRun:
    title: str
    returncode: int
    output: str


def stranger_env(home: Path) -> dict[str, str]:
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "PATH": STRANGER_PATH, "TMPDIR": str(home / "tmp"), "LC_ALL": "C.UTF-8"}


def run_recipe(bundle: Path, home: Path) -> list[StepRun]:
    """Every step of VERIFY.txt: its command lines, as written, in one bash per step, in the bundle's folder.

    A step fails when one of its command lines exits non-zero; every line runs, as a reader would run them.
    """
    runs = []
    env = stranger_env(home)
    for title, commands in recipe_commands((bundle / "VERIFY.txt").read_text()):
        assert commands, title
        each = "".join(f"{{ {command}\n}} || step_failed=1\n" for command in commands) + "exit ${step_failed:-0}\n"
        result = subprocess.run(["bash", "-o", "pipefail", "-c", each], cwd=bundle, env=env,
                                capture_output=True, text=True, timeout=300)
        runs.append(StepRun(title, result.returncode, result.stdout + result.stderr))
    return runs


def failed_steps(runs: list[StepRun]) -> list[str]:
    return [run.title for run in runs if run.returncode != 0]


def run_script(bundle: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The bundle's own verify_provenance.py, run by the system's python3 in a stranger's environment."""
    return subprocess.run(["python3", "-I", SCRIPT_FILE, *args], cwd=bundle, env=stranger_env(home),
                          capture_output=True, text=True, timeout=300)
