"""What every format module offers: two verbs, plus two views used to check them.

A format module (jpeg.py, pdf.py, ...) exposes, at module level:

    NAME: str                                   "JPEG"
    MEDIA_TYPES: tuple[str, ...]                as intake.support.sniff.sniff returns them
    inspect(data: bytes) -> list[Finding]       everything that would be removed; nothing written
    sanitize(data: bytes) -> bytes              the clean copy; raises Refused when it cannot be complete
    views(data: bytes) -> list[View]            every byte string a reader could reach after full
                                                decompression (zip members, PDF streams, zTXt...)
    content(data: bytes) -> list[bytes]         what must survive cleaning unchanged (JPEG scan data,
                                                decoded pixels or IDAT, PDF page streams, document text)

`inspect` reports only what `sanitize` removes: after cleaning, `inspect` of
the clean copy must be empty. That is how intake.clean checks the work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol



class Category(str, Enum):
    LOCATION = "location"
    DEVICE = "device"
    PERSON = "person"
    TIME = "time"
    SOFTWARE = "software"
    HIDDEN = "hidden content"
    OTHER = "other"


# Worst first: this order is how findings are listed to a user.
SEVERITY = (Category.LOCATION, Category.PERSON, Category.DEVICE, Category.HIDDEN,
            Category.TIME, Category.SOFTWARE, Category.OTHER)


@dataclass(frozen=True)
class Finding:
    category: Category
    field: str
    value: str
    where: str

    def to_dict(self) -> dict[str, str]:
        return {"category": self.category.value, "field": self.field, "value": self.value, "where": self.where}


@dataclass(frozen=True)
class View:
    """Bytes a reader can reach, and where they came from (for messages)."""

    where: str
    data: bytes


class FormatModule(Protocol):
    NAME: str
    MEDIA_TYPES: tuple[str, ...]
    inspect: Callable[[bytes], list[Finding]]
    sanitize: Callable[[bytes], bytes]
    views: Callable[[bytes], list[View]]
    content: Callable[[bytes], list[bytes]]


def shorten(text: str, limit: int = 200) -> str:
    """A finding's value on one line, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nonzero_outside(data: bytes, spans: list[tuple[int, int]], start: int = 0) -> int:
    """How many non-zero bytes of data[start:] no (start, end) span covers: room to hide something."""
    hidden, position = 0, start
    for span_start, span_end in sorted(spans) + [(len(data), len(data))]:
        if span_start > position:
            gap = data[position:span_start]
            hidden += len(gap) - gap.count(0)
        position = max(position, span_end)
    return hidden


CategoryRules = tuple[tuple[re.Pattern[str], Category], ...]


def categorise(name: str, rules: CategoryRules, default: Category = Category.OTHER) -> Category:
    """The category of the first rule whose pattern is found in a field's name."""
    for pattern, category in rules:
        if pattern.search(name):
            return category
    return default


def gps_decimal(degrees: float, minutes: float, seconds: float, reference: str) -> float:
    value = degrees + minutes / 60 + seconds / 3600
    return -value if reference.upper() in ("S", "W") else value


def format_coordinates(latitude: float, longitude: float) -> str:
    return f"{latitude:.6f}, {longitude:.6f}"
