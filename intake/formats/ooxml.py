"""Office Open XML (DOCX, XLSX, PPTX): identifying metadata out, document text unchanged.

An OOXML file is a zip of XML parts linked by relationship parts (`_rels/*.rels`)
and typed by `[Content_Types].xml`. Cleaning works on that graph:

* parts that are only metadata are dropped with their relationships and
  content-type overrides: document properties (core, app, custom), the
  thumbnail, comments and their authors, printer settings, custom XML data
  stores, revision logs, add-in data, sensitivity labels, signatures;
* parts that nothing reaches any more (or never did) are dropped as hidden
  content;
* the XML parts that stay are rewritten: tracked changes are accepted (so the
  text is the final text and no author or date is left), editing-session ids
  (rsid, paraId, xr:uid, creationId) and comment anchors are removed, and so
  are settings that name people or folders (attached template, document
  variables, mail merge, the folder an Excel file was saved in);
* JPEG and PNG pictures are cleaned by the JPEG and PNG modules; any other
  embedded object or media is refused, because it cannot be cleaned here;
* the zip is written anew: original member order, 1980-01-01 timestamps, no
  extra fields, comments or file-system attributes.

Anything the module does not know is refused rather than copied through.

The first half of this file is the zip + XML package toolkit that odf.py
shares (ODF is also a zip of XML parts).
"""

from __future__ import annotations

import functools
import importlib
import io
import posixpath
import re
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import ParamSpec, TypeVar
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from intake.formats.base import Category, Finding, Refused, View
from intake.media import HEAD_SIZE, sniff

NAME = "Office Open XML"
MEDIA_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)

# ---------------------------------------------------------------------------
# Shared toolkit (also used by odf.py): guarded entry points, safe zip, XML.
# ---------------------------------------------------------------------------

_P = ParamSpec("_P")
_T = TypeVar("_T")

# What hostile input can make the standard library raise; all of it means "refuse".
# TypeError and AttributeError too: a bug met on strange input must refuse the
# file (nothing is written), never let an exception or a half-clean copy out.
_MALFORMED = (zipfile.BadZipFile, zlib.error, ValueError, KeyError, IndexError, EOFError, OSError,
              struct.error, NotImplementedError, OverflowError, RecursionError, ElementTree.ParseError,
              LookupError, TypeError, AttributeError)


