"""`intake sanitize` against `exiftool -all=` on a folder of 12-megapixel camera-like JPEGs.

    .venv/bin/python bench/bench_sanitize.py [--count 50] [--runs 3] [--makernotes DIR] [--before DIR]

Every photo is a noise-like 4000x3000 JPEG (camera-sized, several MB) that
exiftool then fills the way a camera and a phone do: make, model, serial
numbers, lens, owner, dates, GPS, an EXIF thumbnail, XMP and IPTC, and a
maker note. With `--makernotes DIR`, each photo gets the maker note (and
make and model) of one of the JPEGs in DIR, in turn, copied by exiftool
(`-tagsFromFile SRC -MakerNotes`): real cameras' layouts, for example
exiftool's own sample images (t/images/*.jpg of github.com/exiftool/exiftool,
read where they are, never copied into this project). Without it, each photo
gets a synthetic Canon-layout maker note of about 18,000 values (37 KB), the
size of a real Canon DSLR's.

With `--before DIR` (a checkout of another version, for example `git worktree
add /tmp/before main`), that version's `intake sanitize` runs too, with the
same interpreter (PYTHONPATH=DIR), in each round beside the others.

Both tools run as one process over the same folder and write copies into an
empty folder, side by side in one run, then `sync` (its time is counted for
both); the median wall time of each, the median CPU time (user + system of
the command and its workers, the sync left out) and their ratios are printed
as Markdown, with the load average before and after. intake is compiled to
bytecode first, as installed packages are. Needs exiftool (Debian: libimage-exiftool-perl) and Pillow.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.ExifTags import IFD

_PLACEHOLDER = b"intake-bench-maker-note"
_CANON_ARRAYS = 20  # SHORT arrays of 900 values each, as Canon's many per-shot tables
_CANON_STRINGS = {0x0006: b"Canon EOS 5D Mark IV", 0x0007: b"Firmware Version 1.3.3",
                  0x0009: b"Bench Owner", 0x0095: b"EF24-70mm f/2.8L II USM", 0x0096: b"0123456789AB"}


def canon_maker_note(at: int) -> bytes:
    """A Canon maker note (a bare IFD, offsets from the TIFF header) whose IFD starts at `at`."""
    entries: list[tuple[int, int, int, bytes]] = [(0x000C, 4, 1, struct.pack(">I", 1234567890))]
    entries += [(tag, 2, len(text) + 1, text + b"\0") for tag, text in _CANON_STRINGS.items()]
    entries += [(0x4100 + n, 3, 900, struct.pack(">900H", *range(n, n + 900))) for n in range(_CANON_ARRAYS)]
    entries.sort()
    data_at = at + 2 + 12 * len(entries) + 4
    table, values = [struct.pack(">H", len(entries))], b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table.append(struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\0"))
        else:
            table.append(struct.pack(">HHII", tag, kind, count, data_at + len(values)))
            values += value + b"\0" * (len(value) % 2)
    return b"".join(table) + b"\0\0\0\0" + values


def base_exif(image: Image.Image, synthetic_note: bool) -> bytes:
    exif = image.getexif()
    exif[0x010F], exif[0x0110] = ("Canon", "Canon EOS 5D Mark IV") if synthetic_note else ("BenchMake", "BenchModel")
    if not synthetic_note:
        return exif.tobytes()
    exif.get_ifd(IFD.Exif)[0x927C] = _PLACEHOLDER.ljust(len(canon_maker_note(0)), b"\0")
    block = exif.tobytes()
    at = block.find(_PLACEHOLDER) - 6  # offsets count from the TIFF header, after "Exif\0\0"
    note = canon_maker_note(at)
    return block[:at + 6] + note + block[at + 6 + len(note):]


def make_photos(folder: Path, count: int, makernotes: list[Path] = ()) -> None:  # type: ignore[assignment]
    """Camera-sized noise pictures, then one exiftool process writes each photo's tags."""
    if count == 0:
        return
    image = Image.effect_noise((4000, 3000), 64).convert("RGB")
    thumb = folder.parent / "thumbnail.jpg"
    image.resize((160, 120)).save(thumb, "JPEG", quality=80)
    exif = base_exif(image, synthetic_note=not makernotes)
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=90, exif=exif)
    arguments: list[str] = []
    for i in range(count):
        photo = folder / f"photo-{i:03}.jpg"
        photo.write_bytes(encoded.getvalue())
        arguments += _tags(i, thumb) + [str(photo), "-execute"]
        if makernotes:
            source = makernotes[i % len(makernotes)]
            arguments += ["-tagsFromFile", str(source), "-MakerNotes", "-Make", "-Model", str(photo), "-execute"]
    args_file = folder.parent / "exiftool.args"
    args_file.write_text("\n".join(arguments) + "\n")
    subprocess.run(["exiftool", "-@", str(args_file), "-common_args", "-q", "-q", "-overwrite_original"], check=True)


def _tags(i: int, thumb: Path) -> list[str]:
    return [f"-Artist=Photographer {i}", f"-Copyright=(c) Photographer {i}", f"-SerialNumber=SN{i:08}",
            "-LensModel=24-70mm", f"-OwnerName=Owner {i}", "-DateTimeOriginal=2026:11:23 10:11:12",
            "-OffsetTimeOriginal=+02:00", "-Software=Firmware 1.3.3", "-ImageUniqueID=0123456789abcdef",
            "-GPSLatitude=46.6431", "-GPSLatitudeRef=N", "-GPSLongitude=32.6170", "-GPSLongitudeRef=E",
            "-GPSAltitude=41", "-GPSDateStamp=2026:11:23", f"-ThumbnailImage<={thumb}",
            f"-XMP:Creator=Photographer {i}", "-XMP:City=Kherson", f"-IPTC:By-line=Photographer {i}"]


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds, the command and the `sync` after it
    cpu: float  # user + system seconds of the command and its children (its workers), without the sync


