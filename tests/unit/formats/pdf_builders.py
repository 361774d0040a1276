"""PDFs built with pikepdf with planted metadata: Info, XMP, bookmarks, old revisions, images."""

from __future__ import annotations

import io
import re
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

TEXT = "Witness statement 2024: the convoy left at dawn."


XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">
   <dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>
   <xmp:CreatorTool>{tool}</xmp:CreatorTool>
   <xmp:CreateDate>2023-04-05T06:07:08+02:00</xmp:CreateDate>
   <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>
   <photoshop:City>{city}</photoshop:City>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


PLANTED = {
    "author": "PLANTED-AUTHOR-7f3a",
    "old_author": "PLANTED-OLD-AUTHOR-e21c",
    "creator": "PLANTED-CREATOR-TOOL-b8",
    "producer": "PLANTED-PRODUCER-91d2",
    "title": "PLANTED-TITLE-c4a0",
    "subject": "PLANTED-SUBJECT-55e1",
    "keywords": "PLANTED-KEYWORDS-0c7e",
    "company": "PLANTED-COMPANY-3d9f",
    "xmp_creator": "PLANTED-XMP-CREATOR-a1",
    "xmp_tool": "PLANTED-XMP-TOOL-a2",
    "xmp_docid": "PLANTED-DOCID-a3",
    "xmp_city": "PLANTED-CITY-Kherson",
    "page_xmp_creator": "PLANTED-PAGE-XMP-b1",
    "image_xmp_creator": "PLANTED-IMAGE-XMP-c1",
    "annot_author": "PLANTED-ANNOT-AUTHOR-d1",
    "popup_author": "PLANTED-POPUP-AUTHOR-d2",
    "link_author": "PLANTED-LINK-AUTHOR-d3",
    "annot_id": "PLANTED-ANNOT-NM-d4",
    "rich_text": "PLANTED-RICH-TEXT-d5",
    "attachment_name": "PLANTED-ATTACHED-NAME.txt",
    "attachment_body": "PLANTED-ATTACHMENT-BODY-e1",
    "annot_file_name": "PLANTED-ANNOT-FILE.txt",
    "annot_file_body": "PLANTED-ANNOT-FILE-BODY-e2",
    "open_js": "PLANTED-OPEN-JS-f1",
    "named_js": "PLANTED-NAMED-JS-f2",
    "page_js": "PLANTED-PAGE-AA-JS-f3",
    "launch": "PLANTED-LAUNCH-PROGRAM.exe",
    "piece_info": "PLANTED-PIECEINFO-DATA-g1",
    "banner": "PLANTED-BANNER-pdfTeX-g2",
    "figure_path": "/home/PLANTED-USER-g3/figure.pdf",
    "figure_author": "PLANTED-FIGURE-AUTHOR-g4",
    "trailer_key": "PLANTED-TRAILER-CHECKSUM-g5",
    "pages_key": "PLANTED-ITEXT-VERSION-g6",
    "signer": "PLANTED-SIGNER-NAME-h1",
    "sign_place": "PLANTED-SIGN-PLACE-h2",
    "orphan_author": "PLANTED-ORPHAN-AUTHOR-h3",
    "thread_author": "PLANTED-THREAD-AUTHOR-h4",
    "source_url": "https://PLANTED-SOURCE-URL.example/q1",
    "spider_url": "https://PLANTED-SPIDER-URL.example/q2",
    "part_author": "PLANTED-DOCUMENT-PART-AUTHOR-q3",
}


PLANTED_ID = bytes.fromhex("5eed0fcafe0fbeef5eed0fcafe0fbeef")


CONTENT = ("BT /F1 14 Tf 72 720 Td (" + TEXT + ") Tj ET\nq 40 0 0 40 72 600 cm /Im1 Do Q\n"
           "q /Fm1 Do Q\n").encode("latin-1")


def xmp(creator: str, tool: str = "Tool", document_id: str = "doc", city: str = "Town") -> bytes:
    return XMP_TEMPLATE.format(creator=creator, tool=tool, document_id=document_id, city=city).encode("utf-8")


def _page(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    image = Stream(pdf, zlib.compress(bytes(range(48))), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4,
                   ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.FlateDecode)
    image.Metadata = Stream(pdf, xmp(PLANTED["image_xmp_creator"]), Type=Name.Metadata, Subtype=Name.XML)
    form = Stream(pdf, b"0 0 1 rg 10 10 20 20 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 50, 50])
    form[Name("/PTEX.FileName")] = String(PLANTED["figure_path"])
    form[Name("/PTEX.InfoDict")] = pdf.make_indirect(Dictionary(Author=String(PLANTED["figure_author"]),
                                                                Producer=String("pdfTeX-1.40")))
    resources = Dictionary(Font=Dictionary(F1=font), XObject=Dictionary(Im1=image, Fm1=form))
    page = pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
                                   Contents=Stream(pdf, CONTENT)))
    pdf.pages.append(page)
    return pdf.pages[-1].obj


