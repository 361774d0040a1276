"""Zip packages of XML parts (OOXML, OpenDocument): reading them safely, writing them blank.

Shared by ooxml.py and odf.py; nothing here knows which of the two it serves,
beyond the vocabulary used to label metadata values.

Threat model: the zip is hostile. `read_zip` refuses, before anything is
decompressed or parsed, every member name that could land outside a target
folder (absolute, drive letters, backslashes, `.` / `..` / empty segments,
a NUL byte that cuts the name short), two members whose names differ only
in case (two readers would see two different files), encrypted members,
compression other than stored/deflate, more than MAX_MEMBERS members, a member
declared to expand past MAX_MEMBER_SIZE, members held in memory (up to
HELD_SIZE each) declared to expand past MAX_TOTAL_SIZE in total, members
declared to expand more than MAX_RATIO times their compressed size (bombs;
tiny members are exempt), and members that overlap each other or the central
directory (the overlapping-entry bomb). Every member is read bounded by its
declared size, and must match it: the held ones when the zip is opened, the
bigger ones (pictures) each time they are used, one at a time, so that a
document of any size is cleaned in bounded memory (ZipRead, PackageStream).
What the zip itself says about its maker (entry dates, comments, extra
fields, file-system attributes, bytes outside any member) is reported.

XML parts go through defusedxml with DTDs refused and nesting capped; the
rewriter keeps every namespace prefix where it was declared, because
`mc:Ignorable` and friends name prefixes. Comments and processing
instructions are reported, never written.

`write_zip` (in memory) and `write_zip_to` (member by member into a file, the same
bytes) guarantee a zip that says nothing about when, where or with what
it was made: members in the given order, every date 1980-01-01 00:00:00,
MS-DOS system byte and no file attributes, no extra fields, no archive or
entry comments, deflate throughout except the one member named `stored`
(ODF `mimetype`, which its caller puts first).

Entry points wrapped in `guarded` raise Refused only, never a library error.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from intake.formats import handler_for
from intake.formats.base import (Category, ContentDigest, FileBytes, Finding, FormatModule, View, categorise, parse_with,
                                 refusing, shorten)
from intake.errors import Refused
from intake.formats.shared.officexml import UNKNOWN, Vocabulary, leftovers, remove_stray_text, split_name, without_fonts
from intake.support.sniff import HEAD_SIZE, sniff

# --- guarded entry points ---------------------------------------------------


# What hostile input can make the standard library raise; all of it means "refuse".
# TypeError and AttributeError too: a bug met on strange input must refuse the
# file (nothing is written), never let an exception or a half-clean copy out.
_MALFORMED = (zipfile.BadZipFile, zlib.error, ValueError, KeyError, IndexError, EOFError, OSError,
              struct.error, NotImplementedError, OverflowError, RecursionError, ElementTree.ParseError,
              LookupError, TypeError, AttributeError)


def _refusal(error: Exception) -> str | None:
    return f"malformed document ({type(error).__name__})" if isinstance(error, _MALFORMED) else None


# Entry points raise Refused only, never a library's own exception (contract of base.py).
guarded = refusing(_refusal)


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
        elif (text := shorten(value)) not in values:
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
        found += [Finding(Category.HIDDEN, "XML comment", shorten(text) or "(empty)", self.where) for text in comments]
        return unique(found)


# --- zip ------------------------------------------------------------------

MAX_MEMBERS = 10_000
# Members up to this size are read once, when the zip is opened, and held (the XML parts the
# cleaning rules read across members); bigger ones (pictures) are read when they are used, one
# at a time, and let go after: a document of any size is cleaned in bounded memory.
HELD_SIZE = 1 << 20
# What the held members may add up to (decompressed); and what any one member may be, since it
# is read whole when it is cleaned, compared or scanned.
MAX_TOTAL_SIZE = 512 * 1024 * 1024
MAX_MEMBER_SIZE = 64 * 1024 * 1024
MAX_RATIO = 200
# A member smaller than this cannot be a bomb whatever its ratio; tiny, very
# regular XML parts (a run of empty cells) legitimately compress very well.
RATIO_FLOOR = 256 * 1024
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_ENCRYPTED = 0x01 | 0x40
_DATA_DESCRIPTOR = 0x08
_DRIVE = re.compile(r"^[A-Za-z]:")
ZIP_WHERE = "zip structure"
# The end of central directory record and its comment lie in this many last bytes of a zip.
_END_WINDOW = 22 + 0xFFFF


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes


class ZipRead:
    """A zip package opened from a seekable file under the safety limits: the small members held,
    the others read on demand (`read`), and what the zip itself reveals (`findings`)."""

    def __init__(self, source: BinaryIO) -> None:
        self.archive = _open_zip(source)
        self.infos = self.archive.infolist()
        _check_infos(self.infos)
        self._by_name = {info.filename: info for info in self.infos}
        self._held = {info.filename: _read_member(self.archive, info) for info in self.infos
                      if info.file_size <= HELD_SIZE}
        self.findings = _zip_findings(FileBytes(source), self.archive, self.infos)
        self.files = Files(self, [info.filename for info in self.infos if not info.filename.endswith("/")])

    def read(self, name: str) -> bytes:
        """A member's bytes: held, or read now (bounded by its declared size, which it must match)."""
        held = self._held.get(name)
        return held if held is not None else _read_member(self.archive, self._by_name[name])

    def members(self) -> Iterator[Member]:
        """Every member in zip order, folder entries included, each read when it is reached."""
        return (Member(info.filename, self.read(info.filename)) for info in self.infos)


