"""MP4, MOV, M4A and 3GP: box surgery that never touches a sample.

A movie file is a run of top-level boxes: `ftyp` (brands), `moov` (the
description of every track and where its samples lie) and `mdat` (the
samples). Cleaning rebuilds `moov` and copies `mdat`:

- kept: audio (`soun`) and video (`vide`) tracks with what playback needs
  (headers with their times zeroed, edit lists, sample descriptions with the
  encoder's compressor name blanked, sample tables), handler names blanked;
- removed, each reported: `udta` (©xyz GPS, ©mak, ©mod, ©swr, ©day, GoPro and
  Samsung vendor boxes, Nero chapters), `meta` (Apple keys and iTunes items),
  `uuid` (XMP), `free`/`skip`/`wide`, and every other track: timed metadata
  (`mebx`, GoPro `gpmd`, `camm`), timecode, chapter and subtitle text, hints.
  References (`tref`) to removed tracks go with them;
- `mdat` is streamed: bytes a kept track plays are copied, every other byte
  (the samples of removed tracks, anything hidden between samples) is
  written as zero, so the kept samples keep their place in it and the chunk
  offsets (`stco`/`co64`) only move by what `moov` and the boxes before
  `mdat` lost. An `mdat` no kept track plays from is left out.

What the rebuilt `moov` must keep (sample descriptions, timing and size
tables, track and media headers with times zeroed) and the kept samples,
read through the sample tables, are the content: equal before and after.

Fragmented movies: fragments (`moof`) are kept as written, their absolute
base offsets moved with the media (fragments.py); the `mfra` index goes.

Refused, never copied through: fragments holding anything but sample
descriptions, a `moov` over 32 MiB or compressed (`cmov`), unknown boxes where playback boxes belong,
media in other files (`dref` entries that are not self-contained), samples
outside an `mdat`, sample tables that disagree, and Motion-JPEG frames that
carry EXIF (frames are content).
"""

from __future__ import annotations

import bisect
import heapq
import io
import struct
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from intake.formats.base import (
    Category,
    ContentDigest,
    Finding,
    View,
    chunk_size,
    inspect_via_stream,
    read_exactly,
    sanitize_via_stream,
    shorten,
)
from intake.errors import Refused
from intake.formats.isobmff.boxes import Box, box_bytes, child_boxes, copy_range, iter_boxes, read_payload
from intake.formats.isobmff.fragments import Fragment, Run, read_fragment, sample_size_defaults
from intake.formats.shared import insta360, sef
from intake.formats.isobmff.movie_tags import (box_name, mac_time, meta_findings, uuid_findings,
                                               user_data_findings)

NAME = "MP4/QuickTime"
MEDIA_TYPES = ("video/mp4", "video/quicktime", "audio/mp4", "video/3gpp", "video/3gpp2")

MAX_MOVIE_BYTES = 32 << 20  # a 2 GB phone video has a moov of 1 to 3 MB
MAX_CHUNKS = 4_000_000
MAX_UNORDERED_CHUNKS = 100_000
MAX_TEXT_SAMPLES = 64
MAX_TEXT_SAMPLE_BYTES = 1024
KEPT_HANDLERS = frozenset({b"vide", b"soun"})

