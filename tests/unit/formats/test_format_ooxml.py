"""OOXML cleaning: every planted value leaves, the text stays, hostile zips are refused.

Fixtures are built by hand with zipfile: minimal DOCX, XLSX and PPTX packages
with a planted, unique value in every place Office keeps metadata.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import struct
import subprocess
import zipfile
from functools import partial
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

import exiftool_judge
import planted
from intake.formats import jpeg, ooxml, png
from intake.formats.shared import zippkg
from intake.formats.base import Category
from intake.errors import Refused
from planted import encodings, has
from intake.support.sniff import sniff
from ooxml_builders import NS, OD, REL, WML, XML_HEAD, package, rels, types, xmlns


# --- metadata parts shared by the three formats -------------------------------

CORE = XML_HEAD + (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>PLANTED-TITLE</dc:title><dc:subject>PLANTED-SUBJECT</dc:subject>"
    "<dc:creator>PLANTED-CREATOR</dc:creator><cp:keywords>PLANTED-KEYWORDS</cp:keywords>"
    "<dc:description>PLANTED-DESCRIPTION</dc:description><cp:lastModifiedBy>PLANTED-LASTMODIFIEDBY</cp:lastModifiedBy>"
    "<cp:revision>4242</cp:revision><cp:lastPrinted>2023-01-02T03:04:05Z</cp:lastPrinted>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2023-01-02T03:04:06Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2023-01-02T03:04:07Z</dcterms:modified>'
    "<cp:category>PLANTED-CATEGORY</cp:category><cp:contentStatus>PLANTED-STATUS</cp:contentStatus>"
    "</cp:coreProperties>")
APP = XML_HEAD + (
    f'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" {xmlns("vt")}>'
    "<Template>PLANTED-TEMPLATE.dotm</Template><TotalTime>987</TotalTime><Application>PLANTED-APPLICATION</Application>"
    "<DocSecurity>0</DocSecurity><Company>PLANTED-COMPANY</Company><Manager>PLANTED-MANAGER</Manager>"
    "<AppVersion>16.0000</AppVersion><HyperlinkBase>PLANTED-HLINKBASE</HyperlinkBase>"
    '<TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>PLANTED-TITLEPART</vt:lpstr></vt:vector>'
    "</TitlesOfParts></Properties>")
# Custom properties are often written as UTF-16 by Office add-ins.
CUSTOM = ('<?xml version="1.0" encoding="UTF-16" standalone="yes"?>\n'
          f'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" {xmlns("vt")}>'
          '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="PLANTED-CUSTOM-NAME">'
          "<vt:lpwstr>PLANTED-CUSTOM-VALUE</vt:lpwstr></property></Properties>").encode("utf-16")
THUMBNAIL = b"\xff\xd8\xff\xfe\x00\x13PLANTED-THUMBNAIL\xff\xd9"


def printer_settings(name: str) -> bytes:
    """A DEVMODE: the device name is 32 UTF-16LE characters, then the driver's fields."""
    return name.encode("utf-16-le").ljust(64, b"\0") + struct.pack("<HHHHI", 0x401, 0, 220, 0, 0) + bytes(200)


PROPS_TYPES = {"docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
               "docProps/app.xml": OD + "extended-properties+xml", "docProps/custom.xml": OD + "custom-properties+xml"}
PROPS_RELS = (("rP1", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
               "docProps/core.xml"),
              ("rP2", "extended-properties", "docProps/app.xml"), ("rP3", "custom-properties", "docProps/custom.xml"),
              ("rP4", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
               "docProps/thumbnail.jpeg"))
PROPS = {"docProps/core.xml": CORE, "docProps/app.xml": APP, "docProps/custom.xml": CUSTOM,
         "docProps/thumbnail.jpeg": THUMBNAIL}

# --- DOCX ---------------------------------------------------------------------------

DOCUMENT = XML_HEAD + (
    f'<w:document {xmlns("w", "r", "w14", "mc", "v", "o")} mc:Ignorable="w14"><w:body>'
    '<w:p w14:paraId="1A2B3C4D" w14:textId="77777777" w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3">'
    '<w:r w:rsidR="00D4E5F6"><w:t xml:space="preserve">The crates were </w:t></w:r>'
    '<w:ins w:id="1" w:author="PLANTED-INS-AUTHOR" w:date="2023-04-05T06:07:08Z"><w:r><w:t>unloaded</w:t></w:r></w:ins>'
    '<w:del w:id="2" w:author="PLANTED-DEL-AUTHOR" w:date="2023-04-05T06:07:09Z"><w:r>'
    "<w:delText>PLANTED-DELETED-TEXT</w:delText></w:r></w:del>"
    '<w:r><w:t xml:space="preserve"> at night.</w:t></w:r></w:p>'
    '<w:p w:rsidR="00A1B2C3"><w:commentRangeStart w:id="0"/><w:r><w:t>Port &amp; dock 7</w:t></w:r>'
    '<w:commentRangeEnd w:id="0"/><w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
    '<w:commentReference w:id="0"/></w:r><w:bookmarkStart w:id="5" w:name="_GoBack"/><w:bookmarkEnd w:id="5"/>'
    '<w:permStart w:id="9" w:ed="PLANTED-EDITOR@example.org"/><w:r><w:tab/><w:t>Tab then text</w:t></w:r>'
    '<w:permEnd w:id="9"/><w:hyperlink r:id="rId9"><w:r><w:t xml:space="preserve"> (link)</w:t></w:r></w:hyperlink></w:p>'
    '<w:p><w:pPr><w:rPr><w:ins w:id="3" w:author="PLANTED-INS-AUTHOR" w:date="2023-04-05T06:07:10Z"/></w:rPr></w:pPr>'
    '<w:r><w:rPr><w:b/><w:rPrChange w:id="4" w:author="PLANTED-FORMAT-AUTHOR" w:date="2023-04-05T06:07:11Z">'
    "<w:rPr/></w:rPrChange></w:rPr><w:t>Bold</w:t></w:r>"
    '<w:r><w:pict><v:rect o:gfxdata="UEsPLANTEDGFXDATA"/></w:pict></w:r></w:p>'
    '<w:tbl><w:tr><w:trPr><w:del w:id="6" w:author="PLANTED-ROW-AUTHOR" w:date="2023-04-05T06:07:12Z"/></w:trPr>'
    '<w:tc><w:p><w:del w:id="10" w:author="PLANTED-ROW-AUTHOR" w:date="2023-04-05T06:07:12Z"><w:r>'
    "<w:delText>PLANTED-DELETED-ROW</w:delText></w:r></w:del></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>Cell kept</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    '<w:p><w:moveFrom w:id="7" w:author="PLANTED-MOVE-AUTHOR" w:date="2023-04-05T06:07:13Z"><w:r>'
    "<w:t>moved words</w:t></w:r></w:moveFrom></w:p>"
    '<w:p><w:moveTo w:id="8" w:author="PLANTED-MOVE-AUTHOR" w:date="2023-04-05T06:07:13Z"><w:r>'
    "<w:t>moved words</w:t></w:r></w:moveTo></w:p>"
    '<w:sectPr w:rsidR="00A1B2C3" w:rsidSect="00D4E5F6"><w:headerReference w:type="default" r:id="rId3"/></w:sectPr>'
    "</w:body></w:document>")