def timed(command: list[str], env: dict[str, str] | None = None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"bench: {command[0]} failed: {result.stderr.strip()[:300]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Timing(elapsed, cpu)


def _package() -> Path:
    spec = importlib.util.find_spec("intake")
    assert spec is not None and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0])


def compile_bytecode(packages: list[Path]) -> None:
    """As an installed package is (pip compiles it): each run then loads intake from its .pyc,
    even where PYTHONDONTWRITEBYTECODE keeps the interpreter from writing them itself."""
    for package in packages:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def make_heic_photos(folder: Path, count: int) -> None:
    """Camera-sized noise pictures saved as HEIC with a thumbnail, EXIF and GPS."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    base = Image.effect_noise((4000, 3000), 64).convert("RGB")
    for i in range(count):
        exif = base.getexif()
        exif[0x010F], exif[0x0110], exif[0x013B] = "BenchMake", "BenchModel", f"Photographer {i}"
        exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (46.0, 38.0, float(i)), 3: "E", 4: (32.0, 37.0, 0.84)})
        out = io.BytesIO()
        base.save(out, "HEIF", quality=90, exif=exif.tobytes(), thumbnails=[256])
        (folder / f"photo-{i:03}.heic").write_bytes(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--makernotes", type=Path, help="a folder of camera JPEGs to copy maker notes from")
    parser.add_argument("--before", type=Path, help="a checkout of another version of intake, run beside")
    parser.add_argument("--format", choices=("jpeg", "heic"), default="jpeg",
                        help="heic: HEICs with EXIF, GPS and a thumbnail (needs pillow-heif from .[test])")
    args = parser.parse_args()
    if shutil.which("exiftool") is None:
        print("bench: exiftool is missing (apt-get install libimage-exiftool-perl)", file=sys.stderr)
        return 2
    sources = sorted(args.makernotes.glob("*.jpg")) if args.makernotes else []
    if args.makernotes and not sources:
        print(f"bench: no *.jpg in {args.makernotes}", file=sys.stderr)
        return 2
    intake = str(Path(sys.executable).with_name("intake"))
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        photos = work / "photos"
        photos.mkdir()
        if args.format == "heic":
            make_heic_photos(photos, args.count)
        else:
            make_photos(photos, args.count, sources)
        size = sum(p.stat().st_size for p in photos.iterdir()) >> 20
        subprocess.run(["sync"], check=True)  # the photos on disk: no run pays for writing them
        compile_bytecode([_package(), args.before / "intake"] if args.before else [_package()])
        ours, theirs, earlier = [], [], []
        loads = [os.getloadavg()[0]]
        cleaned = 0
        for run in range(args.runs):
            if args.before:  # -P: the checkout, not the current folder, is imported
                earlier.append(timed([sys.executable, "-P", "-m", "intake", "sanitize", str(photos), "-o",
                                      str(work / "before")], {**os.environ, "PYTHONPATH": str(args.before)}))
            ours.append(timed([intake, "sanitize", str(photos), "-o", str(work / "intake")]))
            theirs.append(timed(["exiftool", "-q", "-all=", "-o", str(work / "exiftool") + "/", str(photos)]))
            cleaned = len(list((work / "intake" / "photos").iterdir()))
            for out in ("before", "intake", "exiftool"):  # removed between runs (untimed): each run starts alike
                shutil.rmtree(work / out, ignore_errors=True)
        loads.append(os.getloadavg()[0])
        notes = (f"maker notes of {len(sources)} cameras" if sources else "a synthetic Canon maker note"
                 ) if args.format == "jpeg" else "EXIF, GPS and a thumbnail"
        report(args, size, cleaned, notes, ours, theirs, loads, earlier)
    finally:
        shutil.rmtree(work)
    return 0


def report(args: argparse.Namespace, size_mb: int, cleaned: int, notes: str,
           ours: list[Timing], theirs: list[Timing], loads: list[float], earlier: list[Timing]) -> None:
    print(f"{args.count} {args.format.upper()}s of 4000x3000 ({size_mb} MiB in all) with {notes}, median of {args.runs} runs; "
          f"intake cleaned {cleaned}; load average {loads[0]:.1f} before the runs, {loads[1]:.1f} after\n")
    print("| command | wall s (median) | CPU s (median) | wall s of each run |")
    print("|---|---|---|---|")
    rows = [("intake sanitize DIR -o OUT", ours), ("exiftool -all= -o OUT/ DIR", theirs)]
    if earlier:
        rows.insert(0, (f"intake sanitize DIR -o OUT, {args.before}", earlier))
    for name, timings in rows:
        print(f"| {name} | {statistics.median(t.wall for t in timings):.2f} | "
              f"{statistics.median(t.cpu for t in timings):.2f} | {' '.join(f'{t.wall:.2f}' for t in timings)} |")
    wall = statistics.median(t.wall for t in ours) / statistics.median(t.wall for t in theirs)
    cpu = statistics.median(t.cpu for t in ours) / statistics.median(t.cpu for t in theirs)
    print(f"\nratio intake / exiftool: wall {wall:.2f}, CPU {cpu:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