class Files(Mapping[str, bytes]):
    """The members by name, in zip order, without folder entries (empty, their dates already among
    the zip dates); a member not held is read on each look-up, never kept."""

    def __init__(self, read: ZipRead, names: list[str]) -> None:
        self._read = read
        self._names = names
        self._known = frozenset(names)

    def __getitem__(self, name: str) -> bytes:
        if name not in self._known:
            raise KeyError(name)
        return self._read.read(name)

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def read_zip(data: bytes) -> tuple[list[Member], list[Finding]]:
    """Every member, read under the safety limits, and what the zip itself reveals."""
    read = ZipRead(io.BytesIO(data))
    return list(read.members()), read.findings


def read_files(data: bytes) -> tuple[Mapping[str, bytes], list[Finding]]:
    """The members by name, in zip order, without folder entries; and what the zip reveals."""
    return files_of(ZipRead(io.BytesIO(data)))


def files_of(read: ZipRead) -> tuple[Mapping[str, bytes], list[Finding]]:
    """The members by name (Files) and a new list of what the zip reveals (callers add to it)."""
    return read.files, list(read.findings)


def _open_zip(source: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, struct.error):
        raise Refused("not a readable zip package") from None


def _check_infos(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise Refused(f"more than {MAX_MEMBERS} zip members")
    seen: set[str] = set()
    held = 0
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
        if info.file_size > MAX_MEMBER_SIZE:
            raise Refused(f"zip member {info.filename} expands to more than {MAX_MEMBER_SIZE >> 20} MiB "
                          "(each member is read whole to be cleaned)")
        held += info.file_size if info.file_size <= HELD_SIZE else 0
        if held > MAX_TOTAL_SIZE:
            raise Refused(f"zip members under {HELD_SIZE >> 20} MiB expand to more than "
                          f"{MAX_TOTAL_SIZE >> 20} MiB in total")
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


def _zip_findings(data: FileBytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> list[Finding]:
    findings: list[Finding] = []
    dates = sorted(info.date_time for info in infos if info.date_time != FIXED_DATE)
    if dates:
        span = _zip_date(dates[0]) if dates[0] == dates[-1] else f"{_zip_date(dates[0])} to {_zip_date(dates[-1])}"
        findings.append(Finding(Category.TIME, "zip entry dates", span, ZIP_WHERE))
    if archive.comment:
        findings.append(Finding(Category.HIDDEN, "zip comment", shorten(archive.comment.decode("utf-8", "replace")),
                                ZIP_WHERE))
    for info in infos:
        if info.comment:
            findings.append(Finding(Category.HIDDEN, "zip entry comment",
                                    shorten(info.comment.decode("utf-8", "replace")), info.filename))
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


def _layout(data: FileBytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> tuple[int, list[bytes]]:
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
    # zipfile found the end record in the last _END_WINDOW bytes: the last one anywhere is there.
    tail_start = max(0, len(data) - _END_WINDOW)
    tail = data[tail_start:len(data)]
    end_record = tail.rfind(b"PK\x05\x06")
    if 0 <= end_record <= len(tail) - 22:
        comment_length = struct.unpack_from("<H", tail, end_record + 20)[0]
        outside += max(0, len(data) - (tail_start + end_record + 22 + comment_length))
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


def write_zip(members: Iterable[tuple[str, Output]], stored: str | None = None) -> bytes:
    """The zip of write_zip_to, in memory."""
    buffer = io.BytesIO()
    write_zip_to(buffer, members, stored)
    return buffer.getvalue()


def write_zip_to(out: BinaryIO, members: Iterable[tuple[str, Output]], stored: str | None = None,
                 check: Callable[[str, bytes], None] | None = None) -> None:
    """A zip that says nothing about when, where or with what it was made, written member by
    member into `out` (seekable: each local header is completed once its member is written).

    Fixed 1980-01-01 dates, MS-DOS system byte, no extra fields, no comments,
    deflate throughout except the member named `stored` (ODF `mimetype`). Pictures are deflate
    streams of stored blocks (level 0): JPEG and PNG data are compressed already (deflate saves
    0.01 % of a photo at any level), and deflating a document's photos at the default level took
    most of the time of cleaning it. A PictureCopy is cleaned as it is written, and let go;
    `check` sees each member's bytes, as a reader will get them, before they are written.
    """
    with zipfile.ZipFile(out, "w") as archive:
        for name, output in members:
            content = output.data() if isinstance(output, PictureCopy) else output
            if check is not None:
                check(name, content)
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 0
            info.compress_type = zipfile.ZIP_STORED if name == stored else zipfile.ZIP_DEFLATED
            picture = sniff(content[:HEAD_SIZE]) in PICTURE_TYPES
            archive.writestr(info, content, compresslevel=0 if picture else None)
            # writestr fills in Unix permissions (0o600) when the attributes are 0;
            # the central directory is written at close from this same object.
            info.external_attr = 0
            del content


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
    person_name = element in _PERSON_ELEMENTS and name in ("name", "displayName")
    return categorise(name, _VALUE_CATEGORIES, Category.PERSON if person_name else Category.OTHER)


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
        findings.append(Finding(value_category(key_name, name), key_name, shorten(value), where))
    if name in _RECORD_ELEMENTS:
        text = shorten("".join(element.itertext()))
        if text:
            findings.append(Finding(Category.HIDDEN, "comment text", text, where))
        return
    prop = element.get("name", element.get(_META_NAME, "")) if name in _PROPERTY_ELEMENTS else ""
    if prop:
        findings.append(Finding(value_category(prop), prop, shorten("".join(element.itertext())) or "(empty)", where))
        return
    if name in _UNLISTED_ELEMENTS:
        return
    # Typed values (vt:lpstr in a vector) are reported under the property that holds them.
    own = label if element.tag.startswith(_VT_NS) and label else name
    if len(element) == 0 and (element.text or "").strip() and not _BOOLEAN.match((element.text or "").strip()):
        findings.append(Finding(value_category(own, name), own, shorten(element.text or ""), where))
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
    comments = [Finding(Category.HIDDEN, "XML comment", shorten(text), name) for text in doc.comments if text.strip()]
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

# The pictures an office package may carry and intake cleans; each is cleaned by its own module
# from the format registry. Any other embedded media refuses the document.
PICTURE_TYPES = frozenset({"image/jpeg", "image/png"})


def _image_module(media_type: str) -> FormatModule | None:
    return handler_for(media_type) if media_type in PICTURE_TYPES else None


def _picture_module(name: str, data: bytes) -> FormatModule:
    media_type = sniff(data[:HEAD_SIZE])
    module = _image_module(media_type)
    if module is None:
        raise Refused(f"embedded {media_type} media {name} cannot be cleaned")
    return module


def clean_image(name: str, data: bytes) -> tuple[bytes, list[Finding]]:
    """A JPEG or PNG member cleaned by its own module; anything else is refused."""
    module = _picture_module(name, data)
    try:
        parsed = parse_with(module, data)  # one parse for both
        findings = [Finding(f.category, f.field, f.value, f"{name}: {f.where}") for f in parsed.inspect()]
        return b"".join(parsed.sanitize_parts()), findings
    except Refused as error:
        raise Refused(f"{name}: {error}") from None


def image_content(name: str, data: bytes) -> list[bytes]:
    module = _picture_module(name, data)
    try:
        return list(module.content(data))
    except Refused as error:
        raise Refused(f"{name}: {error}") from None


@dataclass(frozen=True)
class PictureCopy:
    """A picture member of the clean copy, cleaned again from the original when it is written
    (write_zip_to): the clean pictures of a big document are never all held at once. `views` are
    its views as member_views reads them, copied out of the clean picture when it was first made."""

    name: str
    files: Mapping[str, bytes]
    views: tuple[View, ...]

    def data(self) -> bytes:
        return clean_image(self.name, self.files[self.name])[0]


# What the clean copy's member holds: its bytes, or the picture to clean into it.
Output = bytes | PictureCopy


def clean_picture(name: str, data: bytes, files: Mapping[str, bytes]) -> tuple[PictureCopy, list[Finding]]:
    """A picture the clean copy keeps (its image content compared, see member_views), `data` read
    from `files`: what cleaning it removes, and the PictureCopy that writes it."""
    clean, findings = clean_image(name, data)
    views = tuple(View(view.where, bytes(view.data)) for view in iter_member_views([Member(name, clean)], {name}))
    return PictureCopy(name, files, views), findings


def kept_views(members: Iterable[tuple[str, Output]], compared_pictures: Collection[str]) -> list[View]:
    """member_views of the clean copy's members, a PictureCopy's views as it recorded them."""
    views: list[View] = []
    for name, output in members:
        views += (list(output.views) if isinstance(output, PictureCopy)
                  else iter_member_views([Member(name, output)], compared_pictures))
    return views


def member_views(members: Iterable[Member], compared_pictures: Collection[str] = frozenset()) -> list[View]:
    return list(iter_member_views(members, compared_pictures))


def iter_member_views(members: Iterable[Member], compared_pictures: Collection[str] = frozenset()) -> Iterator[View]:
    """Each member as stored, UTF-16 XML also as UTF-8, pictures also as their own views. A
    picture whose image content the package's content compares (`compared_pictures`) is read
    only as its own residue: its image data are proven the same in original and copy, so a
    value found there is content, and searching megabytes of scan data for every removed
    value took most of the time of a document full of photos. Members are taken one at a time."""
    for member in members:
        if member.name in compared_pictures and (picture := _image_module(sniff(member.data[:HEAD_SIZE]))):
            try:
                residue = picture.residue(member.data)
            except Refused:
                residue = None  # read whole below; cleaning will refuse it
            if residue is not None:
                yield from (View(f"{member.name}: {view.where}", view.data) for view in residue)
                continue
        yield View(member.name, member.data)
        if member.data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            yield View(f"{member.name} (decoded from UTF-16)", member.data.decode("utf-16", "replace").encode("utf-8"))
        module = _image_module(sniff(member.data[:HEAD_SIZE]))
        if module is not None:
            try:
                own = module.views(member.data)
            except Refused:
                own = []  # the picture's own bytes are already a view; cleaning will refuse it
            yield from (View(f"{member.name}: {view.where}", view.data) for view in own)


@dataclass(frozen=True)
class Cleaning:
    """A package format's one cleaning pass: the clean copy's members in order, what was removed,
    and the member written stored (ODF's mimetype)."""

    members: list[tuple[str, Output]]
    findings: list[Finding]
    stored: str | None = None


@dataclass(frozen=True)
class PackageRules:
    """What a package format (ooxml, odf) gives PackageFile: its cleaning pass and its content,
    both over a zip already opened, and what the clean copy's members may hold."""

    clean: Callable[[ZipRead], Cleaning]
    content: Callable[[ZipRead], Iterator[bytes]]  # its parts one at a time: pictures are read in turn
    compared_pictures: Callable[[ZipRead], set[str]]  # the pictures whose image content `content` holds
    vocabulary: Vocabulary
    opaque: frozenset[str] = frozenset()  # members left out of the leftover check (ODF's mimetype)

    def check(self, name: str, data: bytes) -> None:
        check_clean_members([(name, data)], self.vocabulary, self.opaque)

    def residue(self, read: ZipRead) -> Iterator[View]:
        """What the scan for removed values reads: every member, with font names left out.

        Font names are a standard vocabulary ("Microsoft Yi Baiti" in every Office
        theme), not the user's values: that "Microsoft" was removed as a company
        name must not make a correct copy fail because the theme names the font.
        Paths and e-mail addresses in font names are still refused by the
        leftover check.
        """
        return iter_member_views((Member(member.name, _fonts_left_out(member, self.vocabulary))
                                  for member in read.members()), self.compared_pictures(read))


@dataclass(frozen=True)
class PackageFile:
    """An office package parsed once (formats/base.py, Parsed): its zip read once, its one cleaning
    pass run once, read for its findings and its copy, so `inspect` lists exactly what `sanitize`
    removes. Every verb is guarded: it raises Refused only."""

    data: bytes
    read: ZipRead
    rules: PackageRules

    @cached_property
    def _cleaning(self) -> Cleaning:
        return self.rules.clean(self.read)

    @cached_property
    def _copy(self) -> bytes:
        return write_zip(self._cleaning.members, self._cleaning.stored)

    @guarded
    def inspect(self) -> list[Finding]:
        return self._cleaning.findings

    @cached_property
    def _copy_read(self) -> ZipRead:
        return ZipRead(io.BytesIO(self._copy))

    @guarded
    def sanitize_parts(self) -> list[bytes | memoryview]:
        """The copy, once the zip it is has been read as any reader would and the leftover check
        (check_clean_members) found nothing in it."""
        check_clean_members(((member.name, member.data) for member in self._copy_read.members()),
                            self.rules.vocabulary, self.rules.opaque)
        return [self._copy]

    def read_of_copy(self, data: bytes) -> ZipRead | None:
        """The zip read of this package's clean copy, if `data` is that copy, byte for byte
        (sanitize_parts read it to check it; reading is a function of the bytes alone)."""
        # A cached_property keeps its value in __dict__: there only once sanitize_parts has run.
        if "_copy_read" not in self.__dict__ or self._copy != data:
            return None
        return self._copy_read

    @guarded
    def views(self) -> list[View]:
        """The file itself, then every member (member_views)."""
        return [View("file", self.data)] + member_views(self.read.members())

    @guarded
    def residue(self) -> list[View]:
        return list(self.rules.residue(self.read))

    @guarded
    def content(self) -> list[bytes | memoryview]:
        return list(self.rules.content(self.read))


@guarded
def open_package(data: bytes, rules: PackageRules, original: object = None) -> PackageFile:
    """A package format's parse_file: the zip read once, under the safety limits; not again when
    `data` is the clean copy of `original`, whose sanitize_parts has just read it."""
    known = original.read_of_copy(data) if isinstance(original, PackageFile) and original.rules is rules else None
    return PackageFile(data, known or ZipRead(io.BytesIO(data)), rules)


@dataclass
class PackageStream:
    """An office package parsed once from an open file (formats/base.py, ParsedStream): as
    PackageFile, but the pictures, read one at a time when cleaned, compared or scanned, are
    never all in memory, and the clean copy is written member by member into `out`. The
    leftover check (check_clean_members) sees each member as it is written."""

    source: BinaryIO
    rules: PackageRules

    @cached_property
    def read(self) -> ZipRead:
        return ZipRead(self.source)

    @cached_property
    def _cleaning(self) -> Cleaning:
        return self.rules.clean(self.read)

    @guarded
    def inspect(self) -> list[Finding]:
        return self._cleaning.findings

    @guarded
    def sanitize(self, out: BinaryIO) -> None:
        # zipfile completes each local header by seeking back; unseekable, it would write data
        # descriptors instead: another zip than the in-memory path's.
        if not out.seekable():
            raise Refused("an office document's clean copy must be written to a seekable file")
        write_zip_to(out, self._cleaning.members, self._cleaning.stored, self.rules.check)

    @guarded
    def content_digest(self) -> bytes:
        digest = ContentDigest()
        for part in self.rules.content(self.read):
            digest.add(part)
        return digest.digest()

    @guarded
    def residue(self) -> Iterator[View]:
        return _guarded_views(self.rules.residue(self.read))

    @guarded
    def content_views(self) -> Iterator[View]:
        """The content's parts, each its own view (a value is never sought across two of them):
        a removed value that is part of the content (a letter may name its own author) is no leftover."""
        return _guarded_views(View(f"content part {index}", part)
                              for index, part in enumerate(self.rules.content(self.read)))


def _guarded_views(views: Iterator[View]) -> Iterator[View]:
    """The views, each one's reading guarded: what reading a member raises becomes a refusal."""
    while (view := _next_view(views)) is not None:
        yield view


@guarded
def _next_view(views: Iterator[View]) -> View | None:
    return next(views, None)


def open_package_stream(source: BinaryIO, rules: PackageRules) -> PackageStream:
    """A package format's parse_stream: the zip is opened (and checked) on first use."""
    return PackageStream(source, rules)


# --- the allow-list: unknown markup out, and the clean copy checked on its own ------

def unknown_markup(element: Element, record: Recorder) -> None:
    """Record an element outside the vocabulary, which goes with everything inside it:
    each distinct value it holds is listed, so the scan of the clean copy looks for it."""
    record.count(f"markup outside the known vocabulary ({split_name(element.tag)[0] or 'no namespace'})")
    for item in element.iter():
        for value in item.attrib.values():
            record.add(Category.HIDDEN, "value in markup outside the known vocabulary", value)
        for text in (item.text, item.tail if item is not element else None):
            if text and text.strip():
                record.add(Category.HIDDEN, "text in markup outside the known vocabulary", text)


def unknown_attributes(element: Element, vocabulary: Vocabulary, record: Recorder) -> None:
    """Remove the attributes outside the vocabulary, listing their values."""
    for key in [key for key in element.keys() if vocabulary.attribute_kind(element.tag, key) == UNKNOWN]:
        record.add(Category.HIDDEN, f"attribute outside the known vocabulary ({split_name(key)[1]})",
                   element.attrib.pop(key))


_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# Markup-compatibility attributes whose values name prefixes ("w14 wp14", "w14:shadow").
_PREFIX_LISTS = frozenset(_MC + name for name in ("Ignorable", "ProcessContent", "MustUnderstand", "PreserveElements",
                                                  "PreserveAttributes"))


def unknown_declarations(doc: XmlDoc, vocabulary: Vocabulary, record: Recorder) -> None:
    """Declarations of namespaces outside the vocabulary go (a namespace name is free text);
    so do their prefixes in the markup-compatibility lists, which must name declared prefixes.
    Run after the elements and attributes of those namespaces are gone."""
    dropped: set[str] = set()
    for element, pairs in doc.declarations.items():
        kept = [(prefix, uri) for prefix, uri in pairs if uri in vocabulary.namespaces or uri == XML_NS]
        if len(kept) != len(pairs):
            record.count("namespace declarations outside the known vocabulary", len(pairs) - len(kept))
            dropped |= {prefix for prefix, uri in pairs if (prefix, uri) not in kept}
            doc.declarations[element] = kept
    if not dropped:
        return
    for element in doc.root.iter():
        for key in _PREFIX_LISTS.intersection(element.keys()):
            names = [name for name in element.get(key, "").split() if name.split(":", 1)[0] not in dropped]
            if names:
                element.set(key, " ".join(names))
            else:
                del element.attrib[key]


def stray_text(root: Element, vocabulary: Vocabulary, record: Recorder) -> None:
    """Remove text between elements where the format has none (officexml.stray_texts), listing it."""
    for text in remove_stray_text(root, vocabulary):
        record.add(Category.HIDDEN, "text outside the document's text", text)


def allow_only(doc: XmlDoc, vocabulary: Vocabulary, where: str,
               decide: Callable[[Element], int] = lambda element: KEEP) -> list[Finding]:
    """A package part (relationships, content types, manifest) cleaned by the allow-list, then `decide`."""
    record = Recorder(where)
    unknown_attributes(doc.root, vocabulary, record)

    def allowed(element: Element) -> int:
        if not vocabulary.known_element(element):
            unknown_markup(element, record)
            return DROP
        unknown_attributes(element, vocabulary, record)
        return decide(element)

    rewrite(doc, allowed)
    stray_text(doc.root, vocabulary, record)
    unknown_declarations(doc, vocabulary, record)
    return record.findings(doc.comments)


def check_clean_members(members: Iterable[tuple[str, bytes]], vocabulary: Vocabulary,
                        opaque: frozenset[str] = frozenset()) -> None:
    """The independent leftover check (officexml.py) over every member written.

    Pictures must be clean by their own module's inspection; members named in
    `opaque` (ODF `mimetype`) are checked by their caller; every other member
    is XML and must hold nothing outside the vocabulary.
    """
    for name, data in members:
        if name in opaque or not data.strip():
            continue
        media_type = sniff(data[:HEAD_SIZE])
        if media_type in PICTURE_TYPES:
            if _picture_module(name, data).inspect(data):
                raise Refused(f"{name}: identifying metadata would remain in a picture; refused")
            continue
        doc = parse_xml(data, name)
        declared = [uri for pairs in doc.declarations.values() for _, uri in pairs]
        found = leftovers(name, doc.root, vocabulary, declared)
        if found:
            raise Refused(f"{found[0]} would remain after cleaning; refused")


_FONT_MARKER = re.compile(rb"(?i)font|typeface")


def _fonts_left_out(member: Member, vocabulary: Vocabulary) -> bytes:
    if not _looks_like_xml(member.data) or not _FONT_MARKER.search(member.data):
        return member.data  # (a UTF-16 part is parsed whatever it holds: the marker is ASCII)
    try:
        doc = parse_xml(member.data, member.name)
        without_fonts(doc.root, vocabulary)
        return serialize_xml(doc, standalone=False)
    except Refused:
        return member.data
