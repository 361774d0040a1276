"""Audio cleaning (MP3, WAV, FLAC, Ogg Vorbis, Ogg Opus): tags removed, audio frames byte-identical.

Fixtures: ffmpeg synthesises a tone in each format with `-metadata` tags,
mutagen plants more (ID3v2, ID3v1, APE, Vorbis comments, pictures), and the
rest (BWF bext, iXML, XMP, cue labels, Lyrics3) is built here by hand. Every
clean copy is judged from outside: no planted value in any byte, exiftool
finds no identifying tag, mutagen reads no tag, ffmpeg's packet checksums
(`-c copy -f framemd5`) and decoded audio (`-f md5`) are unchanged.
"""

from __future__ import annotations

import base64
import io
import shutil
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path
from types import ModuleType

import mutagen
import pytest
from mutagen.apev2 import APEv2
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TDRC, TPE1, TSSE, TXXX
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from PIL import Image

from intake.clean import clean_bytes, inspect_bytes
from intake.formats import aiff, flac, mp3, ogg, raw, wav
from intake.formats.base import Category
from intake.errors import Refused
from intake.support.sniff import sniff_bytes, sniff_handle
from planted import assert_absent, has

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import exiftool_judge  # noqa: E402

FFMPEG = shutil.which("ffmpeg")
pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed (./dev test installs it)")

ARTIST = "PLANTED-ARTIST-6c1d"
COMMENT = "PLANTED-COMMENT-a8e2"
RECORDER = "PLANTED-RECORDER-77f0"
ALBUM_ARTIST = "PLANTED-APE-ARTIST-0b3c"
LYRICS = "PLANTED-LYRICS-4f19"
PICTURE_TEXT = "PLANTED-PICTURE-DESC-9d2a"
ORIGINATOR = "PLANTED-ORIGINATOR"
ORIGINATOR_REF = "PLANTED-ORIGREF-31"
CODING_HISTORY = "A=PCM,F=48000,T=PLANTED-HISTORY-5e6b"
IXML_NOTE = "PLANTED-IXML-NOTE-c3a4"
XMP_CREATOR = "PLANTED-XMP-CREATOR-12ab"
CUE_LABEL = "PLANTED-CUE-LABEL-e0f5"
UNKNOWN_CHUNK = "PLANTED-UNKNOWN-CHUNK-8a8a"
CAMERA_MODEL = "PLANTED-CAMERA-MODEL-41d0"
APPLICATION = "PLANTED-APPLICATION-77aa"
DATE = "2031-07-14"
PLANTED = [ARTIST, COMMENT, RECORDER, DATE]


# --- fixtures ------------------------------------------------------------------

def tone(tmp_path: Path, name: str, *arguments: str, seconds: float = 1.0) -> Path:
    """A 440 Hz tone written by ffmpeg with planted tags; `name`'s extension picks the format."""
    path = tmp_path / name
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-metadata", f"artist={ARTIST}", "-metadata", f"comment={COMMENT}",
                    "-metadata", f"date={DATE}", *arguments, str(path)], check=True, timeout=120)
    return path


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def id3_tag(**frames: object) -> bytes:
    """An ID3v2.4 tag alone, written by mutagen into an empty file."""
    tags = ID3()
    tags.add(TPE1(encoding=3, text=ARTIST))
    tags.add(TXXX(encoding=3, desc="Recorder", text=RECORDER))
    tags.add(COMM(encoding=1, lang="eng", desc="", text=COMMENT))  # UTF-16
    tags.add(TDRC(encoding=3, text=DATE))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc=PICTURE_TEXT, data=png_bytes()))
    out = io.BytesIO()
    tags.save(out, padding=lambda info: 64, **frames)
    return out.getvalue()


def dirty_mp3(tmp_path: Path) -> bytes:
    path = tone(tmp_path, "tone.mp3", "-id3v2_version", "3")
    ape = APEv2()
    ape["Album Artist"] = ALBUM_ARTIST
    ape.save(path)
    tags = ID3(path)
    tags.add(TXXX(encoding=3, desc="Recorder", text=RECORDER))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc=PICTURE_TEXT, data=png_bytes()))
    tags.add(TSSE(encoding=3, text="PLANTED-ENCODER-SETTINGS"))
    tags.save(v1=2, v2_version=3)  # ID3v2.3 in front, ID3v1 at the end after the APE tag
    data = path.read_bytes()
    lyrics = b"LYRICSBEGIN" + b"IND00003110" + b"LYR" + f"{len(LYRICS):05d}".encode() + LYRICS.encode()
    lyrics3 = lyrics + f"{len(lyrics):06d}".encode() + b"LYRICS200"
    v1 = data[-128:]
    return data[:-128] + lyrics3 + v1  # Lyrics3 sits just before ID3v1


