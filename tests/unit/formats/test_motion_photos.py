"""Motion photos: a still with the seconds of video around it appended (Google's and Samsung's JPEG
motion photos: the MP4 after the JPEG's end, XMP naming its offset; Samsung's SEF records after that).
The video is a whole recording of the scene, with sound and its own location: it must go, never pass.
The HEIC forms are in test_format_heif.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from intake.clean import clean_bytes
from intake.formats import jpeg
from intake.formats.base import Category
from planted import assert_absent, has, located_clip, sef_block

LOCATION = "+46.6354+032.6169/"
MICRO_VIDEO_XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                   '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1" '
                   'GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{offset}"/></rdf:RDF></x:xmpmeta>')


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return located_clip(tmp_path_factory.mktemp("clip"), LOCATION)


def still(xmp: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", quality=90, xmp=xmp.encode())
    return out.getvalue()


def test_a_jpeg_motion_photo_loses_its_video_and_sef_records(clip: bytes) -> None:
    sef = sef_block([(0x0A01, "Image_UTC_Data", b"1705124333853"), (0x0AA1, "MCC_Data", b"310")])
    original = still(MICRO_VIDEO_XMP.format(offset=len(clip) + len(sef))) + clip + sef
    assert has(jpeg.inspect(original), Category.HIDDEN, "bytes after the end of the image")
    cleaned = clean_bytes(original)
    assert_absent(jpeg, cleaned.data, [LOCATION, "MicroVideoOffset", "Image_UTC_Data", "1705124333853"])
    assert clip[-64:] not in cleaned.data and b"ftypisom" not in cleaned.data
    assert jpeg.parse(cleaned.data).trailer == b""
    with Image.open(io.BytesIO(cleaned.data)) as clean, Image.open(io.BytesIO(original)) as before:
        assert clean.tobytes() == before.tobytes()
