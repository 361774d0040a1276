"""Real-world files from ../shared/corpus (set INTAKE_CORPUS; `.ci/run` does).

Every file is either cleaned, with exiftool finding nothing identifying in
the copy, or refused with a reason; no file crashes the cleaner. Camera
images of the formats we support must come out clean, not refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import exiftool_judge as exiftool
from intake.clean import clean_bytes, inspect_bytes
from intake.errors import Refused
from intake.support.sniff import sniff_bytes

CORPUS = Path(os.environ["INTAKE_CORPUS"]) if os.environ.get("INTAKE_CORPUS") else None
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md") if CORPUS and CORPUS.is_dir() else []
MUST_CLEAN = {"image/jpeg", "image/png", "image/tiff", "image/webp", "application/pdf",
              "audio/mpeg", "audio/wav", "audio/flac", "audio/ogg", "audio/aiff"}

pytestmark = pytest.mark.skipif(not FILES, reason="INTAKE_CORPUS is not set or holds no files")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES] if CORPUS else [])
def test_corpus_file_is_cleaned_or_refused(path: Path, tmp_path: Path) -> None:
    data = path.read_bytes()
    media_type = sniff_bytes(data)
    inspect_bytes(data)  # must not raise
    try:
        cleaned = clean_bytes(data)
    except Refused as refusal:
        assert str(refusal), "a refusal always says why"
        assert media_type not in MUST_CLEAN, f"{path.name} ({media_type}) was refused: {refusal}"
        return
    output = tmp_path / path.name
    output.write_bytes(cleaned.data)
    if exiftool.AVAILABLE:
        assert exiftool.identifying(output) == {}
