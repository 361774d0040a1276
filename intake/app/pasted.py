"""Paths as a terminal pastes them when files are dropped on it, or as people type them.

Terminals and file managers paste `'/a/my file.pdf'`, `"/a/my file.pdf"`,
`/a/my\\ file.pdf` or `file:///a/my%20file.pdf`, several separated by spaces
or one per line. A line that names an existing path as it stands is taken
whole, so an unquoted path with spaces works too.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

from intake.errors import IntakeError


def absolute(typed: str) -> Path:
    """Where a typed target path points (relative: the folder intake started in), named in full
    in the question and the result."""
    return Path.cwd() / Path(typed.strip()).expanduser()


def pasted_paths(text: str) -> list[Path]:
    paths: list[Path] = []
    for line in text.splitlines():
        paths += _line_paths(line.strip())
    return paths


def _line_paths(line: str) -> list[Path]:
    if not line:
        return []
    whole = Path(line).expanduser()
    if whole.exists():
        return [whole]
    try:
        words = shlex.split(line)
    except ValueError:
        raise IntakeError("cannot read those paths: a quote is not closed") from None
    return [_path_of(word) for word in words]


def _path_of(word: str) -> Path:
    if not word.startswith("file:"):
        return Path(word).expanduser()
    uri = urlsplit(word)
    if uri.netloc not in ("", "localhost"):
        raise IntakeError("only files on this computer can be taken in (that file:// address names another host)")
    return Path(unquote(uri.path))
