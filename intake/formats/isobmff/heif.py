"""HEIC/HEIF/AVIF: item surgery on the ISO-BMFF box tree, never re-encoding.

A HEIF file is a `meta` box describing items (coded images, grids, EXIF,
XMP, thumbnails, auxiliary images) and one or more `mdat` boxes holding
their bytes. Cleaning keeps the primary image and what is needed to render
it as it looked: its coded bytes, its grid tiles or derived-image inputs,
its alpha plane, and the properties they use (decoder configuration, size,
colour, rotation, mirroring, cropping). Everything else goes: EXIF and XMP
items, thumbnails, depth maps, portrait and semantic mattes, HDR gain maps,
other images, item names, entity groups, unknown boxes and the bytes of free space. The
clean copy is written afresh (ftyp, a rebuilt meta, one mdat) with the kept
items' bytes copied unchanged, so memory follows the metadata, not the image.

Whatever is not understood (encrypted items, external data references,
extents outside the file's data boxes, image sequences, unknown item types or
essential properties on what is kept, reference loops) is refused.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import BinaryIO

from intake.formats.shared import icc, sef
from intake.formats import jpeg
from intake.formats.base import Category, Finding, View, shorten
from intake.errors import Refused
from intake.formats.isobmff.boxes import (
    Box, box_bytes, box_header, children, type_name, copy_range, full_box_header, full_box_payload,
    iter_boxes, read_payload,
)
from intake.formats.isobmff import gain_map_parameters
from intake.formats.isobmff.gain_map_parameters import GAIN_MAP_FIELDS
from intake.formats.shared.metadata import ExifReader, xmp_findings

NAME = "HEIF"
MEDIA_TYPES = ("image/heif", "image/avif")

# The descriptive boxes of a meta box (item lists, locations, properties) and
# an EXIF or XMP item read for the report: far above what cameras write.
META_LIMIT = 16 << 20
ITEM_READ_LIMIT = 16 << 20
MAX_ITEMS = 100_000
_PIECE = 1 << 20
_OVERLAP = 4096  # residue pieces overlap so a value across a boundary is still seen whole

CODED_TYPES = frozenset({b"hvc1", b"av01", b"avc1", b"jpeg", b"vvc1"})
DERIVED_TYPES = frozenset({b"grid", b"iden", b"iovl"})
IMAGE_TYPES = CODED_TYPES | DERIVED_TYPES
# Properties a decoder needs to show the primary image as it looked; none of
# them describes a person, a place, a device or a time.
KEPT_PROPERTIES = frozenset({
    b"hvcC", b"av1C", b"avcC", b"jpgC", b"vvcC", b"ispe", b"pixi", b"colr", b"irot", b"imir", b"clap",
    b"pasp", b"auxC", b"rloc", b"lsel", b"a1op", b"a1lx", b"clli", b"mdcv", b"cclv", b"amve", b"iscl",
})
KNOWN_BRANDS = frozenset({
    b"mif1", b"mif2", b"msf1", b"miaf", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"heif", b"avif",
    b"avis", b"avio", b"MA1A", b"MA1B", b"jpeg", b"avci", b"vvic", b"iso8", b"isom", b"unif", b"tmap",
    b"MiHE", b"MiHA", b"MiHB", b"MiPr", b"MiAn", b"MiCm", b"MiCh", b"MiAC", b"MiAB",  # MIAF profiles (Apple writes them)
})
# cdsc links a description to the image it describes: kept only between kept items, that is
# the gain map's rebuilt parameters (keep_hdr); EXIF and XMP items never stay.
KEPT_REFERENCES = frozenset({b"dimg", b"auxl", b"prem", b"cdsc"})
ALPHA_URNS = frozenset({
    "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", "urn:mpeg:hevc:2015:auxid:1", "urn:mpeg:avc:2015:auxid:1",
})
# Auxiliary images that only change how the primary is shown (on an HDR screen), never what it shows:
# kept in the keep_hdr mode. Apple's gain map is described by an XMP item (cdsc) holding two numbers;
# it is rebuilt from them (gain_map_parameters).
GAIN_MAP_URNS = frozenset({"urn:com:apple:photo:2020:aux:hdrgainmap"})
# ISO 21496-1's gain map: a derived 'tmap' item whose inputs (dimg) are the base image and the gain map,
# offered in place of the base through an 'altr' entity group; its payload holds only the tone-mapping
# numbers. Kept with its group in the keep_hdr mode.
TONE_MAP = b"tmap"
ALTERNATIVES = b"altr"
# The published auxiliary-image types a kept item's auxC may name, byte for byte. Samsung's gain map
# (Galaxy S24 and S25 HEIC) is the input of a kept tone map; its type names the maker in lower case,
# as its EXIF Make does ("samsung"), so the leftover scan would find the removed Make inside it. A
# published constant carries nothing of this file: it is blanked in the residue (exact matches only;
# one cut by a residue piece's edge stays and fails closed).
SAMSUNG_GAIN_MAP_URN = "urn:com:samsung:photo:2024:aux:hdrgainmap"
PUBLISHED_AUX_TYPES = tuple(urn.encode() + b"\0" for urn in sorted(ALPHA_URNS | GAIN_MAP_URNS | {SAMSUNG_GAIN_MAP_URN}))
_XMP_MIME = "application/rdf+xml"
_AUX_DESCRIPTIONS = (
    ("depth", "a depth map of the scene"),
    ("auxid:2", "a depth map of the scene"),  # HEVC's depth auxiliary picture type
    ("disparity", "a depth map of the scene"),
    ("portraiteffectsmatte", "a portrait matte: the outline of the people in the picture"),
    ("skinmatte", "a semantic matte: where skin shows"),
    ("hairmatte", "a semantic matte: where hair shows"),
    ("teethmatte", "a semantic matte: where teeth show"),
    ("glassesmatte", "a semantic matte: where glasses are"),
    ("skymatte", "a semantic matte: where the sky is"),
    ("matte", "a matte image"),
    ("gainmap", "an HDR gain map"),
)


@dataclass(frozen=True)
class Item:
    id: int
    type: bytes
    hidden: bool
    name: str = ""
    content_type: str = ""
    content_encoding: str = ""


@dataclass(frozen=True)
class Extent:
    offset: int  # in the source, also for idat data
    length: int


@dataclass(frozen=True)
class Location:
    method: int  # 0: the file's mdat, 1: the meta box's idat
    extents: tuple[Extent, ...]

    @property
    def length(self) -> int:
        return sum(extent.length for extent in self.extents)


@dataclass(frozen=True)
class Reference:
    type: bytes
    source: int
    targets: tuple[int, ...]


@dataclass(frozen=True)
class Property:
    type: bytes
    raw: bytes  # the whole box, header included
    header_size: int = 8

    @property
    def payload(self) -> bytes:
        return self.raw[self.header_size:]


@dataclass(frozen=True)
class Association:
    essential: bool
    index: int  # 1-based into the property container


@dataclass(frozen=True)
class EntityGroup:
    type: bytes
    id: int  # shares the item IDs' number space
    entities: tuple[int, ...]


@dataclass
class Heif:
    ftyp: bytes = b""
    primary: int = -1
    items: dict[int, Item] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    associations: dict[int, tuple[Association, ...]] = field(default_factory=dict)
    groups: list[EntityGroup] = field(default_factory=list)
    handler_name: str = ""
    extras: list[Finding] = field(default_factory=list)  # boxes that are dropped whole

    def property_of(self, item: int, kind: bytes) -> Property | None:
        for association in self.associations.get(item, ()):
            prop = self.properties[association.index - 1]
            if prop.type == kind:
                return prop
        return None

    def targets(self, kind: bytes, source: int) -> tuple[int, ...]:
        return self._targets.get((kind, source), ())

    def is_input(self, item_id: int) -> bool:
        """Whether some derived image is built from this item."""
        return item_id in self._inputs

    @cached_property
    def _targets(self) -> dict[tuple[bytes, int], tuple[int, ...]]:
        index: dict[tuple[bytes, int], tuple[int, ...]] = {}
        for reference in self.references:
            key = (reference.type, reference.source)
            index[key] = index.get(key, ()) + reference.targets
        return index

    @cached_property
    def _inputs(self) -> frozenset[int]:
        return frozenset(t for r in self.references if r.type == b"dimg" for t in r.targets)


@dataclass(frozen=True)
class Plan:
    kept: tuple[int, ...]  # item IDs, ascending
    properties: tuple[int, ...]  # kept 1-based property indices, ascending
    findings: tuple[Finding, ...]  # about properties dropped or neutralised
    replaced: dict[int, bytes] = field(default_factory=dict)  # index -> the box written instead
    rewritten: dict[int, bytes] = field(default_factory=dict)  # item ID -> the data written instead (keep_hdr)
    stayed: tuple[str, ...] = ()  # what keep_hdr kept that is removed by default, for the report
    groups: tuple[EntityGroup, ...] = ()  # rebuilt naming only kept items (keep_hdr: a tone map's 'altr')

    def property_box(self, heif: Heif, index: int) -> bytes:
        return self.replaced.get(index, heif.properties[index - 1].raw)


# ---------------------------------------------------------------- reading


def parse(source: BinaryIO) -> Heif:
    source.seek(0, io.SEEK_END)
    size = source.tell()
    heif, metas, mdats = Heif(), [], []
    for index, box in enumerate(iter_boxes(source, 0, size)):
        if index == 0:
            if box.type != b"ftyp":
                raise Refused("the HEIF file does not start with its 'ftyp' box")
            heif.ftyp, brand_findings = _file_type(read_payload(source, box, 4096))
            heif.extras += brand_findings
        elif box.type == b"meta":
            metas.append(box)
        elif box.type == b"mdat":
            mdats.append(box)
        elif box.type == b"ftyp":  # a second file appended whole after the image, a motion photo's video
            heif.extras.append(Finding(Category.HIDDEN, "appended file", f"{size - box.start} bytes after the image, "
                                       "starting with a file type box of its own (a motion photo's video?)", "the file"))
            break  # nothing after it is read: it is left out of the clean copy whole
        elif box.type == b"moov":
            raise Refused("HEIF image sequences (a 'moov' box) are not cleaned")
        elif box.type == b"mini":
            raise Refused("the low-overhead HEIF form (a 'mini' box, HEIF 2024) is not cleaned yet")
        elif box.type in (b"free", b"skip"):
            heif.extras += _padding_findings(source, box, "the file")
        elif box.type == b"mpvd":  # Google's and Samsung's motion photo: an MP4 in a box of its own
            heif.extras.append(Finding(Category.HIDDEN, "motion-photo video", f"{box.payload_size} bytes: the seconds "
                                       "of video and sound around the shot", "the file ('mpvd' box)"))
        elif box.type == b"sefd":
            heif.extras += sef.findings(read_payload(source, box, ITEM_READ_LIMIT), "Samsung SEF data ('sefd' box)")
        else:
            heif.extras.append(_unknown_box(box, "the file"))
    if len(metas) != 1:
        raise Refused(f"a HEIF file needs exactly one top-level 'meta' box, this one has {len(metas)}")
    _parse_meta(source, metas[0], mdats, heif)
    return heif


def _file_type(payload: bytes) -> tuple[bytes, list[Finding]]:
    """The 'ftyp' box written back: the major brand (what sniffing read), minor version zeroed and
    only the published compatible brands, so no free text rides along in a brand list."""
    if len(payload) < 8 or len(payload) % 4:
        raise Refused("the HEIF 'ftyp' box is malformed")
    brands = [payload[at:at + 4] for at in range(8, len(payload), 4)]
    kept = [brand for brand in dict.fromkeys(brands) if brand in KNOWN_BRANDS]
    findings = []
    if len(kept) != len(brands) or payload[4:8] != bytes(4):
        findings.append(Finding(Category.OTHER, "'ftyp' box", "unknown brands or a minor version", "the file"))
    return box_bytes(b"ftyp", payload[:4] + bytes(4) + b"".join(kept)), findings


def _raw(source: BinaryIO, box: Box, limit: int) -> bytes:
    source.seek(box.start)
    if box.size > limit:
        raise Refused(f"the '{box.name}' box holds {box.size} bytes, more than the {limit} allowed")
    data = source.read(box.size)
    if len(data) != box.size:
        raise Refused(f"the file ends inside the '{box.name}' box")
    return data


def _padding_findings(source: BinaryIO, box: Box, where: str) -> list[Finding]:
    source.seek(box.payload_start)
    remaining, used = box.payload_size, 0
    while remaining:
        chunk = source.read(min(_PIECE, remaining))
        if not chunk:
            raise Refused(f"the file ends inside a '{box.name}' box")
        used += len(chunk) - chunk.count(0)
        remaining -= len(chunk)
    if not used:
        return []
    return [Finding(Category.HIDDEN, f"'{box.name}' box", f"{box.payload_size} bytes of free space holding data", where)]


def _unknown_box(box: Box, where: str) -> Finding:
    return Finding(Category.HIDDEN, f"'{box.name}' box", f"an unknown box of {box.payload_size} bytes", where)


def _parse_meta(source: BinaryIO, meta: Box, mdats: list[Box], heif: Heif) -> None:
    if meta.payload_size > META_LIMIT * 4:
        raise Refused("the HEIF 'meta' box is larger than intake reads")
    version, _, _ = full_box_header(_read(source, meta.payload_start, 4))
    if version != 0:
        raise Refused(f"the HEIF 'meta' box has version {version}, which intake does not read")
    boxes: dict[bytes, Box] = {}
    for box in children(source, meta, skip=4):
        if box.type in boxes and box.type in (b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"iprp", b"idat", b"grpl"):
            raise Refused(f"the HEIF 'meta' box holds two '{box.name}' boxes")
        if box.type == b"ipro":
            raise Refused("the HEIF file has protected (encrypted) items; they cannot be cleaned")
        if box.type in (b"free", b"skip"):
            heif.extras += _padding_findings(source, box, "the meta box")
        elif box.type in (b"xml ", b"bxml"):
            heif.extras.append(Finding(Category.HIDDEN, f"'{box.name}' box", f"XML of {box.payload_size} bytes",
                                       "the meta box"))
        elif box.type not in (b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"iprp", b"idat", b"dinf", b"grpl"):
            heif.extras.append(_unknown_box(box, "the meta box"))
        boxes.setdefault(box.type, box)
    for required in (b"hdlr", b"pitm", b"iloc", b"iinf", b"iprp"):
        if required not in boxes:
            raise Refused(f"the HEIF 'meta' box has no '{required.decode()}' box")
    heif.handler_name = _parse_hdlr(read_payload(source, boxes[b"hdlr"], META_LIMIT))
    heif.primary = _parse_pitm(read_payload(source, boxes[b"pitm"], META_LIMIT))
    heif.items = _parse_iinf(source, boxes[b"iinf"])
    idat = boxes.get(b"idat")
    heif.locations = _parse_iloc(read_payload(source, boxes[b"iloc"], META_LIMIT), mdats, idat)
    if b"iref" in boxes:
        heif.references = _parse_iref(read_payload(source, boxes[b"iref"], META_LIMIT))
    heif.properties, heif.associations = _parse_iprp(source, boxes[b"iprp"])
    if b"grpl" in boxes:
        heif.groups = _parse_grpl(source, boxes[b"grpl"])


def _read(source: BinaryIO, position: int, length: int) -> bytes:
    source.seek(position)
    data = source.read(length)
    if len(data) != length:
        raise Refused("the HEIF file ends inside a range its boxes claim")
    return data


class _Fields:
    """Big-endian fields read in order from a box payload; running short is a refusal."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.at, self.what = data, 0, what

    def uint(self, size: int) -> int:
        if self.at + size > len(self.data):
            raise Refused(f"the HEIF '{self.what}' box is shorter than its fields")
        value = int.from_bytes(self.data[self.at:self.at + size], "big")
        self.at += size
        return value

    def text(self) -> str:
        end = self.data.find(b"\0", self.at)
        end = len(self.data) if end < 0 else end
        value = self.data[self.at:end].decode("utf-8", "replace")
        self.at = end + 1
        return value


