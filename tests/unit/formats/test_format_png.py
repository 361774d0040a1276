"""PNG cleaning: every planted value goes, every pixel stays, bad input is refused.

The planted EXIF, XMP and ICC builders here are shared with the GIF and WebP
tests, which carry the same blocks in their own containers.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, ImageOps, ImageSequence, PngImagePlugin

from intake.formats import png
from intake.formats.base import Category
from intake.errors import Refused
from png_builders import raw_profile
from png_builders import ARTIST, COMMENT, DESCRIPTION, GPS_DECIMAL, HIDDEN_CHUNK, ICC_COPYRIGHT, ICC_DESC, SERIAL, SOFTWARE, TAIL, XMP_CITY, XMP_CREATOR, apng, assert_nothing_planted, categories, chunk, exiftool_check, idat_png, insert_before, interlaced_png, noise, planted_exif, planted_png, small_png, standard_icc


# ---------------------------------------------------------------- planted blocks (shared)


# ---------------------------------------------------------------- PNG helpers


def chunk_list(data: bytes) -> list[tuple[bytes, bytes]]:
    """An independent walk over the chunks (not the module's parser)."""
    out, offset = [], 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        kind = data[offset + 4:offset + 8]
        out.append((kind, data[offset + 8:offset + 8 + length]))
        offset += 12 + length
        if kind == b"IEND":
            break
    return out


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    return image.mode, image.size, image.tobytes()


def frames(data: bytes) -> list[bytes]:
    return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


# ---------------------------------------------------------------- the planted file

@pytest.fixture(scope="module")
def dirty() -> bytes:
    return planted_png()


def test_planted_values_are_found_with_categories(dirty: bytes) -> None:
    findings = png.inspect(dirty)
    assert categories(findings) == set(Category)
    shown = {(f.value, f.category, f.where) for f in findings}
    for expected in [
        (GPS_DECIMAL, Category.LOCATION, "EXIF (PNG eXIf chunk)"),
        (ARTIST, Category.PERSON, "PNG tEXt chunk"),
        (ARTIST, Category.PERSON, "EXIF (PNG eXIf chunk)"),
        (XMP_CREATOR, Category.PERSON, "XMP (PNG iTXt chunk)"),
        (XMP_CITY, Category.LOCATION, "XMP (PNG iTXt chunk)"),
        (SERIAL, Category.DEVICE, "EXIF (PNG eXIf chunk)"),
        (SOFTWARE, Category.SOFTWARE, "PNG tEXt chunk"),
        (COMMENT, Category.OTHER, "PNG zTXt chunk"),
        (DESCRIPTION, Category.OTHER, "PNG iTXt chunk"),
        (ICC_DESC, Category.DEVICE, "PNG iCCP chunk (colour profile)"),
        (ICC_COPYRIGHT, Category.PERSON, "PNG iCCP chunk (colour profile)"),
        ("2019-07-04 13:37:00 UTC", Category.TIME, "PNG tIME chunk"),
        (f"{len(TAIL)} bytes", Category.HIDDEN, "bytes after the end of the image"),
        (f"{len(HIDDEN_CHUNK)} bytes", Category.HIDDEN, "PNG prVW chunk"),
        # The hex-encoded EXIF in a text chunk is decoded, not just reported as text.
        (GPS_DECIMAL, Category.LOCATION, "EXIF (PNG tEXt chunk 'Raw profile type exif')"),
    ]:
        assert expected in shown, expected
    assert any(f.field == "embedded thumbnail" and f.category is Category.HIDDEN for f in findings)


def test_clean_copy_has_no_planted_value_and_same_pixels(dirty: bytes) -> None:
    clean = png.sanitize(dirty)
    assert_nothing_planted(clean, png.views(clean))
    assert png.inspect(clean) == []
    assert pixels(clean) == pixels(dirty)
    assert png.content(clean) == png.content(dirty)
    kinds = [kind for kind, _ in chunk_list(clean)]
    assert kinds == [b"IHDR", b"eXIf", b"IDAT", b"IEND"]  # the custom ICC profile went too
    assert png.sanitize(clean) == clean


def test_idat_is_kept_byte_for_byte(dirty: bytes) -> None:
    clean = png.sanitize(dirty)
    idat = [data for kind, data in chunk_list(dirty) if kind == b"IDAT"]
    assert [data for kind, data in chunk_list(clean) if kind == b"IDAT"] == idat


def test_orientation_survives_alone(dirty: bytes) -> None:
    clean = png.sanitize(dirty)
    exif = Image.open(io.BytesIO(clean)).getexif()
    assert dict(exif) == {0x0112: 6}


def test_views_reach_compressed_text(dirty: bytes) -> None:
    reachable = b"".join(view.data for view in png.views(dirty))
    for value in (COMMENT, DESCRIPTION, ICC_DESC, ARTIST, "Beschreibung"):
        assert value.encode() in reachable
    assert COMMENT.encode() not in dirty  # only after decompression


def test_exiftool_finds_nothing(dirty: bytes, tmp_path: Path) -> None:
    tags = exiftool_check(tmp_path, "clean.png", png.sanitize(dirty))
    assert tags.get("IFD0:Orientation") in ("Rotate 90 CW", 6)


def test_standard_profile_is_kept_without_its_date(tmp_path: Path) -> None:
    profile = standard_icc()
    data = planted_png(icc=profile)
    findings = png.inspect(data)
    assert any(f.field == "ICC profile creation date" and f.category is Category.TIME for f in findings)
    clean = png.sanitize(data)
    assert png.inspect(clean) == []
    kept = Image.open(io.BytesIO(clean)).info["icc_profile"]
    # The date, the profile ID and every other header field that is not about colour are zeroed.
    assert kept[24:36] == bytes(12) and kept[84:100] == bytes(16) and kept[4:8] == kept[80:84] == bytes(4)
    assert kept[:4] + kept[8:24] + kept[36:40] + kept[64:80] + kept[128:] == \
        profile[:4] + profile[8:24] + profile[36:40] + profile[64:80] + profile[128:]
    assert pixels(clean) == pixels(data)
    # exiftool lists a profile's header fields (DeviceModel, ProfileCreator...) under ICC
    # groups; they are the same in every copy of the standard profile.
    tags = exiftool_check(tmp_path, "srgb.png", clean, ignore_groups=("ICC",))
    assert tags["ICC-header:ProfileDateTime"].startswith("0000:00:00")


def test_profile_with_a_private_name_is_dropped() -> None:
    out = io.BytesIO()
    noise().save(out, "PNG", icc_profile=standard_icc())
    data = out.getvalue().replace(b"ICC Profile\0", b"Olga's iMac\0", 1)
    data = b"".join(chunk(k, v) for k, v in chunk_list(data))  # fix the CRC
    data = png.SIGNATURE + data
    findings = png.inspect(data)
    assert any(f.value == "Olga's iMac" for f in findings)
    assert b"iCCP" not in png.sanitize(data)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGBA", "I;16"])
def test_every_colour_type_round_trips(mode: str) -> None:
    image = noise((37, 19), "L" if mode in ("1", "I;16") else "RGB").convert(mode)
    save = {"transparency": 3} if mode == "P" else {}
    data = planted_png(image, **save)
    clean = png.sanitize(data)
    assert pixels(clean) == pixels(data)
    assert png.inspect(clean) == [] and png.content(clean) == png.content(data)
    if mode == "P":
        assert b"tRNS" in clean and b"PLTE" in clean


def test_apng_frames_and_animation_are_kept(tmp_path: Path) -> None:
    images = [noise((24, 16), seed=i) for i in range(3)]
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST)
    out = io.BytesIO()
    images[0].save(out, "PNG", save_all=True, append_images=images[1:], duration=[100, 200, 300], loop=2,
                   pnginfo=info, exif=planted_exif())
    data = out.getvalue()
    clean = png.sanitize(data)
    assert [k for k, _ in chunk_list(clean) if k in (b"acTL", b"fcTL", b"fdAT")] == \
           [k for k, _ in chunk_list(data) if k in (b"acTL", b"fcTL", b"fdAT")]
    assert frames(clean) == frames(data)
    assert len(png.content(data)) == 1 + 1 + 2  # IHDR, IDAT, two fdAT frames
    assert png.content(clean) == png.content(data) and png.inspect(clean) == []
    assert ARTIST.encode() not in clean
    exiftool_check(tmp_path, "anim.png", clean)


