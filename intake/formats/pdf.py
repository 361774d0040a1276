"""PDF: one full rewrite with pikepdf that keeps every page, text and image.

Why a rewrite: an incremental save (what `exiftool -all=` and most editors do)
appends new objects and leaves the old ones in the file, so the author name
"removed" from /Info is still there in an earlier revision. pikepdf (qpdf)
writes only the objects reachable from the document, with one cross-reference
section and no history. mat2 rasterises PDFs instead, which loses the text.

What is removed is found by one walk over every object (`_survey`): each rule
records its findings and the edit that removes them, so `inspect` and
`sanitize` cannot disagree. Page content streams, fonts, images, links,
outlines and form fields are kept; `content` proves the pages are unchanged.
Earlier revisions, unused objects and bytes after the end are not edited:
the rewrite leaves them behind, and `inspect` lists what they held.

Hostile input: every walk has a visited set and a node budget, every stream is
size-checked before qpdf decodes it (a Flate bomb is measured with zlib in
bounded pieces), and whatever pikepdf raises becomes `Refused`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from intake.formats.base import Category, Finding, Refused, View, categorise
from intake.formats.metadata import xmp_findings

NAME = "PDF"
MEDIA_TYPES = ("application/pdf",)

# Decompression bomb guards: a stream may not decode to more than this, nor
# all streams of one call together.
MAX_STREAM_BYTES = 256 << 20
MAX_TOTAL_BYTES = 1 << 30
# Dictionaries and arrays visited in one walk; a real PDF has far fewer.
MAX_NODES = 2_000_000
# Earlier revisions opened and compared one by one (the newest first).
MAX_REVISIONS_LISTED = 32
MAX_REVISION_MARKERS = 10_000
MAX_FORM_DEPTH = 32
# Bookmarks, form fields and annotations per page listed by `content`.
MAX_LISTED_TEXTS = 100_000
INFLATE_CHUNK = 1 << 20
# A PNG/TIFF predictor row (columns x colours x bits); real images stay far below.
MAX_ROW_BITS = 8 * (16 << 20)

_BOMB = "a stream decompresses to more than 256 MiB; refused as a possible decompression bomb"
_TOTAL_BOMB = "the PDF decompresses to more than 1 GiB in all; refused as a possible decompression bomb"

# Worst-case expansion of each generic filter: bytes out per byte in.
_EXPANSION = {
    "/FlateDecode": 1032, "/Fl": 1032, "/LZWDecode": 3641, "/LZW": 3641, "/RunLengthDecode": 64, "/RL": 64,
    "/ASCIIHexDecode": 1, "/AHx": 1, "/ASCII85Decode": 4, "/A85": 4,
}
_FLATE = frozenset({"/FlateDecode", "/Fl"})
_DCT = frozenset({"/DCTDecode", "/DCT"})
_JPX = "/JPXDecode"

# JPEG 2000 boxes that describe the picture instead of coding it: XMP and other
# XML (GML georeferencing), vendor UUID boxes (XMP, GeoJP2), links to them,
# intellectual-property (owner) statements and label associations.
_JP2_METADATA = frozenset({b"xml ", b"uuid", b"uinf", b"jp2i", b"asoc"})
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_GEOJP2_UUID = bytes.fromhex("b14bf8bd083d4b43a5ae8cd7d5a6ce03")
_JP2_LABELS = {b"uuid": "vendor data (uuid box)", b"uinf": "links to vendor data (uinf box)",
               b"jp2i": "intellectual property statement", b"asoc": "associated labels and metadata (asoc box)"}
MAX_JP2_BOXES = 10_000

# Keys of these dictionaries are names chosen by the writer (resource names,
# glyph names), not PDF keys: no key rule may touch them.
_WRITER_NAMED = frozenset({
    "/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/Properties", "/Dests",
    "/RoleMap", "/ClassMap", "/Colorants", "/CharProcs", "/Schema", "/CI",
})

# ISO 32000-2 tables 29, 30 and 31. Anything else in these dictionaries is
# private data of the writing application (/ITXT, /PTEX.Fullbanner, ...).
_CATALOG_KEYS = frozenset({
    "/Type", "/Version", "/Extensions", "/Pages", "/PageLabels", "/Names", "/Dests", "/ViewerPreferences",
    "/PageLayout", "/PageMode", "/Outlines", "/Threads", "/OpenAction", "/AA", "/URI", "/AcroForm", "/Metadata",
    "/StructTreeRoot", "/MarkInfo", "/Lang", "/SpiderInfo", "/OutputIntents", "/PieceInfo", "/OCProperties",
    "/Perms", "/Legal", "/Requirements", "/Collection", "/NeedsRendering", "/DSS", "/AF", "/DPartRoot",
})
_PAGES_KEYS = frozenset({"/Type", "/Parent", "/Kids", "/Count", "/Resources", "/MediaBox", "/CropBox", "/Rotate"})
_PAGE_KEYS = frozenset({
    "/Type", "/Parent", "/LastModified", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
    "/ArtBox", "/BoxColorInfo", "/Contents", "/Rotate", "/Group", "/Thumb", "/B", "/Dur", "/Trans", "/Annots",
    "/AA", "/Metadata", "/PieceInfo", "/StructParents", "/ID", "/PZ", "/SeparationInfo", "/Tabs",
    "/TemplateInstantiated", "/PresSteps", "/UserUnit", "/VP", "/AF", "/OutputIntents", "/DPart",
})
# Trailer keys that describe the file's structure; qpdf writes its own.
_TRAILER_STRUCTURE = frozenset({
    "/Root", "/Size", "/Prev", "/XRefStm", "/Encrypt", "/Type", "/W", "/Index", "/Length", "/Filter",
    "/DecodeParms", "/ID", "/Info",
})

# Actions that stay: they move inside the document or follow a visible link.
_KEPT_ACTIONS = frozenset({
    "/GoTo", "/URI", "/Named", "/Thread", "/SetOCGState", "/Trans", "/GoTo3DView", "/ResetForm", "/Hide",
    "/Sound", "/Movie", "/GoToDp",
})
# Opening the file must not reach the network.
_KEPT_OPEN_ACTIONS = _KEPT_ACTIONS - {"/URI"}
# Actions reported wherever they are: scripts, programs, files, data sent out.
_ACTIVE_ACTIONS = frozenset({
    "/JavaScript", "/Launch", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData", "/Rendition", "/RichMediaExecute",
})
_ANNOTATION_TYPES = frozenset({
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight",
    "/Underline", "/Squiggly", "/StrikeOut", "/Caret", "/Stamp", "/Ink", "/Popup", "/FileAttachment", "/Sound",
    "/Movie", "/Screen", "/Widget", "/PrinterMark", "/TrapNet", "/Watermark", "/3D", "/Redact", "/Projection",
    "/RichMedia",
})
# Annotations removed whole: an attached file, a voice recording.
_REMOVED_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound"})

_INFO_CATEGORY = {
    "/Author": Category.PERSON, "/Creator": Category.SOFTWARE, "/Producer": Category.SOFTWARE,
    "/CreationDate": Category.TIME, "/ModDate": Category.TIME,
}
_CUSTOM_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"GPS|Location|Latitude|Longitude|City|Country|Address", re.I), Category.LOCATION),
    (re.compile(r"Author|Company|Manager|Owner|User|Person|Name|Mail|Contact|Rights|Copyright|Editor", re.I),
     Category.PERSON),
    (re.compile(r"Device|Machine|Host|Computer|Scanner|Camera|Model|Make|Serial|Printer", re.I), Category.DEVICE),
    (re.compile(r"Date|Time", re.I), Category.TIME),
    (re.compile(r"Creator|Producer|Software|Application|Tool|Version|Generator|Banner", re.I), Category.SOFTWARE),
)

_STARTXREF = re.compile(rb"startxref\s+(\d{1,20})\s*%%EOF")
_OBJECT_HEADER = re.compile(rb"\s*\d{1,10}\s+\d{1,5}\s+obj\b")
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "

Function = TypeVar("Function", bound=Callable[..., Any])


def _guarded(function: Function) -> Function:
    """Whatever a hostile file makes pikepdf or qpdf raise becomes a one-line refusal."""

    @functools.wraps(function)
    def wrapper(data: bytes) -> Any:
        try:
            return function(data)
        except Refused:
            raise
        except pikepdf.PasswordError:
            raise Refused("the PDF is encrypted with a password; it cannot be cleaned") from None
        except (pikepdf.PdfError, pikepdf.DataDecodingError):
            raise Refused("the PDF is damaged beyond repair") from None
        except (RecursionError, MemoryError):
            raise Refused("the PDF is too deeply nested or too large to process") from None
        except Exception:  # any other failure on hostile input: refuse, never pass the file through
            raise Refused("the PDF could not be read completely") from None

    return wrapper  # type: ignore[return-value]


def _open(data: bytes) -> pikepdf.Pdf:
    if not data.startswith(b"%PDF-"):
        raise Refused("not a PDF: the file does not start with %PDF-")
    return pikepdf.open(io.BytesIO(data))


# --- bounded stream decoding -------------------------------------------------


@dataclass
class _Budget:
    """Decompressed bytes one call may still produce: stops a bomb made of many streams."""

    left: int = field(default_factory=lambda: MAX_TOTAL_BYTES)  # read at call time: tests lower it

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise Refused(_TOTAL_BOMB)


def _filters(stream: Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, Name):
        return [str(value)]
    if isinstance(value, Array) and len(value) <= 32 and all(isinstance(item, Name) for item in value):
        return [str(item) for item in value]
    raise Refused("a stream has a malformed /Filter entry")


def _inflate_chunks(source: Iterable[bytes]) -> Iterator[bytes]:
    """One zlib layer, in bounded pieces, so a bomb is stopped after MAX_STREAM_BYTES."""
    inflater = zlib.decompressobj()
    produced = 0
    for chunk in source:
        pending = chunk
        while True:
            try:
                out = inflater.decompress(pending, INFLATE_CHUNK)
            except Exception:  # zlib.error: qpdf stops at the same place
                return
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > MAX_STREAM_BYTES:
                raise Refused(_BOMB)
            if out:
                yield out
            if inflater.eof:
                return
            if not out and not pending:
                break


def _inflate(raw: bytes, layers: int) -> Iterator[bytes]:
    source: Iterable[bytes] = (raw,)
    for _ in range(layers):
        source = _inflate_chunks(source)
    return iter(source)


def _check_size(raw: bytes, filters: list[str]) -> None:
    """Refuse before qpdf decodes a stream that could exceed MAX_STREAM_BYTES."""
    bound = len(raw)
    for name in filters:
        bound *= _EXPANSION[name]
    if bound <= MAX_STREAM_BYTES:
        return
    if not all(name in _FLATE for name in filters):
        raise Refused("a large LZW or RunLength stream cannot be checked for a decompression bomb")
    for _ in _inflate(raw, len(filters)):
        pass


def _check_predictors(stream: Stream) -> None:
    """qpdf allocates one predictor row up front: a crafted /Columns asks for gigabytes."""
    parameters = stream.get("/DecodeParms")
    for entry in parameters if isinstance(parameters, Array) else [parameters]:
        if not _is_dict(entry) or entry.get("/Predictor", 1) in (None, 1):
            continue
        numbers = [entry.get(key, default) for key, default in (("/Columns", 1), ("/Colors", 1),
                                                                ("/BitsPerComponent", 8))]
        if not all(isinstance(n, int) and 0 < n for n in numbers) or numbers[0] * numbers[1] * numbers[2] > MAX_ROW_BITS:
            raise Refused("a stream asks for a predictor row too large to decode safely")


def _decoded(stream: Stream, budget: _Budget) -> bytes:
    """The stream after its generic filters; raw when an image codec (DCT, JPX...) is in the chain."""
    filters = _filters(stream)
    raw = stream.read_raw_bytes()
    if not filters or not all(name in _EXPANSION for name in filters):
        budget.spend(len(raw))
        return raw
    _check_size(raw, filters)
    _check_predictors(stream)
    try:
        data = stream.read_bytes()
    except (pikepdf.PdfError, pikepdf.DataDecodingError):
        raise Refused("a stream in the PDF is damaged: its data cannot be decompressed") from None
    budget.spend(len(data))
    return data


def _codec_bytes(stream: Stream, filters: list[str], budget: _Budget) -> bytes:
    """The JPEG or JPEG 2000 file inside an image stream. qpdf does not decode a chain
    that ends in an image codec, so the generic filters before it (a Flate layer, or
    the ASCII85 layer reportlab puts on every JPEG) are undone here."""
    raw = stream.read_raw_bytes()
    layers = filters[:-1]
    if not all(name in _EXPANSION for name in layers):
        raise Refused("an image has an unusual filter chain and cannot be checked")
    if not layers:
        data = raw
    elif all(name in _FLATE for name in layers):
        data = b"".join(_inflate(raw, len(layers)))
    else:
        data = _decode_layers(stream, raw, layers)
    budget.spend(len(data))
    return data


def _decode_layers(stream: Stream, raw: bytes, layers: list[str]) -> bytes:
    """Generic filters only, decoded by qpdf on a scratch copy of the stream (size checked first)."""
    _check_size(raw, layers)
    parameters = stream.get("/DecodeParms")
    if isinstance(parameters, Array):
        if len(parameters) != len(layers) + 1:
            raise Refused("an image has a malformed /DecodeParms entry")
        prefix = [parameters[index] for index in range(len(layers))]
        if any(not (_is_dict(item) or item is None) for item in prefix):
            raise Refused("an image has a malformed /DecodeParms entry")
        parameters = Array(prefix) if any(_is_dict(item) for item in prefix) else None
    else:
        parameters = None  # a single dictionary belongs to the image codec
    scratch = pikepdf.new()
    copy = Stream(scratch, b"")
    copy.write(raw, filter=Array([Name(name) for name in layers]), decode_parms=parameters)
    if parameters is not None:
        _check_predictors(copy)
    try:
        return copy.read_bytes()
    except (pikepdf.PdfError, pikepdf.DataDecodingError):
        raise Refused("an image stream in the PDF is damaged: its data cannot be decoded") from None


def _jpeg_module() -> Any:
    try:
        from intake.formats import jpeg
    except ImportError:
        raise Refused("embedded JPEG images cannot be checked: the JPEG module is not available") from None
    return jpeg


def _check_all_streams(pdf: pikepdf.Pdf) -> None:
    """qpdf decodes streams while saving: refuse a bomb before it does."""
    budget = _Budget()
    for obj in pdf.objects:
        if isinstance(obj, Stream):
            filters = _filters(obj)
            if filters and all(name in _EXPANSION for name in filters):
                _decoded(obj, budget)


# --- the walk ----------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
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
        return self.via in _WRITER_NAMED


@dataclass
class _Survey:
    """Findings and the edits that remove them, collected in one walk."""

    budget: _Budget
    findings: list[Finding] = field(default_factory=list)
    edits: list[Callable[[], None]] = field(default_factory=list)
    last: list[Callable[[], None]] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)

    def found(self, category: Category, name: str, value: str, where: str) -> None:
        self.findings.append(Finding(category, name, _shorten(value), where))

    def drop(self, holder: Any, key: str) -> None:
        self.edits.append(functools.partial(_delete, holder, key))

    def put_last(self, holder: Any, key: str, value: Any) -> None:
        """For a rebuilt array: after the edits of the items it keeps (they may be direct copies)."""
        self.last.append(functools.partial(holder.__setitem__, key, value))

    def apply(self) -> None:
        for edit in self.edits + self.last:
            edit()


def _delete(holder: Any, key: str) -> None:
    if key in holder:
        del holder[key]


def _is_container(value: Any) -> bool:
    return isinstance(value, (Array, Dictionary, Stream))


def _is_dict(value: Any) -> bool:
    return isinstance(value, (Dictionary, Stream))


@dataclass(frozen=True)
class _Pending:
    obj: Any
    label: str
    via: str = ""
    catalog: bool = False


def _walk(roots: list[_Pending], survey: _Survey, labels: dict[tuple[int, int], str]) -> Iterator[_Node]:
    """Every dictionary and stream reachable from `roots`, each indirect object once (loops end)."""
    stack = list(reversed(roots))
    visited = 0
    while stack:
        pending = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise Refused("the PDF has too many objects to check")
        obj, label = pending.obj, pending.label
        if obj.is_indirect:
            if obj.objgen in survey.seen:
                continue
            survey.seen.add(obj.objgen)
            label = labels.get(obj.objgen, label)
        if isinstance(obj, Array):
            children = [("", item) for item in obj]
        else:
            children = [(key, obj.get(key)) for key in obj.keys()]
            values = dict(children)
            if not (obj.is_indirect and obj.objgen in labels):
                label = _describe(values, label)
            yield _Node(obj, values, label, pending.via, pending.catalog)
        for key, value in reversed(children):
            if _is_container(value):
                stack.append(_Pending(value, label, key))
            elif getattr(value, "is_indirect", False):
                survey.seen.add(value.objgen)  # an indirect string or number is in use too


def _describe(values: dict[str, Any], inherited: str) -> str:
    kind, subtype = values.get("/Type"), values.get("/Subtype")
    if subtype == Name.Image:
        return "an image"
    if subtype == Name.Form:
        return "a form XObject"
    if kind in (Name.Font, Name.FontDescriptor):
        return "a font"
    if kind == Name.Pages:
        return "the page tree"
    if _is_annotation(values):
        return f"an annotation on {inherited}" if inherited.startswith("page") else "an annotation"
    if kind == Name.Filespec:
        return "an attached file"
    if kind == Name.Sig:
        return "a digital signature"
    return inherited


def _labels(pdf: pikepdf.Pdf) -> dict[tuple[int, int], str]:
    """Plain-words places for pages and what they show, computed before the walk."""
    labels = {pdf.Root.objgen: "the document"}
    for number, page in enumerate(pdf.pages, 1):
        obj = page.obj
        labels.setdefault(obj.objgen, f"page {number}")
        annotations = obj.get("/Annots")
        for annotation in annotations if isinstance(annotations, Array) else ():
            if _is_dict(annotation) and annotation.is_indirect:
                labels.setdefault(annotation.objgen, f"an annotation on page {number}")
        for name, xobject in _xobjects(_inherited(obj, "/Resources")):
            kind = "image" if xobject.get("/Subtype") == Name.Image else "form XObject"
            labels.setdefault(xobject.objgen, f"{kind} {name} on page {number}")
    return labels


def _inherited(page: Any, key: str) -> Any:
    """A page attribute, looked up through /Parent as PDF inheritance says (loops end)."""
    node, seen = page, set()
    for _ in range(64):
        if not _is_dict(node) or node.objgen in seen:
            return None
        if key in node:
            return node.get(key)
        seen.add(node.objgen)
        node = node.get("/Parent")
    return None


def _xobjects(resources: Any) -> list[tuple[str, Any]]:
    xobjects = resources.get("/XObject") if _is_dict(resources) else None
    if not _is_dict(xobjects):
        return []
    pairs = [(key, xobjects.get(key)) for key in sorted(xobjects.keys())]
    return [(key, value) for key, value in pairs if isinstance(value, Stream)]


# --- helpers for values --------------------------------------------------------


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
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


def _hex(value: Any) -> str:
    return bytes(value).hex() if isinstance(value, String) else _text(value)


def _key_category(key: str) -> Category:
    if key in _INFO_CATEGORY:
        return _INFO_CATEGORY[key]
    return categorise(key, _CUSTOM_RULES)


def _info_entries(info: Any, where: str, survey: _Survey) -> None:
    """An /Info-like dictionary (the document's, a thread's, an included figure's)."""
    for key in list(info.keys())[:1000]:
        text = _text(info.get(key))
        if text.strip():
            survey.found(_key_category(key), key[1:], text, where)


def _stream_text(value: Any, budget: _Budget) -> str:
    if isinstance(value, Stream):
        data = _decoded(value, budget)[:4096]
        return data.decode("utf-16", "replace") if data.startswith((b"\xfe\xff", b"\xff\xfe")) else data.decode("latin-1")
    return _text(value)


def _file_name(spec: Any) -> str:
    if isinstance(spec, String):
        return _text(spec)
    if _is_dict(spec):
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if isinstance(spec.get(key), String):
                return _text(spec.get(key))
    return "unnamed"


def _tree_keys(tree: Any, limit: int = 20) -> list[str]:
    """The first keys of a name tree (loops and depth bounded by a node budget)."""
    keys: list[str] = []
    stack, budget, seen = [tree], 1000, set()
    while stack and budget and len(keys) < limit:
        node, budget = stack.pop(), budget - 1
        if not _is_dict(node) or (node.is_indirect and node.objgen in seen):
            continue
        seen.add(node.objgen)
        names = node.get("/Names")
        if isinstance(names, Array):
            keys.extend(_text(names[index]) for index in range(0, min(len(names), 2 * limit), 2))
        kids = node.get("/Kids")
        stack.extend(kids if isinstance(kids, Array) else ())
    return keys[:limit]


def _action_type(value: Any) -> str | None:
    """The /S of an action dictionary, or None for anything else (a destination array)."""
    if not _is_dict(value):
        return None
    subtype = value.get("/S")
    return str(subtype) if isinstance(subtype, Name) else None


def _action_detail(action: Any, budget: _Budget) -> str:
    kind = _action_type(action)
    if kind == "/JavaScript":
        return _stream_text(action.get("/JS"), budget)
    if kind == "/URI":
        return _text(action.get("/URI"))
    if kind == "/Launch" and _is_dict(action.get("/Win")):
        return _file_name(action.get("/Win"))
    if "/F" in action:
        return _file_name(action.get("/F"))
    return (kind or "/unknown")[1:]


def _is_annotation(values: dict[str, Any]) -> bool:
    if values.get("/Type") == Name.Annot:
        return True
    subtype = values.get("/Subtype")
    return isinstance(subtype, Name) and str(subtype) in _ANNOTATION_TYPES and "/Rect" in values


# --- rules: each records findings and the edit that removes them ---------------


def _rule_metadata(node: _Node, survey: _Survey) -> None:
    value = node.get("/Metadata")
    if isinstance(value, Stream):
        survey.findings.extend(xmp_findings(_decoded(value, survey.budget), f"XMP of {node.label}"))
        survey.drop(node.obj, "/Metadata")
    elif isinstance(value, Dictionary):
        survey.found(Category.HIDDEN, "metadata", "present", node.label)
        survey.drop(node.obj, "/Metadata")


def _rule_private_data(node: _Node, survey: _Survey) -> None:
    pieces = node.get("/PieceInfo")
    if _is_dict(pieces):
        names = ", ".join(key[1:] for key in list(pieces.keys())[:20]) or "empty"
        survey.found(Category.HIDDEN, "application private data (PieceInfo)", names, node.label)
        survey.drop(node.obj, "/PieceInfo")
    if isinstance(node.get("/LastModified"), String):
        survey.found(Category.TIME, "LastModified", _text(node.get("/LastModified")), node.label)
        survey.drop(node.obj, "/LastModified")
    creator = node.get("/CreatorInfo")
    if _is_dict(creator):
        survey.found(Category.SOFTWARE, "CreatorInfo", _text(creator.get("/Creator")), node.label)
        survey.drop(node.obj, "/CreatorInfo")
    part_metadata = node.get("/DPM")  # PDF 2.0 document parts carry free-form metadata
    if _is_dict(part_metadata):
        _info_entries(part_metadata, f"document part metadata ({node.label})", survey)
        survey.drop(node.obj, "/DPM")


def _rule_info_keys(node: _Node, survey: _Survey) -> None:
    """Author, dates and software stamped on any dictionary (annotations, embedded files...)."""
    if node.via in ("/I", "/PTEX.InfoDict", "/DPM"):  # reported whole where they hang
        return
    for key, category in _INFO_CATEGORY.items():
        value = node.get(key)
        if isinstance(value, String):
            survey.found(category, key[1:], _text(value), node.label)
            survey.drop(node.obj, key)


def _rule_action_holders(node: _Node, survey: _Survey) -> None:
    """Unhook removed actions from where they are triggered (/A, /OpenAction, /PA, /Next)."""
    for key in ("/A", "/PA", "/OpenAction"):
        action = node.get(key)
        kind = _action_type(action)
        kept = _KEPT_OPEN_ACTIONS if key == "/OpenAction" else _KEPT_ACTIONS
        if kind is None or kind in kept:
            continue
        if kind not in _ACTIVE_ACTIONS:  # active ones report themselves (_rule_active_action)
            where = "opening the document" if key == "/OpenAction" else node.label
            survey.found(Category.HIDDEN, f"{kind[1:]} action", _action_detail(action, survey.budget), where)
        survey.drop(node.obj, key)
    chain = node.get("/Next")
    kind = _action_type(chain)
    if kind is not None and kind not in _KEPT_ACTIONS:
        survey.drop(node.obj, "/Next")
    elif isinstance(chain, Array):
        kept_actions = [item for item in chain if _action_type(item) in _KEPT_ACTIONS]
        if len(kept_actions) != len(chain):
            survey.put_last(node.obj, "/Next", Array(kept_actions))


def _rule_active_action(node: _Node, survey: _Survey) -> None:
    kind = node.name("/S")
    if kind in _ACTIVE_ACTIONS:
        survey.found(Category.HIDDEN, f"{kind[1:]} action", _action_detail(node.obj, survey.budget), node.label)


def _rule_additional_actions(node: _Node, survey: _Survey) -> None:
    actions = node.get("/AA")
    if _is_dict(actions):
        events = ", ".join(key[1:] for key in list(actions.keys())[:20]) or "empty"
        survey.found(Category.HIDDEN, "automatic actions (/AA)", f"on events {events}", node.label)
        survey.drop(node.obj, "/AA")


def _rule_files(node: _Node, survey: _Survey) -> None:
    if _is_dict(node.get("/EF")):
        survey.found(Category.HIDDEN, "embedded file", _file_name(node.obj), node.label)
        survey.drop(node.obj, "/EF")
        survey.drop(node.obj, "/RF")
    if isinstance(node.get("/AF"), Array) or _is_dict(node.get("/AF")):
        survey.drop(node.obj, "/AF")
    opi = node.get("/OPI")
    if _is_dict(opi):
        versions = [opi.get(key) for key in ("/1.3", "/2.0")]
        names = [_file_name(version.get("/F")) for version in versions if _is_dict(version)]
        survey.found(Category.HIDDEN, "prepress link (OPI)", ", ".join(names) or "present", node.label)
        survey.drop(node.obj, "/OPI")


def _rule_annotation(node: _Node, survey: _Survey) -> None:
    if not _is_annotation(node.values):
        return
    removable = [("/M", Category.TIME, "annotation modified"), ("/NM", Category.HIDDEN, "annotation ID"),
                 ("/RC", Category.HIDDEN, "annotation rich text")]
    if node.name("/Subtype") != "/Widget" and "/FT" not in node.values:
        removable.append(("/T", Category.PERSON, "annotation author"))  # a form field's /T is its name
    for key, category, label in removable:
        value = node.get(key)
        if isinstance(value, (String, Stream)):
            survey.found(category, label, _stream_text(value, survey.budget), node.label)
            survey.drop(node.obj, key)


def _rule_signature(node: _Node, survey: _Survey) -> None:
    """Signatures name the signer (and carry a certificate); the fields that hold them lose them."""
    if node.name("/FT") == "/Sig" and _is_dict(node.get("/V")):
        survey.drop(node.obj, "/V")
        survey.drop(node.obj, "/SV")
    signed = "/ByteRange" in node.values and "/Contents" in node.values
    if node.name("/Type") not in ("/Sig", "/DocTimeStamp") and not signed:
        return
    signer = node.get("/Name")
    survey.found(Category.PERSON, "digital signature", _text(signer) if signer else "signer's certificate", node.label)
    for key, category, label in (("/M", Category.TIME, "signing time"), ("/Location", Category.LOCATION, "signing place"),
                                 ("/ContactInfo", Category.PERSON, "signer contact"),
                                 ("/Reason", Category.OTHER, "signing reason")):
        if isinstance(node.get(key), String):
            survey.found(category, label, _text(node.get(key)), node.label)


def _rule_layer_users(node: _Node, survey: _Survey) -> None:
    """A layer's usage dictionary may name the people it is meant for (/Usage /User /Name)."""
    if node.via != "/Usage":
        return
    user = node.get("/User")
    if _is_dict(user):
        names = user.get("/Name")
        value = ", ".join(_text(item) for item in list(names)[:20]) if isinstance(names, Array) else _text(names)
        survey.found(Category.PERSON, "layer intended for (/Usage /User)", value, node.label)
        survey.drop(node.obj, "/User")


def _rule_thread(node: _Node, survey: _Survey) -> None:
    info = node.get("/I")
    is_thread = node.name("/Type") == "/Thread" or isinstance(node.get("/F"), Dictionary)
    if is_thread and isinstance(info, Dictionary):
        _info_entries(info, "an article thread", survey)
        survey.drop(node.obj, "/I")


def _rule_page(node: _Node, survey: _Survey) -> None:
    kind = node.name("/Type")
    if kind == "/Pages":
        _private_keys(node, _PAGES_KEYS, survey)
    if kind != "/Page":
        return
    _private_keys(node, _PAGE_KEYS, survey)
    thumb = node.get("/Thumb")
    if isinstance(thumb, Stream):
        size = f"{_text(thumb.get('/Width'))}×{_text(thumb.get('/Height'))} image"
        survey.found(Category.HIDDEN, "page thumbnail", size, node.label)
        survey.drop(node.obj, "/Thumb")
    _annotations(node, survey)


def _annotations(node: _Node, survey: _Survey) -> None:
    """Attachment and sound annotations go whole, and their pop-ups with them."""
    annotations = node.get("/Annots")
    if not isinstance(annotations, Array):
        return
    items = list(annotations)
    gone = [_is_dict(item) and str(item.get("/Subtype")) in _REMOVED_ANNOTATIONS for item in items]
    if not any(gone):
        return
    for item, removed in zip(items, gone):
        if removed and item.get("/Subtype") == Name.Sound:
            survey.found(Category.HIDDEN, "sound annotation", "a recording", node.label)
    parents = {item.objgen for item, removed in zip(items, gone) if removed and item.is_indirect}
    kept = [item for item, removed in zip(items, gone) if not removed and not _orphan_popup(item, parents)]
    survey.put_last(node.obj, "/Annots", Array(kept))


def _orphan_popup(item: Any, parents: set[tuple[int, int]]) -> bool:
    parent = item.get("/Parent") if _is_dict(item) else None
    return item.get("/Subtype") == Name.Popup and _is_dict(parent) and parent.is_indirect and parent.objgen in parents


def _private_keys(node: _Node, allowed: frozenset[str], survey: _Survey) -> None:
    for key in node.values:
        if key not in allowed:
            _private_entry(node.obj, key, node.label, survey)


def _private_entry(holder: Any, key: str, where: str, survey: _Survey) -> None:
    value = holder.get(key)
    if key == "/PTEX.InfoDict" and _is_dict(value):
        _info_entries(value, f"document info copied from an included figure ({where})", survey)
    else:
        category = _key_category(key)
        survey.found(category if category != Category.OTHER else Category.HIDDEN,
                     f"private entry {key[1:]}", _text(value), where)
    survey.drop(holder, key)


def _rule_xobject(node: _Node, survey: _Survey) -> None:
    """pdfTeX and others stamp included figures with their file name and document info."""
    if not isinstance(node.obj, Stream) or node.name("/Subtype") not in ("/Image", "/Form"):
        return
    for key in node.values:
        if "." in key or ":" in key:
            _private_entry(node.obj, key, node.label, survey)
    reference = node.get("/Ref")  # a reference XObject: the path of the PDF it stands for
    if node.name("/Subtype") == "/Form" and _is_dict(reference):
        survey.found(Category.HIDDEN, "link to an outside PDF (reference XObject)", _file_name(reference.get("/F")),
                     node.label)
        survey.drop(node.obj, "/Ref")


def _rule_jpeg(node: _Node, survey: _Survey) -> None:
    if not isinstance(node.obj, Stream) or "/Filter" not in node.values:
        return
    filters = _filters(node.obj)
    if not filters or filters[-1] not in _DCT:
        return
    jpeg = _jpeg_module()
    data = _codec_bytes(node.obj, filters, survey.budget)
    findings = jpeg.inspect(data)
    if findings:
        survey.findings.extend(replace(f, where=f"{f.where}, in {node.label}") for f in findings)
        survey.edits.append(functools.partial(_replace_jpeg, node.obj, data, jpeg.sanitize))


def _replace_jpeg(stream: Stream, data: bytes, clean: Callable[[bytes], bytes]) -> None:
    """The cleaned JPEG replaces the stream; a Flate layer before it is not needed any more."""
    parameters = stream.get("/DecodeParms")
    if isinstance(parameters, Array):
        parameters = parameters[len(parameters) - 1] if len(parameters) else None
    stream.write(clean(data), filter=Name.DCTDecode, decode_parms=parameters if _is_dict(parameters) else None)


def _rule_jpeg2000(node: _Node, survey: _Survey) -> None:
    if not isinstance(node.obj, Stream) or "/Filter" not in node.values:
        return
    filters = _filters(node.obj)
    if not filters or filters[-1] != _JPX:
        return
    data = _codec_bytes(node.obj, filters, survey.budget)
    boxes = _jp2_boxes(data)
    removed = [(kind, data[start + header:end]) for kind, start, end, header in boxes if kind in _JP2_METADATA]
    if not removed:
        return
    for kind, payload in removed:
        survey.findings.extend(_jp2_box_findings(kind, payload, f"the JPEG 2000 file of {node.label}"))
    kept = b"".join(data[start:end] for kind, start, end, _ in boxes if kind not in _JP2_METADATA)
    survey.edits.append(functools.partial(_replace_jpeg2000, node.obj, kept))


def _jp2_boxes(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """Top-level boxes of a JP2/JPX file (kind, start, end, header size); [] for a bare codestream."""
    if not data.startswith(_JP2_SIGNATURE):
        return []
    boxes: list[tuple[bytes, int, int, int]] = []
    offset = 0
    while offset < len(data):
        if len(boxes) >= MAX_JP2_BOXES or offset + 8 > len(data):
            raise Refused("a JPEG 2000 image in the PDF is malformed")
        length, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if length == 1:
            if offset + 16 > len(data):
                raise Refused("a JPEG 2000 image in the PDF is malformed")
            length, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif length == 0:  # the last box runs to the end
            length = len(data) - offset
        if length < header or offset + length > len(data):
            raise Refused("a JPEG 2000 image in the PDF is malformed")
        boxes.append((kind, offset, offset + length, header))
        offset += length
    return boxes


def _jp2_box_findings(kind: bytes, payload: bytes, where: str) -> list[Finding]:
    if kind == b"xml ":
        return xmp_findings(payload, f"XML metadata of {where}")
    if kind == b"uuid" and payload[:16] == _XMP_UUID:
        return xmp_findings(payload[16:], f"XMP of {where}")
    if kind == b"uuid" and payload[:16] == _GEOJP2_UUID:
        return [Finding(Category.LOCATION, "GeoJP2 georeference", "present", where)]
    value = payload[:16].hex() if kind == b"uuid" else f"{len(payload)} bytes"
    return [Finding(Category.HIDDEN, _JP2_LABELS[kind], value, where)]


def _replace_jpeg2000(stream: Stream, data: bytes) -> None:
    stream.write(data, filter=Name.JPXDecode, decode_parms=None)


def _spider_addresses(value: Any) -> str:
    commands = value.get("/C") if _is_dict(value) else None
    if not isinstance(commands, Array):
        return ""
    return ", ".join(_text(c.get("/URL")) for c in list(commands)[:20] if _is_dict(c) and "/URL" in c)


def _rule_catalog(node: _Node, survey: _Survey) -> None:
    if not node.catalog:
        return
    root = node.obj
    _private_keys(node, _CATALOG_KEYS, survey)
    removed = (("/SpiderInfo", "web capture settings (source addresses)"),
               ("/DSS", "signature validation data (certificates)"), ("/Collection", "portfolio view"))
    for key, label in removed:
        if key in node.values:
            survey.found(Category.HIDDEN, label, _spider_addresses(node.get(key)) or "present", node.label)
            survey.drop(root, key)
    survey.drop(root, "/Perms")  # usage-rights and certification signatures report themselves
    survey.drop(root, "/NeedsRendering")
    names = node.get("/Names")
    if _is_dict(names):
        # Scripts and files in these trees report themselves as the walk reaches them.
        survey.drop(names, "/JavaScript")
        survey.drop(names, "/EmbeddedFiles")
        if "/URLS" in names or "/IDS" in names:  # web capture: the pages' source addresses
            addresses = ", ".join(_tree_keys(names.get("/URLS"))) or "present"
            survey.found(Category.HIDDEN, "web capture information (source addresses)", addresses, node.label)
            survey.drop(names, "/URLS")
            survey.drop(names, "/IDS")
    form = node.get("/AcroForm")
    if _is_dict(form) and "/XFA" in form:
        survey.found(Category.HIDDEN, "XFA form description (XML)", "present", node.label)
        survey.drop(form, "/XFA")


_RULES: tuple[Callable[[_Node, _Survey], None], ...] = (
    _rule_catalog, _rule_page, _rule_metadata, _rule_private_data, _rule_info_keys, _rule_action_holders,
    _rule_active_action, _rule_additional_actions, _rule_files, _rule_annotation, _rule_signature,
    _rule_thread, _rule_layer_users, _rule_xobject, _rule_jpeg, _rule_jpeg2000,
)


def _apply_rules(nodes: Iterable[_Node], survey: _Survey) -> None:
    for node in nodes:
        if node.writer_named:
            continue
        for rule in _RULES:
            rule(node, survey)


# --- the document, its trailer, unused objects, earlier revisions ------------


def _survey(pdf: pikepdf.Pdf, budget: _Budget) -> _Survey:
    survey = _Survey(budget)
    labels = _labels(pdf)
    root = _Pending(pdf.Root, "the document", catalog=True)
    _apply_rules(_walk([root], survey, labels), survey)
    _trailer(pdf, survey)
    _unused_objects(pdf, survey)
    return survey


def _trailer(pdf: pikepdf.Pdf, survey: _Survey) -> None:
    trailer = pdf.trailer
    info = trailer.get("/Info")
    if _is_dict(info):
        _info_entries(info, "document info (/Info)", survey)
        # Mark what only /Info reaches as seen: it is not an unused object.
        list(_walk([_Pending(info, "document info")], survey, {}))
    survey.drop(trailer, "/Info")
    _document_id(trailer, survey)
    for key in list(trailer.keys()):
        if key not in _TRAILER_STRUCTURE:
            _private_entry(trailer, key, "PDF trailer", survey)


def _document_id(trailer: Any, survey: _Survey) -> None:
    """The /ID is always replaced. Its two halves differ once a file was saved again,
    and the first half then links it to every earlier copy: that is reported. Equal
    halves look exactly like the fresh ID written here, so they are not."""
    ids = trailer.get("/ID")
    if isinstance(ids, Array) and len(ids) == 2 and _hex(ids[0]) != _hex(ids[1]):
        survey.found(Category.HIDDEN, "document ID", _hex(ids[0]), "PDF trailer")
    survey.drop(trailer, "/ID")


def _is_file_structure(obj: Any) -> bool:
    """Objects that carry the file's layout, not the document (or nothing at all)."""
    if not _is_dict(obj):
        return not isinstance(obj, (String, Array))
    if obj.get("/Type") in (Name.ObjStm, Name.XRef) or "/Linearized" in obj:
        return True
    # A linearization hint stream: untyped, with an integer /S table offset.
    return isinstance(obj, Stream) and "/Type" not in obj and isinstance(obj.get("/S"), int)


def _unused_objects(pdf: pikepdf.Pdf, survey: _Survey) -> None:
    """Objects nothing refers to any more (left over by editors): gone after the rewrite."""
    # pikepdf hands out indirect numbers, names and the like as plain Python
    # values; they hold nothing identifying and are dropped with their referrers.
    unused = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Object)
              and obj.objgen not in survey.seen and not _is_file_structure(obj)]
    if not unused:
        return
    survey.found(Category.HIDDEN, "unused objects", f"{_count(len(unused), 'object')} left over from editing",
                 "objects no longer part of the document")
    labels = {obj.objgen: "an unused object" for obj in unused}
    nodes = [_Pending(obj, "an unused object") for obj in unused if _is_container(obj)]
    _apply_rules(_walk(nodes, survey, labels), survey)