def _annotations(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    text = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Text, Rect=[100, 100, 120, 120], Contents=String("Check this"),
        T=String(PLANTED["annot_author"]), M=String("D:20230405060708Z"), CreationDate=String("D:20230101000000Z"),
        NM=String(PLANTED["annot_id"]), RC=String(f"<body><p>{PLANTED['rich_text']}</p></body>")))
    popup = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Popup, Rect=[120, 100, 220, 160],
                                         Parent=text, T=String(PLANTED["popup_author"])))
    text.Popup = popup
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 700, 300, 730], T=String(PLANTED["link_author"]),
                      A=Dictionary(S=Name.URI, URI=String("https://example.org/kept-link")))
    launch = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 650, 300, 680],
                        A=Dictionary(S=Name.Launch, F=String(PLANTED["launch"])))
    spec = pikepdf.AttachedFileSpec(pdf, PLANTED["annot_file_body"].encode(), filename=PLANTED["annot_file_name"])
    attachment = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[300, 100, 320, 120],
                            FS=spec.obj, T=String(PLANTED["annot_author"]))
    page.Annots = pdf.make_indirect(Array([text, popup, link, launch, pdf.make_indirect(attachment)]))


def _document_extras(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    root = pdf.Root
    root.Metadata = pdf.make_indirect(Stream(pdf, xmp(PLANTED["xmp_creator"], PLANTED["xmp_tool"],
                                                      PLANTED["xmp_docid"], PLANTED["xmp_city"]),
                                             Type=Name.Metadata, Subtype=Name.XML))
    page.Metadata = pdf.make_indirect(Stream(pdf, xmp(PLANTED["page_xmp_creator"]), Type=Name.Metadata,
                                             Subtype=Name.XML))
    root.OpenAction = Dictionary(S=Name.JavaScript, JS=String(f"app.alert('{PLANTED['open_js']}');"))
    named = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(f"var x='{PLANTED['named_js']}';")))
    root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), named])))
    page.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String(f"var y='{PLANTED['page_js']}';")))
    private = Dictionary(Private=String(PLANTED["piece_info"]), LastModified=String("D:20230405060708Z"))
    root.PieceInfo = Dictionary(Illustrator=private)
    page.PieceInfo = Dictionary(Illustrator=private)
    page.LastModified = String("D:20230405060708Z")
    page.Thumb = Stream(pdf, bytes(12), Width=2, Height=2, ColorSpace=Name.DeviceRGB, BitsPerComponent=8)
    root[Name("/PTEX.Fullbanner")] = String(PLANTED["banner"])
    root.Pages[Name("/ITXT")] = String(PLANTED["pages_key"])
    pdf.attachments[PLANTED["attachment_name"]] = pikepdf.AttachedFileSpec(
        pdf, PLANTED["attachment_body"].encode(), filename=PLANTED["attachment_name"])
    bead = pdf.make_indirect(Dictionary(Type=Name.Bead, P=page, R=[72, 72, 500, 700]))
    thread = pdf.make_indirect(Dictionary(Type=Name.Thread, F=bead, I=Dictionary(Author=String(PLANTED["thread_author"]))))
    bead.T, bead.N, bead.V = thread, bead, bead
    root.Threads = Array([thread])
    content_set = pdf.make_indirect(Dictionary(Type=Name.SpiderContentSet, S=Name.SPS, ID=String(bytes(16)),
                                               O=Array([page]), TS=String("D:20230405060708Z")))
    root.Names.URLS = Dictionary(Names=Array([String(PLANTED["source_url"]), content_set]))
    root.SpiderInfo = Dictionary(V=1.0, C=Array([Dictionary(URL=String(PLANTED["spider_url"]))]))
    part = Dictionary(Type=Name.DPart, DPM=Dictionary(Author=String(PLANTED["part_author"])), Start=page, End=page)
    root.DPartRoot = Dictionary(Type=Name.DPartRoot, DPartRootNode=part)


def _signature(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    signature = pdf.make_indirect(Dictionary(
        Type=Name.Sig, Filter=Name("/Adobe.PPKLite"), SubFilter=Name("/adbe.pkcs7.detached"),
        Name=String(PLANTED["signer"]), Location=String(PLANTED["sign_place"]), M=String("D:20230405060708Z"),
        ByteRange=[0, 10, 20, 10], Contents=String(bytes(64))))
    field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Sig, T=String("Signature1"),
                                         Rect=[0, 0, 0, 0], V=signature, P=page, F=132))
    text_field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("Name"),
                                              V=String("Kept form value"), Rect=[0, 0, 0, 0], P=page))
    page.Annots.extend([field, text_field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field, text_field]), SigFlags=3)
    chapter = pdf.make_indirect(Dictionary(Title=String("Chapter one, kept"), Dest=Array([page, Name.Fit])))
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=chapter, Last=chapter, Count=1))
    chapter.Parent = pdf.Root.Outlines


