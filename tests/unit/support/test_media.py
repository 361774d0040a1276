"""Content sniffing: the type comes from the bytes, never the name."""

from __future__ import annotations

import io
import zipfile

import pytest

from intake.support.canonical import canonical_json
from intake.support.sniff import HEAD_SIZE, UNKNOWN, sniff


def zipped(members: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), members.pop(stored_first), zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CASES = [
    (b"\xff\xd8\xff\xe1\x00\x10Exif", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heif"),
    (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "image/avif"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "video/quicktime"),
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
    (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00", "audio/mp4"),
    (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x02\x00", "video/3gpp"),
    (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01", "image/x-canon-cr3"),
    (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "video/quicktime"),
    (b"\x00\x00\x05\x00moov\x00\x00\x00\x6cmvhd", "video/quicktime"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "application/pdf"),
    (b"Crates unloaded at night.\n", "text/plain"),
    (b"", "application/x-empty"),
    (bytes(range(256)), UNKNOWN),
]


@pytest.mark.parametrize("head,expected", CASES)
def test_magic_bytes(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


def test_office_containers() -> None:
    docx = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert sniff(docx[:HEAD_SIZE]) == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    odt = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, "mimetype")
    assert sniff(odt[:HEAD_SIZE]) == "application/vnd.oasis.opendocument.text"
    assert sniff(zipped({"a.txt": b"x"})[:HEAD_SIZE]) == "application/zip"


def test_canonical_json_is_sorted_compact_and_refuses_floats() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'.encode("utf-8")
    with pytest.raises(TypeError):
        canonical_json({"x": 1.5})


# skip: bytes of the compressed stream left alone, so that the damage reaches its decompressor
@pytest.mark.parametrize(("method", "skip"), [(zipfile.ZIP_DEFLATED, 0), (zipfile.ZIP_LZMA, 4), (zipfile.ZIP_BZIP2, 0)])
def test_a_corrupt_compressed_mimetype_is_a_zip_not_a_crash(method: int, skip: int) -> None:
    """Fuzzing found zlib.error escaping sniffing (issue 11), which stopped `add` for a whole batch."""
    from intake.support.sniff import sniff_bytes

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" * 3, compress_type=method)
    data = bytearray(buffer.getvalue())
    start = data.index(b"mimetype") + len(b"mimetype")
    for offset in range(start + skip, start + 12):
        data[offset] ^= 0x5A
    assert sniff_bytes(bytes(data)) == "application/zip"
