"""The containers whose members a mutation can hit: zip (office files, bundles), tar (submissions)
and PNG chunks. Each is read into (header, bytes) pairs and written again with correct sizes and
checksums, so that a mutation reaches the parser behind the container's CRCs."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable

def zip_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members:
            fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            fresh.compress_type, fresh.external_attr = info.compress_type, info.external_attr
            archive.writestr(fresh, data)
    return buffer.getvalue()


def tar_members(data: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        return [(info, archive.extractfile(info).read() if info.isfile() else b"") for info in archive.getmembers()]


def _retar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each chunk of a well-formed PNG, the seed's own."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, at = [], len(_PNG_SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        chunks.append((data[at + 4:at + 8], data[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def _repng(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """Chunks with correct lengths and CRCs, so mutations reach what is inside them."""
    body = b"".join(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
                    for kind, data in chunks)
    return _PNG_SIGNATURE + body


CONTAINERS: dict[str, tuple[Callable[[bytes], list], Callable[[list], bytes]]] = {
    "zip": (zip_members, _rezip), "tar": (tar_members, _retar), "png": (_png_chunks, _repng),
}
