"""HEIF files built box by box (items, properties, references) from coded tiles pillow-heif makes, with planted metadata: an iPhone-shaped HDR photo among them."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image
from PIL.TiffImagePlugin import IFDRational, ImageFileDirectory_v2

from intake.formats.isobmff import heif
from intake.formats.isobmff.boxes import box_bytes, full_box_payload


pillow_heif.register_heif_opener()  # Pillow encodes the tiles as HEIF through it

ARTIST = "PLANTED-ARTIST-7f3a"
XMP_CREATOR = "PLANTED-XMP-CREATOR-a61b"


def picture(width: int, height: int, seed: int = 0, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height))
    image.putdata([((x * 7 + seed) % 256, (y * 5 + seed) % 256, (x * y + seed) % 256, (x + y) % 256)[:len(mode)]
                   for y in range(height) for x in range(width)])
    return image


def encoded(image: Image.Image, form: str = "HEIF", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=form, quality=90, **options)
    return buffer.getvalue()


def tiff_with_artist(artist: str) -> bytes:
    value = artist.encode() + b"\0"
    return b"MM\0*" + struct.pack(">IH", 8, 1) + struct.pack(">HHII", 0x013B, 2, len(value), 26) + b"\0\0\0\0" + value


def item_bytes(data: bytes, parsed: heif.Heif, item_id: int) -> bytes:
    return b"".join(data[e.offset:e.offset + e.length] for e in parsed.locations[item_id].extents)


@dataclass
class Part:
    """One item of a hand-built file."""

    id: int
    type: bytes
    data: bytes = b""
    properties: list[bytes] = field(default_factory=list)  # whole property boxes
    essential: bool = True
    hidden: bool = False
    name: str = ""
    content_type: str = ""
    in_idat: bool = False


@dataclass
class Build:
    parts: list[Part]
    references: list[tuple[bytes, int, list[int]]] = field(default_factory=list)
    primary: int = 1
    meta_extra: bytes = b""
    top_extra: bytes = b""
    brand: bytes = b"heic"
    extra_brands: bytes = b""
    iloc_tweak: dict[int, tuple[int, int]] = field(default_factory=dict)  # item -> (method, data reference)
    wide_ids: bool = False  # 32-bit item IDs: iloc 2, infe 3, iref 1, ipma 1, pitm 1
    mdat_per_item: bool = False  # each item's data in an mdat of its own, as some writers do

    def id(self, item_id: int) -> bytes:
        return item_id.to_bytes(4 if self.wide_ids else 2, "big")

    def bytes(self) -> bytes:
        ftyp = box_bytes(b"ftyp", self.brand + bytes(4) + b"mif1" + self.brand + b"miaf" + self.extra_brands)
        in_mdat = [p.data for p in self.parts if not p.in_idat]
        if self.mdat_per_item:
            media = b"".join(box_bytes(b"mdat", data) for data in in_mdat)
        else:
            media = box_bytes(b"mdat", b"".join(in_mdat))
        idat = b"".join(p.data for p in self.parts if p.in_idat)
        meta = self._meta(0, idat)
        mdat_start = len(ftyp) + len(meta) + 8 + len(self.top_extra)
        return ftyp + self._meta(mdat_start, idat) + self.top_extra + media

    def _meta(self, mdat_start: int, idat: bytes) -> bytes:
        properties: list[bytes] = []
        associations = b""
        for part in self.parts:
            indexes = []
            for prop in part.properties:
                if prop not in properties:
                    properties.append(prop)
                indexes.append(properties.index(prop) + 1)
            associations += self.id(part.id) + bytes((len(indexes),))
            associations += bytes(i | (0x80 if part.essential else 0) for i in indexes)
        iloc, mdat_at, idat_at = b"\x44\x00" + self.id(len(self.parts)), mdat_start, 0
        for part in self.parts:
            method, reference = self.iloc_tweak.get(part.id, (1 if part.in_idat else 0, 0))
            offset = idat_at if part.in_idat else mdat_at
            iloc += self.id(part.id) + struct.pack(">HHHII", method, reference, 1, offset, len(part.data))
            step = len(part.data) + (8 if self.mdat_per_item else 0)  # the next item's data is past its mdat header
            idat_at, mdat_at = (idat_at + len(part.data), mdat_at) if part.in_idat else (idat_at, mdat_at + step)
        infes = b"".join(box_bytes(b"infe", full_box_payload(3 if self.wide_ids else 2, int(p.hidden), self.id(p.id) + bytes(2) + p.type
                                                             + p.name.encode() + b"\0"
                                                             + (p.content_type.encode() + b"\0" if p.type == b"mime" else b"")))
                         for p in self.parts)
        iref = b"".join(box_bytes(kind, self.id(source) + struct.pack(">H", len(targets)) + b"".join(map(self.id, targets)))
                        for kind, source, targets in self.references)
        children = [
            box_bytes(b"hdlr", full_box_payload(0, 0, bytes(4) + b"pict" + bytes(12) + b"\0")),
            box_bytes(b"pitm", full_box_payload(int(self.wide_ids), 0, self.id(self.primary))),
            box_bytes(b"iloc", full_box_payload(2 if self.wide_ids else 1, 0, iloc)),
            box_bytes(b"iinf", full_box_payload(0, 0, struct.pack(">H", len(self.parts)) + infes)),
            box_bytes(b"iref", full_box_payload(int(self.wide_ids), 0, iref)) if iref else b"",
            box_bytes(b"iprp", box_bytes(b"ipco", b"".join(properties))
                      + box_bytes(b"ipma", full_box_payload(int(self.wide_ids), 0, struct.pack(">I", len(self.parts))
                                                            + associations))),
            box_bytes(b"idat", idat) if idat else b"",
            self.meta_extra,
        ]
        return box_bytes(b"meta", full_box_payload(0, 0, b"".join(children)))


@dataclass(frozen=True)
class Coded:
    """A coded HEVC image from pillow-heif: its configuration, size and bytes."""

    hvcc: bytes
    ispe: bytes
    data: bytes


def coded(image: Image.Image) -> Coded:
    data = encoded(image)
    parsed = heif.parse(io.BytesIO(data))
    primary = parsed.primary
    return Coded(parsed.property_of(primary, b"hvcC").raw, parsed.property_of(primary, b"ispe").raw,
                 item_bytes(data, parsed, primary))


def ispe(width: int, height: int) -> bytes:
    return box_bytes(b"ispe", full_box_payload(0, 0, struct.pack(">II", width, height)))


def aux(urn: str) -> bytes:
    return box_bytes(b"auxC", full_box_payload(0, 0, urn.encode() + b"\0"))


GAIN_MAP_URN = "urn:com:apple:photo:2020:aux:hdrgainmap"


GAIN_MAP_TOOLKIT = "PLANTED-XMP-TOOLKIT-6e02"


def gain_map_xmp(extra: str) -> bytes:
    """Apple's gain-map parameters as an iPhone writes them, plus a planted property and toolkit."""
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="{GAIN_MAP_TOOLKIT}"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            'xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<HDRGainMap:HDRGainMapHeadroom>3.847906</HDRGainMap:HDRGainMapHeadroom>'
            '<HDRGainMap:HDRGainMapVersion>131072</HDRGainMap:HDRGainMapVersion>'
            f'<dc:creator><rdf:Seq><rdf:li>{extra}</rdf:li></rdf:Seq></dc:creator>'
            '</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def hdr_build(tiles: tuple[Coded, Coded, Coded]) -> Build:
    """An iPhone-shaped HDR photo: primary, a gain map (auxl) described by an XMP item (cdsc), beside
    a depth map, a portrait matte, a thumbnail and EXIF."""
    left, _, small = tiles
    matte = "urn:com:apple:photo:2018:aux:portraiteffectsmatte"
    return Build(
        parts=[Part(1, b"hvc1", left.data, [left.hvcc, left.ispe]),
               Part(2, b"hvc1", small.data, [small.hvcc, small.ispe, aux(GAIN_MAP_URN)], hidden=True),
               Part(3, b"mime", gain_map_xmp(XMP_CREATOR), content_type="application/rdf+xml", hidden=True),
               Part(4, b"hvc1", small.data, [small.hvcc, small.ispe, aux("urn:mpeg:hevc:2015:auxid:2")], hidden=True),
               Part(5, b"hvc1", small.data, [small.hvcc, small.ispe, aux(matte)], hidden=True),
               Part(6, b"hvc1", small.data, [small.hvcc, small.ispe]),
               Part(7, b"Exif", bytes(4) + tiff_with_artist(ARTIST), hidden=True)],
        references=[(b"auxl", 2, [1]), (b"cdsc", 3, [2]), (b"auxl", 4, [1]), (b"auxl", 5, [1]),
                    (b"thmb", 6, [1]), (b"cdsc", 7, [1])],
    )


