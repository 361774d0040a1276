"""MP4/MOV/M4A/3GP cleaning: metadata boxes and non-media tracks go, every
audio and video sample stays byte for byte.

Fixtures are made here with ffmpeg (tags, a GPS location, chapters, subtitles,
a timecode track, a GoPro-style gpmd data track) and exiftool (Apple keys,
QuickTime user data, XMP). The judges are outside intake: ffmpeg's framemd5
of every decoded stream, exiftool's view of the clean copy, and the raw bytes.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from intake.clean import clean_bytes
from intake.formats import handler_for
from intake.formats.base import Category
from intake.errors import Refused
from intake.formats.isobmff import quicktime
from intake.support.sniff import sniff_bytes
from planted import assert_absent, has, sef_block

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import exiftool_judge  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg (Debian package ffmpeg) is needed")

TITLE = "PLANTED-TITLE-5e1c"
ARTIST = "PLANTED-ARTIST-93ab"
MAKE = "PLANTED-MAKE-0b7d"
ENCODER_NOTE = "PLANTED-COMMENT-44f0"
CHAPTER = "PLANTED-CHAPTER-Kherson-7a"
SUBTITLE = "PLANTED-SUBTITLE-c2d9"
GPMD = "PLANTED-GPMD-SAMPLE-GPS5-19e0"
KEYS_MAKE = "PLANTED-KEYS-MAKE-6a2f"
KEYS_MODEL = "PLANTED-KEYS-MODEL-d013"
KEYS_SOFTWARE = "PLANTED-KEYS-SOFTWARE-8c4e"
UDTA_MAKE = "PLANTED-UDTA-MAKE-71b2"
XMP_CREATOR = "PLANTED-XMP-CREATOR-e5a0"
FREE_TEXT = "PLANTED-FREE-SPACE-2f6b"
LOCATION = "+46.6354+032.6169/"
TAKEN = "2031-07-14T03:21:09Z"
VIDEO = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]


# --- fixtures ---------------------------------------------------------------

def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True, timeout=120)


def exiftool(path: Path, *assignments: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *assignments, str(path)], check=True, timeout=120)


def tagged_mp4(folder: Path, *extra: str) -> Path:
    path = folder / "tagged.mp4"
    ffmpeg(*VIDEO, *AUDIO, *ENCODE, "-metadata", f"title={TITLE}", "-metadata", f"artist={ARTIST}",
           "-metadata", f"comment={ENCODER_NOTE}", "-metadata", f"location={LOCATION}",
           "-metadata", f"creation_time={TAKEN}", *extra, path)
    return path


def busy_mov(folder: Path) -> Path:
    """Chapters, a subtitle track, a timecode track and Apple-style keys metadata."""
    chapters = folder / "chapters.txt"
    chapters.write_text(f";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle={CHAPTER}\n"
                        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=PLANTED-CHAPTER-second\n")
    subtitles = folder / "subtitles.srt"
    subtitles.write_text(f"1\n00:00:00,000 --> 00:00:00,900\n{SUBTITLE}\n")
    path = folder / "busy.mov"
    ffmpeg(*VIDEO, *AUDIO, "-i", chapters, "-i", subtitles, "-map", "0", "-map", "1", "-map", "3",
           "-map_chapters", "2", *ENCODE, "-c:s", "mov_text", "-timecode", "01:02:03:04",
           "-metadata", f"location={LOCATION}", "-metadata", f"make={MAKE}", "-metadata", f"creation_time={TAKEN}",
           "-movflags", "use_metadata_tags", path)
    return path


def gopro_like(folder: Path) -> Path:
    """A video with a GoPro-style timed metadata track (sample entry gpmd) whose sample is in mdat."""
    samples = folder / "gpmd.bin"
    samples.write_bytes(GPMD.encode())
    path = folder / "gopro.mov"
    ffmpeg("-f", "data", "-i", samples, *VIDEO, "-map", "1", "-map", "0", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:d", "copy", "-tag:d", "gpmd", path)
    return path


def apple_keys(folder: Path) -> Path:
    """An MP4 with moov first (faststart: every chunk offset moves) plus exiftool's Apple keys,
    QuickTime user data and XMP."""
    path = tagged_mp4(folder, "-movflags", "faststart")
    exiftool(path, f"-XMP-dc:Creator={XMP_CREATOR}", "-Keys:GPSCoordinates=46.6354, 32.6169",
             f"-Keys:Make={KEYS_MAKE}", f"-Keys:Model={KEYS_MODEL}", f"-Keys:Software={KEYS_SOFTWARE}",
             "-Keys:CreationDate=2031:07:14 03:21:09", f"-UserData:Make={UDTA_MAKE}")
    return path


def tagged_m4a(folder: Path) -> Path:
    path = folder / "voice.m4a"
    ffmpeg(*AUDIO, "-c:a", "aac", "-metadata", f"artist={ARTIST}", "-metadata", f"title={TITLE}", "-f", "ipod", path)
    return path


def tagged_3gp(folder: Path) -> Path:
    path = folder / "phone.3gp"
    ffmpeg(*VIDEO, *AUDIO, *ENCODE, "-metadata", f"title={TITLE}", "-metadata", f"author={ARTIST}", "-f", "3gp",
           path)
    return path


def with_free_box(path: Path) -> Path:
    """A `free` box holding text at the end of the file (ffmpeg's own empty `free` box sits before
    `mdat`, so every fixture also checks that chunk offsets follow when boxes before the media go)."""
    payload = FREE_TEXT.encode()
    out = path.with_name("free-" + path.name)
    out.write_bytes(path.read_bytes() + struct.pack(">I4s", 8 + len(payload), b"free") + payload)
    return out


def widened(path: Path) -> Path:
    """The same movie written with every wide form the format allows: a 64-bit mdat header, co64
    chunk offsets, version-1 (64-bit) mvhd/tkhd/mdhd with times after 2106. moov must come last
    (ffmpeg's default), so only the mdat header moves the samples (by 8 bytes)."""
    data = path.read_bytes()
    boxes = _top_level(data)
    assert [kind for kind, _, _ in boxes][-1] == b"moov"
    out = b""
    for kind, start, end in boxes:
        if kind == b"mdat":
            out += struct.pack(">I4sQ", 1, b"mdat", end - start + 8) + data[start + 8:end]
        elif kind == b"moov":
            out += _widened_box(kind, data[start + 8:end])
        else:
            out += data[start:end]
    widened_path = path.with_name("wide-" + path.name)
    widened_path.write_bytes(out)
    return widened_path


def _top_level(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    boxes, position, end = [], start, len(data) if end is None else end
    while position < end:
        size, kind = struct.unpack(">I4s", data[position:position + 8])
        boxes.append((kind, position, position + size))
        position += size
    return boxes


LATE = (1 << 32) + 1000  # seconds after 1904: in 2040, only a version-1 header can say it


def _widened_box(kind: bytes, payload: bytes) -> bytes:
    if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
        payload = b"".join(_widened_box(k, payload[a + 8:b]) for k, a, b in _top_level(payload))
    elif kind == b"stco":
        count = int.from_bytes(payload[4:8], "big")
        offsets = struct.unpack(f">{count}I", payload[8:8 + 4 * count])
        kind, payload = b"co64", payload[:8] + b"".join(struct.pack(">Q", o + 8) for o in offsets)
    elif kind in (b"mvhd", b"mdhd"):  # times, timescale, 32-bit duration -> 64-bit
        timescale, duration = payload[12:16], int.from_bytes(payload[16:20], "big")
        payload = b"\x01\x00\x00\x00" + struct.pack(">QQ", LATE, LATE) + timescale + struct.pack(">Q", duration) \
            + payload[20:]
    elif kind == b"tkhd":  # times, track ID, reserved, duration
        track, duration = payload[12:20], int.from_bytes(payload[20:24], "big")
        payload = b"\x01" + payload[1:4] + struct.pack(">QQ", LATE, LATE) + track + struct.pack(">Q", duration) \
            + payload[24:]
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


# --- judges -------------------------------------------------------------------

def framemd5(path: Path, *options: str) -> str:
    """ffmpeg's MD5 of every decoded (or, with -c copy, every coded) frame of every audio and video stream."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:v?",
                             "-map", "0:a?", *options, "-f", "framemd5", "-"],
                            capture_output=True, text=True, check=True, timeout=120)
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith("#"))


def header_times(data: bytes) -> list[int]:
    """Creation and modification times of mvhd, tkhd and mdhd, found the plain way (by their names)."""
    times = []
    for name in (b"mvhd", b"tkhd", b"mdhd"):
        position = data.find(name)
        while position >= 0:
            width = 8 if data[position + 4] == 1 else 4
            start = position + 8
            times += [int.from_bytes(data[start:start + width], "big"),
                      int.from_bytes(data[start + width:start + 2 * width], "big")]
            position = data.find(name, position + 4)
    return times


def cleaned(path: Path) -> Path:
    result = clean_bytes(path.read_bytes())  # the whole fail-closed pipeline of intake.clean
    out = path.with_name("clean-" + path.name)
    out.write_bytes(result.data)
    return out


def assert_clean(original: Path, planted: list[str]) -> Path:
    clean = cleaned(original)
    data = clean.read_bytes()
    assert_absent(quicktime, data, planted)
    assert quicktime.inspect(data) == []
    assert quicktime.content(data) == quicktime.content(original.read_bytes())
    assert framemd5(clean) == framemd5(original)
    assert framemd5(clean, "-c", "copy") == framemd5(original, "-c", "copy")
    assert header_times(data) and not any(header_times(data))
    if exiftool_judge.AVAILABLE:
        assert exiftool_judge.identifying(clean) == {}
    return clean


# --- tests ------------------------------------------------------------------------

def test_media_types_are_registered(tmp_path: Path) -> None:
    for fixture, media_type in ((tagged_mp4(tmp_path), "video/mp4"), (tagged_m4a(tmp_path), "audio/mp4"),
                                (tagged_3gp(tmp_path), "video/3gpp"), (gopro_like(tmp_path), "video/quicktime")):
        assert sniff_bytes(fixture.read_bytes()) == media_type
        assert handler_for(media_type) is quicktime


def test_mp4_tags_and_location(tmp_path: Path) -> None:
    original = tagged_mp4(tmp_path)
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.LOCATION, "46.63")
    assert has(findings, Category.PERSON, ARTIST)
    assert has(findings, Category.TIME, "2031-07-14 03:21:09")
    assert has(findings, Category.SOFTWARE, "Lavf")
    assert any(TITLE in f.value for f in findings)
    assert_clean(original, [TITLE, ARTIST, ENCODER_NOTE, "Lavf"])  # Lavc and x264 name themselves inside the samples


def test_mov_chapters_subtitles_timecode_and_keys(tmp_path: Path) -> None:
    original = busy_mov(tmp_path)
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.OTHER, CHAPTER)
    assert has(findings, Category.OTHER, SUBTITLE)
    assert has(findings, Category.TIME, "timecode track")
    assert has(findings, Category.DEVICE, MAKE)
    assert has(findings, Category.LOCATION, "46.635400, 32.616900")
    clean = assert_clean(original, [CHAPTER, SUBTITLE, MAKE, "01:02:03:04", "46.6354"])
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                              str(clean)], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(streams) == ["audio", "video"]


def test_timed_gps_track_and_its_samples_go(tmp_path: Path) -> None:
    original = gopro_like(tmp_path)
    assert GPMD.encode() in original.read_bytes()
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.LOCATION, "a timed GPS track of 1 samples")
    assert has(findings, Category.HIDDEN, "no kept track plays")
    assert_clean(original, [GPMD])


def test_the_encoders_vendor_code_in_a_quicktime_sample_entry_is_zeroed(tmp_path: Path) -> None:
    """ffmpeg's MOV muxer writes its vendor code 'FFMP' into video and sound sample entries (Apple's
    writes 'appl'); exiftool shows it as VendorID "FFmpeg". The samples and codec fields stay."""
    original = busy_mov(tmp_path)
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.SOFTWARE, "FFMP")
    clean = assert_clean(original, [TITLE, LOCATION])
    if shutil.which("exiftool"):
        shown = subprocess.run(["exiftool", "-a", "-G1", "-s", "-VendorID", str(clean)], capture_output=True, text=True)
        assert "VendorID" not in shown.stdout


def test_apple_timed_metadata_track(tmp_path: Path) -> None:
    """An iPhone-style mebx track (here without location keys, so not called a GPS track) goes like gpmd."""
    data = gopro_like(tmp_path).read_bytes()
    entry = data.index(b"gpmd\x00\x00\x00\x00\x00\x00\x00\x01")  # the sample entry, not the handler's tag
    original = tmp_path / "apple.mov"
    original.write_bytes(data[:entry] + b"mebx" + data[entry + 4:])
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.LOCATION, "a timed metadata track of 1 samples (Apple timed metadata)")
    assert_clean(original, [GPMD])


def test_apple_keys_user_data_and_xmp_with_moov_first(tmp_path: Path) -> None:
    original = apple_keys(tmp_path)
    findings = quicktime.inspect(original.read_bytes())
    assert has(findings, Category.DEVICE, KEYS_MAKE) and has(findings, Category.DEVICE, KEYS_MODEL)
    assert has(findings, Category.DEVICE, UDTA_MAKE)
    assert has(findings, Category.SOFTWARE, KEYS_SOFTWARE)
    assert has(findings, Category.PERSON, XMP_CREATOR)
    assert has(findings, Category.LOCATION, "46.635400, 32.616900")
    data = original.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # so every chunk offset had to be rewritten
    assert_clean(original, [KEYS_MAKE, KEYS_MODEL, KEYS_SOFTWARE, UDTA_MAKE, XMP_CREATOR, TITLE, ARTIST])


def test_free_space_goes(tmp_path: Path) -> None:
    original = with_free_box(tagged_mp4(tmp_path))
    assert has(quicktime.inspect(original.read_bytes()), Category.HIDDEN, "unused space")
    assert_clean(original, [FREE_TEXT])


def test_wide_forms_64_bit_mdat_co64_and_version_1_headers(tmp_path: Path) -> None:
    plain = tagged_mp4(tmp_path)
    original = widened(plain)
    assert framemd5(original) == framemd5(plain)  # the fixture is a valid movie
    data = original.read_bytes()
    assert b"co64" in data and b"stco" not in data
    findings = quicktime.inspect(data)
    assert has(findings, Category.TIME, "2040-")
    clean = assert_clean(original, [TITLE, ARTIST]).read_bytes()
    assert b"co64" in clean
    assert clean[clean.index(b"mdat") - 4:clean.index(b"mdat")] == b"\x00\x00\x00\x01"  # still a 64-bit header


def test_motion_jpeg_frames_with_exif_are_refused(tmp_path: Path) -> None:
    original = tmp_path / "mjpeg.mov"
    ffmpeg(*VIDEO, "-c:v", "mjpeg", "-metadata", f"title={TITLE}", original)
    assert_clean(original, [TITLE])  # frames without EXIF: cleaned like any other video
    data = original.read_bytes()
    comment = data.index(b"Lavc")  # ffmpeg's COM segment in the first frame, overwritten in place
    hostile = tmp_path / "mjpeg-exif.mov"
    hostile.write_bytes(data[:comment] + b"Exif\x00\x00" + data[comment + 6:])
    with pytest.raises(Refused, match="Motion-JPEG"):
        quicktime.sanitize(hostile.read_bytes())


@pytest.mark.parametrize("flags", ["frag_keyframe+empty_moov", "frag_keyframe+empty_moov+default_base_moof",
                                   "frag_keyframe+empty_moov+default_base_moof+global_sidx"])
def test_fragmented_movies(tmp_path: Path, flags: str) -> None:
    """Fragments kept as written; ffmpeg's absolute base offsets (tfhd) move with the media when moov shrinks."""
    original = tagged_mp4(tmp_path, "-g", "3", "-movflags", flags)
    data = original.read_bytes()
    assert data.count(b"moof") > 1 and data.index(b"moov") < data.index(b"moof")
    assert_clean(original, [TITLE, ARTIST, ENCODER_NOTE])


def test_fragments_carrying_other_boxes_or_tracks_are_refused(tmp_path: Path) -> None:
    data = tagged_mp4(tmp_path, "-g", "3", "-movflags", "frag_keyframe+empty_moov").read_bytes()
    with pytest.raises(Refused, match="udta"):
        quicktime.sanitize(_replace_first(data, b"tfdt", b"udta"))
    header = data.index(b"tfhd") + 8  # version and flags, then the track ID
    with pytest.raises(Refused, match="track that is removed or missing"):
        quicktime.sanitize(data[:header] + (99).to_bytes(4, "big") + data[header + 4:])


def test_m4a_and_3gp(tmp_path: Path) -> None:
    for original in (tagged_m4a(tmp_path), tagged_3gp(tmp_path)):
        findings = quicktime.inspect(original.read_bytes())
        assert any(TITLE in f.value for f in findings)
        assert_clean(original, [TITLE, ARTIST])


def test_streamed_in_tiny_pieces_equals_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = busy_mov(tmp_path).read_bytes()
    whole = quicktime.sanitize(data)
    digest = quicktime.content_digest(io.BytesIO(data))
    monkeypatch.setenv("INTAKE_CHUNK_BYTES", "7")
    out = io.BytesIO()
    quicktime.sanitize_stream(io.BytesIO(data), out)
    assert out.getvalue() == whole
    assert quicktime.content_digest(io.BytesIO(whole)) == digest
    pieces = list(quicktime.residue_stream(io.BytesIO(data)))
    assert pieces and max(len(view.data) for view in pieces) <= 7
    residue = b"".join(view.data for view in pieces)
    assert CHAPTER.encode() in residue and MAKE.encode() in residue


def test_memory_follows_the_moov_not_the_samples(tmp_path: Path) -> None:
    """A 48 MiB movie cleaned, checked and scanned by stream: Python never holds more than a few MiB."""
    base, big = tmp_path / "base.mp4", tmp_path / "big.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2,noise=alls=60:allf=t", *AUDIO,
           "-t", "2", *ENCODE, "-b:v", "24M", base)
    ffmpeg("-stream_loop", str(48 * (1 << 20) // base.stat().st_size), "-i", base, "-c", "copy",
           "-metadata", f"artist={ARTIST}", big)
    assert big.stat().st_size > 40 << 20
    clean = tmp_path / "clean.mp4"
    tracemalloc.start()
    try:
        with open(big, "rb") as source, open(clean, "w+b") as out:
            quicktime.sanitize_stream(source, out)
            out.flush()
            assert quicktime.inspect_stream(out) == []
            assert quicktime.content_digest(source) == quicktime.content_digest(out)
            assert sum(len(view.data) for view in quicktime.residue_stream(out)) < 1 << 20
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak >> 20} MiB"
    assert ARTIST.encode() not in clean.read_bytes()


