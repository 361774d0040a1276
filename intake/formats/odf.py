"""OpenDocument (ODT, ODS, ODP, ODG, ODF formulas): identifying metadata out, text unchanged.

An OpenDocument file is a zip: `mimetype` (first, stored), `META-INF/manifest.xml`
listing every member, `content.xml` and `styles.xml` (the document), and
members that are metadata only. Cleaning:

* drops `meta.xml` (authors, dates, editing time, generator, statistics,
  user-defined fields, template path), `settings.xml` (printer name and
  printer driver data, view and cursor positions), `Thumbnails/`,
  `Configurations2/`, `layout-cache`, `manifest.rdf`, signatures and stored
  earlier versions; none of these is needed to open the document;
* in `content.xml` and `styles.xml`, accepts tracked changes (the change
  regions with their authors, dates and deleted text go, and so do the change
  marks: the body already holds the final text), removes comments
  (annotations, with their authors and dates) and LibreOffice's editing
  session ids (`officeooo:rsid`);
* cleans JPEG and PNG pictures with the JPEG and PNG modules and drops
  pictures nothing refers to; refuses embedded objects, macros, other
  picture types, inline picture data and links to files outside the document;
* rewrites the manifest to list exactly what is left, and writes a zip with
  `mimetype` first and stored, fixed dates and no extra fields.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element

from intake.formats.base import Category, Finding, Parsed, View, bytes_verbs, shorten, stream_verbs
from intake.errors import Refused
from intake.formats.shared.officexml import FORBIDDEN, VALUE, Vocabulary, identifying_shape
from intake.formats.shared.zippkg import (DROP, KEEP, Cleaning, Output, PackageFile, PackageRules, PackageStream,
                                          Recorder, XmlDoc, ZipRead, allow_only, binary_strings, clean_picture,
                                          files_of, image_content, kept_views, local_name, note_kept_values,
                                          open_package, open_package_stream, parse_xml, removed_part, rewrite,
                                          serialize_xml, stray_text, unique, unknown_attributes, unknown_declarations,
                                          unknown_markup)

NAME = "OpenDocument"
MEDIA_TYPES = tuple(f"application/vnd.oasis.opendocument.{kind}" for kind in (
    "text", "text-template", "spreadsheet", "spreadsheet-template", "presentation", "presentation-template",
    "graphics", "graphics-template", "formula", "formula-template"))

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
_FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
_PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_CONFIG = "{urn:oasis:names:tc:opendocument:xmlns:config:1.0}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_OFFICEOOO = "{http://openoffice.org/2009/office}"
_LOEXT = "{urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0}"
_MATH = "{http://www.w3.org/1998/Math/MathML}"

_MIMETYPE = "mimetype"
_MANIFEST_NAME = "META-INF/manifest.xml"
_DOCUMENT_PARTS = ("content.xml", "styles.xml")

_TRACKED_CHANGES = frozenset({_TEXT + "tracked-changes", _TABLE + "tracked-changes"})
_CHANGE_MARKS = frozenset({_TEXT + "change", _TEXT + "change-start", _TEXT + "change-end"})
_ANNOTATIONS = frozenset({_OFFICE + "annotation", _OFFICE + "annotation-end", _OFFICEOOO + "annotation"})
_STRAY_META = frozenset({_DC + "creator", _DC + "date"})
_RSIDS = frozenset({_OFFICEOOO + "rsid", _OFFICEOOO + "paragraph-rsid"})
# Elements whose link pulls a file into the document: it must be a member of the package.
_EMBEDDING = frozenset({_DRAW + "image", _DRAW + "object", _DRAW + "object-ole", _DRAW + "plugin",
                        _DRAW + "applet", _DRAW + "fill-image", _DRAW + "floating-frame",
                        _STYLE + "background-image", _TEXT + "list-level-style-image", _TEXT + "section-source",
                        _TABLE + "table-source", _TABLE + "cell-range-source", _PRESENTATION + "sound"})

# --- the vocabulary: what may remain in content.xml, styles.xml and the manifest -------

_OASIS = "urn:oasis:names:tc:opendocument:xmlns:"
# The namespaces of ODF 1.3 and LibreOffice's extensions that documents use for
# content, layout and styles. Not listed, so removed wherever they turn up:
# `dc:` and `meta:` (authors, dates, statistics: meta.xml's vocabulary) and
# `config:` (settings.xml's), and every namespace nobody told this module about.
_NAMESPACES = frozenset(
    [_OASIS + kind for kind in (
        "office:1.0", "style:1.0", "text:1.0", "table:1.0", "drawing:1.0", "xsl-fo-compatible:1.0",
        "svg-compatible:1.0", "chart:1.0", "dr3d:1.0", "form:1.0", "script:1.0", "datastyle:1.0",
        "presentation:1.0", "smil-compatible:1.0", "animation:1.0", "database:1.0", "of:1.2", "manifest:1.0")]
    + ["http://www.w3.org/1999/xlink", "http://www.w3.org/1998/Math/MathML", "http://www.w3.org/2001/xml-events",
       "http://www.w3.org/2002/xforms", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/2001/XMLSchema-instance",
       "http://www.w3.org/1999/xhtml", "http://www.w3.org/2003/g/data-view#", "http://www.w3.org/TR/css3-text/",
       "http://openoffice.org/2004/office", "http://openoffice.org/2004/writer", "http://openoffice.org/2004/calc",
       "http://openoffice.org/2005/report", "http://openoffice.org/2009/office", "http://openoffice.org/2009/table",
       "http://openoffice.org/2010/draw", "http://openoffice.org/2010/chart", "http://openoffice.org/2013/office",
       "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
       "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
       "urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0",
       "urn:openoffice:names:experimental:ooxml-odf-interop:xmlns:form:1.0"])
_TEXT_NAMESPACES = frozenset(uri[1:-1] for uri in (_OFFICE, _TEXT, _TABLE, _DRAW, _PRESENTATION, _MATH)) | {
    _OASIS + kind for kind in ("svg-compatible:1.0", "chart:1.0", "datastyle:1.0", "form:1.0")}
VOCABULARY = Vocabulary(
    namespaces=_NAMESPACES,
    forbidden_elements=_TRACKED_CHANGES | _CHANGE_MARKS | _ANNOTATIONS,
    forbidden_attribute_names=frozenset({"creator-initials", "sender-initials", "author", "initials"}),
    forbidden_attributes=_RSIDS,
    text_elements=frozenset(),
    # A cell's text value and formula, a link's tooltip, a field's condition: the document's own text.
    text_attributes=frozenset({"string-value", "formula", "title", "description", "condition", "display"}),
    font_attributes=frozenset(
        [(_STYLE + "font-face", _STYLE + "name"), (_STYLE + "font-face", _SVG + "font-family")]
        + [("*", _STYLE + key) for key in ("font-name", "font-name-asian", "font-name-complex")]
        + [("*", _FO + "font-family")]),
    qualified_only=_NAMESPACES - {_MATH[1:-1]},  # MathML attributes have no namespace
    forbidden_element_names=frozenset(local_name(tag) for tag in _TRACKED_CHANGES | _CHANGE_MARKS | _ANNOTATIONS)
    | {"changed-region", "change-info"},
    text_namespaces=_TEXT_NAMESPACES,
)

# Members that are metadata only, with how they are reported: (label, category, list their values).
_DROPPED_MEMBERS: tuple[tuple[re.Pattern[str], str, Category, bool], ...] = (
    (re.compile(r"^meta\.xml$"), "document properties", Category.OTHER, True),
    (re.compile(r"^Thumbnails/"), "thumbnail image", Category.HIDDEN, False),
    (re.compile(r"^Configurations2/"), "user interface settings", Category.OTHER, False),
    (re.compile(r"^layout-cache$"), "layout cache", Category.OTHER, False),
    (re.compile(r"^manifest\.rdf$"), "RDF metadata", Category.HIDDEN, False),
    (re.compile(r"^META-INF/\w*signatures\w*\.xml$"), "digital signature", Category.PERSON, False),
    (re.compile(r"^(VersionList\.xml|Versions/)"), "stored earlier version", Category.HIDDEN, False),
)
_REFUSED_MEMBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(Object \d+|ObjectReplacements)/"), "embedded object {} cannot be cleaned"),
    (re.compile(r"^(Basic|Scripts|Dialogs)/"), "macros ({}) cannot be cleaned"),
    (re.compile(r"^META-INF/"), "{}: package data that cannot be cleaned"),
    (re.compile(r"^Fonts/"), "embedded font {} cannot be cleaned"),
)


@dataclass
class _Package:
    order: list[str]
    files: Mapping[str, bytes]  # zippkg.Files: a picture is read each time it is looked up
    manifest: XmlDoc
    listed: set[str]
    findings: list[Finding] = field(default_factory=list)


def _load(read: ZipRead) -> _Package:
    files, findings = files_of(read)
    order = list(files)
    media_type = files.get(_MIMETYPE, b"").decode("ascii", "replace")
    if media_type not in MEDIA_TYPES:
        raise Refused("not an OpenDocument text, spreadsheet, presentation, drawing or formula")
    if _MANIFEST_NAME not in files:
        raise Refused("OpenDocument file without a manifest")
    manifest = parse_xml(files[_MANIFEST_NAME], _MANIFEST_NAME)
    if any(element.tag == _MANIFEST + "encryption-data" for element in manifest.root.iter()):
        raise Refused("encrypted OpenDocument files cannot be cleaned")
    listed = {entry.get(_MANIFEST + "full-path", "") for entry in manifest.root}
    return _Package(order, files, manifest, listed, findings)


def _dropped_member(name: str) -> tuple[str, Category, bool] | None:
    for pattern, label, category, values in _DROPPED_MEMBERS:
        if pattern.match(name):
            return label, category, values
    return None


def _check_member(name: str) -> None:
    """Only what this module understands is written; anything else is refused."""
    if name in _DOCUMENT_PARTS or name.startswith("Pictures/"):
        return
    for pattern, reason in _REFUSED_MEMBERS:
        if pattern.match(name):
            raise Refused(reason.format(name))
    raise Refused(f"unsupported OpenDocument member {name}")


# --- content.xml and styles.xml ---------------------------------------------

class _PartCleaner:
    """Decides, element by element, what leaves content.xml or styles.xml; records what it removes."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.record = Recorder(where)
        self.references: set[str] = set()

    def decide(self, element: Element) -> int:
        tag = element.tag
        if tag in _TRACKED_CHANGES:
            self._tracked(element)
            return DROP
        if tag in _CHANGE_MARKS:
            return DROP
        if tag in _ANNOTATIONS:
            self._annotation(element)
            return DROP
        if tag in _STRAY_META:
            category = Category.PERSON if tag == _DC + "creator" else Category.TIME
            self._find(category, local_name(tag), element.text or "")
            return DROP
        if not VOCABULARY.known_element(element) or VOCABULARY.forbidden_element(tag):
            unknown_markup(element, self.record)  # forbidden here: a change or comment under another namespace
            return DROP
        if tag == _OFFICE + "binary-data":
            raise Refused(f"{self.where}: inline picture data cannot be cleaned")
        self._attributes(element)
        return KEEP

    def _tracked(self, element: Element) -> None:
        for info in element.iter(_OFFICE + "change-info"):
            for creator in info.iter(_DC + "creator"):
                self._find(Category.PERSON, "tracked change author", creator.text or "")
            for date in info.iter(_DC + "date"):
                self._find(Category.TIME, "tracked change date", date.text or "")
        for region in element:
            text = "\n".join(filter(None, _region_texts(region)))
            if text.strip():
                self._find(Category.HIDDEN, "deleted or earlier text (tracked change)", text)

    def _annotation(self, element: Element) -> None:
        labels = {_DC + "creator": (Category.PERSON, "comment author"), _DC + "date": (Category.TIME, "comment date"),
                  _META + "creator-initials": (Category.PERSON, "comment author initials"),
                  _LOEXT + "sender-initials": (Category.PERSON, "comment author initials")}
        for child in element:
            if child.tag in labels:
                self._find(*labels[child.tag], child.text or "")
        text = "\n".join("".join(paragraph.itertext()) for paragraph in element.iter(_TEXT + "p"))
        if text.strip():
            self._find(Category.HIDDEN, "comment text", text)

    def _attributes(self, element: Element) -> None:
        unknown_attributes(element, VOCABULARY, self.record)
        href = element.get(_XLINK_HREF)
        if href is not None and element.tag in _EMBEDDING:
            self._reference(element, href)
        for key in element.keys():
            value = element.get(key, "")
            if key in _RSIDS:
                self.record.count("editing session ids (officeooo:rsid)")
            elif (kind := VOCABULARY.attribute_kind(element.tag, key)) == FORBIDDEN:
                self._find(Category.PERSON, local_name(key), value)
            elif kind == VALUE and (shape := identifying_shape(value)) is not None:
                # A link to a local file or a folder's path says whose computer made the document.
                self._find(Category.PERSON, f"{local_name(key)} ({shape})", value)
            else:
                continue
            del element.attrib[key]

    def _reference(self, element: Element, href: str) -> None:
        if href.startswith("#"):
            return  # a place inside the document (a slide, a bookmark)
        path = _member_path(href)
        if not path or ":" in path.split("/")[0] or path.startswith(("/", "..")):
            raise Refused(f"{self.where}: a link to a file outside the document ({local_name(element.tag)}) "
                          "cannot be cleaned")
        self.references.add(path)

    def _find(self, category: Category, label: str, value: str) -> None:
        self.record.add(category, label, value)


