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
Reading and writing the zip, parsing and rewriting XML and cleaning pictures
are zippkg.py's, shared with odf.py (ODF is also a zip of XML parts).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from intake.formats.base import Category, Finding, Parsed, View, bytes_verbs, stream_verbs
from intake.errors import Refused
from intake.formats.shared.officexml import FORBIDDEN, VALUE, Vocabulary, identifying_shape, split_name
from intake.formats.shared.zippkg import (DROP, KEEP, UNWRAP, Cleaning, Output, PackageFile, PackageRules,
                                          PackageStream, Recorder, XmlDoc, ZipRead, allow_only, clean_picture, files_of,
                                          image_content, kept_views, local_name, note_kept_values, open_package,
                                          open_package_stream, parse_xml, removed_part, rewrite, serialize_xml,
                                          stray_text, unique, unknown_attributes, unknown_declarations, unknown_markup)

NAME = "Office Open XML"
MEDIA_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)

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
    files: Mapping[str, bytes]        # zippkg.Files: a picture is read each time it is looked up
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


def _load(read: ZipRead) -> tuple[_Package, list[Finding]]:
    files, findings = files_of(read)
    order = list(files)
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
    # Content controls bound to a custom XML part (dropped): the binding names the part and its fields.
    _W + "dataBinding": (Category.HIDDEN, "data binding", lambda e: e.get(_W + "xpath", "")),
    _W15 + "dataBinding": (Category.HIDDEN, "data binding", lambda e: e.get(_W15 + "xpath", "")),
    _W + "customXmlPr": (Category.HIDDEN, "custom XML attributes",
                         lambda e: "; ".join(v.get(_W + "val", "") for v in e.iter() if v.get(_W + "val"))),
    _W + "smartTagPr": (Category.HIDDEN, "smart tag values",
                        lambda e: "; ".join(v.get(_W + "val", "") for v in e.iter() if v.get(_W + "val"))),
    _S + "securityDescriptor": (Category.PERSON, "securityDescriptor", lambda e: e.text or ""),
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
# Custom views of a workbook, and each sheet's settings for them.
_CUSTOM_VIEWS = frozenset({_S + "customWorkbookViews", _S + "customSheetViews"})
_LINKED_SETTINGS = frozenset({_W + "attachedTemplate", _W + "saveThroughXslt"})
# Session and revision identifiers: counted, not listed one by one.
_ID_LABELS = {_W14 + "paraId": "paragraph ids (w14:paraId/textId)",
              _W14 + "textId": "paragraph ids (w14:paraId/textId)",
              _WP14 + "anchorId": "drawing ids (wp14:anchorId/editId)",
              _WP14 + "editId": "drawing ids (wp14:anchorId/editId)"}
_PERSON_ATTRIBUTES = {(_S + "fileSharing", "userName"): Category.PERSON,
                      # "Allow users to edit ranges": who may, as Windows account ids (SDDL)
                      (_S + "protectedRange", "securityDescriptor"): Category.PERSON,
                      (_S + "pivotCacheDefinition", "refreshedBy"): Category.PERSON,
                      (_S + "pivotCacheDefinition", "refreshedDate"): Category.TIME,
                      (_S + "pivotCacheDefinition", "refreshedDateIso"): Category.TIME}
# Custom XML and smart tags wrap text in markup whose attributes hold recognised
# values (a smart tag's "PersonName", an element of the user's schema): the text stays.
_UNWRAPPED = frozenset({_W + "customXml", _W + "smartTag"})
# A picture's description is often the path it was inserted from; attributes whose
# value is a path or an e-mail address go (a link's target stays: it is in the text).
_PICTURE_DESCRIPTIONS = frozenset({"descr", "title"})


# --- the vocabulary: what may remain in a clean part ----------------------------------

