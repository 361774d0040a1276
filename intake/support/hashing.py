"""Streaming SHA-256 and SHA-512: every byte read once, memory flat."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class Digests:
    sha256: str
    sha512: str
    size: int

    def to_dict(self) -> dict[str, str | int]:
        return {"sha256": self.sha256, "sha512": self.sha512, "size": self.size}

    @classmethod
    def from_dict(cls, data: dict) -> "Digests":
        return cls(sha256=str(data["sha256"]), sha512=str(data["sha512"]), size=int(data["size"]))


class DigestingReader(io.RawIOBase):
    """A read-only stream that hashes what passes through it.

    Handing this to a consumer (the age encryptor) lets one pass over the file
    both seal it and hash it.
    """

    def __init__(self, source: BinaryIO, on_progress: Callable[[int], None] | None = None) -> None:
        self._source = source
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512()
        self._size = 0
        self._on_progress = on_progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = read_into(self._source, buffer)
        with memoryview(buffer) as whole, whole[:count] as chunk:  # hashed where it lies: no copy
            self._sha256.update(chunk)
            self._sha512.update(chunk)
        self._size += count
        if self._on_progress is not None and count:
            self._on_progress(self._size)
        return count

    def digests(self) -> Digests:
        return Digests(self._sha256.hexdigest(), self._sha512.hexdigest(), self._size)


class DigestingWriter(io.RawIOBase):
    """A write-only sink that keeps the digests of what it was given, and passes it on to `target` if any.

    `known_sha512`: the SHA-512 of what will be written, known beforehand and given back as is;
    only SHA-256 and the size are computed (SHA-512 is the slowest step: 460-510 MB/s here,
    SHA-256 1.25 GB/s). The caller must prove the bytes by those (bagit.BagFile.known_sha512)."""

    def __init__(self, target: BinaryIO | None = None, known_sha512: str | None = None) -> None:
        self._target = target
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512() if known_sha512 is None else None
        self._known_sha512 = known_sha512
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._sha256.update(data)
        if self._sha512 is not None:
            self._sha512.update(data)
        self._size += len(data)
        if self._target is not None:
            self._target.write(data)
        return len(data)

    def digests(self) -> Digests:
        sha512 = self._sha512.hexdigest() if self._sha512 is not None else self._known_sha512
        assert sha512 is not None
        return Digests(self._sha256.hexdigest(), sha512, self._size)


def read_into(source: BinaryIO, buffer: bytearray | memoryview) -> int:
    """Fill `buffer` from `source` as far as one read goes: straight into it when the source can."""
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        return readinto(buffer) or 0
    chunk = source.read(len(buffer))
    buffer[:len(chunk)] = chunk
    return len(chunk)


def digest_stream(source: BinaryIO) -> Digests:
    """One reused buffer: each chunk is read once into it and hashed there (issue 12: the reads
    through `read` copied every chunk three times)."""
    reader = DigestingReader(source)
    buffer = bytearray(CHUNK)
    while reader.readinto(buffer):
        pass
    return reader.digests()


def digest_bytes(data: bytes) -> Digests:
    return digest_stream(io.BytesIO(data))
