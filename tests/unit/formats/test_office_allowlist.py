"""Office files are cleaned from an allow-list: planted values in unusual places never survive.

Each fixture plants a person's name, a user-folder path and an e-mail address
(or a session id) somewhere a deny-list would miss: an unknown namespace, an
mc:AlternateContent branch, a tracked deletion, VML alt text, a pivot cache,
a custom XML part, a part nothing refers to, ODF annotations and tracked
changes. `intake sanitize` (a real process) must either refuse the file
(exit 1, nothing written) or write a copy in which the planted bytes appear
in no member after decompression, with the document's text unchanged.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from intake.clean import clean_bytes
from intake.formats import odf, ooxml
from intake.formats.shared import office_names, zippkg
from intake.errors import Refused
from intake.formats.shared.officexml import identifying_shape, leftovers
from planted import encodings
from odf_builders import ALL_NS, HEAD, annotation, change_info, document, odf_package
from ooxml_builders import OD, WML, XML_HEAD, package, rels, types, xmlns

NAME = "Jane Plantedname"
FOLDER = "C:\\Users\\janeplanted\\Documents\\leak.docx"
HOME = "/home/janeplanted/leak.odt"
EMAIL = "jane.planted@example.org"
RSID = "00C0FFEE"
PLANTED = (NAME, "janeplanted", EMAIL, RSID)
EVIL = 'xmlns:ev="urn:example:not-office"'

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --- fixtures ------------------------------------------------------------------------

def docx(body: str, extra: dict[str, str] | None = None, package_rels: tuple = (),
         overrides: dict[str, str] | None = None) -> bytes:
    """A minimal DOCX: one document part with `body` inside w:body, plus any extra members."""
    document_xml = (XML_HEAD + f'<w:document {xmlns("w", "r", "w14", "mc", "v", "o")} {EVIL} '
                    f'mc:Ignorable="w14"><w:body>{body}<w:sectPr/></w:body></w:document>')
    return package({
        "[Content_Types].xml": types({"word/document.xml": WML + "document.main+xml", **(overrides or {})}),
        "_rels/.rels": rels(("rId1", "officeDocument", "word/document.xml"), *package_rels),
        "word/document.xml": document_xml,
        **(extra or {}),
    })


def paragraph(text: str, attributes: str = "", inner: str = "") -> str:
    return f'<w:p{attributes}><w:r><w:t xml:space="preserve">{text}</w:t></w:r>{inner}</w:p>'


def xlsx_with_pivot_cache(definition_attributes: str) -> bytes:
    sml = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sml_types = OD + "spreadsheetml."
    x14 = 'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
    return package({
        "[Content_Types].xml": types({
            "xl/workbook.xml": sml_types + "sheet.main+xml", "xl/worksheets/sheet1.xml": sml_types + "worksheet+xml",
            "xl/pivotCache/pivotCacheDefinition1.xml": sml_types + "pivotCacheDefinition+xml"}),
        "_rels/.rels": rels(("rId1", "officeDocument", "xl/workbook.xml")),
        "xl/_rels/workbook.xml.rels": rels(("rId1", "worksheet", "worksheets/sheet1.xml"),
                                           ("rId2", "pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")),
        "xl/workbook.xml": (XML_HEAD + f'<workbook xmlns="{sml}" {xmlns("r")}><sheets>'
                            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets>'
                            '<pivotCaches><pivotCache cacheId="1" r:id="rId2"/></pivotCaches></workbook>'),
        "xl/worksheets/sheet1.xml": (XML_HEAD + f'<worksheet xmlns="{sml}"><sheetData><row r="1"><c r="A1" '
                                     't="inlineStr"><is><t>Witness</t></is></c></row></sheetData></worksheet>'),
        "xl/pivotCache/pivotCacheDefinition1.xml": (
            XML_HEAD + f'<pivotCacheDefinition xmlns="{sml}" {x14} {EVIL} {definition_attributes} '
            'refreshedDate="45000.5" createdVersion="6" refreshedVersion="6" recordCount="0">'
            '<cacheSource type="worksheet"><worksheetSource ref="A1:A2" sheet="Data"/></cacheSource>'
            '<cacheFields count="1"><cacheField name="Witness" numFmtId="0"><sharedItems/></cacheField>'
            "</cacheFields></pivotCacheDefinition>"),
    })


def odt(body: str, extra: dict[str, str] | None = None) -> bytes:
    content = document("text", body).replace(f"<office:document-content {ALL_NS}",
                                             f"<office:document-content {ALL_NS} {EVIL}")
    return odf_package("text", {"content.xml": content, **(extra or {})})


def rewritten(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same zip with one member changed (its order and compression kept)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, change(content) if info.filename == name else content)
    return buffer.getvalue()


VML_PICTURE = ('<w:r><w:pict><v:shape id="s1" style="width:10pt;height:10pt" alt="{name}" o:title="{email}">'
               '<v:imagedata o:title="{folder}"/></v:shape></w:pict></w:r>')

CASES: dict[str, bytes] = {
    "unknown-namespace-attribute.docx": docx(paragraph("Kept text.", f' ev:who="{NAME}" ev:where="{FOLDER}"')),
    "unknown-namespace-element.docx": docx(
        paragraph("Before.") + f'<ev:note by="{EMAIL}">{NAME} {FOLDER}</ev:note>' + paragraph("After.")),
    "alternate-content-branch.docx": docx(paragraph(
        "Shape here:", inner=f'<mc:AlternateContent><mc:Choice Requires="ev"><ev:box who="{NAME}" mail="{EMAIL}"'
        f' path="{FOLDER}"/></mc:Choice><mc:Fallback><w:r><w:t>[box]</w:t></w:r></mc:Fallback>'
        "</mc:AlternateContent>")),
    "tracked-deletion.docx": docx(paragraph(
        "Kept.", inner=f'<w:del w:id="9" w:author="{NAME}" w:date="2023-04-05T06:07:09Z"><w:r><w:delText>'
        f"{EMAIL} {FOLDER}</w:delText></w:r></w:del>"
        f'<w:r><w:rPr><w:b/><w:rPrChange w:id="10" w:author="{NAME}"><w:rPr/></w:rPrChange></w:rPr>'
        "<w:t>Bold.</w:t></w:r>")),
    "rsids.docx": docx(paragraph("Session ids.", f' w:rsidR="{RSID}" w:rsidRDefault="{RSID}" w14:paraId="{RSID}"')
                       .replace("<w:r>", f'<w:r w:rsidRPr="{RSID}">')),
    "vml-alt-text.docx": docx(paragraph("Picture:", inner=VML_PICTURE.format(name=NAME, email=EMAIL, folder=FOLDER))),
    "picture-description-path.docx": docx(paragraph(
        "Drawing:", inner='<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        f'wordprocessingDrawing"><wp:extent cx="1" cy="1"/><wp:docPr id="1" name="Picture 1" descr="{FOLDER}"/>'
        "</wp:inline></w:drawing></w:r>")),
    "data-binding.docx": docx(
        '<w:sdt><w:sdtPr><w:dataBinding w:xpath="/root/author" '
        'w:storeItemID="{11111111-2222-3333-4444-555555555555}"/></w:sdtPr><w:sdtContent>'
        + paragraph("Bound text.") + "</w:sdtContent></w:sdt>",
        extra={"customXml/item1.xml": f"<root><author>{NAME}</author><mail>{EMAIL}</mail></root>"},
        package_rels=(("rIdC", "customXml", "customXml/item1.xml"),)),
    "unreferenced-part.docx": docx(
        paragraph("Visible."), extra={"word/stale.xml": f'<w:document {xmlns("w")}>{NAME} {EMAIL}</w:document>'},
        overrides={"word/stale.xml": WML + "document.main+xml"}),
    "pivot-refreshed-by.xlsx": xlsx_with_pivot_cache(f'refreshedBy="{NAME}" x14:refreshedBy="{EMAIL}" '
                                                     f'ev:savedIn="{FOLDER}"'),
    "annotation.odt": odt("<text:p>Kept paragraph."
                          + annotation(NAME, "2023-01-01T00:00:00", f"{EMAIL} {HOME}") + "</text:p>"),
    "tracked-changes.odt": odt(
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
        + change_info(NAME, "2023-01-01T00:00:00") + f"<text:p>{EMAIL} {HOME}</text:p></text:deletion>"
        '</text:changed-region></text:tracked-changes><text:p>Final<text:change text:change-id="c1"/> text.</text:p>'),
    "unknown-namespace.odt": odt(
        f'<text:p ev:who="{NAME}" ev:path="{HOME}">Kept<text:span ev:mail="{EMAIL}"> words</text:span>.</text:p>'
        f"<ev:note>{NAME}</ev:note>"),
    "unknown-markup-in-relationships.docx": docx(paragraph("Body."), extra={"word/_rels/document.xml.rels": (
        XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" '
        f'{EVIL}><Relationship Id="rId9" Type="http://x/y" Target="nowhere.xml" ev:by="{NAME}"/>'
        f"<ev:saved>{FOLDER}</ev:saved></Relationships>")}),
    "namespace-name.docx": docx(paragraph("Body.", f' xmlns:who="urn:x-person:{EMAIL}"')),
    "unknown-markup-in-manifest.odt": rewritten(
        odt("<text:p>Body.</text:p>"), "META-INF/manifest.xml",
        lambda xml: xml.replace(b'manifest:version="1.3">', f'manifest:version="1.3" {EVIL} ev:by="{NAME}">'.encode())),
    # Found by mutating the fixtures above: names invented in a known namespace.
    "vml-attribute-on-word-paragraph.docx": docx(paragraph("Body.", f' v:who="{NAME}" o:mail="{EMAIL}"')),
    "tracked-change-renamed-into-office.odt": odt(
        "<office:tracked-changes><office:changed-region><office:deletion>"
        f"<office:p>{EMAIL} {HOME}</office:p></office:deletion></office:changed-region></office:tracked-changes>"
        "<text:p>Final text.</text:p>"),
    "drive-path-description.docx": docx(paragraph(
        "Drawing:", inner='<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing"><wp:extent cx="1" cy="1"/><wp:docPr id="1" name="Picture 1" '
        'descr="D:\\Scans\\janeplanted-passport.jpg"/></wp:inline></w:drawing></w:r>')),
    # Names invented inside a known namespace: outside the schema's vocabulary (office_names.py).
    "invented-word-attribute.docx": docx(paragraph("Body.", f' w:who="{NAME}" w:rsidX="{RSID}"')),
    "invented-word-element.docx": docx(paragraph("Body.", inner=f'<w:secretThing w:val="{NAME}"/>')),
    "invented-odf-text-attribute.odt": odt(f'<text:p text:who="{NAME}">Kept<text:span text:mail="{EMAIL}"> '
                                           "words</text:span>.</text:p>"),
    "invented-drawing-element.docx": docx(paragraph(
        "Drawing:", inner='<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<wp:extent cx="1" cy="1"/><wp:docPr id="1" name="Picture 1"/><a:graphic who="' + NAME + '">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<a:secretThing val="{NAME}"><a:t>{EMAIL}</a:t></a:secretThing></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r>")),
    "invented-shape-element.docx": docx(paragraph(
        "Shape:", inner='<w:r><w:drawing><wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f'<wps:box who="{NAME}"/><wps:wsp who="{EMAIL}"/></wp:anchor></w:drawing></w:r>')),
    # A reader shows the text of markup it does not know: removing it changes the text, so refusing is right.
    "stray-creator.odt": odt(f"<text:p>Written by <dc:creator>{NAME}</dc:creator>.</text:p>"),
    "local-link.odt": odt(f'<text:p>See <text:a xlink:type="simple" xlink:href="file://{HOME}">the file</text:a>.'
                          "</text:p>"),
    "meta-and-settings.odt": odt("<text:p>Body.</text:p>", extra={
        "meta.xml": HEAD + f'<office:document-meta {ALL_NS}><office:meta><dc:creator>{NAME}</dc:creator>'
                    f'<meta:template xlink:href="file://{HOME}"/></office:meta></office:document-meta>',
        "settings.xml": HEAD + f'<office:document-settings {ALL_NS}><office:settings>'
                        f'<config:config-item config:name="PrinterName" config:type="string">{EMAIL}'
                        "</config:config-item></office:settings></office:document-settings>"}),
}


# --- what a reader sees -------------------------------------------------------------

def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def text_of(data: bytes) -> list[str]:
    """The document text as a reader sees it with changes accepted: Word runs, cells, ODF paragraphs."""
    lines: list[str] = []
    for name, part in sorted(members(data).items()):
        if name.endswith("document.xml") and name.startswith("word/document"):
            lines += [t.text or "" for t in fromstring(part).iter(W + "t")]
        elif name.startswith("xl/") and name.endswith(".xml"):
            lines += [t.text or "" for t in fromstring(part).iter(S + "t")]
        elif name == "content.xml":
            lines += [odf_paragraph(p) for p in fromstring(part).iter(TEXT + "p") if not inside_removed(p, part)]
    return lines


def odf_paragraph(paragraph_element: Element) -> str:
    parts = [paragraph_element.text or ""]
    for child in paragraph_element:
        if child.tag not in (OFFICE + "annotation", TEXT + "change") and not child.tag.startswith("{urn:example"):
            parts.append("".join(child.itertext()) if child.tag != "{http://purl.org/dc/elements/1.1/}creator" else "")
        parts.append(child.tail or "")
    return "".join(parts)


def inside_removed(paragraph_element: Element, part: bytes) -> bool:
    root = fromstring(part)
    hidden = [element for tag in (OFFICE + "annotation", TEXT + "tracked-changes") for element in root.iter(tag)]
    texts = {"".join(p.itertext()) for element in hidden for p in element.iter(TEXT + "p")}
    return "".join(paragraph_element.itertext()) in texts


def reachable(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The file, every member, and the views a format module decompresses."""
    yield "file", data
    yield from members(data).items()
    module = ooxml if "[Content_Types].xml" in members(data) else odf
    yield from ((view.where, view.data) for view in module.views(data))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fixture_plants_a_value(name: str) -> None:
    assert any(encoded in data for _, data in reachable(CASES[name]) for value in PLANTED
               for encoded in encodings(value))


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One real `intake sanitize` over every fixture; its --json report by file name (and "out": the folder)."""
    folder = tmp_path_factory.mktemp("planted")
    for name, data in CASES.items():
        (folder / name).write_bytes(data)
    out = folder.parent / (folder.name + "-clean")
    result = subprocess.run([sys.executable, "-m", "intake", "sanitize", str(folder), "-o", str(out), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    report = {Path(entry["path"]).name: entry for entry in json.loads(result.stdout)["files"]}
    assert set(report) == set(CASES)
    return {**report, "out": {"path": str(out)}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_planted_values_never_survive_sanitize(name: str, sanitized: dict[str, dict]) -> None:
    entry = sanitized[name]
    if entry["status"] != "cleaned":
        assert entry["reason"], "a refusal says why"
        assert not list(Path(sanitized["out"]["path"]).rglob(name)), "a refused file is not written"
        return
    clean = Path(entry["output"]).read_bytes()
    for where, data in reachable(clean):
        for value in PLANTED:
            for encoded in encodings(value):
                assert encoded not in data, f"{value!r} survived in {where}"
    assert text_of(clean) == text_of(CASES[name])


CLEANED_NOT_REFUSED = ("unknown-namespace-attribute.docx", "unknown-namespace-element.docx",
                       "alternate-content-branch.docx", "tracked-deletion.docx", "rsids.docx", "vml-alt-text.docx",
                       "picture-description-path.docx", "data-binding.docx", "unreferenced-part.docx",
                       "pivot-refreshed-by.xlsx", "annotation.odt", "tracked-changes.odt", "unknown-namespace.odt",
                       "local-link.odt", "meta-and-settings.odt", "unknown-markup-in-relationships.docx",
                       "namespace-name.docx", "unknown-markup-in-manifest.odt",
                       "vml-attribute-on-word-paragraph.docx", "tracked-change-renamed-into-office.odt",
                       "drive-path-description.docx", "invented-word-attribute.docx", "invented-word-element.docx",
                       "invented-odf-text-attribute.odt", "invented-drawing-element.docx",
                       "invented-shape-element.docx")


@pytest.mark.parametrize("name", CLEANED_NOT_REFUSED)
def test_unusual_markup_is_removed_not_refused(name: str, sanitized: dict[str, dict]) -> None:
    """Removing markup outside the vocabulary keeps the text, so these files are cleaned, not refused."""
    assert sanitized[name]["status"] == "cleaned", sanitized[name].get("reason")


def test_the_text_around_removed_markup_stays() -> None:
    clean = clean_bytes(CASES["local-link.odt"]).data
    assert b"<text:a xlink:type=\"simple\">the file</text:a>" in members(clean)["content.xml"]
    clean = clean_bytes(CASES["alternate-content-branch.docx"]).data
    assert b"[box]" in members(clean)["word/document.xml"]  # the fallback stays, the unknown choice goes


# --- what is refused ---------------------------------------------------------------------

def test_removing_unknown_markup_that_holds_text_refuses_the_file() -> None:
    """An unknown element that wraps a paragraph cannot go without the text: refused, not half-cleaned."""
    data = docx(f'<ev:wrap who="{NAME}">' + paragraph("Text inside unknown markup.") + "</ev:wrap>")
    with pytest.raises(Refused, match="content"):
        clean_bytes(data)


def test_an_invented_element_that_holds_text_refuses_the_file() -> None:
    """A made-up name in Word's own namespace wrapping a run: it cannot go without the text."""
    data = docx(f'<w:p><w:secretWrap w:who="{NAME}"><w:r><w:t>Wrapped text.</w:t></w:r></w:secretWrap></w:p>')
    with pytest.raises(Refused, match="content"):
        clean_bytes(data)


