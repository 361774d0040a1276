"""Seed files with planted identifying values, built in memory with Pillow, pikepdf and zipfile.

Every planted value starts with "PLANTED" or is a name no content here spells,
so a value found in a clean copy can only have leaked from metadata.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageCms, PngImagePlugin, TiffImagePlugin

from intake import samples
from intake.formats import ogg

ARTIST = "PLANTED-ARTIST-fz1"
MAKE = "PLANTED-MAKE-fz2"
SOFTWARE = "PLANTED-SOFT-fz3"
COMMENT = "PLANTED-COMMENT-fz4"
DESCRIPTION = "PLANTED-DESC-fz5"
XMP_CREATOR = "PLANTED-XMPCREATOR-fz6"
BODY_SERIAL = "PLANTED-BODYSERIAL-fz12"
SERIAL = "SN-4471-0093"  # what intake.samples.photo plants
PDF_AUTHOR = "PLANTED-PDFAUTHOR-fz7"
ANNOTATION_AUTHOR = "PLANTED-ANNOTATOR-fz8"
PDF_EARLIER = "PLANTED-EARLIER-fz9"
OFFICE_CREATOR = "Maj. Example"  # what intake.samples.report plants
OFFICE_EDITOR = "Depot Clerk 2"
ODF_CREATOR = "PLANTED-ODFCREATOR-fz10"

XMP = (f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li>'
       f'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    planted: tuple[str, ...]


def _picture(mode: str = "RGB", size: tuple[int, int] = (12, 8)) -> Image.Image:
    image = Image.new(mode, size)
    image.putdata([((x * 37 + y * 11) % 256,) * len(mode) if mode != "P" else (x * 7 + y) % 256
                   for y in range(size[1]) for x in range(size[0])])
    return image


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = ARTIST
    exif[0x010F] = MAKE
    exif[0x0131] = SOFTWARE
    exif[0x010E] = DESCRIPTION
    exif.get_ifd(0x8769)[0xA431] = BODY_SERIAL
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (46.0, 38.0, 7.44), "E", (32.0, 37.0, 0.84)
    return exif


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_seeds() -> list[Seed]:
    pillow = _saved(_picture(), "JPEG", exif=_exif().tobytes(), comment=COMMENT.encode(), xmp=XMP,
                    icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    return [Seed("jpeg-pillow", pillow, (ARTIST, MAKE, SOFTWARE, COMMENT, DESCRIPTION, XMP_CREATOR, BODY_SERIAL)),
            Seed("jpeg-phone", samples.photo(), ("DemoPhone", SERIAL))]


def png_seeds() -> list[Seed]:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", COMMENT)
    info.add_text("Description", DESCRIPTION, zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = _saved(_picture(), "PNG", pnginfo=info, exif=_exif().tobytes())
    return [Seed("png", data, (ARTIST, MAKE, SOFTWARE, COMMENT, DESCRIPTION, XMP_CREATOR, BODY_SERIAL))]


def gif_seeds() -> list[Seed]:
    frames = [_picture("P"), _picture("P", (12, 8)).rotate(90)]
    data = _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], comment=COMMENT.encode())
    return [Seed("gif", data, (COMMENT,))]


def webp_seeds() -> list[Seed]:
    data = _saved(_picture(), "WEBP", lossless=True, exif=_exif().tobytes(), xmp=XMP)
    return [Seed("webp", data, (ARTIST, MAKE, SOFTWARE, DESCRIPTION, XMP_CREATOR, BODY_SERIAL))]


def tiff_seeds() -> list[Seed]:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[315], info[271], info[305], info[270] = ARTIST, MAKE, SOFTWARE, DESCRIPTION
    data = _saved(_picture(), "TIFF", tiffinfo=info)
    return [Seed("tiff", data, (ARTIST, MAKE, SOFTWARE, DESCRIPTION))]


def heif_seeds() -> list[Seed]:
    import pillow_heif  # a test extra: Pillow writes AVIF itself, HEIC only through pillow-heif

    pillow_heif.register_heif_opener()
    planted = (ARTIST, MAKE, SOFTWARE, DESCRIPTION, XMP_CREATOR, BODY_SERIAL)
    avif = _saved(_picture(), "AVIF", quality=90, exif=_exif().tobytes(), xmp=XMP)
    heic = _saved(_picture("RGBA"), "HEIF", quality=90, exif=_exif().tobytes(), xmp=XMP, thumbnails=[8])
    return [Seed("heif", avif, planted), Seed("heif", heic, planted)]


MOVIE_MAKE = "PLANTED-MOVIEMAKE-fz20"
MOVIE_SOFTWARE = "PLANTED-MOVIESOFT-fz21"
MOVIE_GPS_SAMPLE = "PLANTED-GPMD-SAMPLE-fz22"
MOVIE_FREE = "PLANTED-FREE-fz23"
MOVIE_HANDLER = "PLANTED-HANDLER-fz24"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _movie_track(track_id: int, handler: bytes, entry: bytes, offset: int, sizes: list[int]) -> bytes:
    """One track with one chunk of samples at `offset`: the smallest tables a player reads."""
    header = _box(b"tkhd", b"\0\0\0\3" + struct.pack(">IIII", 3_000_000_000, 3_000_000_001, track_id, 0)
                  + bytes(64))
    media_header = _box(b"mdhd", b"\0\0\0\0" + struct.pack(">IIII", 3_000_000_000, 3_000_000_001, 1000, 1000)
                        + bytes(4))
    handler_box = _box(b"hdlr", bytes(8) + handler + bytes(12) + MOVIE_HANDLER.encode() + b"\0")
    references = _box(b"dinf", _box(b"dref", b"\0\0\0\0\0\0\0\1" + _box(b"url ", b"\0\0\0\1")))
    tables = _box(b"stbl", _box(b"stsd", b"\0\0\0\0\0\0\0\1" + _box(entry, bytes(6) + b"\0\1" + bytes(20)))
                  + _box(b"stts", b"\0\0\0\0" + struct.pack(">III", 1, len(sizes), 10))
                  + _box(b"stsc", b"\0\0\0\0" + struct.pack(">IIII", 1, 1, len(sizes), 1))
                  + _box(b"stsz", b"\0\0\0\0" + struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))
                  + _box(b"stco", b"\0\0\0\0" + struct.pack(">II", 1, offset)))
    media = _box(b"mdia", media_header + handler_box + _box(b"minf", _box(b"smhd", bytes(8)) + references + tables))
    return _box(b"trak", header + media)


def movie_seeds() -> list[Seed]:
    """A QuickTime movie built box by box: a sound track, a GoPro-style gpmd track whose sample
    sits in mdat, QuickTime user data (GPS, make, software) and a free box with text."""
    ftyp = _box(b"ftyp", b"qt  \0\0\2\0qt  ")
    sound, gps = bytes(range(1, 33)), f"GPS5{MOVIE_GPS_SAMPLE}".encode()
    start = len(ftyp) + 8
    user_data = _box(b"udta", b"".join(_box(kind, struct.pack(">HH", len(text), 0) + text.encode()) for kind, text in
                                       ((b"\xa9xyz", "+46.6354+032.6169/"), (b"\xa9mak", MOVIE_MAKE),
                                        (b"\xa9swr", MOVIE_SOFTWARE))))
    movie_header = _box(b"mvhd", b"\0\0\0\0" + struct.pack(">IIII", 3_000_000_000, 3_000_000_001, 1000, 1000)
                        + bytes(76) + struct.pack(">I", 3))
    moov = _box(b"moov", movie_header + _movie_track(1, b"soun", b"mp4a", start, [8, 8, 8, 8])
                + _movie_track(2, b"meta", b"gpmd", start + len(sound), [len(gps)]) + user_data)
    data = ftyp + _box(b"mdat", sound + gps) + moov + _box(b"free", MOVIE_FREE.encode())
    return [Seed("movie", data, (MOVIE_MAKE, MOVIE_SOFTWARE, MOVIE_GPS_SAMPLE, MOVIE_FREE, MOVIE_HANDLER))]


JAVASCRIPT = "app.alert('PLANTED-JS-fz13')"
EMBEDDED = b"PLANTED-EMBEDDED-BODY-fz14"
FIELD_TIP = "PLANTED-FIELDTIP-fz15"
PIECE = "PLANTED-PIECEINFO-fz16"
OUTLINE = "PLANTED-OUTLINE-fz17"


def _chunk(ident: bytes, body: bytes) -> bytes:
    return ident + struct.pack("<I", len(body)) + body + b"\0" * (len(body) % 2)


def _vorbis_comment(vendor: str, *comments: str) -> bytes:
    fields = [field.encode() for field in comments]
    return (struct.pack("<I", len(vendor)) + vendor.encode() + struct.pack("<I", len(fields))
            + b"".join(struct.pack("<I", len(field)) + field for field in fields))


def _ogg_page(flags: int, granule: int, sequence: int, packet: bytes) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    page = (b"OggS\0" + bytes((flags,)) + struct.pack("<qII", granule, 0x5EED, sequence) + bytes(4)
            + bytes((len(lacing),)) + lacing + packet)
    return page[:22] + struct.pack("<I", ogg.crc(page)) + page[26:]


def audio_seeds() -> list[Seed]:
    """Hand-built MP3, WAV, AIFF, FLAC and Ogg Opus files: valid structure, planted tags, silent audio."""
    id3_frame = b"\x03" + ARTIST.encode()
    id3 = (b"ID3\x03\0\0" + bytes((0, 0, 0, 10 + len(id3_frame)))
           + b"TPE1" + struct.pack(">I", len(id3_frame)) + b"\0\0" + id3_frame)
    frames = (b"\xff\xfb\x90\x00" + bytes(413)) * 3  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes
    id3v1 = b"TAG" + bytes(30) + COMMENT.encode().ljust(30, b"\0") + bytes(65)  # title, artist, the rest
    fmt = _chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16))
    info = _chunk(b"LIST", b"INFO" + _chunk(b"IART", ARTIST.encode() + b"\0") + _chunk(b"ISFT", SOFTWARE.encode()))
    bext = _chunk(b"bext", MAKE.encode().ljust(256, b"\0") + bytes(346))
    wave_body = b"WAVE" + fmt + info + bext + _chunk(b"data", bytes(range(200)))
    streaminfo = struct.pack(">HH", 4096, 4096) + bytes(6) + bytes((0x0A, 0xC4, 0x40, 0xF0)) + bytes(20)
    comment = _vorbis_comment(SOFTWARE, f"ARTIST={ARTIST}")
    flac = (b"fLaC" + b"\0" + (34).to_bytes(3, "big") + streaminfo + b"\x84" + len(comment).to_bytes(3, "big")
            + comment + b"\xff\xf8" + bytes(100))
    opus_head = b"OpusHead\x01\x01" + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + _vorbis_comment(SOFTWARE, f"ARTIST={ARTIST}")
    opus = _ogg_page(2, 0, 0, opus_head) + _ogg_page(0, 0, 1, tags) + _ogg_page(4, 960, 2, b"\xf8" + bytes(40))
    comm = struct.pack(">hIh", 1, 100, 16) + bytes.fromhex("400DFA00000000000000")  # mono, 100 frames, 8 kHz
    aiff_chunks = (b"COMM" + struct.pack(">I", 18) + comm + b"NAME" + struct.pack(">I", len(ARTIST)) + ARTIST.encode()
                   + b"SSND" + struct.pack(">I", 208) + bytes(8) + bytes(range(200)))
    aiff = b"FORM" + struct.pack(">I", 4 + len(aiff_chunks)) + b"AIFF" + aiff_chunks
    return [Seed("mp3", id3 + frames + id3v1, (ARTIST, COMMENT)), Seed("aiff", aiff, (ARTIST,)),
            Seed("wav", b"RIFF" + struct.pack("<I", len(wave_body)) + wave_body, (ARTIST, SOFTWARE, MAKE)),
            Seed("flac", flac, (ARTIST, SOFTWARE)), Seed("opus", opus, (ARTIST, SOFTWARE))]


def _unsaved_pdf(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False, static_id=True)
    return buffer.getvalue()


def pdf_extras() -> bytes:
    """The structures documents carry beyond pages: scripts, attachments, forms, outlines, private data."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Dock seven) Tj ET")
    page.PieceInfo = pikepdf.Dictionary(App=pikepdf.Dictionary(Private=pikepdf.String(PIECE)))
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(JAVASCRIPT))
    attachment = pdf.make_stream(EMBEDDED, Type=pikepdf.Name.EmbeddedFile)
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("notes.txt"),
                              EF=pikepdf.Dictionary(F=attachment))
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=[pikepdf.String("notes.txt"), spec]))
    field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Tx, T=pikepdf.String("name"),
                                                 TU=pikepdf.String(FIELD_TIP), V=pikepdf.String("x")))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field])
    outline = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(OUTLINE), Dest=[page.obj, pikepdf.Name.Fit]))
    pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=outline, Last=outline,
                                                             Count=1))
    outline.Parent = pdf.Root.Outlines
    return _unsaved_pdf(pdf)


