"""--keep-hdr on HEIF: ISO 21496-1 tone-map ('tmap') gain maps with their 'altr' group, and the headroom
of iOS 14-16 photos carried from the Apple maker note into the rebuilt gain-map XMP.

Files are assembled box by box (heif_builders) around HEVC images pillow-heif encodes, with EXIF (GPS,
artist, an Apple maker note), XMP and item names planted on the primary and on the gain map."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image, features

from intake.clean import CleanedFile, clean_bytes, clean_file
from intake.errors import Refused
from intake.formats.base import Category
from intake.formats.isobmff import gain_map_parameters, heif
from intake.formats.isobmff.boxes import box_bytes
from planted import assert_absent, has

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import exiftool_judge  # noqa: E402
from heif_builders import (  # noqa: E402
    ARTIST, CONTENT_IDENTIFIER, GAIN_MAP_ARTIST, GAIN_MAP_CREATOR, GAIN_MAP_NAME, GAIN_MAP_TOOLKIT, GAIN_MAP_URN,
    TONE_MAP_NAME, XMP_CREATOR, Build, Coded, Part, apple_maker_note, aux, coded, encoded, entity_group, exif_item, hdr_build,
    item_bytes, picture, tone_map_build, tone_map_payload,
)

pillow_heif = pytest.importorskip("pillow_heif")

PLANTED = [ARTIST, XMP_CREATOR, GAIN_MAP_ARTIST, GAIN_MAP_CREATOR, GAIN_MAP_TOOLKIT, TONE_MAP_NAME, GAIN_MAP_NAME]


@pytest.fixture(scope="module")
def tiles() -> tuple[Coded, Coded, Coded]:
    return coded(picture(64, 64, seed=1)), coded(picture(64, 64, seed=2)), coded(picture(32, 32, seed=4))


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.mode, image.size, image.tobytes()


def decoded_item(data: bytes, item_id: int) -> bytes:
    """An item's coded bytes decoded by pillow-heif: wrapped as the primary of a HEIC of its own with
    its decoder configuration and size (libheif shows hidden images only through their owner)."""
    parsed = heif.parse(io.BytesIO(data))
    properties = [parsed.properties[a.index - 1].raw for a in parsed.associations[item_id]
                  if parsed.properties[a.index - 1].type in (b"hvcC", b"ispe")]
    alone = Build(parts=[Part(1, b"hvc1", item_bytes(data, parsed, item_id), properties)]).bytes()
    return pillow_heif.open_heif(io.BytesIO(alone)).to_pillow().tobytes()


def identifying(data: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "judged.heic"
    path.write_bytes(data)
    return set(exiftool_judge.identifying(path))


# ---------------------------------------------------------------- ISO 21496-1: 'tmap' and its 'altr' group


def test_by_default_the_tone_map_and_its_gain_map_go_and_are_reported(tiles: tuple[Coded, Coded, Coded],
                                                                       tmp_path: Path) -> None:
    original = tone_map_build(tiles).bytes()
    findings = heif.inspect(original)
    assert has(findings, Category.HIDDEN, "an HDR tone-map image, 64x64")
    assert has(findings, Category.HIDDEN, "an HDR gain map, 64x64 (ISO 21496-1)")
    assert has(findings, Category.LOCATION, "GPS") and has(findings, Category.PERSON, GAIN_MAP_ARTIST)
    cleaned = clean_bytes(original)
    after = heif.parse(io.BytesIO(cleaned.data))
    assert sorted(after.items) == [1] and after.groups == [] and cleaned.kept == ()
    assert_absent(heif, cleaned.data, PLANTED)
    assert pixels(cleaned.data) == pixels(original)
    if exiftool_judge.AVAILABLE:
        assert identifying(original, tmp_path)  # the judge sees what was planted
        assert identifying(cleaned.data, tmp_path) == set()


@pytest.mark.parametrize("in_idat", [False, True], ids=["tmap-in-mdat", "tmap-in-idat"])
def test_keep_hdr_keeps_the_tone_map_its_gain_map_and_a_rebuilt_altr_group(tiles: tuple[Coded, Coded, Coded],
                                                                           tmp_path: Path, in_idat: bool) -> None:
    original = tone_map_build(tiles, tone_map_in_idat=in_idat).bytes()
    findings = heif.inspect(original, keep_hdr=True)
    assert not has(findings, Category.HIDDEN, "tone-map")  # it stays, so it is not reported as removed
    assert has(findings, Category.HIDDEN, "a thumbnail") and has(findings, Category.PERSON, GAIN_MAP_CREATOR)

    cleaned = clean_bytes(original, keep_hdr=True)  # every check (content, leftovers, inspection) in this mode
    assert any("tone-map image" in text and "(item 3)" in text for text in cleaned.kept)
    assert "the 'altr' entity group 20 (items 2, 1, the preferred first)" in cleaned.kept
    clean = cleaned.data
    assert heif.inspect(clean, keep_hdr=True) == []
    assert_absent(heif, clean, PLANTED)
    before, after = heif.parse(io.BytesIO(original)), heif.parse(io.BytesIO(clean))
    assert sorted(after.items) == [1, 2, 3]  # primary, tone map, gain map: no EXIF, XMP or thumbnail
    assert all(item.name == "" for item in after.items.values())
    assert after.items[2].type == b"tmap" and after.items[3].hidden
    for item_id in (1, 2, 3):  # coded bytes, the tone-map numbers and every property byte for byte
        assert item_bytes(clean, after, item_id) == item_bytes(original, before, item_id)
        assert [after.properties[a.index - 1].raw for a in after.associations[item_id]] == \
            [before.properties[a.index - 1].raw for a in before.associations[item_id]]
    assert item_bytes(clean, after, 2) == tone_map_payload()
    assert [(r.type, r.source, r.targets) for r in after.references] == [(b"dimg", 2, (1, 3))]
    # The group names only kept items (the thumbnail it also named is gone); the burst group goes.
    assert after.groups == [heif.EntityGroup(b"altr", 20, (2, 1))]
    assert pixels(clean) == pixels(original)
    assert decoded_item(clean, 3) == decoded_item(original, 3)
    assert has(heif.inspect(clean), Category.HIDDEN, "an HDR tone-map image")  # the default mode still removes it
    if exiftool_judge.AVAILABLE:
        assert identifying(clean, tmp_path) == set()


def test_keep_hdr_leaves_a_tone_map_without_its_altr_group(tiles: tuple[Coded, Coded, Coded]) -> None:
    """A reader finds a tone map only through an 'altr' group with the primary: without one it is just
    another image, and goes."""
    build = tone_map_build(tiles)
    build.meta_extra = b""
    cleaned = clean_bytes(build.bytes(), keep_hdr=True)
    assert sorted(heif.parse(io.BytesIO(cleaned.data)).items) == [1] and cleaned.kept == ()


def test_a_tone_map_and_an_apple_gain_map_together_as_ios_18_writes_them(tiles: tuple[Coded, Coded, Coded],
                                                                         tmp_path: Path) -> None:
    """iOS 18: the Apple gain map (auxl, described by XMP) is also the tone map's second input."""
    build = hdr_build(tiles)
    left = tiles[0]
    build.parts.append(Part(8, b"tmap", tone_map_payload(), [left.ispe]))
    build.references.append((b"dimg", 8, [1, 2]))
    build.meta_extra = box_bytes(b"grpl", entity_group(b"altr", 9, [8, 1]))
    original = build.bytes()
    cleaned = clean_bytes(original, keep_hdr=True)
    after = heif.parse(io.BytesIO(cleaned.data))
    assert sorted(after.items) == [1, 2, 3, 8]  # primary, gain map, its rebuilt numbers, tone map
    assert after.groups == [heif.EntityGroup(b"altr", 9, (8, 1))]
    assert pillow_heif.open_heif(io.BytesIO(cleaned.data)).info["aux"] == {GAIN_MAP_URN: [2]}
    assert_absent(heif, cleaned.data, [ARTIST, XMP_CREATOR, GAIN_MAP_TOOLKIT])