_OXML = "http://schemas.openxmlformats.org/"
_MSO = "http://schemas.microsoft.com/office/"
# Every namespace of the transitional standard that a kept part uses, and the
# Office extensions that carry formatting, drawing and layout. Markup in any
# other namespace is removed with everything inside it; if that changes the
# text, the content check refuses the file.
_NAMESPACES = frozenset(
    [_OXML + path for path in (
        "wordprocessingml/2006/main", "officeDocument/2006/relationships", "officeDocument/2006/math",
        "officeDocument/2006/sharedTypes", "drawingml/2006/main", "drawingml/2006/wordprocessingDrawing",
        "drawingml/2006/picture", "drawingml/2006/chart", "drawingml/2006/chartDrawing", "drawingml/2006/diagram",
        "drawingml/2006/spreadsheetDrawing", "drawingml/2006/lockedCanvas", "drawingml/2006/compatibility",
        "spreadsheetml/2006/main", "presentationml/2006/main", "markup-compatibility/2006",
        "package/2006/relationships", "package/2006/content-types", "schemaLibrary/2006/main")]
    + ["urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:mac:vml", "urn:schemas-microsoft-com:office:office",
       "urn:schemas-microsoft-com:office:word", "urn:schemas-microsoft-com:office:excel",
       "urn:schemas-microsoft-com:office:powerpoint"]
    + [_MSO + path for path in (
        "word/2010/wordml", "word/2012/wordml", "word/2018/wordml/cex", "word/2015/wordml/symex",
        "word/2016/wordml/cid", "word/2018/wordml",
        "word/2020/wordml/sdtdatahash", "word/2023/wordml/word16du", "word/2024/wordml/sdtformatlock",
        "word/2010/wordprocessingDrawing", "word/2010/wordprocessingShape", "word/2010/wordprocessingGroup",
        "word/2010/wordprocessingCanvas", "word/2010/wordprocessingInk", "word/2006/wordml",
        "drawing/2010/main", "drawing/2014/main", "drawing/2016/11/main", "drawing/2017/decorative",
        "drawing/2018/hyperlinkcolor", "drawing/2016/SVG/main", "drawing/2017/model3d", "drawing/2010/chart",
        "drawing/2012/chart", "drawing/2014/chart", "drawing/2017/03/chart", "drawing/2014/chartex",
        "drawing/2015/9/8/chartex", "drawing/2015/10/21/chartex", "drawing/2016/5/9/chartex",
        "drawing/2016/5/10/chartex", "drawing/2016/5/11/chartex", "drawing/2016/5/12/chartex",
        "drawing/2016/5/13/chartex", "drawing/2016/5/14/chartex", "drawing/2012/chartStyle", "drawing/2008/diagram",
        "drawing/2010/diagram", "drawing/2016/ink", "drawing/2010/slicer", "drawing/2012/timeslicer",
        "drawing/2010/compatibility", "drawing/2016/12/diagram", "drawing/2010/picture",
        "spreadsheetml/2009/9/main", "spreadsheetml/2009/9/ac", "spreadsheetml/2010/11/main",
        "spreadsheetml/2010/11/ac", "spreadsheetml/2014/revision", "spreadsheetml/2015/revision2",
        "spreadsheetml/2016/revision3", "spreadsheetml/2016/revision5", "spreadsheetml/2016/revision6",
        "spreadsheetml/2016/revision9", "spreadsheetml/2016/revision10", "spreadsheetml/2014/11/main",
        "spreadsheetml/2017/richdata", "spreadsheetml/2017/richdata2", "spreadsheetml/2018/calcfeatures",
        "spreadsheetml/2019/extlinksprops", "spreadsheetml/2020/richdatawebimage",
        "spreadsheetml/2022/richvaluerefresh", "spreadsheetml/2015/02/main", "spreadsheetml/2017/dynamicarray",
        "excel/2006/main",
        "powerpoint/2010/main", "powerpoint/2012/main", "powerpoint/2015/main", "powerpoint/2017/10/main",
        "powerpoint/2017/3/main", "powerpoint/2018/4/main", "powerpoint/2018/8/main", "powerpoint/2019/9/main",
        "powerpoint/2020/02/main", "powerpoint/2013/main/command", "thememl/2012/main", "mac/office/2008/main",
        "2019/extlst")])