def test_residue_leaves_out_exactly_the_kept_samples(tmp_path: Path) -> None:
    data = gopro_like(tmp_path).read_bytes()
    residue = b"".join(view.data for view in quicktime.residue(data))
    kept = sum(len(part) for part in quicktime.content(data))
    assert GPMD.encode() in residue  # the removed track's sample is not content
    assert len(residue) < len(data) and len(residue) + kept > len(data)  # content also counts its tables


# --- hostile files -------------------------------------------------------------------

def _box(box_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), box_type) + payload


def _replace_first(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return tagged_mp4(tmp_path_factory.mktemp("hostile")).read_bytes()


def _stco_pointing_outside(data: bytes) -> bytes:
    position = data.index(b"stco") + 12
    return data[:position] + (len(data) + 1000).to_bytes(4, "big") + data[position + 4:]


def _loop(data: bytes) -> bytes:
    position = data.index(b"mvhd") - 4
    return data[:position] + (4).to_bytes(4, "big") + data[position + 4:]  # a box smaller than its header


def _huge_64_bit(data: bytes) -> bytes:
    position = data.index(b"free") - 4
    return data[:position] + struct.pack(">I4sQ", 1, b"free", 1 << 62) + data[position + 16:]


HOSTILE = {
    "size past the end": lambda d: d[:-100],
    "64-bit size past the end": _huge_64_bit,
    "a box smaller than its header": _loop,
    "chunk offset outside the file": _stco_pointing_outside,
    "fragmented": lambda d: d + _box(b"moof", _box(b"mfhd", bytes(8))),
    "second moov": lambda d: d + _box(b"moov", b""),
    "media in another file": lambda d: _replace_first(d, b"url \x00\x00\x00\x01", b"url \x00\x00\x00\x00"),
    "unknown box in the sample table": lambda d: _replace_first(d, b"stss", b"xyzw"),
    "compressed movie": lambda d: _replace_first(d, b"mvhd", b"cmov"),
    "no movie header": lambda d: _replace_first(d, b"mvhd", b"free"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_boxes_are_refused(sample: bytes, name: str) -> None:
    hostile = HOSTILE[name](sample)
    with pytest.raises(Refused) as refusal:
        quicktime.sanitize(hostile)
    assert str(refusal.value) and len(str(refusal.value).splitlines()) == 1
    with pytest.raises(Refused):
        clean_bytes(hostile)


def _with_chunks_moved(data: bytes, delta: int) -> bytes:
    """Every 32-bit chunk offset in the moov raised by delta (after inserting delta bytes before mdat)."""
    moved = bytearray(data)
    position = data.index(b"moov")
    while (position := data.find(b"stco", position + 4)) >= 0:
        count = struct.unpack_from(">I", data, position + 8)[0]
        for at in range(position + 12, position + 12 + 4 * count, 4):
            struct.pack_into(">I", moved, at, struct.unpack_from(">I", data, at)[0] + delta)
    return bytes(moved)


def test_an_unknown_top_level_box_goes_and_is_reported(tmp_path: Path) -> None:
    """As some converters write ('beam', 'loop' before the moov): no sample can lie in one (samples
    outside an mdat are refused), so it is left out like free space, and the chunk offsets follow."""
    plain = tagged_mp4(tmp_path).read_bytes()
    ftyp_end = struct.unpack(">I", plain[:4])[0]
    with_unknown = tmp_path / "unknown.mp4"
    with_unknown.write_bytes(_with_chunks_moved(plain[:ftyp_end] + _box(b"beam", b"PLANTED-BEAM-2c71") + plain[ftyp_end:],
                                                len(_box(b"beam", b"PLANTED-BEAM-2c71"))))
    assert has(quicktime.inspect(with_unknown.read_bytes()), Category.HIDDEN, "an unknown top-level box of 17 bytes")
    assert_clean(with_unknown, [TITLE, ARTIST, "PLANTED-BEAM-2c71"])


def test_a_samsung_sef_block_after_the_movie_goes(tmp_path: Path) -> None:
    """Galaxy phones append SEF records (capture time, the network's country code) after the last box."""
    plain = tagged_mp4(tmp_path)
    with_sef = tmp_path / "sef.mp4"
    with_sef.write_bytes(plain.read_bytes() + sef_block([(0x0A01, "Image_UTC_Data", b"1705124333853"),
                                                         (0x0AA1, "MCC_Data", b"310")]))
    findings = quicktime.inspect(with_sef.read_bytes())
    assert has(findings, Category.TIME, "2024-01-13 05:38:53 UTC") and has(findings, Category.LOCATION, "310")
    clean = assert_clean(with_sef, [TITLE, ARTIST, "Image_UTC_Data", "1705124333853", "SEFH"])
    assert clean.read_bytes() == cleaned(plain).read_bytes()  # the block goes whole; nothing else changes


def test_a_samsung_sef_block_in_a_sefd_box_after_the_movie_goes(tmp_path: Path) -> None:
    """Galaxy slow-motion videos wrap the block in a top-level 'sefd' box that ends the file (ExoPlayer's
    sample_sef_slow_motion.mp4 was refused: the box ran past the movie once the block was cut off)."""
    plain = tagged_mp4(tmp_path)
    records = sef_block([(0x0A01, "Image_UTC_Data", b"1705124333853"), (0x0890, "SlowMotion_Data", b"88:879:2*1255:1970:4")])
    boxed = tmp_path / "slow.mp4"
    boxed.write_bytes(plain.read_bytes() + _box(b"sefd", records))
    assert has(quicktime.inspect(boxed.read_bytes()), Category.TIME, "2024-01-13 05:38:53 UTC")
    clean = assert_clean(boxed, [TITLE, ARTIST, "SlowMotion_Data", "1705124333853", "sefd"])
    assert clean.read_bytes() == cleaned(plain).read_bytes()
    padded = plain.read_bytes() + _box(b"sefd", b"\0" + records)  # a byte the block does not account for
    with pytest.raises(Refused):
        quicktime.sanitize(padded)


def insta360_trailer(records: bytes) -> bytes:
    """An Insta360 camera's trailer: its records, then its whole length (little-endian), 4 bytes, the magic."""
    return records + (len(records) + 40).to_bytes(4, "little") + bytes(4) + b"8db42d694ccc418790edff439fe026bf"


def test_an_insta360_trailer_after_the_movie_goes_and_is_named(tmp_path: Path) -> None:
    """Insta360 cameras (.insv) append their records (serial number, gyroscope, GPS) after the last box;
    a Samsung SEF block before it goes too."""
    plain = tagged_mp4(tmp_path)
    serial = "PLANTED-INSTA360-SERIAL-6b2e"
    with_trailer = tmp_path / "camera.insv"
    with_trailer.write_bytes(plain.read_bytes() + sef_block([(0x0AA1, "MCC_Data", b"310")])
                             + insta360_trailer(b"\x0a\x10" + serial.encode() + bytes(300)))
    findings = quicktime.inspect(with_trailer.read_bytes())
    assert has(findings, Category.HIDDEN, "serial number, model, firmware") and has(findings, Category.LOCATION, "310")
    clean = assert_clean(with_trailer, [TITLE, ARTIST, serial, "8db42d694ccc418790edff439fe026bf", "MCC_Data"])
    assert clean.read_bytes() == cleaned(plain).read_bytes()  # the trailer goes whole; nothing else changes


@pytest.mark.parametrize("length", [39, 1 << 31], ids=["shorter-than-its-footer", "past-the-start"])
def test_a_trailer_magic_with_an_impossible_length_is_not_taken_for_one(tmp_path: Path, length: int) -> None:
    data = tagged_mp4(tmp_path).read_bytes() + length.to_bytes(4, "little") + bytes(4) + b"8db42d694ccc418790edff439fe026bf"
    with pytest.raises(Refused):  # then it is stray bytes after the last box, as before
        quicktime.sanitize(data)


def test_the_file_type_minor_version_is_zeroed_and_the_brands_kept(tmp_path: Path) -> None:
    """GoPro writes its firmware's date there (0x20131018 in a Karma drone's video)."""
    data = bytearray(tagged_mp4(tmp_path).read_bytes())
    data[12:16] = bytes.fromhex("20131018")
    dated = tmp_path / "dated.mp4"
    dated.write_bytes(bytes(data))
    assert has(quicktime.inspect(bytes(data)), Category.OTHER, "0x20131018")
    clean = assert_clean(dated, [TITLE, ARTIST]).read_bytes()
    ftyp_end = struct.unpack(">I", data[:4])[0]
    assert clean[:12] == data[:12] and clean[12:16] == bytes(4) and clean[16:ftyp_end] == data[16:ftyp_end]
