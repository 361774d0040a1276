"""The walk over every dictionary and stream reachable from some roots, each once,
and the survey it fills: findings and the edits that remove them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pikepdf import Array, Name, Stream

from intake.formats.base import Category, Finding, shorten
from intake.formats.pdf.decoding import Budget, is_container, is_dict
from intake.formats.pdf.values import NodeBudget, is_annotation


# Keys of these dictionaries are names chosen by the writer (resource names,
# glyph names), not PDF keys: no key rule may touch them.
WRITER_NAMED = frozenset({
    "/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/Properties", "/Dests",
    "/RoleMap", "/ClassMap", "/Colorants", "/CharProcs", "/Schema", "/CI",
})


@dataclass(frozen=True)
class Node:
    """A dictionary or stream met in the walk, with its entries read once (pikepdf
    look-ups are slow; the rules only consult this Python dict)."""

    obj: Any  # the pikepdf Dictionary or Stream, for the edits
    values: dict[str, Any]
    label: str  # where it is, in plain words ("page 2", "an image")
    via: str = ""  # the key it was reached through
    catalog: bool = False

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def name(self, key: str) -> str:
        value = self.values.get(key)
        return str(value) if isinstance(value, Name) else ""

    @property
    def writer_named(self) -> bool:
        """Its keys are resource or glyph names chosen by the writer, not PDF keys."""
        return self.via in WRITER_NAMED


@dataclass
class Survey:
    """Findings and the edits that remove them, collected in one walk."""

    budget: Budget
    findings: list[Finding] = field(default_factory=list)
    edits: list[Callable[[], None]] = field(default_factory=list)
    last: list[Callable[[], None]] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)

    def found(self, category: Category, name: str, value: str, where: str) -> None:
        self.findings.append(Finding(category, name, shorten(value), where))

    def drop(self, holder: Any, key: str) -> None:
        self.edits.append(functools.partial(delete, holder, key))

    def put_last(self, holder: Any, key: str, value: Any) -> None:
        """For a rebuilt array: after the edits of the items it keeps (they may be direct copies)."""
        self.last.append(functools.partial(holder.__setitem__, key, value))

    def apply(self) -> None:
        for edit in self.edits + self.last:
            edit()


def delete(holder: Any, key: str) -> None:
    if key in holder:
        del holder[key]


@dataclass(frozen=True)
class Pending:
    obj: Any
    label: str
    via: str = ""
    catalog: bool = False


def walk(roots: list[Pending], survey: Survey, labels: dict[tuple[int, int], str]) -> Iterator[Node]:
    """Every dictionary and stream reachable from `roots`, each indirect object once (loops end)."""
    stack = list(reversed(roots))
    budget = NodeBudget()
    while stack:
        pending = stack.pop()
        budget.visit()
        obj, label = pending.obj, pending.label
        if obj.is_indirect:
            if obj.objgen in survey.seen:
                continue
            survey.seen.add(obj.objgen)
            label = labels.get(obj.objgen, label)
        if isinstance(obj, Array):
            children = [("", item) for item in obj]
        else:
            children = list(obj.items())  # .get fails for a key that is not UTF-8
            values = dict(children)
            if not (obj.is_indirect and obj.objgen in labels):
                label = describe(values, label)
            yield Node(obj, values, label, pending.via, pending.catalog)
        for key, value in reversed(children):
            if is_container(value):
                stack.append(Pending(value, label, key))
            elif getattr(value, "is_indirect", False):
                survey.seen.add(value.objgen)  # an indirect string or number is in use too


def describe(values: dict[str, Any], inherited: str) -> str:
    kind, subtype = values.get("/Type"), values.get("/Subtype")
    if subtype == Name.Image:
        return "an image"
    if subtype == Name.Form:
        return "a form XObject"
    if kind in (Name.Font, Name.FontDescriptor):
        return "a font"
    if kind == Name.Pages:
        return "the page tree"
    if is_annotation(values):
        return f"an annotation on {inherited}" if inherited.startswith("page") else "an annotation"
    if kind == Name.Filespec:
        return "an attached file"
    if kind == Name.Sig:
        return "a digital signature"
    return inherited


def place_labels(pdf: pikepdf.Pdf) -> dict[tuple[int, int], str]:
    """Plain-words places for pages and what they show, computed before the walk."""
    labels = {pdf.Root.objgen: "the document"}
    for number, page in enumerate(pdf.pages, 1):
        obj = page.obj
        labels.setdefault(obj.objgen, f"page {number}")
        annotations = obj.get("/Annots")
        for annotation in annotations if isinstance(annotations, Array) else ():
            if is_dict(annotation) and annotation.is_indirect:
                labels.setdefault(annotation.objgen, f"an annotation on page {number}")
        for name, xobject in xobjects_of(inherited_value(obj, "/Resources")):
            kind = "image" if xobject.get("/Subtype") == Name.Image else "form XObject"
            labels.setdefault(xobject.objgen, f"{kind} {name} on page {number}")
    return labels


def inherited_value(page: Any, key: str) -> Any:
    """A page attribute, looked up through /Parent as PDF inheritance says (loops end)."""
    node, seen = page, set()
    for _ in range(64):
        if not is_dict(node) or node.objgen in seen:
            return None
        if key in node:
            return node.get(key)
        seen.add(node.objgen)
        node = node.get("/Parent")
    return None


def xobjects_of(resources: Any) -> list[tuple[str, Any]]:
    xobjects = resources.get("/XObject") if is_dict(resources) else None
    if not is_dict(xobjects):
        return []
    pairs = sorted(xobjects.items(), key=lambda pair: pair[0])
    return [(key, value) for key, value in pairs if isinstance(value, Stream)]


