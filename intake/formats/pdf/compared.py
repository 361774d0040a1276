"""What the checks compare: `views` (every byte string a reader can reach) and
`content` (what must survive cleaning unchanged: page streams, what they draw,
and the text kept outside the pages)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pikepdf
from pikepdf import Array, Name, Stream, String

from intake.formats.shared import icc
from intake.errors import Refused
from intake.formats.base import View
from intake.formats.pdf.decoding import Budget, decoded, guarded, is_dict, reading
from intake.formats.pdf.images import image_digest, jpeg_views
from intake.formats.pdf.roles import KEPT_ANNOTATIONS
from intake.formats.pdf.values import NodeBudget, action_type, as_text
from intake.formats.pdf.walk import inherited_value, xobjects_of


MAX_FORM_DEPTH = 32
# Bookmarks, form fields and annotations per page listed by `content`.
MAX_LISTED_TEXTS = 100_000


@guarded
def views(data: bytes) -> list[View]:
    return _reachable(data, standard_profiles=True)


@guarded
def residue(data: bytes) -> list[View]:
    """The views without published standard ICC profiles: their texts ("sRGB
    IEC61966-2.1") are the same in millions of files and name only the publisher, so
    a value removed elsewhere that is also found there is not a leftover."""
    return _reachable(data, standard_profiles=False)


def _reachable(data: bytes, standard_profiles: bool) -> list[View]:
    with reading(data) as pdf:
        return [View("the file", data), *reachable_views(pdf, Budget(), standard_profiles)]


def reachable_views(pdf: pikepdf.Pdf, budget: Budget, standard_profiles: bool) -> Iterator[View]:
    """Every stream decompressed, one at a time, then every string and name."""
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            number, generation = obj.objgen
            stream = decoded(obj, budget)
            if standard_profiles or not is_standard_profile(stream):
                yield View(f"stream {number} {generation} R, decompressed", stream)
            yield from jpeg_views(obj, budget)
    yield View("every text string and name in the PDF", strings_view(pdf, budget))


def is_standard_profile(data: bytes) -> bool:
    return data[36:40] == b"acsp" and icc.is_standard(data)


def strings_view(pdf: pikepdf.Pdf, budget: Budget) -> bytes:
    """Strings as stored and as decoded text (UTF-8), so a value is found whatever the encoding."""
    parts: list[bytes] = []
    stack: list[Any] = [pdf.trailer, *pdf.objects]
    nodes = NodeBudget()
    while stack:
        obj = stack.pop()
        nodes.visit()
        if isinstance(obj, String):
            parts.extend((bytes(obj), as_text(obj).encode("utf-8")))
        elif isinstance(obj, Name):
            parts.append(str(obj).encode("utf-8", "replace"))
        elif isinstance(obj, Array):
            stack.extend(item for item in obj if not getattr(item, "is_indirect", False))
        elif is_dict(obj):
            entries = list(obj.items())
            parts.extend(key.encode("utf-8", "replace") for key, _ in entries)
            stack.extend(value for _, value in entries if not getattr(value, "is_indirect", False))
    joined = b"\n".join(parts)
    budget.spend(len(joined))
    return joined


@guarded
def content(data: bytes) -> list[bytes]:
    """Page count, each page's content streams, the form XObjects (their streams) and
    images (a digest of their data) the pages draw, in drawing-name order; then the
    text kept outside the pages (see `texts_outside_pages`)."""
    with reading(data) as pdf:
        return list(content_parts(pdf, Budget()))


def content_parts(pdf: pikepdf.Pdf, budget: Budget) -> Iterator[bytes]:
    """content's parts one at a time: a big file's page streams are never all held."""
    pages = list(pdf.pages)
    yield f"pages: {len(pages)}".encode()
    drawn: set[tuple[int, int]] = set()
    for page in pages:
        yield page_streams(page.obj, budget)
        yield from drawn_objects(inherited_value(page.obj, "/Resources"), drawn, budget, 0)
    yield from (label + bytes(text) + b"\x00" + as_text(text).encode("utf-8")
                for label, text in texts_outside_pages(pdf))


Text = tuple[bytes, String]


def texts_outside_pages(pdf: pikepdf.Pdf) -> list[Text]:
    """The strings a reader sees outside the page streams, which cleaning keeps: comment
    text, link targets, button captions, bookmarks, form field names and values, page
    label prefixes and layer names (each labelled, so a move between them shows)."""
    found: list[Text] = []
    for page in pdf.pages:
        found.extend(annotation_texts(page.obj))
    root = pdf.Root
    found.extend(outline_texts(root))
    found.extend(form_texts(root))
    found.extend(page_label_texts(root))
    found.extend(layer_texts(root))
    return found


def kept_strings(pdf: pikepdf.Pdf) -> set[bytes]:
    return {bytes(text) for _, text in texts_outside_pages(pdf)}


def first_visit(obj: Any, seen: set[tuple[int, int]]) -> bool:
    """False for an indirect object met before (a loop); direct objects cannot loop."""
    if not obj.is_indirect:
        return True
    if obj.objgen in seen:
        return False
    seen.add(obj.objgen)
    return True


def strings_in(label: bytes, value: Any) -> list[Text]:
    """A string, or the strings of an array (a list box's choices, its selected values)."""
    if isinstance(value, String):
        return [(label, value)]
    if isinstance(value, Array):
        return [(label, item) for item in list(value)[:MAX_LISTED_TEXTS] if isinstance(item, String)]
    return []


def link_texts(holder: Any) -> list[Text]:
    action = holder.get("/A")
    return strings_in(b"link: ", action.get("/URI")) if action_type(action) == "/URI" else []


def annotation_texts(page: Any) -> list[Text]:
    annotations = page.get("/Annots")
    found: list[Text] = []
    for annotation in list(annotations)[:MAX_LISTED_TEXTS] if isinstance(annotations, Array) else []:
        subtype = str(annotation.get("/Subtype")) if is_dict(annotation) else ""
        if subtype not in KEPT_ANNOTATIONS and subtype != "/Widget" or subtype == "/Popup":
            continue  # removed, or showing another annotation's text
        found.extend(strings_in(b"annotation: ", annotation.get("/Contents")))
        found.extend(link_texts(annotation))
        if subtype == "/Widget":  # also when the form does not list it
            found.extend(field_texts(annotation))
    return found


def linked_items(first: Any, *next_keys: str) -> Iterator[Any]:
    """Bookmarks (or form fields) from the first, each once, at most MAX_LISTED_TEXTS."""
    stack, seen = list(first) if isinstance(first, Array) else [first], set()
    for _ in range(MAX_LISTED_TEXTS):
        if not stack:
            return
        item = stack.pop()
        if not is_dict(item) or not first_visit(item, seen):
            continue
        yield item
        for key in next_keys:
            following = item.get(key)
            stack.extend(following if isinstance(following, Array) else [following])


def outline_texts(root: Any) -> list[Text]:
    outlines = root.get("/Outlines")
    found: list[Text] = []
    for item in linked_items(outlines.get("/First") if is_dict(outlines) else None, "/Next", "/First"):
        found.extend(strings_in(b"bookmark: ", item.get("/Title")))
        found.extend(link_texts(item))
    return found


def form_texts(root: Any) -> list[Text]:
    form = root.get("/AcroForm")
    found: list[Text] = []
    for field_ in linked_items(form.get("/Fields") if is_dict(form) else None, "/Kids"):
        found.extend(field_texts(field_))
    return found


def field_texts(field_: Any) -> list[Text]:
    """A field's name, tooltip, values and choices, and its widget's text and button captions."""
    found = strings_in(b"field: ", field_.get("/T")) + strings_in(b"field tip: ", field_.get("/TU"))
    found.extend(strings_in(b"annotation: ", field_.get("/Contents")))
    look = field_.get("/MK")
    for key in ("/CA", "/RC", "/AC"):
        found.extend(strings_in(b"caption: ", look.get(key) if is_dict(look) else None))
    if field_.get("/FT") != Name.Sig:  # a signature is removed, not kept
        found.extend(strings_in(b"value: ", field_.get("/V")))
        found.extend(strings_in(b"default value: ", field_.get("/DV")))
    choices = field_.get("/Opt")
    for choice in list(choices)[:MAX_LISTED_TEXTS] if isinstance(choices, Array) else []:
        found.extend(strings_in(b"choice: ", choice))
    return found


def page_label_texts(root: Any) -> list[Text]:
    labels = root.get("/PageLabels")
    found: list[Text] = []
    for node in linked_items(labels, "/Kids"):
        numbers = node.get("/Nums")
        for entry in list(numbers)[:MAX_LISTED_TEXTS] if isinstance(numbers, Array) else []:
            found.extend(strings_in(b"page label: ", entry.get("/P") if is_dict(entry) else None))
    return found


def layer_texts(root: Any) -> list[Text]:
    properties = root.get("/OCProperties")
    layers = properties.get("/OCGs") if is_dict(properties) else None
    found: list[Text] = []
    for layer in list(layers)[:MAX_LISTED_TEXTS] if isinstance(layers, Array) else []:
        found.extend(strings_in(b"layer: ", layer.get("/Name") if is_dict(layer) else None))
    return found


def page_streams(page: Any, budget: Budget) -> bytes:
    contents = page.get("/Contents")
    if isinstance(contents, Stream):
        return decoded(contents, budget)
    if isinstance(contents, Array):
        return b"".join(decoded(item, budget) for item in contents if isinstance(item, Stream))
    return b""


def drawn_objects(resources: Any, drawn: set[tuple[int, int]], budget: Budget, depth: int) -> Iterator[bytes]:
    if depth > MAX_FORM_DEPTH:
        raise Refused("form XObjects are nested too deeply")
    for name, xobject in xobjects_of(resources):
        if xobject.objgen in drawn:
            continue
        drawn.add(xobject.objgen)
        if xobject.get("/Subtype") == Name.Form:
            yield b"form " + name.encode() + b"\n" + decoded(xobject, budget)
            yield from drawn_objects(xobject.get("/Resources"), drawn, budget, depth + 1)
        else:
            yield b"image " + name.encode() + b" " + image_digest(xobject, budget)
