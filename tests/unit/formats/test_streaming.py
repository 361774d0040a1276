"""Cleaning by stream (issue 12): the stream verbs agree with the bytes verbs at every chunk
boundary, the leftover scan finds values cut by a piece boundary, and big files are cleaned
in bounded memory by the real command."""

from __future__ import annotations

import hashlib
import io
import json
import mmap
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from big_files import (PLANTED_AUTHOR, PLANTED_PLACE, png_size_for, tiff_size_for, write_docx, write_odt, write_pdf,
                       write_png,
                       write_gif, write_jpeg, write_tiff, write_webp)
from intake.clean import (IN_MEMORY_BYTES, MAX_CLEAN_BYTES, clean_bytes, clean_file, inspect_file, same_parts,
                          scan_views, sniff_file)
from intake.formats import gif as gif_format, jpeg as jpeg_format, webp as webp_format
import intake.formats.pdf as pdf_format
from intake.formats import png, tiff
from intake.formats import handler_for
from intake.formats.base import CHUNK_SETTING, ContentDigest, View, digest_of_parts, streams
from intake.errors import Refused
from intake.takein.clean_copy import Sanitized
from intake.takein.sources import source_for
from intake.keys.seal import unseal
from intake.takein import take_in
from png_builders import apng, idat_png, interlaced_png, planted_png, noise, small_png, insert_before, chunk
import re
import struct
import zipfile
import zlib

TINY_CHUNK = "5"  # odd, and shorter than any chunk header: every boundary logic runs


@pytest.fixture(autouse=True, scope="module")
def tiny_chunks() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CHUNK_SETTING, TINY_CHUNK)
        yield


def _outcome(verb: Callable[[], object]) -> object:
    try:
        return verb()
    except Refused:
        return Refused


def _sanitized_by_stream(data: bytes) -> bytes:
    out = io.BytesIO()
    png.sanitize_stream(io.BytesIO(data), out)
    return out.getvalue()


def assert_stream_agrees(data: bytes) -> None:
    """Same findings and the same clean copy by both paths, or both refuse."""
    assert _outcome(lambda: png.inspect(data)) == _outcome(lambda: png.inspect_stream(io.BytesIO(data)))
    assert _outcome(lambda: png.sanitize(data)) == _outcome(lambda: _sanitized_by_stream(data))


PNG_CASES = {
    "planted": planted_png(),
    "palette": planted_png(noise(mode="P")),
    "grey16": planted_png(noise(mode="I;16")),
    "interlaced": interlaced_png(),
    "interlaced, extra byte": interlaced_png(extra=b"\0"),
    "apng": apng(),
    "apng out of order": apng([0, 2, 1]),
    "apng without fcTL": apng([0, 1, 1], drop_fctl=True),
    "apng frame count": apng(frames_declared=1),
    "idat exact": idat_png(zlib.compress(bytes(20))),
    "idat one too many": idat_png(zlib.compress(bytes(21))),
    "idat one too few": idat_png(zlib.compress(bytes(19))),
    "after the zlib stream": idat_png(zlib.compress(bytes(20)) + b"PLANTED"),
    "cut zlib": idat_png(zlib.compress(bytes(20))[:-3]),
    "not zlib": idat_png(b"not zlib at all"),
    "idat before ihdr": png.SIGNATURE + chunk(b"IDAT", zlib.compress(bytes(20))) + chunk(b"IEND", b""),
    "unknown critical": insert_before(small_png(), b"IDAT", chunk(b"ZZZZ", b"secret")),
    "bad crc": small_png()[:-1] + bytes([small_png()[-1] ^ 1]),
}


@pytest.mark.parametrize("name", PNG_CASES)
def test_png_stream_verbs_agree_with_the_bytes_verbs(name: str) -> None:
    assert_stream_agrees(PNG_CASES[name])


def test_png_truncated_anywhere_is_refused_by_stream() -> None:
    data = small_png()
    for cut in range(len(data)):
        with pytest.raises(Refused):
            png.inspect_stream(io.BytesIO(data[:cut]))


