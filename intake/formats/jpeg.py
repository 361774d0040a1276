"""JPEG: segment surgery, never re-encoding.

A JPEG is a start marker, a run of marker segments, scans of entropy-coded
data and an end marker. Cleaning keeps only the segments a decoder needs
(tables, frame and scan headers, the scan data byte for byte) plus two small
ones that change how the picture is decoded: the JFIF header (without its
thumbnail) and Adobe's colour-transform segment. Everything else (EXIF, XMP,
IPTC, ICC profiles, comments, thumbnails, extra images, unknown segments,
bytes after the end) goes. The picture's EXIF orientation is written back
as a new, minimal EXIF block so the clean copy is shown the same way up.

The parser is small and strict: lengths are checked against the data, every
loop advances, and anything outside the standard grammar is refused.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from intake.formats.shared import icc, xmp_orientation
from intake.formats.base import Buffer, Category, Finding, Parsed, View, bytes_verbs
from intake.errors import Refused
from intake.support.buffers import RELEASE_EVERY, release_range, same_bytes
from intake.formats.shared.metadata import ExifReader, Tiff, TiffEntry, iptc_findings, xmp_findings
from intake.formats.shared.xmp_orientation import EXIF_ORIENTATION

NAME = "JPEG"
# The parse holds views of the map, and the marker search gives its pages back (formats/base.py).
MAPPED_AT_ANY_SIZE = True
MEDIA_TYPES = ("image/jpeg",)

SOI, EOI, SOS, DQT, DHT, DAC, DRI, DNL, COM = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xCC, 0xDD, 0xDC, 0xFE
APP0, APP1, APP2, APP13, APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
# Baseline, extended, progressive and lossless frames, Huffman or arithmetic
# coded: all share the same segment and scan syntax.
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCA, 0xCB})
DECODING = frozenset({DQT, DHT, DAC, DRI, DNL, SOS}) | SOF_MARKERS
APP_MARKERS = frozenset(range(0xE0, 0xF0))
_WITH_LENGTH = DECODING | APP_MARKERS | {COM}
_HIERARCHICAL = frozenset({0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF, 0xDE, 0xDF})
_JPEG_LS = frozenset({0xF7, 0xF8})
_STANDALONE = frozenset({SOI, 0x01}) | frozenset(range(0xD0, 0xD8))

MAX_SEGMENTS = 65536
MAX_PAYLOAD = 65533
_TRUNCATED = "the JPEG is truncated: it ends before its end-of-image marker"

_FILL = re.compile(rb"\xff+")


@dataclass(frozen=True)
class Segment:
    """One marker segment; for SOS, `scan` is the entropy-coded data after it."""

    marker: int
    payload: bytes
    scan: bytes | memoryview = b""  # a view of the parsed buffer: megabytes, never copied

    def head(self) -> bytes:
        return bytes((0xFF, self.marker)) + (len(self.payload) + 2).to_bytes(2, "big")

    def encoded(self) -> bytes:
        return self.head() + self.payload


@dataclass(frozen=True)
class Jpeg:
    segments: tuple[Segment, ...]
    trailer: bytes  # bytes after the end-of-image marker

    @property
    def header(self) -> tuple[Segment, ...]:
        """Segments before the first scan: the only ones decoders read for colour and orientation."""
        for index, segment in enumerate(self.segments):
            if segment.marker == SOS:
                return self.segments[:index]
        return self.segments


def build(segments: list[Segment] | tuple[Segment, ...], trailer: bytes = b"") -> bytes:
    """The file for these segments: the inverse of `parse`."""
    return b"".join(build_parts(segments, trailer))


def build_parts(segments: list[Segment] | tuple[Segment, ...], trailer: bytes = b"") -> list[bytes | memoryview]:
    """The file for these segments as the pieces to write one after the other."""
    parts: list[bytes | memoryview] = [b"\xff\xd8"]
    for segment in segments:
        if len(segment.payload) > MAX_PAYLOAD:
            raise Refused("a JPEG segment would be too long")
        parts += (segment.head() + segment.payload, segment.scan)
    parts += (b"\xff\xd9", trailer)
    return [part for part in parts if part]


# --- parsing ---------------------------------------------------------------

def parse(data: Buffer) -> Jpeg:
    """The segments of a JPEG, checked against the standard's grammar; Refused otherwise."""
    return _parse(data)