# ---------------------------------------------------------------- EXIF blocks with GPS and an Apple maker note

GPS_LATITUDE = (46.0, 38.0, 7.0)  # degrees, minutes, seconds: exiftool reads "46 deg 38' 7.00\" N"
CONTENT_IDENTIFIER = "PLANTED-CONTENT-ID-51f0"


def apple_maker_note(headroom: tuple[int, int], gain: tuple[int, int] | None) -> bytes:
    """An iPhone's maker note: "Apple iOS", version 1, byte order, then one IFD (written by Pillow) whose
    offsets count from the note's start; a planted photo identifier beside the HDR tags 33 and 48."""
    note = ImageFileDirectory_v2(prefix=b"MM")
    values = {0x0011: CONTENT_IDENTIFIER, 0x0021: IFDRational(*headroom)}
    if gain is not None:
        values[0x0030] = IFDRational(*gain)
    for tag, value in values.items():
        note[tag] = value
        note.tagtype[tag] = 2 if isinstance(value, str) else 10  # ASCII, signed rational (as Apple writes them)
    return b"Apple iOS\0" + b"\0\x01MM" + note.tobytes(14)


def exif_item(artist: str, maker_note: bytes | None = None) -> bytes:
    """A HEIF EXIF item written by Pillow: the offset to the TIFF header (past "Exif\0\0"), then the block,
    with the artist, a GPS position and, if given, a maker note."""
    exif = Image.Exif()
    exif[0x013B] = artist
    exif.get_ifd(0x8825).update({1: "N", 2: GPS_LATITUDE})
    if maker_note is not None:
        exif[0x010F] = "Apple"
        exif.get_ifd(0x8769)[0x927C] = maker_note
    return (6).to_bytes(4, "big") + exif.tobytes()