def test_interlaced_image() -> None:
    data = interlaced_png()
    clean = png.sanitize(data)
    assert pixels(clean) == pixels(data) and ARTIST.encode() not in clean
    with pytest.raises(Refused, match="more than the image needs"):
        png.sanitize(interlaced_png(extra=b"\0"))


# ---------------------------------------------------------------- malformed input


def assert_refused_or_clean(data: bytes) -> None:
    """Every verb either works or raises Refused; a clean copy is really clean."""
    for verb in (png.inspect, png.views, png.content):
        try:
            verb(data)
        except Refused:
            pass
    try:
        clean = png.sanitize(data)
    except Refused as refusal:
        assert str(refusal) and "\n" not in str(refusal)
        return
    assert png.inspect(clean) == []
    assert png.content(clean) == png.content(data)


def test_truncation_at_every_offset_is_refused() -> None:
    data = small_png()
    start = time.monotonic()
    for cut in range(len(data)):
        with pytest.raises(Refused):
            png.sanitize(data[:cut])
        with pytest.raises(Refused):
            png.inspect(data[:cut])
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("data,reason", [
    (b"\x89PNG\r\n\x1a\n", "truncated"),
    (b"GIF89a", "not a PNG"),
    (small_png()[:-1] + bytes([small_png()[-1] ^ 1]), "CRC"),
    (insert_before(small_png(), b"IDAT", chunk(b"ZZZZ", b"secret")), "unknown critical"),
    (insert_before(small_png(), b"IDAT", chunk(b"gAMA", b"\0\0\0\0PLANTED")), "invalid length"),
    (png.SIGNATURE + b"\xff\xff\xff\xffIHDR" + bytes(20), "length"),
    (png.SIGNATURE + chunk(b"IH1R", bytes(13)), "four letters"),
    (idat_png(zlib.compress(bytes(20))), "image data"),                     # right size, fine below
    (idat_png(zlib.compress(bytes(21))), "more than the image needs"),
    (idat_png(zlib.compress(bytes(19))), "truncated"),
    (idat_png(zlib.compress(bytes(20)) + b"PLANTED"), "bytes after the compressed stream"),
    (idat_png(zlib.compress(bytes(20))[:-3]), "truncated"),
    (idat_png(b"not zlib at all"), "not valid zlib"),
    (idat_png(zlib.compress(bytes(20)), colour=3), "palette"),
    (png.SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)) + chunk(b"IEND", b""),
     "no image data"),
])
def test_malformed_is_refused(data: bytes, reason: str) -> None:
    if reason == "image data":
        assert pixels(png.sanitize(data))[1] == (4, 4)
        return
    with pytest.raises(Refused, match=reason):
        png.sanitize(data)
    with pytest.raises(Refused):
        png.inspect(data)


