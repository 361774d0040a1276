"""Content sniffing: the media type comes from the bytes, never the name.

A JPEG named `.pdf` is a JPEG. Only the first HEAD_SIZE bytes are looked at,
so sniffing fits into a single streaming pass over the file.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

HEAD_SIZE = 4096
UNKNOWN = "application/octet-stream"

_OOXML_PARTS = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)


def _riff(head: bytes) -> str | None:
    if head[8:12] == b"WEBP":
        return "image/webp"
    if head[8:12] == b"WAVE":
        return "audio/wav"
    if head[8:12] == b"AVI ":
        return "video/x-msvideo"
    return None


def _iso_bmff(head: bytes) -> str | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
        return "image/heif"
    if brand in (b"avif", b"avis"):
        return "image/avif"
    if brand == b"qt  ":
        return "video/quicktime"
    return "video/mp4"


def _zip(head: bytes) -> str | None:
    if not head.startswith(b"PK\x03\x04"):
        return None
    # ODF stores an uncompressed `mimetype` member first, at a fixed offset.
    if head[30:38] == b"mimetype":
        media = head[38:38 + 80].split(b"PK", 1)[0]
        if media.startswith(b"application/vnd.oasis.opendocument.") and media.isascii():
            return media.decode("ascii")
    if b"[Content_Types].xml" in head:
        for marker, media_type in _OOXML_PARTS:
            if marker in head:
                return media_type
    return "application/zip"


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"8BPS", "image/vnd.adobe.photoshop"),
    (b"BM", "image/bmp"),
    (b"{\\rtf", "application/rtf"),
    (b"\xff\x0a", "image/jxl"),
    (b"\x00\x00\x00\x0cJXL ", "image/jxl"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
)

_STRUCTURED: tuple[Callable[[bytes], str | None], ...] = (_zip, _iso_bmff)


def sniff(head: bytes) -> str:
    """Media type of a file from its first bytes; UNKNOWN when unsure."""
    for check in _STRUCTURED:
        found = check(head)
        if found:
            return found
    if head.startswith(b"RIFF"):
        return _riff(head) or UNKNOWN
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    return _text(head)


def _text(head: bytes) -> str:
    if not head:
        return "application/x-empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start < len(head) - 4:
            return UNKNOWN
    if b"\x00" in head:
        return UNKNOWN
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml")) and b"<svg" in stripped:
        return "image/svg+xml"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return "text/plain"


_ODF_PREFIX = "application/vnd.oasis.opendocument."


def sniff_bytes(data: bytes) -> str:
    """Like sniff, but a zip container is told apart by its member list.

    Office files do not promise their member order, so the first 4 KiB can
    miss the part that says what they are; the central directory cannot.
    """
    media_type = sniff(data[:HEAD_SIZE])
    if media_type == "application/zip" or media_type.startswith(("application/vnd.openxml", _ODF_PREFIX)):
        return _zip_members(data) or media_type
    return media_type


def sniff_handle(handle: BinaryIO) -> str:
    """Like sniff_bytes, for an open file (seekable); it is left at its start."""
    head_type = sniff(handle.read(HEAD_SIZE))
    if head_type == "application/zip" or head_type.startswith(("application/vnd.openxml", _ODF_PREFIX)):
        handle.seek(0)
        head_type = _zip_members(handle) or head_type
    handle.seek(0)
    return head_type


def _zip_members(source: bytes | BinaryIO) -> str | None:
    """The type a zip's member list says. A hostile zip can break zipfile in many ways (a corrupt
    deflate stream raises zlib.error): any failure means "not told apart", never a crash."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:  # bounded: never inflate a whole member here
                    declared = member.read(100).decode("ascii", "replace").strip()
                if declared.startswith(_ODF_PREFIX):
                    return declared
            if "[Content_Types].xml" in names:
                for marker, media_type in _OOXML_PARTS:
                    if any(name.startswith(marker.decode()) for name in names):
                        return media_type
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, ValueError, RuntimeError, EOFError,
            NotImplementedError, UnicodeError, OverflowError, MemoryError, RecursionError):
        return None
    return None


_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "image/tiff": ".tif",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    _ODF_PREFIX + "text": ".odt", _ODF_PREFIX + "spreadsheet": ".ods", _ODF_PREFIX + "presentation": ".odp",
    _ODF_PREFIX + "graphics": ".odg", _ODF_PREFIX + "formula": ".odf",
    _ODF_PREFIX + "text-template": ".ott", _ODF_PREFIX + "spreadsheet-template": ".ots",
    _ODF_PREFIX + "presentation-template": ".otp", _ODF_PREFIX + "graphics-template": ".otg",
    _ODF_PREFIX + "formula-template": ".otf",
}


def extension_for(media_type: str) -> str:
    """A fixed table, not the system's mime.types: bundles must not differ between machines."""
    return _EXTENSIONS.get(media_type, ".bin")