DOCX_TEXT = ["The crates were unloaded at night.", "Port & dock 7\tTab then text (link)", "Bold", "Cell kept", "",
             "moved words"]
SETTINGS = XML_HEAD + (
    f'<w:settings {xmlns("w", "r", "w14", "w15", "mc")} mc:Ignorable="w14 w15"><w:zoom w:percent="100"/>'
    '<w:attachedTemplate r:id="rId1"/><w:trackRevisions/>'
    '<w:docVars><w:docVar w:name="PLANTED-DOCVAR-NAME" w:val="PLANTED-DOCVAR-VALUE"/></w:docVars>'
    '<w:rsids><w:rsidRoot w:val="00A1B2C3"/><w:rsid w:val="00A1B2C3"/><w:rsid w:val="00D4E5F6"/></w:rsids>'
    '<w14:docId w14:val="7AB1DE55"/><w15:docId w15:val="{PLANTED-DOCID-GUID}"/></w:settings>')
STYLES = XML_HEAD + (f'<w:styles {xmlns("w")}><w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
                     '<w:name w:val="Normal"/><w:rsid w:val="00D4E5F6"/></w:style></w:styles>')
HEADER = XML_HEAD + f'<w:hdr {xmlns("w")}><w:p w:rsidR="00A1B2C3"><w:r><w:t>Page header</w:t></w:r></w:p></w:hdr>'
COMMENTS = XML_HEAD + (
    f'<w:comments {xmlns("w", "w14")}><w:comment w:id="0" w:author="PLANTED-COMMENTER" '
    'w:date="2023-03-03T03:03:03Z" w:initials="PQZ"><w:p w14:paraId="0C0FFEE0"><w:r><w:annotationRef/></w:r>'
    "<w:r><w:t>PLANTED-COMMENT-TEXT</w:t></w:r></w:p></w:comment></w:comments>")
COMMENTS_EX = XML_HEAD + (f'<w15:commentsEx {xmlns("w15")}><w15:commentEx w15:paraId="0C0FFEE0" w15:done="0"/>'
                          "</w15:commentsEx>")
COMMENTS_IDS = XML_HEAD + ('<w16cid:commentsIds xmlns:w16cid="http://schemas.microsoft.com/office/word/2016/wordml/cid">'
                           '<w16cid:commentId w16cid:paraId="0C0FFEE0" w16cid:durableId="5EEDF00D"/></w16cid:commentsIds>')
PEOPLE = XML_HEAD + (f'<w15:people {xmlns("w15")}><w15:person w15:author="PLANTED-PERSON">'
                     '<w15:presenceInfo w15:providerId="AD" w15:userId="S::PLANTED-USERID@example.org::0"/>'
                     "</w15:person></w15:people>")
CUSTOM_XML = XML_HEAD + "<root><Owner>PLANTED-CUSTOMXML</Owner></root>"
ITEM_PROPS = XML_HEAD + ('<ds:datastoreItem ds:itemID="{11111111-2222-3333-4444-555555555555}" '
                         'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
                         "<ds:schemaRefs/></ds:datastoreItem>")
TEMPLATE_PATH = "file:///C:/Users/PLANTED-USER/AppData/Roaming/Microsoft/Templates/Normal.dotm"


def docx_members(document: str = DOCUMENT, media: dict[str, bytes] | None = None) -> dict[str, str | bytes]:
    media = media or {}
    media_rels = tuple((f"rIdM{i}", "image", f"media/{name}") for i, name in enumerate(media))
    return {
        "[Content_Types].xml": types({
            "word/document.xml": WML + "document.main+xml", "word/styles.xml": WML + "styles+xml",
            "word/settings.xml": WML + "settings+xml", "word/header1.xml": WML + "header+xml",
            "word/comments.xml": WML + "comments+xml", "word/commentsExtended.xml": WML + "commentsExtended+xml",
            "word/commentsIds.xml": WML + "commentsIds+xml", "word/people.xml": WML + "people+xml",
            "customXml/itemProps1.xml": OD + "customXmlProperties+xml", **PROPS_TYPES},
            {"bin": WML + "printerSettings"}),
        "_rels/.rels": rels(("rId1", "officeDocument", "word/document.xml"), *PROPS_RELS),
        "word/document.xml": document,
        "word/_rels/document.xml.rels": rels(
            ("rId1", "styles", "styles.xml"), ("rId2", "settings", "settings.xml"), ("rId3", "header", "header1.xml"),
            ("rId4", "comments", "comments.xml"),
            ("rId5", "http://schemas.microsoft.com/office/2011/relationships/commentsExtended", "commentsExtended.xml"),
            ("rId6", "http://schemas.microsoft.com/office/2016/09/relationships/commentsIds", "commentsIds.xml"),
            ("rId7", "http://schemas.microsoft.com/office/2011/relationships/people", "people.xml"),
            ("rId8", "customXml", "../customXml/item1.xml"),
            ("rId9", "hyperlink", "https://example.org/report", "External"),
            ("rId10", "printerSettings", "printerSettings/printerSettings1.bin"), *media_rels),
        "word/styles.xml": STYLES,
        "word/settings.xml": SETTINGS,
        "word/_rels/settings.xml.rels": rels(("rId1", "attachedTemplate", TEMPLATE_PATH, "External")),
        "word/header1.xml": HEADER,
        "word/comments.xml": COMMENTS,
        "word/commentsExtended.xml": COMMENTS_EX,
        "word/commentsIds.xml": COMMENTS_IDS,
        "word/people.xml": PEOPLE,
        "word/printerSettings/printerSettings1.bin": printer_settings("PLANTED-PRINTER"),
        "word/orphan.xml": "<x>PLANTED-ORPHAN</x>",
        "customXml/item1.xml": CUSTOM_XML,
        "customXml/itemProps1.xml": ITEM_PROPS,
        "customXml/_rels/item1.xml.rels": rels(("rId1", "customXmlProps", "itemProps1.xml")),
        **{f"word/media/{name}": data for name, data in media.items()},
        **PROPS,
    }


