"""ICC colour profiles built byte by byte, with planted descriptions and copyrights."""

from __future__ import annotations

import struct

DATE = (2019, 7, 4, 13, 37, 0)


XYZ = b"XYZ \0\0\0\0" + struct.pack(">3i", 63190, 65536, 54061)


CURVE = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233)  # gamma 2.2; 14 bytes, so 2 bytes of alignment follow


def desc_tag(text: str, unicode_text: str = "") -> bytes:
    """v2 textDescription: ASCII, Unicode (optional), empty ScriptCode."""
    ascii_part = text.encode("latin-1") + b"\0"
    encoded = unicode_text.encode("utf-16-be")
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_part)) + ascii_part
            + struct.pack(">II", 0, len(encoded) // 2) + encoded + bytes(3 + 67))


def text_tag(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode() + b"\0"


def profile(description: str = "sRGB IEC61966-2.1", *, tags: list[tuple[bytes, bytes]] | None = None,
            extra: list[tuple[bytes, bytes]] = (), date: tuple[int, ...] = DATE, maker: bytes = b"IEC sRGB",
            engine: bytes = b"Lino", creator: bytes = b"HP  ") -> bytes:
    """A small v2 RGB display profile; by default HP's sRGB, header and texts."""
    if tags is None:
        tags = [(b"desc", desc_tag(description)), (b"cprt", text_tag("Copyright (c) 1998 Hewlett-Packard Company")),
                (b"wtpt", XYZ), (b"rXYZ", XYZ), (b"gXYZ", XYZ), (b"bXYZ", XYZ),
                (b"dmnd", desc_tag("IEC http://www.iec.ch")),
                (b"dmdd", desc_tag("IEC 61966-2.1 Default RGB colour space - sRGB")),
                (b"rTRC", CURVE), (b"gTRC", CURVE), (b"bTRC", CURVE)]
    tags = list(tags) + list(extra)
    table, body = b"", b""
    at = 132 + 12 * len(tags)
    for signature, data in tags:
        body += bytes(-len(body) % 4)
        table += struct.pack(">4sII", signature, at + len(body), len(data))
        body += data
    body += bytes(-len(body) % 4)
    header = (struct.pack(">I", at + len(body)) + engine + b"\x02\x10\0\0" + b"mntrRGB XYZ " + struct.pack(">6H", *date)
              + b"acspMSFT" + bytes(4) + maker + bytes(8) + bytes(4) + struct.pack(">3i", 63190, 65536, 54061)
              + creator + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def mluc_tag(*texts: str) -> bytes:
    records, strings = b"", b""
    at = 16 + 12 * len(texts)
    for text in texts:
        encoded = text.encode("utf-16-be")
        records += b"enUS" + struct.pack(">II", len(encoded), at + len(strings))
        strings += encoded
    return b"mluc\0\0\0\0" + struct.pack(">II", len(texts), 12) + records + strings
