"""TIFF files with planted metadata, and the malformed TIFFs the parser must refuse."""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable

from PIL import Image
from PIL.TiffImagePlugin import IFDRational, ImageFileDirectory_v2

XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
       b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
       b' photoshop:City="PLANTED-CITY-8e1f"><dc:creator><rdf:Seq><rdf:li>PLANTED-XMP-CREATOR-2d7c</rdf:li>'
       b'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


IPTC = b"\x1c\x02\x50\x00\x13PLANTED-BYLINE-55aa"


_PS_IPTC = b"\x1c\x02\x50\x00\x16PLANTED-PS-BYLINE-90bd"


PHOTOSHOP = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(_PS_IPTC)) + _PS_IPTC + b"\x00"


def _noise(mode: str, size: tuple[int, int], seed: int) -> Image.Image:
    """Deterministic non-trivial pixels, so 'pixels equal' means something."""
    raw = random.Random(seed).randbytes(len(Image.new(mode, size).tobytes()))
    if mode == "F":  # keep floats finite
        raw = b"".join(struct.pack("=f", b / 7) for b in raw[: size[0] * size[1]])
    image = Image.frombytes(mode, size, raw)
    if mode == "P":
        image.putpalette([random.Random(seed).randrange(256) for _ in range(768)])
    return image


def _planted_info(with_exif: bool) -> ImageFileDirectory_v2:
    info = ImageFileDirectory_v2()
    texts = {270: "PLANTED-DESC-5b21", 271: "PLANTED-MAKE-1c9e", 272: "PLANTED-MODEL-77d0",
             305: "PLANTED-SOFTWARE-3e8a", 306: "2017:06:15 13:45:12", 315: "PLANTED-ARTIST-7f3a",
             316: "PLANTED-HOST-4410", 33432: "PLANTED-COPYRIGHT-9a02", 269: "PLANTED-DOCNAME-61f0",
             285: "PLANTED-PAGENAME-0c3b", 65000: "PLANTED-PRIVATE-ab12"}
    for tag, text in texts.items():
        info[tag] = text
        info.tagtype[tag] = 2
    for tag, blob, kind in ((700, XMP, 1), (33723, IPTC, 7), (34377, PHOTOSHOP, 7),
                            (40093, "PLANTED-XPAUTHOR-c0de".encode("utf-16-le") + b"\0\0", 1)):
        info[tag] = blob
        info.tagtype[tag] = kind
    info[274] = 6  # Orientation: kept, not a finding
    info.tagtype[274] = 3
    if with_exif:  # Pillow's own writer (uncompressed) can nest directories; libtiff cannot
        info[34665] = {0x9003: "2015:08:09 10:11:12", 0xA431: "SN-PLANTED-99812",
                       0xA430: "PLANTED-OWNER-e4e4", 0xA434: "PLANTED-LENS-0f0f"}
        info.tagtype[34665] = 4
        info[34853] = {1: "N", 2: (IFDRational(46), IFDRational(38), IFDRational(744, 100)),
                       3: "E", 4: (IFDRational(32), IFDRational(37), IFDRational(84, 100))}
        info.tagtype[34853] = 4
    return info


def _pillow(mode: str, compression: str, pages: tuple[str, ...] = ()) -> bytes:
    raw = compression == "raw"
    buffer = io.BytesIO()
    extra = [_noise(m, (23 + 4 * i, 17 + 3 * i), 10 + i) for i, m in enumerate(pages)]
    _noise(mode, (37, 29), 1).save(buffer, format="TIFF", tiffinfo=_planted_info(raw), compression=compression,
                                   save_all=bool(extra), append_images=extra)
    return buffer.getvalue() if raw else _graft_exif_gps(buffer.getvalue())


