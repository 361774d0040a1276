"""Paths inside a bag: which names are safe, how they compare, how they are shown.

Shared by the writer, the manifest parser and the readers of folders and
zips, so that all three agree on what may name a file inside a bag.
"""

from __future__ import annotations

import re
import unicodedata

from intake.text import printable, recordable

_DRIVE = re.compile(r"^[A-Za-z]:")
_SHOWN_LENGTH = 120


def path_problem(path: str) -> str | None:
    """Why `path` cannot name a file inside a bag, or None when it can.

    A safe path is relative, POSIX, and cannot climb out of the bag on any
    system a reader might unpack it on: no leading slash or drive letter, no
    backslash (a separator on Windows), no NUL (C libraries cut the name
    there), no empty, `.` or `..` part.
    """
    if not path:
        return "is empty"
    if "\x00" in path:
        return "contains a NUL byte"
    if "\\" in path:
        return "contains a backslash"
    if path.startswith("/"):
        return "is absolute"
    if _DRIVE.match(path):
        return "starts with a drive letter"
    parts = path.split("/")
    if "" in parts:
        return "has an empty part"
    if "." in parts or ".." in parts:
        return "has a . or .. part"
    return None


def fold(path: str) -> str:
    """The form under which two names are the same file on macOS or Windows."""
    return unicodedata.normalize("NFC", path).casefold()


def parents(path: str) -> list[str]:
    """Every folder above `path`: "a/b/c" gives ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:count]) for count in range(1, len(parts))]


def shown(path: str) -> str:
    """A name from a bag, safe to print: escaped, and cut short if long."""
    text = printable(recordable(path))
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"
