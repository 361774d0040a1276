"""The vocabulary the allow-list is written in: what kind of value a key may hold.

A role (the catalog, a page, a font...) lists the keys it keeps and, for each,
the kind of value; everything else is dropped by the rebuild (rebuild.py).
Kinds are plain records; rebuild.py gives them their meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Scalar:
    """Numbers, names, booleans, null, and arrays of them: never a string."""


@dataclass(frozen=True)
class Text:
    """A string kept because readers see it (comment text, a bookmark, a form value);
    `content` lists every such string, so the checks prove it unchanged."""


@dataclass(frozen=True)
class Pattern:
    """A string kept only when it matches: a language tag, a known font registry."""

    accepts: Callable[[bytes], bool]


@dataclass(frozen=True)
class Binary:
    """A string that is data a renderer reads, not text (an indexed colour table)."""


@dataclass(frozen=True)
class Role:
    """A dictionary or stream: the keys it keeps, each with the kind of its value."""

    name: str
    keys: Mapping[str, Kind] = field(default_factory=dict)
    shape: str = "dict"  # "dict", "stream" or "either"


@dataclass(frozen=True)
class Later:
    """A role named before it is defined (outline items hold outline items)."""

    name: str


@dataclass(frozen=True)
class ArrayOf:
    """An array whose items have this kind; items of another kind are removed."""

    item: Kind


@dataclass(frozen=True)
class Positional:
    """An array with a kind per position (a colour space, a destination); one item of
    the wrong kind drops the whole array."""

    items: tuple[Kind, ...]
    rest: Kind | None = None
    min_length: int = 1


@dataclass(frozen=True)
class MapOf:
    """A dictionary whose keys are names chosen by the writer (resource names, glyph
    names, appearance states), each value of this kind."""

    value: Kind


@dataclass(frozen=True)
class AnyOf:
    """The first of these kinds that fits the value's shape."""

    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class Dispatch:
    """A kind decided by the value itself (its /Subtype, /S, /Type or, for a colour
    space array, its first name); None drops it."""

    choose: Callable[[Any], Kind | None]


@dataclass(frozen=True)
class Reference:
    """An indirect object that keeps its place only if the walk reaches it through
    its own role elsewhere (a page named by an annotation's /P, an outline's /Prev)."""


@dataclass(frozen=True)
class Destination:
    """An explicit destination; named ones are replaced by the array they name."""


Kind = Union[Scalar, Text, Pattern, Binary, Role, Later, ArrayOf, Positional, MapOf, AnyOf, Dispatch, Reference,
             Destination]