# ---------------------------------------------------------------- ISO 21496-1: a tone-map item in an 'altr' group

GAIN_MAP_ARTIST = "PLANTED-GAIN-MAP-ARTIST-3c9d"
GAIN_MAP_CREATOR = "PLANTED-GAIN-MAP-CREATOR-b27e"
TONE_MAP_NAME = "PLANTED-TONE-MAP-NAME-8e41"
GAIN_MAP_NAME = "PLANTED-GAIN-MAP-NAME-d05a"


def nclx(primaries: int, transfer: int, matrix: int) -> bytes:
    return box_bytes(b"colr", b"nclx" + struct.pack(">HHHB", primaries, transfer, matrix, 0x80))


def tone_map_payload() -> bytes:
    """ISO 21496-1 gain-map metadata as libavif writes it: versions, flags, then the headroom and per-channel
    fractions (one channel here); nothing in it but numbers."""
    fractions = [(0, 1), (3, 1),  # base and alternate HDR headroom
                 (0, 1), (2, 1), (1, 1), (1, 64), (1, 64)]  # gain min and max, gamma, base and alternate offsets
    return struct.pack(">BHHB", 0, 0, 0, 0) + b"".join(
        struct.pack(">iI" if index in (0, 2, 5, 6) else ">II", n, d) for index, (n, d) in enumerate(fractions))


def entity_group(kind: bytes, group_id: int, entities: list[int]) -> bytes:
    return box_bytes(kind, full_box_payload(0, 0, struct.pack(f">II{len(entities)}I", group_id, len(entities), *entities)))


def tone_map_build(tiles: tuple[Coded, Coded, Coded], tone_map_in_idat: bool = False) -> Build:
    """An ISO 21496-1 HDR photo as iOS 18 and libultrahdr write it: the primary (1), a 'tmap' item (2) built
    (dimg) from the primary and a gain map (3), offered in place of the primary by an 'altr' group;
    planted EXIF (with GPS) and XMP on both the primary and the gain map, item names, a thumbnail (6)
    that the 'altr' group also (wrongly) names, and a burst group."""
    left, _, small = tiles
    return Build(
        parts=[Part(1, b"hvc1", left.data, [left.hvcc, left.ispe, nclx(1, 13, 6)]),
               Part(2, heif.TONE_MAP, tone_map_payload(), [left.ispe, nclx(9, 16, 0)], name=TONE_MAP_NAME,
                    in_idat=tone_map_in_idat),
               Part(3, b"hvc1", small.data, [small.hvcc, small.ispe], hidden=True, name=GAIN_MAP_NAME),
               Part(4, b"Exif", exif_item(ARTIST), hidden=True),
               Part(5, b"mime", gain_map_xmp(XMP_CREATOR), content_type="application/rdf+xml", hidden=True),
               Part(6, b"hvc1", small.data, [small.hvcc, small.ispe]),
               Part(7, b"Exif", exif_item(GAIN_MAP_ARTIST), hidden=True),
               Part(8, b"mime", gain_map_xmp(GAIN_MAP_CREATOR), content_type="application/rdf+xml", hidden=True)],
        references=[(b"dimg", 2, [1, 3]), (b"cdsc", 4, [1]), (b"cdsc", 5, [1]), (b"thmb", 6, [1]),
                    (b"cdsc", 7, [3]), (b"cdsc", 8, [3])],
        meta_extra=box_bytes(b"grpl", entity_group(b"altr", 20, [2, 6, 1]) + entity_group(b"brst", 21, [1, 6])),
        extra_brands=b"tmap",
    )