MUTATION_BASE = planted_png(noise((6, 5)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(MUTATION_BASE) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_png_mutations_get_the_same_answer_by_stream(changes: list[tuple[int, int]]) -> None:
    data = bytearray(MUTATION_BASE)
    for offset, value in changes:
        data[offset] = value
    assert_stream_agrees(bytes(data))


def test_png_content_digest_covers_the_image_data_and_the_residue_leaves_it_out() -> None:
    data = planted_png()
    clean = png.sanitize(data)
    assert png.content_digest(io.BytesIO(data)) == png.content_digest(io.BytesIO(clean))
    chunks, _ = png.parse_chunks(clean)
    idat = next(i for i, c in enumerate(chunks) if c.type == b"IDAT")
    changed = chunks[:idat] + [png.Chunk(b"IDAT", zlib.compress(zlib.decompress(chunks[idat].data), 1))] \
        + chunks[idat + 1:]
    assert png.content_digest(io.BytesIO(png.build_png(changed))) != png.content_digest(io.BytesIO(clean))
    residue = b"".join(view.data for view in png.residue_stream(io.BytesIO(data)))
    assert chunks[idat].data[:64] not in residue and PLANTED_SAMPLE(data) in residue


def PLANTED_SAMPLE(data: bytes) -> bytes:  # noqa: N802 - the tail planted by planted_png
    return data[data.index(b"IEND") + 8:][:16]


def test_clean_file_gives_the_clean_copy_of_clean_bytes() -> None:
    data = planted_png()
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as out:
        source.write(data)
        source.seek(123)  # the verbs seek first
        cleaned = clean_file(source, out)
        out.seek(0)
        assert out.read() == clean_bytes(data).data
        assert cleaned.findings == clean_bytes(data).findings and cleaned.size == out.tell()
        assert inspect_file(source).findings == cleaned.findings


def test_content_digest_prefixes_each_part_with_its_length() -> None:
    assert digest_of_parts([b"ab", b"c"]) != digest_of_parts([b"a", b"bc"])
    pieces = ContentDigest()
    pieces.begin(3)
    for piece in (b"a", b"bc"):
        pieces.update(piece)
    assert pieces.digest() == digest_of_parts([b"abc"]) == hashlib.sha256((3).to_bytes(8, "big") + b"abc").digest()
    short = ContentDigest()
    short.begin(4)
    short.update(b"abc")
    with pytest.raises(ValueError):
        short.digest()


def test_scan_finds_a_value_cut_by_a_piece_boundary_but_never_joins_two_runs() -> None:
    needle = PLANTED_AUTHOR.encode()
    text = b"xx" + needle + b"yy"
    pieces = [View("one run", text[i:i + 3]) for i in range(0, len(text), 3)]
    assert list(scan_views(pieces, {needle, b"absent value"})) == [(needle, "one run")]
    split = [View("first run", text[:10]), View("second run", text[10:])]
    assert list(scan_views(split, {needle})) == []


def test_png_is_stream_capable_and_jpeg_is_not() -> None:
    from intake.formats import jpeg
    assert streams(png) and not streams(jpeg)


# ---------------------------------------------------------------- big files, the real commands

# Runs a command and reports on stderr the peak RSS (KiB) of it and every process under it.
PEAK_REPORTER = """import resource, subprocess, sys
result = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(result.returncode)"""


def _peak_of_child(command: list[str], memory_cap: int) -> tuple[subprocess.CompletedProcess, int]:
    """Runs command capped at `memory_cap` bytes of address space; its peak RSS in bytes (the OS's figure)."""
    cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))  # noqa: E731
    result = subprocess.run([sys.executable, "-c", PEAK_REPORTER, *command], capture_output=True, text=True,
                            preexec_fn=cap, timeout=120)
    return result, int(result.stderr.split()[-1]) * 1024


