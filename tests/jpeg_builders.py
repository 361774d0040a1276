"""A small JPEG with planted EXIF, GPS and a comment, shared by the cleaning, CLI and crash tests."""

from __future__ import annotations

import io

from PIL import Image
from PIL.ExifTags import IFD

ARTIST = "PLANTED-ARTIST-Okonkwo"
SERIAL = "SN-PLANTED-99812"


def planted_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (120, 30, 200))
    exif = image.getexif()
    exif[0x013B] = ARTIST
    exif[0x010F] = "PlantedMake"
    exif.get_ifd(IFD.Exif)[0xA431] = SERIAL
    exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (46.0, 38.0, 7.44), 3: "E", 4: (32.0, 37.0, 0.84)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90, comment=b"PLANTED-COMMENT-lot7")
    return out.getvalue()