def _revision_ends(data: bytes) -> list[int]:
    """End offsets of each saved revision: a startxref that points at a cross-reference
    section. A linearized file's first-page trailer (startxref 0) does not count."""
    ends = []
    for count, match in enumerate(_STARTXREF.finditer(data)):
        if count > MAX_REVISION_MARKERS:
            raise Refused("the PDF has too many revisions to check")
        offset = int(match.group(1))
        head = data[offset:offset + 64] if 0 < offset < len(data) else b""
        if head.lstrip(_PDF_WHITESPACE).startswith(b"xref") or _OBJECT_HEADER.match(head):
            ends.append(match.end())
    return ends


def _file_findings(data: bytes, current: list[Finding]) -> list[Finding]:
    ends = _revision_ends(data)
    if not ends:
        return []
    findings = []
    trailing = data[ends[-1]:].strip(_PDF_WHITESPACE)
    if trailing:
        findings.append(Finding(Category.HIDDEN, "data after the end of the PDF", f"{len(trailing)} bytes",
                                "bytes after the end of the PDF"))
    earlier = ends[:-1]
    if earlier:
        findings.append(Finding(Category.HIDDEN, "earlier revisions",
                                f"{_count(len(earlier), 'earlier version')} kept by incremental saving",
                                "PDF revision history"))
    known = {(f.category, f.field, f.value) for f in current}
    first_listed = max(0, len(earlier) - MAX_REVISIONS_LISTED)
    for number, end in enumerate(earlier[first_listed:], first_listed + 1):
        findings.extend(_revision_findings(data[:end], number, known))
    return findings