# A scan of the original at least this long, found byte for byte in its clean copy, is not searched again.
_KNOWN_SCAN_BYTES = 1 << 16


def _parse(data: Buffer, known_scans: Sequence[bytes | memoryview] = ()) -> Jpeg:
    if data[:2] != b"\xff\xd8":
        raise Refused("not a JPEG file: no start-of-image marker")
    whole = memoryview(data)
    grammar = _Grammar()
    segments: list[Segment] = []
    position = 2
    while True:
        if len(segments) > MAX_SEGMENTS:
            raise Refused("the JPEG has too many segments")
        marker, position = _read_marker(data, position)
        if marker == EOI:
            grammar.finish()
            return Jpeg(tuple(segments), data[position:])
        payload, position = _read_payload(data, position, marker)
        scan: bytes | memoryview = b""
        if marker == SOS:
            end = _scan_end(data, _past_known_scan(whole, position, known_scans))
            scan, position = whole[position:end], end
        grammar.accept(marker, payload)
        segments.append(Segment(marker, payload, scan))


def _read_marker(data: bytes, position: int) -> tuple[int, int]:
    if position >= len(data):
        raise Refused(_TRUNCATED)
    fill = _FILL.match(data, position)  # a marker may be preceded by any number of 0xFF fill bytes
    if fill is None:
        raise Refused("the JPEG has stray bytes between its segments")
    position = fill.end()
    if position >= len(data):
        raise Refused(_TRUNCATED)
    marker = data[position]
    if marker != EOI and marker not in _WITH_LENGTH:
        raise Refused(_marker_problem(marker))
    return marker, position + 1


def _marker_problem(marker: int) -> str:
    if marker in _JPEG_LS:
        return "JPEG-LS files are not supported"
    if marker in _HIERARCHICAL:
        return "hierarchical JPEG files are not supported"
    if marker in _STANDALONE:
        return f"the JPEG has a marker (0x{marker:02X}) in a place where it is not allowed"
    return f"the JPEG has an unknown or reserved marker (0x{marker:02X})"


def _read_payload(data: bytes, position: int, marker: int) -> tuple[bytes, int]:
    if position + 2 > len(data):
        raise Refused(_TRUNCATED)
    length = int.from_bytes(data[position:position + 2], "big")
    if length < 2:
        raise Refused(f"the JPEG has a segment (0x{marker:02X}) with an impossible length")
    end = position + length
    if end > len(data):
        raise Refused(f"the JPEG has a segment (0x{marker:02X}) longer than the file")
    return data[position + 2:end], end


def _past_known_scan(whole: memoryview, position: int, known_scans: Sequence[bytes | memoryview]) -> int:
    """Where the search for the end of the scan at `position` may start.

    A scan already parsed (the original's, when its clean copy is parsed) holds no place where
    a scan could end, and never ends in 0xFF (a 0xFF inside is followed by 0x00 or a restart
    marker, inside the scan). So where the data at `position` are that scan byte for byte, the
    search from its end finds what a search from `position` would: one memcmp instead of
    reading megabytes for every 0xFF."""
    for scan in known_scans:
        end = position + len(scan)
        if end < len(whole) and whole[end] == 0xFF and same_bytes(whole[position:end], scan):
            return end
    return position


def _scan_end(data: Buffer, position: int) -> int:
    """Where the entropy-coded data starting at `position` ends (the next real marker).

    Inside scan data 0xFF is followed by 0x00 (stuffing) or a restart marker, possibly after
    fill bytes; anything else ends the scan. Each 0xFF is found with `find` (memchr): over a
    photo's megabytes that is about half the time of a regular expression's search."""
    find, size = data.find, len(data)
    released = position
    window_end = min(size, position + RELEASE_EVERY)  # scan data may hold no 0xFF for megabytes
    while True:  # each round moves forward
        found = find(b"\xff", position, window_end)
        if found < 0:
            if window_end >= size:
                raise Refused(_TRUNCATED)
            position = max(position, window_end)
            release_range(data, released, position)  # a mapped file's pages searched are given back
            released, window_end = position, min(size, position + RELEASE_EVERY)
            continue
        run_end = found + 1
        while run_end < size and data[run_end] == 0xFF:
            run_end += 1
        if run_end >= size:
            raise Refused(_TRUNCATED)
        following = data[run_end]
        if following != 0 and not 0xD0 <= following <= 0xD7:
            release_range(data, released, found)
            return found
        position = run_end + 1  # stuffing or a restart marker, after any fill bytes: still scan data


