"""MP3 (MPEG-1/2/2.5 audio, layers I-III): tags cut off, the frames kept byte for byte.

An MP3 file is a run of MPEG audio frames with tags around it: ID3v2 in
front (sometimes two), and after the frames any of ID3v1 (with the enhanced
TAG+ block), APE, Lyrics3 and an ID3v2 tag with a footer. Cleaning keeps the
frames only. Every byte between the tags must belong to a chain of frames
whose headers agree on version, layer and sample rate: anything else
(junk, a hidden block between frames, free-format streams) is refused.

The first frame of most encoders is a Xing/Info (or VBRI) frame: a silent,
valid audio frame whose side data holds the frame count, a seek table and,
from LAME, a 36-byte tag with the encoder's name and version ("LAME3.100")
and its settings. It is kept unchanged: players need it for the duration,
seeking and gapless playback, it is part of the frame chain whose bytes
must not change, and the encoder version names a widely shared library,
not a person, a device or a time. So it is not a finding.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from intake.formats import audio_tags
from intake.formats.audio_tags import TagBlock
from intake.formats.base import Finding, View, read_exactly
from intake.errors import Refused
from intake.formats.streamed import bytes_verbs, copy_range, digest_of_ranges

NAME = "MP3"
MEDIA_TYPES = ("audio/mpeg",)

_BITRATES = {  # kbit/s by (MPEG-1?, layer), for bitrate index 1-14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_WALK_BUFFER = 1 << 20
_MAX_ZERO_PADDING = 1 << 16
_NOT_AUDIO = "the MP3 has bytes between or around its audio frames that are not audio"


@dataclass(frozen=True)
class FrameHeader:
    version: int  # 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
    layer: int  # 1, 2 or 3
    sample_rate: int
    length: int  # of the whole frame

    @property
    def stream(self) -> tuple[int, int, int]:
        """What every frame of one stream shares."""
        return self.version, self.layer, self.sample_rate


@lru_cache(maxsize=4096)  # a stream repeats a handful of distinct headers hundreds of thousands of times
def frame_header(raw: bytes) -> FrameHeader | None:
    """The MPEG audio frame header in these 4 bytes, or None if they are not one."""
    if len(raw) < 4 or raw[0] != 0xFF or raw[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (raw[1] >> 3) & 3, (raw[1] >> 1) & 3
    bitrate_index, rate_index, padding = raw[2] >> 4, (raw[2] >> 2) & 3, (raw[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    bitrate = _BITRATES[(version == 3, layer)][bitrate_index - 1] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        length = (12 * bitrate // sample_rate + padding) * 4
    elif layer == 3 and version != 3:
        length = 72 * bitrate // sample_rate + padding
    else:
        length = 144 * bitrate // sample_rate + padding
    return FrameHeader(version, layer, sample_rate, length)


@dataclass(frozen=True)
class Mp3:
    tags: tuple[TagBlock, ...]
    frames_start: int
    frames_end: int
    frames: int


def parse(source: BinaryIO) -> Mp3:
    length = source.seek(0, io.SEEK_END)
    leading = audio_tags.leading_id3v2(source, 0, length)
    start = _after_zero_padding(source, leading[-1].offset + leading[-1].length if leading else 0)
    trailing = audio_tags.trailing_tags(source, start, length)
    end = trailing[-1].offset if trailing else length
    return Mp3(tuple(leading + trailing), start, end, _walk_frames(source, start, end))


def _after_zero_padding(source: BinaryIO, position: int) -> int:
    """Past zero bytes some taggers leave between the ID3 tag and the first frame (they hide nothing)."""
    source.seek(position)
    window = source.read(_MAX_ZERO_PADDING)
    return position + len(window) - len(window.lstrip(b"\0"))


def _walk_frames(source: BinaryIO, start: int, end: int) -> int:
    """How many frames fill [start, end) exactly (the last may be cut short); Refused otherwise."""
    position, frames, stream = start, 0, None
    buffer, buffer_start = b"", start
    while position < end:
        if position + 4 > buffer_start + len(buffer):
            source.seek(position)
            buffer, buffer_start = source.read(min(_WALK_BUFFER, end - position)), position
        header = frame_header(buffer[position - buffer_start:position - buffer_start + 4])
        if header is None or (stream is not None and header.stream != stream):
            raise Refused(_NOT_AUDIO if frames else "not an MP3 file: no MPEG audio frame where the audio starts")
        stream = header.stream
        frames += 1
        position += header.length
    if not frames:
        raise Refused("the MP3 has no audio frames, only tags")
    return frames


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    mp3 = parse(source)
    return list(dict.fromkeys(f for tag in mp3.tags for f in audio_tags.block_findings(source, tag)))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    mp3 = parse(source)
    copy_range(source, mp3.frames_start, mp3.frames_end - mp3.frames_start, out)


def content_digest(source: BinaryIO) -> bytes:
    """The frames, Xing/LAME frame included."""
    mp3 = parse(source)
    return digest_of_ranges(source, [(mp3.frames_start, mp3.frames_end - mp3.frames_start)])


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """The tags before and after the frames."""
    mp3 = parse(source)
    length = source.seek(0, io.SEEK_END)
    for where, start, stop in (("the tags before the MP3 frames", 0, mp3.frames_start),
                               ("the tags after the MP3 frames", mp3.frames_end, length)):
        source.seek(start)
        for piece in read_exactly(source, stop - start):
            yield View(where, piece)


# --- the bytes verbs -----------------------------------------------------------

inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the MP3 file")


def content(data: bytes) -> list[bytes]:
    mp3 = parse(io.BytesIO(data))
    return [data[mp3.frames_start:mp3.frames_end]]
