"""Checks the format tests share: is a planted value still anywhere a reader could reach?"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from intake.formats.base import Category, Finding


def encodings(value: str) -> list[bytes]:
    """The ways a metadata value is stored in the formats we clean."""
    return [value.encode("utf-8"), value.encode("utf-16-le"), value.encode("utf-16-be")]


def assert_absent(module: ModuleType, data: bytes, planted: Iterable[str]) -> None:
    """No planted value in the file's bytes or in any view the format module decompresses."""
    haystacks = [("file", data)] + [(view.where, view.data) for view in module.views(data)]
    for value in planted:
        for where, haystack in haystacks:
            for encoded in encodings(value):
                assert encoded not in haystack, f"{value!r} left in {where}"


def has(findings: list[Finding], category: Category, text: str) -> bool:
    return any(f.category == category and (text in f.value or text in f.field) for f in findings)


def sef_block(records: list[tuple[int, str, bytes]]) -> bytes:
    """Samsung's SEF layout, as Galaxy phones append it to photos and videos: the records (type, name,
    value), then the SEFH directory pointing back at them, its size and SEFT."""
    body, places = b"", []
    for kind, name, value in records:
        record = struct.pack("<HHI", 0, kind, len(name)) + name.encode() + value
        places.append((kind, len(body), len(record)))
        body += record
    directory = b"SEFH" + struct.pack("<II", 106, len(records))
    directory += b"".join(struct.pack("<HHII", 0, kind, len(body) - at, length) for kind, at, length in places)
    return body + directory + struct.pack("<I", len(directory)) + b"SEFT"


def located_clip(folder: Path, location: str) -> bytes:
    """A second of H.264 video that ffmpeg tags with an ISO 6709 location, as a camera app stores next to
    a still (a motion photo); skips the test when ffmpeg is missing."""
    import pytest

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    path = folder / "clip.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=64x64:rate=10:duration=1", "-c:v", "libx264", "-metadata",
                    f"location={location}", str(path)], check=True)
    return path.read_bytes()