class _Grammar:
    """The order of segments: one frame header, scans after it, DNL only right after the first scan."""

    def __init__(self) -> None:
        self.components: bytes | None = None
        self.height = 0
        self.scans = 0
        self.previous = SOI
        self.has_dnl = False

    def accept(self, marker: int, payload: bytes) -> None:
        _check_payload(marker, payload)
        if marker in SOF_MARKERS:
            self._frame(payload)
        elif marker == SOS:
            self._scan(payload)
        elif marker == DNL:
            if self.previous != SOS or self.scans != 1:
                raise Refused("the JPEG has a line-count segment (DNL) in the wrong place")
            self.has_dnl = True
        self.previous = marker

    def _frame(self, payload: bytes) -> None:
        if self.components is not None:
            raise Refused("the JPEG has more than one frame header")
        self.components = payload[6::3]
        self.height = int.from_bytes(payload[1:3], "big")

    def _scan(self, payload: bytes) -> None:
        if self.components is None:
            raise Refused("the JPEG has image data before its frame header")
        if any(selector not in self.components for selector in payload[1:-3:2]):
            raise Refused("a JPEG scan names a colour component the frame does not have")
        self.scans += 1

    def finish(self) -> None:
        if not self.scans:
            raise Refused("the JPEG has no image data")
        if self.height == 0 and not self.has_dnl:
            raise Refused("the JPEG does not say how tall it is")


def _check_payload(marker: int, payload: bytes) -> None:
    """Decoding segments must be exactly what they claim: no room for anything else."""
    checks = {DQT: _check_dqt, DHT: _check_dht, DAC: _check_dac, DRI: _check_two, DNL: _check_two, SOS: _check_sos}
    check = _check_sof if marker in SOF_MARKERS else checks.get(marker)
    if check is not None and not check(payload):
        raise Refused(f"the JPEG has a malformed segment (0x{marker:02X})")


def _check_dqt(payload: bytes) -> bool:
    position = 0
    while position < len(payload):
        precision, table = payload[position] >> 4, payload[position] & 15
        if precision > 1 or table > 3:
            return False
        position += 65 if precision == 0 else 129
    return position == len(payload)


def _check_dht(payload: bytes) -> bool:
    position = 0
    while position < len(payload):
        kind, table = payload[position] >> 4, payload[position] & 15
        count = sum(payload[position + 1:position + 17])
        if kind > 1 or table > 3 or count > 256:
            return False
        position += 17 + count
    return position == len(payload)


def _check_dac(payload: bytes) -> bool:
    return len(payload) > 0 and len(payload) % 2 == 0


def _check_two(payload: bytes) -> bool:
    return len(payload) == 2


def _check_sof(payload: bytes) -> bool:
    if len(payload) < 6:
        return False
    width, count = int.from_bytes(payload[3:5], "big"), payload[5]
    return width > 0 and count > 0 and len(payload) == 6 + 3 * count


def _check_sos(payload: bytes) -> bool:
    return len(payload) > 0 and 1 <= payload[0] <= 4 and len(payload) == 4 + 2 * payload[0]


# --- the contract ----------------------------------------------------------