def chunk(ident: bytes, body: bytes) -> bytes:
    return ident + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def bext(originator: str, reference: str, history: str) -> bytes:
    body = bytearray(602)
    body[0:256] = COMMENT.encode().ljust(256, b"\0")
    body[256:288] = originator.encode().ljust(32, b"\0")
    body[288:320] = reference.encode().ljust(32, b"\0")
    body[320:338] = b"2031-07-1403:21:09"
    body[348:412] = bytes(range(64))  # a UMID
    return bytes(body) + history.encode() + b"\r\n"


IXML = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><BWFXML><IXML_VERSION>1.5</IXML_VERSION>"
        f"<PROJECT>crate</PROJECT><NOTE>{IXML_NOTE}</NOTE><LOCATION><LOCATION_GPS>46.6354, 32.6169</LOCATION_GPS>"
        f"</LOCATION><SPEED><MASTER_SPEED>48000</MASTER_SPEED></SPEED></BWFXML>").encode()
XMP = (f"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
       f"<rdf:Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:creator>{XMP_CREATOR}</dc:creator>"
       f"</rdf:Description></rdf:RDF></x:xmpmeta>").encode()


def form_chunks(data: bytes, order: str = "<") -> list[tuple[bytes, bytes]]:
    """(id, body) of each chunk of a RIFF ("<") or AIFF (">") form."""
    chunks, position = [], 12
    while position + 8 <= len(data):
        ident, size = data[position:position + 4], struct.unpack(order + "I", data[position + 4:position + 8])[0]
        chunks.append((ident, data[position + 8:position + 8 + size]))
        position += 8 + size + size % 2
    return chunks


def riff(chunks: list[tuple[bytes, bytes]], form: bytes = b"RIFF") -> bytes:
    body = b"WAVE" + b"".join(chunk(ident, payload) for ident, payload in chunks)
    return form + struct.pack("<I", len(body)) + body


def dirty_wav(tmp_path: Path) -> bytes:
    """ffmpeg's WAV (LIST/INFO from -metadata) with BWF, iXML, XMP, ID3, cue labels and an unknown chunk."""
    chunks = form_chunks(tone(tmp_path, "tone.wav").read_bytes())
    cue = struct.pack("<I", 1) + struct.pack("<II4sIII", 1, 0, b"data", 0, 0, 100)
    adtl = b"adtl" + chunk(b"labl", struct.pack("<I", 1) + CUE_LABEL.encode() + b"\0")
    extra = [(b"bext", bext(ORIGINATOR, ORIGINATOR_REF, CODING_HISTORY)), (b"iXML", IXML), (b"_PMX", XMP),
             (b"id3 ", id3_tag()), (b"cue ", cue), (b"LIST", adtl), (b"PLNT", UNKNOWN_CHUNK.encode()),
             (b"LIST", b"exif" + chunk(b"emdl", CAMERA_MODEL.encode() + b"\0"))]
    return riff(chunks[:1] + extra[:2] + chunks[1:] + extra[2:]) + b"PLANTED-TRAILER-2c9e"


def dirty_flac(tmp_path: Path) -> bytes:
    path = tone(tmp_path, "tone.flac")
    tags = FLAC(path)
    tags["RECORDER"] = RECORDER
    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = 3, "image/png", PICTURE_TEXT, png_bytes()
    tags.add_picture(picture)
    tags.save()
    data = path.read_bytes()
    application = bytes((2,)) + (4 + len(APPLICATION)).to_bytes(3, "big") + b"PLNT" + APPLICATION.encode()
    with_application = data[:4 + 38] + application + data[4 + 38:]  # right after STREAMINFO (not the last block)
    return id3_tag() + with_application


def _ape_footer_tag() -> bytes:
    item = struct.pack("<II", len(ALBUM_ARTIST), 0) + b"Artist\0" + ALBUM_ARTIST.encode()
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, len(item) + 32, 1, 0) + bytes(8)
    return item + footer