def build_docx(**kwargs: object) -> bytes:
    return package(docx_members(**kwargs), comment=b"PLANTED-ZIP-COMMENT")  # type: ignore[arg-type]


DOCX_PLANTED = [
    "PLANTED-TITLE", "PLANTED-SUBJECT", "PLANTED-CREATOR", "PLANTED-KEYWORDS", "PLANTED-DESCRIPTION",
    "PLANTED-LASTMODIFIEDBY", "2023-01-02T03:04:05Z", "2023-01-02T03:04:06Z", "2023-01-02T03:04:07Z",
    "PLANTED-CATEGORY", "PLANTED-STATUS", "PLANTED-TEMPLATE", "PLANTED-APPLICATION", "PLANTED-COMPANY",
    "PLANTED-MANAGER", "PLANTED-HLINKBASE", "PLANTED-TITLEPART", "PLANTED-CUSTOM-NAME", "PLANTED-CUSTOM-VALUE",
    "PLANTED-THUMBNAIL", "PLANTED-INS-AUTHOR", "PLANTED-DEL-AUTHOR", "2023-04-05T06:07", "PLANTED-DELETED-TEXT",
    "PLANTED-EDITOR", "PLANTED-FORMAT-AUTHOR", "PLANTED-ROW-AUTHOR", "PLANTED-DELETED-ROW", "PLANTED-MOVE-AUTHOR",
    "UEsPLANTEDGFXDATA", "00A1B2C3", "00D4E5F6", "1A2B3C4D", "77777777", "PLANTED-DOCVAR-NAME",
    "PLANTED-DOCVAR-VALUE", "7AB1DE55", "PLANTED-DOCID-GUID", "PLANTED-USER", "PLANTED-COMMENTER",
    "2023-03-03T03:03:03Z", "PQZ", "PLANTED-COMMENT-TEXT", "0C0FFEE0", "5EEDF00D", "PLANTED-PERSON", "PLANTED-USERID",
    "PLANTED-PRINTER", "PLANTED-ORPHAN", "PLANTED-CUSTOMXML", "PLANTED-ZIP-COMMENT", "PLANTED-ENTRY-COMMENT",
    "_GoBack",
]
DOCX_EXPECTED = [
    (Category.PERSON, "PLANTED-CREATOR"), (Category.PERSON, "PLANTED-LASTMODIFIEDBY"),
    (Category.TIME, "2023-01-02T03:04:06Z"), (Category.TIME, "2023-01-02T03:04:05Z"),
    (Category.OTHER, "PLANTED-TITLE"), (Category.SOFTWARE, "PLANTED-APPLICATION"),
    (Category.PERSON, "PLANTED-COMPANY"), (Category.PERSON, "PLANTED-MANAGER"), (Category.TIME, "987"),
    (Category.OTHER, "PLANTED-CUSTOM-VALUE"), (Category.HIDDEN, "bytes"),
    (Category.PERSON, "PLANTED-INS-AUTHOR"), (Category.TIME, "2023-04-05T06:07:08Z"),
    (Category.HIDDEN, "PLANTED-DELETED-TEXT"), (Category.HIDDEN, "PLANTED-DELETED-ROW"),
    (Category.PERSON, "PLANTED-FORMAT-AUTHOR"), (Category.PERSON, "PLANTED-EDITOR"),
    (Category.PERSON, "PLANTED-COMMENTER"), (Category.TIME, "2023-03-03T03:03:03Z"),
    (Category.HIDDEN, "PLANTED-COMMENT-TEXT"), (Category.PERSON, "PLANTED-PERSON"),
    (Category.PERSON, "PLANTED-USERID"), (Category.DEVICE, "PLANTED-PRINTER"), (Category.HIDDEN, "PLANTED-DOCVAR"),
    (Category.PERSON, "PLANTED-USER"), (Category.OTHER, "PLANTED-DOCID-GUID"), (Category.PERSON, "PLANTED-CUSTOMXML"),
    (Category.HIDDEN, "part not used"), (Category.TIME, "2023-05-06 07:08"),
    (Category.HIDDEN, "PLANTED-ZIP-COMMENT"), (Category.TIME, "zip"), (Category.HIDDEN, "o:gfxdata"),
]

# --- XLSX ---------------------------------------------------------------------------

SML = OD + "spreadsheetml."
XR = ('xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
      'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
      'xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
      'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10"')
WORKBOOK = XML_HEAD + (
    f'<workbook xmlns="{NS["s"]}" {xmlns("r", "mc")} {XR} mc:Ignorable="xr xr6 xr10 xr2">'
    '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="PLANTED-RUPBUILD"/>'
    '<fileSharing userName="PLANTED-SHARING-USER"/><workbookPr defaultThemeVersion="166925"/>'
    '<mc:AlternateContent><mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\PLANTED-ABSPATH\\Documents\\" '
    'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent>'
    '<xr:revisionPtr revIDLastSave="0" documentUid="{PLANTED-DOCUMENT-UID}" xr6:coauthVersionLast="47" '
    'xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>'
    '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="100" windowHeight="100" '
    'xr2:uid="{PLANTED-XR2-UID}"/></bookViews><sheets><sheet name="Ledger" sheetId="1" r:id="rId1"/></sheets>'
    '<pivotCaches><pivotCache cacheId="1" r:id="rId5"/></pivotCaches></workbook>')