_TOP_DROPPED = frozenset({b"free", b"skip", b"wide", b"udta", b"uuid", b"meta"})
_FRAGMENT_KEPT = frozenset({b"moof", b"styp", b"sidx"})  # sidx: only while nothing after it goes
_FRAGMENT_REFUSED = frozenset({b"ssix", b"emsg", b"prft"})
_INDEX = b"mfra"  # absolute offsets of fragments, which move: dropped, players find fragments without it
_TOP_KNOWN = frozenset({b"ftyp", b"moov", b"mdat", _INDEX}) | _FRAGMENT_KEPT | _TOP_DROPPED
_DROPPED = frozenset({b"udta", b"meta", b"uuid", b"free", b"skip", b"wide"})
_EMPTY_SPACE = frozenset({b"free", b"skip", b"wide"})
# Boxes copied as they are, by container: what players need, nothing that names anyone.
_KEPT_AS_IS = {
    b"moov": frozenset({b"iods", b"mvex"}),
    b"trak": frozenset({b"edts", b"tapt", b"load", b"txas"}),
    b"mdia": frozenset({b"elng"}),
    b"minf": frozenset({b"vmhd", b"smhd", b"hmhd", b"nmhd", b"gmhd", b"sthd"}),
    b"stbl": frozenset({b"stts", b"ctts", b"cslg", b"stss", b"stps", b"sdtp", b"sbgp", b"sgpd", b"stsc", b"stsz",
                        b"stz2", b"subs", b"padb", b"stsh"}),
}
# Boxes rebuilt, by container (see _REWRITERS), and the containers walked into.
_REWRITTEN = {
    b"trak": frozenset({b"tkhd", b"tref"}),
    b"mdia": frozenset({b"mdhd", b"hdlr"}),
    b"minf": frozenset({b"hdlr", b"dinf"}),
    b"stbl": frozenset({b"stsd", b"stco", b"co64"}),
}
_INNER = {b"trak": b"mdia", b"mdia": b"minf", b"minf": b"stbl"}
MAX_TOP_LEVEL_BOXES = 200_000  # a fragmented day-long recording has a moof and an mdat per second
_TIMED_METADATA = {b"gpmd": "GoPro GPMF", b"camm": "camera motion", b"mebx": "Apple timed metadata"}
_GPS_CAPABLE = frozenset({b"gpmd", b"camm"})  # their samples carry GPS whenever the camera had a fix
_GENERIC_HANDLER_NAMES = frozenset({
    "", "VideoHandler", "SoundHandler", "DataHandler", "Core Media Video", "Core Media Audio",
    "Core Media Data Handler", "Apple Video Media Handler", "Apple Sound Media Handler",
    "Apple Alias Data Handler", "Alias Data Handler",
})
_GENERIC_COMPRESSOR_NAMES = frozenset({"", "HEVC", "H.264", "AVC Coding", "HEVC Coding", "JPEG", "Photo - JPEG"})
_MOTION_JPEG = frozenset({b"jpeg", b"mjpa", b"mjpb", b"AVDJ", b"dmb1", b"MJPG"})
_FRAME_METADATA = (b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/")
MAX_FRAME_HEAD = 1 << 16
_COMPRESSOR_NAME = slice(42, 74)  # in a visual sample entry's body: 32 bytes, a Pascal string
# In a QuickTime video or sound sample entry's body: the vendor of the encoder ('FFMP', 'appl'), which
# exiftool shows as VendorID "FFmpeg", "Apple"; ISO files keep zeros there (pre_defined, reserved).
_VENDOR = slice(12, 16)


# --- the model --------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Chunk:
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True)
class Track:
    track_id: int
    handler: bytes
    entry_type: bytes
    sample_count: int
    offsets: array  # of each chunk, in the file
    lengths: array  # of each chunk: the sizes of its samples added up
    first_samples: tuple[Chunk, ...]  # where the first few samples lie: enough to read chapter titles
    tables: tuple[bytes, ...]  # what playback reads besides the samples; part of the content
    references: tuple[int, ...]  # track IDs its `tref` names
    names_location: bool  # its sample description mentions a location (Apple's mebx keys)

    @property
    def kept(self) -> bool:
        return self.handler in KEPT_HANDLERS

    def chunks(self) -> Iterator[Chunk]:
        return (Chunk(offset, length) for offset, length in zip(self.offsets, self.lengths))

    def chunks_in_order(self) -> Iterator[Chunk]:
        """Muxers write a track's chunks in file order; any other order is sorted, if it is small."""
        if all(a <= b for a, b in zip(self.offsets, self.offsets[1:])):
            return self.chunks()
        if len(self.offsets) > MAX_UNORDERED_CHUNKS:
            raise Refused("a track's chunks are out of file order, and too many to sort; refused")
        return iter(sorted(self.chunks()))


@dataclass(frozen=True)
class Movie:
    top: tuple[Box, ...]
    movie: bytes  # the payload of `moov`
    tracks: tuple[Track, ...]
    fragments: tuple[Fragment, ...]
    trailer: tuple[int, int] | None = None  # (start, end) of a Samsung SEF block after the last box: dropped
    camera_trailer: tuple[int, int] | None = None  # (start, end) of an Insta360 trailer ending the file: dropped

    @property
    def kept_ids(self) -> frozenset[int]:
        return frozenset(track.track_id for track in self.tracks if track.kept)

    def played(self) -> Iterator[Chunk]:
        """The byte ranges kept tracks play, merged where they touch, in file order."""
        current: Chunk | None = None
        for chunk in heapq.merge(*(t.chunks_in_order() for t in self.tracks if t.kept)):
            if not chunk.length:
                continue
            if current is not None and chunk.offset <= current.end:
                current = Chunk(current.offset, max(current.end, chunk.end) - current.offset)
                continue
            if current is not None:
                yield current
            current = chunk
        if current is not None:
            yield current

    def media(self) -> list[Box]:
        return [box for box in self.top if box.type == b"mdat"]

    def media_boxes(self) -> list[Box]:
        """The `mdat` boxes holding at least one kept sample: the others are left out."""
        return [box for box, runs in _media_runs(self) if any(played for _, _, played in runs)]


class _Holders:
    """Which `mdat` holds a byte range: top-level boxes follow each other, so a bisection finds it."""

    def __init__(self, media: list[Box]) -> None:
        self.media = media
        self.starts = [box.payload_start for box in media]

    def of(self, chunk: Chunk) -> Box | None:
        index = bisect.bisect_right(self.starts, chunk.offset) - 1
        if index < 0:
            return None
        box = self.media[index]
        return box if chunk.end <= box.payload_end else None


# --- reading the structure ---------------------------------------------------

def _movie(source: BinaryIO) -> Movie:
    size = source.seek(0, io.SEEK_END)
    camera_start = insta360.trailer_start(source, size)  # Insta360 cameras append theirs last
    camera_trailer = (camera_start, size) if camera_start is not None else None
    size = camera_start if camera_start is not None else size
    trailer_start = sef.block_start(source, size)  # Samsung phones append one after the movie's boxes
    if trailer_start is not None:
        trailer_start = _with_sefd_header(source, trailer_start, size)
    trailer = (trailer_start, size) if trailer_start is not None else None
    top = tuple(_top_level_boxes(source, trailer_start if trailer_start is not None else size))
    for box in top:
        _check_top_level(source, box)
    movies = [box for box in top if box.type == b"moov"]
    if len(movies) != 1:
        raise Refused("the movie has no description box (moov) or more than one; refused")
    movie = read_payload(source, movies[0], MAX_MOVIE_BYTES)
    children = child_boxes(movie)
    if any(box.type == b"cmov" for box, _ in children):
        raise Refused("compressed movies (cmov) are not cleaned; refused")
    if [box.type for box, _ in children].count(b"mvhd") != 1:
        raise Refused("the movie needs exactly one movie header (mvhd); refused")
    tracks = tuple(_track(payload) for box, payload in children if box.type == b"trak")
    extends = _find(children, b"mvex")
    fragments = _fragments(source, top, sample_size_defaults(extends) if extends is not None else None)
    result = Movie(top, movie, _with_fragment_runs(tracks, fragments), fragments, trailer, camera_trailer)
    _check_samples(result)
    _check_frames(source, result)
    return result