def dirty_ogg(tmp_path: Path, name: str, codec: str, long_note: int = 0) -> bytes:
    path = tone(tmp_path, name, "-c:a", codec, seconds=2)
    tags = (OggOpus if name.endswith(".opus") else OggVorbis)(path)
    tags["RECORDER"] = [RECORDER]
    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = 3, "image/png", PICTURE_TEXT, png_bytes()
    tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode()]
    if long_note:  # spans several header pages
        tags["NOTES"] = ["PLANTED-LONG-NOTE " * long_note]
    tags.save()
    return path.read_bytes()


# --- outside judges --------------------------------------------------------------

def ffmpeg(path: Path, *arguments: str) -> str:
    result = subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(path), "-map", "0:a", *arguments, "-"],
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


def packets(path: Path) -> list[tuple[str, str]]:
    """(size, checksum) of every audio packet, copied without decoding (time stamps left out)."""
    lines = [line.split(",") for line in ffmpeg(path, "-c", "copy", "-f", "framemd5").splitlines()
             if line and not line.startswith("#")]
    return [(fields[4].strip(), fields[5].strip()) for fields in lines]


def decoded(path: Path) -> str:
    return ffmpeg(path, "-f", "md5").strip()


def assert_clean(module: ModuleType, original: bytes, tmp_path: Path, planted: list[str], suffix: str,
                 mutagen_reads: bool = True) -> bytes:
    cleaned = clean_bytes(original)  # runs intake's own checks: inspect empty, content equal, no value left
    clean = cleaned.data
    assert module.inspect(clean) == []
    assert_absent(module, clean, planted)
    before, after = tmp_path / f"before{suffix}", tmp_path / f"after{suffix}"
    before.write_bytes(original)
    after.write_bytes(clean)
    if exiftool_judge.AVAILABLE:
        assert exiftool_judge.identifying(before), "the fixture should carry identifying tags"
        assert exiftool_judge.identifying(after) == {}
    tags = mutagen.File(after).tags if mutagen_reads else None  # mutagen does not read RF64
    assert not tags or not list(tags.keys()), f"mutagen still reads tags: {tags!r}"
    assert packets(before) == packets(after)
    assert decoded(before) == decoded(after)
    assert sniff_bytes(clean) == sniff_bytes(original)
    return clean