SHEET = XML_HEAD + (
    f'<worksheet xmlns="{NS["s"]}" {xmlns("r", "mc")} {XR} mc:Ignorable="xr" xr:uid="{{PLANTED-SHEET-UID}}">'
    '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>42</v></c><c r="C1"><f>B1*2</f><v>84</v></c>'
    '<c r="D1" t="inlineStr"><is><t>inline note</t></is></c></row></sheetData>'
    '<pageSetup orientation="landscape" r:id="rId1"/><legacyDrawing r:id="rId3"/></worksheet>')
XL_COMMENTS = XML_HEAD + (
    f'<comments xmlns="{NS["s"]}"><authors><author>PLANTED-XL-AUTHOR</author></authors><commentList>'
    '<comment ref="A1" authorId="0"><text><r><t>PLANTED-XL-COMMENT</t></r></text></comment></commentList></comments>')
VML = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
       'xmlns:x="urn:schemas-microsoft-com:office:excel"><v:shape id="_x0000_s1025" alt="PLANTED-VML-ALT">'
       '<x:ClientData ObjectType="Note"><x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData></v:shape></xml>')
THREADED = XML_HEAD + (
    '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
    '<threadedComment ref="A1" dT="2023-02-02T02:02:02.00" personId="{A}" id="{B}"><text>PLANTED-THREAD-TEXT</text>'
    "</threadedComment></ThreadedComments>")
PERSONS = XML_HEAD + (
    '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
    '<person displayName="PLANTED-XL-PERSON" id="{A}" userId="PLANTED-XL-USERID" providerId="AD"/></personList>')
PIVOT = XML_HEAD + (
    f'<pivotCacheDefinition xmlns="{NS["s"]}" {xmlns("r")} refreshedBy="PLANTED-PIVOT-USER" '
    'refreshedDate="45000.123456" createdVersion="6" refreshedVersion="6" recordCount="0">'
    '<cacheSource type="worksheet"><worksheetSource ref="A1:B2" sheet="Ledger"/></cacheSource>'
    '<cacheFields count="0"/></pivotCacheDefinition>')


def build_xlsx() -> bytes:
    core = CORE.replace("PLANTED-CREATOR", "PLANTED-XL-CREATOR")
    return package({
        "[Content_Types].xml": types({
            "xl/workbook.xml": SML + "sheet.main+xml", "xl/worksheets/sheet1.xml": SML + "worksheet+xml",
            "xl/sharedStrings.xml": SML + "sharedStrings+xml", "xl/styles.xml": SML + "styles+xml",
            "xl/comments1.xml": SML + "comments+xml",
            "xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml",
            "xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
            "xl/pivotCache/pivotCacheDefinition1.xml": SML + "pivotCacheDefinition+xml",
            "docProps/core.xml": PROPS_TYPES["docProps/core.xml"]},
            {"bin": SML + "printerSettings", "vml": OD + "vmlDrawing"}),
        "_rels/.rels": rels(("rId1", "officeDocument", "xl/workbook.xml"), PROPS_RELS[0]),
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": rels(
            ("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "sharedStrings", "sharedStrings.xml"),
            ("rId3", "styles", "styles.xml"),
            ("rId4", "http://schemas.microsoft.com/office/2017/10/relationships/person", "persons/person.xml"),
            ("rId5", "pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")),
        "xl/worksheets/sheet1.xml": SHEET,
        "xl/worksheets/_rels/sheet1.xml.rels": rels(
            ("rId1", "printerSettings", "../printerSettings/printerSettings1.bin"),
            ("rId2", "comments", "../comments1.xml"), ("rId3", "vmlDrawing", "../drawings/vmlDrawing1.vml"),
            ("rId4", "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
             "../threadedComments/threadedComment1.xml")),
        "xl/sharedStrings.xml": XML_HEAD + f'<sst xmlns="{NS["s"]}" count="1" uniqueCount="1"><si><t>Crates</t></si></sst>',
        "xl/styles.xml": XML_HEAD + f'<styleSheet xmlns="{NS["s"]}"/>',
        "xl/comments1.xml": XL_COMMENTS,
        "xl/drawings/vmlDrawing1.vml": VML,
        "xl/threadedComments/threadedComment1.xml": THREADED,
        "xl/persons/person.xml": PERSONS,
        "xl/pivotCache/pivotCacheDefinition1.xml": PIVOT,
        "xl/printerSettings/printerSettings1.bin": printer_settings("PLANTED-XL-PRINTER"),
        "docProps/core.xml": core,
    })


XLSX_PLANTED = ["PLANTED-XL-CREATOR", "PLANTED-RUPBUILD", "PLANTED-SHARING-USER", "PLANTED-ABSPATH",
                "PLANTED-DOCUMENT-UID", "PLANTED-XR2-UID", "PLANTED-SHEET-UID", "PLANTED-XL-AUTHOR",
                "PLANTED-XL-COMMENT", "PLANTED-VML-ALT", "PLANTED-THREAD-TEXT", "2023-02-02T02:02:02",
                "PLANTED-XL-PERSON", "PLANTED-XL-USERID", "PLANTED-PIVOT-USER", "45000.123456", "PLANTED-XL-PRINTER"]
XLSX_EXPECTED = [(Category.PERSON, "PLANTED-XL-CREATOR"), (Category.SOFTWARE, "PLANTED-RUPBUILD"),
                 (Category.PERSON, "PLANTED-SHARING-USER"), (Category.PERSON, "PLANTED-ABSPATH"),
                 (Category.OTHER, "PLANTED-DOCUMENT-UID"), (Category.OTHER, "xr:uid"),
                 (Category.PERSON, "PLANTED-XL-AUTHOR"), (Category.HIDDEN, "PLANTED-XL-COMMENT"),
                 (Category.HIDDEN, "PLANTED-THREAD-TEXT"), (Category.TIME, "2023-02-02T02:02:02"),
                 (Category.PERSON, "PLANTED-XL-PERSON"), (Category.PERSON, "PLANTED-XL-USERID"),
                 (Category.PERSON, "PLANTED-PIVOT-USER"), (Category.TIME, "45000.123456"),
                 (Category.DEVICE, "PLANTED-XL-PRINTER")]

