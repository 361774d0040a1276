"""The zip layer shared by OOXML and OpenDocument: hostile zips refused, clean zips blank.

These tests call intake.formats.shared.zippkg directly, with zips built by hand
(zipfile, then byte patches for what zipfile will not write), so that a
refusal is known to come from the zip layer and not from a format's checks.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from intake.formats import ooxml
from intake.formats.shared import zippkg
from intake.formats.base import Category, Finding
from intake.errors import Refused

ODT = b"application/vnd.oasis.opendocument.text"
LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 0  # no file-system attributes: nothing to report but what a test plants
            archive.writestr(info, data, compression)
            info.external_attr = 0  # writestr sets 0o600; the central directory is written from `info` at close
    return buffer.getvalue()


def offsets(data: bytes, signature: bytes) -> list[int]:
    found, start = [], 0
    while (start := data.find(signature, start)) >= 0:
        found.append(start)
        start += 4
    return found


def refusal(data: bytes) -> str:
    with pytest.raises(Refused) as caught:
        zippkg.read_zip(data)
    return str(caught.value)


# --- reading: names --------------------------------------------------------------

@pytest.mark.parametrize("name", ["../evil.xml", "word/../../evil.xml", "word/..", "..", "./x.xml", "word/./x.xml",
                                  "word//x.xml"])
def test_path_traversal_is_refused(name: str) -> None:
    assert "unsafe zip member name" in refusal(make_zip({"ok.xml": b"<x/>", name: b"<x/>"}))


@pytest.mark.parametrize("name", ["/etc/passwd", "/", "C:/Windows/evil.xml", "c:evil.xml", "\\\\server\\share\\x"])
def test_absolute_names_are_refused(name: str) -> None:
    assert "unsafe zip member name" in refusal(make_zip({name: b"x"}))


@pytest.mark.parametrize("name", ["word\\evil.xml", "\\evil.xml", "word/sub\\..\\..\\evil.xml"])
def test_backslashes_are_refused(name: str) -> None:
    assert "unsafe zip member name" in refusal(make_zip({name: b"x"}))


def test_a_name_cut_short_by_a_nul_byte_is_refused() -> None:
    data = make_zip({"good.xmlXevil": b"<x/>"}).replace(b"good.xmlXevil", b"good.xml\x00evil")
    assert "unsafe zip member name" in refusal(data)


def test_folder_entries_and_nested_names_are_accepted() -> None:
    members, _ = zippkg.read_zip(make_zip({"word/": b"", "word/media/a.xml": b"<a/>", "[Content_Types].xml": b"<T/>"}))
    assert [member.name for member in members] == ["word/", "word/media/a.xml", "[Content_Types].xml"]
    files, findings = zippkg.read_files(make_zip({"word/": b"", "word/a.xml": b"<a/>", "b.xml": b"<b/>"}))
    assert list(files) == ["word/a.xml", "b.xml"] and files["b.xml"] == b"<b/>" and findings == []


@pytest.mark.parametrize("second", ["a.xml", "A.XML", "A.xml"])
def test_duplicate_names_are_refused_case_insensitively(second: str) -> None:
    # Patched in after writing: zipfile warns about an exact duplicate, and both must be refused alike.
    data = make_zip({"a.xml": b"<a/>", "b.xml": b"<b/>"}).replace(b"b.xml", second.encode())
    assert f"duplicate zip member {second}" in refusal(data)


# --- reading: members --------------------------------------------------------------

@pytest.mark.parametrize("flag", [0x01, 0x40])
def test_encrypted_member_flag_is_refused(flag: int) -> None:
    data = bytearray(make_zip({"a.xml": b"<a/>", "b.xml": b"<b/>"}))
    for signature, flag_offset in ((LOCAL, 6), (CENTRAL, 8)):
        for start in offsets(bytes(data), signature)[1:]:  # the second member only
            data[start + flag_offset] |= flag
    assert "encrypted zip member b.xml" in refusal(bytes(data))


def test_unsupported_compression_is_refused() -> None:
    assert "unsupported zip compression" in refusal(make_zip({"a.xml": b"<a/>" * 50}, zipfile.ZIP_BZIP2))


def test_too_many_members_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zippkg, "MAX_MEMBERS", 3)
    members, _ = zippkg.read_zip(make_zip({f"m{index}": b"" for index in range(3)}))
    assert len(members) == 3
    assert "more than 3 zip members" in refusal(make_zip({f"m{index}": b"" for index in range(4)}))


def test_too_many_members_at_the_real_limit_are_refused() -> None:
    assert f"more than {zippkg.MAX_MEMBERS}" in refusal(make_zip({f"m{i}": b"" for i in range(zippkg.MAX_MEMBERS + 1)},
                                                                 zipfile.ZIP_STORED))


def test_bomb_ratio_is_refused_above_the_floor_only() -> None:
    at_floor = b"\x00" * zippkg.RATIO_FLOOR  # compresses a thousandfold, but too small to be a bomb
    members, _ = zippkg.read_zip(make_zip({"cells.xml": at_floor}))
    assert members[0].data == at_floor
    message = refusal(make_zip({"bomb.xml": at_floor + b"\x00"}))
    assert "bomb.xml" in message and "zip bomb" in message
    # Stored, the same bytes are no bomb: the ratio is 1.
    assert zippkg.read_zip(make_zip({"big.bin": at_floor * 2}, zipfile.ZIP_STORED))[0][0].data == at_floor * 2


def test_declared_member_size_is_capped() -> None:
    """Each member is read whole when it is cleaned: one declared over 64 MiB is refused unread."""
    data = bytearray(make_zip({"a.xml": b"<a/>"}))
    central = offsets(bytes(data), CENTRAL)[0]
    data[central + 24:central + 28] = struct.pack("<I", 600 * 1024 * 1024)  # uncompressed size, a lie
    assert refusal(bytes(data)) == "zip member a.xml expands to more than 64 MiB (each member is read whole to be cleaned)"


def test_declared_total_of_the_held_members_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The small members are held in memory: their declared total is capped; the big ones, read
    one at a time, count only against the member cap."""
    monkeypatch.setattr(zippkg, "HELD_SIZE", 100)
    monkeypatch.setattr(zippkg, "MAX_TOTAL_SIZE", 250)
    assert len(zippkg.read_zip(make_zip({"a": b"a" * 100, "b": b"b" * 100, "big": b"c" * 1000}))[0]) == 3
    message = refusal(make_zip({"a": b"a" * 100, "b": b"b" * 100, "c": b"c" * 100}))
    assert message == "zip members under 0 MiB expand to more than 0 MiB in total"


