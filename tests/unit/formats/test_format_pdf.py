"""PDF cleaning: planted metadata of every kind goes, pages and text stay.

Fixtures are built with pikepdf; the incremental update (the "author name
left in an old revision" threat) is appended by hand, as editors do, because
pikepdf only writes whole files.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name, Stream

from intake.formats import pdf as pdf_format
from intake.formats.pdf import decoding as pdf_decoding
from intake.formats.base import Category, Finding
from intake.errors import Refused
from intake.support.sniff import sniff
from planted import encodings
from pdf_builders import CONTENT, PLANTED, PLANTED_ID, TEXT, _info, append_revision, build_planted_pdf, flate_bomb, image_pdf, planted_jpeg, title_in_a_bookmark, xmp
from pdf_builders import EMPTY_STREAM, PAGES, simple_pdf


def jp2_box(kind: bytes, payload: bytes) -> bytes:
    return (len(payload) + 8).to_bytes(4, "big") + kind + payload


def planted_jpeg2000() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(out, "JPEG2000")
    data = out.getvalue()
    codestream = data.index(b"jp2c") - 4
    extra = (jp2_box(b"xml ", xmp("PLANTED-JPX-XML-k1"))
             + jp2_box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + xmp("PLANTED-JPX-XMP-k2"))
             + jp2_box(b"uuid", bytes.fromhex("b14bf8bd083d4b43a5ae8cd7d5a6ce03") + b"PLANTED-GEOJP2-k3"))
    return data[:codestream] + extra + data[codestream:]


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>"


def stream_object(data: bytes, layers: int) -> bytes:
    filters = b" ".join([b"/FlateDecode"] * layers)
    return b"<< /Length %d /Filter [%s] >>\nstream\n%s\nendstream" % (len(data), filters, data)


def leftovers(data: bytes, values: list[str]) -> list[tuple[str, str]]:
    """Planted values still reachable in `data`: raw bytes or any decompressed view."""
    reachable = [("the file", data)] + [(view.where, view.data) for view in pdf_format.views(data)]
    return [(value, where) for value in values for where, blob in reachable
            if any(encoded in blob for encoded in encodings(value))]


def page_streams(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [page.Contents.read_bytes() for page in pdf.pages]


def call_never_crashes(function: Callable[[bytes], object], data: bytes, limit: float = 10.0) -> object:
    """Refused or a result, within a time bound; any other exception fails the test."""
    started = time.monotonic()
    try:
        result: object = function(data)
    except Refused as refusal:
        assert "\n" not in str(refusal) and str(refusal)
        result = refusal
    assert time.monotonic() - started < limit, f"{function.__name__} took too long"
    return result


@pytest.fixture(scope="module")
def planted() -> bytes:
    return build_planted_pdf()


@pytest.fixture(scope="module")
def cleaned(planted: bytes) -> bytes:
    return pdf_format.sanitize(planted)


@pytest.fixture(scope="module")
def findings(planted: bytes) -> list[Finding]:
    return pdf_format.inspect(planted)


# --- what inspect reports --------------------------------------------------------

EXPECTED_CATEGORIES = {
    "author": Category.PERSON, "creator": Category.SOFTWARE, "producer": Category.SOFTWARE,
    "title": Category.OTHER, "company": Category.PERSON, "xmp_creator": Category.PERSON,
    "xmp_tool": Category.SOFTWARE, "xmp_docid": Category.HIDDEN, "xmp_city": Category.LOCATION,
    "page_xmp_creator": Category.PERSON, "image_xmp_creator": Category.PERSON, "annot_author": Category.PERSON,
    "popup_author": Category.PERSON, "link_author": Category.PERSON, "annot_id": Category.HIDDEN,
    "rich_text": Category.HIDDEN, "attachment_name": Category.HIDDEN, "annot_file_name": Category.HIDDEN,
    "open_js": Category.HIDDEN, "named_js": Category.HIDDEN, "page_js": Category.HIDDEN, "launch": Category.HIDDEN,
    "banner": Category.SOFTWARE, "figure_path": Category.PERSON, "figure_author": Category.PERSON,
    "trailer_key": Category.HIDDEN, "pages_key": Category.HIDDEN, "signer": Category.PERSON,
    "sign_place": Category.LOCATION, "orphan_author": Category.PERSON, "thread_author": Category.PERSON,
    "old_author": Category.PERSON, "subject": Category.OTHER, "keywords": Category.OTHER,
    "source_url": Category.HIDDEN, "spider_url": Category.HIDDEN, "part_author": Category.PERSON,
}


def test_media_type_is_what_sniff_returns(planted: bytes) -> None:
    assert pdf_format.MEDIA_TYPES == (sniff(planted[:4096]),)


@pytest.mark.parametrize("key", sorted(EXPECTED_CATEGORIES))
def test_inspect_reports_each_planted_value_with_its_category(findings: list[Finding], key: str) -> None:
    matching = [f for f in findings if PLANTED[key] in f.value]
    assert matching, f"{key} not reported"
    assert {f.category for f in matching} == {EXPECTED_CATEGORIES[key]}, matching


def test_inspect_reports_dates_thumbnail_private_data_and_the_linking_id(findings: list[Finding]) -> None:
    fields = {(f.category, f.field) for f in findings}
    assert (Category.TIME, "CreationDate") in fields and (Category.TIME, "annotation modified") in fields
    assert (Category.TIME, "signing time") in fields and (Category.TIME, "LastModified") in fields
    assert (Category.HIDDEN, "page thumbnail") in fields
    assert (Category.HIDDEN, "application private data (PieceInfo)") in fields
    assert (Category.HIDDEN, "automatic actions (/AA)") in fields
    document_id = [f for f in findings if f.field == "document ID"]
    assert [f.value for f in document_id] == [PLANTED_ID.hex()] and document_id[0].where == "PDF trailer"


def test_author_left_in_an_earlier_revision_is_reported_there(findings: list[Finding]) -> None:
    old = [f for f in findings if f.value == PLANTED["old_author"]]
    assert [(f.category, f.field, f.where) for f in old] == [(Category.PERSON, "Author", "PDF revision 1")]
    history = [f for f in findings if f.field == "earlier revisions"]
    assert [f.value for f in history] == ["1 earlier version kept by incremental saving"]
    current = [f for f in findings if f.value == PLANTED["author"]]
    assert [f.where for f in current] == ["document info (/Info)"]


def test_updates_to_a_file_with_object_streams_are_found() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    _info(pdf, PLANTED["old_author"])
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    updated = append_revision(buffer.getvalue(), {"Author": PLANTED["author"]})
    findings = pdf_format.inspect(updated)
    assert any(f.value == PLANTED["old_author"] and f.where == "PDF revision 1" for f in findings)
    clean = pdf_format.sanitize(updated)
    assert pdf_format.inspect(clean) == [] and not leftovers(clean, [PLANTED["old_author"], PLANTED["author"]])


def test_a_linearized_file_is_not_mistaken_for_an_updated_one(planted: bytes) -> None:
    with pikepdf.open(io.BytesIO(pdf_format.sanitize(planted))) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, linearize=True)
    assert buffer.getvalue().count(b"%%EOF") == 2
    # Saving again gave the /ID a new second half (qpdf's clock): that alone is reported.
    assert [f.field for f in pdf_format.inspect(buffer.getvalue())] == ["document ID"]


def test_bytes_after_the_end_are_reported_and_dropped(planted: bytes) -> None:
    data = pdf_format.sanitize(planted) + b"PLANTED-TRAILING-GARBAGE-m1"
    assert [f.field for f in pdf_format.inspect(data)] == ["data after the end of the PDF"]
    clean = pdf_format.sanitize(data)
    assert pdf_format.inspect(clean) == [] and b"PLANTED-TRAILING" not in clean


# --- what sanitize leaves ----------------------------------------------------------


def test_no_planted_value_survives_anywhere(cleaned: bytes) -> None:
    assert leftovers(cleaned, list(PLANTED.values())) == []
    assert not leftovers(cleaned, [PLANTED_ID.hex(), "PLANTED"])


def test_planted_values_were_reachable_in_the_original(planted: bytes) -> None:
    """The check above means something: every value is there before cleaning."""
    found = {value for value, _ in leftovers(planted, list(PLANTED.values()))}
    assert found == set(PLANTED.values())


def test_clean_copy_inspects_empty_and_has_one_revision(cleaned: bytes) -> None:
    assert pdf_format.inspect(cleaned) == []
    assert cleaned.count(b"%%EOF") == 1 and cleaned.count(b"startxref") == 1
    assert len(re.findall(rb"(?<!start)xref\s", cleaned)) == 1
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root and "/Encrypt" not in pdf.trailer
        first, second = (bytes(part) for part in pdf.trailer.ID)
        assert first == second and first != PLANTED_ID and len(first) == 16
        assert set(pdf.trailer.keys()) == {"/Root", "/Size", "/ID"}


def test_sanitize_is_reproducible_and_idempotent(planted: bytes, cleaned: bytes) -> None:
    """No clock or randomness in the output: the same input gives the same bytes."""
    assert pdf_format.sanitize(planted) == cleaned
    assert pdf_format.sanitize(cleaned) == cleaned


def test_pages_text_and_images_are_unchanged(planted: bytes, cleaned: bytes) -> None:
    assert pdf_format.content(cleaned) == pdf_format.content(planted)
    assert pdf_format.content(planted)[0] == b"pages: 1"
    assert page_streams(cleaned) == page_streams(planted) == [CONTENT]
    with pikepdf.open(io.BytesIO(planted)) as before, pikepdf.open(io.BytesIO(cleaned)) as after:
        assert len(after.pages) == len(before.pages)
        image_before = before.pages[0].Resources.XObject.Im1.read_bytes()
        assert after.pages[0].Resources.XObject.Im1.read_bytes() == image_before
        assert after.pages[0].Resources.XObject.Fm1.read_bytes() == before.pages[0].Resources.XObject.Fm1.read_bytes()
        assert after.pages[0].Resources.Font.F1.BaseFont == Name.Helvetica


def test_content_covers_the_text_kept_outside_the_pages(planted: bytes) -> None:
    kept = b"\n".join(pdf_format.content(planted))
    for text in (b"Check this", b"https://example.org/kept-link", b"Chapter one, kept", b"Kept form value"):
        assert text in kept
    assert PLANTED["annot_author"].encode() not in kept and PLANTED["signer"].encode() not in kept


def test_a_title_repeated_in_a_bookmark_is_content_not_a_leftover() -> None:
    from intake import clean

    data = title_in_a_bookmark()
    cleaned = pdf_format.sanitize(data)
    clean.check_clean_copy(pdf_format, "application/pdf", data, cleaned, pdf_format.inspect(data))
    assert b"Quarterly Field Report" in cleaned


def test_links_comments_and_form_fields_stay(cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        annotations = list(pdf.pages[0].Annots)
        subtypes = [str(a.Subtype) for a in annotations]
        assert "/FileAttachment" not in subtypes and subtypes.count("/Link") == 2
        links = [a for a in annotations if a.Subtype == Name.Link and "/A" in a]
        assert [str(a.A.URI) for a in links] == ["https://example.org/kept-link"]
        note = next(a for a in annotations if a.Subtype == Name.Text)
        assert str(note.Contents) == "Check this" and "/T" not in note and "/Popup" in note
        signature = next(a for a in annotations if a.get("/FT") == Name.Sig)
        assert str(signature.T) == "Signature1" and "/V" not in signature
        text_field = next(a for a in annotations if a.get("/FT") == Name.Tx)
        assert str(text_field.T) == "Name" and str(text_field.V) == "Kept form value"
        assert str(pdf.Root.Outlines.First.Title) == "Chapter one, kept"
        # Scripts, attached files and the name trees holding them are gone with /Names.
        assert "/OpenAction" not in pdf.Root and "/Names" not in pdf.Root and "/AA" not in pdf.pages[0].obj


def test_pdftotext_reads_the_same_text(tmp_path: Path, planted: bytes, cleaned: bytes) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; content streams are compared instead")
    texts = []
    for name, data in (("before.pdf", planted), ("after.pdf", cleaned)):
        (tmp_path / name).write_bytes(data)
        texts.append(subprocess.run(["pdftotext", str(tmp_path / name), "-"], capture_output=True,
                                    timeout=60).stdout)
    assert texts[0] == texts[1] and TEXT.encode() in texts[1]


def test_the_clean_file_passes_a_structure_check(tmp_path: Path, cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert pdf.check_pdf_syntax() == []
    if shutil.which("qpdf") is not None:
        (tmp_path / "clean.pdf").write_bytes(cleaned)
        result = subprocess.run(["qpdf", "--check", str(tmp_path / "clean.pdf")], capture_output=True, timeout=60)
        assert result.returncode == 0, result.stdout


def test_exiftool_finds_nothing_identifying(tmp_path: Path, planted: bytes, cleaned: bytes) -> None:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed")
    found = {}
    for name, data in (("before.pdf", planted), ("after.pdf", cleaned)):
        (tmp_path / name).write_bytes(data)
        result = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee", str(tmp_path / name)],
                                capture_output=True, text=True, timeout=120)
        found[name] = json.loads(result.stdout)[0]
    assert found["before.pdf"]["PDF:Author"] == PLANTED["author"]  # exiftool does read these
    text = json.dumps(found["after.pdf"])
    assert "PLANTED" not in text
    identifying = [key for key in found["after.pdf"]
                   if re.search(r"XMP|GPS|Make|Model|Artist|Author|Creator|Producer|Title|Company", key)]
    assert identifying == []


# --- images inside the PDF ---------------------------------------------------------


def test_embedded_jpeg_loses_its_exif_and_keeps_its_pixels() -> None:
    from PIL import Image

    original = planted_jpeg()
    data = image_pdf(original, Name.DCTDecode, 32, 24)
    findings = pdf_format.inspect(data)
    gps = [f for f in findings if f.category == Category.LOCATION and f.field == "GPS position"]
    assert [f.value for f in gps] == ["46.635400, 32.616900"] and "image /Im0 on page 1" in gps[0].where
    assert any(f.value == "PLANTED-JPEG-ARTIST-j1" and f.category == Category.PERSON for f in findings)
    clean = pdf_format.sanitize(data)
    assert pdf_format.inspect(clean) == []
    values = ["PLANTED-JPEG-ARTIST-j1", "PlantedMake-j2", "SN-PLANTED-99812", "PLANTED-JPEG-COMMENT-j3"]
    assert leftovers(clean, values) == [] and len(leftovers(data, values)) >= len(values)
    assert pdf_format.content(clean) == pdf_format.content(data)
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        stored = pdf.pages[0].Resources.XObject.Im0.read_raw_bytes()
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_embedded_jpeg2000_loses_its_metadata_boxes_and_keeps_its_pixels() -> None:
    from PIL import Image, features

    if not features.check("jpg_2000"):
        pytest.skip("Pillow was built without JPEG 2000 support")
    original = planted_jpeg2000()
    data = image_pdf(original, Name.JPXDecode, 8, 8)
    findings = pdf_format.inspect(data)
    assert any(f.value == "PLANTED-JPX-XML-k1" and f.category == Category.PERSON for f in findings)
    assert any(f.value == "PLANTED-JPX-XMP-k2" and f.category == Category.PERSON for f in findings)
    assert any(f.field == "GeoJP2 georeference" and f.category == Category.LOCATION for f in findings)
    clean = pdf_format.sanitize(data)
    assert pdf_format.inspect(clean) == [] and b"PLANTED" not in clean
    assert pdf_format.content(clean) == pdf_format.content(data)
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        stored = pdf.pages[0].Resources.XObject.Im0.read_raw_bytes()
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_views_reach_compressed_streams(planted: bytes) -> None:
    with pikepdf.open(io.BytesIO(planted)) as pdf:
        private = Stream(pdf, zlib.compress(b"PLANTED-COMPRESSED-PRIVATE-n1"), Filter=Name.FlateDecode)
        pdf.pages[0].PieceInfo.Illustrator.Private = private
        buffer = io.BytesIO()
        pdf.save(buffer, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    data = buffer.getvalue()
    assert b"PLANTED-COMPRESSED-PRIVATE-n1" not in data
    assert any(b"PLANTED-COMPRESSED-PRIVATE-n1" in view.data for view in pdf_format.views(data))
    assert leftovers(pdf_format.sanitize(data), ["PLANTED-COMPRESSED-PRIVATE-n1"]) == []


def test_an_encrypted_pdf_without_a_password_is_cleaned_and_decrypted(planted: bytes) -> None:
    with pikepdf.open(io.BytesIO(planted)) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="owner secret", user="", R=6))
    clean = pdf_format.sanitize(buffer.getvalue())
    assert b"/Encrypt" not in clean and leftovers(clean, list(PLANTED.values())) == []
    assert pdf_format.content(clean) == pdf_format.content(planted)


def test_the_orchestrators_checks_pass(planted: bytes, cleaned: bytes) -> None:
    """intake.clean's own verification: clean inspect, same content, no removed value reachable."""
    from intake import clean
    from intake.formats import handler_for

    clean.check_clean_copy(pdf_format, "application/pdf", planted, cleaned, pdf_format.inspect(planted))
    assert handler_for("application/pdf") is pdf_format
    result = clean.clean_bytes(planted)
    assert result.data == cleaned and result.removed()["person"] >= 10


