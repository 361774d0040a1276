"""Real phone and camera files judged the way issue 13 will judge them.

    .venv/bin/python bench/judge_phones.py FOLDER... [--keep-hdr] [--phones] [--details]

For every JPEG, HEIC/HEIF/AVIF, MP4/MOV/M4A/3GP, MP3, WAV, AIFF, FLAC and
Ogg/Opus file under each FOLDER (chosen by name; intake still decides by content;
with --phones only those a phone or an action camera wrote, see from_a_phone), runs
`intake sanitize --json -o TMP` once on them all, then judges each clean copy:

- leaks: tags `exiftool -a -G1 -ee` still finds that identify a person,
  device, place or time (GPS, make/model/serial, software, owner, dates,
  Apple location keys, timed GPS from embedded streams); a header time of
  zero ("not set") is not a leak;
- content: JPEG and AVIF decoded with Pillow and HEIC/HEIF with pillow-heif,
  the primary image's pixels compared (a JPEG's first image: MPF
  previews and gain maps after it are not content); video and audio by `ffmpeg -f framemd5`
  of every video and audio stream (frame sizes and MD5s of the coded
  packets' decoded frames);
- refusals: counted per format with intake's reason.

Prints a Markdown table per format, then the refusals and any leak or
mismatch per file (all files with --details). Needs exiftool and ffmpeg.
Files are only read where they are; nothing is copied into the project.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # public test files, judged one at a time: a 200 MP phone photo is decoded too

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # HEIC copies then count as "not decoded"
    pillow_heif = None

INTAKE = Path(sys.executable).with_name("intake")
EXTENSIONS = {
    "jpg": "JPEG", "jpeg": "JPEG",
    "heic": "HEIC/HEIF", "heif": "HEIC/HEIF", "hif": "HEIC/HEIF", "avif": "AVIF",
    "mp4": "MP4/MOV/3GP", "mov": "MP4/MOV/3GP", "3gp": "MP4/MOV/3GP", "m4a": "M4A", "m4v": "MP4/MOV/3GP",
    "mp3": "MP3", "wav": "WAV", "aif": "AIFF", "aiff": "AIFF", "flac": "FLAC", "ogg": "Ogg/Opus", "opus": "Ogg/Opus",
}
VIDEO_OR_AUDIO = {"MP4/MOV/3GP", "M4A", "MP3", "WAV", "AIFF", "FLAC", "Ogg/Opus"}

# exiftool groups (-G1) and tag names that tell who, where, when or with what.
IDENTIFYING_GROUPS = re.compile(r"^(XMP.*|IPTC|MakerNotes|GPS|Apple|Samsung.*|Sony|Canon|Nikon|Kodak|FLIR|"
                                r"ID3v\d.*|APE|Vorbis|RIFF|UserData|ItemList|Keys|Track\d+.*Keys|Doc\d+.*)$", re.I)
IDENTIFYING_TAGS = re.compile(
    r"(GPS|Location|Latitude|Longitude|Coordinates|Make$|Model$|Serial|Owner|Artist|Author|Creator|Copyright|"
    r"Software|Encoder$|EncodedBy|HostComputer|Firmware|CameraID|LensModel|ContentIdentifier|"
    r"Date|Time$|Year$|Comment$|UserComment|Description|Title$|Album|Originator|Performer)", re.I)
# Structure exiftool reads from the bytes intake keeps (codec headers, frame headers, box layouts).
STRUCTURAL_GROUPS = re.compile(r"^(MPEG|QuickTime|Track\d+|Video|Audio|HEVC|AV1|Opus|FLAC|AIFF)$", re.I)
# What exiftool says about the file on disk (its own dates, size, type), not about what it holds.
OUTSIDE_GROUPS = re.compile(r"^(ExifTool|System|File|Composite)$")
NOT_SET = ("0000:00:00 00:00:00", "1904:01:01 00:00:00", "0000:00:00 00:00:00Z")
# A kept standard colour profile names its colour space ("Display P3"), not a device; its header
# and copyright are where a maker or a date would show.
ICC_GROUPS = re.compile(r"^ICC.*", re.I)
ICC_IDENTIFYING = frozenset({"ProfileCopyright", "ProfileDateTime", "DeviceManufacturer", "DeviceModel",
                             "ProfileCreator", "PrimaryPlatform", "CMMFlags", "ProfileCMMType", "ProfileID"})
# Apple's gain-map parameters, kept by --keep-hdr: two numbers that say how bright the HDR rendering gets.
GAIN_MAP_TAGS = frozenset({"XMP-HDRGainMap:HDRGainMapVersion", "XMP-HDRGainMap:HDRGainMapHeadroom"})
# Tags that name a structure, never a person: kept codec fields and frame flags.
STRUCTURAL_TAGS = frozenset({"CopyrightFlag", "MediaTimeScale", "TimeScale", "HandlerType", "HandlerDescription",
                             "CompressorName", "VendorID", "Encoder"})
# The kept stream headers of WAV (`fmt `) and Vorbis (identification header), which exiftool files under
# the same groups as their tags: how the samples are coded, never who made them.
STREAM_HEADER_TAGS = {
    "RIFF": frozenset({"Encoding", "NumChannels", "SampleRate", "AvgBytesPerSec", "BitsPerSample"}),
    "Vorbis": frozenset({"VorbisVersion", "AudioChannels", "SampleRate", "NominalBitrate", "MaxBitrate",
                         "MinBitrate"}),
}


@dataclass
class Verdict:
    path: Path
    kind: str
    status: str = "missing"
    reason: str = ""
    leaks: dict[str, object] = field(default_factory=dict)
    leaks_before: int = 0
    content: str = ""  # "same", "differs: ...", "not compared: ..."
    kept: list[str] = field(default_factory=list)  # what a keep mode kept (--keep-hdr: gain maps), as intake says


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in EXTENSIONS)


def exif_tags(paths: list[Path], batch: int = 100) -> dict[Path, dict[str, object]]:
    """Each file's tags, exiftool reading up to `batch` files a run (one run a file took most of the time)."""
    tags: dict[Path, dict[str, object]] = {path: {} for path in paths}
    by_name = {str(path): path for path in paths}
    for start in range(0, len(paths), batch):
        result = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee", "-n", "--FileName",
                                 *map(str, paths[start:start + batch])], capture_output=True, text=True, timeout=1800)
        try:
            for entry in json.loads(result.stdout or "[]"):
                tags[by_name[entry.pop("SourceFile")]] = entry
        except (json.JSONDecodeError, KeyError):
            pass  # a file exiftool could not read keeps no tags
    return tags


