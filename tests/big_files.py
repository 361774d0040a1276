"""Big files written piece by piece with planted metadata, for the streaming tests and
bench/bench_bigfiles.py: none of them is ever held whole in memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

PLANTED_AUTHOR = "Planted Author Veronika Stroud"
PLANTED_PLACE = "Planted Place Zhytomyr Depot"
PIECE = 1 << 20


def _png_chunk(out: BinaryIO, kind: bytes, data: bytes) -> None:
    out.write(len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big"))


def _rows(width: int, height: int, channels: int) -> bytes:
    """Filter byte 0 and a pattern that shifts with the row, so rows differ."""
    row = bytes((x * 7) & 0xFF for x in range(width * channels))
    for y in range(height):
        shift = y % len(row)
        yield b"\0" + row[shift:] + row[:shift]


def write_png(path: Path, width: int, height: int, level: int = 1, idat_size: int = PIECE) -> None:
    """An RGB PNG of width x height with an author, a place and a time planted in text chunks."""
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        _png_chunk(out, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        _png_chunk(out, b"tEXt", b"Author\0" + PLANTED_AUTHOR.encode())
        _png_chunk(out, b"iTXt", b"Location\0\0\0\0\0" + PLANTED_PLACE.encode())
        _png_chunk(out, b"tIME", struct.pack(">HBBBBB", 2024, 3, 1, 12, 30, 0))
        compressor, pending = zlib.compressobj(level), bytearray()
        for row in _rows(width, height, 3):
            pending += compressor.compress(row)
            while len(pending) >= idat_size:
                _png_chunk(out, b"IDAT", bytes(pending[:idat_size]))
                del pending[:idat_size]
        pending += compressor.flush()
        for start in range(0, len(pending), idat_size):
            _png_chunk(out, b"IDAT", bytes(pending[start:start + idat_size]))
        _png_chunk(out, b"IEND", b"")


def png_size_for(megabytes: int, level: int = 0) -> tuple[int, int]:
    """Width and height of an RGB PNG whose image data is about `megabytes` MiB (stored, level 0)."""
    width = 8000
    return width, (megabytes << 20) // (width * 3 + 1) + 1


def write_tiff(path: Path, width: int, height: int, rows_per_strip: int = 64) -> None:
    """An uncompressed RGB TIFF (little-endian) with an author, a place and a time in IFD0 tags."""
    strips = -(-height // rows_per_strip)
    counts = [width * 3 * min(rows_per_strip, height - i * rows_per_strip) for i in range(strips)]
    texts = {315: PLANTED_AUTHOR.encode() + b"\0", 270: PLANTED_PLACE.encode() + b"\0",
             306: b"2024:03:01 12:30:00\0"}
    with path.open("wb") as out:
        out.write(b"II*\0" + (0).to_bytes(4, "little"))  # IFD offset patched at the end
        offsets, row = [], bytes((x * 7) & 0xFF for x in range(width * 3))
        for count in counts:
            offsets.append(out.tell())
            out.write((row * (count // len(row)))[:count])
        values: dict[int, int] = {}
        for tag, text in texts.items():
            values[tag] = out.tell()
            out.write(text + b"\0" * (len(text) % 2))
        for tag, numbers in ((273, offsets), (279, counts)):
            values[tag] = out.tell()
            out.write(struct.pack(f"<{len(numbers)}I", *numbers))
        values[258] = out.tell()
        out.write(struct.pack("<3H", 8, 8, 8))
        entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 3, values[258]), (259, 3, 1, 1),
                   (262, 3, 1, 2), (270, 2, len(texts[270]), values[270]), (273, 4, strips, values[273]),
                   (277, 3, 1, 3), (278, 4, 1, rows_per_strip), (279, 4, strips, values[279]),
                   (306, 2, len(texts[306]), values[306]), (315, 2, len(texts[315]), values[315])]
        directory = out.tell()
        out.write(struct.pack("<H", len(entries)))
        for tag, kind, count, value in entries:
            packed = struct.pack("<H", value) + b"\0\0" if kind == 3 and count == 1 else struct.pack("<I", value)
            out.write(struct.pack("<HHI", tag, kind, count) + packed)
        out.write(bytes(4))
        out.seek(4)
        out.write(struct.pack("<I", directory))


def tiff_size_for(megabytes: int) -> tuple[int, int]:
    width = 8000
    return width, (megabytes << 20) // (width * 3) + 1


def write_pdf(path: Path, pages: int, image_mb: int = 16, level: int = 1) -> None:
    """A PDF of `pages` pages, each drawing its own Flate-compressed RGB image of about
    `image_mb` MiB (compressed), with an author and a place in /Info; written object by object."""
    width = 2048
    height = max(1, (image_mb << 20) // (width * 3))
    row = bytes((x * 7) & 0xFF for x in range(width * 3))
    offsets: list[int] = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

        def begin(number: int) -> None:
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode())

        kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(pages))
        begin(1)
        out.write(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
        begin(2)
        out.write(f"<< /Type /Pages /Count {pages} /Kids [{kids}] >>\nendobj\n".encode())
        for index in range(pages):
            page, contents, image = 3 + 3 * index, 4 + 3 * index, 5 + 3 * index
            begin(page)
            out.write(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R "
                      f"/Resources << /XObject << /Im{index} {image} 0 R >> >> >>\nendobj\n".encode())
            drawing = f"q 612 0 0 792 0 0 cm /Im{index} Do Q BT /F1 12 Tf (page {index}) Tj ET".encode()
            begin(contents)
            out.write(f"<< /Length {len(drawing)} >>\nstream\n".encode() + drawing + b"\nendstream\nendobj\n")
            compressor = zlib.compressobj(level)
            body = bytearray()
            for y in range(height):
                shift = (y * 3 + index) % len(row)
                body += compressor.compress(row[shift:] + row[:shift])
            body += compressor.flush()
            begin(image)
            out.write(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
                      f"/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length {len(body)} >>\n"
                      "stream\n".encode() + bytes(body) + b"\nendstream\nendobj\n")
        info = 3 + 3 * pages
        begin(info)
        out.write(f"<< /Author ({PLANTED_AUTHOR}) /Subject ({PLANTED_PLACE}) "
                  "/CreationDate (D:20240301123000Z) >>\nendobj\n".encode())
        xref = out.tell()
        out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        out.write(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R /Info {info} 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode())


def write_jpeg(path: Path, megabytes: int) -> None:
    """A baseline JPEG of about `megabytes` MiB with an author and a time planted in EXIF: the
    tables and headers of a real 16-pixel JPEG (Pillow's), a frame header claiming 16000 x 16000,
    then random entropy-coded data (no 0xFF, so no marker) written a piece at a time. Its
    structure is a real JPEG's; its pixels would decode to noise."""
    with path.open("wb") as out:
        _write_noise_jpeg(out, megabytes, planted=True)


def _write_noise_jpeg(out: BinaryIO, megabytes: int, planted: bool, gps: bool = False) -> None:
    """write_jpeg's JPEG into `out`; `planted`: the author and time in EXIF, `gps`: a GPS fix too."""
    import io as _io
    import os

    from PIL import Image

    small = _io.BytesIO()
    exif = Image.Exif()
    if planted:
        exif[0x013B] = PLANTED_AUTHOR        # Artist
        exif[0x0132] = "2019:03:04 05:06:07"  # DateTime
    if gps:
        exif[0x8825] = {1: "N", 2: (50.0, 15.0, 22.0), 3: "E", 4: (28.0, 39.0, 29.0)}  # GPS IFD
    Image.new("RGB", (16, 16), (90, 120, 150)).save(small, "JPEG", exif=exif.tobytes())
    encoded = small.getvalue()
    scan_at = encoded.index(b"\xff\xda")
    scan_at += 2 + int.from_bytes(encoded[scan_at + 2:scan_at + 4], "big")
    head = bytearray(encoded[:scan_at])
    frame = head.index(b"\xff\xc0")
    head[frame + 5:frame + 9] = struct.pack(">HH", 16000, 16000)
    no_markers = bytes.maketrans(b"\xff", b"\x7f")
    out.write(head)
    for _ in range(megabytes):
        out.write(os.urandom(PIECE).translate(no_markers))
    out.write(b"\xff\xd9")


_OOXML_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OOXML_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_ODF_TEXT = "application/vnd.oasis.opendocument.text"


def write_docx(path: Path, megabytes: int, photo_mb: int = 8, deflated: bool = False) -> None:
    """A Word document of about `megabytes` MiB: a paragraph of text and photos of `photo_mb`
    MiB each (write_jpeg's distinct noise; the first with an author, a time and a GPS fix in
    EXIF), the author in docProps/core.xml too. Pictures are stored (quick to write), or
    `deflated` as Word stores them; each is written into the zip a piece at a time."""
    photos = [f"word/media/image{index}.jpeg" for index in range(1, max(1, megabytes // photo_mb) + 1)]
    relations = "".join(f'<Relationship Id="rIdP{index}" Type="{_OOXML_TYPES}image" Target="media/image{index}.jpeg"/>'
                        for index in range(1, len(photos) + 1))
    xml = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/>'
        f'<Override PartName="/word/document.xml" ContentType="{_WML}document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_OOXML_RELS}">'
        f'<Relationship Id="rId1" Type="{_OOXML_TYPES}officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>',
        "docProps/core.xml": '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{PLANTED_AUTHOR}</dc:creator><cp:lastModifiedBy>{PLANTED_AUTHOR}</cp:lastModifiedBy>"
        "</cp:coreProperties>",
        "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Seized crates, photographed in order.</w:t></w:r></w:p></w:body></w:document>",
        "word/_rels/document.xml.rels": f'<Relationships xmlns="{_OOXML_RELS}">{relations}</Relationships>',
    }
    _write_package(path, list(xml.items()), photos, photo_mb, deflated)


def write_odt(path: Path, megabytes: int, photo_mb: int = 8, deflated: bool = False) -> None:
    """An OpenDocument text as write_docx: text, photos (the first with an author, a time and
    a GPS fix), the author in meta.xml; mimetype first and stored."""
    photos = [f"Pictures/photo{index}.jpg" for index in range(1, max(1, megabytes // photo_mb) + 1)]
    office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    frames = "".join(f'<draw:frame><draw:image xlink:href="{name}" xlink:type="simple"/></draw:frame>' for name in photos)
    entries = "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="{media}"/>'
                      for name, media in [("content.xml", "text/xml"), ("meta.xml", "text/xml")]
                      + [(name, "image/jpeg") for name in photos])
    xml = {
        "mimetype": _ODF_TEXT,
        "META-INF/manifest.xml": '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        f' manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
        f'manifest:media-type="{_ODF_TEXT}"/>{entries}</manifest:manifest>',
        "content.xml": f'<office:document-content {office} xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' office:version="1.3"><office:body><office:text><text:p>Seized crates, photographed in order.'
        f"{frames}</text:p></office:text></office:body></office:document-content>",
        "meta.xml": f'<office:document-meta {office} xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta>'
        f"<meta:initial-creator>{PLANTED_AUTHOR}</meta:initial-creator><dc:creator>{PLANTED_AUTHOR}</dc:creator>"
        "</office:meta></office:document-meta>",
    }
    _write_package(path, list(xml.items()), photos, photo_mb, deflated)


def _write_package(path: Path, xml: list[tuple[str, str]], photos: list[str], photo_mb: int, deflated: bool) -> None:
    import zipfile

    photo_compression = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in xml:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 3, 1, 12, 30, 0)), text.encode(),
                             zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
        for index, name in enumerate(photos):
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 1, 12, 30, 0))
            info.compress_type = photo_compression
            with archive.open(info, "w") as member:
                _write_noise_jpeg(member, photo_mb, planted=index == 0, gps=index == 0)


def write_gif(path: Path, megabytes: int) -> None:
    """An animated GIF of about `megabytes` MiB, 1000 x 1000 frames, with an author planted in a
    comment extension: real block structure, random LZW data in full sub-blocks (it would not
    decode), written a piece at a time."""
    import os

    palette = bytes(range(256)) * 3
    frame_sub_blocks = PIECE // 256
    with path.open("wb") as out:
        out.write(b"GIF89a" + struct.pack("<HHBBB", 1000, 1000, 0xF7, 0, 0) + palette)
        comment = PLANTED_AUTHOR.encode()
        out.write(b"\x21\xfe" + bytes([len(comment)]) + comment + b"\x00")
        for _ in range(megabytes):
            out.write(b"\x21\xf9\x04\x00\x0a\x00\x00\x00")  # graphic control: 0.1 s per frame
            out.write(b"\x2c" + struct.pack("<HHHHB", 0, 0, 1000, 1000, 0) + b"\x08")
            data = os.urandom(frame_sub_blocks * 255)
            out.write(b"".join(b"\xff" + data[i:i + 255] for i in range(0, len(data), 255)) + b"\x00")
        out.write(b"\x3b")


def write_webp(path: Path, megabytes: int) -> None:
    """An extended WebP of about `megabytes` MiB: VP8X, an EXIF chunk with an author and a time
    planted, then one VP8L chunk of random bytes after a real lossless header (it would not
    decode), written a piece at a time."""
    import os

    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = PLANTED_AUTHOR
    exif[0x0132] = "2019:03:04 05:06:07"
    block = exif.tobytes()[6:]  # WebP's EXIF chunk holds the TIFF structure without "Exif\0\0"
    size = megabytes * PIECE
    lossless = b"\x2f" + (((16000 - 1) | ((16000 - 1) << 14)).to_bytes(4, "little"))
    vp8x = b"VP8X" + (10).to_bytes(4, "little") + bytes([0x08, 0, 0, 0]) + (15999).to_bytes(3, "little") * 2
    exif_chunk = b"EXIF" + len(block).to_bytes(4, "little") + block + (b"\0" if len(block) & 1 else b"")
    body = len(vp8x) + len(exif_chunk) + 8 + size
    with path.open("wb") as out:
        out.write(b"RIFF" + (4 + body).to_bytes(4, "little") + b"WEBP" + vp8x + exif_chunk)
        out.write(b"VP8L" + size.to_bytes(4, "little") + lossless)
        for _ in range(megabytes - 1):
            out.write(os.urandom(PIECE))
        out.write(os.urandom(PIECE - len(lossless)))
