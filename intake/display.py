"""Text from outside (file names, notes) shown and recorded as data."""

from __future__ import annotations


def printable(text: str) -> str:
    """Escape what a terminal would obey: control characters and escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def recordable(text: str) -> str:
    """Names and arguments that are not UTF-8 are kept, their odd bytes escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