# What a WordprocessingML element's attributes may be: Word's own and its extensions', and links.
_WORD_ATTRIBUTE_NAMESPACES = frozenset(
    [_W[1:-1], _R[1:-1], _MC[1:-1], _W14[1:-1], _W15[1:-1]]
    + [_MSO + path for path in ("word/2015/wordml/symex", "word/2016/wordml/cid", "word/2018/wordml",
                                "word/2018/wordml/cex", "word/2020/wordml/sdtdatahash", "word/2023/wordml/word16du",
                                "word/2024/wordml/sdtformatlock", "word/2006/wordml")])
VOCABULARY = Vocabulary(
    namespaces=_NAMESPACES,
    # What the cleaner below removes must not remain, whichever way it got through.
    forbidden_elements=(_DELETED | _INSERTED | _CHANGE_RECORDS | _COMMENT_MARKS | _LINKED_SETTINGS | _CUSTOM_VIEWS
                        | frozenset(_COUNTED) | frozenset(_NOTED) | _UNWRAPPED
                        | _DELETED_TEXT - {_W + "t", _W + "instrText"}),
    forbidden_attribute_names=frozenset({
        "author", "initials", "date", "dateUtc", "userName", "refreshedBy", "refreshedDate", "refreshedDateIso",
        "lastModifiedBy", "userId", "providerId", "paraId", "textId", "anchorId", "editId", "gfxdata",
        "securityDescriptor"}),
    # VML alt text and the file name a picture was inserted from.
    forbidden_attributes=frozenset({"alt", "{urn:schemas-microsoft-com:office:office}title"}),
    text_elements=frozenset({"t", "v", "f", "instrText", "formula", "formula1", "formula2", "oddHeader", "oddFooter",
                             "evenHeader", "evenFooter", "firstHeader", "firstFooter", "definedName", "formatCode"}),
    text_attributes=frozenset({"instr", "tooltip", "display", "location"}),
    font_attributes=frozenset(
        [("*", "typeface"), (_W + "font", _W + "name"), (_W + "altName", _W + "val"), (_S + "name", "val"),
         (_S + "rFont", "val")] + [(_W + "rFonts", _W + key) for key in ("ascii", "hAnsi", "eastAsia", "cs")]),
    qualified_only=frozenset({_W[1:-1]}),
    attribute_namespaces=frozenset((_W[1:-1], uri) for uri in _WORD_ATTRIBUTE_NAMESPACES),
    forbidden_element_names=frozenset(local_name(tag) for tag in (
        _DELETED | _INSERTED | _CHANGE_RECORDS | _COMMENT_MARKS | _LINKED_SETTINGS
        | {_W + "delText", _W + "delInstrText", _W + "rsids", _W + "docVars", _W + "dataBinding"})),
    bare_roots=frozenset({"xml"}),
)