def _info(pdf: pikepdf.Pdf, author: str) -> None:
    pdf.trailer.Info = pdf.make_indirect(Dictionary(
        Author=String(author), Creator=String(PLANTED["creator"]), Producer=String(PLANTED["producer"]),
        Title=String(PLANTED["title"]), Subject=String(PLANTED["subject"]), Keywords=String(PLANTED["keywords"]),
        CreationDate=String("D:20230405060708+02'00'"), ModDate=String("D:20230506070809+02'00'"),
        Company=String(PLANTED["company"])))


def _save(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False,
             fix_metadata_version=False, deterministic_id=True)
    return buffer.getvalue()


def append_revision(data: bytes, info: dict[str, str], orphan: dict[str, str] | None = None) -> bytes:
    """An incremental update as editors write it: the /Info object saved again under its own
    number (the old one stays in the bytes), a new unreferenced object, an xref section and
    a trailer with /Prev."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root, size = pdf.Root.objgen, int(pdf.trailer.Size)
        info_number = pdf.trailer.Info.objgen[0]
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    body, sections = bytearray(data if data.endswith(b"\n") else data + b"\n"), []
    for number, entries in ((info_number, info), (size, orphan or {})):
        fields = " ".join(f"/{key} ({value})" for key, value in entries.items())
        sections.append(f"{number} 1\n{len(body):010d} 00000 n \n")
        body += f"{number} 0 obj\n<< {fields} >>\nendobj\n".encode()
    xref = len(body)
    body += ("xref\n0 1\n0000000000 65535 f \n" + "".join(sections)).encode()
    trailer_id = f"<{PLANTED_ID.hex()}><{bytes(16).hex()}>"
    body += (f"trailer\n<< /Size {size + 1} /Root {root[0]} {root[1]} R /Info {info_number} 0 R /Prev {previous} "
             f"/ID [{trailer_id}] /DocChecksum /{PLANTED['trailer_key']} >>\nstartxref\n{xref}\n%%EOF\n").encode()
    return bytes(body)


def build_planted_pdf() -> bytes:
    """Every kind of PDF metadata intake knows, each with a unique planted value."""
    pdf = pikepdf.new()
    page = _page(pdf)
    _annotations(pdf, page)
    _document_extras(pdf, page)
    _signature(pdf, page)
    _info(pdf, PLANTED["old_author"])
    first = _save(pdf)
    new_info = {"Author": PLANTED["author"], "Creator": PLANTED["creator"], "Producer": PLANTED["producer"],
                "Title": PLANTED["title"], "Company": PLANTED["company"]}
    return append_revision(first, new_info, {"Author": PLANTED["orphan_author"]})


def planted_jpeg() -> bytes:
    from PIL import Image
    from PIL.ExifTags import IFD

    image = Image.new("RGB", (32, 24), (120, 30, 200))
    exif = image.getexif()
    exif[0x013B] = "PLANTED-JPEG-ARTIST-j1"
    exif[0x010F] = "PlantedMake-j2"
    exif.get_ifd(IFD.Exif)[0xA431] = "SN-PLANTED-99812"
    exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (46.0, 38.0, 7.44), 3: "E", 4: (32.0, 37.0, 0.84)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90, comment=b"PLANTED-JPEG-COMMENT-j3")
    return out.getvalue()


def image_pdf(image: bytes, codec: Name, width: int, height: int) -> bytes:
    pdf = pikepdf.new()
    xobject = Stream(pdf, image, Type=Name.XObject, Subtype=Name.Image, Width=width, Height=height,
                     ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=codec)
    contents = Stream(pdf, f"q {width} 0 0 {height} 10 10 cm /Im0 Do Q".encode())
    pdf.pages.append(pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=[0, 0, 200, 200], Contents=contents,
                                             Resources=Dictionary(XObject=Dictionary(Im0=xobject)))))
    return _save(pdf)


def flate_bomb(megabytes: int, layers: int) -> bytes:
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(megabytes)) + compressor.flush()
    for _ in range(layers - 1):
        data = zlib.compress(data, 9)
    return data


def title_in_a_bookmark() -> bytes:
    pdf = pikepdf.new()
    _page(pdf)
    pdf.trailer.Info = Dictionary(Title=String("Quarterly Field Report"))
    bookmark = pdf.make_indirect(Dictionary(Title=String("Quarterly Field Report"), Dest=[pdf.pages[0].obj, Name.Fit]))
    pdf.Root.Outlines = Dictionary(First=bookmark, Last=bookmark, Count=1)
    return _save(pdf)


def simple_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A hand-written PDF (object 1 is the catalog), for malformed cases pikepdf would not write."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


EMPTY_STREAM = b"<< /Length 0 >>\nstream\n\nendstream"