def _revision_findings(prefix: bytes, number: int, known: set[tuple[Category, str, str]]) -> list[Finding]:
    """What an earlier revision says that the current one does not (an old author...)."""
    where = f"PDF revision {number}"
    try:
        with _open(prefix) as pdf:
            found = _survey(pdf, _Budget()).findings
    except Refused:
        raise
    except Exception:  # an unreadable old revision is still removed by the rewrite
        return [Finding(Category.HIDDEN, "earlier revision", "unreadable", where)]
    fresh = []
    for finding in found:
        key = (finding.category, finding.field, finding.value)
        if key not in known and finding.field != "unused objects":
            known.add(key)
            fresh.append(replace(finding, where=where))
    return fresh


# --- the four verbs ------------------------------------------------------------


@_guarded
def inspect(data: bytes) -> list[Finding]:
    with _open(data) as pdf:
        findings = _survey(pdf, _Budget()).findings
    return findings + _file_findings(data, findings)


@_guarded
def sanitize(data: bytes) -> bytes:
    with _open(data) as pdf:
        _survey(pdf, _Budget()).apply()
        _check_all_streams(pdf)
        clean = _save(pdf)
    _verify(clean)
    return clean


def _save(pdf: pikepdf.Pdf) -> bytes:
    """One revision, only reachable objects, no object streams (every dictionary stays
    readable in the raw bytes), Flate streams recompressed (nothing survives after a
    stream's end), and an /ID derived from the clean content: no clock, no old ID."""
    buffer = io.BytesIO()
    pdf.save(
        buffer, linearize=False, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=True,
        stream_decode_level=pikepdf.StreamDecodeLevel.generalized, recompress_flate=True, normalize_content=False,
        qdf=False, encryption=False, deterministic_id=True, static_id=False, preserve_pdfa=False,
        fix_metadata_version=False,
    )
    return buffer.getvalue()