def _member_path(href: str) -> str:
    return posixpath.normpath(href[2:] if href.startswith("./") else href) if href else ""


def _region_texts(element: Element) -> list[str]:
    """Paragraph texts of a change region, without its change-info (author, date, comment)."""
    if element.tag == _OFFICE + "change-info":
        return []
    if element.tag in (_TEXT + "p", _TEXT + "h"):
        return ["".join(element.itertext())]
    texts = [element.text.strip()] if element.text and element.text.strip() and len(element) == 0 else []
    for child in element:
        texts += _region_texts(child)
    return texts


def _clean_part(doc: XmlDoc, where: str) -> tuple[list[Finding], set[str]]:
    cleaner = _PartCleaner(where)
    cleaner._attributes(doc.root)
    rewrite(doc, cleaner.decide)
    stray_text(doc.root, VOCABULARY, cleaner.record)
    unknown_declarations(doc, VOCABULARY, cleaner.record)
    return cleaner.record.findings(doc.comments), cleaner.references


# --- settings.xml ---------------------------------------------------------------

_NAMED_SETTINGS = re.compile(r"DataSource|Database|Path|URL|File", re.I)
# The settings that name or describe the printer; the rest (PrinterIndependentLayout,
# UseOldPrinterMetrics...) are layout switches, counted with the other settings.
_PRINTER_SETTINGS = frozenset({"PrinterName", "PrinterSetup", "PrintFaxName"})