def identifying(tags: dict[str, object]) -> dict[str, object]:
    found = {}
    for key, value in tags.items():
        group, _, name = key.partition(":")
        name = name.rpartition(":")[2]
        if key in GAIN_MAP_TAGS or OUTSIDE_GROUPS.match(group) or (ICC_GROUPS.match(group) and name not in ICC_IDENTIFYING):
            continue
        if str(value).strip() in NOT_SET or str(value).strip() in ("", "0") or (
                name in STRUCTURAL_TAGS and STRUCTURAL_GROUPS.match(group)) or name in STREAM_HEADER_TAGS.get(group, ()):
            continue
        if IDENTIFYING_TAGS.search(name) or (IDENTIFYING_GROUPS.match(group) and not STRUCTURAL_GROUPS.match(group)):
            found[key] = value
    return found


def framemd5(path: Path) -> list[str] | str:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:V?", "-map",
                             "0:a?", "-f", "framemd5", "-"], capture_output=True, text=True, timeout=600)
    if result.returncode:
        return f"ffmpeg: {result.stderr.strip().splitlines()[-1][:100] if result.stderr.strip() else 'failed'}"
    return [line for line in result.stdout.splitlines() if line.strip()]


def pixels(path: Path) -> tuple | str:
    try:
        with Image.open(path) as image:
            image.load()
            return image.size, image.mode, image.tobytes()
    except Exception as error:  # a decoder's own failure is a finding here, not a crash
        return f"{type(error).__name__}: {str(error)[:80]}"


def compare(kind: str, original: Path, clean: Path) -> str:
    read = framemd5 if kind in VIDEO_OR_AUDIO else pixels
    before, after = read(original), read(clean)
    if isinstance(before, str):
        return f"not compared: original does not decode ({before})"
    if isinstance(after, str):
        return f"differs: clean copy does not decode ({after})"
    if before == after:
        return "same"
    if kind in VIDEO_OR_AUDIO:
        lost = sum(1 for line in before if line not in set(after))
        return f"differs: {lost} of {len(before)} framemd5 lines"
    return f"differs: {before[:2]} vs {after[:2]}"


def sanitize_all(files: list[Path], out: Path, extra: list[str]) -> list[dict]:
    """One `intake sanitize` run a folder (two folders may hold files of one name, and intake refuses
    to write two inputs to one output name); the results come in input order."""
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_folder[path.parent].append(path)
    answers: dict[Path, dict] = {}
    for index, (folder, group) in enumerate(by_folder.items()):
        target = out / str(index)
        target.mkdir()
        result = subprocess.run([str(INTAKE), "sanitize", "--json", "-o", str(target), *extra, *map(str, group)],
                                capture_output=True, text=True)
        results = json.loads(result.stdout or "{}").get("files")
        if results is None or len(results) != len(group):
            raise SystemExit(f"intake sanitize failed on {folder}: {(result.stdout or result.stderr).strip()[:300]}")
        answers.update(zip(group, results))
    return [answers[path] for path in files]