def samsung_build(tiles: tuple[Coded, Coded, Coded], gain_map_type: str) -> Build:
    """A Galaxy S24/S25 HDR photo: the ISO 21496-1 layout whose gain map is also an auxiliary image of
    the primary (auxl) typed with Samsung's own URN, and EXIF whose Make, "samsung", is spelled inside it."""
    build = tone_map_build(tiles)
    build.parts[2].properties.append(aux(gain_map_type))
    build.references.append((b"auxl", 3, [1]))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x013B] = "samsung", "Galaxy S25 Ultra", ARTIST
    build.parts[3] = Part(4, b"Exif", (6).to_bytes(4, "big") + exif.tobytes(), hidden=True)
    return build


def test_keep_hdr_keeps_samsungs_gain_map_type_though_it_spells_the_make(tiles: tuple[Coded, Coded, Coded],
                                                                         tmp_path: Path) -> None:
    """Samsung's published auxiliary type stays byte for byte with its gain map; the removed Make found
    inside that constant is no leftover (a real Galaxy S25 Ultra HEIC was refused for it)."""
    original = samsung_build(tiles, heif.SAMSUNG_GAIN_MAP_URN).bytes()
    assert has(heif.inspect(original), Category.DEVICE, "samsung")
    cleaned, clean = clean_by_stream(original)  # the path `intake sanitize` takes, whose scan found the Make
    assert any("tone-map image" in text for text in cleaned.kept)
    assert clean_bytes(original, keep_hdr=True).data == clean
    assert clean.count(b"samsung") == 1 and heif.SAMSUNG_GAIN_MAP_URN.encode() + b"\0" in clean
    assert pillow_heif.open_heif(io.BytesIO(clean)).info["aux"] == {heif.SAMSUNG_GAIN_MAP_URN: [3]}
    assert_absent(heif, clean, [ARTIST, "Galaxy S25 Ultra", XMP_CREATOR, GAIN_MAP_CREATOR, GAIN_MAP_ARTIST])
    assert pixels(clean) == pixels(original) and decoded_item(clean, 3) == decoded_item(original, 3)
    assert b"samsung" not in clean_bytes(original).data  # by default the gain map and its type go
    if exiftool_judge.AVAILABLE:
        assert identifying(clean, tmp_path) == set()


