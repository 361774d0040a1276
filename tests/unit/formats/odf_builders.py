"""ODF packages (OpenDocument zips) built by hand with planted authors, history and settings."""

from __future__ import annotations

import io
import zipfile

DATE_2023 = (2023, 9, 1, 12, 0, 0)


NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "officeooo": "http://openoffice.org/2009/office",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}


ALL_NS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


ODF = "application/vnd.oasis.opendocument."


def odf_package(kind: str, members: dict[str, str | bytes], unlisted: dict[str, bytes] | None = None,
                comment: bytes = b"PLANTED-ODF-ZIP-COMMENT", mimetype_first: bool = True) -> bytes:
    """mimetype first and stored, then the members; the manifest lists every member but `unlisted`."""
    entries = [f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{ODF}{kind}"/>']
    entries += [f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>' for name in members]
    manifest = (HEAD + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.3">\n ' + "\n ".join(entries) + "\n</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        ordered = [("mimetype", (ODF + kind).encode())] if mimetype_first else []
        ordered += [(name, data.encode() if isinstance(data, str) else data) for name, data in members.items()]
        ordered += list((unlisted or {}).items()) + [("META-INF/manifest.xml", manifest.encode())]
        if not mimetype_first:
            ordered.append(("mimetype", (ODF + kind).encode()))
        for name, data in ordered:
            info = zipfile.ZipInfo(name, date_time=DATE_2023)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        archive.comment = comment
    return buffer.getvalue()


def document(kind: str, body: str, automatic_styles: str = "") -> str:
    return HEAD + (f'<office:document-content {ALL_NS} office:version="1.3"><office:automatic-styles>'
                   f"{automatic_styles}</office:automatic-styles><office:body><office:{kind}>{body}</office:{kind}>"
                   "</office:body></office:document-content>")


def change_info(author: str, date: str) -> str:
    return f"<office:change-info><dc:creator>{author}</dc:creator><dc:date>{date}</dc:date></office:change-info>"


def annotation(author: str, date: str, text: str) -> str:
    return (f'<office:annotation office:name="__Annotation__1"><dc:creator>{author}</dc:creator><dc:date>{date}'
            f"</dc:date><meta:creator-initials>PQR</meta:creator-initials><text:p>{text}</text:p></office:annotation>")