# --phones: what a phone or an action camera wrote. Its maker in any Make or Model tag (EXIF, QuickTime
# keys, XMP), an Android version in the movie (Android's camera and MediaMuxer write one), or a path
# that says so (GoPro and Nokia files with no Make, Ultra HDR and motion photos, Samsung's SEF videos).
PHONE_MAKERS = re.compile(r"^(Apple|Google|samsung|HUAWEI|HTC|Motorola|Xiaomi|HMD Global|Nokia|Sony Ericsson|GoPro|"
                          r"TCT|Jolla|OnePlus|OPPO|vivo)", re.I)
PHONE_NAMES = re.compile(r"gopro|hmd_nokia|libultrahdr|ultra_?hdr|iphone|samsung|galaxy|pixel|motion|_sef_|mvhevc", re.I)
NOT_PHONE_NAMES = re.compile(r"fuzz|_poc|poc\.|crash-|uncompressed", re.I)  # fuzzing inputs and crash reproducers


def from_a_phone(path: Path, tags: dict[str, object]) -> bool:
    if NOT_PHONE_NAMES.search(path.name):
        return False
    makers = [str(value) for key, value in tags.items() if key.rpartition(":")[2] in ("Make", "Model")]
    return (any(PHONE_MAKERS.match(maker) for maker in makers) or any(key.endswith(":AndroidVersion") for key in tags)
            or bool(PHONE_NAMES.search(str(path))))


def judge(folders: list[Path], extra: list[str], phones_only: bool = False) -> list[Verdict]:
    originals = exif_tags([path for folder in folders for path in files_in(folder)])
    files = [path for path, tags in originals.items() if not phones_only or from_a_phone(path, tags)]
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="judge-phones-") as work:
        results = sanitize_all(files, Path(work), extra)
        cleans = exif_tags([Path(entry["output"]) for entry in results if entry.get("status") == "cleaned"])
        for path, entry in zip(files, results):
            verdict = Verdict(path, EXTENSIONS[path.suffix.lower().lstrip(".")])
            verdict.status, verdict.reason = entry.get("status", "missing"), entry.get("reason") or ""
            verdict.kept = entry.get("kept", [])
            verdict.leaks_before = len(identifying(originals[path]))
            if verdict.status == "cleaned":
                clean = Path(entry["output"])
                verdict.leaks = identifying(cleans[clean])
                verdict.content = compare(verdict.kind, path, clean)
            verdicts.append(verdict)
    return verdicts


def report(verdicts: list[Verdict], details: bool) -> None:
    by_kind: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        by_kind[verdict.kind].append(verdict)
    print("| format | files | cleaned | refused | identifying tags before → after | content same / differs / not comparable |")
    print("|---|---|---|---|---|---|")
    for kind, group in sorted(by_kind.items()):
        cleaned = [v for v in group if v.status == "cleaned"]
        same = sum(v.content == "same" for v in cleaned)
        differs = sum(v.content.startswith("differs") for v in cleaned)
        print(f"| {kind} | {len(group)} | {len(cleaned)} | {len(group) - len(cleaned)} | "
              f"{sum(v.leaks_before for v in cleaned)} → {sum(len(v.leaks) for v in cleaned)} | "
              f"{same} / {differs} / {len(cleaned) - same - differs} |")
    kept = [v for v in verdicts if v.kept]
    if kept:
        apple = sum(any("an HDR gain map" in text for text in v.kept) for v in kept)
        tone_maps = sum(any("ISO 21496-1" in text for text in v.kept) for v in kept)
        print(f"\nKept by the keep mode: {len(kept)} files ({apple} with Apple's gain map, {tone_maps} with an "
              "ISO 21496-1 tone map and its 'altr' group)")
    reasons = Counter((v.kind, v.reason) for v in verdicts if v.status != "cleaned")
    if reasons:
        print("\nRefused:\n")
        for (kind, reason), count in sorted(reasons.items()):
            print(f"- {kind}, {count}: {reason}")
    print()
    for verdict in verdicts:
        if details or verdict.leaks or verdict.content.startswith("differs") or verdict.status != "cleaned":
            line = f"{verdict.path}: {verdict.status}"
            line += f" ({verdict.reason})" if verdict.reason else ""
            line += f"; content {verdict.content}" if verdict.content else ""
            line += f"; leaks {verdict.leaks}" if verdict.leaks else ""
            line += f"; kept {verdict.kept}" if verdict.kept else ""
            print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", metavar="FOLDER")
    parser.add_argument("--keep-hdr", action="store_true", help="pass --keep-hdr to intake sanitize")
    parser.add_argument("--phones", action="store_true", help="only files a phone or an action camera wrote")
    parser.add_argument("--details", action="store_true", help="one line for every file")
    args = parser.parse_args()
    report(judge(args.folders, ["--keep-hdr"] if args.keep_hdr else [], args.phones), args.details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
