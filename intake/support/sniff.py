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
    if brand == b"mif3":  # HEIF's low-overhead form: the minor version names the image's own brand
        return "image/avif" if head[12:16] == b"avif" else "image/heif"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return "audio/mp4"
    if brand.startswith(b"3g2"):
        return "video/3gpp2"
    if brand.startswith((b"3gp", b"3gg", b"3gr", b"3gs")):
        return "video/3gpp"
    if brand == b"crx ":
        return "image/x-canon-cr3"  # a camera RAW in the same box format: never cleaned as a video
    return "video/mp4"


def _old_quicktime(head: bytes) -> str | None:
    """QuickTime files written before `ftyp` existed start straight with their boxes."""
    if head[4:8] in (b"moov", b"mdat") or head[:8] == b"\x00\x00\x00\x08wide":
        return "video/quicktime"
    return None


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

# Camera raw files: sensor data that only the maker's decoders read (see intake/formats/raw.py).
_RAW_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"FUJIFILMCCD-RAW", 0, "image/x-fuji-raf"),
    (b"IIRO", 0, "image/x-olympus-orf"),
    (b"IIRS", 0, "image/x-olympus-orf"),
    (b"MMOR", 0, "image/x-olympus-orf"),
    (b"IIU\x00", 0, "image/x-panasonic-rw2"),
    (b"CR\x02", 8, "image/x-canon-cr2"),
)
_RAW_MAKERS: tuple[tuple[bytes, str], ...] = (
    (b"NIKON", "image/x-nikon-nef"), (b"SONY", "image/x-sony-arw"), (b"CANON", "image/x-canon-cr2"),
    (b"PENTAX", "image/x-camera-raw"), (b"SAMSUNG", "image/x-camera-raw"), (b"OLYMPUS", "image/x-olympus-orf"),
    (b"PANASONIC", "image/x-panasonic-rw2"), (b"LEICA", "image/x-camera-raw"), (b"FUJIFILM", "image/x-fuji-raf"),
)
_DNG_VERSION, _MAKE, _SUBIFDS, _PHOTOMETRIC = 50706, 271, 330, 262
_CFA, _LINEAR_RAW = 32803, 34892


def _camera_raw(head: bytes) -> str | None:
    """A raw file by its magic, or a TIFF whose first directory says it is one (DNG version, sensor
    colour-filter data, or a camera maker's name together with sub-images)."""
    for magic, offset, media_type in _RAW_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return media_type
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    order = "little" if head[:2] == b"II" else "big"
    first = int.from_bytes(head[4:8], order)
    count = int.from_bytes(head[first:first + 2], order) if first + 2 <= len(head) else 0
    tags: dict[int, bytes] = {}
    for start in range(first + 2, min(first + 2 + 12 * count, len(head) - 11), 12):
        tags[int.from_bytes(head[start:start + 2], order)] = head[start + 2:start + 12]
    if _DNG_VERSION in tags:
        return "image/x-adobe-dng"
    photometric = tags.get(_PHOTOMETRIC)
    if photometric and int.from_bytes(photometric[6:8], order) in (_CFA, _LINEAR_RAW):
        return "image/x-camera-raw"
    make = _tiff_text(head, tags.get(_MAKE), order).upper()
    if _SUBIFDS in tags and make:
        return next((media_type for maker, media_type in _RAW_MAKERS if make.startswith(maker)), None)
    return None


def _tiff_text(head: bytes, entry: bytes | None, order: str) -> bytes:
    """An ASCII tag's value, when it lies within the head."""
    if entry is None or int.from_bytes(entry[0:2], order) != 2:
        return b""
    count = int.from_bytes(entry[2:6], order)
    if count <= 4:
        return entry[6:6 + count].rstrip(b"\0")
    offset = int.from_bytes(entry[6:10], order)
    return head[offset:offset + count].rstrip(b"\0") if offset + count <= len(head) else b""


_STRUCTURED: tuple[Callable[[bytes], str | None], ...] = (_zip, _iso_bmff, _camera_raw, _old_quicktime)


def sniff(head: bytes) -> str:
    """Media type of a file from its first bytes; UNKNOWN when unsure."""
    for check in _STRUCTURED:
        found = check(head)
        if found:
            return found
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head.startswith((b"RIFF", b"RF64")):
        return _riff(head) or UNKNOWN
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if _mpeg_audio_frame(head):
        return "audio/mpeg"
    return _text(head)


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MP3 without tags starts with a frame header: 11 sync bits, then no reserved field values."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer, bitrate, rate = (head[1] >> 3) & 3, (head[1] >> 1) & 3, head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


MAX_LEADING_ID3 = 16


def _behind_id3(read_at: Callable[[int, int], bytes]) -> str:
    """What follows the ID3v2 tags at the start of a file: FLAC files may carry them too."""
    position = 0
    for _ in range(MAX_LEADING_ID3):
        header = read_at(position, 10)
        if not header.startswith(b"ID3") or len(header) < 10 or any(b & 0x80 for b in header[6:10]):
            break
        size = 0
        for byte in header[6:10]:  # "synchsafe": seven bits per byte
            size = size << 7 | byte
        position += 10 + size + (10 if header[3] == 4 and header[5] & 0x10 else 0)
    return "audio/flac" if read_at(position, 4) == b"fLaC" else "audio/mpeg"


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
    if media_type == "audio/mpeg" and data.startswith(b"ID3"):
        return _behind_id3(lambda start, length: data[start:start + length])
    if media_type == "application/zip" or media_type.startswith(("application/vnd.openxml", _ODF_PREFIX)):
        return _zip_members(data) or media_type
    return media_type


def sniff_handle(handle: BinaryIO) -> str:
    """Like sniff_bytes, for an open file (seekable); it is left at its start."""
    head_type = sniff(handle.read(HEAD_SIZE))
    if head_type == "audio/mpeg":
        head_type = _behind_id3(lambda start, length: _read_at(handle, start, length))
    if head_type == "application/zip" or head_type.startswith(("application/vnd.openxml", _ODF_PREFIX)):
        handle.seek(0)
        head_type = _zip_members(handle) or head_type
    handle.seek(0)
    return head_type


def _read_at(handle: BinaryIO, start: int, length: int) -> bytes:
    handle.seek(start)
    return handle.read(length)


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
    "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/flac": ".flac", "audio/ogg": ".ogg", "audio/aiff": ".aiff",
    "video/mp4": ".mp4", "video/quicktime": ".mov", "audio/mp4": ".m4a", "video/3gpp": ".3gp", "video/3gpp2": ".3g2",
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