def _with_sefd_header(source: BinaryIO, start: int, end: int) -> int:
    """Where the SEF block starting at `start` really starts: a Galaxy phone's slow-motion video wraps
    it in a top-level 'sefd' box whose header comes right before its first record and which ends the
    file exactly; then the header goes with the block. Any other bytes before it stay a box to read."""
    if start < 8:
        return start
    source.seek(start - 8)
    header = source.read(8)
    wrapped = header[4:] == b"sefd" and struct.unpack(">I", header[:4])[0] == end - start + 8
    return start - 8 if wrapped else start


def _fragments(source: BinaryIO, top: tuple[Box, ...], defaults: dict[int, int] | None) -> tuple[Fragment, ...]:
    moofs = [box for box in top if box.type == b"moof"]
    if moofs and defaults is None:
        raise Refused("the movie has fragments but no movie-extends box (mvex); refused")
    _check_index_position(top)
    if sum(box.size for box in moofs) > MAX_MOVIE_BYTES:
        raise Refused(f"the movie's fragment headers (moof) hold more than {MAX_MOVIE_BYTES >> 20} MiB; refused")
    return tuple(read_fragment(box, _whole(source, box), defaults or {}) for box in moofs)


def _whole(source: BinaryIO, box: Box) -> bytes:
    source.seek(box.start)
    return source.read(box.payload_start - box.start) + read_payload(source, box, MAX_MOVIE_BYTES)


def _check_index_position(top: tuple[Box, ...]) -> None:
    """A segment index (sidx) counts the bytes after it: nothing after it may go but a final mfra."""
    indexes = [i for i, box in enumerate(top) if box.type == b"sidx"]
    if not indexes:
        return
    after = [box.type for box in top[indexes[0]:]]
    if after[-1] == _INDEX:
        after.pop()
    if any(kind not in (b"moof", b"mdat", b"sidx", b"styp") for kind in after):
        raise Refused("boxes to remove lie inside the range a segment index (sidx) counts; refused")


def _with_fragment_runs(tracks: tuple[Track, ...], fragments: tuple[Fragment, ...]) -> tuple[Track, ...]:
    """Each track's chunks, then the runs its fragments describe, in file order."""
    runs: dict[int, list[Run]] = {}
    for run in (run for fragment in fragments for run in fragment.runs):
        runs.setdefault(run.track_id, []).append(run)
    by_id = {track.track_id: track for track in tracks}
    if any(ident not in by_id or not by_id[ident].kept for ident in runs):
        raise Refused("a movie fragment carries a track that is removed or missing; refused")
    return tuple(replace(track, offsets=track.offsets + array("Q", [r.offset for r in runs.get(track.track_id, [])]),
                         lengths=track.lengths + array("Q", [r.length for r in runs.get(track.track_id, [])]))
                 for track in tracks)


def _top_level_boxes(source: BinaryIO, size: int) -> Iterator[Box]:
    for count, box in enumerate(iter_boxes(source, 0, size)):
        if count == MAX_TOP_LEVEL_BOXES:
            raise Refused(f"the movie has more than {MAX_TOP_LEVEL_BOXES} top-level boxes; refused")
        yield box


def _check_top_level(source: BinaryIO, box: Box) -> None:
    if box.type in _FRAGMENT_REFUSED:
        raise Refused(f"a fragmented movie with '{box.name}' boxes (events, indexes of their own) is not "
                      "cleaned; refused")
    if box.type == b"meta" and any(b.type in (b"iloc", b"idat") for b, _ in _meta_children(source, box)):
        raise Refused("the movie stores items in a file-level meta box; refused")


def _meta_children(source: BinaryIO, box: Box) -> list[tuple[Box, bytes]]:
    payload = read_payload(source, box, MAX_MOVIE_BYTES)
    return child_boxes(payload[4:] if payload[4:8] != b"hdlr" else payload)


def _check_samples(movie: Movie) -> None:
    if not movie.kept_ids:
        raise Refused("the movie has no audio or video track to keep; refused")
    if len({track.track_id for track in movie.tracks}) != len(movie.tracks):
        raise Refused("two tracks share one track ID; refused")
    holders = _Holders(movie.media())
    for chunk in (c for t in movie.tracks if t.kept for c in t.chunks()):
        if chunk.length and holders.of(chunk) is None:
            raise Refused("a track's samples lie outside the media data (mdat); refused")


def _check_frames(source: BinaryIO, movie: Movie) -> None:
    """Motion-JPEG frames are JPEG files, and cameras put EXIF (GPS, serial numbers) in them. Frames are
    content, kept byte for byte, so such a movie cannot be cleaned: refused."""
    for track in (t for t in movie.tracks if t.kept and t.entry_type in _MOTION_JPEG):
        for sample in track.first_samples[:1]:
            source.seek(sample.offset)
            head = source.read(min(sample.length, MAX_FRAME_HEAD))
            if any(marker in head for marker in _FRAME_METADATA):
                raise Refused("its Motion-JPEG frames carry EXIF or XMP, which cannot go without changing "
                              "the frames; refused")