BIG_WRITERS = {
    "png": (lambda path: write_png(path, *png_size_for(300), level=0), png, {"location": 1, "person": 1, "time": 1}),
    "tif": (lambda path: write_tiff(path, *tiff_size_for(300)), tiff, {"person": 1, "time": 1, "other": 1}),
    # 300 MB in 19 images; the PDF is rewritten (every stream recompressed), so it is the slow one.
    "pdf": (lambda path: write_pdf(path, pages=19, level=0), pdf_format,
            {"person": 1, "hidden content": 1, "time": 1, "other": 1}),
}


@pytest.mark.parametrize("kind", BIG_WRITERS)
def test_a_300_mb_file_is_sanitized_in_bounded_memory(kind: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(CHUNK_SETTING)
    write, module, removed = BIG_WRITERS[kind]
    big = tmp_path / f"big.{kind}"
    write(big)
    assert big.stat().st_size > 300 << 20
    start = time.monotonic()
    command = [str(Path(sys.executable).with_name("intake")), "sanitize", str(big), "-o", str(tmp_path / "out"),
               "--json"]
    result, peak = _peak_of_child(command, 1 << 30)  # a whole-file copy would not fit beside the rest
    assert result.returncode == 0, result.stderr
    assert peak < 200 << 20, f"peak memory {peak >> 20} MiB"
    assert time.monotonic() - start < 60
    report = json.loads(result.stdout)["files"][0]
    assert report["status"] == "cleaned" and report["removed"] == removed
    clean = tmp_path / "out" / big.name
    with clean.open("rb") as handle:
        assert hashlib.file_digest(handle, "sha256").hexdigest() == report["sha256"]
        assert module.inspect_stream(handle) == []
        if kind != "pdf":  # the command checked all this already; the PDF's decoding takes its time
            assert module.content_digest(handle) == module.content_digest(big.open("rb"))
            found = list(scan_views(module.residue_stream(handle), {PLANTED_AUTHOR.encode(), PLANTED_PLACE.encode()}))
            assert found == []


BIG_MAPPED_WRITERS = {
    "jpg": (write_jpeg, jpeg_format, {"person": 1, "time": 1}),
    "gif": (write_gif, gif_format, {"other": 1}),
    "webp": (write_webp, webp_format, {"person": 1, "time": 1}),
}


def _inspect_and_sanitize_in_bounded_memory(big: Path, out: Path) -> tuple[dict, dict]:
    """`intake inspect` and `intake sanitize` of a file over MAX_CLEAN_BYTES, each capped at 1 GiB
    of address space (a whole-file copy would not fit beside the rest) and peaking under 200 MiB:
    the reports of both for the file."""
    assert big.stat().st_size > MAX_CLEAN_BYTES
    intake = str(Path(sys.executable).with_name("intake"))
    looked, peak = _peak_of_child([intake, "inspect", str(big), "--json"], 1 << 30)
    assert looked.returncode == 0, looked.stderr
    assert peak < 200 << 20, f"inspect: peak memory {peak >> 20} MiB"
    result, peak = _peak_of_child([intake, "sanitize", str(big), "-o", str(out), "--json"], 1 << 30)
    assert result.returncode == 0, result.stderr
    assert peak < 200 << 20, f"sanitize: peak memory {peak >> 20} MiB"
    return json.loads(looked.stdout)["files"][0], json.loads(result.stdout)["files"][0]


@pytest.mark.parametrize("kind", BIG_MAPPED_WRITERS)
def test_a_300_mb_file_without_stream_verbs_is_cleaned_from_a_map_in_bounded_memory(kind: str, tmp_path: Path) -> None:
    """JPEG, GIF and WebP have no stream verbs: they are cleaned from a map of the file whose pages
    are given back as the work moves through them, so at any size (no 256 MiB limit for them)."""
    write, module, removed = BIG_MAPPED_WRITERS[kind]
    big = tmp_path / f"big.{kind}"
    write(big, 300)
    _, report = _inspect_and_sanitize_in_bounded_memory(big, tmp_path / "out")
    assert report["status"] == "cleaned" and report["removed"] == removed
    clean = tmp_path / "out" / big.name
    with clean.open("rb") as handle:
        assert hashlib.file_digest(handle, "sha256").hexdigest() == report["sha256"]
        assert inspect_file(handle).findings == []
    with big.open("rb") as original, clean.open("rb") as copy, \
            mmap.mmap(original.fileno(), 0, access=mmap.ACCESS_READ) as before, \
            mmap.mmap(copy.fileno(), 0, access=mmap.ACCESS_READ) as after:
        assert same_parts(module.content(before), module.content(after))
        assert before.find(PLANTED_AUTHOR.encode()) >= 0 and after.find(PLANTED_AUTHOR.encode()) < 0


BIG_OFFICE_WRITERS = {"docx": (write_docx, "docProps/core.xml"), "odt": (write_odt, "meta.xml")}
BIG_OFFICE_REMOVED = {"location": 5, "person": 3, "time": 2, "other": 2}


@pytest.mark.parametrize("kind", BIG_OFFICE_WRITERS)
def test_a_300_mb_office_document_of_photos_is_cleaned_in_bounded_memory(kind: str, tmp_path: Path,
                                                                           monkeypatch) -> None:
    """Office documents are cleaned by stream: the zip is read from the file, its XML parts held,
    each photo read when it is cleaned, compared or scanned, and the clean zip written member
    by member; so no 256 MiB limit for them, and the peak stays under 200 MiB."""
    monkeypatch.delenv(CHUNK_SETTING)
    write, properties = BIG_OFFICE_WRITERS[kind]
    big = tmp_path / f"big.{kind}"
    write(big, 300)
    looked, report = _inspect_and_sanitize_in_bounded_memory(big, tmp_path / "out")
    found = looked["findings"]
    photo = next(name for name in zipfile.ZipFile(big).namelist() if name.endswith(("1.jpeg", "1.jpg")))
    assert {"GPS position", "Image Artist"} <= {f["field"] for f in found if f["where"].startswith(photo)}
    assert any(f["value"] == PLANTED_AUTHOR and f["where"] == properties for f in found)
    assert report["status"] == "cleaned" and report["removed"] == BIG_OFFICE_REMOVED
    clean = tmp_path / "out" / big.name
    with clean.open("rb") as handle, big.open("rb") as original:
        module = handler_for(sniff_file(original))
        assert hashlib.file_digest(handle, "sha256").hexdigest() == report["sha256"]
        assert module.inspect_stream(handle) == []
        assert module.content_digest(handle) == module.content_digest(original)
        assert list(scan_views(module.residue_stream(handle), {PLANTED_AUTHOR.encode()})) == []
    copy = zipfile.ZipFile(clean)
    assert properties not in copy.namelist() and len(copy.namelist()) == len(zipfile.ZipFile(big).namelist()) - 1
    assert b"GPS" not in copy.read(photo)[:4096] and PLANTED_AUTHOR.encode() not in copy.read(photo)[:4096]


def _hostile_documents() -> dict[str, tuple[bytes, str]]:
    """Word documents that must be refused on the stream path as on the bytes path: each with
    the start of its refusal."""
    from ooxml_builders import OD as OOXML, package, rels, types
    members = {"[Content_Types].xml": types({"word/document.xml": OOXML + "wordprocessingml.document.main+xml"}),
               "_rels/.rels": rels(("rId1", "officeDocument", "word/document.xml")),
               "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                                    'main"><w:body><w:p><w:r><w:t>Report</w:t></w:r></w:p></w:body></w:document>'}
    # The overlapping-entry bomb: b's local header and data lie inside a's data, and b's entry points there.
    inner = _stored_zip({"word/media/b.bin": b"hello"})
    inner_entry = inner[:inner.find(b"PK\x01\x02")]
    overlapping = bytearray(_stored_zip({**members, "word/media/a.bin": inner_entry, "word/media/b.bin": b"hello"}))
    central_b = overlapping.rfind(b"PK\x01\x02")
    overlapping[central_b + 42:central_b + 46] = struct.pack("<I", bytes(overlapping).find(inner_entry))
    lying = bytearray(package(members, extras=False))
    central = lying.find(b"PK\x01\x02")
    lying[central + 24:central + 28] = struct.pack("<I", 100 << 20)
    return {"traversal": (package({**members, "../evil.xml": "<a/>"}), "unsafe zip member name"),
            "bomb": (package({**members, "word/bomb.xml": "<a>" + " " * (8 << 20) + "</a>"}), "zip member word/bomb.xml"),
            "overlap": (bytes(overlapping), "overlapping or damaged zip members"),
            "member over 64 MiB": (bytes(lying), "zip member [Content_Types].xml expands to more than 64 MiB")}


def _stored_zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["traversal", "bomb", "overlap", "member over 64 MiB"])
def test_hostile_office_zips_are_refused_on_the_stream_path(name: str) -> None:
    data, refusal = _hostile_documents()[name]
    with _on_disk(data) as source, tempfile.TemporaryFile() as out:
        with pytest.raises(Refused, match=re.escape(refusal)):
            clean_file(source, out)
        assert inspect_file(source).problem.startswith(refusal)
    with pytest.raises(Refused, match=re.escape(refusal)):
        clean_bytes(data)


def test_add_cleans_an_office_document_over_the_in_memory_size_by_stream(unlocked, tmp_path: Path,
                                                                          monkeypatch) -> None:
    monkeypatch.delenv(CHUNK_SETTING)
    big = tmp_path / "big.docx"
    write_docx(big, (IN_MEMORY_BYTES >> 20) + 8, photo_mb=4)
    assert big.stat().st_size > IN_MEMORY_BYTES
    [result] = list(take_in(unlocked.vault, unlocked.keyring, [source_for(big)]))
    assert isinstance(result.outcome, Sanitized), result.outcome
    assert result.outcome.removed == BIG_OFFICE_REMOVED
    identities = [unlocked.keyring.secret.age_identity]
    clean = [data for data in (unseal(p.read_bytes(), identities) for p in sorted(unlocked.vault.blobs.iterdir()))
             if hashlib.sha256(data).hexdigest() == result.outcome.digests.sha256]
    assert len(clean) == 1 and PLANTED_AUTHOR.encode() not in clean[0]
    assert clean[0] == clean_bytes(big.read_bytes()).data  # the stream path writes what the bytes path makes


def test_add_cleans_a_file_over_the_in_memory_size_by_stream(unlocked, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(CHUNK_SETTING)
    big = tmp_path / "big.png"
    write_png(big, *png_size_for((IN_MEMORY_BYTES >> 20) + 2), level=0)
    assert big.stat().st_size > IN_MEMORY_BYTES
    [result] = list(take_in(unlocked.vault, unlocked.keyring, [source_for(big)]))
    assert isinstance(result.outcome, Sanitized), result.outcome
    assert result.outcome.removed == {"location": 1, "person": 1, "time": 1}
    blobs = sorted(unlocked.vault.blobs.iterdir())
    assert len(blobs) == 3 and not [p for p in blobs if not p.name.endswith(".age")]  # nothing left over
    identities = [unlocked.keyring.secret.age_identity]
    clean = [data for data in (unseal(p.read_bytes(), identities) for p in blobs)
             if data.startswith(png.SIGNATURE) and hashlib.sha256(data).hexdigest() == result.outcome.digests.sha256]
    assert len(clean) == 1 and PLANTED_AUTHOR.encode() not in clean[0]
    assert png.content_digest(io.BytesIO(clean[0])) == png.content_digest(big.open("rb"))


# ---------------------------------------------------------------- TIFF

from tiff_builders import FIXTURES as TIFF_FIXTURES, MALFORMED as TIFF_MALFORMED  # noqa: E402

TIFF_CASES = {**{name: make for name, make in TIFF_FIXTURES.items()},
              **{f"malformed: {name}": make for name, (make, _) in TIFF_MALFORMED.items()}}


def _on_disk(data: bytes) -> tempfile.SpooledTemporaryFile:
    handle = tempfile.TemporaryFile()
    handle.write(data)
    handle.seek(len(data) // 2)  # the verbs seek first
    return handle


def _stream_answers(module, data: bytes) -> tuple:
    with _on_disk(data) as source:
        findings = _outcome(lambda: module.inspect_stream(source))
        out = io.BytesIO()
        clean = _outcome(lambda: (module.sanitize_stream(source, out), out.getvalue())[1])
        digest = _outcome(lambda: module.content_digest(source))
    return findings, clean, digest


def _bytes_answers(module, data: bytes) -> tuple:
    return (_outcome(lambda: module.inspect(data)), _outcome(lambda: module.sanitize(data)),
            _outcome(lambda: digest_of_parts(module.content(data))))


@pytest.mark.parametrize("name", TIFF_CASES)
def test_tiff_stream_verbs_agree_with_the_bytes_verbs(name: str) -> None:
    data = TIFF_CASES[name]()
    assert _stream_answers(tiff, data) == _bytes_answers(tiff, data)


@pytest.mark.parametrize("name", TIFF_FIXTURES)
def test_tiff_clean_file_matches_clean_bytes_and_the_residue_leaves_out_only_the_strips(name: str) -> None:
    data = TIFF_FIXTURES[name]()
    assert_clean_file_matches_clean_bytes(data)
    residue = sum(len(view.data) for view in tiff.residue_stream(io.BytesIO(data)) if view.where.startswith("TIFF file"))
    assert residue == len(data) - sum(map(len, tiff.content(data)))


def assert_clean_file_matches_clean_bytes(data: bytes) -> None:
    with _on_disk(data) as source, tempfile.TemporaryFile() as out:
        cleaned = clean_file(source, out)
        out.seek(0)
        assert out.read() == clean_bytes(data).data and cleaned.findings == clean_bytes(data).findings


# ---------------------------------------------------------------- PDF

import pikepdf  # noqa: E402
from pikepdf import Name  # noqa: E402

from pdf_builders import (_info, append_revision, build_planted_pdf, flate_bomb, image_pdf,  # noqa: E402
                             planted_jpeg, title_in_a_bookmark)


def _updated_with_object_streams() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    _info(pdf, "Planted Old Author Quill")
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return append_revision(buffer.getvalue(), {"Author": "Planted New Author Quill"})


PDF_CASES = {
    "planted": build_planted_pdf,
    "updated, object streams": _updated_with_object_streams,
    "bytes after the end": lambda: pdf_format.sanitize(build_planted_pdf()) + b"PLANTED-TRAILING-GARBAGE-m1" * 400,
    "title in a bookmark": title_in_a_bookmark,
    "jpeg inside": lambda: image_pdf(planted_jpeg(), Name.DCTDecode, 64, 48),
    "flate bomb": lambda: flate_bomb(300, 1),
    "not a pdf": lambda: b"%PDX-1.7\n" + bytes(100),
    "cut in half": lambda: build_planted_pdf()[:5000],
}


@pytest.mark.parametrize("name", PDF_CASES)
def test_pdf_stream_verbs_agree_with_the_bytes_verbs(name: str) -> None:
    data = PDF_CASES[name]()
    assert _stream_answers(pdf_format, data) == _bytes_answers(pdf_format, data)


@pytest.mark.parametrize("name", ["planted", "updated, object streams", "bytes after the end", "title in a bookmark",
                                  "jpeg inside"])
def test_pdf_clean_file_matches_clean_bytes(name: str) -> None:
    assert_clean_file_matches_clean_bytes(PDF_CASES[name]())


def test_pdf_revisions_are_found_across_piece_boundaries() -> None:
    from intake.formats.pdf.revisions import revision_ends, revision_ends_in
    for padding in range(0, 9000, 331):  # moves each marker across the 4 KiB pieces
        data = bytearray(b"%PDF-1.7\n")
        for revision in range(3):
            data += b"%" + b"x" * padding + b"\n"
            xref = len(data)
            data += b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< >>\n"
            data += b"startxref \n" + str(xref).encode() + b"\n  %%EOF\n"
        data += b"startxref\n5\n%%EOF\n"  # points at no cross-reference section: not a revision
        ends = revision_ends_in(io.BytesIO(bytes(data)))
        assert ends == revision_ends(bytes(data)) and len(ends) == 3