def test_decompression_bomb_is_refused_quickly() -> None:
    # 60000 x 60000 RGBA would be 14 GB of pixels from a few KB of zlib.
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0)
    bomb = png.SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(10 << 20))) + chunk(b"IEND", b"")
    start = time.monotonic()
    with pytest.raises(Refused, match="MiB"):
        png.content(bomb)
    assert time.monotonic() - start < 2


def test_text_bomb_is_bounded() -> None:
    # A zTXt that inflates to 64 MiB: removed anyway; inspect only looks at the first part.
    bomb = chunk(b"zTXt", b"Comment\0\0" + zlib.compress(bytes(64 << 20), 9))
    data = insert_before(small_png(), b"IDAT", bomb)
    start = time.monotonic()
    findings = png.inspect(data)
    assert any("over 16 MiB" in f.value for f in findings)
    assert b"zTXt" not in png.sanitize(data)
    assert time.monotonic() - start < 5


def test_many_small_bombs_and_many_chunks_are_refused_quickly() -> None:
    bomb = chunk(b"zTXt", b"Comment\0\0" + zlib.compress(bytes(16 << 20), 9))
    start = time.monotonic()
    with pytest.raises(Refused, match="expand to more than"):
        png.views(insert_before(small_png(), b"IDAT", bomb * 5))
    with pytest.raises(Refused, match="more than 200000 chunks"):
        png.inspect(insert_before(small_png(), b"IDAT", chunk(b"prVW", b"") * 200_001))
    assert time.monotonic() - start < 5


