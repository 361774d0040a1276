"""OOXML packages (docx, xlsx, pptx zips) built by hand with planted authors, comments and history."""

from __future__ import annotations

import io
import struct
import zipfile

DATE_2023 = (2023, 5, 6, 7, 8, 9)


NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "w15": "http://schemas.microsoft.com/office/word/2012/wordml",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


OD = "application/vnd.openxmlformats-officedocument."


XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def xmlns(*prefixes: str) -> str:
    return " ".join(f'xmlns:{prefix}="{NS[prefix]}"' for prefix in prefixes)


def types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> str:
    base = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml",
            "png": "image/png", "jpeg": "image/jpeg", **(defaults or {})}
    return (XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "".join(f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in base.items())
            + "".join(f'<Override PartName="/{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
            + "</Types>")


def rels(*entries: tuple[str, str, str] | tuple[str, str, str, str]) -> str:
    body = ""
    for entry in entries:
        rid, kind, target = entry[:3]
        kind = kind if kind.startswith("http") else REL + kind
        external = ' TargetMode="External"' if len(entry) == 4 else ""
        body += f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"{external}/>'
    namespace = "http://schemas.openxmlformats.org/package/2006/relationships"
    return XML_HEAD + f'<Relationships xmlns="{namespace}">{body}</Relationships>'


def package(members: dict[str, str | bytes], *, comment: bytes = b"", extras: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(members.items()):
            info = zipfile.ZipInfo(name, date_time=DATE_2023)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if extras and index == 0:
                info.extra = struct.pack("<HHBI", 0x5455, 5, 1, 1683356889)  # extended timestamp
                info.comment = b"PLANTED-ENTRY-COMMENT"
            archive.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
        archive.comment = comment
    return buffer.getvalue()


WML = OD + "wordprocessingml."