def _settings_findings(name: str, data: bytes) -> list[Finding]:
    """The printer (name and driver data) and data sources are listed; view settings are counted."""
    try:
        doc = parse_xml(data, name)
    except Refused:
        return [Finding(Category.OTHER, "editor settings", f"{len(data)} bytes", name)]
    findings, others = [], 0
    for item in doc.root.iter(_CONFIG + "config-item"):
        key, value = item.get(_CONFIG + "name", ""), (item.text or "").strip()
        if not value:
            continue
        if key in _PRINTER_SETTINGS:
            findings.append(Finding(Category.DEVICE, key, shorten(_printer_value(key, value)), name))
        elif _NAMED_SETTINGS.search(key) and value.lower() not in ("true", "false") and not value.isdigit():
            findings.append(Finding(Category.OTHER, key, shorten(value), name))
        else:
            others += 1
    if others:
        findings.append(Finding(Category.OTHER, "editor settings (view, zoom, cursor position)",
                                f"{others} values", name))
    return findings


def _printer_value(key: str, value: str) -> str:
    """PrinterSetup is base64 driver data: what a reader can see in it is the printer's name."""
    if key != "PrinterSetup":
        return value
    try:
        strings = binary_strings(base64.b64decode(value, validate=False))
    except (binascii.Error, ValueError):
        strings = []
    return ", ".join(strings) or f"{len(value)} characters of printer driver data"