def guarded(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Entry points raise Refused only, never a library's own exception (contract of base.py)."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return function(*args, **kwargs)
        except Refused:
            raise
        except _MALFORMED as error:
            raise Refused(f"malformed document ({type(error).__name__})") from None

    return wrapper


def short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """The same value found twice in the same place is listed once."""
    return list(dict.fromkeys(findings))


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


MAX_VALUES_PER_FIELD = 20


class Recorder:
    """What cleaning one part removes: a few distinct values per field, the rest counted.

    A long document may carry thousands of tracked changes; listing each would
    swamp the reader and the pipeline's scan of the clean copy for every value.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.values: dict[tuple[Category, str], list[str]] = {}
        self.more: dict[tuple[Category, str], int] = {}
        self.counts: dict[str, int] = {}

    def add(self, category: Category, label: str, value: str) -> None:
        if not value.strip():
            return
        values = self.values.setdefault((category, label), [])
        if len(values) >= MAX_VALUES_PER_FIELD:
            self.more[category, label] = self.more.get((category, label), 0) + 1
        elif (text := short(value)) not in values:
            values.append(text)

    def count(self, label: str, amount: int = 1) -> None:
        """Identifiers (session ids, object ids): their number is reported, not each value."""
        self.counts[label] = self.counts.get(label, 0) + amount

    def findings(self, comments: list[str]) -> list[Finding]:
        found = [Finding(category, label, value, self.where)
                 for (category, label), values in self.values.items() for value in values]
        found += [Finding(category, label, f"{count} more values", self.where)
                  for (category, label), count in self.more.items()]
        found += [Finding(Category.OTHER, label, f"{count} values", self.where) for label, count in self.counts.items()]
        found += [Finding(Category.HIDDEN, "XML comment", short(text) or "(empty)", self.where) for text in comments]
        return unique(found)


# --- zip ------------------------------------------------------------------

MAX_MEMBERS = 10_000
MAX_TOTAL_SIZE = 512 * 1024 * 1024
MAX_RATIO = 200
# A member smaller than this cannot be a bomb whatever its ratio; tiny, very
# regular XML parts (a run of empty cells) legitimately compress very well.
RATIO_FLOOR = 256 * 1024
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_ENCRYPTED = 0x01 | 0x40
_DATA_DESCRIPTOR = 0x08
_DRIVE = re.compile(r"^[A-Za-z]:")
ZIP_WHERE = "zip structure"


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes


def read_zip(data: bytes) -> tuple[list[Member], list[Finding]]:
    """Every member, read under the safety limits, and what the zip itself reveals."""
    archive = _open_zip(data)
    infos = archive.infolist()
    _check_infos(infos)
    members = [Member(info.filename, _read_member(archive, info)) for info in infos]
    return members, _zip_findings(data, archive, infos)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, struct.error):
        raise Refused("not a readable zip package") from None


def _check_infos(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise Refused(f"more than {MAX_MEMBERS} zip members")
    seen: set[str] = set()
    total = 0
    for info in infos:
        _check_name(info)
        if info.flag_bits & _ENCRYPTED:
            raise Refused(f"encrypted zip member {info.filename}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(f"unsupported zip compression in {info.filename}")
        # Part names are case-insensitive in OOXML and on many file systems: two
        # spellings of one name would let two readers see different files.
        if info.filename.lower() in seen:
            raise Refused(f"duplicate zip member {info.filename}")
        seen.add(info.filename.lower())
        total += info.file_size
        if total > MAX_TOTAL_SIZE:
            raise Refused("zip members expand to more than 512 MiB")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Refused(f"zip member {info.filename} expands more than {MAX_RATIO} times (zip bomb)")


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    if (info.orig_filename != name or not name or name.startswith(("/", "\\")) or "\\" in name
            or _DRIVE.match(name) or any(part in ("", ".", "..") for part in parts)):
        raise Refused("unsafe zip member name (absolute, traversal or malformed)")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as stream:
            content = stream.read(info.file_size + 1)  # bounded by the declared, already checked size
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise Refused(f"damaged zip member {info.filename}") from None
    if len(content) != info.file_size:
        raise Refused(f"zip member {info.filename} does not match its declared size")
    return content


def _zip_findings(data: bytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[Finding]:
    findings: list[Finding] = []
    dates = sorted(info.date_time for info in infos if info.date_time != FIXED_DATE)
    if dates:
        span = _zip_date(dates[0]) if dates[0] == dates[-1] else f"{_zip_date(dates[0])} to {_zip_date(dates[-1])}"
        findings.append(Finding(Category.TIME, "zip entry dates", span, ZIP_WHERE))
    if archive.comment:
        findings.append(Finding(Category.HIDDEN, "zip comment", short(archive.comment.decode("utf-8", "replace")),
                                ZIP_WHERE))
    for info in infos:
        if info.comment:
            findings.append(Finding(Category.HIDDEN, "zip entry comment",
                                    short(info.comment.decode("utf-8", "replace")), info.filename))
    outside, local_extras = _layout(data, archive, infos)
    findings += _extra_findings([info.extra for info in infos] + local_extras)
    marked = [info for info in infos if info.create_system != 0 or info.external_attr != 0]
    if marked:
        findings.append(Finding(Category.OTHER, "zip file-system attributes",
                                f"{len(marked)} entries (made on system {marked[0].create_system})", ZIP_WHERE))
    if outside:
        findings.append(Finding(Category.HIDDEN, "bytes outside the zip members", f"{outside} bytes", ZIP_WHERE))
    return findings


def _zip_date(value: tuple[int, ...]) -> str:
    return "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*value)


def _layout(data: bytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> tuple[int, list[bytes]]:
    """Bytes no member accounts for (prefix, gaps, trailer) and the local extra fields.

    Overlapping members are how the worst zip bombs work: refused.
    """
    position, outside, extras = 0, 0, []
    for info in sorted(infos, key=lambda item: item.header_offset):
        start = info.header_offset
        header = data[start:start + 30]
        if start < position or len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise Refused("overlapping or damaged zip members")
        name_length, extra_length = struct.unpack_from("<HH", header, 26)
        extra_start = start + 30 + name_length
        extras.append(data[extra_start:extra_start + extra_length])
        end = extra_start + extra_length + info.compress_size
        if info.flag_bits & _DATA_DESCRIPTOR:
            zip64 = 0x0001 in _extra_ids(extras[-1])
            end += (4 if data[end:end + 4] == b"PK\x07\x08" else 0) + (20 if zip64 else 12)
        outside += start - position
        position = end
    start_dir = getattr(archive, "start_dir", position)
    if position > start_dir:
        raise Refused("zip members overlap the central directory")
    outside += start_dir - position
    end_record = data.rfind(b"PK\x05\x06")
    if 0 <= end_record <= len(data) - 22:
        comment_length = struct.unpack_from("<H", data, end_record + 20)[0]
        outside += max(0, len(data) - (end_record + 22 + comment_length))
    return outside, extras


def _extra_ids(extra: bytes) -> list[int]:
    ids, offset = [], 0
    while offset + 4 <= len(extra):  # each step advances at least 4 bytes
        header_id, size = struct.unpack_from("<HH", extra, offset)
        ids.append(header_id)
        offset += 4 + size
    if offset != len(extra):
        ids.append(-1)  # trailing bytes that are not a well-formed field
    return ids


_EXTRA_KINDS = {0x5455: (Category.TIME, "zip extended timestamps"), 0x000A: (Category.TIME, "zip NTFS timestamps"),
                0x5855: (Category.TIME, "zip Unix timestamps and owner"), 0x7875: (Category.PERSON, "zip owner ids"),
                0x7855: (Category.PERSON, "zip owner ids")}


def _extra_findings(extras: list[bytes]) -> list[Finding]:
    counts: dict[tuple[Category, str], int] = {}
    for extra in extras:
        for header_id in _extra_ids(extra):
            kind = _EXTRA_KINDS.get(header_id, (Category.OTHER, "zip extra fields"))
            counts[kind] = counts.get(kind, 0) + 1
    return [Finding(category, label, f"{count} fields", ZIP_WHERE) for (category, label), count in counts.items()]


def write_zip(members: Iterable[tuple[str, bytes]], stored: str | None = None) -> bytes:
    """A zip that says nothing about when, where or with what it was made.

    Fixed 1980-01-01 dates, MS-DOS system byte, no extra fields, no comments,
    deflate throughout except the member named `stored` (ODF `mimetype`).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 0
            info.compress_type = zipfile.ZIP_STORED if name == stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
            # writestr fills in Unix permissions (0o600) when the attributes are 0;
            # the central directory is written at close from this same object.
            info.external_attr = 0
    return buffer.getvalue()


# --- XML ------------------------------------------------------------------

MAX_DEPTH = 256  # deeper than any real document; keeps the recursive walks far from the stack limit
XML_NS = "http://www.w3.org/XML/1998/namespace"
KEEP, DROP, UNWRAP = 0, 1, 2


@dataclass
class XmlDoc:
    """A parsed part, with each element's own namespace declarations kept for rewriting.

    The prefixes must survive: `mc:Ignorable="w14 wp14"` names prefixes, and
    Word rejects a part whose ignorable prefixes are renamed or undeclared.
    """

    root: Element
    declarations: dict[Element, list[tuple[str, str]]]
    comments: list[str]  # XML comments and processing instructions: not in the tree, never written


class _Builder(ElementTree.TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.pending: list[tuple[str, str]] = []
        self.declarations: dict[Element, list[tuple[str, str]]] = {}
        self.comments: list[str] = []
        self.depth = 0

    def start_ns(self, prefix: str, uri: str) -> None:
        self.pending.append((prefix or "", uri or ""))

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused(f"XML nested deeper than {MAX_DEPTH} levels")
        element = super().start(tag, attrs)
        if self.pending:
            self.declarations[element] = self.pending
            self.pending = []
        return element

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(tag)

    def comment(self, text: str) -> None:
        self.comments.append(text)

    def pi(self, target: str, text: str | None = None) -> None:
        self.comments.append(f"{target} {text or ''}".strip())


def parse_xml(data: bytes, where: str) -> XmlDoc:
    """defusedxml, with DTDs refused outright: no OOXML or ODF part has one."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    try:
        parser.feed(data)
        root = parser.close()
    except (ElementTree.ParseError, DefusedXmlException, ValueError, LookupError):
        raise Refused(f"{where}: not well-formed XML (or a forbidden DTD/entity)") from None
    return XmlDoc(root, builder.declarations, builder.comments)


@dataclass(frozen=True)
class _Scope:
    prefixes: dict[str, str]
    for_elements: dict[str, str]
    for_attributes: dict[str, str]

    def declare(self, pairs: list[tuple[str, str]]) -> _Scope:
        prefixes = {**self.prefixes, **dict(pairs)}
        return _Scope(prefixes, {uri: prefix for prefix, uri in prefixes.items()},
                      {uri: prefix for prefix, uri in prefixes.items() if prefix})

    def name(self, qualified: str, attribute: bool) -> str:
        if not qualified.startswith("{"):
            if not attribute and self.prefixes.get(""):
                raise Refused("XML element without namespace inside a default namespace")
            return qualified
        uri, local = qualified[1:].split("}", 1)
        if uri == XML_NS:
            return "xml:" + local
        prefix = (self.for_attributes if attribute else self.for_elements).get(uri)
        if prefix is None:
            raise Refused("XML namespace lost while rewriting")
        return f"{prefix}:{local}" if prefix else local


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;",
                                    "\n": "&#10;", "\r": "&#13;"})


def serialize_xml(doc: XmlDoc, standalone: bool) -> bytes:
    """UTF-8 XML with every original prefix and declaration where it was."""
    out = ['<?xml version="1.0" encoding="UTF-8"' + (' standalone="yes"' if standalone else "") + "?>\n"]
    _write(doc.root, doc.declarations, _Scope({}, {}, {}), out)
    return "".join(out).encode("utf-8")


def _write(element: Element, declarations: dict[Element, list[tuple[str, str]]], scope: _Scope,
           out: list[str]) -> None:
    pairs = declarations.get(element, [])
    if pairs:
        scope = scope.declare(pairs)
    tag = scope.name(element.tag, attribute=False)
    out.append("<" + tag)
    for prefix, uri in pairs:
        out.append(f' xmlns{":" + prefix if prefix else ""}="{uri.translate(_ATTRIBUTE_ESCAPES)}"')
    for key, value in element.items():
        out.append(f' {scope.name(key, attribute=True)}="{value.translate(_ATTRIBUTE_ESCAPES)}"')
    if len(element) or element.text:
        out.append(">" + (element.text or "").translate(_TEXT_ESCAPES))
        for child in element:
            _write(child, declarations, scope, out)
        out.append(f"</{tag}>")
    else:
        out.append("/>")
    if element.tail:
        out.append(element.tail.translate(_TEXT_ESCAPES))


def rewrite(doc: XmlDoc, decide: Callable[[Element], int], after: Callable[[Element], bool] | None = None) -> None:
    """Walk the tree once; `decide` says KEEP, DROP (with subtree) or UNWRAP (keep the children).

    `after` runs on a kept element once its children are done and may drop it
    (an extension list left empty). Text and tails are never lost: what
    followed a dropped element moves to its previous sibling.
    """
    _rewrite(doc.root, decide, after, doc.declarations)


def _rewrite(element: Element, decide: Callable[[Element], int], after: Callable[[Element], bool] | None,
             declarations: dict[Element, list[tuple[str, str]]]) -> None:
    kept: list[Element] = []
    changed = False
    pending = list(reversed(element))
    while pending:  # each element is popped once; unwrapping only moves children up
        child = pending.pop()
        action = decide(child)
        if action == KEEP:
            _rewrite(child, decide, after, declarations)
            if after is None or not after(child):
                kept.append(child)
                continue
            action = DROP
        changed = True
        if action == UNWRAP:
            _append_text(element, kept, child.text)
            moved = list(child)
            _inherit_declarations(child, moved, declarations)
            if moved:
                moved[-1].tail = (moved[-1].tail or "") + (child.tail or "")
            else:
                _append_text(element, kept, child.tail)
            pending.extend(reversed(moved))
        else:
            _append_text(element, kept, child.tail)
    if changed:
        element[:] = kept


def _append_text(parent: Element, kept: list[Element], text: str | None) -> None:
    if not text:
        return
    if kept:
        kept[-1].tail = (kept[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _inherit_declarations(parent: Element, children: list[Element],
                          declarations: dict[Element, list[tuple[str, str]]]) -> None:
    inherited = declarations.get(parent)
    if not inherited:
        return
    for child in children:
        merged = dict(inherited)
        merged.update(dict(declarations.get(child, [])))
        declarations[child] = list(merged.items())


# --- values of metadata parts ---------------------------------------------

_VALUE_CATEGORIES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"UpToDate|Changed$", re.I), Category.OTHER),
    (re.compile(r"creator|author|by$|user|person|owner|manager|company|initials|displayname|e?mail|editor|signer"
                r"|lastmodifiedby|printed-?by|sender", re.I), Category.PERSON),
    (re.compile(r"date|time|created|modified|printed|duration|^dt$", re.I), Category.TIME),
    (re.compile(r"application|version|generator|software|producer|tool|build", re.I), Category.SOFTWARE),
    (re.compile(r"printer|device|host|computer|machine", re.I), Category.DEVICE),
    (re.compile(r"location|city|country|gps|latitude|longitude|address", re.I), Category.LOCATION),
)
_PERSON_ELEMENTS = frozenset({"cmAuthor", "author", "person", "chgData"})
_RECORD_ELEMENTS = frozenset({"comment", "threadedComment", "cm"})
_PROPERTY_ELEMENTS = frozenset({"property", "user-defined"})
_VT_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
# Attributes that only link records to each other: their values say nothing.
_SILENT_ATTRIBUTES = frozenset({"id", "Id", "personId", "parentId", "authorId", "durableId", "paraId",
                                "paraIdParent", "textId", "idx", "space", "lang", "uri", "fmtid", "pid",
                                "lastIdx", "clrIdx", "ref", "shapeId", "type", "value-type", "size",
                                "baseType", "Ignorable", "ProcessContent", "MustUnderstand", "PreserveElements",
                                "PreserveAttributes", "Requires", "schemaLocation", "version", "transformation"})
_MAX_VALUES = 100
# Not listed: the language, and the titles of parts (sheet, slide, font and theme
# names), stay in the document itself; intake.clean would find them there and
# refuse a correct clean copy. Booleans say nothing about anyone.
_UNLISTED_ELEMENTS = frozenset({"language", "HeadingPairs", "TitlesOfParts"})
_BOOLEAN = re.compile(r"^(true|false)$", re.I)


def value_category(name: str, element: str = "") -> Category:
    for pattern, category in _VALUE_CATEGORIES:
        if pattern.search(name):
            return category
    return Category.PERSON if element in _PERSON_ELEMENTS and name in ("name", "displayName") else Category.OTHER


def xml_values(root: Element, where: str) -> list[Finding]:
    """Every value in a metadata part that is removed: properties, comments, authors."""
    findings: list[Finding] = []
    _visit_values(root, "", where, findings)
    if len(findings) > _MAX_VALUES:
        rest = len(findings) - _MAX_VALUES
        findings = findings[:_MAX_VALUES] + [Finding(Category.HIDDEN, "more values", f"{rest} more", where)]
    return findings


def _visit_values(element: Element, label: str, where: str, findings: list[Finding]) -> None:
    name = local_name(element.tag)
    for key, value in element.items():
        key_name = local_name(key)
        if (key_name in _SILENT_ATTRIBUTES or not value.strip() or _BOOLEAN.match(value)
                or (name in _PROPERTY_ELEMENTS and key_name == "name")):
            continue
        findings.append(Finding(value_category(key_name, name), key_name, short(value), where))
    if name in _RECORD_ELEMENTS:
        text = short("".join(element.itertext()))
        if text:
            findings.append(Finding(Category.HIDDEN, "comment text", text, where))
        return
    prop = element.get("name", element.get(_META_NAME, "")) if name in _PROPERTY_ELEMENTS else ""
    if prop:
        findings.append(Finding(value_category(prop), prop, short("".join(element.itertext())) or "(empty)", where))
        return
    if name in _UNLISTED_ELEMENTS:
        return
    # Typed values (vt:lpstr in a vector) are reported under the property that holds them.
    own = label if element.tag.startswith(_VT_NS) and label else name
    if len(element) == 0 and (element.text or "").strip() and not _BOOLEAN.match((element.text or "").strip()):
        findings.append(Finding(value_category(own, name), own, short(element.text or ""), where))
    for child in element:
        _visit_values(child, own, where, findings)


_META_NAME = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}name"
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{4,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")


def binary_strings(data: bytes, limit: int = 5) -> list[str]:
    """Readable runs in a binary blob (printer settings), ASCII and UTF-16LE."""
    found = [run[::2].decode("ascii") for run in _UTF16_RUN.findall(data)[:limit]]
    found += [run.decode("ascii") for run in _ASCII_RUN.findall(data)[:limit]]
    return list(dict.fromkeys(found))[:limit]


def removed_part(name: str, data: bytes, label: str, category: Category = Category.HIDDEN,
                 values: bool = True) -> list[Finding]:
    """Findings for a member that is dropped: its values when it is XML, its size otherwise."""
    head = Finding(category, label, f"{len(data)} bytes", name)
    if not values:
        return [head]
    if not _looks_like_xml(data):
        strings = binary_strings(data)
        return [Finding(category, label, ", ".join(strings), name)] if strings else [head]
    try:
        doc = parse_xml(data, name)
    except Refused:
        return [head]
    comments = [Finding(Category.HIDDEN, "XML comment", short(text), name) for text in doc.comments if text.strip()]
    return [head] + xml_values(doc.root, name) + comments


def note_kept_values(findings: list[Finding], removed_parts: set[str], output: list[bytes]) -> list[Finding]:
    """Mark "other" values of removed parts whose text stays elsewhere, as the document's own.

    A custom property named "Office" is gone with its part, while the theme
    called "Office" stays; listed as is, intake.clean would take the theme's
    name for a leftover and refuse a correct copy. Only the "other" category:
    a person, time, device or place found in the copy must still fail the check.
    """
    marked = []
    for finding in findings:
        value = finding.value.strip()
        if (finding.category == Category.OTHER and finding.where in removed_parts and len(value) >= 5
                and any(encoded in data for encoded in _encodings(value) for data in output)):
            finding = Finding(finding.category, finding.field, f"{value} (the same text stays in the document)",
                              finding.where)
        marked.append(finding)
    return marked


def _encodings(value: str) -> tuple[bytes, ...]:
    return value.encode("utf-8"), value.encode("utf-16-le"), value.encode("utf-16-be")


def _looks_like_xml(data: bytes) -> bool:
    start = data[:64].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return start.startswith(b"<") or data[:2] in (b"\xff\xfe", b"\xfe\xff")


# --- embedded pictures ----------------------------------------------------

_IMAGE_MODULES = {"image/jpeg": "jpeg", "image/png": "png"}


def _image_module(media_type: str) -> ModuleType | None:
    # Imported lazily: the JPEG and PNG modules are separate and optional here;
    # without one, a document with such a picture is refused, not half-cleaned.
    module_name = _IMAGE_MODULES.get(media_type)
    if module_name is None:
        return None
    try:
        return importlib.import_module(f"intake.formats.{module_name}")
    except ImportError:
        return None


def _picture_module(name: str, data: bytes) -> ModuleType:
    media_type = sniff(data[:HEAD_SIZE])
    if media_type not in _IMAGE_MODULES:
        raise Refused(f"embedded {media_type} media {name} cannot be cleaned")
    module = _image_module(media_type)
    if module is None:
        raise Refused(f"no cleaner for the embedded {media_type} picture {name}")
    return module


def clean_image(name: str, data: bytes) -> tuple[bytes, list[Finding]]:
    """A JPEG or PNG member cleaned by its own module; anything else is refused."""
    module = _picture_module(name, data)
    try:
        findings = [Finding(f.category, f.field, f.value, f"{name}: {f.where}") for f in module.inspect(data)]
        return module.sanitize(data), findings
    except Refused as error:
        raise Refused(f"{name}: {error}") from None


def image_content(name: str, data: bytes) -> list[bytes]:
    module = _picture_module(name, data)
    try:
        return list(module.content(data))
    except Refused as error:
        raise Refused(f"{name}: {error}") from None


def member_views(members: Iterable[Member]) -> list[View]:
    """Each member as stored, UTF-16 XML also as UTF-8, pictures also as their own views."""
    views: list[View] = []
    for member in members:
        views.append(View(member.name, member.data))
        if member.data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            views.append(View(f"{member.name} (decoded from UTF-16)",
                              member.data.decode("utf-16", "replace").encode("utf-8")))
        module = _image_module(sniff(member.data[:HEAD_SIZE]))
        if module is not None:
            try:
                views += [View(f"{member.name}: {view.where}", view.data) for view in module.views(member.data)]
            except Refused:
                pass  # the picture's own bytes are already a view; cleaning will refuse it
    return views


# ---------------------------------------------------------------------------
# OOXML
# ---------------------------------------------------------------------------

_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_WP14 = "{http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_O = "{urn:schemas-microsoft-com:office:office}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_X15AC = "{http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac}"
_XR = "{http://schemas.microsoft.com/office/spreadsheetml/2014/revision}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_A16 = "{http://schemas.microsoft.com/office/drawing/2014/main}"
_P14 = "{http://schemas.microsoft.com/office/powerpoint/2010/main}"
_STRICT = "http://purl.oclc.org/ooxml/"
_XR_UID = re.compile(r"^\{http://schemas\.microsoft\.com/office/spreadsheetml/20\d\d/revision\d*\}uid$")
_WORD_NS = re.compile(r"^\{http://schemas\.(openxmlformats\.org/wordprocessingml|microsoft\.com/office/word)/")
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_TYPES_NAME = "[content_types].xml"

_OD = "application/vnd.openxmlformats-officedocument."
_WML, _SML, _PML, _DML = _OD + "wordprocessingml.", _OD + "spreadsheetml.", _OD + "presentationml.", _OD + "drawingml."
_WORD_TEXT_TYPES = frozenset(_WML + kind for kind in (
    "document.main+xml", "template.main+xml", "document.glossary+xml", "header+xml", "footer+xml",
    "footnotes+xml", "endnotes+xml"))
_SHEET_MAIN_TYPES = frozenset({_SML + "sheet.main+xml", _SML + "template.main+xml"})
_SHARED_STRINGS = _SML + "sharedStrings+xml"
_WORKSHEET = _SML + "worksheet+xml"
_SLIDE_TEXT_TYPES = frozenset({_PML + "slide+xml", _PML + "notesSlide+xml"})
_SETTINGS = _WML + "settings+xml"
_CLEANED_TYPES = _WORD_TEXT_TYPES | _SHEET_MAIN_TYPES | _SLIDE_TEXT_TYPES | frozenset(
    [_SHARED_STRINGS, _WORKSHEET, _SETTINGS]
    + [_WML + kind for kind in ("styles+xml", "webSettings+xml", "fontTable+xml", "numbering+xml")]
    + ["application/vnd.ms-word.stylesWithEffects+xml"]
    + [_OD + kind for kind in ("theme+xml", "themeOverride+xml", "drawing+xml", "vmlDrawing")]
    + [_DML + kind for kind in ("chart+xml", "chartshapes+xml", "diagramData+xml", "diagramLayout+xml",
                                "diagramStyle+xml", "diagramColors+xml")]
    + ["application/vnd.ms-office.drawingml.diagramDrawing+xml", "application/vnd.ms-office.chartstyle+xml",
       "application/vnd.ms-office.chartcolorstyle+xml"]
    + [_SML + kind for kind in ("chartsheet+xml", "styles+xml", "calcChain+xml", "table+xml", "pivotTable+xml",
                                "pivotCacheDefinition+xml", "pivotCacheRecords+xml", "volatileDependencies+xml",
                                "sheetMetadata+xml")]
    + [_PML + kind for kind in ("presentation.main+xml", "slideshow.main+xml", "template.main+xml",
                                "slideLayout+xml", "slideMaster+xml", "notesMaster+xml", "handoutMaster+xml",
                                "presProps+xml", "viewProps+xml", "tableStyles+xml")])

# Parts that are metadata only: dropped with their relationships.
_DROPPED_TYPES = frozenset(
    ["application/vnd.openxmlformats-package.core-properties+xml", _OD + "extended-properties+xml",
     _OD + "custom-properties+xml", _OD + "customXmlProperties+xml",
     "application/vnd.ms-excel.threadedcomments+xml", "application/vnd.ms-excel.person+xml",
     "application/vnd.ms-powerpoint.comments+xml", "application/vnd.ms-powerpoint.authors+xml",
     "application/vnd.ms-powerpoint.revisioninfo+xml", "application/vnd.ms-powerpoint.changesinfo+xml",
     "application/vnd.ms-office.intelligence2+xml", "application/vnd.ms-office.webextension+xml",
     "application/vnd.ms-office.webextensiontaskpanes+xml", "application/vnd.ms-office.classificationlabels+xml",
     "application/vnd.openxmlformats-package.digital-signature-origin",
     "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml",
     "application/vnd.openxmlformats-package.digital-signature-certificate"]
    + [_WML + kind for kind in ("comments+xml", "commentsExtended+xml", "commentsIds+xml",
                                "commentsExtensible+xml", "people+xml", "printerSettings")]
    + [_SML + kind for kind in ("comments+xml", "revisionHeaders+xml", "revisionLog+xml", "userNames+xml",
                                "printerSettings")]
    + [_PML + kind for kind in ("commentAuthors+xml", "comments+xml", "tags+xml", "printerSettings")])
_DROPPED_RELATIONSHIPS = ("/metadata/core-properties", "/extended-properties", "/custom-properties",
                          "/metadata/thumbnail", "/digital-signature/origin", "/comments", "/commentsExtended",
                          "/commentsIds", "/commentsExtensible", "/people", "/printerSettings", "/customXml",
                          "/customXmlProps", "/commentAuthors", "/threadedComment", "/person", "/revisionInfo",
                          "/tags", "/webextension", "/webextensiontaskpanes", "/classificationlabels",
                          "/revisionHeaders", "/revisionLog", "/usernames", "/authors", "/changesInfo",
                          "/intelligence")
_DROPPED_FOLDERS = ("docprops/", "customxml/", "_xmlsignatures/", "docmetadata/")

_REFUSED_KINDS = (
    (re.compile(r"/embeddings/|oleObject|\.package$|officedocument\.(spreadsheetml|wordprocessingml|"
                r"presentationml)\.(sheet|document|presentation)$", re.I), "embedded object {} cannot be cleaned"),
    (re.compile(r"vbaProject|vbaData|macro", re.I), "macros ({}) cannot be cleaned"),
    (re.compile(r"activeX", re.I), "ActiveX control {} cannot be cleaned"),
    (re.compile(r"externalLink|connections|queryTable|xmlMaps", re.I), "link to external data ({}) cannot be cleaned"),
    (re.compile(r"font", re.I), "embedded font {} cannot be cleaned"),
    (re.compile(r"^(video|audio)/", re.I), "embedded media {} cannot be cleaned"),
)


@dataclass
class _Package:
    order: list[str]                  # member names, zip order, no folder entries
    files: dict[str, bytes]
    by_lower: dict[str, str]          # part names are case-insensitive
    types: XmlDoc
    types_name: str
    rels: dict[str, XmlDoc]           # lower-case source part ("" = package) -> its relationships
    rels_names: dict[str, str]        # lower-case source part -> rels member name
    overrides: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def content_type(self, name: str) -> str:
        found = self.overrides.get(name.lower()) or self.overrides.get(unquote(name).lower())
        return found or self.defaults.get(posixpath.splitext(name)[1][1:].lower(), "")


@dataclass
class _Plan:
    kept: set[str]
    dropped: dict[str, str]           # member -> reason label
    removed_ids: dict[str, set[str]]  # lower-case source part -> relationship ids removed


def _load(data: bytes) -> tuple[_Package, list[Finding]]:
    members, findings = read_zip(data)
    # Folder entries are dropped: empty, and their dates are already among the zip dates.
    files = {member.name: member.data for member in members if not member.name.endswith("/")}
    order = [member.name for member in members if not member.name.endswith("/")]
    by_lower = {name.lower(): name for name in order}
    types_name = by_lower.get(_TYPES_NAME)
    if types_name is None:
        raise Refused("not an Office Open XML package (no [Content_Types].xml)")
    package = _Package(order, files, by_lower, parse_xml(files[types_name], types_name), types_name, {}, {})
    for name in order:
        source = _source_of(name)
        if source is not None:
            package.rels[source.lower()] = parse_xml(files[name], name)
            package.rels_names[source.lower()] = name
    if "" not in package.rels:
        raise Refused("not an Office Open XML package (no _rels/.rels)")
    _read_types(package)
    return package, findings


def _source_of(name: str) -> str | None:
    folder, base = posixpath.split(name)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[:-5])


def _read_types(package: _Package) -> None:
    for entry in package.types.root:
        if entry.tag == _CT + "Override":
            package.overrides[entry.get("PartName", "").lstrip("/").lower()] = entry.get("ContentType", "")
        elif entry.tag == _CT + "Default":
            package.defaults[entry.get("Extension", "").lower()] = entry.get("ContentType", "")
    if any(value.startswith(_STRICT) for doc in package.rels.values() for rel in doc.root
           for value in (rel.get("Type", ""),)):
        raise Refused("Strict Open XML documents are not supported")


def _relationships(package: _Package, source: str) -> Iterator[tuple[Element, str | None]]:
    """Relationships of a part with the member each one points to (None: external or missing)."""
    doc = package.rels.get(source.lower())
    for rel in doc.root if doc is not None else ():
        if rel.tag == _RELS + "Relationship":
            yield rel, _target(package, source, rel)


def _target(package: _Package, source: str, rel: Element) -> str | None:
    if rel.get("TargetMode") == "External":
        return None
    target = rel.get("Target", "").split("#", 1)[0]
    if not target:
        return None
    joined = target[1:] if target.startswith("/") else posixpath.join(posixpath.dirname(source), target)
    for candidate in (joined, unquote(joined)):
        path = posixpath.normpath(candidate)
        if path.startswith("../") or path in (".", ".."):
            return None
        if path.lower() in package.by_lower:
            return package.by_lower[path.lower()]
    return None


def _walk(package: _Package, dropped: set[str]) -> tuple[set[str], dict[str, set[str]]]:
    """Parts reachable from the package relationships, not passing through dropped parts."""
    reached: set[str] = set()
    incoming: dict[str, set[str]] = {}
    queue = [""]
    while queue:  # each part enters the queue once
        source = queue.pop()
        for rel, name in _relationships(package, source):
            if name is None or name in dropped:
                continue
            incoming.setdefault(name, set()).add(rel.get("Type", ""))
            if name not in reached:
                reached.add(name)
                queue.append(name)
    return reached, incoming


def _is_dropped(package: _Package, name: str, rel_types: set[str]) -> bool:
    lower = name.lower()
    return (lower.startswith(_DROPPED_FOLDERS) or "/printersettings/" in lower
            or package.content_type(name) in _DROPPED_TYPES
            or any(rel_type.endswith(_DROPPED_RELATIONSHIPS) for rel_type in rel_types))


def _plan(package: _Package) -> _Plan:
    reached, incoming = _walk(package, set())
    dropped = {name for name in reached if _is_dropped(package, name, incoming[name])}
    dropped |= _comment_drawings(package, reached)
    kept_parts, _ = _walk(package, dropped)
    plan = _Plan({package.types_name}, {name: "removed" for name in dropped}, {})
    for source in [""] + sorted(kept_parts):
        rels_name = package.rels_names.get(source.lower())
        if rels_name is not None:
            plan.kept.add(rels_name)
        plan.removed_ids[source.lower()] = {rel.get("Id", "") for rel, name in _relationships(package, source)
                                            if name in dropped}
    plan.kept |= kept_parts
    for name in package.order:
        source = _source_of(name)
        if name not in plan.kept and name not in dropped and (source is None or source not in dropped):
            plan.dropped[name] = "unreferenced"
    return plan


def _comment_drawings(package: _Package, reached: set[str]) -> set[str]:
    """Legacy (VML) drawings that only carry the boxes of a sheet's comments."""
    drawings: set[str] = set()
    for source in reached:
        rels = list(_relationships(package, source))
        if any(rel.get("Type", "").endswith("/comments") for rel, _ in rels):
            drawings |= {name for rel, name in rels if name and rel.get("Type", "").endswith("/vmlDrawing")}
    return drawings


def _dropped_findings(package: _Package, plan: _Plan) -> list[Finding]:
    findings: list[Finding] = []
    for name in package.order:
        reason = plan.dropped.get(name)
        if reason is not None:
            # An unused part may be a stale copy of a kept one: only its size is listed,
            # its values could be the document's own (shape names, styles).
            label, category = _drop_label(package, name, reason)
            findings += removed_part(name, package.files[name], label, category, values=reason != "unreferenced")
    return findings


def _drop_label(package: _Package, name: str, reason: str) -> tuple[str, Category]:
    lower, content_type = name.lower(), package.content_type(name)
    if reason == "unreferenced":
        return "part not used by the document", Category.HIDDEN
    if "thumbnail" in lower:
        return "thumbnail image", Category.HIDDEN
    if "printersettings" in lower or content_type.endswith("printerSettings"):
        return "printer settings", Category.DEVICE
    if "signature" in content_type or lower.startswith("_xmlsignatures/"):
        return "digital signature", Category.PERSON
    if lower.startswith("docprops/"):
        return "document properties", Category.OTHER
    for pattern, label in _DROP_LABELS:
        if pattern.search(content_type) or pattern.search(lower):
            return label, Category.HIDDEN
    return "removed part", Category.HIDDEN


_DROP_LABELS = ((re.compile(r"people|person|authors", re.I), "comment authors"),
                (re.compile(r"comment", re.I), "comments"),
                (re.compile(r"customxml", re.I), "custom XML data"),
                (re.compile(r"tags", re.I), "add-in tags"),
                (re.compile(r"revision|usernames|changesinfo", re.I), "revision log"),
                (re.compile(r"webextension", re.I), "add-in data"),
                (re.compile(r"classificationlabels|docmetadata", re.I), "sensitivity label"))


# --- cleaning one XML part ---------------------------------------------------

_DELETED = frozenset({_W + "del", _W + "moveFrom"})
_INSERTED = frozenset({_W + "ins", _W + "moveTo"})
_CHANGE_RECORDS = frozenset(_W + kind for kind in (
    "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange", "tblGridChange",
    "tblPrExChange", "numberingChange", "cellIns", "cellDel", "cellMerge", "moveFromRangeStart",
    "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd", "customXmlInsRangeStart", "customXmlInsRangeEnd",
    "customXmlDelRangeStart", "customXmlDelRangeEnd", "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd",
    "customXmlMoveToRangeStart", "customXmlMoveToRangeEnd"))
_COMMENT_MARKS = frozenset({_W + "commentRangeStart", _W + "commentRangeEnd", _W + "commentReference"})
_DELETED_TEXT = frozenset({_W + "delText", _W + "delInstrText", _W + "t", _W + "instrText"})
# Elements removed outright, with how they are reported: (category, field, value from the element).
_NOTED: dict[str, tuple[Category, str, Callable[[Element], str]]] = {
    _W + "permStart": (Category.PERSON, "editing permission", lambda e: e.get(_W + "ed") or e.get(_W + "edGrp", "")),
    _W + "permEnd": (Category.OTHER, "", lambda e: ""),
    _W + "docVars": (Category.HIDDEN, "document variables",
                     lambda e: "; ".join(f"{v.get(_W + 'name', '')}={v.get(_W + 'val', '')}" for v in e)),
    _W + "mailMerge": (Category.OTHER, "mail merge settings",
                       lambda e: "; ".join(v.get(_W + "val", "") for v in e.iter() if v.get(_W + "val"))),
    _W14 + "docId": (Category.OTHER, "document id", lambda e: e.get(_W14 + "val", "")),
    _W15 + "docId": (Category.OTHER, "document id", lambda e: e.get(_W15 + "val", "")),
    _S + "fileVersion": (Category.SOFTWARE, "application version (fileVersion)",
                         lambda e: " ".join(f"{local_name(k)}={v}" for k, v in e.items())),
    _XR + "revisionPtr": (Category.OTHER, "document revision id",
                          lambda e: " ".join(f"{local_name(k)}={v}" for k, v in e.items())),
    _X15AC + "absPath": (Category.PERSON, "folder the file was saved in", lambda e: e.get("url", "")),
}
# Identifier elements removed outright: random ids that persist across editing
# sessions and copies, so they link files to each other. Counted, not listed.
_COUNTED: dict[str, str] = {
    _W + "rsids": "editing session ids (rsid)",  # settings: the list of every session's id
    _W + "rsid": "editing session ids (rsid)",  # styles: the session that made each style
    _W + "nsid": "list ids (w:nsid)",
    _P14 + "creationId": "object ids (creationId)", _P14 + "modId": "object ids (creationId)",
    _A16 + "creationId": "object ids (creationId)",
}
_CHANGE_ATTRIBUTES = {_W + "author": (Category.PERSON, "tracked change author"),
                      _W + "date": (Category.TIME, "tracked change date"),
                      "{http://schemas.microsoft.com/office/word/2023/wordml/word16du}dateUtc":
                          (Category.TIME, "tracked change date")}
_LINKED_SETTINGS = frozenset({_W + "attachedTemplate", _W + "saveThroughXslt"})
# Session and revision identifiers: counted, not listed one by one.
_ID_LABELS = {_W14 + "paraId": "paragraph ids (w14:paraId/textId)",
              _W14 + "textId": "paragraph ids (w14:paraId/textId)",
              _WP14 + "anchorId": "drawing ids (wp14:anchorId/editId)",
              _WP14 + "editId": "drawing ids (wp14:anchorId/editId)"}
_PERSON_ATTRIBUTES = {(_S + "fileSharing", "userName"): Category.PERSON,
                      (_S + "pivotCacheDefinition", "refreshedBy"): Category.PERSON,
                      (_S + "pivotCacheDefinition", "refreshedDate"): Category.TIME,
                      (_S + "pivotCacheDefinition", "refreshedDateIso"): Category.TIME}


class _PartCleaner:
    """Decides, element by element, what leaves one XML part; records what it removes."""

    def __init__(self, where: str, removed_ids: set[str], targets: dict[str, str]) -> None:
        self.where = where
        self.removed_ids = removed_ids
        self.targets = targets
        self.record = Recorder(where)
        self.goback: set[str] = set()

    def decide(self, element: Element) -> int:
        tag = element.tag
        if tag in _DELETED or tag in _CHANGE_RECORDS or (tag == _W + "tr" and _row_deleted(element)):
            self._tracked(element, deleted=tag not in _CHANGE_RECORDS)
            return DROP
        if tag in _INSERTED:
            self._tracked(element, deleted=False)
            return UNWRAP
        if tag in _COMMENT_MARKS or (tag == _W + "r" and _comment_run(element)):
            return DROP
        if tag in _COUNTED:
            self.record.count(_COUNTED[tag], len(element) or 1)
            return DROP
        if tag in _NOTED or tag in _LINKED_SETTINGS:
            self._note(element)
            return DROP
        if tag == _MC + "AlternateContent" and element.find(f".//{_X15AC}absPath") is not None:
            self._note(element.find(f".//{_X15AC}absPath"))  # type: ignore[arg-type]
            return DROP
        if self._last_edit_position(element):
            return DROP
        return DROP if self._attributes(element) else KEEP

    def _tracked(self, element: Element, deleted: bool) -> None:
        for item in element.iter() if deleted else (element,):
            for key, value in item.items():
                if key in _CHANGE_ATTRIBUTES:
                    self._find(*_CHANGE_ATTRIBUTES[key], value)
        if deleted:
            text = "".join(part.text or "" for part in element.iter() if part.tag in _DELETED_TEXT)
            if text.strip():
                moved = element.tag == _W + "moveFrom"
                self._find(Category.HIDDEN, "moved text, old place" if moved else "deleted text (tracked change)", text)

    def _note(self, element: Element) -> None:
        if element.tag in _LINKED_SETTINGS:
            target = self.targets.get(element.get(_R + "id", ""), "")
            self._find(Category.PERSON, f"{local_name(element.tag)} path", target or "(link)")
            return
        category, label, value = _NOTED[element.tag]
        if label:
            self._find(category, label, value(element) or "(empty)")

    def _last_edit_position(self, element: Element) -> bool:
        """Word's `_GoBack` bookmark marks where the author last typed."""
        if element.tag == _W + "bookmarkStart" and element.get(_W + "name") == "_GoBack":
            self.goback.add(element.get(_W + "id", ""))
            self._find(Category.OTHER, "last edit position (_GoBack bookmark)", "present")
            return True
        return element.tag == _W + "bookmarkEnd" and element.get(_W + "id") in self.goback

    def _attributes(self, element: Element) -> bool:
        """Strips identifying attributes; True when only a dangling relationship reference was left."""
        dangling = False
        for key in element.keys():
            value = element.get(key, "")
            if key.startswith(_R) and value in self.removed_ids:
                dangling = True
            elif key.startswith(_W + "rsid"):
                self.record.count("editing session ids (rsid)")
            elif key in _ID_LABELS:
                self.record.count(_ID_LABELS[key])
            elif _XR_UID.match(key):
                self.record.count("revision ids (xr:uid)")
            elif key == _O + "gfxdata":
                self._find(Category.HIDDEN, "embedded copy of a shape (o:gfxdata)", f"{len(value)} characters")
            elif (element.tag, key) in _PERSON_ATTRIBUTES:
                self._find(_PERSON_ATTRIBUTES[element.tag, key], key, value)
            elif _WORD_NS.match(key) and local_name(key) in ("author", "date", "dateUtc", "initials"):
                self._find(Category.TIME if "date" in key else Category.PERSON, local_name(key), value)
            else:
                continue
            del element.attrib[key]
        return dangling and not len(element) and not element.attrib and not (element.text or "").strip()

    def _find(self, category: Category, label: str, value: str) -> None:
        self.record.add(category, label, value)


def _row_deleted(row: Element) -> bool:
    properties = row.find(_W + "trPr")
    return properties is not None and properties.find(_W + "del") is not None


def _comment_run(run: Element) -> bool:
    tags = {child.tag for child in run}
    return _W + "commentReference" in tags and tags <= {_W + "rPr", _W + "commentReference"}


def _empty_extension_list(element: Element) -> bool:
    """After ids are removed, an extension (`ext`) may be empty, and an extension list too."""
    if not element.tag.endswith("extLst"):
        return False
    remaining = [child for child in element if local_name(child.tag) != "ext" or len(child)]
    if len(remaining) != len(element):
        element[:] = remaining
    return not remaining


def _clean_part(doc: XmlDoc, where: str, removed_ids: set[str], targets: dict[str, str]) -> list[Finding]:
    if any(uri.startswith(_STRICT) for pairs in doc.declarations.values() for _, uri in pairs):
        raise Refused("Strict Open XML documents are not supported")
    cleaner = _PartCleaner(where, removed_ids, targets)
    root_dangling = cleaner._attributes(doc.root)  # the root carries rsids and ids too
    if root_dangling:
        raise Refused(f"{where}: the part itself points to removed metadata")
    rewrite(doc, cleaner.decide, _empty_extension_list)
    return cleaner.record.findings(doc.comments)


# --- the package ------------------------------------------------------------

def _clean(data: bytes) -> tuple[bytes, list[Finding]]:
    package, findings = _load(data)
    plan = _plan(package)
    findings += _dropped_findings(package, plan)
    outputs: dict[str, bytes] = {}
    cleaned: dict[str, XmlDoc] = {}
    for name in package.order:
        if name in plan.kept and name != package.types_name and _source_of(name) is None:
            outputs[name], part_findings = _clean_member(package, plan, name, cleaned)
            findings += part_findings
    for source, rels_name in package.rels_names.items():
        if rels_name in plan.kept:
            outputs[rels_name] = _clean_rels(package, plan, source, cleaned.get(source))
    outputs[package.types_name] = _clean_types(package, plan)
    members = [(name, outputs[name]) for name in package.order if name in plan.kept]
    clean = write_zip(members)
    findings = note_kept_values(findings, set(plan.dropped), [clean] + [data for _, data in members])
    return clean, unique(findings)


def _clean_member(package: _Package, plan: _Plan, name: str, cleaned: dict[str, XmlDoc]) -> tuple[bytes, list[Finding]]:
    content_type = package.content_type(name)
    if not package.files[name].strip():
        return package.files[name], []  # an empty part says nothing (and is no XML to parse)
    if content_type in _CLEANED_TYPES:
        doc = parse_xml(package.files[name], name)
        targets = {rel.get("Id", ""): rel.get("Target", "") for rel, _ in _relationships(package, name)}
        findings = _clean_part(doc, name, plan.removed_ids.get(name.lower(), set()), targets)
        cleaned[name.lower()] = doc
        return serialize_xml(doc, standalone=True), findings
    if content_type.startswith("image/"):
        return clean_image(name, package.files[name])
    for pattern, reason in _REFUSED_KINDS:
        if pattern.search(name) or pattern.search(content_type):
            raise Refused(reason.format(name))
    raise Refused(f"unsupported part {name} ({content_type or 'no content type'})")


def _clean_rels(package: _Package, plan: _Plan, source: str, part: XmlDoc | None) -> bytes:
    doc = package.rels[source]
    removed = plan.removed_ids.get(source, set())
    if part is not None and package.content_type(package.by_lower.get(source, source)) == _SETTINGS:
        # Settings link out only from elements (attached template, mail merge); those are gone.
        referenced = {value for element in part.root.iter() for key, value in element.items() if key.startswith(_R)}
        removed = removed | {rel.get("Id", "") for rel in doc.root if rel.get("Id") not in referenced}
    rewrite(doc, lambda rel: DROP if rel.get("Id") in removed else KEEP)
    for rel in doc.root:
        if rel.get("TargetMode") == "External" and rel.get("Type") != _HYPERLINK:
            raise Refused(f"{package.rels_names[source]}: link to a file outside the document cannot be cleaned")
    return serialize_xml(doc, standalone=True)


def _clean_types(package: _Package, plan: _Plan) -> bytes:
    """Overrides only for the parts written (one for a missing part is an error to some readers)."""
    kept = {name.lower() for name in plan.kept}

    def decide(entry: Element) -> int:
        part = entry.get("PartName", "").lstrip("/").lower()
        return DROP if entry.tag == _CT + "Override" and part not in kept and unquote(part) not in kept else KEEP

    rewrite(package.types, decide)
    return serialize_xml(package.types, standalone=True)


# --- content -----------------------------------------------------------------

def _paragraph_texts(root: Element, paragraph: str, texts: dict[str, str | None],
                     skip: Callable[[Element], bool]) -> list[str]:
    """One string per paragraph, nested paragraphs (text boxes) on their own."""
    lines: list[str] = []

    def visit(element: Element, current: list[str] | None) -> None:
        for child in element:
            if skip(child):
                continue
            if child.tag == paragraph:
                own: list[str] = []
                visit(child, own)
                lines.append("".join(own))
                continue
            if current is not None and child.tag in texts:
                current.append(texts[child.tag] or child.text or "")
            visit(child, current)

    visit(root, None)
    return lines


_TEXT_TYPES = _WORD_TEXT_TYPES | _SLIDE_TEXT_TYPES | _SHEET_MAIN_TYPES | {_SHARED_STRINGS, _WORKSHEET}
_WORD_TEXTS = {_W + "t": None, _W + "instrText": None, _W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n"}
_DRAWING_TEXTS = {_A + "t": None, _A + "br": "\n"}


def _word_skipped(element: Element) -> bool:
    # Accepting tracked changes: deleted and moved-away content is not text; pPr holds tab stops.
    return element.tag in _DELETED or element.tag == _W + "pPr" or (element.tag == _W + "tr" and _row_deleted(element))


def _sheet_lines(root: Element, content_type: str) -> list[str]:
    if content_type == _SHARED_STRINGS:
        return ["".join(t.text or "" for t in item.iter(_S + "t")) for item in root.iter(_S + "si")]
    if content_type in _SHEET_MAIN_TYPES:
        return [sheet.get("name", "") for sheet in root.iter(_S + "sheet")]
    return ["\t".join((cell.get("r", ""), cell.get("t", ""), _child_text(cell, _S + "v"), _child_text(cell, _S + "f"),
                       "".join(t.text or "" for t in cell.iter(_S + "t")))) for cell in root.iter(_S + "c")]


def _child_text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return child.text or "" if child is not None else ""


def _text_of(name: str, data: bytes, content_type: str) -> bytes | None:
    if content_type not in _TEXT_TYPES:
        return None
    lines: list[str] = []  # an empty part is written as it is, and has no text
    if data.strip():
        root = parse_xml(data, name).root
        if content_type in _WORD_TEXT_TYPES:
            lines = _paragraph_texts(root, _W + "p", _WORD_TEXTS, _word_skipped)
        elif content_type in _SLIDE_TEXT_TYPES:
            lines = _paragraph_texts(root, _A + "p", _DRAWING_TEXTS, lambda element: False)
        else:
            lines = _sheet_lines(root, content_type)
    return (name + "\n" + "\n".join(lines)).encode("utf-8")


# --- entry points ---------------------------------------------------------------

@guarded
def inspect(data: bytes) -> list[Finding]:
    return _clean(data)[1]


@guarded
def sanitize(data: bytes) -> bytes:
    return _clean(data)[0]


@guarded
def views(data: bytes) -> list[View]:
    members, _ = read_zip(data)
    return [View("file", data)] + member_views(members)


@guarded
def content(data: bytes) -> list[bytes]:
    """Document text after accepting tracked changes, then the kept pictures' content.

    Text is read with insertions accepted and deletions dropped, for the
    original and the clean copy alike: cleaning accepts the changes, so that
    is the text both must share; everything else cleaning does must leave it
    untouched.
    """
    package, _ = _load(data)
    plan = _plan(package)
    texts: list[bytes] = []
    pictures: list[bytes] = []
    for name in package.order:
        if name not in plan.kept:
            continue
        content_type = package.content_type(name)
        text = _text_of(name, package.files[name], content_type)
        if text is not None:
            texts.append(text)
        elif content_type.startswith("image/"):
            pictures += image_content(name, package.files[name])
    return texts + pictures