def test_member_that_lies_about_its_size_is_refused() -> None:
    data = bytearray(make_zip({"a.xml": b"<a>some text</a>"}, zipfile.ZIP_STORED))
    for start, size_offset in ((offsets(bytes(data), LOCAL)[0], 22), (offsets(bytes(data), CENTRAL)[0], 24)):
        data[start + size_offset:start + size_offset + 4] = struct.pack("<I", 5)
    assert "a.xml" in refusal(bytes(data))


def test_overlapping_members_are_refused() -> None:
    """The overlapping-entry bomb: one member's local header and data lie inside another member's data."""
    inner = make_zip({"b.txt": b"hello"}, zipfile.ZIP_STORED)
    inner_entry = inner[:offsets(inner, CENTRAL)[0]]  # local header and data of b.txt, nothing else
    data = bytearray(make_zip({"a.bin": inner_entry, "b.txt": b"hello"}, zipfile.ZIP_STORED))
    central_b = offsets(bytes(data), CENTRAL)[1]
    data[central_b + 42:central_b + 46] = struct.pack("<I", bytes(data).find(inner_entry))
    message = refusal(bytes(data))
    # Newer Pythons' zipfile notices the overlap itself when a.bin is read ("damaged"); older ones do not.
    assert "overlapping" in message or message == "damaged zip member a.bin"


def test_not_a_zip_is_refused() -> None:
    assert "not a readable zip package" in refusal(b"PK\x03\x04 not really a zip")


# --- reading: what the zip says about its maker ---------------------------------------