@dataclass(frozen=True)
class JpegFile:
    """A JPEG parsed once, with the verbs (formats/base.py, Parsed) reading that parse.

    `data` may be any buffer (bytes, or a map of the file: intake.clean maps JPEGs); the
    parse holds views of it, so it lives no longer than the caller's use of the buffer."""

    data: Buffer
    jpeg: Jpeg

    def inspect(self) -> list[Finding]:
        """Everything sanitize removes; the kept orientation, JFIF and Adobe segments are not findings."""
        _plan(self.jpeg)  # refuse exactly what sanitize refuses
        reader = ExifReader()
        findings = _segment_findings(self.jpeg, reader) + _trailer_findings(self.jpeg.trailer, reader)
        return list(dict.fromkeys(findings))

    def sanitize_parts(self) -> list[bytes | memoryview]:
        """SOI, JFIF, orientation-only EXIF, (ICC), Adobe, then every decoding segment in its order, EOI,
        as pieces to write in order: the scan data are views of `data`."""
        plan = _plan(self.jpeg)
        kept: list[Segment] = []
        if plan.jfif is not None:
            kept.append(Segment(APP0, plan.jfif))
        if plan.exif is not None:
            kept.append(Segment(APP1, plan.exif))
        if plan.xmp is not None:
            kept.append(Segment(APP1, plan.xmp))
        kept += [Segment(APP2, chunk) for chunk in _icc_chunks(plan.icc)]
        if plan.adobe is not None:
            kept.append(Segment(APP14, plan.adobe))
        return build_parts(kept + list(plan.body))

    def views(self) -> list[View]:
        """The file, plus the metadata that is split over several segments, joined up again."""
        segments = self.jpeg.segments
        joined = [
            ("ICC profile (joined from its APP2 segments)", _icc_joined([s for s in segments if _kind(s) == "icc"])),
            ("extended XMP (joined from its APP1 segments)", _extended_xmp([s for s in segments
                                                                           if _kind(s) == "xmp-ext"])),
            ("Photoshop resources (joined from their APP13 segments)", _photoshop_joined(segments)),
        ]
        return [View("the JPEG file", self.data)] + [View(where, blob) for where, blob in joined if blob]  # type: ignore[arg-type]

    def residue(self) -> list[View]:
        """Every byte outside the image data: segments that do not decode pixels,
        bytes after the end of the image, and the joined metadata views. Since the
        image data must be identical before and after, the leftover scan only
        needs to look here."""
        outside = b"".join(s.encoded() for s in self.jpeg.segments if s.marker not in DECODING) + self.jpeg.trailer
        return [View("the JPEG outside its image data", outside)] + self.views()[1:]

    def content(self) -> list[bytes | memoryview]:
        """Tables, frame and scan headers and the entropy-coded data, in order: what the pixels are made of.
        The entropy-coded data are views of `data` (compare them with intake.clean's same_parts)."""
        parts: list[bytes | memoryview] = []
        for segment in self.jpeg.segments:
            if segment.marker in DECODING:
                parts.append(segment.encoded())
                if segment.marker == SOS:
                    parts.append(segment.scan)
        return parts


def parse_file(data: Buffer, original: Parsed | None = None) -> JpegFile:
    """`data` parsed once. When it is the clean copy of `original`, the original's long scans are
    looked for first: found byte for byte, their megabytes are not searched again for markers."""
    known = [segment.scan for segment in original.jpeg.segments if len(segment.scan) >= _KNOWN_SCAN_BYTES] \
        if isinstance(original, JpegFile) else []
    return JpegFile(data, _parse(data, known))


inspect, sanitize, views, residue, content = bytes_verbs(parse_file)


def sanitize_parts(data: Buffer) -> list[bytes | memoryview]:
    """sanitize's clean copy as pieces to write in order (intake.clean writes them from a map of the file)."""
    return parse_file(data).sanitize_parts()


# --- what is kept ----------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    jfif: bytes | None
    exif: bytes | None
    xmp: bytes | None
    icc: bytes | None
    adobe: bytes | None
    body: tuple[Segment, ...]


def _plan(jpeg: Jpeg) -> _Plan:
    header = jpeg.header
    jfif, adobe = _kept_jfif(header), _kept_adobe(header)
    return _Plan(
        jfif=jfif.payload[:12] + b"\0\0" if jfif else None,  # thumbnail size 0x0, no thumbnail
        exif=_kept_exif(header),
        xmp=_kept_xmp(header),
        icc=_icc_review(header)[0],
        adobe=adobe.payload[:12] if adobe else None,
        body=tuple(segment for segment in jpeg.segments if segment.marker in DECODING),
    )