def _parse_hdlr(payload: bytes) -> str:
    fields = _Fields(full_box_header(payload)[2], "hdlr")
    fields.uint(4)
    if fields.uint(4).to_bytes(4, "big") != b"pict":
        raise Refused("the HEIF 'meta' box is not a picture's (its handler is not 'pict')")
    fields.uint(12)
    return fields.text() if fields.at < len(fields.data) else ""


def _parse_pitm(payload: bytes) -> int:
    version, _, rest = full_box_header(payload)
    return _Fields(rest, "pitm").uint(2 if version == 0 else 4)


def _parse_iinf(source: BinaryIO, iinf: Box) -> dict[int, Item]:
    version, _, _ = full_box_header(_read(source, iinf.payload_start, min(4, iinf.payload_size)))
    items: dict[int, Item] = {}
    for infe in children(source, iinf, skip=4 + (2 if version == 0 else 4)):
        if infe.type != b"infe":
            continue
        item = _parse_infe(read_payload(source, infe, META_LIMIT))
        if item.id in items:
            raise Refused(f"two HEIF items share the ID {item.id}")
        items[item.id] = item
        if len(items) > MAX_ITEMS:
            raise Refused(f"the HEIF file lists more than {MAX_ITEMS} items")
    return items


def _parse_infe(payload: bytes) -> Item:
    version, flags, rest = full_box_header(payload)
    if version not in (2, 3):
        raise Refused(f"a HEIF item entry of version {version} (before HEIF) is not read")
    fields = _Fields(rest, "infe")
    item_id = fields.uint(2 if version == 2 else 4)
    if fields.uint(2):
        raise Refused("the HEIF file has a protected (encrypted) item; it cannot be cleaned")
    item_type = fields.uint(4).to_bytes(4, "big")
    name = fields.text()
    content_type = encoding = ""
    if item_type == b"mime":
        content_type = fields.text()
        encoding = fields.text() if fields.at < len(fields.data) else ""
    return Item(item_id, item_type, bool(flags & 1), name, content_type, encoding)


