"""`intake sanitize` against `exiftool -all=` on a folder of 12-megapixel JPEGs (or HEICs).

    .venv/bin/python bench/bench_sanitize.py [--count 50] [--runs 3] [--format heic]

Both tools run as one process over the same folder, writing copies into an
empty folder, side by side in one run; the median wall time of each and
their ratio are printed as Markdown. Needs exiftool (Debian:
libimage-exiftool-perl) and Pillow (installed with `.[test]`); HEICs also
pillow-heif (`.[test]`), and carry a thumbnail besides the EXIF.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from PIL.ExifTags import IFD


def make_photos(folder: Path, count: int, form: str = "jpeg") -> None:
    """Noise-like pictures, so the files are camera-sized (several MB each)."""
    options: dict[str, object] = {}
    if form == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        options["thumbnails"] = [256]
    base = Image.effect_noise((4000, 3000), 64).convert("RGB")
    for i in range(count):
        exif = base.getexif()
        exif[0x010F], exif[0x0110], exif[0x013B] = "BenchMake", "BenchModel", f"Photographer {i}"
        exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (46.0, 38.0, float(i)), 3: "E", 4: (32.0, 37.0, 0.84)})
        out = io.BytesIO()
        base.save(out, "JPEG" if form == "jpeg" else "HEIF", quality=90, exif=exif.tobytes(), **options)
        (folder / f"photo-{i:03}.{'jpg' if form == 'jpeg' else 'heic'}").write_bytes(out.getvalue())


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"bench: {command[0]} failed: {result.stderr.strip()[:300]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=("jpeg", "heic"), default="jpeg")
    args = parser.parse_args()
    if shutil.which("exiftool") is None:
        print("bench: exiftool is missing (apt-get install libimage-exiftool-perl)", file=sys.stderr)
        return 2
    intake = str(Path(sys.executable).with_name("intake"))
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        photos = work / "photos"
        photos.mkdir()
        make_photos(photos, args.count, args.format)
        size = sum(p.stat().st_size for p in photos.iterdir()) >> 20
        ours, theirs = [], []
        for run in range(args.runs):
            ours.append(timed([intake, "sanitize", str(photos), "-o", str(work / f"intake-{run}")]))
            theirs.append(timed(["exiftool", "-q", "-all=", "-o", str(work / f"exiftool-{run}") + "/", str(photos)]))
        cleaned = len(list((work / "intake-0" / "photos").iterdir()))
        report(args, size, cleaned, statistics.median(ours), statistics.median(theirs))
    finally:
        shutil.rmtree(work)
    return 0


def report(args: argparse.Namespace, size_mb: int, cleaned: int, ours: float, theirs: float) -> None:
    print(f"{args.count} {args.format.upper()}s of 4000x3000 ({size_mb} MiB in all), median of {args.runs} runs; "
          f"intake cleaned {cleaned}\n")
    print("| command | seconds |")
    print("|---|---|")
    print(f"| intake sanitize DIR -o OUT | {ours:.2f} |")
    print(f"| exiftool -all= -o OUT/ DIR | {theirs:.2f} |")
    print(f"\nratio intake / exiftool (time): {ours / theirs:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