def test_the_schema_vocabulary_covers_the_kept_namespaces() -> None:
    """The names come from the schemas of the standards' own namespaces (office_names.py)."""
    word, drawing = W[1:-1], A[1:-1]
    assert {"p", "r", "t", "sectPr"} <= office_names.ELEMENTS[word] and "val" in office_names.ATTRIBUTES[word]
    assert {"graphic", "blip"} <= office_names.ELEMENTS[drawing] and "embed" in office_names.ATTRIBUTES[R]
    assert {"p", "span", "h"} <= office_names.ELEMENTS[TEXT[1:-1]]
    assert "style-name" in office_names.ATTRIBUTES[TEXT[1:-1]]
    for name in ("who", "secretThing"):
        assert not any(name in names for names in office_names.ELEMENTS.values())


def test_a_hyperlink_to_a_local_file_is_refused() -> None:
    data = docx(paragraph("Link", inner='<w:hyperlink r:id="rIdL"><w:r><w:t>here</w:t></w:r></w:hyperlink>'),
                extra={"word/_rels/document.xml.rels": rels(("rIdL", "hyperlink", f"file:///{FOLDER}", "External"))})
    with pytest.raises(Refused, match="path"):
        clean_bytes(data)


def test_a_mailto_hyperlink_stays() -> None:
    data = docx(paragraph("Write", inner='<w:hyperlink r:id="rIdL"><w:r><w:t>to us</w:t></w:r></w:hyperlink>'),
                extra={"word/_rels/document.xml.rels": rels(("rIdL", "hyperlink", f"mailto:{EMAIL}", "External"))})
    clean = clean_bytes(data).data
    assert f"mailto:{EMAIL}".encode() in members(clean)["word/_rels/document.xml.rels"]