_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (APP0, b"JFIF\0", "jfif"),
    (APP0, b"JFXX\0", "jfxx"),
    (APP1, b"Exif\0\0", "exif"),
    (APP1, b"http://ns.adobe.com/xap/1.0/\0", "xmp"),
    (APP1, b"http://ns.adobe.com/xmp/extension/\0", "xmp-ext"),
    (APP2, b"ICC_PROFILE\0", "icc"),
    (APP2, b"MPF\0", "mpf"),
    (APP2, b"FPXR\0", "flashpix"),
    (APP13, b"Photoshop 3.0\0", "photoshop"),
    (APP14, b"Adobe", "adobe"),
)
_PREFIX = {kind: prefix for _, prefix, kind in _SIGNATURES}


def _kind(segment: Segment) -> str:
    if segment.marker == COM:
        return "comment"
    if segment.marker in DECODING:
        return "decoding"
    for marker, prefix, kind in _SIGNATURES:
        if segment.marker == marker and segment.payload.startswith(prefix):
            return kind
    return "other"


def _kept_jfif(header: tuple[Segment, ...]) -> Segment | None:
    """The first JFIF header long enough for decoders to read it (14 bytes, as libjpeg requires)."""
    return next((s for s in header if _kind(s) == "jfif" and len(s.payload) >= 14), None)


def _kept_adobe(header: tuple[Segment, ...]) -> Segment | None:
    """Adobe's segment says whether 3 or 4 channels are YCbCr/YCCK or RGB/CMYK: needed to decode."""
    adobes = [s for s in header if _kind(s) == "adobe" and len(s.payload) >= 12]
    if len({s.payload[11] for s in adobes}) > 1:
        raise Refused("the JPEG has Adobe segments that disagree on its colour transform")
    return adobes[0] if adobes else None


# --- EXIF: keep the orientation, nothing else ------------------------------


def _kept_exif(header: tuple[Segment, ...]) -> bytes | None:
    """A new EXIF block holding only the orientation of the first EXIF block (the one viewers obey)."""
    first = next((s for s in header if _kind(s) == "exif"), None)
    if first is None:
        return None
    tiff = Tiff.of(first.payload[6:])
    ifd0 = tiff.first_ifd() if tiff else None
    if tiff is None or ifd0 is None:
        raise Refused("the JPEG's EXIF block is malformed, so the picture's orientation is unknown")
    orientation = _orientation(tiff, [e for e in ifd0 if e.tag == EXIF_ORIENTATION])
    return orientation_exif(orientation, tiff.order) if orientation != 1 else None


def orientation_exif(orientation: int, order: str = ">") -> bytes:
    """EXIF APP1 payload: a TIFF header and IFD0 with the one Orientation entry, no next IFD."""
    head = b"II*\0" if order == "<" else b"MM\0*"
    return b"Exif\0\0" + head + struct.pack(order + "IHHHIHHI", 8, 1, EXIF_ORIENTATION, 3, 1, orientation, 0, 0)


# --- XMP: its orientation, where EXIF states none -----------------------------

def _kept_xmp(header: tuple[Segment, ...]) -> bytes | None:
    """The orientation an XMP packet states, when EXIF states none, in a packet holding nothing
    else (intake.formats.shared.xmp_orientation), as an APP1 payload."""
    first_exif = next((s.payload[6:] for s in header if _kind(s) == "exif"), b"")
    kept = xmp_orientation.kept_packet([s.payload for s in header if _kind(s) == "xmp"],
                                       xmp_orientation.exif_states_orientation(first_exif), "JPEG")
    return _PREFIX["xmp"] + kept if kept else None


def _orientation(tiff: Tiff, entries: list[TiffEntry]) -> int:
    if not entries:
        return 1
    values = {tuple(_integers(tiff, e)) for e in entries}
    if any(e.count != 1 or e.kind not in _INTEGER_FORMATS for e in entries) or len(values) != 1:
        raise Refused("the JPEG's EXIF orientation is not stored as one number")
    orientation = values.pop()[0]
    return orientation if 1 <= orientation <= 8 else 1  # viewers ignore values outside 1-8


# TIFF's integer types, unsigned and signed: SHORT, LONG, SSHORT, SLONG. Fujifilm X-T3 JPEGs (Exiv2's
# FujiTags test files) store the orientation as SLONG; the number is the same.
_INTEGER_FORMATS = {3: "H", 4: "I", 8: "h", 9: "i"}