def _parse_iloc(payload: bytes, mdats: list[Box], idat: Box | None) -> dict[int, Location]:
    version, _, rest = full_box_header(payload)
    if version > 2:
        raise Refused(f"the HEIF 'iloc' box has version {version}, which intake does not read")
    fields = _Fields(rest, "iloc")
    sizes = fields.uint(1)
    offset_size, length_size = sizes >> 4, sizes & 15
    sizes = fields.uint(1)
    base_size, index_size = sizes >> 4, (sizes & 15 if version else 0)
    if {offset_size, length_size, base_size, index_size} - {0, 4, 8}:
        raise Refused("the HEIF 'iloc' box uses field sizes other than 0, 4 and 8 bytes")
    locations: dict[int, Location] = {}
    for _ in range(fields.uint(2 if version < 2 else 4)):
        item_id = fields.uint(2 if version < 2 else 4)
        method = fields.uint(2) & 15 if version else 0
        if fields.uint(2):
            raise Refused("a HEIF item's data is in another file (a data reference); it cannot be cleaned")
        base = fields.uint(base_size)
        extents = []
        for _ in range(fields.uint(2)):
            if fields.uint(index_size):
                raise Refused("a HEIF item's data is built from other items (iloc extent indexes); not cleaned")
            offset, length = fields.uint(offset_size), fields.uint(length_size)
            extents.append(_place(method, base + offset, length, mdats, idat))
        if item_id in locations:
            raise Refused(f"the HEIF 'iloc' box locates item {item_id} twice")
        locations[item_id] = Location(method, tuple(extents))
    return locations


def _place(method: int, offset: int, length: int, mdats: list[Box], idat: Box | None) -> Extent:
    """The extent in source coordinates, checked to lie inside a data box."""
    if method == 1:
        if idat is None:
            raise Refused("a HEIF item is in an 'idat' box the file does not have")
        containers = [idat]
        offset += idat.payload_start
    elif method == 0:
        containers = mdats
    else:
        raise Refused(f"a HEIF item uses construction method {method}, which intake does not clean")
    if length == 0:  # "all the data there is": exiftool leaves such entries for items it removed
        return Extent(offset, 0)
    if not any(box.payload_start <= offset and offset + length <= box.payload_end for box in containers):
        raise Refused("a HEIF item's data lies outside the file's data boxes")
    return Extent(offset, length)


