"""Generated sample files that carry what leaks people: for the demo and for trying intake out.

    photos   JPEG with a GPS fix, the camera make and its body serial number (EXIF)
    letter   PDF with an author, and an older author left in an earlier revision
    report   DOCX with tracked changes (insertions and deletions by named authors)
    notes    plain text: a type intake cannot clean, so it is refused

Everything is built in memory from constants: nothing here reads the network
or any file, and the values are invented.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import zipfile
from pathlib import Path

import pikepdf

# A 16x16 baseline JPEG; the demo adds an EXIF block with a GPS fix and a serial number.
_TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1x"
    "eXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAAR"
    "CAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwChRRRXOQf/2Q=="
)


def exif_block(make: str = "DemoPhone", serial: str = "SN-4471-0093",
               latitude: tuple[int, int, int] = (46, 38, 744), longitude: tuple[int, int, int] = (32, 37, 84)) -> bytes:
    """EXIF (big-endian TIFF) with Make, a body serial number and a GPS fix, as phones write them.

    Coordinates are (degrees, minutes, hundredths of seconds), north and east."""
    make_bytes, serial_bytes = make.encode("ascii") + b"\0", serial.encode("ascii") + b"\0"
    rational = lambda n, d=1: struct.pack(">II", n, d)  # noqa: E731
    # IFD0 at 8: Make, ExifIFD pointer, GPS pointer; then the Exif IFD and the GPS IFD.
    ifd0_at, exif_at, gps_at, data_at = 8, 8 + 2 + 3 * 12 + 4, 0, 0
    gps_at = exif_at + 2 + 12 + 4
    data_at = gps_at + 2 + 4 * 12 + 4
    make_at, serial_at = data_at, data_at + len(make_bytes)
    lat_at = serial_at + len(serial_bytes)
    lon_at = lat_at + 24
    ifd0 = struct.pack(">H", 3) + struct.pack(">HHII", 0x010F, 2, len(make_bytes), make_at) + \
        struct.pack(">HHII", 0x8769, 4, 1, exif_at) + struct.pack(">HHII", 0x8825, 4, 1, gps_at) + b"\0\0\0\0"
    exif = struct.pack(">H", 1) + struct.pack(">HHII", 0xA431, 2, len(serial_bytes), serial_at) + b"\0\0\0\0"
    gps = struct.pack(">H", 4) + struct.pack(">HHI4s", 1, 2, 2, b"N\0\0\0") + \
        struct.pack(">HHII", 2, 5, 3, lat_at) + struct.pack(">HHI4s", 3, 2, 2, b"E\0\0\0") + \
        struct.pack(">HHII", 4, 5, 3, lon_at) + b"\0\0\0\0"
    values = make_bytes + serial_bytes + rational(latitude[0]) + rational(latitude[1]) + rational(latitude[2], 100) + \
        rational(longitude[0]) + rational(longitude[1]) + rational(longitude[2], 100)
    tiff = b"MM\0*" + struct.pack(">I", ifd0_at) + ifd0 + exif + gps + values
    return b"Exif\0\0" + tiff


def photo(make: str = "DemoPhone", serial: str = "SN-4471-0093",
          latitude: tuple[int, int, int] = (46, 38, 744), longitude: tuple[int, int, int] = (32, 37, 84)) -> bytes:
    """A tiny JPEG whose EXIF gives away where it was taken and which camera took it."""
    app1 = exif_block(make, serial, latitude, longitude)
    return _TINY_JPEG[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + _TINY_JPEG[2:]


def letter(author: str = "Col. Example", earlier_author: str = "J. Clerk") -> bytes:
    """A one-page PDF by `author`, saved incrementally over a first version by `earlier_author`:
    the earlier /Info stays in the bytes, as office suites leave it."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = earlier_author
    pdf.docinfo["/Producer"] = "Office Suite 11 (ministry build)"
    first = io.BytesIO()
    pdf.save(first, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    return _append_revision(first.getvalue(), {"Author": author, "Producer": "Office Suite 11 (ministry build)"})


def _append_revision(data: bytes, info: dict[str, str]) -> bytes:
    """An incremental update: the /Info object written again under its own number, a new
    cross-reference section and a trailer pointing back (/Prev) at the first one."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root, size = pdf.Root.objgen, int(pdf.trailer.Size)
        info_number = pdf.trailer.Info.objgen[0]
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    body = bytearray(data if data.endswith(b"\n") else data + b"\n")
    fields = " ".join(f"/{key} ({value})" for key, value in info.items())
    offset = len(body)
    body += f"{info_number} 0 obj\n<< {fields} >>\nendobj\n".encode("latin-1")
    xref = len(body)
    body += f"xref\n0 1\n0000000000 65535 f \n{info_number} 1\n{offset:010d} 00000 n \n".encode("ascii")
    body += (f"trailer\n<< /Size {size} /Root {root[0]} {root[1]} R /Info {info_number} 0 R /Prev {previous} >>\n"
             f"startxref\n{xref}\n%%EOF\n").encode("ascii")
    return bytes(body)


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_MEMBERS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        "</Relationships>"),
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>Maj. Example</dc:creator><cp:lastModifiedBy>Depot Clerk 2</cp:lastModifiedBy>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-03-02T21:14:00Z</dcterms:created>'
        "</cp:coreProperties>"),
    "word/document.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W}"><w:body>'
        "<w:p><w:r><w:t>Inventory of lot 7, received at the river depot.</w:t></w:r></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">Crates counted: </w:t></w:r>'
        '<w:del w:id="1" w:author="Maj. Example" w:date="2024-03-02T21:15:00Z"><w:r><w:delText>40</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="Depot Clerk 2" w:date="2024-03-03T08:01:00Z"><w:r><w:t>32</w:t></w:r></w:ins>'
        "</w:p></w:body></w:document>"),
}


def report() -> bytes:
    """A DOCX whose tracked changes name who deleted and who inserted a number."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _DOCX_MEMBERS.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 3, 3, 8, 2, 0)), text.encode("utf-8"))
    return buffer.getvalue()


def write_samples(folder: Path) -> list[Path]:
    """Write the sample files into a new folder; returns them in a stable order."""
    folder.mkdir(parents=True)
    files = {
        "crate-0412.jpg": photo(),
        "crate-0413.jpg": photo("DemoPhone", "SN-4471-0093", (46, 38, 912), (32, 37, 301)),
        "supply-letter.pdf": letter(),
        "inventory.docx": report(),
        "field-notes.txt": "Crates marked LOT 7, unloaded at night.\n".encode("utf-8"),
    }
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def write_letter_photo_notes(folder: Path) -> list[Path]:
    """The script demo's three files in a new folder, in this order: the letter (PDF with an
    earlier revision), the photo (JPEG with a GPS fix) and a text file that cannot be cleaned."""
    folder.mkdir()
    letter_path = folder / "supply-letter.pdf"
    letter_path.write_bytes(letter())
    photo_path = folder / "crate-0412.jpg"
    photo_path.write_bytes(photo())
    notes = folder / "field-notes.txt"
    notes.write_text("Crates marked LOT 7, unloaded at night.\n", encoding="utf-8")
    return [letter_path, photo_path, notes]