FIXTURES: dict[str, Callable[[], bytes]] = {
    "uncompressed-rgb": lambda: _pillow("RGB", "raw"),
    "lzw-rgb": lambda: _pillow("RGB", "tiff_lzw"),
    "deflate-rgba": lambda: _pillow("RGBA", "tiff_adobe_deflate"),
    "jpeg-ycbcr": lambda: _pillow("YCbCr", "jpeg"),
    "packbits-palette": lambda: _pillow("P", "packbits"),
    "g4-bilevel": lambda: _pillow("1", "group4"),
    "grey16-little-endian": lambda: _pillow("I;16", "raw"),
    "grey16-big-endian": lambda: _pillow("I;16B", "raw"),
    "float32": lambda: _pillow("F", "raw"),
    "multipage-lzw": lambda: _pillow("RGB", "tiff_lzw", ("L", "RGBA", "I;16")),
    "multipage-uncompressed": lambda: _pillow("RGB", "raw", ("CMYK", "LA")),
}


def _entry(order: str, tag: int, kind: int, values: object) -> tuple[int, int, int, bytes]:
    if kind == 2:
        raw = str(values).encode() + b"\0"
        return tag, kind, len(raw), raw
    if kind in (1, 7):
        return tag, kind, len(values), bytes(values)  # type: ignore[arg-type]
    letter = {3: "H", 4: "I", 5: "I", 12: "d"}[kind]
    items = list(values) if isinstance(values, (list, tuple)) else [values]
    count = len(items) // 2 if kind == 5 else len(items)
    return tag, kind, count, struct.pack(f"{order}{len(items)}{letter}", *items)


def _write_ifd(out: bytearray, order: str, entries: list[tuple[int, int, int, bytes | int]],
               sort: bool = True) -> int:
    """Values out of line first, then the directory. An int value is written as a raw pointer."""
    records = []
    for tag, kind, count, raw in (sorted(entries, key=lambda e: e[0]) if sort else entries):
        if isinstance(raw, int):
            records.append(struct.pack(order + "HHII", tag, kind, count, raw))
        elif len(raw) <= 4:
            records.append(struct.pack(order + "HHI", tag, kind, count) + raw.ljust(4, b"\0"))
        else:
            records.append(struct.pack(order + "HHII", tag, kind, count, _put(out, raw)))
    offset = _put(out, struct.pack(order + "H", len(records)) + b"".join(records) + bytes(4))
    return offset


def _put(out: bytearray, blob: bytes) -> int:
    if len(out) % 2:
        out.append(0)
    out += blob
    return len(out) - len(blob)


def _link(out: bytearray, order: str, ifd: int, target: int) -> None:
    """Set the next-IFD pointer of the directory at `ifd`."""
    (count,) = struct.unpack_from(order + "H", out, ifd)
    struct.pack_into(order + "I", out, ifd + 2 + 12 * count, target)


def _header(order: str) -> bytearray:
    return bytearray((b"II*\0" if order == "<" else b"MM\0*") + bytes(4))


def _grey(out: bytearray, order: str, size: tuple[int, int], seed: int, extra: list | None = None,
          replace: dict[int, tuple] | None = None) -> int:
    """An uncompressed 8-bit grey image; returns its directory offset."""
    width, height = size
    strip = _put(out, random.Random(seed).randbytes(width * height))
    fields = {256: (3, width), 257: (3, height), 258: (3, 8), 259: (3, 1), 262: (3, 1), 273: (4, strip),
              277: (3, 1), 278: (3, height), 279: (4, width * height), **(replace or {})}
    entries = [_entry(order, tag, kind, value) for tag, (kind, value) in fields.items()]
    return _write_ifd(out, order, entries + list(extra or []))


def _single(order: str = "<", size: tuple[int, int] = (16, 8), **kwargs: object) -> bytes:
    out = _header(order)
    struct.pack_into(order + "I", out, 4, _grey(out, order, size, 5, **kwargs))  # type: ignore[arg-type]
    return bytes(out)