def _verify(clean: bytes) -> None:
    """The rewrite must be a single revision with nothing left to report."""
    if len(_revision_ends(clean)) != 1 or inspect(clean):
        raise Refused("cleaning the PDF left identifying data behind; refused")


@_guarded
def views(data: bytes) -> list[View]:
    budget = _Budget()
    found = [View("the file", data)]
    with _open(data) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, Stream):
                number, generation = obj.objgen
                found.append(View(f"stream {number} {generation} R, decompressed", _decoded(obj, budget)))
                found.extend(_jpeg_views(obj, budget))
        found.append(View("every text string and name in the PDF", _strings(pdf, budget)))
    return found


def _jpeg_views(stream: Stream, budget: _Budget) -> list[View]:
    filters = _filters(stream)
    if not filters or filters[-1] not in _DCT:
        return []
    try:
        from intake.formats import jpeg
    except ImportError:
        return []
    number, generation = stream.objgen
    data = _codec_bytes(stream, filters, budget)
    return [replace(view, where=f"{view.where}, in JPEG stream {number} {generation} R") for view in jpeg.views(data)]


def _strings(pdf: pikepdf.Pdf, budget: _Budget) -> bytes:
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
            parts.extend((bytes(obj), _text(obj).encode("utf-8")))
        elif isinstance(obj, Name):
            parts.append(str(obj).encode("utf-8", "replace"))
        elif isinstance(obj, Array):
            stack.extend(item for item in obj if not getattr(item, "is_indirect", False))
        elif _is_dict(obj):
            parts.extend(key.encode("utf-8", "replace") for key in obj.keys())
            stack.extend(v for v in (obj.get(k) for k in obj.keys()) if not getattr(v, "is_indirect", False))
    joined = b"\n".join(parts)
    budget.spend(len(joined))
    return joined