def test_trailing_and_leading_bytes_are_reported() -> None:
    clean = make_zip({"a.xml": b"<a/>"})
    assert zippkg.read_zip(clean)[1] == []
    for data, count in ((clean + b"TRAILER", 7), (b"PREFIX!!" + clean, 8), (b"PRE" + clean + b"TRAIL", 8)):
        members, findings = zippkg.read_zip(data)
        assert members == [zippkg.Member("a.xml", b"<a/>")]
        assert Finding(Category.HIDDEN, "bytes outside the zip members", f"{count} bytes", zippkg.ZIP_WHERE) in findings


def test_dates_comments_extra_fields_and_attributes_are_reported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("a.xml", date_time=(2023, 5, 6, 7, 8, 9))
        info.extra = struct.pack("<HHBI", 0x5455, 5, 1, 1683356889)
        info.comment = b"entry note"
        info.external_attr = 0o644 << 16
        archive.writestr(info, b"<a/>")
        archive.comment = b"archive note"
    findings = {(f.category, f.field): f.value for f in zippkg.read_zip(buffer.getvalue())[1]}
    assert findings[Category.TIME, "zip entry dates"] == "2023-05-06 07:08:08"  # DOS time has 2-second steps
    assert findings[Category.HIDDEN, "zip comment"] == "archive note"
    assert findings[Category.HIDDEN, "zip entry comment"] == "entry note"
    assert findings[Category.TIME, "zip extended timestamps"] == "2 fields"  # central and local copy
    assert (Category.OTHER, "zip file-system attributes") in findings


# --- writing ---------------------------------------------------------------------------

MEMBERS = [("mimetype", ODT), ("content.xml", b"<office:document-content/>" * 20), ("Pictures/a.png", b"\x89PNG" * 9)]


def written() -> bytes:
    return zippkg.write_zip(MEMBERS, stored="mimetype")


def test_writer_timestamps_are_1980_01_01() -> None:
    data = written()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [info.date_time for info in infos] == [(1980, 1, 1, 0, 0, 0)] * len(MEMBERS)
    for start in offsets(data, LOCAL):
        assert struct.unpack_from("<HH", data, start + 10) == (0, (0 << 9) | (1 << 5) | 1)  # DOS time, date
    for start in offsets(data, CENTRAL):
        assert struct.unpack_from("<HH", data, start + 12) == (0, (1 << 5) | 1)


def test_writer_writes_no_extra_fields_comments_or_attributes() -> None:
    data = written()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.comment == b""
    for info in archive.infolist():
        assert (info.extra, info.comment, info.create_system, info.external_attr) == (b"", b"", 0, 0)
    for start in offsets(data, LOCAL):
        assert struct.unpack_from("<H", data, start + 28)[0] == 0  # local extra field length
    assert zippkg.read_zip(data)[1] == []  # nothing left for the reader to report


def test_writer_puts_mimetype_first_and_stored() -> None:
    data = written()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [info.filename for info in infos] == [name for name, _ in MEMBERS]
    assert [info.compress_type for info in infos] == [zipfile.ZIP_STORED] + [zipfile.ZIP_DEFLATED] * 2
    # ODF readers find the media type at a fixed offset: right after the first local header.
    assert data[:4] == LOCAL and data[30:38] == b"mimetype" and data[38:38 + len(ODT)] == ODT


def test_writer_is_deterministic_and_round_trips() -> None:
    assert written() == written()
    members, findings = zippkg.read_zip(written())
    assert [(member.name, member.data) for member in members] == MEMBERS and findings == []
    plain = zipfile.ZipFile(io.BytesIO(zippkg.write_zip(MEMBERS)))
    assert {info.compress_type for info in plain.infolist()} == {zipfile.ZIP_DEFLATED}


# --- guarded ---------------------------------------------------------------------------

def test_guarded_turns_library_errors_into_refusals() -> None:
    @zippkg.guarded
    def broken(data: bytes) -> None:
        zipfile.ZipFile(io.BytesIO(data))

    with pytest.raises(Refused, match=r"malformed document \(BadZipFile\)"):
        broken(b"nothing")
    with pytest.raises(Refused, match="not a readable zip package"):
        ooxml.parse_file(b"nothing")  # zippkg.open_package
