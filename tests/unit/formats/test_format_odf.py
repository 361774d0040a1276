"""OpenDocument cleaning: every planted value leaves, the text stays, hostile packages are refused.

Fixtures are built by hand with zipfile: ODT, ODS, ODP and ODG packages with
`mimetype` first and stored, a manifest, and a planted, unique value in every
place LibreOffice keeps metadata.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from functools import partial
from pathlib import Path

import pytest

import exiftool_judge
import planted
from intake.formats import odf, png
from intake.formats.base import Category
from intake.errors import Refused
from planted import encodings, has
from intake.support.sniff import sniff
from odf_builders import ALL_NS, HEAD, ODF, annotation, change_info, document, odf_package


META = HEAD + (
    f'<office:document-meta {ALL_NS} office:version="1.3"><office:meta>'
    "<meta:generator>PLANTED-ODF-GENERATOR/7.5</meta:generator><dc:title>PLANTED-ODF-TITLE</dc:title>"
    "<dc:subject>PLANTED-ODF-SUBJECT</dc:subject><dc:description>PLANTED-ODF-DESCRIPTION</dc:description>"
    "<meta:keyword>PLANTED-ODF-KEYWORD</meta:keyword><meta:initial-creator>PLANTED-ODF-INITIAL-CREATOR"
    "</meta:initial-creator><dc:creator>PLANTED-ODF-CREATOR</dc:creator>"
    "<meta:creation-date>2023-01-11T11:11:11</meta:creation-date><dc:date>2023-01-12T12:12:12</dc:date>"
    "<meta:print-date>2023-01-13T13:13:13</meta:print-date><meta:printed-by>PLANTED-ODF-PRINTED-BY</meta:printed-by>"
    '<meta:template xlink:type="simple" xlink:actuate="onRequest" xlink:title="PLANTED-ODF-TEMPLATE-TITLE" '
    'xlink:href="file:///home/PLANTED-ODF-HOME/Templates/Letter.ott" meta:date="2023-01-14T14:14:14"/>'
    "<meta:editing-cycles>42</meta:editing-cycles><meta:editing-duration>PT1H2M3S</meta:editing-duration>"
    '<meta:user-defined meta:name="PLANTED-ODF-UD-NAME">PLANTED-ODF-UD-VALUE</meta:user-defined>'
    '<meta:document-statistic meta:page-count="1" meta:word-count="9"/></office:meta></office:document-meta>')
PRINTER_SETUP = base64.b64encode(b"\x00\x01\x02\x03PLANTED-ODF-SETUP-PRINTER\x00" + bytes(16)
                                 + "PLANTED-ODF-SETUP-UTF16".encode("utf-16-le") + bytes(40)).decode()
SETTINGS = HEAD + (
    f'<office:document-settings {ALL_NS} office:version="1.3"><office:settings>'
    '<config:config-item-set config:name="ooo:view-settings"><config:config-item config:name="ViewAreaTop" '
    'config:type="long">0</config:config-item></config:config-item-set>'
    '<config:config-item-set config:name="ooo:configuration-settings">'
    '<config:config-item config:name="PrinterName" config:type="string">PLANTED-ODF-PRINTER</config:config-item>'
    f'<config:config-item config:name="PrinterSetup" config:type="base64Binary">{PRINTER_SETUP}</config:config-item>'
    '<config:config-item config:name="CurrentDatabaseDataSource" config:type="string">PLANTED-ODF-DATASOURCE'
    '</config:config-item><config:config-item config:name="UseOldPrinterMetrics" config:type="boolean">false'
    "</config:config-item></config:config-item-set></office:settings></office:document-settings>")
STYLES = HEAD + (
    f'<office:document-styles {ALL_NS} office:version="1.3"><office:styles><style:style style:name="Standard" '
    'style:family="paragraph"><style:text-properties officeooo:rsid="00PLANTEDSTYLERSID"/></style:style>'
    '</office:styles><office:master-styles><style:master-page style:name="Standard"><style:header>'
    "<text:p>Page header</text:p></style:header></style:master-page></office:master-styles></office:document-styles>")
METADATA_MEMBERS: dict[str, str | bytes] = {
    "styles.xml": STYLES, "meta.xml": META, "settings.xml": SETTINGS,
    "Thumbnails/thumbnail.png": b"\x89PNG\r\n\x1a\nPLANTED-ODF-THUMBNAIL",
    "Configurations2/accelerator/current.xml": "<x>PLANTED-ODF-CONFIG</x>",
    "layout-cache": b"PLANTED-ODF-LAYOUT-CACHE",
    "manifest.rdf": HEAD + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                           '<rdf:Description rdf:about="PLANTED-ODF-RDF"/></rdf:RDF>',
}
UNLISTED = {"hidden.txt": b"PLANTED-ODF-UNLISTED"}
METADATA_PLANTED = [
    "PLANTED-ODF-GENERATOR", "PLANTED-ODF-TITLE", "PLANTED-ODF-SUBJECT", "PLANTED-ODF-DESCRIPTION",
    "PLANTED-ODF-KEYWORD", "PLANTED-ODF-INITIAL-CREATOR", "PLANTED-ODF-CREATOR", "2023-01-11T11:11:11",
    "2023-01-12T12:12:12", "2023-01-13T13:13:13", "PLANTED-ODF-PRINTED-BY", "PLANTED-ODF-TEMPLATE-TITLE",
    "PLANTED-ODF-HOME", "2023-01-14T14:14:14", "PT1H2M3S", "PLANTED-ODF-UD-NAME", "PLANTED-ODF-UD-VALUE",
    "PLANTED-ODF-PRINTER", PRINTER_SETUP[:40],
    "PLANTED-ODF-DATASOURCE", "PLANTED-ODF-THUMBNAIL", "PLANTED-ODF-CONFIG", "PLANTED-ODF-LAYOUT-CACHE",
    "PLANTED-ODF-RDF", "PLANTED-ODF-UNLISTED", "PLANTED-ODF-ZIP-COMMENT", "00PLANTEDSTYLERSID",
]
METADATA_EXPECTED = [
    (Category.SOFTWARE, "PLANTED-ODF-GENERATOR"), (Category.PERSON, "PLANTED-ODF-INITIAL-CREATOR"),
    (Category.PERSON, "PLANTED-ODF-CREATOR"), (Category.TIME, "2023-01-11T11:11:11"),
    (Category.TIME, "2023-01-12T12:12:12"), (Category.TIME, "2023-01-13T13:13:13"),
    (Category.PERSON, "PLANTED-ODF-PRINTED-BY"), (Category.OTHER, "PLANTED-ODF-HOME"),
    (Category.TIME, "PT1H2M3S"), (Category.OTHER, "PLANTED-ODF-UD-VALUE"), (Category.OTHER, "PLANTED-ODF-TITLE"),
    (Category.DEVICE, "PLANTED-ODF-PRINTER"), (Category.DEVICE, "PLANTED-ODF-SETUP-PRINTER"),
    (Category.DEVICE, "PLANTED-ODF-SETUP-UTF16"), (Category.OTHER, "PLANTED-ODF-DATASOURCE"),
    (Category.HIDDEN, "thumbnail"), (Category.HIDDEN, "not listed in the manifest"),
    (Category.HIDDEN, "PLANTED-ODF-ZIP-COMMENT"), (Category.TIME, "2023-09-01 12:00:00"),
    (Category.OTHER, "officeooo:rsid"),
]


ODT_CONTENT = document("text", (
    '<text:tracked-changes text:track-changes="true">'
    '<text:changed-region xml:id="ct1" text:id="ct1"><text:insertion>'
    + change_info("PLANTED-ODF-INS-AUTHOR", "2023-09-09T09:09:09") + "</text:insertion></text:changed-region>"
    '<text:changed-region xml:id="ct2" text:id="ct2"><text:deletion>'
    + change_info("PLANTED-ODF-DEL-AUTHOR", "2023-09-09T09:09:10")
    + "<text:p>PLANTED-ODF-DELETED-TEXT</text:p></text:deletion></text:changed-region></text:tracked-changes>"
    '<text:h text:outline-level="1">Harbour log</text:h>'
    '<text:p text:style-name="P1">The crates were <text:change-start text:change-id="ct1"/>unloaded'
    '<text:change-end text:change-id="ct1"/><text:change text:change-id="ct2"/> at night. '
    + annotation("PLANTED-ODF-COMMENTER", "2023-10-10T10:10:10", "PLANTED-ODF-COMMENT-TEXT")
    + 'Dock<text:s text:c="3"/>7<text:tab/>end<office:annotation-end office:name="__Annotation__1"/>.</text:p>'
    "<text:p>Second <text:span>span</text:span><text:line-break/>line</text:p>"),
    '<style:style style:name="P1" style:family="paragraph"><style:text-properties officeooo:rsid="00PLANTEDRSID1" '
    'officeooo:paragraph-rsid="00PLANTEDRSID2"/></style:style>')
ODT_TEXT = ["Harbour log", "The crates were unloaded at night. Dock   7\tend.", "Second span\nline"]

ODS_CONTENT = document("spreadsheet", (
    '<table:tracked-changes><table:cell-content-change table:id="ct1">'
    '<table:cell-address table:column="0" table:row="0" table:table="0"/>'
    + change_info("PLANTED-ODS-AUTHOR", "2023-09-09T09:09:11")
    + '<table:previous><table:change-track-table-cell office:value-type="string">'
      "<text:p>PLANTED-ODS-PREVIOUS</text:p></table:change-track-table-cell></table:previous>"
      "</table:cell-content-change></table:tracked-changes>"
    '<table:table table:name="Ledger"><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>Crates</text:p>'
    + annotation("PLANTED-ODS-COMMENTER", "2023-10-10T10:10:11", "PLANTED-ODS-COMMENT")
    + '</table:table-cell><table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p>'
    '</table:table-cell><table:table-cell table:formula="of:=[.B1]*2" office:value-type="float" office:value="84">'
    "<text:p>84</text:p></table:table-cell></table:table-row></table:table>"))

ODP_CONTENT = document("presentation", (
    '<draw:page draw:name="page1"><draw:frame><draw:text-box><text:p>Slide title</text:p></draw:text-box></draw:frame>'
    "<officeooo:annotation><dc:creator>PLANTED-ODP-COMMENTER</dc:creator><dc:date>2023-10-10T10:10:12</dc:date>"
    "<text:p>PLANTED-ODP-COMMENT</text:p></officeooo:annotation>"
    + annotation("PLANTED-ODP-COMMENTER2", "2023-10-10T10:10:13", "PLANTED-ODP-COMMENT2")
    + "<presentation:notes><draw:frame><draw:text-box><text:p>Speaker notes</text:p></draw:text-box></draw:frame>"
      "</presentation:notes></draw:page>"))

ODG_CONTENT = document("drawing", (
    '<draw:page draw:name="page1"><draw:custom-shape><text:p>Shape text</text:p></draw:custom-shape>'
    + annotation("PLANTED-ODG-COMMENTER", "2023-10-10T10:10:14", "PLANTED-ODG-COMMENT") + "</draw:page>"))

KINDS = {
    "text": (ODT_CONTENT, ["PLANTED-ODF-INS-AUTHOR", "PLANTED-ODF-DEL-AUTHOR", "2023-09-09T09:09", "PLANTED-ODF-DELETED",
                           "PLANTED-ODF-COMMENTER", "2023-10-10T10:10:10", "PQR", "PLANTED-ODF-COMMENT-TEXT",
                           "00PLANTEDRSID1", "00PLANTEDRSID2", "__Annotation__"],
             [(Category.PERSON, "PLANTED-ODF-INS-AUTHOR"), (Category.PERSON, "PLANTED-ODF-DEL-AUTHOR"),
              (Category.TIME, "2023-09-09T09:09:10"), (Category.HIDDEN, "PLANTED-ODF-DELETED-TEXT"),
              (Category.PERSON, "PLANTED-ODF-COMMENTER"), (Category.TIME, "2023-10-10T10:10:10"),
              (Category.PERSON, "PQR"), (Category.HIDDEN, "PLANTED-ODF-COMMENT-TEXT")]),
    "spreadsheet": (ODS_CONTENT, ["PLANTED-ODS-AUTHOR", "2023-09-09T09:09:11", "PLANTED-ODS-PREVIOUS",
                                  "PLANTED-ODS-COMMENTER", "PLANTED-ODS-COMMENT"],
                    [(Category.PERSON, "PLANTED-ODS-AUTHOR"), (Category.HIDDEN, "PLANTED-ODS-PREVIOUS"),
                     (Category.PERSON, "PLANTED-ODS-COMMENTER"), (Category.HIDDEN, "PLANTED-ODS-COMMENT")]),
    "presentation": (ODP_CONTENT, ["PLANTED-ODP-COMMENTER", "PLANTED-ODP-COMMENT", "2023-10-10T10:10:1"],
                     [(Category.PERSON, "PLANTED-ODP-COMMENTER"), (Category.PERSON, "PLANTED-ODP-COMMENTER2"),
                      (Category.TIME, "2023-10-10T10:10:12"), (Category.HIDDEN, "PLANTED-ODP-COMMENT2")]),
    "graphics": (ODG_CONTENT, ["PLANTED-ODG-COMMENTER", "PLANTED-ODG-COMMENT"],
                 [(Category.PERSON, "PLANTED-ODG-COMMENTER"), (Category.HIDDEN, "PLANTED-ODG-COMMENT")]),
}


def build(kind: str, **changes: str | bytes) -> bytes:
    members = {"content.xml": KINDS[kind][0], **METADATA_MEMBERS, **changes}
    return odf_package(kind, members, UNLISTED)


# --- checks -------------------------------------------------------------------------------

assert_absent = partial(planted.assert_absent, odf)


@pytest.fixture(scope="module", params=sorted(KINDS))
def cleaned(request: pytest.FixtureRequest) -> tuple[str, bytes, bytes]:
    original = build(request.param)
    return request.param, original, odf.sanitize(original)


def test_media_types_are_what_sniff_returns(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    assert sniff(original[:4096]) == ODF + kind and ODF + kind in odf.MEDIA_TYPES
    assert sniff(clean[:4096]) == ODF + kind


def test_planted_values_are_gone(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    planted = METADATA_PLANTED + KINDS[kind][1]
    reachable = b"".join(view.data for view in odf.views(original))
    assert [v for v in planted if not any(e in reachable for e in encodings(v))] == [], "fixture must carry them"
    # The printer driver data is base64: its strings are only readable once decoded.
    assert_absent(clean, planted + ["PLANTED-ODF-SETUP-PRINTER", "PLANTED-ODF-SETUP-UTF16"])


def test_inspect_lists_planted_values_and_nothing_after(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    findings = odf.inspect(original)
    missing = [(c, t) for c, t in METADATA_EXPECTED + KINDS[kind][2] if not has(findings, c, t)]
    assert not missing, f"not reported: {missing}"
    assert odf.inspect(clean) == []
    assert odf.sanitize(clean) == clean


def test_content_is_unchanged(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    assert odf.content(original) == odf.content(clean)
    assert odf.content(clean)[1] == b"styles.xml\nPage header"


def test_text_is_the_accepted_text() -> None:
    assert odf.content(build("text"))[0] == ("content.xml\n" + "\n".join(ODT_TEXT)).encode()
    spreadsheet = odf.content(build("spreadsheet"))[0].decode()
    assert spreadsheet.splitlines()[1:] == ["string\t\t\t\t\t\t", "Crates", "float\t42\t\t\t\t\t", "42",
                                            "float\t84\t\t\t\t\tof:=[.B1]*2", "84"]
    assert odf.content(build("presentation"))[0] == b"content.xml\nSlide title\nSpeaker notes"


def test_package_is_normalised(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, _, clean = cleaned
    assert clean[30:38] == b"mimetype" and clean[38:38 + len(ODF + kind)] == (ODF + kind).encode()
    archive = zipfile.ZipFile(io.BytesIO(clean))
    infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert [i.filename for i in infos] == ["mimetype", "content.xml", "styles.xml", "META-INF/manifest.xml"]
    assert archive.comment == b""
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.extra == b"" and info.comment == b"" and info.external_attr == 0 and info.create_system == 0
        assert info.compress_type == (zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
    manifest = archive.read("META-INF/manifest.xml").decode()
    listed = [part.split('"')[0] for part in manifest.split('manifest:full-path="')[1:]]
    assert listed == ["/", "content.xml", "styles.xml"]


def test_mimetype_is_moved_first() -> None:
    original = odf_package("text", {"content.xml": ODT_CONTENT, **METADATA_MEMBERS}, mimetype_first=False)
    clean = odf.sanitize(original)
    assert zipfile.ZipFile(io.BytesIO(clean)).namelist()[0] == "mimetype"
    assert sniff(clean[:4096]) == ODF + "text"


@pytest.mark.skipif(not exiftool_judge.AVAILABLE, reason="exiftool is not installed")
def test_exiftool_sees_none_of_the_planted_values(cleaned: tuple[str, bytes, bytes], tmp_path: Path) -> None:
    kind, original, clean = cleaned
    path = tmp_path / "clean.odf"
    path.write_bytes(clean)
    tags = exiftool_judge.tags(path)
    text = repr(tags)
    for value in METADATA_PLANTED + KINDS[kind][1]:
        assert value not in text
    assert exiftool_judge.identifying(path) == {}
    original_path = tmp_path / "original.odf"
    original_path.write_bytes(original)
    assert exiftool_judge.identifying(original_path), "exiftool must see the planted values in the original"


def test_the_pipeline_accepts_the_clean_copy(cleaned: tuple[str, bytes, bytes]) -> None:
    """intake.clean re-inspects, compares content and scans every view for removed values."""
    from intake.clean import clean_bytes
    kind, original, clean = cleaned
    result = clean_bytes(original)
    assert result.data == clean
    assert result.removed()["person"] > 0 and result.removed()["device"] > 0


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice is not installed")
def test_libreoffice_reads_the_same_text(tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    # The hand-built fixture is too minimal for LibreOffice to load; the clean
    # copy must load, and read as the document's final text.
    (tmp_path / "doc.odt").write_bytes(odf.sanitize(build("text")))
    subprocess.run([office, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "txt:Text", "--outdir", str(tmp_path), str(tmp_path / "doc.odt")],
                   capture_output=True, timeout=120, check=True)
    text = (tmp_path / "doc.txt").read_text()
    assert "unloaded" in text and "PLANTED-ODF-DELETED-TEXT" not in text


# --- pictures -----------------------------------------------------------------------------

def planted_png(text: str) -> bytes:
    from PIL import Image, PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", text)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


PICTURE_CONTENT = ODT_CONTENT.replace(
    "<text:p>Second", '<text:p><draw:frame><draw:image xlink:href="Pictures/photo.png" xlink:type="simple"/>'
                      "</draw:frame>Second")


def test_unused_picture_is_dropped_without_a_cleaner() -> None:
    original = build("text", **{"Pictures/unused.png": b"\x89PNG\r\n\x1a\nPLANTED-ODF-UNUSED-PICTURE"})
    clean = odf.sanitize(original)
    assert_absent(clean, ["PLANTED-ODF-UNUSED-PICTURE"])
    assert any(f.where == "Pictures/unused.png" and "not used" in f.field for f in odf.inspect(original))


def test_pictures_are_cleaned_by_their_module() -> None:
    photo = planted_png("PLANTED-ODF-PNG-AUTHOR")
    original = build("text", **{"content.xml": PICTURE_CONTENT, "Pictures/photo.png": photo})
    clean = odf.sanitize(original)
    assert_absent(clean, METADATA_PLANTED + ["PLANTED-ODF-PNG-AUTHOR"])
    assert any("PLANTED-ODF-PNG-AUTHOR" in f.value and f.where.startswith("Pictures/photo.png")
               for f in odf.inspect(original))
    assert odf.inspect(clean) == []
    assert odf.content(original) == odf.content(clean)
    assert png.content(zipfile.ZipFile(io.BytesIO(clean)).read("Pictures/photo.png")) == png.content(photo)
    assert "Pictures/photo.png" in zipfile.ZipFile(io.BytesIO(clean)).read("META-INF/manifest.xml").decode()


# --- refusals ------------------------------------------------------------------------------

def refused(data: bytes) -> str:
    """inspect and sanitize refuse alike; content and views may answer, but only Refused escapes them."""
    messages = []
    for verb in (odf.inspect, odf.sanitize):
        with pytest.raises(Refused) as caught:
            verb(data)
        messages.append(str(caught.value))
    for verb in (odf.content, odf.views):
        try:
            assert isinstance(verb(data), list)
        except Refused:
            pass
    assert messages[0] == messages[1] and "\n" not in messages[0]
    return messages[0]


def test_embedded_object_is_refused() -> None:
    data = build("text", **{"Object 1/content.xml": ODT_CONTENT, "ObjectReplacements/Object 1": b"\x00svm"})
    assert "embedded object Object 1/content.xml cannot be cleaned" in refused(data)


def test_macros_are_refused() -> None:
    assert "macros" in refused(build("text", **{"Basic/Standard/Module1.xml": "<x/>"}))


def test_other_picture_types_are_refused() -> None:
    content = PICTURE_CONTENT.replace("photo.png", "photo.gif")
    data = build("text", **{"content.xml": content, "Pictures/photo.gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"})
    assert "image/gif" in refused(data)


@pytest.mark.parametrize("href", ["file:///home/x/photo.png", "../photo.png", "/etc/photo.png",
                                  "https://example.org/beacon.png"])
def test_links_to_outside_files_are_refused(href: str) -> None:
    data = build("text", **{"content.xml": PICTURE_CONTENT.replace("Pictures/photo.png", href)})
    assert "outside the document" in refused(data)


def test_inline_picture_data_is_refused() -> None:
    content = ODT_CONTENT.replace("<text:p>Second", "<text:p><draw:frame><draw:image><office:binary-data>"
                                                    "iVBORw0KGgo=</office:binary-data></draw:image></draw:frame>Second")
    assert "inline picture data" in refused(build("text", **{"content.xml": content}))


def test_encrypted_package_is_refused() -> None:
    data = build("text")
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["META-INF/manifest.xml"] = members["META-INF/manifest.xml"].replace(
        b'media-type="text/xml"/>', b'media-type="text/xml"><manifest:encryption-data manifest:checksum="x"/>'
                                    b"</manifest:file-entry>", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, value in members.items():
            out.writestr(name, value, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    assert "encrypted" in refused(buffer.getvalue())


def test_not_an_opendocument_is_refused() -> None:
    assert "not an OpenDocument" in refused(odf_package("base", {"content.xml": ODT_CONTENT}))
    no_manifest = io.BytesIO()
    with zipfile.ZipFile(no_manifest, "w") as archive:
        archive.writestr("mimetype", ODF + "text")
        archive.writestr("content.xml", ODT_CONTENT)
    assert "manifest" in refused(no_manifest.getvalue())
    assert "unsupported OpenDocument member" in refused(build("text", **{"strange.bin": b"\x00"}))


def test_unsafe_names_and_bombs_are_refused() -> None:
    assert "unsafe zip member name" in refused(build("text", **{"../../evil.xml": "<x/>"}))
    assert "zip bomb" in refused(build("text", **{"content.xml": "<a>" + " " * (8 << 20) + "</a>"}))
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              "<office:document-content>&lol2;</office:document-content>")
    assert "XML" in refused(build("text", **{"content.xml": laughs}))
    deep = f"<office:document-content {ALL_NS}>" + "<text:span>" * 400 + "</text:span>" * 400
    assert "nested" in refused(build("text", **{"content.xml": deep + "</office:document-content>"}))


def test_truncated_and_damaged_packages_are_refused() -> None:
    data = odf_package("text", {"content.xml": ODT_CONTENT, **METADATA_MEMBERS}, comment=b"")
    for cut in range(0, len(data), max(1, len(data) // 150)):
        with pytest.raises(Refused):
            odf.sanitize(data[:cut])
    for offset in range(0, len(data), max(1, len(data) // 200)):
        damaged = bytearray(data)
        damaged[offset] ^= 0x55
        try:
            odf.sanitize(bytes(damaged))
        except Refused:
            pass