@_guarded
def content(data: bytes) -> list[bytes]:
    """Page count, each page's content streams, the form XObjects (their streams) and
    images (a digest of their data) the pages draw, in drawing-name order; then the
    text kept outside the pages: comments, link targets, bookmarks, form values."""
    budget = _Budget()
    with _open(data) as pdf:
        pages = list(pdf.pages)
        found = [f"pages: {len(pages)}".encode()]
        drawn: set[tuple[int, int]] = set()
        for page in pages:
            found.append(_page_streams(page.obj, budget))
            found.extend(_drawn(_inherited(page.obj, "/Resources"), drawn, budget, 0))
            found.extend(_annotation_text(page.obj))
        found.extend(_outline_text(pdf.Root))
        found.extend(_form_text(pdf.Root))
    return found


def _first_visit(obj: Any, seen: set[tuple[int, int]]) -> bool:
    """False for an indirect object met before (a loop); direct objects cannot loop."""
    if not obj.is_indirect:
        return True
    if obj.objgen in seen:
        return False
    seen.add(obj.objgen)
    return True


def _kept_string(label: bytes, value: Any) -> list[bytes]:
    """A kept string as stored and as text, so the orchestrator knows it is content."""
    if not isinstance(value, String):
        return []
    return [label + bytes(value) + b"\x00" + _text(value).encode("utf-8")]