def _find(children: list[tuple[Box, bytes]], box_type: bytes) -> bytes | None:
    return next((payload for box, payload in children if box.type == box_type), None)


def _required(children: list[tuple[Box, bytes]], box_type: bytes, where: str) -> bytes:
    found = _find(children, box_type)
    if found is None:
        raise Refused(f"a track has no {box_name(box_type)} box in {where}; refused")
    return found


def _track(payload: bytes) -> Track:
    track = child_boxes(payload)
    header = _required(track, b"tkhd", "trak")
    media = child_boxes(_required(track, b"mdia", "trak"))
    handler = _required(media, b"hdlr", "mdia")
    if len(handler) < 24:
        raise Refused("a track's handler box is too short; refused")
    media_header = _required(media, b"mdhd", "mdia")
    stbl = _required(child_boxes(_required(media, b"minf", "mdia")), b"stbl", "minf")
    tables_box = child_boxes(stbl)
    handler_type = handler[8:12]
    descriptions = _required(tables_box, b"stsd", "stbl")
    offsets, lengths, first_samples, count = _sample_layout(tables_box)
    edits = _find(track, b"edts")
    tables = ([handler_type, _zero_times(header, "track header")[0], _zero_times(media_header, "media header")[0]]
              + ([edits] if edits is not None else [])
              + [_blank_compressor_names(descriptions, handler_type)[0]]
              + [_raw(stbl, box) for box, _ in tables_box if box.type in _KEPT_AS_IS[b"stbl"]])
    entry_type = child_boxes(descriptions[8:])[0][0].type if len(descriptions) > 16 else b""
    return Track(_track_id(header), handler_type, entry_type, count, offsets, lengths, first_samples, tuple(tables),
                 _references(_find(track, b"tref")), b"location" in descriptions.lower())


def _track_id(header: bytes) -> int:
    position = 20 if header[:1] == b"\x01" else 12
    if len(header) < position + 4:
        raise Refused("a track header is too short; refused")
    return int.from_bytes(header[position:position + 4], "big")


def _references(tref: bytes | None) -> tuple[int, ...]:
    if tref is None:
        return ()
    return tuple(ident for _, body in child_boxes(tref) for ident in _ids(body))


def _ids(body: bytes) -> list[int]:
    return [int.from_bytes(body[i:i + 4], "big") for i in range(0, len(body) - 3, 4)]


# --- sample tables -------------------------------------------------------------

def _table(payload: bytes, entry_size: int, skip: int = 8) -> list[tuple[int, ...]]:
    """A full box of [count][entries]: each entry as big-endian 32-bit numbers; bounds checked."""
    if len(payload) < skip:
        raise Refused("a sample table is too short; refused")
    count = int.from_bytes(payload[skip - 4:skip], "big")
    if skip + count * entry_size > len(payload):
        raise Refused("a sample table says it has more entries than it holds; refused")
    numbers = struct.unpack(f">{count * entry_size // 4}I", payload[skip:skip + count * entry_size])
    step = entry_size // 4
    return [numbers[i:i + step] for i in range(0, len(numbers), step)]


def _chunk_offsets(tables: list[tuple[Box, bytes]]) -> array:
    short, long = _find(tables, b"stco"), _find(tables, b"co64")
    if (short is None) == (long is None):
        raise Refused("a track needs exactly one chunk offset table (stco or co64); refused")
    return _offsets(short, 4) if short is not None else _offsets(long, 8)  # type: ignore[arg-type]


def _offsets(body: bytes, width: int) -> array:
    if len(body) < 8:
        raise Refused("a chunk offset table is too short; refused")
    count = int.from_bytes(body[4:8], "big")
    if count > MAX_CHUNKS:
        raise Refused("a track has too many chunks; refused")
    return _unpack(body[8:], width, count)


@dataclass(frozen=True)
class _SampleSizes:
    """stsz/stz2: one size for every sample (PCM audio: millions of 1-byte samples), or a table."""

    count: int
    constant: int
    table: array | None

    def total(self, first: int, count: int) -> int:
        return self.constant * count if self.table is None else sum(self.table[first:first + count])

    def some(self, first: int, count: int) -> list[int]:
        return [self.constant] * count if self.table is None else list(self.table[first:first + count])