def _parse_iref(payload: bytes) -> list[Reference]:
    version, _, rest = full_box_header(payload)
    id_size = 2 if version == 0 else 4
    references = []
    for box in iter_boxes(io.BytesIO(rest), 0, len(rest), depth=3):
        fields = _Fields(read_payload(io.BytesIO(rest), box, META_LIMIT), "iref")
        source = fields.uint(id_size)
        targets = tuple(fields.uint(id_size) for _ in range(fields.uint(2)))
        references.append(Reference(box.type, source, targets))
    return references


def _parse_grpl(source: BinaryIO, grpl: Box) -> list[EntityGroup]:
    """The entity groups (EntityToGroupBox: group ID, then the IDs of the items or tracks in it)."""
    groups = []
    for box in children(source, grpl):
        version, _, rest = full_box_header(read_payload(source, box, META_LIMIT))
        if version != 0:
            continue  # an unknown layout: not read, and so never kept
        fields = _Fields(rest, box.name)
        group_id = fields.uint(4)
        count = fields.uint(4)
        if count > MAX_ITEMS:
            raise Refused(f"a HEIF entity group lists more than {MAX_ITEMS} entities")
        groups.append(EntityGroup(box.type, group_id, tuple(fields.uint(4) for _ in range(count))))
    return groups


def _parse_iprp(source: BinaryIO, iprp: Box) -> tuple[list[Property], dict[int, tuple[Association, ...]]]:
    containers = [box for box in children(source, iprp)]
    ipcos = [box for box in containers if box.type == b"ipco"]
    ipmas = [box for box in containers if box.type == b"ipma"]
    if len(ipcos) != 1 or len(ipmas) != 1:
        raise Refused("the HEIF 'iprp' box needs exactly one 'ipco' and one 'ipma' box")
    if ipcos[0].payload_size > META_LIMIT:
        raise Refused("the HEIF item properties are larger than intake reads")
    properties = [Property(box.type, _raw(source, box, META_LIMIT), box.header_size) for box in children(source, ipcos[0])]
    version, flags, rest = full_box_header(read_payload(source, ipmas[0], META_LIMIT))
    fields = _Fields(rest, "ipma")
    associations: dict[int, tuple[Association, ...]] = {}
    for _ in range(fields.uint(4)):
        item_id = fields.uint(2 if version < 1 else 4)
        entries = []
        for _ in range(fields.uint(1)):
            value = fields.uint(2 if flags & 1 else 1)
            top = 15 if flags & 1 else 7
            index = value & ((1 << top) - 1)
            if index > len(properties):
                raise Refused("a HEIF item is associated with a property that does not exist")
            if index:
                entries.append(Association(bool(value >> top), index))
        if item_id in associations:
            raise Refused(f"the HEIF 'ipma' box lists item {item_id} twice")
        associations[item_id] = tuple(entries)
    return properties, associations


# ---------------------------------------------------------------- deciding


def plan(heif: Heif, source: BinaryIO | None = None, keep_hdr: bool = False) -> Plan:
    """What stays. `keep_hdr` also keeps the HDR gain maps of kept images and their parameters (rebuilt
    from `source`): what an HDR screen needs to show the primary as it looked."""
    for reference in heif.references:
        if reference.type in (b"thmb", b"auxl") and reference.source == heif.primary:
            # libheif then hides the primary and shows the image it names: which picture the file
            # shows depends on the reader, so no clean copy can prove it shows the same one.
            raise Refused("the HEIF primary image is also marked as a thumbnail or an auxiliary image of another "
                          "image, so readers disagree on which picture the file shows")
    kept = _image_closure(heif, heif.primary)
    for reference in heif.references:
        if reference.type == b"auxl" and set(reference.targets) & kept and _aux_urn(heif, reference.source) in ALPHA_URNS:
            kept |= _image_closure(heif, reference.source)
    rewritten: dict[int, bytes] = {}
    stayed: list[str] = []
    groups: tuple[EntityGroup, ...] = ()
    if keep_hdr:
        gain_maps = _gain_maps(heif, kept)
        kept, groups, stayed = _with_gain_maps(heif, kept, gain_maps)
        if source is not None:
            rewritten, from_maker_note = _gain_map_parameters(source, heif, gain_maps)
            kept |= set(rewritten)
            stayed += [f"its parameters, rebuilt: {len(data)} bytes of XMP (item {item_id})"
                       + (", the headroom computed from the EXIF maker note (Apple tags 33 and 48)"
                          if item_id in from_maker_note else "") for item_id, data in rewritten.items()]
    for item_id in kept - set(rewritten):
        if heif.items[item_id].type != b"iden" and item_id not in heif.locations:
            raise Refused(f"the HEIF image item {item_id} has no location for its data")
        if any(extent.length == 0 for extent in heif.locations.get(item_id, Location(0, ())).extents):
            raise Refused("a HEIF image extent has no length ('the rest of the data'); not cleaned")
    properties, dropped, replaced, judged = set(), [], {}, set()
    for item_id in kept - set(rewritten):
        for association in heif.associations.get(item_id, ()):
            prop = heif.properties[association.index - 1]
            if association in judged:
                continue  # shared by many tiles: judged once
            judged.add(association)
            if prop.type == b"colr" and prop.payload[:4] in (b"prof", b"rICC"):
                profile, findings = _review_profile(prop, association.index)
                dropped += findings
                if profile is not None:
                    properties.add(association.index)
                    replaced[association.index] = profile
            elif prop.type == b"hvcC":
                properties.add(association.index)
                configuration, removed = _without_sei(prop)
                if removed:
                    replaced[association.index] = configuration
                    dropped.append(Finding(Category.HIDDEN, "HEVC SEI messages", f"{removed} in the decoder configuration",
                                           f"property {association.index}"))
            elif prop.type in KEPT_PROPERTIES:
                properties.add(association.index)
            elif association.essential:
                raise Refused(f"the HEIF image needs a property intake does not know ('{type_name(prop.type)}')")
            else:
                dropped.append(Finding(Category.HIDDEN, f"'{type_name(prop.type)}' property",
                                       f"an unknown property of {len(prop.raw)} bytes", "the image's properties"))
    return Plan(tuple(sorted(kept)), tuple(sorted(properties)), tuple(dict.fromkeys(dropped)), replaced, rewritten,
                tuple(stayed), groups)


def _with_gain_maps(heif: Heif, kept: set[int], gain_maps: list[int]) -> tuple[set[int], tuple[EntityGroup, ...], list[str]]:
    """The kept images with their HDR gain maps: Apple's (`gain_maps`, auxiliary images) and ISO 21496-1's
    (a 'tmap' image and its inputs, with the 'altr' group that offers it); the groups, and what stayed."""
    stayed = []
    for gain_map in gain_maps:
        kept = kept | _image_closure(heif, gain_map)
        stayed.append(f"{_image_description(heif, heif.items[gain_map])} (item {gain_map})")
    tone_maps = _tone_maps(heif, kept)
    for tone_map in tone_maps:
        kept = kept | _image_closure(heif, tone_map, tone_map=True)
        gain_map = heif.targets(b"dimg", tone_map)[1]
        stayed.append(f"{_image_description(heif, heif.items[tone_map])} (item {tone_map}, ISO 21496-1) and its "
                      f"HDR gain map{_dimensions(heif, gain_map)} (item {gain_map})")
    groups = tuple(EntityGroup(g.type, g.id, tuple(e for e in g.entities if e in kept)) for g in heif.groups
                   if g.type == ALTERNATIVES and set(g.entities) & set(tone_maps))
    stayed += [f"the 'altr' entity group {g.id} (items {', '.join(map(str, g.entities))}, the preferred first)"
               for g in groups]
    return kept, groups, stayed