# --- PPTX ---------------------------------------------------------------------------

PML = OD + "presentationml."
SLIDE = XML_HEAD + (
    f'<p:sld {xmlns("a", "r", "p")}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
    '</p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"><a:extLst>'
    '<a:ext uri="{FF2B5EF4-FFF2-40B4-BE49-F238E27FC236}"><a16:creationId '
    'xmlns:a16="http://schemas.microsoft.com/office/drawing/2014/main" id="{PLANTED-A16-ID}"/></a:ext></a:extLst>'
    '</p:cNvPr><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="100" cy="100"/>'
    "</a:xfrm></p:spPr><p:txBody><a:bodyPr/><a:p><a:r><a:t>Slide title</a:t></a:r><a:br/><a:r><a:t>second line</a:t>"
    '</a:r></a:p></p:txBody></p:sp></p:spTree><p:custDataLst><p:tags r:id="rId3"/></p:custDataLst></p:cSld>'
    '<p:extLst><p:ext uri="{BB962C8B-B14F-4D97-AF65-F5344CB8AC3E}"><p14:creationId '
    'xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main" val="1234509876"/></p:ext>'
    '<p:ext uri="{6950BFC3-D8DA-4A85-94F7-54DA5524770B}"><p188:commentRel '
    'xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main" r:id="rId4"/></p:ext></p:extLst>'
    "</p:sld>")
MODERN_COMMENTS = XML_HEAD + (
    '<p188:cmLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main">'
    '<p188:cm id="{A}" authorId="{B}" created="2023-11-11T11:11:11.000"><p188:txBody><a:bodyPr/><a:p><a:r>'
    "<a:t>PLANTED-MODERN-COMMENT</a:t></a:r></a:p></p188:txBody></p188:cm></p188:cmLst>")
MODERN_AUTHORS = XML_HEAD + (
    '<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main">'
    '<p188:author id="{B}" name="PLANTED-MODERN-AUTHOR" initials="PMA" userId="PLANTED-MODERN-USERID" '
    'providerId="AD"/></p188:authorLst>')
CHANGES_INFO = XML_HEAD + (
    '<pc:chgInfo xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command">'
    '<pc:docChgLst><pc:chgData name="PLANTED-COAUTHOR" userId="PLANTED-COAUTHOR-ID" providerId="AD"/>'
    '<pc:docChg chg="modSld" time="2023-12-12T12:12:12Z"/></pc:docChgLst></pc:chgInfo>')


def build_pptx() -> bytes:
    return package({
        "[Content_Types].xml": types({
            "ppt/presentation.xml": PML + "presentation.main+xml", "ppt/slides/slide1.xml": PML + "slide+xml",
            "ppt/slideLayouts/slideLayout1.xml": PML + "slideLayout+xml",
            "ppt/slideMasters/slideMaster1.xml": PML + "slideMaster+xml", "ppt/theme/theme1.xml": OD + "theme+xml",
            "ppt/commentAuthors.xml": PML + "commentAuthors+xml", "ppt/comments/comment1.xml": PML + "comments+xml",
            "ppt/tags/tag1.xml": PML + "tags+xml",
            "ppt/revisionInfo.xml": "application/vnd.ms-powerpoint.revisioninfo+xml",
            "ppt/comments/modernComment_1.xml": "application/vnd.ms-powerpoint.comments+xml",
            "ppt/authors.xml": "application/vnd.ms-powerpoint.authors+xml",
            "ppt/changesInfos/changesInfo1.xml": "application/vnd.ms-powerpoint.changesinfo+xml", **PROPS_TYPES}),
        "_rels/.rels": rels(("rId1", "officeDocument", "ppt/presentation.xml"), *PROPS_RELS[:2]),
        "ppt/presentation.xml": XML_HEAD + (
            f'<p:presentation {xmlns("a", "r", "p")}><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/>'
            '</p:sldMasterIdLst><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
            '<p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>'),
        "ppt/_rels/presentation.xml.rels": rels(
            ("rId1", "slideMaster", "slideMasters/slideMaster1.xml"), ("rId2", "slide", "slides/slide1.xml"),
            ("rId3", "commentAuthors", "commentAuthors.xml"),
            ("rId4", "http://schemas.microsoft.com/office/2015/10/relationships/revisionInfo", "revisionInfo.xml"),
            ("rId5", "theme", "theme/theme1.xml"),
            ("rId6", "http://schemas.microsoft.com/office/2018/10/relationships/authors", "authors.xml"),
            ("rId7", "http://schemas.microsoft.com/office/2016/11/relationships/changesInfo",
             "changesInfos/changesInfo1.xml")),
        "ppt/slides/slide1.xml": SLIDE,
        "ppt/slides/_rels/slide1.xml.rels": rels(
            ("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"), ("rId2", "comments", "../comments/comment1.xml"),
            ("rId3", "tags", "../tags/tag1.xml"),
            ("rId4", "http://schemas.microsoft.com/office/2018/10/relationships/comments",
             "../comments/modernComment_1.xml")),
        "ppt/slideLayouts/slideLayout1.xml": XML_HEAD + (
            f'<p:sldLayout {xmlns("a", "r", "p")}><p:cSld><p:spTree/></p:cSld></p:sldLayout>'),
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels": rels(("rId1", "slideMaster", "../slideMasters/slideMaster1.xml")),
        "ppt/slideMasters/slideMaster1.xml": XML_HEAD + (
            f'<p:sldMaster {xmlns("a", "r", "p")}><p:cSld><p:spTree/></p:cSld><p:sldLayoutIdLst>'
            '<p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>'),
        "ppt/slideMasters/_rels/slideMaster1.xml.rels": rels(
            ("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"), ("rId2", "theme", "../theme/theme1.xml")),
        "ppt/theme/theme1.xml": XML_HEAD + f'<a:theme {xmlns("a")} name="Office Theme"><a:themeElements/></a:theme>',
        "ppt/commentAuthors.xml": XML_HEAD + (f'<p:cmAuthorLst {xmlns("p")}><p:cmAuthor id="0" name="PLANTED-PPT-AUTHOR" '
                                              'initials="PPA" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'),
        "ppt/comments/comment1.xml": XML_HEAD + (
            f'<p:cmLst {xmlns("p")}><p:cm authorId="0" dt="2023-07-07T07:07:07.000" idx="1"><p:pos x="10" y="10"/>'
            "<p:text>PLANTED-PPT-COMMENT</p:text></p:cm></p:cmLst>"),
        "ppt/tags/tag1.xml": XML_HEAD + (
            f'<p:tagLst {xmlns("p")}><p:tag name="PLANTED-TAG-NAME" val="PLANTED-TAG-VALUE"/></p:tagLst>'),
        "ppt/revisionInfo.xml": XML_HEAD + (
            '<p1510:revInfo xmlns:p1510="http://schemas.microsoft.com/office/powerpoint/2015/10/main"><p1510:revLst>'
            '<p1510:client id="{PLANTED-CLIENT-ID}" v="2" dt="2023-08-08T08:08:08.000"/></p1510:revLst></p1510:revInfo>'),
        "ppt/comments/modernComment_1.xml": MODERN_COMMENTS, "ppt/authors.xml": MODERN_AUTHORS,
        "ppt/changesInfos/changesInfo1.xml": CHANGES_INFO,
        "docProps/core.xml": CORE, "docProps/app.xml": APP,
    })


