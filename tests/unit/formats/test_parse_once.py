"""One clean parses the original once and the clean copy once (formats/base.py, parse_file).

A counting wrapper (a spy: the real parse runs) is put around the module's
own parse function; cleaning a typical file, by bytes and from a file on
disk, must call it exactly twice (in memory: once given the original's
bytes, once the clean copy's).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from intake.clean import clean_bytes, clean_file
from intake.formats import gif, jpeg, png, tiff, webp
from intake.formats.shared import zippkg
from jpeg_builders import planted_jpeg
from odf_builders import document, odf_package
from ooxml_builders import OD, package, rels, types
from png_builders import planted_png


class CountingSpy:
    """Wraps a function, noting what each call was given first; the wrapped function still does the work."""

    def __init__(self, function: Callable[..., object]) -> None:
        self.function = function
        self.given: list[object] = []

    @property
    def calls(self) -> int:
        return len(self.given)

    def __call__(self, first: object, *args: object, **kwargs: object) -> object:
        self.given.append(first)
        return self.function(first, *args, **kwargs)


def spy_on(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> CountingSpy:
    spy = CountingSpy(getattr(module, name))
    monkeypatch.setattr(module, name, spy)
    return spy


def pillow_file(kind: str, **metadata: object) -> bytes:
    """A small noise picture saved by Pillow in `kind`, with the metadata given."""
    size = (64, 48)
    picture = Image.frombytes("RGB", size, bytes((7 * i) % 251 for i in range(size[0] * size[1] * 3)))
    out = io.BytesIO()
    picture.save(out, kind, **metadata)
    return out.getvalue()


def minimal_docx() -> bytes:
    """One paragraph; the zip's entry comment and extended timestamp are what cleaning removes."""
    main = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' \
           "<w:body><w:p><w:r><w:t>Report</w:t></w:r></w:p></w:body></w:document>"
    return package({"[Content_Types].xml": types({"word/document.xml": OD + "wordprocessingml.document.main+xml"}),
                    "_rels/.rels": rels(("rId1", "officeDocument", "word/document.xml")),
                    "word/document.xml": main})


# Per format: a typical file with metadata to remove, the module, and the function that parses it
# in memory and from a file (clean_file cleans PNG and TIFF by stream).
TYPICAL: dict[str, tuple[Callable[[], bytes], object, str, str]] = {
    "jpeg": (planted_jpeg, jpeg, "_parse", "_parse"),
    "png": (planted_png, png, "_clean", "_walk_stream"),
    "gif": (lambda: pillow_file("GIF", comment=b"PLANTED-GIF-COMMENT"), gif, "_parse", "_parse"),
    "webp": (lambda: pillow_file("WEBP", xmp=b"<x:xmpmeta>PLANTED-WEBP-XMP</x:xmpmeta>"), webp, "_riff", "_riff"),
    "tiff": (lambda: pillow_file("TIFF", tiffinfo={315: "PLANTED-TIFF-ARTIST"}), tiff, "_parse", "_parse"),
    # The office formats: the zip is opened once per file (its cleaning pass runs once too).
    "docx": (minimal_docx, zippkg, "_open_zip", "_open_zip"),
    "odt": (lambda: odf_package("text", {"content.xml": document("text", "<text:p>Report</text:p>")}),
            zippkg, "_open_zip", "_open_zip"),
}


@pytest.mark.parametrize("kind", TYPICAL)
def test_clean_bytes_parses_the_original_once_and_the_clean_copy_once(kind: str, monkeypatch) -> None:
    make, module, parse, _ = TYPICAL[kind]
    data = make()
    spy = spy_on(monkeypatch, module, parse)
    cleaned = clean_bytes(data)
    assert cleaned.findings, "a typical file has something to remove"
    assert sorted(map(_bytes_of, spy.given)) == sorted([data, cleaned.data])


def _bytes_of(given: object) -> bytes:
    """What a parse was given: bytes or a map, or a file in memory (the office formats open a zip on one)."""
    return given.getvalue() if isinstance(given, io.BytesIO) else bytes(given)  # type: ignore[call-overload]


@pytest.mark.parametrize("kind", TYPICAL)
def test_clean_file_parses_the_original_once_and_the_clean_copy_once(kind: str, monkeypatch, tmp_path: Path) -> None:
    make, module, _, parse = TYPICAL[kind]
    original = tmp_path / f"typical.{kind}"
    original.write_bytes(make())
    spy = spy_on(monkeypatch, module, parse)
    with original.open("rb") as source, (tmp_path / "clean").open("w+b") as out:
        cleaned = clean_file(source, out)
    assert cleaned.findings and cleaned.size > 0
    assert spy.calls == 2


def test_the_bytes_verbs_still_parse_what_they_are_given() -> None:
    data = planted_jpeg()
    clean = jpeg.sanitize(data)
    assert jpeg.inspect(data) and not jpeg.inspect(clean)
    assert jpeg.content(data) == jpeg.content(clean)
    assert Image.open(io.BytesIO(clean)).size == (64, 48)