def _gain_maps(heif: Heif, kept: set[int]) -> list[int]:
    return sorted({r.source for r in heif.references if r.type == b"auxl" and set(r.targets) & kept
                   and _aux_urn(heif, r.source) in GAIN_MAP_URNS})


def _tone_maps(heif: Heif, kept: set[int]) -> list[int]:
    """'tmap' items offered beside a kept image in an 'altr' group and built from a kept base image and
    one gain map: what a reader shows on an HDR screen in place of the primary."""
    found = set()
    for group in heif.groups:
        if group.type != ALTERNATIVES or not set(group.entities) & kept:
            continue
        for entity in group.entities:
            item, inputs = heif.items.get(entity), heif.targets(b"dimg", entity)
            if item is not None and item.type == TONE_MAP and len(inputs) == 2 and inputs[0] in kept:
                found.add(entity)
    return sorted(found)


def _gain_map_parameters(source: BinaryIO, heif: Heif, gain_maps: list[int]) -> tuple[dict[int, bytes], set[int]]:
    """For each XMP item describing a kept Apple gain map (cdsc), a fresh packet holding only Apple's
    gain-map numbers (version, headroom): whatever else the packet says (its toolkit, any other
    property) goes. A packet without them is removed like any XMP item. A packet with a version but no
    headroom (iOS 14-16) gets the headroom Apple's formula computes from the primary's maker note, whose
    other values go with the EXIF, and iOS 17's version number; the second set names those packets."""
    rebuilt, from_maker_note = {}, set()
    for reference in heif.references:
        item = heif.items.get(reference.source)
        if (reference.type != b"cdsc" or item is None or item.type != b"mime" or _XMP_MIME not in item.content_type
                or item.content_encoding or not set(reference.targets) & set(gain_maps)):
            continue
        values = gain_map_parameters.values_in_packet(_item_data(source, heif, item.id))
        if values and "HDRGainMapHeadroom" not in values:
            headroom = _maker_note_headroom(source, heif)
            if headroom is not None:  # written as iOS 17 writes it, so Apple's readers take it from the XMP
                values.update(HDRGainMapVersion=gain_map_parameters.VERSION_WITH_HEADROOM, HDRGainMapHeadroom=headroom)
                from_maker_note.add(item.id)
        if values:
            rebuilt[item.id] = gain_map_parameters.packet_of(values)
    return rebuilt, from_maker_note


def _maker_note_headroom(source: BinaryIO, heif: Heif) -> str | None:
    """The headroom from the Apple maker note of the EXIF item describing the primary, if any."""
    for reference in heif.references:
        item = heif.items.get(reference.source)
        if reference.type == b"cdsc" and heif.primary in reference.targets and item is not None and item.type == b"Exif":
            headroom = gain_map_parameters.headroom_from_maker_note(_item_data(source, heif, item.id))
            if headroom is not None:
                return headroom
    return None


_HVCC_FIXED = 22
_SEI_NAL_TYPES = frozenset({39, 40})  # prefix and suffix SEI: free-form messages (encoder, user data), not pixels


def _without_sei(prop: Property) -> tuple[bytes, int]:
    """The HEVC decoder configuration without its SEI arrays, and how many SEI messages went.
    Parameter sets (VPS, SPS, PPS) stay byte for byte; a decoder needs nothing else from it."""
    payload = prop.payload
    fields = _Fields(payload, "hvcC")
    fields.uint(_HVCC_FIXED)
    kept, removed = [], 0
    count = fields.uint(1)
    for _ in range(count):
        start = fields.at
        nal_type = fields.uint(1) & 0x3F
        units = fields.uint(2)
        for _ in range(units):
            fields.uint(fields.uint(2))
        if nal_type in _SEI_NAL_TYPES:
            removed += units
        else:
            kept.append(payload[start:fields.at])
    if fields.at != len(payload):
        raise Refused("the HEVC decoder configuration ('hvcC') has bytes after its arrays")
    if not removed:
        return prop.raw, 0
    return box_bytes(b"hvcC", payload[:_HVCC_FIXED] + bytes((len(kept),)) + b"".join(kept)), removed


def _review_profile(prop: Property, index: int) -> tuple[bytes | None, list[Finding]]:
    """A published profile is rebuilt (intake.formats.shared.icc.rebuild): its colour tags byte for byte, a
    fresh description, a header with every date and vendor field zeroed, and no copyright text, which
    names the maker of the device ("Copyright Apple Inc., 2017" in every iPhone's Display P3). Any
    other profile is dropped."""
    where = f"ICC profile (property {index})"
    data = prop.payload[4:]
    if not icc.is_standard(data):
        return None, icc.dropped_findings(data, where)
    profile, findings = icc.rebuild(data, where)
    return box_bytes(b"colr", prop.payload[:4] + profile), findings


def _image_closure(heif: Heif, root: int, tone_map: bool = False) -> set[int]:
    """The item and every input of its derivations; a loop is refused. `tone_map`: the root is a
    'tmap' item (kept only in the keep_hdr mode)."""
    done: set[int] = set()

    def visit(item_id: int, path: tuple[int, ...]) -> None:
        if item_id in path:
            raise Refused("the HEIF image's item references form a loop")
        item = heif.items.get(item_id)
        if item is None:
            raise Refused(f"the HEIF image refers to item {item_id}, which the file does not list")
        if item.type not in IMAGE_TYPES and not (tone_map and item_id == root and item.type == TONE_MAP):
            raise Refused(f"the HEIF image is built from a '{type_name(item.type)}' item, which intake does not clean")
        if item_id in done:
            return
        if len(path) > 64:
            raise Refused("the HEIF image's derivations nest too deep")
        for target in heif.targets(b"dimg", item_id):
            visit(target, path + (item_id,))
        done.add(item_id)

    visit(root, ())
    return done


def _aux_urn(heif: Heif, item_id: int) -> str:
    prop = heif.property_of(item_id, b"auxC")
    if prop is None:
        return ""
    _, _, rest = full_box_header(prop.payload)
    return rest.split(b"\0", 1)[0].decode("utf-8", "replace")


# ---------------------------------------------------------------- reporting


