"""Bytes verbs for a module that streams: the small-file path held whole in memory.

(base.py has inspect_via_stream and sanitize_via_stream; this adds the
residue, whose bounded pieces are joined back into runs so that a value cut
in two by a piece boundary is still found by a plain `in` scan.)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from intake.formats.base import View


def joined(pieces: Iterator[View]) -> list[View]:
    """Consecutive pieces with the same `where` put back together into one view."""
    runs: list[View] = []
    for piece in pieces:
        if runs and runs[-1].where == piece.where:
            runs[-1] = View(piece.where, runs[-1].data + piece.data)
        else:
            runs.append(piece)
    return runs


def residue_via_stream(residue_stream: Callable[[BinaryIO], Iterator[View]], data: bytes) -> list[View]:
    return joined(residue_stream(io.BytesIO(data)))