def test_data_hidden_after_a_compressed_stream_is_dropped() -> None:
    hidden = zlib.compress(b"BT ET") + b"PLANTED-AFTER-THE-DEFLATE-END-p1"
    data = simple_pdf([CATALOG, PAGES, PAGE, b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
                       % (len(hidden), hidden)])
    clean = pdf_format.sanitize(data)
    assert b"PLANTED-AFTER" not in clean and pdf_format.content(clean) == pdf_format.content(data)


# --- hostile and broken files ----------------------------------------------------------


def test_a_password_protected_pdf_is_refused(planted: bytes) -> None:
    with pikepdf.open(io.BytesIO(planted)) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="owner secret", user="user secret"))
    for function in (pdf_format.inspect, pdf_format.sanitize, pdf_format.views, pdf_format.content):
        with pytest.raises(Refused, match="encrypted with a password"):
            function(buffer.getvalue())


@pytest.mark.parametrize("data", [b"", b"%PDF-", b"%PDF-1.7\n", b"not a pdf at all", b"%PDF-1.4\n" + bytes(5000)])
def test_non_pdfs_and_stubs_are_refused(data: bytes) -> None:
    for function in (pdf_format.inspect, pdf_format.sanitize, pdf_format.views, pdf_format.content):
        with pytest.raises(Refused):
            function(data)