def inspect_stream(source: BinaryIO, keep_hdr: bool = False) -> list[Finding]:
    heif = parse(source)
    chosen = plan(heif, source, keep_hdr)
    findings = list(heif.extras) + list(chosen.findings)
    if heif.handler_name.strip("\0 "):
        findings.append(Finding(Category.OTHER, "handler name", shorten(heif.handler_name), "the meta box"))
    for item_id in chosen.kept:
        if heif.items[item_id].name:
            findings.append(Finding(Category.OTHER, "item name", shorten(heif.items[item_id].name), f"item {item_id}"))
    kept, exif = set(chosen.kept), ExifReader()  # one reader: its budget is per file, not per item
    for item in heif.items.values():
        if item.id in chosen.rewritten:  # what the gain map's parameters said beside the numbers kept
            findings += [f for f in _dropped_item(source, heif, item, exif) if f.field not in GAIN_MAP_FIELDS]
        elif item.id not in kept:
            findings += _dropped_item(source, heif, item, exif)
    return findings + _kept_jpeg_findings(source, heif, chosen)


def kept_stream(source: BinaryIO, keep_hdr: bool = False) -> list[str]:
    """What stays that the default removes (keep_hdr: the gain maps and their parameters), for the report."""
    return list(plan(parse(source), source, keep_hdr).stayed)


def _kept_jpeg_findings(source: BinaryIO, heif: Heif, chosen: Plan) -> list[Finding]:
    """A JPEG-coded item is a whole JPEG file, which can carry its own EXIF and XMP segments. Its
    bytes are content and stay as they are, so such metadata is reported and the file refused."""
    findings = []
    for item_id in chosen.kept:
        if heif.items[item_id].type == b"jpeg":
            findings += [Finding(f.category, f.field, f.value, f"JPEG-coded item {item_id}: {f.where}")
                         for f in jpeg.inspect(_item_data(source, heif, item_id))]
    return findings


def _dropped_item(source: BinaryIO, heif: Heif, item: Item, exif: ExifReader) -> list[Finding]:
    where = f"item {item.id}"
    if item.type == b"Exif":
        data = _item_data(source, heif, item.id)
        if len(data) < 4 or int.from_bytes(data[:4], "big") > len(data) - 4:
            return [Finding(Category.HIDDEN, "EXIF", f"an unreadable EXIF item of {len(data)} bytes", where)]
        tiff = data[4 + int.from_bytes(data[:4], "big"):]
        tiff = tiff[6:] if tiff.startswith(b"Exif\0\0") else tiff
        return exif.findings(tiff, f"EXIF ({where})") or [
            Finding(Category.OTHER, "EXIF", f"an EXIF item of {len(data)} bytes", where)]
    if item.type == b"mime":
        data = _item_data(source, heif, item.id)
        if "xml" in item.content_type and not item.content_encoding:
            return xmp_findings(data, f"XMP ({where})") or [
                Finding(Category.OTHER, "XMP", f"an XMP item of {len(data)} bytes", where)]
        return [Finding(Category.HIDDEN, "'mime' item", f"{shorten(item.content_type)}, {len(data)} bytes", where)]
    described = _image_description(heif, item)
    if described:
        return [Finding(Category.HIDDEN, "extra image", described, where)]
    size = heif.locations[item.id].length if item.id in heif.locations else 0
    return [Finding(Category.HIDDEN, f"'{type_name(item.type)}' item", f"an item of {size} bytes", where)]


def _image_description(heif: Heif, item: Item) -> str:
    if item.type not in IMAGE_TYPES and item.type != b"tmap":
        return ""
    size = _dimensions(heif, item.id)
    if heif.targets(b"thmb", item.id):
        return f"a thumbnail{size}"
    if item.type == b"tmap":
        return f"an HDR tone-map image{size}"
    urn = _aux_urn(heif, item.id)
    if urn:
        lowered = urn.lower()
        text = next((text for key, text in _AUX_DESCRIPTIONS if key in lowered), "an auxiliary image")
        return f"{text}{size} ({shorten(urn, 80)})"
    if any(heif.items.get(r.source, item).type == TONE_MAP and r.targets[1:] == (item.id,)
           for r in heif.references if r.type == b"dimg"):
        return f"an HDR gain map{size} (ISO 21496-1)"
    if heif.is_input(item.id):
        return f"a part of another image{size}"
    return f"another image{size}"


def _dimensions(heif: Heif, item_id: int) -> str:
    prop = heif.property_of(item_id, b"ispe")
    if prop is None or len(prop.payload) < 12:
        return ""
    width, height = struct.unpack(">II", prop.payload[4:12])
    return f", {width}x{height}"


def _item_data(source: BinaryIO, heif: Heif, item_id: int) -> bytes:
    location = heif.locations.get(item_id)
    if location is None:
        return b""
    if location.length > ITEM_READ_LIMIT:
        raise Refused(f"a HEIF item read for its metadata holds more than {ITEM_READ_LIMIT >> 20} MiB")
    return b"".join(_read(source, extent.offset, extent.length) for extent in location.extents)


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Layout:
    ftyp: bytes
    meta: bytes
    mdat_header: bytes
    pieces: tuple[Extent | bytes, ...]  # written in this order into the new mdat: copied, or rewritten data


def sanitize_stream(source: BinaryIO, out: BinaryIO, keep_hdr: bool = False) -> None:
    heif = parse(source)
    chosen = plan(heif, source, keep_hdr)
    if _kept_jpeg_findings(source, heif, chosen):
        raise Refused("a JPEG-coded HEIF image carries metadata in its own bytes, which are kept unchanged")
    layout = _layout(source, heif, chosen)
    out.write(layout.ftyp)
    out.write(layout.meta)
    out.write(layout.mdat_header)
    for piece in layout.pieces:
        if isinstance(piece, Extent):
            copy_range(source, piece.offset, piece.offset + piece.length, out)
        else:
            out.write(piece)


def _layout(source: BinaryIO, heif: Heif, chosen: Plan) -> _Layout:
    in_mdat: list[Extent | bytes] = []
    for item_id in chosen.kept:
        if item_id in chosen.rewritten:
            in_mdat.append(chosen.rewritten[item_id])
        elif item_id in heif.locations and heif.locations[item_id].method == 0:
            in_mdat += heif.locations[item_id].extents
    mdat_size = sum(piece.length if isinstance(piece, Extent) else len(piece) for piece in in_mdat)
    idat = b"".join(_read(source, e.offset, e.length) for i in chosen.kept if i not in chosen.rewritten
                    and i in heif.locations and heif.locations[i].method == 1 for e in heif.locations[i].extents)
    wide = mdat_size + len(idat) + (META_LIMIT << 3) > 0xFFFFFFFF
    mdat_header = box_header(b"mdat", mdat_size)
    ftyp = _written_file_type(heif, chosen)
    draft = _meta(heif, chosen, idat, 0, wide)
    meta = _meta(heif, chosen, idat, len(ftyp) + len(draft) + len(mdat_header), wide)
    assert len(meta) == len(draft)  # offsets have a fixed width, so placing them moves nothing
    return _Layout(ftyp, meta, mdat_header, tuple(in_mdat))


