"""intake.formats.shared.icc: parsing, the standard-profile decision, neutralising and findings.

Profiles are built here byte by byte (plus LittleCMS's sRGB through Pillow),
so each test says exactly what the profile holds.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess

import pytest
from hypothesis import given, settings, strategies as st
from PIL import ImageCms

from intake.formats.shared import icc
from intake.formats.base import Category, Finding
from intake.errors import BadProfile, Refused
from icc_builders import DATE, XYZ, desc_tag, mluc_tag, profile, text_tag

WHERE = "test profile"


def lcms_srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


NON_COLOUR_HEADER = [(4, 8), (24, 36), (40, 44), (48, 64), (80, 128)]


def colour_header(data: bytes) -> bytes:
    """The header bytes neutralising must leave alone."""
    return data[:4] + data[8:24] + data[36:40] + data[44:48] + data[64:80]


# --- recognised standard profiles are kept, neutralised ---------------------------------------

@pytest.mark.parametrize("data", [profile(), lcms_srgb()], ids=["HP sRGB v2", "LittleCMS sRGB v4"])
def test_standard_srgb_is_kept_with_its_header_zeroed(data: bytes) -> None:
    assert icc.is_standard(data)
    kept, findings = icc.review(data, WHERE)
    assert kept is not None and len(kept) == len(data)
    for start, end in NON_COLOUR_HEADER:
        assert kept[start:end] == bytes(end - start)
    assert colour_header(kept) == colour_header(data) and kept[128:] == data[128:]
    # What zeroing removes is reported: the date as time, the publisher's header fields as "other".
    date = next(f for f in findings if f.field == "ICC profile creation date")
    assert date.category is Category.TIME and date.where == WHERE
    assert {f.category for f in findings} <= {Category.TIME, Category.OTHER}
    # Kept once, kept the same: nothing more to report or change.
    assert icc.is_standard(kept) and icc.review(kept, WHERE) == (kept, [])


def test_hp_srgb_findings_name_each_zeroed_field() -> None:
    _, findings = icc.review(profile(), WHERE)
    assert findings == [
        Finding(Category.OTHER, "ICC preferred colour engine", "Lino", WHERE),
        Finding(Category.TIME, "ICC profile creation date", "2019-07-04 13:37:00", WHERE),
        Finding(Category.OTHER, "ICC platform", "MSFT", WHERE),
        Finding(Category.OTHER, "ICC device manufacturer", "IEC", WHERE),
        Finding(Category.OTHER, "ICC device model", "sRGB", WHERE),
        Finding(Category.OTHER, "ICC profile creator", "HP", WHERE),
    ]


def test_descriptions_match_ignoring_case_and_spacing_only() -> None:
    assert icc.is_standard(profile(" srgb  IEC61966-2.1 "))
    assert icc.is_standard(profile("Display P3"))
    assert not icc.is_standard(profile("sRGB IEC61966-2.1 (Olga)"))
    # KELVIN SIGN lower-cases to "k": a look-alike must not pass as "black scaled".
    look_alike = mluc_tag("sRGB IEC61966-2-1 blac\u212a scaled")
    assert not icc.is_standard(profile(tags=[(b"desc", look_alike), (b"wtpt", XYZ)]))
    assert icc.is_standard(profile(tags=[(b"desc", mluc_tag("sRGB IEC61966-2-1 black scaled")), (b"wtpt", XYZ)]))
    assert icc.normalise("blac\u212a") is None


def test_bytes_between_the_tags_are_not_tolerated() -> None:
    data = bytearray(profile())
    last = icc.parse(bytes(data)).tags[-1]
    data[last.offset - 1] = 0x50  # the alignment byte before the last tag
    assert not icc.is_standard(bytes(data))
    kept, findings = icc.review(bytes(data), WHERE)
    assert kept is None
    assert Finding(Category.HIDDEN, "data between the ICC profile's tags", "1 non-zero bytes", WHERE) in findings


def test_zero_padding_is_tolerated_other_trailing_bytes_are_not() -> None:
    data = profile()
    assert icc.is_standard(data + bytes(3))
    assert not icc.is_standard(data + bytes(4))
    assert not icc.is_standard(data + b"PLANTED")
    kept, findings = icc.review(data + b"PLANTED", WHERE)
    assert kept is None and Finding(Category.HIDDEN, "bytes after the ICC profile", "7 bytes", WHERE) in findings


# --- anything else is rejected, with findings ---------------------------------------------------

def test_personal_description_is_rejected_with_findings() -> None:
    data = profile("Olga's MacBook Pro (calibrated 2019-07-04)", extra=[(b"cprt", text_tag("Olga Petrenko"))],
                   tags=[(b"desc", desc_tag("Olga's MacBook Pro (calibrated 2019-07-04)")), (b"wtpt", XYZ)],
                   maker=b"APPLY2K7", engine=b"appl", creator=b"Olga")
    assert not icc.is_standard(data)
    kept, findings = icc.review(data, WHERE)
    assert kept is None and findings == icc.dropped_findings(data, WHERE)
    shown = {(f.category, f.field, f.value) for f in findings}
    assert {(Category.DEVICE, "ICC colour profile", "Olga's MacBook Pro (calibrated 2019-07-04)"),
            (Category.PERSON, "ICC profile copyright", "Olga Petrenko"),
            (Category.DEVICE, "ICC device manufacturer", "APPL"),
            (Category.DEVICE, "ICC device model", "Y2K7"),
            (Category.SOFTWARE, "ICC profile creator", "Olga"),
            (Category.TIME, "ICC profile creation date", "2019-07-04 13:37:00")} <= shown


@pytest.mark.parametrize("data,planted", [
    (profile(extra=[(b"mmod", b"mmod" + bytes(4) + b"PLANTED-MODEL-77d0")]), None),   # Apple's make and model tag
    (profile(extra=[(b"calt", b"dtim" + bytes(4) + struct.pack(">6H", *DATE))]), None),  # a calibration date
    (profile(extra=[(b"zzzz", text_tag("PLANTED-PRIVATE-TEXT"))]), "PLANTED-PRIVATE-TEXT"),
    (profile(extra=[(b"vued", desc_tag("PLANTED-VIEWING-ROOM"))]), "PLANTED-VIEWING-ROOM"),
    (profile(extra=[(b"targ", text_tag("PLANTED-TARGET"))]), "PLANTED-TARGET"),
    (profile(extra=[(b"wtpt", XYZ)]), None),  # the same tag twice: which one counts?
    (profile(tags=[(b"desc", desc_tag("sRGB IEC61966-2.1")), (b"wtpt", text_tag("PLANTED-IN-A-COLOUR-TAG"))]),
     "PLANTED-IN-A-COLOUR-TAG"),
    (profile(tags=[(b"desc", desc_tag("sRGB IEC61966-2.1", "PLANTED-UNICODE-PART")), (b"wtpt", XYZ)]),
     "PLANTED-UNICODE-PART"),
    (profile(tags=[(b"desc", mluc_tag("sRGB IEC61966-2.1", "PLANTED-SECOND-LANGUAGE")), (b"wtpt", XYZ)]),
     "PLANTED-SECOND-LANGUAGE"),
    (profile(tags=[(b"desc", desc_tag("sRGB IEC61966-2.1")), (b"wtpt", XYZ),
                   (b"dmdd", desc_tag("PLANTED-MONITOR-SERIAL-4411"))]), "PLANTED-MONITOR-SERIAL-4411"),
    (profile(tags=[(b"cprt", text_tag("Public domain")), (b"wtpt", XYZ)]), None),  # no description at all
], ids=["mmod", "calt", "private text", "vued", "targ", "twice", "text in wtpt", "desc unicode", "mluc",
        "dmdd", "no desc"])
def test_standard_description_with_anything_else_is_rejected(data: bytes, planted: str | None) -> None:
    assert not icc.is_standard(data)
    kept, findings = icc.review(data, WHERE)
    assert kept is None and findings
    if planted is not None:
        assert planted in {f.value for f in findings}


# --- malformed input: BadProfile from parse, never anything else -------------------------------

def with_count(data: bytes, count: int) -> bytes:
    return data[:128] + struct.pack(">I", count) + data[132:]


def with_entry(data: bytes, index: int, offset: int, size: int) -> bytes:
    at = 132 + 12 * index
    return data[:at + 4] + struct.pack(">II", offset, size) + data[at + 12:]


def with_size(data: bytes, size: int) -> bytes:
    return struct.pack(">I", size) + data[4:]


GOOD = profile()
MALFORMED = {
    "empty": b"",
    "header only": GOOD[:128],
    "no acsp": GOOD[:36] + b"xxxx" + GOOD[40:],
    "count past the data": with_count(GOOD, 0xFFFFFFFF),
    "count past the declared size": with_count(GOOD, (len(GOOD) - 132) // 12 + 1),
    "count over the limit": with_count(GOOD + bytes(12 * 300), 300),
    "tag past the end": with_entry(GOOD, 0, len(GOOD) - 4, 64),
    "tag size overflows": with_entry(GOOD, 0, 200, 0xFFFFFFFF),
    "tag offset overflows": with_entry(GOOD, 0, 0xFFFFFFF0, 0x20),
    "tag inside the table": with_entry(GOOD, 0, 132, 12),
    "tag too short": with_entry(GOOD, 0, 300, 4),
    "declared size past the data": with_size(GOOD, len(GOOD) + 1),
    "declared size inside the table": with_size(GOOD, 140),
    "tag past the declared size": with_size(GOOD, len(GOOD) - 16),
}


@pytest.mark.parametrize("data", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_profiles_are_refused_by_parse_and_reported_as_unreadable(data: bytes) -> None:
    with pytest.raises(BadProfile):
        icc.parse(data)
    with pytest.raises(BadProfile):
        icc.rebuild(data, WHERE)
    assert issubclass(BadProfile, Refused)  # uncaught, it refuses the file: fails closed
    assert not icc.is_standard(data) and icc.description(data) == ""
    expected = [Finding(Category.HIDDEN, "ICC colour profile", f"unreadable profile, {len(data)} bytes", WHERE)]
    assert icc.review(data, WHERE) == (None, expected)
    assert icc.dropped_findings(data, WHERE) == expected


def test_every_truncation_is_handled() -> None:
    for cut in range(len(GOOD)):
        _never_raises(GOOD[:cut])


def test_text_tags_with_absurd_counts_stay_inside_their_data() -> None:
    mluc = b"mluc\0\0\0\0" + struct.pack(">II", 0xFFFFFFFF, 12) + b"enUS" + struct.pack(">II", 0xFFFFFFF0, 0xFFFFFFF0)
    desc = b"desc\0\0\0\0" + struct.pack(">I", 0xFFFFFFFF) + b"sRGB"
    for tags in ([(b"desc", mluc), (b"wtpt", XYZ)], [(b"desc", desc), (b"wtpt", XYZ)]):
        data = profile(tags=tags)
        icc.parse(data)
        _never_raises(data)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_profiles_never_raise_anything_but_bad_profile(data: st.DataObject) -> None:
    corrupted = bytearray(data.draw(st.sampled_from([GOOD, lcms_srgb()])))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(corrupted) - 1))
        corrupted[position] = data.draw(st.integers(0, 255))
    _never_raises(bytes(corrupted))


def _never_raises(data: bytes) -> None:
    try:
        icc.parse(data)
    except BadProfile:
        pass
    try:
        rebuilt, _ = icc.rebuild(data, WHERE)
        icc.parse(rebuilt)
    except BadProfile:
        pass
    kept, findings = icc.review(data, WHERE)
    assert findings or kept is not None
    icc.dropped_findings(data, WHERE)
    icc.description(data)
    if kept is not None:  # whatever is kept is standard, and stays so
        assert icc.is_standard(kept) and icc.review(kept, WHERE) == (kept, [])


# --- rebuilding (JPEG's switched-off keep path) -------------------------------------------------

@pytest.mark.parametrize("version", [2, 4])
def test_rebuild_keeps_colour_tags_and_a_fresh_description_only(version: int) -> None:
    data = bytearray(profile("Display P3", extra=[(b"zzzz", text_tag("PLANTED-PRIVATE-TEXT")),
                                                  (b"yyyy", XYZ)]))
    data[8] = version
    rebuilt, findings = icc.rebuild(bytes(data), WHERE)
    parsed = icc.parse(rebuilt)
    assert parsed.description == "Display P3" and parsed.version == version
    assert [t.signature for t in parsed.tags] == [b"desc", b"wtpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC",
                                                  b"bTRC"]
    for start, end in NON_COLOUR_HEADER:
        assert rebuilt[start:end] == bytes(end - start)
    assert b"PLANTED" not in rebuilt and b"Hewlett" not in rebuilt
    shown = {(f.field, f.value) for f in findings}
    assert {("ICC zzzz text", "PLANTED-PRIVATE-TEXT"), ("ICC tag", "yyyy"),
            ("ICC profile creation date", "2019-07-04 13:37:00")} <= shown
    assert "Display P3" not in {value for _, value in shown}


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs exiftool to write the XMP")
@pytest.mark.parametrize("kind", ["PNG", "TIFF", "WEBP"])
def test_a_removed_profile_name_left_inside_the_kept_standard_profile_does_not_refuse(kind: str, tmp_path) -> None:
    """XMP names the profile ("sRGB IEC61966-2.1") and is removed; the same words stay inside the
    standard profile that is kept. They identify no one: the file is cleaned, not refused."""
    from PIL import Image

    from intake.clean import clean_bytes

    path = tmp_path / f"photo.{kind.lower()}"
    Image.new("RGB", (32, 24), (120, 30, 60)).save(path, kind, icc_profile=profile())
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-photoshop:ICCProfileName=sRGB IEC61966-2.1",
                    "-XMP-dc:Creator=Planted Roe", str(path)], check=True)
    cleaned = clean_bytes(path.read_bytes())
    assert b"Planted Roe" not in cleaned.data
    kept = Image.open(io.BytesIO(cleaned.data)).info.get("icc_profile", b"")
    assert b"sRGB IEC61966-2.1" in kept
