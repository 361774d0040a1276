"""What the checks compare: `views` (every byte string a reader can reach) and
`content` (what must survive cleaning unchanged: page streams, what they draw,
and the text kept outside the pages)."""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array, Name, Stream, String

from intake.formats.base import Refused, View
from intake.formats.pdf.decoding import Budget, decoded, guarded, is_dict, open_pdf
from intake.formats.pdf.images import image_digest, jpeg_views
from intake.formats.pdf.values import MAX_NODES, REMOVED_ANNOTATIONS, action_type, as_text
from intake.formats.pdf.walk import inherited_value, xobjects_of


MAX_FORM_DEPTH = 32
# Bookmarks, form fields and annotations per page listed by `content`.
MAX_LISTED_TEXTS = 100_000

@guarded
def views(data: bytes) -> list[View]:
    budget = Budget()
    found = [View("the file", data)]
    with open_pdf(data) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, Stream):
                number, generation = obj.objgen
                found.append(View(f"stream {number} {generation} R, decompressed", decoded(obj, budget)))
                found.extend(jpeg_views(obj, budget))
        found.append(View("every text string and name in the PDF", strings_view(pdf, budget)))
    return found


def strings_view(pdf: pikepdf.Pdf, budget: Budget) -> bytes:
    """Strings as stored and as decoded text (UTF-8), so a value is found whatever the encoding."""
    parts: list[bytes] = []
    stack: list[Any] = [pdf.trailer, *pdf.objects]
    visited = 0
    while stack:
        obj = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise Refused("the PDF has too many objects to check")
        if isinstance(obj, String):
            parts.extend((bytes(obj), as_text(obj).encode("utf-8")))
        elif isinstance(obj, Name):
            parts.append(str(obj).encode("utf-8", "replace"))
        elif isinstance(obj, Array):
            stack.extend(item for item in obj if not getattr(item, "is_indirect", False))
        elif is_dict(obj):
            parts.extend(key.encode("utf-8", "replace") for key in obj.keys())
            stack.extend(v for v in (obj.get(k) for k in obj.keys()) if not getattr(v, "is_indirect", False))
    joined = b"\n".join(parts)
    budget.spend(len(joined))
    return joined


@guarded
def content(data: bytes) -> list[bytes]:
    """Page count, each page's content streams, the form XObjects (their streams) and
    images (a digest of their data) the pages draw, in drawing-name order; then the
    text kept outside the pages: comments, link targets, bookmarks, form values."""
    budget = Budget()
    with open_pdf(data) as pdf:
        pages = list(pdf.pages)
        found = [f"pages: {len(pages)}".encode()]
        drawn: set[tuple[int, int]] = set()
        for page in pages:
            found.append(page_streams(page.obj, budget))
            found.extend(drawn_objects(inherited_value(page.obj, "/Resources"), drawn, budget, 0))
            found.extend(annotation_text(page.obj))
        found.extend(outline_text(pdf.Root))
        found.extend(form_text(pdf.Root))
    return found


def first_visit(obj: Any, seen: set[tuple[int, int]]) -> bool:
    """False for an indirect object met before (a loop); direct objects cannot loop."""
    if not obj.is_indirect:
        return True
    if obj.objgen in seen:
        return False
    seen.add(obj.objgen)
    return True


def kept_string(label: bytes, value: Any) -> list[bytes]:
    """A kept string as stored and as text, so the orchestrator knows it is content."""
    if not isinstance(value, String):
        return []
    return [label + bytes(value) + b"\x00" + as_text(value).encode("utf-8")]


def annotation_text(page: Any) -> list[bytes]:
    annotations = page.get("/Annots")
    found: list[bytes] = []
    for annotation in list(annotations)[:MAX_LISTED_TEXTS] if isinstance(annotations, Array) else []:
        subtype = str(annotation.get("/Subtype")) if is_dict(annotation) else ""
        if not subtype or subtype in REMOVED_ANNOTATIONS or subtype == "/Popup":
            continue  # removed, or showing another annotation's text
        found.extend(kept_string(b"annotation: ", annotation.get("/Contents")))
        action = annotation.get("/A")
        if action_type(action) == "/URI":
            found.extend(kept_string(b"link: ", action.get("/URI")))
    return found


def outline_text(root: Any) -> list[bytes]:
    outlines = root.get("/Outlines")
    stack, seen, found = [outlines.get("/First")] if is_dict(outlines) else [], set(), []
    for _ in range(MAX_LISTED_TEXTS):
        if not stack:
            break
        item = stack.pop()
        if not is_dict(item) or not first_visit(item, seen):
            continue
        found.extend(kept_string(b"bookmark: ", item.get("/Title")))
        stack.extend((item.get("/Next"), item.get("/First")))
    return found


def form_text(root: Any) -> list[bytes]:
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if is_dict(form) else None
    stack, seen, found = list(fields) if isinstance(fields, Array) else [], set(), []
    for _ in range(MAX_LISTED_TEXTS):
        if not stack:
            break
        field_ = stack.pop()
        if not is_dict(field_) or not first_visit(field_, seen):
            continue
        found.extend(kept_string(b"field: ", field_.get("/T")))
        if field_.get("/FT") != Name.Sig:  # a signature is removed, not kept
            found.extend(kept_string(b"value: ", field_.get("/V")))
        kids = field_.get("/Kids")
        stack.extend(kids if isinstance(kids, Array) else ())
    return found


def page_streams(page: Any, budget: Budget) -> bytes:
    contents = page.get("/Contents")
    if isinstance(contents, Stream):
        return decoded(contents, budget)
    if isinstance(contents, Array):
        return b"".join(decoded(item, budget) for item in contents if isinstance(item, Stream))
    return b""


def drawn_objects(resources: Any, drawn: set[tuple[int, int]], budget: Budget, depth: int) -> list[bytes]:
    if depth > MAX_FORM_DEPTH:
        raise Refused("form XObjects are nested too deeply")
    found = []
    for name, xobject in xobjects_of(resources):
        if xobject.objgen in drawn:
            continue
        drawn.add(xobject.objgen)
        if xobject.get("/Subtype") == Name.Form:
            found.append(b"form " + name.encode() + b"\n" + decoded(xobject, budget))
            found.extend(drawn_objects(xobject.get("/Resources"), drawn, budget, depth + 1))
        else:
            found.append(b"image " + name.encode() + b" " + image_digest(xobject, budget))
    return found