def _graft_exif_gps(data: bytes) -> bytes:
    """Move IFD0 to the end with EXIF and GPS pointers added (libtiff will not write them)."""
    order = "<" if data[:2] == b"II" else ">"
    out = bytearray(data)
    (first,) = struct.unpack_from(order + "I", out, 4)
    (count,) = struct.unpack_from(order + "H", out, first)
    records = [bytes(out[first + 2 + 12 * i:first + 14 + 12 * i]) for i in range(count)]
    next_pointer = bytes(out[first + 2 + 12 * count:first + 6 + 12 * count])
    exif = _write_ifd(out, order, [_entry(order, 0x9003, 2, "2015:08:09 10:11:12"),
                                   _entry(order, 0xA431, 2, "SN-PLANTED-99812"),
                                   _entry(order, 0xA430, 2, "PLANTED-OWNER-e4e4"),
                                   _entry(order, 0xA434, 2, "PLANTED-LENS-0f0f"),
                                   _entry(order, 0x927C, 7, b"PLANTED-MAKERNOTE-0000")])
    gps = _write_ifd(out, order, [_entry(order, 1, 2, "N"), _entry(order, 2, 5, (46, 1, 38, 1, 744, 100)),
                                  _entry(order, 3, 2, "E"), _entry(order, 4, 5, (32, 1, 37, 1, 84, 100))])
    records += [struct.pack(order + "HHII", 34665, 4, 1, exif), struct.pack(order + "HHII", 34853, 4, 1, gps)]
    records.sort(key=lambda record: struct.unpack_from(order + "H", record)[0])
    new = _put(out, struct.pack(order + "H", len(records)) + b"".join(records) + next_pointer)
    out[first:first + 6 + 12 * count] = bytes(6 + 12 * count)  # no left-over copy of the old IFD0
    struct.pack_into(order + "I", out, 4, new)
    return bytes(out)


def _grey_fields(strip: int, size: tuple[int, int] = (8, 8)) -> list[tuple[int, int, object]]:
    """The tags of an uncompressed 8-bit grey image stored in one strip."""
    width, height = size
    return [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, strip),
            (277, 3, 1), (278, 3, height), (279, 4, width * height)]


def _file(order: str, pages: list[list[tuple[int, int, int, bytes | int]]], out: bytearray | None = None) -> bytes:
    """Pages chained in order; `out` may already hold strips the entries point to."""
    out = out if out is not None else _header(order)
    offsets = [_write_ifd(out, order, entries) for entries in pages]
    for current, following in zip(offsets, offsets[1:]):
        _link(out, order, current, following)
    struct.pack_into(order + "I", out, 4, offsets[0])
    return bytes(out)


def _pages_sharing(count: int, size: tuple[int, int], extra: list | None = None) -> bytes:
    """`count` pages whose strip is the same block of bytes."""
    out = _header("<")
    strip = _put(out, bytes(size[0] * size[1]))
    page = [_entry("<", *f) for f in _grey_fields(strip, size)] + list(extra or [])
    return _file("<", [page] * count, out)


def _looped_chain() -> bytes:
    out = _header("<")
    first = _grey(out, "<", (8, 8), 1)
    _link(out, "<", first, first)
    struct.pack_into("<I", out, 4, first)
    return bytes(out)


def _two_page_loop() -> bytes:
    out = _header("<")
    first, second = _grey(out, "<", (8, 8), 1), _grey(out, "<", (8, 8), 2)
    _link(out, "<", first, second)
    _link(out, "<", second, first)
    struct.pack_into("<I", out, 4, first)
    return bytes(out)