def _annotation_text(page: Any) -> list[bytes]:
    annotations = page.get("/Annots")
    found: list[bytes] = []
    for annotation in list(annotations)[:MAX_LISTED_TEXTS] if isinstance(annotations, Array) else []:
        subtype = str(annotation.get("/Subtype")) if _is_dict(annotation) else ""
        if not subtype or subtype in _REMOVED_ANNOTATIONS or subtype == "/Popup":
            continue  # removed, or showing another annotation's text
        found.extend(_kept_string(b"annotation: ", annotation.get("/Contents")))
        action = annotation.get("/A")
        if _action_type(action) == "/URI":
            found.extend(_kept_string(b"link: ", action.get("/URI")))
    return found


def _outline_text(root: Any) -> list[bytes]:
    outlines = root.get("/Outlines")
    stack, seen, found = [outlines.get("/First")] if _is_dict(outlines) else [], set(), []
    for _ in range(MAX_LISTED_TEXTS):
        if not stack:
            break
        item = stack.pop()
        if not _is_dict(item) or not _first_visit(item, seen):
            continue
        found.extend(_kept_string(b"bookmark: ", item.get("/Title")))
        stack.extend((item.get("/Next"), item.get("/First")))
    return found


def _form_text(root: Any) -> list[bytes]:
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if _is_dict(form) else None
    stack, seen, found = list(fields) if isinstance(fields, Array) else [], set(), []
    for _ in range(MAX_LISTED_TEXTS):
        if not stack:
            break
        field_ = stack.pop()
        if not _is_dict(field_) or not _first_visit(field_, seen):
            continue
        found.extend(_kept_string(b"field: ", field_.get("/T")))
        if field_.get("/FT") != Name.Sig:  # a signature is removed, not kept
            found.extend(_kept_string(b"value: ", field_.get("/V")))
        kids = field_.get("/Kids")
        stack.extend(kids if isinstance(kids, Array) else ())
    return found


