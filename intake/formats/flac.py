"""FLAC: metadata-block surgery, the audio frames copied byte for byte.

A native FLAC file is `fLaC`, a run of metadata blocks, then the audio
frames. Kept: STREAMINFO (unchanged, MD5 of the audio included: it is a
checksum of the samples, not of anyone) and SEEKTABLE (offsets into the
unchanged frames). The VORBIS_COMMENT block is replaced by an empty one
(no vendor string, no comments) when the original had one. Removed:
PICTURE, APPLICATION, CUESHEET, PADDING, reserved block types, ID3v2 tags
in front of `fLaC`, and ID3v1/APE tags after the frames. Everything streams.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from intake.formats import audio_tags
from intake.formats.audio_tags import TagBlock
from intake.formats.base import Category, Finding, View, read_exactly
from intake.errors import Refused
from intake.formats.streamed import bytes_verbs, copy_range, digest_of_ranges

NAME = "FLAC"
MEDIA_TYPES = ("audio/flac",)

STREAMINFO, PADDING, APPLICATION, SEEKTABLE, VORBIS_COMMENT, CUESHEET, PICTURE = range(7)
_INVALID = 127
MAX_BLOCKS = 1024
_STREAMINFO_SIZE = 34
_SEEKPOINT_SIZE = 18


@dataclass(frozen=True)
class Block:
    kind: int
    offset: int  # of the body, after the 4-byte header
    size: int


@dataclass(frozen=True)
class Flac:
    tags: tuple[TagBlock, ...]  # ID3 and APE tags before fLaC and after the frames
    blocks: tuple[Block, ...]
    frames_start: int
    frames_end: int

    def block(self, kind: int) -> Block:
        return next(block for block in self.blocks if block.kind == kind)


def parse(source: BinaryIO) -> Flac:
    length = source.seek(0, io.SEEK_END)
    leading = audio_tags.leading_id3v2(source, 0, length)
    start = leading[-1].offset + leading[-1].length if leading else 0
    source.seek(start)
    if source.read(4) != b"fLaC":
        raise Refused("not a FLAC file: no fLaC marker")
    blocks, frames_start = _blocks(source, start + 4, length)
    trailing = audio_tags.trailing_tags(source, frames_start, length)
    frames_end = trailing[-1].offset if trailing else length
    source.seek(frames_start)
    sync = source.read(2)
    if frames_end - frames_start < 2 or sync[0] != 0xFF or sync[1] & 0xFE != 0xF8:
        raise Refused("the FLAC file has no audio frame right after its metadata")
    return Flac(tuple(leading + trailing), tuple(blocks), frames_start, frames_end)


def _blocks(source: BinaryIO, position: int, length: int) -> tuple[list[Block], int]:
    blocks: list[Block] = []
    last = False
    while not last:
        if len(blocks) >= MAX_BLOCKS:
            raise Refused("the FLAC file has too many metadata blocks")
        source.seek(position)
        header = source.read(4)
        if len(header) < 4:
            raise Refused("the FLAC file ends inside its metadata")
        last, kind, size = bool(header[0] & 0x80), header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if kind == _INVALID:
            raise Refused("the FLAC file has an invalid metadata block type")
        if position + 4 + size > length:
            raise Refused("a FLAC metadata block is longer than the file")
        blocks.append(Block(kind, position + 4, size))
        position += 4 + size
    _check_blocks(blocks)
    return blocks, position


def _check_blocks(blocks: list[Block]) -> None:
    if blocks[0].kind != STREAMINFO or blocks[0].size != _STREAMINFO_SIZE:
        raise Refused("the FLAC file does not start with a valid STREAMINFO block")
    kinds = [block.kind for block in blocks]
    if kinds.count(STREAMINFO) != 1 or kinds.count(SEEKTABLE) > 1 or kinds.count(VORBIS_COMMENT) > 1:
        raise Refused("the FLAC file repeats a block that may appear only once")
    if any(block.kind == SEEKTABLE and block.size % _SEEKPOINT_SIZE for block in blocks):
        raise Refused("the FLAC seek table has a malformed size")


# --- the stream verbs --------------------------------------------------------

def inspect_stream(source: BinaryIO) -> list[Finding]:
    flac = parse(source)
    findings = [f for tag in flac.tags for f in audio_tags.block_findings(source, tag)]
    for block in flac.blocks:
        findings += _block_findings(source, block)
    return list(dict.fromkeys(findings))


def sanitize_stream(source: BinaryIO, out: BinaryIO) -> None:
    """fLaC, STREAMINFO, SEEKTABLE, an empty VORBIS_COMMENT if there was one, then the frames."""
    flac = parse(source)
    kept: list[tuple[int, bytes]] = []
    for block in flac.blocks:
        if block.kind in (STREAMINFO, SEEKTABLE):
            source.seek(block.offset)
            kept.append((block.kind, source.read(block.size)))
        elif block.kind == VORBIS_COMMENT:
            kept.append((VORBIS_COMMENT, audio_tags.empty_vorbis_comment()))
    out.write(b"fLaC")
    for index, (kind, body) in enumerate(kept):
        last = 0x80 if index == len(kept) - 1 else 0
        out.write(bytes((last | kind,)) + len(body).to_bytes(3, "big") + body)
    copy_range(source, flac.frames_start, flac.frames_end - flac.frames_start, out)


def content_digest(source: BinaryIO) -> bytes:
    """STREAMINFO and the frames."""
    flac = parse(source)
    info = flac.block(STREAMINFO)
    frames = (flac.frames_start, flac.frames_end - flac.frames_start)
    return digest_of_ranges(source, [(info.offset, info.size), frames])


def residue_stream(source: BinaryIO) -> Iterator[View]:
    """Every byte but the frames: tags, the marker and every metadata block."""
    flac = parse(source)
    source.seek(0)
    for piece in read_exactly(source, flac.frames_start):
        yield View("the FLAC metadata", piece)
    source.seek(flac.frames_end)
    length = source.seek(0, io.SEEK_END) - flac.frames_end
    source.seek(flac.frames_end)
    for piece in read_exactly(source, length):
        yield View("the tags after the FLAC frames", piece)


# --- the bytes verbs -----------------------------------------------------------

inspect, sanitize, views, residue = bytes_verbs(inspect_stream, sanitize_stream, residue_stream, "the FLAC file")


def content(data: bytes) -> list[bytes]:
    flac = parse(io.BytesIO(data))
    info = flac.block(STREAMINFO)
    return [data[info.offset:info.offset + info.size], data[flac.frames_start:flac.frames_end]]


# --- findings ------------------------------------------------------------------

_NAMES = {PADDING: "padding block", APPLICATION: "application block", CUESHEET: "cue sheet",
          PICTURE: "an embedded picture"}


def _block_findings(source: BinaryIO, block: Block) -> list[Finding]:
    where = "FLAC metadata"
    if block.kind in (STREAMINFO, SEEKTABLE):
        return []
    if block.kind not in _NAMES and block.kind != VORBIS_COMMENT:
        return [Finding(Category.HIDDEN, f"unknown metadata block (type {block.kind})", f"{block.size} bytes", where)]
    if block.size > audio_tags.MAX_TAG_READ:
        return [Finding(Category.HIDDEN, _NAMES.get(block.kind, "comment block"), f"{block.size} bytes", where)]
    source.seek(block.offset)
    body = source.read(block.size)
    if block.kind == VORBIS_COMMENT:
        return audio_tags.vorbis_comment_findings(body, "FLAC Vorbis comment")
    if block.kind == PICTURE:
        return [audio_tags.flac_picture_finding(body, "FLAC picture block")]
    if block.kind == APPLICATION:
        return [Finding(Category.HIDDEN, "application block", f"{body[:4]!r}, {block.size} bytes", where)]
    category = Category.OTHER if block.kind in (PADDING, CUESHEET) else Category.HIDDEN
    return [Finding(category, _NAMES[block.kind], f"{block.size} bytes", where)]