def test_a_removed_value_inside_an_unpublished_auxiliary_type_is_still_refused(
        tiles: tuple[Coded, Coded, Coded]) -> None:
    """Only the published constant is blanked for the scan: the Make in any other kept type fails closed."""
    original = samsung_build(tiles, "urn:com:samsung:photo:2024:aux:hdrgainmap:v2").bytes()
    with pytest.raises(Refused, match="a removed value is still present"):
        clean_by_stream(original)


def clean_by_stream(original: bytes) -> tuple[CleanedFile, bytes]:
    out = io.BytesIO()
    cleaned = clean_file(io.BytesIO(original), out, keep_hdr=True)
    return cleaned, out.getvalue()


@pytest.mark.parametrize("group", [
    b"\0\0\0\x14altr\0\0\0\0\0\0\0\x14\xff\xff\xff\xff",  # claims 4 billion entities
    b"\0\0\0\x10altr\0\0\0\0\0\0\0\x14",  # ends before its count
], ids=["count-past-the-end", "short"])
def test_a_malformed_entity_group_is_refused(tiles: tuple[Coded, Coded, Coded], group: bytes) -> None:
    build = tone_map_build(tiles)
    build.meta_extra = b"\0\0\0" + bytes((8 + len(group),)) + b"grpl" + group
    with pytest.raises(Refused, match="entity group|shorter than its fields"):
        heif.parse(io.BytesIO(build.bytes()))


# ---------------------------------------------------------------- libavif reads what the keep mode rebuilds

needs_avif = pytest.mark.skipif(not features.check("avif"), reason="Pillow has no AVIF decoder (libavif)")
_GAMMA_AT = 6 + 4 * 8  # the tone-map payload's header, then base and alternate headroom, gain min and max


def av1(image: Image.Image) -> Coded:
    data = encoded(image, "AVIF")
    parsed = heif.parse(io.BytesIO(data))
    primary = parsed.primary
    return Coded(parsed.property_of(primary, b"av1C").raw, parsed.property_of(primary, b"ispe").raw,
                 item_bytes(data, parsed, primary))


def tone_map_avif(zero_gamma: bool = False, grouped: bool = True) -> bytes:
    """The tone-map layout in AVIF, AV1 images from Pillow (libavif); with `zero_gamma` the tone map is
    invalid, which libavif reports as soon as it finds the 'tmap' item (and it finds it only through the
    'altr' group)."""
    build = tone_map_build((av1(picture(64, 64, seed=1)), av1(picture(8, 8)), av1(picture(32, 32, seed=4))))
    build.brand = b"avif"
    for part in build.parts:
        part.type = b"av01" if part.type == b"hvc1" else part.type
    if not grouped:
        build.meta_extra = b""
    if zero_gamma:
        payload = build.parts[1].data
        build.parts[1].data = payload[:_GAMMA_AT] + bytes(4) + payload[_GAMMA_AT + 4:]
    return build.bytes()


def libavif_decodes(data: bytes) -> str:
    try:
        pixels(data)
        return "decodes"
    except Exception as error:  # the decoder's own verdict is what is compared
        return str(error)


@needs_avif
def test_libavif_finds_the_kept_tone_map_through_the_rebuilt_altr_group() -> None:
    valid, invalid = tone_map_avif(), tone_map_avif(zero_gamma=True)
    assert libavif_decodes(valid) == "decodes"
    assert "tone mapped" in libavif_decodes(invalid)  # libavif reads the tone map ...
    assert libavif_decodes(tone_map_avif(zero_gamma=True, grouped=False)) == "decodes"  # ... found through its group
    assert libavif_decodes(clean_bytes(valid, keep_hdr=True).data) == "decodes"
    # ... in the clean copy too: so it found the kept 'tmap' item through the rebuilt group.
    assert "tone mapped" in libavif_decodes(heif.sanitize(invalid, keep_hdr=True))
    assert pixels(clean_bytes(valid, keep_hdr=True).data) == pixels(valid)