class _PartCleaner:
    """Decides, element by element, what leaves one XML part; records what it removes."""

    def __init__(self, where: str, removed_ids: set[str], targets: dict[str, str], prefixes: dict[str, str]) -> None:
        self.where = where
        self.removed_ids = removed_ids
        self.targets = targets
        self.prefixes = prefixes
        self.record = Recorder(where)
        self.goback: set[str] = set()

    def decide(self, element: Element) -> int:
        tag = element.tag
        if not VOCABULARY.known_element(element) or self._requires_unknown(element):
            unknown_markup(element, self.record)
            return DROP
        if tag in _UNWRAPPED:
            return UNWRAP
        if tag not in VOCABULARY.forbidden_elements and VOCABULARY.forbidden_element(tag):
            unknown_markup(element, self.record)  # a change record or comment mark under another namespace
            return DROP
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
        if tag in _CUSTOM_VIEWS:
            self._custom_views(element)
            return DROP
        return DROP if self._attributes(element) else KEEP

    def _requires_unknown(self, element: Element) -> bool:
        """A markup-compatibility choice for a namespace outside the vocabulary (its fallback stays)."""
        if element.tag != _MC + "Choice":
            return False
        required = element.get("Requires", "").split()
        return any(self.prefixes.get(prefix) not in _NAMESPACES for prefix in required)

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

    def _custom_views(self, element: Element) -> None:
        """Excel names a shared workbook's personal views after their user ("Jane Doe - Personal
        View"). Custom views are view settings, not content: they go, the sheets' ones with them."""
        if element.tag != _S + "customWorkbookViews":
            self.record.count("custom sheet views", len(element) or 1)
            return
        for view in element:
            personal = view.get("personalView") in ("1", "true")
            self._find(Category.PERSON if personal else Category.OTHER,
                       "personal view (user name)" if personal else "custom view", view.get("name", ""))

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
        if not element.attrib:
            return False
        dangling = False
        unknown_attributes(element, VOCABULARY, self.record)
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
            elif local_name(key).startswith("rsid"):
                self.record.count("editing session ids (rsid)")
            elif (kind := VOCABULARY.attribute_kind(element.tag, key)) == FORBIDDEN:
                self._find(Category.TIME if "date" in key.lower() else Category.PERSON, local_name(key), value)
            elif kind == VALUE and (shape := identifying_shape(value)) is not None:
                label = "picture description" if split_name(key)[1] in _PICTURE_DESCRIPTIONS else local_name(key)
                self._find(Category.PERSON, f"{label} ({shape})", value)
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
    prefixes = {prefix: uri for pairs in doc.declarations.values() for prefix, uri in pairs}
    cleaner = _PartCleaner(where, removed_ids, targets, prefixes)
    root_dangling = cleaner._attributes(doc.root)  # the root carries rsids and ids too
    if root_dangling:
        raise Refused(f"{where}: the part itself points to removed metadata")
    rewrite(doc, cleaner.decide, _empty_extension_list)
    stray_text(doc.root, VOCABULARY, cleaner.record)
    unknown_declarations(doc, VOCABULARY, cleaner.record)
    return cleaner.record.findings(doc.comments)


# --- the package ------------------------------------------------------------

def _clean(read: ZipRead) -> Cleaning:
    package, findings = _load(read)
    plan = _plan(package)
    findings += _dropped_findings(package, plan)
    outputs: dict[str, Output] = {}
    cleaned: dict[str, XmlDoc] = {}
    for name in package.order:
        if name in plan.kept and name != package.types_name and _source_of(name) is None:
            outputs[name], part_findings = _clean_member(package, plan, name, cleaned)
            findings += part_findings
    for source, rels_name in package.rels_names.items():
        if rels_name in plan.kept:
            outputs[rels_name], part_findings = _clean_rels(package, plan, source, cleaned.get(source))
            findings += part_findings
    outputs[package.types_name], part_findings = _clean_types(package, plan)
    findings += part_findings
    members = [(name, outputs[name]) for name in package.order if name in plan.kept]
    kept = kept_views(members, _pictures_of(package, plan))
    findings = note_kept_values(findings, set(plan.dropped), [view.data for view in kept])
    return Cleaning(members, unique(findings))


def _clean_member(package: _Package, plan: _Plan, name: str, cleaned: dict[str, XmlDoc]) -> tuple[Output, list[Finding]]:
    content_type = package.content_type(name)
    data = package.files[name]
    if not data.strip():
        return data, []  # an empty part says nothing (and is no XML to parse)
    if content_type.startswith("image/"):
        return clean_picture(name, data, package.files)
    if content_type in _CLEANED_TYPES:
        doc = parse_xml(data, name)
        targets = {rel.get("Id", ""): rel.get("Target", "") for rel, _ in _relationships(package, name)}
        findings = _clean_part(doc, name, plan.removed_ids.get(name.lower(), set()), targets)
        cleaned[name.lower()] = doc
        return serialize_xml(doc, standalone=True), findings
    for pattern, reason in _REFUSED_KINDS:
        if pattern.search(name) or pattern.search(content_type):
            raise Refused(reason.format(name))
    raise Refused(f"unsupported part {name} ({content_type or 'no content type'})")