def test_an_unknown_part_type_is_refused() -> None:
    data = docx(paragraph("Body."), extra={"word/_rels/document.xml.rels": rels(("rIdX", "http://example.org/x",
                                                                                 "evil.bin")),
                                           "word/evil.bin": NAME},
                overrides={"word/evil.bin": "application/x-not-office"})
    with pytest.raises(Refused, match="unsupported part"):
        clean_bytes(data)


# --- the independent leftover check --------------------------------------------------------

def test_leftover_check_catches_what_a_broken_cleaner_lets_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check does not trust the cleaner: with the OOXML cleaner keeping every element and
    attribute, the tracked change and the unknown markup are still found and the file refused."""
    monkeypatch.setattr(ooxml._PartCleaner, "decide", lambda self, element: zippkg.KEEP)
    monkeypatch.setattr(ooxml._PartCleaner, "_attributes", lambda self, element: False)
    monkeypatch.setattr(ooxml, "unknown_declarations", lambda doc, vocabulary, record: None)
    with pytest.raises(Refused, match="would remain after cleaning"):
        ooxml.sanitize(CASES["tracked-deletion.docx"])
    with pytest.raises(Refused, match="outside the known vocabulary"):
        ooxml.sanitize(CASES["unknown-namespace-attribute.docx"])


def test_odf_leftover_check_catches_what_a_broken_cleaner_lets_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(odf._PartCleaner, "decide", lambda self, element: zippkg.KEEP)
    monkeypatch.setattr(odf._PartCleaner, "_attributes", lambda self, element: None)
    monkeypatch.setattr(odf, "unknown_declarations", lambda doc, vocabulary, record: None)
    for name in ("annotation.odt", "tracked-changes.odt", "unknown-namespace.odt"):
        with pytest.raises(Refused, match="would remain after cleaning"):
            odf.sanitize(CASES[name])


def check(xml: str, vocabulary: object = ooxml.VOCABULARY) -> list[str]:
    return [leftover.what for leftover in leftovers("part", fromstring(xml), vocabulary)]  # type: ignore[arg-type]


def test_leftover_rules_one_by_one() -> None:
    w = xmlns("w", "o", "v")
    assert check(f"<w:document {w}><w:body/></w:document>") == []
    assert "outside the known vocabulary" in check(f'<w:document {w} {EVIL}><ev:x/></w:document>')[0]
    assert "outside the known vocabulary" in check(f'<w:document {w} {EVIL} ev:a="1"/>')[0]
    assert "outside the known vocabulary" in check(f'<w:document {w} plain="1"/>')[0]  # Word attributes are qualified
    assert "cleaning removes" in check(f'<w:document {w}><w:del w:id="1"/></w:document>')[0]
    assert "cleaning removes" in check(f'<w:document {w}><w:p w:rsidR="00AA"/></w:document>')[0]
    assert "cleaning removes" in check(f'<w:document {w}><v:shape alt="x"/></w:document>')[0]
    assert "cleaning removes" in check(f'<w:document {w}><o:del/></w:document>')[0]  # any namespace
    assert "outside the known vocabulary" in check(f'<w:document {w}><w:p v:who="x"/></w:document>')[0]
    assert check(f'<w:document {w}><v:shape o:spid="_x0000_s1"/></w:document>') == []
    # A name the namespace's schema does not have, whatever its value.
    assert "outside the known vocabulary" in check(f'<w:document {w}><w:p w:who="Jane"/></w:document>')[0]
    assert "outside the known vocabulary" in check(f'<w:document {w}><w:secretThing/></w:document>')[0]
    assert "outside the known vocabulary" in check(f'<w:document {w}><v:shape who="Jane"/></w:document>')[0]
    assert "user folder" in check(f'<w:document {w}><w:p w:val="{HOME}"/></w:document>')[0]
    assert "e-mail" in check(f'<w:document {w}><w:p w:val="{EMAIL}"/></w:document>')[0]
    # The document's own text may give an address; a mailto: link is where it points.
    assert check(f"<w:document {w}><w:p><w:t>Write to {EMAIL}</w:t></w:p></w:document>") == []
    assert check(f'<w:document {w}><w:p w:val="mailto:{EMAIL}"/></w:document>') == []


@pytest.mark.parametrize("value,shape", [
    (HOME, "user folder"), (FOLDER, "user folder"), ("C:/Users/x/y", "user folder"), ("file:///tmp/x", "file"),
    ("D:\\Scans\\x.jpg", "file"), ("/Volumes/JANE/x", "file"), ("mm:\\ ss", None), ("https://x.org/media/y", None),
    ("\\\\server\\share\\x", "network"), (EMAIL, "e-mail"), ("Microsoft Yi Baiti", None), ("12.5pt", None),
    ("mailto:" + EMAIL, None), ("[$-F800]dddd\\,\\ mmmm\\ dd", None)])
def test_identifying_shapes(value: str, shape: str | None) -> None:
    found = identifying_shape(value)
    assert (found is None) if shape is None else (shape in (found or ""))


# --- false refusals ----------------------------------------------------------------------------

THEME = (XML_HEAD + f'<a:theme {xmlns("a")} name="Office Theme"><a:themeElements><a:fontScheme name="Office">'
         '<a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/>'
         '<a:font script="Yiii" typeface="Microsoft Yi Baiti"/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/>'
         '<a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme></a:themeElements></a:theme>')


def docx_with_company(company: str, styles: str = "") -> bytes:
    app = (XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           f"<Company>{company}</Company><Application>Microsoft Office Word</Application></Properties>")
    styles_xml = XML_HEAD + f'<w:styles {xmlns("w")}>{styles}</w:styles>'
    return docx(paragraph("Body."), extra={
        "docProps/app.xml": app, "word/theme/theme1.xml": THEME, "word/styles.xml": styles_xml,
        "word/_rels/document.xml.rels": rels(("rId1", "theme", "theme/theme1.xml"), ("rId2", "styles", "styles.xml"))},
        package_rels=(("rId2", "extended-properties", "docProps/app.xml"),),
        overrides={"docProps/app.xml": OD + "extended-properties+xml", "word/theme/theme1.xml": OD + "theme+xml",
                   "word/styles.xml": WML + "styles+xml"})


def test_a_removed_company_that_names_a_theme_font_does_not_refuse() -> None:
    """"Microsoft" goes as the company; the standard theme font "Microsoft Yi Baiti" stays."""
    result = clean_bytes(docx_with_company("Microsoft"))
    assert any(f.value == "Microsoft" for f in result.findings)
    assert b'typeface="Microsoft Yi Baiti"' in members(result.data)["word/theme/theme1.xml"]
    assert "docProps/app.xml" not in members(result.data)


def test_a_removed_name_left_in_a_style_name_still_refuses() -> None:
    """Only font names are a standard vocabulary: a company name left as a style's name is a leak."""
    styles = f'<w:style w:type="paragraph" w:styleId="Memo"><w:name w:val="{NAME} memo"/></w:style>'
    with pytest.raises(Refused, match="removed value"):
        clean_bytes(docx_with_company(NAME, styles))