# --- the package ------------------------------------------------------------------

def _clean(read: ZipRead) -> Cleaning:
    package = _load(read)
    findings = list(package.findings)
    removed: set[str] = set()
    documents: list[str] = []
    pictures: list[str] = []
    for name in package.order:
        if name in (_MIMETYPE, _MANIFEST_NAME):
            continue
        gone = _removed_member(package, name)
        if gone is not None:
            findings += gone
            removed.add(name)
        else:
            (pictures if name.startswith("Pictures/") else documents).append(name)
    outputs: dict[str, Output] = {}
    references: set[str] = set()
    for name in documents:
        outputs[name], part_findings, part_references = _clean_document_part(package, name)
        findings += part_findings
        references |= part_references
    findings += _clean_pictures(package, pictures, references, outputs, removed)
    outputs[_MANIFEST_NAME], manifest_findings = _clean_manifest(package, set(outputs))
    findings += manifest_findings
    members: list[tuple[str, Output]] = [(_MIMETYPE, package.files[_MIMETYPE])]
    members += [(name, outputs[name]) for name in package.order if name in outputs]
    kept = kept_views(members, {p for p in pictures if p in references})
    findings = note_kept_values(findings, removed, [view.data for view in kept])
    return Cleaning(members, unique(findings), stored=_MIMETYPE)