def _page_streams(page: Any, budget: _Budget) -> bytes:
    contents = page.get("/Contents")
    if isinstance(contents, Stream):
        return _decoded(contents, budget)
    if isinstance(contents, Array):
        return b"".join(_decoded(item, budget) for item in contents if isinstance(item, Stream))
    return b""


def _drawn(resources: Any, drawn: set[tuple[int, int]], budget: _Budget, depth: int) -> list[bytes]:
    if depth > MAX_FORM_DEPTH:
        raise Refused("form XObjects are nested too deeply")
    found = []
    for name, xobject in _xobjects(resources):
        if xobject.objgen in drawn:
            continue
        drawn.add(xobject.objgen)
        if xobject.get("/Subtype") == Name.Form:
            found.append(b"form " + name.encode() + b"\n" + _decoded(xobject, budget))
            found.extend(_drawn(xobject.get("/Resources"), drawn, budget, depth + 1))
        else:
            found.append(b"image " + name.encode() + b" " + _image_digest(xobject, budget))
    return found


def _image_digest(image: Stream, budget: _Budget) -> bytes:
    """Digest of the pixels' encoding: for a JPEG, its scan data (its metadata may go)."""
    filters = _filters(image)
    if filters and filters[-1] in _DCT:
        parts = _jpeg_module().content(_codec_bytes(image, filters, budget))
    elif filters and filters[-1] == _JPX:
        data = _codec_bytes(image, filters, budget)
        boxes = _jp2_boxes(data)
        parts = [data[start:end] for kind, start, end, _ in boxes if kind not in _JP2_METADATA] if boxes else [data]
    else:
        parts = [_decoded(image, budget)]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()
