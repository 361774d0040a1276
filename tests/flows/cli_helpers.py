"""What the command-line tests check on every failure: one error line, and a vault left unchanged."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Every file of a vault with its content hash (the lock file is state, not data)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and p.name != "lock"
    }


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("intake: error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]
