"""The allow-list rebuild: starting at the trailer, every object keeps only the keys
its role lists (roles.py), whatever its /Type says; values of the wrong kind go
with their key, array items of the wrong kind leave the array. What the walk
does not reach, pikepdf does not write.

Named destinations are replaced by the explicit destinations they name, so the
name tree that held them (and its names) can go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from intake.formats.pdf.decoding import is_dict
from intake.formats.pdf.kinds import (
    AnyOf, ArrayOf, Binary, Destination, Dispatch, Kind, Later, MapOf, Pattern, Positional, Reference, Role, Scalar,
    Text,
)
from intake.formats.pdf.roles import STREAM_KEYS, TRAILER, resolve
from intake.formats.pdf.values import NodeBudget

MAX_SCALAR_DEPTH = 32
MAX_DESTINATIONS = 100_000


@dataclass(frozen=True)
class Slot:
    """Where a value sits: a dictionary key or an array index."""

    holder: Any
    key: str | int

    def replace(self, value: Any) -> None:
        self.holder[self.key] = value


@dataclass
class Rebuild:
    destinations: dict[bytes, Any]
    pending: list[tuple[Any, Role]] = field(default_factory=list)
    seen: set[tuple[tuple[int, int], str]] = field(default_factory=set)
    walked: set[tuple[int, int]] = field(default_factory=set)
    references: list[tuple[Slot, tuple[int, int]]] = field(default_factory=list)
    nodes: NodeBudget = field(default_factory=NodeBudget)

    def run(self, trailer: Any) -> None:
        self.keep_only(trailer, TRAILER)
        while self.pending:
            obj, role = self.pending.pop()
            if obj.is_indirect:
                if (obj.objgen, role.name) in self.seen:
                    continue
                self.seen.add((obj.objgen, role.name))
                self.walked.add(obj.objgen)
            self.keep_only(obj, role)
        self.settle_references()

    def keep_only(self, obj: Any, role: Role) -> None:
        self.nodes.visit()
        allowed = {**STREAM_KEYS, **role.keys} if isinstance(obj, Stream) else role.keys
        for key, value in list(obj.items()):  # not .get: it fails for a key that is not UTF-8
            if key == "/Length" and isinstance(obj, Stream):
                continue  # qpdf writes every stream's length itself
            kind = allowed.get(key)
            if kind is None or not self.fits(value, kind, Slot(obj, key)):
                forget(obj, key)

    def fits(self, value: Any, kind: Kind, slot: Slot) -> bool:
        """Whether the value may stay; children it keeps are cleaned (now or later)."""
        kind = resolve(kind)
        if isinstance(kind, Dispatch):
            chosen = kind.choose(value) if is_dict(value) or isinstance(value, (Array, Name)) else None
            return chosen is not None and self.fits(value, chosen, slot)
        if isinstance(kind, AnyOf):
            option = next((option for option in kind.kinds if shaped(value, option)), None)
            return option is not None and self.fits(value, option, slot)
        if isinstance(kind, Role):
            if not shaped(value, kind):
                return False
            self.pending.append((value, kind))
            return True
        if isinstance(kind, ArrayOf):
            return isinstance(value, Array) and self.filter_items(value, kind.item)
        if isinstance(kind, Positional):
            return self.positional(value, kind)
        if isinstance(kind, MapOf):
            if not isinstance(value, Dictionary):
                return False
            for key, item in list(value.items()):
                if not self.fits(item, kind.value, Slot(value, key)):
                    forget(value, key)
            return True
        if isinstance(kind, Reference):
            return self.reference(value, slot)
        if isinstance(kind, Destination):
            return self.destination(value, slot)
        return shaped(value, kind)

    def filter_items(self, array: Any, item: Kind) -> bool:
        for index in reversed(range(len(array))):
            if not self.fits(array[index], item, Slot(array, index)):
                del array[index]
        return True

    def positional(self, value: Any, kind: Positional) -> bool:
        if not isinstance(value, Array) or not kind.min_length <= len(value):
            return False
        if len(value) > len(kind.items) and kind.rest is None:
            return False
        return all(self.fits(value[index], kind.items[index] if index < len(kind.items) else kind.rest,
                             Slot(value, index)) for index in range(len(value)))

    def reference(self, value: Any, slot: Slot) -> bool:
        if not (is_dict(value) and value.is_indirect):
            return False
        self.references.append((slot, value.objgen))
        return True

    def destination(self, value: Any, slot: Slot) -> bool:
        if isinstance(value, (Name, String)):
            target = self.destinations.get(destination_key(value))
            if target is None:
                return False
            value = Array(list(target))
            slot.replace(value)
        if not isinstance(value, Array) or not len(value):
            return False
        page = value[0]
        if not (isinstance(page, int) or self.reference(page, slot)):
            return False
        return all(is_scalar(value[index]) for index in range(1, len(value)))

    def settle_references(self) -> None:
        """A reference to what the walk did not reach in its own role goes (from an
        array, by identity: indices moved when items were removed)."""
        gone = {objgen for _, objgen in self.references if objgen not in self.walked}
        arrays: dict[int, Any] = {}
        for slot, objgen in self.references:
            if objgen not in gone:
                continue
            if isinstance(slot.key, int):
                arrays[id(slot.holder)] = slot.holder
            else:
                forget(slot.holder, slot.key)
        for array in arrays.values():
            for index in reversed(range(len(array))):
                item = array[index]
                if is_dict(item) and item.is_indirect and item.objgen in gone:
                    del array[index]


def forget(holder: Any, key: str) -> None:
    """Drop an entry; one whose value is null (a reference to nothing) is absent already."""
    try:
        del holder[key]
    except KeyError:
        pass


def shaped(value: Any, kind: Kind) -> bool:
    """Whether the value has the shape of the kind (nothing is changed)."""
    kind = resolve(kind) if isinstance(kind, Later) else kind
    if isinstance(kind, Scalar):
        return is_scalar(value)
    if isinstance(kind, Text):
        return isinstance(value, String) or is_scalar(value)
    if isinstance(kind, Pattern):
        return isinstance(value, String) and kind.accepts(bytes(value))
    if isinstance(kind, Binary):
        return isinstance(value, String)
    if isinstance(kind, Role):
        wanted = {"dict": (Dictionary,), "stream": (Stream,), "either": (Dictionary, Stream)}[kind.shape]
        return isinstance(value, wanted)
    if isinstance(kind, (ArrayOf, Positional)):
        return isinstance(value, Array)
    if isinstance(kind, MapOf):
        return isinstance(value, Dictionary)
    if isinstance(kind, AnyOf):
        return any(shaped(value, option) for option in kind.kinds)
    if isinstance(kind, Dispatch):
        chosen = kind.choose(value) if is_dict(value) or isinstance(value, (Array, Name)) else None
        return chosen is not None and shaped(value, chosen)
    if isinstance(kind, Reference):
        return is_dict(value) and value.is_indirect
    return isinstance(value, (Array, Name, String))  # a destination


def is_scalar(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, (bool, int, float, Decimal, Name)):
        return True
    if isinstance(value, Array) and depth < MAX_SCALAR_DEPTH:
        return all(is_scalar(item, depth + 1) for item in value)
    return False


def destination_key(value: Any) -> bytes:
    return str(value)[1:].encode("utf-8", "replace") if isinstance(value, Name) else bytes(value)


def named_destinations(pdf: pikepdf.Pdf) -> dict[bytes, Any]:
    """Every named destination (the catalog's /Dests and the /Names /Dests tree) as
    the explicit destination array it stands for."""
    found: dict[bytes, Any] = {}
    root = pdf.Root
    old_style = root.get("/Dests")
    if isinstance(old_style, Dictionary):
        for key, value in list(old_style.items())[:MAX_DESTINATIONS]:
            found[key[1:].encode("utf-8", "replace")] = value
    names = root.get("/Names")
    tree = names.get("/Dests") if is_dict(names) else None
    stack, budget, seen = [tree], MAX_DESTINATIONS, set()
    while stack and budget:
        node, budget = stack.pop(), budget - 1
        if not is_dict(node) or (node.is_indirect and node.objgen in seen):
            continue
        if node.is_indirect:
            seen.add(node.objgen)
        pairs = node.get("/Names")
        if isinstance(pairs, Array):
            for index in range(0, len(pairs) - 1, 2):
                if isinstance(pairs[index], (String, Name)):
                    found.setdefault(destination_key(pairs[index]), pairs[index + 1])
        kids = node.get("/Kids")
        stack.extend(kids if isinstance(kids, Array) else ())
    return {key: explicit for key, value in found.items() if (explicit := _explicit(value)) is not None}


def _explicit(value: Any) -> Any:
    if is_dict(value):
        value = value.get("/D")
    return value if isinstance(value, Array) and len(value) else None


def apply_allow_list(pdf: pikepdf.Pdf) -> None:
    Rebuild(named_destinations(pdf)).run(pdf.trailer)