@needs_avif
def test_the_tmap_brand_goes_with_the_tone_map() -> None:
    """libavif refuses a file whose 'ftyp' claims the 'tmap' brand without a 'tmap' item, so the default mode,
    which removes the tone map, removes the brand too; the keep mode keeps both."""
    original = tone_map_avif()
    cleaned = clean_bytes(original).data
    assert b"tmap" not in heif.parse(io.BytesIO(cleaned)).ftyp and libavif_decodes(cleaned) == "decodes"
    assert pixels(cleaned) == pixels(original)
    assert b"tmap" in heif.parse(io.BytesIO(clean_bytes(original, keep_hdr=True).data)).ftyp


# ---------------------------------------------------------------- iOS 14-16: the headroom from the maker note


@pytest.mark.parametrize("maker33, maker48, headroom", [
    (0.5, 0.0, 2 ** 1.8),  # below 1, gain at most 0.01: 1.8 stops
    (0.5, 2.0, 2 ** (1.601 - 0.202)),
    (1.5, 0.005, 2 ** (3.0 - 0.35)),
    (1.5, 1.0, 2 ** (2.303 - 0.303)),  # 2 stops
    (1.5, 9.0, 1.0),  # fewer than 0 stops: no headroom
])
def test_apples_published_formula(maker33: float, maker48: float, headroom: float) -> None:
    assert gain_map_parameters.apple_headroom(maker33, maker48) == pytest.approx(headroom)


def ios16_build(tiles: tuple[Coded, Coded, Coded], gain: tuple[int, int] | None = (1, 2)) -> Build:
    """An iOS 14-16 photo: the gain map's XMP holds only HDRGainMapVersion; the headroom is in the EXIF maker
    note (33: 3/2, 48: 1/2 here: 2.1515 stops), beside a planted photo identifier, GPS and artist."""
    build = hdr_build(tiles)
    version_only = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                    '<rdf:Description rdf:about="" xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/">'
                    '<HDRGainMap:HDRGainMapVersion>65536</HDRGainMap:HDRGainMapVersion>'
                    '</rdf:Description></rdf:RDF></x:xmpmeta>').encode()
    build.parts[2] = Part(3, b"mime", version_only, content_type="application/rdf+xml", hidden=True)
    build.parts[6] = Part(7, b"Exif", exif_item(ARTIST, apple_maker_note((3, 2), gain)), hidden=True)
    return build


def test_keep_hdr_writes_the_maker_note_headroom_into_the_gain_maps_xmp(tiles: tuple[Coded, Coded, Coded],
                                                                       tmp_path: Path) -> None:
    original = ios16_build(tiles).bytes()
    assert has(heif.inspect(original), Category.DEVICE, CONTENT_IDENTIFIER)  # the maker note is read and reported
    cleaned = clean_bytes(original, keep_hdr=True)
    assert any("from the EXIF maker note" in text for text in cleaned.kept)
    after = heif.parse(io.BytesIO(cleaned.data))
    assert sorted(after.items) == [1, 2, 3]
    expected = f"{2 ** (2.303 - 0.303 * 0.5):.6f}"
    # Written as iOS 17 writes it: with its version number, from which Apple's readers take the XMP headroom.
    assert gain_map_parameters.values_in_packet(item_bytes(cleaned.data, after, 3)) == {
        "HDRGainMapVersion": "131072", "HDRGainMapHeadroom": expected}
    assert_absent(heif, cleaned.data, [ARTIST, CONTENT_IDENTIFIER, "Apple iOS"])
    assert heif.inspect(cleaned.data, keep_hdr=True) == []
    # Cleaning the clean copy again keeps the same numbers: the packet is now its own source.
    assert clean_bytes(cleaned.data, keep_hdr=True).data == cleaned.data
    if exiftool_judge.AVAILABLE:
        assert identifying(cleaned.data, tmp_path) <= {
            "XMP-HDRGainMap:HDRGainMapVersion", "XMP-HDRGainMap:HDRGainMapHeadroom"}


def test_a_maker_note_without_tag_48_counts_it_as_zero(tiles: tuple[Coded, Coded, Coded]) -> None:
    cleaned = clean_bytes(ios16_build(tiles, gain=None).bytes(), keep_hdr=True)
    after = heif.parse(io.BytesIO(cleaned.data))
    assert gain_map_parameters.values_in_packet(item_bytes(cleaned.data, after, 3))["HDRGainMapHeadroom"] == "8.000000"


def test_without_keep_hdr_nothing_of_the_maker_note_stays(tiles: tuple[Coded, Coded, Coded]) -> None:
    cleaned = clean_bytes(ios16_build(tiles).bytes())
    assert sorted(heif.parse(io.BytesIO(cleaned.data)).items) == [1]
    assert b"HDRGainMap" not in cleaned.data
