"""HEIC/HEIF/AVIF cleaning: item surgery that removes EXIF, XMP, thumbnails and
auxiliary images and keeps the primary image's coded bytes unchanged.

Fixtures are made here: pictures encoded by pillow-heif (HEIC) and Pillow
(AVIF), tagged by exiftool, and files assembled box by box around
pillow-heif's coded images (grids, depth maps, mattes, hostile structures).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from intake.clean import clean_bytes
from intake.formats.base import Category
from intake.errors import Refused
from intake.formats.isobmff import heif
from intake.formats.isobmff.boxes import box_bytes, full_box_payload
from intake.formats.shared import icc
from intake.support.sniff import sniff_bytes
from planted import assert_absent, has, located_clip, sef_block

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import exiftool_judge  # noqa: E402
from heif_builders import ARTIST, Build, Coded, GAIN_MAP_TOOLKIT, GAIN_MAP_URN, Part, XMP_CREATOR, aux, coded, encoded, hdr_build, ispe, item_bytes, picture, tiff_with_artist

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

MAKE = "PLANTED-MAKE-c41e"
MODEL = "PLANTED-MODEL-5d20"
SOFTWARE = "PLANTED-SOFTWARE-e7b1"
XMP_CITY = "PLANTED-XMP-CITY-77c3"
TAKEN = "2031:07:14 03:21:09"
PADDING = "PLANTED-FREE-BOX-31aa"
DEPTH_XMP = "PLANTED-DEPTH-XMP-0d4e"
ITEM_NAME = "PLANTED-ITEM-NAME-9a0c"
UNKNOWN_BOX = "PLANTED-UUID-BOX-44d1"
PLANTED = [MAKE, MODEL, SOFTWARE, ARTIST, XMP_CREATOR, XMP_CITY, TAKEN]
needs_exiftool = pytest.mark.skipif(not exiftool_judge.AVAILABLE, reason="exiftool is not installed")


def tag_with_exiftool(data: bytes, tmp_path: Path, suffix: str) -> bytes:
    path = tmp_path / f"tagged.{suffix}"
    path.write_bytes(data)
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-Make={MAKE}", f"-Model={MODEL}",
                    f"-Software={SOFTWARE}", f"-Artist={ARTIST}", f"-DateTimeOriginal={TAKEN}",
                    "-GPSLatitude=46.6354", "-GPSLatitudeRef=N", "-GPSLongitude=32.6169", "-GPSLongitudeRef=E",
                    f"-XMP-dc:Creator={XMP_CREATOR}", f"-XMP-photoshop:City={XMP_CITY}", str(path)],
                   check=True, capture_output=True)
    return path.read_bytes()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.mode, image.size, image.tobytes()


def assert_clean(data: bytes, clean: bytes, planted: list[str], tmp_path: Path, suffix: str = "heic") -> None:
    assert heif.inspect(clean) == []
    assert heif.content(clean) == heif.content(data)
    assert_absent(heif, clean, planted)
    assert pixels(clean) == pixels(data)
    if exiftool_judge.AVAILABLE:
        path = tmp_path / f"clean.{suffix}"
        path.write_bytes(clean)
        assert exiftool_judge.identifying(path) == {}


# ---------------------------------------------------------------- files from encoders, tagged by exiftool


@needs_exiftool
def test_heic_with_exif_xmp_gps_and_thumbnail_is_cleaned_pixel_identical(tmp_path: Path) -> None:
    original = tag_with_exiftool(encoded(picture(96, 64), thumbnails=[32]), tmp_path, "heic")
    findings = heif.inspect(original)
    assert has(findings, Category.LOCATION, "46.635400, 32.616900")
    assert has(findings, Category.DEVICE, MAKE) and has(findings, Category.DEVICE, MODEL)
    assert has(findings, Category.SOFTWARE, SOFTWARE) and has(findings, Category.TIME, TAKEN)
    assert has(findings, Category.PERSON, ARTIST) and has(findings, Category.PERSON, XMP_CREATOR)
    assert has(findings, Category.HIDDEN, "a thumbnail")
    assert exiftool_judge.identifying(tmp_path / "tagged.heic") != {}  # the judge sees what was planted

    cleaned = clean_bytes(original)  # every check intake runs before writing a clean copy
    assert sniff_bytes(cleaned.data) == "image/heif"
    assert_clean(original, cleaned.data, PLANTED, tmp_path)
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert not image.info.get("thumbnails") and not image.info.get("exif") and not image.info.get("xmp")


@needs_exiftool
def test_avif_with_exif_and_xmp_is_cleaned_pixel_identical(tmp_path: Path) -> None:
    original = tag_with_exiftool(encoded(picture(80, 48, seed=3), "AVIF"), tmp_path, "avif")
    assert sniff_bytes(original) == "image/avif"
    findings = heif.inspect(original)
    assert has(findings, Category.LOCATION, "46.635400, 32.616900") and has(findings, Category.PERSON, XMP_CREATOR)
    cleaned = clean_bytes(original)
    assert sniff_bytes(cleaned.data) == "image/avif"
    assert_clean(original, cleaned.data, PLANTED, tmp_path, "avif")


def test_alpha_plane_is_kept_and_the_primary_bytes_are_identical(tmp_path: Path) -> None:
    original = encoded(picture(64, 40, seed=9, mode="RGBA"), exif=b"Exif\0\0" + tiff_with_artist(ARTIST))
    parsed = heif.parse(io.BytesIO(original))
    assert any(item.type == b"Exif" for item in parsed.items.values())
    clean = heif.sanitize(original)
    assert pixels(clean)[0] == "RGBA"
    assert_clean(original, clean, [ARTIST], tmp_path)
    kept = heif.parse(io.BytesIO(clean))
    assert len(kept.items) == 2 and {r.type for r in kept.references} == {b"auxl"}
    for item_id in kept.items:  # coded bytes byte for byte
        assert item_bytes(clean, kept, item_id) == item_bytes(original, parsed, item_id)


def test_stream_verbs_agree_with_the_bytes_verbs(tmp_path: Path) -> None:
    original = encoded(picture(64, 64, seed=5), thumbnails=[16], exif=b"Exif\0\0" + tiff_with_artist(ARTIST))
    out = io.BytesIO()
    source = io.BytesIO(original)
    source.seek(17)  # sources may be positioned anywhere
    heif.sanitize_stream(source, out)
    assert out.getvalue() == heif.sanitize(original)
    assert heif.inspect_stream(io.BytesIO(original)) == heif.inspect(original)
    assert heif.content_digest(io.BytesIO(original)) == heif.content_digest(io.BytesIO(out.getvalue()))
    assert heif.content_digest(io.BytesIO(original)) != heif.content_digest(
        io.BytesIO(encoded(picture(64, 64, seed=6))))
    residue = b"".join(view.data for view in heif.residue_stream(io.BytesIO(original)))
    assert ARTIST.encode() in residue
    assert ARTIST.encode() not in b"".join(view.data for view in heif.residue(out.getvalue()))


# ---------------------------------------------------------------- files assembled box by box


def xmp(value: str) -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>'
            + value.encode() + b"</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>")


@pytest.fixture(scope="module")
def tiles() -> tuple[Coded, Coded, Coded]:
    return coded(picture(64, 64, seed=1)), coded(picture(64, 64, seed=2)), coded(picture(32, 32, seed=4))


def grid_build(tiles: tuple[Coded, Coded, Coded]) -> Build:
    """A 128x64 grid of two tiles, with a depth map, a portrait matte, an HDR gain map, a thumbnail,
    an XMP item describing the depth map, named items, free space and an unknown box holding data."""
    left, right, small = tiles
    grid = struct.pack(">BBBBHH", 0, 0, 0, 1, 128, 64)
    apple = "urn:com:apple:photo:2018:aux:portraiteffectsmatte"
    return Build(
        parts=[
            Part(1, b"grid", grid, [ispe(128, 64)], name=ITEM_NAME, in_idat=True),
            Part(2, b"hvc1", left.data, [left.hvcc, left.ispe], hidden=True),
            Part(3, b"hvc1", right.data, [right.hvcc, right.ispe], hidden=True),
            Part(4, b"hvc1", small.data, [small.hvcc, small.ispe, aux("urn:mpeg:hevc:2015:auxid:2")], hidden=True),
            Part(5, b"hvc1", small.data, [small.hvcc, small.ispe, aux(apple)], hidden=True),
            Part(6, b"hvc1", small.data, [small.hvcc, small.ispe, aux("urn:com:apple:photo:2020:aux:hdrgainmap")],
                 hidden=True),
            Part(7, b"hvc1", small.data, [small.hvcc, small.ispe]),
            Part(8, b"mime", xmp(DEPTH_XMP), content_type="application/rdf+xml", hidden=True),
        ],
        references=[(b"dimg", 1, [2, 3]), (b"auxl", 4, [1]), (b"auxl", 5, [1]), (b"auxl", 6, [1]),
                    (b"thmb", 7, [1]), (b"cdsc", 8, [4])],
        meta_extra=box_bytes(b"free", PADDING.encode()),
        top_extra=box_bytes(b"uuid", UNKNOWN_BOX.encode(), bytes(range(16))) + box_bytes(b"skip", PADDING.encode()),
    )


def test_grid_with_depth_mattes_gain_map_and_thumbnail(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    original = grid_build(tiles).bytes()
    assert pixels(original)[1] == (128, 64)
    findings = heif.inspect(original)
    for text in ("a depth map of the scene", "a portrait matte", "an HDR gain map", "a thumbnail, 64x64"):
        assert has(findings, Category.HIDDEN, text), text
    assert has(findings, Category.PERSON, DEPTH_XMP)
    assert has(findings, Category.HIDDEN, "'uuid' box") and has(findings, Category.HIDDEN, "free space holding data")
    assert has(findings, Category.OTHER, ITEM_NAME)
    cleaned = clean_bytes(original)
    assert_clean(original, cleaned.data, [DEPTH_XMP, ITEM_NAME, UNKNOWN_BOX, PADDING], tmp_path)
    kept = heif.parse(io.BytesIO(cleaned.data))
    assert sorted(kept.items) == [1, 2, 3]
    assert kept.locations[1].method == 1  # the grid description stays in idat
    assert [(r.type, r.source, r.targets) for r in kept.references] == [(b"dimg", 1, (2, 3))]
    assert len(cleaned.data) < len(original) - 3 * len(tiles[2].data)


def test_alpha_auxiliary_stays_but_depth_goes(tiles: tuple[Coded, Coded, Coded]) -> None:
    left, _, small = tiles
    build = Build(parts=[Part(1, b"hvc1", left.data, [left.hvcc, left.ispe]),
                         Part(2, b"hvc1", small.data, [small.hvcc, small.ispe, aux("urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")]),
                         Part(3, b"hvc1", small.data, [small.hvcc, small.ispe, aux("urn:mpeg:mpegB:cicp:systems:auxiliary:depth")])],
                  references=[(b"auxl", 2, [1]), (b"auxl", 3, [1])])
    clean = heif.sanitize(build.bytes())
    assert sorted(heif.parse(io.BytesIO(clean)).items) == [1, 2]
    assert heif.inspect(clean) == []


@pytest.mark.parametrize("change, reason", [
    (lambda b: b.references.append((b"dimg", 2, [1])), "loop"),
    (lambda b: b.references.append((b"dimg", 2, [2])), "loop"),
    (lambda b: b.references.append((b"dimg", 3, [99])), "does not list"),
    (lambda b: setattr(b, "primary", 8), "'mime' item"),
    (lambda b: setattr(b, "primary", 42), "does not list"),
    (lambda b: b.iloc_tweak.update({2: (2, 0)}), "construction method 2"),
    (lambda b: b.iloc_tweak.update({3: (0, 1)}), "another file"),
    (lambda b: b.iloc_tweak.update({1: (0, 0)}), "outside the file's data boxes"),
    (lambda b: b.parts[1].__setattr__("data", b""), "no length"),
    (lambda b: setattr(b, "meta_extra", box_bytes(b"ipro", bytes(6))), "encrypted"),
    (lambda b: setattr(b, "top_extra", box_bytes(b"meta", full_box_payload(0, 0, b""))), "exactly one"),
    (lambda b: setattr(b, "top_extra", box_bytes(b"moov", b"")), "sequences"),
    (lambda b: b.parts[1].properties.append(box_bytes(b"xtra", b"PLANTED")), "does not know"),
])
def test_what_is_not_understood_is_refused(tiles: tuple[Coded, Coded, Coded], change, reason: str) -> None:
    build = grid_build(tiles)
    change(build)
    with pytest.raises(Refused, match=reason) as refused:
        heif.sanitize(build.bytes())
    assert "\n" not in str(refused.value)
    with pytest.raises(Refused):
        clean_bytes(build.bytes())


@pytest.mark.parametrize("kind", [b"thmb", b"auxl"])
def test_a_primary_that_is_also_a_thumbnail_or_auxiliary_image_is_refused(tiles: tuple[Coded, Coded, Coded],
                                                                          kind: bytes) -> None:
    """pillow-heif's invalid_id.heic: libheif hides such a primary and shows the other image, and a
    clean copy keeping the primary alone showed a different picture (1197x1227 against 564x870)."""
    build = grid_build(tiles)
    build.references = [r for r in build.references if r[0] != b"thmb"] + [(kind, 1, [7])]
    original = build.bytes()
    try:
        shown = pillow_heif.open_heif(io.BytesIO(original)).size
    except ValueError:  # auxl: libheif rejects a primary that is an auxiliary image with no auxC
        shown = None
    assert shown != (128, 64)  # libheif does not show the primary the file names
    with pytest.raises(Refused, match="readers disagree on which picture"):
        clean_bytes(original)


def test_unknown_non_essential_property_is_dropped_and_reported(tiles: tuple[Coded, Coded, Coded]) -> None:
    build = grid_build(tiles)
    build.parts[1].properties.append(box_bytes(b"xtra", PADDING.encode()))
    build.parts[1].essential = False
    original = build.bytes()
    assert has(heif.inspect(original), Category.HIDDEN, "'xtra' property")
    clean = heif.sanitize(original)
    assert PADDING.encode() not in clean and heif.inspect(clean) == []
    assert pixels(clean) == pixels(original)


@pytest.mark.parametrize("cut", [20, 200, -10])
def test_truncated_and_garbled_files_are_refused(tiles: tuple[Coded, Coded, Coded], cut: int) -> None:
    original = grid_build(tiles).bytes()
    with pytest.raises(Refused):
        heif.sanitize(original[:cut])


def test_an_iloc_count_past_its_box_is_refused(tiles: tuple[Coded, Coded, Coded]) -> None:
    original = bytearray(grid_build(tiles).bytes())
    at = original.index(b"iloc") + 4 + 4 + 2  # the item count
    original[at:at + 2] = b"\xff\xff"
    with pytest.raises(Refused, match="shorter than its fields"):
        heif.sanitize(bytes(original))


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_the_hand_built_clean_copy(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    path = tmp_path / "clean.heic"
    path.write_bytes(heif.sanitize(grid_build(tiles).bytes()))
    result = subprocess.run(["exiftool", "-validate", "-warning", "-a", "-G1", str(path)], capture_output=True, text=True)
    assert "Error" not in result.stdout and "Warning" not in result.stdout, result.stdout


def test_free_text_in_the_brand_list_is_dropped(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    build = grid_build(tiles)
    build.extra_brands = b"PLANTED-BRAND-7e1"[:16]
    original = build.bytes()
    assert has(heif.inspect(original), Category.OTHER, "unknown brands")
    clean = clean_bytes(original).data
    assert_clean(original, clean, ["PLANTED-BRAND"], tmp_path)
    assert clean[8:12] == b"heic" and clean[16:28] == b"mif1heicmiaf"


def test_memory_follows_the_metadata_not_the_image(tmp_path: Path) -> None:
    import tracemalloc

    coded_bytes = bytes(range(256)) * (48 << 12)  # 48 MiB of "coded" image, never decoded here
    hvcc = box_bytes(b"hvcC", bytes(23))
    build = Build(parts=[Part(1, b"hvc1", coded_bytes, [hvcc, ispe(8000, 6000)]),
                         Part(2, b"Exif", b"\0\0\0\0" + tiff_with_artist(ARTIST))],
                  references=[(b"cdsc", 2, [1])])
    path, out_path = tmp_path / "big.heic", tmp_path / "big.clean.heic"
    path.write_bytes(build.bytes())
    del build, coded_bytes
    tracemalloc.start()
    try:
        with path.open("rb") as source, out_path.open("wb") as out:
            heif.sanitize_stream(source, out)
            digest = heif.content_digest(source)
            residue = sum(len(view.data) for view in heif.residue_stream(source))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak >> 20} MiB"
    assert residue < 1 << 16
    with out_path.open("rb") as clean:
        assert heif.content_digest(clean) == digest
        assert heif.inspect_stream(clean) == []
    assert ARTIST.encode() not in out_path.read_bytes()


def test_the_intake_command_inspects_and_sanitizes_a_heic(cli, tmp_path: Path, tiles: tuple[Coded, Coded, Coded]) -> None:
    import json

    (tmp_path / "crate.heic").write_bytes(grid_build(tiles).bytes())
    inspected = cli("inspect", "--json", "crate.heic")
    assert inspected.returncode == 0, inspected.stderr
    assert "a depth map of the scene" in inspected.stdout and DEPTH_XMP in inspected.stdout
    json.loads(inspected.stdout)
    result = cli("sanitize", "crate.heic", "-o", "clean")
    assert result.returncode == 0, result.stderr
    clean = (tmp_path / "clean" / "crate.heic").read_bytes()
    assert heif.inspect(clean) == [] and DEPTH_XMP.encode() not in clean
    assert pixels(clean) == pixels((tmp_path / "crate.heic").read_bytes())


def test_32_bit_item_ids_are_read_and_written(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    left, right, small = tiles
    grid = struct.pack(">BBBBHH", 0, 0, 0, 1, 128, 64)
    big = 70_000
    build = Build(parts=[Part(big, b"grid", grid, [ispe(128, 64)]),
                         Part(big + 1, b"hvc1", left.data, [left.hvcc, left.ispe], hidden=True),
                         Part(big + 2, b"hvc1", right.data, [right.hvcc, right.ispe], hidden=True),
                         Part(big + 3, b"hvc1", small.data, [small.hvcc, small.ispe])],
                  references=[(b"dimg", big, [big + 1, big + 2]), (b"thmb", big + 3, [big])],
                  primary=big, wide_ids=True)
    original = build.bytes()
    assert has(heif.inspect(original), Category.HIDDEN, "a thumbnail")
    clean = clean_bytes(original).data
    assert_clean(original, clean, [], tmp_path)
    assert sorted(heif.parse(io.BytesIO(clean)).items) == [big, big + 1, big + 2]


def test_jpeg_coded_items_are_kept_only_without_metadata_of_their_own(tmp_path: Path) -> None:
    image = picture(48, 32, seed=7)
    plain, tagged = io.BytesIO(), io.BytesIO()
    image.save(plain, "JPEG", quality=95)
    exif = Image.Exif()
    exif[0x013B] = ARTIST
    image.save(tagged, "JPEG", quality=95, exif=exif.tobytes())

    def jpeg_heif(data: bytes) -> bytes:
        return Build(parts=[Part(1, b"jpeg", data, [ispe(48, 32)]),
                            Part(2, b"Exif", b"\0\0\0\0" + tiff_with_artist(ARTIST))],
                     references=[(b"cdsc", 2, [1])], brand=b"mif1").bytes()

    clean = heif.sanitize(jpeg_heif(plain.getvalue()))
    assert heif.inspect(clean) == [] and ARTIST.encode() not in clean
    assert heif.content(clean) == heif.content(jpeg_heif(plain.getvalue()))
    hidden = jpeg_heif(tagged.getvalue())
    assert has(heif.inspect(hidden), Category.PERSON, ARTIST)
    with pytest.raises(Refused, match="JPEG-coded"):
        heif.sanitize(hidden)


def test_sei_messages_in_the_decoder_configuration_are_removed(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    left = tiles[0]
    payload = left.hvcc[8:]
    sei_text = b"PLANTED-SEI-ENCODER-5b9f"
    sei = bytes((0x80 | 39,)) + struct.pack(">HH", 1, 2 + 2 + len(sei_text)) + b"\x4e\x01\x05" + bytes((len(sei_text),)) + sei_text
    with_sei = box_bytes(b"hvcC", payload[:22] + bytes((payload[22] + 1,)) + payload[23:] + sei)
    original = Build(parts=[Part(1, b"hvc1", left.data, [with_sei, left.ispe])]).bytes()
    assert has(heif.inspect(original), Category.HIDDEN, "SEI")
    clean = clean_bytes(original).data
    assert sei_text not in clean
    assert heif.parse(io.BytesIO(clean)).property_of(1, b"hvcC").raw == left.hvcc
    assert pixels(clean) == pixels(Build(parts=[Part(1, b"hvc1", left.data, [left.hvcc, left.ispe])]).bytes())


@needs_exiftool
def test_a_file_exiftool_already_stripped_is_cleaned(tmp_path: Path) -> None:
    """exiftool -all= leaves zero-length iloc entries for the items it removed."""
    (tmp_path / "tagged.heic").write_bytes(tag_with_exiftool(encoded(picture(64, 48), thumbnails=[16]), tmp_path, "heic"))
    subprocess.run(["exiftool", "-q", "-all=", "-o", str(tmp_path / "stripped.heic"), str(tmp_path / "tagged.heic")],
                   check=True, capture_output=True)
    stripped = (tmp_path / "stripped.heic").read_bytes()
    clean = clean_bytes(stripped).data
    assert_clean(stripped, clean, PLANTED, tmp_path)


def test_a_kept_display_p3_profile_loses_the_copyright_naming_the_device_maker(tiles: tuple[Coded, Coded, Coded]) -> None:
    """Every iPhone HEIC carries Apple's Display P3 profile ("Copyright Apple Inc., 2017") beside EXIF Make
    "Apple": the profile is rebuilt (colour tags byte for byte, no copyright), so the maker is gone and the
    leftover scan no longer refuses the file."""
    from icc_builders import CURVE, XYZ, mluc_tag, profile

    maker = "PLANTEDMAKER"
    display_p3 = profile(tags=[(b"desc", mluc_tag("Display P3")), (b"cprt", mluc_tag(f"Copyright {maker} Inc., 2017")),
                               (b"wtpt", XYZ), (b"rXYZ", XYZ), (b"gXYZ", XYZ), (b"bXYZ", XYZ),
                               (b"rTRC", CURVE), (b"gTRC", CURVE), (b"bTRC", CURVE)], maker=b"APPLP3  ")
    colr = box_bytes(b"colr", b"prof" + display_p3)
    make = maker.encode() + b"\0"
    exif_tiff = b"MM\0*" + struct.pack(">IH", 8, 1) + struct.pack(">HHII", 0x010F, 2, len(make), 26) + bytes(4) + make
    left = tiles[0]
    original = Build(parts=[Part(1, b"hvc1", left.data, [left.hvcc, left.ispe, colr]),
                            Part(2, b"Exif", bytes(4) + exif_tiff)], references=[(b"cdsc", 2, [1])]).bytes()
    assert has(heif.inspect(original), Category.DEVICE, maker)

    clean = clean_bytes(original).data  # refused before: "a removed value is still present"
    assert_absent(heif, clean, [maker])
    kept = heif.parse(io.BytesIO(clean)).property_of(1, b"colr").payload[4:]
    assert icc.is_standard(kept) and icc.description(kept) == "Display P3"
    colour_tags = {b"wtpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC"}
    before, after = icc.parse(display_p3), icc.parse(kept)
    assert {t.signature: before.body(t) for t in before.tags if t.signature in colour_tags} == \
        {t.signature: after.body(t) for t in after.tags if t.signature in colour_tags}
    assert pixels(clean) == pixels(original)


# ---------------------------------------------------------------- keep_hdr: gain maps stay, nothing else does


def test_by_default_the_gain_map_goes_with_everything_else(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    original = hdr_build(tiles).bytes()
    assert has(heif.inspect(original), Category.HIDDEN, "an HDR gain map")
    cleaned = clean_bytes(original)
    assert sorted(heif.parse(io.BytesIO(cleaned.data)).items) == [1] and cleaned.kept == ()
    assert_clean(original, cleaned.data, [ARTIST, XMP_CREATOR, GAIN_MAP_TOOLKIT, GAIN_MAP_URN], tmp_path)


def test_keep_hdr_keeps_the_gain_map_byte_identical_and_only_its_numbers(tiles: tuple[Coded, Coded, Coded],
                                                                         tmp_path: Path) -> None:
    original = hdr_build(tiles).bytes()
    findings = heif.inspect(original, keep_hdr=True)
    assert not has(findings, Category.HIDDEN, "an HDR gain map")  # it stays, so it is not reported as removed
    assert has(findings, Category.HIDDEN, "a depth map") and has(findings, Category.PERSON, XMP_CREATOR)

    cleaned = clean_bytes(original, keep_hdr=True)  # every check, in the keep_hdr mode
    assert any("an HDR gain map" in text for text in cleaned.kept) and any("XMP" in text for text in cleaned.kept)
    clean = cleaned.data
    assert heif.inspect(clean, keep_hdr=True) == []
    assert_absent(heif, clean, [ARTIST, XMP_CREATOR, GAIN_MAP_TOOLKIT])
    before, after = heif.parse(io.BytesIO(original)), heif.parse(io.BytesIO(clean))
    assert sorted(after.items) == [1, 2, 3]  # primary, gain map, its parameters: no depth, matte, thumbnail, EXIF
    for item_id in (1, 2):  # coded bytes and every property byte for byte
        assert item_bytes(clean, after, item_id) == item_bytes(original, before, item_id)
        assert [after.properties[a.index - 1].raw for a in after.associations[item_id]] == \
            [before.properties[a.index - 1].raw for a in before.associations[item_id]]
    assert {(r.type, r.source, r.targets) for r in after.references} == {(b"auxl", 2, (1,)), (b"cdsc", 3, (2,))}
    parameters = item_bytes(clean, after, 3)
    assert b"<HDRGainMap:HDRGainMapHeadroom>3.847906<" in parameters and b"<HDRGainMap:HDRGainMapVersion>131072<" in parameters
    assert after.items[3].content_type == "application/rdf+xml"
    assert pixels(clean) == pixels(original)
    decoded = pillow_heif.open_heif(io.BytesIO(clean))  # libheif finds the gain map as the primary's auxiliary
    assert decoded.info["aux"] == {GAIN_MAP_URN: [2]}
    assert decoded.get_aux_image(2).size == pillow_heif.open_heif(io.BytesIO(original)).get_aux_image(2).size
    # The default mode, run on the clean copy, still sees the gain map: the modes differ only in it.
    assert has(heif.inspect(clean), Category.HIDDEN, "an HDR gain map")
    if exiftool_judge.AVAILABLE:
        (tmp_path / "hdr.heic").write_bytes(clean)
        assert set(exiftool_judge.identifying(tmp_path / "hdr.heic")) <= {
            "XMP-HDRGainMap:HDRGainMapVersion", "XMP-HDRGainMap:HDRGainMapHeadroom"}


def test_keep_hdr_changes_nothing_for_a_photo_without_a_gain_map(tiles: tuple[Coded, Coded, Coded]) -> None:
    original = Build(parts=[p for p in grid_build(tiles).parts if p.id != 6],
                     references=[r for r in grid_build(tiles).references if r[1] != 6]).bytes()
    assert clean_bytes(original, keep_hdr=True).data == clean_bytes(original).data
    assert clean_bytes(original, keep_hdr=True).kept == ()


def test_keep_hdr_drops_a_gain_map_description_without_its_numbers(tiles: tuple[Coded, Coded, Coded]) -> None:
    build = hdr_build(tiles)
    build.parts[2] = Part(3, b"mime", xmp(XMP_CREATOR), content_type="application/rdf+xml", hidden=True)
    cleaned = clean_bytes(build.bytes(), keep_hdr=True)
    assert sorted(heif.parse(io.BytesIO(cleaned.data)).items) == [1, 2]
    assert XMP_CREATOR.encode() not in cleaned.data


def test_the_keep_hdr_option_of_sanitize_and_add(cli, tmp_path: Path, tiles: tuple[Coded, Coded, Coded]) -> None:
    import json

    (tmp_path / "hdr.heic").write_bytes(hdr_build(tiles).bytes())
    kept = cli("sanitize", "--keep-hdr", "hdr.heic", "-o", "kept")
    assert kept.returncode == 0, kept.stderr
    assert "kept: an HDR gain map" in kept.stdout
    plain = cli("sanitize", "--json", "hdr.heic", "-o", "plain")
    assert plain.returncode == 0 and "kept" not in json.loads(plain.stdout)["files"][0]
    assert len(heif.parse(io.BytesIO((tmp_path / "kept" / "hdr.heic").read_bytes())).items) == 3
    assert len(heif.parse(io.BytesIO((tmp_path / "plain" / "hdr.heic").read_bytes())).items) == 1

    assert cli("--vault", tmp_path / "v", "init").returncode == 0
    added = cli("--vault", tmp_path / "v", "add", "--keep-hdr", "--json", "hdr.heic")
    assert added.returncode == 0, added.stderr
    copy = json.loads(added.stdout)["files"][0]["clean_copy"]
    assert any("an HDR gain map" in text for text in copy["kept"])


# ---------------------------------------------------------------- motion photos: a whole video after the image

MOTION_LOCATION = "+46.6354+032.6169/"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return located_clip(tmp_path_factory.mktemp("clip"), MOTION_LOCATION)


def test_a_samsung_motion_photo_loses_its_video_and_sef_records(tmp_path: Path, clip: bytes) -> None:
    still = encoded(picture(64, 48, seed=11))
    sef = sef_block([(0x0A01, "Image_UTC_Data", b"1705124333853"), (0x0AA1, "MCC_Data", b"310"),
                     (0x0A30, "MotionPhoto_Data", b"mpv2")])
    original = still + box_bytes(b"mpvd", clip) + box_bytes(b"sefd", sef)
    findings = heif.inspect(original)
    assert has(findings, Category.HIDDEN, "the seconds of video and sound around the shot")
    assert has(findings, Category.TIME, "2024-01-13 05:38:53 UTC") and has(findings, Category.LOCATION, "310")
    clean = clean_bytes(original).data
    assert b"mpvd" not in clean and b"SEFH" not in clean and clip[:64] not in clean
    assert_clean(original, clean, [MOTION_LOCATION, "Image_UTC_Data", "1705124333853"], tmp_path)


def test_a_video_appended_after_a_heic_is_left_out(tmp_path: Path, clip: bytes) -> None:
    """Not a box of the image's: a whole MP4 file (its own ftyp, moov, mdat) written after it."""
    still = encoded(picture(64, 48, seed=12))
    original = still + clip
    assert has(heif.inspect(original), Category.HIDDEN, f"{len(clip)} bytes after the image")
    clean = clean_bytes(original).data
    assert len(clean) < len(still) + 256 < len(original) and b"moov" not in clean
    assert_clean(original, clean, [MOTION_LOCATION], tmp_path)