def _written_file_type(heif: Heif, chosen: Plan) -> bytes:
    """The 'ftyp' box, without the 'tmap' brand when no tone map is kept: libavif refuses a file that
    claims the brand and has no 'tmap' item ("cannot identify image file" through Pillow)."""
    if any(heif.items[item_id].type == TONE_MAP for item_id in chosen.kept):
        return heif.ftyp
    payload = heif.ftyp[8:]
    brands = [payload[at:at + 4] for at in range(8, len(payload), 4)]
    return box_bytes(b"ftyp", payload[:8] + b"".join(brand for brand in brands if brand != TONE_MAP))


def _meta(heif: Heif, chosen: Plan, idat: bytes, mdat_start: int, wide: bool) -> bytes:
    big_ids = max(chosen.kept) > 0xFFFF
    hdlr = full_box_payload(0, 0, bytes(4) + b"pict" + bytes(12) + b"\0")
    pitm = full_box_payload(1 if big_ids else 0, 0, heif.primary.to_bytes(4 if big_ids else 2, "big"))
    parts = [box_bytes(b"hdlr", hdlr), box_bytes(b"pitm", pitm), box_bytes(b"iloc", _iloc(heif, chosen, mdat_start, wide)),
             box_bytes(b"iinf", _iinf(heif, chosen))]
    iref = _iref(heif, chosen)
    if iref:
        parts.append(box_bytes(b"iref", iref))
    parts.append(box_bytes(b"iprp", box_bytes(b"ipco", b"".join(chosen.property_box(heif, i) for i in chosen.properties))
                           + box_bytes(b"ipma", _ipma(heif, chosen))))
    if chosen.groups:
        parts.append(box_bytes(b"grpl", b"".join(map(_entity_group, chosen.groups))))
    if idat:
        parts.append(box_bytes(b"idat", idat))
    url = box_bytes(b"url ", full_box_payload(0, 1, b""))  # flag 1: the data is in this file
    parts.append(box_bytes(b"dinf", box_bytes(b"dref", full_box_payload(0, 0, (1).to_bytes(4, "big") + url))))
    return box_bytes(b"meta", full_box_payload(0, 0, b"".join(parts)))


def _entity_group(group: EntityGroup) -> bytes:
    count = len(group.entities)
    return box_bytes(group.type, full_box_payload(0, 0, struct.pack(f">II{count}I", group.id, count, *group.entities)))


def _iloc(heif: Heif, chosen: Plan, mdat_start: int, wide: bool) -> bytes:
    located = [i for i in chosen.kept if i in heif.locations or i in chosen.rewritten]
    big_ids = any(i > 0xFFFF for i in located)
    id_size, number = (4 if big_ids else 2), (8 if wide else 4)
    body = bytearray(((number << 4) | number, 0))
    body += len(located).to_bytes(id_size, "big")
    mdat_at, idat_at = mdat_start, 0
    for item_id in located:
        location = heif.locations.get(item_id, Location(0, ()))
        if item_id in chosen.rewritten:
            location = Location(0, (Extent(0, len(chosen.rewritten[item_id])),))
        body += item_id.to_bytes(id_size, "big") + location.method.to_bytes(2, "big") + bytes(2)
        body += len(location.extents).to_bytes(2, "big")
        for extent in location.extents:
            if location.method == 0:
                body += mdat_at.to_bytes(number, "big")
                mdat_at += extent.length
            else:
                body += idat_at.to_bytes(number, "big")
                idat_at += extent.length
            body += extent.length.to_bytes(number, "big")
    return full_box_payload(2 if big_ids else 1, 0, bytes(body))


def _iinf(heif: Heif, chosen: Plan) -> bytes:
    big = len(chosen.kept) > 0xFFFF
    entries = b""
    for item_id in chosen.kept:
        item = heif.items[item_id]
        wide_id = item_id > 0xFFFF
        fields = item_id.to_bytes(4 if wide_id else 2, "big") + bytes(2) + item.type + b"\0"
        if item.type == b"mime":  # only the gain map's rebuilt parameters: plain XMP
            fields += _XMP_MIME.encode("ascii") + b"\0"
        entries += box_bytes(b"infe", full_box_payload(3 if wide_id else 2, int(item.hidden), fields))
    return full_box_payload(1 if big else 0, 0, len(chosen.kept).to_bytes(4 if big else 2, "big") + entries)


def _iref(heif: Heif, chosen: Plan) -> bytes:
    kept = set(chosen.kept)
    references = [Reference(r.type, r.source, tuple(t for t in r.targets if t in kept)) for r in heif.references
                  if r.type in KEPT_REFERENCES and r.source in kept]
    references = [r for r in references if r.targets]
    if not references:
        return b""
    big = any(i > 0xFFFF for r in references for i in (r.source, *r.targets))
    size = 4 if big else 2
    body = b"".join(box_bytes(r.type, r.source.to_bytes(size, "big") + len(r.targets).to_bytes(2, "big")
                              + b"".join(t.to_bytes(size, "big") for t in r.targets)) for r in references)
    return full_box_payload(1 if big else 0, 0, body)


def _ipma(heif: Heif, chosen: Plan) -> bytes:
    renumbered = {old: new for new, old in enumerate(chosen.properties, start=1)}
    big_ids = max(chosen.kept) > 0xFFFF
    wide = len(renumbered) > 127
    body = len(chosen.kept).to_bytes(4, "big")
    for item_id in chosen.kept:
        kept = [a for a in heif.associations.get(item_id, ()) if a.index in renumbered]
        body += item_id.to_bytes(4 if big_ids else 2, "big") + len(kept).to_bytes(1, "big")
        for association in kept:
            value = renumbered[association.index] | (association.essential << (15 if wide else 7))
            body += value.to_bytes(2 if wide else 1, "big")
    return full_box_payload(1 if big_ids else 0, int(wide), body)


# ---------------------------------------------------------------- proving


def _content_parts(source: BinaryIO, heif: Heif, chosen: Plan) -> Iterator[tuple[bytes, Location | None]]:
    """What must survive: the primary's ID, then for each kept item its description (type, properties
    in order, derivation inputs) and its location, whose bytes are compared."""
    yield b"primary %d" % heif.primary, None
    for group in chosen.groups:
        yield b"group %s %d:" % (group.type, group.id) + b"".join(b" %d" % e for e in group.entities), None
    kept, properties = set(chosen.kept), set(chosen.properties)
    for item_id in chosen.kept:
        item = heif.items[item_id]
        description = [b"item %d %s hidden=%d" % (item_id, item.type, item.hidden)]
        if item_id in chosen.rewritten:
            yield b"\n".join(description + [b"rewritten " + chosen.rewritten[item_id]]), None
            continue
        for association in heif.associations.get(item_id, ()):
            if association.index in properties:
                description.append(b"essential=%d " % association.essential + chosen.property_box(heif, association.index))
        for kind in sorted(KEPT_REFERENCES):
            description.append(kind + b"".join(b" %d" % t for t in heif.targets(kind, item_id) if t in kept))
        yield b"\n".join(description), heif.locations.get(item_id)