def assert_streams_agree(module: ModuleType, original: bytes, clean: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream verbs, with tiny pieces, agree with the bytes verbs."""
    monkeypatch.setenv("INTAKE_CHUNK_BYTES", "7")
    out = io.BytesIO()
    source = io.BytesIO(original)
    source.seek(5)  # verbs seek first
    module.sanitize_stream(source, out)
    assert out.getvalue() == clean
    assert module.content_digest(io.BytesIO(original)) == module.content_digest(io.BytesIO(clean))
    assert module.inspect_stream(io.BytesIO(original)) == module.inspect(original)
    pieces = list(module.residue_stream(io.BytesIO(original)))
    assert all(len(piece.data) <= 12 for piece in pieces)  # a piece, or a fixed header
    assert any(ARTIST.encode() in view.data for view in module.residue(original))
    assert not any(ARTIST.encode() in view.data for view in module.residue(clean))


# --- per format ------------------------------------------------------------------------

def test_mp3_tags_before_and_after_the_frames_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = dirty_mp3(tmp_path)
    findings = mp3.inspect(original)
    assert has(findings, Category.PERSON, ARTIST) and has(findings, Category.DEVICE, RECORDER)
    assert has(findings, Category.PERSON, ALBUM_ARTIST)
    assert any(f.value == ARTIST and "ID3v1" in f.where for f in findings)
    assert has(findings, Category.HIDDEN, "an embedded picture") and has(findings, Category.TIME, DATE)
    assert has(findings, Category.SOFTWARE, "PLANTED-ENCODER-SETTINGS")
    assert has(findings, Category.OTHER, LYRICS)
    clean = assert_clean(mp3, original, tmp_path, PLANTED + [ALBUM_ARTIST, LYRICS, PICTURE_TEXT], ".mp3")
    assert clean.startswith(b"\xff") and b"ID3" not in clean[:3] and b"TAG" not in clean[-128:-125]
    assert_streams_agree(mp3, original, clean, monkeypatch)


def test_mp3_keeps_its_xing_lame_frame(tmp_path: Path) -> None:
    """The LAME frame names the encoder library only; it is audio-frame-shaped and stays as it was."""
    original = dirty_mp3(tmp_path)
    clean = clean_bytes(original).data
    first = mp3.frame_header(clean[:4])
    assert first is not None and (b"Info" in clean[:first.length] or b"Xing" in clean[:first.length])
    assert clean[:first.length] in original


def test_mp3_id3v24_with_footer_and_untagged_mp3(tmp_path: Path) -> None:
    plain = tone(tmp_path, "plain.mp3", "-write_xing", "0", "-id3v2_version", "0").read_bytes()
    assert sniff_bytes(plain) == "audio/mpeg" and not plain.startswith(b"ID3")
    tag = id3_tag()
    header = tag[:5] + bytes((tag[5] | 0x10,)) + tag[6:10]
    with_footer = header + tag[10:] + b"3DI" + header[3:10]
    dirty = with_footer + bytes(300) + plain + with_footer  # zeros some taggers leave after the tag
    findings = mp3.inspect(dirty)
    assert sum(f.field == "ID3v2 tag" for f in findings) == 2 and has(findings, Category.PERSON, ARTIST)
    assert mp3.sanitize(dirty) == plain
    assert clean_bytes(dirty).data == plain


def test_wav_keeps_fmt_and_data_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = dirty_wav(tmp_path)
    findings = wav.inspect(original)
    assert has(findings, Category.PERSON, ORIGINATOR) and has(findings, Category.PERSON, ARTIST)
    assert has(findings, Category.TIME, "2031-07-14") and has(findings, Category.SOFTWARE, "PLANTED-HISTORY")
    assert has(findings, Category.DEVICE, "UMID") and has(findings, Category.LOCATION, "46.6354")
    assert has(findings, Category.PERSON, XMP_CREATOR) and has(findings, Category.DEVICE, RECORDER)
    assert has(findings, Category.OTHER, CUE_LABEL) and has(findings, Category.HIDDEN, "PLNT")
    assert has(findings, Category.HIDDEN, "bytes after the end") and has(findings, Category.DEVICE, CAMERA_MODEL)
    planted = PLANTED + [CAMERA_MODEL, ORIGINATOR, ORIGINATOR_REF, "PLANTED-HISTORY-5e6b", IXML_NOTE, XMP_CREATOR,
                         CUE_LABEL,
                         UNKNOWN_CHUNK, "PLANTED-TRAILER-2c9e", PICTURE_TEXT]
    clean = assert_clean(wav, original, tmp_path, planted, ".wav")
    assert [ident for ident, _ in form_chunks(clean)] == [b"fmt ", b"data"]
    assert_streams_agree(wav, original, clean, monkeypatch)


def test_wav_missing_only_its_last_pad_byte_is_accepted() -> None:
    odd = _wav_with(chunk(b"data", bytes(range(33))))
    assert odd.endswith(b"\0") and wav.sanitize(odd[:-1]) == odd


def test_rf64_keeps_its_ds64_rewritten(tmp_path: Path) -> None:
    path = tone(tmp_path, "tone.wav", "-rf64", "always")
    original = path.read_bytes()
    assert original.startswith(b"RF64") and sniff_bytes(original) == "audio/wav"
    clean = assert_clean(wav, original, tmp_path, [ARTIST, COMMENT], ".wav", mutagen_reads=False)
    assert clean.startswith(b"RF64") and clean[12:16] == b"ds64"
    assert struct.unpack("<Q", clean[20:28])[0] == len(clean) - 8


def test_flac_keeps_streaminfo_and_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = dirty_flac(tmp_path)
    assert sniff_bytes(original) == "audio/flac" and sniff_handle(io.BytesIO(original)) == "audio/flac"
    findings = flac.inspect(original)
    assert has(findings, Category.PERSON, ARTIST) and has(findings, Category.DEVICE, RECORDER)
    assert has(findings, Category.HIDDEN, "an embedded picture") and has(findings, Category.HIDDEN, PICTURE_TEXT)
    assert has(findings, Category.SOFTWARE, "Lavf") and has(findings, Category.HIDDEN, "application block")
    clean = assert_clean(flac, original, tmp_path, PLANTED + [PICTURE_TEXT, APPLICATION], ".flac")
    assert clean.startswith(b"fLaC") and b"Lavf" not in clean
    info_before, info_after = flac.content(original)[0], flac.content(clean)[0]
    assert info_before == info_after  # MD5 of the audio included
    without_id3 = original[original.index(b"fLaC"):]
    assert FLAC(io.BytesIO(clean)).info.md5_signature == FLAC(io.BytesIO(without_id3)).info.md5_signature
    assert_streams_agree(flac, original, clean, monkeypatch)


def test_flac_with_an_ape_tag_after_the_frames(tmp_path: Path) -> None:
    """(ffmpeg counts an appended tag as part of the last frame, so only the clean copies are compared.)"""
    original = dirty_flac(tmp_path)
    tagged = original + _ape_footer_tag()
    assert has(flac.inspect(tagged), Category.PERSON, ALBUM_ARTIST)
    assert clean_bytes(tagged).data == clean_bytes(original).data


@pytest.mark.parametrize(("name", "codec"), [("tone.ogg", "libvorbis"), ("tone.opus", "libopus")])
def test_ogg_comment_header_is_emptied_and_audio_pages_stay(name: str, codec: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    original = dirty_ogg(tmp_path, name, codec)
    findings = ogg.inspect(original)
    assert has(findings, Category.PERSON, ARTIST) and has(findings, Category.DEVICE, RECORDER)
    assert has(findings, Category.HIDDEN, "an embedded picture") and has(findings, Category.HIDDEN, PICTURE_TEXT)
    assert has(findings, Category.SOFTWARE, "Lavf")
    clean = assert_clean(ogg, original, tmp_path, PLANTED + [PICTURE_TEXT, "Lavf"], Path(name).suffix)
    parsed_before, parsed_after = ogg.parse(io.BytesIO(original)), ogg.parse(io.BytesIO(clean))
    audio_before, audio_after = original[parsed_before.audio_start:], clean[parsed_after.audio_start:]
    assert audio_before == audio_after  # same header page count: every audio page byte-identical
    assert_streams_agree(ogg, original, clean, monkeypatch)


@pytest.mark.parametrize(("name", "codec", "long_note", "same_pages"), [
    ("tone.ogg", "libvorbis", 1000, True),  # the setup packet can fill as many pages as the headers had
    ("tone.ogg", "libvorbis", 12000, False),  # it cannot: the audio pages are renumbered
    ("tone.opus", "libopus", 1000, False),  # OpusTags alone: one page
])
def test_ogg_comment_spanning_pages(name: str, codec: str, long_note: int, same_pages: bool, tmp_path: Path) -> None:
    original = dirty_ogg(tmp_path, name, codec, long_note)
    parsed = ogg.parse(io.BytesIO(original))
    assert len(parsed.header_pages) > 2
    clean = assert_clean(ogg, original, tmp_path, PLANTED + ["PLANTED-LONG-NOTE"], Path(name).suffix)
    after = ogg.parse(io.BytesIO(clean))
    pages = list(ogg._pages_from(io.BytesIO(clean), 0))
    assert [page.sequence for page in pages] == list(range(len(pages)))
    for page in pages:  # every CRC right, checked with the CRC computed bit by bit
        raw_page = clean[page.offset:page.end]
        assert _slow_ogg_crc(raw_page[:22] + bytes(4) + raw_page[26:]) == struct.unpack("<I", raw_page[22:26])[0]
    assert (len(after.header_pages) == len(parsed.header_pages)) == same_pages
    assert (original[parsed.audio_start:] == clean[after.audio_start:]) == same_pages


def _slow_ogg_crc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte << 24
        for _ in range(8):
            value = (value << 1 ^ 0x04C11DB7 if value & 0x80000000 else value << 1) & 0xFFFFFFFF
    return value


def iff(kind: bytes, chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = kind + b"".join(i + struct.pack(">I", len(b)) + b + b"\0" * (len(b) % 2) for i, b in chunks)
    return b"FORM" + struct.pack(">I", len(body)) + body


def dirty_aiff(tmp_path: Path, *arguments: str) -> bytes:
    data = tone(tmp_path, "tone.aiff", "-metadata", f"copyright={ORIGINATOR}", *arguments).read_bytes()
    comment = struct.pack(">HIHH", 1, 0x7F000000, 0, len(CUE_LABEL)) + CUE_LABEL.encode()
    extra = [(b"NAME", b"PLANTED-TITLE-a1a1"), (b"AUTH", ARTIST.encode()), (b"COMT", comment),
             (b"APPL", b"pdos" + APPLICATION.encode()), (b"ID3 ", id3_tag())]
    return iff(data[8:12], form_chunks(data, ">") + extra) + b"PLANTED-TRAILER-2c9e"


@pytest.mark.parametrize("arguments", [(), ("-c:a", "pcm_alaw")], ids=["aiff", "aifc"])
def test_aiff_keeps_comm_ssnd_and_fver(arguments: tuple[str, ...], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    original = dirty_aiff(tmp_path, *arguments)
    assert sniff_bytes(original) == "audio/aiff"
    findings = aiff.inspect(original)
    assert has(findings, Category.PERSON, ARTIST) and has(findings, Category.PERSON, ORIGINATOR)
    assert has(findings, Category.OTHER, CUE_LABEL) and has(findings, Category.HIDDEN, "application data")
    assert has(findings, Category.DEVICE, RECORDER) and has(findings, Category.HIDDEN, "bytes after the end")
    planted = [ARTIST, ORIGINATOR, CUE_LABEL, APPLICATION, RECORDER, "PLANTED-TITLE-a1a1", "PLANTED-TRAILER-2c9e"]
    clean = assert_clean(aiff, original, tmp_path, planted, ".aiff")
    expected = [b"FVER", b"COMM", b"SSND"] if arguments else [b"COMM", b"SSND"]
    assert [ident for ident, _ in form_chunks(clean, ">")] == expected
    assert_streams_agree(aiff, original, clean, monkeypatch)


# --- malformed input ---------------------------------------------------------------------

def _wav_with(extra: bytes) -> bytes:
    fmt = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16))
    body = b"WAVE" + fmt + extra
    return b"RIFF" + struct.pack("<I", len(body)) + body


_DATA = chunk(b"data", bytes(64))


@pytest.mark.parametrize(("module", "data", "reason"), [
    (wav, _wav_with(b"data" + struct.pack("<I", 1000) + bytes(64)), "longer than the file"),
    (wav, _wav_with(b"LIST" + struct.pack("<I", 0xFFFFFFF0) + bytes(8) + _DATA), "longer than the file"),
    (wav, _wav_with(_DATA)[:-10], "longer than"),
    (wav, _wav_with(_DATA)[:-2], "longer than"),
    (wav, _wav_with(b""), "exactly one"),
    (wav, _wav_with(_DATA + _DATA), "exactly one"),
    (wav, b"RF64" + b"\xff" * 4 + b"WAVE" + _DATA, "ds64"),
    (mp3, b"ID3\x04\x00\x00\x00\x00\x80\x10" + bytes(32), "synchsafe"),
    (mp3, b"ID3\x04\x00\x00\x00\x00\x7f\x7f" + bytes(32), "longer than the file"),
    (mp3, b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"PLANTED-NOT-AUDIO", "no MPEG audio frame"),
    (mp3, b"ID3\x04\x00\x00\x00\x00\x00\x00", "no audio frames"),
    (flac, b"fLaC" + bytes((0x80,)) + (34).to_bytes(3, "big") + bytes(20), "longer than the file"),
    (flac, b"fLaC" + bytes((0x80,)) + (30).to_bytes(3, "big") + bytes(30) + b"\xff\xf8", "STREAMINFO"),
    (flac, b"fLaC" + bytes((0x00,)) + (34).to_bytes(3, "big") + bytes(34), "ends inside"),
    (flac, b"fLaC" + bytes((0x80,)) + (34).to_bytes(3, "big") + bytes(34) + b"PLANTED", "no audio frame"),
    (flac, b"fLaC" + bytes((0xFF,)) + (0).to_bytes(3, "big"), "invalid"),
    (ogg, b"OggS" + bytes(40), "first page"),
    (aiff, iff(b"AIFF", [(b"COMM", bytes(18))]), "exactly one COMM and one SSND"),
    (aiff, iff(b"AIFC", [(b"COMM", bytes(18)), (b"SSND", bytes(8))]), "FVER"),
    (aiff, iff(b"AIFF", [(b"COMM", bytes(18)), (b"SSND", bytes(8))])[:-3], "longer than"),
    (aiff, iff(b"AIFF", [(b"COMM", bytes(18)), (b"NAME", b"x" * 40)])[:-20] + bytes(0), "longer than"),
])
def test_malformed_is_refused(module: ModuleType, data: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        module.sanitize(data)
    with pytest.raises(Refused):
        clean_bytes(data)
    assert inspect_bytes(data).problem or inspect_bytes(data).media_type == "application/octet-stream"


def test_mp3_with_junk_between_frames_is_refused(tmp_path: Path) -> None:
    plain = tone(tmp_path, "plain.mp3", "-id3v2_version", "0").read_bytes()
    first = mp3.frame_header(plain[:4])
    assert first is not None
    hidden = plain[:first.length] + b"PLANTED-BETWEEN-FRAMES" + plain[first.length:]
    with pytest.raises(Refused, match="not audio"):
        mp3.sanitize(hidden)


def test_ape_tag_larger_than_the_file_is_refused(tmp_path: Path) -> None:
    plain = tone(tmp_path, "plain.mp3", "-id3v2_version", "0").read_bytes()
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, 10**6, 1, 0) + bytes(8)
    with pytest.raises(Refused, match="malformed ape"):
        mp3.sanitize(plain + footer)


def test_multiplexed_ogg_is_refused(tmp_path: Path) -> None:
    first = dirty_ogg(tmp_path, "a.ogg", "libvorbis")
    second = tone(tmp_path, "b.opus", "-c:a", "libopus").read_bytes()
    with pytest.raises(Refused, match="more than one stream"):
        ogg.sanitize(first + second)  # chained


@pytest.mark.parametrize("build", ["mp3", "wav", "flac", "ogg", "aiff"])
def test_truncation_and_corruption_raise_only_refused(build: str, tmp_path: Path) -> None:
    module, data = {
        "mp3": lambda: (mp3, dirty_mp3(tmp_path)),
        "wav": lambda: (wav, dirty_wav(tmp_path)),
        "flac": lambda: (flac, dirty_flac(tmp_path)),
        "ogg": lambda: (ogg, dirty_ogg(tmp_path, "t.ogg", "libvorbis")),
        "aiff": lambda: (aiff, dirty_aiff(tmp_path)),
    }[build]()
    cuts = list(range(0, 600, 7)) + list(range(len(data) - 700, len(data), 11))
    damaged = [data[:cut] for cut in cuts] + [data[:p] + bytes([v]) + data[p + 1:] for p in cuts[:80] for v in (0, 255)]
    for candidate in damaged:
        try:
            clean = module.sanitize(candidate)
        except Refused as refusal:
            assert str(refusal) and "\n" not in str(refusal)
            continue
        assert module.inspect(clean) == []
        assert module.content(clean) == module.content(candidate)


# --- bounded memory ------------------------------------------------------------------------

class _Counting(io.RawIOBase):
    """A write-only sink that keeps only a count, so memory measures the cleaner alone."""

    def __init__(self) -> None:
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += len(data)
        return len(data)


def _big_file(kind: str, path: Path, size: int) -> None:
    """A header, then `size` bytes of sparse zeros: cheap to make, read back as audio."""
    with path.open("wb") as out:
        if kind == "wav":
            fmt = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16))
            out.write(b"RIFF" + struct.pack("<I", 4 + len(fmt) + 8 + size) + b"WAVE" + fmt
                      + b"data" + struct.pack("<I", size))
        else:
            streaminfo = struct.pack(">HH", 4096, 4096) + bytes(6) + bytes((0x0A, 0xC4, 0x40, 0xF0)) + bytes(20)
            out.write(b"fLaC" + bytes((0x00,)) + (34).to_bytes(3, "big") + streaminfo
                      + bytes((0x84,)) + (8).to_bytes(3, "big") + bytes(8) + b"\xff\xf8")
        out.truncate(out.tell() + size)


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_big_files_stream_in_bounded_memory(kind: str, tmp_path: Path) -> None:
    size = 192 << 20
    path = tmp_path / f"big.{kind}"
    _big_file(kind, path, size)
    module = wav if kind == "wav" else flac
    tracemalloc.start()
    with path.open("rb") as source:
        assert sniff_handle(source) == f"audio/{kind}"
        sink = _Counting()
        module.sanitize_stream(source, sink)
        digest = module.content_digest(source)
        residue = sum(len(view.data) for view in module.residue_stream(source))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sink.written >= size and len(digest) == 32 and residue < 100
    assert peak < 8 << 20, f"peak {peak >> 20} MiB"


# --- camera raw -----------------------------------------------------------------------------

def _tiff(entries: list[tuple[int, int, int, bytes]], extra: bytes = b"") -> bytes:
    """A little-endian TIFF header and IFD0; values that do not fit go after the directory."""
    table, data_offset, data = b"", 8 + 2 + 12 * len(entries) + 4, b""
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack("<HHII", tag, kind, count, data_offset + len(data))
            data += value + b"\0" * (len(value) % 2)
    return b"II*\0" + struct.pack("<IH", 8, len(entries)) + table + bytes(4) + data + extra


_MAKE = (271, 2, 18, b"NIKON CORPORATION\0")
_DATE = (306, 2, 20, b"2031:07:14 03:21:09\0")


@pytest.mark.parametrize(("data", "media_type"), [
    (_tiff([(256, 3, 1, b"\x08"), (50706, 1, 4, b"\x01\x04\x00\x00"), _DATE]), "image/x-adobe-dng"),
    (_tiff([_MAKE, (330, 4, 1, struct.pack("<I", 8)), _DATE]), "image/x-nikon-nef"),
    (_tiff([(271, 2, 5, b"SONY\0"), (330, 4, 1, struct.pack("<I", 8))]), "image/x-sony-arw"),
    (_tiff([(262, 3, 1, struct.pack("<H", 32803))]), "image/x-camera-raw"),
    (b"II*\0\x10\0\0\0CR\x02\0" + bytes(64), "image/x-canon-cr2"),
    (b"IIRO\x08\0\0\0" + bytes(64), "image/x-olympus-orf"),
    (b"IIU\0\x08\0\0\0" + bytes(64), "image/x-panasonic-rw2"),
    (b"FUJIFILMCCD-RAW 0201FF383501" + bytes(64), "image/x-fuji-raf"),
])
def test_camera_raw_is_recognised_and_refused(data: bytes, media_type: str) -> None:
    assert sniff_bytes(data) == media_type
    with pytest.raises(Refused, match="camera raw"):
        clean_bytes(data)
    assert inspect_bytes(data).supported


def test_camera_raw_lists_its_exif() -> None:
    data = _tiff([_MAKE, (50706, 1, 4, b"\x01\x04\x00\x00"), _DATE])
    findings = raw.inspect(data)
    assert has(findings, Category.TIME, "2031:07:14") and has(findings, Category.DEVICE, "NIKON")
    assert inspect_bytes(data).findings == findings


def test_plain_tiff_is_still_a_tiff() -> None:
    assert sniff_bytes(_tiff([(256, 3, 1, b"\x08"), _MAKE])) == "image/tiff"


# --- through the command line -------------------------------------------------------------

def test_sanitize_command_cleans_audio_and_refuses_the_malformed(tmp_path: Path) -> None:
    from conftest import cli_env

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "memo.bin").write_bytes(dirty_flac(tmp_path))  # the type comes from the bytes
    (tmp_path / "in" / "broken.wav").write_bytes(_wav_with(b"LIST" + struct.pack("<I", 0xFFFFFFF0) + bytes(8)))
    (tmp_path / "in" / "photo.nef").write_bytes(_tiff([_MAKE, (330, 4, 1, struct.pack("<I", 8)), _DATE]))
    result = subprocess.run([sys.executable, "-m", "intake", "sanitize", "in", "-o", "out"], cwd=tmp_path,
                            capture_output=True, text=True, env=cli_env(tmp_path), timeout=120)
    assert result.returncode == 1, result.stderr  # some files were refused
    assert "broken.wav: the WAV chunk 'LIST' is longer than the file" in result.stdout
    assert "photo.nef: camera raw files" in result.stdout
    clean = (tmp_path / "out" / "in" / "memo.bin").read_bytes()
    assert clean.startswith(b"fLaC") and flac.inspect(clean) == []
    assert sorted(p.name for p in (tmp_path / "out" / "in").iterdir()) == ["memo.bin"]