def _removed_member(package: _Package, name: str) -> list[Finding] | None:
    """What a member that goes carried; None for a member that stays (once it is known to be cleanable)."""
    if name not in package.listed:
        return removed_part(name, package.files[name], "file not listed in the manifest", values=False)
    if name == "settings.xml":
        return _settings_findings(name, package.files[name])
    dropped = _dropped_member(name)
    if dropped is not None:
        return _dropped_findings(name, package.files[name], *dropped)
    _check_member(name)
    return None


def _dropped_findings(name: str, data: bytes, label: str, category: Category, values: bool) -> list[Finding]:
    if not data.strip():
        return []  # an empty member (Configurations2 placeholders) says nothing
    return removed_part(name, data, label, category, values=values)


def _clean_document_part(package: _Package, name: str) -> tuple[bytes, list[Finding], set[str]]:
    data = package.files[name]
    if not data.strip():
        return data, [], set()
    doc = parse_xml(data, name)
    findings, references = _clean_part(doc, name)
    return serialize_xml(doc, standalone=False), findings, references


def _clean_pictures(package: _Package, pictures: list[str], references: set[str], outputs: dict[str, Output],
                    removed: set[str]) -> list[Finding]:
    """Pictures the document shows are cleaned; pictures nothing shows are hidden content and go."""
    findings: list[Finding] = []
    for name in pictures:
        if name in references:
            outputs[name], picture_findings = clean_picture(name, package.files[name], package.files)
            findings += picture_findings
        else:
            findings += removed_part(name, package.files[name], "picture not used by the document", values=False)
            removed.add(name)
    return findings


def _clean_manifest(package: _Package, written: set[str]) -> tuple[bytes, list[Finding]]:
    """Entries for exactly the members written, plus the package itself ("/")."""

    def decide(entry: Element) -> int:
        path = entry.get(_MANIFEST + "full-path", "")
        return KEEP if entry.tag != _MANIFEST + "file-entry" or path == "/" or path in written else DROP

    findings = allow_only(package.manifest, VOCABULARY, _MANIFEST_NAME, decide)
    _one_entry_per_line(package.manifest.root)
    return serialize_xml(package.manifest, standalone=False), findings


def _one_entry_per_line(root: Element) -> None:
    # Removed entries leave their indentation behind; the manifest has no text to keep.
    root.text = "\n "
    for entry in root:
        entry.tail = "\n "
    if len(root):
        root[-1].tail = "\n"


# --- content -----------------------------------------------------------------------

_SKIPPED_FOR_TEXT = _TRACKED_CHANGES | _CHANGE_MARKS | _ANNOTATIONS
_PARAGRAPHS = frozenset({_TEXT + "p", _TEXT + "h"})
_CELL_VALUES = tuple(_OFFICE + name for name in ("value-type", "value", "date-value", "time-value",
                                                 "boolean-value", "string-value")) + (_TABLE + "formula",)