def test_an_unreadable_sef_block_is_reported_by_size() -> None:
    from intake.formats.shared import sef

    assert [f.value for f in sef.findings(b"SEFH" + bytes(3), "x")] == ["7 bytes in an unreadable layout"]
    broken = bytearray(sef_block([(0x0A01, "Image_UTC_Data", b"1705124333853")]))
    broken[-24:-20] = struct.pack("<I", 10_000)  # a record said to start before the block
    assert sef.findings(bytes(broken), "x")[0].value.endswith("in an unreadable layout")


@pytest.mark.parametrize("piece", [7, 1 << 20])
def test_same_content_compares_the_kept_bytes_side_by_side(tiles: tuple[Coded, Coded, Coded], piece: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The check intake.clean runs on a clean copy: equal to comparing content digests, without hashing."""
    monkeypatch.setattr(heif, "_PIECE", piece)  # 7: every extent is compared in many pieces
    original = grid_build(tiles).bytes()
    clean = heif.sanitize(original)
    assert heif.same_content(io.BytesIO(original), io.BytesIO(clean))
    parsed = heif.parse(io.BytesIO(clean))
    for item_id in (2, 3):  # the last byte of each tile
        extent = parsed.locations[item_id].extents[-1]
        flipped = bytearray(clean)
        flipped[extent.offset + extent.length - 1] ^= 1
        assert not heif.same_content(io.BytesIO(original), io.BytesIO(bytes(flipped)))
        assert heif.content_digest(io.BytesIO(original)) != heif.content_digest(io.BytesIO(bytes(flipped)))
    rotated = Build(parts=[Part(1, b"hvc1", tiles[0].data, [tiles[0].hvcc, tiles[0].ispe,
                                                               box_bytes(b"irot", b"\x01")])]).bytes()
    unrotated = Build(parts=[Part(1, b"hvc1", tiles[0].data, [tiles[0].hvcc, tiles[0].ispe])]).bytes()
    assert not heif.same_content(io.BytesIO(rotated), io.BytesIO(heif.sanitize(unrotated)))  # a property differs
    assert not heif.same_content(io.BytesIO(original), io.BytesIO(heif.sanitize(unrotated)))  # fewer items


@pytest.mark.parametrize("brand, media_type", [(b"heic", "image/heif"), (b"avif", "image/avif")])
def test_the_low_overhead_form_is_recognised_and_refused(brand: bytes, media_type: str) -> None:
    """HEIF 2024's 'mini' box replaces meta: told apart by its 'mif3' brand, refused by name, not as a video."""
    data = box_bytes(b"ftyp", b"mif3" + brand) + box_bytes(b"mini", bytes(40))
    assert sniff_bytes(data) == media_type
    with pytest.raises(Refused, match="low-overhead HEIF form"):
        clean_bytes(data)


def test_items_in_several_mdat_boxes(tiles: tuple[Coded, Coded, Coded], tmp_path: Path) -> None:
    """Each item's data in its own mdat: the kept ones are gathered into one, byte for byte."""
    build = grid_build(tiles)
    build.mdat_per_item = True
    original = build.bytes()
    assert original.count(b"mdat") == 7 and pixels(original)[1] == (128, 64)
    cleaned = clean_bytes(original)
    assert_clean(original, cleaned.data, [DEPTH_XMP, ITEM_NAME, UNKNOWN_BOX, PADDING], tmp_path)
    before, after = heif.parse(io.BytesIO(original)), heif.parse(io.BytesIO(cleaned.data))
    assert cleaned.data.count(b"mdat") == 1 and sorted(after.items) == [1, 2, 3]
    for item_id in (2, 3):
        assert item_bytes(cleaned.data, after, item_id) == item_bytes(original, before, item_id)