def pdf_seeds() -> list[Seed]:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Convoy left at dawn) Tj ET")
    page.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 20, 20],
        T=pikepdf.String(ANNOTATION_AUTHOR), Contents=pikepdf.String("note"))]))
    pdf.docinfo["/Author"] = PDF_AUTHOR
    pdf.docinfo["/Creator"] = SOFTWARE
    pdf.Root.Metadata = pdf.make_stream(XMP, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    return [Seed("pdf", _unsaved_pdf(pdf), (PDF_AUTHOR, ANNOTATION_AUTHOR, SOFTWARE, XMP_CREATOR)),
            # FIELD_TIP is left in by the PDF module today: tests/fuzz/test_regressions.py says so
            Seed("pdf-extras", pdf_extras(), ("PLANTED-JS-fz13", EMBEDDED.decode(), PIECE, OUTLINE)),
            Seed("pdf-revisions", samples.letter("PLANTED-LATER-fz11", PDF_EARLIER), (PDF_EARLIER, "PLANTED-LATER-fz11"))]


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED, mimetype_stored: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if name == "mimetype" and mimetype_stored else compression
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=kind)
    return buffer.getvalue()


def ooxml_seeds() -> list[Seed]:
    with zipfile.ZipFile(io.BytesIO(samples.report())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return [Seed("docx", zip_of(members), (OFFICE_CREATOR, OFFICE_EDITOR))]


_ODF = "urn:oasis:names:tc:opendocument:xmlns:"


def odf_seeds() -> list[Seed]:
    return [Seed("odt", zip_of(_odf_members()), (ODF_CREATOR, SOFTWARE))]


def zip_media_seeds() -> list[Seed]:
    """Containers as sniffing meets them in the wild: every member deflated, even `mimetype`."""
    return [Seed("odt-all-deflated", zip_of(_odf_members(), zipfile.ZIP_DEFLATED, mimetype_stored=False), ()),
            Seed("docx-deflated", samples.report(), ())]


def _odf_members() -> dict[str, bytes]:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return {
        "mimetype": b"application/vnd.oasis.opendocument.text",
        "META-INF/manifest.xml": (head + f'<manifest:manifest xmlns:manifest="{_ODF}manifest:1.0" manifest:version="1.2">'
                                  '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                                  '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                                  '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                                  "</manifest:manifest>").encode(),
        "content.xml": (head + f'<office:document-content xmlns:office="{_ODF}office:1.0" xmlns:text="{_ODF}text:1.0" '
                        'office:version="1.2"><office:body><office:text><text:p>Harbour log, dock 7.</text:p>'
                        "</office:text></office:body></office:document-content>").encode(),
        "meta.xml": (head + f'<office:document-meta xmlns:office="{_ODF}office:1.0" xmlns:meta="{_ODF}meta:1.0" '
                     'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"><office:meta>'
                     f"<meta:initial-creator>{ODF_CREATOR}</meta:initial-creator><dc:creator>{ODF_CREATOR}</dc:creator>"
                     f"<meta:generator>{SOFTWARE}</meta:generator></office:meta></office:document-meta>").encode(),
    }


def icc_seeds() -> list[Seed]:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    return [Seed("icc-srgb", srgb, ()), Seed("icc-lab", lab, ())]


def metadata_seeds() -> list[Seed]:
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(ARTIST)) + ARTIST.encode()
    return [Seed("exif-phone", samples.exif_block(), ("DemoPhone", SERIAL)),
            Seed("exif-pillow", b"Exif\0\0" + _exif().tobytes(), (ARTIST, MAKE, SOFTWARE, DESCRIPTION)),
            Seed("xmp", XMP, (XMP_CREATOR,)), Seed("iptc", iptc, (ARTIST,))]


FORMAT_SEEDS = {
    "jpeg": jpeg_seeds, "png": png_seeds, "gif": gif_seeds, "webp": webp_seeds, "tiff": tiff_seeds,
    "heif": heif_seeds, "pdf": pdf_seeds, "ooxml": ooxml_seeds, "odf": odf_seeds, "audio": audio_seeds,
    "movie": movie_seeds,
}