PPTX_PLANTED = ["PLANTED-A16-ID", "1234509876", "PLANTED-PPT-AUTHOR", "PPA", "2023-07-07T07:07:07",
                "PLANTED-PPT-COMMENT", "PLANTED-TAG-NAME", "PLANTED-TAG-VALUE", "PLANTED-CLIENT-ID",
                "2023-08-08T08:08:08", "PLANTED-CREATOR", "PLANTED-COMPANY", "PLANTED-MODERN-COMMENT",
                "PLANTED-MODERN-AUTHOR", "PMA", "PLANTED-MODERN-USERID", "2023-11-11T11:11:11", "PLANTED-COAUTHOR",
                "2023-12-12T12:12:12", "commentRel"]
PPTX_EXPECTED = [(Category.PERSON, "PLANTED-PPT-AUTHOR"), (Category.PERSON, "PPA"),
                 (Category.TIME, "2023-07-07T07:07:07"), (Category.HIDDEN, "PLANTED-PPT-COMMENT"),
                 (Category.OTHER, "PLANTED-TAG-VALUE"), (Category.TIME, "2023-08-08T08:08:08"),
                 (Category.OTHER, "creationId"), (Category.PERSON, "PLANTED-CREATOR"),
                 (Category.HIDDEN, "PLANTED-MODERN-COMMENT"), (Category.PERSON, "PLANTED-MODERN-AUTHOR"),
                 (Category.PERSON, "PLANTED-MODERN-USERID"), (Category.TIME, "2023-11-11T11:11:11"),
                 (Category.PERSON, "PLANTED-COAUTHOR"), (Category.TIME, "2023-12-12T12:12:12")]

FORMATS = {
    "docx": (build_docx, DOCX_PLANTED, DOCX_EXPECTED),
    "xlsx": (build_xlsx, XLSX_PLANTED, XLSX_EXPECTED),
    "pptx": (build_pptx, PPTX_PLANTED, PPTX_EXPECTED),
}


# --- checks -------------------------------------------------------------------------------

assert_absent = partial(planted.assert_absent, ooxml)


@pytest.fixture(scope="module", params=sorted(FORMATS))
def cleaned(request: pytest.FixtureRequest) -> tuple[str, bytes, bytes]:
    build = FORMATS[request.param][0]
    original = build()
    return request.param, original, ooxml.sanitize(original)