def _pointing_at_itself(tag: int) -> bytes:
    """IFD0 whose EXIF or SubIFD pointer leads back to IFD0."""
    out = _header("<")
    strip = _put(out, bytes(64))
    offset = len(out)  # the directory is written right after the strip (no value is out of line)
    entries = [_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", tag, 4, offset)]
    assert _write_ifd(out, "<", entries) == offset
    struct.pack_into("<I", out, 4, offset)
    return bytes(out)


def _set_field(data: bytes, tag: int, *, kind: int | None = None, count: int | None = None,
               value: int | None = None, ifd: int | None = None) -> bytes:
    """Overwrite parts of one entry of a little-endian directory (IFD0 unless told)."""
    out = bytearray(data)
    ifd = struct.unpack_from("<I", out, 4)[0] if ifd is None else ifd
    (entries,) = struct.unpack_from("<H", out, ifd)
    for index in range(entries):
        position = ifd + 2 + 12 * index
        if struct.unpack_from("<H", out, position)[0] == tag:
            old_kind, old_count, old_value = struct.unpack_from("<HII", out, position + 2)
            struct.pack_into("<HII", out, position + 2, old_kind if kind is None else kind,
                             old_count if count is None else count, old_value if value is None else value)
            return bytes(out)
    raise AssertionError(f"no tag {tag}")


def _jpeg_with_exif() -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[315] = "PLANTED-ARTIST-7f3a"
    _noise("RGB", (16, 16), 9).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _jpeg_strip_file(stream: bytes) -> bytes:
    out = _header("<")
    strip = _put(out, stream)
    fields = [(256, 3, 16), (257, 3, 16), (258, 3, [8, 8, 8]), (259, 3, 7), (262, 3, 6), (273, 4, strip),
              (277, 3, 3), (278, 3, 16), (279, 4, len(stream))]
    return _file("<", [[_entry("<", *f) for f in fields]], out)


def _duplicate_tag() -> bytes:
    out = _header("<")
    strip = _put(out, bytes(64))
    entries = [_entry("<", *f) for f in _grey_fields(strip)] + [_entry("<", 279, 4, 32)]
    struct.pack_into("<I", out, 4, _write_ifd(out, "<", entries, sort=False))
    return bytes(out)


def _without_tags(data: bytes, tags: set[int]) -> bytes:
    out = bytearray(data)
    (first,) = struct.unpack_from("<I", out, 4)
    (count,) = struct.unpack_from("<H", out, first)
    for index in range(count):
        if struct.unpack_from("<H", out, first + 2 + 12 * index)[0] in tags:
            struct.pack_into("<H", out, first + 2 + 12 * index, 40000 + index)  # renamed: now unknown tags
    return bytes(out)


def _shared_value_bomb() -> bytes:
    """Pages pointing a tag at the same large value: reading them all would take far more than the file."""
    out = _header("<")
    blob = _put(out, bytes(8192))
    strip = _put(out, bytes(64))
    page = [_entry("<", *f) for f in _grey_fields(strip)] + [(37724, 7, 8192, blob)]
    return _file("<", [page] * 300, out)


def _palette_over_artist() -> bytes:
    """The palette's pointer covers the Artist text: keeping the palette would keep the text."""
    out = _header("<")
    shared = _put(out, b"PLANTED-ARTIST-7f3a".ljust(1536, b"\0"))
    strip = _put(out, bytes(64))
    fields = [(f if f[0] != 262 else (262, 3, 3)) for f in _grey_fields(strip)]
    page = [_entry("<", *f) for f in fields] + [(320, 3, 768, shared), (315, 2, 1536, shared)]
    return _file("<", [page], out)


def _strip_over_directory() -> bytes:
    data = _single()
    return _set_field(data, 273, value=struct.unpack_from("<I", data, 4)[0] - 64)


MALFORMED: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "not a TIFF"),
    "not tiff": (lambda: b"PK\x03\x04" + bytes(100), "not a TIFF"),
    "bad magic": (lambda: b"II\x2b\x01" + bytes(100), "not a classic TIFF"),
    "bigtiff": (lambda: b"II\x2b\x00\x08\x00\x00\x00" + bytes(64), "BigTIFF"),
    "no ifd": (lambda: b"II*\x00\x00\x00\x00\x00", "no image directory"),
    "ifd beyond file": (lambda: b"II*\x00\xff\xff\x00\x00" + bytes(32), "outside the file"),
    "ifd in header": (lambda: b"MM\x00*\x00\x00\x00\x04" + bytes(32), "outside the file"),
    "empty ifd": (lambda: b"II*\x00\x08\x00\x00\x00" + bytes(6), "empty or runs past"),
    "entry count past end": (lambda: b"II*\x00\x08\x00\x00\x00\xff\xff" + bytes(40), "empty or runs past"),
    "ifd loops to itself": (_looped_chain, "loops back"),
    "two pages loop": (_two_page_loop, "loops back"),
    "exif points at ifd0": (lambda: _pointing_at_itself(34665), "loops back"),
    "subifd points at itself": (lambda: _pointing_at_itself(330), "loops back"),
    "strip beyond file": (lambda: _single(replace={273: (4, 10**6)}), "outside the file"),
    "strip runs past end": (lambda: _single(replace={279: (4, 10**6)}), "outside the file"),
    "value beyond file": (lambda: _set_field(_single(extra=[_entry("<", 315, 2, "PLANTED-ARTIST-7f3a")]), 315,
                                             value=2**31), "points outside"),
    "value ends past file": (lambda: _set_field(_single(extra=[_entry("<", 315, 2, "PLANTED-ARTIST-7f3a")]),
                                                315, count=10**5), "points outside"),
    "huge count": (lambda: _set_field(_single(extra=[_entry("<", 320, 3, list(range(768)))]), 320,
                                      count=0x7FFFFFFF), "points outside"),
    "huge strip count": (lambda: _set_field(_single(), 273, count=0x3FFFFFFF), "points outside"),
    "count overflowing 32 bits": (lambda: _set_field(_single(extra=[_entry("<", 282, 5, (72, 1))]), 282,
                                                     count=0x20000001, value=8), "points outside"),
    "strip count mismatch": (lambda: _single(replace={278: (3, 2)}), "number of strips"),
    "strips and tiles": (lambda: _single(extra=[_entry("<", 322, 3, 16), _entry("<", 323, 3, 16)]),
                         "both strips and tiles"),
    "duplicate tag": (_duplicate_tag, "twice"),
    "no strips": (lambda: _without_tags(_single(), {273, 279}), "no complete strip"),
    "zero rows per strip": (lambda: _single(replace={278: (3, 0)}), "zero"),
    "dng": (lambda: _single(extra=[_entry("<", 50706, 1, b"\x01\x04\x00\x00")]), "DNG"),
    "old-style jpeg": (lambda: _single(replace={259: (3, 6)}), "compression 6"),
    "jpeg 2000": (lambda: _single(replace={259: (3, 34712)}), "compression 34712"),
    "jpeg strip with exif": (lambda: _jpeg_strip_file(_jpeg_with_exif()), "APPn/COM"),
    "jpeg strip that is not jpeg": (lambda: _jpeg_strip_file(b"PLANTED-NOT-JPEG" * 4), "not a JPEG stream"),
    "only previews": (lambda: _single(extra=[_entry("<", 254, 4, 1)]), "only reduced-resolution"),
    "kept tag of unknown type": (lambda: _set_field(_single(), 262, kind=99), "unexpected type"),
    "text in a kept tag": (lambda: _single(extra=[_entry("<", 320, 2, "PLANTED-ARTIST-7f3a")]), "unexpected type"),
    "colormap of wrong size": (lambda: _single(extra=[_entry("<", 320, 3, list(range(30)))]), "unexpected type"),
    "extra bytes in raw strip": (lambda: _single(replace={279: (4, 16 * 8 + 20)}), "more or fewer bytes"),
    "overlapping strips": (lambda: _pages_sharing(8, (64, 64)), "overlap"),
    "shared value bomb": (_shared_value_bomb, "overlap"),
    "palette over removed text": (_palette_over_artist, "overlaps"),
    "strip over the directory": (_strip_over_directory, "overlaps"),
    "too many pages": (lambda: _pages_sharing(1100, (1, 1)), "more than 1024 directories"),
}