def test_apng_structure_checks() -> None:
    assert png.sanitize(apng()) == apng()
    with pytest.raises(Refused, match="sequence"):
        png.sanitize(apng([0, 2, 1]))
    with pytest.raises(Refused, match="without its frame control"):
        png.sanitize(apng([0, 1, 1], drop_fctl=True))
    with pytest.raises(Refused, match="frame count"):
        png.sanitize(apng(frames_declared=1))


# ---------------------------------------------------------------- properties of the chunk parser

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
chunk_types = st.text(LETTERS, min_size=4, max_size=4).map(str.encode).filter(lambda kind: kind != b"IEND")
chunk_lists = st.lists(st.tuples(chunk_types, st.binary(max_size=64)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(chunk_lists, st.binary(max_size=32))
def test_chunk_list_round_trips(chunks: list[tuple[bytes, bytes]], tail: bytes) -> None:
    listed = [png.Chunk(kind, data) for kind, data in chunks] + [png.Chunk(b"IEND", b"")]
    data = png.build_png(listed) + tail
    assert png.parse_chunks(data) == (listed, tail)
    assert data == png.SIGNATURE + b"".join(chunk(c.type, c.data) for c in listed) + tail


MUTATION_BASE = planted_png(noise((6, 5)))
mutations = st.lists(st.tuples(st.integers(0, len(MUTATION_BASE) - 1), st.integers(0, 255)), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations, st.integers(0, len(MUTATION_BASE)))
def test_random_byte_mutations_raise_only_refused(changes: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(MUTATION_BASE)
    for offset, value in changes:
        data[offset] = value
    assert_refused_or_clean(bytes(data[:cut]))
    assert_refused_or_clean(bytes(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_chunk_data_with_valid_crcs_raises_only_refused(data: st.DataObject) -> None:
    """Mutations behind a correct CRC reach the structure checks, not just the CRC check."""
    chunks, tail = png.parse_chunks(MUTATION_BASE)
    index = data.draw(st.integers(0, len(chunks) - 1))
    body = bytearray(chunks[index].data)
    action = data.draw(st.sampled_from(["flip", "cut", "grow", "retype"]))
    if action == "flip" and body:
        body[data.draw(st.integers(0, len(body) - 1))] ^= data.draw(st.integers(1, 255))
    elif action == "cut":
        del body[data.draw(st.integers(0, len(body))):]
    elif action == "grow":
        body += data.draw(st.binary(min_size=1, max_size=16))
    kind = data.draw(chunk_types) if action == "retype" else chunks[index].type
    chunks[index] = png.Chunk(kind, bytes(body))
    assert_refused_or_clean(png.build_png(chunks) + tail)


# ---------------------------------------------------------------- an orientation stated only in XMP

XMP_KEYWORD = "XML:com.adobe.xmp"


def _xmp(orientation: int) -> str:
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/" tiff:Orientation="{orientation}" dc:source="{XMP_CREATOR}"/>'
            '</rdf:RDF></x:xmpmeta>')


def _shown(data: bytes) -> tuple[tuple[int, int], bytes]:
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    return shown.size, shown.tobytes()


def _saved(info: PngImagePlugin.PngInfo | None = None) -> bytes:
    out = io.BytesIO()
    noise((9, 7)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _xmp_in(how: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    if how == "iTXt after the image data":
        itxt = chunk(b"iTXt", XMP_KEYWORD.encode() + b"\0\0\0\0\0" + _xmp(6).encode())
        return insert_before(_saved(), b"IEND", itxt)
    if how == "compressed iTXt":
        info.add_itxt(XMP_KEYWORD, _xmp(6), zip=True)
    else:
        info.add_text(XMP_KEYWORD, _xmp(6), zip=how == "zTXt")
    return _saved(info)


@pytest.mark.parametrize("how", ["tEXt", "zTXt", "compressed iTXt", "iTXt after the image data"])
def test_an_xmp_orientation_in_any_text_chunk_is_kept_in_one_plain_itxt_after_ihdr(how: str) -> None:
    """Pillow reads XMP from any text chunk with its keyword, wherever it is; the clean copy keeps
    the orientation alone, in an uncompressed iTXt before the image data."""
    data = _xmp_in(how)
    clean = png.sanitize(data)
    kinds = [kind for kind, _ in chunk_list(clean)]
    assert kinds[:2] == [b"IHDR", b"iTXt"] and kinds.count(b"iTXt") == 1 and b"tEXt" not in kinds
    assert _shown(clean) == _shown(data) != _shown(_saved())
    assert XMP_CREATOR.encode() not in clean and png.inspect(clean) == [] and png.sanitize(clean) == clean


def test_an_exif_orientation_in_an_imagemagick_raw_profile_outweighs_the_xmp_one() -> None:
    """Where eXIf is missing Pillow reads ImageMagick's raw EXIF profile: its orientation (1 here)
    is the one shown, so the XMP one is not kept, and the clean copy is shown as the original."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", raw_profile("exif", b"Exif\0\0" + planted_exif(1)))
    info.add_itxt(XMP_KEYWORD, _xmp(6))
    data = _saved(info)
    clean = png.sanitize(data)
    assert b"iTXt" not in clean and b"Orientation" not in clean
    assert _shown(clean) == _shown(data) == _shown(_saved())


def test_a_raw_exif_orientation_is_kept_and_outweighs_the_xmp_one() -> None:
    """The raw profile counts as EXIF: its orientation (6) is kept, in a raw profile holding
    the minimal EXIF alone, and the XMP one (3) goes."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", raw_profile("exif", b"Exif\0\0" + planted_exif(6)), zip=True)
    info.add_itxt(XMP_KEYWORD, _xmp(3))
    data = _saved(info)
    clean = png.sanitize(data)
    kinds = [kind for kind, _ in chunk_list(clean)]
    assert kinds[:2] == [b"IHDR", b"tEXt"] and b"iTXt" not in kinds and b"zTXt" not in kinds
    assert chunk_list(clean)[1][1] == b"Raw profile type exif\0" + raw_profile(
        "exif", b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0").encode()
    assert _shown(clean) == _shown(data) != _shown(_saved())
    assert png.inspect(clean) == [] and png.sanitize(clean) == clean
    assert_nothing_planted(clean, [])


def test_an_exif_chunk_without_orientation_leaves_the_xmp_orientation_to_readers() -> None:
    """Pillow reads eXIf when there is one and then ignores the raw profile: an eXIf without an
    orientation states none, so the XMP orientation is what Pillow obeys, and it is kept."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", raw_profile("exif", b"Exif\0\0" + planted_exif(1)))
    info.add_itxt(XMP_KEYWORD, _xmp(6))
    data = insert_before(_saved(info), b"IDAT", chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0\0\0\0\0"))
    clean = png.sanitize(data)
    assert _shown(clean) == _shown(data) != _shown(_saved())
    assert [kind for kind, _ in chunk_list(clean)][:2] == [b"IHDR", b"iTXt"] and b"Raw profile" not in clean