def test_fixture_is_what_sniff_sees(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    assert sniff(original[:4096]) in ooxml.MEDIA_TYPES
    assert sniff(clean[:4096]) == sniff(original[:4096])


def test_planted_values_are_gone(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    planted = FORMATS[kind][1]
    views = b"".join(view.data for view in ooxml.views(original))
    assert [v for v in planted if not any(e in views for e in encodings(v))] == [], "fixture must carry them"
    assert_absent(clean, planted)


def test_inspect_lists_planted_values_and_nothing_after(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    findings = ooxml.inspect(original)
    missing = [(c, text) for c, text in FORMATS[kind][2] if not has(findings, c, text)]
    assert not missing, f"not reported: {missing}"
    assert ooxml.inspect(clean) == []
    assert ooxml.sanitize(clean) == clean  # cleaning is idempotent and deterministic


def test_content_is_unchanged(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    assert ooxml.content(original) == ooxml.content(clean)
    assert ooxml.content(clean)


def test_zip_is_normalised(cleaned: tuple[str, bytes, bytes]) -> None:
    kind, original, clean = cleaned
    archive = zipfile.ZipFile(io.BytesIO(clean))
    assert archive.comment == b""
    original_names = [name for name in zipfile.ZipFile(io.BytesIO(original)).namelist()]
    names = archive.namelist()
    assert names == [name for name in original_names if name in names], "original order kept"
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.extra == b"" and info.comment == b""
        assert info.external_attr == 0 and info.create_system == 0
        assert info.compress_type == zipfile.ZIP_DEFLATED
    assert clean.count(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x21\x00") == len(names)  # DOS date 1980-01-01


def test_package_stays_consistent(cleaned: tuple[str, bytes, bytes]) -> None:
    """Every relationship points to a member; every override names one; nothing is left over."""
    kind, _, clean = cleaned
    archive = zipfile.ZipFile(io.BytesIO(clean))
    names = set(archive.namelist())
    types_root = fromstring(archive.read("[Content_Types].xml"))
    for entry in types_root:
        if entry.tag.endswith("Override"):
            assert entry.get("PartName").lstrip("/") in names
    reached = set()
    for name in names:
        if name.endswith(".rels"):
            folder = name.split("_rels/")[0]
            for rel in fromstring(archive.read(name)):
                if rel.get("TargetMode") == "External":
                    assert rel.get("Type").endswith("/hyperlink")
                    continue
                target = rel.get("Target")
                resolved = posixpath.normpath(posixpath.join(folder, target)) if not target.startswith("/") else target[1:]
                assert resolved in names, f"{name} -> {target}"
                reached.add(resolved)
        else:
            fromstring(archive.read(name))  # well-formed
    parts = {n for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"}
    assert parts <= reached


def test_docx_text_is_the_accepted_text() -> None:
    texts = ooxml.content(build_docx())
    assert texts[0] == ("word/document.xml\n" + "\n".join(DOCX_TEXT)).encode()
    assert texts[1] == b"word/header1.xml\nPage header"


def test_docx_settings_keep_the_hyperlink_and_prefixes() -> None:
    clean = zipfile.ZipFile(io.BytesIO(ooxml.sanitize(build_docx())))
    document = clean.read("word/document.xml").decode()
    assert 'mc:Ignorable="w14"' in document and "xmlns:w14=" in document
    assert "https://example.org/report" in clean.read("word/_rels/document.xml.rels").decode()
    assert "word/_rels/settings.xml.rels" in clean.namelist()
    assert "Relationship " not in clean.read("word/_rels/settings.xml.rels").decode()
    for gone in ("docProps/core.xml", "docProps/app.xml", "word/comments.xml", "word/people.xml", "customXml/item1.xml"):
        assert gone not in clean.namelist()


def test_xlsx_keeps_page_setup_and_drops_comment_drawing() -> None:
    clean = zipfile.ZipFile(io.BytesIO(ooxml.sanitize(build_xlsx())))
    sheet = clean.read("xl/worksheets/sheet1.xml").decode()
    assert '<pageSetup orientation="landscape"/>' in sheet
    assert "legacyDrawing" not in sheet and "xl/drawings/vmlDrawing1.vml" not in clean.namelist()
    sheet_text = [text for text in ooxml.content(build_xlsx()) if text.startswith(b"xl/worksheets/sheet1.xml")]
    assert sheet_text[0].endswith(b"A1\ts\t0\t\t\nB1\t\t42\t\t\nC1\t\t84\tB1*2\t\nD1\tinlineStr\t\t\tinline note")


def test_pptx_keeps_extents_and_drops_empty_extensions() -> None:
    clean = zipfile.ZipFile(io.BytesIO(ooxml.sanitize(build_pptx())))
    slide = clean.read("ppt/slides/slide1.xml").decode()
    assert '<a:ext cx="100" cy="100"/>' in slide
    assert "extLst" not in slide and "p:tags" not in slide
    assert b"Slide title\nsecond line" in ooxml.content(build_pptx())[0]


def zip_date_is_fixed(key: str, value: object) -> bool:
    # Every zip entry has a date; 1980-01-01 00:00:00 is the zero of the format and names no time.
    return key.split(":", 1)[0] == "ZIP" and key.endswith("ZipModifyDate") and value == "1980:01:01 00:00:00"


@pytest.mark.skipif(not exiftool_judge.AVAILABLE, reason="exiftool is not installed")
def test_exiftool_sees_none_of_the_planted_values(cleaned: tuple[str, bytes, bytes], tmp_path: Path) -> None:
    kind, original, clean = cleaned
    path = tmp_path / f"clean.{kind}"
    path.write_bytes(clean)
    text = repr(exiftool_judge.tags(path))
    for value in FORMATS[kind][1]:
        assert value not in text
    left = {key: value for key, value in exiftool_judge.identifying(path).items() if not zip_date_is_fixed(key, value)}
    assert left == {}
    original_path = tmp_path / f"original.{kind}"
    original_path.write_bytes(original)
    assert any(not zip_date_is_fixed(k, v) for k, v in exiftool_judge.identifying(original_path).items())


def test_the_pipeline_accepts_the_clean_copy(cleaned: tuple[str, bytes, bytes]) -> None:
    """intake.clean re-inspects, compares content and scans every view for removed values."""
    from intake.clean import clean_bytes
    kind, original, clean = cleaned
    result = clean_bytes(original)
    assert result.data == clean
    assert result.removed()["person"] > 0 and result.removed()["time"] > 0


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice is not installed")
def test_libreoffice_reads_the_same_text(tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    texts = []
    for label, data in (("original", build_docx()), ("clean", ooxml.sanitize(build_docx()))):
        folder = tmp_path / label
        folder.mkdir()
        (folder / "doc.docx").write_bytes(data)
        # A profile of its own: another LibreOffice running on the machine must not interfere.
        subprocess.run([office, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                        "txt:Text", "--outdir", str(folder), str(folder / "doc.docx")],
                       capture_output=True, timeout=120, check=True)
        texts.append((folder / "doc.txt").read_text())
    assert "PLANTED-DELETED-TEXT" not in texts[1]
    assert "unloaded" in texts[1] and "Cell kept" in texts[1]


# --- pictures (cleaned by the JPEG and PNG modules) -----------------------------------------

def planted_png() -> bytes:
    from PIL import Image, PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "PLANTED-PNG-AUTHOR")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def planted_jpeg() -> bytes:
    from PIL import Image
    exif = Image.Exif()
    exif[0x013B] = "PLANTED-JPEG-ARTIST"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


PICTURE_DOCUMENT = DOCUMENT.replace(
    "<w:r><w:t>Cell kept</w:t></w:r>",
    f'<w:r><w:t>Cell kept</w:t></w:r><w:r><w:drawing><a:blip xmlns:a="{NS["a"]}" r:embed="rIdM0"/>'
    f'<a:blip xmlns:a="{NS["a"]}" r:embed="rIdM1"/></w:drawing></w:r>')


def test_pictures_are_cleaned_by_their_modules() -> None:
    original = build_docx(document=PICTURE_DOCUMENT, media={"image1.png": planted_png(), "image2.jpeg": planted_jpeg()})
    clean = ooxml.sanitize(original)
    assert_absent(clean, DOCX_PLANTED + ["PLANTED-PNG-AUTHOR", "PLANTED-JPEG-ARTIST"])
    findings = ooxml.inspect(original)
    assert any("PLANTED-PNG-AUTHOR" in f.value and f.where.startswith("word/media/image1.png") for f in findings)
    assert any("PLANTED-JPEG-ARTIST" in f.value for f in findings)
    assert ooxml.inspect(clean) == []
    assert ooxml.content(original) == ooxml.content(clean)
    archive = zipfile.ZipFile(io.BytesIO(clean))
    assert png.content(archive.read("word/media/image1.png")) == png.content(planted_png())
    assert jpeg.content(archive.read("word/media/image2.jpeg")) == jpeg.content(planted_jpeg())


def test_other_media_is_refused() -> None:
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    members = docx_members(document=PICTURE_DOCUMENT.replace('r:embed="rIdM1"', ""), media={"image1.gif": gif})
    members["[Content_Types].xml"] = str(members["[Content_Types].xml"]).replace(
        "</Types>", '<Default Extension="gif" ContentType="image/gif"/></Types>')
    assert "embedded image/gif media word/media/image1.gif cannot be cleaned" in refused(package(members))


def test_unused_picture_is_dropped_without_a_cleaner() -> None:
    """A picture nothing points to is hidden content: removed, reported, no image module needed."""
    members = docx_members()
    members["word/media/secret.png"] = b"\x89PNG\r\n\x1a\nPLANTED-UNUSED-PICTURE"
    original = package(members)
    clean = ooxml.sanitize(original)
    assert_absent(clean, ["PLANTED-UNUSED-PICTURE"])
    assert any(f.where == "word/media/secret.png" and f.category == Category.HIDDEN for f in ooxml.inspect(original))


# --- refusals ------------------------------------------------------------------------------

def refused(data: bytes) -> str:
    """inspect and sanitize refuse alike; content and views may answer, but only Refused escapes them."""
    messages = []
    for verb in (ooxml.inspect, ooxml.sanitize):
        with pytest.raises(Refused) as caught:
            verb(data)
        messages.append(str(caught.value))
    for verb in (ooxml.content, ooxml.views):
        try:
            assert isinstance(verb(data), list)
        except Refused:
            pass
    assert messages[0] == messages[1] and "\n" not in messages[0]
    return messages[0]


def test_truncated_and_damaged_packages_are_refused() -> None:
    data = package(docx_members())  # no zip comment: a cut comment is still a readable zip
    for cut in list(range(0, len(data), max(1, len(data) // 150))) + [len(data) - 1]:
        with pytest.raises(Refused):
            ooxml.sanitize(data[:cut])
    for offset in range(0, len(data), max(1, len(data) // 200)):
        damaged = bytearray(data)
        damaged[offset] ^= 0x55
        try:
            ooxml.sanitize(bytes(damaged))  # some flips land in ignored fields: fine, as long as nothing else escapes
        except Refused:
            pass


def test_embedded_object_is_refused() -> None:
    members = docx_members()
    members["word/embeddings/Sheet1.xlsx"] = build_xlsx()
    members["word/_rels/document.xml.rels"] = str(members["word/_rels/document.xml.rels"]).replace(
        "</Relationships>",
        f'<Relationship Id="rIdE" Type="{REL}package" Target="embeddings/Sheet1.xlsx"/></Relationships>')
    members["[Content_Types].xml"] = str(members["[Content_Types].xml"]).replace(
        "</Types>", f'<Default Extension="xlsx" ContentType="{SML}sheet"/></Types>')
    assert "embedded object word/embeddings/Sheet1.xlsx cannot be cleaned" in refused(package(members))


def test_external_links_other_than_hyperlinks_are_refused() -> None:
    members = docx_members()
    members["word/_rels/document.xml.rels"] = str(members["word/_rels/document.xml.rels"]).replace(
        "</Relationships>", f'<Relationship Id="rIdX" Type="{REL}image" Target="file:///C:/Users/x/a.png" '
                            'TargetMode="External"/></Relationships>')
    assert "outside the document" in refused(package(members))


@pytest.mark.parametrize("name", ["../evil.xml", "/abs.xml", "word\\evil.xml", "C:/evil.xml", "word/./x.xml"])
def test_unsafe_member_names_are_refused(name: str) -> None:
    members = docx_members()
    members[name] = "<x/>"
    assert "unsafe zip member name" in refused(package(members))


def test_duplicate_names_are_refused() -> None:
    members = docx_members()
    members["WORD/document.xml"] = DOCUMENT
    assert "duplicate" in refused(package(members))


def test_encrypted_member_is_refused() -> None:
    data = bytearray(package(docx_members(), extras=False))
    # Set the "encrypted" flag in every local and central header.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + flag_offset] |= 0x01
            start += 4
    assert "encrypted" in refused(bytes(data))


def test_unsupported_compression_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        for name, value in docx_members().items():
            archive.writestr(name, value)
    assert "compression" in refused(buffer.getvalue())


def test_too_many_members_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(zippkg.MAX_MEMBERS + 1):
            archive.writestr(f"f{index}", b"")
    assert "more than" in refused(buffer.getvalue())


def test_zip_bombs_are_refused() -> None:
    members = docx_members()
    members["word/bomb.xml"] = b"<a>" + b" " * (8 * 1024 * 1024) + b"</a>"
    assert "zip bomb" in refused(package(members))
    # A lying central directory: a member declared to expand to 600 MiB.
    data = bytearray(package(docx_members(), extras=False))
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 600 * 1024 * 1024)
    assert "more than 64 MiB" in refused(bytes(data))


def test_xml_bombs_and_deep_nesting_are_refused() -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              "<w:document>&lol2;</w:document>")
    assert "XML" in refused(package({**docx_members(), "word/document.xml": laughs}))
    deep = "<w:document " + xmlns("w") + ">" + "<w:p>" * 300 + "</w:p>" * 300 + "</w:document>"
    assert "nested" in refused(package({**docx_members(), "word/document.xml": deep}))


def test_strict_ooxml_is_refused() -> None:
    members = docx_members()
    members["_rels/.rels"] = rels(("rId1", "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
                                   "word/document.xml"))
    assert "Strict" in refused(package(members))


def test_not_a_package_is_refused() -> None:
    assert "zip" in refused(b"PK\x03\x04 not really")
    assert "Content_Types" in refused(package({"word/document.xml": DOCUMENT}))


def test_bytes_outside_the_members_are_reported_and_removed() -> None:
    data = b"PLANTED-PREFIX" + build_docx() + b"PLANTED-TRAILER"
    assert any(f.field == "bytes outside the zip members" for f in ooxml.inspect(data))
    assert_absent(ooxml.sanitize(data), ["PLANTED-PREFIX", "PLANTED-TRAILER"])