def _document_lines(root: Element) -> list[str]:
    """Paragraphs (nested ones on their own lines), cell values and formulas, formula text."""
    lines: list[str] = []

    def visit(element: Element, current: list[str] | None) -> None:
        for child in element:
            if child.tag in _SKIPPED_FOR_TEXT:
                pass  # accepted changes and removed comments: not text; what follows them is
            elif child.tag in _PARAGRAPHS:
                own: list[str] = [child.text or ""]
                visit(child, own)
                lines.append("".join(own))
            elif child.tag == _TABLE + "table-cell" and child.get(_OFFICE + "value-type"):
                lines.append("\t".join(child.get(key, "") for key in _CELL_VALUES))
                visit(child, current)
            elif child.tag == _MATH + "math":
                lines.append("".join(child.itertext()))
            elif current is not None:
                current.append(_inline_text(child))
                visit(child, current)
            else:
                visit(child, current)
            if current is not None and child.tail:
                current.append(child.tail)

    visit(root, None)
    return lines


def _inline_text(element: Element) -> str:
    """What an inline element stands for: spaces, a tab, a line break; or its leading text."""
    if element.tag == _TEXT + "s":
        count = element.get(_TEXT + "c", "1")
        return " " * min(int(count) if count.isdigit() else 1, 10_000)
    if element.tag == _TEXT + "tab":
        return "\t"
    if element.tag == _TEXT + "line-break":
        return "\n"
    return element.text or ""


# --- entry points --------------------------------------------------------------------

def _content(read: ZipRead) -> Iterator[bytes]:
    """Text of content.xml and styles.xml (headers, footers) after accepting tracked changes,
    without comments; then the content of the pictures the document shows, one at a time.

    Read the same way from the original and the clean copy: cleaning accepts
    the changes and removes the comments, nothing else may touch the text.
    """
    package = _load(read)
    texts, pictures = _texts_and_pictures(package)
    yield from texts
    for name in pictures:
        yield from image_content(name, package.files[name])


def _texts_and_pictures(package: _Package) -> tuple[list[bytes], list[str]]:
    """The document parts' text, and the pictures they show (kept: their content is compared)."""
    texts: list[bytes] = []
    references: set[str] = set()
    for name in _DOCUMENT_PARTS:
        data_of_part = package.files.get(name, b"")
        if name in package.listed and data_of_part.strip():
            doc = parse_xml(data_of_part, name)
            texts.append((name + "\n" + "\n".join(_document_lines(doc.root))).encode("utf-8"))
            references |= _references(doc.root)
    pictures = [name for name in package.order if name.startswith("Pictures/") and name in package.listed
                and name in references]
    return texts, pictures


def _compared_pictures(read: ZipRead) -> set[str]:
    return set(_texts_and_pictures(_load(read))[1])


def _references(element: Element) -> set[str]:
    """Members the document shows, outside comments and change regions (those go when cleaning)."""
    found = set()
    href = element.get(_XLINK_HREF)
    if href and element.tag in _EMBEDDING:
        found.add(_member_path(href))
    for child in element:
        if child.tag not in _SKIPPED_FOR_TEXT:
            found |= _references(child)
    return found


def parse_file(data: bytes, original: Parsed | None = None) -> PackageFile:
    """The package read once; its cleaning pass runs once, for both inspect and sanitize (zippkg.PackageFile)."""
    return open_package(data, _RULES, original)


def parse_stream(source: BinaryIO) -> PackageStream:
    """The package opened from its file, its pictures read one at a time (zippkg.PackageStream)."""
    return open_package_stream(source, _RULES)


_RULES = PackageRules(_clean, _content, _compared_pictures, VOCABULARY, opaque=frozenset({_MIMETYPE}))
inspect, sanitize, views, residue, content = bytes_verbs(parse_file)
inspect_stream, sanitize_stream, content_digest, residue_stream = stream_verbs(parse_stream)


def content_views(source: BinaryIO) -> Iterator[View]:
    """The content's parts as views, for the scan of a clean copy (formats/base.py)."""
    return parse_stream(source).content_views()