def content_digest(source: BinaryIO, keep_hdr: bool = False) -> bytes:
    heif = parse(source)
    digest = hashlib.sha256()
    buffer = bytearray(_PIECE)  # one buffer read into: the coded bytes are never copied into new objects
    for description, location in _content_parts(source, heif, plan(heif, source, keep_hdr)):
        digest.update(len(description).to_bytes(8, "big") + description)
        extents = location.extents if location else ()
        digest.update(sum(e.length for e in extents).to_bytes(8, "big"))
        for extent in extents:
            _digest_range(source, extent.offset, extent.offset + extent.length, digest, buffer)
    return digest.digest()


def same_content(original: BinaryIO, clean: BinaryIO, keep_hdr: bool = False) -> bool:
    """What content_digest proves, compared directly: the same descriptions in the same order, and each
    kept extent's bytes equal to its counterpart's, read side by side in pieces (a memory compare, where
    digesting both files would hash every coded byte twice)."""
    first, second = parse(original), parse(clean)
    ours = list(_content_parts(original, first, plan(first, original, keep_hdr)))
    theirs = list(_content_parts(clean, second, plan(second, clean, keep_hdr)))
    if len(ours) != len(theirs):
        return False
    buffers = bytearray(_PIECE), bytearray(_PIECE)
    for (description, location), (other_description, other_location) in zip(ours, theirs):
        extents = location.extents if location else ()
        other_extents = other_location.extents if other_location else ()
        if description != other_description or [e.length for e in extents] != [e.length for e in other_extents]:
            return False  # the clean copy keeps each extent whole, so any other layout is a change
        if not all(_same_range(original, extent, clean, other, buffers) for extent, other in zip(extents, other_extents)):
            return False
    return True


def _same_range(source: BinaryIO, extent: Extent, other_source: BinaryIO, other: Extent,
                buffers: tuple[bytearray, bytearray]) -> bool:
    mine, theirs = buffers
    for at in range(0, extent.length, _PIECE):
        size = min(_PIECE, extent.length - at)
        if _read_into(source, extent.offset + at, mine, size) != _read_into(other_source, other.offset + at, theirs, size):
            return False
    return True


def _read_into(source: BinaryIO, position: int, buffer: bytearray, size: int) -> bytearray | bytes:
    """source[position:position + size], in `buffer` when it fills it (compared with a memcmp)."""
    source.seek(position)
    if size < len(buffer):
        return _read(source, position, size)
    if source.readinto(buffer) != size:  # type: ignore[attr-defined]
        raise Refused("the HEIF file ends inside a range its boxes claim")
    return buffer


def _digest_range(source: BinaryIO, start: int, end: int, digest: "hashlib._Hash", buffer: bytearray) -> None:
    view = memoryview(buffer)
    source.seek(start)
    remaining = end - start
    while remaining:
        got = source.readinto(view[:min(len(buffer), remaining)])  # type: ignore[attr-defined]
        if not got:
            raise Refused("the HEIF file ends inside a range its boxes claim")
        digest.update(view[:got])
        remaining -= got


def residue_stream(source: BinaryIO, keep_hdr: bool = False) -> Iterator[View]:
    """Every byte of the file outside the kept items' data, in overlapping bounded pieces (rewritten
    items are not content: their bytes are scanned like the rest)."""
    heif = parse(source)
    chosen = plan(heif, source, keep_hdr)
    source.seek(0, io.SEEK_END)
    size = source.tell()
    content = sorted((e.offset, e.offset + e.length) for i in chosen.kept if i in heif.locations
                     and i not in chosen.rewritten for e in heif.locations[i].extents)
    position = 0
    for start, end in content + [(size, size)]:
        if start > position:
            for piece in _pieces(source, position, start, _OVERLAP):
                yield View(f"bytes {position}-{start} of the file", _without_published_types(piece))
        position = max(position, end)


def _without_published_types(piece: bytes) -> bytes:
    for urn in PUBLISHED_AUX_TYPES:
        piece = piece.replace(urn, bytes(len(urn)))
    return piece


def _pieces(source: BinaryIO, start: int, end: int, overlap: int) -> Iterator[bytes]:
    position = start
    while position < end:
        stop = min(end, position + _PIECE)
        yield _read(source, max(start, position - overlap), stop - max(start, position - overlap))
        position = stop


# ---------------------------------------------------------------- the bytes verbs


def inspect(data: bytes, keep_hdr: bool = False) -> list[Finding]:
    return inspect_stream(io.BytesIO(data), keep_hdr)


def sanitize(data: bytes, keep_hdr: bool = False) -> bytes:
    out = io.BytesIO()
    sanitize_stream(io.BytesIO(data), out, keep_hdr)
    return out.getvalue()


def views(data: bytes) -> list[View]:
    return [View("the file", data)]


def residue(data: bytes, keep_hdr: bool = False) -> list[View]:
    return list(residue_stream(io.BytesIO(data), keep_hdr))


def content(data: bytes, keep_hdr: bool = False) -> list[bytes]:
    source = io.BytesIO(data)
    heif = parse(source)
    return [description + b"".join(_read(source, e.offset, e.length) for e in (location.extents if location else ()))
            for description, location in _content_parts(source, heif, plan(heif, source, keep_hdr))]


class KeepingHdr:
    """This module's verbs in the keep_hdr mode, shaped like a format module for intake.clean: HDR gain
    maps stay (with their rebuilt parameters), and `kept_stream` says so."""

    NAME = NAME
    MEDIA_TYPES = MEDIA_TYPES

    @staticmethod
    def inspect(data: bytes) -> list[Finding]:
        return inspect(data, keep_hdr=True)

    @staticmethod
    def sanitize(data: bytes) -> bytes:
        return sanitize(data, keep_hdr=True)

    views = staticmethod(views)

    @staticmethod
    def residue(data: bytes) -> list[View]:
        return residue(data, keep_hdr=True)

    @staticmethod
    def content(data: bytes) -> list[bytes]:
        return content(data, keep_hdr=True)

    @staticmethod
    def inspect_stream(source: BinaryIO) -> list[Finding]:
        return inspect_stream(source, keep_hdr=True)

    @staticmethod
    def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
        sanitize_stream(source, out, keep_hdr=True)

    @staticmethod
    def content_digest(source: BinaryIO) -> bytes:
        return content_digest(source, keep_hdr=True)

    @staticmethod
    def residue_stream(source: BinaryIO) -> Iterator[View]:
        return residue_stream(source, keep_hdr=True)

    @staticmethod
    def same_content(original: BinaryIO, clean: BinaryIO) -> bool:
        return same_content(original, clean, keep_hdr=True)

    @staticmethod
    def kept_stream(source: BinaryIO) -> list[str]:
        return kept_stream(source, keep_hdr=True)