def _integers(tiff: Tiff, entry: TiffEntry) -> list[int]:
    code = _INTEGER_FORMATS.get(entry.kind)
    if code is None:
        return []
    raw, size = tiff.value(entry), struct.calcsize(code)
    return [struct.unpack(tiff.order + code, raw[i:i + size])[0] for i in range(0, len(raw) - size + 1, size)]


def _exif_thumbnail(data: bytes) -> bytes:
    """The JPEG thumbnail IFD1 points to, if it is inside the block."""
    tiff = Tiff.of(data)
    ifd0 = tiff.ifd(tiff.u32(4)) if tiff else None
    ifd1 = tiff.ifd(ifd0[1]) if tiff and ifd0 else None
    if tiff is None or ifd1 is None:
        return b""
    found = {e.tag: (tiff.numbers(e) or [0])[0] for e in ifd1[0] if e.tag in (0x0201, 0x0202)}
    offset, length = found.get(0x0201, 0), found.get(0x0202, 0)
    return data[offset:offset + length] if offset and length and offset + length <= len(data) else b""


def _picture_findings(reader: ExifReader, picture: bytes, where: str) -> list[Finding]:
    """EXIF of a JPEG inside the file: a thumbnail, an appended picture."""
    return [f for s in _head_segments(picture) if _kind(s) == "exif" for f in reader.findings(s.payload[6:], where)]


def _head_segments(data: bytes) -> list[Segment]:
    """The segments before the first scan of an embedded JPEG, as far as they can be read."""
    segments: list[Segment] = []
    position = 2 if data.startswith(b"\xff\xd8") else len(data)
    try:
        while position < len(data) and len(segments) < 64:
            marker, position = _read_marker(data, position)
            if marker in (SOS, EOI):
                break
            payload, position = _read_payload(data, position, marker)
            segments.append(Segment(marker, payload))
    except Refused:
        pass  # only read for findings: what could be read is reported
    return segments


# --- ICC profiles ----------------------------------------------------------
#
# A profile can name a person or a device in its text tags and header (a
# calibrated monitor, a camera, the moment some software built it), and its
# numbers can fingerprint one device. So profiles are dropped. For sRGB this
# changes nothing on screen: untagged pictures are shown as sRGB. Wide-gamut
# pictures (Display P3, Adobe RGB) are shown with less saturated colours;
# the pixels are unchanged and the original stays sealed in the vault.
#
# Keeping recognised wide-gamut profiles is built and tested: they are
# rebuilt (intake.formats.shared.icc.rebuild) with a fresh description, their colour
# tags only and a header with every date, vendor and device field zeroed. It
# is off because exiftool still lists the (empty) ICC header fields
# DeviceModel and ProfileCreator, which tests/exiftool_judge.py counts as
# identifying. To turn it on, set ICC_KEPT = ICC_WIDE_GAMUT and let the judge
# ignore empty ICC header fields.

ICC_PREFIX = b"ICC_PROFILE\0"
_ICC_CHUNK = MAX_PAYLOAD - len(ICC_PREFIX) - 2
# Normalised descriptions (intake.formats.shared.icc.normalise) of the standard profiles that are not sRGB.
ICC_WIDE_GAMUT = icc.STANDARD_DESCRIPTIONS - icc.SRGB_DESCRIPTIONS
ICC_KEPT: frozenset[str] = frozenset()
_ICC_WHERE = "ICC profile (APP2)"


def _icc_chunks(profile: bytes | None) -> list[bytes]:
    if not profile:
        return []
    pieces = [profile[start:start + _ICC_CHUNK] for start in range(0, len(profile), _ICC_CHUNK)]
    return [ICC_PREFIX + bytes((number, len(pieces))) + piece for number, piece in enumerate(pieces, 1)]


def _icc_assemble(segments: list[Segment]) -> bytes | None:
    """The profile from its chunks (sequence number, count, data), or None if they do not fit together."""
    chunks = [s.payload[len(ICC_PREFIX):] for s in segments]
    if not chunks or any(len(c) < 2 or c[1] != len(chunks) for c in chunks):
        return None
    by_number = {c[0]: c[2:] for c in chunks}
    if sorted(by_number) != list(range(1, len(chunks) + 1)):
        return None
    return b"".join(by_number[number] for number in range(1, len(chunks) + 1))


