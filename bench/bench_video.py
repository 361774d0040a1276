"""Cleaning a large MP4 against `exiftool -all=` on the same file: time and peak memory.

    .venv/bin/python bench/bench_video.py [--size-mb 2048] [--runs 3]

The video is made by ffmpeg: 10 s of noisy 640x360 H.264 with AAC sound,
tagged (title, artist, an ISO 6709 location, a creation time), then looped
without re-encoding until it reaches --size-mb. intake cleans it by stream
the way `intake sanitize` does (intake.clean.clean_file when that exists,
else the format module's stream verbs and the same checks: inspect of the
copy empty, content digests equal). Each command runs in its own wrapper
process (bench_add.measure) so its peak RSS is its own. Needs ffmpeg and
exiftool. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_add import measure

BASE_SECONDS = 10


def make_video(work: Path, size_mb: int) -> Path:
    base, big = work / "base.mp4", work / "big.mp4"
    quiet = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*quiet, "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={BASE_SECONDS},noise=alls=40:allf=t",
                    "-f", "lavfi", "-i", f"sine=duration={BASE_SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-b:v", "20M", "-c:a", "aac", str(base)], check=True)
    loops = max(0, -(-size_mb * (1 << 20) // base.stat().st_size) - 1)  # rounded up
    subprocess.run([*quiet, "-stream_loop", str(loops), "-i", str(base), "-c", "copy", "-metadata", "title=Bench title",
                    "-metadata", "artist=Bench artist", "-metadata", "location=+46.6354+032.6169/",
                    "-metadata", "creation_time=2031-07-14T03:21:09Z", str(big)], check=True)
    base.unlink()
    return big


def clean_one(source_path: str, out_path: str) -> None:
    """What `intake sanitize` does with one file, by stream."""
    with open(source_path, "rb") as source, open(out_path, "w+b") as out:
        try:
            from intake.clean import clean_file  # the streaming pipeline (issue 12), once merged
        except ImportError:
            _clean_with_verbs(source, out)
        else:
            clean_file(source, out)


def _clean_with_verbs(source, out) -> None:  # type: ignore[no-untyped-def]
    from intake.formats.isobmff import quicktime

    quicktime.inspect_stream(source)
    quicktime.sanitize_stream(source, out)
    out.flush()
    if quicktime.inspect_stream(out) or quicktime.content_digest(source) != quicktime.content_digest(out):
        raise SystemExit("bench: the clean copy failed its checks")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clean", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clean:
        clean_one(*args.clean)
        return 0
    missing = [tool for tool in ("ffmpeg", "exiftool") if shutil.which(tool) is None]
    if missing:
        print(f"bench: missing {', '.join(missing)} (apt-get install ffmpeg libimage-exiftool-perl)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        video = make_video(work, args.size_mb)
        ours, theirs = [], []
        for run in range(args.runs):
            ours.append(measure([sys.executable, __file__, "--clean", str(video), str(work / f"intake-{run}.mp4")],
                                dict(os.environ)))
            (work / f"intake-{run}.mp4").unlink()
            theirs.append(measure(["exiftool", "-q", "-all=", "-o", str(work / f"exiftool-{run}.mp4"), str(video)],
                                  dict(os.environ)))
            (work / f"exiftool-{run}.mp4").unlink()
        report(args, video.stat().st_size >> 20, ours, theirs)
    finally:
        shutil.rmtree(work)
    return 0


def report(args: argparse.Namespace, size_mb: int, ours: list[tuple[float, float]],
           theirs: list[tuple[float, float]]) -> None:
    def median(runs: list[tuple[float, float]], index: int) -> float:
        return statistics.median(run[index] for run in runs)

    print(f"One MP4 of {size_mb} MiB (H.264 + AAC, tagged), median of {args.runs} runs\n")
    print("| command | seconds | peak RSS (MiB) |")
    print("|---|---|---|")
    print(f"| intake: inspect, clean by stream, re-inspect, compare content digests | {median(ours, 0):.2f} | "
          f"{median(ours, 1):.0f} |")
    print(f"| exiftool -all= -o OUT IN | {median(theirs, 0):.2f} | {median(theirs, 1):.0f} |")
    print(f"\nTime ratio intake / exiftool: {median(ours, 0) / median(theirs, 0):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