def test_truncated_files_are_refused_or_cleaned_never_crash(planted: bytes) -> None:
    for cut in range(0, len(planted), max(1, len(planted) // 150)):
        data = planted[:cut]
        findings = call_never_crashes(pdf_format.inspect, data)
        clean = call_never_crashes(pdf_format.sanitize, data)
        if isinstance(clean, bytes):  # qpdf repaired what was left: it must be clean all the same
            assert pdf_format.inspect(clean) == [] and isinstance(findings, list)
            assert leftovers(clean, list(PLANTED.values())) == []


def test_corrupted_bytes_are_refused_or_cleaned_never_crash(planted: bytes) -> None:
    rng = random.Random(20240405)
    for _ in range(60):
        data = bytearray(planted)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        for function in (pdf_format.inspect, pdf_format.views, pdf_format.content):
            call_never_crashes(function, bytes(data))
        clean = call_never_crashes(pdf_format.sanitize, bytes(data))
        if isinstance(clean, bytes):
            assert pdf_format.inspect(clean) == []


MALFORMED = {
    "page tree loop": simple_pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>", PAGE, EMPTY_STREAM]),
    "parent loop": simple_pdf([CATALOG, b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1 >>",
                               b"<< /Type /Page /Parent 3 0 R >>", EMPTY_STREAM]),
    "action chain loop": simple_pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE, EMPTY_STREAM,
                                     b"<< /S /JavaScript /JS (x) /Next [5 0 R 6 0 R] >>",
                                     b"<< /S /Launch /F (PLANTED-LOOP-LAUNCH) /Next 5 0 R >>"]),
    "outline loop": simple_pdf([b"<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R >>", PAGES, PAGE, EMPTY_STREAM,
                                b"<< /First 6 0 R /Last 6 0 R >>",
                                b"<< /Title (a) /Parent 5 0 R /Next 6 0 R /First 6 0 R /Dest [3 0 R /Fit] >>"]),
    "self-referencing dictionary": simple_pdf([b"<< /Type /Catalog /Pages 2 0 R /X 1 0 R >>", PAGES, PAGE,
                                               EMPTY_STREAM]),
    "deeply nested arrays": simple_pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 50000 + b"]" * 50000 + b" >>",
                                        PAGES, PAGE, EMPTY_STREAM]),
    "deeply nested dictionaries": simple_pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"<< /A " * 450 + b"1"
                                              + b" >>" * 450 + b" >>", PAGES, PAGE, EMPTY_STREAM]),
    "xref garbage": simple_pdf([CATALOG, PAGES, PAGE, EMPTY_STREAM]).replace(b"xref\n0 5", b"xref\n0 999999999"),
    "xref offsets wrong": re.sub(rb"\d{10} 00000 n", b"0000000003 00000 n",
                                simple_pdf([CATALOG, PAGES, PAGE, EMPTY_STREAM])),
    "no root": simple_pdf([PAGES]).replace(b"/Root 1 0 R", b"/Root 9 0 R"),
    "root is a number": simple_pdf([b"42"]),
    "huge xref stream": b"%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 2000000000 /W [0 0 0] /Root 2 0 R /Length 0 >>\n"
                        b"stream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n",
    "wrong stream length": simple_pdf([CATALOG, PAGES, PAGE, b"<< /Length 99999 >>\nstream\nBT ET\nendstream"]),
    "huge predictor row": simple_pdf([CATALOG, PAGES, PAGE, b"<< /Length 8 /Filter /FlateDecode /DecodeParms "
                                      b"<< /Predictor 12 /Columns 100000000 /Colors 4 /BitsPerComponent 16 >> >>\n"
                                      b"stream\n" + zlib.compress(b"")[:8] + b"\nendstream"]),
    "corrupt flate data": simple_pdf([CATALOG, PAGES, PAGE, b"<< /Length 3 /Filter /FlateDecode >>\nstream\nabc\nendstream"]),
    "bad filter": simple_pdf([CATALOG, PAGES, PAGE, b"<< /Length 3 /Filter [/FlateDecode 7] >>\nstream\nabc\nendstream"]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_structures_are_refused_or_cleaned_never_crash(name: str) -> None:
    data = MALFORMED[name]
    for function in (pdf_format.inspect, pdf_format.views, pdf_format.content):
        call_never_crashes(function, data)
    clean = call_never_crashes(pdf_format.sanitize, data)
    if isinstance(clean, bytes):
        assert pdf_format.inspect(clean) == [] and b"PLANTED" not in clean and b"JavaScript" not in clean


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return flate_bomb(300, 1)  # 300 MiB of zeros, over the 256 MiB stream cap


@pytest.mark.parametrize("layers", [1, 2])
def test_decompression_bombs_are_refused(bomb: bytes, layers: int) -> None:
    compressed = bomb if layers == 1 else zlib.compress(bomb, 9)
    data = simple_pdf([CATALOG, PAGES, PAGE, stream_object(compressed, layers)])
    for function in (pdf_format.sanitize, pdf_format.views, pdf_format.content):
        result = call_never_crashes(function, data, limit=20)
        assert isinstance(result, Refused) and "decompression bomb" in str(result)


def test_many_small_streams_are_capped_in_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_decoding, "MAX_TOTAL_BYTES", 3 << 20)
    streams = [stream_object(flate_bomb(1, 1), 1) for _ in range(6)]  # 6 MiB in all
    kids = " ".join(f"{number} 0 R" for number in range(5, 5 + len(streams))).encode()
    data = simple_pdf([CATALOG, PAGES, PAGE.replace(b"/Contents 4 0 R", b"/Contents [" + kids + b"]"), EMPTY_STREAM,
                       *streams])
    for function in (pdf_format.views, pdf_format.content):
        with pytest.raises(Refused, match="1 GiB|decompression bomb"):
            function(data)


def test_cleaning_parses_the_original_and_the_clean_copy_once_each(tmp_path: Path, monkeypatch) -> None:
    """Issue 15, item 6: qpdf parses the letter, its earlier revision and the clean copy, once
    each, whether it is cleaned in memory (add) or by stream (sanitize); it was 9 parses."""
    from intake import clean, samples

    letter = samples.letter()
    opened: list[int] = []
    real_open = pikepdf.open

    def counted_open(*args, **kwargs):  # the real qpdf parse, counted
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(pikepdf, "open", counted_open)
    in_memory = clean.clean_bytes(letter)
    assert len(opened) == 3
    original = tmp_path / "letter.pdf"
    original.write_bytes(letter)
    opened.clear()
    with original.open("rb") as source, (tmp_path / "clean.pdf").open("w+b") as out:
        clean.clean_file(source, out)
    assert len(opened) == 3
    assert (tmp_path / "clean.pdf").read_bytes() == in_memory.data