def _icc_joined(segments: list[Segment]) -> bytes:
    """Every chunk's data in sequence order, even when the chunks do not make a valid profile."""
    chunks = [s.payload[len(ICC_PREFIX):] for s in segments]
    return b"".join(c[2:] for c in sorted(chunks, key=lambda c: c[:1]))


def _icc_review(header: tuple[Segment, ...]) -> tuple[bytes | None, list[Finding]]:
    """(The rebuilt profile to keep, or None; findings) for the profile decoders read: the one before the first scan."""
    segments = [s for s in header if _kind(s) == "icc"]
    if not segments:
        return None, []
    profile = _icc_assemble(segments)
    if profile is None:
        return None, [icc.unreadable(len(_icc_joined(segments)), _ICC_WHERE)]
    if icc.normalise(icc.description(profile)) in ICC_KEPT:
        return icc.rebuild(profile, _ICC_WHERE)
    return None, icc.dropped_findings(profile, _ICC_WHERE)


# --- findings: everything that is not kept ---------------------------------

def _segment_findings(jpeg: Jpeg, reader: ExifReader) -> list[Finding]:
    header = jpeg.header
    kept = (_kept_jfif(header), _kept_adobe(header))
    kept_xmp = _kept_xmp(header)
    findings: list[Finding] = []
    for segment in jpeg.segments:
        kind = _kind(segment)
        if kind in ("decoding", "icc", "xmp-ext", "photoshop"):
            continue  # decoding segments stay; split metadata is read whole, below
        if kind == "xmp" and segment.payload == kept_xmp:
            continue  # the orientation-only packet cleaning writes: nothing else in it
        if any(segment is k for k in kept):
            findings += _kept_header_findings(segment)
        else:
            findings += _single_findings(segment, kind, reader)
    late_icc = [s for s in jpeg.segments[len(header):] if _kind(s) == "icc"]
    findings += _icc_review(header)[1] + [_other_finding(s) for s in late_icc]
    return findings + _extended_xmp_findings(jpeg.segments) + _photoshop_findings(jpeg.segments, reader)


def _kept_header_findings(segment: Segment) -> list[Finding]:
    """What cleaning cuts off a kept JFIF or Adobe segment."""
    if _kind(segment) == "adobe":
        extra = len(segment.payload) - 12
        where = "Adobe segment (APP14)"
        return [Finding(Category.HIDDEN, "extra bytes in the Adobe segment", f"{extra} bytes", where)] if extra else []
    width, height, extra = segment.payload[12], segment.payload[13], len(segment.payload) - 14
    if not (width or height or extra):
        return []
    field = "JFIF thumbnail" if width and height else "extra bytes in the JFIF header"
    return [Finding(Category.HIDDEN, field, f"{width}x{height} pixels, {extra} bytes", "JFIF header (APP0)")]


def _single_findings(segment: Segment, kind: str, reader: ExifReader) -> list[Finding]:
    payload = segment.payload
    if kind == "exif":
        tiff = payload[6:]
        thumbnail = _picture_findings(reader, _exif_thumbnail(tiff), "EXIF of the embedded thumbnail")
        return reader.findings(tiff, "EXIF") + thumbnail
    if kind == "xmp":
        return xmp_findings(payload[len(_PREFIX["xmp"]):], "XMP")
    if kind == "comment":
        text = payload.decode("utf-8", "replace").strip("\0 \r\n\t") or "(empty)"
        text = text if len(text) <= 200 else text[:199] + "…"
        return [Finding(Category.OTHER, "comment", text, "JPEG comment (COM)")]
    described = {
        "jfxx": (Category.HIDDEN, "JFIF extension thumbnail", "APP0 JFXX segment"),
        "mpf": (Category.HIDDEN, "multi-picture index (MPF)", "APP2 MPF segment"),
        "flashpix": (Category.HIDDEN, "FlashPix data", "APP2 FlashPix segment"),
    }
    if kind in described:
        category, field, where = described[kind]
        return [Finding(category, field, f"{len(payload)} bytes", where)]
    return [_other_finding(segment)]


def _other_finding(segment: Segment) -> Finding:
    name = segment.payload.split(b"\0", 1)[0][:32].decode("latin-1")
    label = name if name and name.isascii() and name.isprintable() else "unnamed"
    where = f"APP{segment.marker - APP0} segment"
    return Finding(Category.HIDDEN, where, f"{label}, {len(segment.payload)} bytes", where)


