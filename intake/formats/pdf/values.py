"""Plain-words renderings of PDF values for findings (text, file names, actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pikepdf import Array, Name, Stream, String

from intake.formats.base import Category, categorise
from intake.errors import Refused
from intake.formats.pdf.decoding import Budget, decoded, is_dict


# Dictionaries and arrays visited in one walk; a real PDF has far fewer.
MAX_NODES = 2_000_000


@dataclass
class NodeBudget:
    """Counts what one walk visits, so that no file makes it run without end."""

    visited: int = 0

    def visit(self) -> None:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise Refused("the PDF has too many objects to check")

# Annotations removed whole: an attached file, a voice recording.
REMOVED_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound"})

INFO_CATEGORY = {
    "/Author": Category.PERSON, "/Creator": Category.SOFTWARE, "/Producer": Category.SOFTWARE,
    "/CreationDate": Category.TIME, "/ModDate": Category.TIME,
}
CUSTOM_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"GPS|Location|Latitude|Longitude|City|Country|Address", re.I), Category.LOCATION),
    (re.compile(r"Author|Company|Manager|Owner|User|Person|Name|Mail|Contact|Rights|Copyright|Editor", re.I),
     Category.PERSON),
    (re.compile(r"Device|Machine|Host|Computer|Scanner|Camera|Model|Make|Serial|Printer", re.I), Category.DEVICE),
    (re.compile(r"Date|Time", re.I), Category.TIME),
    (re.compile(r"Creator|Producer|Software|Application|Tool|Version|Generator|Banner", re.I), Category.SOFTWARE),
)

# --- helpers for values --------------------------------------------------------


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def as_text(value: Any) -> str:
    if isinstance(value, String):
        try:
            return str(value)
        except Exception:  # an undecodable string still gets reported
            return bytes(value).decode("latin-1")
    if isinstance(value, Name):
        return str(value)[1:]
    if isinstance(value, (bool, int, float)):
        return str(value)
    return "(structured value)"


def hex_text(value: Any) -> str:
    return bytes(value).hex() if isinstance(value, String) else as_text(value)


def key_category(key: str) -> Category:
    if key in INFO_CATEGORY:
        return INFO_CATEGORY[key]
    return categorise(key, CUSTOM_RULES)


def stream_text(value: Any, budget: Budget) -> str:
    if isinstance(value, Stream):
        data = decoded(value, budget)[:4096]
        return data.decode("utf-16", "replace") if data.startswith((b"\xfe\xff", b"\xff\xfe")) else data.decode("latin-1")
    return as_text(value)


def file_name(spec: Any) -> str:
    if isinstance(spec, String):
        return as_text(spec)
    if is_dict(spec):
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if isinstance(spec.get(key), String):
                return as_text(spec.get(key))
    return "unnamed"


def tree_keys(tree: Any, limit: int = 20) -> list[str]:
    """The first keys of a name tree (loops and depth bounded by a node budget)."""
    keys: list[str] = []
    stack, budget, seen = [tree], 1000, set()
    while stack and budget and len(keys) < limit:
        node, budget = stack.pop(), budget - 1
        if not is_dict(node) or (node.is_indirect and node.objgen in seen):
            continue
        seen.add(node.objgen)
        names = node.get("/Names")
        if isinstance(names, Array):
            keys.extend(as_text(names[index]) for index in range(0, min(len(names), 2 * limit), 2))
        kids = node.get("/Kids")
        stack.extend(kids if isinstance(kids, Array) else ())
    return keys[:limit]


def action_type(value: Any) -> str | None:
    """The /S of an action dictionary, or None for anything else (a destination array)."""
    if not is_dict(value):
        return None
    subtype = value.get("/S")
    return str(subtype) if isinstance(subtype, Name) else None


def action_detail(action: Any, budget: Budget) -> str:
    kind = action_type(action)
    if kind == "/JavaScript":
        return stream_text(action.get("/JS"), budget)
    if kind == "/URI":
        return as_text(action.get("/URI"))
    if kind == "/Launch" and is_dict(action.get("/Win")):
        return file_name(action.get("/Win"))
    if "/F" in action:
        return file_name(action.get("/F"))
    return (kind or "/unknown")[1:]


def is_annotation(values: dict[str, Any]) -> bool:
    if values.get("/Type") == Name.Annot:
        return True
    subtype = values.get("/Subtype")
    return isinstance(subtype, Name) and str(subtype) in ANNOTATION_TYPES and "/Rect" in values


ANNOTATION_TYPES = frozenset({
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight",
    "/Underline", "/Squiggly", "/StrikeOut", "/Caret", "/Stamp", "/Ink", "/Popup", "/FileAttachment", "/Sound",
    "/Movie", "/Screen", "/Widget", "/PrinterMark", "/TrapNet", "/Watermark", "/3D", "/Redact", "/Projection",
    "/RichMedia",
})