def _clean_rels(package: _Package, plan: _Plan, source: str, part: XmlDoc | None) -> tuple[bytes, list[Finding]]:
    doc = package.rels[source]
    removed = plan.removed_ids.get(source, set())
    if part is not None and package.content_type(package.by_lower.get(source, source)) == _SETTINGS:
        # Settings link out only from elements (attached template, mail merge); those are gone.
        referenced = {value for element in part.root.iter() for key, value in element.items() if key.startswith(_R)}
        removed = removed | {rel.get("Id", "") for rel in doc.root if rel.get("Id") not in referenced}
    findings = allow_only(doc, VOCABULARY, package.rels_names[source],
                          lambda rel: DROP if rel.get("Id") in removed else KEEP)
    for rel in doc.root:
        if rel.get("TargetMode") == "External" and rel.get("Type") != _HYPERLINK:
            raise Refused(f"{package.rels_names[source]}: link to a file outside the document cannot be cleaned")
    return serialize_xml(doc, standalone=True), findings


def _clean_types(package: _Package, plan: _Plan) -> tuple[bytes, list[Finding]]:
    """Overrides only for the parts written (one for a missing part is an error to some readers)."""
    kept = {name.lower() for name in plan.kept}

    def decide(entry: Element) -> int:
        part = entry.get("PartName", "").lstrip("/").lower()
        return DROP if entry.tag == _CT + "Override" and part not in kept and unquote(part) not in kept else KEEP

    findings = allow_only(package.types, VOCABULARY, package.types_name, decide)
    return serialize_xml(package.types, standalone=True), findings


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

def _content(read: ZipRead) -> Iterator[bytes]:
    """Document text after accepting tracked changes, then the kept pictures' content, one
    picture at a time.

    Text is read with insertions accepted and deletions dropped, for the
    original and the clean copy alike: cleaning accepts the changes, so that
    is the text both must share; everything else cleaning does must leave it
    untouched.
    """
    package, _ = _load(read)
    plan = _plan(package)
    texts: list[bytes] = []
    pictures = _pictures_of(package, plan)
    for name in package.order:
        if name in plan.kept and name not in pictures and package.content_type(name) in _TEXT_TYPES:
            text = _text_of(name, package.files[name], package.content_type(name))
            if text is not None:
                texts.append(text)
    yield from texts
    for name in package.order:
        if name in pictures:
            yield from image_content(name, package.files[name])


def _pictures_of(package: _Package, plan: _Plan) -> set[str]:
    """The kept pictures: their image content is part of the document's content."""
    return {name for name in package.order if name in plan.kept and package.content_type(name).startswith("image/")
            and package.content_type(name) not in _TEXT_TYPES}


def _compared_pictures(read: ZipRead) -> set[str]:
    package, _ = _load(read)
    return _pictures_of(package, _plan(package))


def parse_file(data: bytes, original: Parsed | None = None) -> PackageFile:
    """The package read once; its cleaning pass runs once, for both inspect and sanitize (zippkg.PackageFile)."""
    return open_package(data, _RULES, original)


def parse_stream(source: BinaryIO) -> PackageStream:
    """The package opened from its file, its pictures read one at a time (zippkg.PackageStream)."""
    return open_package_stream(source, _RULES)


_RULES = PackageRules(_clean, _content, _compared_pictures, VOCABULARY)
inspect, sanitize, views, residue, content = bytes_verbs(parse_file)
inspect_stream, sanitize_stream, content_digest, residue_stream = stream_verbs(parse_stream)


def content_views(source: BinaryIO) -> Iterator[View]:
    """The content's parts as views, for the scan of a clean copy (formats/base.py)."""
    return parse_stream(source).content_views()