def _extended_xmp(segments: list[Segment]) -> bytes:
    """Extended XMP chunks (GUID, full length, offset, data) put back together, in offset order."""
    chunks = [s.payload[len(_PREFIX["xmp-ext"]):] for s in segments]
    chunks.sort(key=lambda c: (c[:32], int.from_bytes(c[36:40], "big")))
    return b"".join(c[40:] for c in chunks)


def _extended_xmp_findings(segments: tuple[Segment, ...]) -> list[Finding]:
    extended = [s for s in segments if _kind(s) == "xmp-ext"]
    return xmp_findings(_extended_xmp(extended), "extended XMP") if extended else []


def _photoshop_joined(segments: tuple[Segment, ...]) -> bytes:
    return b"".join(s.payload[len(_PREFIX["photoshop"]):] for s in segments if _kind(s) == "photoshop")


def _photoshop_resources(data: bytes) -> list[tuple[int, str, bytes]] | None:
    """Image resources: signature, id, padded Pascal name, size, padded data; None if malformed."""
    resources, position = [], 0
    while position < len(data):  # each round moves on by at least 12 bytes
        if data[position:position + 4] not in (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa") or \
                position + 7 > len(data):
            return None
        identifier, name_length = int.from_bytes(data[position + 4:position + 6], "big"), data[position + 6]
        name = data[position + 7:position + 7 + name_length].decode("latin-1")
        start = position + 6 + name_length + 1 + (name_length + 1) % 2 + 4
        size = int.from_bytes(data[start - 4:start], "big")
        if start > len(data) or start + size > len(data):
            return None
        resources.append((identifier, name, data[start:start + size]))
        position = start + size + size % 2
    return resources


def _photoshop_findings(segments: tuple[Segment, ...], reader: ExifReader) -> list[Finding]:
    data = _photoshop_joined(segments)
    if not any(_kind(s) == "photoshop" for s in segments):
        return []
    where = "Photoshop resources (APP13)"
    resources = _photoshop_resources(data)
    if resources is None:
        return [Finding(Category.HIDDEN, "Photoshop resources", f"unreadable, {len(data)} bytes", where)]
    findings: list[Finding] = []
    others: list[str] = []
    for identifier, name, value in resources:
        findings += _photoshop_resource_findings(identifier, value, where, reader)
        if identifier not in (0x0404, 0x0409, 0x040C, 0x0422, 0x0423, 0x0424):
            others.append(f"0x{identifier:04X}" + (f" {name}" if name else ""))
    if others or not resources:
        findings.append(Finding(Category.OTHER, "Photoshop resources", ", ".join(others) or "empty", where))
    return findings


def _photoshop_resource_findings(identifier: int, value: bytes, where: str, reader: ExifReader) -> list[Finding]:
    if identifier == 0x0404:
        return iptc_findings(value, "IPTC (Photoshop APP13)") or [
            Finding(Category.OTHER, "IPTC", f"{len(value)} bytes", "IPTC (Photoshop APP13)")]
    if identifier in (0x0409, 0x040C):
        thumbnail = value[28:]  # a 28-byte header, then a JFIF file
        found = _picture_findings(reader, thumbnail, "EXIF of the Photoshop thumbnail")
        return [Finding(Category.HIDDEN, "Photoshop thumbnail", f"{len(value)} bytes", where)] + found
    if identifier in (0x0422, 0x0423):
        return reader.findings(value, "EXIF in the Photoshop resources")
    if identifier == 0x0424:
        return xmp_findings(value, "XMP in the Photoshop resources")
    return []


def _trailer_findings(trailer: bytes, reader: ExifReader) -> list[Finding]:
    """Bytes after the end: often a second picture (MPF preview, depth map, gain map) with its own EXIF."""
    if not trailer:
        return []
    where = "bytes after the end of the image"
    findings = [Finding(Category.HIDDEN, "bytes after the end of the image", f"{len(trailer)} bytes", where)]
    start = trailer.find(b"\xff\xd8\xff")
    if start >= 0:
        findings += _picture_findings(reader, trailer[start:], "EXIF of a picture after the end of the image")
    return findings