def _sample_sizes(tables: list[tuple[Box, bytes]]) -> _SampleSizes:
    sizes = _find(tables, b"stsz")
    if sizes is not None:
        if len(sizes) < 12:
            raise Refused("a sample size table is too short; refused")
        constant, count = struct.unpack(">II", sizes[4:12])
        return _SampleSizes(count, constant, None if constant else _unpack(sizes[12:], 4, count))
    compact = _find(tables, b"stz2")
    if compact is None or len(compact) < 12:
        raise Refused("a track has no sample size table; refused")
    field_bits, count = compact[7], int.from_bytes(compact[8:12], "big")
    if field_bits not in (8, 16):
        raise Refused("4-bit compact sample sizes are not supported; refused")
    return _SampleSizes(count, 0, _unpack(compact[12:], field_bits // 8, count))


_ARRAY_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _unpack(raw: bytes, width: int, count: int) -> array:
    """`count` big-endian unsigned numbers of `width` bytes; refused if the box holds fewer."""
    if count * width > len(raw):
        raise Refused("a sample table says it has more entries than it holds; refused")
    values = array(_ARRAY_CODES[width], raw[:count * width])
    if width > 1 and sys.byteorder == "little":
        values.byteswap()
    return values


def _sample_layout(tables: list[tuple[Box, bytes]]) -> tuple[array, array, tuple[Chunk, ...], int]:
    """Where each chunk of a track lies and how long it is, from stco/co64, stsc and stsz."""
    offsets = _chunk_offsets(tables)
    sizes = _sample_sizes(tables)
    runs = _chunk_runs(_table(_required(tables, b"stsc", "stbl"), 12), len(offsets))
    if sum(chunks * samples for _, chunks, samples in runs) != sizes.count:
        raise Refused("a track's sample tables disagree on how many samples it has; refused")
    lengths, first_samples, sample = array("Q"), [], 0
    for first, chunks, samples in runs:
        for offset in offsets[first:first + chunks]:
            if len(first_samples) < MAX_TEXT_SAMPLES:
                position = offset
                for length in sizes.some(sample, min(samples, MAX_TEXT_SAMPLES - len(first_samples))):
                    first_samples.append(Chunk(position, length))
                    position += length
            lengths.append(sizes.total(sample, samples))
            sample += samples
    return array("Q", offsets), lengths, tuple(first_samples), sizes.count


def _chunk_runs(entries: list[tuple[int, ...]], chunk_count: int) -> list[tuple[int, int, int]]:
    """stsc entries ([first chunk (from 1), samples per chunk, description]) as
    (first chunk index from 0, how many chunks, samples per chunk), checked to cover every chunk once."""
    if chunk_count and (not entries or entries[0][0] != 1):
        raise Refused("a track's sample-to-chunk table does not start at the first chunk; refused")
    runs = []
    for index, (first, samples, _) in enumerate(entries):
        last = entries[index + 1][0] - 1 if index + 1 < len(entries) else chunk_count
        if last < first or last > chunk_count:
            raise Refused("a track's sample-to-chunk table names chunks the track does not have; refused")
        runs.append((first - 1, last - first + 1, samples))
    return runs


# --- rewriting moov ---------------------------------------------------------------

@dataclass
class _Rewrite:
    kept_ids: frozenset[int]
    relocate: Callable[[int], int]
    findings: list[Finding] = field(default_factory=list)
    handler: bytes = b""


def _clean_movie(movie: Movie, relocate: Callable[[int], int]) -> tuple[bytes, list[Finding]]:
    """The rebuilt `moov` box, and what was taken out of it."""
    rewrite = _Rewrite(movie.kept_ids, relocate)
    tracks = iter(movie.tracks)
    parts = []
    for box, payload in child_boxes(movie.movie):
        if box.type == b"trak":
            track = next(tracks)
            if track.kept:
                rewrite.handler = track.handler
                parts.append(_rewrite(b"trak", payload, rewrite, f"track {track.track_id}"))
        elif box.type == b"mvhd":
            parts.append(_rewritten(box.type, payload, rewrite, "movie header"))
        else:
            parts.append(_child(b"moov", box, payload, _raw(movie.movie, box), rewrite, "moov"))
    return box_bytes(b"moov", b"".join(parts)), rewrite.findings


def _rewrite(container: bytes, payload: bytes, rewrite: _Rewrite, where: str) -> bytes:
    return box_bytes(container, b"".join(_child(container, box, body, _raw(payload, box), rewrite, where)
                                         for box, body in child_boxes(payload)))


def _raw(payload: bytes, box: Box) -> bytes:
    """A child box exactly as written (its header too: a 64-bit size, a uuid's extended type)."""
    return payload[box.start:box.start + box.size]


def _child(container: bytes, box: Box, body: bytes, raw: bytes, rewrite: _Rewrite, where: str) -> bytes:
    inner = f"{where} > {box_name(box.type)}"
    if _INNER.get(container) == box.type:
        return _rewrite(box.type, body, rewrite, where)
    if box.type in _REWRITTEN.get(container, ()):
        return _rewritten(box.type, body, rewrite, where)
    if box.type in _KEPT_AS_IS.get(container, ()):
        return raw
    if box.type in _DROPPED:
        rewrite.findings += dropped_findings(box, body, inner)
        return b""
    raise Refused(f"an unknown box ({box_name(box.type)!r}) in {where} could carry anything; refused")


def dropped_findings(box: Box, body: bytes, where: str) -> list[Finding]:
    """What a removed metadata box said."""
    if box.type == b"udta":
        return user_data_findings(body, where)
    if box.type == b"meta":
        return meta_findings(body, where)
    if box.type == b"uuid":
        return uuid_findings(box.extended_type, body, where)
    hidden = len(body) - body.count(0)
    return [Finding(Category.HIDDEN, "free space", f"{hidden} bytes of data in unused space", where)] if hidden else []


def _rewritten(box_type: bytes, body: bytes, rewrite: _Rewrite, where: str) -> bytes:
    cleaned, findings = _REWRITERS[box_type](body, rewrite, where)
    rewrite.findings += findings
    return box_bytes(box_type, cleaned) if cleaned is not None else b""


def _zero_times(body: bytes, where: str) -> tuple[bytes, list[Finding]]:
    """mvhd/tkhd/mdhd: creation and modification time, 32-bit (version 0) or 64-bit (version 1)."""
    if body[:1] not in (b"\x00", b"\x01"):
        raise Refused(f"a header box in {where} has an unknown version; refused")
    width = 8 if body[:1] == b"\x01" else 4
    if len(body) < 4 + 2 * width:
        raise Refused(f"a header box in {where} is too short; refused")
    findings = []
    for name, start in (("creation time", 4), ("modification time", 4 + width)):
        seconds = int.from_bytes(body[start:start + width], "big")
        if seconds:
            findings.append(Finding(Category.TIME, name, mac_time(seconds), where))
    return body[:4] + bytes(2 * width) + body[4 + 2 * width:], findings


def _blank_handler_name(body: bytes, _: _Rewrite, where: str) -> tuple[bytes, list[Finding]]:
    """hdlr: type kept; the vendor field and the name ("GoPro AVC", "Core Media Video") emptied."""
    if len(body) < 24:
        raise Refused(f"a handler box in {where} is too short; refused")
    raw = body[24:]
    name = (raw[1:1 + raw[0]] if raw and raw[0] == len(raw) - 1 else raw).split(b"\x00")[0]
    text = name.decode("utf-8", "replace").strip()
    findings = ([] if text in _GENERIC_HANDLER_NAMES
                else [Finding(Category.SOFTWARE, "handler name", shorten(text), where)])
    return body[:12] + bytes(12) + b"\x00", findings


def _blank_compressor_names(body: bytes, handler: bytes) -> tuple[bytes, list[str], list[str]]:
    """stsd: a visual sample entry's compressor name (the encoder: "Lavc59.37.100 libx264") zeroed, and the
    encoder's vendor code of a video or sound entry; the names and the non-zero vendor codes found."""
    if len(body) < 8:
        raise Refused("a sample description box is too short; refused")
    entries, names, vendors = [], [], []
    for box, entry in child_boxes(body[8:]):
        if handler in (b"vide", b"soun") and len(entry) >= _VENDOR.stop and box.type != b"uuid":
            if entry[_VENDOR] != bytes(4):
                vendors.append(entry[_VENDOR].decode("latin-1"))
            entry = entry[:_VENDOR.start] + bytes(4) + entry[_VENDOR.stop:]
            if handler == b"vide" and len(entry) >= _COMPRESSOR_NAME.stop:
                name = entry[_COMPRESSOR_NAME]
                names.append(name[1:1 + name[0]].split(b"\x00")[0].decode("latin-1").strip())
                entry = entry[:_COMPRESSOR_NAME.start] + bytes(32) + entry[_COMPRESSOR_NAME.stop:]
            entries.append(box_bytes(box.type, entry))
        else:
            entries.append(_raw(body[8:], box))
    return body[:8] + b"".join(entries), names, vendors


def _descriptions(body: bytes, rewrite: _Rewrite, where: str) -> tuple[bytes, list[Finding]]:
    cleaned, names, vendors = _blank_compressor_names(body, rewrite.handler)
    return cleaned, ([Finding(Category.SOFTWARE, "compressor name", shorten(name), where)
                      for name in names if name not in _GENERIC_COMPRESSOR_NAMES]
                     + [Finding(Category.SOFTWARE, "encoder vendor", shorten(vendor), where) for vendor in vendors])


def _chunk_offsets_moved(body: bytes, rewrite: _Rewrite, where: str, width: int) -> tuple[bytes, list[Finding]]:
    moved = [rewrite.relocate(offset) for offset in _offsets(body, width)]
    if any(not 0 <= offset < 1 << (8 * width) for offset in moved):
        raise Refused(f"a chunk offset in {where} would not fit its table; refused")
    return body[:8] + b"".join(offset.to_bytes(width, "big") for offset in moved), []


def _kept_references(body: bytes, rewrite: _Rewrite, _: str) -> tuple[bytes | None, list[Finding]]:
    """tref: references to removed tracks (chapters, timecode, metadata) go; an empty tref goes too."""
    kept = []
    for box, ids in child_boxes(body):
        remaining = [ident for ident in _ids(ids) if ident in rewrite.kept_ids]
        if remaining:
            kept.append(box_bytes(box.type, b"".join(i.to_bytes(4, "big") for i in remaining)))
    return (b"".join(kept) or None), []


def _self_contained(body: bytes, _: _Rewrite, where: str) -> tuple[bytes, list[Finding]]:
    """dinf > dref: every entry must say "the media is in this file" (flag 1); rebuilt without any text."""
    references = _find(child_boxes(body), b"dref")
    if references is None or len(references) < 8:
        raise Refused(f"the data reference in {where} is missing; refused")
    entries, findings = [], []
    for box, entry in child_boxes(references[8:]):
        if len(entry) < 4 or not entry[3] & 1:
            raise Refused("the movie refers to media in other files; refused")
        if entry[4:].strip(b"\x00"):
            findings.append(Finding(Category.HIDDEN, "data reference", shorten(entry[4:].decode("latin-1")), where))
        entries.append(box_bytes(box.type, entry[:4]))
    return box_bytes(b"dref", references[:4] + len(entries).to_bytes(4, "big") + b"".join(entries)), findings


_REWRITERS: dict[bytes, Callable[[bytes, _Rewrite, str], tuple[bytes | None, list[Finding]]]] = {
    b"mvhd": lambda body, _, where: _zero_times(body, where),
    b"tkhd": lambda body, _, where: _zero_times(body, where),
    b"mdhd": lambda body, _, where: _zero_times(body, where),
    b"hdlr": _blank_handler_name,
    b"stsd": _descriptions,
    b"stco": lambda body, rewrite, where: _chunk_offsets_moved(body, rewrite, where, 4),
    b"co64": lambda body, rewrite, where: _chunk_offsets_moved(body, rewrite, where, 8),
    b"tref": _kept_references,
    b"dinf": _self_contained,
}


# --- the removed tracks and the unplayed bytes ---------------------------------------

def _track_findings(source: BinaryIO, movie: Movie) -> list[Finding]:
    chapters = {ident for track in movie.tracks if track.kept for ident in track.references}
    findings = []
    for track in movie.tracks:
        if not track.kept:
            findings += _removed_track(source, track, track.track_id in chapters)
    return findings


def _removed_track(source: BinaryIO, track: Track, referenced: bool) -> list[Finding]:
    where = f"track {track.track_id} ({box_name(track.handler).strip()})"
    kind = _TIMED_METADATA.get(track.entry_type)
    if kind is not None or track.handler == b"meta":
        gps = track.entry_type in _GPS_CAPABLE or track.names_location
        what = "a timed GPS track" if gps else "a timed metadata track"
        return [Finding(Category.LOCATION, "timed metadata",
                        f"{what} of {track.sample_count} samples ({kind or box_name(track.entry_type)})", where)]
    if track.handler == b"tmcd":
        return [Finding(Category.TIME, "timecode", "a timecode track (the time of day recording started)", where)]
    if track.handler in (b"text", b"sbtl", b"subt"):
        name = "chapter title" if referenced else "subtitle text"
        texts = [text for text in _text_samples(source, track) if text.strip()]
        return [Finding(Category.OTHER, name, shorten(text), where) for text in texts] or [
            Finding(Category.OTHER, name, f"a text track of {track.sample_count} samples", where)]
    return [Finding(Category.HIDDEN, "track", f"a {box_name(track.handler)!r} track of {track.sample_count} samples",
                    where)]


def _text_samples(source: BinaryIO, track: Track) -> list[str]:
    """QuickTime and 3GPP text samples: [16-bit length][text][style boxes]."""
    size = source.seek(0, io.SEEK_END)
    texts = []
    for sample in track.first_samples:
        if sample.length < 2 or sample.end > size:
            continue
        source.seek(sample.offset)
        raw = source.read(min(sample.length, MAX_TEXT_SAMPLE_BYTES))
        length = int.from_bytes(raw[:2], "big")
        texts.append(raw[2:2 + length].decode("utf-16" if raw[2:4] in (b"\xfe\xff", b"\xff\xfe") else "utf-8",
                                              "replace"))
    return texts


def _media_runs(movie: Movie) -> Iterator[tuple[Box, list[tuple[int, int, bool]]]]:
    """Each `mdat` with its payload cut into (start, end, played) runs, in one pass over the
    played ranges (both are in file order, and every played range lies inside one mdat)."""
    played = movie.played()
    pending = next(played, None)
    for box in movie.media():
        runs, position = [], box.payload_start
        while pending is not None and box.payload_start <= pending.offset and pending.end <= box.payload_end:
            if pending.offset > position:
                runs.append((position, pending.offset, False))
            runs.append((pending.offset, pending.end, True))
            position = pending.end
            pending = next(played, None)
        if position < box.payload_end:
            runs.append((position, box.payload_end, False))
        yield box, runs


def _unplayed(movie: Movie) -> Iterator[tuple[int, int]]:
    """(start, end) of every byte in an `mdat` no kept track plays; the headers are not included."""
    for _, runs in _media_runs(movie):
        yield from ((start, end) for start, end, played in runs if not played)


def _pieces(source: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    source.seek(start)
    yield from read_exactly(source, end - start)


def _top_level_findings(source: BinaryIO, movie: Movie) -> list[Finding]:
    findings = []
    for box in movie.top:
        where = f"the {box_name(box.type)} box at byte {box.start}"
        if box.type == b"ftyp" and any(_minor_version(source, box)):
            findings.append(Finding(Category.OTHER, "file type minor version",
                                    f"0x{_minor_version(source, box).hex()}", where))
        elif box.type in _EMPTY_SPACE:
            hidden = sum(len(p) - p.count(0) for p in _pieces(source, box.payload_start, box.payload_end))
            if hidden:
                findings.append(Finding(Category.HIDDEN, "free space", f"{hidden} bytes of data in unused space",
                                        where))
        elif box.type in _TOP_DROPPED:
            findings += dropped_findings(box, read_payload(source, box, MAX_MOVIE_BYTES), where)
        elif box.type not in _TOP_KNOWN:  # no kept sample lies in it (samples outside an mdat are refused)
            findings.append(Finding(Category.HIDDEN, "unknown box", f"an unknown top-level box of "
                                    f"{box.size - (box.payload_start - box.start)} bytes", where))
    if movie.trailer is not None:
        start, end = movie.trailer
        if end - start > MAX_MOVIE_BYTES:
            raise Refused(f"the Samsung SEF block after the movie holds more than {MAX_MOVIE_BYTES >> 20} MiB; refused")
        findings += sef.findings(b"".join(_pieces(source, start, end)), f"Samsung SEF data after the movie (byte {start})")
    if movie.camera_trailer is not None:
        findings.append(insta360.finding(*movie.camera_trailer))
    unplayed = sum(len(p) - p.count(0) for start, end in _unplayed(movie) for p in _pieces(source, start, end))
    if unplayed:
        findings.append(Finding(Category.HIDDEN, "unplayed media data",
                                f"{unplayed} bytes in the media data that no kept track plays", "mdat"))
    return findings


# --- the stream verbs --------------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    movie = _movie(source)
    findings = _clean_movie(movie, lambda offset: offset)[1]
    findings += _track_findings(source, movie) + _top_level_findings(source, movie)
    return list(dict.fromkeys(findings))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    """ftyp with its minor version zeroed, the rebuilt moov, each mdat with its unplayed bytes zeroed, in the
    original order."""
    movie = _movie(source)
    media = movie.media_boxes()
    movie_size = len(_clean_movie(movie, lambda offset: offset)[0])
    kept = [box for box in movie.top if box.type in (b"ftyp", b"moov", b"styp", b"sidx", b"moof") or box in media]
    fragments = {fragment.box.start: fragment for fragment in movie.fragments}
    runs = {box.start: box_runs for box, box_runs in _media_runs(movie)}
    shifts, position = {}, 0
    for box in kept:
        shifts[box.start] = position - box.start
        position += movie_size if box.type == b"moov" else box.size
    holders = _Holders(media)

    def relocate(offset: int) -> int:
        holder = holders.of(Chunk(offset, 0))
        return offset + shifts[holder.start] if holder is not None else offset  # an empty chunk may lie anywhere

    for box in kept:
        if box.type == b"moov":
            out.write(_clean_movie(movie, relocate)[0])
        elif box.type == b"moof":
            out.write(fragments[box.start].moved(relocate))
        elif box.type == b"mdat":
            _write_media(source, box, runs[box.start], out)
        elif box.type == b"ftyp":
            out.write(_file_type(source, box))
        else:
            copy_range(source, box.start, box.start + box.size, out)


def _file_type(source: BinaryIO, box: Box) -> bytes:
    """The ftyp box with its minor version zeroed: brands stay, the version (GoPro's firmware date,
    QuickTime's release) goes. Same size, so no offset moves."""
    whole = bytearray(_whole(source, box))
    at = box.payload_start - box.start + 4  # after the major brand
    whole[at:at + 4] = bytes(len(_minor_version(source, box)))
    return bytes(whole)


def _minor_version(source: BinaryIO, box: Box) -> bytes:
    return read_payload(source, box, MAX_MOVIE_BYTES)[4:8]


def _write_media(source: BinaryIO, box: Box, runs: list[tuple[int, int, bool]], out: BinaryIO) -> None:
    copy_range(source, box.start, box.payload_start, out)
    for start, end, played in runs:
        if played:
            copy_range(source, start, end, out)
        else:
            _write_zeros(out, end - start)


def _write_zeros(out: BinaryIO, count: int) -> None:
    piece = bytes(min(count, chunk_size()))
    while count > 0:
        out.write(piece[:count])
        count -= len(piece)


def _content_parts(source: BinaryIO, movie: Movie) -> Iterator[tuple[int, Iterator[bytes]]]:
    header = _zero_times(_required(child_boxes(movie.movie), b"mvhd", "moov"), "movie header")[0]
    yield len(header), iter((header,))  # timescale, duration, rate, volume, matrix
    for track in (t for t in movie.tracks if t.kept):
        for table in track.tables:
            yield len(table), iter((table,))
        for chunk in track.chunks():
            yield chunk.length, _pieces(source, chunk.offset, chunk.end)
    for fragment in movie.fragments:  # sample sizes, durations and flags of fragmented movies
        described = fragment.content()
        yield len(described), iter((described,))


def content_digest(source: BinaryIO) -> bytes:
    """The movie header (times zeroed), then each kept track: its handler, headers (times zeroed), edit list, sample descriptions and sample
    tables, then its samples chunk by chunk, read through the tables."""
    digest = ContentDigest()
    for length, pieces in _content_parts(source, _movie(source)):
        digest.begin(length)
        for piece in pieces:
            digest.update(piece)
    return digest.digest()


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """Every top-level box but the media data, and the media data's unplayed bytes, in bounded pieces."""
    movie = _movie(source)
    for box in movie.top:
        end = box.payload_start if box.type == b"mdat" else box.start + box.size
        where = f"the {box_name(box.type)} box at byte {box.start}"
        for piece in _pieces(source, box.start, end):
            yield View(where, piece)
    for start, end in _unplayed(movie):
        for piece in _pieces(source, start, end):
            yield View(f"unplayed media data at byte {start}", piece)
    if movie.trailer is not None:
        for piece in _pieces(source, *movie.trailer):
            yield View(f"the Samsung SEF block at byte {movie.trailer[0]}", piece)
    if movie.camera_trailer is not None:
        for piece in _pieces(source, *movie.camera_trailer):
            yield View(f"the Insta360 trailer at byte {movie.camera_trailer[0]}", piece)


# --- the bytes verbs ---------------------------------------------------------------

def inspect(data: bytes) -> list[Finding]:
    return inspect_via_stream(inspect_stream, data)


def sanitize(data: bytes) -> bytes:
    return sanitize_via_stream(sanitize_stream, data)


def views(data: bytes) -> list[View]:
    return [View("the movie file", data)]


def residue(data: bytes) -> list[View]:
    return list(residue_stream(io.BytesIO(data)))


def content(data: bytes) -> list[bytes]:
    source = io.BytesIO(data)
    return [b"".join(pieces) for _, pieces in _content_parts(source, _movie(source))]
